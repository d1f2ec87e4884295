"""Bounds checked before any library reads a post's text. Links are found with twitter-text, whose pattern
takes time cubic in the number of dot-separated labels in a row (`a.a.a.` repeated 800 times took over a
second, 1,600 times six): a run of more than 10 labels (no host name has so many) is not read as a link, in
lint and in publish alike, and is an error here. A text longer than any platform accepts (63,206 characters)
is not searched for links at all. (The file itself is bounded by [`parse`](#parse).)
"""

from __future__ import annotations

from collections.abc import Iterator

from postops import links
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "text-bounds"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("No text has more than 10 dot-separated labels in a row or is longer than any platform accepts "
               "(63,206 characters): the bounds that keep link detection fast.")
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/official/a.yaml", "account: official\ntext: Look a.b.c.d.e.f.g.h.i.j.k.l\n", (
        ("posts/official/a.yaml:2:12: error [text-bounds] 11 dot-separated labels in a row, more than 10 "
         "(no host name has so many): not read as a link"),
    )),
    Example("posts/official/a.yaml", "account: official\ntext: Look https://docs.a.b.c.d.example.org/x.y.z?v=1.2.3\n",
            note="a long host name and dots in the path are fine."),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        for start, end, message in links.bound_problems(part.text):
            yield Hit(post.doc.offset_mark(part.where, start, end - start), message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
