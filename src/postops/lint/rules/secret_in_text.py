"""No API key, token or private key pasted into a post, where the whole world would read it. postops
knows the token shapes of every platform and forge it works with: X bearer and OAuth 1.0a access tokens,
Bluesky app passwords (`xxxx-xxxx-xxxx-xxxx`), Facebook (`EAA…`) and LinkedIn (`AQ…`) access tokens,
Mastodon and other OAuth tokens in a URL (`access_token=`), JSON web tokens (Bluesky sessions), GitHub
tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, fine-grained `github_pat_`) and GitLab tokens (`glpat-`
and the other `gl…-` prefixes, runner registration `GR1348941…`); and those of AWS, Slack, Google, Stripe
and OpenAI keys and private key blocks. The finding shows only the first
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
    # GitLab's documented token prefixes (personal, OAuth app secret, deploy, runner, trigger, CI job, feed,
    # incoming mail, agent, SCIM, feature flags client) and runner registration tokens.
    "GitLab token": r"\b(?:glpat|gloas|gldt|glrt|glptt|glcbt|glft|glimt|glagent|glsoat|glffct)-[A-Za-z0-9_-]{20,}"
                    r"|\bGR1348941[A-Za-z0-9_-]{20,}",
    # Bluesky app passwords: four groups of four random lowercase letters and digits. A letter and a digit are
    # both required (a random one has a digit 99.5 % of the time), so dates and words-joined-by-dashes are not.
    "Bluesky app password": r"(?<![\w-])(?=[a-z0-9-]{19}(?![\w-]))(?=[0-9-]*[a-z])(?=[a-z-]*[0-9])"
                            r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}(?![\w-])",
    # Graph API user and page access tokens start EAA; LinkedIn OAuth 2.0 access tokens start AQ and are long.
    "Facebook access token": r"\bEAA[A-Za-z0-9]{60,}",
    "LinkedIn access token": r"\bAQ[A-Za-z0-9_-]{150,}",
    # X OAuth 1.0a access token: the user's numeric id, a dash, 40 letters and digits (its secret has no shape).
    "X access token": r"\b[0-9]{4,20}-[A-Za-z0-9]{40}\b",
}
_SECRETS = re.compile("|".join(f"(?P<s{i}>{p})" for i, p in enumerate(SECRET_PATTERNS.values())))
_SECRET_NAMES = list(SECRET_PATTERNS)
# What every token above contains: a run of 13 token characters (the shortest, a JWT's first segment, is
# `eyJ` and 10 more), the private key's armour, or `access_token=`. Looking for that first is a tenth of the
# cost of the full pattern, whose lookarounds are tried at every position of every post.
_MAY_HOLD_SECRET = re.compile(r"[A-Za-z0-9_%-]{13}|-----BEGIN|access_token=")


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        if not _MAY_HOLD_SECRET.search(part.text):
            continue
        for found in _SECRETS.finditer(part.text):
            name = _SECRET_NAMES[int(found.lastgroup[1:])]  # type: ignore[index]
            shown = found.group(0)[:6] + "…"
            yield Hit(post.doc.offset_mark(part.where, found.start(), len(found.group(0))),
                      f"text contains what looks like {'an' if name[0] in 'AEIOU' else 'a'} {name} ({shown}); "
                      "remove it and revoke the secret")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
