"""Every option that takes a time reads it the same way: with an offset, or without one in postops.yaml's
timezone (as `new --at` always did), never accepted by one option and refused by another."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitfixtures import content_repo

from postops.cli import main


@pytest.fixture
def root(tmp_path: Path) -> str:
    repo = content_repo(tmp_path, when=datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    config = (repo.root / "postops.yaml").read_text().replace("timezone: UTC", "timezone: America/New_York")
    assert "America/New_York" in config
    repo.write("postops.yaml", config)
    repo.commit("Publish from New York", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    return str(repo.root)


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_now_and_until_without_an_offset_are_read_in_the_configured_timezone(root: str) -> None:
    done = _invoke("plan", "--format", "json", "--now", "2026-03-01T05:00", "--until", "2026-03-02T09:00", "-C", root)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["now"] == "2026-03-01T05:00:00-05:00"
    with_offset = _invoke("plan", "--format", "json", "--now", "2026-03-01T10:00:00Z", "-C", root)
    assert json.loads(with_offset.output)["now"] == "2026-03-01T10:00:00+00:00"    # the same instant


def test_new_at_and_plan_now_read_the_same_text_as_the_same_time(root: str) -> None:
    written = _invoke("new", "drill", "Hello", "--at", "2026-03-01T09:30", "--now", "2026-03-01T08:00", "-C", root)
    assert "wrote posts/drill/" in written.output, written.output   # (lint may still ask for a CODEOWNERS)
    [post] = Path(root, "posts", "drill").rglob("*.yaml")
    assert "publish_at: 2026-03-01T09:30:00-05:00" in post.read_text()
    plan = _invoke("plan", "--format", "json", "--now", "2026-03-01T09:30", "-C", root)
    assert json.loads(plan.output)["now"] == "2026-03-01T09:30:00-05:00"


@pytest.mark.parametrize("option", ["--now", "--since"])
def test_a_date_without_a_time_is_refused_by_every_option(root: str, option: str) -> None:
    done = _invoke("status", option, "2026-03-01", "-C", root)
    assert done.exit_code == 2
    assert f"{option}: not a time: '2026-03-01' (use ISO 8601 with a date and a time" in done.output
    assert _invoke("new", "drill", "Hello", "--at", "2026-03-01", "-C", root).exit_code == 2


def test_status_since_without_an_offset(root: str) -> None:
    done = _invoke("status", "--format", "json", "--now", "2026-03-01T05:00", "--since", "2026-03-01T04:00",
                   "-C", root)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["posts"] == []


def test_calendar_bounds_read_a_time_without_an_offset_like_every_other_option() -> None:
    from postops.publish.calendar import parse_bound

    assert parse_bound("2026-03-01T09:30", "America/New_York", end=False).isoformat() == "2026-03-01T09:30:00-05:00"
    assert parse_bound("2026-03-01", "America/New_York", end=True).isoformat() == "2026-03-02T00:00:00-05:00"
