from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, post_yaml
from publishfixtures import no_lint

from postops.errors import UsageError
from postops.publish.commands import parse_time, plan_command, publish_command, status_command
from postops.repo import git

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)



class Runner:
    def __init__(self, repo: Repo, outbox: Path) -> None:
        self.repo, self.outbox = repo, outbox
        self.env = {"POSTOPS_OUTBOX_DIR": str(outbox)}

    def publish(self, now: datetime, *, lint=no_lint, **kw: object) -> tuple[int, list[str]]:
        lines: list[str] = []
        code = publish_command(self.repo.root, now=now, dry_run=bool(kw.pop("dry_run", False)),
                               allow_mass_retract=bool(kw.pop("allow_mass_retract", False)), echo=lines.append,
                               env=self.env, lint=lint)
        return code, lines

    def plan(self, now: datetime, fmt: str = "json", **kw: object):  # type: ignore[no-untyped-def]
        lines: list[str] = []
        code = plan_command(self.repo.root, now=now, until=kw.pop("until", None), fmt=fmt, echo=lines.append,
                            lint=kw.pop("lint", no_lint))
        assert code == 0, lines
        return json.loads(lines[0]) if fmt == "json" else "\n".join(lines)

    def status(self, now: datetime) -> list[dict]:
        lines: list[str] = []
        assert status_command(self.repo.root, fmt="json", now=now, echo=lines.append, lint=no_lint) == 0, lines
        return json.loads(lines[0])["posts"]

    def files(self, account: str = "drill") -> list[str]:
        return sorted(p.name for p in (self.outbox / account).glob("*.json"))

    def retracted(self, account: str = "drill") -> list[str]:
        return sorted(p.name for p in (self.outbox / account / "retracted").glob("*.json"))

    def events(self) -> list[dict]:
        return self.repo.ledger_events()


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return Runner(content_repo(tmp_path, when=T - timedelta(days=1)), tmp_path / "outbox")


def test_full_lifecycle(run: Runner) -> None:
    repo = run.repo
    repo.write("posts/drill/welcome.yaml", post_yaml("drill", "Hello from the drill account", "2026-03-01T10:00:00Z"))
    added = repo.commit("Add welcome post", T - 5 * M)

    code, lines = run.publish(T - 2 * M)                      # before publish_at
    assert code == 0 and run.files() == [] and run.events() == []
    assert run.plan(T - 2 * M)["actions"][0]["action"] == "wait"
    code, lines = run.publish(T + 2 * M)                      # due, but merged 7 minutes ago: min_lead
    assert code == 0 and run.files() == []
    action = run.plan(T + 2 * M)["actions"][0]
    assert action["action"] == "wait" and action["at"] == (T + 5 * M).isoformat()

    code, lines = run.publish(T + 6 * M)
    assert code == 0, lines
    assert run.files() == ["welcome.0.json"]
    assert json.loads((run.outbox / "drill" / "welcome.0.json").read_text())["text"] == "Hello from the drill account"
    events = run.events()
    assert [e["event"] for e in events] == ["claimed", "published"]
    assert events[0]["commit"] == added and events[1]["platform_id"] == "welcome.0"
    assert [s["state"] for s in run.status(T + 6 * M)] == ["published"]

    code, lines = run.publish(T + 7 * M)                      # nothing on a second run
    assert code == 0 and len(run.events()) == 2 and run.files() == ["welcome.0.json"]
    assert run.plan(T + 7 * M)["actions"] == []

    repo.revert(added, T + 20 * M)
    code, lines = run.publish(T + 21 * M)
    assert code == 0, lines
    assert run.files() == [] and run.retracted() == ["welcome.0.json"]
    assert [e["event"] for e in run.events()][2:] == ["retract-claimed", "retracted"]
    assert [s["state"] for s in run.status(T + 21 * M)] == ["retracted"]
    code, lines = run.publish(T + 22 * M)
    assert code == 0 and len(run.events()) == 4

    # the revert of the revert brings back a retracted id: a conflict, never republished
    repo.revert(repo.git("rev-parse", "HEAD"), T + 30 * M)
    code, lines = run.publish(T + 50 * M)
    assert code == 1 and run.files() == []
    assert any("conflict welcome" in line and "new id" in line for line in lines)
    assert run.plan(T + 50 * M)["actions"][0]["action"] == "conflict"


def test_thread_is_published_part_by_part_replying_in_order(run: Runner) -> None:
    run.repo.write("posts/drill/thread.yaml", post_yaml("drill", "one", "2026-03-01T10:00:00Z", ["two", "three"]))
    run.repo.commit("Add a thread", T - 60 * M)
    assert run.publish(T)[0] == 0
    parts = [json.loads((run.outbox / "drill" / f"thread.{i}.json").read_text()) for i in range(3)]
    assert [p["text"] for p in parts] == ["one", "two", "three"]
    assert [p["reply_to"] for p in parts] == [None, "thread.0", "thread.1"]


def test_thread_resumes_from_the_failed_part(run: Runner) -> None:
    run.repo.write("posts/drill/thread.yaml", post_yaml("drill", "one", "2026-03-01T10:00:00Z", ["two", "three"]))
    run.repo.commit("Add a thread", T - 60 * M)
    blocker = run.outbox / "drill" / "thread.1.json"        # the platform refuses part 2 once
    blocker.parent.mkdir(parents=True)
    blocker.write_text("{}")
    code, lines = run.publish(T)
    assert code == 1 and any("failed to publish thread @drill part 2" in line for line in lines)
    assert run.status(T)[0]["state"] == "failed"
    blocker.unlink()
    code, lines = run.publish(T + 8 * 60 * M)               # past max_delay: a started thread is finished
    assert code == 0, lines
    published = [(e["part"], e["event"]) for e in run.events() if e["event"] == "published"]
    assert published == [(0, "published"), (1, "published"), (2, "published")]
    assert json.loads((run.outbox / "drill" / "thread.2.json").read_text())["reply_to"] == "thread.1"


def test_stale_post_is_missed_once_and_fails_every_run_until_rescheduled(run: Runner) -> None:
    run.repo.write("posts/drill/late.yaml", post_yaml("drill", "late news", "2026-03-01T02:00:00Z"))
    run.repo.commit("Add a post", T - 9 * 60 * M)
    code, lines = run.publish(T)
    assert code == 1 and any(line.startswith("missed late @drill") for line in lines)
    assert lines[-1] == "0 published, 0 retracted, 0 failed, 1 missed, 0 blocked, 0 waiting"
    assert [e["event"] for e in run.events()] == ["missed"]
    # Recorded once, but never quiet: the next run is red too, and says why.
    code, lines = run.publish(T + M)
    assert code == 1 and len(run.events()) == 1 and run.files() == []
    assert any(line.startswith("missed late @drill: due 2026-03-01T02:00:00+00:00") for line in lines)
    assert run.status(T + M)[0]["state"] == "missed"
    # Someone acts: a new publish_at, and the run is green again.
    run.repo.write("posts/drill/late.yaml", post_yaml("drill", "late news", "2026-03-01T12:00:00Z"))
    run.repo.commit("Reschedule", T + 2 * M)
    code, lines = run.publish(T + 3 * M)
    assert code == 0 and lines[-1].endswith("1 waiting, next at 2026-03-01T12:00:00+00:00"), lines


def test_paused_publishes_nothing_but_still_retracts(run: Runner) -> None:
    run.repo.write("posts/drill/old.yaml", post_yaml("drill", "old", "2026-03-01T09:00:00Z"))
    old = run.repo.commit("Add old", T - 120 * M)
    assert run.publish(T - 50 * M)[0] == 0 and run.files() == ["old.0.json"]
    from postops.publish.commands import pause_command
    out: list[str] = []
    assert pause_command(run.repo.root, reason="crisis: stop everything", commit=True, echo=out.append) == 0
    run.repo.git("push", "--quiet", "origin", "HEAD:main")
    run.repo.write("posts/drill/new.yaml", post_yaml("drill", "new", "2026-03-01T09:30:00Z"))
    run.repo.commit("Add new", T - 40 * M)
    run.repo.revert(old, T - 30 * M)
    code, lines = run.publish(T)
    assert code == 0, lines
    assert any("paused: crisis: stop everything" in line for line in lines)
    assert run.files() == [] and run.retracted() == ["old.0.json"]
    assert [s["state"] for s in run.status(T)] == ["blocked", "retracted"]


def test_mass_retraction_guard_and_override(tmp_path: Path) -> None:
    run = Runner(content_repo(tmp_path, max_retractions=2, when=T - timedelta(days=1)), tmp_path / "outbox")
    for name in ("a", "b", "c"):
        run.repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T09:00:00Z"))
    run.repo.commit("Add three", T - 120 * M)
    assert run.publish(T - 60 * M)[0] == 0 and len(run.files()) == 3
    for name in ("a", "b", "c"):
        run.repo.remove(f"posts/drill/{name}.yaml")
    run.repo.commit("Delete everything", T - 10 * M)
    code, lines = run.publish(T)
    assert code == 1 and len(run.files()) == 3
    assert any("mass retraction guard: 3 posts" in line for line in lines)
    code, lines = run.publish(T, allow_mass_retract=True)
    assert code == 0 and run.files() == [] and len(run.retracted()) == 3


def test_edited_after_publish_is_a_conflict_and_never_reposted(run: Runner) -> None:
    run.repo.write("posts/drill/fact.yaml", post_yaml("drill", "The report is out", "2026-03-01T09:00:00Z"))
    run.repo.commit("Add", T - 120 * M)
    assert run.publish(T - 60 * M)[0] == 0
    run.repo.write("posts/drill/fact.yaml", post_yaml("drill", "The report is out!!", "2026-03-01T09:00:00Z"))
    run.repo.commit("Edit", T - 30 * M)
    code, lines = run.publish(T)
    assert code == 1 and any("conflict fact @drill: changed after it was published" in line for line in lines)
    assert [e["event"] for e in run.events()] == ["claimed", "published"]
    assert json.loads((run.outbox / "drill" / "fact.0.json").read_text())["text"] == "The report is out"


def test_a_checkout_behind_the_remote_is_told_to_pull(run: Runner, tmp_path: Path) -> None:
    from gitfixtures import clone

    other = clone(run.repo.root.parent / "remote.git", tmp_path / "other")
    other.write("posts/drill/elsewhere.yaml", post_yaml("drill", "from elsewhere", "2026-03-01T09:00:00Z"))
    other.commit("Add from another clone", T - 60 * M)        # pushed: origin/main moves on
    with pytest.raises(git.RefusedError) as refused:
        run.publish(T)
    assert "is not the tip of origin/main" in str(refused.value)
    assert "1 commit behind: pull first" in str(refused.value) and "unpushed" not in str(refused.value)


def test_unclean_checkout_is_refused(run: Runner) -> None:
    run.repo.write("posts/drill/draft.yaml", post_yaml("drill", "draft", "2026-03-01T09:00:00Z"))

    def refusal() -> str:
        with pytest.raises(git.RefusedError) as refused:
            run.publish(T)
        assert refused.value.exit_code == 2
        return str(refused.value)

    assert "uncommitted changes (posts/" in refusal()
    run.repo.commit("Add", T - 60 * M, push=False)            # committed but not pushed: not main's tip
    ahead = refusal()
    # ahead of the remote, not behind it: pulling would not help, pushing (through review) would
    assert "is not the tip of origin/main" in ahead and "1 unpushed commit" in ahead and "pull first" not in ahead
    run.repo.git("push", "--quiet", "origin", "HEAD:main")
    run.repo.seen_by_publisher(T - 60 * M)                     # the publisher the push starts
    run.repo.git("checkout", "--quiet", "-b", "feature")
    assert "on branch feature" in refusal()
    run.repo.git("checkout", "--quiet", "main")
    assert run.publish(T)[0] == 0 and run.files() == ["draft.0.json"]


def test_reply_to_another_post_waits_for_it(run: Runner) -> None:
    run.repo.write("posts/drill/first.yaml", post_yaml("drill", "first", "2026-03-01T11:00:00Z"))
    run.repo.write("posts/drill/answer.yaml", post_yaml("drill", "answer", "2026-03-01T09:00:00Z", reply_to="first"))
    run.repo.commit("Add", T - 120 * M)
    assert run.publish(T)[0] == 0 and run.files() == []
    assert run.publish(T + 61 * M)[0] == 0
    assert run.files() == ["answer.0.json", "first.0.json"]
    assert json.loads((run.outbox / "drill" / "answer.0.json").read_text())["reply_to"] == "first.0"


def test_cross_post_is_tracked_per_account(run: Runner) -> None:
    run.repo.write("posts/drill/both.yaml", post_yaml(["drill", "drill2"], "everywhere", "2026-03-01T09:00:00Z"))
    run.repo.commit("Add", T - 120 * M)
    (run.outbox / "drill2").mkdir(parents=True)
    (run.outbox / "drill2" / "both.0.json").write_text("{}")   # drill2 refuses once
    assert run.publish(T)[0] == 1
    assert run.files("drill") == ["both.0.json"]
    (run.outbox / "drill2" / "both.0.json").unlink()
    assert run.publish(T + M)[0] == 0
    assert run.files("drill2") == ["both.0.json"]
    claims = [(e["account"], e["event"]) for e in run.events() if e["event"] == "published"]
    assert claims == [("drill", "published"), ("drill2", "published")]
    assert {(s["account"], s["state"]) for s in run.status(T + M)} == {("drill", "published"), ("drill2", "published")}


def test_lint_errors_block_and_are_reported(run: Runner) -> None:
    run.repo.write("posts/drill/rude.yaml", post_yaml("drill", "suck it", "2026-03-01T09:00:00Z"))
    run.repo.commit("Add", T - 120 * M)

    def lint(root: Path, config: object) -> dict:
        return {"rude": [("warning", "[tone] harsh"), ("error", "[no-insults] Official accounts don't use 'suck'")]}
    for minutes in (0, 1):   # every run, until someone fixes the post
        code, lines = run.publish(T + minutes * M, lint=lint)
        assert code == 1 and run.files() == []
        assert "blocked rude @drill: lint: [no-insults] Official accounts don't use 'suck'" in lines
        assert lines[-1] == "0 published, 0 retracted, 0 failed, 0 missed, 1 blocked, 0 waiting"
    markdown = run.plan(T, fmt="markdown", lint=lint)
    assert "> suck it" in markdown and "- warning: [tone] harsh" in markdown


def test_a_post_file_that_breaks_is_not_retracted(run: Runner) -> None:
    run.repo.write("posts/drill/live.yaml", post_yaml("drill", "live", "2026-03-01T09:00:00Z"))
    run.repo.commit("Add", T - 120 * M)
    assert run.publish(T - 60 * M)[0] == 0
    run.repo.write("posts/drill/live.yaml", "account: drill\ntext: [unclosed\n")
    run.repo.commit("Break it", T - 30 * M)
    code, lines = run.publish(T)
    assert code == 1 and run.files() == ["live.0.json"] and run.retracted() == []
    assert any("not retracted while the post file has errors" in line for line in lines)
    # status says why publish exits 1: the post is published, and its file is what blocks it
    (entry,) = run.status(T)
    assert entry["state"] == "published" and "invalid YAML" in (entry["error"] or ""), entry


def test_without_a_remote_the_local_branch_is_the_state(tmp_path: Path) -> None:
    run = Runner(content_repo(tmp_path, remote=False, when=T - timedelta(days=1)), tmp_path / "outbox")
    run.repo.write("posts/drill/solo.yaml", post_yaml("drill", "solo", "2026-03-01T09:00:00Z"))
    run.repo.commit("Add", T - 120 * M)
    assert run.publish(T)[0] == 0 and run.files() == ["solo.0.json"]
    assert [e["event"] for e in run.repo.ledger_events()] == ["claimed", "published"]
    assert run.repo.git("status", "--porcelain") == ""


def test_content_time_is_when_the_content_landed_on_main(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, when=T - timedelta(days=2))
    repo.write("posts/drill/a.yaml", "text: a\n")
    repo.write("posts/drill/b.yaml", "text: b\n")
    repo.commit("two posts", T - 60 * M)
    repo.git("checkout", "--quiet", "-b", "topic")
    repo.write("posts/drill/b.yaml", "text: b2\n")
    repo.commit("edit b on a branch", T - 50 * M)
    repo.git("checkout", "--quiet", "main")
    stamp = (T - 5 * M).isoformat()
    import os
    import subprocess

    from gitfixtures import IDENTITY
    subprocess.run(["git", "merge", "--no-ff", "--quiet", "-m", "merge", "topic"], cwd=repo.root, check=True,
                   env={**os.environ, **IDENTITY, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    times = git.content_times(repo.root, ["posts/drill/a.yaml", "posts/drill/b.yaml", "posts/drill/none.yaml"])
    merge = repo.git("rev-parse", "HEAD")
    first = repo.git("rev-parse", "HEAD^1")
    assert times == {"posts/drill/a.yaml": (T - 60 * M, first), "posts/drill/b.yaml": (T - 5 * M, merge)}


def test_time_parsing() -> None:
    assert parse_time("2026-03-01T10:00:00Z") == T
    assert parse_time("2026-03-01T05:00:00-05:00") == T
    with pytest.raises(UsageError, match="no offset"):
        parse_time("2026-03-01T10:00:00")
    with pytest.raises(UsageError, match="not a time"):
        parse_time("tomorrow")


def test_a_platform_in_doubt_is_resolved_by_asking_it_never_by_posting_again(run: Runner) -> None:
    from postops.platforms.base import PlatformError
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import publish
    from postops.repo.config import load_config

    class Unanswered(OutboxPlatform):
        """Publishes, then cannot say so: X's 503 after it took the post, with its own check failing."""

        def publish(self, request):  # type: ignore[no-untyped-def]
            super().publish(request)
            raise PlatformError("503, so it may have gone out, and checking failed", retryable=True, kind="in-doubt")

    run.repo.write("posts/drill/p.yaml", post_yaml("drill", "maybe out", "2026-03-01T10:00:00Z"))
    run.repo.commit("Add a post", T - 60 * M)
    config = load_config(run.repo.root)
    result = publish(run.repo.root, config, now=T, env=run.env, lint=no_lint, platforms=Unanswered)
    assert result.exit_code == 1
    assert [e["event"] for e in run.events()] == ["claimed"]          # nothing recorded: no "failed" to retry
    assert run.plan(T + M)["actions"][0]["action"] == "wait"          # the claim's lease still holds
    assert run.publish(T + M)[0] == 0 and run.files() == ["p.0.json"]
    code, lines = run.publish(T + 11 * M)                             # lease over: ask the platform
    assert code == 0, lines
    assert [e["event"] for e in run.events()][-1] == "published"
    assert run.files() == ["p.0.json"]                                # published once
    assert any("had been published" in line for line in lines)


def test_pull_request_plan_shows_only_the_posts_it_changes(run: Runner) -> None:
    repo = run.repo
    repo.write("posts/drill/old.yaml", post_yaml("drill", "Already on main", "2026-03-02T10:00:00Z"))
    repo.write("posts/drill/gone.yaml", post_yaml("drill", "To be deleted", "2026-03-02T11:00:00Z"))
    repo.commit("Posts on main", T - 60 * M)
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("posts/drill/new.yaml", post_yaml("drill", "Our report: https://example.org/" + "r" * 60,
                                                 "2026-03-02T15:30:00Z"))
    repo.remove("posts/drill/gone.yaml")
    repo.commit("The pull request", T - 30 * M, push=False)
    lines: list[str] = []
    assert plan_command(repo.root, now=T, until=None, fmt="markdown", echo=lines.append, lint=no_lint,
                        changed_since="main") == 0
    markdown = "\n".join(lines)
    assert "`new`" in markdown and "`old`" not in markdown
    assert "at 2026-03-02 15:30 UTC" in markdown and "> Our report: https://example.org/rrr" in markdown
    assert "<sub>" in markdown
    lines.clear()
    assert plan_command(repo.root, now=T, until=None, fmt="json", echo=lines.append, lint=no_lint,
                        changed_since="main") == 0
    assert [a["post"] for a in json.loads(lines[0])["actions"]] == ["new"]
    with pytest.raises(Exception, match="cannot compare with 'nope'"):
        git.changed_paths(repo.root, "nope")


def test_a_publisher_is_gone_only_when_that_is_certain() -> None:
    import subprocess
    import sys

    from postops.publish.process import publisher_gone, this_publisher

    me = this_publisher()
    host, _pid, space = me.split(":")
    assert not publisher_gone(me)                                   # this very process
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=False,
                          capture_output=True, text=True)
    dead = done.stdout.strip()
    assert publisher_gone(f"{host}:{dead}:{space}")                 # exited, here
    assert not publisher_gone(f"{host}:{dead}")                     # no process space: wait for the lease
    assert not publisher_gone(f"{host}:{dead}:{'0' * 12}")          # another container with our hostname
    assert not publisher_gone(f"elsewhere:{dead}:{space}")          # another machine


def test_a_claim_without_half_its_lease_left_is_released_not_acted_on(run: Runner) -> None:
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import publish
    from postops.repo.config import load_config

    clock = [T]

    class Slow(OutboxPlatform):
        """Every call takes six minutes of the (default ten-minute) lease."""

        def publish(self, request):  # type: ignore[no-untyped-def]
            clock[0] += 6 * M
            return super().publish(request)

    for name in ("a", "b", "c"):
        run.repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T09:00:00Z"))
    run.repo.commit("Three posts", T - 60 * M)
    config = load_config(run.repo.root)
    publish(run.repo.root, config, now=None, env=run.env, lint=no_lint, platforms=Slow, ticking=lambda: clock[0])
    events = [(e["event"], e["post"]) for e in run.events()]
    # a, b and c are claimed in one round; a's call takes six minutes, so b's and c's claims have less
    # than half their lease left: released, never acted on, and due again for the next run
    assert events == [("claimed", "a"), ("claimed", "b"), ("claimed", "c"),
                      ("published", "a"), ("released", "b"), ("released", "c")]
    assert run.files() == ["a.0.json"]
    for _ in range(2):
        publish(run.repo.root, config, now=None, env=run.env, lint=no_lint, platforms=Slow, ticking=lambda: clock[0])
    assert run.files() == ["a.0.json", "b.0.json", "c.0.json"]
    published = [p for e, p in ((e["event"], e["post"]) for e in run.events()) if e == "published"]
    assert sorted(published) == ["a", "b", "c"]
