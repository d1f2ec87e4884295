"""The only place that talks to git, through the git command line.

Everything here is a subprocess call to `git`: it is fast to start (lint reads the ledger through it and
must not pay gitpython's import time), and plumbing commands give the compare-and-swap the ledger needs.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from postops.errors import PostopsError

REMOTE = "origin"
NO_COMMIT = "0" * 40
# Ledger commits need an author; a CI runner often has none configured.
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "postops", "GIT_AUTHOR_EMAIL": "postops@localhost",
    "GIT_COMMITTER_NAME": "postops", "GIT_COMMITTER_EMAIL": "postops@localhost",
}


class GitError(PostopsError):
    """git failed or the folder is not a usable repository."""


class RefusedError(PostopsError):
    """The checkout is not one postops may publish from."""

    exit_code = 2
    kind = "refused"


def run(root: Path, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[bytes]:
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        result = subprocess.run(["git", "-c", "core.quotepath=off", *args], check=False, cwd=root, input=input,
                                capture_output=True, env=full_env)
    except FileNotFoundError:
        raise GitError("git is not installed (postops needs the git command line)") from None
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        raise GitError(f"git {args[0]} failed: {message}")
    return result


def out(root: Path, *args: str, **kwargs: object) -> str:
    return run(root, *args, **kwargs).stdout.decode("utf-8", "replace").strip()  # type: ignore[arg-type]


def is_repository(root: Path) -> bool:
    return run(root, "rev-parse", "--git-dir", check=False).returncode == 0


def resolve(root: Path, ref: str) -> str | None:
    """The commit `ref` points at, or None when it does not exist."""
    result = run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def head(root: Path) -> str | None:
    return resolve(root, "HEAD")


def current_branch(root: Path) -> str | None:
    result = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def remote(root: Path) -> str | None:
    """The remote publishers share the ledger through, or None for a repository on its own."""
    names = out(root, "remote").split()
    return REMOTE if REMOTE in names else None


def default_branch(root: Path, remote_name: str | None) -> str:
    if remote_name:
        result = run(root, "symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote_name}/HEAD", check=False)
        if result.returncode == 0:
            return result.stdout.decode().strip().split("/", 1)[1]
        for name in ("main", "master"):
            if resolve(root, f"refs/remotes/{remote_name}/{name}"):
                return name
    for name in ("main", "master"):
        if resolve(root, f"refs/heads/{name}"):
            return name
    return "main"


def dirty_paths(root: Path) -> list[str]:
    """Modified, staged or untracked (not ignored) paths."""
    lines = out(root, "status", "--porcelain", "--untracked-files=normal").splitlines()
    return [line[3:] for line in lines if line.strip()]


def fetch(root: Path, remote_name: str, *refspecs: str) -> None:
    run(root, "fetch", "--quiet", "--no-tags", remote_name, *refspecs)


def ahead_behind(root: Path, head: str, tip: str) -> tuple[int, int]:
    """How many commits `head` has that `tip` has not, and how many `tip` has that `head` has not."""
    ahead, behind = out(root, "rev-list", "--left-right", "--count", f"{head}...{tip}").split()
    return int(ahead), int(behind)


def read_file(root: Path, commit: str, path: str) -> bytes | None:
    result = run(root, "cat-file", "blob", f"{commit}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None


def list_files(root: Path, commit: str, folder: str) -> list[str]:
    """Every file under `folder` at `commit` (paths relative to the repository root)."""
    result = run(root, "-c", "core.quotepath=off", "ls-tree", "-r", "--name-only", commit, "--", folder,
                 check=False)
    return result.stdout.decode("utf-8", "replace").splitlines() if result.returncode == 0 else []


def root_commit(root: Path, rev: str = "HEAD") -> str | None:
    """The first commit of `rev`'s history: the same in every clone, so it names the repository."""
    result = run(root, "rev-list", "--max-parents=0", "--first-parent", rev, check=False)
    lines = result.stdout.decode().split() if result.returncode == 0 else []
    return lines[-1] if lines else None


def ref_lock(root: Path, ref: str) -> Path:
    """The lock file git holds while it updates `ref` (left behind when that git process is killed)."""
    return root / out(root, "rev-parse", "--git-path", f"{ref}.lock")


def history(root: Path, rev: str) -> frozenset[str]:
    """Every commit reachable from `rev` (none when it does not exist)."""
    result = run(root, "rev-list", rev, "--", check=False)
    return frozenset(result.stdout.decode().split()) if result.returncode == 0 else frozenset()


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    return run(root, "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def _identity(root: Path) -> dict[str, str]:
    if run(root, "config", "--get", "user.email", check=False).returncode == 0:
        return {}
    return {k: v for k, v in _FALLBACK_IDENTITY.items() if k not in os.environ}


def commit_file(root: Path, path: str, content: bytes, parent: str | None, message: str) -> str:
    """A commit holding exactly one file, on top of `parent`, made without touching the working tree,
    the index or any ref. Returns the new commit's id."""
    blob = out(root, "-c", "core.looseCompression=1", "hash-object", "-w", "--stdin", input=content)
    tree = out(root, "mktree", input=f"100644 blob {blob}\t{path}\n".encode())
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    return out(root, *args, env=_identity(root))


def compare_and_swap(root: Path, ref: str, new: str, old: str | None) -> bool:
    """Move `ref` from `old` (None: must not exist) to `new`; False when someone else moved it first."""
    return run(root, "update-ref", ref, new, old or NO_COMMIT, check=False).returncode == 0


def push(root: Path, remote_name: str, commit: str, branch: str) -> bool:
    """Push `commit` as `branch`, fast-forward only. False when the remote refused because it moved first;
    GitError for any other refusal (protected branch, credentials, network), which retrying cannot mend."""
    result = run(root, "push", "--quiet", "--porcelain", remote_name, f"{commit}:refs/heads/{branch}",
                 check=False)
    if result.returncode == 0:
        return True
    status = [line for line in result.stdout.decode(errors="replace").splitlines() if line.startswith("!")]
    if status and all(any(race in line for race in _RACES) for line in status):
        return False
    said = status or result.stderr.decode(errors="replace").strip().splitlines()[-1:]
    raise GitError(f"cannot push the ledger to {remote_name}/{branch}: {_redact(' '.join(said)) or 'git push failed'}")


# How a remote says another push got there first: not fast-forward any more, or the ref was locked or
# moved by a concurrent push while this one was being received.
_RACES = ("[rejected]", "failed to update ref", "cannot lock ref", "incorrect old value")


def _redact(text: str) -> str:
    """Credentials in a remote's URL (https://user:token@host) never reach a message."""
    return re.sub(r"://[^/@\s]+@", "://***@", text)


def content_times(root: Path, paths: Iterable[str], commit: str = "HEAD") -> dict[str, tuple[datetime, str]]:
    """For each of `paths`: when the commit that last changed it landed on the branch, and that commit.

    Walks history once, following first parents, so a merged pull request counts from its merge (the
    commit that brought the content to main), not from when its author wrote it.
    """
    wanted = set(paths)
    found: dict[str, tuple[datetime, str]] = {}
    if not wanted or not resolve(root, commit):
        return found
    proc = subprocess.Popen(
        ["git", "-c", "core.quotepath=off", "log", "--first-parent", "--diff-merges=first-parent",
         "--no-renames", "--format=%x01%ct %H", "--name-only", commit],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    when: tuple[datetime, str] | None = None
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("\x01"):
                seconds, sha = line[1:].split(" ", 1)
                when = (datetime.fromtimestamp(int(seconds), UTC), sha)
            elif line and when is not None and line in wanted and line not in found:
                found[line] = when
                if len(found) == len(wanted):
                    break
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()
    return found


def commit_paths(root: Path, paths: list[str], message: str) -> None:
    run(root, "commit", "--quiet", "-m", message, "--", *paths)


def changed_paths(root: Path, base: str) -> set[str]:
    """Paths that differ between `base` and HEAD since they diverged (`base...HEAD`): what a pull request changes."""
    result = run(root, "-c", "core.quotepath=off", "diff", "--name-only", "--no-renames", f"{base}...HEAD",
                 check=False)
    if result.returncode != 0:
        raise GitError(f"cannot compare with {base!r}: {result.stderr.decode(errors='replace').strip()}")
    return set(result.stdout.decode("utf-8", "replace").splitlines())


@dataclass(frozen=True)
class LoggedCommit:
    """One commit as `git log` printed it, with the files it changed (status letter, path)."""

    sha: str
    parents: tuple[str, ...]
    author: str                 # "Name <email>"
    authored: datetime
    committer: str
    committed: datetime
    subject: str
    body: str
    changes: tuple[tuple[str, str], ...]


_LOG_FORMAT = "%x1e%H%x1f%P%x1f%an <%ae>%x1f%aI%x1f%cn <%ce>%x1f%cI%x1f%s%x1f%b%x1d"


def log(root: Path, rev: str, *options: str) -> list[LoggedCommit]:
    """`git log <options> <rev>` in one process, each commit with the files it changed (a rename is reported
    as a deletion and an addition)."""
    raw = run(root, "log", "-z", "--no-renames", "--name-status", f"--format={_LOG_FORMAT}", *options, rev,
              "--").stdout.decode("utf-8", "replace")
    commits = []
    for record in raw.split("\x1e")[1:]:
        header, _, files = record.partition("\x1d")
        sha, parents, author, authored, committer, committed, subject, body = header.split("\x1f", 7)
        fields = files.lstrip("\0\n").split("\0")
        changes = tuple((fields[i][:1], fields[i + 1]) for i in range(0, len(fields) - 1, 2) if fields[i])
        commits.append(LoggedCommit(sha, tuple(parents.split()), author, datetime.fromisoformat(authored),
                                    committer, datetime.fromisoformat(committed), subject, body.strip(), changes))
    return commits


def toplevel(folder: Path) -> Path | None:
    """The root of the git work tree holding `folder`, or None when it is in none."""
    result = run(folder, "rev-parse", "--show-toplevel", check=False)
    return Path(result.stdout.decode("utf-8", "replace").strip()) if result.returncode == 0 else None


def first_added(root: Path, rel: str) -> datetime | None:
    """When the file `rel` (relative to `root`) was first committed, following renames: its author date,
    with the author's offset. None for a file git does not know."""
    result = run(root, "log", "--follow", "--diff-filter=A", "--format=%aI", "--", rel, check=False)
    dates = result.stdout.decode("utf-8", "replace").split()
    return datetime.fromisoformat(dates[-1]) if result.returncode == 0 and dates else None


def remote_commit(url: str, ref: str) -> str | None:
    """The commit that tag or branch `ref` names in the repository at `url` (asked over the network), or
    None when it has no such ref. An annotated tag names its tag object: the commit is what it peels to."""
    # a pattern matches the end of a ref's name, and a tag's peeled line is named `<tag>^{}`
    result = run(Path.cwd(), "ls-remote", "--tags", "--heads", "--", url, ref, f"{ref}^{{}}",
                 env={"GIT_TERMINAL_PROMPT": "0"}, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        raise GitError(f"cannot read the refs of {url}: {message}")
    refs = {name: sha for sha, _, name in (line.partition("\t") for line in result.stdout.decode().splitlines())}
    for name in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}"):
        if name in refs:
            return refs[name]
    return None


# -- scratch repositories (postops drill) -------------------------------------------------------------


def scratch_copy(source: Path, folder: Path) -> Path:
    """A bare copy of `source`'s committed history in `folder`/remote.git and a clone of it in `folder`/work,
    for rehearsals that must never touch the real repository or its remote."""
    bare, work = folder / "remote.git", folder / "work"
    run(folder, "clone", "--quiet", "--bare", "--no-local", str(source), str(bare))
    run(folder, "clone", "--quiet", str(bare), str(work))
    run(work, "remote", "set-head", "origin", "--auto")
    return work


def commit_all_at(root: Path, message: str, when: datetime, *, push: bool = True) -> str:
    """Commit everything in the work tree, dated `when`, and push it to the default branch."""
    stamp = when.isoformat()
    env = {**_identity(root), "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    run(root, "add", "--all")
    run(root, "commit", "--quiet", "--allow-empty", "-m", message, env=env)
    if push:
        run(root, "push", "--quiet", "origin", "HEAD")
    return out(root, "rev-parse", "HEAD")


def revert_at(root: Path, commit: str, when: datetime, *, push: bool = True) -> str:
    """`git revert` of `commit`, dated `when`, pushed."""
    stamp = when.isoformat()
    run(root, "revert", "--no-edit", commit,
        env={**_identity(root), "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    if push:
        run(root, "push", "--quiet", "origin", "HEAD")
    return out(root, "rev-parse", "HEAD")
