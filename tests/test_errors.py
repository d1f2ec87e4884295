"""The one error handler: a user-caused error is one line after `postops: `; a crash (a bug, exit 3) keeps its
traceback on standard error when that is not a terminal (a CI job's log) and in .postops/crash.log otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from gitfixtures import content_repo

from postops.errors import CRASH_LOG

# A real process whose status command has a bug: it looks up a key that is not there.
CRASHING = """\
import sys
import postops.publish.commands as commands

def buggy_status(*args, **kwargs):
    return {}["no such key"]

commands.status_command = buggy_status
from postops.cli import main
sys.argv = ["postops", "status", "-C", sys.argv[1]]
main()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _crashing(tmp_path: Path) -> str:
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING)
    return str(script)


def test_a_crash_in_ci_puts_the_traceback_on_standard_error(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    done = subprocess.run([sys.executable, _crashing(tmp_path), str(repo.root)], check=False, capture_output=True,
                          text=True, env=_env())
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("Traceback (most recent call last):\n")
    assert 'return {}["no such key"]' in done.stderr
    *_, last = done.stderr.splitlines()
    assert last == "postops: internal error (KeyError('no such key')): a bug in postops; the traceback is above"
    assert not (repo.root / CRASH_LOG).exists()


def test_a_crash_on_a_terminal_goes_to_the_crash_log_named_in_one_line(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    terminal, stderr = pty.openpty()
    with subprocess.Popen([sys.executable, _crashing(tmp_path), str(repo.root)], stdout=subprocess.PIPE,
                          stderr=stderr, env=_env()) as process:
        os.close(stderr)
        assert process.wait() == 3
        shown = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:    # the terminal's other end is closed: everything has been read
                break
            if not chunk:
                break
            shown += chunk
    os.close(terminal)
    log = repo.root / CRASH_LOG
    assert shown.decode().splitlines() == [
        f"postops: internal error (KeyError('no such key')): a bug in postops; details in {log}"]
    details = log.read_text()
    assert details.startswith("postops ") and "Traceback (most recent call last):" in details
    assert 'return {}["no such key"]' in details and details.rstrip().endswith("KeyError: 'no such key'")


def test_a_user_error_from_any_layer_is_one_line_with_one_prefix(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    repo.write("postops.yaml", "version: 1\naccounts:\n  drill:\n    platform: fax\n")
    for command in (["status"], ["plan"], ["lint"], ["log"]):
        done = subprocess.run([sys.executable, "-m", "postops", *command, "-C", str(repo.root)],
                              check=False, capture_output=True, text=True, env=_env())
        assert done.returncode == 2, command
        line, end = done.stderr.split("\n")
        assert end == "" and line.startswith("postops: postops.yaml:4:15: accounts.drill.platform is 'fax'; it "
                                             "must be one of 'x', "), command
