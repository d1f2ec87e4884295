"""`postops log`: the audit trail of each post, read back from git history and the ledger.

Who wrote each change comes from the commits that made it (on a branch or on main), how it reached main
from main's own line of commits (a pull request's merge or squash commit, or a push straight to main), who
approved it from the claims the approval check recorded, and what went out where from the ledger. History
is read in one `git log` process for the whole repository, whatever the number of posts or commits.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops import report
from postops.errors import PostopsError, UsageError
from postops.publish.ledger import (
    CLAIMED,
    FAILED,
    MISSED,
    PUBLISHED,
    RELEASED,
    RETRACT_CLAIMED,
    RETRACT_FAILED,
    RETRACTED,
    Event,
    EventKind,
    PairKey,
    PartKey,
    PartState,
    apply,
    event_kind,
    read_ledger,
)
from postops.repo import git
from postops.repo.config import Config, load_config
from postops.repo.posts import POSTS_DIR, declared_ids, discover, is_post_file, post_id_from_path
from postops.repo.yamlfile import MAX_BYTES_CEILING, read_head
from postops.times import parse_time

Echo = Callable[[str], None]

# Events at the same moment read in this order: a change is written, then lands, then goes out.
_RANK = {"added": 0, "changed": 0, "moved": 0, "deleted": 0, "merged": 1, "pushed": 1}
_LEDGER_RANK = 2

_GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
_SQUASH = re.compile(r"\s*\(#(\d+)\)\s*$")
_GITLAB = re.compile(r"^See merge request (\S*?)!(\d+)\s*$", re.MULTILINE)
_MEDIA_REF = re.compile(r"^[\s-]*path:\s*['\"]?([^'\"#\r\n]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


class NotARepository(PostopsError):
    exit_code = 2


class UnknownPost(PostopsError):
    pass


@dataclass(frozen=True)
class AuditEvent:
    """One line of a post's trail. `commit` is a full sha; `part` counts from 1 (the post itself), as in
    `postops status`."""

    at: datetime
    event: str
    detail: str
    commit: str | None = None
    author: str | None = None
    pull: int | None = None
    account: str | None = None
    part: int | None = None
    url: str | None = None
    by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"at": _iso(self.at), "event": self.event, "commit": self.commit, "author": self.author,
                "pull": self.pull, "account": self.account, "part": self.part, "url": self.url, "by": self.by,
                "detail": self.detail}


@dataclass(frozen=True)
class PostTrail:
    post: str
    path: str | None                # where the post is on main now, else where it last was
    events: tuple[AuditEvent, ...]


@dataclass(frozen=True)
class AuditLog:
    posts: tuple[PostTrail, ...]
    ledger_branch: str
    ledger_commit: str | None       # None: no publish run has happened yet
    timezone: str


# ------------------------------------------------------------------------------------------ git history

@dataclass
class _Collected:
    """Everything found so far, per post id, with an insertion counter that keeps same-time events stable."""

    events: dict[str, list[tuple[datetime, int, int, AuditEvent]]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)             # id -> latest path seen in history
    seq: int = 0

    def add(self, post: str, event: AuditEvent, rank: int) -> None:
        self.seq += 1
        self.events.setdefault(post, []).append((event.at.astimezone(UTC), rank, self.seq, event))


class _Ids:
    """path -> post id: the `id:` of files on main now, else the file's stem; a file moved to another folder
    (deleted and added with the same name in one commit) keeps the id it has at its new place. Fed commits
    newest first, so that a move is known before the older commits at the old path."""

    def __init__(self, at_head: Mapping[str, str]) -> None:
        self._of = dict(at_head)

    def __call__(self, path: str) -> str:
        return self._of.get(path) or post_id_from_path(path)

    def moves(self, changes: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """id -> (old path, new path) for the moves among one commit's changes."""
        deleted = {post_id_from_path(p): p for s, p in changes if s == "D" and _is_post_path(p)}
        found = {}
        for status, path in changes:
            old = deleted.get(post_id_from_path(path)) if status == "A" and _is_post_path(path) else None
            if old is not None:
                self._of.setdefault(old, self(path))
                found[self(path)] = (old, path)
        return found


def _is_post_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith(POSTS_DIR + "/") and is_post_file(name) and not name.startswith(".")


def _touched(commit: git.LoggedCommit, ids: _Ids, media_users: Mapping[str, set[str]],
             ) -> dict[str, tuple[str, str | None, str]]:
    """id -> (what happened to it, the post file's path after it, what to add) for every post this commit
    changed, its own file or a media file it attaches."""
    found: dict[str, tuple[str, str | None, str]] = {
        post: ("moved", new, f"from {old} to {new}") for post, (old, new) in ids.moves(commit.changes).items()}
    for status, path in commit.changes:
        if _is_post_path(path):
            found.setdefault(ids(path), ({"A": "added", "D": "deleted"}.get(status, "changed"), path, ""))
    for _, path in commit.changes:   # the post's own file says more than its media
        for post in sorted(media_users.get(path, ())):
            found.setdefault(post, ("changed", None, f"its media file {path}"))
    return found


def _landing(commit: git.LoggedCommit) -> tuple[str, int | None, str, str]:
    """How a commit of main's first-parent line got there: (merged | pushed, pull request, by whom, detail)."""
    merge = len(commit.parents) > 1
    # A merge commit's author is who merged (GitHub's web merges are committed by "GitHub" itself); a squash
    # commit is authored by the pull request's author and committed by whoever merged it.
    by = commit.author if merge else commit.committer
    body_title = commit.body.split("\n", 1)[0].strip()
    match = _GITHUB_MERGE.match(commit.subject)
    if match:
        title = body_title or match.group(2)
        return "merged", int(match.group(1)), by, f"pull request #{match.group(1)} merged by {by}: {title}"
    match = _GITLAB.search(commit.body)
    if match:
        title = body_title if body_title and not _GITLAB.match(body_title) else commit.subject
        return "merged", int(match.group(2)), by, f"merge request !{match.group(2)} merged by {by}: {title}"
    match = _SQUASH.search(commit.subject)
    if match:
        title = commit.subject[:match.start()]
        return "merged", int(match.group(1)), by, f"pull request #{match.group(1)} squash-merged by {by}: {title}"
    if merge:
        return "pushed", None, by, (f"merge commit pushed straight to main by {by}, without a pull request: "
                                    f"{commit.subject}")
    return "pushed", None, by, f"straight to main by {by}, without a pull request"


def _main_ref(root: Path) -> str | None:
    """Main as this clone last saw it: the remote's branch when there is a remote (a local commit that was
    never pushed has not landed), else the local one."""
    remote = git.remote(root)
    branch = git.default_branch(root, remote)
    for ref in ([f"refs/remotes/{remote}/{branch}"] if remote else []) + [f"refs/heads/{branch}", "HEAD"]:
        if git.resolve(root, ref):
            return ref
    return None


@dataclass
class _MainLine:
    """Main's first-parent line (the commits that landed on main, each bringing a pull request or a push),
    newest first, and where each post was touched on it."""

    commits: list[git.LoggedCommit] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)         # sha -> index in `commits`
    touches: dict[str, list[int]] = field(default_factory=dict)    # id -> indexes, ascending (newest first)

    def content_commit(self, post: str, commit: Any, at: datetime | None) -> git.LoggedCommit | None:
        """The commit on main that last changed `post` at or before `commit` (else before `at`): the one
        that brought the content a run published, or took it off main before a run retracted it."""
        indexes = self.touches.get(post, [])
        start = self.position.get(commit) if isinstance(commit, str) else None
        for index in indexes:
            if start is not None and index >= start:
                return self.commits[index]
            if start is None and at is not None and self.commits[index].committed <= at:
                return self.commits[index]
        return None


def _history(root: Path, collected: _Collected, ids_at_head: Mapping[str, str],
             media_users: Mapping[str, set[str]]) -> _MainLine:
    main = _MainLine()
    ref = _main_ref(root)
    if ref is None:
        return main
    # One walk over all of main's history: every commit with its parents, a merge's changes taken against its
    # first parent (what the merge brought to main). Children come before their parents, so the tip is first.
    everything = git.log(root, ref, "--date-order", "--diff-merges=first-parent")
    by_sha = {commit.sha: commit for commit in everything}
    line = everything[0] if everything else None
    while line is not None:
        main.commits.append(line)
        line = by_sha.get(line.parents[0]) if line.parents else None
    ids = _Ids(ids_at_head)
    for index, commit in enumerate(main.commits):
        main.position[commit.sha] = index
        touched = _touched(commit, ids, media_users)
        if not touched:
            continue
        event, pull, by, detail = _landing(commit)
        for post, (_, path, _) in touched.items():
            main.touches.setdefault(post, []).append(index)
            if path is not None:
                collected.paths.setdefault(post, path)
            collected.add(post, AuditEvent(commit.committed, event, detail, commit.sha, commit.author, pull, by=by),
                          _RANK[event])
    ids = _Ids(ids_at_head)
    for commit in everything:
        if len(commit.parents) > 1:
            continue  # a merge wrote nothing itself: its changes are its branch's commits
        for post, (what, path, note) in _touched(commit, ids, media_users).items():
            if path is not None:
                collected.paths.setdefault(post, path)
            detail = f"by {commit.author}{', ' + note if note else ''}: {commit.subject}"
            collected.add(post, AuditEvent(commit.authored, what, detail, commit.sha, commit.author, by=commit.author),
                          _RANK[what])
    return main


# ------------------------------------------------------------------------------------------------ ledger

def _when(event: Event) -> datetime:
    return parse_time(event.get("at"), UTC) or datetime.fromtimestamp(0, UTC)


def _where(event: Event) -> str:
    part = event.get("part")
    return f"@{event.get('account')}" + (f" part {part + 1}" if isinstance(part, int) else "")


def _claimed_what(claim: Event) -> str:
    return "retraction" if claim.get("event") == RETRACT_CLAIMED else "publication"


class _LedgerTrail:
    """The ledger's events as trail events. Which claims are open follows the ledger's own state machine
    (ledger.apply): a claim is closed exactly when the ledger says it is."""

    def __init__(self, main: _MainLine, collected: _Collected) -> None:
        self.main = main
        self.collected = collected
        self.parts: dict[PartKey, PartState] = {}
        self.missed: dict[PairKey, Event] = {}
        self.open_claims: dict[PartKey, Event] = {}           # in the order they were opened
        self.approvals_seen: set[tuple[str, str, Any, tuple[str, ...]]] = set()
        self.urls: dict[PartKey, Any] = {}                    # a retraction names the URL that was taken down

    def read(self, events: Iterable[Event], now: datetime) -> None:
        for event in events:
            self._fold(event)
            self._show(event)
        for claim in self.open_claims.values():
            self._still_open(claim, now)

    def _fold(self, event: Event) -> None:
        """Apply `event` to the parts; a claim that takes over another run's open claim shows that one in doubt."""
        kind, part = event_kind(event), event.get("part")
        if not isinstance(part, int) or not isinstance(event.get("account"), str):
            apply(self.parts, self.missed, event)  # not a part event the ledger counts: nothing opens or closes
            return
        key = (event["post"], event["account"], part)
        previous = self.open_claims.get(key)
        if kind in (CLAIMED, RETRACT_CLAIMED) and previous is not None and previous.get("run") != event.get("run"):
            self._add(previous, "in-doubt", f"{_where(event)}: run {previous.get('run')} claimed its "
                                            f"{_claimed_what(previous)} and recorded no outcome; run "
                                            f"{event.get('run')} took it over")
        apply(self.parts, self.missed, event)
        state = self.parts.get(key)
        if state is not None and state.status in (CLAIMED, RETRACT_CLAIMED):
            self.open_claims[key] = state.event
        else:
            self.open_claims.pop(key, None)

    def _source(self, event: Event) -> str | None:
        found = self.main.content_commit(event["post"], event.get("commit"), _when(event))
        return found.sha if found else event.get("commit")

    def _add(self, event: Event, kind: str, detail: str, **fields: Any) -> None:
        """A trail event for the post of ledger `event`, at its time, from the run that wrote it."""
        part = event.get("part")
        shown = part + 1 if isinstance(part, int) else None
        fields.setdefault("commit", self._source(event))
        self.collected.add(event["post"], AuditEvent(_when(event), kind, detail, account=event.get("account"),
                                                     **{"part": shown, "by": event.get("run"), **fields}),
                           _LEDGER_RANK)

    def _show(self, event: Event) -> None:
        kind = event_kind(event)
        if kind == CLAIMED:
            self._approval(event)
        elif kind == PUBLISHED:
            self._published(event)
        elif kind == FAILED:
            retry = "; a later run tries again" if event.get("retryable") else ""
            self._add(event, "failed", f"{_where(event)}: {event.get('error')}{retry} (run {event.get('run')})")
        elif kind == RELEASED:
            reason = event.get("reason") or event.get("error") or "claim given up"
            self._add(event, "released", f"{_where(event)}: {reason}; due again (run {event.get('run')})")
        elif kind == MISSED:
            self._add(event, "missed", f"@{event.get('account')}: publish_at {event.get('publish_at')} had passed "
                                       f"by more than max_delay; never published (run {event.get('run')})", part=None)
        elif kind in (RETRACTED, RETRACT_FAILED):
            self._retracted(event)
        elif kind == EventKind.RETRACT_REQUESTED:
            self._add(event, "retract-requested", f"@{event.get('account')}: `postops retract` by {event.get('by')}: "
                                                  f"{event.get('reason')}; the id is never published again",
                      part=None, commit=None, by=event.get("by"))

    def _approval(self, claim: Event) -> None:
        """The approval a claim recorded, once per pull request and set of approvers."""
        pull, approvers, account = claim.get("pull"), claim.get("approved_by"), claim.get("account")
        if pull is None or not isinstance(approvers, list):
            return
        names = tuple(str(a) for a in approvers)
        seen = (claim["post"], str(account), pull, names)
        if seen in self.approvals_seen:
            return
        self.approvals_seen.add(seen)
        self.collected.add(claim["post"], AuditEvent(
            _when(claim), "approved", f"pull request #{pull} approved by {', '.join(names) or 'nobody'} for "
            f"@{account} (checked at publish time)",
            pull=pull if isinstance(pull, int) else None, account=account, by=", ".join(names)), _LEDGER_RANK)

    def _published(self, event: Event) -> None:
        url = event.get("url")
        self.urls[_key(event)] = url
        found = " (found on the platform: its claim had been in doubt)" if event.get("resolved") else ""
        published_as = url or event.get("platform_id") or (
            f"before postops, by {event.get('imported')} ({event.get('imported_from')})" if event.get("imported")
            else None)
        self._add(event, "published", f"{_where(event)}: {published_as}{found} (run {event.get('run')})", url=url)

    def _retracted(self, event: Event) -> None:
        removal = self.main.content_commit(event["post"], event.get("commit"), _when(event))
        because = f" after {removal.sha[:7]} took the post off main" if removal else ""
        url = event.get("url") or self.urls.get(_key(event))
        run = event.get("run")
        if event_kind(event) == RETRACTED:
            kind, detail = "retracted", f"{_where(event)}: {url or event.get('platform_id')} taken down{because} (run {run})"
        else:
            kind, detail = "retract-failed", f"{_where(event)}: could not take it down: {event.get('error')} (run {run})"
        self._add(event, kind, detail, commit=removal.sha if removal else event.get("commit"), url=url)

    def _still_open(self, claim: Event, now: datetime) -> None:
        lease = parse_time(claim.get("lease_until"), UTC)
        what, run = _claimed_what(claim), claim.get("run")
        if lease is not None and lease > now:
            self._add(claim, "claimed", f"{_where(claim)}: run {run} is at work on its {what} "
                                        f"(lease until {lease.isoformat()})")
        else:
            self._add(claim, "in-doubt", f"{_where(claim)}: run {run} claimed its {what} and recorded no "
                                         "outcome; the next publish run asks the platform before anything else")


# Trails of what is not about one post: their names cannot be post ids, which never hold "(" or " ".
PAUSE_TRAIL = "(pause)"


def _account_events(events: Iterable[Event], collected: _Collected) -> None:
    """Pauses and resumes on the state branch, and posts made outside postops, as trails of their own."""
    for event in events:
        kind, at, by = event_kind(event), _when(event), event.get("by")
        if kind == EventKind.PAUSED:
            collected.add(PAUSE_TRAIL, AuditEvent(at, "paused", f"on the state branch by {by}: {event.get('reason')}",
                                                  by=by), _LEDGER_RANK)
        elif kind == EventKind.RESUMED:
            collected.add(PAUSE_TRAIL, AuditEvent(at, "resumed", f"on the state branch by {by}", by=by), _LEDGER_RANK)
        elif kind == EventKind.UNMANAGED:
            account = event.get("account")
            findings = event.get("findings") or []
            taken = "; deleted (unmanaged: delete)" if event.get("action") == "delete" else ""
            detail = (f"@{account}: posted outside postops at {event.get('posted_at')}: {event.get('text')!r}"
                      + (f"; {len(findings)} policy findings: {'; '.join(map(str, findings))}" if findings else "")
                      + taken)
            collected.add(f"(unmanaged @{account} {event.get('platform_id')})",
                          AuditEvent(at, "unmanaged", detail, account=str(account), url=event.get("url"),
                                     by=event.get("run")), _LEDGER_RANK)


def _key(event: Event) -> PartKey:
    part = event.get("part")
    return (event["post"], str(event.get("account")), part if isinstance(part, int) else -1)


# ---------------------------------------------------------------------------------------------- the trail

def _posts_at_head(root: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """path -> id for every post file on main now, and media path -> ids of the posts that attach it."""
    files = discover(root)
    ids = {path: post for post, paths in declared_ids(root, files).items() for path in paths}
    media_users: dict[str, set[str]] = {}
    for path in files:
        try:
            # bounded: lint reads no post file larger, and a named pipe is refused rather than waited on
            text = read_head(root / path, MAX_BYTES_CEILING)[0].decode("utf-8", "replace")
        except OSError:
            continue
        if "path:" in text:
            for match in _MEDIA_REF.finditer(text):
                media_users.setdefault(match.group(1).strip(), set()).add(ids[path])
    return ids, media_users


def audit_trail(root: Path, config: Config, *, post: str | None = None, now: datetime | None = None) -> AuditLog:
    """The trail of every post (or of `post`, an id or a post file's path) from main's history and the
    ledger. Raises UnknownPost, naming near matches, for an id that neither has ever held."""
    if not git.is_repository(root):
        raise NotARepository(f"{root} is not a git repository: postops log reads the history of main")
    ledger = read_ledger(root, config)
    # a damaged line is skipped: `postops status` reports those, the trail shows what can be read
    events = [e for e in ledger.log if isinstance(e.get("post"), str)]
    # A file no longer on main is known by the id the ledger recorded for its path (a deleted post may have
    # declared its own `id:`), else by its name.
    ledger_ids = {e["path"]: e["post"] for e in events if isinstance(e.get("path"), str)}
    ids_at_head, media_users = _posts_at_head(root)
    collected = _Collected()
    main = _history(root, collected, {**ledger_ids, **ids_at_head}, media_users)
    _LedgerTrail(main, collected).read(events, now or datetime.now(UTC))
    _account_events(ledger.log, collected)
    at_head = {post_id: path for path, post_id in sorted(ids_at_head.items(), reverse=True)}
    ledger_paths = {post_id: path for path, post_id in ledger_ids.items()}
    wanted = sorted(collected.events)
    if post is not None:
        name = ids_at_head.get(post) or (post_id_from_path(post) if "/" in post else post)
        if name not in collected.events:
            close = difflib.get_close_matches(name, wanted, n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownPost(f"no post {post!r} in the history of main or in the ledger{hint}")
        wanted = [name]
    trails = []
    for name in wanted:
        in_order = tuple(e for *_, e in sorted(collected.events[name], key=lambda item: item[:3]))
        path = at_head.get(name) or collected.paths.get(name) or ledger_paths.get(name)
        trails.append(PostTrail(name, path, in_order))
    return AuditLog(tuple(trails), config.state_branch, ledger.tip, config.timezone)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def log_command(root: Path, *, post: str | None, fmt: str, echo: Echo, now: datetime | None = None,
                output: str | Path | None = None, account: str | None = None, since: datetime | None = None) -> int:
    """`postops log`: print the trail of `post` (or of every post) in `fmt`, only about `account` and only
    what happened at or after `since` when given."""
    report.check_format("log", fmt)
    config = load_config(root)
    if account is not None:
        known_account(config, account)
    log = only(audit_trail(root, config, post=post, now=now), account=account, since=since)
    report.write(report.render_report("log", fmt, log), echo, output)
    return 0


def known_account(config: Config, account: str) -> None:
    """A UsageError naming the accounts there are, for a filter on an account postops.yaml does not have."""
    if account not in config.accounts:
        close = difflib.get_close_matches(account, list(config.accounts), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(f"--account {account!r} is not an account in postops.yaml ({hint}accounts: "
                         f"{', '.join(sorted(config.accounts))})")


def only(log: AuditLog, *, account: str | None, since: datetime | None) -> AuditLog:
    """The trails of posts for `account` (a post lives under one of its accounts' folders; a ledger event
    names its account), keeping the events about no account or that one, at or after `since`. A post with
    no event left is left out."""
    trails = []
    for trail in log.posts:
        events = trail.events
        if account is not None:
            if not (any(e.account == account for e in events)
                    or (trail.path or "").startswith(f"{POSTS_DIR}/{account}/")):
                continue
            events = tuple(e for e in events if e.account in (None, account))
        if since is not None:
            events = tuple(e for e in events if e.at >= since)
        if events:
            trails.append(PostTrail(trail.post, trail.path, events))
    return replace(log, posts=tuple(trails))
