"""Every part of a post (its text and each thread part) fits every platform it goes to:

@@TABLE@@

The limits and the counting are each platform's declaration in `postops.platforms.spec`. The finding is at
the part that is too long, once per account of a cross-post.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.platforms.spec import SPECS, PlatformSpec
from postops.repo.posts import Post

ID = "text-length"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("Every part fits the platform: X 280 weighted characters (25,000 with premium), Mastodon 500 "
               "characters (or the instance's own limits), Bluesky 300 graphemes and 3,000 bytes, Facebook "
               "63,206 and LinkedIn 3,000 characters (URLs count 23 on X and Mastodon).")
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
        spec = SPECS.get(account.platform) if account is not None else None
        if spec is None:
            continue
        limit = spec.text_limit_for(account)
        for part in post.parts:
            which = f"thread part {part.index + 1}" if part.index else "text"
            measures = ctx.measure(post, part.index)
            length = measures.length_on(spec, account)
            if limit is not None and length is not None and length > limit:
                yield Hit(post.mark(part.where), f"{which} is {length}/{limit} {spec.text_unit} on {spec.title} "
                                                 f"(account {account_key})", account_key)
            if spec.text_bytes is not None and measures.utf8_bytes > spec.text_bytes:
                yield Hit(post.mark(part.where), f"{which} is {measures.utf8_bytes:,}/{spec.text_bytes:,} UTF-8 "
                                                 f"bytes on {spec.title} (account {account_key})", account_key)


def _limit(spec: PlatformSpec) -> str:
    if spec.text_limit is None:
        return "none"
    words = f"{spec.text_limit:,}"
    if spec.text_bytes is not None:
        words += f" {spec.text_unit} and {spec.text_bytes:,} UTF-8 bytes"
    return f"{words}; {spec.limit_option}" if spec.limit_option else words


# The table is made from the declarations, so docs/rules.md says what lint does.
DOC = (__doc__ or "").replace("@@TABLE@@", "\n".join(
    ["| platform | limit | counted as |", "|----------|-------|------------|"]
    + [f"| `{spec.name}` | {_limit(spec)} | {spec.counted_as} |" for spec in SPECS.values()]))

RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, DOC, OPTIONS, EXAMPLES)
