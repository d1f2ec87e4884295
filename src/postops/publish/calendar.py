"""`postops calendar`: every post and account placed in time with its state, for a team to look at.

The states are those of `postops status` (publish.status.post_states over the same plan and ledger); this
module only adds what a calendar shows besides: the text, media and length of each part, the account's
handle and timezone, and when the entry last changed (for the iCalendar SEQUENCE). A post that was
retracted is no longer on main: its text is read from the commit it was published from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from postops import report
from postops.errors import UsageError
from postops.lint.facts import LIMITS, UNITS, measure, part_facts
from postops.platforms.spec import SPECS
from postops.publish.commands import Echo, States, _open, changed_posts, read_states
from postops.publish.gate import LintFn, lint_verdicts
from postops.publish.ledger import RETRACTED, Ledger
from postops.repo import git
from postops.repo.config import Account, Config
from postops.repo.posts import POSTS_DIR, Part, Post, build_post, is_post_file, post_id_from_path
from postops.repo.yamlfile import YamlProblem, parse
from postops.report.calendar.model import Calendar, CalendarPart, Entry, Mark, MediaItem
from postops.times import parse_option_time as parse_instant
from postops.times import parse_time

# Images larger than this are not embedded in the page (it must stay small enough to mail or upload).
MEDIA_CAP = 512 * 1024
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp"}


def parse_bound(text: str, timezone: str, *, end: bool) -> datetime:
    """--from/--until: a time as every time option reads it (without an offset, in `timezone`), or, for a
    calendar, also a date alone (for --until, that whole day is included)."""
    raw = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise UsageError(f"not a date: {text!r}") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(), ZoneInfo(timezone))
    return parse_instant(raw, lambda: timezone)


def build_calendar(root: Path, config: Config, states: States, *, now: datetime, accounts: Iterable[str] = (),
                   start: datetime | None = None, end: datetime | None = None,
                   changed: set[str] | None = None, changed_since: str | None = None,
                   with_media: bool = False) -> Calendar:
    wanted = list(dict.fromkeys(accounts))
    unknown = [a for a in wanted if a not in config.accounts]
    if unknown:
        raise UsageError(f"--account {unknown[0]}: no such account in postops.yaml "
                         f"(accounts: {', '.join(config.accounts)})")
    shown = {k: a for k, a in config.accounts.items() if not wanted or k in wanted}
    touched = changed_posts(states.desired, changed) if changed is not None else None
    old_posts = _RetractedPosts(root, config, states.ledger)
    arrivals = {(t.post, t.account): t.arrived_at for t in states.desired.targets}
    changes = _ledger_changes(states.ledger)
    retractions = _retractions(states.ledger)
    entries = []
    for state in states.states:
        key = (state["post"], state["account"])
        if key[1] not in shown:
            continue
        post: Post | None = states.desired.posts.get(key[0])
        old_commit = None
        if post is None:   # no longer on main: as it was when published
            post, old_commit = old_posts.get(*key), old_posts.commit_of(*key)
        updated = max((t for t in (arrivals.get(key), changes.get(key)) if t is not None), default=None)
        entry = _entry(root, config, state, post, updated, states.ledger, with_media=with_media,
                       changed=bool(touched and touched(key[0])), old_commit=old_commit,
                       retracted_at=retractions.get(key) if state["state"] == "retracted" else None)
        if entry.when is not None and ((start and entry.when < start) or (end and entry.when >= end)):
            continue
        if entry.when is None and (start or end):
            continue
        entries.append(entry)
    far = datetime.max.replace(tzinfo=UTC)
    entries.sort(key=lambda e: (e.when or far, e.post, e.account))
    return Calendar(now, shown, tuple(entries), (git.root_commit(root) if git.is_repository(root) else None)
                    or "local", start, end, changed_since)


def _entry(root: Path, config: Config, state: Mapping[str, Any], post: Post | None, updated: datetime | None,
           ledger: Ledger, *, with_media: bool, changed: bool, old_commit: str | None,
           retracted_at: datetime | None) -> Entry:
    account = config.accounts.get(state["account"])
    published_at = parse_time(state.get("published_at"))
    when = (post.publish_at if post else None) or published_at or parse_time(state.get("at"))
    parts = tuple(_part(root, post, part, account, state, with_media=with_media, old_commit=old_commit)
                  for part in post.parts) if post is not None else ()
    reason = state.get("error") or None
    missed = ledger.missed.get((state["post"], state["account"]))
    if state["state"] == "missed" and not reason:
        due = (missed or {}).get("publish_at") or state.get("at")
        reason = f"due {due}: too late, never published" if due else "too late, never published"
    return Entry(post=state["post"], account=state["account"], when=when, state=state["state"],
                 url=state.get("url"), published_at=published_at, reason=reason, parts=parts,
                 path=post.path if post else None, labels=post.labels if post else (), changed=changed,
                 updated=updated, retracted_at=retracted_at)


def _part(root: Path, post: Post, part: Part, account: Account | None, state: Mapping[str, Any], *,
          with_media: bool, old_commit: str | None) -> CalendarPart:
    measures = measure(part.text)
    marks = _marks(part_facts(post, part, account, state["account"], measures).spans)
    platform = account.platform if account else ""
    length = measures.length_on(SPECS[platform], account) if platform in LIMITS else None
    recorded: Mapping[str, Any] = next((p for p in state.get("parts", []) if p["part"] == part.index + 1), {})
    media = tuple(_media(root, m.path, m.alt, old_commit) if with_media else MediaItem(m.path, m.alt, None, None, None)
                  for m in part.media)
    limit = SPECS[platform].text_limit_for(account) if platform in LIMITS else None
    return CalendarPart(part.index, part.text, marks, media, length, limit, UNITS.get(platform),
                        recorded.get("state", state["state"]), recorded.get("url"))


def _marks(spans: Mapping[tuple[str, int], tuple[int, int]]) -> tuple[Mark, ...]:
    """Links, mentions and tags as lint's facts found them; where they overlap (an @ inside a URL), the
    link wins."""
    kinds = {"urls": "url", "mentions": "mention", "hashtags": "hashtag"}
    found = sorted(((kinds[name], start, end) for (name, _), (start, end) in spans.items() if name in kinds),
                   key=lambda m: (m[1], m[0] != "url", -m[2]))
    marks: list[Mark] = []
    for kind, start, end in found:
        if marks and start < marks[-1].end:
            continue
        marks.append(Mark(kind, start, end))
    return tuple(marks)


def _media(root: Path, path: str, alt: str | None, commit: str | None) -> MediaItem:
    mime = _IMAGE_TYPES.get(Path(path).suffix.lower())
    if commit:
        data = git.read_file(root, commit, path)
        return _item(path, alt, mime, data, len(data) if data is not None else None)
    target = (root / path).resolve()
    try:
        # only files inside the repository: a post must not be able to put /etc/passwd into the page
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            return _item(path, alt, mime, None, None)
        size = target.stat().st_size
        # a video or a huge image is never read whole just to be left out
        data = target.read_bytes() if mime and size <= MEDIA_CAP else None
    except (OSError, ValueError):   # ValueError: a NUL in the path (lint reports it)
        return _item(path, alt, mime, None, None)
    return _item(path, alt, mime, data, size)


def _item(path: str, alt: str | None, mime: str | None, data: bytes | None, size: int | None) -> MediaItem:
    keep = data if data is not None and mime and len(data) <= MEDIA_CAP else None
    return MediaItem(path, alt, mime, keep, size)


def _latest(times: Iterable[tuple[tuple[str, str], Any]]) -> dict[tuple[str, str], datetime]:
    """(post, account) -> the latest of the times given for it (ISO strings; others are skipped)."""
    latest: dict[tuple[str, str], datetime] = {}
    for key, value in times:
        when = parse_time(value)
        if when is not None and (key not in latest or when > latest[key]):
            latest[key] = when
    return latest


def _retractions(ledger: Ledger) -> dict[tuple[str, str], datetime]:
    """(post, account) -> when its retraction finished: the last part deleted (the first, parts go last to first)."""
    return _latest(((post, account), part.event.get("at")) for (post, account, _), part in ledger.parts.items()
                   if part.status == RETRACTED)


def _ledger_changes(ledger: Ledger) -> dict[tuple[str, str], datetime]:
    """(post, account) -> its latest ledger event's time: with the commit that brought its content to main,
    the entry's last change."""
    return _latest([*(((post, account), part.event.get("at")) for (post, account, _), part in ledger.parts.items()),
                    *(((post, account), (part.published or {}).get("at"))
                      for (post, account, _), part in ledger.parts.items()),
                    *((key, event.get("at")) for key, event in ledger.missed.items())])


class _RetractedPosts:
    """Posts that are in the ledger but not on main, read from the commit they were published from."""

    def __init__(self, root: Path, config: Config, ledger: Ledger) -> None:
        self.root, self.config = root, config
        self.commits: dict[tuple[str, str], str] = {}
        for (post, account, _), part in ledger.parts.items():
            commit = (part.published or part.event).get("commit")
            if isinstance(commit, str) and (post, account) not in self.commits:
                self.commits[(post, account)] = commit
        self.trees: dict[str, dict[str, str]] = {}

    def commit_of(self, post: str, account: str) -> str | None:
        return self.commits.get((post, account))

    def get(self, post: str, account: str) -> Post | None:
        commit = self.commits.get((post, account))
        if commit is None or not git.is_repository(self.root):
            return None
        paths = self._ids_at(commit)
        rel = paths.get(post)
        raw = git.read_file(self.root, commit, rel) if rel else None
        if raw is None:
            return None
        try:
            return build_post(parse(raw, rel or "", self.config.max_file_bytes), self.config)
        except YamlProblem:
            return None

    def _ids_at(self, commit: str) -> dict[str, str]:
        if commit not in self.trees:
            ids: dict[str, str] = {}
            for rel in git.list_files(self.root, commit, POSTS_DIR):
                if is_post_file(rel):
                    ids.setdefault(post_id_from_path(rel), rel)
            self.trees[commit] = ids
        return self.trees[commit]


def calendar_command(root: Path, *, fmt: str, now: datetime | None, echo: Echo, accounts: Iterable[str] = (),
                     start: str | None = None, end: str | None = None, changed_since: str | None = None,
                     output: str | Path | None = None, lint: LintFn = lint_verdicts, err: Echo | None = None) -> int:
    report.check_format("calendar", fmt)
    base, config = _open(root)
    moment = now or datetime.now(UTC)
    lower = parse_bound(start, config.timezone, end=False) if start else None
    upper = parse_bound(end, config.timezone, end=True) if end else None
    if lower and upper and upper <= lower:
        raise UsageError(f"--until {end} is not after --from {start}")
    states = read_states(base, config, now=moment, lint=lint, err=err or echo)
    changed = git.changed_paths(base, changed_since) if changed_since else None
    calendar = build_calendar(base, config, states, now=moment, accounts=accounts, start=lower, end=upper,
                              changed=changed, changed_since=changed_since, with_media=fmt == "html")
    report.write(report.render_report("calendar", fmt, calendar), echo, output)
    return 0
