"""Lint results kept per file, so that linting again with nothing changed costs a walk of posts/.

A file's cached findings are used only when every input they can depend on is unchanged:
- the run's context: the cache format, postops' version (and its source files, for a development
  install), Python's and the libraries' versions that shape findings (JSON Schema, YAML, regex,
  twitter-text, timezones, Unicode confusables, Pillow's image decoders, the tone models), postops.yaml,
  postops.limits.yaml (the Mastodon instances' limits) and every file under policies/;
- the file itself: its path and the sha256 of its bytes;
- what the post refers to elsewhere in the repository: the files declaring its id (duplicate ids),
  whether the post ids it replies to, reposts or quotes exist, the ledger's published hash for each of its accounts and
  whether its id was retracted, and its media files (their real path, size, times and inode);
- the run's clock, as far as the findings can tell it: whether the post's publish_at has passed, and by more
  than max_delay (the publish-at-past warning appears as time passes, with nothing else changed).

A file's bytes are re-read unless its stat (inode, size, mtime, ctime) equals the one recorded when it
was last read *and* that mtime and ctime were already 2 s old then: a write after that read moves the
ctime past the recorded one, whatever the file system's timestamp resolution (the "racy git" rule).

The cache is a JSON file under .postops/cache/, replaced atomically (write a temporary file, then
rename), so a reader never sees half of one, and a journal of JSON lines appended to it by runs that
changed few entries: rewriting 10,000 entries for pre-commit's one changed file would cost more than
the lint. Writers take an advisory lock and merge: pre-commit runs several lint processes at once, and
each keeps the entries the others wrote. Every entry is checked against the file it describes before it
is used, so a reader that sees an older entry only lints that file again. A cache that cannot be read is
treated as empty, and one that cannot be written is skipped: the cache never changes a result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import orjson

import postops
from postops.lint.findings import Finding
from postops.lint.rules.publish_at_past import lateness
from postops.repo.codeowners import attached_paths
from postops.repo.config import CONFIG_FILE
from postops.repo.limits import LIMITS_FILE
from postops.repo.posts import declared_id
from postops.repo.yamlfile import MAX_BYTES_CEILING, read_head

FORMAT = 2
CACHE_DIR = ".postops/cache"
CACHE_FILE = "lint.json"
JOURNAL_FILE = "lint.journal"
# Past this size the journal is folded into the cache file: replaying it would cost more than rewriting.
JOURNAL_LIMIT = 256 * 1024
# A stat is trusted only for a file whose mtime and ctime were this old when it was read.
SETTLED_NS = 2_000_000_000
# Libraries whose version can change a finding (the tone models' with them); looked up, never imported.
LIBRARIES = ("jsonschema", "jsonschema-rs", "ruamel.yaml", "google-re2", "regex", "twitter-text-parser", "tzdata",
             "confusable-homoglyphs", "pillow", "alt-profanity-check", "scikit-learn", "vaderSentiment", "lingua-language-detector")


@dataclass(frozen=True)
class PostRefs:
    """What a post refers to outside its own file: enough to tell, without parsing it, whether its
    findings could have changed."""

    id: str
    accounts: tuple[str, ...]
    targets: tuple[str, ...]       # the posts it replies to, reposts and quotes: URLs or post ids
    media: tuple[str, ...]
    publish_at: str | None = None  # ISO 8601 with its offset, as lint read it


@dataclass(frozen=True)
class FileLint:
    """One file's share of a lint run: what is cached for it."""

    path: str
    findings: tuple[Finding, ...]
    posts: int                     # 1 for a post, 0 for a file that did not parse
    suppressed: int
    refs: PostRefs | None          # None for a file that did not parse


class PublishedView(Protocol):
    """The ledger's state as lint sees it (postops.lint.engine.PublishedState, without the import cycle)."""

    @property
    def published(self) -> Mapping[tuple[str, str], str]: ...

    @property
    def retracted(self) -> frozenset[str]: ...


class LintCache:
    """The cache of one repository for one run: load, look up, record, save."""

    def __init__(self, root: Path, code: str, context: str, files: dict[str, dict[str, Any]],
                 base: tuple[list[int] | None, object] = (None, None)) -> None:
        self.root = root
        self.code = code
        self.context = context
        self.files = files
        self.dirty: set[str] = set()
        self.base = base       # the whole-cache file as loaded: its stat and its context

    @classmethod
    def load(cls, root: Path) -> LintCache:
        code = code_key()
        context = context_key(root, code)
        folder = root / CACHE_DIR
        stat = _stat(folder / CACHE_FILE)   # before reading: a file replaced meanwhile differs at save
        files, _, base_context = _read_entries(folder, code, context)
        return cls(root, code, context, files, (stat, base_context))

    @classmethod
    def in_memory(cls, root: Path) -> LintCache:
        """An index kept for one run only: nothing read from or written to .postops/cache (`--no-cache`)."""
        return cls(root, "", "", {})

    # -- the content of every post file, read only when its stat says it may have changed

    def index(self, rel_paths: list[str]) -> dict[str, list[str]]:
        """Bring each file's content hash and declared id up to date; return post id -> files declaring it."""
        ids: dict[str, list[str]] = {}
        now = time.time_ns()
        # rel_paths are relative: a prefix and a concatenation, not os.path.join, which cost a warm lint of
        # 10,000 posts about 20 ms
        prefix = os.path.join(self.root, "")
        for rel in rel_paths:
            entry = self.files.get(rel)
            stat = _stat(prefix + rel if not os.path.isabs(rel) else rel)
            if entry is None or stat is None or entry.get("stat") != stat:
                entry = self._reindex(rel, entry, stat, now)
            ids.setdefault(entry["id"], []).append(rel)
        return ids

    def _reindex(self, rel: str, entry: dict[str, Any] | None, stat: list[int] | None, now: int) -> dict[str, Any]:
        try:
            content, sha = _bounded_read(self.root / rel)
        except OSError as exc:   # a named pipe, a folder: never the same as an empty file that can be read
            content, sha = b"", hashlib.sha256(f"\0{exc.strerror}".encode()).hexdigest()
            stat = None
        settled = stat is not None and max(stat[2], stat[3]) < now - SETTLED_NS
        fresh: dict[str, Any] = {"stat": stat if settled else None, "sha": sha, "id": declared_id(rel, content)}
        media = attached_paths(content)
        if media:
            fresh["media"] = media
        if entry is not None and entry.get("sha") == sha and "result" in entry:
            fresh["result"] = entry["result"]
        if fresh != entry:
            self.files[rel] = fresh
            self.dirty.add(rel)
        return fresh

    def attached(self, rel_paths: list[str]) -> list[str]:
        """The media paths the (indexed) files name: what CODEOWNERS' media folders are made of."""
        return [path for rel in rel_paths for path in self.files.get(rel, {}).get("media", ())]

    # -- results

    def lookup(self, rel: str, ids: Mapping[str, list[str]], state: PublishedView | None,
               clock: Clock | None = None) -> FileLint | None:
        result = self.files.get(rel, {}).get("result")
        if result is None:
            return None
        try:
            refs = _refs_from_json(result["refs"])
            if result["deps"] != _dependencies(self.root, refs, ids, state, clock):
                return None
            findings = tuple(Finding(rel, *values) for values in result["findings"]) if result["findings"] else ()
            return FileLint(rel, findings, int(result["posts"]), int(result["suppressed"]), refs)
        except (KeyError, TypeError, ValueError):  # a damaged entry: lint the file again
            return None

    def record(self, lint: FileLint, ids: Mapping[str, list[str]], state: PublishedView | None,
               clock: Clock | None = None) -> None:
        entry = self.files.get(lint.path)
        if entry is None:
            return  # not indexed (it vanished during the run): nothing trustworthy to key it on
        entry["result"] = {
            "deps": _dependencies(self.root, lint.refs, ids, state, clock),
            "refs": None if lint.refs is None else [lint.refs.id, list(lint.refs.accounts), list(lint.refs.targets),
                                                    list(lint.refs.media), lint.refs.publish_at],
            "findings": [[f.line, f.column, f.rule, f.severity, f.message, f.post] for f in lint.findings],
            "posts": lint.posts,
            "suppressed": lint.suppressed,
        }
        self.dirty.add(lint.path)

    def save(self, every_file: list[str]) -> None:
        """Merge this run's entries into the cache on disk; never fails a lint.

        A few entries (pre-commit's one changed file) are appended to a journal; many, or a journal grown
        past JOURNAL_LIMIT, rewrite the whole cache and empty the journal."""
        if not self.dirty:
            return
        folder = self.root / CACHE_DIR
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():  # even in a repository whose .gitignore does not name .postops/
                ignore.write_text("*\n", encoding="utf-8")
            with _locked(folder / "lint.lock"):
                # What other runs wrote since this one loaded is in the journal, unless the whole cache was
                # rewritten: only then is it read again (pre-commit's one-file lint then reads 0.3 KB, not MBs).
                whole = self.base[0] is None or _stat(folder / CACHE_FILE) != self.base[0]
                if whole:
                    files, journal_size, base_context = _read_entries(folder, self.code, self.context)
                else:
                    files, journal_size = _read_journal(folder, self.code, self.context)
                    base_context = self.base[1]
                changed = {}
                for rel in self.dirty & self.files.keys():
                    ours, theirs = self.files[rel], files.get(rel)
                    if ("result" not in ours and theirs is not None and theirs["sha"] == ours["sha"]
                            and "result" in theirs):
                        ours = {**ours, "result": theirs["result"]}   # linted meanwhile by another process
                    changed[rel] = ours
                try:
                    record = orjson.dumps({"format": FORMAT, "code": self.code, "context": self.context,
                                           "files": changed})
                except orjson.JSONEncodeError:
                    return   # a file name that is not UTF-8 (lint reports it): nothing cached this run
                if base_context == self.context and journal_size + len(record) < JOURNAL_LIMIT:
                    with open(folder / JOURNAL_FILE, "ab") as journal:
                        journal.write(b"\n" + record + b"\n")  # a line torn by a crash is skipped
                    return
                if not whole:
                    files = _read_entries(folder, self.code, self.context)[0]
                files.update(changed)
                present = set(every_file)
                files = {rel: entry for rel, entry in files.items() if rel in present}
                _write(folder / CACHE_FILE, {"format": FORMAT, "code": self.code, "context": self.context,
                                             "files": files})
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(folder / JOURNAL_FILE)
        except OSError:
            pass  # a read-only checkout, a full disk: lint works the same without its cache


def code_key() -> str:
    """A digest of the code that reads files: what an index entry (content hash, id, media paths) was
    derived by. Another postops makes every entry void, not only their results."""
    return hashlib.sha256(json.dumps([FORMAT, postops.__version__, sys.version, _source_signature()],
                                     default=str).encode()).hexdigest()


def context_key(root: Path, code: str) -> str:
    """A digest of every run-wide input to a file's findings."""
    digest = hashlib.sha256()

    def add(*values: object) -> None:
        digest.update(json.dumps(values, default=str).encode())
        digest.update(b"\0")

    add(code)
    for name in LIBRARIES:
        try:
            add(name, metadata.version(name))
        except metadata.PackageNotFoundError:
            add(name, None)
    for rel in [CONFIG_FILE, LIMITS_FILE, *_files_under(root, "policies")]:
        try:
            add(rel, _bounded_read(root / rel)[1])
        except OSError:
            add(rel, None)
    return digest.hexdigest()


def _source_signature() -> list[object]:
    """postops' own files, by size and time: a development install changes without a new version."""
    base = Path(postops.__file__).parent
    signature: list[object] = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                signature.append([os.path.relpath(os.path.join(folder, name), base), stat.st_size,
                                  stat.st_mtime_ns])
    return signature


def _bounded_read(path: Path) -> tuple[bytes, str]:
    """The first MAX_BYTES_CEILING bytes and one of a file, and a digest of them and of the file's size when it is
    longer. No file postops reads from the repository may be larger (lint.max_file_bytes is at most that), so
    the digest changes whenever what lint says of the file can; and a file of gigabytes costs one bounded read.
    Raises OSError, for a named pipe too."""
    content, size = read_head(path, MAX_BYTES_CEILING)
    return content, hashlib.sha256(content + (b"" if size is None else f"\0{size}".encode())).hexdigest()


def _files_under(root: Path, folder: str) -> list[str]:
    found: list[str] = []
    for current, dirs, files in os.walk(root / folder):
        dirs.sort()
        found.extend(Path(current, name).relative_to(root).as_posix() for name in sorted(files))
    return found


@dataclass(frozen=True)
class Clock:
    """The time a run judges "already past" at, and how late is missed: a post's findings depend on whether
    its publish_at has passed, so that is part of its key (never the time itself, which changes every run)."""

    now: datetime
    max_delay: timedelta


def _dependencies(root: Path, refs: PostRefs | None, ids: Mapping[str, list[str]],
                  state: PublishedView | None, clock: Clock | None = None) -> list[Any]:
    """Everything outside a post's file that its findings depend on, as a JSON value to compare."""
    if refs is None:
        return []
    published = state.published if state is not None else None
    when = datetime.fromisoformat(refs.publish_at) if refs.publish_at else None
    return [
        ids.get(refs.id, []),
        [target in ids for target in refs.targets if "://" not in target],
        [published.get((refs.id, account)) if published else None for account in refs.accounts],
        state is not None and refs.id in state.retracted,
        [_media_stat(root, media) for media in refs.media] if refs.media else [],
        lateness(when, clock.now, clock.max_delay) if clock is not None else None,
    ]


def _media_stat(root: Path, rel: str) -> list[Any] | None:
    try:
        real = os.path.realpath(root / rel)
        stat = os.stat(real)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    return [real, stat.st_mode, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _entries(data: dict[str, Any], code: str, keep_results: bool) -> dict[str, dict[str, Any]]:
    """The well-formed file entries of a cache read from disk: a damaged entry is a missing one."""
    files = data.get("files") if data.get("format") == FORMAT and data.get("code") == code else None
    if not isinstance(files, dict):
        return {}
    entries = {}
    for rel, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha"), str) and isinstance(entry.get("id"), str)):
            continue
        media = entry.get("media", ())
        if not (isinstance(media, list | tuple) and all(isinstance(path, str) for path in media)):
            continue    # trusted with its stat, it is what CODEOWNERS' media folders are made of
        if not keep_results:
            entry.pop("result", None)
        entries[rel] = entry
    return entries


def _refs_from_json(raw: list[Any] | None) -> PostRefs | None:
    if raw is None:
        return None
    post_id, accounts, targets, media, publish_at = raw
    return PostRefs(post_id, tuple(accounts), tuple(targets), tuple(media), publish_at)


def _stat(path: str | Path) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def _read_entries(folder: Path, code: str, context: str) -> tuple[dict[str, dict[str, Any]], int, object]:
    """The entries of the cache and its journal, with results of another context dropped; the journal's
    size; the context of the whole-cache file."""
    base = _read(folder / CACHE_FILE)
    files = _entries(base, code, keep_results=base.get("context") == context)
    journal, size = _read_journal(folder, code, context)
    files.update(journal)
    return files, size, base.get("context")


def _read_journal(folder: Path, code: str, context: str) -> tuple[dict[str, dict[str, Any]], int]:
    """The entries of the journal alone, and its size."""
    try:
        with open(folder / JOURNAL_FILE, "rb") as handle:
            journal = handle.read()
    except OSError:
        journal = b""
    files: dict[str, dict[str, Any]] = {}
    for line in journal.split(b"\n"):
        if not line:
            continue
        try:
            record = orjson.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            files.update(_entries(record, code, keep_results=record.get("context") == context))
    return files, len(journal)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = orjson.loads(handle.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    # No fsync: after a crash a torn cache is unreadable JSON, which is an empty cache.
    try:
        encoded = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return   # a file name that is not UTF-8 (lint reports it): the cache stays as it was
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock where the system has one; elsewhere the last writer's merge wins."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # Windows
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
