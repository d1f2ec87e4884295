"""How hard postops tries one HTTP call, for every client it has (the platforms' and GitHub's): attempts,
doubling pauses between them, and rate-limit waits worth sitting out.

Only the counting and the pausing live here; what a failure means, and the words of the error that ends
the attempts, stay with each client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Retry:
    """How hard one call tries: failed attempts before giving up, the first pause between them (doubling
    after each), and the longest rate-limit wait worth sitting out rather than leaving to a later run.
    """

    attempts: int = 3
    backoff: float = 2.0
    max_rate_wait: float = 60.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "attempts", max(1, self.attempts))


DEFAULT_RETRY = Retry()


class Attempts:
    """One call's attempts so far, against its `Retry`: what the next failure or rate limit leads to."""

    def __init__(self, retry: Retry, sleep: Callable[[float], None]) -> None:
        self._retry = retry
        self._sleep = sleep
        self._waited_for_rate = False
        self._failures = 0

    def will_wait(self, seconds: float) -> bool:
        """Whether a rate limit that resets in `seconds` is waited out: once per call, and only a short wait."""
        if self._waited_for_rate or seconds > self._retry.max_rate_wait:
            return False
        self._waited_for_rate = True
        return True

    def failed(self, pause: float | None = None) -> int | None:
        """Count a failed attempt. When that was the last, return how many failed (the caller raises its
        error); else pause before the next one, for `pause` seconds or the doubling back-off, and return None.
        """
        self._failures += 1
        if self._failures >= self._retry.attempts:
            return self._failures
        self._sleep(self._retry.backoff * 2 ** (self._failures - 1) if pause is None else pause)
        return None

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)
