from __future__ import annotations

from datetime import datetime, timedelta

from postops.publish.ledger import Ledger
from postops.publish.plan import Context, Source, Target, make_plan, new_sightings, reply_target
from postops.repo.config import PublishSettings

NOW = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def target(post: str = "a", *, account: str = "drill", at: datetime | None = NOW - M, parts: int = 1,
           arrived: datetime | None = NOW - H, hash: str = "h", reply_to: str | None = None,
           platform: str | None = "outbox") -> Target:
    return Target(post, account, f"posts/{account}/{post}.yaml", hash, parts, at, arrived, reply_to, platform,
                  sources=(Source(f"commit-{post}", arrived),) if arrived else ())


def seen_when_committed(targets: list[Target]) -> list[dict]:
    """A publisher saw each commit on main when it was made, as one running on every push to main does."""
    return [{"event": "seen", "commits": [s.commit], "check": [], "at": s.committed.isoformat()}
            for t in targets for s in t.sources]


def ev(kind: str, post: str = "a", part: int = 0, run: str = "old", account: str = "drill", **extra: object) -> dict:
    return {"event": kind, "post": post, "account": account, "part": part, "run": run, **extra}


def published(post: str = "a", part: int = 0, hash: str = "h", account: str = "drill") -> list[dict]:
    return [ev("claimed", post, part, account=account, lease_until=(NOW - H).isoformat()),
            ev("published", post, part, account=account, hash=hash, platform_id=f"{post}-{part}")]


def plan(targets: list[Target], events: list[dict] = (), **ctx: object):  # type: ignore[assignment]
    context = Context(now=ctx.pop("now", NOW), **ctx)  # type: ignore[arg-type]
    return make_plan(targets, Ledger().extended(seen_when_committed(targets) + list(events)), context)


def only(p):  # type: ignore[no-untyped-def]
    assert len(p.actions) == 1, p.actions
    return p.actions[0]


def test_a_due_post_is_published() -> None:
    action = only(plan([target()]))
    assert (action.action, action.parts, action.reason) == ("publish", (0,), "due")


def test_not_before_publish_at() -> None:
    action = only(plan([target(at=NOW + H)]))
    assert (action.action, action.at) == ("wait", NOW + H)
    assert "scheduled" in action.reason


def test_not_inside_min_lead_after_merge() -> None:
    action = only(plan([target(at=NOW - 2 * H, arrived=NOW - 5 * M)]))
    assert (action.action, action.at) == ("wait", NOW + 5 * M)
    assert "min_lead 10m" in action.reason


def test_a_post_without_publish_at_goes_out_once_min_lead_has_passed() -> None:
    assert only(plan([target(at=None, arrived=NOW - 9 * M)])).action == "wait"
    assert only(plan([target(at=None, arrived=NOW - 10 * M)])).action == "publish"


def test_uncommitted_content_is_never_due() -> None:
    assert only(plan([target(arrived=None)])).action == "wait"


def test_stale_post_is_missed_once_then_quiet() -> None:
    late = target(at=NOW - 7 * H, arrived=NOW - 8 * H)
    assert only(plan([late])).action == "missed"
    recorded = [{"event": "missed", "post": "a", "account": "drill", "publish_at": (NOW - 7 * H).isoformat()}]
    assert plan([late], recorded).actions == ()
    # rescheduled: a new publish_at makes it a new attempt
    assert only(plan([target(at=NOW - M, arrived=NOW - H)], recorded)).action == "publish"


def test_partly_published_thread_is_finished_even_when_late() -> None:
    action = only(plan([target(at=NOW - 9 * H, parts=3)], published(part=0) + published(part=1)))
    assert (action.action, action.parts) == ("publish", (2,))
    assert "part 3 of 3" in action.reason


def test_thread_resumes_from_the_failed_part() -> None:
    events = published(part=0) + [ev("claimed", part=1), ev("failed", part=1, error="HTTP 503")]
    action = only(plan([target(parts=3)], events))
    assert (action.action, action.parts) == ("publish", (1, 2))
    assert "HTTP 503" in action.reason


def test_published_post_needs_nothing() -> None:
    assert plan([target()], published()).actions == ()


def test_edited_after_publish_is_a_conflict() -> None:
    action = only(plan([target(hash="new")], published(hash="old")))
    assert action.action == "conflict"
    assert "changed after it was published" in action.reason


def test_gone_from_main_is_retracted_parts_last_to_first() -> None:
    events = published(part=0) + published(part=1) + published(part=2)
    action = only(plan([], events))
    assert (action.action, action.parts) == ("retract", (2, 1, 0))


def test_retracted_id_coming_back_is_a_conflict() -> None:
    events = published() + [ev("retract-claimed", run="r2"), ev("retracted", run="r2")]
    assert plan([], events).actions == ()
    action = only(plan([target()], events))
    assert action.action == "conflict" and "new id" in action.reason
    # on another account too
    assert only(plan([target(account="drill2")], events)).action == "conflict"


def test_dropping_one_account_of_a_cross_post_retracts_only_that_one() -> None:
    events = published(account="drill") + published(account="drill2")
    action = only(plan([target(account="drill")], events))
    assert (action.action, action.account) == ("retract", "drill2")
    events += [ev("retract-claimed", account="drill2", run="r"), ev("retracted", account="drill2", run="r")]
    assert plan([target(account="drill")], events).actions == ()


def test_cross_post_is_tracked_per_account() -> None:
    p = plan([target(account="drill"), target(account="drill2")], published(account="drill"))
    assert [(a.action, a.account) for a in p.actions] == [("publish", "drill2")]


def test_mass_retraction_guard() -> None:
    events = [e for i in range(6) for e in published(post=f"p{i}")]
    p = plan([], events)
    assert {a.action for a in p.actions} == {"blocked"}
    assert "mass retraction guard: 6 posts" in p.actions[0].reason
    assert {a.action for a in plan([], events, allow_mass_retract=True).actions} == {"retract"}
    assert {a.action for a in plan([], events[:10]).actions} == {"retract"}  # 5 posts: allowed


def test_a_retraction_already_begun_is_not_held_back_by_the_guard() -> None:
    events = [e for i in range(7) for e in published(post=f"p{i}")]
    events += [ev("retract-claimed", "p0", run="r"), ev("retract-failed", "p0", run="r", error="503")]
    p = plan([], events)
    assert [(a.action, a.post) for a in p.actions if a.action == "retract"] == [("retract", "p0")]


def test_paused_blocks_publishing_but_not_retraction() -> None:
    p = plan([target("new")], published("old"), paused="election night")
    assert [(a.action, a.post) for a in p.actions] == [("retract", "old"), ("blocked", "new")]
    assert p.actions[1].reason == "paused: election night"


def test_lint_errors_block() -> None:
    action = only(plan([target()], blocked={"a": "[no-insults] Official accounts don't use 'suck'"}))
    assert action.action == "blocked" and action.reason.startswith("lint: [no-insults]")


def test_unknown_account_and_unsupported_platform_block() -> None:
    assert "not in postops.yaml" in only(plan([target(platform=None)])).reason
    action = only(plan([target()], unavailable={"drill": "publishing to mastodon is not supported yet"}))
    assert action.action == "blocked" and "mastodon is not supported" in action.reason


def test_a_published_post_whose_file_has_errors_is_never_taken_down() -> None:
    action = only(plan([], published(), unreadable={"a": "posts/drill/a.yaml:3:1: bad indentation"}))
    assert action.action == "blocked" and "not retracted" in action.reason
    p = plan([target(account="drill2")], published(), blocked={"a": "[account] unknown account"})
    assert {(a.action, a.account) for a in p.actions} == {("blocked", "drill"), ("blocked", "drill2")}


def test_reply_to_another_post_waits_for_it() -> None:
    first, reply = target("first", at=NOW + H), target("reply", reply_to="first")
    assert [(a.action, a.post) for a in plan([first, reply]).actions] == [("wait", "reply"), ("wait", "first")]
    p = plan([target("first"), reply], published("first"))
    assert [(a.action, a.post) for a in p.actions] == [("publish", "reply")]
    assert reply_target(Ledger().extended(published("first")), reply, 0) == "first-0"
    # A reference to a post elsewhere goes to the adapter as written: a bsky.app link or an at:// URI
    # (https://docs.bsky.app/docs/advanced-guides/resolving-identities) cut to its last segment names no post.
    for written in ("https://x.com/org/status/123/", "https://bsky.app/profile/partner.org/post/3lpartnerpost",
                    "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lpartnerpost"):
        assert reply_target(Ledger(), target(reply_to=written), 0) == written
    assert only(plan([reply])).action == "blocked"


def test_claims_of_a_live_publisher_are_left_alone() -> None:
    events = [ev("claimed", by="host:1", lease_until=(NOW + 5 * M).isoformat())]
    action = only(plan([target()], events))
    assert (action.action, action.at) == ("wait", NOW + 5 * M)


def test_claim_past_its_lease_or_of_a_dead_process_is_in_doubt() -> None:
    expired = [ev("claimed", by="host:1", lease_until=(NOW - M).isoformat())]
    assert only(plan([target()], expired)).action == "resolve"
    live = [ev("claimed", by="host:1", lease_until=(NOW + 5 * M).isoformat())]
    action = only(plan([target()], live, gone=lambda by: by == "host:1"))
    assert (action.action, action.parts, action.kind) == ("resolve", (0,), "publish")


def test_this_runs_own_claims_are_not_in_doubt() -> None:
    events = [ev("claimed", run="me", lease_until=(NOW - M).isoformat())]
    assert plan([target()], events, run="me").actions == ()


def test_interrupted_retraction_is_resolved_by_retracting_again() -> None:
    events = published() + [ev("retract-claimed", run="r", by="h:1", lease_until=(NOW - M).isoformat())]
    action = only(plan([], events))
    assert (action.action, action.kind, action.parts) == ("resolve", "retract", (0,))


def test_until_previews_the_schedule_up_to_then() -> None:
    targets = [target("soon", at=NOW + H), target("later", at=NOW + 30 * H)]
    assert [a.post for a in plan(targets).actions] == ["soon", "later"]
    assert [a.post for a in plan(targets, until=NOW + 2 * H).actions] == ["soon"]


def test_order_resolve_retract_publish_by_time() -> None:
    targets = [target("b", at=NOW - 2 * M), target("a", at=NOW - 3 * M), target("c")]
    events = published("gone") + [ev("claimed", "c", lease_until=(NOW - M).isoformat())]
    assert [(a.action, a.post) for a in plan(targets, events).actions] == [
        ("resolve", "c"), ("retract", "gone"), ("publish", "a"), ("publish", "b")]


def test_settings_come_from_config() -> None:
    settings = PublishSettings(min_lead=timedelta(0), max_delay=timedelta(minutes=30))
    assert only(plan([target(at=NOW - 31 * M)], settings=settings)).action == "missed"


def test_planning_ten_thousand_posts() -> None:
    # how long this takes is measured by benchmarks/publish.py, not asserted here
    count = 10_000
    targets = [target(f"p{i}", at=NOW + i * M) for i in range(count)]
    events = [e for i in range(0, count, 2) for e in published(f"p{i}")]
    ledger = Ledger().extended(events)
    p = make_plan(targets, ledger, Context(now=NOW))
    assert len(p.actions) == count // 2
    assert {a.action for a in p.actions} == {"wait"}


def test_due_counts_from_the_newest_sighting_of_the_post_and_its_media_and_the_first_line_wins() -> None:
    post = Target("a", "drill", "posts/drill/a.yaml", "h", 1, NOW - H, NOW - 2 * H, platform="outbox",
                  sources=(Source("post-commit", NOW - 2 * H), Source("media-commit", NOW - 3 * H)))
    seen = [{"event": "seen", "commits": ["post-commit"], "check": [], "at": (NOW - 2 * H).isoformat()},
            # the image changed in a commit dated earlier still, but seen only now
            {"event": "seen", "commits": ["media-commit"], "check": [], "at": (NOW - 5 * M).isoformat()},
            # a later line naming it again changes nothing
            {"event": "seen", "commits": ["media-commit"], "check": [], "at": (NOW - 2 * H).isoformat()}]
    action = only(make_plan([post], Ledger().extended(seen), Context(now=NOW)))
    assert (action.action, action.at) == ("wait", NOW + 5 * M)


def test_a_post_the_ledger_may_have_lost_is_looked_for_before_it_is_published() -> None:
    post = target(at=NOW - M, arrived=NOW - H)
    flagged = [{"event": "seen", "commits": ["commit-a"], "check": ["commit-a"], "at": (NOW - H).isoformat()}]
    action = only(make_plan([post], Ledger().extended(flagged), Context(now=NOW)))
    assert (action.action, action.kind, action.parts) == ("resolve", "check", (0,))
    # once asked (not there: released), it is published as any other
    released = flagged + [ev("claimed", checking=True), ev("released")]
    assert only(make_plan([post], Ledger().extended(released), Context(now=NOW))).action == "publish"
    # a commit first seen more than max_delay after its own date is checked too; one seen in time is not
    late, fresh = target("b", at=NOW - M, arrived=NOW - 7 * H), target("c", at=NOW + H, arrived=NOW - M)
    started = [{"event": "seen", "commits": [], "check": [], "at": (NOW - 8 * H).isoformat()}]
    plans = make_plan([late, fresh], Ledger().extended(started), Context(now=NOW))
    assert [(a.post, a.action) for a in plans.actions] == [("b", "wait"), ("c", "wait")]
    assert "not seen on main by a publisher yet" in plans.actions[0].reason
    # what the run records: b to check, c not
    commits, check = new_sightings([late, fresh], Ledger().extended(started), NOW, PublishSettings().max_delay)
    assert (commits, check) == (["commit-b", "commit-c"], ["commit-b"])
    recorded = [*started, {"event": "seen", "commits": commits, "check": check, "at": NOW.isoformat()}]
    plans = make_plan([late, fresh], Ledger().extended(recorded), Context(now=NOW + H))
    assert [(a.post, a.action, a.kind) for a in plans.actions] == [("b", "resolve", "check"),
                                                                   ("c", "publish", "publish")]
