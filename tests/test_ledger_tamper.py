"""Attacks on the ledger by whoever can push to its branch: each test performs one and shows it fails."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, post_yaml
from gitfixtures import git as git_cmd
from publishfixtures import no_lint

from postops.errors import PostopsError
from postops.publish.commands import publish_command
from postops.publish.ledger import chained, encode
from postops.publish.verify import verify
from postops.repo import git
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
STATE = "refs/heads/postops/state"



@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return content_repo(tmp_path, when=T - timedelta(days=1))


def publish(repo: Repo, now: datetime) -> tuple[int, list[str]]:
    lines: list[str] = []
    try:
        code = publish_command(repo.root, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                               env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}, lint=no_lint)
    except PostopsError as exc:   # what the command line prints, with its exit code
        return exc.exit_code, [exc.message]
    return code, lines


def on_remote(repo: Repo, *args: str) -> None:
    """The attacker works from their own clone: only the remote changes, never this clone's refs."""
    git_cmd(repo.root.parent, "--git-dir=remote.git", *args)


def outbox(repo: Repo, folder: str = "") -> list[str]:
    return sorted(p.name for p in (repo.root.parent / "outbox" / "drill" / folder).glob("*.json"))


def state_tip(repo: Repo) -> str:
    return repo.git("ls-remote", "origin", STATE).split()[0]


def push_raw(repo: Repo, raw: bytes) -> str:
    """What an attacker with push access does: commit a ledger of their choosing and push it."""
    commit = git.commit_file(repo.root, "ledger.jsonl", raw, state_tip(repo), "forged")
    repo.git("push", "--quiet", "origin", f"{commit}:{STATE}")
    return commit


def current_raw(repo: Repo) -> bytes:
    return repo.git("show", f"{state_tip(repo)}:ledger.jsonl").encode() + b"\n"


def append_forged(repo: Repo, events: list[dict]) -> str:
    """Events appended as postops would append them, hashes and all: the chain is not a signature."""
    raw = current_raw(repo)
    return push_raw(repo, raw + encode(chained(raw, events, repo.git("rev-parse", "HEAD"))))


def test_a_forged_claim_with_a_far_future_lease_does_not_block_a_retraction(repo: Repo) -> None:
    repo.write("posts/drill/oops.yaml", post_yaml("drill", "Suck it.", "2026-03-01T10:00:00Z"))
    added = repo.commit("Add", T - 30 * M)
    assert publish(repo, T)[0] == 0 and outbox(repo) == ["oops.0.json"]
    events = repo.ledger_events()
    forged = {**events[0], "run": "forged", "by": "elsewhere:1:x", "at": (T + M).isoformat(),
              "lease_until": "2999-01-01T00:00:00+00:00"}
    append_forged(repo, [forged])
    repo.revert(added, T + 2 * M)
    code, lines = publish(repo, T + 3 * M)
    assert outbox(repo, "retracted") == ["oops.0.json"] and outbox(repo) == []
    assert code == 1, lines                                   # and someone is told
    assert any("a lease longer than claim_lease" in line for line in lines), lines


def run_verify(repo: Repo, *, repair: bool = False, reason: str | None = None) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = verify(repo.root, load_config(repo.root), repair=repair, reason=reason, now=T + 30 * M, who="Ops",
                  echo=lines.append)
    return code, lines


def published_welcome(repo: Repo) -> None:
    repo.write("posts/drill/welcome.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)
    assert publish(repo, T)[0] == 0 and outbox(repo) == ["welcome.0.json"]


def test_every_event_carries_the_hash_of_the_line_before_and_the_main_commit(repo: Repo) -> None:
    published_welcome(repo)
    lines = current_raw(repo).splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["prev"] == ""
    assert all(e["prev"] == hashlib.sha256(lines[i - 1]).hexdigest() for i, e in enumerate(events) if i)
    # the publisher's sightings, each on main's tip then; the claim and its record on the post's commit
    assert [e["event"] for e in events] == ["seen", "seen", "claimed", "published"]
    assert [e["main"] for e in events] == [repo.git("rev-parse", "HEAD~1")] + [repo.git("rev-parse", "HEAD")] * 3
    assert run_verify(repo) == (0, ["postops/state: 4 lines", "the chain is intact"])


def test_a_removed_record_stops_publish_until_repaired_with_a_reason(repo: Repo) -> None:
    published_welcome(repo)
    *before, claim, _ = current_raw(repo).splitlines()
    released = {**json.loads(claim), "event": "released", "reason": "not found"}
    # the `published` line replaced by a `released` one: without the chain, the post goes out again
    push_raw(repo, b"\n".join([*before, claim, json.dumps(released).encode()]) + b"\n")
    (repo.root.parent / "outbox" / "drill" / "welcome.0.json").unlink()
    code, lines = publish(repo, T + 2 * M)
    assert code == 2 and outbox(repo) == [], lines
    assert run_verify(repo)[0] == 1
    assert any("line 4 (released welcome)" in line for line in run_verify(repo)[1])

    code, lines = run_verify(repo, repair=True, reason="Restored by hand after a bad migration")
    assert code == 0, lines
    repaired = repo.ledger_events()[-1]
    assert (repaired["event"], repaired["reason"], repaired["who"]) == (
        "repaired", "Restored by hand after a bad migration", "Ops")
    assert "line 4 (released welcome)" in repaired["problems"][0]
    assert run_verify(repo)[0] == 0
    assert publish(repo, T + 3 * M)[0] == 0        # what the repair accepted: the post is due again


def test_a_rewound_state_branch_is_refused_not_fetched(repo: Repo) -> None:
    published_welcome(repo)
    before = state_tip(repo)
    repo.write("posts/drill/second.yaml", post_yaml("drill", "Second", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 20 * M)
    assert publish(repo, T)[0] == 0 and outbox(repo) == ["second.0.json", "welcome.0.json"]
    on_remote(repo, "update-ref", STATE, before)               # an older state force-pushed
    repo.git("fetch", "--quiet", "origin")                      # and taken in by a plain fetch here
    (repo.root.parent / "outbox" / "drill" / "second.0.json").unlink()
    code, lines = publish(repo, T + M)
    assert code == 2 and outbox(repo) == ["welcome.0.json"], lines
    code, lines = run_verify(repo)
    assert code == 1 and "was rewound" in lines[0]


def test_a_deleted_state_branch_is_refused_by_a_clone_that_saw_it(repo: Repo) -> None:
    published_welcome(repo)
    on_remote(repo, "update-ref", "-d", STATE)
    (repo.root.parent / "outbox" / "drill" / "welcome.0.json").unlink()
    code, lines = publish(repo, T + M)
    assert code == 2 and outbox(repo) == [], lines
    # putting back what this clone saw mends it, as the message says
    repo.git("fetch", "--quiet", "--prune", "origin")            # even once a fetch forgot it
    repo.git("push", "--quiet", "origin", f"refs/postops/seen/postops/state:{STATE}")
    assert publish(repo, T + 2 * M)[0] == 0 and outbox(repo) == []


def test_an_event_decided_on_a_commit_main_never_had_is_refused(repo: Repo) -> None:
    published_welcome(repo)
    raw = current_raw(repo)
    other = git.commit_file(repo.root, "x", b"x", None, "not on main")
    push_raw(repo, raw + encode(chained(raw, [{"event": "note"}], other)))
    code, lines = publish(repo, T + M)
    assert code == 2, lines
    assert any("not in main's history" in line for line in run_verify(repo)[1])


def test_a_ledger_from_before_the_chain_keeps_working_and_says_so(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1), watched=False)   # its ledger is the old one below
    repo.write("posts/drill/welcome.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)
    old = {"event": "missed", "post": "gone", "account": "drill", "at": T.isoformat()}
    commit = git.commit_file(repo.root, "ledger.jsonl", json.dumps(old).encode() + b"\n", None, "old")
    repo.git("push", "--quiet", "origin", f"{commit}:{STATE}")
    assert publish(repo, T)[0] == 0 and outbox(repo) == []     # first seen now: min_lead from now
    assert publish(repo, T + 10 * M)[0] == 0 and outbox(repo) == ["welcome.0.json"]
    code, lines = run_verify(repo)
    assert code == 0 and lines[0] == ("postops/state: 4 lines, the first 1 written before the ledger was chained "
                                      "(their order and content are not protected)")


def test_a_forged_sighting_dated_in_the_past_does_not_skip_min_lead(repo: Repo) -> None:
    """Whoever can push to the state branch appends, chain and all, a `seen` line saying the publisher saw
    their new commit on main yesterday: min_lead would be over before the post was ever there."""
    published_welcome(repo)
    repo.watched = False                    # pushed straight to main; no publisher has run since
    repo.write("posts/drill/oops.yaml", post_yaml("drill", "Suck it.", "2026-03-01T10:05:00Z"))
    added = repo.commit("An honest-looking post", T + 5 * M)
    append_forged(repo, [{"event": "seen", "commits": [added], "check": [], "commit": added, "run": "forged",
                          "by": "elsewhere:1:x", "at": (T - timedelta(days=1)).isoformat()}])
    code, lines = publish(repo, T + 6 * M)
    assert code == 2 and outbox(repo) == ["welcome.0.json"], lines
    assert any("(seen): dated 2026-02-28T10:00:00+00:00, before a sighting already recorded" in line
               for line in run_verify(repo)[1])


def test_verify_finds_a_publication_record_for_content_main_never_had(repo: Repo) -> None:
    """A `published` line, chain and all, for the welcome post with other content: lint would then call the
    real post edited after publishing and hold it for ever. Verify compares each claim and record with main."""
    published_welcome(repo)
    head = repo.git("rev-parse", "HEAD")
    append_forged(repo, [{"event": "published", "post": "welcome", "account": "drill", "part": 0, "hash": "f" * 64,
                          "path": "posts/drill/welcome.yaml", "commit": head, "run": "forged", "by": "x:1:y",
                          "at": (T + M).isoformat(), "platform_id": "1"},
                         {"event": "claimed", "post": "ghost", "account": "drill", "part": 0, "hash": "e" * 64,
                          "path": "posts/drill/ghost.yaml", "commit": head, "run": "forged", "by": "x:1:y",
                          "at": (T + M).isoformat(), "lease_until": (T + 11 * M).isoformat()}])
    code, lines = run_verify(repo)
    assert code == 1, lines
    assert any(line.startswith("problem: line 5 (published welcome): names content of posts/drill/welcome.yaml "
                               f"that main did not have at {head[:12]} (other content)") for line in lines), lines
    assert any("line 6 (claimed ghost)" in line and "(no post there)" in line for line in lines), lines
    assert run_verify(repo, repair=True, reason="forged lines found and reported")[0] == 0
    assert run_verify(repo)[0] == 0


def test_a_forged_claim_naming_content_that_is_nowhere_stays_in_doubt_and_says_what_is_missing(repo: Repo) -> None:
    # A claim of other content than main's, from a commit this repository does not have: the platform
    # cannot be asked about content nobody can read, so the claim stays in doubt, the run says which file
    # at which commit it could not find, exits 1, and the post is not published a second time.
    repo.write("posts/drill/later.yaml", post_yaml("drill", "Later", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)
    assert publish(repo, T - 20 * M)[0] == 0                       # seen, not due yet
    gone = "0123456789abcdef0123456789abcdef01234567"
    append_forged(repo, [{"event": "claimed", "post": "later", "account": "drill", "part": 0, "hash": "f" * 64,
                          "path": "posts/drill/later.yaml", "commit": gone, "run": "forged", "by": "x:1:y",
                          "at": (T - 15 * M).isoformat(), "lease_until": (T - 5 * M).isoformat()}])
    code, lines = publish(repo, T + M)
    assert code == 1 and outbox(repo) == [], lines
    assert any("cannot find what later looked like when it was claimed (posts/drill/later.yaml at "
               f"{gone[:12]})" in line for line in lines), lines
    # once that run's own claim has run out, settle cannot ask about it either, and records why, naming the post
    from postops.publish.settle import settle
    settle(repo.root, load_config(repo.root), post="later", account="drill", part=0, platform_id=None, url=None,
           not_published=True, now=T + 12 * M, env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    assert repo.ledger_events()[-1]["platform_said"] == (
        f"cannot find what later looked like when it was claimed (posts/drill/later.yaml at {gone[:12]})")


def test_a_forged_claim_naming_no_file_and_no_commit_stays_in_doubt_and_says_so(repo: Repo) -> None:
    # Every claim postops writes names the file and the commit; a forged one may name neither. The run
    # cannot ask about content it cannot read: it says that nothing was named, and publishes nothing.
    repo.write("posts/drill/later.yaml", post_yaml("drill", "Later", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)
    assert publish(repo, T - 20 * M)[0] == 0                       # seen, not due yet
    append_forged(repo, [{"event": "claimed", "post": "later", "account": "drill", "part": 0, "hash": "f" * 64,
                          "run": "forged", "by": "x:1:y", "at": (T - 15 * M).isoformat(),
                          "lease_until": (T - 5 * M).isoformat()}])
    code, lines = publish(repo, T + M)
    assert code == 1 and outbox(repo) == [], lines
    assert any("cannot find what later looked like when it was claimed (no path at no commit)" in line
               for line in lines), lines


def test_settle_does_not_look_for_a_forged_claim_that_does_not_say_when_it_was_made(repo: Repo) -> None:
    # The platform is searched from the time of the claim; a forged claim without one is not looked for
    # from some other time: settle takes the platform for one that cannot answer and records why.
    from postops.publish.settle import settle

    repo.write("posts/drill/later.yaml", post_yaml("drill", "Later", "2026-03-01T10:00:00Z"))
    head = repo.commit("Add", T - 30 * M)
    assert publish(repo, T - 20 * M)[0] == 0                       # seen, not due yet
    append_forged(repo, [{"event": "claimed", "post": "later", "account": "drill", "part": 0, "hash": "f" * 64,
                          "path": "posts/drill/later.yaml", "commit": head, "run": "forged", "by": "x:1:y",
                          "lease_until": (T - 5 * M).isoformat()}])
    settle(repo.root, load_config(repo.root), post="later", account="drill", part=0, platform_id=None, url=None,
           not_published=True, now=T + M, env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    assert repo.ledger_events()[-1]["event"] == "released"
    assert repo.ledger_events()[-1]["platform_said"] == "the claim of later @drill does not say when it was made"


def test_a_line_slipped_in_while_a_run_is_under_way_stops_that_run(repo: Repo, tmp_path: Path) -> None:
    # Between a run's claim and its record, someone pushes a line written outside postops on top of the
    # state branch: the run's next push is refused (the branch moved), it reads the branch again, and must
    # check that ledger too before it writes or decides anything on it, not leave it to the next run.
    from postops.errors import PostopsError
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import publish as run_engine
    repo.write("posts/drill/welcome.yaml", post_yaml("drill", "Hello", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 30 * M)

    class SlipsALineIn(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            found = super().publish(request)
            raw = current_raw(repo)
            push_raw(repo, raw + b'{"event": "published", "post": "other", "account": "drill", "part": 0}\n')
            return found

    config = load_config(repo.root)
    with pytest.raises(PostopsError) as raised:
        run_engine(repo.root, config, now=T, env={"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")},
                   lint=no_lint, platforms=SlipsALineIn)
    assert raised.value.exit_code == 2 and "carries no hash of the line before it" in raised.value.message
    assert [e["event"] for e in repo.ledger_events()][-2:] == ["claimed", "published"]   # the slipped-in one
