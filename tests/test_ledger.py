from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gitfixtures import clone, content_repo, git

from postops.publish import ledger as L
from postops.repo.config import load_config

T0 = datetime.fromisoformat("2026-03-01T12:00:00+00:00")


def ev(kind: str, post: str = "a", part: int | None = 0, run: str = "r1", **extra: object) -> dict:
    event: dict = {"event": kind, "post": post, "account": "drill", "run": run, **extra}
    if part is not None:
        event["part"] = part
    return event


def test_fold_follows_each_part_through_its_events() -> None:
    ledger = L.Ledger().extended([
        ev("claimed", lease_until="2026-03-01T12:10:00+00:00"),
        ev("published", platform_id="p0", hash="h1"),
        ev("claimed", part=1),
        ev("failed", part=1, error="boom", retryable=True),
        ev("claimed", post="b"),
        ev("missed", post="c", part=None, publish_at="2026-03-01T01:00:00+00:00"),
    ])
    assert ledger.parts[("a", "drill", 0)].status == "published"
    assert ledger.parts[("a", "drill", 1)].status == "failed"
    assert ledger.parts[("b", "drill", 0)].status == "claimed"
    assert ("c", "drill") in ledger.missed
    assert ledger.published_hashes() == {("a", "drill"): "h1"}
    assert ledger.pairs()[("a", "drill")].keys() == {0, 1}


def test_a_late_record_from_another_run_does_not_undo_a_newer_claim() -> None:
    ledger = L.Ledger().extended([
        ev("claimed", run="old"),
        ev("claimed", run="new"),
        ev("released", run="old"),
        ev("failed", run="old", error="late"),
    ])
    state = ledger.parts[("a", "drill", 0)]
    assert (state.status, state.run) == ("claimed", "new")


def test_retraction_keeps_the_publication_it_took_down() -> None:
    ledger = L.Ledger().extended([
        ev("claimed"), ev("published", platform_id="p0", hash="h"),
        ev("retract-claimed", run="r2"), ev("retracted", run="r2"),
    ])
    state = ledger.parts[("a", "drill", 0)]
    assert state.status == "retracted" and state.published and state.published["platform_id"] == "p0"
    assert ledger.retracted_ids() == {"a"}
    assert ledger.retracted_pairs() == {("a", "drill")}
    assert ledger.published_hashes() == {}


def test_damaged_and_unknown_lines_are_skipped_not_guessed() -> None:
    raw = L.encode([ev("claimed"), ev("published", platform_id="x")]) + b"{not json\n" + \
        L.encode([ev("teleported"), ev("claimed", post="b")])
    ledger = L.Ledger.parse(raw)
    assert ledger.damaged == 1
    assert ledger.parts[("a", "drill", 0)].status == "published"
    assert ledger.parts[("b", "drill", 0)].status == "claimed"


def test_append_creates_the_orphan_branch_without_touching_the_checkout(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    repo.write("notes.txt", "uncommitted work\n")
    repo.git("add", "notes.txt")
    store = L.Store(repo.root, "postops/state", None)
    first = store.append(store.read(), [ev("claimed")], "claim a")
    assert first is not None
    second = store.append(first, [ev("published", platform_id="p")], "publish a")
    assert second is not None
    assert repo.git("status", "--porcelain") == "A  notes.txt"
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    # orphan: no shared history with main
    assert repo.git("rev-list", "--count", "postops/state") == "2"
    assert repo.git("merge-base", "main", "postops/state", check=False) == ""
    again = L.read_ledger(repo.root, load_config(repo.root))
    assert again.parts[("a", "drill", 0)].status == "published"
    assert again.tip == second.tip


def test_local_compare_and_swap_refuses_a_stale_base(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    store = L.Store(repo.root, "postops/state", None)
    base = store.read()
    assert store.append(base, [ev("claimed", run="one")], "one") is not None
    assert store.append(base, [ev("claimed", run="two")], "two") is None
    assert store.read().parts[("a", "drill", 0)].run == "one"


def test_remote_push_is_the_lock_between_clones(tmp_path: Path) -> None:
    repo = content_repo(tmp_path)
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    mine = L.Store(repo.root, "postops/state", "origin")
    theirs = L.Store(other.root, "postops/state", "origin")
    seen_by_me = mine.read(fetch=True)
    seen_by_them = theirs.read(fetch=True)
    assert theirs.append(seen_by_them, [ev("claimed", run="them")], "theirs") is not None
    assert mine.append(seen_by_me, [ev("claimed", run="me")], "mine") is None
    fresh = mine.read(fetch=True)
    assert fresh.parts[("a", "drill", 0)].run == "them"
    assert mine.append(fresh, [ev("published", run="them", platform_id="p")], "record") is not None
    assert theirs.read(fetch=True).parts[("a", "drill", 0)].status == "published"
    assert git(tmp_path / "remote.git", "rev-list", "--count", "postops/state") == "2"


def test_reading_the_ledger_of_ten_thousand_posts(tmp_path: Path) -> None:
    # how long this takes is measured by benchmarks/ledger.py, not asserted here
    repo = content_repo(tmp_path, remote=False)
    events = []
    for i in range(10_000):
        common = {"post": f"post-{i:05d}", "account": "drill", "part": 0, "hash": "f" * 64, "commit": "c" * 40,
                  "run": "r" * 12, "by": "runner:1234", "at": "2026-03-01T12:00:00+00:00"}
        events.append({"event": "claimed", **common, "lease_until": "2026-03-01T12:10:00+00:00"})
        events.append({"event": "published", **common, "platform_id": f"1{i:018d}",
                       "url": f"https://x.com/acct/status/1{i:018d}"})
    store = L.Store(repo.root, "postops/state", None)
    assert store.append(store.read(), events, "many") is not None
    config = load_config(repo.root)
    ledger = L.read_ledger(repo.root, config)
    hashes = ledger.published_hashes()
    assert len(hashes) == 10_000
    assert hashes[("post-09999", "drill")] == "f" * 64


def test_lint_can_read_the_ledger_without_importing_gitpython(tmp_path: Path) -> None:
    import subprocess
    import sys
    code = "import sys, postops.publish.ledger; assert 'git' not in sys.modules, 'gitpython imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reading_outside_a_repository_is_an_empty_ledger(tmp_path: Path) -> None:
    (tmp_path / "postops.yaml").write_text("version: 1\naccounts: {drill: {platform: outbox}}\n")
    assert L.read_ledger(tmp_path, load_config(tmp_path)).parts == {}
