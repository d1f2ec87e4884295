"""A repost (`repost:`) shares another post as it is: an X retweet, a Mastodon boost, a Bluesky repost. It has no text, media,
thread, poll, quote or reply of its own; to add words, quote the post instead (`quote:`). It names a URL,
or the id of another post in this repository (reposted once that post is published on the same account).
Facebook and LinkedIn accounts cannot repost through postops.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.facts import PLATFORM_NAMES
from postops.lint.rules._shares import accounts, reference
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.repo.posts import Post

ID = "repost"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("A repost (repost:) has no text, media, thread, poll or reply of its own, names a URL or a post in "
               "this repository, and is for platforms that repost (X, Mastodon, Bluesky).")
OPTIONS: dict[str, str] = {}
_URL = "repost: https://x.com/someone/status/1856000000000000000\n"
EXAMPLES = (
    Example("posts/official/a.yaml", "account: official\n" + _URL + "text: Look at this\n", (
        ("posts/official/a.yaml:3:1: error [repost] a repost has no text of its own: remove text, or write a post "
         "that quotes it (quote:) instead"),
    )),
    Example("posts/official/a.yaml", "account: official\n" + _URL),
)

# What a repost cannot have: it has no content of its own.
_NOT_WITH_REPOST = ("text", "media", "thread", "poll", "quote", "reply_to")


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    if post.repost is None:
        return
    for key in _NOT_WITH_REPOST:
        if key in post.data:
            yield Hit(post.doc.key_mark((key,)), f"a repost has no {key} of its own: remove {key}, or write a "
                      "post that quotes it (quote:) instead")
    yield from reference(ctx, post, post.repost, "repost", ("repost",))
    for key, platform, features in accounts(ctx, post):
        if not features.repost:
            yield Hit(post.mark(("repost",)), f"postops cannot repost on {PLATFORM_NAMES[platform]} (account "
                      f"{key})", key)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
