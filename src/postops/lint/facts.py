"""Derived facts: what policies can say about a post beyond what is written in it.

Facts are computed once per part and per account and handed to every rule as `facts`. Each fact knows
where in the post file it comes from, so a finding about `facts.mentions[1]` points at that mention.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from postops.repo.config import Account
from postops.repo.posts import Part, Post
from postops.repo.yamlfile import Mark

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
URL_WEIGHT = 23
# Facebook: a Page post's message is cut at 63,206 characters; LinkedIn: the Posts API refuses commentary over 3,000.
LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300, "facebook": 63206, "linkedin": 3000}
UNITS = {"x": "weighted characters", "mastodon": "characters", "bluesky": "graphemes", "facebook": "characters",
         "linkedin": "characters"}
PLATFORM_NAMES = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky", "facebook": "Facebook",
                  "linkedin": "LinkedIn", "outbox": "outbox"}


def length_on(platform: str, text: str) -> str | None:
    """`150/280 weighted characters`: how long `text` is as `platform` counts, or None where nobody counts."""
    if platform not in LIMITS:
        return None
    return f"{getattr(measure(text), platform)}/{LIMITS[platform]} {UNITS[platform]}"

# Mentions: @user on X and Bluesky-style handles, @user@server on Mastodon.
_MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d]\w*)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Facts that come from part text; the rest come from the fields named here.
_SOURCES = {
    "account": ("account",), "platform": ("account",), "folder": ("account",),
    "hour": ("publish_at",), "minute": ("publish_at",), "weekday": ("publish_at",),
    "local_time": ("publish_at",), "date": ("publish_at",),
    "labels": ("labels",),
}
_TEXT_LISTS = ("mentions", "hashtags", "urls", "domains", "words")


@dataclass(frozen=True)
class TextMeasures:
    urls: tuple[tuple[str, int, int], ...]      # (url, start, end) as twitter-text finds them
    x: int
    mastodon: int
    bluesky: int
    facebook: int
    linkedin: int


def _import_twitter_text() -> None:
    # twitter-text imports pkg_resources, which prints a deprecation warning into every lint report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import twitter_text  # noqa: F401


def _find_urls(text: str) -> tuple[tuple[str, int, int], ...]:
    if "." not in text:
        return ()
    _import_twitter_text()  # 0.3 s to import: only when a URL is possible
    from twitter_text import extract_urls_with_indices

    return tuple((u["url"], u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(text))


def measure(text: str) -> TextMeasures:
    """Lengths as each platform counts them. X: twitter-text v3 weighted length (URLs 23);
    Mastodon: characters with URLs 23 and remote mentions counted by their user part; Bluesky: graphemes;
    Facebook and LinkedIn: characters, links in full."""
    urls = _find_urls(text)
    url_chars = sum(end - start for _, start, end in urls)
    plain = len(text) - url_chars + URL_WEIGHT * len(urls)
    if text.isascii():
        x_len = plain
        bluesky = len(text)
    else:
        _import_twitter_text()
        from twitter_text import parse_tweet

        x_len = parse_tweet(text).weightedLength
        import regex

        bluesky = len(regex.findall(r"\X", unicodedata.normalize("NFC", text)))
    remote = sum(len(m.group(1)) - m.group(1).index("@") for m in _MENTION.finditer(text) if "@" in m.group(1))
    return TextMeasures(urls=urls, x=x_len, mastodon=plain - remote, bluesky=bluesky, facebook=len(text),
                        linkedin=len(text))


@dataclass(frozen=True)
class PartFacts:
    """The facts of one part for one account, and where each list item came from in the part's text."""

    values: dict[str, Any]
    spans: dict[tuple[str, int], tuple[int, int]]   # (fact, index) -> (start, end) in the part's text


def part_facts(post: Post, part: Part, account: Account | None, account_key: str,
               measures: TextMeasures | None = None) -> PartFacts:
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
    words = collect("words", [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)])
    values: dict[str, Any] = {
        "account": account_key,
        "platform": account.platform if account else None,
        "folder": post.folder,
        "part": part.index,
        "text": text.lower(),
        "words": words,
        "mentions": mentions,
        "hashtags": hashtags,
        "urls": urls,
        "domains": domains,
        "length": {"x": measures.x, "mastodon": measures.mastodon, "bluesky": measures.bluesky,
                   "facebook": measures.facebook, "linkedin": measures.linkedin},
        "media_count": len(part.media),
        "media_missing_alt": [m.path for m in part.media if not (m.alt or "").strip()],
        "labels": list(post.labels),
    }
    values.update(local_time_facts(post.publish_at, account.timezone if account else "UTC"))
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
