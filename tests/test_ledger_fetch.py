"""Fetching the state branch: what a remote that hides the branch for a moment, does not answer, rewinds or
deletes it does to a read, and what the read leaves in the clone. The pauses between tries are recorded, not
slept."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from gitfixtures import Repo, clone, content_repo, git

from postops.publish import ledger as L
from postops.publish.verify import verify
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
BRANCH = "postops/state"
STATE = f"refs/heads/{BRANCH}"


def ev(kind: str, post: str = "a", **extra: object) -> dict:
    return {"event": kind, "post": post, "account": "drill", "part": 0, "run": "r1", **extra}


def remote_git(tmp_path: Path, *args: str) -> str:
    """What happens on the remote itself (another clone's push, the server's housekeeping)."""
    return git(tmp_path, "--git-dir=remote.git", *args)


def published(repo: Repo, post: str = "a") -> L.Ledger:
    store = L.Store(repo.root, BRANCH, "origin")
    ledger = store.append(store.read(fetch=True), [ev("claimed", post), ev("published", post, platform_id="p")],
                          f"publish {post}")
    assert ledger is not None
    return ledger


def pauses(monkeypatch: pytest.MonkeyPatch, during: Callable[[int], None] = lambda n: None) -> list[float]:
    """The pauses a read makes between tries; `during(n)` runs in the n-th (from 1), as the world moves on."""
    made: list[float] = []

    def pause(seconds: float) -> None:
        made.append(seconds)
        during(len(made))

    monkeypatch.setattr(L.time, "sleep", pause)
    return made


def test_a_state_branch_hidden_for_a_moment_is_asked_for_again_not_taken_as_absent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    fresh = clone(tmp_path / "remote.git", tmp_path / "fresh")   # has never seen the state branch
    tip = published(repo).tip
    assert tip is not None
    remote_git(tmp_path, "update-ref", "-d", STATE)      # hidden from fetch and ls-remote alike, for a moment
    made = pauses(monkeypatch, lambda n: remote_git(tmp_path, "update-ref", STATE, tip))
    ledger = L.Store(fresh.root, BRANCH, "origin").read(fetch=True)
    # taken as absent, the ledger would be empty and this clone would publish `a` a second time
    assert ledger.parts[("a", "drill", 0)].status == "published"
    assert made == [0.1]


def test_an_absent_state_branch_is_asked_for_twice_then_is_an_empty_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    made = pauses(monkeypatch)
    store = L.Store(repo.root, BRANCH, "origin")
    assert store.read(fetch=True).parts == {}
    assert made == [0.1]
    assert repo.git("for-each-ref", "refs/postops", "refs/remotes/origin/postops") == ""


def test_a_remote_that_does_not_answer_is_asked_five_times_then_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    published(repo)
    repo.git("remote", "set-url", "origin", str(tmp_path / "gone.git"))
    made = pauses(monkeypatch)
    with pytest.raises(L.LedgerError) as raised:
        L.Store(repo.root, BRANCH, "origin").read(fetch=True)
    assert not isinstance(raised.value, L.LedgerTampered)   # nothing says the branch was deleted
    assert made == [0.1, 0.2, 0.4, 0.8]                    # 1.5 s in all
    # git's own reason, which names the remote it could not reach
    assert raised.value.message.startswith(f"cannot fetch the ledger branch {BRANCH}: ")
    assert "gone.git" in raised.value.message


def test_a_remote_that_answers_on_the_third_try_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    published(repo, "b")
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    published(other, "a")
    url = repo.git("remote", "get-url", "origin")
    repo.git("remote", "set-url", "origin", str(tmp_path / "gone.git"))
    made = pauses(monkeypatch, lambda n: repo.git("remote", "set-url", "origin", url) if n == 2 else None)
    ledger = L.Store(repo.root, BRANCH, "origin").read(fetch=True)
    assert ledger.parts[("a", "drill", 0)].status == "published"
    assert made == [0.1, 0.2]


def test_an_error_git_writes_in_another_encoding_is_still_an_error_with_its_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    published(repo)
    # a remote path that is not UTF-8 (a Latin-1 folder name): git's message quotes it byte for byte
    subprocess.run([b"git", b"remote", b"set-url", b"origin", bytes(tmp_path) + b"/caf\xe9.git"], cwd=repo.root,
                   check=True)
    pauses(monkeypatch)
    with pytest.raises(L.LedgerError, match=re.escape("caf\ufffd.git")):
        L.Store(repo.root, BRANCH, "origin").read(fetch=True)


def test_a_rewound_branch_leaves_what_this_clone_reads_where_it_was(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    first = published(repo, "a").tip
    second = published(repo, "b").tip
    assert first and second
    remote_git(tmp_path, "update-ref", STATE, first)
    with pytest.raises(L.LedgerTampered) as raised:
        L.Store(repo.root, BRANCH, "origin").read(fetch=True)
    assert raised.value.message == (
        f"the state branch {BRANCH} on origin was rewound: it is at {first[:12]}, which does not contain "
        f"{second}, which this clone saw. Nothing was published: see what happened with `postops verify`; "
        f"if the branch was rewound or deleted by mistake, push back the last state a publisher saw, from a clone "
        f"that saw it: `git push origin refs/postops/seen/{BRANCH}:refs/heads/{BRANCH}`; if it was a real "
        "accident and the ledger as it stands is right, accept it with `postops verify --repair --reason "
        "\"...\"`, which is recorded in the ledger")
    # lint and status (which never fetch) still read the state this clone saw; nothing else was kept
    assert L.read_ledger(repo.root, load_config(repo.root)).tip == second
    assert repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/postops",
                    "refs/remotes/origin/postops").splitlines() == [
        f"refs/postops/seen/{BRANCH} {second}", f"refs/remotes/origin/{BRANCH} {second}"]


def test_a_clone_that_saw_the_branch_only_through_git_fetch_refuses_a_rewind(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    first = published(repo, "a").tip
    second = published(repo, "b").tip
    assert first and second
    other = clone(tmp_path / "remote.git", tmp_path / "other")    # a plain clone: no postops read yet
    assert other.git("rev-parse", f"refs/remotes/origin/{BRANCH}") == second
    remote_git(tmp_path, "update-ref", STATE, first)
    # what it cloned counts as seen, and the refusal says whose state the branch dropped
    with pytest.raises(L.LedgerTampered, match=f"was rewound: .* does not contain {second}, which this clone saw"):
        L.Store(other.root, BRANCH, "origin").read(fetch=True)


def test_a_deleted_branch_is_refused_naming_the_state_this_clone_saw(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    tip = published(repo).tip
    assert tip
    remote_git(tmp_path, "update-ref", "-d", STATE)
    pauses(monkeypatch)
    with pytest.raises(L.LedgerTampered) as raised:
        L.Store(repo.root, BRANCH, "origin").read(fetch=True)
    assert raised.value.message.startswith(
        f"the state branch {BRANCH} was deleted on origin; this clone saw it at {tip}. Nothing was "
        "published: see what happened")
    assert f"`git push origin refs/postops/seen/{BRANCH}:refs/heads/{BRANCH}`" in raised.value.message



def test_verify_of_a_deleted_branch_says_so_and_describes_no_ledger(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    tip = published(repo).tip
    remote_git(tmp_path, "update-ref", "-d", STATE)
    pauses(monkeypatch)
    lines: list[str] = []
    assert verify(repo.root, load_config(repo.root), repair=False, reason=None, now=T, who=None,
                  echo=lines.append) == 1
    # the remote holds no ledger to check: no count of lines, no chain called intact or broken
    assert len(lines) == 1 and lines[0].startswith(
        f"the state branch {BRANCH} was deleted on origin; this clone saw it at {tip}. Nothing was published"), lines

def test_a_deletion_accepted_by_repair_is_a_fresh_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, watched=False)
    tip = published(repo).tip
    remote_git(tmp_path, "update-ref", "-d", STATE)
    repo.git("branch", "-D", BRANCH)    # the clone's own copy goes too: the remote is what counts
    pauses(monkeypatch)
    lines: list[str] = []
    assert verify(repo.root, load_config(repo.root), repair=True, reason="deleted on purpose", now=T,
                  who="Ops", echo=lines.append) == 0, lines
    events = [event for event in L.Ledger.parse(remote_git(tmp_path, "show", f"{STATE}:ledger.jsonl").encode()).log]
    # the ledger as it stands is no ledger: the repair is its first line, nothing of the deleted one is back
    assert [(e["event"], e["accepted_tip"], e["prev"]) for e in events] == [("repaired", None, "")]
    assert tip not in remote_git(tmp_path, "rev-list", STATE)


def test_reading_fetches_only_the_state_branch(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    tip = published(other).tip
    other.git("tag", "ledger-mark", str(tip))
    other.git("push", "--quiet", "origin", "ledger-mark")
    L.Store(repo.root, BRANCH, "origin").read(fetch=True)
    assert repo.git("tag") == ""


def test_read_without_fetch_is_what_this_clone_last_saw(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    mine = L.Store(repo.root, BRANCH, "origin")
    seen = published(repo, "a").tip
    published(clone(tmp_path / "remote.git", tmp_path / "other"), "b")
    assert mine.read().tip == seen and ("b", "drill", 0) not in mine.read().parts    # lint and status: no network
    assert ("b", "drill", 0) in mine.read(fetch=True).parts
