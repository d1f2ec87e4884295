"""What every report format shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

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
    """The one way text reports show a time: `2026-11-24 09:00 EST`, in the reader's timezone."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if when else "-"


class Renderer(Protocol):
    """One format of one command's report: the whole report as one string that ends with a newline, or is
    empty when there is nothing to say, so that it can go to a file or a terminal as it is."""

    def __call__(self, data: Any, options: Options = ..., /) -> str: ...
