"""`make mutation`: mutation testing of the gates with mutmut, one module at a time, each against the test
files that exercise it (a bounded run), then the kill rate per module.

Each module runs in its own scratch copy of src/ and tests/ with its own [tool.mutmut] section, so that
mutmut's state of one module never mixes with another's and the working tree is left as it was.
Usage: python tools/mutation.py [--only GLOB] [--keep DIR] [MODULE ...]   (default: all of MODULES)
  --only GLOB  run only the mutants whose names match (`postops.lint.engine.x__select*`) and count only them;
               may be given more than once
  --keep DIR   prepare the copy in DIR and leave it there, for `mutmut show NAME` and `mutmut results`; run
               again with the same DIR on the same sources and tests, the run goes on from mutmut's recorded
               results: only mutants without a result are run (with --only, those it names), so a module can
               be measured in several sittings whose results add up
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> the test files that exercise it (the rest of the suite adds time, not kills)
MODULES: dict[str, list[str]] = {
    "src/postops/publish/engine.py": [
        "tests/test_publish.py", "tests/test_publish_gates.py", "tests/test_publish_lint_gate.py",
        "tests/test_publish_x.py", "tests/test_settle.py", "tests/test_publish_review.py",
        "tests/test_publish_shares.py", "tests/test_publish_approval.py", "tests/test_publish_reply.py",
        "tests/test_publish_engine.py", "tests/test_ledger_tamper.py", "tests/test_first_sight.py",
        "tests/test_due_without_publish_at.py", "tests/test_publish_accepted.py", "tests/test_publish_poll_quote.py",
        "tests/test_instance_limits.py", "tests/test_approval_bypass.py", "tests/test_publish_leftovers.py",
        "tests/test_publish_times.py", "tests/test_parse_once.py", "tests/test_crisis.py",
        "tests/test_gate_edges.py", "tests/test_ledger_fetch.py",
    ],
    "src/postops/publish/ledger.py": [
        "tests/test_ledger.py", "tests/test_ledger_fetch.py", "tests/test_ledger_tamper.py",
        # the memory between CI clones, attacks on it, and the sightings min_lead counts from
        "tests/test_ledger_memory.py", "tests/test_hostile_ledger.py", "tests/test_first_sight.py",
        # runs `postops publish` in a process of its own, where mutmut's trampolines find no configuration
        "--deselect=tests/test_hostile_ledger.py::test_a_memory_that_is_a_named_pipe_is_refused_at_once_not_waited_on",
    ],
    "src/postops/lint/engine.py": [
        "tests/test_lint.py", "tests/test_lint_engine.py", "tests/test_lint_text.py", "tests/test_lint_workers.py",
        "tests/test_gate_edges.py", "tests/test_lint_cache.py", "tests/test_lint_ledger.py",
        "tests/test_rule_examples.py", "tests/test_publish_times.py",
        # these run `postops lint` in processes of their own, which import the unmutated postops
        "--deselect=tests/test_lint_cache.py::test_parallel_processes_leave_a_whole_cache",
        "--deselect=tests/test_lint_cache.py::test_no_cache_on_the_command_line",
        "--deselect=tests/test_rule_examples.py::test_docs_rules_md_is_generated_from_the_rule_modules",   # no docs/
    ],
}

KILLED = {"killed", "timeout", "caught by type check"}

# Added to the copy's tests/conftest.py. mutmut hands a mutant's tests to pytest in no particular order and
# stops at the first failure (-x). Each test that kills a mutant is written down (its function, the test);
# later mutants run first the tests that killed most mutants of the same function, then of any function,
# then the quickest (by the stats phase's durations), so that a killed mutant costs one test, not dozens.
# Survivors still run them all.
TEST_ORDER = r"""

def _mutation_kills():  # added by tools/mutation.py
    from pathlib import Path as _Path

    return _Path(__file__).resolve().parent.parent / "mutation-kills.txt"


def pytest_collection_modifyitems(items):  # added by tools/mutation.py
    import collections as _collections
    import json as _json
    import os as _os
    from pathlib import Path as _Path

    _stats = _Path(__file__).resolve().parent.parent / "mutmut-stats.json"
    if not _stats.is_file():
        return
    _took = _json.loads(_stats.read_text()).get("duration_by_test", {})
    _function = _os.environ.get("MUTANT_UNDER_TEST", "").split("__mutmut_")[0]
    _here, _anywhere = _collections.Counter(), _collections.Counter()
    if _mutation_kills().is_file():
        for _line in _mutation_kills().read_text().splitlines():
            _killed, _, _test = _line.partition("\t")
            _anywhere[_test] += 1
            if _killed == _function:
                _here[_test] += 1
    items.sort(key=lambda item: (-_here[item.nodeid], -_anywhere[item.nodeid], _took.get(item.nodeid, float("inf"))))


def pytest_runtest_logreport(report):  # added by tools/mutation.py
    import os as _os

    _mutant = _os.environ.get("MUTANT_UNDER_TEST", "")
    if report.failed and "__mutmut_" in _mutant:
        with open(_mutation_kills(), "a") as _kills:   # one short line, appended whole
            _kills.write(_mutant.split("__mutmut_")[0] + "\t" + report.nodeid + "\n")
"""

# mutmut limits the CPU time of a mutant's test process, not the wall clock: a mutant that makes a publisher
# loop in git subprocesses (the ledger's "watched" flag dropped: a sighting appended for ever) spends its time
# in children and would run for hours. Past this many seconds a mutant gets what mutmut's own limit sends.
WALL_SECONDS = float(os.environ.get("MUTATION_WALL_SECONDS") or 600)


def fingerprint(module: str, tests: list[str]) -> str:
    """What mutmut's recorded results depend on: the module, its test selection, and every source and test
    file (mutmut itself notices a changed function, but not a changed or added test)."""
    digest = hashlib.sha256(repr((module, tests)).encode())
    for top in ("src", "tests"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path) \
                    and "node_modules" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def run_module(module: str, tests: list[str], children: int, only: list[str] | None = None,
               keep_in: Path | None = None) -> Counter[str]:
    with tempfile.TemporaryDirectory(prefix="postops-mutation-") as scratch:
        work = keep_in or Path(scratch)
        # A kept run of the same module on the same files goes on from its results; anything else starts over.
        stamp, mark = fingerprint(module, tests), work / "mutation-fingerprint"
        resume = keep_in is not None and mark.exists() and mark.read_text() == stamp
        for old in ("src", "tests") if resume else ("src", "tests", "mutants"):
            shutil.rmtree(work / old, ignore_errors=True)
        mark.write_text(stamp)
        if resume:  # a mutant whose tests were stopped by Ctrl-C (pytest's exit 2) is run again, not counted
            for meta in (work / "mutants").rglob("*.meta"):
                data = json.loads(meta.read_text())
                codes = data.get("exit_code_by_key", {})
                if 2 in codes.values():
                    data["exit_code_by_key"] = {k: None if v == 2 else v for k, v in codes.items()}
                    meta.write_text(json.dumps(data))
        shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        shutil.copytree(ROOT / "tests", work / "tests",
                        ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        with (work / "tests" / "conftest.py").open("a") as conftest:
            conftest.write(TEST_ORDER)
        pyproject = (ROOT / "pyproject.toml").read_text()
        pyproject = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", pyproject)
        selection = ", ".join(f'"{t}"' for t in tests)
        pyproject += (f'\n[tool.mutmut]\nsource_paths = ["src"]\nonly_mutate = ["{module}"]\n'
                      f'pytest_add_cli_args_test_selection = [{selection}]\npytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n')
        (work / "pyproject.toml").write_text(pyproject)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = subprocess.Popen([sys.executable, "-m", "mutmut", "run", "--max-children", str(children),
                                *(only or [])], cwd=work, env=env, stdout=subprocess.DEVNULL)
        started: dict[int, float] = {}
        while run.poll() is None:
            _stop_overlong(started, WALL_SECONDS, work)
            time.sleep(2)
        listed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work, env=env,
                                capture_output=True, text=True, check=False).stdout
        listed = "\n".join(line for line in listed.splitlines()
                           if not only or any(fnmatch(line.split(":")[0].strip(), o) for o in only))
        statuses = Counter(line.rsplit(": ", 1)[1].strip() for line in listed.splitlines() if ": " in line)
        survivors = [line.strip() for line in listed.splitlines() if line.rstrip().endswith(": survived")]
        keep = ROOT / "mutants-survived" / (Path(module).stem + ".txt")
        keep.parent.mkdir(exist_ok=True)
        keep.write_text("".join(s + "\n" for s in survivors))
        return statuses


def _stop_overlong(started: dict[int, float], limit: float, work: Path) -> None:
    """Send SIGXCPU (mutmut records it as a timeout, i.e. killed) to every mutant process of this run (mutmut
    names them `mutmut: <mutant>`; they run in `work`, never another run's) that has run for more than
    `limit` seconds. Linux only: elsewhere, nothing."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    now = time.monotonic()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes().startswith(b"mutmut: ") or \
                    not Path(os.readlink(entry / "cwd")).is_relative_to(work):
                continue
        except OSError:
            continue
        pid = int(entry.name)
        if now - started.setdefault(pid, now) > limit:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGXCPU)


def main(argv: list[str]) -> int:
    options: dict[str, list[str]] = {"--only": [], "--keep": []}
    while argv[:1] in (["--only"], ["--keep"]):
        options[argv[0]].append(argv[1])
        argv = argv[2:]
    chosen = argv or list(MODULES)
    children = int(os.environ.get("MUTATION_CHILDREN") or os.cpu_count() or 2)
    keep = Path(options["--keep"][-1]).resolve() if options["--keep"] else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    for module in chosen:
        statuses = run_module(module, MODULES[module], children, options["--only"], keep)
        total = sum(statuses.values())
        killed = sum(n for s, n in statuses.items() if s in KILLED)
        rate = f"{100 * killed / total:.1f} %" if total else "no mutants"
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
        print(f"{module}: {killed}/{total} killed ({rate}); {detail}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
