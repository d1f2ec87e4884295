"""What the calendar formats say alike: state names, local times, a post's first line."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from postops.lint.facts import PLATFORM_NAMES
from postops.repo.config import Account
from postops.report.calendar.model import Calendar, Entry

STATE_LABELS = {
    "scheduled": "Scheduled", "published": "Published", "retracted": "Retracted", "missed": "Missed",
    "blocked": "Blocked", "failed": "Failed", "in-doubt": "In doubt",
}


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.capitalize())


def zone_of(calendar: Calendar, account: str) -> ZoneInfo:
    spec = calendar.accounts.get(account)
    return ZoneInfo(spec.timezone if spec else "UTC")


def local(when: datetime, zone: ZoneInfo) -> datetime:
    return when.astimezone(zone)


def handle_of(account: Account | None, key: str) -> str:
    return (account.handle if account and account.handle else f"@{key}")


def platform_name(account: Account | None) -> str:
    return PLATFORM_NAMES.get(account.platform, account.platform) if account else "unknown platform"


def first_line(entry: Entry, width: int = 60) -> str:
    text = " ".join(entry.parts[0].text.split()) if entry.parts else ""
    if not text:
        return f"({entry.post})"
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def explain(entry: Entry) -> str:
    """The state in words, with its link or reason."""
    label = state_label(entry.state)
    if entry.state == "published" and entry.url:
        return f"{label}: {entry.url}"
    if entry.reason:
        return f"{label}: {entry.reason}"
    if entry.retracted_at:
        return f"{label} at {entry.retracted_at.isoformat()}"
    return label


def safe_url(url: str | None) -> str | None:
    """An address a link may point at: http(s) only (never javascript: or data:); a bare domain gets https.
    Characters that could end the link where it is written (spaces, quotes, angle brackets) are escaped."""
    if not url:
        return None
    url = url.strip()
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")):
        if "://" in lowered or ":" in lowered.split("/", 1)[0]:
            return None
        url = "https://" + url
    return quote(url, safe=_URL_SAFE)


_URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"
