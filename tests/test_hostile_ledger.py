"""Attacks on the ledger and its memory by someone with write access to the content repository who gets past
(or finds no) ruleset on the state branch: each test performs one, and shows that nothing goes out twice
and nothing crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, clone, content_repo, post_yaml
from publishfixtures import no_lint
from test_ledger_memory import (
    STATE,
    M,
    T,
    ci_job,
    new_repository,
    publish,
    rewind_remote,
    sent,
    sighted_then_published,
)

from postops.errors import PostopsError
from postops.publish import ledger as ledger_mod
from postops.publish.commands import dispatch_command, status_command
from postops.publish.ledger import chained, encode, ledger_lines
from postops.repo import git


def fast_forward_to(tmp_path: Path, raw: bytes, name: str = "ledger.jsonl") -> str:
    """What someone who may push to the state branch, but not force-push, does: a new commit on top of the
    tip, holding a ledger of their choosing. The branch still contains every commit a publisher saw."""
    attacker = clone(tmp_path / "remote.git", tmp_path / "attacker")
    attacker.git("fetch", "--quiet", "origin", f"{STATE}:refs/heads/state")
    commit = git.commit_file(attacker.root, name, raw, attacker.git("rev-parse", "state"),
                             "postops: 1 published")
    attacker.git("push", "--quiet", "origin", f"{commit}:{STATE}")
    return commit


def ledger_at(repo: Repo, commit: str) -> bytes:
    return repo.git("show", f"{commit}:ledger.jsonl").encode() + b"\n"


def truncated(raw: bytes, sighted: bytes) -> bytes:
    """The ledger as it was before the publication: the last lines dropped, the chain still whole."""
    return sighted


def rewritten_and_repaired(raw: bytes, sighted: bytes) -> bytes:
    """The publication's lines turned into a release, the chain recomputed, and a forged `repaired` line
    appended for good measure (the chain is not a signature)."""
    lines = [json.loads(line) for line in ledger_lines(raw)]
    kept = [e for e in lines if e["event"] != "published"]
    kept[-1] = {**kept[-1], "event": "released", "reason": "not found"}
    events = [{k: v for k, v in e.items() if k not in ("prev", "main")} for e in kept]
    rebuilt = encode(chained(b"", events, lines[-1]["main"]))
    return rebuilt + encode(chained(rebuilt, [{"event": "repaired", "reason": "migration", "at": T.isoformat()}],
                                    lines[-1]["main"]))


@pytest.mark.parametrize("forge", [truncated, rewritten_and_repaired])
def test_a_fast_forward_that_drops_a_publication_is_refused_by_the_memory(
        tmp_path: Path, forge: Callable[[bytes, bytes], bytes]) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted, published = sighted_then_published(tmp_path, memory)
    repo = ci_job(tmp_path, "look")
    forged = fast_forward_to(tmp_path, forge(ledger_at(repo, published), ledger_at(repo, sighted)))
    (tmp_path / "outbox" / "drill" / "launch.0.json").unlink()     # to see whether it is posted again
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == [], lines
    assert f"is at {forged[:12]}, which does not keep the ledger as {published} held it" in lines[0], lines
    assert "Nothing was published" in lines[0]
    # the way back it names is this branch's
    assert f"`git push origin refs/postops/seen/postops/state:{STATE}`" in lines[0]
    assert memory.read_text().strip() == published                 # still refused at the next run
    assert publish(ci_job(tmp_path, "job4"), T + 20 * M, memory)[0] == 2 and sent(tmp_path) == []


def test_a_commit_without_the_ledger_file_does_not_become_what_later_commits_are_checked_against(
        tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    fast_forward_to(tmp_path, b"nothing here\n", name="README")
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and f"does not keep the ledger as {published} held it" in lines[0], lines
    assert memory.read_text().strip() == published


@pytest.mark.parametrize("line", [
    b"[" * 100_000 + b"]" * 100_000,                          # deeper than the JSON parser goes
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
])
def test_a_line_nested_too_deep_is_a_damaged_line_not_a_crash(tmp_path: Path, line: bytes) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    job = ci_job(tmp_path, "job3")
    fast_forward_to(tmp_path, ledger_at(job, published) + line + b"\n")
    code, lines = publish(ci_job(tmp_path, "job4"), T + 10 * M, memory)
    assert code == 2 and "line 5: not an event" in lines[0], lines
    out: list[str] = []
    job = ci_job(tmp_path, "job5")
    assert status_command(job.root, fmt="json", now=T + 10 * M, echo=out.append, lint=no_lint, err=out.append) == 0
    assert "warning: 1 line(s) of the ledger on postops/state cannot be read" in out[0]


def test_a_sighting_naming_commits_that_are_no_strings_is_reported_not_a_crash(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    job = ci_job(tmp_path, "job3")
    raw = ledger_at(job, published)
    forged = {"event": "seen", "commits": [{}, ["x"], 7], "at": (T + M).isoformat()}
    fast_forward_to(tmp_path, raw + encode(chained(raw, [forged], job.git("rev-parse", "HEAD"))))
    code, lines = publish(ci_job(tmp_path, "job4"), T + 10 * M, memory)
    assert code == 2 and "line 5 (seen): names {}, ['x'], 7, not in main's history" in lines[0], lines


@pytest.mark.parametrize("commits", [None, "0123abcd"])
def test_a_sighting_whose_commits_are_no_list_is_not_a_crash(tmp_path: Path, commits: object) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    _, published = sighted_then_published(tmp_path, memory)
    job = ci_job(tmp_path, "job3")
    raw = ledger_at(job, published)
    forged = {"event": "seen", "commits": commits, "at": (T + M).isoformat()}
    fast_forward_to(tmp_path, raw + encode(chained(raw, [forged], job.git("rev-parse", "HEAD"))))
    code, lines = publish(ci_job(tmp_path, "job4"), T + 10 * M, memory)   # an exception would fail the test here
    assert sent(tmp_path) == ["launch.0.json"], (code, lines)               # and nothing goes out again

def test_a_memory_that_cannot_be_written_is_an_error_naming_it_even_for_the_repair(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted_then_published(tmp_path, memory)
    memory.unlink()
    memory.mkdir()                        # what a cache holding a folder at that name restores
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and "holds no commit id ('<not a regular file>')" in lines[0], lines
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox"), "POSTOPS_LEDGER_MEMORY": str(memory),
           "POSTOPS_ACTION": "repair", "POSTOPS_REASON": "the cache restored a folder"}
    with pytest.raises(PostopsError) as raised:        # the lever the message names: no traceback
        dispatch_command(ci_job(tmp_path, "job4").root, now=T + 15 * M, echo=lambda line: None, env=env)
    assert raised.value.path == str(memory)
    assert "cannot write the ledger memory (POSTOPS_LEDGER_MEMORY)" in raised.value.message
    memory.rmdir()                        # as the message says; then the repair goes through
    assert dispatch_command(ci_job(tmp_path, "job5").root, now=T + 20 * M, echo=lambda line: None, env=env) == 0


def test_a_memory_under_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where a folder should be\n")
    memory = tmp_path / "cache" / "ledger-seen"
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "Launch day", "2026-03-01T10:00:00Z"))
    repo.commit("Add the launch post", T - 40 * M)
    code, lines = publish(ci_job(tmp_path, "job1"), T, memory)
    assert code == 1 and sent(tmp_path) == [], lines
    assert lines[0].startswith("cannot write the ledger memory (POSTOPS_LEDGER_MEMORY): ")
    assert lines[0].endswith(f": {memory}: remove what stands in its way, or point the variable elsewhere")


def test_a_memory_that_is_a_link_to_nothing_is_refused_not_read_as_no_memory(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted, _ = sighted_then_published(tmp_path, memory)
    memory.unlink()
    memory.symlink_to(tmp_path / "cache" / "gone")       # a cache, or a committed file, restored as a link
    rewind_remote(tmp_path, sighted)
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == [], lines
    assert f"{memory}:1: the ledger memory (POSTOPS_LEDGER_MEMORY) holds no commit id" in lines[0]


def test_a_memory_that_is_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted_then_published(tmp_path, memory)
    memory.unlink()
    os.mkfifo(memory)                                    # reading it would wait for a writer for ever
    job = ci_job(tmp_path, "job3")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "POSTOPS_LEDGER_MEMORY": str(memory),
           "POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    result = subprocess.run([sys.executable, "-m", "postops", "publish", "--now", (T + 10 * M).isoformat()],
                            cwd=job.root, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2, result.stderr
    assert "holds no commit id ('<not a regular file>')" in result.stderr


def test_a_memory_under_a_file_on_a_new_repositorys_first_run_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where a folder should be\n")
    memory = tmp_path / "cache" / "ledger-seen"
    new_repository(tmp_path)                      # no state branch yet
    code, lines = publish(ci_job(tmp_path, "job1"), T, memory)
    assert code == 1 and sent(tmp_path) == [], lines
    assert lines[0].startswith("cannot write the ledger memory (POSTOPS_LEDGER_MEMORY): ")
    assert lines[0].endswith(f": {memory}: remove what stands in its way, or point the variable elsewhere")



def test_a_memory_of_garbage_is_shown_by_its_first_sixty_characters(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "ledger-seen"
    sighted_then_published(tmp_path, memory)
    memory.write_text("x" * 200 + "\n")                  # what a script that writes the wrong file leaves
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)
    assert code == 2 and sent(tmp_path) == ["launch.0.json"], lines
    assert f"holds no commit id ({'x' * 60!r}). Nothing was published" in lines[0], lines


def test_a_memory_that_cannot_be_written_after_the_push_does_not_undo_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The push is what counts: a memory the run could read but cannot rewrite once it has pushed (a full
    disk, a cache folder gone read-only) leaves it older than the branch, which the next fetch accepts, as
    an older state is always contained. The run records its publication and goes on."""
    memory = tmp_path / "cache" / "ledger-seen"
    repo = new_repository(tmp_path)
    assert publish(ci_job(tmp_path, "job1"), T - 30 * M, memory)[0] == 0
    before = memory.read_text()
    real = ledger_mod.write_atomic
    writes: list[str] = []

    def write_atomic(path: Path, text: str) -> None:
        writes.append(text)
        if len(writes) > 1:                              # the fetch's write went through; the rest fail
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(ledger_mod, "write_atomic", write_atomic)
    code, lines = publish(ci_job(tmp_path, "job2"), T, memory)
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines
    assert len(writes) > 1 and memory.read_text() != repo.git("ls-remote", "origin", STATE).split()[0] + "\n"
    monkeypatch.setattr(ledger_mod, "write_atomic", real)
    code, lines = publish(ci_job(tmp_path, "job3"), T + 10 * M, memory)   # the older memory is contained
    assert code == 0 and sent(tmp_path) == ["launch.0.json"], lines
    assert before and memory.read_text() == repo.git("ls-remote", "origin", STATE).split()[0] + "\n"
