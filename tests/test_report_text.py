"""The text reports of plan and status: aligned columns, one style of time, nothing JSON shows left out."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from gitfixtures import content_repo, post_yaml
from publishfixtures import no_lint

from postops.publish.commands import plan_command, publish_command, status_command

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)
ISO = "T10:"    # how an ISO 8601 time shows itself; text reports write `2026-03-01 10:00 UTC`



def _repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("posts/drill/edited.yaml", post_yaml("drill", "first words", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill2/a-long-post-name.yaml", post_yaml("drill2", "later", "2026-03-01T12:00:00Z"))
    repo.commit("Add posts", T - 120 * M)
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    assert publish_command(repo.root, now=T, dry_run=False, allow_mass_retract=False, echo=lambda s: None,
                           env=env, lint=no_lint) == 0
    repo.write("posts/drill/edited.yaml", post_yaml("drill", "second thoughts", "2026-03-01T09:00:00Z"))
    repo.commit("Edit a published post", T + M)
    return repo


def _lines(command, root: Path, fmt: str = "text", **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    assert command(root, fmt=fmt, now=T + 20 * M, echo=out.append, lint=no_lint, **kwargs) == 0
    return "\n".join(out).splitlines()


def _starts(line: str, words: int) -> list[int]:
    """Where each of the first `words` columns (two spaces apart) starts."""
    starts, at = [], 0
    for _ in range(words):
        at = len(line) - len(line[at:].lstrip(" "))
        starts.append(at)
        at = line.index("  ", at) if "  " in line[at:] else len(line)
    return starts


def test_status_text_shows_the_conflict_that_json_shows(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    posts = json.loads("\n".join(_lines(status_command, repo.root, "json")))["posts"]
    edited = next(p for p in posts if p["post"] == "edited")
    assert edited["state"] == "published" and edited["error"].startswith("conflict: changed after it was published")
    text = next(line for line in _lines(status_command, repo.root) if " edited " in line)
    assert edited["url"] in text and "conflict: changed after it was published" in text


def test_status_text_columns_line_up_and_times_have_one_style(tmp_path: Path) -> None:
    lines = _lines(status_command, _repo(tmp_path).root)
    assert len(lines) == 2
    assert len({tuple(_starts(line, 4)) for line in lines}) == 1, lines      # state, post, account, when
    assert all("2026-03-01 " in line and " UTC" in line and ISO not in line for line in lines), lines


def test_plan_text_columns_line_up_and_times_have_one_style(tmp_path: Path) -> None:
    lines = _lines(plan_command, _repo(tmp_path).root, until=T + timedelta(days=1))
    assert lines[0] == "plan at 2026-03-01 10:20 UTC:"
    body = lines[1:]
    assert [line.split()[0] for line in body] == ["conflict", "wait"]
    assert len({tuple(_starts(line, 4)) for line in body}) == 1, body    # action, post, account, when
    assert "scheduled for 2026-03-01 12:00 UTC" in body[1]
    assert all(ISO not in line for line in lines), lines


def test_plan_markdown_writes_times_in_the_same_style(tmp_path: Path) -> None:
    root = _repo(tmp_path).root
    markdown = _lines(plan_command, root, "markdown", until=T + timedelta(days=1))
    assert ("**wait** `a-long-post-name` on **@drill2** at 2026-03-01 12:00 UTC: scheduled for 2026-03-01 12:00 UTC"
            in markdown)
    assert all(ISO not in line for line in markdown), markdown


def _cli(*args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from postops.cli import main

    return CliRunner().invoke(main, list(args))


def test_status_and_log_filter_by_account_and_since(tmp_path: Path) -> None:
    root = str(_repo(tmp_path).root)
    now = ["--now", (T + 20 * M).isoformat()]

    def posts(*args: str) -> list[tuple[str, str]]:
        done = _cli("status", "--format", "json", *now, "-C", root, *args)
        assert done.exit_code == 0, done.output
        return [(p["post"], p["account"]) for p in json.loads(done.output)["posts"]]

    assert posts() == [("a-long-post-name", "drill2"), ("edited", "drill")]
    assert posts("--account", "drill2") == [("a-long-post-name", "drill2")]
    assert posts("--since", (T + M).isoformat()) == [("a-long-post-name", "drill2")]   # edited went out at T
    assert posts("--since", T.isoformat(), "--account", "drill") == [("edited", "drill")]
    text = _cli("status", *now, "-C", root, "--account", "drill2").output.splitlines()
    assert len(text) == 1 and text[0].startswith("scheduled  a-long-post-name  @drill2")

    def trail(*args: str) -> dict[str, list[str]]:
        done = _cli("log", "--format", "json", "-C", root, *args)
        assert done.exit_code == 0, done.output
        return {p["post"]: [e["event"] for e in p["events"]] for p in json.loads(done.output)["posts"]}

    assert trail() == {"a-long-post-name": ["added", "pushed"],
                       "edited": ["added", "pushed", "published", "changed", "pushed"]}
    assert trail("--account", "drill2") == {"a-long-post-name": ["added", "pushed"]}
    assert trail("--since", (T + M).isoformat()) == {"edited": ["changed", "pushed"]}
    assert trail("--account", "drill", "--since", T.isoformat()) == {"edited": ["published", "changed", "pushed"]}


def test_an_unknown_account_filter_names_the_accounts(tmp_path: Path) -> None:
    root = str(_repo(tmp_path).root)
    for command in ("status", "log"):
        done = _cli(command, "-C", root, "--account", "dril")
        assert done.exit_code == 2
        assert "--account 'dril' is not an account in postops.yaml (did you mean drill? accounts: drill, drill2)" \
            in done.output
