"""Desired state (main's HEAD) against actual state (the ledger) → what a publish run does now, and why.

A pure function: no git, no files, no clock. Everything it depends on is an argument, so a plan can be
tested, previewed for any `now`, and recomputed cheaply between the steps of a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
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
)
from postops.repo.config import PlatformName, PublishSettings


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
    retraction guard counts)."""

    PUBLISH = "publish"
    RETRACT = "retract"
    FRESH = "fresh"


# Who holds an open claim: this run, another live publisher, or nobody any more (its publisher died).
Holder = Literal["ours", "held", "in-doubt"]

ACTIONS = tuple(ActionName)
_RANK = {name: i for i, name in enumerate(ActionName)}
_RETRACTING = (RETRACT_CLAIMED, RETRACT_FAILED, RETRACTED)


@dataclass(frozen=True)
class Target:
    """One post at main's HEAD for one of its accounts: what should be on that account."""

    post: str
    account: str
    path: str
    hash: str                       # content hash for this account (posts.content_hash)
    parts: int
    publish_at: datetime | None
    arrived_at: datetime | None     # when the commit that brought the current content landed; None: not committed
    reply_to: str | None = None     # a URL or another post's id
    platform: PlatformName | None = None   # None: the account is not in postops.yaml
    arrived_in: str | None = None   # the commit on main that brought the current content
    media: tuple[str, ...] = ()     # the post's media files


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
    unapproved: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (post, account) -> why not approved
    allow_mass_retract: bool = False
    until: datetime | None = None                    # also list waits due up to then (a preview)
    gone: Callable[[str], bool] = lambda by: False   # whether the publisher `by` is provably dead
    run: str | None = None                           # this run: its own open claims are not in doubt


@dataclass(frozen=True)
class Plan:
    now: datetime
    actions: tuple[Action, ...]

    def of(self, *names: ActionName) -> list[Action]:
        return [a for a in self.actions if a.action in names]


def claim_holder(state: PartState, ctx: Context) -> Holder:
    """'ours', 'held' (another live publisher's) or 'in-doubt' (its publisher died between claim and record)."""
    if ctx.run is not None and state.run == ctx.run:
        return "ours"
    lease = state.lease_until
    if lease is None or lease <= ctx.now or ctx.gone(str(state.event.get("by", ""))):
        return "in-doubt"
    return "held"


def make_plan(targets: Iterable[Target], ledger: Ledger, ctx: Context) -> Plan:
    targets = list(targets)
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
        return [Action(ActionName.RESOLVE, post, account, None, _doubt_reason(parts[doubt_publish[0]]),
                       tuple(doubt_publish), kind=ActionKind.PUBLISH)]
    doubt_retract = sorted((i for i, s in parts.items() if s.status == RETRACT_CLAIMED), reverse=True)
    if doubt_retract:
        return [Action(ActionName.RESOLVE, post, account, None, _doubt_reason(parts[doubt_retract[0]]),
                       tuple(doubt_retract), kind=ActionKind.RETRACT)]
    live = sorted((i for i, s in parts.items() if s.status in (PUBLISHED, RETRACT_FAILED)), reverse=True)
    if not live:
        return []
    if any((parts[i].published or {}).get("platform_id") is None for i in live):
        # Imported as published before postops (`postops import --published`): nothing says which post on
        # the platform it is, so postops cannot take it down, and never guesses.
        return [Action("blocked", post, account, None, "published before postops, with no platform id: delete it "
                       "on the platform yourself", tuple(live), kind="retract")]
    failed = [parts[i] for i in live if parts[i].status == RETRACT_FAILED]
    if failed:
        reason = f"retrying the retraction after: {failed[0].event.get('error', 'an error')}"
    elif begun:
        reason = "finishing a retraction"
    else:
        reason = "no longer on main (deleted or reverted)"
    return [Action(ActionName.RETRACT, post, account, None, reason, tuple(live), kind=ActionKind.FRESH if not begun else ActionKind.RETRACT)]


def _bring_up(target: Target, parts: dict[int, PartState], retracting: bool, id_retracted: bool,
              ledger: Ledger, pairs: Mapping[tuple[str, str], dict[int, PartState]],
              by_key: Mapping[tuple[str, str], Target], ctx: Context) -> Action | None:
    post, account = target.post, target.account

    def act(name: ActionName, reason: str, at: datetime | None = None, todo: tuple[int, ...] = ()) -> Action:
        return Action(name, post, account, at, reason, todo, target.path)

    published = {i: s for i, s in parts.items() if s.status == PUBLISHED}
    if retracting or (id_retracted and len(published) < target.parts):
        return act(ActionName.CONFLICT, f"the id {post} was retracted and is never published again: "
                               "give this post a new id (a new file name)")
    if published:
        first = min(published)
        recorded = published[first].published or {}
        if any((s.published or {}).get("hash") != target.hash for s in published.values()):
            return act(ActionName.CONFLICT, f"changed after it was published ({recorded.get('url') or recorded.get('platform_id')}): "
                                   "a published post is never edited; delete it to retract it and add a new post")
    if len(published) >= target.parts:
        return None

    open_claims = {i: s for i, s in parts.items() if s.status == CLAIMED}
    holders = {i: claim_holder(s, ctx) for i, s in open_claims.items()}
    doubt = tuple(sorted(i for i, h in holders.items() if h == "in-doubt"))
    if doubt:
        return Action(ActionName.RESOLVE, post, account, None, _doubt_reason(open_claims[doubt[0]]), doubt, target.path)
    if any(h == "held" for h in holders.values()):
        state = next(open_claims[i] for i, h in holders.items() if h == "held")
        return act(ActionName.WAIT, f"being published by {state.event.get('by')}", state.lease_until)
    if any(h == "ours" for h in holders.values()):
        return None

    remaining = tuple(i for i in range(target.parts) if i not in published)
    started = bool(published)
    min_lead, max_delay = ctx.settings.min_lead, ctx.settings.max_delay
    if not started:
        missed = ledger.missed.get((post, account))
        if missed is not None and missed.get("publish_at") == _iso(target.publish_at):
            return None
        if target.publish_at is not None and ctx.now - target.publish_at > max_delay:
            return act(ActionName.MISSED, f"due {_iso(target.publish_at)}, more than {_duration(max_delay)} ago: "
                                 "never published late", target.publish_at)
    if target.platform is None:
        return act(ActionName.BLOCKED, f"account {account} is not in postops.yaml")
    if post in ctx.blocked:
        return act(ActionName.BLOCKED, f"lint: {ctx.blocked[post]}", target.publish_at)
    due = target.publish_at
    if not started:
        if target.arrived_at is None:
            return act(ActionName.WAIT, "not committed on main yet", target.publish_at)
        earliest = target.arrived_at + min_lead
        due = max(target.publish_at or target.arrived_at, earliest)
        if due > ctx.now:
            reason = (f"scheduled for {_iso(target.publish_at)}" if target.publish_at and target.publish_at >= earliest
                      else f"merged {_iso(target.arrived_at)}: min_lead {_duration(min_lead)} to undo it first")
            return act(ActionName.WAIT, reason, due)
    # Only a post that is due is held up by its platform (credentials are in the publish job alone, so
    # plan on a pull request cannot tell), which keeps plan and publish saying the same about the rest.
    if account in ctx.unavailable:
        return act(ActionName.BLOCKED, ctx.unavailable[account], due)
    if not started and (post, account) in ctx.unapproved:
        return act(ActionName.BLOCKED, f"approval: {ctx.unapproved[(post, account)]}", due)
    if ctx.paused is not None:
        return act(ActionName.BLOCKED, f"paused: {ctx.paused}", due)
    if not started and target.reply_to and "://" not in target.reply_to:
        replied = pairs.get((target.reply_to, account), {}).get(0)
        if replied is None or replied.status != PUBLISHED:
            if (target.reply_to, account) in by_key:
                return act(ActionName.WAIT, f"replies to {target.reply_to}, not published on {account} yet")
            return act(ActionName.BLOCKED, f"replies to {target.reply_to}, which is not a post for {account} on main")
    failures = [parts[i] for i in remaining if i in parts and parts[i].status == FAILED]
    if failures:
        reason = f"retrying after: {failures[0].event.get('error', 'an error')}"
    elif started:
        reason = f"finishing the thread from part {remaining[0] + 1} of {target.parts}"
    else:
        reason = "due"
    return act(ActionName.PUBLISH, reason, due, remaining)


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


def _doubt_reason(state: PartState) -> str:
    return (f"claimed by {state.event.get('by')} at {state.event.get('at')} with no record since "
            "(the publisher stopped): find out from the platform")


def reply_target(ledger: Ledger, target: Target, part: int) -> str | None:
    """The platform id part `part` replies to: the part before it, or for part 0 the post's reply_to."""
    if part > 0:
        state = ledger.parts.get((target.post, target.account, part - 1))
        return str((state.published or {}).get("platform_id")) if state and state.published else None
    if not target.reply_to:
        return None
    if "://" in target.reply_to:
        return target.reply_to.rstrip("/").rsplit("/", 1)[-1]
    state = ledger.parts.get((target.reply_to, target.account, 0))
    return str(state.published["platform_id"]) if state and state.published else None


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
