"""The approval check at publish time: with `approval: github`, a post goes out only when the pull request
that brought it to main was approved as its account requires; GitHub's API answered by `responses`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from publishfixtures import no_lint

from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
API = "https://api.github.com"
REPO = "acme/comms"
POST = "posts/drill/launch.yaml"



@pytest.fixture
def repo(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text()
    config = config.replace("  drill:\n    platform: outbox\n",
                            "  drill:\n    platform: outbox\n    approvers: ['@alice', '@bob']\n    approvals: 1\n", 1)
    repo.write("postops.yaml", config + "approval: github\n")
    repo.commit("Require approval", T - timedelta(hours=23))
    repo.write(POST, post_yaml("drill", "We launch today", "2026-03-01T10:00:00Z"))
    repo.commit("Add the launch post", T - 60 * M)
    return repo


def serve(sha: str, reviews: list[tuple[str, str]], *, pull: bool = True) -> None:
    pulls = [{"number": 7, "user": {"login": "writer"}, "merged_at": "2026-03-01T09:00:00Z",
              "head": {"sha": "c1"}, "base": {"ref": "main", "repo": {"default_branch": "main"}}}] if pull else []
    responses.get(f"{API}/repos/{REPO}/commits/{sha}/pulls", json=pulls)
    responses.get(f"{API}/repos/{REPO}/pulls/7/commits",
                  json=[{"sha": "c1", "author": {"login": "writer"}, "committer": {"login": "writer"}}])
    responses.get(f"{API}/repos/{REPO}/commits", json=[{"sha": "c1"}])
    responses.get(f"{API}/repos/{REPO}/pulls/7/reviews", json=[
        {"id": i, "user": {"login": login}, "state": state, "commit_id": "c1",
         "submitted_at": f"2026-03-01T08:0{i}:00Z"} for i, (login, state) in enumerate(reviews)])


def run(repo, env):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T, env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "out"),
                     **env}, lint=no_lint, echo=lines.append)
    return result, lines


ENV = {"GITHUB_TOKEN": "ghs_test", "GITHUB_REPOSITORY": REPO}


@responses.activate
def test_an_approved_post_is_published(repo):
    serve(repo.git("rev-parse", "HEAD"), [("alice", "APPROVED")])
    result, lines = run(repo, ENV)
    assert result.exit_code == 0, lines
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "published"]
    assert (events[0]["pull"], events[0]["approved_by"]) == (7, ["alice"])   # the audit trail


@responses.activate
def test_an_unapproved_post_is_blocked_with_the_reason(repo):
    serve(repo.git("rev-parse", "HEAD"), [("writer", "APPROVED"), ("mallory", "APPROVED")])
    result, _lines = run(repo, ENV)
    assert repo.ledger_events() == []
    blocked = result.last_plan.of("blocked")
    assert [(a.post, a.action) for a in blocked] == [("launch", "blocked")]
    assert blocked[0].reason.startswith("approval: pull request #7: 0 of 1 approval from @alice, @bob")
    assert "writer opened the pull request" in blocked[0].reason


@responses.activate
def test_a_direct_push_is_never_approved(repo):
    serve(repo.git("rev-parse", "HEAD"), [], pull=False)
    result, _ = run(repo, ENV)
    assert repo.ledger_events() == []
    assert "pushed straight to main" in result.last_plan.of("blocked")[0].reason


@responses.activate
def test_github_unreachable_or_no_token_means_not_approved(repo):
    responses.get(f"{API}/repos/{REPO}/commits/{repo.git('rev-parse', 'HEAD')}/pulls", status=401)
    result, _ = run(repo, ENV)
    assert repo.ledger_events() == []
    assert "GitHub could not say who approved it" in result.last_plan.of("blocked")[0].reason
    result, _ = run(repo, {"GITHUB_REPOSITORY": REPO})
    assert "needs a GitHub token" in result.last_plan.of("blocked")[0].reason
    assert "ghs_test" not in result.last_plan.of("blocked")[0].reason


@responses.activate
def test_plan_asks_github_on_main_but_not_on_a_pull_request_branch(repo):
    from postops.publish.commands import plan_command

    def plan() -> list[str]:
        lines: list[str] = []
        assert plan_command(repo.root, now=T, until=None, fmt="text", echo=lines.append, lint=no_lint,
                            env=ENV) == 0
        return lines

    serve(repo.git("rev-parse", "HEAD"), [], pull=False)
    assert any("blocked" in line and "pushed straight to main" in line for line in plan())
    calls = len(responses.calls)
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("posts/drill/other.yaml", post_yaml("drill", "Another post", "2026-03-02T10:00:00Z"))
    repo.commit("Another post", T - 30 * M, push=False)
    lines = plan()
    assert len(responses.calls) == calls                      # nothing asked of GitHub
    assert not any("blocked" in line for line in lines)


@responses.activate
def test_a_forged_record_of_part_one_does_not_publish_the_rest_of_a_thread_unapproved(repo):
    """Whoever can push to the state branch can write a `published` line for part 1 of a thread; the other
    parts must still wait for the post's approval, which a direct push never has."""

    from postops.publish.desired import load_desired
    from postops.publish.ledger import chained, encode
    from postops.repo import git as gitmod

    repo.write(POST, post_yaml("drill", "We launch today", "2026-03-01T10:00:00Z", thread=["Part two"]))
    head = repo.commit("A thread, pushed straight to main", T - 60 * M)
    target = load_desired(repo.root, load_config(repo.root)).targets[0]
    forged = {"event": "published", "post": "launch", "account": "drill", "part": 0, "hash": target.hash,
              "path": POST, "commit": head, "run": "forged", "by": "x:1:y", "at": (T - 5 * M).isoformat(),
              "platform_id": "1", "url": "https://example.org/1"}
    # appended as postops appends, hash chain and all: the chain is not a signature
    state = repo.git("rev-parse", "origin/postops/state")
    raw = gitmod.read_file(repo.root, state, "ledger.jsonl") or b""
    commit = gitmod.commit_file(repo.root, "ledger.jsonl", raw + encode(chained(raw, [forged], head)), state,
                                "forged")
    repo.git("push", "--quiet", "origin", f"{commit}:refs/heads/postops/state")
    serve(head, [], pull=False)
    result, _ = run(repo, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["published"]      # nothing more went out
    blocked = result.last_plan.of("blocked")
    assert [a.post for a in blocked] == ["launch"]
    assert "pushed straight to main" in blocked[0].reason
