"""`publish_at` is a real ISO 8601 date and time: with an offset (`2026-11-24T09:00:00-05:00`,
`2026-11-24T14:00:00Z`), or without one, then read in the `timezone` of `postops.yaml`. A date alone is
not enough. See [posts.md](posts.md#publish_at-and-timezones).
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "publish-at"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "publish_at is a real date and time, with an offset or read in postops.yaml's timezone."
OPTIONS = {"timezone": "in postops.yaml (or the account's own): the timezone a publish_at without an offset "
                       "is read in"}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\npublish_at: 2026-12-01 9am\ntext: Hello\n", (
        ("posts/drill/a.yaml:2:13: error [publish-at] publish_at '2026-12-01 9am' is not a date and time "
        "(use e.g. 2026-11-24T09:00:00-05:00)"),
    )),
    Example("posts/drill/a.yaml", "account: drill\npublish_at: 2026-12-01T09:00\ntext: Hello\n"),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    raw = post.data.get("publish_at")
    if raw is None or not isinstance(raw, str):
        return
    if post.publish_at is None:
        yield Hit(post.mark(("publish_at",)),
                  f"publish_at {raw!r} is not a date and time (use e.g. 2026-11-24T09:00:00-05:00)")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
