"""Runs a plan with the claim, act, record protocol (DESIGN section 4).

A run works in rounds. Each round is one commit on the state branch holding the records of the
previous round's platform calls and the claims of this round's parts; then it calls the platform for
each claimed part. One commit per round, not per part, keeps a run of a thousand posts to a few dozen
pushes; a thread still goes part by part, each part replying to the one before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from postops.errors import PostopsError
from postops.platforms.base import (
    FEATURES,
    Features,
    MediaFile,
    PartRequest,
    Platform,
    PlatformError,
    PollRequest,
    Published,
    get_platform,
)
from postops.platforms.spec import SPECS
from postops.publish import failpoints
from postops.publish.approvals import approval_blocks
from postops.publish.desired import Desired, check_checkout, load_desired
from postops.publish.gate import LintFn, Verdicts, lint_verdicts, open_platforms, plan_context
from postops.publish.instance_limits import instance_limit_blocks
from postops.publish.ledger import (
    CLAIMED,
    FAILED,
    MISSED,
    PUBLISHED,
    RELEASED,
    RETRACT_CLAIMED,
    RETRACT_FAILED,
    RETRACTED,
    SEEN,
    EventKind,
    Ledger,
    LedgerError,
    Store,
    open_store,
)
from postops.publish.plan import (
    OVERLONG_LEASE,
    Action,
    ActionKind,
    ActionName,
    Context,
    Plan,
    Target,
    make_plan,
    needs_attention,
    new_sightings,
    reply_target,
)
from postops.publish.process import new_run_id, this_publisher
from postops.publish.verify import refuse_unless_intact
from postops.repo import git
from postops.repo.config import Config
from postops.repo.media import MediaProblem, inspect_media, media_file
from postops.repo.posts import Post, build_post, parsed_once
from postops.repo.yamlfile import YamlProblem, parse
from postops.times import parse_time

BATCH = 20   # parts claimed per round


# Consecutive lost compare-and-swaps before a run gives up (publishers racing for the branch win in turn).
MAX_RACES = 50


class OutcomeKind(StrEnum):
    """What came of one part in this run, as the run reports it."""

    PUBLISHED = "published"
    RETRACTED = "retracted"
    RESOLVED = "resolved"      # an in-doubt claim found published
    RELEASED = "released"      # an in-doubt claim found unpublished: due again
    FAILED = "failed"
    MISSED = "missed"
    UNKNOWN = "unknown"        # the platform could not say: the claim stays in doubt


# What a run does with one claimed part: publish it, ask the platform about it (an in-doubt claim), retract it.
Step = Literal["publish", "lookup", "retract"]


@dataclass
class Outcome:
    what: OutcomeKind
    post: str
    account: str
    part: int | None = None
    detail: str = ""


@dataclass
class RunResult:
    first_plan: Plan
    last_plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    # Posts on main recorded missed under their current publish_at and never published: missed until
    # someone reschedules or removes them, newly this run or in an earlier one. (post, account) -> why.
    missed: dict[tuple[str, str], str] = field(default_factory=dict)
    # The state branch as the run last fetched or wrote it: what comes after the run in the same command
    # (watch) starts from it instead of fetching again; a write on it is a compare-and-swap like any other.
    ledger: Ledger | None = None

    @property
    def exit_code(self) -> int:
        """1 while anything needs a person: a failure, a missed post, a due post blocked by a problem (not a
        pause), a conflict. Said every run until someone acts, so that no run is quietly green."""
        bad = any(o.what in (OutcomeKind.FAILED, OutcomeKind.MISSED, OutcomeKind.UNKNOWN) for o in self.outcomes)
        stuck = bool(self.last_plan.of(ActionName.CONFLICT) or needs_attention(self.last_plan) or self.missed)
        # A forged lease is taken for what it is and the part resolved, but someone must hear of it.
        forged = any(OVERLONG_LEASE in a.reason for a in self.first_plan.actions)
        return 1 if bad or stuck or forged else 0


@dataclass(frozen=True)
class _Item:
    """One part to claim this round."""

    kind: Step
    action: Action
    part: int


class Publisher:
    def __init__(self, root: Path, config: Config, desired: Desired, *, env: Mapping[str, str],
                 now: Callable[[], datetime], allow_mass_retract: bool = False, head: str | None = None,
                 verdicts: Verdicts | None = None, platforms: Callable[..., Platform] = get_platform,
                 echo: Callable[[str], None] = lambda line: None, batch: int = BATCH) -> None:
        self.root, self.config, self.desired, self.env, self.now = root, config, desired, env, now
        self.allow_mass_retract = allow_mass_retract
        self.head = head
        self.verdicts: Verdicts = verdicts or {}
        self.platform_factory = platforms
        self.echo = echo
        self.batch = batch
        self.run = new_run_id(datetime.now(UTC))
        self.by = this_publisher()
        self.targets = {(t.post, t.account): t for t in desired.targets}
        self._platforms: dict[str, Platform] = {}
        self.unavailable = self._open_platforms()
        self.unapproved: Mapping[tuple[str, str], str] = {}
        self.approved: Mapping[tuple[str, str], dict[str, Any]] = {}   # recorded in the claim: the audit trail
        self.refused: Mapping[tuple[str, str], str] = {}

    def _open_platforms(self) -> dict[str, str]:
        opened, unavailable = open_platforms(self.config, {t.account for t in self.desired.targets}, self.root,
                                             self.env, self.platform_factory)
        self._platforms.update(opened)
        return unavailable

    def _platform(self, account: str) -> Platform:
        if account not in self._platforms:  # a retraction on an account no current post uses
            spec = self.config.accounts.get(account)
            if spec is None:
                raise PlatformError(f"account {account} is no longer in postops.yaml", retryable=False, kind="invalid")
            self._platforms[account] = self.platform_factory(spec, self.root, self.env)
        return self._platforms[account]

    def context(self, ledger: Ledger | None = None) -> Context:
        return plan_context(self.config, self.desired, self.verdicts, now=self.now(), unavailable=self.unavailable,
                            unapproved=self.unapproved, refused=self.refused, allow_mass_retract=self.allow_mass_retract, run=self.run,
                            ledger=ledger)

    def plan(self, ledger: Ledger) -> Plan:
        return make_plan(self.desired.targets, ledger, self.context(ledger))

    def execute(self, store: Store, ledger: Ledger | None = None) -> RunResult:
        """The run, in rounds. `ledger`: the state branch as just fetched, so a run fetches once before it
        starts, and again only when another publisher moved the branch."""
        if ledger is None:
            ledger = store.read(fetch=True)
        approvals = approval_blocks(self.config, self.desired, self.plan(ledger), self.env)
        self.unapproved, self.approved = approvals.blocked, approvals.approved
        # Before any call: a post its server would refuse by the limits it gives now is held back, not sent.
        self.refused = instance_limit_blocks(self.config, self.desired, self.plan(ledger), self._platforms,
                                             self.root, self.echo)
        first = self.plan(ledger)
        for action in first.actions:
            if OVERLONG_LEASE in action.reason:
                self.echo(f"ledger: {action.post} @{action.account}: {action.reason}")
        result = RunResult(first, first)
        pending: list[dict[str, Any]] = []
        excluded: set[tuple[str, str]] = set()
        races = 0
        while True:
            view = ledger.extended(pending)
            # What this run sees on main for the first time is recorded before anything is decided on it, in
            # the same compare-and-swap: concurrent publishers agree on one first sighting, the first pushed.
            seen = self.sightings(view)
            view = view.extended(seen)
            plan = self.plan(view)
            result.last_plan = plan
            items = self._pick(plan, excluded)
            missed = [self._event(MISSED, a, None, publish_at=a.at.isoformat() if a.at else None)
                      for a in plan.of(ActionName.MISSED)]
            claims = [self._claim(item, view) for item in items]
            if not (pending or seen or missed or claims):
                break
            moved = store.append(ledger, pending + seen + missed + claims, self._message(pending, seen, missed, claims))
            if moved is None:  # another publisher moved first: look again before deciding anything
                races += 1
                if races > MAX_RACES:
                    raise LedgerError(f"the state branch moved {races} times in a row while this run tried to "
                                      "write to it; nothing was claimed, try again")
                ledger = store.read(fetch=True)
                # what the other writer added is checked like the ledger the run began with, before this
                # run writes after it or decides anything on it
                refuse_unless_intact(self.root, store, ledger)
                continue
            races = 0
            ledger = moved
            for kind in (RETRACTED, RETRACT_FAILED, PUBLISHED, FAILED, RELEASED):
                self._failpoints_for(pending, kind, "after-record")
            pending = []
            for action in plan.of(ActionName.MISSED):
                result.outcomes.append(Outcome(OutcomeKind.MISSED, action.post, action.account, None, action.reason))
            self._failpoints_for(claims, CLAIMED, "after-claim")
            self._failpoints_for(claims, RETRACT_CLAIMED, "after-claim")
            for item, claim in zip(items, claims, strict=True):
                record = self._act(item, claim, ledger, result)
                if record is not None:
                    pending.append(record)
                if record is None or (record["event"] in (FAILED, RETRACT_FAILED, RELEASED) and item.kind != "lookup"):
                    excluded.add(item.action.key)
        result.missed = self._still_missed(ledger)
        result.ledger = ledger
        return result

    def sightings(self, ledger: Ledger) -> list[dict[str, Any]]:
        """The `seen` event for the commits of posts on main that no publisher has seen there yet, if any."""
        now = self.now()
        commits, check = new_sightings(self.desired.targets, ledger, now, self.config.publish.max_delay)
        # Main without posts, and no ledger yet: a repository's first run. Saying so here (an empty sighting)
        # starts the ledger, so that the posts that come later are not taken for ones a lost ledger knew.
        if not commits and (ledger.knows_posts or self.desired.targets):
            return []
        return [{"event": SEEN, "commits": commits, "check": check, "commit": self.head, "run": self.run,
                 "by": self.by, "at": now.isoformat()}]

    def _still_missed(self, ledger: Ledger) -> dict[tuple[str, str], str]:
        missed = {}
        for key, target in self.targets.items():
            event = ledger.missed.get(key)
            if event is None:
                continue
            # A post with publish_at is missed until it is given a new one. One without is missed at its merge
            # plus min_lead, the time recorded, which stays while its content does: until it is edited.
            if target.publish_at is not None:
                if event.get("publish_at") != target.publish_at.isoformat():
                    continue
            elif event.get("hash") != target.hash:
                continue
            if any(ledger.parts.get((*key, i)) is not None and ledger.parts[(*key, i)].status == PUBLISHED
                   for i in range(target.parts)):
                continue
            missed[key] = (f"due {event.get('publish_at')}, missed (recorded {event.get('at')}): never published "
                           f"late; give it a {'new ' if target.publish_at else ''}publish_at, or delete it")
        return missed

    def _pick(self, plan: Plan, excluded: set[tuple[str, str]]) -> list[_Item]:
        items: list[_Item] = []
        for action in plan.of(ActionName.RESOLVE, ActionName.RETRACT, ActionName.PUBLISH):
            if action.key in excluded or not action.parts:
                continue
            if action.action == ActionName.RESOLVE and action.kind in (ActionKind.PUBLISH, ActionKind.CHECK):
                items.extend(_Item("lookup", action, part) for part in action.parts)
            elif action.action in (ActionName.RESOLVE, ActionName.RETRACT):
                items.append(_Item("retract", action, action.parts[0]))
            elif self._approved(action):
                items.append(_Item("publish", action, action.parts[0]))
            if len(items) >= self.batch:
                break
        return items

    def _approved(self, action: Action) -> bool:
        """Each part goes out only with its post's approval for that account checked in this run, never on the
        strength of an earlier part's record; one that became due after the run's check (or whose in-doubt
        claim was released during the run) waits for the next run's."""
        return self.config.approval != "github" or action.key in self.approved

    def _event(self, name: EventKind, action: Action, part: int | None, /, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {"event": name, "post": action.post, "account": action.account}
        if part is not None:
            event["part"] = part
        target = self.targets.get(action.key)
        if target is not None:
            event["hash"] = target.hash
            event["path"] = target.path
        event.update({"commit": self.head, "run": self.run, "by": self.by, "at": self.now().isoformat()})
        event.update(extra)
        return event

    def _claim(self, item: _Item, ledger: Ledger) -> dict[str, Any]:
        lease_until = (self.now() + self.config.publish.claim_lease).isoformat()
        if item.kind == "retract":
            state = ledger.parts[(item.action.post, item.action.account, item.part)]
            published = state.published or {}
            return self._event(RETRACT_CLAIMED, item.action, item.part, lease_until=lease_until,
                               platform_id=published.get("platform_id"), hash=published.get("hash"))
        extra: dict[str, Any] = {"lease_until": lease_until}
        known = ledger.parts.get((item.action.post, item.action.account, item.part))
        if item.kind == "lookup" and known is None:
            # A first publication checked on the platform first (the ledger may have lost it): looked for
            # from the earliest it could have gone out, whichever date says so.
            target = self.targets[item.action.key]
            since = min(t for t in (target.publish_at, target.arrived_at, self.now()) if t is not None)
            extra.update(checking=True, since=since.isoformat(), source=self.head)
        elif item.kind == "lookup" and known is not None:
            # Ask the platform about the content that was claimed, whatever main says now: the post may
            # have been edited, or have left main, while its claim was in doubt. And from the time of the claim
            # that may have posted it: when the one in doubt is itself a lookup (its run died while asking),
            # that is the claim it resolved, older than the platforms' lookup slack.
            previous = known.event
            extra.update(resolving=previous.get("resolving") or previous.get("at"), path=previous.get("path"),
                         source=previous.get("source") or previous.get("commit"), hash=previous.get("hash"))
            if previous.get("checking"):
                extra.update(checking=True, since=previous.get("since"))
        if item.kind == "publish" and item.action.key in self.approved:
            extra.update(self.approved[item.action.key])
        return self._event(CLAIMED, item.action, item.part, **extra)

    def _lease_ok(self, claim: Mapping[str, Any]) -> bool:
        # Leave time for the call itself: a claim must never run out while its platform call is under way.
        # Half the lease covers the longest call an adapter makes (X: a rate-limit wait of up to a minute,
        # three 30-second attempts and their back-off) with the default lease of 10 minutes.
        margin = self.config.publish.claim_lease / 2
        lease_until = parse_time(claim["lease_until"])
        return lease_until is not None and self.now() + margin < lease_until

    def _act(self, item: _Item, claim: dict[str, Any], ledger: Ledger, result: RunResult) -> dict[str, Any] | None:
        action, part = item.action, item.part
        post, account = action.key
        if not self._lease_ok(claim):
            if item.kind == "lookup":
                # The platform was not asked: the claim stays in doubt, never "not published".
                return None
            return self._event(RELEASED if item.kind != "retract" else RETRACT_FAILED, action, part,
                               error="the claim's lease ran out before the platform was called", retryable=True,
                               reason="lease ran out")
        try:
            platform = self._platform(account)
            if item.kind == "retract":
                platform_id = str(claim.get("platform_id"))
                platform.delete(platform_id)
                failpoints.reached("retract-after-act", self.env)
                result.outcomes.append(Outcome(OutcomeKind.RETRACTED, post, account, part, platform_id))
                self.echo(f"retracted {post} @{account}{_part(part, action)}")
                return self._event(RETRACTED, action, part, platform_id=platform_id, hash=claim.get("hash"))
            request = self._request(action, part, ledger, claim, upload=item.kind == "publish")
            if item.kind == "lookup":
                found = platform.lookup(request, _looked_for_since(claim, post, account))
                failpoints.reached("resolve-after-act", self.env)
                claimed = {"hash": claim.get("hash"), "path": claim.get("path"), "resolving": claim.get("resolving")}
                if claim.get("checking"):
                    return self._checked(action, part, found, claimed, result)
                if found is None:
                    result.outcomes.append(Outcome(OutcomeKind.RELEASED, post, account, part, "not on the platform"))
                    self.echo(f"in doubt: {post} @{account}{_part(part, action)} was not published; it is due again")
                    return self._event(RELEASED, action, part, reason="not found on the platform", **claimed)
                result.outcomes.append(Outcome(OutcomeKind.RESOLVED, post, account, part, found.url or found.platform_id))
                self.echo(f"in doubt: {post} @{account}{_part(part, action)} had been published: "
                          f"{found.url or found.platform_id}")
                return self._event(PUBLISHED, action, part, platform_id=found.platform_id, url=found.url,
                                   resolved=True, **claimed)
            published = platform.publish(request)
            failpoints.reached("after-act", self.env)
            result.outcomes.append(Outcome(OutcomeKind.PUBLISHED, post, account, part, published.url or published.platform_id))
            self.echo(f"published {post} @{account}{_part(part, action)}: {published.url or published.platform_id}")
            return self._event(PUBLISHED, action, part, platform_id=published.platform_id, url=published.url)
        except PostopsError as exc:
            retryable = exc.retryable if isinstance(exc, PlatformError) else False
            kind = exc.kind if isinstance(exc, PlatformError) else "error"
            if item.kind == "publish" and kind == "in-doubt":
                # It may have gone out: record nothing, so that the claim is resolved by asking the platform
                # once its lease has run out. Recording a failure would have it published again.
                result.outcomes.append(Outcome(OutcomeKind.UNKNOWN, post, account, part, exc.message))
                self.echo(f"in doubt: {post} @{account}{_part(part, action)}: {exc.message}; a later run asks "
                          "the platform before anything else")
                return None
            if item.kind == "lookup":
                # Not knowing is not "not published": leave the claim open for a later run to ask again.
                result.outcomes.append(Outcome(OutcomeKind.UNKNOWN, post, account, part, exc.message))
                self.echo(f"in doubt: {post} @{account}{_part(part, action)}: cannot tell whether it was "
                          f"published ({exc.message}); a later run asks again"
                          + (f"; if the platform can never say, look at the account and run "
                             f"`postops settle {post} --account {account} --part {part + 1} --published ID` or "
                             "`--not-published`" if claim.get("checking") else ""))
                return None
            result.outcomes.append(Outcome(OutcomeKind.FAILED, post, account, part, exc.message))
            self.echo(f"failed {'to retract' if item.kind == 'retract' else 'to publish'} {post} @{account}"
                      f"{_part(part, action)}: {exc.message}")
            return self._event(RETRACT_FAILED if item.kind == "retract" else FAILED, action, part,
                               error=exc.message, kind=kind, retryable=retryable)

    def _checked(self, action: Action, part: int, found: Published | None, claimed: dict[str, Any],
                 result: RunResult) -> dict[str, Any]:
        """The answer to a first publication checked on the platform: there already (recorded, never posted
        again), or not (released: it goes out as usual)."""
        post, account = action.key
        if found is None:
            self.echo(f"checked {post} @{account}{_part(part, action)}: not on the platform yet")
            return self._event(RELEASED, action, part, reason="checked: not on the platform", **claimed)
        result.outcomes.append(Outcome(OutcomeKind.RESOLVED, post, account, part, found.url or found.platform_id))
        self.echo(f"checked {post} @{account}{_part(part, action)}: already on the platform "
                  f"({found.url or found.platform_id}) though the ledger did not know it: recorded, not posted "
                  "again; run `postops verify` to see what happened to the ledger")
        return self._event(PUBLISHED, action, part, platform_id=found.platform_id, url=found.url, resolved=True,
                           **claimed)

    def ask(self, ledger: Ledger, post: str, account: str, part: int) -> Published | None:
        """Whether the part claimed in the ledger is on the platform, asked as a run resolving the claim
        asks: about the content claimed. Raises PostopsError when the platform cannot tell."""
        claim = ledger.parts[(post, account, part)].event
        # the commit it was claimed at, as a run's lookup names it: a first claim names it as its `commit`
        claim = {**claim, "source": claim.get("source") or claim.get("commit")}
        action = Action(ActionName.RESOLVE, post, account)
        return self._platform(account).lookup(self._request(action, part, ledger, claim),
                                              _looked_for_since(claim, post, account))

    def _request(self, action: Action, part: int, ledger: Ledger, claim: Mapping[str, Any],
                 upload: bool = False) -> PartRequest:
        """What the platform is asked about `part`. For an `upload`, each media file is checked again right
        before it is read, whatever lint said (its media rule may be off): inside the reviewed files, what its
        content says it is, and within the platform's limits for the account (in bytes and pixels, a video's
        length and frame rate; an X Premium account's, a Mastodon instance's own)."""
        spec = self.config.accounts.get(action.account)
        if spec is None:
            raise PostopsError(f"account {action.account} is not in postops.yaml")
        current = self.targets.get(action.key)
        if current is not None and claim.get("hash") in (None, current.hash):
            target, post = current, self.desired.posts[action.post]
        else:  # what was claimed is no longer what main says: ask about what was claimed
            target, post = self._claimed_content(action, claim)
        piece = post.parts[part]
        platform = SPECS.get(spec.platform)
        media = []
        for m in piece.media:
            file, _ = media_file(self.root, m.path)   # nothing from outside the reviewed files is ever read
            if upload:
                refusals = platform.media_refusals(inspect_media(file, m.path), m.path, spec) if platform else []
                if refusals:
                    raise MediaProblem(refusals[0])
            media.append(MediaFile(file, m.alt))
        return shared_kinds(PartRequest(
            post_id=post.id, account=spec, part=part, text=piece.text, media=tuple(media),
            reply_to=reply_target(ledger, target, part),
            idempotency_key=f"{post.id}:{spec.key}:{part}:{target.hash[:16]}",
        ), post, part, ledger)

    def _claimed_content(self, action: Action, claim: Mapping[str, Any]) -> tuple[Target, Post]:
        """The post as it was when claimed, read from the commit it was published from."""
        path, source = claim.get("path"), claim.get("source")
        raw = git.read_file(self.root, str(source), str(path)) if path and source else None
        if raw is None:
            raise PostopsError(f"cannot find what {action.post} looked like when it was claimed "
                               f"({path or 'no path'} at {str(source or 'no commit')[:12]})")
        try:
            post = build_post(parse(raw, str(path), self.config.max_file_bytes), self.config)
        except YamlProblem as exc:
            raise PostopsError(f"{path} at {str(source)[:12]} no longer parses: {exc.message}") from None
        target = Target(post.id, action.account, str(path), str(claim.get("hash") or ""), len(post.parts),
                        post.publish_at, None, post.reply_to, self.config.accounts[action.account].platform)
        return target, post

    def _failpoints_for(self, events: list[dict[str, Any]], kind: EventKind, point: str) -> None:
        prefix = "retract-" if kind in (RETRACT_CLAIMED, RETRACTED, RETRACT_FAILED) else ""
        for event in events:
            if event["event"] == kind:
                name = ("resolve-" if event.get("resolving") or event.get("resolved") or event.get("checking")
                        else prefix) + point
                failpoints.reached(name, self.env)
                return

    def _message(self, *groups: list[dict[str, Any]]) -> str:
        counts: dict[str, int] = {}
        for group in groups:
            for event in group:
                counts[event["event"]] = counts.get(event["event"], 0) + 1
        return f"postops run {self.run}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())


def shared_kinds(request: PartRequest, post: Post, part: int, ledger: Ledger) -> PartRequest:
    """`request` with its repost, quote and poll, each checked against what the platform takes (lint says
    so first; this keeps a post from going out without the poll or quote it was written with)."""
    piece, account = post.parts[part], request.account
    features = FEATURES.get(account.platform, Features())
    repost = post.repost if part == 0 else None
    poll = None
    if piece.poll is not None:
        minutes = piece.poll.minutes
        if features.poll is None or minutes is None:
            raise PlatformError(f"{account.platform} takes no polls (account {account.key})", retryable=False,
                                kind="invalid")
        poll = PollRequest(piece.poll.options, minutes)
    if (repost and not features.repost) or (piece.quote and not features.quote):
        raise PlatformError(f"{account.platform} cannot {'repost' if repost else 'quote'} (account {account.key})",
                            retryable=False, kind="invalid")
    return replace(request, repost=_referenced(repost, account.key, ledger),
                   quote=_referenced(piece.quote, account.key, ledger), poll=poll)


def _referenced(reference: str | None, account: str, ledger: Ledger) -> str | None:
    """A URL as it is; the id of a post in this repository as its platform id on `account`."""
    if reference is None or "://" in reference:
        return reference
    state = ledger.parts.get((reference, account, 0))
    if state is None or state.published is None or not state.published.get("platform_id"):
        raise PlatformError(f"{reference} is not published on {account} yet", retryable=True, kind="transient")
    return str(state.published["platform_id"])


def _looked_for_since(claim: Mapping[str, Any], post: str, account: str) -> datetime:
    """From when the platform is searched for a claimed part: the claim's time (the first claim's, when
    resolving one), or for a checked first publication the earliest it could have gone out."""
    since = parse_time(claim.get("since") or claim.get("resolving") or claim.get("at"))
    if since is None:
        raise PostopsError(f"the claim of {post} @{account} does not say when it was made")
    return since


def _part(part: int | None, action: Action) -> str:
    return f" part {part + 1}" if part is not None and (part > 0 or len(action.parts) > 1) else ""


def clock(now: datetime | None) -> Callable[[], datetime]:
    if now is not None:
        return lambda: now
    return lambda: datetime.now(UTC)


def publish(root: Path, config: Config, *, now: datetime | None, env: Mapping[str, str],
            allow_mass_retract: bool = False, lint: LintFn = lint_verdicts,
            platforms: Callable[..., Platform] = get_platform,
            echo: Callable[[str], None] = lambda line: None, batch: int = BATCH,
            ticking: Callable[[], datetime] | None = None) -> RunResult:
    """One publish run. Raises RefusedError (exit 2) when this checkout must not publish.

    `ticking` replaces the clock with one that moves (tests of leases); `now` freezes it (drills)."""
    remote = git.remote(root)
    head = check_checkout(root, remote)
    store = open_store(root, config, env)
    store.main = head
    if store.memory is not None and not os.path.lexists(store.memory) and store.remote:
        # said every run it happens: a CI cache that never keeps the file would otherwise go unnoticed
        echo(f"ledger memory: {store.memory} does not exist yet; it starts with this run, which cannot tell "
             f"whether {store.branch} was rewound or deleted before it")
    # lint reads the ledger too: let it see the latest; and act on nothing if it is not the one postops wrote
    ledger = store.read(fetch=True)
    refuse_unless_intact(root, store, ledger)
    with parsed_once():  # the desired state parses each post, lint takes the same posts
        desired = load_desired(root, config)
        verdicts = lint(root, config)
    publisher = Publisher(root, config, desired, env=env, now=ticking or clock(now),
                          allow_mass_retract=allow_mass_retract,
                          head=head, verdicts=verdicts, platforms=platforms, echo=echo, batch=batch)
    return publisher.execute(store, ledger)
