"""Every part of a post (its text and each thread part) fits every platform it goes to:

| platform | limit | counted as |
|----------|-------|------------|
| `x`        | 280 | twitter-text's weighted length: most characters 1, CJK and emoji 2, every URL 23 |
| `mastodon` | 500 | characters; every URL 23; `@user@server` counts as `@user` |
| `bluesky`  | 300 | graphemes (what a reader sees as one character) |
| `facebook` | 63,206 | characters, links in full |
| `linkedin` | 3,000 | characters, links in full |
| `outbox`   | none | |

The finding is at the part that is too long, once per account of a cross-post.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint import facts as facts_mod
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "text-length"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("Every part fits the platform: X 280 weighted characters, Mastodon 500 characters, Bluesky 300 "
               "graphemes, Facebook 63,206 and LinkedIn 3,000 characters (URLs count 23 on X and Mastodon).")
OPTIONS: dict[str, str] = {}
_LONG = "  Energy security matters. Energy security matters. Energy security matters.\n"
EXAMPLES = (
    Example("posts/official/a.yaml", "account: official\ntext: >-\n" + _LONG * 4, (
        ("posts/official/a.yaml:2:7: error [text-length] text is 299/280 weighted characters on X "
        "(account official)"),
    )),
    Example("posts/official/a.yaml", "account: official\ntext: >-\n  Energy security matters. Read the report:\n"
            "  https://example.org/reports/energy-security-in-europe-2026-full-text-with-all-the-annexes\n",
            note="a long URL counts 23."),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        if account is None or account.platform not in facts_mod.LIMITS:
            continue
        limit = facts_mod.LIMITS[account.platform]
        unit = facts_mod.UNITS[account.platform]
        name = facts_mod.PLATFORM_NAMES[account.platform]
        for part in post.parts:
            length = getattr(ctx.measure(post, part.index), account.platform)
            if length > limit:
                which = f"thread part {part.index + 1}" if part.index else "text"
                yield Hit(post.mark(part.where), f"{which} is {length}/{limit} {unit} on {name} "
                                                 f"(account {account_key})", account_key)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
