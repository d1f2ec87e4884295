"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from postops.lint.findings import LintResult
from postops.report._common import ordered

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render(result: LintResult) -> str:
    lines = []
    for f in ordered(result.findings):
        properties = ",".join(f"{key}={escape_property(str(value))}" for key, value in
                              (("file", f.path), ("line", f.line), ("col", f.column), ("title", f.rule)))
        lines.append(f"::{_COMMANDS[f.severity]} {properties}::{escape_data(f.message)}\n")
    return "".join(lines)


# The same escaping as GitHub's own toolkit (@actions/core, command.ts): the runner reads one command per
# line, so line breaks must be escaped; `%` first, or the escapes themselves would be escaped again.
def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    # `,` separates properties and `:` ends them (`::`), so both are escaped inside a value.
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
