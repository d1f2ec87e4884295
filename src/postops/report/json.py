"""The machine format. Other tools parse it: change its shape only with a new `version`."""

from __future__ import annotations

import json
from typing import Any

from postops.lint.findings import LintResult
from postops.report._common import ordered

VERSION = 1


def render(result: LintResult) -> str:
    document: dict[str, Any] = {
        "version": VERSION,
        "findings": [
            {"path": f.path, "line": f.line, "column": f.column, "rule": f.rule, "severity": f.severity,
             "message": f.message, "post": f.post}
            for f in ordered(result.findings)
        ],
        "summary": {
            "files": result.files,
            "posts": result.posts,
            "errors": result.count("error"),
            "warnings": result.count("warning"),
            "infos": result.count("info"),
            "suppressed": result.suppressed,
        },
    }
    # ASCII-only: the same bytes whatever the encoding of the terminal or pipe it is written to.
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
