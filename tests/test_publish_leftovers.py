"""What a killed process leaves behind, and what `status` says after a retraction fails."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, post_yaml
from publishfixtures import no_lint

from postops.publish.commands import publish_command, status_command

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)



def publish(repo: Repo, now: datetime) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}, lint=no_lint)
    return code, lines


def with_post(tmp_path: Path, *, remote: bool) -> Repo:
    repo = content_repo(tmp_path, remote=remote, when=T - timedelta(days=1))
    repo.write("posts/drill/welcome.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)
    return repo


def left_lock(repo: Repo, ref: str, *, age: float) -> Path:
    """What `git update-ref` killed mid-way leaves: the ref's lock file."""
    lock = repo.root / repo.git("rev-parse", "--git-path", f"{ref}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("0" * 40 + "\n")
    then = time.time() - age
    os.utime(lock, (then, then))
    return lock


@pytest.mark.parametrize("remote", [False, True])
def test_a_lock_left_by_a_killed_git_is_cleared_and_the_run_goes_on(tmp_path: Path, remote: bool) -> None:
    repo = with_post(tmp_path, remote=remote)
    ref = "refs/remotes/origin/postops/state" if remote else "refs/heads/postops/state"
    lock = left_lock(repo, ref, age=3600)
    code, lines = publish(repo, T)
    assert code == 0, lines
    assert not lock.exists()
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "published"]


def test_a_lock_some_process_holds_open_is_never_removed(tmp_path: Path) -> None:
    repo = with_post(tmp_path, remote=True)
    lock = left_lock(repo, "refs/remotes/origin/postops/state", age=3600)
    with open(lock):   # a git process still at work (here: this one)
        with pytest.raises(Exception, match="postops/state"):
            publish(repo, T)
        assert lock.exists()


WORKER_SCRIPT = """
import os, signal, sys
from postops.lint.engine import worker_pool
pool = worker_pool(1)
print(pool.submit(os.getpid).result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)   # a publisher killed with its pool still up
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open (Linux)")
def test_lint_workers_die_with_a_killed_parent() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # Popen and one line, not run(): a worker left behind keeps the output pipe open for ever.
    with subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], stdout=subprocess.PIPE, text=True,
                          env=env) as parent:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert parent.wait() == -signal.SIGKILL
    try:
        handle = os.pidfd_open(worker)
    except ProcessLookupError:
        return  # gone already
    try:
        exited, _, _ = select.select([handle], [], [], 20)   # woken by the worker's exit, no sleeping
        if not exited:
            os.kill(worker, signal.SIGKILL)
        assert exited, "the lint worker outlived its parent"
    finally:
        os.close(handle)


def test_status_after_a_failed_retraction_says_the_post_is_still_up(tmp_path: Path) -> None:
    repo = with_post(tmp_path, remote=True)
    assert publish(repo, T)[0] == 0
    repo.remove("posts/drill/welcome.yaml")
    repo.commit("Remove", T + M)
    (repo.root.parent / "outbox" / "drill" / "retracted").write_text("in the way")   # the delete fails
    code, lines = publish(repo, T + 2 * M)
    assert code == 1 and any("failed to retract" in line for line in lines), lines
    out: list[str] = []
    assert status_command(repo.root, fmt="json", now=T + 3 * M, echo=out.append, lint=no_lint) == 0
    [entry] = json.loads(out[0])["posts"]
    assert entry["state"] == "published", entry
    assert entry["error"].startswith("retraction failed: cannot move welcome.0.json out of the outbox")
    assert entry["url"] and entry["parts"][0]["state"] == "retract-failed"
    # and the text says the same, not that it is a conflict (the post was deleted, not edited)
    out = []
    assert status_command(repo.root, fmt="text", now=T + 3 * M, echo=out.append, lint=no_lint) == 0
    [row] = [line for line in "".join(out).splitlines() if "welcome" in line]
    assert "; retraction failed: cannot move welcome.0.json" in row and "conflict" not in row, row
