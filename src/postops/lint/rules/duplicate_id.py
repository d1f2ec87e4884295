"""Post ids are unique in the repository. A post's id is its file name without `.yaml`, or its `id:` key.
Every post file is looked at, even when lint is given only some of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.repo.yamlfile import Mark

ID = "duplicate-id"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "Post ids (file names, or explicit ids) are unique."
OPTIONS: dict[str, str] = {}
_FIRST = {"posts/drill/launch.yaml": "account: drill\ntext: The first post with this id\n"}
EXAMPLES = (
    Example("posts/official/2026/launch.yaml", "account: official\ntext: Another post, same file name\n", (
        ("posts/official/2026/launch.yaml:1:1: error [duplicate-id] post id 'launch' is also used by "
        "posts/drill/launch.yaml; ids must be unique"),
    ), setup=_FIRST),
    Example("posts/official/2026/launch-official.yaml", "account: official\ntext: Another post, its own id\n",
            setup=_FIRST),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    others = [p for p in ctx.ids.get(post.id, ()) if p != post.path]
    if others:
        where = ("id",) if "id" in post.data else ()
        yield Hit(post.mark(where) if where else Mark(1, 1),
                  f"post id '{post.id}' is also used by {', '.join(others)}; ids must be unique")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
