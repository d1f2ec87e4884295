"""The lint result cache: used when nothing changed, and every input that can change a finding re-lints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ContentRepo
from gitfixtures import post_yaml
from mediafixtures import image

import postops
from postops.lint import cache as cache_mod
from postops.lint import engine
from postops.lint.engine import PublishedState, run_lint
from postops.repo import git
from postops.repo.config import load_config

POST = """\
account: csis
publish_at: 2026-03-02T10:00:00-05:00
text: Our new report is out today.
"""
BANNED = """\
rules:
  - id: banned
    schema: {properties: {facts: {properties: {text: {not: {pattern: "sucks"}}}}}}
"""


class Counting:
    """Counts the files lint parses: a file served from the cache is never parsed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        real = engine.load_post

        def load_post(root: Path, rel: str, config: Any, *rest: Any) -> Any:
            self.parsed.append(rel)
            return real(root, rel, config, *rest)

        monkeypatch.setattr(engine, "load_post", load_post)

    def take(self) -> list[str]:
        parsed, self.parsed = sorted(self.parsed), []
        return parsed


def lint(repo: ContentRepo, paths: list[str] | None = None, state: PublishedState | None = None,
         cache: bool = True) -> list[tuple[str, str, int]]:
    result = run_lint(repo.root, load_config(repo.root), paths, state=state, cache=cache)
    return [(f.rule, f.path, f.line) for f in result.findings]


@pytest.fixture
def two(repo: ContentRepo, monkeypatch: pytest.MonkeyPatch) -> tuple[ContentRepo, Counting]:
    repo.write("policies/words.yaml", BANNED)
    repo.write("posts/csis/a.yaml", POST)
    repo.write("posts/csis/b.yaml", POST.replace("report", "report sucks"))
    counting = Counting(monkeypatch)
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]
    return repo, counting


def test_nothing_changed_nothing_parsed_same_findings(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    first = run_lint(repo.root, load_config(repo.root))
    assert counting.take() == []
    assert first.posts == 2 and first.files == 2
    again = run_lint(repo.root, load_config(repo.root))
    assert again == first
    assert counting.take() == []


def test_editing_a_post_relints_only_that_post(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    repo.write("posts/csis/a.yaml", POST.replace("report", "report sucks"))
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3), ("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml"]


def test_an_edit_that_keeps_size_and_time_is_still_seen(two: tuple[ContentRepo, Counting],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when stats are trusted at once, a rewrite changes the ctime, which the stat check includes."""
    repo, counting = two
    monkeypatch.setattr(cache_mod, "SETTLED_NS", 0)
    lint(repo)
    path = repo.root / "posts/csis/b.yaml"
    stat = path.stat()
    path.write_text(POST.replace("report", "report rocks"))          # same length as "sucks"
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    counting.take()
    assert lint(repo) == []


def test_a_trusted_stat_spares_reading_the_file(two: tuple[ContentRepo, Counting],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo, counting = two
    monkeypatch.setattr(cache_mod, "SETTLED_NS", 0)
    lint(repo)                      # records the stats, now trusted
    read: list[str] = []
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert "a.yaml" not in read and "b.yaml" not in read, (read, counting.take())


def test_changing_a_policy_relints_everything(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    repo.write("policies/words.yaml", BANNED.replace("sucks", "report"))
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3), ("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]
    repo.write("policies/other.yaml", "rules: []\n")                     # a new policy file
    lint(repo)
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]


def test_changing_postops_yaml_relints(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    config = (repo.root / "postops.yaml").read_text()
    repo.write("postops.yaml", config.replace("  csis:\n    platform: x\n", "  csis2:\n    platform: x\n"))
    assert ("unknown-account", "posts/csis/a.yaml", 1) in lint(repo)
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]


@pytest.mark.parametrize("change", ["version", "library", "source"])
def test_a_new_postops_or_library_relints(two: tuple[ContentRepo, Counting], monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path, change: str) -> None:
    repo, counting = two
    if change == "version":
        monkeypatch.setattr(postops, "__version__", postops.__version__ + ".post1")
    elif change == "library":
        real = cache_mod.metadata.version
        monkeypatch.setattr(cache_mod.metadata, "version",
                            lambda name: "99.0" if name == "jsonschema" else real(name))
    else:
        signature = cache_mod._source_signature()
        monkeypatch.setattr(cache_mod, "_source_signature", lambda: [*signature, ["lint/new.py", 1, 1]])
    lint(repo)
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]


def test_tone_model_versions_are_part_of_the_key() -> None:
    assert {"alt-profanity-check", "scikit-learn", "vaderSentiment", "lingua-language-detector"} <= set(
        cache_mod.LIBRARIES)


def test_the_image_decoders_version_is_part_of_the_key() -> None:
    # Pillow's decoders say whether an image is damaged: a new version can find what the old one did not
    assert "pillow" in cache_mod.LIBRARIES


def test_a_duplicate_id_in_another_file_relints_the_cached_post(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    repo.write("posts/drill/a.yaml", POST.replace("csis", "drill"))
    assert ("duplicate-id", "posts/csis/a.yaml", 1) in lint(repo)
    assert counting.take() == ["posts/csis/a.yaml", "posts/drill/a.yaml"]
    (repo.root / "posts/drill/a.yaml").unlink()
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml"]


def test_an_explicit_id_counts_for_duplicates(two: tuple[ContentRepo, Counting]) -> None:
    repo, _ = two
    repo.write("posts/drill/c.yaml", "id: a\n" + POST.replace("csis", "drill"))
    assert ("duplicate-id", "posts/csis/a.yaml", 1) in lint(repo)


def test_the_reply_target_appearing_relints(repo: ContentRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("posts/csis/reply.yaml", POST + "reply_to: launch\n")
    assert lint(repo) == [("reply-target", "posts/csis/reply.yaml", 4)]
    repo.write("posts/csis/launch.yaml", POST)
    assert lint(repo) == []


def test_the_repost_or_quote_target_appearing_relints(repo: ContentRepo) -> None:
    repo.write("posts/csis/share.yaml", "account: csis\nrepost: launch\n")
    repo.write("posts/csis/quoting.yaml", POST + "quote: launch\n")
    assert {(rule, path) for rule, path, _ in lint(repo)} == {("repost", "posts/csis/share.yaml"),
                                                             ("quote", "posts/csis/quoting.yaml")}
    repo.write("posts/csis/launch.yaml", POST)
    assert lint(repo) == []


def test_media_appearing_or_changing_relints(repo: ContentRepo) -> None:
    repo.write("posts/csis/a.yaml", POST + "media:\n  - {path: media/chart.png, alt: A chart}\n")
    assert lint(repo) == [("media", "posts/csis/a.yaml", 5)]
    repo.write_bytes("media/chart.png", image("PNG"))
    assert lint(repo) == []
    repo.write_bytes("media/chart.png", image("PNG", pad_to=6 * 1024 * 1024))   # over X's 5 MB
    assert lint(repo) == [("media", "posts/csis/a.yaml", 5)]


def test_the_ledger_state_of_the_post_relints(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    published = PublishedState(published={("a", "csis"): "0" * 64}, retracted=frozenset())
    assert lint(repo, state=published) == [("published-edit", "posts/csis/a.yaml", 3),
                                           ("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml"]        # b has no ledger entry: its findings hold
    retracted = PublishedState(published={}, retracted=frozenset({"b"}))
    assert lint(repo, state=retracted) == [("retracted-id", "posts/csis/b.yaml", 1), ("banned", "posts/csis/b.yaml", 3)]
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]


def test_a_file_that_does_not_parse_is_cached_and_relinted_when_fixed(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    repo.write("posts/csis/c.yaml", "account: [unclosed\n")
    assert ("parse", "posts/csis/c.yaml", 2) in lint(repo)
    counting.take()
    assert ("parse", "posts/csis/c.yaml", 2) in lint(repo)
    assert counting.take() == []
    repo.write("posts/csis/c.yaml", POST)
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]


def test_no_cache_neither_reads_nor_writes(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    cache_file = repo.root / ".postops/cache/lint.json"
    data = json.loads(cache_file.read_text())
    data["files"]["posts/csis/b.yaml"]["result"]["findings"] = []      # a stale answer
    cache_file.write_text(json.dumps(data))
    before = cache_file.read_bytes()
    assert lint(repo, cache=False) == [("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml", "posts/csis/b.yaml"]
    assert cache_file.read_bytes() == before


def test_no_cache_on_the_command_line(two: tuple[ContentRepo, Counting]) -> None:
    repo, _ = two
    (repo.root / ".postops").rename(repo.root / "old")
    done = subprocess.run([sys.executable, "-m", "postops", "lint", "--no-cache", "-q"], cwd=repo.root,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "[banned]" in done.stdout
    assert not (repo.root / ".postops").exists()
    done = subprocess.run([sys.executable, "-m", "postops", "lint", "-q"], cwd=repo.root, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 1 and "[banned]" in done.stdout
    assert (repo.root / ".postops/cache/lint.json").exists()


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"format": 1, "files": {"posts/csis/a.yaml": 3}}',
                                    (b'{"format": 1, "context": "x", "files": {"posts/csis/b.yaml": '
                                     b'{"sha": "0", "id": "b", "result": {"refs": 5}}}}')])
def test_a_damaged_cache_is_an_empty_one(two: tuple[ContentRepo, Counting], damage: bytes) -> None:
    repo, _ = two
    (repo.root / ".postops/cache/lint.json").write_bytes(damage)
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]


def test_a_damaged_entry_under_the_right_context_is_relinted(two: tuple[ContentRepo, Counting]) -> None:
    repo, counting = two
    cache_file = repo.root / ".postops/cache/lint.json"
    data = json.loads(cache_file.read_text())
    data["files"]["posts/csis/b.yaml"]["result"] = {"refs": 5, "deps": []}
    cache_file.write_text(json.dumps(data))
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/b.yaml"]


@pytest.mark.parametrize("media", [5, "posts/csis", [5], [None, "a.png"], {"a.png": 1}])
def test_a_wrong_typed_media_list_under_a_trusted_stat_is_a_damaged_entry(
        two: tuple[ContentRepo, Counting], monkeypatch: pytest.MonkeyPatch, media: object) -> None:
    """The media paths of an entry whose stat still holds are what the CODEOWNERS check reads: a number there
    stopped lint with a traceback."""
    repo, counting = two
    monkeypatch.setattr(cache_mod, "SETTLED_NS", 0)
    monkeypatch.setattr(cache_mod, "JOURNAL_LIMIT", 0)     # the whole cache is written, not its journal
    lint(repo)                      # records the stats, now trusted
    cache_file = repo.root / ".postops/cache/lint.json"
    data = json.loads(cache_file.read_text())
    data["files"]["posts/csis/a.yaml"]["media"] = media
    cache_file.write_text(json.dumps(data))
    counting.take()
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == ["posts/csis/a.yaml"]


def test_concurrent_writers_keep_each_others_entries(two: tuple[ContentRepo, Counting]) -> None:
    """Two lint runs load the cache, then save one after the other: the second merges, it does not overwrite."""
    repo, counting = two
    repo.write("posts/csis/c.yaml", POST)
    repo.write("posts/csis/d.yaml", POST)
    config = load_config(repo.root)
    first = cache_mod.LintCache.load(repo.root)
    second = cache_mod.LintCache.load(repo.root)
    every = engine.discover(repo.root)
    for store, rel in ((first, "posts/csis/c.yaml"), (second, "posts/csis/d.yaml")):
        ids = store.index(every)
        ctx = engine.Context(config=config, root=repo.root, ids=ids, measures={})
        for file_lint in engine._lint_files(ctx, engine.load_policies(repo.root, engine.default_severities()), [rel]):
            store.record(file_lint, ids, None)
    second.save(every)
    first.save(every)
    counting.take()
    lint(repo)
    assert counting.take() == []


def test_parallel_processes_leave_a_whole_cache(repo: ContentRepo) -> None:
    """pre-commit runs batches at once: however they interleave, the cache stays readable and complete."""
    repo.write("policies/words.yaml", BANNED)
    for i in range(40):
        repo.write(f"posts/csis/p{i}.yaml", POST)
    batches = [[f"posts/csis/p{i}.yaml" for i in range(k, 40, 4)] for k in range(4)]
    procs = [subprocess.Popen([sys.executable, "-m", "postops", "lint", "-q", *batch], cwd=repo.root)
             for batch in batches]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    code = cache_mod.code_key()
    entries, _, _ = cache_mod._read_entries(repo.root / ".postops/cache", code, cache_mod.context_key(repo.root, code))
    assert all("result" in entries[f"posts/csis/p{i}.yaml"] for i in range(40))
    assert not [p for p in (repo.root / ".postops/cache").iterdir() if p.suffix == ".tmp"]


def test_media_outside_media_folder_keeps_its_codeowners_finding_when_cached(repo: ContentRepo) -> None:
    """CODEOWNERS must own every folder posts attach files from; the cache knows those paths without
    reading the posts again."""
    repo.write_bytes("assets/chart.png", image("PNG"))
    repo.write("posts/csis/a.yaml", POST + "media:\n  - {path: assets/chart.png, alt: A chart}\n")
    first = [f for f in run_lint(repo.root, load_config(repo.root)).findings if f.rule == "codeowners"]
    assert first and "/assets/" in first[0].message
    assert [f for f in run_lint(repo.root, load_config(repo.root)).findings if f.rule == "codeowners"] == first
    repo.write("posts/csis/a.yaml", POST)
    assert [f for f in run_lint(repo.root, load_config(repo.root)).findings if f.rule == "codeowners"] == []


def test_a_few_changed_files_go_to_the_journal_then_fold_into_the_cache(
        two: tuple[ContentRepo, Counting], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, counting = two
    folder = repo.root / ".postops/cache"
    whole = (folder / "lint.json").read_bytes()
    repo.write("posts/csis/a.yaml", POST.replace("report", "report sucks"))
    lint(repo, [str(repo.root / "posts/csis/a.yaml")])
    assert (folder / "lint.json").read_bytes() == whole                # not rewritten for one file
    with open(folder / "lint.journal", "ab") as journal:
        journal.write(b'{"format": 1, "files": {"posts/csis/a.yaml": ')  # a line torn by a crash
    counting.take()
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3), ("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == []
    monkeypatch.setattr(cache_mod, "JOURNAL_LIMIT", 0)
    repo.write("posts/csis/b.yaml", POST)
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3)]
    assert not (folder / "lint.journal").exists()
    counting.take()
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3)]
    assert counting.take() == []


def test_a_journal_save_reads_the_whole_cache_again_only_when_it_was_rewritten(
        two: tuple[ContentRepo, Counting], monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit's one-file lint appends to the journal: it reads the journal to merge, not the megabytes
    of the whole cache it loaded a moment ago; a cache rewritten meanwhile by another run is read again."""
    repo, counting = two
    reads: list[str] = []
    real = cache_mod._read

    def read(path: Path) -> Any:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(cache_mod, "_read", read)
    config = load_config(repo.root)
    repo.write("posts/csis/a.yaml", POST.replace("report", "report sucks"))
    store = cache_mod.LintCache.load(repo.root)
    assert reads == ["lint.json"]
    every = engine.discover(repo.root)
    ids = store.index(every)
    ctx = engine.Context(config=config, root=repo.root, ids=ids, measures={})
    policies = engine.load_policies(repo.root, engine.default_severities())
    for file_lint in engine._lint_files(ctx, policies, ["posts/csis/a.yaml"]):
        store.record(file_lint, ids, None)
    other = cache_mod.LintCache.load(repo.root)   # another run, which rewrites the whole cache
    other.files["posts/csis/b.yaml"]["stat"] = None
    other.dirty.add("posts/csis/b.yaml")
    monkeypatch.setattr(cache_mod, "JOURNAL_LIMIT", 0)
    reads.clear()
    other.save(every)
    monkeypatch.setattr(cache_mod, "JOURNAL_LIMIT", 256 * 1024)
    assert reads == ["lint.json"]         # to rewrite it whole
    reads.clear()
    store.save(every)                     # the cache it loaded was rewritten: read again and merged
    assert reads == ["lint.json"]
    counting.take()
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3), ("banned", "posts/csis/b.yaml", 3)]
    assert counting.take() == []
    repo.write("posts/csis/b.yaml", POST)
    store = cache_mod.LintCache.load(repo.root)
    ids = store.index(every)
    ctx = engine.Context(config=config, root=repo.root, ids=ids, measures={})
    for file_lint in engine._lint_files(ctx, policies, ["posts/csis/b.yaml"]):
        store.record(file_lint, ids, None)
    reads.clear()
    store.save(every)
    assert reads == []                    # unchanged since loaded: the journal alone
    counting.take()
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3)]
    assert counting.take() == []


def test_git_ignores_the_cache(repo: ContentRepo) -> None:
    repo.write("posts/csis/a.yaml", POST)
    subprocess.run(["git", "init", "-q"], cwd=repo.root, check=True)
    lint(repo)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo.root,
                            capture_output=True, text=True, check=True).stdout
    assert ".postops" not in status


def test_an_unwritable_cache_folder_does_not_fail_lint(two: tuple[ContentRepo, Counting]) -> None:
    repo, _ = two
    cache_dir = repo.root / ".postops/cache"
    for child in cache_dir.iterdir():
        child.unlink()
    cache_dir.rmdir()
    cache_dir.write_text("a file where the folder should be")
    repo.write("posts/csis/a.yaml", POST.replace("report", "report sucks"))
    assert lint(repo) == [("banned", "posts/csis/a.yaml", 3), ("banned", "posts/csis/b.yaml", 3)]


# ---------------------------------------------------------------------------- a cache from the repository

@pytest.mark.parametrize("folder", ["", "comms"], ids=["own repository", "folder of a larger repository"])
def test_a_cache_committed_to_the_repository_is_never_believed(tmp_path: Path, folder: str) -> None:
    """An attacker lints a harmless post, swaps in a leaked key, rewrites the cache entry to the new bytes'
    hash and force-adds .postops/ to the pull request. CI's fresh checkout must find the key anyway, and say
    that a cache came with the repository; also where the content repository is a folder of a larger git
    repository (no .git of its own)."""
    import hashlib
    import subprocess

    from click.testing import CliRunner

    from postops.cli import main

    top = tmp_path / "repo"
    if folder:      # postops init leaves a folder of an existing repository in that repository
        subprocess.run(["git", "init", "-q", "-b", "main", str(top)], check=True)
    root = top / folder
    assert CliRunner().invoke(main, ["init", "--ci", "none", str(root)]).exit_code == 0
    assert (root / ".git").exists() != bool(folder)
    rel = "posts/drill/leak.yaml"
    (root / rel).write_text(post_yaml("drill", "Our annual report is out", "2030-01-01T15:00:00Z"))
    first = CliRunner().invoke(main, ["lint", "-C", str(root), str(root / rel)])
    assert first.exit_code == 0, first.output
    leak = post_yaml("drill", "Deploy key AKIAIOSFODNN7EXAMPLE for the team", "2030-01-01T15:00:00Z")
    (root / rel).write_text(leak)
    cache_file = root / ".postops" / "cache" / "lint.json"
    forged = json.loads(cache_file.read_text())
    forged["files"][rel].update(sha=hashlib.sha256(leak.encode()).hexdigest(), stat=None)
    cache_file.write_text(json.dumps(forged))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-f", ".postops/cache/lint.json"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "A harmless post"], check=True)
    checkout = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(top), str(checkout)], check=True)

    done = CliRunner().invoke(main, ["lint", "-C", str(checkout / folder), "--format", "json"])
    found = {(f["rule"], f["path"]) for f in json.loads(done.output)["findings"]}
    assert ("secret-in-text", rel) in found, found
    assert ("lint-cache", ".postops/cache/lint.json") in found, found
    assert done.exit_code == 1


def test_a_run_asks_git_once_what_it_tracks_under_postops(two: tuple[ContentRepo, Counting],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The question (`git ls-files .postops`) reads git's whole index: tens of milliseconds with 10,000
    posts. Lint asks it to decide on its cache, and the lint-cache rule takes that answer."""
    repo, _ = two
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo.root, check=True)
    asked: list[tuple[str, ...]] = []
    real = git.run

    def run(root: Path, *args: str, **kwargs: Any) -> Any:
        asked.append(args)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(git, "run", run)
    assert lint(repo) == [("banned", "posts/csis/b.yaml", 3)]
    assert [a for a in asked if "ls-files" in a] == [("ls-files", "-z", "--", ".postops")]
    asked.clear()
    (repo.root / ".postops" / "cache" / "lint.json").write_text("{}")
    git_c = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git_c, "add", "-f", ".postops/cache/lint.json"], cwd=repo.root, check=True)
    assert ("lint-cache", ".postops/cache/lint.json", 1) in lint(repo)   # still reported
    assert [a for a in asked if "ls-files" in a] == [("ls-files", "-z", "--", ".postops")]


def test_without_the_cache_a_committed_cache_is_still_reported(repo: ContentRepo) -> None:
    """--no-cache asks git nothing to decide on a cache it will not use; the lint-cache rule asks it then,
    in the repository linted (not wherever lint was started)."""
    repo.write("posts/csis/a.yaml", POST)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo.root, check=True)
    (repo.root / ".postops" / "cache").mkdir(parents=True)
    (repo.root / ".postops" / "cache" / "lint.json").write_text("{}")
    git_c = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git_c, "add", "-f", ".postops/cache/lint.json"], cwd=repo.root, check=True)
    assert ("lint-cache", ".postops/cache/lint.json", 1) in lint(repo, cache=False)
