"""`postops import`: twitter-together (.tweet) and toot-together (.toot) files -> postops posts.

Each file is read the way the old tool reads it, so that the imported post sends what the old tool would
have sent: twitter-together's front matter (`reply`, `retweet`, `poll`, `media`, `thread-delimiter`,
`schedule`), its threads (split on the delimiter, each part with its own front matter, the declared
delimiter splitting once because each part starts again from `---`, as twitter-together does), and the
poll options written as the last lines of a part (`( ) option` for twitter-together, `[ ] option` for
toot-together, which reads nothing else: its files are sent as they are). What the old tool would have
refused, or silently ignored, is reported with its file and line and not imported.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops.errors import PostopsError, UsageError
from postops.publish.ledger import PUBLISHED, Ledger, open_store
from postops.publish.process import new_run_id, this_publisher
from postops.repo import git
from postops.repo.config import Config
from postops.repo.fsutil import file_sha256
from postops.repo.posts import POSTS_DIR, build_post, content_hash, declared_ids, discover, parse_publish_at
from postops.repo.yamlfile import DEFAULT_MAX_BYTES, YamlProblem, parse, read_head
from postops.scaffold.newpost import format_at, modeline, yaml_scalar, yaml_text

# What JavaScript's String.prototype.trim() and `\s` treat as white space (the byte order mark included).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_SPACE_CHARS = "".join(chr(c) for c in range(0x10000) if re.match(f"[{_JS_SPACE}]", chr(c)))
_FRONT_MATTER = re.compile(r"---[ \t]*\n([\s\S]*?)\n---[ \t]*(?:\Z|\n+)")
_OPENS_FRONT_MATTER = re.compile(r"---[ \t]*(?:\n|\Z)")
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
# Both tools publish a poll for one day (twitter-together: duration_minutes 1440; toot-together: expiresIn
# 24 * 60 * 60).
POLL_DURATION = "1d"
FRONT_MATTER_KEYS = ("reply", "retweet", "poll", "media", "thread-delimiter", "schedule")


@dataclass(frozen=True)
class Tool:
    name: str
    suffix: str
    option: re.Pattern[str]          # a poll option on the last line of a part
    front_matter: bool               # reads front matter and threads (twitter-together) or nothing (toot-together)


TOOLS = {
    "twitter-together": Tool("twitter-together", ".tweet", re.compile(f"^\\([{_JS_SPACE}]?\\)[{_JS_SPACE}]+"), True),
    "toot-together": Tool("toot-together", ".toot", re.compile(f"^\\[[{_JS_SPACE}]?\\][{_JS_SPACE}]+"), False),
}


class Unconvertible(Exception):
    """A file the importer will not convert: `reason` is its category in the summary."""

    def __init__(self, reason: str, message: str, line: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.line = line


@dataclass(frozen=True)
class SourceMedia:
    file: Path                       # absolute, resolved
    alt: str | None


@dataclass(frozen=True)
class SourcePart:
    text: str
    media: tuple[SourceMedia, ...] = ()
    poll: tuple[str, ...] | None = None
    quote: str | None = None


@dataclass(frozen=True)
class SourcePost:
    parts: tuple[SourcePart, ...]
    reply: str | None = None
    repost: str | None = None
    schedule: str | None = None
    notes: tuple[tuple[int, str], ...] = ()     # (line, message): things worth knowing, nothing lost


def js_trim(text: str) -> str:
    return text.strip(_JS_SPACE_CHARS)


def read_source(raw: bytes) -> str:
    """The file's text as the old tool read it on a Linux runner: UTF-8, without a byte order mark, with
    Windows line ends read as `\\n`. Raises Unconvertible for a file that is not UTF-8 or empty."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Unconvertible("not UTF-8", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not js_trim(text):
        raise Unconvertible("empty", "the file is empty", 1)
    return text


# twitter-together splits a thread where `new RegExp(`(?:${EOL})+${threadDelimiter}[ \t]*(?:${EOL})+`)` first
# matches (lib/common/parse-tweet-file-content.js): the delimiter is a regular expression, spliced in as
# written. The same pattern runs here through RE2, in time linear in the text, so that no file can hang the
# import; one RE2 cannot run (a backreference, a lookaround, `+++`, which JavaScript refuses too) is reported.


def thread_splitter(delimiter: str) -> Any:
    """The compiled pattern twitter-together splits a thread with, for `delimiter`; ValueError when RE2
    cannot run it."""
    from postops.lint.policy import compile_pattern  # noqa: PLC0415 - RE2, only for files that declare one

    pattern = f"(?:\n)+{delimiter}[ \t]*(?:\n)+"
    try:
        return compile_pattern(pattern)
    except Exception as exc:  # noqa: BLE001 - RE2's error type is private (re2._re2.Error)
        why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"thread-delimiter {delimiter!r} is a regular expression to twitter-together, and "
                         f"{pattern!r} is not one that can run in linear time ({why}); escape what is meant "
                         f"literally (e.g. {re.escape(delimiter)!r}) or split the thread by hand") from None


class _Literal:
    """The default `---` splitter: no RE2 needed for the files that declare no delimiter."""

    _PATTERN = re.compile("\n+---[ \t]*\n+")

    def search(self, text: str) -> re.Match[str] | None:
        return self._PATTERN.search(text)


_DEFAULT_SPLITTER = _Literal()


def _splitter_for(delimiter: str, line: int) -> dict[str, Any]:
    """{"splitter": ...} for a declared delimiter, or the Unconvertible that reports one RE2 cannot run."""
    if not delimiter:
        return {}   # twitter-together does not split on an empty delimiter
    try:
        return {"splitter": thread_splitter(delimiter)}
    except ValueError as exc:
        raise Unconvertible("unsupported", str(exc), line) from None


def _delimiter_line(delimiter: str, text: str) -> int | None:
    """Where in `text` a line the delimiter matches starts, if one does (for the note that it did not split)."""
    padded = "\n" + text + "\n"   # a delimiter on the first or last line is a line of its own too
    try:
        found = thread_splitter(delimiter).search(padded)
    except ValueError:
        return None
    if found is None:
        return None
    start: int = found.start()
    while padded[start] == "\n":
        start += 1
    return start - 1


# ------------------------------------------------------------------------------------------ reading

@dataclass
class _Reader:
    tool: Tool
    text: str                        # the whole file, as read_source returns it
    source_root: Path                # where twitter-together looks for media/: the repository's root
    post_dir: Path                   # the folder of the file, where media next to it is found
    notes: list[tuple[int, str]] = field(default_factory=list)

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def read(self) -> SourcePost:
        if not self.tool.front_matter:
            return self._read_toot()
        parts: list[SourcePart] = []
        top: dict[str, Any] = {}
        rest, offset = self.text, 0
        while rest is not None:
            rest, offset = self._read_part(rest, offset, parts, top)
        return SourcePost(tuple(parts), top.get("reply"), top.get("repost"), top.get("schedule"), tuple(self.notes))

    def _read_toot(self) -> SourcePost:
        text, poll = self._poll_lines(self.text)
        if not js_trim(text):
            raise Unconvertible("empty", "no text to publish", 1)
        return SourcePost((SourcePart(text, poll=poll),))

    def _read_part(self, text: str, offset: int, parts: list[SourcePart],
                   top: dict[str, Any]) -> tuple[Any, int]:
        """Read one part from `text` (which starts at `offset` in the file); return the rest, or None."""
        lead = len(text) - len(text.lstrip(_JS_SPACE_CHARS))
        text, offset = js_trim(text), offset + lead
        index = len(parts)
        options: dict[str, Any] = {"thread-delimiter": "---"}
        match = _FRONT_MATTER.match(text)
        if match:
            options.update(self._front_matter(match.group(1), offset + len(text[: match.start(1)])))
            text, offset = text[match.end():], offset + match.end()
            if _OPENS_FRONT_MATTER.match(text):
                kind = "second front matter block" if _FRONT_MATTER.match(text) else "malformed front matter"
                raise Unconvertible(kind, "a second front matter block: twitter-together would publish it "
                                    "as text", self.line(offset))
        elif _OPENS_FRONT_MATTER.match(text):
            raise Unconvertible("malformed front matter", "front matter opened with `---` is never closed "
                                "by a `---` line", self.line(offset))
        lines: dict[str, int] = options.get("lines", {})
        if index and options.get("reply"):
            raise Unconvertible("refused by the old tool", "a thread part cannot reply to another post "
                                "(twitter-together refuses it)", lines["reply"])
        rest: str | None = None
        rest_offset = offset
        delimiter = options["thread-delimiter"]
        if delimiter:
            split = options.get("splitter", _DEFAULT_SPLITTER).search(text)
            if split:
                text, rest, rest_offset = text[: split.start()], text[split.end():], offset + split.end()
                again = _delimiter_line(delimiter, rest)
                if delimiter != "---" and again is not None:
                    note = (f"twitter-together splits on {delimiter!r} once: the rest, delimiter lines "
                            "included, is one part, as it was published")
                    self.notes.append((self.line(rest_offset + again), note))
        text, poll = self._poll_lines(text)
        poll = options.get("poll", poll)
        retweet = options.get("retweet")
        line = self.line(offset)
        if retweet and not text:
            problem = ("poll" if poll else "reply" if options.get("reply") else "thread" if rest is not None
                       else "media" if options.get("media") else None)
            if problem:
                raise Unconvertible("refused by the old tool", f"a retweet cannot have {'media' if problem == 'media' else 'a ' + problem} "
                                    "(twitter-together refuses it)", lines.get(problem, line))
            if index:
                raise Unconvertible("unsupported", f"thread part {index + 1} is a retweet: a repost cannot "
                                    "be part of a thread", line)
            top.update(repost=retweet, reply=None, schedule=options.get("schedule"))
            parts.append(SourcePart(""))
            return None, offset
        if not text:
            raise Unconvertible("empty", "no text to publish" + (f" in thread part {index + 1}" if index else ""),
                                line)
        if poll is not None and not 2 <= len(poll) <= 4:
            raise Unconvertible("refused by the old tool", f"a poll has 2 to 4 options, not {len(poll)} "
                                "(twitter-together refuses it)", line)
        if not index:
            top.update(reply=options.get("reply"), schedule=options.get("schedule"))
        parts.append(SourcePart(text, tuple(options.get("media", ())), poll, retweet))
        return rest, rest_offset

    def _poll_lines(self, text: str) -> tuple[str, tuple[str, ...] | None]:
        options: list[str] = []
        while True:
            lines = js_trim(text).split("\n")
            if not self.tool.option.match(lines[-1]):
                break
            options.append(self.tool.option.sub("", lines[-1], count=1))
            text = js_trim("\n".join(lines[:-1]))
        return text, tuple(reversed(options)) if options else None

    def _front_matter(self, body: str, offset: int) -> dict[str, Any]:
        first_line = self.line(offset)
        try:
            doc = parse(body.encode(), "<front matter>") if js_trim(body) else None
        except YamlProblem as exc:
            raise Unconvertible("malformed front matter", exc.message, first_line + (exc.line or 1) - 1) from None
        data = doc.data if doc is not None else {}
        if not isinstance(data, dict):
            raise Unconvertible("malformed front matter", "front matter is not a list of `key: value` lines",
                                first_line)

        def where(*path: Any) -> int:
            assert doc is not None
            return first_line + doc.value_mark(path).line - 1

        def fail(message: str, *path: Any) -> Unconvertible:
            return Unconvertible("malformed front matter", message, where(*path))

        options: dict[str, Any] = {"lines": {key: first_line + doc.key_mark((key,)).line - 1 for key in data}
                                   if doc is not None else {}}
        for key, value in data.items():
            if key not in FRONT_MATTER_KEYS:
                raise Unconvertible("malformed front matter", f"unknown key {key!r} (twitter-together ignores it; "
                                    f"it knows {', '.join(FRONT_MATTER_KEYS)})", first_line + doc.key_mark((key,)).line - 1
                                    if doc else first_line)
            if key in ("reply", "retweet"):
                if not isinstance(value, str) or not value.strip():
                    raise fail(f"{key} must be the post's URL (a bare id in quotes), not {value!r}", key)
                options[key] = value.strip()
            elif key == "thread-delimiter":
                if not isinstance(value, str):
                    raise fail(f"thread-delimiter must be text, not {value!r}", key)
                options[key] = value
                options.update(_splitter_for(value, where(key)))
            elif key == "schedule":
                if not isinstance(value, str) or parse_publish_at(value, "UTC") is None:
                    raise fail(f"schedule must be a date and time, not {value!r}", key)
                options[key] = value
            elif key == "poll":
                if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
                    raise fail("poll must be a list of options, each a text", key)
                options[key] = tuple(value)
            elif key == "media":
                if not isinstance(value, list):
                    raise fail("media must be a list of `- file: ...` items", key)
                options[key] = [self._media(item, where(key, i), fail, i) for i, item in enumerate(value)]
        return options

    def _media(self, item: Any, line: int, fail: Callable[..., Unconvertible], i: int) -> SourceMedia:
        if not isinstance(item, dict) or not isinstance(item.get("file"), str) or set(item) - {"file", "alt"}:
            raise fail("each media item is `file:` and an optional `alt:`", "media", i)
        alt = item.get("alt")
        if alt is not None and not isinstance(alt, str):
            raise fail("alt must be text", "media", i, "alt")
        # twitter-together reads <repository>/media/<file>; files beside the post are taken too.
        for base in (self.source_root / "media", self.post_dir):
            candidate = (base / item["file"]).resolve()
            if candidate.is_relative_to(base.resolve()) and candidate.is_file():
                return SourceMedia(candidate, alt)
        raise Unconvertible("media missing", f"media file {item['file']!r} is neither in media/ nor beside the "
                            "post", line)


def read_file(tool: Tool, raw: bytes, source_root: Path, post_dir: Path) -> SourcePost:
    """One source file as a SourcePost. Raises Unconvertible."""
    return _Reader(tool, read_source(raw), source_root, post_dir).read()


# ------------------------------------------------------------------------------------------ writing

@dataclass(frozen=True)
class Planned:
    """One post to write: where, what, and the media files to copy (source, destination relative to root)."""

    source: str                      # the file, relative to SOURCE_DIR, for messages
    rel: str                         # the post file, relative to the content repository
    content: str
    copies: tuple[tuple[Path, str], ...]
    notes: tuple[tuple[int, str], ...]


def post_id(stem: str) -> str:
    """An id postops accepts (letters, digits, `.`, `_`, `-`, starting with a letter or digit) from a file name."""
    # accents and compatibility forms folded first: "Café über" is Cafe-uber, not Caf-ber
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = _ID_CHARS.sub("-", folded).strip("-._")
    return cleaned or "post"


def render(rel: str, account: str, post: SourcePost, media_paths: dict[Path, str],
           publish_at: datetime | str | None) -> str:
    """The post file for `post`, written so that it reads back exactly (yaml_text for every text)."""
    lines = [modeline(rel), f"account: {account}\n"]
    if publish_at is not None:
        lines.append(f"publish_at: {publish_at if isinstance(publish_at, str) else format_at(publish_at)}\n")
    if post.reply:
        lines.append("reply_to: " + yaml_scalar(post.reply, 2))
    if post.repost:
        lines.append("repost: " + yaml_scalar(post.repost, 2))
    first, *thread = post.parts
    if not post.repost:
        lines.extend(_part(first, media_paths, 0))
    if thread:
        lines.append("thread:\n")
        for part in thread:
            body = _part(part, media_paths, 4)
            body[0] = "  - " + body[0][4:]
            lines.extend(body)
    return "".join(lines)


def _part(part: SourcePart, media_paths: dict[Path, str], indent: int) -> list[str]:
    pad = " " * indent
    out = [f"{pad}text: " + yaml_text(part.text, indent + 2)]
    if part.quote:
        out.append(f"{pad}quote: " + yaml_scalar(part.quote, indent + 2))
    if part.media:
        out.append(f"{pad}media:\n")
        for media in part.media:
            out.append(f"{pad}  - path: " + yaml_scalar(media_paths[media.file], indent + 6))
            if media.alt is not None:
                out.append(f"{pad}    alt: " + yaml_scalar(media.alt, indent + 6))
    if part.poll is not None:
        out.append(f"{pad}poll:\n{pad}  options:\n")
        out.extend(f"{pad}    - " + yaml_scalar(option, indent + 6) for option in part.poll)
        out.append(f"{pad}  duration: {POLL_DURATION}\n")
    return out


def reads_back(content: str, rel: str, post: SourcePost) -> bool:
    """Whether the written file says exactly what `post` says: every text, poll, quote, reply and repost."""
    try:
        data = parse(content.encode(), rel).data
    except YamlProblem:
        return False
    if not isinstance(data, dict):
        return False
    items = [data, *(data.get("thread") or [])]
    if post.repost:
        return data.get("repost") == post.repost and "text" not in data and len(items) == 1
    if len(items) != len(post.parts) or data.get("reply_to") != post.reply:
        return False
    for item, part in zip(items, post.parts, strict=True):
        poll = item.get("poll")
        if (item.get("text") != part.text or item.get("quote") != part.quote
                or (poll or {}).get("options") != (list(part.poll) if part.poll is not None else None)
                or [m.get("alt") for m in item.get("media") or []] != [m.alt for m in part.media]):
            return False
    return True


# ------------------------------------------------------------------------------------------ the command

@dataclass
class ImportResult:
    imported: list[Planned] = field(default_factory=list)
    skipped: list[tuple[str, int, str, str]] = field(default_factory=list)    # file, line, reason, message

    @property
    def exit_code(self) -> int:
        return 1 if self.skipped else 0

    def summary(self, dry_run: bool) -> str:
        line = f"imported {len(self.imported)}, skipped {len(self.skipped)}"
        counts = Counter(reason for _, _, reason, _ in self.skipped)
        if counts:
            line += " (" + ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items())) + ")"
        return line + ("; dry run: nothing written" if dry_run else "")


def import_command(root: Path, config: Config, tool_name: str, source_dir: Path, *, account: str,
                   dry_run: bool = False, published: bool = False, now: datetime | None = None,
                   echo: Callable[[str], None] = print) -> ImportResult:
    """Import every file of `tool_name` under `source_dir` as a post of `account`. Writes nothing over an
    existing file; with `published`, records each imported post as published in the ledger."""
    tool = TOOLS[tool_name]
    source_dir = _source_folder(root, config, source_dir, account)
    source_root = git.toplevel(source_dir)
    found = sorted(p for p in source_dir.rglob(f"*{tool.suffix}") if p.is_file())
    # twitter-together published hidden files too (any added file matching ^tweets/.*\.tweet$): they are left
    # out, as a .git folder is no place for posts, but each is reported, so that none is lost unseen
    hidden = [p for p in found if any(part.startswith(".") for part in p.relative_to(source_dir).parts)]
    files = [p for p in found if p not in hidden]
    taken = set(declared_ids(root, discover(root))) if (root / POSTS_DIR).is_dir() else set()
    ledger = _ledger(root, config) if published else None
    result = ImportResult()
    used_ids: set[str] = set()
    for path in hidden:
        rel_source = path.relative_to(source_dir).as_posix()
        why = "a hidden file or folder (its name starts with `.`): move it out to import it"
        result.skipped.append((rel_source, 1, "hidden", why))
        echo(f"{rel_source}:1: skipped (hidden): {why}")
    for path in files:
        _import_file(root, tool, path, account=account, source_dir=source_dir, source_root=source_root,
                     taken=taken, used_ids=used_ids, ledger=ledger, result=result, echo=echo)
    _show_and_write(root, config, result, account, tool, dry_run=dry_run, published=published, now=now, echo=echo)
    echo(result.summary(dry_run))
    return result


def _source_folder(root: Path, config: Config, source_dir: Path, account: str) -> Path:
    """The old repository's folder to import from, once it is known to be one: else a UsageError."""
    if account not in config.accounts:
        raise UsageError(f"unknown account '{account}'; accounts in postops.yaml: {', '.join(sorted(config.accounts))}")
    source_dir = source_dir.resolve()
    if not source_dir.is_dir():
        raise UsageError(f"{source_dir}: not a folder")
    if source_dir == root.resolve() or source_dir.is_relative_to(root.resolve() / POSTS_DIR):
        raise UsageError(f"{source_dir}: import from the old repository's folder, not from this one's posts")
    return source_dir


def _import_file(root: Path, tool: Tool, path: Path, *, account: str, source_dir: Path, source_root: Path | None,
                 taken: set[str], used_ids: set[str], ledger: Ledger | None, result: ImportResult,
                 echo: Callable[[str], None]) -> None:
    """Plan the post of one old file into `result`: imported (its id added to `used_ids`), or skipped with
    the reason."""
    rel_source = path.relative_to(source_dir).as_posix()

    def skip(reason: str, message: str, line: int = 1) -> None:
        result.skipped.append((rel_source, line, reason, message))
        echo(f"{rel_source}:{line}: skipped ({reason}): {message}")

    old_repo = (source_root or source_dir).resolve()
    if not path.resolve().is_relative_to(old_repo):
        # The old tool ran on a checkout of its repository, where this link led nowhere: its text was never
        # published from here, and nobody reviewed it as a post.
        skip("outside the repository", f"a symbolic link to {path.resolve()}, outside the old repository {old_repo}")
        return
    try:   # no more than a post file can hold: a huge file must not fill memory, nor a named pipe hang
        raw, size = read_head(path, DEFAULT_MAX_BYTES)
    except OSError as exc:
        skip("unreadable", f"cannot read it: {exc.strerror}")
        return
    if size is not None:
        skip("too large", f"the file is over {DEFAULT_MAX_BYTES:,} bytes, more than a post file postops reads may be")
        return
    try:
        post = read_file(tool, raw, source_root or source_dir, path.parent)
    except Unconvertible as exc:
        skip(exc.reason, exc.message, exc.line)
        return
    base = post_id(path.stem)
    new_id, n = base, 1
    while new_id in used_ids:   # an id this import already gave another file takes a suffix
        n += 1
        new_id = f"{base}-{n}"
    folder = path.parent.relative_to(source_dir).as_posix()
    rel = "/".join(p for p in (POSTS_DIR, account, "" if folder == "." else folder, f"{new_id}.yaml") if p)
    if new_id in taken or (root / rel).exists():
        skip("exists", f"a post with the id {new_id} is already in the repository: not overwritten")
        return
    if ledger is not None and any(key[0] == new_id for key in ledger.parts):
        skip("exists", f"the ledger already has a post {new_id}")
        return
    copies, media_paths, clash = _media_copies(root, account, post, source_root or source_dir, path.parent)
    if clash:
        skip("exists", f"{clash} is already in the repository with other content: not overwritten")
        return
    when: datetime | str | None = post.schedule
    if when is None and source_root is not None:
        when = git.first_added(source_root, path.relative_to(source_root).as_posix())
    try:
        content = render(rel, account, post, media_paths, when)
        parse(content.encode(), rel)
    except UsageError:
        # yaml_text writes every text so that it reads back, which fails only past the parser's byte limit
        skip("too large", f"its text, written to a post file, would be over {DEFAULT_MAX_BYTES:,} bytes")
        return
    except YamlProblem as exc:
        # every text reads back on its own: what fails is the whole file, past the bytes or values it may have
        skip("too large", f"its post file would be past what postops reads: {exc.message}")
        return
    if not reads_back(content, rel, post):  # pragma: no cover - yaml_text guarantees it
        skip("unsupported", "its text cannot be written to a post file exactly")
        return
    used_ids.add(new_id)
    for line, note in post.notes:
        echo(f"{rel_source}:{line}: note: {note}")
    result.imported.append(Planned(rel_source, rel, content, copies, post.notes))


def _show_and_write(root: Path, config: Config, result: ImportResult, account: str, tool: Tool, *, dry_run: bool,
                    published: bool, now: datetime | None, echo: Callable[[str], None]) -> None:
    """Say what is (or would be) written, write it, and record it as published when asked."""
    for planned in result.imported:
        echo(f"{'would write' if dry_run else 'wrote'} {planned.rel} from {planned.source}")
        if dry_run:
            echo("".join(f"    {line}\n" for line in planned.content.splitlines()).rstrip("\n"))
        for source, dest in planned.copies:
            echo(f"{'would copy' if dry_run else 'copied'} {dest} from {source}")
    if not dry_run and result.imported:
        written = _write(root, result.imported)
        if published:
            try:
                _record_published(root, config, result.imported, account, tool, now or datetime.now(UTC))
            except BaseException:
                for path in reversed(written):   # a post written but not recorded would be published again
                    path.unlink(missing_ok=True)
                raise
            echo(f"recorded {len(result.imported)} post(s) as published in the ledger ({config.state_branch})")
    elif dry_run and published and result.imported:
        echo(f"would record {len(result.imported)} post(s) as published in the ledger ({config.state_branch})")


def _ledger(root: Path, config: Config) -> Ledger:
    return open_store(root, config).read(fetch=True)


def _media_copies(root: Path, account: str, post: SourcePost, source_root: Path,
                  post_dir: Path) -> tuple[tuple[tuple[Path, str], ...], dict[Path, str], str | None]:
    """What to copy where: media/<account>/<the file's path under the old media/ folder, or its name>."""
    copies: list[tuple[Path, str]] = []
    paths: dict[Path, str] = {}
    for part in post.parts:
        for media in part.media:
            if media.file in paths:
                continue
            old_media = (source_root / "media").resolve()
            inside = media.file.relative_to(old_media) if media.file.is_relative_to(old_media) else \
                Path(media.file.name)
            dest = f"media/{account}/{inside.as_posix()}"
            target = root / dest
            if target.exists() and file_sha256(target) != file_sha256(media.file):
                return (), {}, dest
            paths[media.file] = dest
            if not target.exists():
                copies.append((media.file, dest))
    return tuple(copies), paths, None


def _write(root: Path, planned: list[Planned]) -> list[Path]:
    """Write every post and media file, never over an existing one; on any failure remove what was written."""
    written: list[Path] = []
    try:
        for item in planned:
            for source, dest in item.copies:
                target = root / dest
                if target.exists():
                    continue     # copied for an earlier post of this import
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(source, "rb") as src, open(target, "xb") as out:
                    shutil.copyfileobj(src, out)
                written.append(target)
            target = root / item.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "x", encoding="utf-8", newline="") as handle:
                handle.write(item.content)
            written.append(target)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        raise
    return written


def _record_published(root: Path, config: Config, planned: list[Planned], account: str, tool: Tool,
                      now: datetime) -> None:
    """One `published` event per part of every imported post, in one commit on the state branch. They have
    no platform id (the old tool kept none), so postops never deletes them itself: see docs/migrating.md."""
    store = open_store(root, config)
    run = "import-" + new_run_id(now)
    events: list[dict[str, Any]] = []
    for item in planned:
        post = build_post(parse(item.content.encode(), item.rel), config)
        digest = content_hash(post, account, root)
        for part in range(len(post.parts)):
            events.append({"event": PUBLISHED, "post": post.id, "account": account, "part": part, "hash": digest,
                           "path": item.rel, "commit": None, "run": run, "by": this_publisher(),
                           "at": now.isoformat(), "platform_id": None, "url": None, "imported": tool.name,
                           "imported_from": item.source})
    for _ in range(5):
        ledger = store.read(fetch=True)
        clash = sorted({e["post"] for e in events if any(k[0] == e["post"] for k in ledger.parts)})
        if clash:
            raise PostopsError(f"the ledger already has {', '.join(clash)}: nothing recorded, nothing written")
        if store.append(ledger, events, f"postops import {tool.name}: {len(planned)} post(s) published before postops"):
            return
    raise PostopsError("the ledger kept moving while recording the import; try again")

