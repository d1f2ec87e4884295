"""The ledger's memory between fresh clones (POSTOPS_LEDGER_MEMORY): every CI job is a new clone, which
cannot tell a rewound or deleted state branch from a real one unless the newest state an earlier job saw
is carried over to it. Each attack runs first without the memory (what it does), then with it."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, clone, content_repo, post_yaml
from publishfixtures import no_lint

from postops.errors import PostopsError
from postops.publish.commands import dispatch_command, publish_command
from postops.publish.verify import verify
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
STATE = "refs/heads/postops/state"


def publish(repo: Repo, now: datetime, memory: Path | None) -> tuple[int, list[str]]:
    env = {"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}
    if memory is not None:
        env["POSTOPS_LEDGER_MEMORY"] = str(memory)
    lines: list[str] = []
    try:
        code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                               env=env, lint=no_lint)
    except PostopsError as exc:   # what the command line prints, with its exit code
        return exc.exit_code, [exc.message]
    return code, lines


def sent(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "outbox" / "drill").glob("*.json"))


def ci_job(tmp_path: Path, name: str) -> Repo:
    """A CI job: a fresh clone of the remote, as actions/checkout makes one."""
    return clone(tmp_path / "remote.git", tmp_path / name)


def sighted_then_published(tmp_path: Path, memory: Path | None) -> tuple[str, str]:
    """A post merged for 10:00 is seen by the 09:30 job (a `seen` line: the state at that point), and
    published by the 10:00 job; each job a fresh clone. Returns both states of the branch."""
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "Launch day", "2026-03-01T10:00:00Z"))
    repo.commit("Add the launch post", T - 40 * M)
    assert publish(ci_job(tmp_path, "job1"), T - 30 * M, memory)[0] == 0 and sent(tmp_path) == []
    sighted = repo.git("ls-remote", "origin", STATE).split()[0]
    code, lines = publish(ci_job(tmp_path, "job2"), T, memory)
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines
    return sighted, repo.git("ls-remote", "origin", STATE).split()[0]


def rewind_remote(tmp_path: Path, to: str) -> None:
    """What someone who gets past the branch rules does: force the state branch back, from anywhere."""
    clone(tmp_path / "remote.git", tmp_path / "attacker").git("push", "--quiet", "--force", "origin",
                                                               f"{to}:{STATE}")
    (tmp_path / "outbox" / "drill" / "launch.0.json").unlink()   # to see whether it is posted again


def test_without_memory_a_fresh_clone_takes_a_rewound_branch_for_the_real_one(tmp_path: Path) -> None:
    sighted, _ = sighted_then_published(tmp_path, memory=None)
    rewind_remote(tmp_path, sighted)            # keeps the sighting, drops the publication
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, None)
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines   # posted a second time: the known gap


def test_with_memory_a_fresh_clone_refuses_a_rewound_branch_and_posts_nothing(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted, published = sighted_then_published(tmp_path, memory)
    assert memory.read_text().strip() == published       # what the job after it restores
    rewind_remote(tmp_path, sighted)
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == [], lines
    assert f"does not contain {published}, which the ledger memory {memory} records" in lines[0], lines
    assert "Nothing was published" in lines[0]
    # and it stays refused, run after run, until someone acts
    assert publish(ci_job(tmp_path, "job4"), T + 20 * M, memory)[0] == 2 and sent(tmp_path) == []


def test_with_memory_a_deleted_branch_is_refused_and_pushing_back_mends_it(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    keeper = ci_job(tmp_path, "keeper")          # anyone's clone that fetched the branch still has its commits
    clone(tmp_path / "remote.git", tmp_path / "attacker").git("push", "--quiet", "origin", f":{STATE}")
    (tmp_path / "outbox" / "drill" / "launch.0.json").unlink()
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == [], lines
    assert f"was deleted on origin; the ledger memory {memory} records it at {published}" in lines[0]
    keeper.git("push", "--quiet", "origin", f"{published}:{STATE}")
    code, lines = publish(ci_job(tmp_path, "job4"), T + 20 * M, memory)
    assert code == 0 and sent(tmp_path) == [], lines      # known as published: not posted again


def test_the_memory_follows_the_branch_as_runs_move_it(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    repo = ci_job(tmp_path, "author")
    repo.write("posts/drill/second.yaml", post_yaml("drill", "Second", "2026-03-01T11:00:00Z"))
    repo.commit("Add a second post", T + 5 * M)
    assert publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)[0] == 0          # sees it
    sighted = repo.git("ls-remote", "origin", STATE).split()[0]
    assert sighted != published and memory.read_text().strip() == sighted
    assert publish(ci_job(tmp_path, "job4"), T + 70 * M, memory)[0] == 0          # publishes it
    tip = repo.git("ls-remote", "origin", STATE).split()[0]
    assert tip != sighted and memory.read_text().strip() == tip
    assert sent(tmp_path) == ["launch.0.json", "second.0.json"]


def test_a_memory_that_holds_no_commit_stops_publish_and_a_recorded_repair_rewrites_it(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    memory.write_text("not a commit\n")
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert (code, lines) == (2, [
        f"{memory}:1: the ledger memory (POSTOPS_LEDGER_MEMORY) holds no commit id ('not a commit'). Nothing was "
        "published: if nothing happened to postops/state, accept it as it is with `postops verify --repair "
        "--reason \"...\"`, which rewrites the memory"])
    job = ci_job(tmp_path, "job4")
    out: list[str] = []
    code = verify(job.root, load_config(job.root), repair=True, reason="the CI cache was damaged", now=T + 15 * M,
                  who="ops", echo=out.append, env={"POSTOPS_LEDGER_MEMORY": str(memory)})
    assert code == 0, out
    assert memory.read_text().strip() == job.git("ls-remote", "origin", STATE).split()[0] != published
    assert publish(ci_job(tmp_path, "job5"), T + 20 * M, memory)[0] == 0


def test_a_repair_run_by_hand_in_ci_accepts_a_rewind_and_rewrites_the_memory(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted, _ = sighted_then_published(tmp_path, memory)
    rewind_remote(tmp_path, sighted)
    job = ci_job(tmp_path, "job3")
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox"), "POSTOPS_LEDGER_MEMORY": str(memory),
           "POSTOPS_ACTION": "repair", "POSTOPS_REASON": "restored from a backup taken before the launch"}
    out: list[str] = []
    assert dispatch_command(job.root, now=T + 10 * M, echo=out.append, env=env) == 0, out
    repaired = [e for e in job.ledger_events() if e["event"] == "repaired"]
    assert [e["reason"] for e in repaired] == ["restored from a backup taken before the launch"]
    assert memory.read_text().strip() == job.git("ls-remote", "origin", STATE).split()[0]
    # what the repair accepted holds from then on: the launch post is due again and goes out once
    assert sent(tmp_path) == ["launch.0.json"], out
    assert publish(ci_job(tmp_path, "job4"), T + 20 * M, memory)[0] == 0 and sent(tmp_path) == ["launch.0.json"]


def test_repair_by_hand_needs_a_reason(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    env = {"POSTOPS_ACTION": "repair", "POSTOPS_REASON": " "}
    with pytest.raises(PostopsError, match="POSTOPS_ACTION=repair needs POSTOPS_REASON") as raised:
        dispatch_command(repo.root, now=T, echo=lambda line: None, env=env)
    assert raised.value.exit_code == 2


def test_a_run_that_finds_no_memory_says_so_every_time(tmp_path: Path) -> None:
    # a CI cache that never keeps the file (a runner without a cache, a path typed wrong) must not pass for
    # a memory: each run without one says it cannot tell a rewound branch from the real one
    memory = tmp_path / "cache" / "ledger-seen"
    content_repo(tmp_path, when=T - timedelta(days=1))
    code, lines = publish(ci_job(tmp_path, "job1"), T, memory)
    assert code == 0 and any(line.startswith(f"ledger memory: {memory} does not exist yet") for line in lines)
    code, lines = publish(ci_job(tmp_path, "job2"), T + M, memory)
    assert code == 0 and not any(line.startswith("ledger memory:") for line in lines), lines
    memory.unlink()                                          # the cache lost it
    code, lines = publish(ci_job(tmp_path, "job3"), T + 2 * M, memory)
    assert any(line.startswith(f"ledger memory: {memory} does not exist yet") for line in lines), lines


def new_repository(tmp_path: Path) -> Repo:
    """A content repository no publisher has run on yet: no state branch, one post due at 10:00."""
    repo = content_repo(tmp_path, when=T - timedelta(days=1), watched=False)
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "Launch day", "2026-03-01T10:00:00Z"))
    repo.commit("Add the launch post", T - 40 * M)
    return repo


def test_the_first_run_of_a_new_repository_starts_the_memory(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"      # the CI cache is empty on the first job
    repo = new_repository(tmp_path)
    assert publish(ci_job(tmp_path, "job1"), T - 30 * M, memory)[0] == 0
    sighted = repo.git("ls-remote", "origin", STATE).split()[0]
    assert memory.read_text() == sighted + "\n"
    code, lines = publish(ci_job(tmp_path, "job2"), T, memory)
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines


def test_a_clone_that_saw_more_than_its_memory_refuses_a_rewind_to_what_the_memory_holds(tmp_path: Path) -> None:
    # a publisher in a clone of its own (a self-hosted runner), whose memory comes back older than what the
    # clone saw (an older cache entry restored): the rewind matches the memory, not the clone
    memory = tmp_path / "cache" / "ledger-seen"
    repo = new_repository(tmp_path)
    runner = ci_job(tmp_path, "runner")
    assert publish(runner, T - 30 * M, memory)[0] == 0
    sighted = repo.git("ls-remote", "origin", STATE).split()[0]
    assert publish(runner, T, memory)[0] == 0 and sent(tmp_path) == ["launch.0.json"]
    published = repo.git("ls-remote", "origin", STATE).split()[0]
    memory.write_text(sighted + "\n")
    rewind_remote(tmp_path, sighted)
    code, lines = publish(runner, T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == [], lines
    assert f"does not contain {published}, which this clone saw" in lines[0], lines



def test_a_state_branch_made_by_hand_with_an_empty_ledger_is_extended_not_refused(tmp_path: Path) -> None:
    # Someone creates the branch before the first run (to put a ruleset on it): one empty ledger.jsonl. An
    # empty ledger is the start of every ledger, so the lines runs append to it keep it, as the memory asks.
    memory = tmp_path / "cache" / "ledger-seen"
    repo = new_repository(tmp_path)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    blob = repo.git("hash-object", "-w", str(empty))
    tree = subprocess.run(["git", "mktree"], input=f"100644 blob {blob}\tledger.jsonl\n", cwd=repo.root,
                          capture_output=True, text=True, check=True).stdout.strip()
    made = repo.git("commit-tree", tree, "-m", "The state branch, made by hand")
    repo.git("push", "--quiet", "origin", f"{made}:{STATE}")
    memory.parent.mkdir(parents=True)
    memory.write_text(made + "\n")                  # an earlier job saw it
    code, lines = publish(ci_job(tmp_path, "job1"), T - 30 * M, None)   # a run elsewhere appends to it
    assert code == 0, lines
    code, lines = publish(ci_job(tmp_path, "job2"), T, memory)
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines
    repo.git("fetch", "--quiet", "origin", f"{STATE}:refs/remotes/origin/postops/state")
    tip = repo.git("rev-parse", "refs/remotes/origin/postops/state")
    assert tip != made
    repo.git("merge-base", "--is-ancestor", made, tip)   # the runs built on it (fails the test if not)
