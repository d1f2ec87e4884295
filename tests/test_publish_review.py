"""Edges of the publish protocol: lookups short of lease, content edited while in doubt, approval for posts
that come due during a run, a push the remote refuses for good, a ledger without a final newline."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import content_repo, post_yaml
from publishfixtures import Died, no_lint

from postops.errors import PostopsError
from postops.platforms.outbox import OutboxPlatform
from postops.publish.engine import publish
from postops.publish.ledger import Ledger
from postops.repo.config import load_config
from postops.repo.git import GitError

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)




def die_after_publishing(*args):  # type: ignore[no-untyped-def]
    class Dies(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            super().publish(request)
            raise Died
    return Dies(*args)


@pytest.fixture
def repo(tmp_path: Path):
    return content_repo(tmp_path, when=T - timedelta(days=1))


def env(repo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}


def outbox_texts(repo) -> list[str]:  # type: ignore[no-untyped-def]
    folder = repo.root.parent / "outbox" / "drill"
    return sorted(json.loads(p.read_text())["text"] for p in folder.glob("*.json"))


def run(repo, now=None, **kw):  # type: ignore[no-untyped-def]
    return publish(repo.root, load_config(repo.root), now=now, env=env(repo), lint=no_lint, **kw)


def test_a_lookup_short_of_lease_stays_in_doubt_and_never_publishes_again(repo):
    for name in ("a", "b"):
        repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T09:00:00Z"))
    repo.commit("Two posts", T - 60 * M)
    sent: list[str] = []

    class DiesAfterBoth(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            sent.append(request.text)
            found = super().publish(request)
            if len(sent) == 2:
                raise Died                               # both went out; neither was recorded
            return found

    with pytest.raises(Died):
        run(repo, T, platforms=DiesAfterBoth, batch=1)
    clock = [T + 21 * M]

    class SlowLookup(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            sent.append(request.text)
            return super().publish(request)

        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            clock[0] += 6 * M                            # each answer takes six minutes of the lease
            return super().lookup(request, claimed_at)

    run(repo, platforms=SlowLookup, ticking=lambda: clock[0])
    events = [(e["event"], e["post"]) for e in repo.ledger_events()]
    assert [p for e, p in events if e == "released"] == []   # nobody was told "not published" unasked
    run(repo, platforms=SlowLookup, ticking=lambda: clock[0])
    run(repo, platforms=SlowLookup, ticking=lambda: clock[0])
    published = [p for e, p in ((e["event"], e["post"]) for e in repo.ledger_events()) if e == "published"]
    assert sorted(published) == ["a", "b"]
    assert sorted(sent) == ["a", "b"]                    # each sent to the platform once


def test_a_lookup_asks_about_the_content_that_was_claimed(repo):
    repo.write("posts/drill/p.yaml", post_yaml("drill", "OLD text", "2026-03-01T09:00:00Z"))
    repo.commit("A post", T - 60 * M)
    with pytest.raises(Died):
        run(repo, T, platforms=die_after_publishing)
    repo.write("posts/drill/p.yaml", post_yaml("drill", "NEW text", "2026-03-01T09:00:00Z"))
    repo.commit("Edited while in doubt", T + 5 * M)
    result = run(repo, T + 30 * M)
    last = repo.ledger_events()[-1]
    assert last["event"] == "published" and last["resolved"] is True
    claimed = repo.ledger_events()[0]
    assert last["hash"] == claimed["hash"] and last["path"] == "posts/drill/p.yaml"
    assert outbox_texts(repo) == ["OLD text"]            # the edit is not published besides
    assert [a.action for a in result.last_plan.actions] == ["conflict"]


def test_posts_due_during_a_run_wait_for_the_next_runs_approval_check(repo):
    config = (repo.root / "postops.yaml").read_text()
    repo.write("postops.yaml", config + "approval: github\n")
    repo.write("posts/drill/late.yaml", post_yaml("drill", "late", "2026-03-01T10:03:00Z"))
    repo.commit("A post due in three minutes", T - 60 * M)
    clock = [T]

    class Slow(OutboxPlatform):
        def delete(self, platform_id):  # type: ignore[no-untyped-def]
            clock[0] += 5 * M

    # nothing is due when the run checks approvals; the clock moves past publish_at while it runs
    run(repo, platforms=Slow, ticking=lambda: (clock.__setitem__(0, clock[0] + M), clock[0])[1])
    assert [e for e in repo.ledger_events() if e["event"] == "claimed"] == []


def test_a_push_refused_for_good_is_an_error_not_an_endless_retry(repo):
    hook = repo.root.parent / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    hook.unlink()
    repo.write("posts/drill/p.yaml", post_yaml("drill", "p", "2026-03-01T09:00:00Z"))
    repo.commit("A post", T - 60 * M)
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(GitError, match=r"cannot push the ledger to origin/postops/state: .*remote rejected"):
        run(repo, T)
    assert not (repo.root.parent / "outbox").exists()    # nothing was published on a claim nobody saw


def test_an_event_appended_to_a_ledger_without_a_final_newline_is_a_line_of_its_own():
    old = b'{"event":"missed","post":"x","account":"a"}'
    ledger = Ledger.parse(old).extended([{"event": "claimed", "post": "p", "account": "a", "part": 0, "run": "r"}])
    reread = Ledger.parse(ledger.raw)
    assert (reread.damaged, list(reread.parts)) == (0, [("p", "a", 0)])
    assert Ledger.parse(b'{"event":"missed","post":"x","account":"a"},{"event":"missed","post":"y",'
                        b'"account":"a"}').damaged == 1


def test_settle_refuses_an_empty_platform_id(repo):
    from postops.publish.settle import settle

    with pytest.raises(PostopsError, match="say what happened"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id="", url=None,
               not_published=False, now=T)


def test_pause_keeps_any_character_of_the_reason(repo):
    from postops.publish.pause import set_paused

    reason = "🚨 Crisis: «hold» everything"
    set_paused(repo.root, {"reason": reason, "since": T.isoformat()})
    assert load_config(repo.root).paused == {"reason": reason, "since": T.isoformat()}


def test_a_thread_part_in_doubt_is_looked_for_as_it_was_claimed_with_its_reply_and_key(repo):
    # The lookup of part 2, edited on main while in doubt, must ask exactly what was sent: its old text, the
    # idempotency key of the claimed content (Bluesky derives the record's key from it, Mastodon dedupes by
    # it) and the reply to part 1; anything else finds nothing and the part goes out a second time.
    repo.write("posts/drill/t.yaml", post_yaml("drill", "One", "2026-03-01T09:00:00Z", thread=["Two"]))
    repo.commit("A thread", T - 60 * M)
    sent: list[tuple[int, str, str | None, str]] = []

    class DiesAfterPart2(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            sent.append((request.part, request.text, request.reply_to, request.idempotency_key))
            found = super().publish(request)
            if request.part == 1:
                raise Died
            return found

    with pytest.raises(Died):
        run(repo, T, platforms=DiesAfterPart2)
    repo.write("posts/drill/t.yaml", post_yaml("drill", "One", "2026-03-01T09:00:00Z", thread=["Two, edited"]))
    repo.commit("Edited while in doubt", T + 5 * M)
    asked: list[tuple[int, str, str | None, str]] = []

    class Records(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append((request.part, request.text, request.reply_to, request.idempotency_key))
            return super().lookup(request, claimed_at)

    result = run(repo, T + 30 * M, platforms=Records)
    assert asked == [sent[1]] and sent[1][1:3] == ("Two", "t.0")
    assert outbox_texts(repo) == ["One", "Two"]           # the edit is not published besides
    last = repo.ledger_events()[-1]
    assert (last["event"], last["part"], last["resolved"]) == ("published", 1, True)
    assert [a.action for a in result.last_plan.actions] == ["conflict"]   # then the edit is reported


def test_a_reply_in_doubt_edited_on_main_is_looked_for_as_the_reply_it_was(repo):
    # a post that replies to another post of the account: the lookup of its claim, edited on main while in
    # doubt, asks about the reply that was sent (to the other post's id), as the platforms match replies
    repo.write("posts/drill/first.yaml", post_yaml("drill", "First", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill/answer.yaml", post_yaml("drill", "Answer", "2026-03-01T09:00:00Z", reply_to="first"))
    repo.commit("A post and its reply", T - 60 * M)

    class DiesAfterTheReply(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            found = super().publish(request)
            if request.post_id == "answer":
                raise Died
            return found

    with pytest.raises(Died):
        run(repo, T, platforms=DiesAfterTheReply)
    repo.write("posts/drill/answer.yaml", post_yaml("drill", "Answer, edited", "2026-03-01T09:00:00Z",
                                                    reply_to="first"))
    repo.commit("Edited while in doubt", T + 5 * M)
    asked: list[tuple[str, str | None]] = []

    class Records(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append((request.text, request.reply_to))
            return super().lookup(request, claimed_at)

    run(repo, T + 30 * M, platforms=Records)
    assert asked == [("Answer", "first.0")]
    assert outbox_texts(repo) == ["Answer", "First"]
