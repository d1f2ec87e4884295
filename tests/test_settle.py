"""`postops settle`: a person answers for a claim left in doubt, through the ledger's own compare-and-swap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import content_repo, post_yaml
from publishfixtures import Died, no_lint

from postops.errors import PostopsError
from postops.platforms.base import PlatformError
from postops.platforms.outbox import OutboxPlatform
from postops.publish.engine import publish
from postops.publish.settle import settle
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)




@pytest.fixture
def setup(tmp_path: Path):
    """A post claimed by a publisher that died; `went_out` says whether its part reached the outbox."""

    def make(went_out: bool):  # type: ignore[no-untyped-def]
        repo = content_repo(tmp_path, when=T - timedelta(days=1))
        outbox = tmp_path / "outbox"
        repo.write("posts/drill/p.yaml", post_yaml("drill", "maybe out", "2026-03-01T10:00:00Z"))
        added = repo.commit("Add", T - 60 * M)

        class DiesAroundTheCall(OutboxPlatform):
            def publish(self, request):  # type: ignore[no-untyped-def]
                if went_out:
                    super().publish(request)
                raise Died

        env = {"POSTOPS_OUTBOX_DIR": str(outbox)}
        with pytest.raises(Died):
            publish(repo.root, load_config(repo.root), now=T, env=env, lint=no_lint, platforms=DiesAroundTheCall)
        return repo, outbox, env, added

    return make


class DiesAsking(OutboxPlatform):
    def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
        raise Died


def refused_not_published(repo, env, now):  # type: ignore[no-untyped-def]
    """`settle --not-published` where the outbox shows the part published: refused, naming the id to settle
    it with. Returns what the platform was asked about: (text, from when)."""
    asked = []

    class Records(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append((request.text, claimed_at))
            return super().lookup(request, claimed_at)

    with pytest.raises(PostopsError, match=r"outbox shows p @drill part 1 published as p.0 .*--published p.0"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=now, env=env, platforms=Records)
    return asked


def run(repo, env, now):  # type: ignore[no-untyped-def]
    return publish(repo.root, load_config(repo.root), now=now, env=env, lint=no_lint)


def test_settled_as_published_it_can_be_retracted(setup):
    repo, outbox, env, added = setup(went_out=True)
    with pytest.raises(PostopsError, match="wait for its lease to run out"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id="p.0", url=None,
               not_published=False, now=T + 5 * M)
    settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id="p.0",
           url="file:///p.0.json", not_published=False, now=T + 11 * M, who="Dana")
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "claimed", "published"]
    assert (events[-1]["platform_id"], events[-1]["resolved"], events[-1]["settled_by"]) == ("p.0", "by hand", "Dana")
    assert run(repo, env, T + 12 * M).exit_code == 0          # nothing to do: it is published
    assert len(repo.ledger_events()) == 3
    repo.revert(added, T + 20 * M)
    assert run(repo, env, T + 21 * M).exit_code == 0
    assert [p.name for p in (outbox / "drill" / "retracted").glob("*.json")] == ["p.0.json"]


class CannotRead(OutboxPlatform):
    """An outbox whose account cannot be read back, as an X access level that cannot read posts."""

    def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
        raise PlatformError("this access level cannot read the account's posts", retryable=False, kind="auth")


def test_settled_as_not_published_it_goes_out_once_when_the_platform_cannot_answer(setup):
    repo, outbox, env, _ = setup(went_out=False)
    settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
           not_published=True, now=T + 11 * M, env=env, platforms=CannotRead)
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "claimed", "released"]
    assert events[-1]["platform_said"] == "this access level cannot read the account's posts"
    assert run(repo, env, T + 12 * M).exit_code == 0
    assert [p.name for p in (outbox / "drill").glob("*.json")] == ["p.0.json"]
    assert [e["event"] for e in repo.ledger_events()][-2:] == ["claimed", "published"]


def test_not_published_is_refused_when_the_platform_shows_the_post(setup):
    repo, _outbox, env, _ = setup(went_out=True)
    with pytest.raises(PostopsError, match=r"outbox shows p @drill part 1 published as p.0 .*--published p.0"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=T + 11 * M, env=env)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]       # nothing recorded


def test_not_published_is_refused_when_the_platform_can_say_so_itself(setup):
    repo, _outbox, env, _ = setup(went_out=False)
    with pytest.raises(PostopsError, match="only for a platform that cannot answer"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=T + 11 * M, env=env)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]


def test_not_published_is_refused_where_the_platform_cannot_be_opened(setup):
    repo, _outbox, env, _ = setup(went_out=False)

    def no_credentials(account, root, env):  # type: ignore[no-untyped-def]
        raise PlatformError("POSTOPS_DRILL_TOKEN is not set", retryable=False, kind="auth")
    with pytest.raises(PostopsError, match="run it where the account's credentials are"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=T + 11 * M, env=env, platforms=no_credentials)


def test_a_part_that_stayed_failed_can_be_settled_as_published(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    env = {"POSTOPS_OUTBOX_DIR": str(outbox)}
    repo.write("posts/drill/p.yaml", post_yaml("drill", "out, but answered with an error", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 60 * M)
    (outbox / "drill" / "p.0.json").mkdir(parents=True)      # the outbox refuses it as a duplicate
    assert run(repo, env, T).exit_code == 1
    assert run(repo, env, T + M).exit_code == 1                # and again: it stays failed
    assert [e["event"] for e in repo.ledger_events()][-1] == "failed"
    with pytest.raises(PostopsError, match="is failed"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=T + 2 * M, env=env)
    settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id="p.0", url=None,
           not_published=False, now=T + 2 * M, who="Dana")
    assert [e["event"] for e in repo.ledger_events()][-2:] == ["claimed", "published"]
    assert run(repo, env, T + 3 * M).exit_code == 0


def test_only_a_claim_in_doubt_can_be_settled(setup):
    repo, _, _env, _ = setup(went_out=False)
    config = load_config(repo.root)
    with pytest.raises(PostopsError, match="has no claim"):
        settle(repo.root, config, post="other", account="drill", part=0, platform_id="x", url=None,
               not_published=False, now=T + 11 * M)
    with pytest.raises(PostopsError, match="say what happened"):
        settle(repo.root, config, post="p", account="drill", part=0, platform_id="x", url=None,
               not_published=True, now=T + 11 * M)


def test_settle_on_the_command_line(setup):
    repo, _outbox, env, _ = setup(went_out=True)
    done = subprocess.run([sys.executable, "-m", "postops", "settle", "p", "--account", "drill", "--published",
                           "p.0", "--now", (T + 11 * M).isoformat()], cwd=repo.root, capture_output=True,
                          text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "settled p @drill part 1: published as p.0\n"
    status = subprocess.run([sys.executable, "-m", "postops", "status", "--format", "json", "--now",
                             (T + 12 * M).isoformat()], cwd=repo.root, capture_output=True, text=True)
    assert [(p["post"], p["state"]) for p in json.loads(status.stdout)["posts"]] == [("p", "published")]


def test_settling_a_later_part_of_a_thread_asks_about_it_as_the_reply_it_was(tmp_path: Path):
    # settle --not-published asks the platform about the claimed part as a run resolving it would: part 2
    # of a thread is the reply to part 1, which the platform's answer depends on (Mastodon, Bluesky and X
    # match a reply by what it replies to)
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    repo.write("posts/drill/t.yaml", post_yaml("drill", "One", "2026-03-01T10:00:00Z", thread=["Two"]))
    repo.commit("Add", T - 60 * M)

    class DiesAfterPart2(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            found = super().publish(request)
            if request.part == 1:
                raise Died
            return found

    with pytest.raises(Died):
        publish(repo.root, load_config(repo.root), now=T, env=env, lint=no_lint, platforms=DiesAfterPart2)
    asked = []

    class Records(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append((request.part, request.text, request.reply_to, claimed_at))
            return super().lookup(request, claimed_at)

    with pytest.raises(PostopsError, match=r"outbox shows t @drill part 2 published as t.1 .*--published t.1"):
        settle(repo.root, load_config(repo.root), post="t", account="drill", part=1, platform_id=None, url=None,
               not_published=True, now=T + 11 * M, env=env, platforms=Records)
    assert asked == [(1, "Two", "t.0", T)]


def test_settle_asks_about_the_claimed_content_of_a_post_edited_since_its_claim(setup):
    # The post went out, its publisher died before recording it, and someone edited it on main meanwhile:
    # settle --not-published must ask the platform about what was claimed (read from the commit it was
    # claimed at), and refuse, as the platform shows it published; not take the platform for one that
    # cannot answer because the claim names that commit as its `commit`, and the post go out a second time.
    repo, _, env, _ = setup(went_out=True)
    repo.write("posts/drill/p.yaml", post_yaml("drill", "edited while in doubt", "2026-03-01T10:00:00Z"))
    repo.commit("Edit", T + M)
    assert refused_not_published(repo, env, T + 11 * M) == [("maybe out", T)]
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]


def test_settle_asks_about_the_content_first_claimed_when_the_run_resolving_it_died_too(setup):
    # The claim in doubt is then the resolving run's own: made at the edited commit, it names the commit of
    # the content it resolves as its `source`; settle asks about that content, from the first claim's time.
    repo, _, env, _ = setup(went_out=True)
    repo.write("posts/drill/p.yaml", post_yaml("drill", "edited while in doubt", "2026-03-01T10:00:00Z"))
    repo.commit("Edit", T + M)

    with pytest.raises(Died):   # the run resolving it dies too, while it asks the platform
        publish(repo.root, load_config(repo.root), now=T + 11 * M, env=env, lint=no_lint, platforms=DiesAsking)
    assert refused_not_published(repo, env, T + 22 * M) == [("maybe out", T)]


def test_a_settled_claim_names_the_first_claims_time_when_the_run_resolving_it_died_too(setup):
    # As a resolving run does (the engine's `resolving`): the time the post may have gone out from is the first
    # claim's, not that of the claim of the run that died resolving it.
    repo, _, env, _ = setup(went_out=True)

    with pytest.raises(Died):   # the run resolving it dies too, while it asks the platform
        publish(repo.root, load_config(repo.root), now=T + 11 * M, env=env, lint=no_lint, platforms=DiesAsking)
    settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id="p.0", url=None,
           not_published=False, now=T + 22 * M, env=env)

    claims = [e for e in repo.ledger_events() if e["event"] == "claimed"]
    assert [c.get("resolving") for c in claims] == [None, T.isoformat(), T.isoformat()]
    assert claims[1]["at"] == (T + 11 * M).isoformat()
