"""A quote post (`quote:` beside `text`, in the post or in a thread part) shows the quoted post under the
text: on X a quote post, on Bluesky a record embed, on Mastodon a quote (Mastodon 4.5 and later; an older
server refuses it when it is published). It names a URL or the id of another post in this repository.
Facebook and LinkedIn accounts cannot quote through postops: a finding per account.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.facts import PLATFORM_NAMES
from postops.lint.rules._shares import accounts, in_part, reference
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "quote"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("A quote (quote:) names a URL or a post in this repository, on platforms that quote (X, Bluesky, "
               "Mastodon 4.5 and later).")
OPTIONS: dict[str, str] = {}
_TEXT = "account: official\ntext: Worth reading, on what comes next.\n"
EXAMPLES = (
    Example("posts/official/a.yaml", _TEXT + "quote: 2026-11-24-outlook\n", (
        ("posts/official/a.yaml:3:8: error [quote] quote '2026-11-24-outlook' is neither a URL nor the id of a "
         "post in this repository"),
    ), note="no post in the repository has the id `2026-11-24-outlook`."),
    Example("posts/official/a.yaml", _TEXT + "quote: https://x.com/someone/status/1856000000000000000\n"),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        if part.quote is None:
            continue
        where = (*part.where[:-1], "quote")
        yield from reference(ctx, post, part.quote, "quote", where)
        for key, platform, features in accounts(ctx, post):
            if not features.quote:
                yield Hit(post.mark(where), f"postops cannot quote a post on {PLATFORM_NAMES[platform]} (account "
                          f"{key}){in_part(part.index)}", key)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
