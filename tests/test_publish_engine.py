"""The publish engine's rounds, as a run reports them and as the ledger records them: what the mutation run of
publish/engine.py let through."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, post_yaml
from publishfixtures import no_lint

from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return content_repo(tmp_path, when=T - timedelta(days=1))


def run(repo: Repo, now: datetime | None, **kw: object) -> tuple[int, list[str]]:
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=now, lint=no_lint, echo=lines.append,
                     env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}, **kw)  # type: ignore[arg-type]
    return result.exit_code, lines


def said(lines: list[str]) -> list[str]:
    """What each line says happened, without the platform's id or URL."""
    return [line.split(":", 1)[0] for line in lines]


def test_a_run_names_the_part_of_a_thread_and_not_of_a_single_post(repo: Repo) -> None:
    repo.write("posts/drill/single.yaml", post_yaml("drill", "One post", "2026-03-01T10:00:00Z"))
    repo.write("posts/drill/pair.yaml", post_yaml("drill", "First", "2026-03-01T10:00:00Z", ["Second"]))
    repo.commit("Add", T - 30 * M)
    code, lines = run(repo, T)
    assert code == 0, lines
    assert sorted(said(lines)) == ["published pair @drill part 1", "published pair @drill part 2",
                                   "published single @drill"]


def rounds(repo: Repo) -> list[str]:
    """What each commit of the state branch holds, oldest first, without the run id."""
    subjects = repo.git("log", "--reverse", "--format=%s", "origin/postops/state").splitlines()
    # not the sightings the publisher that sees every push records (gitfixtures): rounds of claims and records
    return [held for subject in subjects if (held := subject.split(": ", 1)[1]) != "seen"]


def test_a_round_claims_at_most_a_batch_of_parts_and_records_them_with_the_next(repo: Repo) -> None:
    for name in ("a", "b", "c"):
        repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T10:00:00Z"))
    repo.commit("Three posts", T - 30 * M)
    code, lines = run(repo, T, batch=2)
    assert code == 0, lines
    assert rounds(repo) == ["2 claimed", "2 published, 1 claimed", "1 published"]


class Died(BaseException):
    """The publisher's process ending in the middle of a call."""


def recording(asked: list[object], *, dies: str | None = None) -> type:
    from postops.platforms.outbox import OutboxPlatform

    class Recording(OutboxPlatform):
        """The outbox, noting the time each lookup is asked about, and dying in the call named `dies`."""

        def publish(self, request):  # type: ignore[no-untyped-def]
            if dies == "publish":
                raise Died
            return super().publish(request)

        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            asked.append(claimed_at)
            if dies == "lookup":
                raise Died
            return super().lookup(request, claimed_at)

    return Recording


def test_a_claim_in_doubt_is_looked_up_at_the_time_of_the_first_claim_however_often_it_is_resolved(
        repo: Repo) -> None:
    from postops.publish.settle import settle

    repo.write("posts/drill/p.yaml", post_yaml("drill", "maybe out", "2026-03-01T10:00:00Z"))
    repo.commit("Add", T - 60 * M)
    asked: list[object] = []
    with pytest.raises(Died):
        run(repo, T, platforms=recording(asked, dies="publish"))
    with pytest.raises(Died):       # the run resolving it dies too, while it asks the platform
        run(repo, T + 11 * M, platforms=recording(asked, dies="lookup"))
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed"]
    with pytest.raises(Exception, match="answers that p @drill part 1 is not there"):
        settle(repo.root, load_config(repo.root), post="p", account="drill", part=0, platform_id=None, url=None,
               not_published=True, now=T + 22 * M, env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")},
               platforms=recording(asked))
    code, lines = run(repo, T + 22 * M, platforms=recording(asked))
    assert code == 0, lines
    assert asked == [T, T, T]


@pytest.mark.parametrize("went_out", [False, True])
def test_a_claim_resolved_is_recorded_with_what_was_claimed_and_reported(repo: Repo, went_out: bool) -> None:
    # The record closing a claim in doubt carries the claimed content (hash, file: here the file moved while the
    # claim was in doubt) and the first claim's time, as verify and later lookups read them; the run says and
    # reports it as released (due again) or resolved. The part in doubt is a thread's second.
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import Outcome

    class DiesOnTheSecondPart(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            if request.part == 1:
                raise Died
            return super().publish(request)

    repo.write("posts/drill/p.yaml", post_yaml("drill", "maybe out", "2026-03-01T10:00:00Z", ["and more"]))
    repo.commit("Add a thread", T - 60 * M)
    with pytest.raises(Died):
        run(repo, T, platforms=DiesOnTheSecondPart)
    first = repo.ledger_events()[-1]
    assert (first["event"], first["part"]) == ("claimed", 1)
    repo.write("posts/drill/2026/p.yaml", (repo.root / "posts/drill/p.yaml").read_text())   # moved meanwhile
    repo.remove("posts/drill/p.yaml")
    repo.commit("Into this year's folder", T + 5 * M)
    if went_out:   # on the platform as the outbox has it, the ledger not knowing: a publisher died after the call
        (repo.root.parent / "outbox" / "drill" / "p.1.json").write_text('{"text": "and more"}')
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T + 11 * M, lint=no_lint, echo=lines.append,
                     env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    closing = next(e for e in repo.ledger_events() if e["event"] in ("published", "released") and e["part"] == 1)
    assert closing["event"] == ("published" if went_out else "released")
    assert (closing["hash"], closing["path"], closing["resolving"]) == (first["hash"], "posts/drill/p.yaml", T.isoformat())
    if went_out:
        assert result.outcomes[0] == Outcome("resolved", "p", "drill", 1, closing["url"])
        assert f"in doubt: p @drill part 2 had been published: {closing['url']}" in lines
    else:
        assert closing["reason"] == "not found on the platform"
        assert "in doubt: p @drill part 2 was not published; it is due again" in lines
        assert result.outcomes[0] == Outcome("released", "p", "drill", 1, "not on the platform")
        again = next(e for e in repo.ledger_events() if e["event"] == "published" and e["part"] == 1)
        assert f"published p @drill part 2: {again['url']}" in lines        # its link, not its bare id


def test_a_claim_with_exactly_half_its_lease_left_is_released(repo: Repo) -> None:
    # Another run takes a claim for in doubt the moment its lease ends: a call that may last half the lease
    # must start with more than half of it left, or it could still be under way when someone resolves it.
    from postops.platforms.outbox import OutboxPlatform

    clock = [T]

    class HalfALease(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            clock[0] += 5 * M                     # half of the ten-minute claim_lease
            return super().publish(request)

    for name in ("a", "b"):
        repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T09:00:00Z"))
    repo.commit("Two posts", T - 60 * M)
    run(repo, None, platforms=HalfALease, ticking=lambda: clock[0])
    assert [(e["event"], e["post"]) for e in repo.ledger_events()] == [
        ("claimed", "a"), ("claimed", "b"), ("published", "a"), ("released", "b")]
    released = repo.ledger_events()[-1]
    assert (released["error"], released["retryable"], released["reason"]) == (
        "the claim's lease ran out before the platform was called", True, "lease ran out")


def test_a_retraction_with_half_its_lease_left_fails_to_be_tried_again_and_one_made_is_recorded_whole(
        repo: Repo) -> None:
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import Outcome

    clock = [T]

    class HalfALeaseOnce(OutboxPlatform):
        def delete(self, platform_id):  # type: ignore[no-untyped-def]
            if clock[0] == T + 20 * M:
                clock[0] += 5 * M                 # the first deletion takes half the lease
            return super().delete(platform_id)

    repo.write("posts/drill/a.yaml", post_yaml("drill", "a", "2026-03-01T09:00:00Z", ["a, part two"]))
    repo.write("posts/drill/b.yaml", post_yaml("drill", "b", "2026-03-01T09:00:00Z"))
    repo.commit("A thread and a post", T - 60 * M)
    run(repo, T)
    published = {(e["post"], e["part"]): e for e in repo.ledger_events() if e["event"] == "published"}
    repo.remove("posts/drill/a.yaml")
    repo.remove("posts/drill/b.yaml")
    repo.commit("Take both down", T + 10 * M)
    clock[0] = T + 20 * M
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=None, lint=no_lint, echo=lines.append,
                     env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}, platforms=HalfALeaseOnce,
                     ticking=lambda: clock[0])

    done = [e for e in repo.ledger_events() if e["event"] in ("retracted", "retract-failed")]
    # a thread comes down from its last part, a part a round; b's claim, in the first round, had half its lease
    assert [(e["event"], e["post"], e["part"]) for e in done] == [
        ("retracted", "a", 1), ("retract-failed", "b", 0), ("retracted", "a", 0)]
    assert (done[0]["platform_id"], done[0]["hash"]) == (published[("a", 1)]["platform_id"], published[("a", 1)]["hash"])
    assert (done[1]["error"], done[1]["retryable"], done[1]["reason"]) == (
        "the claim's lease ran out before the platform was called", True, "lease ran out")
    assert "retracted a @drill part 2" in lines
    assert [o for o in result.outcomes if o.what == "retracted"] == [
        Outcome("retracted", "a", "drill", part, published[("a", part)]["platform_id"]) for part in (1, 0)]


def test_a_claim_in_doubt_with_half_its_lease_left_is_not_looked_up_and_stays_in_doubt(repo: Repo) -> None:
    # Never "released" (which makes it due again) without asking the platform: it may have gone out.
    from publishfixtures import Died

    from postops.platforms.outbox import OutboxPlatform

    class DiesAfterTheFirstCall(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            super().publish(request)
            raise Died

    for name in ("a", "b"):
        repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", name, "2026-03-01T09:00:00Z"))
    repo.commit("Two posts", T - 60 * M)
    with pytest.raises(Died):
        run(repo, T, platforms=DiesAfterTheFirstCall)
    clock = [T + 20 * M]

    class HalfALeaseToAsk(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            clock[0] += 5 * M
            return super().lookup(request, claimed_at)

    run(repo, None, platforms=HalfALeaseToAsk, ticking=lambda: clock[0])
    after = [(e["event"], e["post"]) for e in repo.ledger_events()][2:]
    assert after == [("claimed", "a"), ("claimed", "b"), ("published", "a")]   # a found; b left in doubt


def test_a_missed_post_without_publish_at_fails_every_run_until_someone_acts(repo: Repo) -> None:
    # due at its merge plus min_lead; merged while nothing published for nine hours: past max_delay (6h)
    repo.write("posts/drill/late.yaml", post_yaml("drill", "late news"))
    repo.commit("Add", T - 9 * 60 * M)
    assert run(repo, T)[0] == 1
    assert [e["event"] for e in repo.ledger_events()] == ["missed"]
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T + M, lint=no_lint, echo=lines.append,
                     env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    assert result.exit_code == 1 and len(repo.ledger_events()) == 1           # recorded once, said every run
    assert result.missed[("late", "drill")] == ("due 2026-03-01T01:10:00+00:00, missed (recorded 2026-03-01T10:00:00+00:00): "
                                                "never published late; give it a publish_at, or delete it")
    repo.write("posts/drill/late.yaml", post_yaml("drill", "late news, rewritten"))   # someone acts
    repo.commit("Rewrite", T + 2 * M)
    assert run(repo, T + 3 * M)[0] == 0


def test_a_claim_in_doubt_whose_claimed_file_no_longer_parses_stays_in_doubt_and_says_why(repo: Repo) -> None:
    # The claimed content is read from the commit it was claimed at and parsed under today's postops.yaml:
    # with the file limit lowered below that file's size since, the platform is not asked about guesswork;
    # the claim stays in doubt and the run says which file at which commit, and why.
    repo.write("posts/drill/long.yaml", post_yaml("drill", "words " * 60, "2026-03-01T10:00:00Z"))
    claimed_at = repo.commit("Add", T - 60 * M)
    size = len(repo.git("show", f"{claimed_at}:posts/drill/long.yaml").encode()) + 1   # git drops the last newline
    asked: list[object] = []
    with pytest.raises(Died):
        run(repo, T, platforms=recording(asked, dies="publish"))
    repo.write("posts/drill/long.yaml", post_yaml("drill", "short now", "2026-03-01T10:00:00Z"))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text() + "lint:\n  max_file_bytes: 200\n")
    repo.commit("Edited while in doubt, and a lower limit", T + M)
    code, lines = run(repo, T + 11 * M, platforms=recording(asked))
    assert code == 1 and asked == [], lines
    # the claim and the lookup's own claim, neither answered: still in doubt, nothing released or published
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed"]
    assert any(f"(posts/drill/long.yaml at {claimed_at[:12]} no longer parses: file is {size:,} bytes, over the "
               "200-byte limit); a later run asks again" in line for line in lines), lines


def test_a_run_without_now_reads_the_clock_in_utc(tmp_path: Path) -> None:
    # Without --now a run takes the time from the system clock, with its UTC offset: the sighting it records
    # is dated between the moments just before and just after the run.
    from datetime import UTC

    repo = content_repo(tmp_path, when=T - timedelta(days=1), watched=False)
    repo.write("posts/drill/later.yaml", post_yaml("drill", "far off", "2099-01-01T10:00:00Z"))
    repo.commit("Add", T)
    before = datetime.now(UTC)
    code, lines = run(repo, None)
    after = datetime.now(UTC)
    assert code == 0, lines
    [seen] = [e for e in repo.ledger_events(seen=True) if e["event"] == "seen" and e["commits"]]
    assert seen["at"].endswith("+00:00") and before <= datetime.fromisoformat(seen["at"]) <= after


def test_a_repost_or_quote_names_a_post_here_by_its_platform_id_on_the_same_account() -> None:
    """`repost: study` (a post in this repository) is sent as study's platform id on the account reposting it;
    a URL as it is. Until study is published there, the part waits: retryable, never sent without it."""
    import json

    from postops.platforms.base import PlatformError
    from postops.publish.engine import _referenced
    from postops.publish.ledger import Ledger

    def line(event: str, account: str, **more: str) -> str:
        return json.dumps({"event": event, "post": "study", "account": account, "part": 0, "run": "r",
                           "at": "2026-03-01T10:00:00+00:00", **more})

    ledger = Ledger.parse("\n".join([
        line("claimed", "drill", lease_until="2026-03-01T10:10:00+00:00"),
        line("published", "drill", platform_id="1861000000000000042", url="https://x.com/a/status/1"),
        line("claimed", "drill2", lease_until="2026-03-01T10:10:00+00:00"),
    ]).encode() + b"\n")
    assert _referenced(None, "drill", ledger) is None
    assert _referenced("https://x.com/partner/status/7", "drill2", ledger) == "https://x.com/partner/status/7"
    assert _referenced("study", "drill", ledger) == "1861000000000000042"
    for account in ("drill2", "elsewhere"):          # claimed but not published there; never seen there
        with pytest.raises(PlatformError) as waiting:
            _referenced("study", account, ledger)
        assert (waiting.value.message, waiting.value.retryable, waiting.value.kind) == (
            f"study is not published on {account} yet", True, "transient")


class Stopped(BaseException):
    """A failpoint's os._exit, caught in this process (test_publish_crash.py kills real processes)."""


@pytest.mark.parametrize(("point", "stage"), [
    ("after-claim", "publish"), ("after-act", "publish"), ("after-record", "publish"),
    ("retract-after-claim", "retract"), ("retract-after-act", "retract"), ("retract-after-record", "retract"),
    ("resolve-after-claim", "resolve"), ("resolve-after-act", "resolve"), ("resolve-after-record", "resolve"),
])
def test_each_failpoint_is_reached_where_its_name_says(repo: Repo, monkeypatch: pytest.MonkeyPatch, point: str,
                                                       stage: str) -> None:
    """The crash tests stop a publisher at each failpoint; here, in this process, what the ledger and the
    platform hold at the moment each is reached: claimed only, on the platform but not recorded, recorded."""
    from postops.publish import failpoints

    def stop(code: int) -> None:
        raise Stopped(code)

    monkeypatch.setattr(failpoints.os, "_exit", stop)
    outbox = repo.root.parent / "outbox" / "drill"

    def at(when: datetime, failpoint: str | None) -> None:
        monkeypatch.setattr(failpoints, "_seen", {})
        env = {"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")}
        publish(repo.root, load_config(repo.root), now=when, lint=no_lint,
                env={**env, "POSTOPS_FAILPOINT": failpoint} if failpoint else env)

    repo.write("posts/drill/p.yaml", post_yaml("drill", "p", "2026-03-01T09:00:00Z"))
    repo.commit("A post", T - 60 * M)
    if stage == "retract":
        at(T, None)
        repo.remove("posts/drill/p.yaml")
        repo.commit("Take it down", T + M)
    if stage == "resolve":
        with pytest.raises(Stopped):
            at(T, "after-act")                    # on the platform, not recorded: in doubt
    before = [e["event"] for e in repo.ledger_events()]
    with pytest.raises(Stopped):
        at(T + 20 * M, point)
    made = [e["event"] for e in repo.ledger_events()][len(before):]
    live, gone = [f.name for f in outbox.glob("*.json")], [f.name for f in outbox.glob("retracted/*.json")]
    expected = {
        "after-claim": (["claimed"], [], []), "after-act": (["claimed"], ["p.0.json"], []),
        "after-record": (["claimed", "published"], ["p.0.json"], []),
        "retract-after-claim": (["retract-claimed"], ["p.0.json"], []),
        "retract-after-act": (["retract-claimed"], [], ["p.0.json"]),
        "retract-after-record": (["retract-claimed", "retracted"], [], ["p.0.json"]),
        "resolve-after-claim": (["claimed"], ["p.0.json"], []), "resolve-after-act": (["claimed"], ["p.0.json"], []),
        "resolve-after-record": (["claimed", "published"], ["p.0.json"], []),
    }[point]
    assert (made, live, gone) == expected


@pytest.mark.parametrize(("raised", "recorded"), [
    ("refused", ("failed", "refused for good", "invalid", False)),
    ("busy", ("failed", "try later", "transient", True)),
    ("postops", ("failed", "cannot read it", "error", False)),
])
def test_a_failure_is_recorded_with_whether_trying_again_may_help(repo: Repo, raised: str,
                                                                   recorded: tuple[object, ...]) -> None:
    from postops.errors import PostopsError
    from postops.platforms.base import PlatformError
    from postops.platforms.outbox import OutboxPlatform

    class Failing(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            if raised == "refused":
                raise PlatformError("refused for good", retryable=False, kind="invalid")
            if raised == "busy":
                raise PlatformError("try later", retryable=True, kind="transient")
            raise PostopsError("cannot read it")

    repo.write("posts/drill/p.yaml", post_yaml("drill", "p", "2026-03-01T09:00:00Z"))
    repo.commit("A post", T - 60 * M)
    run(repo, T, platforms=Failing)
    failed = repo.ledger_events()[-1]
    assert (failed["event"], failed["error"], failed["kind"], failed["retryable"]) == recorded


def test_a_part_the_platform_cannot_say_it_published_is_reported_unknown_and_left_in_doubt(repo: Repo) -> None:
    from postops.platforms.base import PlatformError
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import Outcome

    class CannotSay(OutboxPlatform):
        def publish(self, request):  # type: ignore[no-untyped-def]
            raise PlatformError("X answered 503 and reading the account failed too", retryable=True, kind="in-doubt")

    repo.write("posts/drill/p.yaml", post_yaml("drill", "p", "2026-03-01T09:00:00Z", ["p, part two"]))
    repo.commit("A thread", T - 60 * M)
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T, lint=no_lint, platforms=CannotSay, echo=lines.append,
                     env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    assert result.outcomes == [Outcome("unknown", "p", "drill", 0, "X answered 503 and reading the account failed too")]
    assert ("in doubt: p @drill part 1: X answered 503 and reading the account failed too; a later run asks the "
            "platform before anything else") in lines
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]          # nothing recorded: in doubt


def test_a_claim_in_doubt_the_platform_cannot_answer_about_stays_in_doubt_and_is_reported(repo: Repo) -> None:
    # Not knowing is not "not published": releasing it would post it again if it had gone out.
    from postops.platforms.base import PlatformError
    from postops.platforms.outbox import OutboxPlatform
    from postops.publish.engine import Outcome

    class CannotAnswer(OutboxPlatform):
        def lookup(self, request, claimed_at):  # type: ignore[no-untyped-def]
            raise PlatformError("rate limited until 10:30", retryable=True, kind="rate-limit")

    repo.write("posts/drill/p.yaml", post_yaml("drill", "p", "2026-03-01T09:00:00Z"))
    repo.commit("A post", T - 60 * M)
    with pytest.raises(Died):
        run(repo, T, platforms=recording([], dies="publish"))
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T + 11 * M, lint=no_lint, platforms=CannotAnswer,
                     echo=lines.append, env={"POSTOPS_OUTBOX_DIR": str(repo.root.parent / "outbox")})
    assert result.outcomes == [Outcome("unknown", "p", "drill", 0, "rate limited until 10:30")]
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed"]   # its own claim, left open
    assert ("in doubt: p @drill: cannot tell whether it was published (rate limited until 10:30); a later run "
            "asks again") in lines
