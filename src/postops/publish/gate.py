"""What holds a post back, gathered into the plan's Context: lint's verdicts, the kill switch, platforms
postops cannot publish to, files that cannot be read, approvals not given.

Lint is never optional for publish: a post is checked against the policies at publish time as on the pull
request, so a policy merged after the post still holds it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from postops.errors import PostopsError
from postops.lint.engine import run_lint
from postops.platforms.base import PLATFORMS, Platform, get_platform
from postops.publish import controls
from postops.publish.desired import Desired, arrivals
from postops.publish.ledger import Ledger, Sighting, lint_state, read_ledger
from postops.publish.plan import Context
from postops.publish.process import publisher_gone
from postops.repo import git
from postops.repo.config import Config

# Verdicts of lint per post id: (severity, message) pairs.
Verdicts = Mapping[str, list[tuple[str, str]]]
LintFn = Callable[[Path, Config], Verdicts]


def lint_verdicts(root: Path, config: Config) -> Verdicts:
    """What lint says about every post, with the ledger's view of what was published, and every post without
    publish_at judged by the time rules at its merge time plus min_lead, when it goes out."""
    ledger = read_ledger(root, config)
    result = run_lint(root, config, state=lint_state(root, config, ledger),
                      merge_times=lambda posts: merge_times(root, posts, ledger.seen))
    verdicts: dict[str, list[tuple[str, str]]] = {}
    for finding in result.findings:
        if finding.post:
            verdicts.setdefault(finding.post, []).append((finding.severity, f"[{finding.rule}] {finding.message}"))
    return verdicts


def merge_times(root: Path, posts: Sequence[tuple[str, tuple[str, ...]]],
                seen: Mapping[str, Sighting] | None = None) -> dict[str, datetime]:
    """Post file -> when its current content came to this branch: the later of the commits that last changed
    the file and its media, each counted from when a publisher first saw it on main (`seen`, from the
    ledger), as the plan's due time counts it; a commit no publisher has seen yet by its own date, which
    matters only until the run that sees it (with min_lead above zero, that run does not publish it). A file
    not committed has none."""
    if not git.is_repository(root):
        return {}
    seen = seen or {}
    times = git.content_times(root, {p for post, media in posts for p in (post, *media)})
    found = {post: [seen[sha].at if sha in seen else when for when, sha in arrivals(times, post, media)]
             for post, media in posts}
    return {post: max(whens) for post, whens in found.items() if whens}


def errors_of(verdicts: Verdicts) -> dict[str, str]:
    """post id -> its first error: what blocks it."""
    return {post: next(m for s, m in found if s == "error")
            for post, found in verdicts.items() if any(s == "error" for s, _ in found)}


def paused_reason(config: Config) -> str | None:
    if not config.paused:
        return None
    return str(config.paused.get("reason") or "no reason given")


def pause_reason(config: Config, ledger: Ledger | None) -> str | None:
    """Why publishing is paused: postops.yaml's pause, else the state branch's as `ledger` has it; None when
    it is not."""
    paused = paused_reason(config)
    state = controls.state_pause(ledger) if ledger is not None and paused is None else None
    if state is not None:
        paused = f"{state.get('reason') or 'no reason given'} (paused on the state branch by {state.get('by')})"
    return paused


def supported_accounts(config: Config) -> dict[str, str]:
    """account -> why it cannot be published to, for accounts whose platform postops lacks (no credentials
    needed: this is for plan)."""
    missing = {}
    for key, account in config.accounts.items():
        if account.platform not in PLATFORMS:
            missing[key] = f"publishing to {account.platform} is not supported yet"
    return missing


def open_platforms(config: Config, keys: Iterable[str], root: Path, env: Mapping[str, str],
                   factory: Callable[..., Platform] = get_platform) -> tuple[dict[str, Platform], dict[str, str]]:
    """The platform of each account in `keys` with the credentials in `env`, and account -> why not for
    those that cannot be opened (credentials missing, say): what publish and status both hold a due post
    back for."""
    opened: dict[str, Platform] = {}
    unavailable: dict[str, str] = {}
    for key in sorted(keys):
        account = config.accounts.get(key)
        if account is None:
            continue
        try:
            opened[key] = factory(account, root, env)
        except PostopsError as exc:
            unavailable[key] = exc.message
    return opened, unavailable


def plan_context(config: Config, desired: Desired, verdicts: Verdicts, *, now: datetime,
                 unavailable: Mapping[str, str], unapproved: Mapping[tuple[str, str], str] | None = None,
                 refused: Mapping[tuple[str, str], str] | None = None,
                 allow_mass_retract: bool = False, until: datetime | None = None,
                 run: str | None = None, ledger: Ledger | None = None,
                 ignore_state_pause: bool = False) -> Context:
    """The one Context plan, status and publish decide with. `ledger` brings the levers pulled on the state
    branch: a pause, and posts taken down on request."""
    paused = pause_reason(config, None if ignore_state_pause else ledger)
    withdrawn: frozenset[tuple[str, str]] = frozenset()
    if ledger is not None:
        withdrawn = frozenset(controls.retract_requests(ledger))
    return Context(now=now, settings=config.publish, paused=paused, blocked=errors_of(verdicts),
                   unavailable=unavailable, unreadable=desired.unreadable,
                   unreadable_folders=desired.unreadable_folders, unapproved=unapproved or {},
                   refused=refused or {},
                   allow_mass_retract=allow_mass_retract, until=until, gone=publisher_gone, run=run,
                   withdrawn=withdrawn)
