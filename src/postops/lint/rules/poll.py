"""A poll (`poll:` with `options` and a `duration`) must fit every account's platform:

@@TABLE@@

Mastodon's figures are its software's defaults; an instance sets its own, which lint takes from
`postops.limits.yaml` (written by `postops limits --refresh`) or the account's `limits` in postops.yaml.
Publish checks them again against the instance's limits of the moment and blocks a post it would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.facts import PLATFORM_NAMES
from postops.lint.rules._shares import accounts, in_part
from postops.lint.rules.base import BuiltinRule, Context, Example, Hit, RuleType
from postops.platforms.spec import SPECS
from postops.repo.posts import Post, duration_minutes

ID = "poll"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("A poll fits its platform: X 2-4 options of up to 25 characters, open 5 minutes to 7 days, no "
               "media and no quote; Mastodon 2-4 options of up to 50 characters (its defaults, or the instance's own), no media; no polls on "
               "Bluesky, Facebook or LinkedIn.")
OPTIONS: dict[str, str] = {}
_QUESTION = "account: official\ntext: Which chart next week?\npoll:\n"
EXAMPLES = (
    Example("posts/official/a.yaml", _QUESTION + "  options: [Energy imports, Storage levels, Prices since 2019, "
            "Pipelines, LNG terminals]\n  duration: 1d\n", (
                "posts/official/a.yaml:4:12: error [poll] a poll on X has 2 to 4 options, not 5 (account official)",
            )),
    Example("posts/official/a.yaml", _QUESTION + "  options: [Energy imports, Storage levels, Prices]\n"
            "  duration: 1d\n"),
)


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        if part.poll is None:
            continue
        where = (*part.where[:-1], "poll")
        minutes = duration_minutes(part.poll.duration)
        for key, platform, features in accounts(ctx, post):
            name, limits, suffix = PLATFORM_NAMES[platform], features.poll, in_part(part.index)
            if limits is None:
                yield Hit(post.mark(where), f"{name} has no polls (account {key}){suffix}", key)
                continue
            count = len(part.poll.options)
            if not limits.min_options <= count <= limits.max_options:
                yield Hit(post.mark((*where, "options")), f"a poll on {name} has {limits.min_options} to "
                          f"{limits.max_options} options, not {count} (account {key}){suffix}", key)
            for i, option in enumerate(part.poll.options):
                if len(option) > limits.max_option_chars:
                    yield Hit(post.mark((*where, "options", i)), f"poll option {i + 1} has {len(option)} "
                              f"characters; {name} takes {limits.max_option_chars} (account {key}){suffix}", key)
            if minutes is not None and not limits.min_minutes <= minutes <= limits.max_minutes:
                yield Hit(post.mark((*where, "duration")), f"a poll on {name} is open {_span(limits.min_minutes)} "
                          f"to {_span(limits.max_minutes)}, not {part.poll.duration} (account {key}){suffix}", key)
            if part.media and not limits.with_media:
                yield Hit(post.mark(where), f"{name} takes a poll or media in one post, not both (account "
                          f"{key}){suffix}", key)
            if part.quote and not limits.with_quote:
                yield Hit(post.mark(where), f"{name} takes a poll or a quote in one post, not both (account "
                          f"{key}){suffix}", key)


def _span(minutes: int) -> str:
    for unit, size in (("days", 1440), ("hours", 60)):
        if minutes >= size and minutes % size == 0:
            return f"{minutes // size} {unit}"
    return f"{minutes} minutes"


def _about(minutes: int) -> str:
    exact = _span(minutes)
    return exact if not exact.endswith(" minutes") or minutes < 1440 else f"about {round(minutes / 1440)} days"


def _yes(allowed: bool) -> str:
    return "yes" if allowed else "no"


# The table is made from the declarations, so docs/rules.md says what lint does.
_POLLS = [spec for spec in SPECS.values() if spec.features.poll is not None and spec.name != "outbox"]
DOC = (__doc__ or "").replace("@@TABLE@@", "\n".join(
    ["| platform | options | characters per option | open | with media | in a quote post |",
     "|----------|---------|-----------------------|------|------------|-----------------|"]
    + [f"| {spec.title} | {poll.min_options} to {poll.max_options} | {poll.max_option_chars} | "
       f"{_span(poll.min_minutes)} to {_about(poll.max_minutes)} | {_yes(poll.with_media)} | {_yes(poll.with_quote)} |"
       for spec in _POLLS if (poll := spec.features.poll) is not None]
    + [f"| {', '.join(spec.title for spec in SPECS.values() if spec.features.poll is None)} | no polls | | | | |"]))

RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, DOC, OPTIONS, EXAMPLES)
