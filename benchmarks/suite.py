"""How long a new user waits for the two commands they run first: `make demo` and `make test`.

    python benchmarks/suite.py [--only demo,test] [--workers N]

Times, on the postops this file belongs to and the Python running it (which needs postops' test and tone
extras installed, as `make test` and `make demo` install them):

  demo   `bash demo/demo.sh` with this Python's bin folder first on PATH: what `make demo` runs after its
         install (goal: 30 s)
  test   `python -m pytest -q -n N --dist loadgroup` (N = the number of cores, as `make test`'s `-n auto`):
         the whole suite, every test (goal: 3 minutes of wall time on 2 cores)

Prints wall time, CPU time (user + system of the command and its children) and the load average before
and after: other jobs on the machine inflate wall time, so read the CPU time and the load beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(name: str, command: list[str], env: dict[str, str], goal: float) -> bool:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    verdict = "met" if wall <= goal else "not met"
    print(f"  {name:12} wall {wall:7.1f} s   cpu {cpu:7.1f} s   goal {goal:.0f} s wall: {verdict}   "
          f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        print(f"  {name} failed ({done.returncode}):\n{tail}", file=sys.stderr)
        return False
    last = [line for line in done.stdout.splitlines() if line.strip()][-1:]
    if last:
        print(f"  {'':12} {last[0]}")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="demo,test")
    parser.add_argument("--workers", default=str(os.cpu_count() or 1), help="pytest-xdist workers (default: cores)")
    args = parser.parse_args()
    steps = set(args.only.split(","))
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    ok = True
    if "demo" in steps:
        ok &= timed("make demo", ["bash", "demo/demo.sh"], env, goal=30)
    if "test" in steps:
        ok &= timed("make test", [sys.executable, "-m", "pytest", "-q", "-n", args.workers, "--dist", "loadgroup",
                                  "-p", "no:cacheprovider"], env, goal=180)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
