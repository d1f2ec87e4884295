"""The human format: one `path:line:col: severity [rule] message` line per finding, then a summary."""

from __future__ import annotations

import unicodedata

from postops.lint.findings import SEVERITIES, Finding, LintResult
from postops.report._common import ordered

_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_RESET = "\x1b[0m"


def render(result: LintResult, *, quiet: bool = False, color: bool = False) -> str:
    lines = [format_finding(f, color=color) for f in ordered(result.findings)]
    if not quiet:
        lines.append(summary(result))
    return "".join(line + "\n" for line in lines)


def format_finding(finding: Finding, *, color: bool = False) -> str:
    severity = finding.severity
    if color and severity in _COLORS:
        severity = f"{_COLORS[severity]}{severity}{_RESET}"
    return (f"{printable(finding.path)}:{finding.line}:{finding.column}: {severity} "
            f"[{printable(finding.rule)}] {printable(finding.message)}")


def summary(result: LintResult) -> str:
    """`3 errors, 1 warning in 2 files (12 files, 40 posts checked), 2 suppressed`, or `no problems in ...`.

    The files with problems and the files checked are counted apart: "3 errors in 3 files" read as one
    error in each of three files when all three were in one.
    """
    counts = [(result.count(severity), severity) for severity in SEVERITIES]
    problems = ", ".join(_count(n, word) for n, word in counts if n)
    if problems:
        with_problems = len({f.path for f in result.findings})
        line = (f"{problems} in {_count(with_problems, 'file')} "
                f"({_count(result.files, 'file')}, {_count(result.posts, 'post')} checked)")
    else:
        line = f"no problems in {_count(result.files, 'file')} ({_count(result.posts, 'post')})"
    if result.suppressed:
        line += f", {result.suppressed} suppressed"
    return line


def printable(value: str) -> str:
    """`value` on one line with no terminal control characters.

    Messages quote post text, and a post can hold anything: a line break would split one finding over two
    lines (breaking `grep` and editors that jump to `path:line:col`), an escape sequence could rewrite the
    reader's terminal.
    """
    value = " ".join(value.splitlines())
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" and ch != "\t" else ch for ch in value)


def _count(n: int, word: str) -> str:
    # "info" is a mass noun: "2 info", like "2 errors"
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"
