"""postops.limits.yaml: each Mastodon account's instance limits as its server last gave them.

Lint runs offline (pre-commit, pull requests) and must say the same in CI as on a laptop, so it never asks
a server: it reads this file, which `postops limits --refresh` writes from each instance's GET
/api/v2/instance and which is committed and reviewed like postops.yaml. A limit an account sets in
postops.yaml (`limits:`, or `max_characters`) wins over the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postops.errors import ConfigError, PostopsError, UsageError
from postops.platforms.spec import LIMIT_GROUPS, OWN_LIMITS, Limits
from postops.repo.fsutil import write_atomic
from postops.repo.schemas import LIMITS_FILE_SCHEMA, LIMITS_SCHEMA, explain
from postops.repo.validation import Validator
from postops.repo.yamlfile import Document, YamlProblem, parse, read_capped

if TYPE_CHECKING:  # config reads this module
    from postops.repo.config import Account

LIMITS_FILE = "postops.limits.yaml"
_VALIDATOR = Validator(LIMITS_FILE_SCHEMA)
_LIMITS_VALIDATOR = Validator(LIMITS_SCHEMA)


@dataclass(frozen=True)
class Cached:
    """One account's entry in postops.limits.yaml."""

    instance: str
    limits: Limits
    read_at: str | None = None
    line: int = 1               # where the entry starts, for messages


def limits_from(configuration: Any) -> Limits:
    """Limits from a mapping shaped like the `configuration` of GET /api/v2/instance. What is missing, or not
    a whole number, is left to the platform's default: servers that are not Mastodon leave groups out. A whole
    number is kept as it is, so that `senseless` can say what is wrong with it."""
    configuration = configuration if isinstance(configuration, Mapping) else {}
    values: dict[str, int] = {}
    for name, group in LIMIT_GROUPS.items():
        section = configuration.get(group)
        value = section.get(name) if isinstance(section, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool):
            values[name] = value
    return Limits(**values)


def senseless(limits: Limits) -> list[str]:
    """`group.name: why` for each of `limits` no server can mean: below the least postops.limits.yaml takes (a
    count or size of 0 or less), or polls that must close before they may. An instance answering such values
    (a proxy's error page, a broken server) must neither be written to the file, which would then stop every
    command, nor hold posts back at publish time."""
    wrong = [f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
             for error in _LIMITS_VALIDATOR.iter_errors(limits_mapping(limits))]
    low, high = limits.min_expiration, limits.max_expiration
    if low is not None and high is not None and low > high:
        wrong.append(f"polls.min_expiration: {low} is more than polls.max_expiration {high}")
    return sorted(wrong)


def limits_mapping(limits: Limits) -> dict[str, dict[str, int]]:
    """`limits` in the shape `limits_from` reads: what the file and postops.yaml hold."""
    shaped: dict[str, dict[str, int]] = {}
    for name, group in LIMIT_GROUPS.items():
        value = getattr(limits, name)
        if value is not None:
            shaped.setdefault(group, {})[name] = value
    return shaped


def read_limits(root: Path) -> dict[str, Cached]:
    """account key -> its cached limits; {} without the file. A file that is not what postops writes is a
    ConfigError at its line."""
    path = root / LIMITS_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    if path.is_symlink():
        raise ConfigError(f"{LIMITS_FILE} is a symbolic link: it must be a file in the repository, reviewed as it "
                          "is", LIMITS_FILE, 1, 1)
    try:
        doc = parse(read_capped(path, LIMITS_FILE), LIMITS_FILE)
    except OSError as exc:
        raise ConfigError(f"cannot read {LIMITS_FILE}: {exc.strerror}", LIMITS_FILE) from None
    except YamlProblem as exc:
        raise ConfigError(exc.message, exc.path, exc.line, exc.column) from None
    for error in sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        mark, message = explain(error, doc)[0]
        raise ConfigError(message, LIMITS_FILE, mark.line, mark.column)
    cached = {key: Cached(entry["instance"], limits_from(entry), entry.get("read_at"), _line(doc, key))
              for key, entry in doc.data["accounts"].items()}
    for key, entry in cached.items():
        wrong = senseless(entry.limits)
        if wrong:
            raise ConfigError(f"the limits of account {key} make no sense: {'; '.join(wrong)}; run `postops limits "
                              f"--refresh {key}`", LIMITS_FILE, entry.line, 3)
    return cached


def _line(doc: Document, key: str) -> int:
    return doc.key_mark(("accounts", key)).line


def write_limits(root: Path, entries: Mapping[str, Cached]) -> None:
    """postops.limits.yaml with `entries`, accounts in order, written whole or not at all."""
    lines = ["# Each Mastodon account's instance limits, as its server's GET /api/v2/instance gave them.",
             "# Written by `postops limits --refresh`: commit it, so that lint says the same everywhere.",
             "# A limit set on the account in postops.yaml wins over this file.",
             "version: 1", "accounts:" + ("" if entries else " {}")]
    for key in sorted(entries):
        entry = entries[key]
        lines += [f"  {key}:", f"    instance: {entry.instance}"]
        if entry.read_at:
            lines.append(f"    read_at: '{entry.read_at}'")
        for group, values in limits_mapping(entry.limits).items():
            lines.append(f"    {group}:")
            lines += [f"      {name}: {value}" for name, value in values.items()]
    write_atomic(root / LIMITS_FILE, "\n".join(lines) + "\n")


def same_instance(a: str | None, b: str | None) -> bool:
    def norm(address: str | None) -> str:
        address = (address or "").strip().rstrip("/").lower()
        return address if "://" in address else f"https://{address}"
    return norm(a) == norm(b)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")



Fetch = Callable[["Account"], Limits]


def limits_command(root: Path, keys: Sequence[str], *, refresh: bool, check: bool, echo: Callable[[str], None],
                   now: datetime, fetch: Fetch | None = None) -> int:
    """`postops limits`: each Mastodon account's limits and where each comes from; `--refresh` reads them from
    the instances into postops.limits.yaml; `--check` only says whether that file still matches them."""
    from postops.repo.config import load_config  # noqa: PLC0415 - config reads this module

    config = load_config(root, cached_limits=False)  # a stale file must not stop its own refresh
    mastodon = {key: a for key, a in config.accounts.items() if a.platform in OWN_LIMITS}
    unknown = [key for key in keys if key not in mastodon]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a Mastodon account in postops.yaml "
                         f"(Mastodon accounts: {', '.join(sorted(mastodon)) or 'none'})")
    chosen = list(keys) or sorted(mastodon)
    if not chosen:
        echo("no Mastodon account in postops.yaml: only a Mastodon instance sets limits of its own")
        return 0
    cached = read_limits(root)
    if not refresh and not check:
        for key in chosen:
            _show(key, mastodon[key], config.doc.data["accounts"][key] if config.doc else {}, cached.get(key), echo)
        return 0
    if fetch is None:
        from postops.platforms.mastodon import instance_limits  # noqa: PLC0415 - lint never pays for requests

        fetch = instance_limits
    entries = {key: entry for key, entry in cached.items() if key in mastodon}
    failed = stale = 0
    for key in chosen:
        account = mastodon[key]
        try:
            live = fetch(account)
        except PostopsError as exc:
            echo(f"{key}: {exc.message}")
            failed += 1
            continue
        old = entries.get(key)
        if old is not None and same_instance(old.instance, account.instance) and old.limits == live:
            echo(f"{key}: {account.instance}'s limits are what {LIMITS_FILE} says")
            continue
        before = old.limits if old is not None and same_instance(old.instance, account.instance) else Limits()
        changes = "; ".join(before.differences(live)) or "none set"
        stale += 1
        echo(f"{key}: {account.instance}'s limits {'differ from' if check else 'written to'} {LIMITS_FILE}: {changes}")
        entries[key] = Cached(str(account.instance), live, stamp(now))
    if refresh and (stale or set(entries) != set(cached)):
        new = not (root / LIMITS_FILE).exists()
        write_limits(root, entries)
        echo(f"wrote {LIMITS_FILE}: commit it, so that lint checks against these limits everywhere"
             + ("; run `postops codeowners` too, so that the policy owners review changes to it" if new else ""))
    return 1 if failed or (check and stale) else 0


def _show(key: str, account: Account, written: Mapping[str, Any], cached: Cached | None,
          echo: Callable[[str], None]) -> None:
    own = limits_from(written.get("limits"))
    if "max_characters" in written:
        own = replace(own, max_characters=written["max_characters"])
    read = f", read {cached.read_at}" if cached is not None and cached.read_at else ""
    echo(f"{key} ({account.instance}{read}):")
    for name, group in LIMIT_GROUPS.items():
        if getattr(own, name) is not None:
            value, source = getattr(own, name), "postops.yaml"
        elif cached is not None and getattr(cached.limits, name) is not None:
            value, source = getattr(cached.limits, name), LIMITS_FILE
        else:
            value, source = None, "Mastodon's default"
        echo(f"  {group}.{name}: {'-' if value is None else value} ({source})")
