"""How much the tone facts cost: import time of each library, first use, and time per 1,000 posts.

Run: python benchmarks/tone.py   (with postops and its tone extra installed, or PYTHONPATH=src)

Each measurement runs in a fresh interpreter so one library's import does not flatter the next.
"""

from __future__ import annotations

import json
import subprocess
import sys

POSTS = 1000

IMPORTS = {
    "profanity_check (offensive)": "from profanity_check import predict_prob",
    "vaderSentiment (sentiment)": "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer",
    "lingua (language)": "import lingua",
    "postops.lint.tone": "import postops.lint.tone",
}

# Runs in the child: times the first call (which loads the model) and then a warm batch of POSTS posts.
FACT_PROBE = """
import json, resource, sys, time
from postops.lint.tone import tone_facts
fact, n = sys.argv[1], int(sys.argv[2])
templates = [
    "Our new report on {} is out today: https://example.org/r/{}",
    "Join us tomorrow at 10:00 for a panel on {} with @guest{} #policy",
    "Nuestro nuevo informe sobre {} ya está disponible ({})",
    "Thank you to everyone who came to our {} event! Photos soon ({})",
    "We condemn the attack on {}. Our thoughts are with the victims. {}",
]
topics = ["energy security", "trade", "climate policy", "migration", "elections", "public health"]
posts = [templates[i % len(templates)].format(topics[i % len(topics)], i) for i in range(n)]
t = time.perf_counter(); tone_facts(posts[:1], {fact}); first = time.perf_counter() - t
t = time.perf_counter(); tone_facts(posts, {fact}); batch = time.perf_counter() - t
one_by_one = None
if fact == "offensive":
    t = time.perf_counter()
    for post in posts:
        tone_facts([post], {fact})
    one_by_one = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first": first, "batch": batch, "one_by_one": one_by_one, "peak_mb": peak_mb}))
"""


def run(code: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return proc.stdout.strip().splitlines()[-1]


def main() -> None:
    print("import time (fresh interpreter)")
    for name, statement in IMPORTS.items():
        seconds = float(run(f"import time; t = time.perf_counter(); {statement}; "
                            f"print(time.perf_counter() - t)"))
        print(f"  {name:32} {seconds * 1000:8.0f} ms")

    print(f"\nper fact: first call (loads the model), then {POSTS:,} posts in one batch")
    for fact in ("offensive", "sentiment", "language"):
        result = json.loads(run(FACT_PROBE, fact, str(POSTS)))
        line = (f"  {fact:10} first call {result['first'] * 1000:7.0f} ms   "
                f"{POSTS:,} posts {result['batch'] * 1000:6.0f} ms   peak memory {result['peak_mb']:5.0f} MB")
        if result["one_by_one"] is not None:
            line += f"   (one by one: {result['one_by_one'] * 1000:.0f} ms)"
        print(line)


if __name__ == "__main__":
    main()
