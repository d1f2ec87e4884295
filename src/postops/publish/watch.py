"""Posts made outside postops: each account's recent posts compared with the ledger.

The incident postops exists for did not come through review: someone signed in to the official account in
an app and posted there. `postops watch` (and every publish run) reads each account's recent posts; one
that the ledger does not know is `unmanaged`: recorded once in the ledger, judged by the organisation's
policies as if it were a post, alerted, and, where the account asks for it, taken down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from postops.lint.findings import Finding
from postops.platforms.base import Platform, PlatformError, RemotePost
from postops.publish.gate import pause_reason
from postops.publish.ledger import CLAIMED, EventKind, Ledger, LedgerError, Store
from postops.publish.notify import Alert
from postops.repo.config import AlertKind, Config
from postops.times import parse_time

MAX_RACES = 50

UNMANAGED = EventKind.UNMANAGED
WATCH_UNAVAILABLE = EventKind.WATCH_UNAVAILABLE

# How far back each run looks. Posts older than that were looked at by earlier runs.
WINDOW = timedelta(days=2)
# A claim still open may be a post that went out and is not recorded yet: posts made from this long before
# it are left for the next run, when the claim is resolved, rather than called unmanaged.
CLAIM_SLACK = timedelta(minutes=5)


class UnmanagedPolicy(StrEnum):
    REPORT = "report"
    DELETE = "delete"
    DELETE_IF_VIOLATING = "delete-if-violating"


@dataclass(frozen=True)
class Unmanaged:
    account: str
    post: RemotePost
    findings: tuple[Finding, ...]

    @property
    def violating(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


@dataclass(frozen=True)
class WatchResult:
    found: tuple[Unmanaged, ...] = ()
    unavailable: tuple[tuple[str, str], ...] = ()    # (account, why), only those not recorded before
    errors: tuple[tuple[str, str], ...] = ()         # (account, error): the platform could not answer this time
    read: tuple[str, ...] = ()                       # the accounts whose recent posts were read


Judge = Callable[[str, str], Sequence[Finding]]      # (account, text) -> the policies' findings


def _events(ledger: Ledger) -> tuple[Mapping[str, Any], ...]:
    return ledger.log


def known_ids(ledger: Ledger) -> dict[str, set[str]]:
    """account -> every platform id the ledger knows: published by postops, or already found unmanaged."""
    known: dict[str, set[str]] = {}
    for (_, account, _), state in ledger.parts.items():
        if state.published is not None and state.published.get("platform_id"):
            known.setdefault(account, set()).add(_record(str(state.published["platform_id"])))
    for event in ledger.log:
        if event.get("event") == UNMANAGED and isinstance(event.get("platform_id"), str):
            known.setdefault(str(event.get("account")), set()).add(_record(event["platform_id"]))
    return known


def said_unavailable(ledger: Ledger) -> set[str]:
    """Accounts whose posts postops last found it cannot read (and has said so)."""
    latest: dict[str, bool] = {}
    for event in ledger.log:
        if event.get("event") == WATCH_UNAVAILABLE:
            latest[str(event.get("account"))] = True
        elif event.get("event") == UNMANAGED:
            latest[str(event.get("account"))] = False
    return {account for account, unavailable in latest.items() if unavailable}


def _open_claims_since(ledger: Ledger, account: str) -> datetime | None:
    """The earliest time an open claim on `account` was made, if any claim is still open."""
    earliest = None
    for (_, key, _), state in ledger.parts.items():
        if key == account and state.status == CLAIMED:
            at = parse_time(state.event.get("at"))
            if at is not None and (earliest is None or at < earliest):
                earliest = at
    return earliest


def _record(platform_id: str) -> str:
    # Bluesky's ids are "<at-uri>|<cid>": the record is the same whatever its content id.
    return platform_id.split("|", 1)[0]


def find_unmanaged(ledger: Ledger, platforms: Mapping[str, Platform], judge: Judge, now: datetime,
                   window: timedelta = WINDOW) -> WatchResult:
    """Each account's recent posts that the ledger does not know, judged by `judge`."""
    known = known_ids(ledger)
    quiet = said_unavailable(ledger)
    found: list[Unmanaged] = []
    unavailable: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    read: list[str] = []
    for account in sorted(platforms):
        try:
            posts = platforms[account].recent(now - window)
        except PlatformError as exc:
            if exc.kind == "unavailable":
                if account not in quiet:
                    unavailable.append((account, exc.message))
            else:
                errors.append((account, exc.message))
            continue
        read.append(account)
        open_since = _open_claims_since(ledger, account)
        for post in posts:
            if _record(post.platform_id) in known.get(account, set()):
                continue
            if open_since is not None and (post.created_at is None or post.created_at >= open_since - CLAIM_SLACK):
                continue  # may be the open claim's own post: decided once the claim is resolved
            found.append(Unmanaged(account, post, tuple(judge(account, post.text))))
    return WatchResult(tuple(found), tuple(unavailable), tuple(errors), tuple(read))


def unmanaged_event(item: Unmanaged, *, run: str, by: str, at: datetime, action: str) -> dict[str, Any]:
    return {
        "event": UNMANAGED, "account": item.account, "platform_id": item.post.platform_id, "url": item.post.url,
        "text": item.post.text, "posted_at": item.post.created_at.isoformat() if item.post.created_at else None,
        "findings": [f"{f.severity} [{f.rule}] {f.message}" for f in item.findings], "action": action,
        "run": run, "by": by, "at": at.isoformat(),
    }


def unavailable_event(account: str, why: str, *, run: str, by: str, at: datetime) -> dict[str, Any]:
    return {"event": WATCH_UNAVAILABLE, "account": account, "error": why, "run": run, "by": by, "at": at.isoformat()}


def should_delete(item: Unmanaged, policy: UnmanagedPolicy) -> bool:
    return policy is UnmanagedPolicy.DELETE or (policy is UnmanagedPolicy.DELETE_IF_VIOLATING and item.violating)



@dataclass(frozen=True)
class WatchOutcome:
    lines: tuple[str, ...]            # what the run says, one line each
    alerts: tuple[Alert, ...]
    exit_code: int                    # 1 when something was found, newly unreadable, or could not be asked
    read: tuple[str, ...] = ()        # the accounts whose posts were looked at: none, and nothing was


def watch(store: Store, config: Config, *, now: datetime, platforms: Mapping[str, Platform], judge: Judge,
          run: str, by: str, window: timedelta = WINDOW, ledger: Ledger | None = None) -> WatchOutcome:
    """Find posts made outside postops on `platforms`' accounts, record each once, take down what the
    account asks to be taken down, and say what was found. Recording goes through the ledger's
    compare-and-swap, so two runs that find the same post record (and alert, and delete) it once.

    `ledger`: the state branch as the caller just read or wrote it (publish, before it), looked at first
    instead of fetching again. Older than the branch, it knows fewer posts, never more: what it takes for
    unmanaged is recorded by a compare-and-swap that fails on a moved branch, and is looked at again, fetched,
    before anything is said, recorded or deleted."""
    if not platforms:
        return WatchOutcome((), (), 0)   # nothing to look at: no fetch
    paused: str | None = None
    held: set[tuple[str, str]] = set()    # to be deleted, but publishing is paused
    for _ in range(MAX_RACES):
        ledger = ledger if ledger is not None else store.read(fetch=True)
        result = find_unmanaged(ledger, platforms, judge, now, window)
        if not result.found and not result.unavailable:
            break
        events: list[dict[str, Any]] = []
        actions: dict[tuple[str, str], str] = {}
        # Paused, nothing is taken down: in a crisis the team posts by hand (a holding statement), and the
        # compare-and-swap below fails if a pause lands on the branch after this ledger was read.
        paused, held = pause_reason(config, ledger), set()
        for item in result.found:
            policy = config.accounts[item.account].unmanaged
            action = "delete" if should_delete(item, UnmanagedPolicy(policy)) else "report"
            if action == "delete" and paused is not None:
                action = "report"
                held.add((item.account, item.post.platform_id))
            actions[(item.account, item.post.platform_id)] = action
            events.append(unmanaged_event(item, run=run, by=by, at=now, action=action))
        events += [unavailable_event(a, why, run=run, by=by, at=now) for a, why in result.unavailable]
        if store.append(ledger, events, f"postops watch {run}: {len(result.found)} unmanaged") is not None:
            break
        ledger = None   # the branch moved: fetched again
    else:
        raise LedgerError(f"the ledger branch kept moving: {MAX_RACES} tries to record what watch found failed")
    lines: list[str] = []
    alerts: list[Alert] = []
    for account, why in result.unavailable:
        lines.append(f"watch @{account}: {why}")
        alerts.append(Alert(AlertKind.UNMANAGED, account, None, f"postops cannot see posts made outside it on "
                            f"@{account}: {why}", "give the account's credentials read access (see the "
                            "platform's page in postops' docs)"))
    for account, why in result.errors:
        lines.append(f"watch @{account}: could not read the account's posts this time: {why}")
    for item in result.found:
        lines.append(_describe(item))
        lines += [f"    {f.severity} [{f.rule}] {f.message}" for f in item.findings]
        step = "check it, and delete it on the platform if it should not be there"
        if (item.account, item.post.platform_id) in held:
            lines.append(f"    not deleted (unmanaged: {config.accounts[item.account].unmanaged}) while publishing is paused: "
                         f"{paused}")
            step = f"postops deletes nothing while paused ({paused}): delete it by hand if it should not be there"
        if actions.get((item.account, item.post.platform_id)) == "delete":
            try:
                platforms[item.account].delete(item.post.platform_id)
                lines.append(f"    deleted from @{item.account} (unmanaged: {config.accounts[item.account].unmanaged})")
                step = "it was deleted; find out who posted it and how they could"
            except PlatformError as exc:
                lines.append(f"    could not delete it: {exc.message}")
                step = f"delete it by hand: postops could not ({exc.message})"
        alerts.append(Alert(AlertKind.UNMANAGED, item.account, None, f"a post made outside postops: "
                            f"{_quote(item.post.text)}" + (f" ({len(item.findings)} policy findings)"
                                                            if item.findings else ""), step, item.post.url))
    code = 1 if result.found or result.unavailable or result.errors else 0
    return WatchOutcome(tuple(lines), tuple(alerts), code, result.read)


def _quote(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return f'"{flat if len(flat) <= limit else flat[: limit - 1] + "…"}"'


def _describe(item: Unmanaged) -> str:
    when = f" at {item.post.created_at:%Y-%m-%d %H:%M} UTC" if item.post.created_at else ""
    return f"unmanaged @{item.account}{when}: {item.post.url or item.post.platform_id}: {_quote(item.post.text)}"
