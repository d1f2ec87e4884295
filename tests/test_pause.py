from __future__ import annotations

from pathlib import Path

import pytest
from gitfixtures import CONFIG, content_repo

from postops.errors import UsageError
from postops.publish.commands import pause_command, resume_command
from postops.publish.pause import paused_text
from postops.repo.config import load_config

CONFIG_TEXT = """\
version: 1
# who we are
accounts:
  drill: {platform: outbox}   # the drill account
paused: null           # or {reason: ...}: the kill switch
publish:
  min_lead: 10m
"""


def test_pause_and_resume_change_only_the_paused_entry() -> None:
    paused = paused_text(CONFIG_TEXT, {"reason": 'Election night: "quiet" period', "since": "2026-03-01T10:00:00+00:00"})
    assert paused == CONFIG_TEXT.replace(
        "paused: null           # or {reason: ...}: the kill switch\n",
        "paused:  # or {reason: ...}: the kill switch\n"
        "  reason: \"Election night: \\\"quiet\\\" period\"\n"
        "  since: \"2026-03-01T10:00:00+00:00\"\n")
    resumed = paused_text(paused, None)
    assert resumed == CONFIG_TEXT.replace("paused: null           #", "paused: null  #")


def test_pause_adds_the_key_when_missing() -> None:
    text = "version: 1\naccounts:\n  drill: {platform: outbox}"
    assert paused_text(text, {"reason": "stop"}) == text + "\npaused:\n  reason: \"stop\"\n"


def test_pause_command_writes_a_valid_config_and_commits_it(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    lines: list[str] = []
    assert pause_command(repo.root, reason="crisis", commit=True, echo=lines.append) == 0
    config = load_config(repo.root)
    assert config.paused and config.paused["reason"] == "crisis" and config.paused["by"] == "Test Author"
    assert repo.git("log", "-1", "--format=%s") == "Pause publishing: crisis"
    assert repo.git("status", "--porcelain") == ""
    text = (repo.root / "postops.yaml").read_text()
    assert text.startswith(CONFIG.format(max_retractions=5).split("paused:")[0])
    assert resume_command(repo.root, commit=True, echo=lines.append) == 0
    assert load_config(repo.root).paused is None
    assert (repo.root / "postops.yaml").read_text() == CONFIG.format(max_retractions=5).replace(
        "paused: null           #", "paused: null  #")
    assert resume_command(repo.root, commit=False, echo=lines.append) == 0
    assert lines[-1] == "publishing is not paused"


def test_pause_without_commit_leaves_the_change_to_review(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    lines: list[str] = []
    assert pause_command(repo.root, reason="wait", commit=False, echo=lines.append) == 0
    assert repo.git("status", "--porcelain") == "M postops.yaml"
    assert "commit and merge it" in lines[0]
    with pytest.raises(UsageError, match="say why") as refused:
        pause_command(repo.root, reason="  ", commit=False, echo=lines.append)
    assert refused.value.exit_code == 2
