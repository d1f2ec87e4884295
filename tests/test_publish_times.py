"""When a post goes out, as lint and publish judge it: a publish_at already past is a warning (and the lint
cache never serves a result from before it passed); a post without publish_at is judged by every
time-of-day rule at its merge time plus min_lead, at publish time, and held back with the reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from gitfixtures import Repo, content_repo, post_yaml

from postops.cli import main
from postops.lint.engine import PublishedState, run_lint
from postops.publish.commands import plan_command, publish_command
from postops.repo.config import load_config

MERGED = datetime.fromisoformat("2026-02-01T23:00:00+00:00")   # min_lead 10m, max_delay 6h (gitfixtures)
M = timedelta(minutes=1)
# docs/policies.md's recipe, as written there
QUIET_HOURS = """\
rules:
  - id: quiet-hours
    message: "scheduled at {value}; nothing goes out between 22:00 and 07:00"
    schema:
      properties: {facts: {properties: {local_time: {pattern: '^(0[7-9]|1[0-9]|2[01]):'}}}}
"""
PAST = "account: drill\npublish_at: 2026-02-01T09:00:00Z\ntext: Hello\n"


def lint_lines(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["lint", "-C", str(root), "-q", *args])
    return result.exit_code, result.output.splitlines()


def test_a_publish_at_already_past_is_a_warning_at_its_value(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    assert CliRunner().invoke(main, ["codeowners", "-C", str(repo.root)]).exit_code == 0
    repo.write("posts/drill/a.yaml", PAST)
    assert lint_lines(repo.root, "--now", "2026-02-01T08:59:00Z") == (0, [])
    code, lines = lint_lines(repo.root, "--now", "2026-02-01T09:30:00Z")
    assert (code, lines) == (0, [
        "posts/drill/a.yaml:2:13: warning [publish-at-past] publish_at 2026-02-01T09:00:00+00:00 is in the past "
        "and the post is not published: merged now it goes out at the next publish run, not at that time"])
    code, lines = lint_lines(repo.root, "--now", "2026-02-01T15:01:00Z", "--fail-on", "warning")
    assert code == 1
    assert lines == [
        "posts/drill/a.yaml:2:13: warning [publish-at-past] publish_at 2026-02-01T09:00:00+00:00 is more than "
        "max_delay (6h) ago and the post is not published: it will be recorded as missed and never published; "
        "give it a new publish_at"]


def test_the_lint_cache_never_serves_a_result_from_before_publish_at_passed(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/a.yaml", PAST)
    config = load_config(repo.root)
    for minutes, expected in ((-1, []), (30, ["late"]), (31, ["late"]), (7 * 60, ["missed"]), (-1, [])):
        now = datetime.fromisoformat("2026-02-01T09:00:00+00:00") + minutes * M
        result = run_lint(repo.root, config, now=now)      # the cache on, as on every ordinary run
        found = ["missed" if "missed" in f.message else "late" for f in result.findings if f.rule == "publish-at-past"]
        assert found == expected, (minutes, result.findings)


def test_a_post_published_on_every_account_is_not_late(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/a.yaml", PAST)
    config = load_config(repo.root)
    now = datetime.fromisoformat("2026-02-01T10:00:00+00:00")
    published = PublishedState({("a", "drill"): "hash"}, frozenset())

    def late(state: PublishedState | None) -> list[int]:
        return [f.line for f in run_lint(repo.root, config, state=state, now=now).findings
                if f.rule == "publish-at-past"]

    assert late(published) == []
    assert late(None) == [2]
    assert late(PublishedState({("a", "other"): "hash"}, frozenset())) == [2]


def quiet_repo(tmp_path: Path, merged: datetime) -> Repo:
    repo = content_repo(tmp_path, remote=False, when=merged - timedelta(days=1))
    repo.write("policies/quiet.yaml", QUIET_HOURS)
    repo.commit("Quiet hours", merged - timedelta(hours=12))
    repo.write("posts/drill/live.yaml", post_yaml("drill", "We are live now"))
    repo.commit("A post for now", merged)
    return repo


def publish_at(repo: Repo, now: datetime, outbox: Path) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(outbox)})
    return code, lines


def test_a_post_without_publish_at_merged_in_quiet_hours_is_blocked_not_sent(tmp_path: Path) -> None:
    repo = quiet_repo(tmp_path, MERGED)
    # lint cannot know when it will be merged: without publish_at, the time facts are null and it passes
    assert [line for line in lint_lines(repo.root)[1] if "quiet-hours" in line] == []
    outbox = tmp_path / "outbox"
    for minutes in (10, 15):      # due at 23:10, and every run after it says so again
        code, lines = publish_at(repo, MERGED + minutes * M, outbox)
        assert code == 1, lines
        assert ("blocked live @drill: lint: [quiet-hours] scheduled at 23:10; nothing goes out between 22:00 and 07:00 (judged at "
                "2026-02-01T23:10:00+00:00: it has no publish_at, so it goes out at its merge time plus min_lead)"
                ) in lines
    assert not outbox.exists() or not list(outbox.glob("**/*.json"))
    plan: list[str] = []
    plan_command(repo.root, now=MERGED + 20 * M, until=None, fmt="text", echo=plan.append)
    assert any("quiet-hours" in line and "judged at" in line for line in plan), plan


def test_a_post_without_publish_at_merged_before_quiet_hours_goes_out(tmp_path: Path) -> None:
    merged = MERGED - timedelta(hours=2)        # 21:00, due 21:10
    repo = quiet_repo(tmp_path, merged)
    outbox = tmp_path / "outbox"
    code, lines = publish_at(repo, merged + 10 * M, outbox)
    assert code == 0, lines
    assert [p.name for p in (outbox / "drill").glob("*.json")] == ["live.0.json"]


def test_a_change_after_quiet_hours_began_is_judged_at_its_own_merge(tmp_path: Path) -> None:
    # merged at 21:00 and changed at 21:55: the content that goes out arrived at 21:55, due at 22:05
    merged = MERGED - timedelta(hours=2)
    repo = quiet_repo(tmp_path, merged)
    repo.write("posts/drill/live.yaml", post_yaml("drill", "We are live now!"))
    repo.commit("Shout", merged + 55 * M)
    code, lines = publish_at(repo, merged + 70 * M, tmp_path / "outbox")
    assert code == 1
    assert any("judged at 2026-02-01T22:05:00+00:00" in line for line in lines), lines


def test_a_backdated_post_without_publish_at_is_judged_when_a_publisher_saw_it_not_at_its_date(tmp_path: Path) -> None:
    """Dated 18:00 by its author, pushed and first seen by a publisher at 23:00: it goes out at 23:10, so the
    quiet hours are judged at 23:10, not at the 18:10 its date would say."""
    repo = content_repo(tmp_path, remote=False, when=MERGED - timedelta(days=1))
    repo.write("policies/quiet.yaml", QUIET_HOURS)
    repo.commit("Quiet hours", MERGED - timedelta(hours=12))
    repo.watched = False                                  # no publisher ran when the commit says it was made
    repo.write("posts/drill/live.yaml", post_yaml("drill", "We are live now"))
    repo.commit("A post for now, honestly", MERGED - timedelta(hours=5))
    outbox = tmp_path / "outbox"
    assert publish_at(repo, MERGED, outbox)[0] == 0       # first seen now: min_lead from now
    code, lines = publish_at(repo, MERGED + 10 * M, outbox)
    assert code == 1, lines
    assert any("[quiet-hours]" in line and "judged at 2026-02-01T23:10:00+00:00" in line for line in lines), lines
    assert not outbox.exists() or not list(outbox.glob("**/*.json"))
