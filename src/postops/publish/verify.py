"""`postops verify`: whether the ledger is still the one postops wrote, and the recorded way to accept it.

The ledger is a hash chain: each event Store.append writes carries the SHA-256 of the line before it
(`prev`) and main's commit it was decided on (`main`). Anyone who can push to the state branch can still
append events that follow the chain (it is not signed); what the chain shows is an event changed, removed,
reordered or slipped in after the fact, events decided on commits main never had, sightings dated in the
past, and (`postops verify` only) claims and records of content main did not have. Lines written before
postops chained its ledger are the unchained prefix: reported, never a problem. A `repaired` event
(`postops verify --repair --reason`) accepts every problem before it; only problems after the last one
stop publish.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from postops.errors import PostopsError, UsageError
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
    open_store,
)
from postops.publish.plan import CLOCK_SKEW
from postops.publish.process import this_publisher
from postops.repo import git
from postops.repo.config import Config
from postops.repo.posts import build_post, content_hash
from postops.repo.yamlfile import YamlProblem, parse
from postops.times import parse_time


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


# What a post was at a commit, for one account: its content hash, or None when it was no post there.
ContentAt = Callable[[str, str, str], str | None]


def check_chain(raw: bytes, main_history: frozenset[str] | None, content: ContentAt | None = None) -> ChainReport:
    """Walk the ledger's lines: each chained event must follow the line before it, and have been decided on a
    commit of main's history (`main_history`; None: not checked); a sighting is never dated before an earlier
    one; with `content`, each publication's claim and record name what main had at that commit."""
    lines = ledger_lines(raw)
    problems: list[str] = []
    accepted: list[str] = []
    unchained, started, repaired_at = 0, False, None
    previous: bytes | None = None
    latest_sighting: datetime | None = None
    for number, line in enumerate(lines, 1):
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
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
            if event_kind(event) == EventKind.SEEN:
                problems += _sighting_problems(number, event, latest_sighting, main_history)
                at = parse_time(event.get("at"))
                latest_sighting = max(latest_sighting, at) if latest_sighting and at else (at or latest_sighting)
            if content is not None:
                problems += _content_problems(number, event, content)
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


def _sighting_problems(number: int, event: dict[str, object], latest: datetime | None,
                       history: frozenset[str] | None) -> list[str]:
    """A `seen` line is written when a publisher sees main, so it is never dated before an earlier one (a
    line dated in the past would start a commit's min_lead early), and names commits of main."""
    found = []
    at = parse_time(event.get("at"))
    if at is None:
        found.append(f"line {number} (seen): has no time")
    elif latest is not None and at < latest - CLOCK_SKEW:
        found.append(f"line {number} (seen): dated {at.isoformat()}, before a sighting already recorded "
                     f"({latest.isoformat()}): a sighting dated in the past would cut a commit's min_lead short")
    commits = event.get("commits")
    if history is not None and isinstance(commits, list):
        foreign = [str(c) for c in commits if not isinstance(c, str) or c not in history]
        if foreign:
            found.append(f"line {number} (seen): names {', '.join(c[:12] for c in foreign)}, not in main's history")
    return found


def _content_problems(number: int, event: dict[str, object], content: ContentAt) -> list[str]:
    """A publication's claim and record say which post content, from which commit of main, went out: it must
    be what main had there. Events that carry an earlier claim's content (a resolution, a settlement) or none
    (an import) are not checked."""
    kind = event_kind(event)
    if kind not in (EventKind.CLAIMED, EventKind.PUBLISHED) or event.get("resolving") or event.get("resolved") \
            or event.get("imported"):
        return []
    post, account, path, digest = event.get("post"), event.get("account"), event.get("path"), event.get("hash")
    commit = event.get("source") or event.get("commit")
    if not all(isinstance(v, str) for v in (post, account, path, digest, commit)):
        return []
    had = content(str(commit), str(path), str(account))
    if had == digest:
        return []
    what = "no post there" if had is None else "other content"
    return [f"line {number} ({kind} {post}): names content of {path} that main did not have at "
            f"{str(commit)[:12]} ({what}): written outside postops, or main was rewritten"]


def content_at(root: Path, config: Config) -> ContentAt:
    """What a post file held at a commit, as its content hash for an account (None: not a post there)."""
    cache: dict[tuple[str, str, str], str | None] = {}

    def at(commit: str, path: str, account: str) -> str | None:
        key = (commit, path, account)
        if key not in cache:
            cache[key] = _hash_at(root, config, commit, path, account)
        return cache[key]

    return at


def _hash_at(root: Path, config: Config, commit: str, path: str, account: str) -> str | None:
    raw = git.read_file(root, commit, path)
    if raw is None:
        return None
    try:
        post = build_post(parse(raw, path, config.max_file_bytes), config)
    except (YamlProblem, PostopsError):
        return None
    return content_hash(post, account, root, read=lambda rel: git.read_file(root, commit, rel))


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
           echo: Callable[[str], None], env: Mapping[str, str] | None = None) -> int:
    """Check the ledger (exit 0 intact, 1 not); with `repair`, accept it as it stands, and record why (and
    make the memory file, if `env` names one, hold what was accepted)."""
    if repair and not (reason or "").strip():
        raise UsageError("--repair needs --reason: say what happened, it is recorded in the ledger")
    store = open_store(root, config, env)
    refusal = None
    try:
        ledger = store.read(fetch=True)
    except LedgerTampered as exc:
        refusal = exc.message.split(". Nothing was published")[0]
        refused = None if repair else store.read_refused()
        if not repair:
            echo(exc.message)
            if refused is None:
                return 1
            ledger = refused   # what the remote holds now, its chain shown too, still not taken in
        else:
            store.accept_remote()
            ledger = store.read()
    report = check_chain(ledger.raw, main_history(root, store), content_at(root, config))
    echo(f"{store.branch}: {report.events} line{'s' if report.events != 1 else ''}"
         + (f", the first {report.unchained} written before the ledger was chained (their order and content "
            "are not protected)" if report.unchained else ""))
    if report.repaired_at:
        echo(f"last repaired {report.repaired_at}; {len(report.accepted)} problem(s) accepted then")
    for problem in report.problems:
        echo(f"problem: {problem}")
    found = [*report.problems, *([refusal] if refusal else [])]
    if not repair:
        if refusal:
            return 1
        echo("the chain is intact" if report.intact else f"the chain is broken: {RECOVERY.format(branch=store.branch)}")
        return 0 if report.intact else 1
    event = {"event": EventKind.REPAIRED, "reason": reason, "problems": found, "by": this_publisher(),
             "who": who, "at": now.isoformat(), "accepted_tip": ledger.tip}
    if store.append(ledger, [event], f"postops verify --repair: {reason}") is None:
        raise LedgerTampered("the state branch moved while repairing it: run `postops verify` again")
    echo(f"repaired: {len(found)} problem(s) accepted, recorded with the reason given")
    return 0
