"""Phrase rules and the tone model see the text as a reader does: look-alike spellings are caught."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from postops.lint import tone as tone_mod
from postops.lint.engine import _tone_facts, run_lint
from postops.lint.normalize import normalize
from postops.lint.policy import Policies
from postops.repo.config import load_config
from postops.repo.posts import load_post
from postops.scaffold.init import init_repo


class Scaffold:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_text(text, encoding="utf-8")

    def lint(self):  # type: ignore[no-untyped-def]
        return run_lint(self.root, load_config(self.root), [str(self.root / "posts/official/a.yaml")])


@pytest.fixture
def scaffold(tmp_path: Path) -> Scaffold:
    init_repo(tmp_path, force=False, now=datetime(2026, 11, 23, 12, tzinfo=UTC))
    (tmp_path / "policies" / "tone-models.yaml").unlink()  # the models have tests of their own
    return Scaffold(tmp_path)

# the init scaffold's policies, as an organisation starts with them
EVASIONS = ["Ｓｕｃｋ ｉｔ", "Sսck it", "S.u.c.k i.t", "Ѕuсk іt", "S-u-c-k it"]


@pytest.mark.parametrize("text", EVASIONS)
def test_the_scaffold_banned_phrase_rule_catches_look_alike_spellings(scaffold, text):
    scaffold.write("posts/official/a.yaml", f"account: official\ntext: \"Competitors? {text}!\"\n")
    found = [f for f in scaffold.lint().findings if f.rule == "banned-phrases"]
    assert len(found) == 1, scaffold.lint().findings
    assert found[0].line == 2


@pytest.mark.parametrize("text", ["Our report is out", "café, naïve, 日本語 😀", "U.S. policy", "e-mail us", "сука",
                                  "example.com/a.b"])
def test_ordinary_text_reads_as_written(text):
    assert normalize(text).replace("U.S", "US") in (text, text.replace("U.S", "US"))


def test_a_rule_can_opt_out_with_raw_text(scaffold):
    scaffold.write("policies/width.yaml", """\
rules:
  - id: no-full-width
    severity: error
    message: "no full-width letters"
    schema:
      properties:
        facts:
          properties:
            raw_text:
              not:
                pattern: '[Ａ-Ｚａ-ｚ]'
""")
    scaffold.write("posts/official/a.yaml", "account: official\ntext: \"Ｈｅｌｌｏ\"\n")
    assert [f.rule for f in scaffold.lint().findings] == ["no-full-width"]


def test_the_tone_model_sees_the_normalised_text(scaffold, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(tone_mod, "tone_facts", lambda texts, wanted: seen.extend(texts) or [{} for _ in texts])
    monkeypatch.setattr(Policies, "facts", property(lambda self: frozenset({"offensive"})))
    scaffold.write("posts/official/a.yaml", "account: official\ntext: \"Ｓｕｃｋ ｉｔ\"\n")
    post = load_post(scaffold.root, "posts/official/a.yaml", load_config(scaffold.root))
    _tone_facts(Policies([], {}, []), [post])  # type: ignore[list-item]
    assert seen == ["Suck it"]
