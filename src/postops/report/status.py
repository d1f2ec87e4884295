"""`postops status`: every post and its state, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postops.repo.config import Config
from postops.report._common import PLAIN, Options, Renderer, columns, local_time, local_times, zone_of


@dataclass(frozen=True)
class StatusReport:
    posts: list[dict[str, Any]]     # publish.status.post_states: the JSON shape, one entry per post and account
    config: Config


def render_json(report: StatusReport, options: Options = PLAIN) -> str:
    return json.dumps({"version": 1, "posts": report.posts}, indent=2, ensure_ascii=False) + "\n"


def render_text(report: StatusReport, options: Options = PLAIN) -> str:
    """One aligned row per post and account: state, post, account, when (published, or due), then its URL
    and whatever is wrong with it, a conflict included (JSON's `error`)."""
    if not report.posts:
        return "no posts\n"
    rows = []
    for s in report.posts:
        zone = zone_of(report.config, s["account"])
        when = s.get("published_at") or s.get("at")
        error = local_times(s["error"], zone) if s.get("error") else ""
        if error and s.get("url"):     # published, but main no longer agrees: a conflict to resolve
            error = f"conflict: {error}"
        detail = "; ".join(part for part in (s.get("url"), error) if part)
        rows.append((s["state"], s["post"], f"@{s['account']}", local_time(_time(when), zone), detail))
    return "".join(line + "\n" for line in columns(rows))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json}
