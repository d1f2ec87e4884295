"""Every command's output, rendered through one registry: REPORTS[command][format](data, options).

A command computes its data (a LintResult, a PlanReport, a StatusReport, an AuditLog, ...) and hands it to
`render_report()`; the command line offers exactly the formats registered here (`formats()`), and `write()` puts
the result on standard output or, with `--output`, in a file. To add a command's output, add a module with
its renderers in a FORMATS dict and one line to REPORTS; to add a format, one entry to that module's FORMATS.

Conventions every renderer keeps:
- it returns the whole report as one string that ends with a newline, or is empty when there is nothing to
  say; it never writes anything itself;
- `text` is for people (aligned columns, times as `2026-11-24 09:00 EST` in the account's timezone, one
  line per item, nothing that can rewrite a terminal); `json` is for programs (a `version` key, times in
  ISO 8601 with an offset, the same bytes whatever the terminal); other formats follow their own standard.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from postops.errors import UsageError
from postops.lint.findings import LintResult
from postops.repo.fsutil import write_atomic
from postops.report._common import PLAIN, Options, Renderer

__all__ = ["REPORTERS", "REPORTS", "Options", "Renderer", "check_format", "formats", "render", "render_report", "write"]


class _Formats(Mapping[str, Renderer]):
    """One command's renderers by format. The names are known without importing the module that renders
    them: the command line lists every command's formats, and a one-file lint (pre-commit's) must not pay
    for the calendar's iCalendar library or the planner (tests/test_report_registry.py holds the two lists
    together)."""

    def __init__(self, module: str, names: tuple[str, ...]) -> None:
        self.module = module
        self.names = names

    def __getitem__(self, fmt: str) -> Renderer:
        if fmt not in self.names:
            raise KeyError(fmt)
        renderers: Mapping[str, Renderer] = importlib.import_module(self.module).FORMATS
        return renderers[fmt]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


REPORTS: dict[str, _Formats] = {
    "lint": _Formats("postops.report.lint", ("text", "json", "github", "sarif")),
    "plan": _Formats("postops.report.plan", ("text", "json", "markdown")),
    "status": _Formats("postops.report.status", ("text", "json")),
    "log": _Formats("postops.report.log", ("text", "json", "csv")),
    "calendar": _Formats("postops.report.calendar", ("text", "markdown", "ics", "html")),
}

REPORTERS = REPORTS["lint"]   # lint's formats, the first command that had a registry


def formats(command: str) -> list[str]:
    """The formats `command` can be rendered in, the default (`text`) first: its `--format` choices."""
    return list(REPORTS[command])


def check_format(command: str, fmt: str) -> Renderer:
    """The renderer of `command` in `fmt`; a UsageError naming the choices when there is none. Commands call
    it before their work, so that a typo fails at once."""
    try:
        return REPORTS[command][fmt]
    except KeyError:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(REPORTS[command])}") from None


def render_report(command: str, fmt: str, data: object, options: Options = PLAIN) -> str:
    """`data` of `command` rendered as `fmt`."""
    return check_format(command, fmt)(data, options)


def render(result: LintResult, fmt: str, *, quiet: bool = False, color: bool = False) -> str:
    """A lint result rendered as `fmt`. `quiet` and `color` only change the text format."""
    return render_report("lint", fmt, result, Options(quiet=quiet, color=color))


def write(text: str, echo: Callable[[str], None], output: str | Path | None = None) -> None:
    """A rendered report to `output` (written whole or not at all), else through `echo`, which adds the
    final newline itself (click.echo, a test's list.append)."""
    if output is not None:
        write_atomic(Path(output), text)
    elif text:
        echo(text.removesuffix("\n"))
