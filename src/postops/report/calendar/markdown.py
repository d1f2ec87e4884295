"""The calendar as Markdown: per account, day by day in the account's timezone (for a pull request comment
or a wiki). Post text is escaped: it cannot format the page, and `@name` in it cannot notify anyone."""

from __future__ import annotations

import re
from itertools import groupby

from postops.report._common import PLAIN, Options
from postops.report.calendar._shared import (
    explain,
    handle_of,
    local,
    platform_name,
    safe_url,
    state_label,
    zone_of,
)
from postops.report.calendar.model import Calendar, Entry

# Characters that format wherever they are, and what formats at the start of a line (headings, lists,
# quotes, rules): escaped, the rest of the text (URLs included) stays as written and readable.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def escape(text: str) -> str:
    """Text shown as written: Markdown and HTML characters escaped, @ made a character entity (GitHub does not
    notify `&#64;name`), & escaped so no entity in the text is decoded."""
    text = _INLINE.sub(r"\\\1", text.replace("&", "&amp;"))
    text = _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", text))
    return text.replace("@", "&#64;")


def _entry_lines(calendar: Calendar, entry: Entry) -> list[str]:
    zone = zone_of(calendar, entry.account)
    when = local(entry.when, zone).strftime("%H:%M %Z") if entry.when else "no time"
    changed = " · **changed in this pull request**" if entry.changed else ""
    link = safe_url(entry.url)
    state = f"[{state_label(entry.state)}](<{link}>)" if entry.state == "published" and link else escape(explain(entry))
    lines = [f"- **{when}** `{entry.post}` · {state}{changed}"]
    for part in entry.parts:
        label = f"{part.index + 1}/{len(entry.parts)} " if len(entry.parts) > 1 else ""
        length = f" <sub>{label}{part.length}/{part.limit} {part.unit}</sub>" if part.length is not None else \
            (f" <sub>{label.strip()}</sub>" if label else "")
        text = escape(part.text).splitlines() or [""]
        lines += ["", *(f"  > {line}" if line else "  >" for line in text)]
        if length:
            lines.append(f"  >{length}")
        lines += [f"  > \\[image: {escape(m.alt or 'no alt text')}\\]" for m in part.media]
    lines.append("")
    return lines


def render(calendar: Calendar, options: Options = PLAIN) -> str:
    lines = ["# Posts calendar", ""]
    span = [f"from {calendar.start.isoformat()}" if calendar.start else "",
            f"until {calendar.end.isoformat()}" if calendar.end else ""]
    if any(span):
        lines += [f"Posts {' '.join(s for s in span if s)}.", ""]
    for key, account in calendar.accounts.items():
        zone = zone_of(calendar, key)
        lines += [f"## {escape(handle_of(account, key))} on {platform_name(account)} ({zone.key})", ""]
        entries = [e for e in calendar.entries if e.account == key]
        if not entries:
            lines += ["No posts.", ""]
        for day, group in groupby(entries, key=lambda e: local(e.when, zone).date() if e.when else None):
            lines += [f"### {day.strftime('%A %-d %B %Y') if day else 'Not scheduled'}", ""]
            for entry in group:
                lines += _entry_lines(calendar, entry)
    return "\n".join(lines).rstrip() + "\n"
