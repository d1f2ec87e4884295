"""postops.yaml → Config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postops.errors import ConfigError
from postops.platforms.spec import Limits
from postops.repo.limits import LIMITS_FILE, read_limits, same_instance
from postops.repo.limits import limits_from as _limits_from
from postops.repo.schemas import CONFIG_SCHEMA, explain
from postops.repo.validation import Validator
from postops.repo.yamlfile import Document, YamlProblem, parse, read_capped

CONFIG_FILE = "postops.yaml"
_VALIDATOR = Validator(CONFIG_SCHEMA)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# (platform, key, example): what an account on that platform cannot do without.
_REQUIRED_KEYS = (("facebook", "page_id", "'123456789012345'"), ("linkedin", "organization", "'2414183'"))
# The form of each platform's API versions: the Graph API's v26.0, LinkedIn-Version's YYYYMM.
_API_VERSIONS = {"facebook": (r"v[0-9]+\.[0-9]+", "v26.0"), "linkedin": (r"20[0-9]{2}(0[1-9]|1[0-2])", "'202605'")}
_KEY_PLATFORMS = {"page_id": ("facebook",), "organization": ("linkedin",), "api_version": ("facebook", "linkedin"),
                  "premium": ("x",), "max_characters": ("mastodon",), "limits": ("mastodon",)}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd])\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 10m, 6h, 1d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


# The platforms an account can be on (the schema's enum says the same to users).
PlatformName = Literal["x", "mastodon", "bluesky", "facebook", "linkedin", "outbox"]


@dataclass(frozen=True)
class Account:
    key: str
    platform: PlatformName
    handle: str | None = None
    approvers: tuple[str, ...] = ()
    approvals: int = 1
    credentials: str | None = None
    path: str | None = None
    instance: str | None = None
    timezone: str = "UTC"
    page_id: str | None = None          # facebook: the Page posted to
    organization: str | None = None     # linkedin: the organisation posted as
    api_version: str | None = None      # facebook, linkedin: the API version, when not the adapter's default
    unmanaged: str = "report"           # report | delete | delete-if-violating: posts made outside postops
    premium: bool = False               # x: an X Premium account: 25,000 characters, longer and larger video
    # mastodon: the instance's own limits (postops.yaml's over postops.limits.yaml's); None: Mastodon's defaults
    limits: Limits | None = None


class AlertKind(StrEnum):
    """What `notify:` in postops.yaml can ask to be told about."""

    PUBLISHED = "published"
    FAILED = "failed"
    MISSED = "missed"
    BLOCKED = "blocked"
    RETRACTED = "retracted"
    UNMANAGED = "unmanaged"
    PAUSED = "paused"
    RESUMED = "resumed"


DEFAULT_ALERTS = frozenset(AlertKind) - {AlertKind.PUBLISHED}


@dataclass(frozen=True)
class NotifyTarget:
    env: str                                   # the environment variable holding the Apprise URL
    kinds: frozenset[AlertKind] = DEFAULT_ALERTS


@dataclass(frozen=True)
class PublishSettings:
    min_lead: timedelta = timedelta(minutes=10)
    max_delay: timedelta = timedelta(hours=6)
    max_retractions: int = 5
    claim_lease: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Source:
    """The copy of postops a repository's CI, pre-commit hooks and GitLab pipeline use (`source:`)."""

    repo: str                # OWNER/REPO: the GitHub repository of the action
    ref: str                 # the tag or branch it was taken from, as written: for people
    commit: str | None       # what every reference is pinned to; None: not pinned (a development build)
    url: str                 # where git clones it from (pre-commit, GitLab)


@dataclass(frozen=True)
class Config:
    root: Path
    timezone: str
    accounts: dict[str, Account]
    policy_owners: tuple[str, ...] = ()
    publish: PublishSettings = field(default_factory=PublishSettings)
    state_branch: str = "postops/state"
    paused: dict[str, Any] | None = None
    approval: str = "none"
    max_file_bytes: int = 1024 * 1024
    notify: tuple[NotifyTarget, ...] = ()
    source: Source | None = None
    doc: Document | None = field(default=None, compare=False, repr=False)


def find_root(start: Path) -> Path:
    """The content repository containing `start`: the nearest folder with a postops.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"no {CONFIG_FILE} found in {start} or any folder above it (run `postops init`)")


def load_config(root: Path, *, cached_limits: bool = True) -> Config:
    """postops.yaml, with the instance limits in postops.limits.yaml unless `cached_limits` is False (the
    command that rewrites that file must read a config whose file is out of date)."""
    path = root / CONFIG_FILE
    if path.is_symlink():  # its accounts and approvers would come from a file CODEOWNERS does not guard
        raise ConfigError(f"{CONFIG_FILE} is a symbolic link: it must be a file in the repository, reviewed as it "
                          "is", CONFIG_FILE, 1, 1)
    try:
        doc = parse(read_capped(path, CONFIG_FILE), CONFIG_FILE)
    except OSError as exc:
        raise ConfigError(f"cannot read {CONFIG_FILE}: {exc.strerror}", CONFIG_FILE) from None
    except YamlProblem as exc:
        raise ConfigError(exc.message, exc.path, exc.line, exc.column) from None
    if not isinstance(doc.data, dict):
        raise ConfigError("postops.yaml must be a mapping", CONFIG_FILE, 1, 1)
    errors = sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        mark, message = explain(error, doc)[0]
        raise ConfigError(message, CONFIG_FILE, mark.line, mark.column)
    data = doc.data

    def fail(message: str, *path: Any) -> ConfigError:
        mark = doc.value_mark(path)
        return ConfigError(message, CONFIG_FILE, mark.line, mark.column)

    timezone = data.get("timezone", "UTC")
    _check_zone(timezone, fail, "timezone")
    cached = read_limits(root) if cached_limits else {}
    accounts = {}
    for key, spec in data["accounts"].items():
        zone = spec.get("timezone", timezone)
        _check_zone(zone, fail, "accounts", key, "timezone")
        if spec["platform"] == "mastodon" and "instance" not in spec:
            raise fail("a mastodon account needs `instance: https://your.server`", "accounts", key)
        for platform, needed, example in _REQUIRED_KEYS:
            if spec["platform"] == platform and needed not in spec:
                raise fail(f"a {platform} account needs `{needed}: {example}`", "accounts", key)
        for name, platforms in _KEY_PLATFORMS.items():
            if name in spec and spec["platform"] not in platforms:
                raise fail(f"`{name}` is for {' and '.join(platforms)} accounts, not "
                           f"{spec['platform']}", "accounts", key, name)
        version = spec.get("api_version")
        if version is not None and not re.fullmatch(_API_VERSIONS[spec["platform"]][0], version):
            raise fail(f"api_version {version!r} is not a {spec['platform']} API version (use e.g. "
                       f"{_API_VERSIONS[spec['platform']][1]})", "accounts", key, "api_version")
        accounts[key] = Account(
            key=key,
            platform=spec["platform"],
            handle=spec.get("handle"),
            approvers=tuple(spec.get("approvers", ())),
            approvals=spec.get("approvals", 1),
            credentials=spec.get("credentials"),
            path=spec.get("path", ".postops/outbox" if spec["platform"] == "outbox" else None),
            instance=spec.get("instance"),
            timezone=zone,
            page_id=_text(spec.get("page_id")),
            organization=_text(spec.get("organization")),
            api_version=spec.get("api_version"),
            unmanaged=spec.get("unmanaged", "report"),
            premium=spec.get("premium", False),
            limits=_own_limits(key, spec, cached, fail),
        )
    pub = data.get("publish") or {}
    defaults = PublishSettings()
    publish = PublishSettings(
        min_lead=parse_duration(pub["min_lead"]) if "min_lead" in pub else defaults.min_lead,
        max_delay=parse_duration(pub["max_delay"]) if "max_delay" in pub else defaults.max_delay,
        max_retractions=pub.get("max_retractions", defaults.max_retractions),
        claim_lease=parse_duration(pub["claim_lease"]) if "claim_lease" in pub else defaults.claim_lease,
    )
    return Config(
        root=root,
        timezone=timezone,
        accounts=accounts,
        policy_owners=tuple(data.get("policy_owners", ())),
        publish=publish,
        state_branch=(data.get("state") or {}).get("branch", "postops/state"),
        paused=data.get("paused"),
        approval=data.get("approval", "none"),
        max_file_bytes=(data.get("lint") or {}).get("max_file_bytes", 1024 * 1024),
        notify=tuple(NotifyTarget(entry["to"], frozenset(AlertKind(k) for k in entry["on"]) if "on" in entry
                                  else DEFAULT_ALERTS) for entry in data.get("notify") or ()),
        source=_source(data.get("source")),
        doc=doc,
    )


def _own_limits(key: str, spec: dict[str, Any], cached: dict[str, Any], fail: Any) -> Limits | None:
    """A Mastodon account's instance limits: what postops.yaml sets, over what postops.limits.yaml read from
    its instance; None when neither says anything (Mastodon's defaults)."""
    if spec["platform"] != "mastodon":
        return None
    own = _limits_from(spec.get("limits"))
    if "max_characters" in spec:
        set_too = own.max_characters
        if set_too is not None and set_too != spec["max_characters"]:
            raise fail(f"max_characters {spec['max_characters']} and limits.statuses.max_characters {set_too} "
                       "disagree: keep one", "accounts", key, "max_characters")
        own = replace(own, max_characters=spec["max_characters"])
    entry = cached.get(key)
    if entry is not None and not same_instance(entry.instance, spec.get("instance")):
        raise ConfigError(f"the limits of account {key} were read from {entry.instance}, but its instance is "
                          f"{spec.get('instance')}: run `postops limits --refresh {key}` and commit "
                          f"{LIMITS_FILE}", LIMITS_FILE, entry.line, 3)
    merged = own.over(entry.limits if entry is not None else None)
    return None if merged == Limits() else merged


def _text(value: Any) -> str | None:
    # A numeric id written unquoted arrives as an int; the schema allows both.
    return None if value is None else str(value)


def _source(spec: dict[str, Any] | None) -> Source | None:
    if spec is None:
        return None
    url = spec.get("url") or f"https://github.com/{spec['repo']}"
    return Source(repo=spec["repo"], ref=spec["ref"], commit=spec.get("commit"), url=url)


def _check_zone(name: str, fail: Any, *path: Any) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, e.g. "America"
        raise fail(f"unknown timezone {name!r} (use an IANA name such as America/New_York)", *path) from None
