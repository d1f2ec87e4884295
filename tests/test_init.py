"""`postops init`: a content repository that works at once, and never overwrites without --force."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postops.cli import main
from postops.errors import UsageError
from postops.lint.engine import run_lint
from postops.lint.policy import POLICY_SCHEMA_FILE
from postops.lint.policy_schema import POLICY_META_SCHEMA
from postops.lint.rules import ALL_BUILTINS
from postops.repo.config import load_config
from postops.repo.posts import SCHEMA_FILE, discover, load_post
from postops.repo.schemas import POST_SCHEMA
from postops.repo.yamlfile import parse
from postops.scaffold.init import SCAFFOLD_TIMEZONE, init_repo

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("America/New_York"))   # a Friday


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def test_the_new_repository_lints_clean(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    result = run_lint(tmp_path, load_config(tmp_path))
    assert result.findings == ()
    assert result.posts == 2
    # every example policy was loaded and is active
    policy_rules = {r.id for r in result.rules} - set(ALL_BUILTINS)
    assert policy_rules == {"banned-phrases", "official-mentions", "drill-mentions", "max-two-hashtags",
                            "own-domains", "quiet-hours", "no-weekend-press", "alt-text", "official-folder",
                            "offensive-tone", "negative-sentiment"}


def write_post(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def test_tone_rules_catch_the_insult_no_word_list_names(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    write_post(tmp_path, "posts/official/eat.yaml", "account: official\ntext: Eat dirt, losers\n")
    result = run_lint(tmp_path, load_config(tmp_path))
    assert [(f.rule, f.severity, f.line) for f in result.findings] == [
        ("negative-sentiment", "warning", 2), ("offensive-tone", "error", 2)]
    offensive = result.findings[1].message
    assert offensive.startswith("text reads as offensive (") and offensive.endswith(' >= 0.50): "Eat dirt, losers"')


def test_without_the_tone_extra_the_tone_rules_are_off_and_the_repository_still_lints(tmp_path, monkeypatch):
    import postops.lint.tone

    def unavailable(facts):
        raise postops.lint.tone.ToneUnavailable("not installed")

    monkeypatch.setattr(postops.lint.tone, "check_available", unavailable)
    init_repo(tmp_path, force=False, now=NOW)
    text = (tmp_path / "policies" / "tone-models.yaml").read_text()
    assert "pip install 'postops[tone]'`, set offensive-tone to error" in text
    monkeypatch.undo()
    write_post(tmp_path, "posts/official/eat.yaml", "account: official\ntext: Eat dirt, losers\n")
    result = run_lint(tmp_path, load_config(tmp_path))
    assert result.findings == ()
    assert not {"offensive-tone", "negative-sentiment"} & {r.id for r in result.rules}


def test_config_has_a_drill_outbox_and_an_x_account(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    config = load_config(tmp_path)
    assert config.timezone == SCAFFOLD_TIMEZONE
    drill, official = config.accounts["drill"], config.accounts["official"]
    assert (drill.platform, drill.path) == ("outbox", ".postops/outbox")
    assert (official.platform, official.approvals, official.credentials) == ("x", 2, "POSTOPS_OFFICIAL")
    assert official.handle and official.approvers


def test_example_posts_are_one_per_account_in_its_folder_in_the_future_on_a_weekday(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    config = load_config(tmp_path)
    posts = [load_post(tmp_path, rel, config) for rel in discover(tmp_path)]
    assert sorted((p.folder, p.accounts) for p in posts) == [("drill", ("drill",)),
                                                             ("official", ("official",))]
    for post in posts:
        assert post.publish_at is not None and post.publish_at > NOW
        assert post.publish_at.weekday() < 5
        day = post.publish_at.date().isoformat()
        assert post.path.startswith(f"posts/{post.folder}/{day[:4]}/{day[5:7]}/{day}-")
    assert posts[1].publish_at.date().isoformat() == "2026-12-04"   # a week after Friday the 27th


def test_schema_file_and_modelines(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    assert json.loads((tmp_path / SCHEMA_FILE).read_text()) == POST_SCHEMA
    for rel in discover(tmp_path):
        first = (tmp_path / rel).read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        target = (tmp_path / rel).parent / first.split("=", 1)[1]
        assert target.resolve() == (tmp_path / SCHEMA_FILE).resolve()


def test_policy_schema_file_and_modelines(tmp_path):
    init_repo(tmp_path, force=False, now=NOW)
    assert json.loads((tmp_path / POLICY_SCHEMA_FILE).read_text()) == POLICY_META_SCHEMA
    policies = sorted((tmp_path / "policies").glob("*.yaml"))
    assert policies
    for path in policies:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (path.parent / first.split("=", 1)[1]).resolve() == (tmp_path / POLICY_SCHEMA_FILE).resolve()


def test_git_gitignore_media_and_pre_commit(tmp_path):
    target = tmp_path / "comms"
    written = init_repo(target, force=False, now=NOW)
    assert git(target, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert target / ".git" in written
    assert ".postops/" in (target / ".gitignore").read_text().split()
    assert (target / "media" / ".gitkeep").is_file()
    hooks = parse((target / ".pre-commit-config.yaml").read_bytes(), "p").data["repos"][0]
    assert hooks["repo"] == "local"
    lint_hook = hooks["hooks"][0]
    assert (lint_hook["id"], lint_hook["entry"], lint_hook["language"]) == \
        ("postops-lint", "postops lint", "system")
    # nothing the scaffold keeps only for packaging ends up in the user's repository
    names = {p.name for p in target.rglob("*") if ".git" not in p.relative_to(target).parts}
    assert not {n for n in names if n.startswith("dot-") or n.endswith(".pyc") or n == "__pycache__"}
    # the outbox is ignored by git, the rest is ready to be committed
    (target / ".postops" / "outbox").mkdir(parents=True)
    (target / ".postops" / "outbox" / "x.json").write_text("{}")
    status = git(target, "status", "--porcelain", "--untracked-files=all")
    assert ".postops/" not in status and "postops.yaml" in status and ".postops-schema.json" in status


def test_inside_an_existing_git_repository_no_new_one_is_made(tmp_path):
    git(tmp_path, "init", "--quiet")
    written = init_repo(tmp_path / "social", force=False, now=NOW)
    assert not (tmp_path / "social" / ".git").exists()
    assert tmp_path / "social" / ".git" not in written


def test_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / "postops.yaml").write_text("mine\n")
    (tmp_path / ".gitignore").write_text("mine too\n")
    with pytest.raises(UsageError) as caught:
        init_repo(tmp_path, force=False, now=NOW)
    assert caught.value.exit_code == 2
    assert ".gitignore" in caught.value.message and "postops.yaml" in caught.value.message
    assert "--force" in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "postops.yaml"]
    assert (tmp_path / "postops.yaml").read_text() == "mine\n"


def test_force_overwrites(tmp_path):
    (tmp_path / "postops.yaml").write_text("mine\n")
    init_repo(tmp_path, force=True, now=NOW)
    assert load_config(tmp_path).accounts["drill"].platform == "outbox"


def test_force_replaces_a_symlink_not_the_file_it_points_to(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitignore").symlink_to(outside)
    init_repo(repo, force=True, now=NOW)
    assert outside.read_text() == "keep me\n"
    assert not (repo / ".gitignore").is_symlink()


def test_command_prints_what_it_wrote_and_refuses_a_second_time(tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["init", str(tmp_path / "comms")])
    assert first.exit_code == 0, first.output
    assert "  postops.yaml\n" in first.output and "  policies/tone.yaml\n" in first.output
    assert ".git/ (git repository, branch main)" in first.output
    assert "postops lint" in first.output and "pre-commit install" in first.output
    second = runner.invoke(main, ["init", str(tmp_path / "comms")])
    assert second.exit_code == 2
    assert "postops.yaml" in second.output and "--force" in second.output
    assert runner.invoke(main, ["init", "--force", str(tmp_path / "comms")]).exit_code == 0


def test_a_file_in_the_way_of_the_folder_is_a_usage_error(tmp_path):
    (tmp_path / "comms").write_text("")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "comms")])
    assert result.exit_code == 2
