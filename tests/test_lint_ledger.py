"""Lint and the ledger: a published post may not be edited, and a retracted id never comes back."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from gitfixtures import content_repo, post_yaml

from postops.lint.engine import run_lint
from postops.publish.commands import publish_command
from postops.publish.gate import lint_state
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)


def publish(repo, now: datetime, outbox: Path) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(outbox)}, lint=lambda root, config: {})
    assert code == 0, lines


def lint(root: Path) -> list[tuple[str, str, int]]:
    config = load_config(root)
    return [(f.rule, f.path, f.line) for f in run_lint(root, config, state=lint_state(root, config)).findings
            if f.rule != "codeowners"]


def test_editing_a_published_post_and_bringing_back_a_retracted_id(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    added = repo.commit("Add", T - 60 * M)
    publish(repo, T, outbox)
    assert lint(repo.root) == []

    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello, edited", "2026-03-01T10:00:00Z"))
    assert lint(repo.root) == [("published-edit", "posts/drill/hello.yaml", 3)]
    # the same content in another folder is the same post: not an edit
    repo.git("checkout", "--", "posts/drill/hello.yaml")
    (repo.root / "posts/drill/2026").mkdir()
    repo.git("mv", "posts/drill/hello.yaml", "posts/drill/2026/hello.yaml")
    assert lint(repo.root) == []
    repo.git("mv", "posts/drill/2026/hello.yaml", "posts/drill/hello.yaml")

    repo.revert(added, T + 10 * M)
    publish(repo, T + 11 * M, outbox)                                  # retracted
    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello again", "2026-03-02T10:00:00Z"))
    assert lint(repo.root) == [("retracted-id", "posts/drill/hello.yaml", 1)]

    # and `postops lint` on the command line reads the ledger the same way
    done = subprocess.run([sys.executable, "-m", "postops", "lint", "-q"], cwd=repo.root, capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert "[retracted-id] post id 'hello' was retracted" in done.stdout
