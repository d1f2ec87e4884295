"""The Platform protocol: publish one part, delete one part, find out whether a claimed part went out."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from postops.errors import PostopsError
from postops.platforms.spec import SPECS, Features, PlatformSpec, PollLimits, spec_of
from postops.repo.config import Account, PlatformName

__all__ = ["FEATURES", "SPECS", "Features", "PlatformSpec", "PollLimits", "spec_of"]


@dataclass(frozen=True)
class MediaFile:
    path: Path          # absolute path of the file inside the content repository
    alt: str | None


@dataclass(frozen=True)
class PartRequest:
    """One part of one post for one account: what a platform is asked to publish."""

    post_id: str
    account: Account
    part: int                       # 0-based: 0 is the post itself, 1.. the thread replies
    text: str
    media: tuple[MediaFile, ...] = ()
    reply_to: str | None = None     # platform id of the post this part replies to
    idempotency_key: str = ""       # stable for this post, account, part and content
    repost: str | None = None       # repost this (a URL, or the platform id of a post published here): no text
    quote: str | None = None        # quote this (a URL, or a platform id) beside the text
    poll: PollRequest | None = None


@dataclass(frozen=True)
class PollRequest:
    options: tuple[str, ...]
    minutes: int


# The one place lint and the publisher ask what each platform can do with reposts, quotes and polls: each
# platform's declaration in postops.platforms.spec.
FEATURES: dict[str, Features] = {name: spec.features for name, spec in SPECS.items()}


@dataclass(frozen=True)
class Published:
    platform_id: str
    url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class RemotePost:
    """A post as the platform shows it on the account: what `postops watch` compares with the ledger."""

    platform_id: str                # in the same form `publish` returns, so it can be matched with the ledger
    text: str
    url: str | None = None
    created_at: datetime | None = None


# How a platform call failed, as the ledger records it (`kind` of a failed event). `in-doubt`: the platform
# may have published the part and could not say; the publisher then records nothing, and the claim is
# resolved by `lookup` once its lease has run out, so the part is never published twice. `unavailable`:
# these credentials cannot read the account's posts (`recent`, for postops watch).
ErrorKind = Literal["rate-limit", "auth", "duplicate", "transient", "invalid", "error", "in-doubt", "unavailable"]


class PlatformError(PostopsError):
    """A platform refused or failed. `retryable` says whether a later run may try again."""

    def __init__(self, message: str, *, retryable: bool, kind: ErrorKind = "error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.kind: ErrorKind = kind


class Platform(Protocol):
    def publish(self, request: PartRequest) -> Published:
        """Publish one part. Raises PlatformError."""

    def delete(self, platform_id: str) -> None:
        """Delete one published part. A part that is already gone counts as deleted."""

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        """Whether `request`, claimed at `claimed_at` by a publisher that then died, was published."""

    def recent(self, since: datetime) -> list[RemotePost]:
        """The account's own posts made since `since`, newest first, as many as one bounded read returns.
        Raises PlatformError with kind "unavailable" when these credentials cannot read the account's posts."""


# platform name -> "module:factory"; factories take (account, repository root, environment).
# Modules are imported only when a platform is used, so lint never pays for tweepy.
PLATFORMS: dict[PlatformName, str] = {
    "outbox": "postops.platforms.outbox:OutboxPlatform",
    "x": "postops.platforms.x:XPlatform",
    "mastodon": "postops.platforms.mastodon:MastodonPlatform",
    "bluesky": "postops.platforms.bluesky:BlueskyPlatform",
    "facebook": "postops.platforms.facebook:FacebookPlatform",
    "linkedin": "postops.platforms.linkedin:LinkedInPlatform",
}


# Platforms whose tokens expire and that can say when (`token_expires()` on their adapter).
EXPIRING_TOKENS: tuple[PlatformName, ...] = ("facebook", "linkedin")
TOKEN_WARNING = timedelta(days=14)


def token_warnings(accounts: Mapping[str, Account], root: Path, env: Mapping[str, str], now: datetime) -> list[str]:
    """A warning for each account whose token expires within TOKEN_WARNING, or whose expiry could not be read.

    Only accounts whose secrets are in `env` are asked: `postops status` without them (on a laptop, in a pull
    request) says nothing about tokens.
    """
    warnings = []
    for key in sorted(accounts):
        account = accounts[key]
        if account.platform not in EXPIRING_TOKENS:
            continue
        try:
            platform = get_platform(account, root, env)
        except PlatformError:
            continue  # no token here to ask about
        try:
            expires = platform.token_expires()  # type: ignore[attr-defined]
        except PlatformError as exc:
            warnings.append(f"cannot tell when the token of account {key} expires: {exc.message}")
            continue
        if expires is not None and expires - now <= TOKEN_WARNING:
            days = max(0, (expires - now).days)
            when = "has expired" if expires <= now else f"expires in {days} day{'s' if days != 1 else ''}"
            warnings.append(f"the token of account {key} {when} ({expires:%Y-%m-%d %H:%M} UTC): make a new one "
                            f"before then (docs/platforms-{account.platform}.md)")
    return warnings


def get_platform(account: Account, root: Path, env: Mapping[str, str]) -> Platform:
    module_name, _, factory = PLATFORMS[account.platform].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise PostopsError(f"publishing to {account.platform} is not supported yet "
                           f"(account {account.key})") from None
    platform: Platform = getattr(module, factory)(account, root, env)
    return platform
