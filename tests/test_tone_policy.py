"""Tone facts used by policies: the insult nobody listed is caught, where it is, and only costs when asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TONE = """\
rules:
  - id: offensive
    applies_to: {accounts: [csis]}
    message: 'text reads as offensive ({value} >= {limit}): "{text}"'
    schema: {properties: {facts: {properties: {offensive: {exclusiveMaximum: 0.5}}}}}
  - id: negative
    severity: warning
    message: "sentiment {value} is below {limit}"
    schema: {properties: {facts: {properties: {sentiment: {minimum: -0.5}}}}}
  - id: languages
    applies_to: {accounts: [drill]}
    message: "language {value} is not English or Spanish"
    schema: {properties: {facts: {properties: {language: {enum: [en, es, null]}}}}}
"""


def test_an_insult_no_word_list_names_is_caught_with_what_was_measured(repo):
    repo.write("policies/tone.yaml", TONE)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Eat dirt, losers\n")
    repo.write("posts/csis/q.yaml", "account: csis\ntext: Our new report on energy security is out today.\n")
    findings = [(f.path, f.line, f.column, f.rule, f.message) for f in repo.lint().findings if f.rule == "offensive"]
    assert len(findings) == 1
    path, line, column, rule, message = findings[0]
    assert (path, line, column, rule) == ("posts/csis/p.yaml", 2, 7, "offensive")
    score = float(message.split("(")[1].split(" ")[0])
    assert score >= 0.5
    assert message == f'text reads as offensive ({score:.2f} >= 0.50): "Eat dirt, losers"'


def test_a_thread_whose_second_part_alone_is_offensive_is_caught_at_that_part(repo):
    repo.write("policies/tone.yaml", TONE)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Our new report is out today.\nthread:\n"
                                    "  - text: Key findings are on page two.\n  - text: Suck it, @amnesty\n")
    findings = [(f.line, f.column, f.rule) for f in repo.lint().findings]
    assert findings == [(5, 11, "offensive")]


@pytest.mark.xdist_group("language")
def test_sentiment_and_language(repo, language_model):
    repo.write("policies/tone.yaml", TONE)
    repo.write("posts/drill/sad.yaml", "account: drill\ntext: This is a terrible, horrible, awful disaster.\n")
    repo.write("posts/drill/es.yaml", "account: drill\ntext: Nuestro nuevo informe sobre seguridad energética ya está disponible.\n")
    repo.write("posts/drill/de.yaml", "account: drill\ntext: Unser neuer Bericht über Energiesicherheit ist heute erschienen.\n")
    repo.write("posts/drill/gibberish.yaml", "account: drill\ntext: xq zzv 123\n")
    findings = sorted((f.path, f.rule, f.message) for f in repo.lint().findings)
    assert [(p, r) for p, r, _ in findings] == [("posts/drill/de.yaml", "languages"),
                                                ("posts/drill/sad.yaml", "negative")]
    assert findings[0][2] == "language de is not English or Spanish"
    assert findings[1][2].endswith("is below -0.50")


def run_lint_in_subprocess(root, prelude=""):
    code = (f"{prelude}\nimport sys, json\nfrom pathlib import Path\nfrom postops.repo.config import load_config\n"
            "from postops.lint.engine import run_lint\nfrom postops.errors import ConfigError\nroot = Path(sys.argv[1])\n"
            "try:\n    result = run_lint(root, load_config(root))\n    out = {'findings': len(result.findings)}\n"
            "except ConfigError as exc:\n    out = {'error': str(exc)}\n"
            "out['loaded'] = sorted(m for m in ('profanity_check', 'sklearn', 'vaderSentiment', 'lingua') "
            "if m in sys.modules)\nprint(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_lint_without_a_tone_policy_imports_no_tone_library(repo):
    repo.write("policies/words.yaml", "rules:\n  - id: w\n    schema: {properties: {facts: {properties: "
                                      "{words: {not: {contains: {const: bad}}}}}}}\n")
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Eat dirt, losers\n")
    assert run_lint_in_subprocess(repo.root) == {"findings": 0, "loaded": []}


def test_a_tone_policy_imports_only_what_it_uses(repo):
    repo.write("policies/tone.yaml", TONE.split("  - id: languages", maxsplit=1)[0].replace(
        TONE.split("  - id: negative", maxsplit=1)[0].split("rules:\n")[1], ""))
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hello\n")
    assert run_lint_in_subprocess(repo.root)["loaded"] == ["vaderSentiment"]


def test_missing_extra_is_a_config_error_naming_the_extra_and_the_rule(repo):
    repo.write("policies/tone.yaml", TONE)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hello\n")
    # importlib finds no spec for a module whose sys.modules entry is None
    blocked = "import sys, importlib.util\n_find = importlib.util.find_spec\n" \
              "importlib.util.find_spec = lambda n, *a: None if n == 'profanity_check' else _find(n, *a)"
    out = run_lint_in_subprocess(repo.root, blocked)
    assert out["error"] == ("policies/tone.yaml:2:1: rule 'offensive': the fact 'offensive' needs "
                            "alt-profanity-check (not installed); install the tone extra: pip install 'postops[tone]'")
    assert out["loaded"] == []
