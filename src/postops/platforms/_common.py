"""What the platform adapters do alike: read credentials from the environment, keep secrets out of messages,
count attempts, back-offs and rate-limit waits while calling a platform, and, where a request may have acted
without saying so, ask whether it did before anything is sent again.

What each platform says and how it fails stays in its own module; this is only the arithmetic and the
wording that must read the same whichever platform a message is about.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
import urllib3.exceptions

from postops import http
from postops.platforms.base import PartRequest, PlatformError
from postops.repo.config import Account

T = TypeVar("T")

# A shorter value would be replaced inside ordinary words, mangling the message to hide almost nothing.
_MIN_SECRET_LENGTH = 4


def utc_now() -> datetime:
    return datetime.now(UTC)


def describe(request: PartRequest) -> str:
    part = f" (thread part {request.part})" if request.part else ""
    return f"post {request.post_id}{part} to {request.account.key}"


def shown_path(path: Path, root: Path) -> str:
    """`path` as a message shows it: relative to the repository, or by its name when it lies outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


# -- credentials and secrets ----------------------------------------------------------------------


def read_credentials(account: Account, env: Mapping[str, str], suffixes: Sequence[str], *, platform: str,
                     holding: str, strip: bool = False) -> tuple[str, ...]:
    """The values of `<credentials>_<suffix>` for each suffix, in order; a PlatformError naming the
    variables that are missing, never any value.

    `holding` says what the variables hold ("its X keys"); `strip` drops white space around each value.
    """
    plural = len(suffixes) > 1
    prefix = account.credentials
    if not prefix:
        raise PlatformError(
            f"account {account.key} has no `credentials:` in postops.yaml: give it the prefix of the "
            f"environment variable{'s' if plural else ''} holding {holding} (e.g. POSTOPS_{account.key.upper()})",
            retryable=False, kind="auth")
    names = [f"{prefix}_{suffix}" for suffix in suffixes]
    values = [env.get(name, "") for name in names]
    if strip:
        values = [value.strip() for value in values]
    # An unset CI secret usually arrives as an empty string, not as a missing variable.
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        several = len(missing) > 1
        raise PlatformError(
            f"account {account.key} cannot post to {platform}: environment variable{'s' if several else ''} "
            f"{', '.join(missing)} {'are' if several else 'is'} not set "
            f"(see docs/platforms-{platform.lower()}.md)",
            retryable=False, kind="auth")
    return tuple(values)


def worth_hiding(values: Iterable[str]) -> list[str]:
    """The values `scrub` should replace: those long enough that replacing them cannot mangle a message."""
    return [value for value in values if len(value) >= _MIN_SECRET_LENGTH]


def scrub(message: str, secrets: Iterable[str]) -> str:
    """`message` with every secret in it replaced by ***: platforms echo what they were sent into errors."""
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


# -- calling a platform -----------------------------------------------------------------------------


class Attempts(http.Attempts):
    """`postops.http.Attempts` with the words every platform's errors share."""

    def wait_out_rate_limit(self, what: str, who: str, reset: datetime | None, now: datetime) -> None:
        """Sleep until just past `reset`, or raise when the limit is not to be waited out.

        `who` is the platform or server that set the limit, as the error names it.
        """
        wait = wait_past(reset, now) if reset is not None else None
        if wait is None or not self.will_wait(wait):
            raise rate_limit_used_up(what, who, reset, now) from None  # the platform's own error adds nothing
        self.sleep(wait)

    def back_off(self, what: str, reason: str, scrub: Callable[[str], str]) -> None:
        """Count a failed attempt; pause before the next one, or raise when that was the last."""
        failures = self.failed()
        if failures is not None:
            tries = f"{failures} attempt{'s' if failures > 1 else ''}"
            raise PlatformError(scrub(f"{what}: {reason} ({tries}); a later run will try again"),
                                retryable=True, kind="transient")


def wait_past(reset: datetime, now: datetime) -> float:
    """Seconds from `now` to a whole second past `reset`: limits count in whole seconds, an early retry is wasted."""
    return float(max(0, math.ceil((reset - now).total_seconds())) + 1)


def rate_limit_used_up(what: str, who: str, reset: datetime | None, now: datetime) -> PlatformError:
    """The error for a rate limit not waited out; `who` is the platform or server that set it."""
    when = f"{who} did not say when it resets"
    if reset is not None:
        minutes = max(0, math.ceil((reset - now).total_seconds() / 60))
        when = f"it resets at {reset.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC (in about {minutes} min)"
    return PlatformError(f"{what}: {who}'s rate limit is used up; {when}. A later run will try again",
                         retryable=True, kind="rate-limit")


def surely_unsent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the platform, so repeating it cannot act twice."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def network_failure(exc: requests.RequestException, who: str) -> tuple[str, bool] | None:
    """(why `who` was not heard from, whether the request may have reached it) for a timeout or a connection
    failure; None for any other failure of requests, which is no reason to try again."""
    if isinstance(exc, requests.Timeout):
        return f"{who} did not answer in time", not surely_unsent(exc)
    if isinstance(exc, requests.ConnectionError):
        return f"could not reach {who}", not surely_unsent(exc)
    return None


def ask_whether_it_went_out(what: str, reason: str, went_out: Callable[[], T | None],
                            scrub: Callable[[str], str]) -> T | None:
    """What `went_out()` finds after a failure (`reason`) that leaves open whether the platform acted; when it
    cannot find out either, the in-doubt error that keeps the part from being sent a second time."""
    try:
        return went_out()
    except PlatformError as check:
        raise PlatformError(scrub(
            f"{what}: {reason}, so it may have gone out, and checking failed ({check.message}); "
            f"it was not sent again so that it cannot go out twice"), retryable=True, kind="in-doubt") from None


def json_answer(response: requests.Response, who: str) -> Any:
    """The JSON of a successful answer ({} for an empty one), or a retryable PlatformError."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise PlatformError(f"{who} answered {response.status_code} with something that is not JSON",
                            retryable=True, kind="error") from None
