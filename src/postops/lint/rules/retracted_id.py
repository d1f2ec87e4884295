"""An id that was retracted is never published again. A file that comes back under that id (a revert of
the revert, say) is reported at its first line: give it a new file name. Lint knows what was retracted
from the publish ledger.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.repo.yamlfile import Mark

ID = "retracted-id"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "A retracted post's id is not used again."
OPTIONS: dict[str, str] = {}
_TEXT = "account: official\ntext: Our report is out\n"
EXAMPLES = (
    Example("posts/official/2026/11/2026-11-24-launch.yaml", _TEXT, (
        ("posts/official/2026/11/2026-11-24-launch.yaml:1:1: error [retracted-id] post id '2026-11-24-launch' "
        "was retracted and is never published again; give this post a new id (a new file name)"),
    ), retracted=("2026-11-24-launch",), note="`2026-11-24-launch` was retracted, and its file is back."),
    Example("posts/official/2026/11/2026-11-24-launch-corrected.yaml", _TEXT, retracted=("2026-11-24-launch",),
            note="the same text under a new file name: a new post."),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    if post.id in ctx.retracted:
        yield Hit(Mark(1, 1), f"post id '{post.id}' was retracted and is never published again; "
                              "give this post a new id (a new file name)")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
