"""References that exist: `postops init --from OWNER/REPO@REF` pins every reference to postops (the
action, pre-commit, GitLab's install) to one commit, and `workflows --check` and lint catch any that
disagree."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitfixtures import git
from ruamel.yaml import YAML

from postops.errors import UsageError
from postops.repo.config import load_config
from postops.scaffold.init import init_repo
from postops.scaffold.source import parse_from, reference_problems, resolve_from

PROJECT = Path(__file__).resolve().parents[1]
NOW = __import__("datetime").datetime(2026, 11, 20, 9, 0, tzinfo=__import__("zoneinfo").ZoneInfo("UTC"))
PUBLISH = ".github/workflows/postops-publish.yml"
PR = ".github/workflows/postops-pr.yml"


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


@pytest.fixture
def fork(tmp_path: Path) -> tuple[str, str, str]:
    """An organisation's copy of postops, as a git repository with an annotated tag: (url, tag, commit)."""
    origin = tmp_path / "acme" / "postops.git"
    origin.mkdir(parents=True)
    git(origin, "init", "--quiet", "--initial-branch=main")
    (origin / "requirements").mkdir()
    (origin / "requirements" / "postops-tone.txt").write_text("click==8.1.7 \\\n    --hash=sha256:00\n")
    (origin / "action.yml").write_text("name: postops\n")
    git(origin, "add", "-A")
    git(origin, "commit", "--quiet", "-m", "postops")
    git(origin, "tag", "-a", "v2.1.0", "-m", "release 2.1.0")
    commit = git(origin, "rev-parse", "HEAD")
    git(origin, "commit", "--quiet", "--allow-empty", "-m", "after the release")  # main moves on
    return f"file://{origin}", "v2.1.0", commit


def every_uses(text: str) -> list[str]:
    return [step["uses"] for job in load(text)["jobs"].values() for step in job["steps"] if "uses" in step]


def test_parse_from():
    assert parse_from("acme/postops@v1.2.0") == ("acme/postops", "v1.2.0", "https://github.com/acme/postops")
    assert parse_from("https://ghe.acme.example/comms/postops.git@main") == (
        "comms/postops", "main", "https://ghe.acme.example/comms/postops.git")
    for bad in ("acme/postops", "acme@v1", "acme/postops@", "acme/postops@v1;rm", "http://x/a/b@v1", "a/b/c@v1"):
        with pytest.raises(UsageError, match="--from"):
            parse_from(bad)


def test_a_commit_needs_no_lookup():
    commit = "0123456789abcdef0123456789abcdef01234567"
    source = resolve_from(f"acme/postops@{commit}")
    assert (source.repo, source.ref, source.commit) == ("acme/postops", commit, commit)


def test_a_tag_is_resolved_to_the_commit_it_peels_to(fork):
    url, tag, commit = fork
    source = resolve_from(f"{url}@{tag}")
    assert (source.repo, source.ref, source.commit, source.url) == ("acme/postops", tag, commit, url)
    with pytest.raises(UsageError, match="has no tag or branch 'v9'"):
        resolve_from(f"{url}@v9")


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_init_from_pins_every_reference_to_the_commit(tmp_path, fork, ci):
    url, tag, commit = fork
    target = tmp_path / "comms"
    init_repo(target, force=False, now=NOW, ci=ci, source=resolve_from(f"{url}@{tag}"))
    config = load_config(target)
    assert config.source is not None and (config.source.commit, config.source.ref) == (commit, tag)
    pre_commit = load((target / ".pre-commit-config.yaml").read_text())["repos"]
    assert [(r["repo"], r["rev"]) for r in pre_commit] == [(url, commit)]
    assert [h["id"] for h in pre_commit[0]["hooks"]] == ["postops-lint", "postops-lint-all"]
    if ci == "github":
        for rel in (PR, PUBLISH):
            assert {u for u in every_uses((target / rel).read_text()) if "postops" in u} == {f"acme/postops@{commit}"}
            assert f"acme/postops@{commit}  # {tag}" in (target / rel).read_text()
    else:
        variables = load((target / ".gitlab-ci.yml").read_text())["variables"]
        assert (variables["POSTOPS_SOURCE"], variables["POSTOPS_COMMIT"]) == (url, commit)
    assert reference_problems(target, config) == []
    assert [f for f in __import__("postops.lint.engine", fromlist=["run_lint"]).run_lint(target, config).findings
            if f.rule == "references"] == []


def test_the_command_line_keeps_the_source_in_postops_yaml(tmp_path, fork):
    url, tag, commit = fork
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "postops", "init", str(tmp_path / "comms"), "--from", f"{url}@{tag}"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "comms" / "postops.yaml").read_text()
    assert f"source:\n  repo: acme/postops\n  ref: {tag}\n  commit: {commit}\n  url: {url}\n" in text
    bad = subprocess.run([sys.executable, "-m", "postops", "init", str(tmp_path / "other"), "--from", "acme"],
                         capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 2 and "expected OWNER/REPO@REF" in bad.stderr
    assert not (tmp_path / "other").exists()


@pytest.fixture
def pinned(tmp_path, fork):
    url, tag, commit = fork
    target = tmp_path / "comms"
    init_repo(target, force=False, now=NOW, ci="github", source=resolve_from(f"{url}@{tag}"))
    (target / ".gitlab-ci.yml").write_text(
        __import__("postops.scaffold.workflows", fromlist=["x"]).render_workflows("gitlab", load_config(target))
        [".gitlab-ci.yml"])
    return target, url, commit


def references(target: Path) -> list[tuple[str, int, int, str]]:
    return reference_problems(target, load_config(target))


def test_a_workflow_moved_to_a_tag_is_reported_at_its_line(pinned):
    target, _, commit = pinned
    text = (target / PUBLISH).read_text().replace(f"acme/postops@{commit}", "acme/postops@v2", 1)
    (target / PUBLISH).write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "acme/postops@v2" in row)
    [(path, number, column, message)] = references(target)
    assert (path, number) == (PUBLISH, line)
    assert text.splitlines()[line - 1][column - 1:].startswith("acme/postops@v2")
    assert message.startswith(f"uses acme/postops@v2, but postops.yaml's source is acme/postops@{commit}")


def test_the_upstream_action_in_a_repository_that_uses_its_own_copy_is_reported(pinned):
    target, _, commit = pinned
    text = (target / PR).read_text().replace(f"acme/postops@{commit}", "postops/postops@v1", 1)
    (target / PR).write_text(text)
    assert [(p, m.split(",")[0]) for p, _, _, m in references(target)] == [(PR, "uses postops/postops@v1")]


def test_a_pre_commit_rev_that_disagrees_is_reported(pinned):
    target, _, commit = pinned
    path = target / ".pre-commit-config.yaml"
    path.write_text(path.read_text().replace(f"rev: {commit}", "rev: v0.1.0"))
    [(rel, line, _, message)] = references(target)
    assert rel == ".pre-commit-config.yaml" and path.read_text().splitlines()[line - 1].strip().startswith("rev: v0.1.0")
    assert f"source is at {commit}" in message


def test_gitlab_installing_from_the_index_or_another_commit_is_reported(pinned):
    target, _, commit = pinned
    path = target / ".gitlab-ci.yml"
    text = path.read_text().replace(f'POSTOPS_COMMIT: "{commit}"', 'POSTOPS_COMMIT: "main"')
    text = text.replace("  before_script:\n", '  before_script:\n    - pip install "postops[tone]==0.1.0"\n')
    path.write_text(text)
    found = sorted((line, message.split(",")[0]) for _, line, _, message in references(target))
    assert [m for _, m in found] == ["POSTOPS_COMMIT is main", "installs postops from the package index"]


def test_lint_and_workflows_check_report_references_that_disagree(pinned):
    target, _, commit = pinned
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT / "src"), os.environ.get("PYTHONPATH", "")])}

    def postops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "postops", *args], cwd=target, capture_output=True,
                              text=True, env=env, check=False)

    assert postops("workflows", "--check").returncode == 0
    (target / PUBLISH).write_text((target / PUBLISH).read_text().replace(commit, "f" * 40))
    check = postops("workflows", "--check")
    assert check.returncode == 1
    assert f"{PUBLISH}:" in check.stdout and "differs from what postops.yaml generates" in check.stdout
    assert f"uses acme/postops@{'f' * 40}, but postops.yaml's source is acme/postops@{commit}" in check.stdout
    lint = postops("lint")
    assert lint.returncode == 1 and "error [references]" in lint.stdout
    assert postops("workflows", "--force").returncode == 0
    assert postops("workflows", "--check").returncode == 0


def fake_command(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_gitlab_installs_postops_from_the_pinned_commit_with_hashed_dependencies(pinned, tmp_path):
    # the real before_script, with git for real against the fork and `python` recording what pip is asked
    target, _, commit = pinned
    pipeline = load((target / ".gitlab-ci.yml").read_text())
    script = [line for line in pipeline["default"]["before_script"] if "git fetch" not in line]
    work = tmp_path / "job"
    work.mkdir()
    fake_command(work / "bin", "python", 'echo "$*" >> pip.log; git -C .postops/source rev-parse HEAD >> pip.log')
    done = subprocess.run(["bash", "-c", "set -eo pipefail\n" + "\n".join(script)], cwd=work, capture_output=True,
                          text=True, check=False, env={**os.environ, **{k: str(v) for k, v in pipeline["variables"].items()},
                                                       "PATH": f"{work / 'bin'}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    log = (work / "pip.log").read_text().splitlines()
    assert log[1] == log[3] == commit  # the checkout is the pinned commit, not main's later one
    assert "--require-hashes" in log[0] and log[0].endswith("-r .postops/source/requirements/postops-tone.txt")
    assert {"--no-deps", "--no-build-isolation", "--no-index"} <= set(log[2].split())
    assert log[2].split()[-1] == ".postops/source"
