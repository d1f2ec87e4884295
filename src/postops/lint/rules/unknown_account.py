"""Every account a post names is a key under `accounts:` in `postops.yaml`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "unknown-account"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "Every account a post names is defined in postops.yaml."
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: [drill, offical]\ntext: Hello\n", (
        "posts/drill/a.yaml:1:18: error [unknown-account] unknown account 'offical' (did you mean 'official'?)",
    )),
    Example("posts/official/a.yaml", "account: [official, drill]\ntext: Hello\n"),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    raw = post.data.get("account")
    known = sorted(ctx.config.accounts)
    for i, account in enumerate(post.accounts):
        if account not in ctx.config.accounts:
            where = ("account", i) if isinstance(raw, list) else ("account",)
            close = difflib.get_close_matches(account, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; accounts: {', '.join(known)}"
            yield Hit(post.mark(where), f"unknown account '{account}'{hint}")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
