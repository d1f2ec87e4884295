"""What the tests of the publisher with a real platform adapter share: a publisher that dies between claim
and act, leaving a claim in doubt, and a publish run whose output is kept."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from postops.publish.engine import publish
from postops.repo.config import load_config


class Died(BaseException):
    """The publisher's process ending between claim and act (a crash, a cancelled CI job)."""


class DiesOnPublish:
    def __init__(self, *args: object) -> None:
        pass

    def publish(self, request: object) -> None:
        raise Died


def no_lint(root: Path, config: object) -> dict[str, Any]:
    return {}


def run(repo: Any, now: datetime, platform: Callable[..., Any], env: Mapping[str, str]) -> tuple[Any, list[str]]:
    """One publish run of `repo` at `now` with `platform` as every account's adapter: its result and output."""
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=now, env=env, lint=no_lint, platforms=platform,
                     echo=lines.append)
    return result, lines
