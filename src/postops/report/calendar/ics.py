"""The calendar as iCalendar (RFC 5545), for a team to subscribe to in their calendar application.

One VEVENT per post and account. Its UID is the post id, the account and the repository's first commit,
so it is the same in every run and every clone, and a calendar application updates the event in place.
SEQUENCE must grow whenever the event changes, with no state kept between runs: it is the number of
seconds from 2020 to the entry's last change (the commit that brought its content to main, or its latest
ledger event), which only grows as long as main's history and the ledger only grow, and fits the 32-bit
integer calendar applications keep until 2088. DTSTAMP is that same moment, so a feed made twice from the
same repository is the same, byte for byte.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from postops import __version__
from postops.report._common import PLAIN, Options
from postops.report.calendar._shared import explain, first_line, handle_of, platform_name, state_label
from postops.report.calendar.model import Calendar, Entry

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# How long an event lasts in a calendar application: long enough to be seen and clicked in a day view.
LENGTH = timedelta(minutes=15)
_STATUS = {"published": "CONFIRMED", "retracted": "CANCELLED", "missed": "CANCELLED"}


def sequence(entry: Entry) -> int:
    if entry.updated is None:
        return 0
    return max(0, int((entry.updated - _EPOCH).total_seconds()))


def uid(calendar: Calendar, entry: Entry) -> str:
    return f"{entry.uid_key}.{calendar.repository[:12]}@postops"


def _description(calendar: Calendar, entry: Entry) -> str:
    account = calendar.accounts.get(entry.account)
    lines = [f"{handle_of(account, entry.account)} on {platform_name(account)}", explain(entry)]
    for part in entry.parts:
        heading = f"Part {part.index + 1} of {len(entry.parts)}" if len(entry.parts) > 1 else "Text"
        length = f" ({part.length}/{part.limit} {part.unit})" if part.length is not None else ""
        lines += ["", f"{heading}{length}:", part.text]
        lines += [f"[image: {m.alt or 'no alt text'}] {m.path}" for m in part.media]
    if entry.path:
        lines += ["", f"File: {entry.path}"]
    return "\n".join(lines)


def _event(calendar: Calendar, entry: Entry) -> icalendar.Event:
    assert entry.when is not None
    account = calendar.accounts.get(entry.account)
    start = entry.when.astimezone(UTC)
    stamp = (entry.updated or calendar.now).astimezone(UTC)
    event = icalendar.Event()
    event.add("uid", uid(calendar, entry))
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", sequence(entry))
    event.add("dtstart", start)
    event.add("dtend", start + LENGTH)
    prefix = "" if entry.state == "scheduled" else f"[{state_label(entry.state)}] "
    event.add("summary", f"{prefix}{handle_of(account, entry.account)}: {first_line(entry)}")
    event.add("description", _description(calendar, entry))
    event.add("status", _STATUS.get(entry.state, "TENTATIVE"))
    event.add("transp", "TRANSPARENT")  # a post does not make anyone busy
    event.add("categories", [entry.account, platform_name(account), state_label(entry.state), *entry.labels])
    if entry.url:
        event.add("url", entry.url)
    return event


def render(calendar: Calendar, options: Options = PLAIN) -> str:
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//postops//postops {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    names = ", ".join(handle_of(a, k) for k, a in calendar.accounts.items())
    cal.add("x-wr-calname", f"postops: {names}" if names else "postops")
    for entry in calendar.entries:
        if entry.when is not None:
            cal.add_component(_event(calendar, entry))
    feed: bytes = cal.to_ical()
    return feed.decode("utf-8")
