"""`postops new`: a new post file, named from its date and first words, that reads back exactly as written."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from postops.errors import PostopsError, UsageError
from postops.lint.engine import PublishedState, run_lint
from postops.lint.findings import LintResult
from postops.repo.config import Config
from postops.repo.posts import POSTS_DIR, SCHEMA_FILE, declared_ids, discover
from postops.repo.yamlfile import YamlProblem, parse
from postops.times import has_clock, parse_time

# Everything from this line down in the editor is instructions, not the post (as in `git commit -v`).
SCISSORS = "# ------------------------ >8 ------------------------"
SLUG_WORDS = 6
SLUG_CHARS = 40

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Characters a YAML reader refuses, or reads as a line break (YAML 1.1's \x85 \u2028 \u2029 included), or
# that hide in an editor (byte order mark): written as escapes in a double-quoted string instead.
_PRINTABLE = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NOT_LITERAL = re.compile(f"[^\x09\x0a{_PRINTABLE}]")
_NOT_PRINTABLE = re.compile(f"[^{_PRINTABLE}]")


class EmptyPost(PostopsError):
    """The editor was closed without text: nothing is written (like an empty commit message)."""


@dataclass(frozen=True)
class NewPost:
    path: Path                    # absolute
    rel: str                      # relative to the repository root, with /
    publish_at: datetime | None


def new_post(root: Path, config: Config, account: str, text: str | None = None, at: str | None = None, *,
             edit: Callable[[str], str | None] | None = None, now: datetime | None = None,
             reserved: Collection[str] = ()) -> NewPost:
    """Write posts/<account>/<YYYY>/<MM>/<date>-<first-words>.yaml and return where.

    `text` None asks `edit` (an editor) for it. `at` is ISO 8601; without an offset it is read in
    postops.yaml's timezone. `reserved` are ids no new post may take (retracted ones). Raises UsageError
    for an unknown account or time, EmptyPost for no text.
    """
    if account not in config.accounts:
        raise UsageError(f"unknown account '{account}'; accounts in postops.yaml: "
                         f"{', '.join(sorted(config.accounts))}")
    publish_at = parse_at(at, config.timezone) if at is not None else None
    if text is None:
        if edit is None:
            raise UsageError("no text given and no editor to ask for it")
        edited = edit(editor_template(config, account))
        text = text_from_editor(edited or "")
    if not text.strip():
        raise EmptyPost("the post is empty: nothing written")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the text is not valid Unicode (was it typed in another encoding?)") from None
    day = publish_at.date() if publish_at else (now or datetime.now(ZoneInfo(config.timezone))).date()
    rel = unique_path(root, account, day, text, reserved)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    content = render_post(rel, account, text, publish_at)
    # "x": never overwrite a post that appeared meanwhile
    with open(path, "x", encoding="utf-8", newline="") as handle:
        handle.write(content)
    return NewPost(path, rel, publish_at)


def lint_new_post(root: Path, config: Config, post: NewPost, state: PublishedState | None = None,
                  now: datetime | None = None) -> LintResult:
    """Lint the new post; `state` is what the ledger says was published, `now` what a publish_at already past
    is judged against."""
    return run_lint(root, config, [str(post.path)], state=state, now=now)


def parse_at(value: str, timezone: str) -> datetime:
    """An ISO 8601 date and time; without an offset it is read in `timezone`."""
    if not has_clock(value):
        raise UsageError(f"--at {value!r} needs a date and a time, e.g. 2026-11-24T09:00 or "
                         "2026-11-24T09:00:00-05:00")
    when = parse_time(value, ZoneInfo(timezone))
    if when is None:
        raise UsageError(f"--at {value!r} is not an ISO 8601 date and time "
                         "(e.g. 2026-11-24T09:00:00-05:00)")
    return when.replace(microsecond=0)


def format_at(when: datetime) -> str:
    """ISO 8601 with its UTC offset, e.g. 2026-11-24T09:00:00-05:00."""
    return when.isoformat(timespec="seconds")


def editor_template(config: Config, account: str) -> str:
    spec = config.accounts[account]
    who = f"{spec.platform}, {spec.handle}" if spec.handle else spec.platform
    return (f"\n{SCISSORS}\n"
            f"# Write the post for '{account}' ({who}) above this line.\n"
            "# Everything from the line above down is removed. Leave it empty to write nothing.\n")


def text_from_editor(edited: str) -> str:
    edited = edited.replace("\r\n", "\n")
    cut = edited.find(SCISSORS)
    if cut >= 0:
        edited = edited[:cut]
    return edited.strip()


def slug(text: str) -> str:
    """The first few words of `text`, lower-case ASCII, joined by '-'; 'post' when there are none."""
    plain = unicodedata.normalize("NFKD", _URL.sub(" ", text)).encode("ascii", "ignore").decode().lower()
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", plain):
        if len(words) == SLUG_WORDS or len("-".join([*words, word])) > SLUG_CHARS:
            break
        words.append(word)
    return "-".join(words) or "post"


def unique_path(root: Path, account: str, day: date, text: str, reserved: Collection[str] = ()) -> str:
    """posts/<account>/<YYYY>/<MM>/<date>-<slug>.yaml, with -2, -3... when the id is taken anywhere
    in the repository or `reserved`."""
    folder = f"{POSTS_DIR}/{account}/{day:%Y}/{day:%m}"
    base = f"{day.isoformat()}-{slug(text)}"
    taken = set(reserved)
    if (root / POSTS_DIR).is_dir():
        taken.update(declared_ids(root, discover(root)))
    name, n = base, 1
    while name in taken or any((root / folder / f"{name}{ext}").exists() for ext in (".yaml", ".yml")):
        n += 1
        name = f"{base}-{n}"
    return f"{folder}/{name}.yaml"


def modeline(rel: str, schema_file: str = SCHEMA_FILE) -> str:
    """The yaml-language-server comment that points an editor at `schema_file` (the post schema unless
    said otherwise), from file `rel`."""
    schema = os.path.relpath(schema_file, os.path.dirname(rel) or ".").replace(os.sep, "/")
    return f"# yaml-language-server: $schema={schema}\n"


def render_post(rel: str, account: str, text: str, publish_at: datetime | None) -> str:
    lines = [modeline(rel), f"account: {account}\n"]
    if publish_at is not None:
        lines.append(f"publish_at: {format_at(publish_at)}\n")
    lines.append("text: " + yaml_text(text, indent=2))
    return "".join(lines)


def yaml_text(text: str, indent: int) -> str:
    """`text` as a YAML scalar that reads back exactly, ending in a newline: a literal block (`|-`) when
    that can hold it, else a double-quoted string with escapes. Goes after `key: ` at `indent - 2`."""
    if text and not _NOT_LITERAL.search(text):
        literal = _literal(text, indent)
        if _reads_back(literal, text, indent):
            return literal
    quoted = _double_quoted(text) + "\n"
    if not _reads_back(quoted, text, indent):  # pragma: no cover - the escapes above cover every character
        raise UsageError("this text cannot be written to a YAML file")
    return quoted


def yaml_scalar(text: str, indent: int) -> str:
    """`text` on the key's line when it reads back exactly that way (as it is, else double-quoted), for short
    values such as URLs, paths and poll options; else as yaml_text writes it."""
    if "\n" not in text and len(text) <= 200:
        for written in (text, _double_quoted(text)):
            if written and _reads_back(written + "\n", text, indent):
                return written + "\n"
    return yaml_text(text, indent)


def _literal(text: str, indent: int) -> str:
    trailing = len(text) - len(text.rstrip("\n"))
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    # An explicit indentation indicator when the first line starts with blanks or is empty, which
    # YAML would otherwise take for indentation.
    indicator = str(indent) if text[0] in " \t\n" else ""
    body = text[:-trailing] if trailing else text
    lines = [(" " * indent + line) if line else "" for line in body.split("\n")]
    return f"|{indicator}{chomp}\n" + "\n".join(lines) + "\n" + "\n" * (trailing - 1 if trailing else 0)


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif not _NOT_PRINTABLE.match(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _reads_back(scalar: str, text: str, indent: int) -> bool:
    pad = " " * (indent - 2)
    try:
        doc = parse(f"{pad}text: {scalar}".encode(), "<new post>")
    except YamlProblem:
        return False
    return isinstance(doc.data, dict) and doc.data.get("text") == text
