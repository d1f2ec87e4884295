"""A post lives under `posts/<account>/` of (one of) its accounts: that folder's approvers review it.
This catches the wrong-account mistake: a post written for one account in another account's folder,
a folder that is no account at all, and a post file directly under `posts/` (which no account's
approvers review).

Every account a post goes to needs that account's approvers, whatever folder it sits in. CODEOWNERS (which
`postops codeowners` writes from postops.yaml, and the `codeowners` rule keeps in step) lets any one owner of
a folder approve a file in it, so a cross-post is allowed in a folder only when everyone who reviews that
folder is an approver of every account the post goes to: a post in `posts/drill/` with
`account: [drill, official]` is an error unless each of drill's approvers is also one of official's (accounts
without approvers ask for nobody). Put a cross-post in the folder of its strictest account, and give that
account's approvers the others' say (list them as approvers of both) where they differ.

`account-folder` cannot be silenced with a comment: the author would be waiving the review of their own post.
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
    Example("posts/drill/a.yaml", "account: [drill, official]\ntext: Hello\n", (
        ("posts/drill/a.yaml:1:18: error [account-folder] post goes to official, whose approvers are "
         "@example-org/comms-leads, but posts/drill/ can be approved by @example-org/digital-governance: every "
         "account a post goes to needs its own approvers; put it in posts/official/ or make drill's approvers "
         "approvers of official too"),
    ), note="a cross-post in the folder of the account with the laxer review."),
    Example("posts/a.yaml", "account: official\ntext: Hello\n", (
        ("posts/a.yaml:1:1: error [account-folder] post file is directly under posts/, where no account's "
         "approvers review it; put it in posts/<account>/ of the account it is for"),
    )),
    Example("posts/official/a.yaml", "account: official\ntext: Hello\n"),
    Example("posts/official/a.yaml", "account: [official, drill]\ntext: Hello\n",
            note="a cross-post in the folder of the account with the stricter review (drill has no approvers)."),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    folder = post.folder
    if folder is None and post.path.count("/") == 1 and post.path.startswith("posts/"):
        yield Hit(Mark(1, 1), "post file is directly under posts/, where no account's approvers review it; "
                              "put it in posts/<account>/ of the account it is for")
        return
    if folder is None or not post.accounts:
        return
    if folder not in ctx.config.accounts:
        yield Hit(Mark(1, 1), f"post is in posts/{folder}/, which is not an account in postops.yaml; "
                              "put it in the folder of the account it is for")
    elif folder not in post.accounts:
        yield Hit(post.mark(("account",)),
                  f"post is in posts/{folder}/ but is for {', '.join(post.accounts)}: a post lives in the "
                  f"folder of (one of) its accounts, whose approvers review it")
    else:
        yield from _unreviewed_accounts(ctx, post, folder)


def _unreviewed_accounts(ctx: Context, post: Post, folder: str) -> Iterator[Hit]:
    """Accounts of a cross-post whose approvers do not cover everyone who can approve the post's folder."""
    # who CODEOWNERS lets approve posts/<folder>/: its account's approvers, else the /posts/ line's owners
    reviewers = {a.lower() for a in ctx.config.accounts[folder].approvers or ctx.config.policy_owners}
    for index, key in enumerate(post.accounts):
        account = ctx.config.accounts.get(key)
        if key == folder or account is None or not account.approvers:
            continue
        approvers = {a.lower() for a in account.approvers}
        others = sorted(reviewers - approvers)
        if not reviewers or others:
            who = ", ".join(others) if reviewers else "nobody"
            yield Hit(post.mark(("account", index)),
                      f"post goes to {key}, whose approvers are {' '.join(account.approvers)}, but posts/{folder}/ "
                      f"can be approved by {who}: every account a post goes to needs its own approvers; put it "
                      f"in posts/{key}/ or make {folder}'s approvers approvers of {key} too", key)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
