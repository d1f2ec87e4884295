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
from postops.publish.commands import Echo, States, _open, changed_posts, read_states
from postops.publish.engine import LintFn, lint_verdicts
from postops.publish.ledger import Ledger, parse_time
from postops.repo import git
from postops.repo.config import Config
from postops.repo.posts import POSTS_DIR, Post, build_post, is_post_file, post_id_from_path
from postops.repo.yamlfile import YamlProblem, parse
from postops.report.calendar.model import Calendar, CalendarPart, Entry, Mark, MediaItem

# Images larger than this are not embedded in the page (it must stay small enough to mail or upload).
MEDIA_CAP = 512 * 1024
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp"}


def parse_bound(text: str, timezone: str, *, end: bool) -> datetime:
    """--from/--until: an ISO 8601 time with an offset, or a date read in `timezone` (for --until, the whole
    day is included)."""
    raw = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise UsageError(f"not a date: {text!r}") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(), ZoneInfo(timezone))
    from postops.publish.commands import parse_time as parse_instant

    return parse_instant(raw)


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
    entries = []
    for state in states.states:
        if state["account"] not in shown:
            continue
        post: Post | None = states.desired.posts.get(state["post"]) or old_posts.get(state["post"], state["account"])
        entry = _entry(root, config, state, post, arrivals.get((state["post"], state["account"])), states.ledger,
                       with_media=with_media, changed=bool(touched and touched(state["post"])),
                       old_commit=old_posts.commit_of(state["post"], state["account"]) if post is not None
                       and state["post"] not in states.desired.posts else None)
        if entry.when is not None and ((start and entry.when < start) or (end and entry.when >= end)):
            continue
        if entry.when is None and (start or end):
            continue
        entries.append(entry)
    far = datetime.max.replace(tzinfo=UTC)
    entries.sort(key=lambda e: (e.when or far, e.post, e.account))
    return Calendar(now, shown, tuple(entries), (git.root_commit(root) if git.is_repository(root) else None)
                    or "local", start, end, changed_since)


def _entry(root: Path, config: Config, state: Mapping[str, Any], post: Post | None, arrived: datetime | None,
           ledger: Ledger, *, with_media: bool, changed: bool, old_commit: str | None) -> Entry:
    account = config.accounts.get(state["account"])
    published_at = parse_time(state.get("published_at"))
    when = (post.publish_at if post else None) or published_at or parse_time(state.get("at"))
    part_states = {p["part"] - 1: p for p in state.get("parts", [])}
    parts = []
    for part in post.parts if post else ():
        measures = measure(part.text)
        facts = part_facts(post, part, account, state["account"], measures) if post else None
        marks = _marks(facts.spans if facts else {})
        platform = account.platform if account else ""
        length = getattr(measures, platform) if platform in LIMITS else None
        ps = part_states.get(part.index, {})
        media = tuple(_media(root, m.path, m.alt, old_commit) if with_media else MediaItem(m.path, m.alt, None, None, None)
                      for m in part.media)
        parts.append(CalendarPart(part.index, part.text, marks, media, length, LIMITS.get(platform),
                                  UNITS.get(platform), ps.get("state", state["state"]), ps.get("url")))
    reason = state.get("error") or None
    missed = ledger.missed.get((state["post"], state["account"]))
    if state["state"] == "missed" and not reason:
        due = (missed or {}).get("publish_at") or state.get("at")
        reason = f"due {due}: too late, never published" if due else "too late, never published"
    return Entry(post=state["post"], account=state["account"], when=when, state=state["state"],
                 url=state.get("url"), published_at=published_at, reason=reason, parts=tuple(parts),
                 path=post.path if post else None, labels=post.labels if post else (), changed=changed,
                 updated=_last_change(ledger, state["post"], state["account"], arrived))


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
    data: bytes | None
    if commit:
        data = git.read_file(root, commit, path)
    else:
        target = (root / path).resolve()
        try:
            # only files inside the repository: a post must not be able to embed /etc/passwd in the page
            data = target.read_bytes() if target.is_relative_to(root.resolve()) and target.is_file() else None
        except (OSError, ValueError):
            data = None
    size = len(data) if data is not None else None
    keep = data if data is not None and mime and len(data) <= MEDIA_CAP else None
    return MediaItem(path, alt, mime, keep, size)


def _last_change(ledger: Ledger, post: str, account: str, arrived: datetime | None) -> datetime | None:
    """The latest of: the commit that brought the post's content to main, and every ledger event about it."""
    times = [arrived] if arrived else []
    for (p, a, _), part in ledger.parts.items():
        if (p, a) == (post, account):
            times += [t for t in (parse_time(part.event.get("at")), parse_time((part.published or {}).get("at")))
                      if t]
    missed = ledger.missed.get((post, account))
    if missed and parse_time(missed.get("at")):
        times.append(parse_time(missed.get("at")))  # type: ignore[arg-type]
    return max(times) if times else None


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
