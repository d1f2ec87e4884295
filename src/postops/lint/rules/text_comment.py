"""In YAML, ` #` in unquoted text starts a comment: `text: New report #energy` publishes "New report" and
silently drops the hashtag. The finding points at the ` #`. Quote the text, or write it as a block.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.repo.yamlfile import Mark

ID = "text-comment"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("No part of a post's text is lost to a YAML comment: in unquoted text, ` #` starts a "
               "comment.")
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\ntext: New report #energy\n", (
        ("posts/drill/a.yaml:2:18: error [text-comment] the text ends before this ` #`, which YAML reads as a "
        "comment: quote the text, or write it as a block (`text: |-`)"),
    )),
    Example("posts/drill/a.yaml", 'account: drill\ntext: "New report #energy"\n'),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    """`text: New report #energy` is the text "New report": YAML reads ` #` as the start of a comment."""
    lines = post.doc.text.splitlines()
    for part in post.parts:
        scalar = post.doc.scalars.get(part.where)
        if scalar is None or scalar[0]:    # only plain (unquoted) scalars: their style is ""
            continue
        end = scalar[1]
        rest = lines[end.line - 1][end.column - 1:] if end.line - 1 < len(lines) else ""
        if rest.lstrip().startswith("#") and not rest.lstrip().startswith("# postops:"):
            column = end.column + len(rest) - len(rest.lstrip())
            yield Hit(Mark(end.line, column), "the text ends before this ` #`, which YAML reads as a comment: "
                                              "quote the text, or write it as a block (`text: |-`)")


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
