""""Are you sure?" in a real pseudo-terminal: a person types the handle of each public account (or yes)
before anything is published; CI, --yes and a pipe are never asked."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import content_repo, post_yaml

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
SRC = str(Path(__file__).resolve().parents[1] / "src")
X_ENV = {"POSTOPS_CSIS_API_KEY": "k", "POSTOPS_CSIS_API_SECRET": "s", "POSTOPS_CSIS_ACCESS_TOKEN": "t",
         "POSTOPS_CSIS_ACCESS_SECRET": "a"}


def in_terminal(args: list[str], answer: str | None, env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run postops with its standard streams on a pseudo-terminal; type `answer` at the first prompt."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "postops", *args], stdin=slave, stdout=slave, stderr=slave,
                            env={**os.environ, "PYTHONPATH": SRC, **env}, close_fds=True)
    os.close(slave)
    seen = b""
    answered = answer is None
    deadline = datetime.now() + timedelta(seconds=timeout)
    while datetime.now() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:   # the other side closed: the process is done
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"type " in seen.split(b"\n")[-1] and seen.rstrip().endswith(b":"):
                os.write(master, answer.encode() + b"\r")
                answered = True
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=timeout)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def repo(tmp_path):  # type: ignore[no-untyped-def]
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/hello.yaml", post_yaml("drill", "Hello from the drill", "2026-03-01T09:00:00+00:00"))
    repo.commit("A drill post", T - timedelta(hours=2))
    return repo


def publish_args(repo) -> list[str]:  # type: ignore[no-untyped-def]
    return ["publish", "--repo", str(repo.root), "--now", T.isoformat()]


def outbox(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "outbox" / "drill").glob("*.json"))


def test_the_outbox_asks_for_yes_and_anything_else_does_nothing(repo, tmp_path):
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}

    code, screen = in_terminal(publish_args(repo), "no", env)

    assert code == 1, screen
    assert "On \x1b[1m@drill\x1b[0m (the local outbox, nothing public):" in screen
    assert "  publish hello" in screen and "To publish, type yes:" in screen
    assert "nothing was done" in screen and outbox(tmp_path) == []

    code, screen = in_terminal(publish_args(repo), "yes", env)
    assert code == 0, screen
    assert outbox(tmp_path) == ["hello.0.json"]


def test_a_public_account_needs_its_handle_typed(repo, tmp_path):
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", 'accounts:\n  csis:\n    platform: x\n    handle: "@CSIS"\n    credentials: POSTOPS_CSIS\n'))
    repo.write("posts/csis/launch.yaml", post_yaml("csis", "Our report is out", "2026-03-01T09:30:00+00:00"))
    repo.commit("A post for the official account", T - timedelta(hours=2))
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox"), **X_ENV}

    code, screen = in_terminal(publish_args(repo), "@drill", env)

    assert code == 1, screen
    assert "On \x1b[1m@CSIS\x1b[0m (x):" in screen and "  publish launch" in screen
    assert "To publish as \x1b[1m@CSIS\x1b[0m, type its handle:" in screen
    assert "'@drill' is not @CSIS: nothing was done" in screen
    assert outbox(tmp_path) == []
    assert repo.ledger_events() == []   # no claim, no record


def test_yes_and_a_pipe_are_never_asked(repo, tmp_path):
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}

    code, screen = in_terminal([*publish_args(repo), "--yes"], None, env)
    assert code == 0 and "type yes" not in screen, screen

    piped = subprocess.run([sys.executable, "-m", "postops", *publish_args(repo)], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": SRC, **env}, timeout=60)
    assert piped.returncode == 0 and "type" not in piped.stdout, piped.stdout + piped.stderr


def test_pause_and_retract_ask_too(repo, tmp_path):
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    code, screen = in_terminal([*publish_args(repo), "--yes"], None, env)
    assert code == 0 and outbox(tmp_path) == ["hello.0.json"], screen

    code, screen = in_terminal(["retract", "hello", "--repo", str(repo.root), "--reason", "wrong",
                                "--now", T.isoformat()], "no", env)
    assert code == 1 and "take down hello" in screen and "nothing was done" in screen, screen
    assert outbox(tmp_path) == ["hello.0.json"]

    code, screen = in_terminal(["pause", "--state-branch", "--repo", str(repo.root), "--reason", "Crisis"], "nope", env)
    assert code == 1 and "Pause all publishing: \x1b[1mCrisis\x1b[0m" in screen and "nothing was done" in screen
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "published"]

    code, screen = in_terminal(["retract", "hello", "--repo", str(repo.root), "--reason", "wrong",
                                "--now", T.isoformat()], "yes", env)
    assert code == 0 and outbox(tmp_path) == [], screen
