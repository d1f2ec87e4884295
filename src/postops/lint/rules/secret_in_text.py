"""No API key, token or private key pasted into a post, where the whole world would read it. postops
knows the formats of AWS access key ids, GitHub, Slack, Google, Stripe and OpenAI keys, X bearer tokens,
JSON web tokens, private key blocks and `access_token=` in URLs. The finding shows only the first
characters. Remove the secret, and revoke it: it is in the git history now.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "secret-in-text"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "No API key, token or private key pasted into a post."
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\ntext: |-\n  Our key: AKIAIOSFODNN7EXAMPLE\n", (
        ("posts/drill/a.yaml:3:12: error [secret-in-text] text contains what looks like an AWS access key id "
        "(AKIAIO…); remove it and revoke the secret"),
    )),
    Example("posts/drill/a.yaml", "account: drill\ntext: Keys belong in a password manager, not in posts.\n"),
)

# Token formats of common providers: a pasted secret in a post is published to the world.
# (detect-secrets does this job but costs ~1 ms per line, which is seconds per lint of a large repo.)
SECRET_PATTERNS = {
    "AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b",
    "Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "Google API key": r"\bAIza[0-9A-Za-z_\-]{35}\b",
    "Stripe secret key": r"\b[sr]k_live_[0-9A-Za-z]{20,}\b",
    "private key": r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    "X bearer token": r"\bAAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}",
    "JSON web token": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    "OpenAI API key": r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}",
    "Mastodon/OAuth access token in a URL": r"[?&]access_token=[A-Za-z0-9._-]{16,}",
}
_SECRETS = re.compile("|".join(f"(?P<s{i}>{p})" for i, p in enumerate(SECRET_PATTERNS.values())))
_SECRET_NAMES = list(SECRET_PATTERNS)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        for found in _SECRETS.finditer(part.text):
            name = _SECRET_NAMES[int(found.lastgroup[1:])]  # type: ignore[index]
            shown = found.group(0)[:6] + "…"
            yield Hit(post.doc.offset_mark(part.where, found.start(), len(found.group(0))),
                      f"text contains what looks like {'an' if name[0] in 'AEIOU' else 'a'} {name} ({shown}); "
                      "remove it and revoke the secret")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
