"""`postops plan`: what a publish run would do now, and why, as text, JSON or a Markdown pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from postops.lint.facts import length_on
from postops.publish.plan import Plan
from postops.repo.config import Config
from postops.repo.posts import Post
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


class Posts(Protocol):
    """What the plan report reads of the desired state: the posts on main by id."""

    @property
    def posts(self) -> Mapping[str, Post]: ...


@dataclass(frozen=True)
class PlanReport:
    plan: Plan
    config: Config
    desired: Posts | None = None
    verdicts: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)   # post id -> lint findings


def render_json(report: PlanReport, options: Options = PLAIN) -> str:
    plan = report.plan
    document = {"version": 1, "now": plan.now.isoformat(), "actions": [
        {"action": a.action, "post": a.post, "account": a.account, "at": a.at.isoformat() if a.at else None,
         "reason": a.reason, "parts": [p + 1 for p in a.parts]} for a in plan.actions]}
    return to_json(document)


def render_text(report: PlanReport, options: Options = PLAIN) -> str:
    """`plan at <time>:` then one aligned row per action: action, post, account, when, why."""
    plan, config = report.plan, report.config
    if not plan.actions:
        return f"nothing to do at {local_time(plan.now, config.timezone)}\n"
    rows = []
    for a in plan.actions:
        zone = zone_of(config, a.account)
        parts = f" parts {','.join(str(p + 1) for p in a.parts)}" if len(a.parts) > 1 else ""
        rows.append((a.action, a.post, f"@{a.account}", local_time(a.at, zone), local_times(a.reason, zone) + parts))
    lines = [f"plan at {local_time(plan.now, config.timezone)}:", *columns(rows, indent="  ")]
    return "".join(line + "\n" for line in lines)


def render_markdown(report: PlanReport, options: Options = PLAIN) -> str:
    plan, config = report.plan, report.config
    lines = ["### postops plan", ""]
    if not plan.actions:
        lines.append(f"Nothing to publish or retract (as of {local_time(plan.now, config.timezone)}).")
        return "\n".join(lines) + "\n"
    posts: Mapping[str, Post] = report.desired.posts if report.desired is not None else {}
    for a in plan.actions:
        zone = zone_of(config, a.account)
        lines.append(f"**{a.action}** `{a.post}` on **@{a.account}** at {local_time(a.at, zone)}: "
                     f"{local_times(a.reason, zone)}")
        post = posts.get(a.post)
        platform = config.accounts[a.account].platform if a.account in config.accounts else ""
        if post is not None and a.action != "retract":
            for part in post.parts:
                label = f"part {part.index + 1}/{len(post.parts)}, " if len(post.parts) > 1 else ""
                length = (length_on(platform, part.text, config.accounts.get(a.account))
                          or f"{len(part.text)} characters")
                quoted = "\n".join(f"> {line}" if line else ">" for line in part.text.splitlines() or [""])
                lines += [quoted, f"<sub>{label}{length}</sub>", ""]
        for severity, message in report.verdicts.get(a.post, []):
            lines.append(f"- {severity}: {message}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json, "markdown": render_markdown}
