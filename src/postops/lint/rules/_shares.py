"""What the rules `repost`, `quote` and `poll` share: the accounts a post goes to with what their platform
takes, and a reference to another post.

What a platform takes comes from its declaration (postops.platforms.spec), with the limits an account's own
server sets (a Mastodon instance's), never from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from postops.lint.rules.base import Context, Hit
from postops.platforms.spec import SPECS, Features
from postops.repo.posts import Post


def accounts(ctx: Context, post: Post) -> Iterator[tuple[str, str, Features]]:
    for key in post.accounts:
        account = ctx.config.accounts.get(key)
        if account is not None:
            spec = SPECS.get(account.platform)
            yield key, account.platform, spec.features_for(account) if spec is not None else Features()


def reference(ctx: Context, post: Post, target: str, key: str, where: tuple[Any, ...]) -> Iterator[Hit]:
    if "://" in target:
        return
    if target == post.id:
        yield Hit(post.mark(where), f"a post cannot {key} itself")
    elif target not in ctx.ids:
        yield Hit(post.mark(where), f"{key} {target!r} is neither a URL nor the id of a post in this repository")


def in_part(index: int) -> str:
    return f" (thread part {index + 1})" if index else ""
