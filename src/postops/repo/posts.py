"""Post files → Post objects (with source positions); ids and content hashes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from postops.repo.config import Config
from postops.repo.fsutil import file_sha256, open_regular
from postops.repo.media import symlink_on_path
from postops.repo.yamlfile import Document, Mark, YamlProblem, parse, read_capped
from postops.times import parse_time

POSTS_DIR = "posts"
PART_KEYS = ("quote", "poll")              # what a thread part may have besides text and media
SHARED_KEYS = ("repost", *PART_KEYS)       # ... and the post itself
SCHEMA_FILE = ".postops-schema.json"
# `# postops: disable=rule-a,rule-b -- why this post may break them`
_DISABLE = re.compile(r"#\s*postops:\s*disable=([A-Za-z0-9_,\s-]+?)\s*(?:--\s*(.*?))?\s*$", re.MULTILINE)
_ID_LINE = re.compile(rb"^['\"]?id['\"]?\s*:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


@dataclass(frozen=True)
class Media:
    path: str
    alt: str | None
    where: tuple[Any, ...]      # path of this media item inside the post file


@dataclass(frozen=True)
class Poll:
    options: tuple[str, ...]
    duration: str               # as written: 30m, 1d, ...

    @property
    def minutes(self) -> int | None:
        return duration_minutes(self.duration)


@dataclass(frozen=True)
class Part:
    """One part of a post: part 0 is the post itself, parts 1.. are the thread's replies."""

    index: int
    text: str
    media: tuple[Media, ...]
    where: tuple[Any, ...]      # path of this part's text inside the post file
    quote: str | None = None    # the post it quotes: a URL, or the id of a post in this repository
    poll: Poll | None = None


@dataclass(frozen=True)
class Suppression:
    rules: tuple[str, ...]
    reason: str
    line: int


@dataclass(frozen=True)
class Post:
    id: str
    path: str                                  # relative to the repository root, with /
    accounts: tuple[str, ...]
    parts: tuple[Part, ...]
    publish_at: datetime | None                # timezone-aware; None when absent or unreadable
    reply_to: str | None
    labels: tuple[str, ...]
    repost: str | None = field(default=None, kw_only=True)   # reposts this (a URL or post id); no text
    data: dict[str, Any] = field(compare=False, repr=False)
    doc: Document = field(compare=False, repr=False)
    suppressions: tuple[Suppression, ...] = field(default=(), compare=False)

    @property
    def folder(self) -> str | None:
        """The account folder the file is under: posts/<folder>/..."""
        pieces = self.path.split("/")
        return pieces[1] if len(pieces) > 2 and pieces[0] == POSTS_DIR else None

    def mark(self, where: tuple[Any, ...]) -> Mark:
        return self.doc.value_mark(where)


def post_id_from_path(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def parse_publish_at(raw: Any, timezone: str) -> datetime | None:
    """An aware datetime, or None if `raw` is not a date and time. Naive times are read in `timezone`."""
    return parse_time(raw, ZoneInfo(timezone), need_clock=True)


def build_post(doc: Document, config: Config) -> Post:
    """A Post from a parsed file. Tolerates wrong shapes (lint reports them); never raises."""
    data = doc.data if isinstance(doc.data, dict) else {}
    account = data.get("account")
    if isinstance(account, str):
        accounts: tuple[str, ...] = (account,)
    elif isinstance(account, list):
        accounts = tuple(a for a in account if isinstance(a, str))
    else:
        accounts = ()
    parts = [Part(0, _text(data.get("text")), _media(data.get("media"), ("media",)), ("text",),
                  _reference(data.get("quote")), _poll(data.get("poll")))]
    thread = data.get("thread")
    if isinstance(thread, list):
        for i, entry in enumerate(thread):
            item = entry if isinstance(entry, dict) else {}
            parts.append(Part(i + 1, _text(item.get("text")),
                              _media(item.get("media"), ("thread", i, "media")), ("thread", i, "text"),
                              _reference(item.get("quote")), _poll(item.get("poll"))))
    explicit_id = data.get("id")
    suppressions = tuple(_suppressions(doc)) if "postops:" in doc.text else ()
    return Post(
        id=explicit_id if isinstance(explicit_id, str) and explicit_id else post_id_from_path(doc.path),
        path=doc.path,
        accounts=accounts,
        parts=tuple(parts),
        publish_at=parse_publish_at(data.get("publish_at"), config.timezone),
        reply_to=data.get("reply_to") if isinstance(data.get("reply_to"), str) else None,
        labels=tuple(label for label in data.get("labels") or () if isinstance(label, str))
        if isinstance(data.get("labels"), list) else (),
        data=data,
        doc=doc,
        suppressions=suppressions,
        repost=_reference(data.get("repost")),
    )


def _suppressions(doc: Document) -> list[Suppression]:
    found: list[Suppression] = []
    for match in _DISABLE.finditer(doc.text):
        line = doc.text.count("\n", 0, match.start()) + 1
        column = match.start() - (doc.text.rfind("\n", 0, match.start()) + 1) + 1
        if doc.inside_value(Mark(line, column)):
            continue  # written in a post's text, not a YAML comment: it silences nothing
        rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
        found.append(Suppression(rules, (match.group(2) or "").strip(), line))
    return found


def _reference(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _poll(value: Any) -> Poll | None:
    if not isinstance(value, dict) or not isinstance(value.get("options"), list):
        return None
    options = tuple(o for o in value["options"] if isinstance(o, str))
    return Poll(options, value["duration"] if isinstance(value.get("duration"), str) else "")


_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)$")


def duration_minutes(text: str) -> int | None:
    """Whole minutes in a duration such as `30m`, `12h` or `1d` (rounded down), or None if unreadable."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    return int(float(match.group(1)) * {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[match.group(2)])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _media(value: Any, where: tuple[Any, ...]) -> tuple[Media, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Media(item["path"], item.get("alt") if isinstance(item.get("alt"), str) else None, where + (i,))
        for i, item in enumerate(value)
        if isinstance(item, dict) and isinstance(item.get("path"), str)
    )


def is_post_file(name: str) -> bool:
    return name.endswith((".yaml", ".yml"))


def discover(root: Path) -> list[str]:
    """Every post file under posts/, relative to root, sorted."""
    return walk_posts(root)[0]


def walk_posts(root: Path) -> tuple[list[str], list[str]]:
    """Every post file under posts/, and every folder under posts/ that is a symbolic link (never followed:
    its posts would come from a folder nobody reviews), relative to root, sorted."""
    base = root / POSTS_DIR
    found: list[str] = []
    linked: list[str] = []
    for folder, dirs, files in os.walk(base):
        rel = Path(folder).relative_to(root).as_posix()
        visible = sorted(d for d in dirs if not d.startswith("."))
        # os.walk lists a linked folder among the folders and does not enter it: said here, not skipped quietly
        linked.extend(f"{rel}/{d}" for d in visible if os.path.islink(os.path.join(folder, d)))
        dirs[:] = visible
        found.extend(f"{rel}/{name}" for name in files if is_post_file(name) and not name.startswith("."))
    return sorted(found), sorted(linked)


LINKED_FOLDER = ("folder is a symbolic link: its posts are neither linted nor published; a post must be a file "
                 "in the repository, reviewed as it is")


def declared_ids(root: Path, rel_paths: list[str]) -> dict[str, list[str]]:
    """post id -> files declaring it, for every post file, without parsing them (cheap enough for pre-commit)."""
    ids: dict[str, list[str]] = {}
    for rel in rel_paths:
        try:
            with open_regular(root / rel) as handle:
                head = handle.read(ID_HEAD_BYTES)
        except OSError:
            head = b""
        ids.setdefault(declared_id(rel, head), []).append(rel)
    return ids


# An explicit `id:` is looked for in this much of a file; post files are far smaller.
ID_HEAD_BYTES = 64 * 1024


def declared_id(rel: str, content: bytes) -> str:
    """The id a post file declares (`id:` near its start, else its file name), from its bytes, unparsed."""
    match = _ID_LINE.search(content[:ID_HEAD_BYTES])
    return match.group(1).decode("utf-8", "replace") if match else post_id_from_path(rel)


@dataclass(frozen=True)
class LoadProblem:
    path: str
    line: int
    column: int
    message: str


_SHARED: dict[tuple[str, str], Post | LoadProblem] | None = None


@contextlib.contextmanager
def parsed_once() -> Iterator[None]:
    """Within this block each post file is read and parsed once, however often it is loaded: plan and
    publish load every post for the desired state and again for lint (whose forked workers inherit what
    the parent parsed). One command's view of the files, as a publish from a clean checkout has anyway."""
    global _SHARED
    outer = _SHARED
    _SHARED = {} if outer is None else outer
    try:
        yield
    finally:
        _SHARED = outer


def load_post(root: Path, rel: str, config: Config, real_dirs: set[str] | None = None) -> Post | LoadProblem:
    """`real_dirs`: see symlink_on_path, for a pass over many posts."""
    if _SHARED is None:
        return _load_post(root, rel, config, real_dirs)
    key = (os.fspath(root), rel)
    loaded = _SHARED.get(key)
    if loaded is None:
        loaded = _SHARED[key] = _load_post(root, rel, config, real_dirs)
    return loaded


def _load_post(root: Path, rel: str, config: Config, real_dirs: set[str] | None) -> Post | LoadProblem:
    shown = undecodable_name(rel)
    if shown is not None:
        # its id, its findings and its ledger lines would carry bytes that no UTF-8 file or output can hold
        return LoadProblem(shown, 1, 1, "the file's name is not UTF-8: rename it (postops names posts, ids and "
                                        "ledger lines by it)")
    link = symlink_on_path(root, rel, real_dirs)
    if link is not None:
        # approved once, its content would then come from a file nobody reviews: refused by lint and publish
        shown = "post file is a symbolic link" if link == rel else f"post file is in a symbolic link ({link})"
        return LoadProblem(rel, 1, 1, f"{shown}: a post must be a file in the repository, reviewed as it is")
    try:   # no Path built per post: see symlink_on_path
        doc = parse(read_capped(os.path.join(root, rel), rel, config.max_file_bytes), rel, config.max_file_bytes)
    except OSError as exc:
        return LoadProblem(rel, 1, 1, f"cannot read file: {exc.strerror}")
    except YamlProblem as exc:
        return LoadProblem(rel, exc.line or 1, exc.column or 1, exc.message)
    return build_post(doc, config)


def undecodable_name(rel: str) -> str | None:
    """`rel` as it can be shown (`caf\\xe9.yaml`) when the file system gave a name that is not UTF-8 (Python
    keeps such bytes as lone surrogates); None for a name that is."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None


def content_hash(post: Post, account: str, root: Path, read: Callable[[str], bytes | None] | None = None) -> str:
    """Hash of everything that is published for `account`: text of every part, media bytes and alt text,
    reply target. A published post whose hash changes has been edited. `read`: a media file's bytes by its
    path (None: missing), for a post as it was at another commit; else the files under `root`."""
    digest = hashlib.sha256()

    def media_sha256(rel: str) -> str | None:
        if read is None:
            return _file_sha256(root / rel)
        data = read(rel)
        return hashlib.sha256(data).hexdigest() if data is not None else None

    record: dict[str, Any] = {
        "account": account,
        "reply_to": post.reply_to,
        "parts": [
            {"text": part.text,
             "media": [{"sha256": media_sha256(m.path), "alt": m.alt} for m in part.media]}
            for part in post.parts
        ],
    }
    # Reposts, quotes and polls count only where a post has them, so every other post keeps its hash.
    for key in SHARED_KEYS:
        if key in post.data:
            record[key] = post.data[key]
    thread = post.data.get("thread")
    for i, item in enumerate(thread if isinstance(thread, list) else []):
        if isinstance(item, dict) and i + 1 < len(record["parts"]):
            record["parts"][i + 1].update({k: item[k] for k in PART_KEYS if k in item})
    digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return file_sha256(path)   # in pieces: a video may be gigabytes
    except (OSError, ValueError):  # ValueError: a NUL in the path (lint reports it)
        return None
