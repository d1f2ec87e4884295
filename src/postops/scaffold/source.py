"""Which copy of postops a content repository's CI and hooks use, and every reference to it.

One setting, `source:` in postops.yaml (written by `postops init --from OWNER/REPO@REF`), decides the
action in `uses:`, the pre-commit hook's `repo:`/`rev:` and GitLab's install; each is pinned to the
copy's commit, so that moving a tag (or a compromised fork) cannot change what CI runs.
"""

from __future__ import annotations

import re
from pathlib import Path

from postops import __version__, _release
from postops.errors import UsageError
from postops.repo import git
from postops.repo.config import Config, Source

DEFAULT_REPO = "postops/postops"
GITHUB = "https://github.com"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REF = re.compile(r"^[A-Za-z0-9_./+-]+$")


def default_source() -> Source:
    """This postops' own release: pinned to the commit it was built from when it is a release."""
    return Source(DEFAULT_REPO, f"v{__version__}", _release.COMMIT, f"{GITHUB}/{DEFAULT_REPO}")


def source_of(config: Config | None) -> Source:
    return config.source if config is not None and config.source is not None else default_source()


def parse_from(text: str) -> tuple[str, str, str]:
    """(OWNER/REPO, REF, clone URL) from `OWNER/REPO@REF` or `https://host/OWNER/REPO@REF`."""
    spec, at, ref = text.rpartition("@")
    if not at or not spec or not _REF.match(ref):
        raise UsageError(f"--from {text!r}: expected OWNER/REPO@REF, e.g. acme/postops@v0.1.0 or a commit")
    if "://" in spec:
        if not spec.startswith(("https://", "file://")):
            raise UsageError(f"--from {text!r}: only https:// and file:// URLs")
        repo = "/".join(spec.rstrip("/").removesuffix(".git").split("/")[-2:])
        url = spec
    else:
        repo, url = spec, f"{GITHUB}/{spec}"
    if not _REPO.match(repo):
        raise UsageError(f"--from {text!r}: {repo!r} is not OWNER/REPO")
    return repo, ref, url


def resolve_from(text: str) -> Source:
    """The Source `--from` names, with its commit: a commit is taken as it is; a tag or branch is looked
    up in the repository (one `git ls-remote`)."""
    repo, ref, url = parse_from(text)
    if _COMMIT.match(ref):
        return Source(repo, ref, ref, url)
    commit = git.remote_commit(url, ref)
    if commit is None:
        raise UsageError(f"--from {text!r}: {url} has no tag or branch {ref!r}")
    return Source(repo, ref, commit, url)


def pin(source: Source) -> str:
    """What references name: the commit, else (a development build) the tag."""
    return source.commit or source.ref


def uses(source: Source) -> str:
    """The action reference for `uses:`, with the tag as a comment when pinned to a commit."""
    if source.commit is None:
        return f"{source.repo}@{source.ref}"
    return f"{source.repo}@{source.commit}" + (f"  # {source.ref}" if source.ref != source.commit else "")


def source_yaml(source: Source) -> str:
    """The `source:` block `postops init --from` adds to postops.yaml."""
    lines = ["",
             "# The copy of postops that CI, the pre-commit hooks and GitLab's pipeline use, pinned to a commit:",
             "# `postops workflows --force` writes every reference from this; `postops lint` reports any that",
             "# disagree. Written by `postops init --from OWNER/REPO@REF`.",
             "source:",
             f"  repo: {source.repo}",
             f"  ref: {source.ref}"]
    if source.commit:
        lines.append(f"  commit: {source.commit}")
    if source.url != f"{GITHUB}/{source.repo}":
        lines.append(f"  url: {source.url}")
    return "\n".join(lines) + "\n"


_USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^@\s'\"]+)@([^\s'\"#]+)", re.MULTILINE)
_PRE_COMMIT_REPO = re.compile(r"^\s*-?\s*repo:\s*['\"]?(\S+?)['\"]?\s*(?:#.*)?$")
_PRE_COMMIT_REV = re.compile(r"^\s*rev:\s*['\"]?([^\s'\"#]+)")
_GITLAB_VAR = re.compile(r"^\s*(POSTOPS_SOURCE|POSTOPS_COMMIT):\s*['\"]?([^\s'\"#]+)")
_INDEX_INSTALL = re.compile(r"pip3?\s+install\b.*?['\"\s]postops(\[[\w,-]*\])?\s*(==|>=|~=|['\"\s]|$)")
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
GITLAB_CI = ".gitlab-ci.yml"
WORKFLOWS = ".github/workflows"


def _names_postops(repo: str, source: Source) -> bool:
    repo = repo.lower()
    return any(repo == r or repo.startswith(r + "/") for r in (source.repo.lower(), DEFAULT_REPO))


def _clone_names(url: str) -> str:
    return "/".join(url.rstrip("/").removesuffix(".git").split("/")[-2:])


def reference_problems(root: Path, config: Config) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) for each reference to postops in the repository's CI and pre-commit
    files that does not name the `source:` of postops.yaml at its commit."""
    source = source_of(config)
    want = pin(source)
    fix = "run `postops workflows --force`" if source.commit else "set `source:` with `postops init --from`"
    problems: list[tuple[str, int, int, str]] = []
    workflow_files = sorted((root / WORKFLOWS).glob("*.y*ml")) if (root / WORKFLOWS).is_dir() else []
    for path in workflow_files:
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(_lines(path), start=1):
            match = _USES.match(line)
            if match and _names_postops(match.group(1), source) and (
                    match.group(1).lower() != source.repo.lower() or match.group(2) != want):
                message = (f"uses {match.group(1)}@{match.group(2)}, but postops.yaml's source is "
                           f"{source.repo}@{want}; {fix}")
                problems.append((rel, number, match.start(1) + 1, message))
    repo_line: tuple[int, str] | None = None
    for number, line in enumerate(_lines(root / PRE_COMMIT_CONFIG), start=1):
        if (match := _PRE_COMMIT_REPO.match(line)) is not None:
            url = match.group(1)
            repo_line = (number, url) if url != "local" and _names_postops(_clone_names(url), source) else None
            if repo_line and url.removesuffix(".git") != source.url.removesuffix(".git"):
                message = f"the hook repository is {url}, but postops.yaml's source is {source.url}"
                problems.append((PRE_COMMIT_CONFIG, number, match.start(1) + 1, message))
        elif repo_line and (match := _PRE_COMMIT_REV.match(line)) is not None and match.group(1) != want:
            message = (f"rev: {match.group(1)} (hooks from {repo_line[1]}), but postops.yaml's source is at "
                       f"{want}; set `rev: {want}`")
            problems.append((PRE_COMMIT_CONFIG, number, match.start(1) + 1, message))
    expected = {"POSTOPS_SOURCE": source.url, "POSTOPS_COMMIT": want}
    for number, line in enumerate(_lines(root / GITLAB_CI), start=1):
        if (match := _GITLAB_VAR.match(line)) is not None and match.group(2) != expected[match.group(1)]:
            message = (f"{match.group(1)} is {match.group(2)}, but postops.yaml's source says "
                       f"{expected[match.group(1)]}; {fix}")
            problems.append((GITLAB_CI, number, match.start(2) + 1, message))
        elif not line.lstrip().startswith("#") and (match := _INDEX_INSTALL.search(line)) is not None:
            message = (f"installs postops from the package index, unpinned by hash, not the source in "
                       f"postops.yaml ({source.repo}@{want}); {fix}")
            problems.append((GITLAB_CI, number, match.start() + 1, message))
    return problems


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
