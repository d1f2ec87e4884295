"""The flat fast path of postops.repo.yamlfile reads the files it accepts exactly as the full parser does.

`_parse_flat` reads flat post files line by line and gives up on anything else. Over thousands of
generated files, made of ordinary lines and of the lines that trip YAML parsers (indicators, quotes,
comments, tabs, folded and kept blocks, nesting, odd indentation, non-ASCII and control characters), every
document it returns must equal the full parser's (values with their Python types, and every mark), and
it must return nothing where the full parser refuses the file.
"""

from __future__ import annotations

import random

import pytest

from postops.repo import yamlfile
from postops.repo.yamlfile import YamlProblem, _parse_composed, _parse_flat, parse

KEYS = ["account", "text", "publish_at", "labels", "id", "reply_to", "n", "x_y", "a-b", "<<", "true", "Key9"]
VALUES = ["official", "drill", "Hello world", "2026-03-01T09:00:00-05:00", "2026-03-01", "12", "-3", "1_000",
          "0x1F", "1.5", ".5", "1e3", ".inf", ".NaN", "yes", "no", "on", "True", "FALSE", "null", "~", "NULL",
          "a: b", "a:", "a #b", "a#b", "a # b", "'quoted'", "'it''s'", "\"dq\"", "\"esc\\n\"", "\"a\\\"b\"",
          "'unterminated", "\"x\" y", "'x' # c", "[a, b]", "[]", "[ ]", "[a, 'b c', \"d\"]", "[a, [b]]",
          "[a,]", "[a, b", "[1, yes, null, 2.5]", "[a #b]", "{a: b}", "&anchor x", "*alias", "!tag x",
          "!!str 12", "@x", "%x", "`x`", "? x", "- x", "-x", ":x", ",x", "|", "|-", "|+", "|2", "|-2", ">",
          ">-", "| # comment", "|- #c", "café ☕", "日本語", "tab\there", "x\u0085y", "x\u2028y", "x\u0007y",
          "x\ufeffy", "https://example.org/a?b=c#d", "a, b", "a]b", "50%", "", " ", "#comment"]
BLOCKS = ["  line one\n  line two\n", "  one\n\n  two\n", "  one\n    deeper\n", "    four\n    spaces\n",
          "  one\n\n\n", "  one\n  \n  two\n", "  one\n     \n", "\n  after empty\n", "  one\n # low comment\n",
          "  # not a comment\n", "  tab\there\n", "  one\n two\n", "  x: y\n", "   - item\n", "  'q'\n", ""]
EXTRA = ["# a comment\n", "\n", "  # indented comment\n", "---\n", "...\n", "%YAML 1.2\n", "  continued\n",
         "- item\n", "key without colon\n", "\t\n", "media:\n  - path: a.png\n", "thread:\n  - text: x\n"]


def generated(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 7)):
        roll = rng.random()
        if roll < 0.12:
            lines.append(rng.choice(EXTRA))
            continue
        key = rng.choice(KEYS)
        value = rng.choice(VALUES if rng.random() < 0.4 else VALUES[:16] + ["|-", "|", "[a, b]", "'q'"])
        comment = rng.choice(["", "", "", "  # note", " #x", "#x"])
        if value.startswith(("|", ">")):
            lines.append(f"{key}: {value}{comment}\n{rng.choice(BLOCKS)}")
        else:
            lines.append(f"{key}:{rng.choice([' ', ' ', '  ', ''])}{value}{comment}\n")
    text = "".join(lines)
    return text[:-1] if rng.random() < 0.05 else text


def full(text: str) -> object:
    try:
        return _parse_composed(text, "p.yaml")
    except YamlProblem as exc:
        return exc


def same(fast: object, slow: object) -> bool:
    return all(repr(getattr(fast, name)) == repr(getattr(slow, name)) for name in ("data", "values", "keys", "scalars"))


@pytest.mark.parametrize("seed", range(8))
def test_flat_documents_equal_the_full_parsers(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(4000):
        text = generated(rng)
        fast = _parse_flat(text, "p.yaml")
        if fast is None:
            continue
        taken += 1
        slow = full(text)
        assert not isinstance(slow, YamlProblem), (text, slow)
        assert same(fast, slow), text
    assert taken > 300   # the generator must give the fast path work, not only things it declines


def test_the_files_postops_writes_take_the_fast_path() -> None:
    text = ("account: official\npublish_at: 2026-03-01T09:00:00-05:00\nlabels: [research]\n"
            "text: |-\n  Our report is out.\n  Read it at https://example.org/r #energy\n")
    fast = _parse_flat(text, "p.yaml")
    assert fast is not None and same(fast, full(text))
    assert parse(text.encode(), "p.yaml").data["labels"] == ["research"]


def test_what_the_fast_path_declines_is_still_parsed_or_refused_with_a_location(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "account: official\nmedia:\n  - path: a.png\n    alt: A chart\ntext: hi\n"
    assert _parse_flat(text, "p.yaml") is None
    assert parse(text.encode(), "p.yaml").data["media"] == [{"path": "a.png", "alt": "A chart"}]
    with pytest.raises(YamlProblem, match="duplicate key 'text'") as caught:
        parse(b"text: a\ntext: b\n", "p.yaml")
    assert (caught.value.line, caught.value.column) == (2, 1)
    monkeypatch.setattr(yamlfile, "_parse_flat", lambda text, path: None)
    assert parse(b"text: |-\n  a\n", "p.yaml").data == {"text": "a"}
