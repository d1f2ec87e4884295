"""`postops verify`: whether the ledger is still the one postops wrote, and the recorded way to accept it.

The ledger is a hash chain: each event Store.append writes carries the SHA-256 of the line before it
(`prev`) and main's commit it was decided on (`main`). Anyone who can push to the state branch can still
append events that follow the chain (it is not signed); what the chain shows is an event changed, removed,
reordered or slipped in after the fact, and events decided on commits main never had. Lines written before
postops chained its ledger are the unchained prefix: reported, never a problem. A `repaired` event
(`postops verify --repair --reason`) accepts every problem before it; only problems after the last one
stop publish.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from postops.errors import UsageError
from postops.publish.ledger import (
    GENESIS,
    RECOVERY,
    EventKind,
    Ledger,
    LedgerTampered,
    Store,
    event_kind,
    ledger_lines,
    line_hash,
)
from postops.publish.process import this_publisher
from postops.repo import git
from postops.repo.config import Config


@dataclass(frozen=True)
class ChainReport:
    events: int                      # lines in the ledger
    unchained: int                   # lines before the chain began (an older postops wrote them)
    problems: tuple[str, ...]        # since the last repair: these stop publish
    accepted: tuple[str, ...]        # before the last repair, accepted by it
    repaired_at: str | None = None   # the last repair's time

    @property
    def intact(self) -> bool:
        return not self.problems


def check_chain(raw: bytes, main_history: frozenset[str] | None) -> ChainReport:
    """Walk the ledger's lines: each chained event must follow the line before it, and have been decided on a
    commit of main's history (`main_history`; None: not checked)."""
    lines = ledger_lines(raw)
    problems: list[str] = []
    accepted: list[str] = []
    unchained, started, repaired_at = 0, False, None
    previous: bytes | None = None
    for number, line in enumerate(lines, 1):
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            if started:
                problems.append(f"line {number}: not an event")
            else:
                unchained += 1
            previous = line
            continue
        if "prev" in event:
            started = True
            expected = line_hash(previous) if previous is not None else GENESIS
            if event["prev"] != expected:
                problems.append(f"line {number} ({event.get('event')} {event.get('post') or ''}): does not follow "
                                f"line {number - 1}: an event before it was changed, removed or inserted")
            commit = event.get("main")
            if main_history is not None and isinstance(commit, str) and commit not in main_history:
                problems.append(f"line {number} ({event.get('event')} {event.get('post') or ''}): decided on "
                                f"commit {commit[:12]}, which is not in main's history (main was rewound, or the "
                                "event was written elsewhere)")
        elif started:
            problems.append(f"line {number} ({event.get('event')} {event.get('post') or ''}): carries no hash of "
                            "the line before it: written outside postops")
        else:
            unchained += 1
        if started and event_kind(event) == EventKind.REPAIRED:
            accepted += problems
            problems = []
            repaired_at = str(event.get("at"))
        previous = line
    return ChainReport(len(lines), unchained, tuple(problems), tuple(accepted), repaired_at)


def main_history(root: Path, store: Store) -> frozenset[str] | None:
    tip = store.main_tip()
    return git.history(root, tip) if tip else None


def refuse_unless_intact(root: Path, store: Store, ledger: Ledger) -> None:
    """LedgerTampered when the chain is broken since its last repair: publish acts on nothing then."""
    report = check_chain(ledger.raw, main_history(root, store))
    if report.problems:
        shown = "; ".join(report.problems[:3]) + (f"; and {len(report.problems) - 3} more"
                                                  if len(report.problems) > 3 else "")
        raise LedgerTampered(f"the ledger on {store.branch} is not the one postops wrote: {shown}. Nothing was "
                             f"published: {RECOVERY.format(branch=store.branch)}")


def verify(root: Path, config: Config, *, repair: bool, reason: str | None, now: datetime, who: str | None,
           echo: Callable[[str], None]) -> int:
    """Check the ledger (exit 0 intact, 1 not); with `repair`, accept it as it stands, and record why."""
    if repair and not (reason or "").strip():
        raise UsageError("--repair needs --reason: say what happened, it is recorded in the ledger")
    store = Store(root, config.state_branch, git.remote(root))
    found: list[str] = []
    try:
        ledger = store.read(fetch=True)
    except LedgerTampered as exc:
        if not repair:
            echo(exc.message)
            return 1
        found.append(exc.message.split(". Nothing was published")[0])
        store.accept_remote()
        ledger = store.read()
    report = check_chain(ledger.raw, main_history(root, store))
    echo(f"{store.branch}: {report.events} line{'s' if report.events != 1 else ''}"
         + (f", the first {report.unchained} written before the ledger was chained (their order and content "
            "are not protected)" if report.unchained else ""))
    if report.repaired_at:
        echo(f"last repaired {report.repaired_at}; {len(report.accepted)} problem(s) accepted then")
    for problem in report.problems:
        echo(f"problem: {problem}")
    found += report.problems
    if not repair:
        echo("the chain is intact" if report.intact else f"the chain is broken: {RECOVERY.format(branch=store.branch)}")
        return 0 if report.intact else 1
    event = {"event": EventKind.REPAIRED, "reason": reason, "problems": found, "by": this_publisher(),
             "who": who, "at": now.isoformat(), "accepted_tip": ledger.tip}
    if store.append(ledger, [event], f"postops verify --repair: {reason}") is None:
        raise LedgerTampered("the state branch moved while repairing it: run `postops verify` again")
    echo(f"repaired: {len(found)} problem(s) accepted, recorded with the reason given")
    return 0
