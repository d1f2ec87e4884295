"""Publishing at scale: 1,000 posts due at once through the outbox with a local bare remote, `plan`
over 10,000 posts, and reading the ledger of 10,000 published posts.

    python benchmarks/publish.py [--posts 1000] [--plan-posts 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postops.repo.config import load_config
from postops.publish.ledger import Store, read_ledger
from postops.publish.commands import plan_command, publish_command

NOW = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
CONFIG = """\
version: 1
timezone: UTC
accounts:
  drill: {platform: outbox, path: .postops/outbox}
"""
IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


def git(cwd: Path, *args: str, date: datetime | None = None) -> None:
    env = {**os.environ, **IDENTITY}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date.isoformat()
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def content_repo(base: Path, posts: int) -> Path:
    git(base, "init", "--quiet", "--bare", "-b", "main", "remote.git")
    git(base, "clone", "--quiet", "remote.git", "work")
    work = base / "work"
    (work / "postops.yaml").write_text(CONFIG)
    (work / ".gitignore").write_text(".postops/\n")
    folder = work / "posts" / "drill"
    folder.mkdir(parents=True)
    for i in range(posts):
        (folder / f"post-{i:05d}.yaml").write_text(
            f"account: drill\npublish_at: 2026-03-01T09:{i % 60:02d}:00Z\n"
            f"text: \"Post number {i}: read the report https://example.org/r/{i}\"\n")
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", "posts", date=NOW - timedelta(hours=2))
    git(work, "push", "--quiet", "origin", "main")
    git(work, "remote", "set-head", "origin", "main")
    return work


def no_lint(root: Path, config: object) -> dict:
    return {}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--plan-posts", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "publish"
        base.mkdir()
        work = content_repo(base, args.posts)
        lines: list[str] = []
        start = time.perf_counter()
        code = publish_command(work, now=NOW, dry_run=False, allow_mass_retract=False, echo=lines.append,
                               env={}, lint=no_lint)
        elapsed = time.perf_counter() - start
        published = len(list((work / ".postops" / "outbox" / "drill").glob("*.json")))
        print(f"publish: {published} posts through the outbox with a bare remote in {elapsed:.2f}s "
              f"(exit {code})")
        start = time.perf_counter()
        code = publish_command(work, now=NOW, dry_run=False, allow_mass_retract=False, echo=lines.append,
                               env={}, lint=no_lint)
        print(f"publish again (nothing to do): {time.perf_counter() - start:.2f}s (exit {code})")

        base = Path(tmp) / "plan"
        base.mkdir()
        work = content_repo(base, args.plan_posts)
        out: list[str] = []
        start = time.perf_counter()
        plan_command(work, now=NOW, until=None, fmt="json", echo=out.append, lint=no_lint)
        print(f"plan: {args.plan_posts} posts in {time.perf_counter() - start:.2f}s")

        store = Store(work, "postops/state", None)
        events = []
        for i in range(args.plan_posts):
            common = {"post": f"post-{i:05d}", "account": "drill", "part": 0, "hash": "f" * 64, "commit": "c" * 40,
                      "run": "r" * 12, "by": "runner:1234", "at": NOW.isoformat()}
            events += [{"event": "claimed", **common, "lease_until": (NOW + timedelta(minutes=10)).isoformat()},
                       {"event": "published", **common, "platform_id": str(i), "url": f"https://x.com/a/status/{i}"}]
        store.append(store.read(), events, "many")
        config = load_config(work)
        start = time.perf_counter()
        published = len(read_ledger(work, config).published_hashes())
        print(f"read the ledger of {published} published posts: {time.perf_counter() - start:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
