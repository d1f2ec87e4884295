"""The example policies `postops init` ships: each catches what it should, where it should, and passes the
rest. And the examples in the user documentation, run.

Every test runs in a repository made by init_repo, with the policies exactly as a user gets them.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from mediafixtures import image

from postops.lint.engine import run_lint
from postops.lint.rules.base import STAND_IN
from postops.repo.config import load_config
from postops.scaffold.init import init_repo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/New_York"))
PNG = image("PNG")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repo(tmp_path, force=False, now=NOW)
    # The tone-model rules would flag many of these posts too; they have tests of their own (test_init.py).
    (tmp_path / "policies" / "tone-models.yaml").unlink()
    (tmp_path / "media" / "chart.png").write_bytes(PNG)
    (tmp_path / "media" / "map.png").write_bytes(PNG)
    return tmp_path


def lint(root: Path, rel: str, content: str) -> list[tuple[str, int, int]]:
    """(rule, line, column) of every finding for the post `rel` written with `content`."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    return [(f.rule, f.line, f.column) for f in run_lint(root, load_config(root), [str(path)]).findings]


def messages(root: Path, rel: str) -> list[str]:
    return [f.message for f in run_lint(root, load_config(root), [str(root / rel)]).findings]


# 1. banned phrases ------------------------------------------------------------------------------------

def test_banned_phrase_is_caught_at_the_phrase(repo):
    found = lint(repo, "posts/official/p.yaml", """\
        account: official
        text: |-
          Dear partners,
          Suck it, @examplepartner
        """)
    assert found == [("banned-phrases", 4, 3)]
    assert messages(repo, "posts/official/p.yaml") == ["Official accounts don't say 'suck it'"]


def test_banned_phrase_is_caught_in_any_case_in_a_quoted_line_and_in_a_thread(repo):
    assert lint(repo, "posts/official/p.yaml", 'account: official\ntext: "Well, SUCK IT!"\n') \
        == [("banned-phrases", 2, 14)]
    thread = "account: official\ntext: fine\nthread:\n  - text: you idiots\n"
    assert lint(repo, "posts/official/p.yaml", thread) == [("banned-phrases", 4, 15)]


def test_words_that_merely_contain_a_banned_phrase_pass(repo):
    assert lint(repo, "posts/official/p.yaml", """\
        account: official
        text: Europe was sucked into the crisis; stupidity-proof idiotsavant suckling
        """) == []


# 2. mentions: an allow-list for one account, a deny-list for another ------------------------------------

def test_official_may_only_mention_accounts_on_its_list(repo):
    assert lint(repo, "posts/official/p.yaml", """\
        account: official
        text: Thanks @ExampleOrg_Research and @Amnesty
        """) == [("official-mentions", 2, 39)]
    assert messages(repo, "posts/official/p.yaml")[0].startswith("@amnesty is not on the list")


def test_official_mentions_on_the_list_pass(repo):
    assert lint(repo, "posts/official/p.yaml", """\
        account: official
        text: Thanks @ExampleOrg_Research and @EXAMPLEPARTNER
        """) == []


def test_drill_must_not_mention_accounts_on_its_deny_list(repo):
    assert lint(repo, "posts/drill/p.yaml", """\
        account: drill
        text: |-
          Drill for @someone_else,
          and @ExamplePartner
        """) == [("drill-mentions", 4, 7)]


def test_drill_may_mention_anyone_else(repo):
    # the official allow-list does not apply to the drill account
    assert lint(repo, "posts/drill/p.yaml", "account: drill\ntext: Drill for @someone_else\n") == []


# 3. at most two hashtags --------------------------------------------------------------------------------

def test_a_third_hashtag_is_a_warning_at_the_third(repo):
    # (in a plain one-line value, ` #` would start a YAML comment: a literal block keeps it as text)
    assert lint(repo, "posts/drill/p.yaml", "account: drill\ntext: |-\n  Report #one #Two #three\n") \
        == [("max-two-hashtags", 3, 20)]
    assert messages(repo, "posts/drill/p.yaml") == [("more than two hashtags (one, two, three); keep the two "
                                                     "that matter")]
    result = run_lint(repo, load_config(repo), [str(repo / "posts/drill/p.yaml")])
    assert result.findings[0].severity == "warning" and not result.fails("error")


def test_two_hashtags_pass(repo):
    # C# and #42 are not hashtags
    assert lint(repo, "posts/drill/p.yaml", "account: drill\ntext: |-\n  Report #one #two, C# code, #42\n") \
        == []


# 4. links only to our own domains -----------------------------------------------------------------------

def test_a_link_to_another_domain_is_caught_at_the_link(repo):
    assert lint(repo, "posts/official/p.yaml", """\
        account: official
        text: |-
          Ours: https://example.org/a
          Not ours: https://example.org.evil.net/b
        """) == [("own-domains", 4, 13)]
    assert messages(repo, "posts/official/p.yaml") == [
        "links go to our own sites only, not example.org.evil.net"]


def test_links_to_our_domains_and_subdomains_pass(repo):
    assert lint(repo, "posts/official/p.yaml", """\
        account: official
        text: https://www.example.org/a https://example.com/b blog.example.org/c
        """) == []


def test_a_link_can_be_allowed_for_one_post_with_a_reason(repo):
    rel = "posts/official/p.yaml"
    assert lint(repo, rel, """\
        # postops: disable=own-domains -- joint report, approved by the partnership team
        account: official
        text: https://partner.example.net/joint-report
        """) == []
    assert run_lint(repo, load_config(repo), [str(repo / rel)]).suppressed == 1


# 5. quiet hours and weekend press -----------------------------------------------------------------------

@pytest.mark.parametrize(("at", "caught"), [
    ("2026-12-02T21:59:00-05:00", False),
    ("2026-12-02T22:00:00-05:00", True),
    ("2026-12-03T03:00", True),                     # no offset: read in postops.yaml's timezone
    ("2026-12-03T06:59:00-05:00", True),
    ("2026-12-03T07:00:00-05:00", False),
    ("2026-12-03T04:30:00Z", True),                 # 23:30 the evening before in New York
    ("2026-12-03T12:30:00Z", False),                # 07:30 in New York
])
def test_quiet_hours_in_the_accounts_timezone(repo, at, caught):
    found = lint(repo, "posts/drill/p.yaml", f"account: drill\npublish_at: {at}\ntext: Hello\n")
    assert found == ([("quiet-hours", 2, 13)] if caught else [])


def test_quiet_hours_follow_an_accounts_own_timezone(repo):
    config = repo / "postops.yaml"
    text = config.read_text()
    assert "    # timezone: Europe/London" in text
    config.write_text(text.replace("    # timezone: Europe/London", "    timezone: Asia/Tokyo"))
    # 09:00 in New York is 23:00 in Tokyo
    assert lint(repo, "posts/official/p.yaml", "account: official\npublish_at: 2026-12-02T09:00:00-05:00\n"
                                               "text: Hello\n") == [("quiet-hours", 2, 13)]
    assert messages(repo, "posts/official/p.yaml") == [
        "scheduled at 23:00 (official's local time); nothing goes out between 22:00 and 07:00"]


def test_a_post_without_publish_at_has_no_quiet_hours(repo):
    assert lint(repo, "posts/drill/p.yaml", "account: drill\ntext: Hello\nlabels: [press]\n") == []


def test_press_posts_are_not_scheduled_on_weekends(repo):
    saturday = "2026-12-05T10:00:00-05:00"
    assert lint(repo, "posts/drill/p.yaml", f"account: drill\npublish_at: {saturday}\nlabels: [press]\n"
                                            "text: Statement\n") == [("no-weekend-press", 2, 13)]
    assert messages(repo, "posts/drill/p.yaml") == [
        "press posts go out on weekdays; this one is scheduled for a saturday"]


def test_weekday_press_and_weekend_posts_without_the_label_pass(repo):
    friday, sunday = "2026-12-04T10:00:00-05:00", "2026-12-06T10:00:00-05:00"
    assert lint(repo, "posts/drill/p.yaml", f"account: drill\npublish_at: {friday}\nlabels: [press]\n"
                                            "text: Statement\n") == []
    assert lint(repo, "posts/drill/p.yaml", f"account: drill\npublish_at: {sunday}\nlabels: [research]\n"
                                            "text: Weekend reading\n") == []


# 6. alt text on every image ------------------------------------------------------------------------------

def test_an_image_without_alt_text_is_caught_at_that_image(repo):
    assert lint(repo, "posts/drill/p.yaml", """\
        account: drill
        text: Two charts
        media:
          - path: media/chart.png
            alt: Bar chart of gas imports, 2019-2026
          - path: media/map.png
            alt: "  "
        """) == [("alt-text", 6, 5)]
    assert messages(repo, "posts/drill/p.yaml") == [
        "media/map.png has no alt text; add `alt:` describing what it shows"]


def test_an_image_in_a_thread_part_without_alt_text_is_caught(repo):
    assert lint(repo, "posts/drill/p.yaml", """\
        account: drill
        text: Thread
        thread:
          - text: The map
            media:
              - path: media/map.png
        """) == [("alt-text", 6, 9)]


def test_images_with_alt_text_pass(repo):
    assert lint(repo, "posts/drill/p.yaml", """\
        account: drill
        text: A chart
        media:
          - {path: media/chart.png, alt: Bar chart of gas imports}
        """) == []


# 7. the wrong-account mistake ----------------------------------------------------------------------------

def test_a_post_in_the_official_folder_for_another_account_is_caught(repo):
    found = lint(repo, "posts/official/2026/12/p.yaml", "account: drill\ntext: Suck it\n")
    # the built-in account-folder rule says so too, at the same place
    assert ("official-folder", 1, 10) in found and ("account-folder", 1, 10) in found
    assert "this post is in posts/official/ but its account is drill; was it meant for another account?" \
        in messages(repo, "posts/official/2026/12/p.yaml")


def test_official_posts_and_cross_posts_in_the_official_folder_pass(repo):
    assert lint(repo, "posts/official/2026/12/p.yaml", "account: official\ntext: Hello\n") == []
    assert lint(repo, "posts/official/2026/12/p.yaml", "account: [drill, official]\ntext: Hello\n") == []


def test_the_folder_policy_only_applies_under_its_path(repo):
    assert lint(repo, "posts/drill/p.yaml", "account: drill\ntext: Hello\n") == []


# The examples in the user documentation -------------------------------------------------------------------
#
# In docs/*.md, an HTML comment before a code block says what the block is:
#   <!-- example: setup PATH -->        write it to PATH (a policy, another post)
#   <!-- example: file PATH -->         (no block) a stand-in file at PATH, such as an image
#   <!-- example: passes PATH -->       write it to PATH; lint finds nothing in it
#   <!-- example: fails RULE PATH -->   write it to PATH; lint finds RULE in it, and when a block without a
#                                       language follows, exactly the findings it lists
#   <!-- example: refused PATH -->      write it to PATH; lint refuses to run (exit 2), naming PATH:line:col
#                                       as the next block without a language shows (up to a final "…")
#   <!-- example: config -->            it is a postops.yaml that loads
# Each `## ` section starts again from a fresh repository made by init_repo.

DOCS = Path(__file__).resolve().parents[1] / "docs"
# docs/rules.md is generated from the rule modules, whose examples test_rule_examples.py runs.
DOC_FILES = ("configuration.md", "posts.md", "policies.md")


def _blocks(lines: list[str], start: int) -> tuple[str, int]:
    """The code block starting at or after line `start` (maybe indented, in a list): its text and the
    line after it."""
    i = start
    while not lines[i].lstrip().startswith("```"):
        i += 1
    indent = len(lines[i]) - len(lines[i].lstrip())
    end = i + 1
    while not lines[end].lstrip().startswith("```"):
        end += 1
    return "".join(line[indent:] + "\n" for line in lines[i + 1:end]), end + 1


def _output_after(lines: list[str], start: int) -> str | None:
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and lines[i].strip() == "```":
        return _blocks(lines, i)[0]
    return None


def doc_sections() -> list[tuple[str, str, list[tuple[str, list[str], str, str | None]]]]:
    sections = []
    for name in DOC_FILES:
        path = DOCS / name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        heading, examples = name, []
        for i, line in enumerate(lines):
            if line.startswith("## "):
                if examples:
                    sections.append((name, heading, examples))
                heading, examples = line[3:], []
            if line.strip().startswith("<!-- example:"):
                words = line.strip().removeprefix("<!-- example:").removesuffix("-->").split()
                if words[0] == "file":
                    examples.append(("setup", words[1:], STAND_IN, None))   # an image: media is read by content
                    continue
                block, after = _blocks(lines, i + 1)
                examples.append((words[0], words[1:], block, _output_after(lines, after)))
        if examples:
            sections.append((name, heading, examples))
    return sections


def _render(findings) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message}\n" for f in findings)


@pytest.mark.parametrize(("doc", "heading", "examples"), doc_sections(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_documentation_examples(tmp_path, doc, heading, examples):
    from postops.errors import ConfigError

    root = tmp_path / "repo"
    init_repo(root, force=False, now=NOW)
    # The docs show the word-list policies at work; the tone models' own examples are in docs/tone.md.
    (root / "policies" / "tone-models.yaml").unlink()
    for kind, args, block, output in examples:
        where = f"{doc} § {heading}: {kind} {' '.join(args)}"
        if kind == "config":
            (root / "postops.yaml").write_text(block)
            load_config(root)
            continue
        target = root / args[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(block, bytes):
            target.write_bytes(block)
        else:
            target.write_text(block, encoding="utf-8")
        if kind == "setup":
            continue
        if kind == "refused":
            with pytest.raises(ConfigError) as refused:
                run_lint(root, load_config(root))
            assert output is not None, where
            expected = output.strip()
            if expected.endswith("…"):
                assert str(refused.value).startswith(expected[:-1].rstrip()), f"{where}: {refused.value}"
            else:
                assert str(refused.value) == expected, where
            target.unlink()
            continue
        result = run_lint(root, load_config(root), [str(target)])
        if kind == "passes":
            assert _render(result.findings) == "", where
        else:
            assert kind == "fails", where
            assert args[0] in {f.rule for f in result.findings}, f"{where}: {_render(result.findings)}"
            if output is not None:
                assert _render(result.findings) == output, where
        target.unlink()
