"""`postops lint`: findings as text, JSON, GitHub workflow commands or SARIF."""

from __future__ import annotations

from postops.lint.findings import LintResult
from postops.report import github, json, sarif, text
from postops.report._common import PLAIN, Options, Renderer


def render_text(result: LintResult, options: Options = PLAIN) -> str:
    return text.render(result, quiet=options.quiet, color=options.color)


def render_json(result: LintResult, options: Options = PLAIN) -> str:
    return json.render(result)


def render_github(result: LintResult, options: Options = PLAIN) -> str:
    return github.render(result)


def render_sarif(result: LintResult, options: Options = PLAIN) -> str:
    return sarif.render(result)


FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif}
