from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
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
    repo = content_repo(tmp_path, remote=False, watched=False)
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
    repo = content_repo(tmp_path, remote=False, watched=False)
    store = L.Store(repo.root, "postops/state", None)
    base = store.read()
    assert store.append(base, [ev("claimed", run="one")], "one") is not None
    assert store.append(base, [ev("claimed", run="two")], "two") is None
    assert store.read().parts[("a", "drill", 0)].run == "one"


def test_remote_push_is_the_lock_between_clones(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
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
    repo = content_repo(tmp_path, remote=False, watched=False)
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


def test_pairs_group_each_part_state_under_its_post_and_account() -> None:
    ledger = L.Ledger().extended([ev("claimed"), ev("published", platform_id="p0"), ev("claimed", part=1)])
    pairs = ledger.pairs()
    assert {part: state.status for part, state in pairs[("a", "drill")].items()} == {0: "published", 1: "claimed"}
    assert pairs[("a", "drill")][0].published == ledger.parts[("a", "drill", 0)].published


def test_a_publication_recorded_without_a_hash_is_still_published_for_lint() -> None:
    # lint's published-edit rule takes a missing entry for "never published"
    ledger = L.Ledger().extended([ev("claimed"), ev("published", platform_id="p0")])
    assert isinstance(ledger.published_hashes().get(("a", "drill")), str)


def test_an_id_is_retired_only_once_it_is_live_nowhere() -> None:
    ledger = L.Ledger().extended([
        ev("claimed", post="gone"), ev("published", post="gone", platform_id="g"),
        ev("retract-claimed", post="gone"), ev("retracted", post="gone"),
        ev("claimed", post="half"), ev("published", post="half", platform_id="h1"),
        {**ev("claimed", post="half"), "account": "drill2"},
        {**ev("published", post="half", platform_id="h2"), "account": "drill2"},
        ev("retract-claimed", post="half"), ev("retracted", post="half"),
        ev("claimed", post="live"), ev("published", post="live", platform_id="l"),
    ])
    assert ledger.retracted_ids() == {"gone", "half"}
    assert ledger.retired_ids() == {"gone"}   # `half` is still up on drill2


def test_events_appended_together_each_carry_the_hash_of_the_line_before(tmp_path: Path) -> None:
    import hashlib
    repo = content_repo(tmp_path, remote=False, watched=False)
    store = L.Store(repo.root, "postops/state", None)
    first = store.append(store.read(), [ev("claimed", error="a reason with spaces")], "one")
    assert first is not None
    assert store.append(first, [ev("failed", error="the platform said no"), ev("claimed", run="r2")], "two")
    lines = repo.git("show", "postops/state:ledger.jsonl").encode().split(b"\n")
    assert len(lines) == 3
    assert [json.loads(line)["prev"] for line in lines] == [
        "", hashlib.sha256(lines[0]).hexdigest(), hashlib.sha256(lines[1]).hexdigest()]


def test_each_event_records_mains_tip_when_no_run_decided_it(tmp_path: Path) -> None:
    # settle, pause and repair append without a publish run's main commit: main's tip is the one
    repo = content_repo(tmp_path, remote=False, watched=False)
    store = L.Store(repo.root, "postops/state", None)
    assert store.append(store.read(), [ev("claimed")], "one")
    assert [e["main"] for e in repo.ledger_events()] == [repo.git("rev-parse", "main")]


def test_with_a_remote_main_is_the_remotes_default_branch_not_this_clones(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    pushed = repo.git("rev-parse", "HEAD")
    repo.write("notes.txt", "not pushed\n")
    repo.commit("Local only", T0, push=False)       # another clone's verify would never find this commit
    store = L.Store(repo.root, "postops/state", "origin")
    assert store.append(store.read(fetch=True), [ev("claimed")], "one")
    assert [e["main"] for e in repo.ledger_events()] == [pushed]


def test_in_a_detached_checkout_main_is_the_remotes_default_branch_by_any_name(tmp_path: Path) -> None:
    # a CI checkout: HEAD detached, no local branch; the remote's default branch is `master`
    repo = content_repo(tmp_path, watched=False)
    tip = repo.git("rev-parse", "HEAD")
    repo.git("push", "--quiet", "origin", "HEAD:refs/heads/master")
    git(tmp_path, "--git-dir=remote.git", "symbolic-ref", "HEAD", "refs/heads/master")
    repo.git("push", "--quiet", "origin", ":refs/heads/main")
    repo.git("fetch", "--quiet", "--prune", "origin")
    repo.git("remote", "set-head", "origin", "master")
    repo.git("checkout", "--quiet", "--detach", "origin/master")
    repo.git("branch", "-D", "main")
    store = L.Store(repo.root, "postops/state", "origin")
    assert store.append(store.read(fetch=True), [ev("claimed")], "one")
    assert [e["main"] for e in repo.ledger_events()] == [tip]


def test_lint_reads_the_state_branch_fetched_by_hand_when_this_clone_never_wrote_it(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    writer = L.Store(other.root, "postops/state", "origin")
    assert writer.append(writer.read(fetch=True), [ev("claimed"), ev("published", platform_id="p")], "one")
    repo.git("fetch", "--quiet", "origin", "postops/state:refs/remotes/origin/postops/state")   # docs/publishing.md
    assert L.read_ledger(repo.root, load_config(repo.root)).parts[("a", "drill", 0)].status == "published"


def test_lint_reads_the_newer_of_the_local_and_the_fetched_state_branch(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, watched=False)
    mine = L.Store(repo.root, "postops/state", "origin")
    assert mine.append(mine.read(fetch=True), [ev("claimed")], "claim")
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    theirs = L.Store(other.root, "postops/state", "origin")
    newer = theirs.append(theirs.read(fetch=True), [ev("published", platform_id="p")], "record")
    assert newer is not None
    repo.git("fetch", "--quiet", "origin", "postops/state:refs/remotes/origin/postops/state")
    # the local branch is behind the fetched one: the fetched one is the newer state
    assert L.read_ledger(repo.root, load_config(repo.root)).tip == newer.tip
    # and a local branch that went its own way (never pushed) is not taken over by the fetched one
    repo.git("update-ref", "refs/heads/postops/state",
             L.git.commit_file(repo.root, "ledger.jsonl", L.encode([ev("claimed", post="z")]), None, "own"))
    assert ("z", "drill", 0) in L.read_ledger(repo.root, load_config(repo.root)).parts


def test_a_state_branch_that_is_not_a_ledger_is_named(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, watched=False)
    repo.git("branch", "postops/state", "main")
    with pytest.raises(L.LedgerError) as raised:
        L.read_ledger(repo.root, load_config(repo.root))
    assert raised.value.message == ("branch postops/state has no ledger.jsonl: it is not a postops ledger (set "
                                    "state.branch in postops.yaml to another branch)")


def test_a_lock_left_on_the_state_branch_by_a_killed_git_is_cleared(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, watched=False)
    store = L.Store(repo.root, "postops/state", None)
    lock = repo.root / repo.git("rev-parse", "--git-path", "refs/heads/postops/state.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("0" * 40 + "\n")
    os.utime(lock, (0, 0))
    assert store.append(store.read(), [ev("claimed")], "claim") is not None
    assert not lock.exists()


def test_a_lock_whose_git_finishes_while_it_is_looked_at_is_no_error(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = content_repo(tmp_path, remote=False, watched=False)
    store = L.Store(repo.root, "postops/state", None)
    lock = repo.root / repo.git("rev-parse", "--git-path", "refs/heads/postops/state.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("0" * 40 + "\n")

    def finished_meanwhile(path: Path) -> bool:
        path.unlink()     # its git removes the lock between our look and our removal
        return True

    monkeypatch.setattr(L, "lock_abandoned", finished_meanwhile)
    assert store.append(store.read(), [ev("claimed")], "claim") is not None


def test_a_line_without_its_kind_post_account_or_whole_part_number_is_skipped() -> None:
    ledger = L.Ledger().extended([
        {"event": "claimed", "post": "a", "part": 0, "run": "r1"},               # no account
        {"event": "claimed", "account": "drill", "part": 0, "run": "r1"},        # no post
        ev("claimed", part=None), ev("claimed", post="b", part="0"),             # no part, a part that is text
        {"event": "missed", "post": "c", "account": 7},
        {**ev("claimed"), "event": ["claimed"]}, {**ev("claimed"), "event": {"kind": "claimed"}},  # not a kind
    ])
    assert ledger.parts == {} and ledger.missed == {}


def test_each_state_keeps_the_event_that_decided_it() -> None:
    ledger = L.Ledger.parse(L.encode([
        ev("claimed"), ev("published", platform_id="p0", url="u"),
        ev("claimed", part=1), ev("failed", part=1, error="boom"),
        ev("missed", post="c", part=None, publish_at="2026-03-01T01:00:00+00:00"),
    ]))
    assert ledger.parts[("a", "drill", 0)].event["url"] == "u" and ledger.parts[("a", "drill", 0)].run == "r1"
    assert ledger.parts[("a", "drill", 1)].event["error"] == "boom"
    assert ledger.missed[("c", "drill")]["publish_at"] == "2026-03-01T01:00:00+00:00"
    assert ledger.damaged == 0


def test_a_failed_retraction_keeps_the_publication_for_the_next_try() -> None:
    ledger = L.Ledger().extended([
        ev("claimed"), ev("published", platform_id="p0"),
        ev("retract-claimed", run="r2"), ev("retract-failed", run="r2", error="rate limited", retryable=True),
    ])
    state = ledger.parts[("a", "drill", 0)]
    assert state.status == "retract-failed" and state.event["error"] == "rate limited"
    assert state.published is not None and state.published["platform_id"] == "p0"
    again = ledger.extended([ev("retract-claimed", run="r3")]).parts[("a", "drill", 0)]
    assert again.published is not None and again.published["platform_id"] == "p0"


def test_extending_keeps_the_tip_log_and_damage_it_was_read_with() -> None:
    raw = L.encode([ev("claimed")]) + b"not json\n"
    ledger = L.Ledger.parse(raw, tip="c0ffee").extended([ev("published", platform_id="p")])
    assert ledger.tip == "c0ffee" and ledger.damaged == 1
    assert [e["event"] for e in ledger.log] == ["claimed", "published"]
    assert ledger.extended([], tip="beef").tip == "beef"


def test_every_event_is_a_line_of_its_own_however_the_ledger_ended() -> None:
    first = L.Ledger().extended([ev("claimed")])
    assert first.raw == L.encode([ev("claimed")])                     # no blank line before the first
    second = first.extended([ev("published", platform_id="p")])
    assert second.raw.split(b"\n")[:-1] == [L.encode([e]).rstrip(b"\n") for e in second.log]
    unterminated = L.Ledger.parse(L.encode([ev("claimed")]).rstrip(b"\n")).extended([ev("published", platform_id="p")])
    assert unterminated.raw == second.raw


def test_a_line_that_is_json_but_not_one_object_is_damaged() -> None:
    good = L.encode([ev("claimed")])
    for bad in (b"[1, 2]", b'"text"', b'{"event": "claimed"},{"event": "published"}'):
        ledger = L.Ledger.parse(good + bad + b"\n" + L.encode([ev("published", platform_id="p")]))
        assert (ledger.damaged, len(ledger.log)) == (1, 2), bad
        assert ledger.parts[("a", "drill", 0)].status == "published"
    assert L.Ledger.parse(b"").damaged == 0 and L.Ledger.parse(b"\n\n").damaged == 0


def test_lint_sees_what_is_published_and_what_is_retired_and_nothing_without_a_ledger(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, watched=False)
    assert L.lint_state(repo.root, load_config(repo.root)) is None
    store = L.Store(repo.root, "postops/state", None)
    assert store.append(store.read(), [
        ev("claimed", hash="h1"), ev("published", platform_id="p", hash="h1"),
        ev("claimed", post="b"), ev("published", post="b", platform_id="q"),
        ev("retract-claimed", post="b"), ev("retracted", post="b"),
    ], "one")
    state = L.lint_state(repo.root, load_config(repo.root))
    assert state is not None
    assert (dict(state.published), set(state.retracted)) == ({("a", "drill"): "h1"}, {"b"})
