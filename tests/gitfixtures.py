"""Real temporary git repositories for tests: a bare remote, clones with a fixed identity, a content
repository with postops.yaml and posts, commits at chosen dates."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.org",
}

CONFIG = """\
version: 1
timezone: UTC
accounts:
  drill:
    platform: outbox
    path: .postops/outbox
  drill2:
    platform: outbox
    path: .postops/outbox
publish:
  min_lead: 10m
  max_delay: 6h
  max_retractions: {max_retractions}
  claim_lease: 10m
paused: null           # or {{reason: ...}}: the kill switch
"""


def git(cwd: Path, *args: str, check: bool = True) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}
    result = subprocess.run(["git", *args], check=False, cwd=cwd, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


class Repo:
    """A working repository (a clone of `remote`, or alone)."""

    def __init__(self, root: Path, *, watched: bool = False) -> None:
        self.root = root
        # A publisher runs on every push to main (the publish workflow's push trigger) and records what it
        # saw then: min_lead counts from that, never from a commit's date. False: no publisher watches.
        self.watched = watched

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.root, *args, check=check)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def remove(self, rel: str) -> None:
        self.git("rm", "--quiet", rel)

    def commit(self, message: str, when: datetime, *, push: bool = True) -> str:
        """Commit everything, dated `when` (author and committer), and push when there is a remote."""
        stamp = when.isoformat()
        self.git("add", "--all")
        subprocess.run(["git", "commit", "--quiet", "-m", message], cwd=self.root, check=True,
                       env={**os.environ, **IDENTITY, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        if push and self.git("remote"):
            self.git("push", "--quiet", "origin", "HEAD:main")
        self.seen_by_publisher(when, pushed=push)
        return self.git("rev-parse", "HEAD")

    def seen_by_publisher(self, when: datetime, *, pushed: bool = True) -> None:
        """The publisher that runs on each push to main sees it at `when` (see publishfixtures.see_main)."""
        if self.watched and (pushed or not self.git("remote")):
            from publishfixtures import see_main

            see_main(self.root, when)

    def revert(self, commit: str, when: datetime, *, push: bool = True) -> str:
        stamp = when.isoformat()
        subprocess.run(["git", "revert", "--no-edit", commit], cwd=self.root, check=True, capture_output=True,
                       env={**os.environ, **IDENTITY, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        if push and self.git("remote"):
            self.git("push", "--quiet", "origin", "HEAD:main")
        self.seen_by_publisher(when, pushed=push)
        return self.git("rev-parse", "HEAD")

    def ledger_events(self, branch: str = "postops/state", *, seen: bool = False) -> list[dict]:
        """The ledger's events as the remote (or, alone, this repository) has them; without `seen`, not the
        sightings a watching publisher records on every push (tests of them ask for them)."""
        ref = f"refs/heads/{branch}"
        if self.git("remote"):
            self.git("fetch", "--quiet", "origin", f"+{ref}:refs/remotes/origin/{branch}", check=False)
            ref = f"refs/remotes/origin/{branch}"
        text = self.git("show", f"{ref}:ledger.jsonl", check=False)
        events = [json.loads(line) for line in text.splitlines() if line]
        return events if seen else [e for e in events if e.get("event") != "seen"]


def post_yaml(account: str | list[str], text: str, publish_at: str | None = None,
              thread: list[str] | None = None, reply_to: str | None = None) -> str:
    lines = [f"account: {account if isinstance(account, str) else '[' + ', '.join(account) + ']'}"]
    if publish_at:
        lines.append(f"publish_at: {publish_at}")
    lines.append(f"text: {json.dumps(text)}")
    if thread:
        lines.append("thread:")
        lines.extend(f"  - text: {json.dumps(part)}" for part in thread)
    if reply_to:
        lines.append(f"reply_to: {reply_to}")
    return "\n".join(lines) + "\n"


def content_repo(base: Path, *, remote: bool = True, max_retractions: int = 5,
                 when: datetime | None = None, watched: bool = True) -> Repo:
    """A content repository with postops.yaml committed on main; a clone of a bare remote unless
    `remote` is False. `watched`: a publisher runs on every push to main, from the first (Repo.watched)."""
    when = when or datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    if remote:
        bare = base / "remote.git"
        git(base, "init", "--quiet", "--bare", "-b", "main", str(bare))
        git(base, "clone", "--quiet", str(bare), "work")
        repo = Repo(base / "work", watched=watched)
    else:
        (base / "work").mkdir()
        git(base / "work", "init", "--quiet", "-b", "main")
        repo = Repo(base / "work", watched=watched)
    repo.git("config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    repo.git("config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    repo.write("postops.yaml", CONFIG.format(max_retractions=max_retractions))
    repo.write(".gitignore", ".postops/\n")
    if remote:
        repo.commit("Start the content repository", when, push=False)
        repo.git("push", "--quiet", "origin", "HEAD:main")
        repo.git("remote", "set-head", "origin", "main")
        repo.seen_by_publisher(when)
    else:
        repo.commit("Start the content repository", when)
    return repo


def clone(remote_dir: Path, dest: Path) -> Repo:
    git(remote_dir.parent, "clone", "--quiet", str(remote_dir), str(dest))
    repo = Repo(dest)
    repo.git("config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    repo.git("config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    return repo
