"""Where people wait for lint, measured against the peer tool in the same run.

    python benchmarks/lint.py [N] [--repeat R] [--only full,warm,one,tone,plan] [--tone] [--src DIR]

Makes a content repository with `postops init` (its policies, its postops.yaml) and N generated posts
(default 10,000; one in fifty breaks a policy), then runs, each R times (default 3), in fresh processes:

  full   `postops lint --no-cache` over every post, and check-jsonschema over the same files with an
         equivalent schema (policies/*.yaml rewritten over the raw post, see PEER_SCHEMA); the tone
         rules are switched "off" here, since check-jsonschema has no tone model
  warm   `postops lint` again with nothing changed (the result cache is warm)
  one    `postops lint FILE` on one just-edited post (what pre-commit runs), and yamllint on that file
  tone   the same one-file lint with init's tone rules on (offensive-tone, negative-sentiment)
  plan   `postops plan` over the N posts, committed, after a lint at the plan's --now (lint's cache warm)

Wall time is the best of R runs (with the range); CPU is user + system of the process and its children.
--tone also switches the tone rules on for `full`. The machine is shared, so read the ranges, and prefer
the CPU figures and the ratios, which both tools' runs share the noise of.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
# As an installed postops runs: pip writes every module's bytecode at install time. With
# PYTHONDONTWRITEBYTECODE set (some CI images and containers set it), each run would compile postops'
# ~100 modules from source again, about 0.1-0.2 s that no user's command pays.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
NOW = "2026-03-01T10:00:00Z"      # what plan is asked about
LINT_NOW = "2025-12-31T12:00:00Z"  # before every post's publish_at
MENTIONS = ["@exampleorg_research", "@exampleorg"]


def post_text(i: int) -> str:
    text = (f"Post number {i}: our new analysis of energy security with {MENTIONS[i // 2 % 2]} is out today.\n"
            f"Read it at https://www.example.org/analysis/{i} #energy")
    if i % 50 == 7:  # a few posts break a policy, so both tools have something to report
        text += " #a #b"
    if i % 50 == 31:
        text += " and https://elsewhere.example.net/x"
    return text


def make_repo(root: Path, count: int) -> list[str]:
    postops("init", "--ci", "none", str(root), cwd=root.parent)
    for example in (root / "posts").rglob("*.yaml"):
        example.unlink()
    files = []
    for i in range(count):
        account = ("official", "drill")[i % 2]
        rel = f"posts/{account}/2026/{i % 12 + 1:02d}/post-{i:05d}.yaml"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join("  " + line for line in post_text(i).splitlines())
        path.write_text(f"account: {account}\n"
                        f"publish_at: 2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{9 + i % 8:02d}:00:00-05:00\n"
                        f"labels: [research]\ntext: |-\n{body}\n")
        files.append(rel)
    return files


def tone_rules(root: Path, on: bool) -> None:
    """init switches the tone rules on when the tone extra is installed; `off` is what it writes without."""
    path = root / "policies" / "tone-models.yaml"
    text = path.read_text()
    if on:
        text = text.replace('id: offensive-tone\n    severity: "off"', "id: offensive-tone\n    severity: error")
        text = text.replace('id: negative-sentiment\n    severity: "off"',
                            "id: negative-sentiment\n    severity: warning")
    else:
        text = re.sub(r'(id: (?:offensive-tone|negative-sentiment)\n    severity: )\S+', r'\1"off"', text)
    path.write_text(text)


# The init policies over the raw post, as a generic validator sees it (no derived facts): the same
# patterns on the text, the allow-list as a pattern on mentions, quiet hours on publish_at's clock.
# A weekday cannot be computed by JSON Schema, so no-weekend-press has no counterpart.
def peer_schema() -> dict[str, object]:
    sys.path.insert(0, ENV["PYTHONPATH"].split(os.pathsep)[0])
    from postops.repo.schemas import POST_SCHEMA  # noqa: PLC0415 - from the postops being measured

    text = {"type": "string"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [
        {k: v for k, v in POST_SCHEMA.items() if k != "$id"},
        {"properties": {
            "text": {"allOf": [
                {"not": {"pattern": r"(?i)\b(suck it|sucks|idiots?|stupid|shut up|wtf|lol)\b"}},
                {"not": {"pattern": r"(#\w+[^#]*){3}"}},
                {"not": {"pattern": r"(?i)https?://(?!([\w-]+\.)*(example\.org|example\.com)\b)"}},
                text]},
            "publish_at": {"pattern": r"T(0[7-9]|1[0-9]|2[01]):"},
            "media": {"items": {"required": ["alt"]}}}},
        {"if": {"properties": {"account": {"const": "official"}}},
         "then": {"allOf": [{"properties": {"text": {"not": {"pattern": r"(?i)@(?!(exampleorg|exampleorg_research|examplepartner)\b)"}}}}]}},
        {"if": {"properties": {"account": {"const": "drill"}}},
         "then": {"properties": {"text": {"not": {"pattern": r"(?i)@(examplepartner|amnesty|potus)\b"}}}}},
    ]}


def postops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "postops", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, 1):
        sys.exit(f"postops {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed: pip install -e '.[bench]'")
    return found


class Timing:
    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def run(self, command: list[str], cwd: Path, before: object = None) -> subprocess.CompletedProcess[str]:
        if callable(before):
            before()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
        self.wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime)
        return done

    def __str__(self) -> str:
        def spread(values: list[float]) -> str:
            return f"{min(values):6.2f} s ({min(values):.2f}-{max(values):.2f})"
        return f"wall {spread(self.wall)}   cpu {spread(self.cpu)}"


def ratio(peer: Timing, ours: Timing) -> str:
    return (f"peer/postops: wall {min(peer.wall) / min(ours.wall):.1f}x, "
            f"cpu {min(peer.cpu) / min(ours.cpu):.1f}x")


def measure(name: str, command: list[str], cwd: Path, repeat: int, before: object = None,
            expect: tuple[int, ...] = (0, 1)) -> Timing:
    timing = Timing()
    for _ in range(repeat):
        done = timing.run(command, cwd, before)
        if done.returncode not in expect:
            sys.exit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    print(f"  {name:44} {timing}", flush=True)
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="full,warm,one,tone,plan")
    parser.add_argument("--tone", action="store_true", help="tone rules on in `full` too")
    parser.add_argument("--src", type=Path, default=SRC, help="the postops to measure (a src/ folder), to "
                        "compare two versions")
    args = parser.parse_args()
    ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.src.resolve()), os.environ.get("PYTHONPATH")]))
    steps = set(args.only.split(","))
    # so that the same script measures a postops from before the cache, or before lint took --now
    lint_help = postops("lint", "--help", cwd=args.src).stdout
    no_cache = ["--no-cache"] if "--no-cache" in lint_help else []
    # The posts are dated in 2026: judged before then, as many break a policy as make_repo meant (one in
    # fifty), not nearly every one by being in the past by the wall clock (the publish-at-past warning).
    at_now = ["--now", LINT_NOW] if "--now" in lint_help else []
    lint = [sys.executable, "-m", "postops", "lint", "--quiet", *at_now]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        files = make_repo(root, args.count)
        tone_rules(root, args.tone)
        # In a real repository the posts are older than the cache's 2 s "settled" window (see
        # postops.lint.cache); files written a moment ago are read again, by content, on every run.
        time.sleep(2.1)
        schema = Path(tmp) / "peer-schema.json"
        schema.write_text(json.dumps(peer_schema()))
        print(f"{args.count:,} posts, `postops init` policies, best of {args.repeat} (range)")
        if "full" in steps:
            ours = measure(f"postops lint --no-cache{' (tone on)' if args.tone else ''}",
                           [*lint, *no_cache], root, args.repeat)
            peer = measure("check-jsonschema", [tool("check-jsonschema"), "--regex-variant", "python",
                                                "--schemafile", str(schema), *files], root, args.repeat)
            print(f"  {'':44} {ratio(peer, ours)}")
        if "warm" in steps:
            postops("lint", *at_now, cwd=root)
            measure("postops lint, nothing changed (cache warm)", lint, root, args.repeat)
        one = files[0]
        counter = iter(range(10**6))

        def edit() -> None:  # pre-commit lints a file that just changed: never a cache hit for it
            path = root / one
            path.write_text(re.sub(r"# edit \d+\n|$", f"# edit {next(counter)}\n", path.read_text(), count=1))

        if "one" in steps:
            ours = measure("postops lint FILE (pre-commit)", [*lint, one], root, args.repeat, edit)
            peer = measure("yamllint FILE", [tool("yamllint"), one], root, args.repeat, expect=(0, 1))
            print(f"  {'':44} {ratio(peer, ours)}")
        if "tone" in steps:
            tone_rules(root, True)
            postops("lint", *at_now, one, cwd=root)  # the repository-wide part of the cache, as after any lint
            measure("postops lint FILE, tone rules on", [*lint, one], root, args.repeat, edit)
            tone_rules(root, args.tone)
        if "plan" in steps:
            git = ["git", "-C", str(root), "-c", "user.name=Bench", "-c", "user.email=bench@example.org"]
            subprocess.run([*git, "add", "--all"], check=True)
            subprocess.run([*git, "commit", "--quiet", "-m", "posts"], check=True)
            # warm at the plan's own clock: lint's cached findings depend on whether each publish_at has passed,
            # so a cache written at LINT_NOW would be cold for the two months of posts due before NOW
            postops("lint", *(["--now", NOW] if at_now else []), cwd=root)
            measure("postops plan", [sys.executable, "-m", "postops", "plan", "--now", NOW, "--format", "json"],
                    root, args.repeat)


if __name__ == "__main__":
    main()
