"""What a calendar shows: each post on each account, placed in time, with its state, text and media.

Built by postops.publish.calendar from the same plan and ledger `postops status` reads; rendered by the
modules beside this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postops.repo.config import Account


@dataclass(frozen=True)
class Mark:
    """A link, mention or tag in a part's text: what kind, and where (start, end offsets)."""

    kind: str               # "url" | "mention" | "hashtag"
    start: int
    end: int


@dataclass(frozen=True)
class MediaItem:
    path: str
    alt: str | None
    mime: str | None        # an image type a browser shows, else None
    data: bytes | None      # the bytes, when read and within MEDIA_CAP
    size: int | None        # bytes on disk; None when the file cannot be read


@dataclass(frozen=True)
class CalendarPart:
    index: int
    text: str
    marks: tuple[Mark, ...]
    media: tuple[MediaItem, ...]
    length: int | None      # as the platform counts; None where nobody counts
    limit: int | None
    unit: str | None
    state: str
    url: str | None


@dataclass(frozen=True)
class Entry:
    """One post on one account."""

    post: str
    account: str
    when: datetime | None           # when it is (or was) to go out; None: no time known
    state: str                      # scheduled, published, retracted, missed, blocked, failed, in-doubt
    url: str | None
    published_at: datetime | None
    reason: str | None              # why blocked, failed, missed or in conflict
    parts: tuple[CalendarPart, ...]
    path: str | None                # the post file on main, or where it was when published
    labels: tuple[str, ...]
    changed: bool                   # among the posts a pull request changes (--changed-since)
    updated: datetime | None        # the last change to the post's content or its ledger record
    retracted_at: datetime | None = None    # when it was taken down (its first part, the last one deleted)

    @property
    def uid_key(self) -> str:
        return f"{self.post}.{self.account}"


@dataclass(frozen=True)
class Calendar:
    now: datetime
    accounts: dict[str, Account]    # the accounts shown, in postops.yaml's order
    entries: tuple[Entry, ...]      # sorted by time, then post, then account
    repository: str                 # names this repository in UIDs: its first commit (or "local")
    start: datetime | None
    end: datetime | None
    changed_since: str | None
