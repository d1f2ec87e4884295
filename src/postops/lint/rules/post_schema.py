"""A post is a mapping with the required keys `account` and `text`, every value has the right type, and
there are no unknown keys (with a suggestion for a misspelt one). The full format is in
[posts.md](posts.md); `postops schema` prints it as a JSON Schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post
from postops.repo.schemas import POST_SCHEMA, explain
from postops.repo.validation import Validator
from postops.repo.yamlfile import Mark

ID = "post-schema"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = "A post has the required keys (account, text) with the right types, and no unknown keys."
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\ntxt: Hello\nlabels: press\n", (
        "posts/drill/a.yaml:1:1: error [post-schema] missing required key 'text'",
        "posts/drill/a.yaml:2:1: error [post-schema] unknown key 'txt' (did you mean 'text'?)",
        "posts/drill/a.yaml:3:9: error [post-schema] labels must be a list, not a string",
    ), note="`txt` instead of `text`, and `labels` not a list."),
    Example("posts/drill/a.yaml", "account: drill\ntext: Hello\nlabels: [press]\n"),
)

_POST_VALIDATOR = Validator(POST_SCHEMA)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    if not isinstance(post.doc.data, dict):
        yield Hit(Mark(1, 1), f"a post must be a mapping of keys (account, text, ...), not "
                              f"{type(post.doc.data).__name__.replace('list', 'a list').replace('str', 'text')}")
        return
    for error in _POST_VALIDATOR.iter_errors(post.doc.data):
        for mark, message in explain(error, post.doc):
            yield Hit(mark, message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
