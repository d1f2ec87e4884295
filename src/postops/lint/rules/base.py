"""What every built-in rule module declares, and what its check is given and gives back.

A rule module (one per rule, in the style of yamllint's rules) has a docstring that documents it for users
(Markdown, the body of its section in docs/rules.md), and these names:

- ID: the stable id shown in every finding and used in policy files and `# postops: disable=` comments;
- TYPE: what the engine checks it on: "file" (each post file as it is read), "post" (each parsed post),
  "comment" (each post's `# postops:` comments) or "repository" (the repository as a whole, every run);
- SEVERITY: the default severity; DESCRIPTION: one line, shown in SARIF and JSON output;
- OPTIONS: what else configures it, beyond the `severity` and `applies_to` every rule has;
- EXAMPLES: failing and passing examples, rendered into docs/rules.md and run through lint by the tests;
- check(): the function the engine calls; RULE: all of the above as one BuiltinRule.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from postops.lint import facts as facts_mod
from postops.repo.config import Config
from postops.repo.posts import Post
from postops.repo.yamlfile import Mark

RuleType = Literal["file", "post", "comment", "repository"]


@dataclass(frozen=True)
class Hit:
    mark: Mark
    message: str
    account: str | None = None   # set when the hit is about one account of a cross-post


@dataclass
class Context:
    config: Config
    root: Path
    ids: Mapping[str, list[str]]       # post id -> files declaring it (every post in the repository)
    measures: dict[tuple[str, int], facts_mod.TextMeasures]   # (post path, part) -> measures, shared with facts
    published: Mapping[tuple[str, str], str] | None = None     # (post, account) -> content hash published
    retracted: frozenset[str] = frozenset()                    # ids retracted on some platform
    now: datetime | None = None                                # what "already past" is judged against
    # post path -> the time a post without publish_at is judged at (its merge plus min_lead), where known
    due_at: Mapping[str, datetime] = field(default_factory=dict)

    def measure(self, post: Post, index: int) -> facts_mod.TextMeasures:
        key = (post.path, index)
        if key not in self.measures:
            self.measures[key] = facts_mod.measure(post.parts[index].text)
        return self.measures[key]


Check = Callable[[Context, Post], Iterator[Hit]]
# (file relative to the repository, hit in it)
RepositoryCheck = Callable[[Path, Config], Iterator[tuple[str, Hit]]]

def _one_pixel_png() -> bytes:
    """The smallest real PNG image (1x1 pixel), made with the standard library: lint reads media by content."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xc8\x50\x28")) + chunk(b"IEND", b""))


# The content of a file an example only needs to exist, and be what its name says: an image.
STAND_IN = _one_pixel_png()


@dataclass(frozen=True)
class Example:
    """A change to a repository made by `postops init` (accounts `official` on X, `drill` on the outbox),
    and every line `postops lint` prints about it: none for a passing example.

    Post examples are linted alone (`postops lint PATH`), other files with the repository checks only."""

    path: str                          # the file the example writes
    text: str | None                   # its content; None deletes the file
    findings: tuple[str, ...] = ()     # lint's lines, "path:line:column: severity [rule] message"
    note: str = ""                     # what the example shows, one sentence
    insert_after: str | None = None    # insert `text` into the existing file after this line instead
    setup: Mapping[str, str | bytes] = field(default_factory=dict)   # files written first (STAND_IN: not shown)
    published: str | None = None       # `path` as it was published: lint is told its content hash
    retracted: tuple[str, ...] = ()    # post ids the ledger says were retracted
    git_add: tuple[str, ...] = ()      # files then added to git's index (`git add -f`), as a commit would

    @property
    def passes(self) -> bool:
        return not self.findings


def _nothing(ctx: Context, post: Post) -> Iterator[Hit]:
    return iter(())


@dataclass(frozen=True)
class BuiltinRule:
    id: str
    severity: str
    description: str
    check: Check = _nothing            # "post" rules; the engine reports the other types itself
    type: RuleType = "post"
    doc: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    check_repository: RepositoryCheck | None = None   # "repository" rules
