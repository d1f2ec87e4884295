"""`postops settle`: a person answers what the platform could not, for a claim left in doubt.

A claim whose publisher died is resolved by asking the platform; when the platform cannot answer (an X
access level that cannot read the account's posts, say), the claim stays in doubt, and neither the post
nor its retraction can go on. A person who has looked at the account settles it: it went out (with its
platform id, so that it can be retracted), or it did not (so that it is published). The answer goes into
the ledger through the same compare-and-swap as a publisher's, as a claim and its record in one commit,
and only for a claim that is really in doubt: never one a live publisher still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops.errors import PostopsError, UsageError
from postops.publish.ledger import CLAIMED, PUBLISHED, RELEASED, Ledger, Store
from postops.publish.plan import Context, claim_holder
from postops.publish.process import new_run_id, publisher_gone, this_publisher
from postops.repo import git
from postops.repo.config import Config


def settle(root: Path, config: Config, *, post: str, account: str, part: int, platform_id: str | None,
           url: str | None, not_published: bool, now: datetime | None = None, who: str | None = None,
           echo: Callable[[str], None] = lambda line: None) -> None:
    """Record a person's answer for the in-doubt claim of `post` on `account`, part `part` (0-based)."""
    if bool(platform_id) == not_published:
        raise UsageError("say what happened: --published PLATFORM_ID (it went out) or --not-published")
    moment = now or datetime.now(UTC)
    store = Store(root, config.state_branch, git.remote(root))
    ledger = store.read(fetch=True)
    for _ in range(5):
        events = _answer(ledger, config, post=post, account=account, part=part, platform_id=platform_id,
                         url=url, moment=moment, who=who)
        moved = store.append(ledger, events, f"postops settle {post} @{account} part {part + 1}: "
                             f"{'published' if platform_id else 'not published'}, by hand")
        if moved is not None:
            echo(f"settled {post} @{account} part {part + 1}: "
                 + (f"published as {platform_id}" if platform_id else "not published; it is due again"))
            return
        ledger = store.read(fetch=True)  # someone moved first: decide again on what is there now
    raise PostopsError("the ledger kept moving while settling; try again")


def _answer(ledger: Ledger, config: Config, *, post: str, account: str, part: int, platform_id: str | None,
            url: str | None, moment: datetime, who: str | None) -> list[dict[str, Any]]:
    state = ledger.parts.get((post, account, part))
    if state is None or state.status != CLAIMED:
        now_is = "has no claim" if state is None else f"is {state.status}"
        raise PostopsError(f"{post} @{account} part {part + 1} {now_is}: only a claim left in doubt can be settled")
    holder = claim_holder(state, Context(now=moment, settings=config.publish, gone=publisher_gone))
    if holder != "in-doubt":
        raise PostopsError(f"{post} @{account} part {part + 1} is being published by {state.event.get('by')} "
                           f"until {state.event.get('lease_until')}: wait for its lease to run out")
    claim = state.event
    run = "settle-" + new_run_id(moment)
    common = {"post": post, "account": account, "part": part, "hash": claim.get("hash"), "path": claim.get("path"),
              "commit": claim.get("commit"), "run": run, "by": this_publisher(), "at": moment.isoformat()}
    events: list[dict[str, Any]] = [{"event": CLAIMED, **common, "resolving": claim.get("at"),
                                     "lease_until": moment.isoformat()}]
    settled_by = {"settled_by": who} if who else {}
    if platform_id:
        events.append({"event": PUBLISHED, **common, "platform_id": platform_id, "url": url, "resolved": "by hand",
                       **settled_by})
    else:
        events.append({"event": RELEASED, **common, "reason": "not on the platform, as a person checked",
                       **settled_by})
    return events
