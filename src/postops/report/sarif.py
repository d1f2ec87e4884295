"""SARIF 2.1.0, the format GitHub code scanning (and other review tools) read.

https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from postops import __version__
from postops.lint.findings import Finding, LintResult, RuleInfo
from postops.report._common import ordered

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://postops.dev"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(result: LintResult) -> str:
    findings = ordered(result.findings)
    rules = _rules(result.rules, findings)
    index = {rule.id: i for i, rule in enumerate(rules)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "postops",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
            }},
            # Columns come from the YAML parser, which counts characters; SARIF's default is UTF-16 units.
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index[f.rule]) for f in findings],
        }],
    }
    # ASCII-only: the same bytes whatever the encoding of the terminal or pipe it is written to.
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def _rules(known: tuple[RuleInfo, ...], findings: list[Finding]) -> list[RuleInfo]:
    """The run's rules in their given order, then any rule a finding names that the run did not list."""
    rules = list({rule.id: rule for rule in known}.values())
    seen = {rule.id for rule in rules}
    for f in findings:
        if f.rule not in seen:
            seen.add(f.rule)
            rules.append(RuleInfo(f.rule, "", severity=f.severity))
    return rules


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    description = rule.description.strip() or rule.id
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "shortDescription": {"text": _first_line(description)},
        "fullDescription": {"text": description},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    descriptor["defaultConfiguration"] = {"level": LEVELS[rule.severity] if rule.severity else "warning"}
    return descriptor


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                # SARIF lines and columns start at 1; a finding about a whole file may say 0.
                "region": {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)},
            },
        }],
    }
    if finding.post is not None:
        result["properties"] = {"post": finding.post}
    return result


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference: `posts/a b.yaml` -> `posts/a%20b.yaml`.

    Percent-encoding also keeps a first segment with a colon (`a:b.yaml`) from reading as a URI scheme.
    """
    return quote(path, safe="/")


def _first_line(text: str) -> str:
    return text.splitlines()[0].strip() if text else text
