"""Derived facts: what policies can say about a post beyond what is written in it.

Facts are computed once per part and per account and handed to every rule as `facts`. Each fact knows
where in the post file it comes from, so a finding about `facts.mentions[1]` points at that mention.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from postops import links
from postops.lint.normalize import normalize
from postops.platforms.spec import COUNTED, SPECS, URL_CHARS, PlatformSpec
from postops.repo.config import Account
from postops.repo.posts import Part, Post
from postops.repo.yamlfile import Mark

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
URL_WEIGHT = URL_CHARS
# Every platform's limit and how it counts come from its declaration (postops.platforms.spec).
LIMITS = {name: SPECS[name].text_limit for name in COUNTED}
UNITS = {name: SPECS[name].text_unit for name in COUNTED}
PLATFORM_NAMES = {name: spec.title for name, spec in SPECS.items()}


def length_on(platform: str, text: str, account: Account | None = None) -> str | None:
    """`150/280 weighted characters`: how long `text` is as `platform` counts, or None where nobody counts."""
    if platform not in LIMITS:
        return None
    spec = SPECS[platform]
    return f"{measure(text).length_on(spec, account)}/{spec.text_limit_for(account)} {spec.text_unit}"

# Mentions: @user on X and Bluesky-style handles, @user@server on Mastodon.
_MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d]\w*)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")



@dataclass(frozen=True)
class Fact:
    """One fact policies can name: what its value looks like, and where it comes from."""

    schema: dict[str, Any]          # the JSON Schema of its value
    description: str
    per_part: bool = True           # differs between the parts of a thread: rules on it run on every part
    source: tuple[str, ...] = ()    # the post field it is derived from, when not the part's text


def _strings(description: str) -> Fact:
    return Fact({"type": "array", "items": {"type": "string"}}, description)


def _time(schema: dict[str, Any], description: str) -> Fact:
    return Fact({**schema, "type": [schema["type"], "null"]}, description + "; null without publish_at",
                per_part=False, source=("publish_at",))


# Every fact a policy can name, in one place: part_facts computes them (the tone facts come from tone.py),
# the policy meta-schema refuses any other name, lint decides from `per_part` which rules run on every
# part, and findings about a fact with a `source` point at that field.
FACTS: dict[str, Fact] = {
    "account": Fact({"type": "string"}, "The account being checked (a key of postops.yaml's accounts).",
                    per_part=False, source=("account",)),
    "platform": Fact({"type": ["string", "null"]}, "That account's platform: " + ", ".join(PLATFORM_NAMES) + ".",
                     per_part=False, source=("account",)),
    "folder": Fact({"type": ["string", "null"]}, "The folder under posts/ the post file is in.",
                   per_part=False, source=("account",)),
    "part": Fact({"type": "integer", "minimum": 0}, "0 for the post itself, 1.. for thread replies."),
    "text": Fact({"type": "string"}, "The text of this part as a reader sees it, in lower case: compatibility "
                                     "forms, look-alike letters and punctuation between single letters normalised "
                                     "(\"Ｓｕｃｋ ｉｔ\", \"Sսck it\" and \"S.u.c.k i.t\" are all \"suck it\")."),
    "raw_text": Fact({"type": "string"}, "The text of this part as written, in lower case: for a rule that must "
                                         "not see it normalised."),
    "words": _strings("Every word of the normalised text, in lower case."),
    "mentions": _strings("Every @mention, in lower case with its @ (Mastodon mentions keep their server)."),
    "hashtags": _strings("Every hashtag, in lower case, without #."),
    "urls": _strings("Every link, as twitter-text finds them."),
    "domains": _strings("The host of every link, in lower case."),
    "length": Fact({"type": "object", "additionalProperties": False,
                    "properties": {name: {"type": "integer", "description": f"{UNITS[name]} on {PLATFORM_NAMES[name]}"}
                                   for name in LIMITS}},
                   "The length of the text as each platform counts it."),
    "media_count": Fact({"type": "integer", "minimum": 0}, "How many media this part has."),
    "media_missing_alt": _strings("The paths of this part's media without alt text."),
    "labels": Fact({"type": "array", "items": {"type": "string"}}, "The post's labels.", per_part=False,
                   source=("labels",)),
    "hour": _time({"type": "integer", "minimum": 0, "maximum": 23},
                  "The hour of publish_at in the account's timezone (0-23)"),
    "minute": _time({"type": "integer", "minimum": 0, "maximum": 59}, "The minute of publish_at"),
    "weekday": _time({"type": "string", "enum": [*WEEKDAYS, None]}, "The weekday of publish_at, monday to sunday"),
    "local_time": _time({"type": "string"}, 'The local time of publish_at, "HH:MM"'),
    "date": _time({"type": "string"}, 'The local date of publish_at, "YYYY-MM-DD"'),
    "offensive": Fact({"type": "number", "minimum": 0, "maximum": 1},
                      "The probability that the text reads as offensive (tone extra)."),
    "sentiment": Fact({"type": "number", "minimum": -1, "maximum": 1},
                      "VADER's compound score, -1 very negative to 1 very positive (tone extra)."),
    "language": Fact({"type": ["string", "null"]},
                     "The detected language (ISO 639-1), or null when it cannot tell (tone extra)."),
}


def facts_schema() -> dict[str, Any]:
    """The JSON Schema of `facts` as rules see it: every fact, its type and what it means."""
    return {"type": "object", "additionalProperties": False,
            "description": "What postops derives from the post, per part and per account (docs/policies.md#facts).",
            "properties": {name: {**fact.schema, "description": fact.description} for name, fact in FACTS.items()}}


PER_PART_FACTS = frozenset(name for name, fact in FACTS.items() if fact.per_part)
_SOURCES = {name: fact.source for name, fact in FACTS.items() if fact.source}
_TEXT_LISTS = ("mentions", "hashtags", "urls", "domains", "words")


@dataclass(frozen=True)
class TextMeasures:
    urls: tuple[tuple[str, int, int], ...]      # (url, start, end) as twitter-text finds them
    x: int
    mastodon: int
    bluesky: int
    facebook: int
    linkedin: int
    utf8_bytes: int                             # what a limit in bytes (Bluesky's 3,000) counts
    mastodon_links: int = 0                     # links `mastodon` counts as URL_WEIGHT characters each

    def length_on(self, spec: PlatformSpec, account: Account | None) -> int | None:
        """The length as `spec`'s platform counts it for `account`: a Mastodon instance may count each link
        as other than 23 characters (its characters_reserved_per_url)."""
        length: int | None = getattr(self, spec.name, None)
        if length is not None and spec.name == "mastodon":
            length += (spec.url_chars_for(account) - URL_WEIGHT) * self.mastodon_links
        return length


_import_twitter_text = links.import_twitter_text
MAX_DOTTED_LABELS = links.MAX_DOTTED_LABELS
bound_problems = links.bound_problems


def _find_urls(text: str) -> tuple[tuple[str, int, int], ...]:
    return links.find_urls(text)


def graphemes(text: str) -> int:
    """Grapheme clusters (Unicode UAX #29): what a reader sees as one character, as Bluesky and Mastodon count."""
    if text.isascii():
        return len(text) - text.count("\r\n")  # CR LF is the one cluster of two ASCII characters
    import regex  # noqa: PLC0415 - only for text that is not ASCII, which most posts are

    return len(regex.findall(r"\X", text))


# Mastodon gives the 23-character concession only to links written with their scheme (its StatusLengthValidator
# extracts URLs with extract_url_without_protocol: false): `example.org/a-long-path` counts in full.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _mastodon_length(text: str, urls: tuple[tuple[str, int, int], ...]) -> tuple[int, int]:
    """Mastodon's StatusLengthValidator: grapheme clusters, after every URL with a scheme becomes 23 characters
    and every @user@server becomes @user (https://docs.joinmastodon.org/user/posting/#text); and how many
    links it counted as 23."""
    spans = [(start, end, "x" * URL_WEIGHT) for url, start, end in urls if _SCHEME.match(url)]
    links = len(spans)
    for m in _MENTION.finditer(text):
        if "@" in m.group(1) and not any(start < m.end() and m.start() < end for start, end, _ in spans):
            spans.append((m.start(), m.end(), "@" + m.group(1).split("@")[0]))
    pieces, at = [], 0
    for start, end, replacement in sorted(spans):
        pieces += [text[at:start], replacement]
        at = end
    return graphemes("".join(pieces) + text[at:]), links


def measure(text: str) -> TextMeasures:
    """Lengths as each platform counts them (each platform's `counting` in postops.platforms.spec). X:
    twitter-text v3 weighted length (URLs 23); Mastodon: grapheme clusters with URLs that have a scheme 23 and
    remote mentions counted by their user part; Bluesky: graphemes, and UTF-8 bytes; Facebook and LinkedIn:
    characters, links in full."""
    urls = _find_urls(text)
    if text.isascii():
        url_chars = sum(end - start for _, start, end in urls)
        x_len = len(text) - url_chars + URL_WEIGHT * len(urls)
    else:
        _import_twitter_text()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pkg_resources' deprecation warning, as above
            from twitter_text.parse_tweet import parse_tweet  # noqa: PLC0415 - only for text that is not ASCII

        x_len = parse_tweet(text).weightedLength
    mastodon, mastodon_links = _mastodon_length(text, urls)
    return TextMeasures(urls=urls, x=x_len, mastodon=mastodon, bluesky=graphemes(text),
                        facebook=len(text), linkedin=len(text), utf8_bytes=len(text.encode("utf-8")),
                        mastodon_links=mastodon_links)


@dataclass(frozen=True)
class PartFacts:
    """The facts of one part for one account, and where each list item came from in the part's text."""

    values: dict[str, Any]
    spans: dict[tuple[str, int], tuple[int, int]]   # (fact, index) -> (start, end) in the part's text


def part_facts(post: Post, part: Part, account: Account | None, account_key: str,
               measures: TextMeasures | None = None, when: datetime | None = None, words: bool = True) -> PartFacts:
    """The facts of `part` for `account_key`; the time facts are `publish_at`'s, or `when`'s for a post
    without one (its merge time plus min_lead, where that is known). `words`: whether to list the words
    (the dearest fact; lint leaves it out when no rule reads it)."""
    text = part.text
    measures = measures or measure(text)
    spans: dict[tuple[str, int], tuple[int, int]] = {}

    def collect(name: str, items: list[tuple[str, int, int]]) -> list[str]:
        for i, (_, start, end) in enumerate(items):
            spans[(name, i)] = (start, end)
        return [value for value, _, _ in items]

    mentions = collect("mentions", [("@" + m.group(1).lower(), m.start(), m.end()) for m in _MENTION.finditer(text)])
    hashtags = collect("hashtags", [(m.group(1).lower(), m.start(), m.end()) for m in _HASHTAG.finditer(text)])
    urls = collect("urls", list(measures.urls))
    domains = collect("domains", [(_host(url), start, end) for url, start, end in measures.urls])
    seen = normalize(text)  # what phrase rules judge
    listed: dict[str, list[str]] = {}
    if words:
        if seen == text:
            listed["words"] = collect("words", [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)])
        else:  # offsets into the normalised text are not the file's: findings point at the part instead
            listed["words"] = [m.group(0).lower() for m in _WORD.finditer(seen)]
    values: dict[str, Any] = {
        "account": account_key,
        "platform": account.platform if account else None,
        "folder": post.folder,
        "part": part.index,
        "text": seen.lower(),
        "raw_text": text.lower(),
        **listed,
        "mentions": mentions,
        "hashtags": hashtags,
        "urls": urls,
        "domains": domains,
        "length": {"x": measures.x, "mastodon": measures.length_on(SPECS["mastodon"], account), "bluesky": measures.bluesky,
                   "facebook": measures.facebook, "linkedin": measures.linkedin},
        "media_count": len(part.media),
        "media_missing_alt": [m.path for m in part.media if not (m.alt or "").strip()],
        "labels": list(post.labels),
    }
    values.update(local_time_facts(post.publish_at or when, account.timezone if account else "UTC"))
    return PartFacts(values, spans)


def local_time_facts(when: datetime | None, timezone: str) -> dict[str, Any]:
    if when is None:
        return {"hour": None, "minute": None, "weekday": None, "local_time": None, "date": None}
    local = when.astimezone(ZoneInfo(timezone))
    return {"hour": local.hour, "minute": local.minute, "weekday": WEEKDAYS[local.weekday()],
            "local_time": local.strftime("%H:%M"), "date": local.date().isoformat()}


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname
    except ValueError:
        host = None
    return (host or "").lower()


def locate(post: Post, part: Part, facts: PartFacts, path: tuple[Any, ...], match: str | None = None) -> Mark:
    """Where in the post file the thing at `path` (inside the rule's instance) comes from.

    `path` starts at the instance root: ("facts", "mentions", 1) or ("text",). `match` is the text a
    rule objected to, when known: the finding then points at it inside the text.
    """
    if not path or path[0] != "facts":
        return post.doc.value_mark(path)
    if len(path) < 2:
        return post.doc.value_mark(part.where)
    name = path[1]
    if name in _SOURCES:
        return post.doc.value_mark(_SOURCES[name])
    if name in ("media_count",):
        return post.doc.value_mark(part.where[:-1] + ("media",)) if part.media else post.doc.value_mark(part.where)
    if name == "media_missing_alt":
        if len(path) > 2 and isinstance(path[2], int):
            missing = [m for m in part.media if not (m.alt or "").strip()]
            if path[2] < len(missing):
                return post.doc.key_mark(missing[path[2]].where)
        return post.doc.value_mark(part.where[:-1] + ("media",))
    # Text-derived facts: point into the text itself when we know where.
    if name in _TEXT_LISTS and len(path) > 2 and isinstance(path[2], int) and (name, path[2]) in facts.spans:
        start, end = facts.spans[(name, path[2])]
        return post.doc.offset_mark(part.where, start, end - start)
    if match:
        index = part.text.lower().find(match.lower())
        if index >= 0 and len(part.text.lower()) == len(part.text):
            return post.doc.offset_mark(part.where, index, len(match))
    # About the text as a whole (its tone, its length): where the text itself starts, past any `|-`.
    return post.doc.offset_mark(part.where, 0)
