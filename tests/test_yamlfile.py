from __future__ import annotations

import pytest

from postops.repo.yamlfile import MAX_NODES, Mark, YamlProblem, parse

POST = b"""\
account: csis
publish_at: 2026-11-24T09:00:00-05:00
text: |-
  Hello there
  Suck it, @amnesty
thread:
  - text: "second part"
  - text: plain third
"""


def test_values_and_positions():
    doc = parse(POST, "p.yaml")
    assert doc.data["publish_at"] == "2026-11-24T09:00:00-05:00"  # kept as written, offset and all
    assert doc.data["text"] == "Hello there\nSuck it, @amnesty"
    assert doc.key_mark(("thread",)) == Mark(6, 1)
    assert doc.value_mark(("thread", 1, "text")) == Mark(8, 11)
    assert doc.value_mark(("nope", "deeper")) == Mark(1, 1)


@pytest.mark.parametrize(("path", "needle", "expected"), [
    (("text",), "Suck", Mark(5, 3)),
    (("text",), "@amnesty", Mark(5, 12)),
    (("thread", 0, "text"), "part", Mark(7, 19)),
    (("thread", 1, "text"), "third", Mark(8, 17)),
])
def test_offsets_inside_text_map_to_the_file(path, needle, expected):
    doc = parse(POST, "p.yaml")
    text = doc.data
    for part in path:
        text = text[part]
    assert doc.offset_mark(path, text.index(needle), len(needle)) == expected


def test_folded_text_falls_back_to_the_value():
    doc = parse(b"text: >-\n  one\n  two words\n", "p.yaml")
    assert doc.offset_mark(("text",), doc.data["text"].index("words"), 5) == Mark(1, 7)


@pytest.mark.parametrize(("raw", "message", "line", "column"), [
    (b"a: 1\nb: 2\na: 3\n", "duplicate key 'a'", 3, 1),
    (b"", "file is empty", 1, 1),
    (b"# only a comment\n", "file is empty", 1, 1),
    (b"a: [1,\n", "invalid YAML", 2, 1),
    (b"text: ok\n\xff\xfe\n", "not UTF-8", 2, 1),
    ("text: éé ".encode() + b"\xff\n", "not UTF-8", 1, 10),
    (b"text: \x00\x01", "binary", 1, 1),
    (b"a: !!python/object:os.system x\n", "unsupported tag", 1, 4),
    (b"a: !custom x\n", "unsupported tag", 1, 4),
    (b"---\na: 1\n---\nb: 2\n", "invalid YAML", 3, 1),
    (b"base: &b {x: 1}\nuse:\n  <<: *b\n", "merge keys", 3, 3),
    (b"? [a, b]\n: 1\n", "key must be a plain string", 1, 3),
    (b"labels: [!!bool maybe]\n", "is not true or false", 1, 10),
    (b"a: " + b"[" * 150 + b"]" * 150 + b"\n", "nested more than 100 deep", 1, 104),
])
def test_bad_input_is_a_located_problem(raw, message, line, column):
    with pytest.raises(YamlProblem) as info:
        parse(raw, "bad.yaml")
    assert message in info.value.message
    assert (info.value.path, info.value.line, info.value.column) == ("bad.yaml", line, column)


def test_alias_bomb_is_cut_off():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(YamlProblem) as info:
        parse("\n".join(lines).encode(), "bomb.yaml")
    assert f"more than {MAX_NODES:,} values" in info.value.message


def test_size_cap():
    with pytest.raises(YamlProblem) as info:
        parse(b"text: " + b"x" * 200, "big.yaml", max_bytes=100)
    assert "over the 100-byte limit" in info.value.message


def test_small_aliases_are_fine():
    doc = parse(b"tags: &t [a, b]\nmore: *t\n", "ok.yaml")
    assert doc.data == {"tags": ["a", "b"], "more": ["a", "b"]}


def test_scalar_types():
    doc = parse(b"i: 3\nf: 1.5\nb: true\nn: null\ns: '3'\nhexish: 0x1f\n", "t.yaml")
    assert doc.data == {"i": 3, "f": 1.5, "b": True, "n": None, "s": "3", "hexish": "0x1f"}
