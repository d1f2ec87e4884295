"""What holds a due post back because its server's limits, as the server says them now, would refuse it.

Lint checks a Mastodon post against the instance limits committed in postops.limits.yaml (or set in
postops.yaml), since it runs offline. An instance can lower them after that: publish asks the instance for
its limits before any call and runs lint's own platform rules (text length, poll, media) against them, so a
post the server would refuse is blocked with the reason, and no call that must fail is ever sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from postops.lint.rules import media, poll, text_length
from postops.lint.rules.base import Context as LintContext
from postops.platforms.base import Platform, PlatformError
from postops.platforms.spec import LIMIT_GROUPS, OWN_LIMITS, Limits
from postops.publish.desired import Desired
from postops.publish.plan import ActionName, Plan
from postops.repo.config import Config
from postops.repo.limits import LIMITS_FILE

# The rules whose verdict depends on the limits an instance sets.
_RULES = (text_length, poll, media)


def instance_limit_blocks(config: Config, desired: Desired, plan: Plan, platforms: Mapping[str, Platform],
                          root: Path, echo: Callable[[str], None] = lambda line: None) -> dict[tuple[str, str], str]:
    """(post, account) -> why its instance would refuse it now, for the posts `plan` publishes."""
    due: dict[str, list[str]] = {}
    for action in plan.of(ActionName.PUBLISH):
        due.setdefault(action.account, []).append(action.post)
    blocks: dict[tuple[str, str], str] = {}
    for key, posts in sorted(due.items()):
        account = config.accounts.get(key)
        read = getattr(platforms.get(key), "limits", None)
        if account is None or account.platform not in OWN_LIMITS or read is None:
            continue
        try:
            live: Limits = read()
        except PlatformError as exc:
            # Not knowing is no reason to hold a post back: lint checked it, and the server still has its say.
            echo(f"cannot read the limits of account {key}'s instance ({exc.message}); its posts are held to "
                 f"those lint used")
            continue
        lint_used = account.limits or Limits()
        live = live.over(lint_used)   # what the server does not say stays as lint had it
        if live == lint_used:
            continue
        checking = replace(account, limits=live)
        ctx = LintContext(config=replace(config, accounts={key: checking}), root=root, ids={}, measures={})
        changed = "; ".join(_change(name, lint_used, live) for name in LIMIT_GROUPS
                            if getattr(lint_used, name) != getattr(live, name))
        for post_id in posts:
            post = desired.posts.get(post_id)
            if post is None:
                continue
            hit = next((h for rule in _RULES for h in rule.check(ctx, post)), None)
            if hit is not None:
                blocks[(post_id, key)] = (
                    f"{account.instance} would refuse it: {hit.message}, by the limits it gives now ({changed}); "
                    f"run `postops limits --refresh {key}` and commit {LIMITS_FILE} (and correct the account's "
                    f"`limits` in postops.yaml, if it sets them) so that lint checks what the server does")
    return blocks


def _change(name: str, before: Limits, now: Limits) -> str:
    was = getattr(before, name)
    return f"{LIMIT_GROUPS[name]}.{name} {'default' if was is None else was} -> {getattr(now, name)}"
