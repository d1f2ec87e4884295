"""Reporters: a LintResult rendered as text, JSON, GitHub workflow commands or SARIF.

Every reporter returns the whole report as one string that ends with a newline (or is empty when there is
nothing to say), so the caller can write it to a file or a terminal as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from postops.errors import UsageError
from postops.lint.findings import LintResult
from postops.report import github, json, sarif, text

REPORTERS: dict[str, Callable[[LintResult], str]] = {
    "text": text.render,
    "json": json.render,
    "github": github.render,
    "sarif": sarif.render,
}


def render(result: LintResult, fmt: str, *, quiet: bool = False, color: bool = False) -> str:
    """Render `result` in format `fmt`. `quiet` and `color` only change the text format."""
    if fmt == "text":
        return text.render(result, quiet=quiet, color=color)
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(REPORTERS)}") from None
    return reporter(result)
