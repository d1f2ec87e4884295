"""YAML files → plain Python values that remember where every key and value stood.

ruamel.yaml's C parser composes the node tree (with marks) in C; postops builds plain values from the
nodes itself. That is several times faster than ruamel.yaml's round-trip loader, keeps a position for
every key and value, and lets postops refuse what a post file must never contain (duplicate keys,
alias bombs, custom tags) with a location instead of a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError

from postops.errors import PostopsError

try:  # the C parser: ruamel.yaml.clib
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure Python fallback, same nodes, slower
    from ruamel.yaml.loader import SafeLoader as _Loader  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 1024 * 1024
# Aliases may be used, but one file can never expand into more than this many values.
MAX_NODES = 20_000
# and never nests deeper than this (Python's own recursion would give out long before the parser does)
MAX_DEPTH = 100

Path = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a file."""

    line: int
    column: int


class YamlProblem(PostopsError):
    """A file that cannot be read as YAML of the expected shape."""


@dataclass
class Document:
    """One parsed YAML file: its data and the position of every key and value in it."""

    path: str
    text: str
    data: Any
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    # For scalars: (style, where the scalar ends) so text offsets can be mapped back into the file.
    scalars: dict[Path, tuple[str | None, Mark]] = field(default_factory=dict)

    def value_mark(self, path: Path) -> Mark:
        """Where the value at `path` is, or its nearest ancestor that exists."""
        path = tuple(path)
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Mark(1, 1))

    def key_mark(self, path: Path) -> Mark:
        """Where the key of the entry at `path` is (its value's position for list items)."""
        path = tuple(path)
        return self.keys.get(path) or self.value_mark(path)

    def inside_value(self, mark: Mark) -> bool:
        """Whether `mark` falls inside a scalar value (so a `#` there is text, not a comment)."""
        for path, (style, end) in self.scalars.items():
            start = self.values[path]
            if style in ("|", ">"):  # a block's text starts on the next line; its header line may hold a comment
                start = Mark(start.line + 1, 1)
            if (start.line, start.column) <= (mark.line, mark.column) < (end.line, end.column):
                return True
        return False

    def offset_mark(self, path: Path, offset: int, length: int = 0) -> Mark:
        """Where character `offset` of the string value at `path` is in the file.

        Exact for literal block scalars (`|`) and single-line scalars; elsewhere (folded or escaped
        text) the value's own position.
        """
        path = tuple(path)
        start = self.value_mark(path)
        value = _get(self.data, path)
        if path not in self.scalars or not isinstance(value, str) or not 0 <= offset <= len(value):
            return start
        style, end = self.scalars[path]
        last_line = end.line
        lines = self.text.splitlines()
        wanted = value[offset:offset + length] if length else ""
        if style == "|":
            before = value[:offset]
            row = before.count("\n")
            col_in_line = offset - (before.rfind("\n") + 1)
            line_no = start.line + 1 + row
            if line_no - 1 < len(lines):
                source = lines[line_no - 1]
                indent = len(source) - len(source.lstrip(" "))
                if not wanted or source[indent + col_in_line:].lower().startswith(wanted.lower()):
                    return Mark(line_no, indent + col_in_line + 1)
            return start
        if last_line == start.line and "\n" not in value:
            quote = 1 if style in ("'", '"') else 0
            column = start.column + quote + offset
            source = lines[start.line - 1] if start.line - 1 < len(lines) else ""
            if not wanted or source[column - 1:].lower().startswith(wanted.lower()):
                return Mark(start.line, column)
        return start


def _get(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def parse(raw: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Parse one YAML document. Raises YamlProblem, located, for anything that is not plain YAML."""
    if len(raw) > max_bytes:
        raise YamlProblem(f"file is {len(raw):,} bytes, over the {max_bytes:,}-byte limit", path, 1, 1)
    if b"\x00" in raw:
        raise YamlProblem("file is binary, not YAML text", path, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1  # characters, as elsewhere
        raise YamlProblem(f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", path, line,
                          column) from None
    text = text.removeprefix("\ufeff")
    _check_depth(text, path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise YamlProblem(f"invalid YAML: {problem}", path, mark.line + 1 if mark else 1,
                          mark.column + 1 if mark else 1) from None
    except YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", path, 1, 1) from None
    finally:
        if hasattr(loader, "dispose"):
            loader.dispose()
    doc = Document(path=path, text=text, data=None)
    if node is None:
        raise YamlProblem("file is empty", path, 1, 1)
    builder = _Builder(doc)
    doc.data = builder.build(node, ())
    return doc


# Every nested collection is opened by one of these characters: a text with fewer of them cannot nest too deep.
_OPENERS = ("[", "{", "-", "?", ":")
_STARTS = frozenset({"SequenceStartEvent", "MappingStartEvent"})
_ENDS = frozenset({"SequenceEndEvent", "MappingEndEvent"})


def _check_depth(text: str, path: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the C composer sees it: it recurses once per level on
    the C stack and crashes the whole process (a segmentation fault, not an exception) somewhere past
    20,000 levels. The parser's event stream is iterative, so counting depth from it is safe."""
    if sum(text.count(c) for c in _OPENERS) <= MAX_DEPTH:
        return
    loader = _Loader(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            kind = type(event).__name__
            if kind in _STARTS:
                depth += 1
                if depth > MAX_DEPTH + 1:  # the document's own collection is depth 1 here, 0 in _Builder
                    mark = event.start_mark
                    raise YamlProblem(f"values nested more than {MAX_DEPTH} deep", path, mark.line + 1,
                                      mark.column + 1)
            elif kind in _ENDS:
                depth -= 1
            elif kind == "StreamEndEvent":
                return
    except YAMLError:
        return  # not YAML at all: the composer reports it, located, without nesting that deep
    finally:
        if hasattr(loader, "dispose"):
            loader.dispose()


_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()

    def fail(self, message: str, node: Any) -> YamlProblem:
        mark = node.start_mark
        return YamlProblem(message, self.doc.path, mark.line + 1, mark.column + 1)

    def build(self, node: Any, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            raise self.fail(f"values nested more than {MAX_DEPTH} deep", node)
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"file expands to more than {MAX_NODES:,} values (alias bomb?)", node)
        mark = node.start_mark
        self.doc.values[path] = Mark(mark.line + 1, mark.column + 1)
        kind = node.id
        if id(node) in self.active:
            raise self.fail("an alias refers to itself", node)
        if kind == "scalar":
            self.doc.scalars[path] = (node.style, Mark(node.end_mark.line + 1, node.end_mark.column + 1))
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if kind == "sequence":
                if node.tag != _TAG + "seq":
                    raise self.fail(f"unsupported tag {node.tag}", node)
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            if node.tag != _TAG + "map":
                raise self.fail(f"unsupported tag {node.tag}", node)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.id == "scalar" and key_node.tag == _TAG + "merge":
                    raise self.fail("merge keys (<<) are not supported", key_node)
                if key_node.id != "scalar":
                    raise self.fail("a key must be a plain string", key_node)
                key = key_node.value
                if key in result:
                    raise self.fail(f"duplicate key '{key}'", key_node)
                kmark = key_node.start_mark
                self.doc.keys[path + (key,)] = Mark(kmark.line + 1, kmark.column + 1)
                result[key] = self.build(value_node, path + (key,))
            return result
        finally:
            self.active.discard(id(node))

    def scalar(self, node: Any) -> Any:
        tag, value = node.tag, node.value
        if tag == _TAG + "str" or tag == _TAG + "timestamp":
            return value  # timestamps stay text: postops parses them itself, with their offset
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            if value.lower() not in _BOOL:
                raise self.fail(f"{value!r} is not true or false", node)
            return _BOOL[value.lower()]
        if tag == _TAG + "int":
            if _INT.match(value):
                return int(value.replace("_", ""))
            return value
        if tag == _TAG + "float":
            low = value.lower()
            if low in (".inf", "+.inf", "-.inf", ".nan"):
                return value
            if _FLOAT.match(value):
                return float(value.replace("_", ""))
            return value
        raise self.fail(f"unsupported tag {tag}", node)
