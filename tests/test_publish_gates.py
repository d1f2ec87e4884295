"""Nothing blocked is quiet: a due post that cannot go out (credentials missing, lint, a platform's refusal)
makes every publish run exit 1 and is counted in the run's last line; status shows it blocked, with why.
A pause is deliberate and is not a failure."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import Repo, content_repo, post_yaml
from publishfixtures import no_lint
from test_publish_x import ME, TIMELINE

from postops.publish.commands import publish_command, status_command

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
X_SECRETS = {"POSTOPS_CSIS_API_KEY": "k", "POSTOPS_CSIS_API_SECRET": "s", "POSTOPS_CSIS_ACCESS_TOKEN": "t",
             "POSTOPS_CSIS_ACCESS_SECRET": "a"}
X_ACCOUNT = "accounts:\n  csis:\n    platform: x\n    handle: '@CSIS'\n    credentials: POSTOPS_CSIS\n"


def publish(repo: Repo, now: datetime, env: dict[str, str]) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env=env, lint=no_lint)
    return code, lines


def status(repo: Repo, now: datetime, env: dict[str, str]) -> list[dict]:
    lines: list[str] = []
    assert status_command(repo.root, fmt="json", now=now, echo=lines.append, lint=no_lint, env=env) == 0
    return list(json.loads(lines[0])["posts"])


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", X_ACCOUNT, 1))
    repo.commit("An X account", T - timedelta(hours=20))
    return repo


def test_a_due_post_without_credentials_fails_every_run_and_status_says_blocked(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/csis/report.yaml", post_yaml("csis", "Our report is out", "2026-03-01T09:30:00Z"))
    repo.write("posts/drill/fine.yaml", post_yaml("drill", "fine", "2026-03-01T09:30:00Z"))
    repo.commit("Two posts", T - 60 * M)
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    for minutes in (0, 5):      # every run, not only the first
        code, lines = publish(repo, T + minutes * M, env)
        assert code == 1, lines
        blocked = [line for line in lines if line.startswith("blocked report @csis: ")]
        assert len(blocked) == 1 and "POSTOPS_CSIS" in blocked[0], lines
    assert lines[-1] == "0 published, 0 retracted, 0 failed, 0 missed, 1 blocked, 0 waiting"
    states = {s["post"]: s for s in status(repo, T + 6 * M, env)}
    assert states["fine"]["state"] == "published"
    assert states["report"]["state"] == "blocked" and "POSTOPS_CSIS" in states["report"]["error"]


def test_a_post_file_on_main_that_cannot_be_read_fails_every_run_and_status_says_blocked(repo: Repo,
                                                                                         tmp_path: Path) -> None:
    """A post merged with a YAML error (lint skipped, or a direct push) was meant to go out: it is not a
    post nobody wanted. Publish says so and exits 1 every run, plan lists it, status shows it blocked."""
    from postops.publish.commands import plan_command

    repo.write("posts/drill/broken.yaml", "account: drill\ntext: [unclosed\npublish_at: 2026-03-01T09:30:00Z\n")
    repo.write("posts/drill/fine.yaml", post_yaml("drill", "fine", "2026-03-01T09:30:00Z"))
    repo.commit("A post that does not parse, and one that does", T - 60 * M)
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    for minutes in (0, 5):
        code, lines = publish(repo, T + minutes * M, env)
        assert code == 1, lines
        [blocked] = [line for line in lines if line.startswith("blocked broken @drill: ")]
        assert "posts/drill/broken.yaml:3:" in blocked, blocked
    assert lines[-1] == "0 published, 0 retracted, 0 failed, 0 missed, 1 blocked, 0 waiting"
    planned: list[str] = []
    plan_command(repo.root, now=T + 6 * M, until=None, fmt="text", echo=planned.append, lint=no_lint)
    assert any(line.split()[:3] == ["blocked", "broken", "@drill"] for line in "\n".join(planned).splitlines())
    states = {s["post"]: s for s in status(repo, T + 6 * M, env)}
    assert states["fine"]["state"] == "published"
    assert states["broken"]["state"] == "blocked" and states["broken"]["account"] == "drill"
    assert states["broken"]["error"].startswith("posts/drill/broken.yaml:3:")


def test_a_post_not_due_yet_is_not_held_against_the_run(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/csis/later.yaml", post_yaml("csis", "Tomorrow's news", "2026-03-02T09:30:00Z"))
    repo.commit("A post for tomorrow", T - 60 * M)
    code, lines = publish(repo, T, {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert code == 0, lines
    assert lines[-1] == "0 published, 0 retracted, 0 failed, 0 missed, 0 blocked, 1 waiting, next at " \
                        "2026-03-02T09:30:00+00:00"
    assert status(repo, T, {})[0]["state"] == "scheduled"


def test_a_pause_is_not_a_failure(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/drill/held.yaml", post_yaml("drill", "held", "2026-03-01T09:30:00Z"))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace(
        "paused: null", "paused: {reason: the election}"))
    repo.commit("Pause, and a post", T - 60 * M)
    code, lines = publish(repo, T, {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert code == 0, lines
    assert lines[-1] == "0 published, 0 retracted, 0 failed, 0 missed, 0 blocked, 1 paused, 0 waiting"


def test_a_refused_post_is_counted_failed_every_run(repo: Repo, tmp_path: Path) -> None:
    # The outbox refuses a part whose file it cannot write: a folder where the file should go.
    outbox = tmp_path / "outbox"
    (outbox / "drill" / "refused.0.json").mkdir(parents=True)
    repo.write("posts/drill/refused.yaml", post_yaml("drill", "refused", "2026-03-01T09:30:00Z"))
    repo.commit("A post", T - 60 * M)
    for minutes in (0, 5):
        code, lines = publish(repo, T + minutes * M, {"POSTOPS_OUTBOX_DIR": str(outbox)})
        assert code == 1, lines
        assert lines[-1] == "0 published, 0 retracted, 1 failed, 0 missed, 0 blocked, 0 waiting", lines
    assert status(repo, T + 6 * M, {})[0]["state"] == "failed"


# ------------------------------------------------------------------------------ --now in the future

@responses.activate
def test_now_in_the_future_is_refused_with_a_real_platform(repo: Repo, tmp_path: Path) -> None:
    from datetime import UTC

    from postops.errors import UsageError
    # the run that is allowed ends by reading the account's recent posts (watch): X answers, nothing new
    responses.get(ME, json={"data": {"id": "14717197", "name": "CSIS", "username": "CSIS"}})
    responses.get(TIMELINE, json={"meta": {"result_count": 0}})
    repo.write("posts/drill/next-week.yaml", post_yaml("drill", "next week", "2030-01-01T09:00:00Z"))
    repo.commit("A post for later", T)
    later = datetime.now(UTC) + timedelta(days=7)
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox"), **X_SECRETS}
    with pytest.raises(UsageError, match="--allow-future-now"):
        publish_command(repo.root, now=later, dry_run=False, allow_mass_retract=False, echo=lambda line: None,
                        env=env, lint=no_lint)
    assert repo.ledger_events() == []
    lines: list[str] = []
    publish_command(repo.root, now=later, dry_run=False, allow_mass_retract=False, echo=lines.append, env=env,
                    lint=no_lint, allow_future_now=True)
    assert lines[-1].startswith("0 published"), lines          # it ran: nothing was due by then here


def test_now_in_the_future_is_fine_when_every_account_is_an_outbox(tmp_path: Path) -> None:
    from datetime import UTC
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/rehearsal.yaml", post_yaml("drill", "rehearsal", "2030-01-01T09:00:00Z"))
    repo.commit("A post for later", T)
    code, _ = publish(repo, datetime(2030, 1, 1, 9, 5, tzinfo=UTC), {"POSTOPS_OUTBOX_DIR": str(tmp_path / "out")})
    assert code == 0 and (tmp_path / "out" / "drill" / "rehearsal.0.json").exists()


def test_now_in_the_future_on_the_command_line(repo: Repo) -> None:
    import os
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "postops", "publish", "--yes", "--now", "2099-01-01T00:00Z"],
                          cwd=repo.root, capture_output=True, text=True, env={**os.environ, **X_SECRETS})
    assert done.returncode == 2 and "in the future, and @csis publish to a real platform" in done.stderr
    assert "Traceback" not in done.stderr


def test_now_in_the_future_is_fine_for_a_real_account_whose_credentials_are_not_here(repo: Repo,
                                                                                     tmp_path: Path) -> None:
    # a drill on a laptop: nothing can reach @csis without its secrets, so rehearsing ahead is harmless
    from datetime import UTC
    later = datetime.now(UTC) + timedelta(days=7)
    lines: list[str] = []
    publish_command(repo.root, now=later, dry_run=False, allow_mass_retract=False, echo=lines.append,
                    env={"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}, lint=no_lint)
    assert lines[-1].startswith("0 published"), lines
