"""`postops settle`: a person answers what the platform could not, for a claim left in doubt.

A claim whose publisher died is resolved by asking the platform; when the platform cannot answer (an X
access level that cannot read the account's posts, say), the claim stays in doubt, and neither the post
nor its retraction can go on. A person who has looked at the account settles it: it went out (with its
platform id, so that it can be retracted), or it did not (so that it is published). The answer goes into
the ledger through the same compare-and-swap as a publisher's, as a claim and its record in one commit,
and only for a claim that is really in doubt: never one a live publisher still holds.

"Not published" is taken only when the platform cannot answer: settle asks it first, as a run would,
because a person's "it is not there" against a platform that can see it would publish the post twice.
A part recorded failed can still be settled as published: a platform that took the post but answered
with an error leaves it so, and the next run's attempt would be refused as a duplicate for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops.errors import PostopsError, UsageError
from postops.platforms.base import Platform, get_platform
from postops.publish.desired import load_desired
from postops.publish.engine import Publisher
from postops.publish.ledger import CLAIMED, FAILED, PUBLISHED, RELEASED, Ledger, open_store
from postops.publish.plan import Context, claim_holder
from postops.publish.process import new_run_id, publisher_gone, this_publisher
from postops.repo.config import Account, Config


def settle(root: Path, config: Config, *, post: str, account: str, part: int, platform_id: str | None,
           url: str | None, not_published: bool, now: datetime | None = None, who: str | None = None,
           echo: Callable[[str], None] = lambda line: None, env: Mapping[str, str] | None = None,
           platforms: Callable[..., Platform] = get_platform) -> None:
    """Record a person's answer for the in-doubt claim of `post` on `account`, part `part` (0-based), or
    that a part recorded failed went out after all. `env` holds the credentials the platform is asked with."""
    if bool(platform_id) == not_published:
        raise UsageError("say what happened: --published PLATFORM_ID (it went out) or --not-published")
    moment = now or datetime.now(UTC)
    store = open_store(root, config, env)
    ledger = store.read(fetch=True)
    unanswered = None
    if not_published:
        _answer(ledger, config, post=post, account=account, part=part, platform_id=None, url=url, moment=moment,
                who=who)   # only a claim in doubt: refused before anything is asked
        unanswered = _platform_cannot_answer(root, config, ledger, post=post, account=account, part=part,
                                             moment=moment, env=env or {}, platforms=platforms)
    for _ in range(5):
        events = _answer(ledger, config, post=post, account=account, part=part, platform_id=platform_id,
                         url=url, moment=moment, who=who)
        if unanswered:
            events[-1]["platform_said"] = unanswered
        moved = store.append(ledger, events, f"postops settle {post} @{account} part {part + 1}: "
                             f"{'published' if platform_id else 'not published'}, by hand")
        if moved is not None:
            echo(f"settled {post} @{account} part {part + 1}: "
                 + (f"published as {platform_id}" if platform_id else "not published; it is due again"))
            return
        ledger = store.read(fetch=True)  # someone moved first: decide again on what is there now
    raise PostopsError("the ledger kept moving while settling; try again")


def _platform_cannot_answer(root: Path, config: Config, ledger: Ledger, *, post: str, account: str, part: int,
                            moment: datetime, env: Mapping[str, str],
                            platforms: Callable[..., Platform]) -> str:
    """Why the platform cannot say whether the claimed part is there; refuses when it can say."""
    where = f"{post} @{account} part {part + 1}"
    spec = config.accounts.get(account)
    if spec is None:
        raise PostopsError(f"account {account} is not in postops.yaml")
    try:
        opened = platforms(spec, root, env)
    except PostopsError as exc:
        raise PostopsError(f"settle asks {spec.platform} before taking --not-published, and cannot open the "
                           f"account here: {exc.message}; run it where the account's credentials are") from None
    def only_this(other: Account, *_: object) -> Platform:
        if other.key != account:
            raise PostopsError(f"settle asks only about @{account}")
        return opened

    publisher = Publisher(root, config, load_desired(root, config), env=env, now=lambda: moment,
                          platforms=only_this)
    try:
        found = publisher.ask(ledger, post, account, part)
    except PostopsError as exc:
        return exc.message      # the platform cannot answer: a person's word is all there is
    if found is not None:
        raise PostopsError(f"{spec.platform} shows {where} published as {found.platform_id}"
                           f"{f' ({found.url})' if found.url else ''}: settle it with --published "
                           f"{found.platform_id}, or let the next publish run record it")
    raise PostopsError(f"{spec.platform} answers that {where} is not there: the next publish run finds that "
                       "out itself and publishes it; --not-published is only for a platform that cannot answer")


def _answer(ledger: Ledger, config: Config, *, post: str, account: str, part: int, platform_id: str | None,
            url: str | None, moment: datetime, who: str | None) -> list[dict[str, Any]]:
    state = ledger.parts.get((post, account, part))
    failed = state is not None and state.status == FAILED and platform_id is not None
    if state is None or (state.status != CLAIMED and not failed):
        now_is = "has no claim" if state is None else f"is {state.status}"
        raise PostopsError(f"{post} @{account} part {part + 1} {now_is}: only a claim left in doubt can be settled"
                           " (and a part recorded failed, as --published)")
    holder = "in-doubt" if failed else claim_holder(state, Context(now=moment, settings=config.publish,
                                                                   gone=publisher_gone))
    if holder != "in-doubt":
        raise PostopsError(f"{post} @{account} part {part + 1} is being published by {state.event.get('by')} "
                           f"until {state.event.get('lease_until')}: wait for its lease to run out")
    claim = state.event
    run = "settle-" + new_run_id(moment)
    common = {"post": post, "account": account, "part": part, "hash": claim.get("hash"), "path": claim.get("path"),
              "commit": claim.get("commit"), "run": run, "by": this_publisher(), "at": moment.isoformat()}
    events: list[dict[str, Any]] = [{"event": CLAIMED, **common, "resolving": claim.get("resolving") or claim.get("at"),
                                     "lease_until": moment.isoformat()}]
    settled_by = {"settled_by": who} if who else {}
    if platform_id:
        events.append({"event": PUBLISHED, **common, "platform_id": platform_id, "url": url, "resolved": "by hand",
                       **settled_by})
    else:
        events.append({"event": RELEASED, **common, "reason": "not on the platform, as a person checked",
                       **settled_by})
    return events
