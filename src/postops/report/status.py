"""`postops status`: every post and its state, as text or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postops.repo.config import Config
from postops.report._common import (
    PLAIN,
    Options,
    Renderer,
    columns,
    local_time,
    local_times,
    to_json,
    zone_of,
)


@dataclass(frozen=True)
class StatusReport:
    posts: list[dict[str, Any]]     # publish.status.post_states: the JSON shape, one entry per post and account
    config: Config
    unmanaged: tuple[dict[str, Any], ...] = ()   # posts made outside postops, as the ledger recorded them
    paused: dict[str, Any] | None = None         # a pause on the state branch: reason, by, at


def render_json(report: StatusReport, options: Options = PLAIN) -> str:
    data: dict[str, Any] = {"version": 1, "posts": report.posts}
    if report.unmanaged:
        data["unmanaged"] = list(report.unmanaged)
    if report.paused:
        data["paused"] = report.paused
    return to_json(data)


def render_text(report: StatusReport, options: Options = PLAIN) -> str:
    """One aligned row per post and account: state, post, account, when (published, or due), then its URL
    and whatever is wrong with it, a conflict included (JSON's `error`)."""
    head = ""
    if report.paused:
        head = (f"paused on the state branch by {report.paused.get('by')} since "
                f"{local_time(_time(report.paused.get('at')), report.config.timezone)}: {report.paused.get('reason')}\n")
    rows = [("unmanaged", "(outside postops)", f"@{u['account']}",
             local_time(_time(u.get("posted_at") or u.get("at")), zone_of(report.config, u["account"])),
             "; ".join(str(x) for x in (u.get("url"), repr(u.get("text")),
                                        "deleted" if u.get("action") == "delete" else None) if x))
            for u in report.unmanaged]
    if not report.posts and not rows:
        return head + "no posts\n"
    for s in report.posts:
        zone = zone_of(report.config, s["account"])
        when = s.get("published_at") or s.get("at")
        error = local_times(s["error"], zone) if s.get("error") else ""
        detail = "; ".join(part for part in (s.get("url"), error) if part)
        rows.append((s["state"], s["post"], f"@{s['account']}", local_time(_time(when), zone), detail))
    return head + "".join(line + "\n" for line in columns(rows))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json}
