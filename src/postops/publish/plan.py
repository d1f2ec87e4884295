"""Desired state (main's HEAD) against actual state (the ledger) → what a publish run does now, and why.

A pure function: no git, no files, no clock. Everything it depends on is an argument, so a plan can be
tested, previewed for any `now`, and recomputed cheaply between the steps of a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from functools import cached_property
from typing import Literal

from postops.publish.ledger import (
    CLAIMED,
    FAILED,
    PUBLISHED,
    RETRACT_CLAIMED,
    RETRACT_FAILED,
    RETRACTED,
    Ledger,
    PartState,
    Sighting,
)
from postops.repo.config import PlatformName, PublishSettings
from postops.times import duration_text, parse_time


class ActionName(StrEnum):
    """What a plan does about one post on one account; in the order a run works in, then the order the
    rest is reported in."""

    RESOLVE = "resolve"
    RETRACT = "retract"
    PUBLISH = "publish"
    MISSED = "missed"
    CONFLICT = "conflict"
    BLOCKED = "blocked"
    WAIT = "wait"


class ActionKind(StrEnum):
    """What an action is about: a publication, or a retraction (`fresh`: one not begun yet, which the mass
    retraction guard counts), or a first publication the platform is asked about first (`check`)."""

    PUBLISH = "publish"
    RETRACT = "retract"
    FRESH = "fresh"
    CHECK = "check"   # a first publication the platform is asked about first: the ledger may have lost it


# Who holds an open claim: this run, another live publisher, or nobody any more (its publisher died).
Holder = Literal["ours", "held", "in-doubt"]

ACTIONS = tuple(ActionName)

# How a post held back by the kill switch is told from one blocked by a problem: the reason starts so.
PAUSED = "paused: "
CHECKING = "not in the ledger, and main had it before a publisher saw it (or there was no ledger): "
_RANK = {name: i for i, name in enumerate(ActionName)}
_RETRACTING = (RETRACT_CLAIMED, RETRACT_FAILED, RETRACTED)


@dataclass(frozen=True)
class Source:
    """A commit on main that brought a post's file or one of its media files as they are now."""

    commit: str
    committed: datetime   # the commit's own date: whoever made the commit chose it, so it is never trusted alone


@dataclass(frozen=True)
class Target:
    """One post at main's HEAD for one of its accounts: what should be on that account."""

    post: str
    account: str
    path: str
    hash: str                       # content hash for this account (posts.content_hash)
    parts: int
    publish_at: datetime | None
    arrived_at: datetime | None     # the committer date of the newest of `sources` (untrusted); None: not committed
    reply_to: str | None = None     # a URL or another post's id
    platform: PlatformName | None = None   # None: the account is not in postops.yaml
    arrived_in: str | None = None   # the commit on main that brought the current content
    media: tuple[str, ...] = ()     # the post's media files
    shares: tuple[str, ...] = ()    # ids of posts in this repository it reposts or quotes
    sources: tuple[Source, ...] = ()   # the commits that brought the post file and its media as they are


@dataclass(frozen=True)
class Action:
    action: ActionName
    post: str
    account: str
    at: datetime | None = None      # when it is (or was) due
    reason: str = ""
    parts: tuple[int, ...] = ()     # the parts this action is about, in the order they are worked on
    path: str | None = None
    kind: ActionKind = ActionKind.PUBLISH   # what a `resolve` resolves: a publication or a retraction

    @property
    def key(self) -> tuple[str, str]:
        return (self.post, self.account)


@dataclass(frozen=True)
class Context:
    now: datetime
    settings: PublishSettings = field(default_factory=PublishSettings)
    paused: str | None = None                        # the pause reason, when paused
    blocked: Mapping[str, str] = field(default_factory=dict)    # post id -> why lint blocks it
    unavailable: Mapping[str, str] = field(default_factory=dict)  # account -> why it cannot be published to
    unreadable: Mapping[str, str] = field(default_factory=dict)   # post id -> why its file cannot be read
    unreadable_folders: Mapping[str, str] = field(default_factory=dict)  # post id -> its file's account folder
    unapproved: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (post, account) -> why not approved
    # (post, account) -> why its server would refuse it by the limits it gives now (a Mastodon instance's)
    refused: Mapping[tuple[str, str], str] = field(default_factory=dict)
    allow_mass_retract: bool = False
    until: datetime | None = None                    # also list waits due up to then (a preview)
    gone: Callable[[str], bool] = lambda by: False   # whether the publisher `by` is provably dead
    run: str | None = None                           # this run: its own open claims are not in doubt
    withdrawn: frozenset[tuple[str, str]] = frozenset()  # (post, account) that `postops retract` took down for good


@dataclass(frozen=True)
class Plan:
    now: datetime
    actions: tuple[Action, ...]

    def of(self, *names: ActionName) -> list[Action]:
        return [a for a in self.actions if a.action in names]


def needs_attention(plan: Plan) -> list[Action]:
    """The due posts that are blocked by a problem someone must fix (lint, credentials, approval, a reply
    to nothing, the mass retraction guard): a pause is deliberate and is not one of them."""
    return [a for a in plan.of(ActionName.BLOCKED)
            if not a.reason.startswith(PAUSED) and (a.at is None or a.at <= plan.now)]


def claim_holder(state: PartState, ctx: Context) -> Holder:
    """'ours', 'held' (another live publisher's) or 'in-doubt' (its publisher died between claim and record)."""
    if ctx.run is not None and state.run == ctx.run:
        return "ours"
    lease = state.lease_until
    if lease is None or lease <= ctx.now or overlong_lease(state, ctx) or ctx.gone(str(state.event.get("by", ""))):
        return "in-doubt"
    return "held"


# How far ahead of this run's clock another publisher's clock may be before its claim counts as forged.
CLOCK_SKEW = timedelta(minutes=5)
OVERLONG_LEASE = "a lease longer than claim_lease"


def overlong_lease(state: PartState, ctx: Context) -> bool:
    """Whether a claim holds the part for longer than any publisher with this claim_lease would: a forged
    line on the state branch (a far-future lease would otherwise block the part, a retraction too, for
    ever). Measured from the claim's own time, so that clocks that differ a little never matter; a claim
    made in the future is forged too."""
    lease, at = state.lease_until, parse_time(state.event.get("at"))
    if lease is None:
        return False
    if at is None:   # judged by this run's clock instead, allowing for the other's
        return lease > ctx.now + ctx.settings.claim_lease + CLOCK_SKEW
    if at > ctx.now + CLOCK_SKEW:
        return True
    return lease - at > ctx.settings.claim_lease + timedelta(seconds=1)


def sighting(target: Target, ledger: Ledger, now: datetime, max_delay: timedelta) -> Sighting | None:
    """When a publisher first saw the target's current content on main: the latest first sighting of the
    commits that brought its file and media. A commit the ledger has not seen yet counts as seen `now` (the
    run that plans records it so before acting). None: not committed."""
    if not target.sources:
        return None
    found = [ledger.seen.get(s.commit) or Sighting(now, needs_check(ledger, s, now, max_delay))
             for s in target.sources]
    return Sighting(max(f.at for f in found), any(f.check for f in found))


def needs_check(ledger: Ledger, source: Source, now: datetime, max_delay: timedelta) -> bool:
    """Whether a commit first seen `now` brings posts the ledger may have lost: the ledger knows no post at
    all (a first run, or a deleted state branch: nothing tells them apart), or main had the commit, by its
    own date, for longer than max_delay before any publisher saw it (a ledger rewound past it, or publishers
    stopped for that long, or a backdated commit). A ledger from before sightings were recorded is taken as
    it stands: postops never asked the platforms about the posts it holds either."""
    if not ledger.knows_posts:
        return True
    return ledger.watched and source.committed < now - max_delay


def new_sightings(targets: Iterable[Target], ledger: Ledger, now: datetime,
                  max_delay: timedelta) -> tuple[list[str], list[str]]:
    """The commits of posts not yet begun that no publisher has seen on main, and those of them to check."""
    commits: dict[str, bool] = {}
    for target in targets:
        if any(ledger.parts.get((target.post, target.account, i)) is not None
               and ledger.parts[(target.post, target.account, i)].status == PUBLISHED for i in range(target.parts)):
            continue
        for source in target.sources:
            if source.commit not in ledger.seen and source.commit not in commits:
                commits[source.commit] = needs_check(ledger, source, now, max_delay)
    return list(commits), [c for c, check in commits.items() if check]


def make_plan(targets: Iterable[Target], ledger: Ledger, ctx: Context) -> Plan:
    # A post retracted on request is no longer wanted on that account, whatever main still holds.
    targets = [t for t in targets if (t.post, t.account) not in ctx.withdrawn]
    by_key = {(t.post, t.account): t for t in targets}
    pairs = ledger.pairs()
    retracted_ids = ledger.retracted_ids()
    actions: list[Action] = []

    retract_started: set[tuple[str, str]] = set()
    for key, parts in pairs.items():
        begun = any(s.status in _RETRACTING for s in parts.values())
        if begun:
            retract_started.add(key)
        if key in by_key and not begun:
            continue
        hold = ctx.unreadable.get(key[0]) or ctx.blocked.get(key[0])
        if hold and not begun and key not in by_key:
            # A file that does not parse, or fails lint, says nothing reliable about what main wants:
            # never take a post down because of a typo.
            if any(s.status == PUBLISHED for s in parts.values()):
                actions.append(Action(ActionName.BLOCKED, key[0], key[1], None, f"{hold} (not retracted while the "
                                      "post file has errors)", kind=ActionKind.RETRACT))
            continue
        actions.extend(_takedown(key, parts, begun, ctx))

    # A file on main that cannot be read and that the ledger has never heard of was merged to go out: it is
    # blocked (every run says so and fails) until someone fixes it, never simply not there.
    known = {t.post for t in targets} | {post for post, _ in pairs}
    for post, why in sorted(ctx.unreadable.items()):
        if post not in known:
            actions.append(Action(ActionName.BLOCKED, post, ctx.unreadable_folders.get(post, "?"), None, why))

    for target in targets:
        key = (target.post, target.account)
        action = _bring_up(target, pairs.get(key, {}), key in retract_started, target.post in retracted_ids,
                           ledger, pairs, by_key, ctx)
        if action is not None:
            actions.append(action)

    actions = _mass_retraction_guard(actions, ctx)
    if ctx.until is not None:
        actions = [a for a in actions if a.action != ActionName.WAIT or a.at is None or a.at <= ctx.until]
    actions.sort(key=lambda a: (_RANK[a.action], a.at or ctx.now, a.post, a.account))
    return Plan(ctx.now, tuple(actions))


def _takedown(key: tuple[str, str], parts: dict[int, PartState], begun: bool, ctx: Context) -> list[Action]:
    """A post recorded on a platform that main no longer wants there (or whose retraction began)."""
    post, account = key
    held = [i for i, s in parts.items() if s.status in (CLAIMED, RETRACT_CLAIMED) and claim_holder(s, ctx) == "held"]
    if held:
        state = parts[held[0]]
        return [Action(ActionName.WAIT, post, account, state.lease_until, f"in progress by {state.event.get('by')}",
                       tuple(sorted(held)))]
    if any(s.status in (CLAIMED, RETRACT_CLAIMED) and claim_holder(s, ctx) == "ours" for s in parts.values()):
        return []
    doubt_publish = sorted(i for i, s in parts.items() if s.status == CLAIMED)
    if doubt_publish:
        # Find out first whether it went out: only then is there something to take down.
        return [Action(ActionName.RESOLVE, post, account, None, _doubt_reason(parts[doubt_publish[0]], ctx),
                       tuple(doubt_publish), kind=ActionKind.PUBLISH)]
    doubt_retract = sorted((i for i, s in parts.items() if s.status == RETRACT_CLAIMED), reverse=True)
    if doubt_retract:
        return [Action(ActionName.RESOLVE, post, account, None, _doubt_reason(parts[doubt_retract[0]], ctx),
                       tuple(doubt_retract), kind=ActionKind.RETRACT)]
    live = sorted((i for i, s in parts.items() if s.status in (PUBLISHED, RETRACT_FAILED)), reverse=True)
    if not live:
        return []
    if any((parts[i].published or {}).get("platform_id") is None for i in live):
        # Imported as published before postops (`postops import --published`): nothing says which post on
        # the platform it is, so postops cannot take it down, and never guesses.
        return [Action(ActionName.BLOCKED, post, account, None, "published before postops, with no platform "
                       "id: delete it on the platform yourself", tuple(live), kind=ActionKind.RETRACT)]
    failed = [parts[i] for i in live if parts[i].status == RETRACT_FAILED]
    if failed:
        reason = f"retrying the retraction after: {failed[0].event.get('error', 'an error')}"
    elif begun:
        reason = "finishing a retraction"
    else:
        reason = "no longer on main (deleted or reverted)"
    return [Action(ActionName.RETRACT, post, account, None, reason, tuple(live), kind=ActionKind.FRESH if not begun else ActionKind.RETRACT)]


class _Go(Enum):
    ON = "on"   # a step that decides nothing: the next one decides


# A step's decision: an action, nothing to do (None), or undecided.
_Step = Action | None | Literal[_Go.ON]


@dataclass(frozen=True)
class _BringUp:
    """Deciding what to do about one post on one account that main wants there, step by step."""

    target: Target
    parts: Mapping[int, PartState]
    ledger: Ledger
    pairs: Mapping[tuple[str, str], dict[int, PartState]]
    by_key: Mapping[tuple[str, str], Target]
    ctx: Context

    @cached_property
    def published(self) -> dict[int, PartState]:
        return {i: s for i, s in self.parts.items() if s.status == PUBLISHED}

    @cached_property
    def started(self) -> bool:
        """A thread partly published is finished whatever else holds: half a thread is worse than a late one."""
        return any(s.status == PUBLISHED for s in self.parts.values())

    @cached_property
    def seen(self) -> Sighting | None:
        return sighting(self.target, self.ledger, self.ctx.now, self.ctx.settings.max_delay)

    @cached_property
    def due(self) -> datetime | None:
        """publish_at, but never before min_lead after a publisher first saw the content on main: the commit
        dates are whatever the commit's author set, so the undo window is counted from the sighting."""
        target, seen = self.target, self.seen
        if self.started or seen is None:
            return target.publish_at
        return max(target.publish_at or seen.at, seen.at + self.ctx.settings.min_lead)

    @cached_property
    def deadline(self) -> datetime | None:
        """The latest it may go out, minus max_delay: publish_at; for a post without one, min_lead after it
        reached main, counted from the earlier of its sighting and its commit's own date. A backdated commit
        can only make its post missed, and a post a publisher saw late is never published stale."""
        target, seen = self.target, self.seen
        if target.publish_at is not None or seen is None:
            return target.publish_at
        return min(seen.at, target.arrived_at or seen.at) + self.ctx.settings.min_lead

    def act(self, name: ActionName, reason: str, at: datetime | None = None, todo: tuple[int, ...] = ()) -> Action:
        return Action(name, self.target.post, self.target.account, at, reason, todo, self.target.path)

    def conflict(self, retracting: bool, id_retracted: bool) -> Action | None:
        """A retracted id come back, or a published post edited."""
        published, post = self.published, self.target.post
        if retracting or (id_retracted and len(published) < self.target.parts):
            return self.act(ActionName.CONFLICT, f"the id {post} was retracted and is never published again: "
                                                 "give this post a new id (a new file name)")
        if any((s.published or {}).get("hash") != self.target.hash for s in published.values()):
            recorded = published[min(published)].published or {}
            return self.act(ActionName.CONFLICT, f"changed after it was published "
                                                 f"({recorded.get('url') or recorded.get('platform_id')}): a "
                                                 "published post is never edited; delete it to retract it and "
                                                 "add a new post")
        return None

    @cached_property
    def holders(self) -> dict[int, Holder]:
        return {i: claim_holder(s, self.ctx) for i, s in self.parts.items() if s.status == CLAIMED}

    def in_doubt(self) -> Action | None:
        """Claims in doubt are resolved before anything else is decided, a conflict included: the platform is
        asked about what was claimed, whatever main says now, and a part that may have gone out must never
        stay unknown because the post was edited meanwhile."""
        doubt = tuple(sorted(i for i, h in self.holders.items() if h == "in-doubt"))
        if not doubt:
            return None
        return Action(ActionName.RESOLVE, self.target.post, self.target.account, None,
                      _doubt_reason(self.parts[doubt[0]], self.ctx), doubt, self.target.path)

    def claims(self) -> _Step:
        """Open claims: another publisher's are waited for, ours are ours (those in doubt: in_doubt)."""
        holders = self.holders
        held = [self.parts[i] for i, h in holders.items() if h == "held"]
        if held:
            return self.act(ActionName.WAIT, f"being published by {held[0].event.get('by')}", held[0].lease_until)
        if any(h == "ours" for h in holders.values()):
            return None
        return _Go.ON

    def too_late(self) -> _Step:
        """A post not begun and more than max_delay late is missed, and recorded so once."""
        target, max_delay = self.target, self.ctx.settings.max_delay
        if self.started:
            return _Go.ON
        # A post without publish_at is due min_lead after it was merged, and late from then like any other:
        # a publisher that stopped for days must not send last week's "now" posts today.
        deadline = self.deadline
        missed = self.ledger.missed.get((target.post, target.account))
        if missed is not None and missed.get("publish_at") == _iso(deadline):
            return None
        if deadline is not None and self.ctx.now - deadline > max_delay:
            return self.act(ActionName.MISSED, f"due {_iso(deadline)}"
                                               f"{'' if target.publish_at else ' (merged, plus min_lead)'}, more "
                                               f"than {duration_text(max_delay)} ago: never published late", deadline)
        return _Go.ON

    def unpublishable(self) -> Action | None:
        target = self.target
        if target.platform is None:
            return self.act(ActionName.BLOCKED, f"account {target.account} is not in postops.yaml")
        if target.post in self.ctx.blocked:
            return self.act(ActionName.BLOCKED, f"lint: {self.ctx.blocked[target.post]}", target.publish_at)
        return None

    def not_due_yet(self) -> Action | None:
        """Not before publish_at, nor before min_lead has passed since it was merged (the undo window)."""
        target, min_lead, due, seen = self.target, self.ctx.settings.min_lead, self.due, self.seen
        if self.started:
            return None
        if seen is None:
            return self.act(ActionName.WAIT, "not committed on main yet", target.publish_at)
        if due is not None and due > self.ctx.now:
            earliest = seen.at + min_lead
            if target.publish_at and target.publish_at >= earliest:
                reason = f"scheduled for {_iso(target.publish_at)}"
            elif all(s.commit in self.ledger.seen for s in target.sources):
                reason = f"on main since {_iso(seen.at)} (first seen by a publisher): min_lead {duration_text(min_lead)} to undo it first"
            else:
                reason = (f"not seen on main by a publisher yet: min_lead {duration_text(min_lead)} to undo it first, "
                          "from when one does")
            return self.act(ActionName.WAIT, reason, due)
        return None

    def held_up(self) -> Action | None:
        """What holds up a post that is due: its platform, its approval, the kill switch, what it replies to.

        Only a post that is due is held up by its platform (credentials are in the publish job alone, so
        plan on a pull request cannot tell), which keeps plan and publish saying the same about the rest.
        """
        ctx, key, due = self.ctx, (self.target.post, self.target.account), self.due
        if key[1] in ctx.unavailable:
            return self.act(ActionName.BLOCKED, ctx.unavailable[key[1]], due)
        if key in ctx.unapproved:   # a thread begun too: each part needs the post's approval
            return self.act(ActionName.BLOCKED, f"approval: {ctx.unapproved[key]}", due)
        if key in ctx.refused:
            return self.act(ActionName.BLOCKED, f"instance limits: {ctx.refused[key]}", due)
        if ctx.paused is not None:
            return self.act(ActionName.BLOCKED, f"{PAUSED}{ctx.paused}", due)
        return None if self.started else self.reply_not_out()

    def reply_not_out(self) -> Action | None:
        """A reply to another post of this repository, or a repost or quote of one, waits for that post on
        the same account."""
        reply_to, account = self.target.reply_to, self.target.account
        needed = [("replies to", reply_to)] if reply_to and "://" not in reply_to else []
        needed += [("reposts or quotes", post) for post in self.target.shares]
        for doing, other in needed:
            first = self.pairs.get((other, account), {}).get(0)
            if first is not None and first.status == PUBLISHED:
                if (first.published or {}).get("platform_id") is None:
                    # imported as published before postops: nothing says which post on the platform it is
                    return self.act(ActionName.BLOCKED, f"{doing} {other}, which was published before postops "
                                    f"and has no platform id on {account}: write its URL instead of its id")
                continue
            if (other, account) in self.by_key:
                return self.act(ActionName.WAIT, f"{doing} {other}, not published on {account} yet")
            return self.act(ActionName.BLOCKED, f"{doing} {other}, which is not a post for {account} on main")
        return None

    def check_first(self) -> Action | None:
        """A post the ledger knows nothing of, brought by a commit to check (see needs_check), is looked for on
        the platform before its first publication: found, it is recorded, never posted again."""
        if self.parts or self.seen is None or not self.seen.check:
            return None
        return Action(ActionName.RESOLVE, self.target.post, self.target.account, self.due,
                      f"{CHECKING}the platform is asked whether it is already there before it is published",
                      tuple(range(self.target.parts)), self.target.path, ActionKind.CHECK)

    def publish(self) -> Action:
        remaining = tuple(i for i in range(self.target.parts) if i not in self.published)
        failures = [self.parts[i] for i in remaining if i in self.parts and self.parts[i].status == FAILED]
        if failures:
            reason = f"retrying after: {failures[0].event.get('error', 'an error')}"
        elif self.started:
            reason = f"finishing the thread from part {remaining[0] + 1} of {self.target.parts}"
        else:
            reason = "due"
        return self.act(ActionName.PUBLISH, reason, self.due, remaining)


def _bring_up(target: Target, parts: dict[int, PartState], retracting: bool, id_retracted: bool,
              ledger: Ledger, pairs: Mapping[tuple[str, str], dict[int, PartState]],
              by_key: Mapping[tuple[str, str], Target], ctx: Context) -> Action | None:
    """What to do about a post main wants on an account: the first step that decides, in order."""
    up = _BringUp(target, parts, ledger, pairs, by_key, ctx)
    doubt = up.in_doubt()
    if doubt is not None:
        return doubt
    conflict = up.conflict(retracting, id_retracted)
    if conflict is not None or len(up.published) >= target.parts:
        return conflict
    for step in (up.claims, up.too_late):
        decided = step()
        if decided is not _Go.ON:
            return decided
    return up.unpublishable() or up.not_due_yet() or up.held_up() or up.check_first() or up.publish()


def _mass_retraction_guard(actions: list[Action], ctx: Context) -> list[Action]:
    fresh = [a for a in actions if a.action == ActionName.RETRACT and a.kind == ActionKind.FRESH]
    posts = {a.post for a in fresh}
    limit = ctx.settings.max_retractions
    if len(posts) <= limit or ctx.allow_mass_retract:
        return [_with_kind(a, ActionKind.RETRACT) if a in fresh else a for a in actions]
    reason = (f"mass retraction guard: {len(posts)} posts would be retracted in one run (max_retractions: "
              f"{limit}); check main, then run publish with --allow-mass-retract")
    return [Action(ActionName.BLOCKED, a.post, a.account, a.at, reason, a.parts, a.path, ActionKind.RETRACT) if a in fresh else a
            for a in actions]


def _with_kind(action: Action, kind: ActionKind) -> Action:
    return Action(action.action, action.post, action.account, action.at, action.reason, action.parts,
                  action.path, kind)


def _doubt_reason(state: PartState, ctx: Context) -> str:
    if overlong_lease(state, ctx):
        return (f"claimed by {state.event.get('by')} at {state.event.get('at')} with {OVERLONG_LEASE} "
                f"({duration_text(ctx.settings.claim_lease)}) until {state.event.get('lease_until')}: a forged or damaged "
                "ledger line, treated as in doubt; find out from the platform, and run `postops verify` to "
                "see who wrote it")
    return (f"claimed by {state.event.get('by')} at {state.event.get('at')} with no record since "
            "(the publisher stopped): find out from the platform")


def reply_target(ledger: Ledger, target: Target, part: int) -> str | None:
    """What part `part` replies to: the platform id of the part before it; for part 0 the platform id of the
    post's reply_to when that is another post, or the reference as written (a URL, an at:// URI), which the
    platform's adapter resolves: only it knows how its links and ids are made."""
    if part > 0:
        state = ledger.parts.get((target.post, target.account, part - 1))
        return str((state.published or {}).get("platform_id")) if state and state.published else None
    if not target.reply_to:
        return None
    if "://" in target.reply_to:
        return target.reply_to
    state = ledger.parts.get((target.reply_to, target.account, 0))
    return str(state.published["platform_id"]) if state and state.published else None


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None
