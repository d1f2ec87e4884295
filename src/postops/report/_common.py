"""What every report format shares."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson

from postops.lint.findings import Finding
from postops.repo.config import Config


@dataclass(frozen=True)
class Options:
    """How a report is presented, whatever its data: only the text formats use these."""

    quiet: bool = False     # only the findings, no summary
    color: bool = False     # ANSI colours: the reader is a terminal


PLAIN = Options()


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: by file, line, column, rule.

    Severity and message only break ties so that the order never depends on how lint happened to
    produce them (it runs on several processes).
    """
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.severity, f.message))


def zone_of(config: Config, account: str) -> str:
    """The timezone an account's times are shown in: its own, else postops.yaml's."""
    return config.accounts[account].timezone if account in config.accounts else config.timezone


def local_time(when: datetime | None, zone: str) -> str:
    """The one way text reports show a time: `2026-11-24 09:00 EST`, in the account's timezone."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if when else "-"


# An ISO 8601 time with an offset, as the plan's reasons and the ledger's errors write them.
_ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)")


def local_times(text: str, zone: str) -> str:
    """`text` with each ISO 8601 time in it shown as `local_time` shows times, so that a line of a text
    report never mixes two styles. Reasons are data (JSON keeps them as they are); this is presentation."""
    def restyle(match: re.Match[str]) -> str:
        try:
            return local_time(datetime.fromisoformat(match.group()), zone)
        except ValueError:
            return match.group()
    return _ISO_TIME.sub(restyle, text)


def columns(rows: Sequence[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as lines of left-aligned columns two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return [(indent + "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])).rstrip()
            for row in rows]


class Renderer(Protocol):
    """One format of one command's report: the whole report as one string that ends with a newline, or is
    empty when there is nothing to say, so that it can go to a file or a terminal as it is."""

    def __call__(self, data: Any, options: Options = ..., /) -> str: ...


def to_json(document: object) -> str:
    """`document` as the JSON outputs print it: indented by two, non-ASCII kept. Byte for byte what
    json.dumps(indent=2, ensure_ascii=False) writes, about ten times faster (the standard library's
    indented encoder is pure Python: 0.25 s for a plan of 10,000 posts).

    orjson differs from json where the data is not what postops writes itself but came from the ledger as
    anyone may have written it (an unmanaged post's fields, a pause's reason): it refuses integers beyond 64
    bits and strings with lone surrogates (JSON's "\\ud83d", which json reads), writes NaN and infinities
    as null and 1e-07 as 1e-7. Such a document goes through json, as before; but a lone surrogate is written
    as its escape, as JSON says it (json would write the character itself, which no UTF-8 output can take:
    the command died printing it)."""
    try:
        floats = _has_float(document)
    except RecursionError:    # nested deeper than the walk goes (json goes deeper: it is no recursive generator)
        floats = True
    if not floats:
        with contextlib.suppress(orjson.JSONEncodeError):   # orjson also stops at 255 levels
            return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # in JSON text a surrogate can only be in a string, where its escape reads back as the same string
    return _SURROGATE.sub(lambda lone: f"\\u{ord(lone.group()):04x}", text) + "\n"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_float(value: object) -> bool:
    # strings, nearly every value, are skipped without a call: 4 ms for a plan of 10,000 posts
    if isinstance(value, dict):
        return any(type(item) is not str and _has_float(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(type(item) is not str and _has_float(item) for item in value)
    return isinstance(value, float)
