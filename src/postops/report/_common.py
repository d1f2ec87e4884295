"""What every report format shares."""

from __future__ import annotations

from collections.abc import Iterable

from postops.lint.findings import Finding


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: by file, line, column, rule.

    Severity and message only break ties so that the order never depends on how lint happened to
    produce them (it runs on several processes).
    """
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.severity, f.message))
