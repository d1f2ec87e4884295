"""Every command's output goes through one registry: the formats --help offers are the registered ones, and
--output writes exactly what standard output would have shown."""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitfixtures import content_repo, post_yaml

from postops.cli import main
from postops.errors import UsageError
from postops.report import REPORTS, check_format, formats

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")


@pytest.mark.parametrize("command", sorted(REPORTS))
def test_help_offers_the_registered_formats_with_a_description(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    option = re.search(r"--format \[([^\]]*)\]\s+(.*)", result.output)
    assert option is not None, result.output
    assert option.group(1).split("|") == formats(command)
    assert formats(command)[0] == "text"
    assert all(f"{fmt}:" in option.group(2) for fmt in formats(command))   # each format says what it is for
    assert "--output" in result.output


@pytest.mark.parametrize("command", sorted(REPORTS))
def test_the_registry_names_each_modules_formats_in_its_order(command: str) -> None:
    module = importlib.import_module(REPORTS[command].module)
    assert list(REPORTS[command]) == list(module.FORMATS)
    assert all(REPORTS[command][fmt] is module.FORMATS[fmt] for fmt in module.FORMATS)


def test_an_unknown_format_names_the_choices() -> None:
    with pytest.raises(UsageError, match=r"unknown report format 'xml'; choose one of text, json, markdown"):
        check_format("plan", "xml")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("registry")
    repo = content_repo(base, when=T - timedelta(days=1))
    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill2/later.yaml", post_yaml("drill2", "Later", "2026-03-02T09:00:00Z"))
    repo.commit("Add posts", T - timedelta(hours=2))
    env = {"POSTOPS_OUTBOX_DIR": str(base / "outbox")}
    done = CliRunner().invoke(main, ["publish", "--now", T.isoformat(), "-C", str(repo.root)], env=env)
    assert done.exit_code == 0, done.output
    return repo.root


@pytest.mark.parametrize("command", ["plan", "status", "log"])
def test_output_writes_what_standard_output_shows(published: Path, command: str, tmp_path: Path) -> None:
    now = [] if command == "log" else ["--now", T.isoformat()]
    for fmt in formats(command):
        args = [command, "--format", fmt, *now, "-C", str(published)]
        shown = CliRunner().invoke(main, args)
        assert shown.exit_code == 0, shown.output
        target = tmp_path / f"{command}.{fmt}"
        written = CliRunner().invoke(main, [*args, "--output", str(target)])
        assert written.exit_code == 0 and written.output == ""
        assert target.read_text() == shown.output and shown.output.endswith("\n") and "later" in shown.output
