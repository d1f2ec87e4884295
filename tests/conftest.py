from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = """\
version: 1
timezone: America/New_York
accounts:
  csis:
    platform: x
    handle: "@CSIS"
  social:
    platform: mastodon
    instance: https://mastodon.example
  sky:
    platform: bluesky
  drill:
    platform: outbox
"""


class ContentRepo:
    """A content repository in a temporary folder, written file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.auto_codeowners = True
        self.write("postops.yaml", CONFIG)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        if rel in ("postops.yaml", "postops.limits.yaml") and self.auto_codeowners:
            self.sync_codeowners()
        return path

    def sync_codeowners(self) -> None:
        """Keep CODEOWNERS in step with postops.yaml, as `postops codeowners` does, while the config is valid."""
        from postops.errors import ConfigError
        from postops.repo.codeowners import write_codeowners
        from postops.repo.config import load_config

        with contextlib.suppress(ConfigError):  # an invalid postops.yaml is what some tests are about
            write_codeowners(self.root, load_config(self.root))

    def write_bytes(self, rel: str, data: bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def lint(self, paths: list[str] | None = None):
        from postops.lint.engine import run_lint
        from postops.repo.config import load_config

        return run_lint(self.root, load_config(self.root), paths)


@pytest.fixture
def repo(tmp_path: Path) -> ContentRepo:
    return ContentRepo(tmp_path)


@pytest.fixture
def li(repo: ContentRepo) -> ContentRepo:
    """`repo` with a LinkedIn organisation page (li), which takes no reposts, quotes or polls from postops."""
    text = (repo.root / "postops.yaml").read_text()
    repo.write("postops.yaml", text.replace("accounts:\n", "accounts:\n  li:\n    platform: linkedin\n"
                                            "    organization: 2414183\n", 1))
    return repo


@pytest.fixture(scope="session")
def language_model() -> Iterator[None]:
    """lingua's all-languages detector takes about 7 s and 0.9 GB to load: once per test session. Tests
    using it are in the xdist group "language", so that a parallel run (`make test`) loads it in one
    worker only."""
    from postops.lint import tone

    tone.preload({"language"})
    yield
    tone._detector = None

