"""`postops log`: the audit trail read back from real git history (branches, merges, squashes, reverts,
moves) and from the ledger of real publish runs through the outbox."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from gitfixtures import Repo, content_repo, post_yaml

from postops.cli import main
from postops.publish.audit import UnknownPost, audit_trail, log_command
from postops.publish.commands import publish_command
from postops.publish.ledger import Store
from postops.repo import git
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
H = timedelta(hours=1)
API = "https://api.github.com"
GITHUB = {"GITHUB_TOKEN": "ghs_test", "GITHUB_REPOSITORY": "acme/comms"}

ALICE = ("Alice Writer", "alice@example.org")
BOB = ("Bob Merger", "bob@example.org")
CAROL = ("Carol Editor", "carol@example.org")
ERIN = ("Erin Oncall", "erin@example.org")
WEB_FLOW = ("GitHub", "noreply@github.com")


def who(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"


def git_as(repo: Repo, author: tuple[str, str], when: datetime, *args: str,
           committer: tuple[str, str] | None = None) -> str:
    committer = committer or author
    env = {**os.environ, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
           "GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()}
    subprocess.run(["git", *args], cwd=repo.root, check=True, capture_output=True, env=env)
    return repo.git("rev-parse", "HEAD")


def commit_as(repo: Repo, author: tuple[str, str], when: datetime, message: str, *,
              committer: tuple[str, str] | None = None) -> str:
    repo.git("add", "--all")
    return git_as(repo, author, when, "commit", "--quiet", "-m", message, committer=committer)


def push(repo: Repo, when: datetime) -> None:
    """Push to main, seen there at `when` by the publisher the push starts."""
    repo.git("push", "--quiet", "origin", "HEAD:main")
    repo.seen_by_publisher(when)


def publish(repo: Repo, now: datetime, env: dict[str, str] | None = None, expect: int = 0) -> list[str]:
    lines: list[str] = []
    code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox"), **(env or {})},
                           lint=lambda root, config: {})
    assert code == expect, lines
    return lines


def trail(repo: Repo, post: str | None = None, now: datetime = T + 2 * H) -> dict[str, list[dict]]:
    log = audit_trail(repo.root, load_config(repo.root), post=post, now=now)
    return {t.post: [e.as_dict() for e in t.events] for t in log.posts}


def serve_approval(mock: responses.RequestsMock, merge_sha: str, number: int, head: str, approver: str) -> None:
    """GitHub's answers for a merged pull request whose commits are by alice and carol, approved by `approver`."""
    mock.get(f"{API}/repos/acme/comms/commits/{merge_sha}/pulls", json=[
        {"number": number, "user": {"login": "alice"}, "merged_at": "2026-03-01T08:00:00Z",
         "merge_commit_sha": merge_sha, "head": {"sha": head},
         "base": {"ref": "main", "repo": {"default_branch": "main"}}}])
    mock.get(f"{API}/repos/acme/comms/pulls/{number}/commits", json=[
        {"sha": head, "author": {"login": "carol"}, "committer": {"login": "carol"}}])
    mock.get(f"{API}/repos/acme/comms/commits", json=[{"sha": head}])
    mock.get(f"{API}/repos/acme/comms/pulls/{number}/reviews", json=[
        {"id": 1, "user": {"login": approver}, "state": "APPROVED", "commit_id": head,
         "submitted_at": "2026-03-01T07:55:00Z"}])


@pytest.fixture
def lifecycle(tmp_path: Path) -> dict:
    """A post written on a branch by Alice, changed there by Carol, merged as pull request #12 by Bob,
    approved by dana, published, then taken off main by Erin's revert and retracted."""
    repo = content_repo(tmp_path, when=T - 24 * H)
    config = (repo.root / "postops.yaml").read_text().replace(
        "  drill:\n    platform: outbox\n", "  drill:\n    platform: outbox\n    approvers: ['@dana']\n", 1)
    repo.write("postops.yaml", config + "approval: github\n")
    repo.commit("Require approval", T - 23 * H)
    repo.git("checkout", "--quiet", "-b", "launch")
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "We launch tomorrow", "2026-03-01T10:00:00Z"))
    added = commit_as(repo, ALICE, T - 3 * H, "Add the launch post")
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "We launch today", "2026-03-01T10:00:00Z"))
    changed = commit_as(repo, CAROL, T - 150 * M, "Say today, not tomorrow")
    repo.git("checkout", "--quiet", "main")
    merged = git_as(repo, BOB, T - 2 * H, "merge", "--quiet", "--no-ff", "launch",
                    "-m", "Merge pull request #12 from acme/launch", "-m", "Launch post")
    push(repo, T - 2 * H)
    with responses.RequestsMock() as mock:
        serve_approval(mock, merged, 12, changed, "dana")
        publish(repo, T + M, GITHUB)
        assert len(mock.calls) == 4
    reverted = git_as(repo, ERIN, T + H, "revert", "--no-edit", "-m", "1", merged)
    push(repo, T + H)
    publish(repo, T + H + M, GITHUB)
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "published", "retract-claimed", "retracted"]
    return {"repo": repo, "added": added, "changed": changed, "merged": merged, "reverted": reverted,
            "events": events}


def test_the_whole_life_of_a_post(lifecycle: dict) -> None:
    published = lifecycle["events"][1]
    run1, run2 = published["run"], lifecycle["events"][3]["run"]
    url = published["url"]
    assert url.startswith("file://") and url.endswith("/drill/launch.0.json")
    got = trail(lifecycle["repo"], "launch")["launch"]
    assert [(e["event"], e["commit"], e["author"], e["pull"], e["by"]) for e in got] == [
        ("added", lifecycle["added"], who(ALICE), None, who(ALICE)),
        ("changed", lifecycle["changed"], who(CAROL), None, who(CAROL)),
        ("merged", lifecycle["merged"], who(BOB), 12, who(BOB)),
        ("approved", None, None, 12, "dana"),
        ("published", lifecycle["merged"], None, None, run1),
        ("deleted", lifecycle["reverted"], who(ERIN), None, who(ERIN)),
        ("pushed", lifecycle["reverted"], who(ERIN), None, who(ERIN)),
        ("retracted", lifecycle["reverted"], None, None, run2),
    ]
    assert [e["at"] for e in got] == [(T - 3 * H).isoformat(), (T - 150 * M).isoformat(), (T - 2 * H).isoformat(),
                                      (T + M).isoformat(), (T + M).isoformat(), (T + H).isoformat(),
                                      (T + H).isoformat(), (T + H + M).isoformat()]
    assert [(e["account"], e["part"], e["url"]) for e in got[3:5]] == [("drill", None, None), ("drill", 1, url)]
    assert (got[7]["account"], got[7]["part"], got[7]["url"]) == ("drill", 1, url)
    assert got[0]["detail"] == f"by {who(ALICE)}: Add the launch post"
    assert got[2]["detail"] == f"pull request #12 merged by {who(BOB)}: Launch post"
    assert got[3]["detail"] == "pull request #12 approved by dana for @drill (checked at publish time)"
    assert got[4]["detail"] == f"@drill part 1: {url} (run {run1})"
    assert got[6]["detail"] == f"straight to main by {who(ERIN)}, without a pull request"
    assert got[7]["detail"] == f"@drill part 1: {url} taken down after {lifecycle['reverted'][:7]} took the post " \
                               f"off main (run {run2})"


def test_text_groups_each_post_one_aligned_line_per_event(lifecycle: dict) -> None:
    out: list[str] = []
    assert log_command(lifecycle["repo"].root, post="launch", fmt="text", echo=out.append, now=T + 2 * H) == 0
    lines = "\n".join(out).splitlines()
    assert lines[0] == "launch  posts/drill/launch.yaml"
    body = lines[1:]
    assert [line.split()[3] for line in body] == ["added", "changed", "merged", "approved", "published", "deleted",
                                                 "pushed", "retracted"]
    assert body[0].startswith(f"  2026-03-01 07:00 UTC  added      {lifecycle['added'][:7]}  by Alice Writer")
    assert body[3].startswith("  2026-03-01 10:01 UTC  approved            pull request #12 approved by dana")
    assert len({line.index(" by ") for line in body[:2]}) == 1      # columns line up


def test_a_deleted_post_keeps_its_trail_and_path(lifecycle: dict) -> None:
    log = audit_trail(lifecycle["repo"].root, load_config(lifecycle["repo"].root), now=T + 2 * H)
    assert [(t.post, t.path) for t in log.posts] == [("launch", "posts/drill/launch.yaml")]


def test_json_and_csv_shapes(lifecycle: dict) -> None:
    root = lifecycle["repo"].root
    out: list[str] = []
    log_command(root, post=None, fmt="json", echo=out.append, now=T + 2 * H)
    data = json.loads("\n".join(out))
    assert data["version"] == 1 and data["ledger"]["branch"] == "postops/state" and data["ledger"]["commit"]
    assert [p["post"] for p in data["posts"]] == ["launch"] and data["posts"][0]["path"] == "posts/drill/launch.yaml"
    events = data["posts"][0]["events"]
    assert all(list(e) == ["at", "event", "commit", "author", "pull", "account", "part", "url", "by", "detail"]
               for e in events)
    out = []
    log_command(root, post="launch", fmt="csv", echo=out.append, now=T + 2 * H)
    rows = list(csv.reader(io.StringIO("\n".join(out))))
    assert rows[0] == ["post", "at", "event", "account", "part", "commit", "author", "pull", "url", "detail"]
    assert len(rows) == 1 + len(events)
    assert rows[3] == ["launch", (T - 2 * H).isoformat(), "merged", "", "", lifecycle["merged"], who(BOB), "12", "",
                       f"pull request #12 merged by {who(BOB)}: Launch post"]
    assert rows[5][2:6] == ["published", "drill", "1", lifecycle["merged"]]
    assert rows[5][8] == events[4]["url"]


def test_the_whole_log_is_one_git_log(lifecycle: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    real_popen = subprocess.Popen
    logs: list[list[str]] = []

    def popen(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(argv, list) and argv[:1] == ["git"] and "log" in argv[:5]:
            logs.append(argv)
        return real_popen(argv, *args, **kwargs)

    monkeypatch.setattr(git.subprocess, "Popen", popen)   # subprocess.run starts its process through Popen too
    repo = lifecycle["repo"]
    repo.watched = False   # the publisher's own reading of main is not the log's
    for i in range(5):   # more posts and commits must not mean more git processes
        repo.write(f"posts/drill/more-{i}.yaml", post_yaml("drill", f"More {i}", "2026-04-01T10:00:00Z"))
        repo.commit(f"More {i}", T + 2 * H + i * M)
    assert len(trail(repo)) == 6
    assert len(logs) == 1, logs      # one pass over the whole history


@pytest.fixture
def history(tmp_path: Path) -> dict:
    """No publish run: a squash merge, a GitLab merge, a push straight to main, a moved file, an explicit id."""
    repo = content_repo(tmp_path, when=T - 24 * H, watched=False)
    repo.write("posts/drill/spring.yaml", post_yaml("drill", "Spring is here", "2026-04-01T10:00:00Z"))
    squash = commit_as(repo, ALICE, T - 10 * H, "Add the spring post (#34)", committer=WEB_FLOW)
    repo.git("checkout", "--quiet", "-b", "autumn")
    repo.write("posts/drill/autumn.yaml", post_yaml("drill", "Autumn is here", "2026-10-01T10:00:00Z"))
    autumn = commit_as(repo, ALICE, T - 9 * H, "Add the autumn post")
    repo.git("checkout", "--quiet", "main")
    gitlab = git_as(repo, BOB, T - 8 * H, "merge", "--quiet", "--no-ff", "autumn", "-m",
                    "Merge branch 'autumn' into 'main'", "-m", "Autumn campaign", "-m", "See merge request acme/comms!56")
    repo.write("posts/drill/moving.yaml", post_yaml("drill", "On the move", "2026-05-01T10:00:00Z"))
    direct = commit_as(repo, CAROL, T - 7 * H, "Add a post in a hurry")
    (repo.root / "posts/drill2").mkdir()
    repo.git("mv", "posts/drill/moving.yaml", "posts/drill2/moving.yaml")
    repo.write("posts/drill2/moving.yaml", post_yaml("drill2", "On the move", "2026-05-01T10:00:00Z"))
    moved = commit_as(repo, CAROL, T - 6 * H, "Move the post to drill2")
    repo.write("posts/drill/file-name.yaml", "id: custom-id\n" + post_yaml("drill", "Named", "2026-06-01T10:00:00Z"))
    named = commit_as(repo, ALICE, T - 5 * H, "Add a post with its own id")
    push(repo, T - 5 * H)
    return {"repo": repo, "squash": squash, "autumn": autumn, "gitlab": gitlab, "direct": direct, "moved": moved,
            "named": named}


def test_squash_gitlab_and_direct_pushes(history: dict) -> None:
    got = trail(history["repo"])
    assert sorted(got) == ["autumn", "custom-id", "moving", "spring"]
    assert [(e["event"], e["commit"], e["author"], e["pull"], e["by"]) for e in got["spring"]] == [
        ("added", history["squash"], who(ALICE), None, who(ALICE)),
        ("merged", history["squash"], who(ALICE), 34, who(WEB_FLOW)),
    ]
    assert got["spring"][1]["detail"] == f"pull request #34 squash-merged by {who(WEB_FLOW)}: Add the spring post"
    assert [(e["event"], e["commit"], e["pull"], e["by"]) for e in got["autumn"]] == [
        ("added", history["autumn"], None, who(ALICE)),
        ("merged", history["gitlab"], 56, who(BOB)),
    ]
    assert got["autumn"][1]["detail"] == f"merge request !56 merged by {who(BOB)}: Autumn campaign"
    assert [(e["event"], e["commit"], e["pull"]) for e in got["custom-id"]] == [
        ("added", history["named"], None), ("pushed", history["named"], None)]


def test_a_moved_file_keeps_its_id(history: dict) -> None:
    log = audit_trail(history["repo"].root, load_config(history["repo"].root), post="moving")
    assert [(t.post, t.path) for t in log.posts] == [("moving", "posts/drill2/moving.yaml")]
    events = log.posts[0].events
    assert [(e.event, e.commit, e.author) for e in events] == [
        ("added", history["direct"], who(CAROL)), ("pushed", history["direct"], who(CAROL)),
        ("moved", history["moved"], who(CAROL)), ("pushed", history["moved"], who(CAROL))]
    assert "from posts/drill/moving.yaml to posts/drill2/moving.yaml" in events[2].detail


def test_without_a_ledger_the_history_says_no_run_has_happened(history: dict) -> None:
    out: list[str] = []
    log_command(history["repo"].root, post="spring", fmt="text", echo=out.append)
    lines = "\n".join(out).splitlines()
    assert lines[0] == ("no publish run has happened yet (no ledger on branch postops/state): "
                        "this is the history from git alone")
    assert lines[2] == "spring  posts/drill/spring.yaml"
    out: list[str] = []
    log_command(history["repo"].root, post="posts/drill/spring.yaml", fmt="json", echo=out.append)
    assert json.loads(out[0])["ledger"] == {"branch": "postops/state", "commit": None}


def test_an_unknown_post_names_near_matches(history: dict) -> None:
    with pytest.raises(UnknownPost, match=r"no post 'sprng' .*did you mean spring\?"):
        log_command(history["repo"].root, post="sprng", fmt="text", echo=print)
    result = CliRunner().invoke(main, ["log", "autum", "-C", str(history["repo"].root)])
    assert result.exit_code == 1
    assert "no post 'autum' in the history of main or in the ledger; did you mean autumn?" in result.output


def test_cli_outside_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "postops.yaml").write_text("version: 1\ntimezone: UTC\naccounts:\n  drill:\n    platform: outbox\n")
    result = CliRunner().invoke(main, ["log", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a git repository: postops log reads the history of main" in result.output


def test_cli_prints_csv(history: dict) -> None:
    result = CliRunner().invoke(main, ["log", "custom-id", "--format", "csv", "-C", str(history["repo"].root)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert [r[:3] for r in rows[1:]] == [["custom-id", (T - 5 * H).isoformat(), "added"],
                                        ["custom-id", (T - 5 * H).isoformat(), "pushed"]]


def test_in_doubt_claimed_and_missed(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - 24 * H)
    repo.write("posts/drill/late.yaml", post_yaml("drill", "Too late", "2026-03-01T02:00:00Z"))
    repo.write("posts/drill/stuck.yaml", post_yaml("drill", "Stuck", "2026-03-01T11:00:00Z"))
    repo.write("posts/drill/busy.yaml", post_yaml("drill", "Busy", "2026-03-01T11:00:00Z"))
    landed = repo.commit("Three posts", T - 12 * H)
    publish(repo, T, expect=1)                           # late.yaml: more than max_delay (6h) late
    store = Store(repo.root, "postops/state", "origin")
    ledger = store.read(fetch=True)

    def claim(post: str, lease: datetime) -> dict:
        return {"event": "claimed", "post": post, "account": "drill", "part": 0, "commit": landed,
                "run": f"run-{post}", "by": "host:1", "at": (T + H).isoformat(), "lease_until": lease.isoformat()}

    assert store.append(ledger, [claim("stuck", T + H + 10 * M), claim("busy", T + 3 * H)], "claims") is not None
    got = trail(repo, now=T + 2 * H)
    assert [(e["event"], e["at"], e["by"]) for e in got["late"][-1:]] == [("missed", T.isoformat(),
                                                                           repo.ledger_events()[0]["run"])]
    assert got["late"][-1]["detail"].startswith("@drill: publish_at 2026-03-01T02:00:00+00:00 had passed")
    assert [(e["event"], e["commit"], e["part"]) for e in got["stuck"][-1:]] == [("in-doubt", landed, 1)]
    assert "run run-stuck claimed its publication and recorded no outcome" in got["stuck"][-1]["detail"]
    assert got["busy"][-1]["event"] == "claimed" and "is at work on its publication" in got["busy"][-1]["detail"]


def test_a_media_change_counts_for_its_post_and_a_local_merge_is_no_pull_request(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, when=T - 24 * H)
    repo.write("posts/drill/photo.yaml", post_yaml("drill", "A photo", "2026-04-01T10:00:00Z")
               + "media:\n  - path: media/photo.png\n    alt: \"The team\"\n")
    repo.write("media/photo.png", "first")
    added = commit_as(repo, ALICE, T - 5 * H, "Add the photo post")
    repo.git("checkout", "--quiet", "-b", "fix")
    repo.write("media/photo.png", "second")
    fixed = commit_as(repo, CAROL, T - 4 * H, "A sharper photo")
    repo.git("checkout", "--quiet", "main")
    merge = git_as(repo, BOB, T - 3 * H, "merge", "--quiet", "--no-ff", "fix", "-m", "Merge branch 'fix'")
    got = trail(repo)
    assert list(got) == ["photo"]
    assert [(e["event"], e["commit"], e["by"], e["detail"]) for e in got["photo"]] == [
        ("added", added, who(ALICE), f"by {who(ALICE)}: Add the photo post"),
        ("pushed", added, who(ALICE), f"straight to main by {who(ALICE)}, without a pull request"),
        ("changed", fixed, who(CAROL), f"by {who(CAROL)}, its media file media/photo.png: A sharper photo"),
        ("pushed", merge, who(BOB),
         f"merge commit pushed straight to main by {who(BOB)}, without a pull request: Merge branch 'fix'"),
    ]


def test_a_deleted_post_with_its_own_id_is_known_by_that_id(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - 24 * H)
    repo.write("posts/drill/file-name.yaml", "id: own-id\n" + post_yaml("drill", "Mine", "2026-03-01T10:00:00Z"))
    added = commit_as(repo, ALICE, T - 3 * H, "Add a post with its own id")
    push(repo, T - 3 * H)
    publish(repo, T + M)
    repo.remove("posts/drill/file-name.yaml")
    removed = commit_as(repo, CAROL, T + H, "Take it down")
    push(repo, T + H)
    publish(repo, T + H + M)
    got = trail(repo)
    assert list(got) == ["own-id"]
    assert [(e["event"], e["commit"]) for e in got["own-id"]] == [
        ("added", added), ("pushed", added), ("published", added), ("deleted", removed), ("pushed", removed),
        ("retracted", removed)]
