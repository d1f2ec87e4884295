"""Every post's state, for `postops status`: desired state, ledger and plan read together."""

from __future__ import annotations

from typing import Any

from postops.publish.ledger import FAILED, PUBLISHED, RETRACTED, Ledger, PartState
from postops.publish.plan import Plan


def _part(index: int, state: PartState | None) -> dict[str, Any]:
    if state is None:
        return {"part": index + 1, "state": "scheduled"}
    published = state.published or {}
    entry: dict[str, Any] = {"part": index + 1, "state": state.status}
    if published:
        entry.update(platform_id=published.get("platform_id"), url=published.get("url"),
                     published_at=published.get("at"))
    if state.status == FAILED:
        entry["error"] = state.event.get("error")
    return entry


def post_states(plan: Plan, ledger: Ledger, desired: Any) -> list[dict[str, Any]]:
    """One entry per post and account, on main or in the ledger."""
    actions = {a.key: a for a in plan.actions}
    pairs = ledger.pairs()
    parts_of = {(t.post, t.account): t.parts for t in desired.targets}
    keys = sorted(set(parts_of) | set(pairs) | set(ledger.missed))
    entries = []
    for key in keys:
        post, account = key
        parts = pairs.get(key, {})
        count = max(parts_of.get(key, 0), max(parts, default=-1) + 1)
        action = actions.get(key)
        live = [parts[i] for i in sorted(parts) if parts[i].status == PUBLISHED]
        entry: dict[str, Any] = {"post": post, "account": account, "state": "scheduled", "url": None,
                                 "published_at": None, "error": None,
                                 "parts": [_part(i, parts.get(i)) for i in range(count)]}
        if key in parts_of and key in ledger.missed and not live and (action is None or action.action == "missed"):
            entry["state"] = "missed"
        if action is not None:
            entry["at"] = action.at.isoformat() if action.at else None
            if action.action == "resolve":
                entry["state"] = "in-doubt"
            elif action.action in ("blocked", "conflict") and not live:
                entry["state"], entry["error"] = "blocked", action.reason
            elif action.action == "missed":
                entry["state"] = "missed"
            elif action.action == "conflict":
                entry["error"] = action.reason
        failed = [s for s in parts.values() if s.status == FAILED]
        if failed and entry["state"] == "scheduled":
            entry["state"], entry["error"] = "failed", failed[0].event.get("error")
        if live and entry["state"] in ("scheduled", "blocked"):
            first = live[0].published or {}
            entry["url"], entry["published_at"] = first.get("url"), first.get("at")
            entry["state"] = "published" if len(live) == count else entry["state"]
        if parts and all(s.status == RETRACTED for s in parts.values() if s.published) and \
                any(s.status == RETRACTED for s in parts.values()):
            entry["state"] = "retracted"
        entries.append(entry)
    return entries
