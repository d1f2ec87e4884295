"""plan, publish, status, pause and resume as a user runs them: real processes on a real repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from gitfixtures import content_repo, post_yaml

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)


def postops(root: Path, *args: str, outbox: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSTOPS_OUTBOX_DIR": str(outbox)}
    return subprocess.run([sys.executable, "-m", "postops", *args, "-C", str(root)], capture_output=True,
                          text=True, env=env)


def test_the_publishing_commands(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    repo.commit("Add a post", T - 60 * M)
    now = ["--now", T.isoformat()]

    plan = json.loads(postops(repo.root, "plan", "--format", "json", *now, outbox=outbox).stdout)
    assert [(a["action"], a["post"]) for a in plan["actions"]] == [("publish", "hello")]

    paused = postops(repo.root, "pause", "--reason", "crisis drill", "--commit", outbox=outbox)
    assert paused.returncode == 0, paused.stderr
    repo.git("push", "--quiet", "origin", "main")
    held = postops(repo.root, "publish", *now, outbox=outbox)
    assert held.returncode == 0 and "paused: crisis drill" in held.stdout
    assert not outbox.exists() or not list(outbox.rglob("*.json"))

    assert postops(repo.root, "resume", "--commit", outbox=outbox).returncode == 0
    repo.git("push", "--quiet", "origin", "main")
    done = postops(repo.root, "publish", *now, outbox=outbox)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in (outbox / "drill").glob("*.json")] == ["hello.0.json"]

    status = json.loads(postops(repo.root, "status", "--format", "json", *now, outbox=outbox).stdout)
    assert [(p["post"], p["state"]) for p in status["posts"]] == [("hello", "published")]


def test_bad_times_and_an_unclean_checkout_exit_2(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    bad = postops(repo.root, "plan", "--now", "tomorrow", outbox=outbox)
    assert bad.returncode == 2 and "--now: not a time: 'tomorrow'" in bad.stderr
    repo.write("posts/drill/draft.yaml", post_yaml("drill", "not committed"))
    refused = postops(repo.root, "publish", "--now", T.isoformat(), outbox=outbox)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("postops: refused: ") and "uncommitted changes" in refused.stderr
    assert "Traceback" not in refused.stderr
