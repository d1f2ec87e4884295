"""The one reader of ISO 8601 times, for every time postops reads: the ledger's, platforms' answers and
headers, a post's `publish_at`, the command line's.

Times are written with their offset (`datetime.isoformat()` of an aware time) and read back here. A time
without an offset is read in the zone the caller names, or stays naive where the caller decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from postops.errors import UsageError

# A date and a clock time: `2026-11-24` alone is a date, not a moment to publish at.
_DATE_AND_CLOCK = re.compile(r"\d[T ]\d{1,2}:\d{2}")


def parse_time(value: object, zone: tzinfo | None = None, *, need_clock: bool = False) -> datetime | None:
    """`value` as a datetime, or None when it is not an ISO 8601 time (or not a string at all).

    Without an offset, the time is read in `zone` when one is given. `need_clock` refuses a date alone.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or (need_clock and not _DATE_AND_CLOCK.search(text)):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None and zone is not None:
        when = when.replace(tzinfo=zone)
    return when


def has_clock(text: str) -> bool:
    """Whether `text` holds a clock time after its date (a user's time is more than a day)."""
    return _DATE_AND_CLOCK.search(text) is not None


def duration_text(delta: timedelta) -> str:
    """`10m`, `6h`, `1d`: a duration as postops.yaml writes it, in its largest whole unit."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_option_time(text: str, timezone: Callable[[], str] | None = None) -> datetime:
    """A date and time in ISO 8601 (`Z` for UTC) as --now, --until and --since take it: with an offset, or
    without one in `timezone()` (postops.yaml's, asked only when needed), as `new --at` reads it."""
    if not has_clock(text):
        raise UsageError(f"not a time: {text!r} (use ISO 8601 with a date and a time, e.g. 2026-11-24T09:00 in "
                         "postops.yaml's timezone, or 2026-11-24T09:00:00-05:00)")
    when = parse_time(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if when is None:
        raise UsageError(f"not a time: {text!r} (use ISO 8601, e.g. 2026-11-24T09:00 in postops.yaml's timezone, "
                         "or 2026-11-24T09:00:00-05:00)")
    if when.tzinfo is None:
        if timezone is None:
            raise UsageError(f"{text!r} has no offset: write it as e.g. {text}+00:00 or {text}-05:00")
        when = when.replace(tzinfo=ZoneInfo(timezone()))
    return when
