"""`postops log` on a large history: 10,000 commits touching 2,000 post files (pull requests merged with
merge commits, squash merges, pushes straight to main, moves and deletions), and a ledger recording the
publication of most posts. Prints the wall time of `postops log` for all posts and for one post.

    python benchmarks/log.py [--commits 10000] [--posts 2000]

The repository is written with one `git fast-import` stream, so building it takes seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postops.repo import git

CONFIG = """\
version: 1
timezone: UTC
accounts:
  official: {platform: outbox, path: .postops/outbox}
  drill: {platform: outbox, path: .postops/outbox}
"""
START = 1_735_689_600            # 2025-01-01T00:00:00Z
STEP = 600                       # a commit every ten minutes
PEOPLE = [(f"Writer {i}", f"writer{i}@example.org") for i in range(20)]
MERGER = ("Merger", "merger@example.org")
WEB_FLOW = ("GitHub", "noreply@github.com")


class Stream:
    """A fast-import stream under construction."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.mark = 0
        self.clock = START

    def data(self, text: str) -> None:
        raw = text.encode()
        self.chunks.append(b"data %d\n%s\n" % (len(raw), raw))

    def commit(self, ref: str, message: str, author: tuple[str, str], files: dict[str, str | None], *,
               parent: int | None = None, merge: int | None = None, committer: tuple[str, str] | None = None) -> int:
        self.mark += 1
        self.clock += STEP
        committer = committer or author
        head = [f"commit {ref}", f"mark :{self.mark}", f"author {author[0]} <{author[1]}> {self.clock} +0000",
                f"committer {committer[0]} <{committer[1]}> {self.clock} +0000"]
        self.chunks.append(("\n".join(head) + "\n").encode())
        self.data(message)
        if parent is not None:
            self.chunks.append(f"from :{parent}\n".encode())
        if merge is not None:
            self.chunks.append(f"merge :{merge}\n".encode())
        for path, content in files.items():
            if content is None:
                self.chunks.append(f"D {path}\n".encode())
            else:
                self.chunks.append(f"M 100644 inline {path}\n".encode())
                self.data(content)
        self.chunks.append(b"\n")
        return self.mark


def post(account: str, number: int, version: int) -> str:
    return (f"account: {account}\npublish_at: 2026-03-01T09:{number % 60:02d}:00Z\n"
            f"text: \"Post {number}, version {version}: read the report https://example.org/r/{number}\"\n")


def history(commits: int, posts: int) -> tuple[bytes, list[str]]:
    """The stream for main (and its pull request branches), and the post files on main at the end."""
    stream = Stream()
    tip = stream.commit("refs/heads/main", "Start the content repository", MERGER,
                        {"postops.yaml": CONFIG, ".gitignore": ".postops/\n"})
    paths: dict[int, str] = {}
    versions: dict[int, int] = {}
    pull = 0
    change = 0
    while stream.mark < commits:
        number = change % posts
        change += 1
        account = "official" if number % 3 else "drill"
        versions[number] = versions.get(number, 0) + 1
        files: dict[str, str | None] = {}
        old = paths.get(number)
        verb = "Add" if old is None else "Edit"
        if old is None:
            paths[number] = f"posts/{account}/post-{number:05d}.yaml"
        elif versions[number] % 7 == 0:         # now and then a post moves to a year folder, keeping its id
            files[old] = None
            paths[number] = f"posts/{account}/2026/post-{number:05d}.yaml" if "/2026/" not in old \
                else f"posts/{account}/post-{number:05d}.yaml"
            verb = "Move"
        files[paths[number]] = post(account, number, versions[number])
        if number % 97 == 0 and old is not None and stream.mark > commits * 0.9:
            files = {paths.pop(number): None}   # late in history, some posts are taken down
            verb = "Retract"
        writer = PEOPLE[change % len(PEOPLE)]
        message = f"{verb} post {number}"
        kind = change % 10
        left = commits - stream.mark
        if kind < 6 and left >= 2:               # a pull request merged with a merge commit
            pull += 1
            branch = stream.commit("refs/heads/pr", message, writer, files, parent=tip)
            tip = stream.commit("refs/heads/main", f"Merge pull request #{pull} from acme/pr-{pull}\n\n{message}",
                                MERGER, files, parent=tip, merge=branch)
        elif kind < 9:                           # a squash merge through GitHub's web page
            pull += 1
            tip = stream.commit("refs/heads/main", f"{message} (#{pull})", writer, files, parent=tip,
                                committer=WEB_FLOW)
        else:                                    # pushed straight to main
            tip = stream.commit("refs/heads/main", message, writer, files, parent=tip)
    return b"".join(stream.chunks) + b"done\n", sorted(paths.values())


def build(base: Path, commits: int, posts: int) -> tuple[Path, int]:
    work = base / "work"
    work.mkdir()
    subprocess.run(["git", "init", "--quiet", "-b", "main"], cwd=work, check=True)
    stream, live = history(commits, posts)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=work, input=stream, check=True)
    subprocess.run(["git", "reset", "--quiet", "--hard", "main"], cwd=work, check=True)
    subprocess.run(["git", "update-ref", "-d", "refs/heads/pr"], cwd=work, check=True)   # merged branches are deleted
    tip = git.out(work, "rev-parse", "main")
    events = []
    for i, path in enumerate(live[: len(live) * 3 // 4]):
        post_id = path.rsplit("/", 1)[-1][:-5]
        account = path.split("/")[1]
        at = f"2026-03-01T10:{i % 60:02d}:00+00:00"
        common = {"post": post_id, "account": account, "part": 0, "commit": tip, "run": "20260301T100000-bench",
                  "by": "bench:1", "at": at, "path": path}
        events.append({"event": "claimed", **common, "lease_until": "2026-03-01T11:00:00+00:00"})
        events.append({"event": "published", **common, "platform_id": f"{post_id}.0",
                       "url": f"https://social.example/{account}/{post_id}"})
    raw = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()
    ledger = git.commit_file(work, "ledger.jsonl", raw, None, "ledger")
    subprocess.run(["git", "update-ref", "refs/heads/postops/state", ledger], cwd=work, check=True)
    return work, len(events)


def timed(work: Path, *args: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "postops", "log", "-C", str(work), *args], capture_output=True,
                            env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stderr.decode())
    return elapsed, result.stdout.count(b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        work, ledger_events = build(Path(tmp), args.commits, args.posts)
        count = git.out(work, "rev-list", "--count", "main")
        files = len(git.out(work, "ls-files", "posts").splitlines())
        print(f"built {count} commits ({files} post files on main, {ledger_events} ledger events) "
              f"in {time.perf_counter() - start:.1f}s")
        for label, extra in (("all posts, text", ()), ("all posts, json", ("--format", "json")),
                             ("all posts, csv", ("--format", "csv")), ("one post, text", ("post-00097",))):
            elapsed, lines = timed(work, *extra)
            print(f"postops log ({label}): {elapsed:.2f}s wall, {lines} lines")


if __name__ == "__main__":
    main()
