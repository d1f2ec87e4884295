"""Nothing under `.postops/` is committed: it holds what postops keeps for one checkout (the lint result
cache, the tone models' scores, the outbox, the crash log). A cache that came with the repository, from a
pull request say, could claim that a post has no findings or that its text scored as friendly, and lint
(in CI and in the publish gate) would believe it. So when git tracks anything at or under `.postops/`
(the folder as a symlink too), lint neither reads nor writes a cache, lints every file, and reports each
tracked path here. `git rm -r --cached .postops` removes them from the repository (`postops init`'s
.gitignore already names the folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from postops.lint.rules.base import BuiltinRule, Example, Hit, RuleType
from postops.repo.config import Config
from postops.repo.yamlfile import Mark

ID = "lint-cache"
TYPE: RuleType = "repository"
SEVERITY = "error"
DESCRIPTION = ("Nothing under `.postops/` is committed: lint never uses a cache that came with the repository, "
               "and reports each such file.")
OPTIONS: dict[str, str] = {}
_CACHE = ".postops/cache/lint.json"
_MESSAGE = ("is committed, and lint never uses a cache that came with the repository (it could hide findings): "
            "every post was linted afresh; remove it with `git rm -r --cached .postops`")
EXAMPLES = (
    Example(_CACHE, '{"format": 2, "files": {}}\n', (f"{_CACHE}:1:1: error [lint-cache] {_MESSAGE}",),
            git_add=(_CACHE,), note="a pull request force-adds a lint cache."),
    Example(_CACHE, '{"format": 2, "files": {}}\n',
            note="the cache a lint run wrote in this checkout, which git ignores."),
)


FOLDER = ".postops"


def tracked(root: Path) -> list[str]:
    """What git tracks at or under .postops/ in `root`, the folder itself as a symlink included. Asked of git
    whether or not `root` has a .git of its own: the content repository may be a folder of a larger one (and
    outside any repository, git lists nothing)."""
    from postops.repo import git  # noqa: PLC0415 - only where a repository is linted with its cache

    try:
        listed = git.run(root, "ls-files", "-z", "--", FOLDER, check=False).stdout
    except git.GitError:   # git is not installed: then nothing came with a repository either
        return []
    return sorted(p for p in listed.decode("utf-8", "replace").split("\0") if p)


def check(root: Path, config: Config, committed: list[str] | None = None) -> Iterator[tuple[str, Hit]]:
    """`committed`: tracked(root) when the caller asked git already (lint does, to decide on its cache: the
    question reads git's whole index, tens of milliseconds in a repository of 10,000 posts)."""
    for path in tracked(root) if committed is None else committed:
        yield path, Hit(Mark(1, 1), _MESSAGE)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, type=TYPE, doc=__doc__ or "", options=OPTIONS, examples=EXAMPLES,
                   check_repository=check)
