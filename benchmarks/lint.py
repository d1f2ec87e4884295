"""How long a full `postops lint` takes on a large content repository.

    python benchmarks/lint.py [N] [--tone]      (default 10,000 posts)

Generates N posts and a policy set like the one `postops init` ships into a temporary repository, then
runs `postops lint` twice as a user would (a fresh process each time) and prints the wall times. With
--tone the policies also use the tone facts `offensive` and `sentiment` (needs the tone extra), which
shows what a tone policy costs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CONFIG = """\
version: 1
timezone: America/New_York
accounts:
  official: {platform: x, handle: "@Org"}
  social: {platform: mastodon, instance: "https://mastodon.example"}
  drill: {platform: outbox}
"""

POLICIES = r"""
rules:
  - id: banned-phrases
    message: "Official accounts don't say '{match}'"
    schema: {properties: {facts: {properties: {text: {not: {pattern: "\\b(suck it|idiots?|shut up|losers?)\\b"}}}}}}
  - id: mention-allow-list
    applies_to: {accounts: [official]}
    message: "{match} is not on the allow-list"
    schema: {properties: {facts: {properties: {mentions: {items: {enum: ["@org", "@energy", "@partner"]}}}}}}
  - id: mention-deny-list
    applies_to: {accounts: [social]}
    schema: {properties: {facts: {properties: {mentions: {not: {contains: {enum: ["@rival"]}}}}}}}
  - id: two-hashtags
    severity: warning
    schema: {properties: {facts: {properties: {hashtags: {maxItems: 2}}}}}
  - id: own-domains
    schema: {properties: {facts: {properties: {domains: {items: {pattern: "(^|\\.)example\\.org$"}}}}}}
  - id: quiet-hours
    schema: {properties: {facts: {properties: {hour: {anyOf: [{type: "null"}, {minimum: 7, maximum: 21}]}}}}}
  - id: no-press-on-weekends
    applies_to: {labels: [press]}
    schema: {properties: {facts: {properties: {weekday: {not: {enum: [saturday, sunday]}}}}}}
  - id: alt-text
    schema: {properties: {facts: {properties: {media_missing_alt: {maxItems: 0}}}}}
"""


TONE_POLICIES = """
rules:
  - id: offensive-tone
    schema: {properties: {facts: {properties: {offensive: {exclusiveMaximum: 0.5}}}}}
  - id: negative-sentiment
    severity: warning
    schema: {properties: {facts: {properties: {sentiment: {minimum: -0.5}}}}}
"""


def make_repo(root: Path, count: int, tone: bool = False) -> None:
    (root / "postops.yaml").write_text(CONFIG)
    (root / "policies").mkdir()
    (root / "policies" / "org.yaml").write_text(POLICIES)
    if tone:
        (root / "policies" / "tone.yaml").write_text(TONE_POLICIES)
    for i in range(count):
        account = ("official", "social", "drill")[i % 3]
        folder = root / "posts" / account / f"{2026 + i // 5000}" / f"{i % 12 + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"post-{i:05d}.yaml").write_text(textwrap.dedent(f"""\
            # yaml-language-server: $schema=../../../../.postops-schema.json
            account: {account}
            publish_at: 2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{9 + i % 8:02d}:00:00-05:00
            text: |-
              Post number {i}: our new analysis of energy security with @energy is out today.
              Read it at https://www.example.org/analysis/{i} #energy
            labels: [research]
            """))


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tone = "--tone" in sys.argv[1:]
    count = int(args[0]) if args else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_repo(root, count, tone)
        for attempt in (1, 2):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "postops", "lint", "--format", "json", "-o",
                                   str(root / "report.json")], cwd=root, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            if done.returncode not in (0, 1):
                sys.exit(f"postops lint failed ({done.returncode}): {done.stderr}")
            print(f"postops lint, {count:,} posts{' with tone policies' if tone else ''}, run {attempt}: "
                  f"{elapsed:.2f} s")


if __name__ == "__main__":
    main()
