"""CODEOWNERS generated from postops.yaml: it makes GitHub (or GitLab) ask each account's approvers to review.

The publish-time check that they did is `postops.publish.approvals`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from postops.repo.config import Config, load_config
from postops.repo.fsutil import write_atomic
from postops.repo.limits import LIMITS_FILE
from postops.repo.posts import POSTS_DIR, discover
from postops.repo.yamlfile import MAX_BYTES_CEILING, read_head

# Where each forge looks for CODEOWNERS, in its order: it reads the first that exists and ignores the rest.
# GitHub: "in the .github/, root, or docs/ directory ... it will search for them in that order and use the
# first one it finds" (docs.github.com, About code owners, CODEOWNERS file location). GitLab: root, docs/,
# .gitlab/ (Gitlab::CodeOwners::FILE_PATHS; gitlab-org/gitlab#219916: "only the first file will be used").
LOOKUP_ORDER = {
    "github": (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"),
    "gitlab": ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"),
}
FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab"}
DEFAULT_CODEOWNERS = ".github/CODEOWNERS"
# where a new one goes: the first place each forge looks, so that no other file can take precedence over it
CODEOWNERS_FOR_CI = {forge: order[0] for forge, order in LOOKUP_ORDER.items()}
# every place some forge reads: each is owned by the policy owners, so that adding one needs their review
CODEOWNERS_LOCATIONS = tuple(dict.fromkeys(rel for order in LOOKUP_ORDER.values() for rel in order))
_RUN = "run `postops codeowners`"
# a media path in a post file, found without parsing YAML (block or flow style); checked against the disk
_MEDIA_PATH = re.compile(rb"""\bpath\s*:\s*['"]?([^'"\s#,}\]]+)""")


def detect_forge(root: Path) -> str:
    """github, or gitlab for a repository with a GitLab pipeline and no GitHub workflows."""
    if (root / ".gitlab-ci.yml").is_file() and not (root / ".github" / "workflows").is_dir():
        return "gitlab"
    return "github"


@dataclass(frozen=True)
class _Entry:
    pattern: str
    owners: tuple[str, ...]
    source: str      # where in postops.yaml the owners come from, for messages
    unowned: str     # the comment written instead of a rule when there are no owners


# What a post, a policy owner's review or the approvers' machines depend on besides posts/ and media/:
# pre-commit runs on the approvers' machines; .gitattributes changes how files are checked out and diffed.
_GOVERNED = ("/postops.yaml", "/policies/", "/.pre-commit-config.yaml", "/.gitattributes",
             *(f"/{rel}" for rel in CODEOWNERS_LOCATIONS if not rel.startswith(".github/")),
             "/.github/", "/.gitlab-ci.yml")


def attached_paths(raw: bytes) -> list[str]:
    """The media paths a post file names, read from its bytes without parsing them."""
    return [match.group(1).decode("utf-8", "replace") for match in _MEDIA_PATH.finditer(raw)]


def _every_attached_path(root: Path) -> Iterator[str]:
    for rel in discover(root):
        try:
            yield from attached_paths(read_head(root / rel, MAX_BYTES_CEILING)[0])
        except OSError:
            continue


def media_folders(root: Path, attached: Iterable[str] | None = None) -> tuple[str, ...]:
    """Folders outside media/ and posts/ holding files that posts attach, as CODEOWNERS patterns.

    `attached`: the media paths every post file names (attached_paths of each), when the caller knows
    them already (lint's cache does); else every post file is read."""
    folders: set[str] = set()
    resolved_root = root.resolve()
    for raw_path in (_every_attached_path(root) if attached is None else attached):
        path = PurePosixPath(raw_path)
        if path.is_absolute() or ".." in path.parts or path.parts[:1] in (("media",), (POSTS_DIR,)):
            continue
        target = root / path
        if not target.is_file() or not target.resolve().is_relative_to(resolved_root):
            continue
        parent = path.parent.as_posix()
        folders.add(f"/{path.as_posix()}" if parent == "." else f"/{parent}/")
    return tuple(sorted(folders))


def _entries(config: Config, extra_media: Sequence[str] = ()) -> tuple[list[_Entry], list[_Entry]]:
    """(content entries, governance entries) in the order they are written."""
    owners = config.policy_owners
    no_policy_owners = "nobody: postops.yaml names no policy_owners"
    content = [_Entry("/posts/", owners, "policy_owners",
                      f"/posts/ (folders of no account): {no_policy_owners}")]
    every_approver: list[str] = []
    for key in sorted(config.accounts):
        account = config.accounts[key]
        content.append(_Entry(f"/posts/{key}/", account.approvers, f"accounts.{key}.approvers",
                              f"/posts/{key}/: account {key} has no approvers in postops.yaml, "
                              f"so the /posts/ line applies"))
        every_approver.extend(a for a in account.approvers if a not in every_approver)
    for pattern in ("/media/", *extra_media):
        content.append(_Entry(pattern, tuple(every_approver), "the approvers of every account",
                              f"{pattern}: nobody: no account has approvers in postops.yaml"))
    # postops.limits.yaml changes what lint lets through to a Mastodon account; owned once it exists, so that
    # repositories without it keep the CODEOWNERS they have (the pull request adding it is told to regenerate).
    governed = _GOVERNED[:1] + (f"/{LIMITS_FILE}",) + _GOVERNED[1:] if (config.root / LIMITS_FILE).exists() \
        else _GOVERNED
    governance = [_Entry(pattern, owners, "policy_owners", f"{pattern}: {no_policy_owners}")
                  for pattern in governed]
    return content, governance


def render_codeowners(config: Config, media: Sequence[str] = ()) -> str:
    """CODEOWNERS text for `config`; `media` names the folders outside media/ that posts attach files from
    (`media_folders`). The same for the same config, whatever the order of accounts in postops.yaml, and
    wherever the file is kept: it owns every place a forge looks for CODEOWNERS.
    """
    content, governance = _entries(config, media)

    def lines(entries: list[_Entry]) -> list[str]:
        return [f"{e.pattern} {' '.join(e.owners)}" if e.owners else f"# {e.unowned}" for e in entries]

    return "\n".join([
        "# Generated by `postops codeowners` from postops.yaml. Do not edit this file by hand:",
        "# change `approvers` and `policy_owners` in postops.yaml, then run `postops codeowners`.",
        "# `postops lint` reports an error whenever this file and postops.yaml disagree.",
        "",
        "# Posts: each account's folder is approved by that account's approvers, the rest of posts/",
        "# by the policy owners. Media can be attached to any account's posts: any approver may",
        "# approve it; the approval check at publish time still asks the post's own approvers.",
        *lines(content),
        "",
        "# postops' configuration, policies, these review rules wherever a forge looks for them, the",
        "# pre-commit hooks that run on approvers' machines, and the CI that enforces all of it.",
        *lines(governance),
        "",
    ])


def codeowners_files(root: Path, forge: str) -> list[str]:
    """The CODEOWNERS files that exist where `forge` looks, in its order: it reads the first alone."""
    return [rel for rel in LOOKUP_ORDER[forge] if (root / rel).is_file()]


def locate_codeowners(root: Path, forge: str | None = None) -> str:
    """The CODEOWNERS file `forge` reads (relative path): the first that exists in its order, else where
    a new one goes."""
    forge = forge or detect_forge(root)
    return next(iter(codeowners_files(root, forge)), CODEOWNERS_FOR_CI[forge])


def precedence_problems(root: Path, forge: str, path: str | None = None) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) for each CODEOWNERS that `forge` reads instead of another one.

    With `path`, also when `path` is not the file the forge reads."""
    order, name = LOOKUP_ORDER[forge], FORGE_NAMES[forge]
    if path and path not in order:
        message = f"{name} never reads {path}: it reads the first of {', '.join(order)} that exists; {_RUN} without --path"
        return [(path, 1, 1, message)]
    found = codeowners_files(root, forge)
    if not found:
        return []
    read, ignored = found[0], found[1:]
    if path and path not in found and order.index(path) > order.index(read):
        ignored.append(path)
    return [(read, 1, 1, _shadow_message(read, rel, name, order)) for rel in ignored]


def _shadow_message(read: str, ignored: str, forge_name: str, order: Sequence[str]) -> str:
    return (f"{read} takes precedence over {ignored}: {forge_name} reads only the first of {', '.join(order)} "
            f"that exists, so {ignored} is ignored; keep one CODEOWNERS (delete {read}, or delete {ignored} "
            f"and {_RUN})")


def write_codeowners(root: Path, config: Config, path: str = DEFAULT_CODEOWNERS) -> Path:
    target = root / path
    write_atomic(target, render_codeowners(config, media_folders(root)))
    return target


def _rules(text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(line, column of the owners, pattern, owners) of each rule line."""
    rules = []
    for number, line in enumerate(text.split("\n"), start=1):
        words = line.split()
        if words and not words[0].startswith("#"):
            owners = []
            for word in words[1:]:
                if word.startswith("#"):
                    break
                owners.append(word)
            column = line.index(owners[0], line.index(words[0]) + len(words[0])) + 1 if owners else 1
            rules.append((number, column, words[0], tuple(owners)))
    return rules


def _said(owners: Sequence[str]) -> str:
    return " ".join(owners) if owners else "nobody"


def _read_text(path: Path) -> tuple[str | None, int]:
    """A CODEOWNERS file's text, its line ends as a text-mode read has them, and its size; the text is None
    when the file is larger than postops reads. Raises OSError (a named pipe too) and UnicodeDecodeError."""
    raw, size = read_head(path, MAX_BYTES_CEILING)
    if size is not None:
        return None, size
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"), len(raw)


def codeowners_problems(root: Path, config: Config, path: str | None = None,
                        attached: Iterable[str] | None = None) -> list[tuple[int, int, str]]:
    """(line, column, message) for every way the CODEOWNERS file disagrees with postops.yaml.

    Differences that change who must review are reported each at its line; when there are none but the
    text still differs (comments, order), the first differing line is reported.
    """
    rel = path or locate_codeowners(root)
    try:
        text, size = _read_text(root / rel)   # a named pipe or gigabytes: said, not waited on
        if text is None:
            return [(1, 1, f"{rel} is {size:,} bytes, more than postops reads ({MAX_BYTES_CEILING:,}); {_RUN}")]
    except FileNotFoundError:
        return [(1, 1, f"{rel} is missing, so nobody's review is required for any account's posts; {_RUN}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [(1, 1, f"cannot read {rel} ({getattr(exc, 'strerror', None) or exc}); {_RUN}")]
    media = media_folders(root, attached)
    expected = render_codeowners(config, media)
    if text == expected:
        return []

    content, governance = _entries(config, media)
    wanted = {e.pattern: e for e in (*content, *governance)}
    actual = _rules(text)
    problems: list[tuple[int, int, str]] = []
    seen: dict[str, int] = {}
    for line, owners_column, pattern, owners in actual:
        if pattern in seen:
            problems.append((line, 1, f"CODEOWNERS names {pattern} again (first on line {seen[pattern]}): "
                                      + f"the last line wins, postops.yaml says it once; {_RUN}"))
            continue
        seen[pattern] = line
        entry = wanted.get(pattern)
        if entry is None:
            problems.append((line, 1, f"CODEOWNERS says {pattern} is approved by {_said(owners)} but "
                                      + f"postops.yaml says nothing about {pattern}; {_RUN}"))
        elif {o.lower() for o in owners} != {o.lower() for o in entry.owners}:
            problems.append((line, owners_column, f"CODEOWNERS says {pattern} is approved by {_said(owners)} "
                                                  + f"but postops.yaml says {_said(entry.owners)} ({entry.source}); {_RUN}"))
    last_line = max(1, text.count("\n"))
    for entry in wanted.values():
        if entry.owners and entry.pattern not in seen:
            problems.append((last_line, 1, f"CODEOWNERS says nothing about {entry.pattern} but postops.yaml "
                                           + f"says {_said(entry.owners)} ({entry.source}); {_RUN}"))
    if problems:
        return sorted(problems)

    have, want = text.split("\n"), expected.split("\n")
    for number, (got, wanted_line) in enumerate(zip(have, want, strict=False), start=1):
        if got != wanted_line:
            message = (f"CODEOWNERS line {number} is not what postops.yaml generates (expected {wanted_line!r}); "
                       f"this file is not edited by hand; {_RUN}")
            return [(number, 1, message)]
    ending = "ends early" if len(have) < len(want) else "has extra lines"
    return [(max(1, min(len(have), len(want))), 1,
             f"CODEOWNERS {ending} compared with what postops.yaml generates; {_RUN}")]



def codeowners_command(root: Path, *, check: bool, echo: Callable[[str], Any],
                       path: str | None = None, forge: str | None = None) -> int:
    """`postops codeowners`: write the file the forge reads, or with `check` report how it differs (exit 1).

    Either way, a CODEOWNERS that the forge reads instead of it is reported (exit 1)."""
    config = load_config(root)
    forge = forge or detect_forge(root)
    rel = path or locate_codeowners(root, forge)
    if check:
        problems = codeowners_problems(root, config, rel)
        for line, column, message in problems:
            echo(f"{rel}:{line}:{column}: {message}")
        shadowed = precedence_problems(root, forge, rel)
        for where, line, column, message in shadowed:
            echo(f"{where}:{line}:{column}: {message}")
        if not problems and not shadowed:
            echo(f"{rel} matches postops.yaml")
        return 1 if problems or shadowed else 0
    target = root / rel
    text = render_codeowners(config, media_folders(root))
    try:
        current, _ = _read_text(target)
    except (OSError, UnicodeDecodeError):
        current = None
    if current == text:
        echo(f"{rel} is up to date")
    else:
        write_codeowners(root, config, rel)
        echo(f"wrote {rel}")
    shadowed = precedence_problems(root, forge, rel)
    for where, line, column, message in shadowed:
        echo(f"{where}:{line}:{column}: {message}")
    return 1 if shadowed else 0
