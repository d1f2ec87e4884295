"""Hard bounds on every input, checked before a library that could crash or stall sees it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from gitfixtures import content_repo

from postops.links import bound_problems
from postops.lint.facts import MAX_DOTTED_LABELS, measure
from postops.repo.yamlfile import MAX_DEPTH, YamlProblem, parse

SRC = str(Path(__file__).resolve().parent.parent / "src")
NOW = "2026-03-01T12:00:00+00:00"


def test_deep_nesting_is_refused_before_the_c_parser_sees_it():
    # 30,000 nested brackets in 60 KB: the C composer recursed once per level and crashed the process
    raw = b"account: csis\ntext: hi\nextra: " + b"[" * 30_000 + b"]" * 30_000 + b"\n"
    with pytest.raises(YamlProblem) as err:
        parse(raw, "posts/csis/deep.yaml")
    assert f"nested more than {MAX_DEPTH} deep" in str(err.value)
    assert (err.value.line, err.value.column) == (3, 8 + MAX_DEPTH)


def test_deep_block_nesting_is_refused_too():
    raw = b"account: csis\ntext: hi\nextra:\n  " + b"- " * 30_000 + b"x\n"
    with pytest.raises(YamlProblem, match="nested more than"):
        parse(raw, "posts/csis/deep.yaml")


@pytest.mark.parametrize("command", [["lint"], ["plan", "--now", NOW], ["status", "--now", NOW],
                                     ["publish", "--now", NOW]])
def test_every_command_reports_deep_nesting_instead_of_crashing(tmp_path, command):
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/deep.yaml", "account: drill\ntext: hi\nextra: " + "[" * 30_000 + "]" * 30_000 + "\n")
    repo.commit("a hostile post", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    result = subprocess.run([sys.executable, "-m", "postops", *command], cwd=repo.root, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=300, check=False)
    assert result.returncode >= 0, f"crashed with signal {-result.returncode}"
    assert "Traceback" not in result.stderr
    if command == ["lint"]:  # the others set the unreadable post aside, as for any file that does not parse
        assert "posts/drill/deep.yaml:3" in result.stdout
        assert "nested more than" in result.stdout


def test_url_extraction_stays_fast_on_dotted_runs():
    # `a.a.a.` repeated made twitter-text's URL pattern take seconds per thousand characters
    text = "see " + "a." * 3000 + " and example.com"
    started = time.perf_counter()
    measures = measure(text)
    assert time.perf_counter() - started < 2
    assert [url for url, _, _ in measures.urls] == ["example.com"]
    assert measures.urls[0][1] == text.index("example.com")


def test_a_long_run_without_dots_is_bounded_quickly_too():
    # the bound's own pattern read the rest of a run of letters from every position of it: a Facebook post at
    # its limit of 63,206 characters, one word long, took a minute to lint
    text = "e" * 63_190 + " example.com"
    started = time.perf_counter()
    assert bound_problems(text) == []
    assert [url for url, _, _ in measure(text).urls] == ["example.com"]
    assert time.perf_counter() - started < 2


def test_a_dotted_run_over_the_bound_is_a_located_finding(repo):
    repo.write("posts/csis/dots.yaml", "account: csis\ntext: |\n  hello\n  look " + "a." * 200 + "\n")
    findings = [f for f in repo.lint().findings if f.rule == "text-bounds"]
    assert len(findings) == 1
    assert f"more than {MAX_DOTTED_LABELS}" in findings[0].message
    assert (findings[0].line, findings[0].column) == (4, 8)


def test_real_domains_are_within_the_bound(repo):
    repo.write("posts/csis/ok.yaml", "account: csis\ntext: see https://a.b.c.d.example.co.uk/x.y.z?v=1.2.3\n")
    assert not [f for f in repo.lint().findings if f.rule == "text-bounds"]
