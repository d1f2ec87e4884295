"""Every post's state, for `postops status`: desired state, ledger and plan read together."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from postops.publish.desired import Desired
from postops.publish.ledger import (
    FAILED,
    PUBLISHED,
    RETRACT_CLAIMED,
    RETRACT_FAILED,
    RETRACTED,
    Ledger,
    PartState,
)
from postops.publish.plan import ActionKind, ActionName, Plan


class PostState(StrEnum):
    """Where a post stands on one account, as `postops status` reports it (a part reports its last event)."""

    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    IN_DOUBT = "in-doubt"
    BLOCKED = "blocked"
    FAILED = "failed"
    MISSED = "missed"
    RETRACTED = "retracted"


def _part(index: int, state: PartState | None) -> dict[str, Any]:
    if state is None:
        return {"part": index + 1, "state": PostState.SCHEDULED}
    published = state.published or {}
    entry: dict[str, Any] = {"part": index + 1, "state": state.status}
    if published:
        entry.update(platform_id=published.get("platform_id"), url=published.get("url"),
                     published_at=published.get("at"))
    if state.status == FAILED:
        entry["error"] = state.event.get("error")
    return entry


def post_states(plan: Plan, ledger: Ledger, desired: Desired) -> list[dict[str, Any]]:
    """One entry per post and account, on main or in the ledger."""
    actions = {a.key: a for a in plan.actions}
    pairs = ledger.pairs()
    parts_of = {(t.post, t.account): t.parts for t in desired.targets}
    keys = sorted(set(parts_of) | set(pairs) | set(ledger.missed) | set(actions))
    entries = []
    for key in keys:
        post, account = key
        parts = pairs.get(key, {})
        count = max(parts_of.get(key, 0), max(parts, default=-1) + 1)
        action = actions.get(key)
        # A part whose retraction failed, or is under way, is still on the platform.
        live = [parts[i] for i in sorted(parts) if parts[i].status in (PUBLISHED, RETRACT_FAILED, RETRACT_CLAIMED)]
        entry: dict[str, Any] = {"post": post, "account": account, "state": PostState.SCHEDULED, "url": None,
                                 "published_at": None, "error": None,
                                 "parts": [_part(i, parts.get(i)) for i in range(count)]}
        if key in parts_of and key in ledger.missed and not live and (action is None or action.action == ActionName.MISSED):
            entry["state"] = PostState.MISSED
        if action is not None:
            entry["at"] = action.at.isoformat() if action.at else None
            if action.action == ActionName.RESOLVE and action.kind != ActionKind.CHECK:
                entry["state"] = PostState.IN_DOUBT   # a first publication checked first is still scheduled
            elif action.action in (ActionName.BLOCKED, ActionName.CONFLICT) and not live:
                entry["state"], entry["error"] = PostState.BLOCKED, action.reason
            elif action.action == ActionName.MISSED:
                entry["state"] = PostState.MISSED
            elif action.action in (ActionName.BLOCKED, ActionName.CONFLICT):
                # live, so still published; but publish exits 1 for it every run, and this says why
                conflict = "conflict: " if action.action == ActionName.CONFLICT else ""
                entry["error"] = conflict + action.reason
        failed = [s for s in parts.values() if s.status == FAILED]
        if failed and entry["state"] == PostState.SCHEDULED:
            entry["state"], entry["error"] = PostState.FAILED, failed[0].event.get("error")
        if live and entry["state"] in (PostState.SCHEDULED, PostState.BLOCKED):
            first = live[0].published or {}
            entry["url"], entry["published_at"] = first.get("url"), first.get("at")
            entry["state"] = PostState.PUBLISHED if len(live) == count else entry["state"]
        retract_failed = [s for s in parts.values() if s.status == RETRACT_FAILED]
        if retract_failed and entry["state"] == PostState.PUBLISHED:
            entry["error"] = f"retraction failed: {retract_failed[0].event.get('error')}"
        if parts and all(s.status == RETRACTED for s in parts.values() if s.published) and \
                any(s.status == RETRACTED for s in parts.values()):
            entry["state"] = PostState.RETRACTED
        entries.append(entry)
    return entries
