"""A `# postops: disable=<rule-id> -- <reason>` comment names rules that exist and gives a reason after
`--` (see [posts.md](posts.md#silencing-a-rule-for-one-post)). A comment without a reason silences
nothing. `suppression` itself cannot be silenced, nor can `parse`, `account-folder` and `media`, which carry
the approval model (who reviews a post, and that what is published is what they reviewed).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from postops.lint.findings import Finding
from postops.lint.rules.base import BuiltinRule, Example, RuleType
from postops.repo.posts import Post

ID = "suppression"
TYPE: RuleType = "comment"
SEVERITY = "error"
DESCRIPTION = "A `# postops: disable=` comment names known rules and gives a reason after `--`."
OPTIONS: dict[str, str] = {}
_TEXT = "account: drill\ntext: https://partner.example.net/joint-report\n"
EXAMPLES = (
    Example("posts/drill/a.yaml", "# postops: disable=own-domains\n" + _TEXT, (
        ("posts/drill/a.yaml:1:1: error [suppression] disable=own-domains needs a reason: "
        "`# postops: disable=own-domains -- why`"),
        "posts/drill/a.yaml:3:7: error [own-domains] links go to our own sites only, not partner.example.net",
    ), note="no reason, so the policy rule `own-domains` (from `postops init`) is not silenced either."),
    Example("posts/drill/a.yaml",
            "# postops: disable=own-domains -- joint report, approved by the partnership team\n" + _TEXT),
)

# Rules a comment can never silence: a file that does not parse has no comments postops can trust, and the
# rules that carry the approval model (who reviews a post, and that what is published is what was reviewed)
# would otherwise be waived by the very author they are there to check.
_UNSILENCEABLE = ("suppression", "parse", "account-folder", "media")


def apply(post: Post, findings: list[Finding], known: AbstractSet[str], severity: str) -> tuple[list[Finding], int]:
    """The findings the post's disable comments leave, with this rule's own; and how many were silenced."""
    if not post.suppressions:
        return findings, 0
    silenced_rules: set[str] = set()
    problems = []
    for sup in post.suppressions:
        unknown = [r for r in sup.rules if r not in known]
        if not sup.reason:
            problems.append(Finding(post.path, sup.line, 1, ID, severity,
                                    f"disable={','.join(sup.rules)} needs a reason: "
                                    f"`# postops: disable={','.join(sup.rules)} -- why`", post.id))
            continue
        if unknown:
            problems.append(Finding(post.path, sup.line, 1, ID, severity,
                                    f"disable names unknown rule(s) {', '.join(unknown)}", post.id))
        silenced_rules.update(r for r in sup.rules if r in known and r not in _UNSILENCEABLE)
    kept = [f for f in findings if f.rule not in silenced_rules]
    if severity == "off":
        problems = []
    return kept + problems, len(findings) - len(kept)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, type=TYPE, doc=__doc__ or "", options=OPTIONS, examples=EXAMPLES)
