"""`reply_to` is either the id of another post in this repository, or the URL of a post on the platform of
every account the post goes to: `https://x.com/<user>/status/<id>` (or twitter.com) for X,
`https://<server>/@<user>/<id>` for Mastodon, `https://bsky.app/profile/<handle>/post/<id>` or the post's
at:// URI (`at://<did or handle>/app.bsky.feed.post/<id>`) for Bluesky. A post cannot reply to itself.

Some platforms take less: on **Facebook** a reply is a comment by the Page on one of its own posts, so
`reply_to` must be the id of a post in this repository (published to the same Page), never a URL; postops
posts neither replies nor threads to **LinkedIn**, so a post for a LinkedIn account has no `reply_to` and no
`thread` ([platforms-facebook.md](platforms-facebook.md), [platforms-linkedin.md](platforms-linkedin.md)).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from postops.lint import facts as facts_mod
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.platforms.spec import SPECS
from postops.repo.posts import Post

ID = "reply-target"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("reply_to is a post URL on the account's platform or the id of a post in this repository, on a "
               "platform that takes it as a reply (Facebook: only the page's own posts; LinkedIn: no replies or "
               "threads).")
OPTIONS: dict[str, str] = {}
EXAMPLES = (
    Example("posts/official/a.yaml",
            "account: official\nreply_to: https://mastodon.social/@someone/1234\ntext: Thank you!\n", (
                ("posts/official/a.yaml:2:11: error [reply-target] reply_to 'https://mastodon.social/@someone/1234' "
                "is not a post URL on x (account official expects https://x.com/<user>/status/<id>)"),
            )),
    Example("posts/official/a.yaml",
            "account: official\nreply_to: https://x.com/someone/status/1856000000000000000\ntext: Thank you!\n"),
)

_REPLY_HOSTS = {
    "x": ("x.com", "twitter.com", "mobile.twitter.com", "www.x.com", "www.twitter.com"),
    "bluesky": ("bsky.app",),
}
# What a platform takes as a reply, where that is less than any post by its URL (each platform's `reply_forms`).
# "own": only a post of the same account, named by its id in this repository (a Facebook Page comments on its
# own posts; a post's web address does not give its Graph API id). "none": neither replies nor threads.
REPLIES = {name: "none" if not spec.reply_forms else "own" for name, spec in SPECS.items()
           if not {"link", "at-uri"} & set(spec.reply_forms) and name != "outbox"}
# An at:// URI of a Bluesky post (https://atproto.com/specs/at-uri-scheme): its authority is a DID or a handle.
_AT_POST = re.compile(r"at://[^/\s]+/app\.bsky\.feed\.post/[^/\s]+")


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    yield from _replies_the_platform_refuses(ctx, post)
    target = post.reply_to
    if target is None:
        return
    mark = post.mark(("reply_to",))
    if "://" not in target:
        if target not in ctx.ids:
            yield Hit(mark, f"reply_to '{target}' is neither a URL nor the id of a post in this repository")
        elif target == post.id:
            yield Hit(mark, "a post cannot reply to itself")
        return
    at_uri = target.startswith("at://")  # a Bluesky record's own id: not a web address urlsplit can read
    try:
        parts = urlsplit("" if at_uri else target)
    except ValueError:
        yield Hit(mark, f"reply_to {target!r} is not a valid URL")
        return
    host = (parts.hostname or "").lower()
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        if account is None:
            continue
        if at_uri and account.platform != "bluesky":
            ok, expected = False, "a post URL"
        elif account.platform == "x":
            ok = host in _REPLY_HOSTS["x"] and re.search(r"/status/\d+", parts.path) is not None
            expected = "https://x.com/<user>/status/<id>"
        elif account.platform == "bluesky":
            ok = _AT_POST.fullmatch(target) is not None if at_uri else (host in _REPLY_HOSTS["bluesky"]
                                                                         and "/post/" in parts.path)
            expected = "https://bsky.app/profile/<handle>/post/<id> or at://<did>/app.bsky.feed.post/<id>"
        elif account.platform == "mastodon":
            ok = parts.scheme == "https" and bool(host) and re.search(r"/(@[^/]+|statuses)/\d+", parts.path) is not None
            expected = "https://<server>/@<user>/<id>"
        elif account.platform in REPLIES:
            continue  # said by _replies_the_platform_refuses
        else:
            ok = True
            expected = ""
        if not ok:
            yield Hit(mark, f"reply_to {target!r} is not a post URL on {account.platform} (account "
                            f"{account_key} expects {expected})", account_key)


def _replies_the_platform_refuses(ctx: Context, post: Post) -> Iterator[Hit]:
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        takes = REPLIES.get(account.platform) if account is not None else None
        if account is None or takes is None:
            continue
        name = facts_mod.PLATFORM_NAMES[account.platform]
        if takes == "none":
            if post.reply_to is not None:
                yield Hit(post.mark(("reply_to",)), f"postops cannot post replies to {name} (account "
                                                    f"{account_key}); publish it as a post of its own", account_key)
            if len(post.parts) > 1:
                yield Hit(post.mark(("thread",)), f"postops cannot post threads to {name} (account {account_key}); "
                                                  f"make it one post, or one post per part", account_key)
        elif post.reply_to is not None and "://" in post.reply_to:
            yield Hit(post.mark(("reply_to",)),
                      f"on {name} a reply is a comment by the page on one of its own posts (account "
                      f"{account_key}): reply_to must be the id of a post in this repository published there, "
                      f"not a URL", account_key)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, __doc__ or "", OPTIONS, EXAMPLES)
