"""The command line: parse options, call one function, render, exit. Only this module knows click."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from postops import __version__
from postops.errors import UsageError, handle
from postops.report import formats, render, write

if TYPE_CHECKING:  # for the annotations only: each command imports what it runs
    from postops.lint.engine import PublishedState
    from postops.repo.config import Config


def _handle_errors(func: Callable[..., int]) -> Callable[..., None]:
    """Every command runs through the one error handler (errors.handle): a user-caused error is one line
    and its exit code, a crash keeps its traceback (see there)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        def repository() -> Path | None:
            return _root(kwargs.get("repo"))

        sys.exit(handle(lambda: func(*args, **kwargs) or 0, repository=repository,
                        passthrough=(click.exceptions.Exit, click.exceptions.Abort, click.ClickException)))

    return wrapper


def _root(repo: str | None) -> Path:
    from postops.repo.config import find_root

    return find_root(Path(repo) if repo else Path.cwd())


def _parse_time(value: str | None, option: str, repo: str | None) -> datetime | None:
    """A time from the command line: ISO 8601 with an offset, or without one in postops.yaml's timezone, the
    same way for every option (`new --at` too)."""
    if value is None:
        return None
    from postops.repo.config import load_config
    from postops.times import parse_option_time

    try:
        return parse_option_time(value, lambda: load_config(_root(repo)).timezone)
    except UsageError as exc:
        raise UsageError(f"{option}: {exc.message}") from None


def _err(line: str) -> None:
    click.echo(line, err=True)


def format_option(command: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--format`: exactly the formats the report registry has for `command`, `text` the default."""
    choices = formats(command)
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help=help)


output_option = click.option("--output", "-o", type=click.Path(dir_okay=False),
                             help="Write the report to FILE (whole, or not at all) instead of standard output.")

yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (it is only asked in a "
                          "terminal, never in CI).")


def _asks(yes: bool) -> bool:
    """Whether to ask "are you sure?": a person at a terminal who did not say --yes."""
    return not yes and sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str) -> str:
    return str(click.prompt(question, default="", show_default=False))


def _bold(text: str) -> str:
    return click.style(text, bold=True)


repo_option = click.option("--repo", "-C", metavar="DIR", help="The content repository (default: the one "
                           "containing the current folder).")

# Every TIME option reads its value the same way (see _parse_time); the help says so once, here.
TIME_FORM = "ISO 8601: 2026-11-24T09:00 in postops.yaml's timezone, or with an offset, 2026-11-24T09:00-05:00"

now_option = click.option("--now", metavar="TIME", help=f"Act as if it were TIME ({TIME_FORM}): for drills and "
                          "rehearsals. Replaces the clock everywhere: due times, min_lead, leases.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postops")
def main() -> None:
    """Run your organisation's official social media accounts like code."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@repo_option
@format_option("lint", "text: one line per finding, for people; json: for programs; github: annotations on a "
               "pull request's diff; sarif: for GitHub code scanning and other review tools.")
@output_option
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True,
              help="Exit 1 when there are findings at or above this severity.")
@click.option("--quiet", "-q", is_flag=True, help="Only the findings, no summary.")
@click.option("--no-cache", is_flag=True, help="Lint every file again, ignoring and not updating the results "
              "kept in .postops/cache/.")
@click.option("--now", metavar="TIME", help=f"Judge a publish_at already past as if it were TIME ({TIME_FORM}) "
              "instead of the clock: for drills and tests.")
@_handle_errors
def lint(paths: tuple[str, ...], repo: str | None, fmt: str, output: str | None, fail_on: str,
         quiet: bool, no_cache: bool, now: str | None) -> int:
    """Check posts (all of them, or PATHS) against the built-in rules and the policies."""
    from postops.lint.engine import run_lint
    from postops.repo.config import load_config

    root = _root(repo)
    config = load_config(root)
    when = _parse_time(now, "--now", repo) or datetime.now(UTC)
    result = run_lint(root, config, list(paths) if paths else None, state=_published_state(root, config),
                      cache=not no_cache, now=when)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    write(render(result, fmt, quiet=quiet, color=color), click.echo, output)
    return 1 if result.fails(fail_on) else 0


@main.command()
@repo_option
@click.option("--check", is_flag=True, help="Only check: exit 1 when CODEOWNERS differs from postops.yaml.")
@click.option("--path", "path", default=None, metavar="FILE",
              help="Where CODEOWNERS is (default: the one the forge reads, else where it looks first).")
@click.option("--ci", "forge", type=click.Choice(["github", "gitlab"]), default=None,
              help="The forge whose lookup order counts (default: gitlab when .gitlab-ci.yml exists and "
              ".github/workflows/ does not, else github).")
@_handle_errors
def codeowners(repo: str | None, check: bool, path: str | None, forge: str | None) -> int:
    """Write CODEOWNERS from postops.yaml: who must approve posts for each account."""
    from postops.repo.codeowners import codeowners_command

    return codeowners_command(_root(repo), check=check, echo=click.echo, path=path, forge=forge)


@main.command()
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT]...")
@repo_option
@click.option("--refresh", is_flag=True, help="Read each instance's limits (GET /api/v2/instance, no token needed) "
              "into postops.limits.yaml, for lint; then commit that file.")
@click.option("--check", is_flag=True, help="Only check: exit 1 when an instance's limits differ from "
              "postops.limits.yaml.")
@_handle_errors
def limits(accounts: tuple[str, ...], repo: str | None, refresh: bool, check: bool) -> int:
    """Show each Mastodon account's instance limits, or read them from the instances."""
    from postops.repo.limits import limits_command

    if refresh and check:
        raise UsageError("--refresh and --check: use one")
    return limits_command(_root(repo), accounts, refresh=refresh, check=check, echo=click.echo,
                          now=datetime.now(UTC))


@main.command()
@repo_option
@click.option("--ci", type=click.Choice(["github", "gitlab"]), default=None,
              help="The forge to write for (default: gitlab when .gitlab-ci.yml exists and .github/workflows/ "
              "does not, else github).")
@click.option("--force", is_flag=True, help="Replace the CI files that exist (they are generated: edit "
              "postops.yaml, not them).")
@click.option("--check", is_flag=True, help="Only check: exit 1 when a CI file is not what postops.yaml "
              "generates or a reference to postops disagrees with its `source:`.")
@_handle_errors
def workflows(repo: str | None, ci: str | None, force: bool, check: bool) -> int:
    """Write the CI workflows again from postops.yaml (after adding an account: its secrets' names)."""
    from postops.repo.codeowners import detect_forge
    from postops.repo.config import load_config
    from postops.scaffold.workflows import check_workflows_command, write_workflows

    root = _root(repo)
    ci = ci or detect_forge(root)
    if check:
        return check_workflows_command(root, ci, load_config(root), echo=click.echo)
    for path in write_workflows(root, ci, load_config(root), force=force):
        click.echo(f"wrote {path.relative_to(root).as_posix()}")
    return 0


def _published_state(root: Path, config: Config) -> PublishedState | None:
    """The ledger's view of what was published, when this repository has a ledger."""
    from postops.publish.ledger import lint_state

    return lint_state(root, config)


@main.command()
@click.option("--policy", is_flag=True, help="Print the schema of a policy file (policies/*.yaml) instead.")
def schema(policy: bool) -> None:
    """Print the JSON Schema of a post file (for editors: yaml-language-server)."""
    import json

    if policy:
        from postops.lint.policy_schema import POLICY_META_SCHEMA as printed
    else:
        from postops.repo.schemas import POST_SCHEMA as printed
    click.echo(json.dumps(printed, indent=2))


@main.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="github", show_default=True,
              help="Which CI workflows to write (lint and plan on pull requests, publish on a schedule).")
@click.option("--from", "from_", metavar="OWNER/REPO@REF", default=None,
              help="The copy of postops CI and pre-commit use (a tag, branch or commit of it): kept in "
              "postops.yaml, every reference pinned to its commit.")
@_handle_errors
def init(directory: str, force: bool, ci: str, from_: str | None) -> int:
    """Create a content repository in DIRECTORY (default: here) with example policies and posts."""
    from postops.scaffold.init import init_repo, next_steps
    from postops.scaffold.source import resolve_from

    target = Path(directory)
    written = init_repo(target, force=force, ci=ci, source=resolve_from(from_) if from_ else None)
    click.echo(f"Created a postops repository in {target.resolve()}:")
    for path in written:
        rel = path.relative_to(target).as_posix()
        click.echo(f"  {rel}/ (git repository, branch main)" if rel == ".git" else f"  {rel}")
    click.echo(next_steps(target))
    return 0


@main.command()
@click.argument("account")
@click.argument("text", required=False)
@click.option("--at", "at", metavar="TIME", help="When to publish: ISO 8601, e.g. 2026-11-24T09:00 (read in "
              "postops.yaml's timezone) or 2026-11-24T09:00:00-05:00.")
@click.option("--now", metavar="TIME", help=f"Lint the new post as if it were TIME ({TIME_FORM}): whether its "
              "publish_at is already past. For drills and tests.")
@repo_option
@_handle_errors
def new(account: str, text: str | None, at: str | None, now: str | None, repo: str | None) -> int:
    """Write a new post for ACCOUNT (opens $EDITOR without TEXT), then lint it."""
    from postops.repo.config import load_config
    from postops.scaffold.newpost import lint_new_post, new_post

    root = _root(repo)
    config = load_config(root)
    state = _published_state(root, config)
    post = new_post(root, config, account, text, at, reserved=getattr(state, "retracted", ()),
                    edit=lambda template: click.edit(template, extension=".txt"))
    click.echo(f"wrote {post.rel}")
    result = lint_new_post(root, config, post, state, now=_parse_time(now, "--now", repo) or datetime.now(UTC))
    from postops.report.text import format_finding

    for finding in result.findings:
        click.echo(format_finding(finding))
    if result.fails("error"):
        click.echo(f"{post.rel} was kept: fix it, then run `postops lint {post.rel}`", err=True)
        return 1
    return 0


@main.command("import")
@click.argument("tool", type=click.Choice(["twitter-together", "toot-together"]))
@click.argument("source_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--account", required=True, help="The account the posts are for (a key in postops.yaml).")
@click.option("--dry-run", is_flag=True, help="Only show what would be written.")
@click.option("--published", is_flag=True, help="They were published already: record them so in the ledger, "
              "so that they are never published again.")
@repo_option
@_handle_errors
def import_(tool: str, source_dir: str, account: str, dry_run: bool, published: bool, repo: str | None) -> int:
    """Turn the .tweet (twitter-together) or .toot (toot-together) files under SOURCE_DIR into posts of ACCOUNT."""
    from postops.repo.config import load_config
    from postops.scaffold.importer import import_command

    root = _root(repo)
    return import_command(root, load_config(root), tool, Path(source_dir), account=account, dry_run=dry_run,
                          published=published, echo=click.echo).exit_code



@main.command()
@repo_option
@now_option
@click.option("--until", metavar="TIME", help="Also list what would go out up to TIME (like --now): a preview of "
              "the schedule.")
@format_option("plan", "text: a table, for people; json: for programs; markdown: a pull request comment.")
@output_option
@click.option("--allow-mass-retract", is_flag=True, help="Plan retractions beyond publish.max_retractions.")
@click.option("--changed-since", metavar="REF", help="Only posts whose files changed since REF (e.g. "
              "origin/main): what a pull request changes.")
@_handle_errors
def plan(repo: str | None, now: str | None, until: str | None, fmt: str, output: str | None,
         allow_mass_retract: bool, changed_since: str | None) -> int:
    """Show what a publish run would do now, and why."""
    from postops.publish.commands import plan_command

    return plan_command(_root(repo), now=_parse_time(now, "--now", repo), until=_parse_time(until, "--until", repo), fmt=fmt,
                        echo=click.echo, allow_mass_retract=allow_mass_retract, changed_since=changed_since,
                        output=output)


@main.command()
@repo_option
@now_option
@click.option("--dry-run", is_flag=True, help="Only show the plan (the same as `postops plan`).")
@click.option("--allow-mass-retract", is_flag=True,
              help="Retract more posts in this run than publish.max_retractions allows.")
@click.option("--allow-future-now", is_flag=True,
              help="Take a --now later than the clock although an account is a real platform (everything due "
                   "by then goes out now).")
@yes_option
@_handle_errors
def publish(repo: str | None, now: str | None, dry_run: bool, allow_mass_retract: bool, allow_future_now: bool,
            yes: bool) -> int:
    """Publish what is due and retract what was removed, recording every step in the ledger."""
    from postops.confirm import confirm
    from postops.publish.commands import check_future_now, publish_command, publish_steps
    from postops.repo.config import find_root, load_config

    root, when = _root(repo), _parse_time(now, "--now", repo)
    if not dry_run:   # before asking "are you sure?" about a run that would be refused
        check_future_now(load_config(find_root(root)), when, allowed=allow_future_now, root=find_root(root),
                         env=os.environ)
    if not dry_run and _asks(yes):
        steps = publish_steps(root, now=when, env=os.environ, allow_mass_retract=allow_mass_retract)
        if not confirm(steps, ask=_ask, say=click.echo, bold=_bold, verb="publish"):
            return 1
    return publish_command(root, now=when, dry_run=dry_run, allow_mass_retract=allow_mass_retract,
                           echo=click.echo, env=os.environ, allow_future_now=allow_future_now)


@main.command()
@repo_option
@now_option
@_handle_errors
def watch(repo: str | None, now: str | None) -> int:
    """Find posts made on the accounts outside postops (every publish run does this too), and alert."""
    from postops.publish.commands import watch_command

    return watch_command(_root(repo), now=_parse_time(now, "--now", repo), echo=click.echo, env=os.environ)


@main.command()
@repo_option
@now_option
@format_option("status", "text: one line per post and account, for people; json: for programs.")
@output_option
@click.option("--account", metavar="ACCOUNT", help="Only the posts for ACCOUNT (a key in postops.yaml).")
@click.option("--since", metavar="TIME", help="Only the posts published, or due, at or after TIME (like --now).")
@_handle_errors
def status(repo: str | None, now: str | None, fmt: str, output: str | None, account: str | None,
           since: str | None) -> int:
    """Every post and its state: scheduled, published (with its URL), retracted, missed, failed, ..."""
    from postops.publish.commands import status_command

    return status_command(_root(repo), fmt=fmt, now=_parse_time(now, "--now", repo), echo=click.echo, err=_err,
                          output=output, env=os.environ, account=account, since=_parse_time(since, "--since", repo))


@main.command()
@repo_option
@now_option
@format_option("calendar", "text: one line per post and account; markdown: to read or paste; ics: a feed to subscribe to in a calendar application; html: one "
               "self-contained page with a month and a week view per account.")
@click.option("--from", "start", metavar="TIME", help=f"Only posts at or after TIME ({TIME_FORM}; or a date).")
@click.option("--until", "end", metavar="TIME", help="Only posts before TIME (a date: up to the end of that day).")
@click.option("--account", "accounts", multiple=True, metavar="KEY", help="Only this account (repeatable).")
@click.option("--changed-since", metavar="REF", help="Mark the posts whose files changed since REF (e.g. "
              "origin/main): what a pull request changes.")
@output_option
@_handle_errors
def calendar(repo: str | None, now: str | None, fmt: str, start: str | None, end: str | None,
             accounts: tuple[str, ...], changed_since: str | None, output: str | None) -> int:
    """Every post on a calendar, per account, with its state: to subscribe to (ics), to open (html), to read."""
    from postops.publish.calendar import calendar_command

    return calendar_command(_root(repo), fmt=fmt, now=_parse_time(now, "--now", repo), echo=click.echo, err=_err,
                            accounts=accounts, start=start, end=end, changed_since=changed_since,
                            output=output)


@main.command()
@repo_option
@now_option
@click.option("--reason", required=True, help="Why: shown by every publish run while paused.")
@click.option("--commit", is_flag=True, help="Commit the change to postops.yaml (then push and merge it).")
@click.option("--state-branch", is_flag=True, help="Record the pause on the state branch instead: effective at "
              "the next run, no pull request (see docs/crisis.md).")
@yes_option
@_handle_errors
def pause(repo: str | None, now: str | None, reason: str, commit: bool, state_branch: bool, yes: bool) -> int:
    """Stop all publishing (the kill switch). Retractions still run."""
    from postops.confirm import confirm_yes
    from postops.publish.commands import pause_command, pause_on_branch

    root = _root(repo)
    if _asks(yes) and not confirm_yes([f"Pause all publishing: {_bold(reason)}"], ask=_ask, say=click.echo,
                                      verb="pause"):
        return 1
    if state_branch:
        return pause_on_branch(root, reason=reason, now=_parse_time(now, "--now", repo), echo=click.echo, env=os.environ)
    return pause_command(root, reason=reason, commit=commit, echo=click.echo)


@main.command()
@repo_option
@now_option
@click.option("--commit", is_flag=True, help="Commit the change to postops.yaml (then push and merge it).")
@click.option("--state-branch", is_flag=True, help="Lift a pause recorded on the state branch.")
@yes_option
@_handle_errors
def resume(repo: str | None, now: str | None, commit: bool, state_branch: bool, yes: bool) -> int:
    """Lift a pause. In a terminal, first shows what goes out at once and asks."""
    from postops.confirm import confirm
    from postops.publish.commands import resume_command, resume_on_branch, resume_preview

    root, when = _root(repo), _parse_time(now, "--now", repo)
    if _asks(yes):
        steps = resume_preview(root, now=when, env=os.environ)
        if not steps:
            click.echo("Nothing is due: resuming sends nothing at once.")
        elif not confirm(steps, ask=_ask, say=click.echo, bold=_bold, verb="resume and publish this"):
            return 1
    if state_branch:
        return resume_on_branch(root, now=when, echo=click.echo, env=os.environ)
    return resume_command(root, commit=commit, echo=click.echo)


@main.command()
@click.argument("posts", nargs=-1)
@repo_option
@now_option
@click.option("--since", metavar="TIME", help="Every post published at or after TIME (ISO 8601).")
@click.option("--account", metavar="ACCOUNT", help="Only on this account.")
@click.option("--reason", required=True, help="Why: recorded in the ledger with who asked.")
@click.option("--allow-mass-retract", is_flag=True, help="Take down more than publish.max_retractions posts.")
@yes_option
@_handle_errors
def retract(posts: tuple[str, ...], repo: str | None, now: str | None, since: str | None, account: str | None,
            reason: str, allow_mass_retract: bool, yes: bool) -> int:
    """Take POSTS (or every post since TIME) down now, without a pull request; their ids are never published
    again."""
    from postops.confirm import Step, confirm
    from postops.publish.commands import retract_command

    root = _root(repo)
    when, start = _parse_time(now, "--now", repo), _parse_time(since, "--since", repo)
    if _asks(yes):
        from postops.repo.config import load_config

        config = load_config(root)
        accounts = [config.accounts[account]] if account in config.accounts else list(config.accounts.values())
        what = " ".join(posts) or f"every post published since {since}"
        if not confirm([Step(a, f"take down {what}") for a in accounts], ask=_ask, say=click.echo, bold=_bold,
                       verb="take posts down"):
            return 1
    return retract_command(root, posts=posts, since=start, account=account, reason=reason, now=when,
                           echo=click.echo, env=os.environ, allow_mass_retract=allow_mass_retract)


@main.command()
@repo_option
@now_option
@_handle_errors
def dispatch(repo: str | None, now: str | None) -> int:
    """The publish job started by hand: the lever in POSTOPS_ACTION (publish, pause, resume, retract or repair,
    with POSTOPS_REASON, POSTOPS_POSTS, POSTOPS_SINCE, POSTOPS_ACCOUNT, POSTOPS_ALLOW_MASS_RETRACT), then
    publish. POSTOPS_LEDGER_MEMORY names the file that remembers the ledger between CI jobs."""
    from postops.publish.commands import dispatch_command

    return dispatch_command(_root(repo), now=_parse_time(now, "--now", repo), echo=click.echo, env=os.environ)


@main.command()
@repo_option
@click.option("--keep", metavar="DIR", type=click.Path(file_okay=False), help="Keep the scratch copy in DIR.")
@_handle_errors
def drill(repo: str | None, keep: str | None) -> int:
    """Rehearse a crisis on a scratch copy of the repository with the outbox: prints how long each lever took."""
    from postops.publish.drill import run_drill
    from postops.repo.config import load_config

    root = _root(repo)
    return run_drill(root, load_config(root), echo=click.echo, keep=Path(keep) if keep else None)


@main.command()
@click.argument("post", required=False)
@repo_option
@format_option("log", "text: each post's events, for people; json: for programs; csv: one row per event, for "
               "spreadsheets.")
@output_option
@click.option("--account", metavar="ACCOUNT", help="Only the posts for ACCOUNT (a key in postops.yaml), and "
              "of their publish events only that account's.")
@click.option("--since", metavar="TIME", help=f"Only what happened at or after TIME ({TIME_FORM}).")
@_handle_errors
def log(post: str | None, repo: str | None, fmt: str, output: str | None, account: str | None,
        since: str | None) -> int:
    """The audit trail of POST (an id or a post file), or of every post: who wrote and changed it, which pull
    request merged it, who approved it, when and where it was published, and what retracted it."""
    from postops.publish.audit import log_command

    return log_command(_root(repo), post=post, fmt=fmt, echo=click.echo, output=output, account=account,
                       since=_parse_time(since, "--since", repo))


@main.command()
@click.argument("post")
@click.option("--account", required=True, help="The account of the claim (a key in postops.yaml).")
@click.option("--part", type=click.IntRange(min=1), default=1, show_default=True,
              help="Which part: 1 is the post itself, 2.. the replies of a thread.")
@click.option("--published", "platform_id", metavar="PLATFORM_ID",
              help="It went out: its id on the platform (on X, the number at the end of its URL).")
@click.option("--url", help="With --published: its address.")
@click.option("--not-published", is_flag=True, help="It did not go out: publish it again when due.")
@repo_option
@now_option
@_handle_errors
def settle(post: str, account: str, part: int, platform_id: str | None, url: str | None, not_published: bool,
           repo: str | None, now: str | None) -> int:
    """Answer by hand for a claim left in doubt that the platform could not answer for."""
    from postops.publish.commands import who_am_i
    from postops.publish.settle import settle as settle_claim
    from postops.repo.config import load_config

    root = _root(repo)
    settle_claim(root, load_config(root), post=post, account=account, part=part - 1, platform_id=platform_id,
                 url=url, not_published=not_published, now=_parse_time(now, "--now", repo), who=who_am_i(root),
                 echo=click.echo, env=os.environ)
    return 0


@main.command()
@click.option("--repair", is_flag=True, help="Accept the ledger as it stands (a rewind, a deletion, a broken chain), "
              "recorded in it with --reason. Only for real accidents: see docs/security.md.")
@click.option("--reason", metavar="TEXT", help="With --repair: what happened (recorded).")
@repo_option
@now_option
@_handle_errors
def verify(repair: bool, reason: str | None, repo: str | None, now: str | None) -> int:
    """Check the ledger's hash chain and its agreement with main's history."""
    from postops.publish.commands import who_am_i
    from postops.publish.verify import verify as verify_ledger
    from postops.repo.config import load_config

    root = _root(repo)
    when = _parse_time(now, "--now", repo) or datetime.now(UTC)
    return verify_ledger(root, load_config(root), repair=repair, reason=reason, now=when, who=who_am_i(root),
                         echo=click.echo)
