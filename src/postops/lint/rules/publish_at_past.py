"""A `publish_at` already in the past, on a post the publish ledger does not show as published on every
one of its accounts, is a warning: merged now, the post goes out at the next publish run (once `min_lead`
has passed), not at the time written; more than `max_delay` late, it is recorded as missed and never
published. The finding points at the `publish_at` value.

Lint compares with the clock, or with `postops lint --now TIME` (a drill, a test). Without a ledger (a
repository that never published), no post counts as published. A post without `publish_at` is never
late for lint: it goes out at its merge time plus `min_lead`, which lint cannot know before the merge
(see [publishing.md](publishing.md#a-post-without-publish_at)).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.times import duration_text

ID = "publish-at-past"
TYPE: RuleType = "post"
SEVERITY = "warning"
DESCRIPTION = "publish_at is not already in the past on a post that is not published yet."
OPTIONS = {"publish.max_delay": "in postops.yaml: a post later than this is missed, never published",
           "--now": "of `postops lint`: the time lint compares with (default: the clock)"}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\npublish_at: 2026-11-23T09:00:00-05:00\ntext: Hello\n", (
        "posts/drill/a.yaml:2:13: warning [publish-at-past] publish_at 2026-11-23T09:00:00-05:00 is in the past "
        "and the post is not published: merged now it goes out at the next publish run, not at that time",
    ), note="linted at 2026-11-23 12:00 New York time, three hours later."),
    Example("posts/drill/a.yaml", "account: drill\npublish_at: 2026-11-20T09:00:00-05:00\ntext: Hello\n", (
        "posts/drill/a.yaml:2:13: warning [publish-at-past] publish_at 2026-11-20T09:00:00-05:00 is more than "
        "max_delay (6h) ago and the post is not published: it will be recorded as missed and never published; "
        "give it a new publish_at",
    ), note="three days late."),
    Example("posts/drill/a.yaml", "account: drill\npublish_at: 2026-11-24T09:00:00-05:00\ntext: Hello\n",
            note="tomorrow."),
)

Lateness = Literal["late", "missed"]


def lateness(publish_at: datetime | None, now: datetime | None, max_delay: timedelta) -> Lateness | None:
    """Whether `publish_at` has passed at `now`, and by more than `max_delay`. The lint cache keys each post's
    findings on this too, so that a finding that appears as time passes is never served stale."""
    if publish_at is None or now is None or publish_at >= now:
        return None
    return "missed" if now - publish_at > max_delay else "late"


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    late = lateness(post.publish_at, ctx.now, ctx.config.publish.max_delay)
    if late is None or post.publish_at is None:
        return
    published = ctx.published or {}
    if post.accounts and all((post.id, account) in published for account in post.accounts):
        return
    when = post.publish_at.isoformat()
    if late == "late":
        message = (f"publish_at {when} is in the past and the post is not published: merged now it goes out at the "
                   "next publish run, not at that time")
    else:
        message = (f"publish_at {when} is more than max_delay ({duration_text(ctx.config.publish.max_delay)}) ago and "
                   "the post is not published: it will be recorded as missed and never published; give it a new "
                   "publish_at")
    yield Hit(post.mark(("publish_at",)), message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
