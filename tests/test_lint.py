from __future__ import annotations

import shutil
import sys

import pytest

import postops.lint.engine


def test_parallel_lint_finds_exactly_what_sequential_lint_finds(repo, monkeypatch):
    repo.write("policies/p.yaml", "rules:\n  - id: no-x\n    schema: {properties: {facts: {properties: "
                                  "{words: {not: {contains: {const: bad}}}}}}}\n")
    for i in range(40):
        text = "a bad word" if i % 3 == 0 else "fine words" if i % 3 == 1 else "x" * 300
        repo.write(f"posts/csis/p{i}.yaml", f"account: csis\ntext: {text}\n")
    repo.write_bytes("posts/csis/broken.yaml", b"\x00")
    sequential = repo.lint()
    shutil.rmtree(repo.root / ".postops")   # or the second run takes every file from the lint cache
    monkeypatch.setattr(postops.lint.engine, "PARALLEL_THRESHOLD", 2)
    parallel = repo.lint()
    assert parallel == sequential
    assert (parallel.files, parallel.posts) == (41, 40)
    assert {f.rule for f in parallel.findings} == {"no-x", "text-length", "parse"}


def test_lint_selected_paths_only_lints_post_files(repo):
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hi\n")
    repo.write("posts/csis/b.yaml", "account: csis\ntxt: hi\n")
    result = repo.lint([str(repo.root / "posts/csis/a.yaml"), str(repo.root / "postops.yaml")])
    assert (result.files, result.findings) == (1, ())
    result = repo.lint([str(repo.root / "posts")])
    assert result.files == 2


def test_lint_of_the_repository_folder_lints_every_post(repo):
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hi\n")
    repo.write("posts/social/b.yaml", "account: social\ntext: hi\n")
    assert repo.lint([str(repo.root)]).files == 2


def test_relative_paths_are_taken_from_the_current_folder(repo, monkeypatch):
    # pre-commit passes the changed files relative to the repository, and runs there
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hi\n")
    repo.write("posts/csis/b.yaml", "account: csis\ntxt: hi\n")
    monkeypatch.chdir(repo.root)
    assert repo.lint(["posts/csis/a.yaml"]).files == 1
    monkeypatch.chdir(repo.root / "posts")
    assert repo.lint(["csis"]).files == 2


def test_lint_of_a_missing_path_is_a_usage_error(repo, monkeypatch):
    from postops.errors import UsageError

    monkeypatch.chdir(repo.root)
    with pytest.raises(UsageError, match=r"^posts/nope\.yaml: no such file or folder$"):
        repo.lint(["posts/nope.yaml"])


def test_lint_of_a_path_outside_the_repository_is_a_usage_error(repo, tmp_path_factory):
    from postops.errors import UsageError

    elsewhere = tmp_path_factory.mktemp("elsewhere") / "a.yaml"
    elsewhere.write_text("account: csis\ntext: hi\n")
    with pytest.raises(UsageError, match=f"^{elsewhere} is outside the content repository {repo.root}$"):
        repo.lint([str(elsewhere)])


def test_lint_does_not_import_tweepy_or_gitpython(repo, tmp_path):
    import subprocess

    repo.write("posts/csis/a.yaml", "account: csis\ntext: hi https://example.org\n")
    code = ("import sys; from pathlib import Path; from postops.repo.config import load_config; "
            "from postops.lint.engine import run_lint; r = Path(sys.argv[1]); run_lint(r, load_config(r)); "
            "print(sorted(m for m in ('tweepy', 'git', 'requests') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(repo.root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
