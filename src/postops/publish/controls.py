"""Levers for a crisis that take effect at the next run without a pull request: a pause, a resume and a
request to take posts down, each an event on the state branch, recorded with who pulled it and why.

They sit beside the reviewed levers (`paused:` in postops.yaml, `git revert`): those need approvers, which
in a crisis may take too long. Anyone the forge lets push to the state branch (in practice: run the
manual publish workflow) can use these; the ledger keeps who did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from postops.publish.ledger import EventKind, Ledger, LedgerError, Store

PAUSED = EventKind.PAUSED
RESUMED = EventKind.RESUMED
RETRACT_REQUESTED = EventKind.RETRACT_REQUESTED
MAX_RACES = 50


def _events(ledger: Ledger) -> tuple[Mapping[str, Any], ...]:
    return ledger.log


def state_pause(ledger: Ledger) -> Mapping[str, Any] | None:
    """The pause on the state branch, if the latest pause or resume event there is a pause."""
    current: Mapping[str, Any] | None = None
    for event in ledger.log:
        if event.get("event") == PAUSED:
            current = event
        elif event.get("event") == RESUMED:
            current = None
    return current


def retract_requests(ledger: Ledger) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(post, account) -> the request to take it down. A request is for good: the id is never published
    again (to bring a post back, add it under a new id)."""
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for event in ledger.log:
        if event.get("event") == RETRACT_REQUESTED and isinstance(event.get("post"), str) \
                and isinstance(event.get("account"), str):
            found.setdefault((event["post"], event["account"]), event)
    return found


def record(store: Store, events: Sequence[Mapping[str, Any]], message: str) -> Ledger:
    """Append `events` through the ledger's compare-and-swap, re-reading when another run moved the branch."""
    for _ in range(MAX_RACES):
        ledger = store.read(fetch=True)
        appended = store.append(ledger, events, message)
        if appended is not None:
            return appended
    raise LedgerError(f"the ledger branch kept moving: {MAX_RACES} tries to record {message!r} failed")


def control_event(kind: str, *, by: str, at: datetime, reason: str | None = None, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"event": kind, **fields, "by": by, "at": at.isoformat()}
    if reason is not None:
        event["reason"] = reason
    return event
