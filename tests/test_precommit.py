"""The real pre-commit, in a content repository made by `postops init`.

`try-repo` installs this checkout into a fresh virtualenv, as a user's `repo: <postops git URL>` would
(one environment build per test run: it needs PyPI for the dependencies). The scaffold's own
`.pre-commit-config.yaml` (`repo: local`, the installed postops) is checked with real commits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postops.scaffold.init import init_repo

PROJECT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/New_York"))
BAD = "posts/official/2026/12/2026-12-01-suck-it.yaml"
GOOD = "posts/official/2026/12/2026-12-01-report.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _pre_commit() -> list[str]:
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A git identity and pre-commit home of our own, whatever the machine's configuration says."""
    home = tmp_path_factory.mktemp("home")
    (home / "gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.org\n"
                                    "[init]\n\tdefaultBranch = main\n")
    return {**os.environ, "GIT_CONFIG_GLOBAL": str(home / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
            "PRE_COMMIT_HOME": str(home / "pre-commit"), "PRE_COMMIT_COLOR": "never"}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def content_repo(root: Path) -> Path:
    init_repo(root, force=False, now=NOW)
    # pre-commit installs postops for the hook without the tone extra (docs/posts.md says how to add it)
    (root / "policies" / "tone-models.yaml").unlink()
    return root


def add_posts(root: Path) -> None:
    for rel, text in ((BAD, "account: official\ntext: |-\n  Dear partners,\n  Suck it, @amnesty\n"),
                      (GOOD, "account: official\ntext: |-\n  Our report is out: https://example.org/r\n")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """This checkout's working tree, committed in a repository of its own: what try-repo installs.

    try-repo only sees committed files and changes to tracked ones, so new files would be missed.
    """
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], PROJECT, env)
    if listed.returncode != 0:
        pytest.skip("the project is not a git checkout")
    copy = tmp_path_factory.mktemp("postops-checkout")
    for rel in filter(None, listed.stdout.split("\0")):
        source = PROJECT / rel
        if source.is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / rel)
    for args in (["git", "init", "--quiet"], ["git", "add", "-A"],
                 ["git", "commit", "--quiet", "-m", "snapshot"]):
        assert run(args, copy, env).returncode == 0
    return copy


def test_the_hook_definition(checkout):
    from postops.repo.yamlfile import parse

    hooks = parse((PROJECT / ".pre-commit-hooks.yaml").read_bytes(), ".pre-commit-hooks.yaml").data
    hook = next(h for h in hooks if h["id"] == "postops-lint")
    assert (hook["entry"], hook["language"], hook["files"], hook["pass_filenames"]) == \
        ("postops lint", "python", r"^posts/.*\.ya?ml$", True)


def test_try_repo_fails_on_the_bad_post_and_passes_the_good_one(tmp_path, checkout, env):
    repo = content_repo(tmp_path / "content")
    add_posts(repo)
    done = run([*_pre_commit(), "try-repo", str(checkout), "postops-lint", "--files", BAD, GOOD,
                "postops.yaml"], repo, env)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "postops lint" in out and "Failed" in out
    assert f"{BAD}:4:3: error [banned-phrases] Official accounts don't say 'suck it'" in out
    assert f"{BAD}:4:12: error [official-mentions]" in out
    # both posts were linted (postops.yaml is not a post: the hook's `files` leaves it out), only one failed
    assert "2 files" in out and "2 posts" in out
    assert GOOD not in out
    assert "Warning" not in out   # nothing but findings, in a fresh environment too


def commit(repo: Path, env: dict[str, str], *paths: str) -> subprocess.CompletedProcess[str]:
    assert run(["git", "add", *paths], repo, env).returncode == 0
    return run(["git", "commit", "-m", "posts"], repo, env)


def test_the_scaffolds_own_hook_blocks_a_bad_commit_and_lets_a_good_one_through(tmp_path, env):
    # `repo: local` runs the `postops` on PATH: make it this checkout's
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    entry = "import sys; from postops.cli import main; sys.argv[0] = 'postops'; main()"
    (bin_dir / "postops").write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{entry}" "$@"\n')
    (bin_dir / "postops").chmod(0o755)
    local_env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT / "src"), env.get("PYTHONPATH")]))}
    repo = content_repo(tmp_path / "content")
    assert run([*_pre_commit(), "install"], repo, local_env).returncode == 0
    setup = commit(repo, local_env, ".")
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "postops lint (all posts, after a config or policy change)" in setup.stdout + setup.stderr
    add_posts(repo)

    good = commit(repo, local_env, GOOD)
    assert good.returncode == 0, good.stdout + good.stderr
    output = good.stdout + good.stderr
    assert "postops lint (changed posts)" in output and "Passed" in output

    bad = commit(repo, local_env, BAD)
    assert bad.returncode == 1
    assert f"{BAD}:4:3: error [banned-phrases]" in bad.stdout + bad.stderr
    assert run(["git", "log", "--format=%s"], repo, local_env).stdout.split("\n").count("posts") == 2
