"""The calendar as text, for a terminal: one line per post and account, in time order, each time in the
account's timezone, then the state with its link or reason and the post's first words."""

from __future__ import annotations

from postops.report._common import PLAIN, Options
from postops.report.calendar._shared import explain, first_line, local, zone_of
from postops.report.calendar.model import Calendar
from postops.report.text import printable


def render(calendar: Calendar, options: Options = PLAIN) -> str:
    if not calendar.entries:
        return "no posts\n"
    width = max(len(e.post) for e in calendar.entries)
    lines = []
    for entry in calendar.entries:
        when = local(entry.when, zone_of(calendar, entry.account)).strftime("%Y-%m-%d %H:%M %Z") \
            if entry.when else "not scheduled"
        changed = " [changed]" if entry.changed else ""
        lines.append(printable(f"{when:<20} {entry.post:<{width}}  @{entry.account}  {explain(entry)}{changed}  "
                               f"“{first_line(entry, 50)}”"))
    return "".join(line + "\n" for line in lines)
