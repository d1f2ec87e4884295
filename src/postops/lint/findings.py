"""Findings: what lint found, where, and how bad it is."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")
_RANK = {"error": 3, "warning": 2, "info": 1, "off": 0}


def severity_rank(severity: str) -> int:
    return _RANK[severity]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. `line` and `column` are 1-based; `post` is None for a file that did not parse."""

    path: str
    line: int
    column: int
    rule: str
    severity: str
    message: str
    post: str | None = None


@dataclass(frozen=True)
class RuleInfo:
    """What a rule is, for reports that list rules (SARIF)."""

    id: str
    description: str
    help_uri: str | None = None
    severity: str | None = None      # as configured for this run


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]
    files: int
    posts: int
    suppressed: int = 0
    rules: tuple[RuleInfo, ...] = field(default=())

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        threshold = severity_rank(fail_on)
        return any(severity_rank(f.severity) >= threshold for f in self.findings)
