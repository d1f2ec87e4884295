"""YAML files → plain Python values that remember where every key and value stood.

ruamel.yaml's C parser composes the node tree (with marks) in C; postops builds plain values from the
nodes itself. That is several times faster than ruamel.yaml's round-trip loader, keeps a position for
every key and value, and lets postops refuse what a post file must never contain (duplicate keys,
alias bombs, custom tags) with a location instead of a traceback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ruamel.yaml.error import MarkedYAMLError, YAMLError

from postops.errors import PostopsError
from postops.repo.fsutil import open_regular

try:  # the C parser: ruamel.yaml.clib
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure Python fallback, same nodes, slower
    from ruamel.yaml.loader import SafeLoader as _Loader  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 1024 * 1024
# The most `lint.max_file_bytes` may be: past it no file postops reads from the repository is read whole.
MAX_BYTES_CEILING = 64 * 1024 * 1024
# Aliases may be used, but one file can never expand into more than this many values.
MAX_NODES = 20_000
# and never nests deeper than this (Python's own recursion would give out long before the parser does)
MAX_DEPTH = 100

Path = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


class Mark(NamedTuple):
    """A 1-based line and column in a file. A named tuple, not a frozen dataclass: a post file makes a dozen
    and more of them, and a frozen dataclass costs twice as much to make (its __init__ goes through
    object.__setattr__), which was a tenth of the flat parser's time."""

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


def read_head(file: str | os.PathLike[str], limit: int) -> tuple[bytes, int | None]:
    """At most `limit` + 1 bytes of `file`, and its whole size when it is longer than `limit` (else None): a
    multi-gigabyte file under posts/ costs one bounded read, not its size in memory. Raises OSError."""
    with open_regular(file) as handle:   # a named pipe under posts/ must not keep lint waiting
        raw = handle.read(limit + 1)
        return raw, (max(os.fstat(handle.fileno()).st_size, len(raw)) if len(raw) > limit else None)


def read_capped(file: str | os.PathLike[str], shown: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of `file` (shown as `shown`), or the YamlProblem `parse` gives a file over `max_bytes`,
    without reading past it. Raises OSError."""
    raw, size = read_head(file, max_bytes)
    if size is not None:
        raise YamlProblem(_too_large(size, max_bytes), shown, 1, 1)
    return raw


def _too_large(size: int, max_bytes: int) -> str:
    return f"file is {size:,} bytes, over the {max_bytes:,}-byte limit"


def parse(raw: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Parse one YAML document. Raises YamlProblem, located, for anything that is not plain YAML."""
    if len(raw) > max_bytes:
        raise YamlProblem(_too_large(len(raw), max_bytes), path, 1, 1)
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
    return _parse_flat(text, path) or _parse_composed(text, path)


def _parse_composed(text: str, path: str) -> Document:
    """Any YAML: ruamel.yaml's C parser composes the nodes, _Builder makes the values."""
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
        value = scalar_value(node.tag, node.value)
        if isinstance(value, _NotScalar):
            raise self.fail(value.message, node)
        return value


@dataclass(frozen=True)
class _NotScalar:
    message: str


def scalar_value(tag: Any, value: str) -> Any:
    """The Python value of a scalar the resolver tagged `tag`; _NotScalar for one postops refuses."""
    if tag == _TAG + "str" or tag == _TAG + "timestamp":
        return value  # timestamps stay text: postops parses them itself, with their offset
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        if value.lower() not in _BOOL:
            return _NotScalar(f"{value!r} is not true or false")
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
    return _NotScalar(f"unsupported tag {tag}")


# --- The flat fast path --------------------------------------------------------------------------------
#
# Most post files are a flat mapping: `key: value` lines whose values are one-line scalars, a flow list of
# scalars (`labels: [a, b]`) or a literal block (`text: |-`). For those, composing nodes in C and building
# values from them (about 100 µs a file) is most of what lint and plan spend per post. `_parse_flat` reads
# exactly that subset line by line, resolving plain scalars with ruamel.yaml's own resolver, and gives up
# (None: the full parser decides) at anything else: nesting, other block styles, escapes, anchors, tags,
# flow mappings, tabs, a key twice, a file that does not end in a line break. tests/test_yamlfile_flat.py
# compares its documents (values, keys, marks, scalar styles and ends) with the full parser's.

_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
_BLOCK_HEADER = re.compile(r"\|(-?) *(?:#.*)?")
_AFTER_VALUE = re.compile(r" *(?:#.*)?")
# Characters YAML takes as they are (and no line breaks other than \n): anything else goes the long way.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_ITEM = re.compile(r" *(?:'([^'\n]*)'|\"([^\"\\\n]*)\"|([^\s,\[\]{}#&*!|>'\"%@`:?-][^,\[\]{}#:]*?|)) *(,|\])")
_EMPTY_LIST = re.compile(r"\[ *\]")
_RESOLVER: Any = None
_RESOLVED: dict[str, str] = {}


def _resolve(value: str) -> str:
    """The tag ruamel.yaml's resolver gives a plain scalar, remembered: account names, labels and the like
    repeat across thousands of posts."""
    global _RESOLVER
    tag = _RESOLVED.get(value)
    if tag is not None:
        return tag
    if _RESOLVER is None:
        from ruamel.yaml.nodes import ScalarNode  # noqa: PLC0415 - with the resolver, once

        _RESOLVER = (_Loader(""), ScalarNode)
    loader, node_class = _RESOLVER
    resolved = loader.resolve(node_class, value, (True, False))
    tag = str(getattr(resolved, "value", resolved))   # comparing ruamel's Tag objects costs more than resolving
    if len(_RESOLVED) >= 4096:
        _RESOLVED.clear()
    _RESOLVED[value] = tag
    return tag


def _plain(value: str) -> Any:
    """A plain scalar's value, or _NotScalar."""
    return scalar_value(_resolve(value), value)


def _parse_flat(text: str, path: str) -> Document | None:
    if not text.endswith("\n") or _UNUSUAL.search(text):
        return None
    lines = text.split("\n")
    lines.pop()  # after the final line break
    doc = Document(path=path, text=text, data=None)
    data: dict[str, Any] = {}
    values, keys, scalars = doc.values, doc.keys, doc.scalars
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        if not line or line[0] == "#":
            i += 1
            continue
        found = _KEY_LINE.match(line)
        if found is None:
            return None
        key = found.group(1)
        if key in data or key == "<<":
            return None
        if not data:
            values[()] = Mark(i + 1, 1)
        where = (key,)
        keys[where] = Mark(i + 1, 1)
        column = found.end()
        rest = line[column:]
        start = Mark(i + 1, column + 1)
        values[where] = start
        if not rest or rest[0] == "#":
            return None                      # a nested value, or null: the full parser
        head = rest[0]
        if head == "|":
            header = _BLOCK_HEADER.fullmatch(rest)
            if header is None:
                return None
            block = _literal(lines, i + 1, strip=bool(header.group(1)))
            if block is None:
                return None
            value, i = block
            scalars[where] = ("|", Mark(i + 1, 1))
            data[key] = value
            continue
        if head == "[":
            items = _flow_list(rest, i, column, where, values, scalars)
            if items is None:
                return None
            data[key] = items
        else:
            scalar = _one_line(rest)
            if scalar is None:
                return None
            data[key], style, length = scalar
            scalars[where] = (style, Mark(i + 1, column + length + 1))
        i += 1
        # a value continued on more indented lines (a multi-line plain scalar) is not flat
        if i < count and lines[i][:1] == " " and lines[i].strip():
            return None
    if not data:
        return None
    doc.data = data
    return doc


def _one_line(rest: str) -> tuple[Any, str, int] | None:
    """(value, style, length as written) of a quoted or plain scalar that is all of `rest` but a comment."""
    head = rest[0]
    if head in ("'", '"'):
        end = rest.find(head, 1)
        if end < 0 or (head == "'" and rest[end + 1:end + 2] == "'") or (head == '"' and "\\" in rest[:end]):
            return None
        if not _AFTER_VALUE.fullmatch(rest, end + 1):
            return None
        return rest[1:end], head, end + 1
    if head in _PLAIN_START or head == " ":
        return None
    cut = rest.find(" #")
    value = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if ": " in value or value.endswith(":") or " #" in value:
        return None
    resolved = _plain(value)
    if isinstance(resolved, _NotScalar):
        return None
    return resolved, "", len(value)


def _literal(lines: list[str], first: int, strip: bool) -> tuple[str, int] | None:
    """A literal block scalar's text from line `first` on, and the index of the line that ends it."""
    count = len(lines)
    if first >= count or not lines[first].strip():
        return None                          # leading empty lines, or an empty block: the full parser
    indent = len(lines[first]) - len(lines[first].lstrip(" "))
    if indent == 0:
        return None
    body: list[str] = []
    i = first
    while i < count:
        line = lines[i]
        if line.strip():
            if len(line) - len(line.lstrip(" ")) < indent:
                if line[0] != " ":
                    break                    # the next key, or a comment, at the left margin
                return None
            body.append(line[indent:])
        elif len(line) > indent:
            return None                      # spaces past the indentation on an empty line
        else:
            body.append("")
        i += 1
    while body and not body[-1]:
        body.pop()
    text = "\n".join(body)
    return (text if strip else text + "\n"), i


def _flow_list(rest: str, row: int, column: int, where: tuple[str | int, ...], values: dict[Path, Mark],
               scalars: dict[Path, tuple[str | None, Mark]]) -> list[Any] | None:
    """`[a, 'b', "c"]` of one-line scalars, closed on its own line."""
    items: list[Any] = []
    empty = _EMPTY_LIST.match(rest)
    if empty:
        return items if _AFTER_VALUE.fullmatch(rest, empty.end()) else None
    position = 1
    while True:
        found = _FLOW_ITEM.match(rest, position)
        if found is None:
            return None
        single, double, plain, closer = found.groups()
        if single is not None:
            value: Any = single
            style, first = "'", found.start(1) - 1
            last = found.end(1) + 1
        elif double is not None:
            value, style, first, last = double, '"', found.start(2) - 1, found.end(2) + 1
        else:
            if not plain or " #" in plain:
                return None
            value = _plain(plain)
            if isinstance(value, _NotScalar):
                return None
            style, first, last = "", found.start(3), found.end(3)
        item = (*where, len(items))
        values[item] = Mark(row + 1, column + first + 1)
        scalars[item] = (style, Mark(row + 1, column + last + 1))
        items.append(value)
        position = found.end()
        if closer == "]":
            return items if _AFTER_VALUE.fullmatch(rest, position) else None
