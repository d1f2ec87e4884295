"""A post lives under `posts/<account>/` of (one of) its accounts: that folder's approvers review it.
This catches the wrong-account mistake: a post written for one account in another account's folder,
and a folder that is no account at all. The example policy `official-folder` that `postops init`
writes shows how to say the same with a policy.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.repo.yamlfile import Mark

ID = "account-folder"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "A post lives under posts/<account>/ of one of its accounts."
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: official\ntext: Hello\n", (
        ("posts/drill/a.yaml:1:10: error [account-folder] post is in posts/drill/ but is for official: a post "
        "lives in the folder of (one of) its accounts, whose approvers review it"),
    )),
    Example("posts/official/a.yaml", "account: official\ntext: Hello\n"),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    folder = post.folder
    if folder is None or not post.accounts:
        return
    if folder not in ctx.config.accounts:
        yield Hit(Mark(1, 1), f"post is in posts/{folder}/, which is not an account in postops.yaml; "
                              "put it in the folder of the account it is for")
    elif folder not in post.accounts:
        yield Hit(post.mark(("account",)),
                  f"post is in posts/{folder}/ but is for {', '.join(post.accounts)}: a post lives in the "
                  f"folder of (one of) its accounts, whose approvers review it")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
