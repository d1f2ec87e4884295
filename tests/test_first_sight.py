"""min_lead and lateness count from when a publisher first saw a commit on main (a `seen` event in the
ledger), never from the dates the commit's author chose; and a post the ledger may have lost is looked for
on the platform before it is published again."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from gitfixtures import IDENTITY, Repo, clone, content_repo, post_yaml
from publishfixtures import no_lint, run
from test_publish_x import ENV, ME, TEXT, TIMELINE, TWEETS

from postops.platforms.base import get_platform
from postops.platforms.x import XPlatform
from postops.publish.commands import plan_command, publish_steps
from postops.publish.desired import check_checkout, load_desired
from postops.publish.engine import Publisher
from postops.publish.ledger import Store
from postops.repo import git
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
H = timedelta(hours=1)
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def outbox_env(repo: Repo) -> dict[str, str]:
    return {"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}


def sent(repo: Repo) -> list[str]:
    return sorted(p.name for p in (repo.root.parent / "outbox" / "drill").glob("*.json"))


def push_backdated(repo: Repo, rel: str, text: str, *, dated: datetime) -> str:
    """A commit whose author and committer dates say `dated`, pushed straight to main (branch protection
    bypassed): what a hostile intern with push rights does to skip the undo window."""
    repo.write(rel, text)
    repo.git("add", "--all")
    stamp = dated.isoformat()
    subprocess.run(["git", "commit", "--quiet", "-m", "An old post, honestly"], cwd=repo.root, check=True,
                   env={**os.environ, **IDENTITY, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    repo.git("push", "--quiet", "origin", "HEAD:main")
    return repo.git("rev-parse", "HEAD")


def plan_json(repo: Repo, now: datetime) -> list[dict[str, Any]]:
    lines: list[str] = []
    assert plan_command(repo.root, now=now, until=None, fmt="json", echo=lines.append, lint=no_lint) == 0
    return list(json.loads(lines[0])["actions"])


def outbox_run(repo: Repo, now: datetime) -> tuple[Any, list[str]]:
    return run(repo, now, get_platform, outbox_env(repo))


# ------------------------------------------------------------------------------------ the undo window

def test_a_backdated_commit_pushed_to_main_still_waits_min_lead_and_a_revert_in_it_stops_it(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    added = push_backdated(repo, "posts/drill/oops.yaml", post_yaml("drill", "Suck it.", "2026-11-24T13:59:00Z"),
                           dated=T - 2 * 24 * H)

    result, lines = outbox_run(repo, T)              # the first publisher to see it on main
    assert sent(repo) == [] and result.exit_code == 0, lines
    seen = [e for e in repo.ledger_events(seen=True) if e["event"] == "seen" and added in e["commits"]]
    assert [e["at"] for e in seen] == [T.isoformat()]
    [wait] = plan_json(repo, T + 2 * M)              # plan and status show the real due time
    assert (wait["action"], wait["at"]) == ("wait", (T + 10 * M).isoformat())
    assert f"on main since {T.isoformat()} (first seen by a publisher): min_lead 10m" in wait["reason"]

    repo.revert(added, T + 5 * M)                    # someone notices, inside the window
    result, lines = outbox_run(repo, T + 11 * M)
    assert sent(repo) == [] and result.exit_code == 0, lines
    assert repo.ledger_events() == []                # never claimed, never published


def test_a_post_first_seen_long_after_its_publish_at_waits_min_lead_from_then(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    push_backdated(repo, "posts/drill/late.yaml", post_yaml("drill", "Late but wanted", "2026-11-24T11:00:00Z"),
                   dated=T - 24 * H)
    [wait] = plan_json(repo, T)                      # no publisher has seen it yet: at the earliest now + min_lead
    assert (wait["action"], wait["at"]) == ("wait", (T + 10 * M).isoformat())
    assert "not seen on main by a publisher yet" in wait["reason"]
    assert outbox_run(repo, T)[0].exit_code == 0 and sent(repo) == []
    assert outbox_run(repo, T + 9 * M)[0].exit_code == 0 and sent(repo) == []
    assert outbox_run(repo, T + 10 * M)[0].exit_code == 0 and sent(repo) == ["late.0.json"]


def test_a_backdated_post_without_publish_at_is_missed_not_sent_at_once(tmp_path: Path) -> None:
    # Without publish_at a post is due min_lead after it reached main, and missed max_delay after that: counted
    # from the earlier of its sighting and its own date, so backdating it can only make it missed.
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    push_backdated(repo, "posts/drill/now.yaml", post_yaml("drill", "Right now"), dated=T - 24 * H)
    result, lines = outbox_run(repo, T)
    assert sent(repo) == [] and result.exit_code == 1, lines
    assert [e["event"] for e in repo.ledger_events()] == ["missed"]


def test_concurrent_publishers_agree_on_one_first_sighting(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    added = push_backdated(repo, "posts/drill/a.yaml", post_yaml("drill", "A", "2026-11-24T14:00:00Z"), dated=T)
    other.git("pull", "--quiet", "--ff-only", "origin", "main")

    class Racing(Store):
        """The other publisher's whole run lands between this one's read and its first push."""

        raced = False

        def append(self, ledger, events, message):  # type: ignore[no-untyped-def]
            if not Racing.raced:
                Racing.raced = True
                run(repo, T, get_platform, outbox_env(repo))
            return super().append(ledger, events, message)

    config = load_config(other.root)
    head = check_checkout(other.root, "origin")
    store = Racing(other.root, config.state_branch, "origin")
    store.main = head
    publisher = Publisher(other.root, config, load_desired(other.root, config), env=outbox_env(repo),
                          now=lambda: T + 3 * M, head=head, verdicts={})
    publisher.execute(store)

    seen = [e for e in repo.ledger_events(seen=True) if e["event"] == "seen" and added in e["commits"]]
    assert [e["at"] for e in seen] == [T.isoformat()]         # one sighting, the first pushed
    _, lines = run(other, T + 10 * M, get_platform, outbox_env(repo))   # due from that one
    assert sent(repo) == ["a.0.json"], lines


def test_the_first_run_after_upgrading_makes_no_old_post_new(tmp_path: Path) -> None:
    """A ledger written before sightings were recorded: a post missed stays missed, a scheduled post goes out
    at its time, and nothing is asked of the platform."""
    repo = content_repo(tmp_path, when=T - 30 * 24 * H, watched=False)
    repo.write("posts/drill/quick.yaml", post_yaml("drill", "Now, a week ago"))
    repo.write("posts/drill/later.yaml", post_yaml("drill", "Tomorrow", "2026-11-25T14:00:00Z"))
    repo.write("posts/drill/done.yaml", post_yaml("drill", "Out already", "2026-11-20T14:00:00Z"))
    head = repo.commit("Posts", T - 7 * 24 * H)
    done = next(t.hash for t in load_desired(repo.root, load_config(repo.root)).targets if t.post == "done")
    old = [{"event": "missed", "post": "quick", "account": "drill", "commit": head, "run": "old", "by": "old:1",
            "at": (T - 6 * 24 * H).isoformat(), "publish_at": (T - 7 * 24 * H + 10 * M).isoformat()},
           {"event": "claimed", "post": "done", "account": "drill", "part": 0, "commit": head, "run": "old",
            "by": "old:1", "at": "2026-11-20T14:01:00+00:00", "lease_until": "2026-11-20T14:11:00+00:00"},
           {"event": "published", "post": "done", "account": "drill", "part": 0, "commit": head, "run": "old",
            "by": "old:1", "at": "2026-11-20T14:01:00+00:00", "platform_id": "done.0", "hash": done}]
    raw = "".join(json.dumps(e) + "\n" for e in old).encode()
    repo.git("push", "--quiet", "origin", f"{git.commit_file(repo.root, 'ledger.jsonl', raw, None, 'old')}"
             ":refs/heads/postops/state")

    _, lines = outbox_run(repo, T)
    assert sent(repo) == [] and not [line for line in lines if line.startswith("checked")], lines
    assert [a["post"] for a in plan_json(repo, T)] == ["later"]   # quick: still missed, under the same deadline
    assert [e["event"] for e in repo.ledger_events()][3:] == []   # no second `missed` line
    _, lines = outbox_run(repo, T + 24 * H)
    assert sent(repo) == ["later.0.json"] and not [line for line in lines if line.startswith("checked")], lines


# ------------------------------------------------------------------------------------- a lost ledger

def test_the_are_you_sure_question_names_a_post_checked_before_it_goes_out(tmp_path: Path) -> None:
    """A post looked for first goes out in the same run when the platform does not have it: a person asked
    in a terminal is asked about it too."""
    repo = content_repo(tmp_path, when=T - 30 * 24 * H, watched=False)
    repo.write("posts/drill/a.yaml", post_yaml("drill", "A", "2026-11-24T14:00:00Z"))
    repo.commit("A post, before any publisher ran", T - H)
    assert outbox_run(repo, T - 20 * M)[0].exit_code == 0       # the first run: no ledger, a post on main
    steps = publish_steps(repo.root, now=T, env=outbox_env(repo))
    assert [s.what for s in steps] == ["publish a (unless the platform already has it)"]


X_ACCOUNT = "accounts:\n  csis:\n    platform: x\n    handle: '@CSIS'\n    credentials: POSTOPS_CSIS\n"


def x_platform(account, root, env):  # type: ignore[no-untyped-def]
    return XPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T + H)


def x_repo(tmp_path: Path, *, watched: bool = True) -> Repo:
    repo = content_repo(tmp_path, when=T - 30 * 24 * H, watched=watched)
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", X_ACCOUNT, 1))
    repo.commit("The official account", T - 29 * 24 * H)
    return repo


def posts_to_x() -> list[Any]:
    return [c for c in responses.calls if c.request.method == "POST" and c.request.url == TWEETS]


def serve_timeline(tweets: list[dict[str, str]], status: int = 200) -> None:
    responses.get(ME, json={"data": {"id": "14717197", "name": "CSIS", "username": "CSIS"}})
    if status != 200:   # X's Free access level may post but not read timelines
        responses.get(TIMELINE, status=status, json={"title": "Forbidden", "status": status,
                                                     "detail": "not permitted", "type": "about:blank"})
    else:
        responses.get(TIMELINE, json={"data": tweets, "meta": {"result_count": len(tweets)}} if tweets
                      else {"meta": {"result_count": 0}})


def published_then_state_deleted(tmp_path: Path) -> Repo:
    """The report went out at 14:00; then the state branch was deleted on the remote, and a fresh CI clone,
    which never saw it, runs the publisher."""
    repo = x_repo(tmp_path)
    repo.write("posts/csis/report.yaml", post_yaml("csis", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    responses.post(TWEETS, json={"data": {"id": "1861000000000000007", "text": TEXT}}, status=201)
    result, lines = run(repo, T, x_platform, ENV)
    assert result.exit_code == 0 and len(posts_to_x()) == 1, lines
    repo.git("push", "--quiet", "origin", ":refs/heads/postops/state")
    return clone(tmp_path / "remote.git", tmp_path / "ci")


@responses.activate
def test_a_deleted_state_branch_does_not_make_a_fresh_clone_post_again(tmp_path: Path) -> None:
    fresh = published_then_state_deleted(tmp_path)
    serve_timeline([{"id": "1861000000000000007", "created_at": "2026-11-24T14:00:02.000Z",
                     "text": "Energy &amp; security: our report is out https://t.co/AbC123xyZ"}])
    result, lines = run(fresh, T + 20 * M, x_platform, ENV)     # sees the post, no ledger: checks it first
    result, lines = run(fresh, T + 30 * M, x_platform, ENV)
    assert len(posts_to_x()) == 1, lines                          # never posted again
    assert result.exit_code == 0, lines
    assert any("already on the platform" in line for line in lines), lines
    [found] = [e for e in fresh.ledger_events() if e["event"] == "published"]
    assert (found["platform_id"], found["resolved"]) == ("1861000000000000007", True)
    assert run(fresh, T + 40 * M, x_platform, ENV)[0].exit_code == 0 and len(posts_to_x()) == 1


@responses.activate
def test_a_lost_ledger_and_a_platform_that_cannot_answer_publish_nothing_and_say_how_to_settle(tmp_path: Path) -> None:
    fresh = published_then_state_deleted(tmp_path)
    serve_timeline([], status=403)
    run(fresh, T + 20 * M, x_platform, ENV)
    result, lines = run(fresh, T + 30 * M, x_platform, ENV)
    assert len(posts_to_x()) == 1, lines
    assert result.exit_code == 1, lines
    assert any("postops settle report --account csis --part 1 --published ID" in line for line in lines), lines


@responses.activate
def test_a_new_repository_watched_from_its_first_push_asks_the_platform_nothing(tmp_path: Path) -> None:
    repo = x_repo(tmp_path)            # the publish workflow ran on the first push, before any post
    repo.write("posts/csis/report.yaml", post_yaml("csis", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    responses.post(TWEETS, json={"data": {"id": "1861000000000000007", "text": TEXT}}, status=201)
    result, lines = run(repo, T, x_platform, ENV)
    assert result.exit_code == 0 and len(posts_to_x()) == 1, lines
    assert [c.request.method for c in responses.calls] == ["POST"]   # no timeline read


@responses.activate
def test_a_first_run_before_any_post_starts_the_ledger_once_and_later_posts_are_not_taken_for_lost(
        tmp_path: Path) -> None:
    repo = x_repo(tmp_path, watched=False)   # the publish workflow's first run, on a push with no post yet
    result, lines = run(repo, T - 2 * H, x_platform, ENV)
    assert result.exit_code == 0, lines
    assert [(e["event"], e["commits"]) for e in repo.ledger_events(seen=True)] == [("seen", [])]
    repo.write("posts/csis/report.yaml", post_yaml("csis", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    assert run(repo, T - H, x_platform, ENV)[0].exit_code == 0      # the run on that push sees it
    responses.post(TWEETS, json={"data": {"id": "1861000000000000007", "text": TEXT}}, status=201)
    result, lines = run(repo, T, x_platform, ENV)
    assert result.exit_code == 0 and len(posts_to_x()) == 1, lines
    assert [c.request.method for c in responses.calls] == ["POST"]   # no timeline read: nothing may be lost

@responses.activate
def test_a_first_run_that_finds_posts_asks_the_platform_once_then_publishes(tmp_path: Path) -> None:
    repo = x_repo(tmp_path, watched=False)   # the publisher set up after the first posts were merged
    repo.write("posts/csis/report.yaml", post_yaml("csis", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    serve_timeline([])
    responses.post(TWEETS, json={"data": {"id": "1861000000000000007", "text": TEXT}}, status=201)
    assert run(repo, T - 10 * M, x_platform, ENV)[0].exit_code == 0 and posts_to_x() == []
    result, lines = run(repo, T, x_platform, ENV)
    assert result.exit_code == 0 and len(posts_to_x()) == 1, lines
    assert any(line == "checked report @csis: not on the platform yet" for line in lines), lines
    responses.calls.reset()
    repo.write("posts/csis/more.yaml", post_yaml("csis", "More", "2026-11-24T15:00:00Z"))
    repo.commit("Another", T + 10 * M)
    assert run(repo, T + 10 * M, x_platform, ENV)[0].exit_code == 0
    assert run(repo, T + H, x_platform, ENV)[0].exit_code == 0
    assert [c.request.method for c in responses.calls] == ["POST"]   # later posts: no question asked


def test_a_thread_the_ledger_lost_is_recorded_part_by_part_and_only_the_missing_part_goes_out(tmp_path: Path) -> None:
    """Parts 1 and 2 of a thread went out, then the state branch was deleted before part 3 did: a fresh
    clone finds the two on the platform (recorded under their own part numbers, reported per part), and
    posts part 3 alone, as the reply to part 2."""
    from postops.publish.engine import OutcomeKind
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    repo.write("posts/drill/series.yaml", post_yaml("drill", "One", "2026-11-24T14:00:00Z", thread=["Two", "Three"]))
    repo.commit("Add a thread", T - H)
    assert outbox_run(repo, T)[0].exit_code == 0 and sent(repo) == ["series.0.json", "series.1.json", "series.2.json"]
    folder = repo.root.parent / "outbox" / "drill"
    (folder / "series.2.json").unlink()                      # as if the run had stopped before part 3
    repo.git("push", "--quiet", "origin", ":refs/heads/postops/state")
    fresh = clone(tmp_path / "remote.git", tmp_path / "ci")

    assert outbox_run(fresh, T + 20 * M)[0].exit_code == 0           # sees it, with nothing in the ledger
    result, lines = outbox_run(fresh, T + 30 * M)                    # due: checked first
    assert result.exit_code == 0, lines
    assert sent(repo) == ["series.0.json", "series.1.json", "series.2.json"], lines
    assert json.loads((folder / "series.2.json").read_text())["reply_to"] == "series.1"
    assert [(o.what, o.post, o.account, o.part, o.detail) for o in result.outcomes] == [
        (OutcomeKind.RESOLVED, "series", "drill", 0, (folder / "series.0.json").as_uri()),
        (OutcomeKind.RESOLVED, "series", "drill", 1, (folder / "series.1.json").as_uri()),
        (OutcomeKind.PUBLISHED, "series", "drill", 2, (folder / "series.2.json").as_uri()),
    ]
    found = [e for e in fresh.ledger_events() if e["event"] in ("published", "released")]
    assert [(e["event"], e["part"], e.get("platform_id"), e.get("url"), e.get("resolved")) for e in found] == [
        ("published", 0, "series.0", (folder / "series.0.json").as_uri(), True),
        ("published", 1, "series.1", (folder / "series.1.json").as_uri(), True),
        ("released", 2, None, None, None),
        ("published", 2, "series.2", (folder / "series.2.json").as_uri(), None),
    ]
    for part in (0, 1):   # where it is, and what to do about a ledger that lost it
        assert (f"checked series @drill part {part + 1}: already on the platform "
                f"({(folder / f'series.{part}.json').as_uri()}) though the ledger did not know it: recorded, not "
                "posted again; run `postops verify` to see what happened to the ledger") in lines
    assert "checked series @drill part 3: not on the platform yet" in "\n".join(lines)
    # and `postops log` says why part 3 was let go before it went out
    from postops.publish.audit import audit_trail
    [trail] = audit_trail(fresh.root, load_config(fresh.root), post="series", now=T + 40 * M).posts
    released = [e for e in trail.events if e.event == "released"]
    assert [(e.part, e.detail.split(": ", 1)[1].split(";")[0]) for e in released] == [
        (3, "checked: not on the platform")]


def test_a_post_the_ledger_lost_is_looked_for_from_the_earliest_it_could_have_gone_out(tmp_path: Path) -> None:
    """The check of a first publication searches the platform from the post's own dates (its commit here,
    an hour before its publish_at), not from the check's time: a platform search that started at the check
    would miss the post published before the ledger was lost, and it would go out again."""
    from postops.platforms.outbox import OutboxPlatform
    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    repo.write("posts/drill/report.yaml", post_yaml("drill", "Our report", "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    assert outbox_run(repo, T)[0].exit_code == 0 and sent(repo) == ["report.0.json"]
    repo.git("push", "--quiet", "origin", ":refs/heads/postops/state")
    fresh = clone(tmp_path / "remote.git", tmp_path / "ci")
    asked: list[datetime] = []

    class Records(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append(claimed_at)
            return super().lookup(request, claimed_at)

    run(fresh, T + 20 * M, Records, outbox_env(fresh))
    result, lines = run(fresh, T + 30 * M, Records, outbox_env(fresh))
    assert result.exit_code == 0 and sent(repo) == ["report.0.json"], lines
    assert asked == [T - H]


def test_a_lost_post_edited_while_its_check_was_in_doubt_is_recorded_as_the_content_checked(tmp_path: Path) -> None:
    """The check of a post the ledger lost died while asking the platform, and the post was edited on main
    before the next run: that run asks about the content the check claimed and records what it finds under
    that content, so the edit is reported as one made after publishing, never taken for what went out."""
    from publishfixtures import Died

    from postops.platforms.outbox import OutboxPlatform

    repo = content_repo(tmp_path, when=T - 30 * 24 * H)
    repo.write("posts/drill/report.yaml", post_yaml("drill", "Our report", "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    assert outbox_run(repo, T)[0].exit_code == 0 and sent(repo) == ["report.0.json"]
    repo.git("push", "--quiet", "origin", ":refs/heads/postops/state")
    fresh = clone(tmp_path / "remote.git", tmp_path / "ci")

    class DiesAsking(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            raise Died

    outbox_run(fresh, T + 20 * M)                             # sees the post, no ledger: checks it when due
    with pytest.raises(Died):
        run(fresh, T + 30 * M, DiesAsking, outbox_env(fresh))
    [check] = [e for e in fresh.ledger_events() if e["event"] == "claimed"]
    assert check["checking"] is True
    fresh.write("posts/drill/report.yaml", post_yaml("drill", "Our report, corrected", "2026-11-24T14:00:00Z"))
    fresh.commit("Edit while the check is in doubt", T + 35 * M)
    result, lines = outbox_run(fresh, T + 45 * M)
    assert sent(repo) == ["report.0.json"], lines                    # never posted again
    [found] = [e for e in fresh.ledger_events() if e["event"] == "published"]
    assert (found["hash"], found["path"], found["resolved"]) == (check["hash"], check["path"], True)
    assert result.exit_code == 1 and [a.action for a in result.last_plan.actions] == ["conflict"], lines


def test_a_check_in_doubt_that_finds_nothing_records_the_content_it_checked_not_mains_edit(tmp_path: Path) -> None:
    from publishfixtures import Died

    from postops.platforms.outbox import OutboxPlatform

    class DiesAsking(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            raise Died

    repo = content_repo(tmp_path, when=T - 30 * 24 * H, watched=False)   # posts merged before publishing began
    repo.write("posts/drill/report.yaml", post_yaml("drill", "Our report", "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - H)
    outbox_run(repo, T - 10 * M)                              # the first run sees it; it is checked when due
    with pytest.raises(Died):
        run(repo, T, DiesAsking, outbox_env(repo))
    [check] = [e for e in repo.ledger_events() if e["event"] == "claimed"]
    repo.write("posts/drill/report.yaml", post_yaml("drill", "Our report, corrected", "2026-11-24T14:00:00Z"))
    repo.commit("Edit while the check is in doubt", T + M)
    _, lines = outbox_run(repo, T + 15 * M)
    assert any(line == "checked report @drill: not on the platform yet" for line in lines), lines
    [released] = [e for e in repo.ledger_events() if e["event"] == "released"]
    assert check["checking"] is True and (released["hash"], released["path"]) == (check["hash"], check["path"])
