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


def see_main(root: Path, when: datetime) -> None:
    """What a publisher running at `when` (the publish workflow runs on every push to main) records first:
    the commits on main it sees for the first time, without acting on anything. Tests of timing use it to
    stand for that run, since min_lead counts from it and never from a commit's own date."""
    from postops.errors import PostopsError
    from postops.publish.desired import check_checkout, load_desired
    from postops.publish.engine import Publisher
    from postops.publish.ledger import Store
    from postops.repo import git

    config = load_config(root)
    remote = git.remote(root)
    try:
        head = check_checkout(root, remote)
    except PostopsError:
        return   # not main's tip: no publisher would see this
    store = Store(root, config.state_branch, remote)
    store.main = head
    publisher = Publisher(root, config, load_desired(root, config), env={}, now=lambda: when, head=head)
    for _ in range(5):
        ledger = store.read(fetch=True)
        events = publisher.sightings(ledger)
        if not events or store.append(ledger, events, f"postops run {publisher.run}: seen") is not None:
            return
    raise AssertionError("the state branch kept moving")
