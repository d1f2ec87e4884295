""""Are you sure?": before a person publishes, retracts or pauses from a terminal, show what will happen on
which account and have them type the account's handle (or `yes`).

The seed's failure was a message sent from the wrong account. Typing the handle makes the person read which
account they are about to speak as; `yes` is enough where nothing reaches the public (the outbox) and for
a pause, which only stops things. Never asked without a terminal (CI), nor with --yes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from postops.repo.config import Account


@dataclass(frozen=True)
class Step:
    account: Account
    what: str                          # e.g. "publish 2026-11-24-report-launch (2 parts)"


def handle_of(account: Account) -> str:
    return "@" + (account.handle or account.key).strip().lstrip("@")


def _public(account: Account) -> bool:
    return account.platform != "outbox"


def confirm(steps: Iterable[Step], *, ask: Callable[[str], str], say: Callable[[str], None],
            bold: Callable[[str], str] = lambda s: s, verb: str = "do this") -> bool:
    """Show `steps` grouped by account and ask; True when the person confirmed every account.

    For each account on a real platform the person types its handle (with or without the @, in any case);
    for the rest, one `yes`."""
    by_account: dict[str, list[Step]] = {}
    accounts: dict[str, Account] = {}
    for step in steps:
        by_account.setdefault(step.account.key, []).append(step)
        accounts[step.account.key] = step.account
    if not by_account:
        return True
    for key in sorted(by_account):
        account = accounts[key]
        where = f"{account.platform}" if _public(account) else "the local outbox, nothing public"
        say(f"On {bold(handle_of(account))} ({where}):")
        for step in by_account[key]:
            say(f"  {step.what}")
    public = [accounts[k] for k in sorted(by_account) if _public(accounts[k])]
    for account in public:
        typed = ask(f"To {verb} as {bold(handle_of(account))}, type its handle")
        if typed.strip().lstrip("@").lower() != handle_of(account)[1:].lower():
            say(f"{typed.strip()!r} is not {handle_of(account)}: nothing was done")
            return False
    if not public:
        typed = ask(f"To {verb}, type yes")
        if typed.strip().lower() != "yes":
            say("nothing was done")
            return False
    return True


def confirm_yes(lines: Iterable[str], *, ask: Callable[[str], str], say: Callable[[str], None],
                verb: str = "do this") -> bool:
    """Show `lines` and have the person type yes."""
    for line in lines:
        say(line)
    if ask(f"To {verb}, type yes").strip().lower() != "yes":
        say("nothing was done")
        return False
    return True
