"""How fast the crisis levers work, end to end on the outbox: `postops drill` in a fresh content repository.

Prints the drill's figures (revert to deletion, unmanaged post to alert, pause to silence) for a few runs.
The publish workflow runs on every push to main, so in CI the time from a revert's merge to the post being
gone is GitHub's start-up time for the job plus `revert to deletion` here. There is no peer to measure
beside it: twitter-together and toot-together cannot take a post down at all.

    python benchmarks/drill.py [RUNS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ENV_IDENTITY = ["-c", "user.name=Bench", "-c", "user.email=bench@example.org"]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "comms"
        subprocess.run([sys.executable, "-m", "postops", "init", str(root), "--ci", "none"], check=True,
                       capture_output=True)
        subprocess.run(["git", *ENV_IDENTITY, "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", *ENV_IDENTITY, "commit", "-qm", "Set up postops"], cwd=root, check=True)
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-m", "postops", "drill", "--repo", str(root)], check=True,
                                 capture_output=True, text=True).stdout.splitlines()
            for line in out[:3]:
                name, _, value = line.partition(": ")
                figures.setdefault(name, []).append(float(value.removesuffix(" s")))
    for name, values in figures.items():
        print(f"{name}: {min(values):.1f}-{max(values):.1f} s over {runs} drills (no peer: twitter-together "
              "and toot-together cannot delete)")


if __name__ == "__main__":
    main()
