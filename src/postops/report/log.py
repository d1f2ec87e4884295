"""`postops log`: the audit trail of each post, as text, JSON or CSV (one row per event, for spreadsheets)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from postops.report._common import PLAIN, Options, Renderer, local_time, to_json

if TYPE_CHECKING:  # publish.audit renders through this registry: a runtime import would be a cycle
    from postops.publish.audit import AuditLog

CSV_HEADER = ("post", "at", "event", "account", "part", "commit", "author", "pull", "url", "detail")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def render_text(log: AuditLog, options: Options = PLAIN) -> str:
    lines = []
    if log.ledger_commit is None:
        lines.append(f"no publish run has happened yet (no ledger on branch {log.ledger_branch}): "
                     "this is the history from git alone")
    if not log.posts:
        lines.append("no posts in the history of main")
        return "".join(line + "\n" for line in lines)
    width = max(len(e.event) for trail in log.posts for e in trail.events)
    for number, trail in enumerate(log.posts):
        if number or lines:
            lines.append("")
        lines.append(f"{trail.post}  {trail.path or ''}".rstrip())
        for e in trail.events:
            lines.append(f"  {local_time(e.at, log.timezone)}  {e.event:<{width}}  {(e.commit or '')[:7]:<7}  "
                         f"{e.detail}")
    return "".join(line + "\n" for line in lines)


def render_json(log: AuditLog, options: Options = PLAIN) -> str:
    data = {"version": 1, "ledger": {"branch": log.ledger_branch, "commit": log.ledger_commit},
            "posts": [{"post": t.post, "path": t.path, "events": [e.as_dict() for e in t.events]}
                      for t in log.posts]}
    return to_json(data)


def render_csv(log: AuditLog, options: Options = PLAIN) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for trail in log.posts:
        for e in trail.events:
            writer.writerow([trail.post, _iso(e.at), e.event, e.account or "", e.part or "", e.commit or "",
                             e.author or "", e.pull or "", e.url or "", e.detail])
    return buffer.getvalue()


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json, "csv": render_csv}
