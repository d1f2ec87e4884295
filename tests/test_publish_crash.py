"""Crash safety: the publisher dies (os._exit) at every step of the protocol for every part of a thread;
the next run finishes the job with every part published (or retracted) exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, git, post_yaml

from postops.publish.commands import publish_command
from postops.publish.failpoints import EXIT_CODE
from postops.publish.ledger import encode

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
SRC = str(Path(__file__).resolve().parents[1] / "src")
# The real publisher in its own process, so that os._exit really kills it. Lint is left out on purpose:
# these tests are about the protocol, not policies.
CHILD = """
import os, sys
from datetime import datetime
from pathlib import Path
from postops.publish.commands import publish_command
code = publish_command(Path(sys.argv[1]), now=datetime.fromisoformat(sys.argv[2]), dry_run=False,
                       allow_mass_retract=False, echo=print, env=os.environ, lint=lambda root, config: {})
sys.exit(code)
"""


def child(work: Path, outbox: Path, failpoint: str | None, now: datetime = T,
          delay: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "POSTOPS_OUTBOX_DIR": str(outbox)}
    env.pop("POSTOPS_FAILPOINT", None)
    if failpoint:
        env["POSTOPS_FAILPOINT"] = failpoint
    if delay:
        env["POSTOPS_OUTBOX_DELAY"] = delay
    return subprocess.Popen([sys.executable, "-c", CHILD, str(work), now.isoformat()], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def publish_here(work: Path, outbox: Path, now: datetime = T) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = publish_command(work, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(outbox)}, lint=lambda root, config: {})
    return code, lines


def copy_setup(template: Path, dest: Path) -> tuple[Repo, Path]:
    shutil.copytree(template, dest, symlinks=True)
    repo = Repo(dest / "work")
    repo.git("remote", "set-url", "origin", str(dest / "remote.git"))
    return repo, dest / "outbox"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("publish-template")
    repo = content_repo(base, when=T - timedelta(days=1))
    repo.write("posts/drill/thread.yaml", post_yaml("drill", "one", "2026-03-01T09:00:00Z", ["two", "three"]))
    repo.commit("Add a thread", T - timedelta(hours=2))
    retract = tmp_path_factory.mktemp("retract-template")
    shutil.copytree(base, retract, dirs_exist_ok=True, symlinks=True)
    work = Repo(retract / "work")
    work.git("remote", "set-url", "origin", str(retract / "remote.git"))
    assert publish_here(work.root, retract / "outbox")[0] == 0
    work.remove("posts/drill/thread.yaml")
    work.commit("Take the thread down", T - timedelta(minutes=30))
    return {"publish": base, "retract": retract}


def part_counts(repo: Repo, event: str) -> Counter[int]:
    return Counter(e["part"] for e in repo.ledger_events() if e["event"] == event)


@pytest.mark.parametrize("point", ["after-claim", "after-act", "after-record"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_publishing_survives_a_crash_at_every_step_of_every_part(templates: dict[str, Path], tmp_path: Path,
                                                                  point: str, nth: int) -> None:
    repo, outbox = copy_setup(templates["publish"], tmp_path / "case")
    proc = child(repo.root, outbox, f"{point}:{nth}")
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_CODE, output
    code, lines = publish_here(repo.root, outbox)
    assert code == 0, lines
    assert sorted(p.name for p in (outbox / "drill").glob("*.json")) == ["thread.0.json", "thread.1.json",
                                                                         "thread.2.json"]
    assert part_counts(repo, "published") == {0: 1, 1: 1, 2: 1}
    assert part_counts(repo, "failed") == {}
    replies = [json.loads((outbox / "drill" / f"thread.{i}.json").read_text())["reply_to"]
               for i in range(3)]
    assert replies == [None, "thread.0", "thread.1"]
    # and the run after that has nothing left to do
    events = len(repo.ledger_events())
    assert publish_here(repo.root, outbox)[0] == 0 and len(repo.ledger_events()) == events


@pytest.mark.parametrize("point", ["retract-after-claim", "retract-after-act", "retract-after-record"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_retraction_survives_a_crash_at_every_step_of_every_part(templates: dict[str, Path], tmp_path: Path,
                                                                  point: str, nth: int) -> None:
    repo, outbox = copy_setup(templates["retract"], tmp_path / "case")
    proc = child(repo.root, outbox, f"{point}:{nth}")
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_CODE, output
    code, lines = publish_here(repo.root, outbox)
    assert code == 0, lines
    assert list((outbox / "drill").glob("*.json")) == []
    assert sorted(p.name for p in (outbox / "drill" / "retracted").glob("*.json")) == [
        "thread.0.json", "thread.1.json", "thread.2.json"]
    assert part_counts(repo, "retracted") == {0: 1, 1: 1, 2: 1}
    assert part_counts(repo, "retract-failed") == {}
    order = [e["part"] for e in repo.ledger_events() if e["event"] == "retracted"]
    assert order == [2, 1, 0]


def test_a_publisher_of_another_host_is_waited_for_until_its_lease_runs_out(templates: dict[str, Path],
                                                                          tmp_path: Path) -> None:
    repo, outbox = copy_setup(templates["publish"], tmp_path / "case")
    proc = child(repo.root, outbox, "after-claim:1")
    proc.communicate(timeout=60)
    # pretend the claim came from another machine: its process cannot be checked, only its lease
    ledger = repo.ledger_events(seen=True)
    ledger[-1]["by"] = "elsewhere:1"
    repo.git("fetch", "--quiet", "origin")
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.root, check=True, capture_output=True,
                          input=encode(ledger)).stdout.decode().strip()   # postops' own bytes, so only its line changes
    tree = subprocess.run(["git", "mktree"], cwd=repo.root, check=True, capture_output=True,
                          input=f"100644 blob {blob}\tledger.jsonl\n".encode()).stdout.decode().strip()
    commit = repo.git("commit-tree", tree, "-p", "origin/postops/state", "-m", "edit")
    repo.git("push", "--quiet", "origin", f"{commit}:refs/heads/postops/state")
    # the edit stands for a claim made elsewhere, not for tampering, which a clone that saw the line before
    # refuses: this clone forgets what it saw
    for ref in ("refs/postops/seen/postops/state", "refs/remotes/origin/postops/state"):
        repo.git("update-ref", "-d", ref)
    code, lines = publish_here(repo.root, outbox, now=T + timedelta(minutes=5))
    assert code == 0 and list((outbox / "drill").glob("*.json")) == []
    code, lines = publish_here(repo.root, outbox, now=T + timedelta(minutes=11))
    assert code == 0, lines
    assert any("in doubt: thread @drill" in line and "not published" in line for line in lines)
    assert part_counts(repo, "published") == {0: 1, 1: 1, 2: 1}
    assert git(repo.root, "status", "--porcelain") == ""


def test_a_post_deleted_while_in_doubt_is_looked_up_then_retracted(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/oops.yaml", post_yaml("drill", "oops", "2026-03-01T09:00:00Z"))
    repo.commit("Add", T - timedelta(hours=2))
    outbox = tmp_path / "outbox"
    proc = child(repo.root, outbox, "after-act:1")
    assert proc.wait(timeout=60) == EXIT_CODE
    repo.remove("posts/drill/oops.yaml")
    repo.commit("Remove it", T + timedelta(minutes=1))
    code, lines = publish_here(repo.root, outbox, now=T + timedelta(minutes=2))
    assert code == 0, lines
    assert [e["event"] for e in repo.ledger_events()] == [
        "claimed", "claimed", "published", "retract-claimed", "retracted"]
    assert repo.ledger_events()[2]["resolved"] is True
    assert [p.name for p in (outbox / "drill" / "retracted").glob("*.json")] == ["oops.0.json"]
