"""Every built-in rule's examples, run through lint; and docs/rules.md, generated from them, is current."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postops.lint.engine import PublishedState, run_lint
from postops.lint.rules import ALL_BUILTINS, Example
from postops.lint.rules.docs import render
from postops.repo.config import load_config
from postops.repo.posts import Post, content_hash, load_post
from postops.scaffold.init import init_repo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/New_York"))
RULES_MD = Path(__file__).resolve().parents[1] / "docs" / "rules.md"

EXAMPLES = [pytest.param(rule.id, example, id=f"{rule.id}-{'passes' if example.passes else 'fails'}-{i}")
            for rule in ALL_BUILTINS.values() for i, example in enumerate(rule.examples)]


def _write(root: Path, rel: str, text: str | bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")


def _apply(root: Path, example: Example) -> PublishedState | None:
    """Make the example's change to the repository; what the ledger would tell lint, if anything."""
    for rel, text in example.setup.items():
        _write(root, rel, text)
    state = None
    config = load_config(root)
    if example.published is not None:
        _write(root, example.path, example.published)
        post = load_post(root, example.path, config)
        assert isinstance(post, Post), post
        state = PublishedState({(post.id, a): content_hash(post, a, root) for a in post.accounts}, frozenset())
    if example.retracted:
        state = PublishedState(state.published if state else {}, frozenset(example.retracted))
    target = root / example.path
    if example.text is None:
        target.unlink()
    elif example.insert_after is not None:
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.rstrip("\n") == example.insert_after) + 1
        target.write_text("".join(lines[:at]) + example.text + "".join(lines[at:]), encoding="utf-8")
    else:
        _write(root, example.path, example.text)
    if example.git_add:
        subprocess.run(["git", "-C", str(root), "add", "-f", "--", *example.git_add], check=True)
    return state


@pytest.mark.parametrize(("rule_id", "example"), EXAMPLES)
def test_rule_example(tmp_path, rule_id, example):
    root = tmp_path / "repo"
    init_repo(root, force=False, now=NOW)
    # The tone models' own examples are in docs/tone.md; these examples show the built-in rules.
    (root / "policies" / "tone-models.yaml").unlink()
    state = _apply(root, example)
    # A post is linted alone, as pre-commit does; any other file with the repository checks only.
    paths = [str(root / example.path)] if example.path.startswith("posts/") else []
    result = run_lint(root, load_config(root), paths, state=state, now=NOW)
    lines = tuple(f"{f.path}:{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message}" for f in result.findings)
    assert lines == example.findings


@pytest.mark.parametrize("rule", ALL_BUILTINS.values(), ids=lambda rule: rule.id)
def test_every_rule_is_documented_with_a_failing_and_a_passing_example(rule):
    assert rule.doc.strip() and rule.description
    assert any(e.passes for e in rule.examples)
    failing = [e for e in rule.examples if not e.passes]
    assert failing
    # each failing example shows this rule's own finding
    assert all(any(f" [{rule.id}] " in line for line in e.findings) for e in failing)


def test_docs_rules_md_is_generated_from_the_rule_modules():
    assert RULES_MD.read_text(encoding="utf-8") == render(), \
        "docs/rules.md is stale: run `make docs` (python -m postops.lint.rules.docs > docs/rules.md)"
