"""`postops new`: file names, publish_at, the editor, refusals, linting the new post, exact text."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postops.cli import main
from postops.errors import UsageError
from postops.lint.engine import run_lint
from postops.repo.config import load_config
from postops.repo.posts import SCHEMA_FILE
from postops.repo.yamlfile import parse
from postops.scaffold.init import init_repo
from postops.scaffold.newpost import EmptyPost, new_post, slug, yaml_text

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    init_repo(tmp_path, force=False, now=NOW)
    return tmp_path


def run(root: Path, *args: str, env: dict[str, str] | None = None):
    # at NOW, whatever the clock says: the dates these tests write are in the future from NOW
    return CliRunner().invoke(main, ["new", "-C", str(root), "--now", NOW.isoformat(), *args], env=env)


def post_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "posts").rglob("*.yaml")}


def test_name_comes_from_the_publish_date_and_first_words(root):
    post = new_post(root, load_config(root), "drill", "Our new report is out: https://example.org/r today!",
                    "2026-12-01T09:00:00-05:00")
    assert post.rel == "posts/drill/2026/12/2026-12-01-our-new-report-is-out-today.yaml"
    data = parse(post.path.read_bytes(), post.rel).data
    assert data == {"account": "drill", "publish_at": "2026-12-01T09:00:00-05:00",
                    "text": "Our new report is out: https://example.org/r today!"}


def test_a_time_without_offset_is_read_in_the_configured_timezone_and_written_with_it(root):
    winter = new_post(root, load_config(root), "drill", "one", "2026-12-01T09:00")
    summer = new_post(root, load_config(root), "drill", "two", "2026-07-01 09:30")
    assert parse(winter.path.read_bytes(), "w").data["publish_at"] == "2026-12-01T09:00:00-05:00"
    assert parse(summer.path.read_bytes(), "s").data["publish_at"] == "2026-07-01T09:30:00-04:00"
    assert summer.rel == "posts/drill/2026/07/2026-07-01-two.yaml"


def test_without_at_there_is_no_publish_at_and_the_name_has_today(root):
    post = new_post(root, load_config(root), "drill", "Hello", now=NOW)
    assert post.rel == "posts/drill/2026/11/2026-11-23-hello.yaml"
    assert "publish_at" not in parse(post.path.read_bytes(), post.rel).data


def test_the_file_points_editors_at_the_schema(root):
    post = new_post(root, load_config(root), "official", "Hello", now=NOW)
    first = post.path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../../.postops-schema.json"
    assert (post.path.parent / first.split("=", 1)[1]).resolve() == (root / SCHEMA_FILE).resolve()


def test_names_are_unique_across_the_whole_repository(root):
    config = load_config(root)
    first = new_post(root, config, "drill", "Same words", now=NOW)
    second = new_post(root, config, "drill", "Same words!", now=NOW)
    # ids are unique in the repository, so the same name in another account's folder is taken too
    third = new_post(root, config, "official", "same, words", now=NOW)
    assert [first.rel, second.rel, third.rel] == [
        "posts/drill/2026/11/2026-11-23-same-words.yaml",
        "posts/drill/2026/11/2026-11-23-same-words-2.yaml",
        "posts/official/2026/11/2026-11-23-same-words-3.yaml",
    ]
    assert [f for f in run_lint(root, config).findings if f.rule == "duplicate-id"] == []


def test_a_retracted_id_is_never_taken_again(root):
    post = new_post(root, load_config(root), "drill", "Same words", now=NOW,
                    reserved={"2026-11-23-same-words"})
    assert post.rel == "posts/drill/2026/11/2026-11-23-same-words-2.yaml"


@pytest.mark.parametrize(("text", "expected"), [
    ("Suck it, @amnesty", "suck-it-amnesty"),
    ("Café déjà vu — ÜBER", "cafe-deja-vu-uber"),
    ("🎉🎉🎉", "post"),
    ("https://example.org/only-a-link", "post"),
    ("one two three four five six seven eight", "one-two-three-four-five-six"),
    ("a" * 60 + " b", "post"),
    ("short " + "x" * 50, "short"),
])
def test_slug(text, expected):
    assert slug(text) == expected


def test_unknown_account_lists_the_accounts_and_writes_nothing(root):
    before = post_files(root)
    result = run(root, "offical", "hello")
    assert result.exit_code == 2
    assert "unknown account 'offical'" in result.output and "drill, official" in result.output
    assert post_files(root) == before


@pytest.mark.parametrize("at", ["tomorrow", "2026-12-01", "2026-13-01T09:00"])
def test_a_time_that_is_not_a_date_and_time_is_refused(root, at):
    before = post_files(root)
    result = run(root, "drill", "hello", "--at", at)
    assert result.exit_code == 2 and "--at" in result.output
    assert post_files(root) == before


def test_a_clean_post_is_written_and_lints_clean(root):
    result = run(root, "drill", "Drill at ten", "--at", "2026-12-01T10:00")
    assert result.exit_code == 0, result.output
    assert result.output == "wrote posts/drill/2026/12/2026-12-01-drill-at-ten.yaml\n"


def test_a_publish_at_already_past_is_written_with_a_warning(root):
    result = run(root, "drill", "Drill at ten", "--at", "2026-11-20T10:00")
    rel = "posts/drill/2026/11/2026-11-20-drill-at-ten.yaml"
    assert result.exit_code == 0, result.output
    assert result.output == (f"wrote {rel}\n{rel}:3:13: warning [publish-at-past] publish_at "
                             "2026-11-20T10:00:00-05:00 is more than max_delay (6h) ago and the post is not published: "
                             "it will be recorded as missed and never published; give it a new publish_at\n")


def test_a_post_that_breaks_a_policy_is_kept_and_its_findings_printed(root):
    result = run(root, "official", "Suck it, @amnesty", "--at", "2026-12-02T23:30")
    rel = "posts/official/2026/12/2026-12-02-suck-it-amnesty.yaml"
    assert result.exit_code == 1
    assert f"{rel}:3:13: error [quiet-hours]" in result.output
    assert f"{rel}:5:3: error [banned-phrases] Official accounts don't say 'suck it'" in result.output
    assert f"{rel}:5:12: error [official-mentions] @amnesty" in result.output
    assert "was kept" in result.output
    assert (root / rel).is_file()


def editor(tmp_path: Path, writes: str) -> dict[str, str]:
    """An $EDITOR that saves what it was shown and replaces it with `writes`."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "target = pathlib.Path(sys.argv[1])\n"
        f"pathlib.Path({str(tmp_path / 'shown.txt')!r}).write_text(target.read_text())\n"
        f"target.write_text({writes!r} + target.read_text())\n"
    )
    return {"EDITOR": f'"{sys.executable}" "{script}"', "VISUAL": ""}


def test_without_text_the_editor_is_opened_and_its_instructions_are_dropped(root, tmp_path):
    env = editor(tmp_path, "Written in the editor.\nSecond line #drill\n")
    result = run(root, "drill", env=env)
    assert result.exit_code == 0, result.output
    rel = result.output.split()[1]
    assert parse((root / rel).read_bytes(), rel).data["text"] == "Written in the editor.\nSecond line #drill"
    assert "Write the post for 'drill' (outbox)" in (tmp_path / "shown.txt").read_text()


def test_an_empty_editor_aborts_without_writing(root, tmp_path):
    before = post_files(root)
    result = run(root, "drill", env=editor(tmp_path, "  \n\n"))
    assert result.exit_code == 1
    assert "empty" in result.output and "nothing written" in result.output
    assert post_files(root) == before


def test_the_editor_template_is_not_mistaken_for_text(root):
    with pytest.raises(EmptyPost):
        new_post(root, load_config(root), "drill", edit=lambda template: template)


def test_no_text_and_no_editor_is_a_usage_error(root):
    with pytest.raises(UsageError):
        new_post(root, load_config(root), "drill")


ROUND_TRIP = [
    "key: value",
    "# not a comment",
    "  leading spaces",
    "\tleading tab",
    "emoji 🎉 and a family 👩‍👩‍👧 and flags 🇺🇦",
    "quotes \"double\" and 'single' and `back`",
    "trailing spaces   ",
    "line one\n\nline three\n   \nspaces-only line above",
    "ends with a newline\n",
    "ends with newlines\n\n\n",
    "\nstarts with an empty line",
    "- looks like a list",
    "--- looks like a document",
    "... and an end marker",
    "& * ! | > % @ ` [ ] { } , ?",
    "a\\backslash\\",
    "carriage\r\nreturn",
    "control \x07 bell and \x1b escape",
    "line\u2028separator and next\x85line",
    "byte order\ufeffmark",
    " x ",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_text_reads_back_exactly(root, text):
    post = new_post(root, load_config(root), "drill", text, now=NOW)
    assert parse(post.path.read_bytes(), post.rel).data["text"] == text


@pytest.mark.parametrize("text", ["key: value", "trailing spaces   ", "emoji 🎉", "# not a comment"])
def test_ordinary_text_is_a_literal_block(text):
    assert yaml_text(text, 2) == f"|-\n  {text}\n"


def test_text_via_the_command_line_reads_back_exactly(root):
    text = "Said: \"hi\" # not a comment  "
    result = run(root, "drill", text)
    rel = result.output.split()[1]
    assert parse((root / rel).read_bytes(), rel).data["text"] == text
