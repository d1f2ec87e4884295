"""The rules `repost`, `quote` and `poll`: what each kind of post needs, and which platform takes it.

What a platform takes comes from its declaration (postops.platforms.base.FEATURES), never from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from postops.lint.facts import PLATFORM_NAMES
from postops.platforms.base import FEATURES, Features
from postops.repo.posts import Post, duration_minutes

# What a repost cannot have: it has no content of its own.
_NOT_WITH_REPOST = ("text", "media", "thread", "poll", "quote", "reply_to")


def _accounts(ctx: Any, post: Post) -> Iterator[tuple[str, str, Features]]:
    for key in post.accounts:
        account = ctx.config.accounts.get(key)
        if account is not None:
            yield key, account.platform, FEATURES.get(account.platform, Features())


def _reference(ctx: Any, post: Post, target: str, key: str, where: tuple[Any, ...]) -> Iterator[Any]:
    from postops.lint.rules import Hit  # noqa: PLC0415 - lint.rules imports this module: a cycle

    if "://" in target:
        return
    if target == post.id:
        yield Hit(post.mark(where), f"a post cannot {key} itself")
    elif target not in ctx.ids:
        yield Hit(post.mark(where), f"{key} {target!r} is neither a URL nor the id of a post in this repository")


def check_repost(ctx: Any, post: Post) -> Iterator[Any]:
    from postops.lint.rules import Hit  # noqa: PLC0415 - lint.rules imports this module: a cycle

    if post.repost is None:
        return
    for key in _NOT_WITH_REPOST:
        if key in post.data:
            yield Hit(post.doc.key_mark((key,)), f"a repost has no {key} of its own: remove {key}, or write a "
                      "post that quotes it (quote:) instead")
    yield from _reference(ctx, post, post.repost, "repost", ("repost",))
    for key, platform, features in _accounts(ctx, post):
        if not features.repost:
            yield Hit(post.mark(("repost",)), f"postops cannot repost on {PLATFORM_NAMES[platform]} (account "
                      f"{key})", key)


def check_quote(ctx: Any, post: Post) -> Iterator[Any]:
    from postops.lint.rules import Hit  # noqa: PLC0415 - lint.rules imports this module: a cycle

    for part in post.parts:
        if part.quote is None:
            continue
        where = (*part.where[:-1], "quote")
        yield from _reference(ctx, post, part.quote, "quote", where)
        for key, platform, features in _accounts(ctx, post):
            if not features.quote:
                yield Hit(post.mark(where), f"postops cannot quote a post on {PLATFORM_NAMES[platform]} (account "
                          f"{key}){_in_part(part.index)}", key)


def check_poll(ctx: Any, post: Post) -> Iterator[Any]:
    from postops.lint.rules import Hit  # noqa: PLC0415 - lint.rules imports this module: a cycle

    for part in post.parts:
        if part.poll is None:
            continue
        where = (*part.where[:-1], "poll")
        minutes = duration_minutes(part.poll.duration)
        for key, platform, features in _accounts(ctx, post):
            name, limits, suffix = PLATFORM_NAMES[platform], features.poll, _in_part(part.index)
            if limits is None:
                yield Hit(post.mark(where), f"{name} has no polls (account {key}){suffix}", key)
                continue
            count = len(part.poll.options)
            if not limits.min_options <= count <= limits.max_options:
                yield Hit(post.mark((*where, "options")), f"a poll on {name} has {limits.min_options} to "
                          f"{limits.max_options} options, not {count} (account {key}){suffix}", key)
            for i, option in enumerate(part.poll.options):
                if len(option) > limits.max_option_chars:
                    yield Hit(post.mark((*where, "options", i)), f"poll option {i + 1} has {len(option)} "
                              f"characters; {name} takes {limits.max_option_chars} (account {key}){suffix}", key)
            if minutes is not None and not limits.min_minutes <= minutes <= limits.max_minutes:
                yield Hit(post.mark((*where, "duration")), f"a poll on {name} is open {_span(limits.min_minutes)} "
                          f"to {_span(limits.max_minutes)}, not {part.poll.duration} (account {key}){suffix}", key)
            if part.media and not limits.with_media:
                yield Hit(post.mark(where), f"{name} takes a poll or media in one post, not both (account "
                          f"{key}){suffix}", key)


def _in_part(index: int) -> str:
    return f" (thread part {index + 1})" if index else ""


def _span(minutes: int) -> str:
    for unit, size in (("days", 1440), ("hours", 60)):
        if minutes >= size and minutes % size == 0:
            return f"{minutes // size} {unit}"
    return f"{minutes} minutes"
