from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from jsonschema import Draft4Validator

import postops
from postops.errors import UsageError
from postops.lint.findings import Finding, LintResult, RuleInfo
from postops.report import REPORTERS, github, render, sarif, text
from postops.report import json as json_report

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text(encoding="utf-8"))

# Deliberately out of report order, with one finding for a file that did not parse (post=None).
FINDINGS = (
    Finding("posts/csis/b.yaml", 3, 7, "max-length", "warning", "text is 291 characters; x allows 280", "b"),
    Finding("posts/csis/a.yaml", 12, 1, "no-insults", "error", "Official accounts don't use 'suck'", "a"),
    Finding("posts/broken.yaml", 2, 5, "yaml", "error",
            "could not parse: mapping values are not allowed here", None),
    Finding("posts/csis/a.yaml", 4, 9, "hashtags", "info", "three hashtags; two read better", "a"),
    Finding("posts/csis/a.yaml", 4, 9, "alt-text", "warning", "image 1 has no alt text", "a"),
)
SORTED = sorted(FINDINGS, key=lambda f: (f.path, f.line, f.column, f.rule))
RULES = (
    RuleInfo("yaml", "A post file must be valid YAML.", severity="error"),
    RuleInfo("no-insults", "Official accounts don't insult.\nSee the tone guide for the words we avoid.",
             "https://example.org/tone", severity="error"),
    RuleInfo("max-length", "Text fits the platform's limit.", severity="warning"),
    RuleInfo("alt-text", "Every image has alt text.", severity="warning"),
    RuleInfo("quiet-hours", "Nothing is published at night.", severity="info"),
)
RESULT = LintResult(findings=FINDINGS, files=12, posts=40, suppressed=2, rules=RULES)
EMPTY = LintResult(findings=(), files=0, posts=0)

# Every character GitHub's workflow commands treat specially, in messages and in paths.
NASTY_MESSAGES = [
    "100% sure",
    "literally %0A and %25 and %3A%2C in the text",
    "line one\nline two\r\nline three\rend",
    "key: value, other: thing :: ::error file=x::injected",
    "trailing percent %",
]
NASTY_PATHS = ["posts/a,b.yaml", "posts/c:d.yaml", "posts/100%/e f.yaml", "posts/x,y:z%2C.yaml"]


# --- registry ---------------------------------------------------------------------------------------------

def test_registry_has_the_four_formats():
    assert list(REPORTERS) == ["text", "json", "github", "sarif"]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_render_dispatches_to_the_format(fmt):
    assert render(RESULT, fmt) == REPORTERS[fmt](RESULT)


@pytest.mark.parametrize("fmt", ["json", "github", "sarif"])
def test_quiet_and_color_only_change_text(fmt):
    assert render(RESULT, fmt, quiet=True, color=True) == render(RESULT, fmt)


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError) as excinfo:
        render(RESULT, "xml")
    assert excinfo.value.exit_code == 2
    assert "'xml'" in str(excinfo.value) and "sarif" in str(excinfo.value)


# --- text -------------------------------------------------------------------------------------------------

def test_text_lines_are_sorted_and_end_with_the_summary():
    assert render(RESULT, "text") == (
        "posts/broken.yaml:2:5: error [yaml] could not parse: mapping values are not allowed here\n"
        "posts/csis/a.yaml:4:9: warning [alt-text] image 1 has no alt text\n"
        "posts/csis/a.yaml:4:9: info [hashtags] three hashtags; two read better\n"
        "posts/csis/a.yaml:12:1: error [no-insults] Official accounts don't use 'suck'\n"
        "posts/csis/b.yaml:3:7: warning [max-length] text is 291 characters; x allows 280\n"
        "2 errors, 2 warnings, 1 info in 3 files (12 files, 40 posts checked), 2 suppressed\n"
    )


def test_text_quiet_prints_only_the_findings():
    lines = render(RESULT, "text", quiet=True).splitlines()
    assert len(lines) == len(FINDINGS)
    assert all(re.match(r"^[^:]+:\d+:\d+: (error|warning|info) \[[\w-]+\] ", line) for line in lines)
    assert render(EMPTY, "text", quiet=True) == ""


@pytest.mark.parametrize("severities, files, posts, suppressed, expected", [
    ((), 12, 40, 0, "no problems in 12 files (40 posts)"),
    ((), 1, 1, 0, "no problems in 1 file (1 post)"),
    ((), 0, 0, 3, "no problems in 0 files (0 posts), 3 suppressed"),
    (("error",), 1, 0, 0, "1 error in 1 file (1 file, 0 posts checked)"),
    (("warning", "warning", "error", "error", "error"), 12, 40, 2,
     "3 errors, 2 warnings in 1 file (12 files, 40 posts checked), 2 suppressed"),
    (("info", "info", "warning"), 5, 5, 1, "1 warning, 2 info in 1 file (5 files, 5 posts checked), 1 suppressed"),
    # three errors in one of the three files checked: not "3 errors in 3 files"
    (("error", "error", "error"), 3, 3, 0, "3 errors in 1 file (3 files, 3 posts checked)"),
])
def test_text_summary(severities, files, posts, suppressed, expected):
    findings = tuple(Finding("p.yaml", i + 1, 1, "r", s, "m", "p") for i, s in enumerate(severities))
    result = LintResult(findings=findings, files=files, posts=posts, suppressed=suppressed)
    assert text.render(result).splitlines()[-1] == expected


def test_text_summary_counts_each_file_with_problems_once():
    findings = tuple(Finding(path, 1, 1, "r", "error", "m", None) for path in ("a.yaml", "b.yaml", "a.yaml"))
    result = LintResult(findings=findings, files=4, posts=4)
    assert text.summary(result) == "3 errors in 2 files (4 files, 4 posts checked)"


def test_text_color_marks_only_the_severity():
    colored = render(RESULT, "text", color=True).splitlines()
    assert colored[0] == ("posts/broken.yaml:2:5: \x1b[1;31merror\x1b[0m [yaml] "
                          "could not parse: mapping values are not allowed here")
    assert "\x1b[33mwarning\x1b[0m [alt-text]" in colored[1]
    assert "\x1b[36minfo\x1b[0m [hashtags]" in colored[2]
    assert "\x1b" not in colored[-1]
    assert "\x1b" not in render(RESULT, "text")


def test_text_keeps_each_finding_on_one_line_without_control_characters():
    finding = Finding("posts/a\nb.yaml", 1, 1, "no-insults", "error",
                      "Official accounts don't use 'a\nb\r\nc'\x1b[2J\x07 \u2028end\tok", "a")
    out = text.render(LintResult(findings=(finding,), files=1, posts=1), quiet=True)
    assert out == ("posts/a b.yaml:1:1: error [no-insults] "
                   "Official accounts don't use 'a b c'\ufffd[2J\ufffd  end\tok\n")


# --- json -------------------------------------------------------------------------------------------------

def test_json_shape():
    out = render(RESULT, "json")
    assert out.startswith('{\n  "version": 1,\n  "findings": [\n    {\n      "path": ')
    assert out.endswith("}\n")
    doc = json.loads(out)
    assert list(doc) == ["version", "findings", "summary"]
    assert doc["version"] == 1
    assert [list(f) for f in doc["findings"]] == [
        ["path", "line", "column", "rule", "severity", "message", "post"]] * len(FINDINGS)
    assert doc["findings"] == [
        {"path": f.path, "line": f.line, "column": f.column, "rule": f.rule, "severity": f.severity,
         "message": f.message, "post": f.post}
        for f in SORTED
    ]
    assert doc["findings"][0]["post"] is None and '"post": null' in out
    assert list(doc["summary"]) == ["files", "posts", "errors", "warnings", "infos", "suppressed"]
    assert doc["summary"] == {"files": 12, "posts": 40, "errors": 2, "warnings": 2, "infos": 1,
                              "suppressed": 2}


def test_json_empty():
    assert json.loads(json_report.render(EMPTY)) == {
        "version": 1,
        "findings": [],
        "summary": {"files": 0, "posts": 0, "errors": 0, "warnings": 0, "infos": 0, "suppressed": 0},
    }


def test_json_is_ascii_and_round_trips_any_message():
    messages = ["Café ☕ — “quoted” 🎉", *NASTY_MESSAGES, 'back\\slash "quotes"\t\x00']
    findings = tuple(Finding("posts/é.yaml", i + 1, 1, "r", "error", m, "é")
                     for i, m in enumerate(messages))
    out = json_report.render(LintResult(findings=findings, files=1, posts=1))
    assert out.isascii()
    doc = json.loads(out)
    assert [f["message"] for f in doc["findings"]] == messages
    assert {f["path"] for f in doc["findings"]} == {"posts/é.yaml"}


# --- github -----------------------------------------------------------------------------------------------

def _unescape(value: str) -> str:
    # One pass, as the runner reads it: "%253A" is "%3A", not ":".
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: chr(int(m.group(1), 16)), value)


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Read one workflow command the way the Actions runner does."""
    assert line.startswith("::")
    header, sep, data = line[2:].partition("::")
    assert sep
    command, _, props = header.partition(" ")
    properties = {}
    for pair in props.split(","):
        key, eq, value = pair.partition("=")
        assert eq, pair
        properties[key] = _unescape(value)
    return command, properties, _unescape(data)


def test_github_one_command_per_finding():
    out = render(RESULT, "github")
    assert out.splitlines()[1] == ("::warning file=posts/csis/a.yaml,line=4,col=9,title=alt-text::"
                                   "image 1 has no alt text")
    assert out.splitlines()[0] == ("::error file=posts/broken.yaml,line=2,col=5,title=yaml::"
                                   "could not parse: mapping values are not allowed here")
    commands = [_parse_command(line) for line in out.splitlines()]
    assert [(c, p) for c, p, _ in commands] == [
        ({"error": "error", "warning": "warning", "info": "notice"}[f.severity],
         {"file": f.path, "line": str(f.line), "col": str(f.column), "title": f.rule})
        for f in SORTED
    ]
    assert [data for _, _, data in commands] == [f.message for f in SORTED]


def test_github_empty_prints_nothing():
    assert github.render(EMPTY) == ""


def test_github_escaping_round_trips():
    findings = tuple(
        Finding(path, i + 1, i + 2, f"rule:{i},x", "error", message, None)
        for i, (path, message) in enumerate(zip(NASTY_PATHS * 2, NASTY_MESSAGES + ["plain"] * 3, strict=False))
    )
    out = github.render(LintResult(findings=findings, files=4, posts=0))
    lines = out.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    # One physical line per finding: no raw line break survives inside a command.
    assert len(lines) == len(findings) and not any("\r" in line for line in lines)
    expected = sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule))
    for line, f in zip(lines, expected, strict=True):
        command, props, data = _parse_command(line)
        assert command == "error"
        assert props == {"file": f.path, "line": str(f.line), "col": str(f.column), "title": f.rule}
        assert data == f.message
        # Escaped property values hold no separator of their own.
        assert line.split("::")[1].count(",") == 3


@pytest.mark.parametrize("raw, data, prop", [
    ("100%", "100%25", "100%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
    ("%0A", "%250A", "%250A"),
    ("%3A", "%253A", "%253A"),
])
def test_github_escape_rules(raw, data, prop):
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop
    assert _unescape(data) == raw and _unescape(prop) == raw


# --- sarif ------------------------------------------------------------------------------------------------

def _valid_sarif(out: str) -> dict:
    log = json.loads(out)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return log


def test_the_vendored_schema_is_the_sarif_2_1_0_schema_and_rejects_bad_logs():
    assert SARIF_SCHEMA["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                                  "sarif-schema-2.1.0.json")
    log = json.loads(render(RESULT, "sarif"))
    log["runs"][0]["results"][0]["level"] = "info"
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"] = {}
    validator = Draft4Validator(SARIF_SCHEMA)
    assert len(list(validator.iter_errors(log))) >= 3
    assert not validator.is_valid({"version": "2.0.0", "runs": []})


def test_sarif_is_valid_and_complete():
    out = render(RESULT, "sarif")
    assert out.isascii() and out.endswith("}\n")
    log = _valid_sarif(out)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "postops"
    assert driver["version"] == postops.__version__
    assert urlsplit(driver["informationUri"]).scheme == "https"
    assert run["columnKind"] == "unicodeCodePoints"

    # Every rule of the run, in its order, then "hashtags", which a finding names but the run did not list.
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["yaml", "no-insults", "max-length", "alt-text", "quiet-hours",
                                        "hashtags"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["no-insults"] == {
        "id": "no-insults",
        "shortDescription": {"text": "Official accounts don't insult."},
        "fullDescription": {"text": RULES[1].description},
        "helpUri": "https://example.org/tone",
        "defaultConfiguration": {"level": "error"},
    }
    assert "helpUri" not in by_id["yaml"]
    assert by_id["hashtags"]["shortDescription"] == {"text": "hashtags"}
    assert by_id["hashtags"]["fullDescription"] == {"text": "hashtags"}
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules} == {
        "yaml": "error", "no-insults": "error", "max-length": "warning", "alt-text": "warning",
        "quiet-hours": "note", "hashtags": "note"}

    results = run["results"]
    assert len(results) == len(FINDINGS)
    for res, f in zip(results, SORTED, strict=True):
        assert res["ruleId"] == f.rule
        assert rules[res["ruleIndex"]]["id"] == f.rule
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f.severity]
        assert res["message"] == {"text": f.message}
        [location] = res["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.line, "startColumn": f.column},
        }
        assert res.get("properties") == ({"post": f.post} if f.post else None)


def test_sarif_empty_is_valid():
    log = _valid_sarif(sarif.render(EMPTY))
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_uris_are_encoded_relative_references():
    paths = [*NASTY_PATHS, "posts/café/ü.yaml", "a:b.yaml", "posts/#1?.yaml"]
    findings = tuple(Finding(p, 1, 1, "r", "warning", "m", None) for p in paths)
    log = _valid_sarif(sarif.render(LintResult(findings=findings, files=len(paths), posts=0)))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]
    assert [unquote(u) for u in uris] == sorted(paths)
    for uri in uris:
        # RFC 3986 relative reference: only unreserved characters, "/" and percent-escapes; no scheme.
        assert re.fullmatch(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+", uri), uri
        assert urlsplit(uri).scheme == "" and not uri.startswith("/")
    assert sarif.artifact_uri("posts/a b.yaml") == "posts/a%20b.yaml"


def test_sarif_clamps_positions_to_its_minimum():
    finding = Finding("posts/a.yaml", 0, 0, "r", "error", "the whole file", "a")
    log = _valid_sarif(sarif.render(LintResult(findings=(finding,), files=1, posts=1)))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}


def test_sarif_keeps_messages_exactly():
    findings = tuple(Finding("p.yaml", i + 1, 1, "r", "info", m, "p") for i, m in enumerate(NASTY_MESSAGES))
    log = _valid_sarif(sarif.render(LintResult(findings=findings, files=1, posts=1)))
    assert [r["message"]["text"] for r in log["runs"][0]["results"]] == NASTY_MESSAGES


def test_sarif_lists_a_repeated_rule_once():
    rules = (RuleInfo("r", "first"), RuleInfo("r", "again"), RuleInfo("s", "other"))
    log = _valid_sarif(sarif.render(LintResult(findings=(), files=0, posts=0, rules=rules)))
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["r", "s"]


# --- every format -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_does_not_depend_on_input_order(fmt):
    reversed_result = LintResult(findings=FINDINGS[::-1], files=12, posts=40, suppressed=2, rules=RULES)
    assert render(reversed_result, fmt) == render(RESULT, fmt)
