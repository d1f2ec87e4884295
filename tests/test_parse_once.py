"""plan and publish parse each post file once (the desired state and lint share it), and publish fetches
the state branch once before its first round."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitfixtures import content_repo, post_yaml

from postops.lint import engine as lint_engine
from postops.publish.commands import plan_command, publish_command
from postops.publish.ledger import Store
from postops.repo import posts as posts_mod
from postops.repo import yamlfile
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each file was parsed as YAML, by whichever module parsed it."""
    counted: Counter[str] = Counter()
    real = yamlfile.parse

    def parse(raw: bytes, path: str, *args: Any) -> Any:
        counted[path] += 1
        return real(raw, path, *args)

    monkeypatch.setattr(posts_mod, "parse", parse)
    return counted


def three_posts(tmp_path: Path) -> Any:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    for name in ("a", "b", "c"):
        repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", f"post {name}", "2026-03-01T09:30:00Z"))
    repo.commit("Add posts", T - timedelta(hours=1))
    return repo


def test_plan_parses_each_post_once(tmp_path: Path, parses: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = three_posts(tmp_path)
    parses.clear()   # the publisher that saw the push (gitfixtures) read them then: not this command's
    monkeypatch.setattr(lint_engine, "PARALLEL_THRESHOLD", 10**9)   # counted in this process
    lines: list[str] = []
    assert plan_command(repo.root, now=T, until=None, fmt="json", echo=lines.append) == 0
    assert '"post": "a"' in "".join(lines), lines
    assert dict(parses) == {f"posts/drill/{name}.yaml": 1 for name in "abc"}


def test_outside_plan_and_publish_each_load_reads_the_file_again(tmp_path: Path, parses: Counter[str]) -> None:
    """A long-running process (tests, a watcher) must see a file changed between two commands."""
    repo = three_posts(tmp_path)
    config = load_config(repo.root)
    first = posts_mod.load_post(repo.root, "posts/drill/a.yaml", config)
    repo.write("posts/drill/a.yaml", post_yaml("drill", "changed", "2026-03-01T09:30:00Z"))
    second = posts_mod.load_post(repo.root, "posts/drill/a.yaml", config)
    assert isinstance(first, posts_mod.Post) and isinstance(second, posts_mod.Post)
    assert (first.parts[0].text, second.parts[0].text) == ("post a", "changed")


def test_publish_parses_each_post_once_and_fetches_once_before_its_rounds(
        tmp_path: Path, parses: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = three_posts(tmp_path)
    parses.clear()   # the publisher that saw the push (gitfixtures) read them then: not this command's
    monkeypatch.setattr(lint_engine, "PARALLEL_THRESHOLD", 10**9)
    fetches: list[str] = []
    real_fetch = Store._fetch

    def fetch(self: Store, **kwargs: Any) -> None:
        fetches.append(self.branch)
        real_fetch(self, **kwargs)

    monkeypatch.setattr(Store, "_fetch", fetch)
    rounds: list[int] = []
    real_append = Store.append

    def append(self: Store, *args: Any, **kwargs: Any) -> Any:
        rounds.append(len(fetches))
        return real_append(self, *args, **kwargs)

    monkeypatch.setattr(Store, "append", append)
    lines: list[str] = []
    code = publish_command(repo.root, now=T, dry_run=False, allow_mass_retract=False, echo=lines.append,
                           env={"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert code == 0, lines
    assert sorted(p.name for p in (tmp_path / "outbox" / "drill").glob("*.json")) == ["a.0.json", "b.0.json",
                                                                                    "c.0.json"]
    assert dict(parses) == {f"posts/drill/{name}.yaml": 1 for name in "abc"}
    assert rounds and set(rounds) == {1}, (fetches, rounds)   # every round's write came after one fetch
    # and the whole command fetched once: watching for posts made outside postops starts from the ledger
    # the run ended with (an account watched or not), not from a second fetch
    assert len(fetches) == 1, fetches
