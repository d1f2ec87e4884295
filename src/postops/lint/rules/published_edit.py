"""A post that was published is not edited: its content (text of every part, media and their alt text,
reply target) is what went out. Lint knows what was published from the publish ledger. To correct a
published post, delete its file (which retracts it) and add a new post with a new id. Moving the file to
another folder under the same file name is no edit: the same id and the same content are the same post.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post, content_hash

ID = "published-edit"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "A post that was published is not edited."
OPTIONS: dict[str, str] = {}
_LAUNCH = "posts/official/2026/11/2026-11-24-launch.yaml"
_PUBLISHED = "account: official\nlabels: [launch]\ntext: Our report is out\n"
EXAMPLES = (
    Example(_LAUNCH, "account: official\nlabels: [launch]\ntext: Our report is out today\n", (
        (f"{_LAUNCH}:3:7: error [published-edit] post '2026-11-24-launch' was already published on official; "
        "published posts are immutable. Restore it, or delete it (which retracts it) and add a new post with a "
        "new id"),
    ), published=_PUBLISHED, note="the post went out with the text \"Our report is out\"; its file now says "
                                  "\"Our report is out today\"."),
    Example(_LAUNCH, _PUBLISHED, published=_PUBLISHED, note="the published post, unchanged."),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    if not ctx.published:
        return
    for account in post.accounts:
        published = ctx.published.get((post.id, account))
        if published is not None and published != content_hash(post, account, ctx.root):
            yield Hit(post.mark(("text",)),
                      f"post '{post.id}' was already published on {account}; published posts are immutable. "
                      "Restore it, or delete it (which retracts it) and add a new post with a new id", account)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
