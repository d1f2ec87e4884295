"""What the tests of the X, Mastodon and Bluesky adapters share: the platform's HTTP answered by `responses`,
the sleeps an adapter asks for, adapters built with a fixed clock, and the check that errors hide secrets.

A test module imports what it uses; it takes the fixtures by naming them in its namespace,
`http, sleeps = platformfixtures.http, platformfixtures.sleeps`, where pytest finds them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import responses

from postops.repo.config import Account

P = TypeVar("P")

# The smallest file whose name and first bytes say PNG: enough for every check an adapter makes.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """The platform's HTTP, answered by `responses`; a request nothing answers fails as a connection error."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    """The seconds an adapter asked to sleep, in order: adapters made by `adapter_factory` append here."""
    return []


def adapter_factory(adapter: Callable[..., P], root: Path, sleeps: list[float], *, account: Account,
                    env: Mapping[str, str], now: datetime) -> Callable[..., P]:
    """`make(account=account, env=env, **options)`: an adapter whose clock says `now` and whose sleeps are
    recorded in `sleeps` instead of slept."""
    default_account, default_env = account, env

    def make(account: Account = default_account, env: Mapping[str, str] | None = None, **options: Any) -> P:
        return adapter(account, root, default_env if env is None else env,
                       sleep=sleeps.append, clock=lambda: now, **options)

    return make


def assert_no_secrets(error: BaseException, secrets: Iterable[str]) -> None:
    for secret in secrets:
        # Said in full: pytest does not rewrite the assertions of a module that tests import.
        assert secret not in str(error), f"{secret!r} shows in the error: {error}"


def calls_to(mock: responses.RequestsMock, method: str, url: str) -> list[Any]:
    """The calls made with `method` to `url`, whatever their query string."""
    return [c for c in mock.calls if c.request.method == method and (c.request.url or "").split("?")[0] == url]


def body(call: Any) -> Any:
    return json.loads(call.request.body)
