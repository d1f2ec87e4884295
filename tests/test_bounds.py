"""Hard bounds on every input, checked before a library that could crash or stall sees it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from gitfixtures import content_repo

from postops.links import bound_problems
from postops.lint.facts import MAX_DOTTED_LABELS, measure
from postops.repo.yamlfile import MAX_DEPTH, YamlProblem, parse

SRC = str(Path(__file__).resolve().parent.parent / "src")
NOW = "2026-03-01T12:00:00+00:00"


def test_deep_nesting_is_refused_before_the_c_parser_sees_it():
    # 30,000 nested brackets in 60 KB: the C composer recursed once per level and crashed the process
    raw = b"account: csis\ntext: hi\nextra: " + b"[" * 30_000 + b"]" * 30_000 + b"\n"
    with pytest.raises(YamlProblem) as err:
        parse(raw, "posts/csis/deep.yaml")
    assert f"nested more than {MAX_DEPTH} deep" in str(err.value)
    assert (err.value.line, err.value.column) == (3, 8 + MAX_DEPTH)


def test_deep_block_nesting_is_refused_too():
    raw = b"account: csis\ntext: hi\nextra:\n  " + b"- " * 30_000 + b"x\n"
    with pytest.raises(YamlProblem, match="nested more than"):
        parse(raw, "posts/csis/deep.yaml")


@pytest.mark.parametrize("command", [["lint"], ["plan", "--now", NOW], ["status", "--now", NOW],
                                     ["publish", "--now", NOW]])
def test_every_command_reports_deep_nesting_instead_of_crashing(tmp_path, command):
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/deep.yaml", "account: drill\ntext: hi\nextra: " + "[" * 30_000 + "]" * 30_000 + "\n")
    repo.commit("a hostile post", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    result = subprocess.run([sys.executable, "-m", "postops", *command], cwd=repo.root, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=300, check=False)
    assert result.returncode >= 0, f"crashed with signal {-result.returncode}"
    assert "Traceback" not in result.stderr
    if command == ["lint"]:  # the others set the unreadable post aside, as for any file that does not parse
        assert "posts/drill/deep.yaml:3" in result.stdout
        assert "nested more than" in result.stdout


def test_url_extraction_stays_fast_on_dotted_runs():
    # `a.a.a.` repeated made twitter-text's URL pattern take seconds per thousand characters
    text = "see " + "a." * 3000 + " and example.com"
    started = time.perf_counter()
    measures = measure(text)
    assert time.perf_counter() - started < 2
    assert [url for url, _, _ in measures.urls] == ["example.com"]
    assert measures.urls[0][1] == text.index("example.com")


def test_a_long_run_without_dots_is_bounded_quickly_too():
    # the bound's own pattern read the rest of a run of letters from every position of it: a Facebook post at
    # its limit of 63,206 characters, one word long, took a minute to lint
    text = "e" * 63_190 + " example.com"
    started = time.perf_counter()
    assert bound_problems(text) == []
    assert [url for url, _, _ in measure(text).urls] == ["example.com"]
    assert time.perf_counter() - started < 2


def test_a_dotted_run_over_the_bound_is_a_located_finding(repo):
    repo.write("posts/csis/dots.yaml", "account: csis\ntext: |\n  hello\n  look " + "a." * 200 + "\n")
    findings = [f for f in repo.lint().findings if f.rule == "text-bounds"]
    assert len(findings) == 1
    assert f"more than {MAX_DOTTED_LABELS}" in findings[0].message
    assert (findings[0].line, findings[0].column) == (4, 8)


def test_real_domains_are_within_the_bound(repo):
    repo.write("posts/csis/ok.yaml", "account: csis\ntext: see https://a.b.c.d.example.co.uk/x.y.z?v=1.2.3\n")
    assert not [f for f in repo.lint().findings if f.rule == "text-bounds"]


# -- what lies in the work tree: named pipes, folders named like files, gigabytes --------------------------------


def run_postops(root: Path, *command: str, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    """postops in its own process, stopped after 60 s (a read waiting on a named pipe never ends), with its
    address space capped at `memory` bytes when given."""
    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "postops", *command], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}, timeout=60, check=False,
                          preexec_fn=cap if memory else None)


def work_tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A content repository with its CODEOWNERS written: lint has nothing to say of it."""
    from postops.repo.codeowners import write_codeowners
    from postops.repo.config import load_config

    repo = content_repo(tmp_path, remote=False)
    write_codeowners(repo.root, load_config(repo.root))
    return repo


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_named_pipe_under_posts_is_a_finding_and_never_waited_on(tmp_path, cache):
    """`mkfifo posts/drill/x.yaml`: opening it waited for a writer for ever (lint, its cache, `postops log`)."""
    repo = work_tree(tmp_path)
    repo.write("posts/drill/a.yaml", "account: drill\ntext: hello\n")
    os.mkfifo(repo.root / "posts/drill/pipe.yaml")

    done = run_postops(repo.root, "lint", *cache)

    assert (done.returncode, done.stderr) == (1, ""), done.stderr[-2000:]
    assert done.stdout.splitlines()[0] == \
        "posts/drill/pipe.yaml:1:1: error [parse] cannot read file: not a regular file (a named pipe)"
    assert run_postops(repo.root, "log").returncode == 0


@pytest.mark.parametrize(("name", "make", "kind"), [
    ("policies/pipe.yaml", os.mkfifo, "a named pipe"),
    ("policies/folder.yaml", os.mkdir, "a folder"),     # was an IsADirectoryError: "a bug in postops"
])
def test_a_policy_that_is_not_a_file_is_a_located_error(tmp_path, name, make, kind):
    repo = work_tree(tmp_path)
    (repo.root / "policies").mkdir()
    make(repo.root / name)

    done = run_postops(repo.root, "lint")

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"postops: {name}:1:1: cannot read {name}: not a regular file ({kind})\n"


def test_a_named_pipe_as_media_is_a_finding_and_plan_does_not_wait_on_it(tmp_path):
    """The content hash covers media bytes: plan read every attached file whole, a named pipe for ever."""
    repo = work_tree(tmp_path)
    repo.write("posts/drill/a.yaml", "account: drill\npublish_at: 2026-03-02T12:00:00+00:00\ntext: hello\n"
               "media:\n  - path: media/clip.mp4\n    alt: a clip\n")
    (repo.root / "media").mkdir()
    os.mkfifo(repo.root / "media/clip.mp4")

    linted = run_postops(repo.root, "lint", "--now", NOW)
    planned = run_postops(repo.root, "plan", "--now", NOW)

    assert linted.stdout.splitlines()[0] == \
        "posts/drill/a.yaml:5:11: error [media] media 'media/clip.mp4' is not a regular file"
    assert (planned.returncode, planned.stderr) == (0, ""), planned.stderr[-2000:]


def test_a_large_video_is_hashed_in_pieces_not_read_into_memory(tmp_path):
    """X takes videos of up to 8 GiB; plan and publish hash every attached file for the post's content hash.
    A sparse file larger than the address space postops is given: it was a MemoryError."""
    repo = work_tree(tmp_path)
    repo.write("posts/drill/a.yaml", "account: drill\npublish_at: 2026-03-02T12:00:00+00:00\ntext: hello\n"
               "media:\n  - path: media/clip.mp4\n    alt: a clip\n")
    (repo.root / "media").mkdir()
    with open(repo.root / "media/clip.mp4", "wb") as handle:
        handle.truncate(640 * 1024**2)

    done = run_postops(repo.root, "plan", "--now", NOW, memory=512 * 1024**2)

    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    assert "a " in done.stdout


def test_a_large_file_beside_the_policies_is_not_read_whole_by_the_lint_cache(tmp_path):
    """The cache's context digests every file under policies/: one of gigabytes (notes, a data file) was read
    whole, a MemoryError, and a named pipe there was waited on for ever."""
    repo = work_tree(tmp_path)
    repo.write("posts/drill/a.yaml", "account: drill\ntext: hello\n")
    (repo.root / "policies/notes").mkdir(parents=True)
    with open(repo.root / "policies/notes/archive.bin", "wb") as handle:
        handle.truncate(3 * 1024**3)
    os.mkfifo(repo.root / "policies/notes/pipe")

    done = run_postops(repo.root, "lint", memory=1024**3)

    assert (done.returncode, done.stderr, done.stdout) == (0, "", "no problems in 1 file (1 post)\n")


def test_postops_log_reads_a_multi_gigabyte_post_file_no_further_than_lint(tmp_path):
    repo = work_tree(tmp_path)
    repo.write("posts/drill/a.yaml", "account: drill\ntext: hello\n")
    with open(repo.root / "posts/drill/huge.yaml", "wb") as handle:
        handle.truncate(3 * 1024**3)

    done = run_postops(repo.root, "log", memory=1024**3)

    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
