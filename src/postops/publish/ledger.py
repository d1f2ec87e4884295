"""The ledger: an append-only event log (JSON Lines) on its own branch, the actual state of every post.

Each append is one commit on the state branch holding the whole log in `ledger.jsonl`, made with git
plumbing so the user's working tree and index are never touched. The ref update is a compare-and-swap:
locally `git update-ref <ref> <new> <old>`, with a remote a fast-forward-only push. Whoever loses the race
re-reads the log and decides again.

Event shape (one JSON object per line; see docs/publishing.md):
    {"event": ..., "post": id, "account": key, "part": n, "hash": content hash of the post for the
     account, "commit": main's commit it came from, "run": run id, "by": "host:pid", "at": ISO time, ...}
plus, by event: `lease_until` (claims), `platform_id`, `url` (published, retracted), `error`, `kind`,
`retryable` (failures), `publish_at` (missed), `resolved` (a publication found by looking it up).
Every event Store.append writes also carries `prev` (the SHA-256 of the line before it, "" for the first
line) and `main` (main's commit it was decided on): the hash chain `postops verify` checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postops.errors import PostopsError
from postops.publish.process import lock_abandoned
from postops.repo import git
from postops.repo.config import Config
from postops.repo.fsutil import write_atomic
from postops.times import parse_time

if TYPE_CHECKING:
    from postops.lint.engine import PublishedState

LEDGER_FILE = "ledger.jsonl"
VERSION = 1



class EventKind(StrEnum):
    """The `event` of a ledger line. Part events come in the order a part normally goes through them; a
    StrEnum, so the JSON holds the same strings and a misspelt kind is a type error."""

    CLAIMED = "claimed"
    PUBLISHED = "published"
    FAILED = "failed"
    RELEASED = "released"            # a claim given up before the platform was called (or found unpublished)
    RETRACT_CLAIMED = "retract-claimed"
    RETRACTED = "retracted"
    RETRACT_FAILED = "retract-failed"
    MISSED = "missed"                # per post and account: too late, never published
    UNMANAGED = "unmanaged"          # per account: a post the ledger did not know, found there (watch)
    WATCH_UNAVAILABLE = "watch-unavailable"   # per account: its posts cannot be read (said once)
    PAUSED = "paused"                # the kill switch pulled on the state branch (publish/controls)
    RESUMED = "resumed"
    RETRACT_REQUESTED = "retract-requested"   # per post and account: take it down, for good
    REPAIRED = "repaired"            # `postops verify --repair`: a damaged chain or a rewind accepted, and why
    SEEN = "seen"                    # main's commits a publisher saw on main for the first time, and when


CLAIMED = EventKind.CLAIMED
PUBLISHED = EventKind.PUBLISHED
FAILED = EventKind.FAILED
RELEASED = EventKind.RELEASED
RETRACT_CLAIMED = EventKind.RETRACT_CLAIMED
RETRACTED = EventKind.RETRACTED
RETRACT_FAILED = EventKind.RETRACT_FAILED
MISSED = EventKind.MISSED
SEEN = EventKind.SEEN
PART_EVENTS = (CLAIMED, PUBLISHED, FAILED, RELEASED, RETRACT_CLAIMED, RETRACTED, RETRACT_FAILED)
_KINDS = {kind.value: kind for kind in EventKind}

Event = Mapping[str, Any]
PartKey = tuple[str, str, int]   # post id, account, part
PairKey = tuple[str, str]        # post id, account


class LedgerError(PostopsError):
    pass


class LedgerTampered(LedgerError):
    """The state branch is not what this publisher, or main's history, says it should be."""

    exit_code = 2


RECOVERY = ("see what happened with `postops verify`; if the branch was rewound or deleted by mistake, push back "
            "the last state a publisher saw, from a clone that saw it: `git push origin "
            "refs/postops/seen/{branch}:refs/heads/{branch}`; if it was a real accident and the ledger as it "
            "stands is right, accept it with `postops verify --repair --reason \"...\"`, which is recorded in "
            "the ledger")


GENESIS = ""   # the `prev` of a ledger's first line
MEMORY_VARIABLE = "POSTOPS_LEDGER_MEMORY"
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_MEMORY_BYTES = 256   # a SHA-256 commit id and a newline, with room to say what else a file holds


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def ledger_lines(raw: bytes) -> list[bytes]:
    return [line for line in raw.split(b"\n") if line.strip()]


def chained(raw: bytes, events: Iterable[Event], main: str | None) -> list[dict[str, Any]]:
    """`events` as they are appended after `raw`: each with the hash of the line before it and the main
    commit it was decided on, so that an event changed, removed or slipped in later breaks the chain."""
    lines = ledger_lines(raw)
    previous = lines[-1] if lines else None
    out: list[dict[str, Any]] = []
    for event in events:
        stamped = {**event, "prev": line_hash(previous) if previous is not None else GENESIS, "main": main}
        previous = encode([stamped]).rstrip(b"\n")
        out.append(stamped)
    return out


@dataclass(frozen=True)
class Sighting:
    """When a publisher first saw a commit on main: the time `min_lead` and a post's lateness count from,
    which no commit's author can set. `check`: main had the commit for longer than `max_delay` (by its own
    date) before any publisher saw it, or the ledger knew nothing yet; a post it brought that the ledger
    does not know may have gone out under a ledger since lost, so the platform is asked before it is
    published."""

    at: datetime
    check: bool = False


def sight(seen: dict[str, Sighting], event: Event) -> None:
    """Fold a `seen` event into commit -> first sighting: the first event naming a commit wins, so that a
    later line can never move a commit's time (nor a concurrent publisher's, which the compare-and-swap
    already put after it)."""
    if event_kind(event) != SEEN:
        return
    at, commits, check = parse_time(event.get("at")), event.get("commits"), event.get("check")
    if at is None or not isinstance(commits, list):
        return
    flagged = set(check) if isinstance(check, list) else set()
    for commit in commits:
        if isinstance(commit, str) and commit not in seen:
            seen[commit] = Sighting(at, commit in flagged)


@dataclass(frozen=True)
class PartState:
    """Where one part of one post for one account stands: the event that decided it, and the
    publication it refers to (kept through retraction, which needs the platform id)."""

    status: EventKind
    event: Event
    published: Event | None = None

    @property
    def run(self) -> str | None:
        return self.event.get("run")

    @property
    def lease_until(self) -> datetime | None:
        return parse_time(self.event.get("lease_until"))


def event_kind(event: Event) -> EventKind | None:
    """The kind of `event`, or None for one this postops does not know (from a newer one, or damaged)."""
    value = event.get("event")
    return _KINDS.get(value) if isinstance(value, str) else None


def apply(parts: dict[PartKey, PartState], missed: dict[PairKey, Event], event: Event) -> None:
    """Fold one event into the state of every part (and the missed posts): the ledger's state machine."""
    kind = event_kind(event)
    post, account = event.get("post"), event.get("account")
    if not isinstance(post, str) or not isinstance(account, str):
        return
    if kind == MISSED:
        missed[(post, account)] = event
        return
    part = event.get("part")
    if kind not in PART_EVENTS or not isinstance(part, int):
        return  # an event from a newer postops, or a damaged line: never guess
    key = (post, account, part)
    current = parts.get(key)
    kept = current.published if current else None
    if kind in (CLAIMED, RETRACT_CLAIMED, RETRACTED):
        parts[key] = PartState(kind, event, kept)
    elif kind == PUBLISHED:
        parts[key] = PartState(kind, event, event)
    elif kind in (FAILED, RELEASED, RETRACT_FAILED):
        # Only the claim's own run can close it: a late record from a run whose lease ran out and whose
        # part someone else has claimed since must not undo that newer claim.
        expected = RETRACT_CLAIMED if kind == RETRACT_FAILED else CLAIMED
        if current and current.status == expected and current.run == event.get("run"):
            parts[key] = PartState(kind, event, kept)


@dataclass(frozen=True)
class Ledger:
    """The log read from one commit of the state branch, folded into the state of every part."""

    tip: str | None = None                      # the state branch commit this was read from
    raw: bytes = b""
    parts: dict[PartKey, PartState] = field(default_factory=dict)
    missed: dict[PairKey, Event] = field(default_factory=dict)
    log: tuple[Event, ...] = ()                 # every event that could be read, in order
    damaged: int = 0                            # lines that were not JSON objects (skipped)
    seen: dict[str, Sighting] = field(default_factory=dict)   # main's commit -> when a publisher first saw it
    watched: bool = False    # a `seen` event is here: publishers have recorded what they saw on main since

    @classmethod
    def parse(cls, raw: bytes, tip: str | None = None) -> Ledger:
        events, damaged = _decode(raw)
        parts: dict[PartKey, PartState] = {}
        missed: dict[PairKey, Event] = {}
        seen: dict[str, Sighting] = {}
        for event in events:
            apply(parts, missed, event)
            sight(seen, event)
        return cls(tip, raw, parts, missed, tuple(events), damaged, seen, any(event_kind(e) == SEEN for e in events))

    def extended(self, events: Iterable[Event], tip: str | None = None) -> Ledger:
        """This ledger with `events` appended (in memory; `tip` is the commit that holds them, if any)."""
        events = list(events)
        parts, missed, seen = dict(self.parts), dict(self.missed), dict(self.seen)
        for event in events:
            apply(parts, missed, event)
            sight(seen, event)
        return Ledger(tip if tip is not None else self.tip, _terminated(self.raw) + encode(events), parts, missed,
                      self.log + tuple(events), self.damaged, seen,
                      self.watched or any(event_kind(e) == SEEN for e in events))

    @property
    def knows_posts(self) -> bool:
        """Whether the ledger holds anything about posts (or that a publisher watched main while it had
        none): without it, it is a first run, or the ledger was lost, and nothing tells the two apart."""
        return bool(self.parts or self.missed or self.watched)

    def pairs(self) -> dict[PairKey, dict[int, PartState]]:
        """(post, account) -> part -> state."""
        grouped: dict[PairKey, dict[int, PartState]] = {}
        for (post, account, part), state in self.parts.items():
            grouped.setdefault((post, account), {})[part] = state
        return grouped

    # What lint asks: edits to published posts, and retracted ids coming back.
    def published_hashes(self) -> dict[PairKey, str]:
        """(post, account) -> content hash it was published with, for every post with a part live or
        being published (retracted ones excluded)."""
        found: dict[PairKey, str] = {}
        for (post, account, _), state in self.parts.items():
            if state.status == PUBLISHED and state.published is not None:
                found[(post, account)] = state.published.get("hash", "")
        return found

    def retracted_ids(self) -> frozenset[str]:
        """Post ids with at least one part retracted (or being retracted) on some account."""
        return frozenset(post for (post, _, _), state in self.parts.items()
                         if state.status in (RETRACT_CLAIMED, RETRACTED, RETRACT_FAILED))

    def retired_ids(self) -> frozenset[str]:
        """Post ids taken down everywhere: retracted somewhere and live nowhere. Lint reports such an id
        coming back (dropping one account from a cross-post retracts it there but keeps the id live)."""
        live = {post for (post, _, _), state in self.parts.items() if state.status == PUBLISHED}
        return self.retracted_ids() - live

    def retracted_pairs(self) -> frozenset[PairKey]:
        return frozenset((post, account) for (post, account, _), state in self.parts.items()
                         if state.status in (RETRACT_CLAIMED, RETRACTED, RETRACT_FAILED))


def _terminated(raw: bytes) -> bytes:
    """`raw` ending with a newline, so that an appended event is a line of its own."""
    return raw if not raw or raw.endswith(b"\n") else raw + b"\n"


def encode(events: Iterable[Event]) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                    for e in events)


def _decode(raw: bytes) -> tuple[list[Event], int]:
    lines = [line for line in raw.split(b"\n") if line.strip()]
    if not lines:
        return [], 0
    try:  # one parse for the whole log: several times faster than a parse per line
        events = json.loads(b"[" + b",".join(lines) + b"]")
        if len(events) == len(lines) and all(isinstance(e, dict) for e in events):
            return events, 0
    except (ValueError, RecursionError):   # a line nested deeper than the parser goes is no event either
        pass
    good: list[Event] = []
    for line in lines:
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            good.append(value)
    return good, len(lines) - len(good)


# A fetch that fails is tried this many times before the branch counts as absent (or the fetch as failed).
_FETCH_TRIES = 5
_ABSENT_TRIES = 2
_FETCH_PAUSE = 0.1       # seconds before the second try, doubling: 1.5 s in all


class Store:
    """The state branch of one repository: read it, append to it with compare-and-swap."""

    def __init__(self, root: Path, branch: str, remote: str | None, memory: Path | None = None) -> None:
        self.root = root
        self.branch = branch
        self.remote = remote
        self.local_ref = f"refs/heads/{branch}"
        self.remote_ref = f"refs/remotes/{remote}/{branch}" if remote else None
        self.seen_ref = f"refs/postops/seen/{branch}"   # the newest state this clone has seen
        # The same, in a file that outlives the clone (POSTOPS_LEDGER_MEMORY, which the generated CI keeps in
        # its cache between jobs): every CI job is a fresh clone, which would otherwise remember nothing.
        self.memory = memory
        self.main: str | None = None   # main's commit the appended events were decided on (else main's tip)
        self.refused: str | None = None   # the remote's state the last fetch refused (not taken in), if any
        self._locks: list[Path] | None = None

    def read(self, *, fetch: bool = False) -> Ledger:
        if fetch and self.remote:
            self._fetch()
        return self._read_at(self._base())

    def _fetch(self, *, accept: bool = False) -> None:
        """Fetch the state branch. A ledger is append-only, so a remote branch that no longer contains what
        this clone last saw (its own ref `refs/postops/seen/<branch>`, which no `git fetch` or `git pull`
        moves) was rewound, or deleted, and one whose ledger file does not begin with the ledger of that state
        was rewritten: refused (LedgerTampered) unless `accept` (`postops verify --repair`). What is fetched waits in a ref of its own until it is checked, so that lint and status
        never read a rewound ledger either."""
        assert self.remote and self.remote_ref
        self.refused = None
        # What this clone saw, and what the memory file says earlier clones saw: the branch must contain both.
        remembered = None if accept else self._remembered()   # a repair rewrites the memory, whatever it holds
        known = {commit: whose for commit, whose in ((remembered, f"the ledger memory {self.memory} records"),
                                                     (git.resolve(self.root, self.seen_ref), "this clone saw"))
                 if commit}
        if not known:
            fetched_before = git.resolve(self.root, self.remote_ref)
            known = {fetched_before: "this clone saw"} if fetched_before else {}
        quarantine = f"refs/postops/fetched/{self.branch}"
        # --refmap= : no opportunistic update of the remote-tracking ref through the clone's own forced
        # fetch refspec, which would take in the new state behind this check's back.
        for attempt in range(_FETCH_TRIES):
            result = git.run(self.root, "fetch", "--quiet", "--no-tags", "--refmap=", self.remote,
                             f"+{self.local_ref}:{quarantine}", check=False)
            if result.returncode == 0:
                break
            message = result.stderr.decode("utf-8", "replace").strip()
            # Why it failed is asked of the remote, not read from git's wording.
            listed = git.run(self.root, "ls-remote", "--heads", self.remote, self.local_ref, check=False)
            absent = listed.returncode == 0 and not listed.stdout.strip()
            # A push's housekeeping (packing refs) can hide a branch for a moment, from fetch and from
            # ls-remote alike. An absent ledger makes a fresh clone publish everything again, so absence is
            # asked twice; a branch listed but not fetched, or a remote that did not answer, more often.
            if attempt + 1 < (_ABSENT_TRIES if absent else _FETCH_TRIES):
                time.sleep(_FETCH_PAUSE * 2 ** attempt)
                continue
            if absent:
                break   # the branch is not there: below
            raise LedgerError(f"cannot fetch the ledger branch {self.branch}: "
                              f"{message or f'git exit {result.returncode}'}")
        # The refs below move too: a lock a killed git left on them would fail every run before it wrote.
        self._clear_abandoned_locks()
        if result.returncode != 0:
            if known and not accept:
                commit, whose = next(iter(known.items()))
                raise LedgerTampered(f"the state branch {self.branch} was deleted on {self.remote}; {whose} it "
                                     f"at {commit}. Nothing was published: {RECOVERY.format(branch=self.branch)}")
            for ref in (self.remote_ref, self.seen_ref):
                git.run(self.root, "update-ref", "-d", ref, check=False)
            if self.memory is not None:
                try:
                    self.memory.unlink(missing_ok=True)
                except OSError as exc:   # a file where its folder should be: this run could not start it either
                    raise self._unwritable(exc) from None
            return
        fetched = git.resolve(self.root, quarantine)
        git.run(self.root, "update-ref", "-d", quarantine, check=False)
        assert fetched is not None
        self.refused = fetched   # until the checks below pass: what verify shows
        for commit, whose in known.items():
            if accept or commit == fetched:
                continue
            # a commit this clone does not even have (a fresh clone of a rewound branch) is not contained
            if not git.is_ancestor(self.root, commit, fetched):
                raise LedgerTampered(f"the state branch {self.branch} on {self.remote} was rewound: it is at "
                                     f"{fetched[:12]}, which does not contain {commit}, which {whose}. "
                                     f"Nothing was published: {RECOVERY.format(branch=self.branch)}")
            # A new commit on top may hold any file: one that drops or rewrites lines (the chain recomputed,
            # it is not signed) passes the ancestry check, and a publication it drops goes out again.
            if not self._extends(commit, fetched):
                raise LedgerTampered(f"the state branch {self.branch} on {self.remote} is at {fetched[:12]}, "
                                     f"which does not keep the ledger as {commit} held it, which {whose}: lines "
                                     f"were removed or changed since. Nothing was published: "
                                     f"{RECOVERY.format(branch=self.branch)}")
        self.refused = None
        self._seen(fetched)

    def _extends(self, older: str, newer: str) -> bool:
        """Whether the ledger at `newer` is the one at `older` with lines appended, as Store.append makes it."""
        before = git.read_file(self.root, older, LEDGER_FILE) or b""
        after = git.read_file(self.root, newer, LEDGER_FILE) or b""
        return after.startswith(_terminated(before))

    def _seen(self, commit: str) -> None:
        """Remember `commit` as the newest state seen: in this clone, and in the memory file if there is one."""
        assert self.remote_ref
        for ref in (self.remote_ref, self.seen_ref):
            git.run(self.root, "update-ref", ref, commit)
        if self.memory is not None:
            try:
                write_atomic(self.memory, commit + "\n")
            except OSError as exc:
                raise self._unwritable(exc) from None

    def _unwritable(self, exc: OSError) -> LedgerError:
        return LedgerError(f"cannot write the ledger memory ({MEMORY_VARIABLE}): {exc.strerror}: {self.memory}: "
                           "remove what stands in its way, or point the variable elsewhere", path=str(self.memory))

    def _remembered(self) -> str | None:
        """The commit the memory file holds; None without one. Anything else in it is refused as tampering
        would be: a memory that cannot be read must not quietly become no memory."""
        if self.memory is None or not os.path.lexists(self.memory):   # a link to nothing is damage, not absence
            return None
        text = _read_memory(self.memory)
        if not _COMMIT_ID.fullmatch(text):
            raise LedgerTampered(f"{self.memory}:1: the ledger memory (POSTOPS_LEDGER_MEMORY) holds no commit id "
                                 f"({text[:60]!r}). Nothing was published: if nothing happened to "
                                 f"{self.branch}, accept it as it is with `postops verify --repair --reason "
                                 "\"...\"`, which rewrites the memory")
        return text

    def _clear_abandoned_locks(self) -> None:
        """A git process killed while it moved the state branch leaves its lock file, and every later update
        of that ref fails: each run would claim, then abort. Remove it once it is provably abandoned."""
        if self._locks is None:
            self._locks = [git.ref_lock(self.root, ref) for ref in (self.local_ref, self.remote_ref) if ref]
        for lock in self._locks:
            if lock.exists() and lock_abandoned(lock):
                lock.unlink(missing_ok=True)

    def accept_remote(self) -> None:
        """Take the remote's state branch as it is, rewound or deleted: the repair path, never a publish."""
        if self.remote:
            self._fetch(accept=True)

    def main_tip(self) -> str | None:
        branch = git.default_branch(self.root, self.remote)
        return git.resolve(self.root, f"refs/remotes/{self.remote}/{branch}" if self.remote else f"refs/heads/{branch}")

    def _base(self) -> str | None:
        local = git.resolve(self.root, self.local_ref)
        if not self.remote_ref:
            return local
        # The remote is the shared truth; a local branch only counts while the remote has none yet.
        return git.resolve(self.root, self.remote_ref) or local

    def read_refused(self) -> Ledger | None:
        """The remote's state the last fetch refused, read without taking it in: for `postops verify`."""
        return self._read_at(self.refused) if self.refused else None

    def _read_at(self, tip: str | None) -> Ledger:
        if tip is None:
            return Ledger()
        raw = git.read_file(self.root, tip, LEDGER_FILE)
        if raw is None:
            raise LedgerError(f"branch {self.branch} has no {LEDGER_FILE}: it is not a postops ledger "
                              "(set state.branch in postops.yaml to another branch)")
        return Ledger.parse(raw, tip)

    def append(self, ledger: Ledger, events: Sequence[Event], message: str) -> Ledger | None:
        """`ledger` with `events` appended and committed, or None if the branch moved since `ledger`
        was read (re-read, decide again, retry)."""
        self._clear_abandoned_locks()
        events = chained(ledger.raw, events, self.main or self.main_tip())
        new_raw = _terminated(ledger.raw) + encode(events)
        commit = git.commit_file(self.root, LEDGER_FILE, new_raw, ledger.tip, message)
        if self.remote:
            if not git.push(self.root, self.remote, commit, self.branch):
                return None
            git.run(self.root, "update-ref", self.local_ref, commit)
            # pushed: a memory that cannot be written still holds an older state, and the next fetch says so
            with contextlib.suppress(LedgerError):
                self._seen(commit)
        elif not git.compare_and_swap(self.root, self.local_ref, commit, ledger.tip):
            return None
        return ledger.extended(events, tip=commit)


def _read_memory(path: Path) -> str:
    """What a memory file holds, stripped, or why it cannot be read: never more than a commit id's worth, and
    never from anything but a regular file (a named pipe would keep the read waiting for ever)."""
    try:
        if not path.is_file():
            return "<not a regular file>"
        with path.open("rb") as handle:
            return handle.read(_MEMORY_BYTES).decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return f"<{exc}>"


def lint_state(root: Path, config: Config, ledger: Ledger | None = None) -> PublishedState | None:
    """What lint must respect from the ledger (`ledger`, else read here), or None without a ledger. Here rather
    than in publish/gate, so that `postops lint` reads the ledger without importing the planner."""
    from postops.lint.engine import PublishedState  # noqa: PLC0415 - the engine does not import the ledger

    ledger = ledger or read_ledger(root, config)
    if ledger.tip is None:
        return None
    return PublishedState(published=ledger.published_hashes(), retracted=ledger.retired_ids())


def open_store(root: Path, config: Config, env: Mapping[str, str] | None = None) -> Store:
    """The store of `root`'s state branch, with the memory file POSTOPS_LEDGER_MEMORY names, if any."""
    memory = (os.environ if env is None else env).get(MEMORY_VARIABLE, "").strip()
    return Store(root, config.state_branch, git.remote(root), Path(memory) if memory else None)


def read_ledger(root: Path, config: Config) -> Ledger:
    """The ledger as this repository last saw it, without fetching: for lint and status.

    Reads the state branch named in `config.state_branch` from the local branch or the remote-tracking
    one, whichever is newer. An absent branch is an empty ledger.
    """
    branch = config.state_branch
    local = git.resolve(root, f"refs/heads/{branch}")
    tracking = git.resolve(root, f"refs/remotes/{git.REMOTE}/{branch}")
    tip = local or tracking
    if local and tracking and local != tracking and git.is_ancestor(root, local, tracking):
        tip = tracking
    return Store(root, branch, None)._read_at(tip)

