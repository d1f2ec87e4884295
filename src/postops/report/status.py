"""`postops status`: every post and its state, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from postops.repo.config import Config
from postops.report._common import PLAIN, Options, Renderer


@dataclass(frozen=True)
class StatusReport:
    posts: list[dict[str, Any]]     # publish.status.post_states: the JSON shape, one entry per post and account
    config: Config


def render_json(report: StatusReport, options: Options = PLAIN) -> str:
    return json.dumps({"version": 1, "posts": report.posts}, indent=2, ensure_ascii=False) + "\n"


def render_text(report: StatusReport, options: Options = PLAIN) -> str:
    if not report.posts:
        return "no posts\n"
    width = max(len(s["post"]) for s in report.posts)
    lines = []
    for s in report.posts:
        detail = s.get("url") or s.get("error") or s.get("at") or ""
        lines.append(f"{s['state']:<10} {s['post']:<{width}}  @{s['account']}  {detail}".rstrip())
    return "".join(line + "\n" for line in lines)


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json}
