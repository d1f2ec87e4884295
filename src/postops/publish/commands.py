"""The plan, publish, status, pause and resume commands as plain functions: each takes what the command
line gave it, writes through `echo` and returns the exit code, so tests and drills call them without click.
A user-caused error is raised (a PostopsError) for the one handler, errors.handle, to print."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops import report, times
from postops.confirm import Step
from postops.errors import PostopsError, UsageError
from postops.lint.engine import lint_text
from postops.platforms.base import Platform, get_platform, token_warnings
from postops.publish import controls
from postops.publish.approvals import approval_blocks
from postops.publish.audit import known_account
from postops.publish.desired import Desired, at_default_tip, load_desired
from postops.publish.engine import OutcomeKind, RunResult, publish
from postops.publish.gate import (
    LintFn,
    Verdicts,
    lint_verdicts,
    open_platforms,
    paused_reason,
    plan_context,
    supported_accounts,
)
from postops.publish.instance_limits import instance_limit_blocks
from postops.publish.ledger import Ledger, LedgerError, open_store, read_ledger
from postops.publish.notify import Alert, Notifier, run_alerts
from postops.publish.pause import set_paused
from postops.publish.plan import PAUSED, ActionKind, ActionName, Plan, make_plan, needs_attention
from postops.publish.process import new_run_id, this_publisher
from postops.publish.status import post_states
from postops.publish.verify import verify
from postops.publish.watch import watch
from postops.repo import git
from postops.repo.config import AlertKind, Config, find_root, load_config
from postops.repo.posts import POSTS_DIR, parsed_once, post_id_from_path
from postops.report.plan import PlanReport
from postops.report.status import StatusReport
from postops.times import parse_option_time as parse_time

Echo = Callable[[str], None]


def _open(root: Path) -> tuple[Path, Config]:
    root = find_root(root)
    return root, load_config(root)


# ------------------------------------------------------------------------------------------------ plan

def compute_plan(root: Path, config: Config, *, now: datetime, until: datetime | None = None,
                 allow_mass_retract: bool = False, lint: LintFn = lint_verdicts, env: Mapping[str, str] | None = None,
                 ignore_state_pause: bool = False, credentials: bool = False) -> tuple[Plan, Desired, Verdicts]:
    """What a run would do now. `credentials`: hold due posts back for the credentials missing from `env`,
    as publish does (status); plan leaves them out, since a pull request's checkout has none."""
    remote = git.remote(root) if git.is_repository(root) else None
    ledger = None
    if remote:
        try:
            ledger = open_store(root, config, env).read(fetch=True)
        except LedgerError:
            ledger = None  # offline: the local copy of the ledger is the best there is
    if ledger is None:
        ledger = read_ledger(root, config)
    with parsed_once():  # the desired state parses each post, lint takes the same posts
        desired = load_desired(root, config)
        verdicts = lint(root, config)
    unavailable = supported_accounts(config)
    opened: dict[str, Platform] = {}
    if credentials:
        opened, closed = open_platforms(config, {t.account for t in desired.targets} - set(unavailable), root,
                                        os.environ if env is None else env)
        unavailable |= closed
    ctx = plan_context(config, desired, verdicts, now=now, unavailable=unavailable,
                       allow_mass_retract=allow_mass_retract, until=until, ledger=ledger,
                       ignore_state_pause=ignore_state_pause)
    plan = make_plan(desired.targets, ledger, ctx)
    # Approval is a question about what was merged: on a pull request's checkout there is nothing to ask.
    unapproved = approval_blocks(config, desired, plan, os.environ if env is None else env).blocked \
        if at_default_tip(root, remote) else {}
    # With the credentials publish has, what publish would hold back for the instance's limits now.
    refused = instance_limit_blocks(config, desired, plan, opened, root) if opened else {}
    if unapproved or refused:
        plan = make_plan(desired.targets, ledger, replace(ctx, unapproved=unapproved, refused=refused))
    return plan, desired, verdicts


def plan_command(root: Path, *, now: datetime | None, until: datetime | None, fmt: str, echo: Echo,
                 allow_mass_retract: bool = False, lint: LintFn = lint_verdicts,
                 env: Mapping[str, str] | None = None, changed_since: str | None = None,
                 output: str | Path | None = None) -> int:
    report.check_format("plan", fmt)
    base, config = _open(root)
    moment = now or datetime.now(UTC)
    plan, desired, verdicts = compute_plan(base, config, now=moment, until=until,
                                           allow_mass_retract=allow_mass_retract, lint=lint, env=env)
    if changed_since:
        plan = only_changed(plan, desired, git.changed_paths(base, changed_since))
    report.write(report.render_report("plan", fmt, PlanReport(plan, config, desired, verdicts)), echo, output)
    return 0


def only_changed(plan: Plan, desired: Desired, changed: set[str]) -> Plan:
    """The plan's actions about posts whose files (or media) are among `changed`: a pull request's own."""
    touched = changed_posts(desired, changed)
    return replace(plan, actions=tuple(a for a in plan.actions if touched(a.post)))


def changed_posts(desired: Desired, changed: set[str]) -> Callable[[str], bool]:
    """Whether a post id is about one of the `changed` paths: its file or its media changed, or, for a post
    no longer on main, a post file of that name was removed."""
    removed_ids = {post_id_from_path(p) for p in changed if p.startswith(POSTS_DIR + "/")}

    def touched(post_id: str) -> bool:
        post = desired.posts.get(post_id)
        if post is None:
            return post_id in removed_ids
        return post.path in changed or any(m.path in changed for part in post.parts for m in part.media)

    return touched


# --------------------------------------------------------------------------------------------- publish

def check_future_now(config: Config, now: datetime | None, *, allowed: bool, root: Path | None = None,
                     env: Mapping[str, str] | None = None) -> None:
    """Refuse `publish --now` later than the clock when a real platform could be posted to: it would send
    next week's posts today, to the public. The outbox is for rehearsing exactly that, and so is a real
    account whose credentials are not here (nothing can reach it: a drill on a laptop)."""
    if now is None or allowed or now <= datetime.now(UTC):
        return
    real = []
    for key, account in sorted(config.accounts.items()):
        if account.platform == "outbox":
            continue
        if root is not None and env is not None:
            try:
                get_platform(account, root, env)
            except PostopsError:
                continue   # its credentials are not here: nothing could go out to it
        real.append(key)
    if real:
        raise UsageError(f"--now {now.isoformat()} is in the future, and {', '.join('@' + k for k in real)} "
                         "publish to a real platform: every post due by then would go out now. Add "
                         "--allow-future-now if that is what you mean")


def publish_command(root: Path, *, now: datetime | None, dry_run: bool, allow_mass_retract: bool, echo: Echo,
                    env: Mapping[str, str], lint: LintFn = lint_verdicts, allow_future_now: bool = False) -> int:
    if dry_run:
        return plan_command(root, now=now, until=None, fmt="text", echo=echo,
                            allow_mass_retract=allow_mass_retract, lint=lint, env=env)

    base, config = _open(root)
    check_future_now(config, now, allowed=allow_future_now, root=base, env=env)
    result = publish(base, config, now=now, env=env, allow_mass_retract=allow_mass_retract, lint=lint, echo=echo)
    reason = paused_reason(config)
    state_pause = controls.state_pause(open_store(base, config, env).read())
    if reason:
        echo(f"paused: {reason}: nothing new is published until `postops resume` is merged")
    elif state_pause is not None:
        echo(f"paused on the state branch by {state_pause.get('by')}: {state_pause.get('reason')}: nothing new is "
             "published until `postops resume --state-branch`")
        reason = str(state_pause.get("reason"))
    for a in result.last_plan.of(ActionName.CONFLICT, ActionName.BLOCKED):
        if a.action == ActionName.BLOCKED and reason and a.reason.startswith(PAUSED):
            continue
        echo(f"{a.action} {a.post} @{a.account}: {a.reason}")
    for (post, account), why in sorted(result.missed.items()):
        echo(f"missed {post} @{account}: {why}")
    watched = watch_and_notify(base, config, now=now, env=env, echo=echo, outcomes=result.outcomes,
                               blocked=needs_attention(result.last_plan), ledger=result.ledger)
    echo(run_summary(result))
    return max(result.exit_code, watched)


def run_summary(result: RunResult) -> str:
    """The last line of a run: how many of each outcome, so that a failure or a blocked post is never
    hidden behind "0 done"."""
    counts = Counter(o.what for o in result.outcomes if o.what != OutcomeKind.MISSED)
    plan = result.last_plan
    blocked = needs_attention(plan)
    paused = [a for a in plan.of(ActionName.BLOCKED) if a.reason.startswith(PAUSED)]
    waiting = plan.of(ActionName.WAIT)
    shown = [(counts[OutcomeKind.PUBLISHED], "published"), (counts[OutcomeKind.RETRACTED], "retracted"),
             (counts[OutcomeKind.FAILED], "failed"), (len(result.missed), "missed"), (len(blocked), "blocked")]
    # The rarer outcomes only when they happened: the line stays short on an ordinary run.
    shown += [(n, label) for n, label in ((counts[OutcomeKind.RESOLVED], "resolved"),
                                          (counts[OutcomeKind.RELEASED], "released"),
                                          (counts[OutcomeKind.UNKNOWN], "in doubt"),
                                          (len(plan.of(ActionName.CONFLICT)), "conflicts"),
                                          (len(paused), "paused")) if n]
    shown.append((len(waiting), "waiting"))
    line = ", ".join(f"{n} {label}" for n, label in shown)
    times = [a.at for a in waiting if a.at]
    return line + (f", next at {min(times).isoformat()}" if times else "")


def publish_steps(root: Path, *, now: datetime | None, env: Mapping[str, str],
                  allow_mass_retract: bool = False) -> list[Step]:
    """What a publish run would do now, per account: for the "are you sure?" a person gets in a terminal."""
    base, config = _open(root)
    plan, _, _ = compute_plan(base, config, now=now or datetime.now(UTC), allow_mass_retract=allow_mass_retract,
                              env=env)
    steps = []
    for action in plan.actions:
        account = config.accounts.get(action.account)
        # a first publication checked on the platform first goes out in the same run when it is not there
        checked = action.action == "resolve" and action.kind == ActionKind.CHECK
        if account is None or not (checked or action.action in ("publish", "retract")):
            continue
        parts = f" ({len(action.parts)} parts)" if len(action.parts) > 1 else ""
        verb = "take down" if action.action == "retract" else "publish"
        steps.append(Step(account, f"{verb} {action.post}{parts}"
                          + (" (unless the platform already has it)" if checked else "")))
    return steps



# --------------------------------------------------------------------------------------- crisis levers

def actor(root: Path, env: Mapping[str, str]) -> str:
    """Who pulls a lever: the person who started the CI job, else git's user here."""
    for variable, forge in (("GITHUB_ACTOR", "GitHub"), ("GITLAB_USER_LOGIN", "GitLab")):
        if env.get(variable):
            return f"@{env[variable]} ({forge})"
    return who_am_i(root) or "unknown"


def live_pairs(ledger: Ledger) -> dict[tuple[str, str], datetime | None]:
    """(post, account) -> when its first part went out, for every post with a part live on an account."""
    live: dict[tuple[str, str], datetime | None] = {}
    for (post, account, part), state in ledger.parts.items():
        if state.status == "published" and state.published is not None:
            at = times.parse_time(state.published.get("at"))
            if (post, account) not in live or (part == 0 and at is not None):
                live[(post, account)] = at
    return live


def retract_command(root: Path, *, posts: Sequence[str], since: datetime | None, account: str | None,
                    reason: str, now: datetime | None, echo: Echo, env: Mapping[str, str],
                    allow_mass_retract: bool = False) -> int:
    """Take posts down now, without a pull request: record a request for each on the state branch (so the
    id is never published again), then run a publish round that only takes posts down."""
    base, config = _open(root)
    when = now or datetime.now(UTC)
    if not reason.strip():
        raise UsageError('say why: postops retract ... --reason "..."')
    if not posts and since is None:
        raise UsageError("name the posts to take down, or --since TIME for every post published since then")
    if since is not None and since > when:
        raise UsageError(f"--since {since.isoformat()} is in the future: nothing can have been published since")
    if account is not None and account not in config.accounts:
        raise UsageError(f"--account {account}: no such account in postops.yaml")
    store = open_store(base, config, env)
    live = live_pairs(store.read(fetch=True))
    unknown = [p for p in posts if not any(post == p for post, _ in live)]
    if unknown:
        raise UsageError(f"not live on any account, so nothing to take down: {', '.join(unknown)} "
                         "(`postops status` lists what is published)")
    chosen = sorted((post, key) for (post, key), at in live.items()
                    if (account is None or key == account)
                    and (post in posts or (since is not None and at is not None and at >= since)))
    if not chosen:
        echo("nothing published matches: nothing to take down")
        return 0
    by = actor(base, env)
    controls.record(store, [controls.control_event(controls.RETRACT_REQUESTED, by=by, at=when, reason=reason,
                                                   post=post, account=key) for post, key in chosen],
                    f"postops retract: {len(chosen)} requested by {by}")
    for post, key in chosen:
        echo(f"retract requested: {post} @{key} ({reason})")
    # This run only takes posts down: a crisis is no time to send what else happens to be due.
    held = replace(config, paused={"reason": "postops retract: this run only takes posts down"})
    result = publish(base, held, now=now, env=env, allow_mass_retract=allow_mass_retract, lint=lambda r, c: {},
                     echo=echo)
    for a in result.last_plan.of(ActionName.BLOCKED):
        if a.kind == "retract":
            echo(f"blocked {a.post} @{a.account}: {a.reason}")
    done = sum(1 for o in result.outcomes if o.what == "retracted")
    echo(f"{done} parts taken down")
    failures = _notify(config, env, run_alerts(result.outcomes, []), echo)
    return max(result.exit_code, 1 if failures else 0)


def _notify(config: Config, env: Mapping[str, str], alerts: Sequence[Alert], echo: Echo) -> list[str]:
    """Send `alerts` to the targets in notify:, saying every failure, and every target that cannot work
    even when there is nothing to send (a broken alert path must not wait for a crisis to show); never
    raises."""
    if not config.notify:
        return []
    notifier = Notifier(config.notify, env)
    failures = notifier.problems() + (notifier.send(alerts) if alerts else [])
    for line in failures:
        echo(line)
    return failures


def pause_on_branch(root: Path, *, reason: str, now: datetime | None, echo: Echo, env: Mapping[str, str]) -> int:
    """`postops pause --state-branch`: stop publishing at the next run, no pull request needed."""
    base, config = _open(root)
    if not reason.strip():
        raise UsageError('say why: postops pause --reason "..."')
    by = actor(base, env)
    when = now or datetime.now(UTC)
    controls.record(open_store(base, config, env),
                    [controls.control_event(controls.PAUSED, by=by, at=when, reason=reason)],
                    f"postops pause by {by}: {reason}")
    echo(f"paused on the state branch by {by}: {reason} (from the next publish run; "
         "`postops resume --state-branch` lifts it)")
    alert = Alert(AlertKind.PAUSED, None, None, f"publishing paused by {by}: {reason}",
                  "nothing new goes out until `postops resume --state-branch`; retractions still run")
    return 1 if _notify(config, env, [alert], echo) else 0


def resume_on_branch(root: Path, *, now: datetime | None, echo: Echo, env: Mapping[str, str]) -> int:
    base, config = _open(root)
    store = open_store(base, config, env)
    if controls.state_pause(store.read(fetch=True)) is None:
        echo("publishing is not paused on the state branch")
        return 0
    by = actor(base, env)
    controls.record(store, [controls.control_event(controls.RESUMED, by=by, at=now or datetime.now(UTC))],
                    f"postops resume by {by}")
    echo(f"resumed on the state branch by {by}"
         + (f"; still paused by postops.yaml: {paused_reason(config)}" if config.paused else ""))
    alert = Alert(AlertKind.RESUMED, None, None, f"publishing resumed by {by}",
                  "due posts still within max_delay go out at the next run; `postops plan` lists them")
    return 1 if _notify(config, env, [alert], echo) else 0


def resume_preview(root: Path, *, now: datetime | None, env: Mapping[str, str]) -> list[Step]:
    """What goes out at once when publishing resumes: due posts still inside max_delay."""
    base, config = _open(root)
    unpaused = replace(config, paused=None)
    plan, _, _ = compute_plan(base, unpaused, now=now or datetime.now(UTC), env=env, ignore_state_pause=True)
    return [Step(config.accounts[a.account], f"publish {a.post}" + (f" (due {a.at:%Y-%m-%d %H:%M %Z})" if a.at else ""))
            for a in plan.actions if a.action == "publish" and a.account in config.accounts]



DISPATCH_ACTIONS = ("publish", "pause", "resume", "retract", "repair")


def dispatch_command(root: Path, *, now: datetime | None, echo: Echo, env: Mapping[str, str]) -> int:
    """`postops dispatch`: the publish job started by hand. POSTOPS_ACTION picks a lever (publish, pause,
    resume, retract, repair: `postops verify --repair` where the CI's ledger memory lives) with POSTOPS_REASON, POSTOPS_POSTS, POSTOPS_SINCE, POSTOPS_ACCOUNT and
    POSTOPS_ALLOW_MASS_RETRACT; then the usual publish run follows, so the job always leaves the accounts
    as main and the ledger say. Everything is checked before anything is done."""
    action = (env.get("POSTOPS_ACTION") or "publish").strip()
    reason = (env.get("POSTOPS_REASON") or "").strip()
    posts = (env.get("POSTOPS_POSTS") or "").split()
    account = (env.get("POSTOPS_ACCOUNT") or "").strip() or None
    since_text = (env.get("POSTOPS_SINCE") or "").strip()
    mass = (env.get("POSTOPS_ALLOW_MASS_RETRACT") or "").strip().lower() in ("1", "true", "yes")
    if action not in DISPATCH_ACTIONS:
        raise UsageError(f"POSTOPS_ACTION={action!r}: use one of {', '.join(DISPATCH_ACTIONS)}")
    if action in ("pause", "retract", "repair") and not reason:
        raise UsageError(f"POSTOPS_ACTION={action} needs POSTOPS_REASON: say why, it is recorded with your name")
    if mass and not reason:
        raise UsageError("POSTOPS_ALLOW_MASS_RETRACT needs POSTOPS_REASON: say why so many posts come down")
    if action != "retract" and (posts or since_text or account):
        raise UsageError("POSTOPS_POSTS, POSTOPS_SINCE and POSTOPS_ACCOUNT are for POSTOPS_ACTION=retract")
    base, config = _open(root)
    since = parse_time(since_text, lambda: config.timezone) if since_text else None
    code = 0
    if action == "pause":
        code = pause_on_branch(base, reason=reason, now=now, echo=echo, env=env)
    elif action == "resume":
        code = resume_on_branch(base, now=now, echo=echo, env=env)
    elif action == "repair":
        code = verify(base, config, repair=True, reason=reason, now=now or datetime.now(UTC), who=actor(base, env),
                      echo=echo, env=env)
    elif action == "retract":
        code = retract_command(base, posts=posts, since=since, account=account, reason=reason, now=now, echo=echo,
                               env=env, allow_mass_retract=mass)
    if mass:
        echo(f"mass retraction allowed by {actor(base, env)}: {reason}")
    return max(code, publish_command(base, now=now, dry_run=False, allow_mass_retract=mass, echo=echo, env=env))


# ----------------------------------------------------------------------------------------------- watch

def watch_and_notify(root: Path, config: Config, *, now: datetime | None, env: Mapping[str, str], echo: Echo,
                     outcomes: Sequence[Any] = (), blocked: Sequence[Any] = (),
                     platforms: Callable[..., Platform] = get_platform, ledger: Ledger | None = None,
                     alone: bool = False) -> int:
    """Look for posts made outside postops on every account whose credentials are here, then send the
    alerts of this run (what publish did, and what watch found). Returns 1 when watch found something or a
    notification failed: someone must be told, and a red run is how CI tells. `alone` (`postops watch`):
    also 1 when no account could be watched, since then nothing was looked at."""
    when = now or datetime.now(UTC)
    watched: dict[str, Platform] = {}
    for key, account in sorted(config.accounts.items()):
        try:
            watched[key] = platforms(account, root, env)
        except PostopsError as exc:
            # said every run, never a failure: a laptop or a pull request has no credentials
            echo(f"watch @{key}: not watched here: {exc.message}")
    store = open_store(root, config, env)
    outcome = watch(store, config, now=when, platforms=watched, run=new_run_id(when), by=this_publisher(),
                    judge=lambda account, text: lint_text(root, config, account, text), ledger=ledger)
    for line in outcome.lines:
        echo(line)
    failures = _notify(config, env, [*run_alerts(outcomes, blocked), *outcome.alerts], echo)
    if alone and not outcome.read:
        # an account whose posts it was said before that these credentials cannot read is skipped quietly:
        # on its own, watch must not pass that off as having found nothing
        echo("watch: nothing was looked at: " + ("no account's credentials are here" if not watched else
             f"the posts of {', '.join('@' + key for key in watched)} cannot be read here"))
        return 1
    if alone and not outcome.exit_code and not failures:
        unread = [key for key in sorted(config.accounts) if key not in outcome.read]
        echo("nothing posted outside postops" + (f" (not looked at: {', '.join('@' + k for k in unread)})"
                                                  if unread else ""))
    return 1 if outcome.exit_code or failures else 0


def watch_command(root: Path, *, now: datetime | None, echo: Echo, env: Mapping[str, str],
                  platforms: Callable[..., Platform] = get_platform) -> int:
    base, config = _open(root)
    return watch_and_notify(base, config, now=now, env=env, echo=echo, platforms=platforms, alone=True)


# ---------------------------------------------------------------------------------------------- status

@dataclass(frozen=True)
class States:
    """What `postops status` and `postops calendar` show, read once: every post's state with what it came from."""

    plan: Plan
    desired: Desired
    ledger: Ledger
    states: list[dict[str, Any]]


def read_states(root: Path, config: Config, *, now: datetime, lint: LintFn, err: Echo,
                env: Mapping[str, str] | None = None, credentials: bool = False) -> States:
    """`credentials`: hold due posts back for the credentials missing from `env`, as publish would."""
    plan, desired, _ = compute_plan(root, config, now=now, lint=lint, env=env, credentials=credentials)
    ledger = read_ledger(root, config)
    if ledger.damaged:
        branch = config.state_branch
        err(f"warning: {ledger.damaged} line(s) of the ledger on {branch} cannot be read and were "
            f"skipped; see `git log -p {branch}`")
    return States(plan, desired, ledger, post_states(plan, ledger, desired))


def status_command(root: Path, *, fmt: str, now: datetime | None, echo: Echo, lint: LintFn = lint_verdicts,
                   err: Echo | None = None, output: str | Path | None = None,
                   env: Mapping[str, str] | None = None, account: str | None = None,
                   since: datetime | None = None) -> int:
    """`postops status`: every post's state, only `account`'s and only those published or due at or after
    `since` when given."""
    report.check_format("status", fmt)
    base, config = _open(root)
    if account is not None:
        known_account(config, account)
    moment = now or datetime.now(UTC)
    for warning in token_warnings(config.accounts, base, env or {}, moment):
        (err or echo)(f"warning: {warning}")
    states = read_states(base, config, now=moment, lint=lint, err=err or echo, env=env, credentials=True).states
    states = [s for s in states if (account is None or s["account"] == account)
              and (since is None or any(when >= since for when in _times(s)))]
    ledger = read_ledger(base, config)
    unmanaged = tuple({k: v for k, v in e.items() if k not in ("event", "run", "by")} for e in ledger.log
                      if e.get("event") == "unmanaged" and (account is None or e.get("account") == account))
    pause = controls.state_pause(ledger)
    report.write(report.render_report("status", fmt, StatusReport(
        states, config, unmanaged, {k: pause.get(k) for k in ("reason", "by", "at")} if pause else None)), echo, output)
    return 0


def _times(entry: Mapping[str, Any]) -> list[datetime]:
    """When a post went out (each part) or is due, as status shows it."""
    found = [entry.get("published_at"), entry.get("at")] + [p.get("published_at") for p in entry["parts"]]
    return [datetime.fromisoformat(t) for t in found if isinstance(t, str)]


# -------------------------------------------------------------------------------------- pause, resume

def pause_command(root: Path, *, reason: str, commit: bool, echo: Echo, now: datetime | None = None) -> int:
    base, _ = _open(root)
    if not reason.strip():
        raise UsageError("say why: postops pause --reason \"...\"")
    since = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    by = who_am_i(base)
    set_paused(base, {"reason": reason, "since": since, **({"by": by} if by else {})})
    if commit:
        git.commit_paths(base, ["postops.yaml"], f"Pause publishing: {reason}")
    echo(f"paused: {reason}" + ("" if commit else " (postops.yaml changed: commit and merge it)"))
    return 0


def resume_command(root: Path, *, commit: bool, echo: Echo) -> int:
    base, config = _open(root)
    if not config.paused:
        echo("publishing is not paused")
        return 0
    set_paused(base, None)
    if commit:
        git.commit_paths(base, ["postops.yaml"], "Resume publishing")
    echo("resumed" + ("" if commit else " (postops.yaml changed: commit and merge it)"))
    return 0


def who_am_i(root: Path) -> str | None:
    """The person running postops here: git's user.name, else the login name."""
    result = git.run(root, "config", "--get", "user.name", check=False) if git.is_repository(root) else None
    name = result.stdout.decode().strip() if result is not None and result.returncode == 0 else ""
    return name or os.environ.get("USER") or None
