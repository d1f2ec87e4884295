"""The lint engine as a whole: every finding says where, what and how bad, and for which post; a policy's
severities and selectors hold for built-in, per-file and repository-wide rules alike; threads and
cross-posts are checked part by part and account by account; the counts and the rule list of a run.
Expected messages are those the rules document (docs/rules.md) and the policy's own message templates."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from typing import Any

import pytest
from conftest import ContentRepo

from postops.lint import engine
from postops.lint.findings import Finding

KEY = "AKIAIOSFODNN7EXAMPLE"   # the example access key id of AWS's documentation
AWS = "text contains what looks like an AWS access key id (AKIAIO…); remove it and revoke the secret"
MISSING_CODEOWNERS = (".github/CODEOWNERS is missing, so nobody's review is required for any account's posts; "
                      "run `postops codeowners`")
NO_SUCKS = """\
  - id: no-sucks
    description: No "sucks" in any part.
    message: "{account} {post} part {part}: '{match}' in '{text}'"
    schema: {properties: {facts: {properties: {text: {not: {pattern: sucks}}}}}}
"""


def policy(repo: ContentRepo, *rules: str) -> None:
    repo.write("policies/p.yaml", "rules:\n" + "".join(rules))


def test_every_finding_says_file_line_column_rule_severity_message_and_post(repo: ContentRepo) -> None:
    policy(repo, "  - id: secret-in-text\n    severity: warning\n", NO_SUCKS)
    repo.write("posts/csis/a.yaml", f"account: csis\ntext: key {KEY}\nthread:\n  - text: this sucks\n")
    repo.write_bytes("posts/csis/broken.yaml", b"account: csis\x00\n")
    (repo.root / ".github/CODEOWNERS").unlink()
    assert repo.lint().findings == (
        Finding(".github/CODEOWNERS", 1, 1, "codeowners", "error", MISSING_CODEOWNERS),
        Finding("posts/csis/a.yaml", 2, 11, "secret-in-text", "warning", AWS, "a"),
        # the second part of the thread is on line 4, its text from column 11
        Finding("posts/csis/a.yaml", 4, 16, "no-sucks", "error",
                "csis a part 2: 'sucks' in 'this sucks' (thread part 2)", "a"),
        Finding("posts/csis/broken.yaml", 1, 1, "parse", "error", "file is binary, not YAML text"),
    )


def test_a_policy_finding_in_the_first_part_is_not_called_a_thread_part(repo: ContentRepo) -> None:
    policy(repo, NO_SUCKS)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: this sucks\nthread:\n  - text: fine\n")
    assert repo.lint().findings == (
        Finding("posts/csis/a.yaml", 2, 12, "no-sucks", "error", "csis a part 1: 'sucks' in 'this sucks'", "a"),)


def test_a_rule_turned_off_finds_nothing_and_the_others_still_run(repo: ContentRepo) -> None:
    # post-schema is the first built-in rule, parse is made before any, codeowners is repository-wide
    policy(repo, *(f"  - id: {rule}\n    severity: \"off\"\n" for rule in ("post-schema", "parse", "codeowners")))
    repo.write("posts/csis/a.yaml", f"account: csis\ntext: key {KEY}\nunknown_field: 1\n")
    repo.write_bytes("posts/csis/broken.yaml", b"\x00")
    (repo.root / ".github/CODEOWNERS").unlink()
    result = repo.lint()
    assert result.findings == (Finding("posts/csis/a.yaml", 2, 11, "secret-in-text", "error", AWS, "a"),)
    assert (result.files, result.posts) == (2, 1)   # the file that did not parse is linted, not a post
    assert {r.id for r in result.rules} & {"post-schema", "parse", "codeowners"} == set()


def test_the_counts_and_the_rules_of_a_run(repo: ContentRepo) -> None:
    policy(repo, "  - id: secret-in-text\n    severity: warning\n", NO_SUCKS)
    repo.write("posts/csis/a.yaml", f"# postops: disable=secret-in-text -- the key in the text is AWS's example\n"
                                    f"account: csis\ntext: key {KEY}\n")
    repo.write("posts/csis/b.yaml", "account: csis\ntext: fine\n")
    repo.write_bytes("posts/csis/c.yaml", b"\x00")
    result = repo.lint()
    assert (result.files, result.posts, result.suppressed) == (3, 2, 1)
    rules = {r.id: r for r in result.rules}
    assert (rules["secret-in-text"].severity, rules["parse"].severity) == ("warning", "error")
    assert rules["no-sucks"].description == 'No "sucks" in any part.'
    assert rules["no-sucks"].severity == "error"
    assert rules["secret-in-text"].description == engine.ALL_BUILTINS["secret-in-text"].description
    assert set(rules) == set(engine.ALL_BUILTINS) | {"no-sucks"}


def test_a_file_that_does_not_parse_does_not_stop_the_files_after_it(repo: ContentRepo) -> None:
    repo.write_bytes("posts/csis/a.yaml", b"\x00")
    repo.write("posts/csis/b.yaml", f"account: csis\ntext: key {KEY}\n")
    assert [(f.path, f.rule) for f in repo.lint().findings] == [
        ("posts/csis/a.yaml", "parse"), ("posts/csis/b.yaml", "secret-in-text")]


def test_a_built_in_rule_for_one_account_judges_only_that_accounts_hits(repo: ContentRepo) -> None:
    # 300 characters: over X's 280, within Mastodon's 500; the rule is only asked about the Mastodon account
    policy(repo, "  - id: text-length\n    applies_to: {accounts: [social]}\n")
    repo.write("posts/csis/a.yaml", f"account: [csis, social]\ntext: {'x' * 300}\n")
    assert repo.lint().findings == ()
    policy(repo, "  - id: text-length\n    applies_to: {platforms: [x]}\n")
    assert [(f.rule, f.message) for f in repo.lint().findings] == [
        ("text-length", "text is 300/280 weighted characters on X (account csis)")]
    # 600 characters: over both; the hit for X, which comes first, is not asked about and the other is
    policy(repo, "  - id: text-length\n    applies_to: {platforms: [mastodon]}\n")
    repo.write("posts/csis/a.yaml", f"account: [csis, social]\ntext: {'x' * 600}\n")
    assert [(f.rule, f.message) for f in repo.lint().findings] == [
        ("text-length", "text is 600/500 characters on Mastodon (account social)")]


def test_a_built_in_rule_for_some_folders_or_labels_holds_only_there(repo: ContentRepo) -> None:
    policy(repo, "  - id: secret-in-text\n    applies_to: {paths: ['posts/csis/*']}\n")
    repo.write("posts/csis/a.yaml", f"account: csis\ntext: key {KEY}\n")
    repo.write("posts/social/b.yaml", f"account: social\ntext: key {KEY}\n")
    assert [f.path for f in repo.lint().findings] == ["posts/csis/a.yaml"]
    policy(repo, "  - id: secret-in-text\n    applies_to: {labels: [press]}\n")
    repo.write("posts/social/b.yaml", f"account: social\nlabels: [press]\ntext: key {KEY}\n")
    assert [f.path for f in repo.lint().findings] == ["posts/social/b.yaml"]


def test_a_policy_for_the_second_account_of_a_cross_post_holds(repo: ContentRepo) -> None:
    policy(repo, NO_SUCKS + "    applies_to: {accounts: [social]}\n")
    repo.write("posts/csis/a.yaml", "account: [csis, social]\ntext: this sucks\n")
    assert [f.message for f in repo.lint().findings] == ["social a part 1: 'sucks' in 'this sucks'"]
    policy(repo, NO_SUCKS + "    applies_to: {platforms: [mastodon]}\n")
    assert [f.message for f in repo.lint().findings] == ["social a part 1: 'sucks' in 'this sucks'"]


def test_a_policy_sees_the_platform_of_the_account_it_checks(repo: ContentRepo) -> None:
    policy(repo, "  - id: no-x\n    message: '{account} is on X'\n"
                 "    schema: {properties: {facts: {properties: {platform: {not: {const: x}}}}}}\n")
    repo.write("posts/csis/a.yaml", "account: [csis, social]\ntext: hello\n")
    assert [f.message for f in repo.lint().findings] == ["csis is on X"]


def test_the_policies_check_the_text_of_a_post_that_names_no_account(repo: ContentRepo) -> None:
    policy(repo, NO_SUCKS)
    repo.write("posts/csis/a.yaml", "text: this sucks\n")
    assert [(f.rule, f.message) for f in repo.lint().findings if f.rule == "no-sucks"] == [
        ("no-sucks", " a part 1: 'sucks' in 'this sucks'")]   # no account to name


def test_a_rule_on_what_all_parts_share_is_checked_once_and_one_on_text_in_every_part(repo: ContentRepo) -> None:
    policy(repo, "  - id: not-csis\n    message: 'not on {account} (part {part})'\n"
                 "    schema: {properties: {facts: {properties: {account: {not: {const: csis}}}}}}\n", NO_SUCKS)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: one\nthread:\n  - text: it sucks\n  - text: three\n")
    assert [(f.rule, f.line, f.message) for f in repo.lint().findings] == [
        ("not-csis", 1, "not on csis (part 1)"),
        ("no-sucks", 4, "csis a part 2: 'sucks' in 'it sucks' (thread part 2)"),
    ]


def test_a_thread_whose_opening_passes_every_rule_is_still_checked_to_its_last_part(repo: ContentRepo) -> None:
    # two rules, so that each part is first checked against both at once: a first part that passes them all
    # must not vouch for the rest, and the phrase hides in the third part, behind a clean second
    policy(repo, NO_SUCKS, "  - id: no-darn\n    message: 'darn in part {part}'\n"
                           "    schema: {properties: {facts: {properties: {text: {not: {pattern: darn}}}}}}\n")
    repo.write("posts/csis/a.yaml", "account: csis\ntext: one\nthread:\n  - text: two\n  - text: it sucks\n")
    assert [(f.rule, f.line, f.message) for f in repo.lint().findings] == [
        ("no-sucks", 5, "csis a part 3: 'sucks' in 'it sucks' (thread part 3)")]


def test_a_post_that_is_not_a_mapping_is_a_schema_finding_not_a_crash(repo: ContentRepo) -> None:
    policy(repo, NO_SUCKS)
    repo.write("posts/csis/a.yaml", "- account: csis\n- text: this sucks\n")
    assert {f.rule for f in repo.lint().findings} == {"post-schema"}


def test_tone_facts_are_those_of_each_part_as_a_reader_sees_it(repo: ContentRepo) -> None:
    # VADER scores "awful, terrible, horrible" far below -0.5; in full-width letters (as a reader sees
    # them once Unicode compatibility forms are folded) it is the same text
    policy(repo, "  - id: not-grim\n    message: 'grim part {part}'\n"
                 "    schema: {properties: {facts: {properties: {sentiment: {minimum: -0.5}}}}}\n")
    repo.write("posts/csis/a.yaml", "account: csis\ntext: The report is out\nthread:\n"
                                    "  - text: An ａｗｆｕｌ, ｔｅｒｒｉｂｌｅ, ｈｏｒｒｉｂｌｅ day\n")
    assert [(f.rule, f.line, f.message) for f in repo.lint().findings] == [
        ("not-grim", 4, "grim part 2 (thread part 2)")]


def test_a_tone_policy_whose_library_is_missing_names_the_rule(repo: ContentRepo,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from postops.lint.tone import ToneUnavailable

    policy(repo, "  - id: not-grim\n    schema: {properties: {facts: {properties: {sentiment: {minimum: -0.5}}}}}\n")
    repo.write("posts/csis/a.yaml", "account: csis\ntext: The report is out\n")
    find_spec = importlib.util.find_spec
    # a package that is not installed has no module spec; the policy only needs vaderSentiment
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "profanity_check" else find_spec(name, *a))
    assert repo.lint().findings == ()
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "vaderSentiment" else find_spec(name, *a))
    with pytest.raises(ToneUnavailable) as raised:
        repo.lint()
    assert (raised.value.path, raised.value.line, raised.value.column) == ("policies/p.yaml", 2, 1)
    assert raised.value.message == ("rule 'not-grim': the fact 'sentiment' needs vaderSentiment (not installed); "
                                    "install the tone extra: pip install 'postops[tone]'")


OFFENSIVE = "  - id: civil\n    schema: {properties: {facts: {properties: {offensive: {exclusiveMaximum: 0.5}}}}}\n"


def test_the_offensive_models_weights_are_kept_in_the_lint_cache_and_only_with_it(
        repo: ContentRepo, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    from postops.lint import tone
    from postops.lint.engine import run_lint
    from postops.repo.config import load_config

    # architecture.md: the weights are extracted once and kept as JSON in .postops/cache/tone/
    policy(repo, OFFENSIVE)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: The report is out\n")
    monkeypatch.setattr(tone, "_predict_prob", None)   # the model is loaded afresh, as in a new process
    assert repo.lint().findings == ()
    assert len(list((repo.root / ".postops/cache/tone").glob("offensive-*.json"))) == 1

    other = ContentRepo(tmp_path_factory.mktemp("no-cache"))
    policy(other, OFFENSIVE)
    other.write("posts/csis/a.yaml", "account: csis\ntext: The report is out\n")
    monkeypatch.setattr(tone, "_predict_prob", None)
    assert run_lint(other.root, load_config(other.root), cache=False).findings == ()
    assert not (other.root / ".postops").exists()   # --no-cache neither reads nor writes anything there


def test_tone_facts_in_parallel_lint_are_those_of_sequential_lint(repo: ContentRepo,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    policy(repo, "  - id: not-grim\n    schema: {properties: {facts: {properties: {sentiment: {minimum: -0.5}}}}}\n")
    for i in range(6):
        text = "An awful, terrible, horrible day" if i % 2 else "The report is out"
        repo.write(f"posts/csis/p{i}.yaml", f"account: csis\ntext: {text}\n")
    sequential = repo.lint()
    (repo.root / ".postops").rename(repo.root / "old-cache")   # lint everything again
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 2)
    parallel = repo.lint()
    assert parallel == sequential
    assert [f.path for f in parallel.findings] == [f"posts/csis/p{i}.yaml" for i in (1, 3, 5)]


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods(),
                    reason="lint forks workers only with two cores or more")
def test_lint_of_many_files_runs_in_worker_processes_and_of_few_in_this_one(
        repo: ContentRepo, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # each process that lints files leaves its pid in a folder: forked workers cannot tell this one otherwise
    pids = tmp_path_factory.mktemp("pids")
    lint_files = engine._lint_files

    def noting_pid(*args: Any) -> Any:
        (pids / str(os.getpid())).touch()
        return lint_files(*args)

    monkeypatch.setattr(engine, "_lint_files", noting_pid)
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 4)
    for i in range(4):
        repo.write(f"posts/csis/p{i}.yaml", f"account: csis\ntext: key {KEY}\n")

    def linted_in() -> set[int]:
        for old in pids.iterdir():
            old.unlink()
        shutil.rmtree(repo.root / ".postops", ignore_errors=True)   # every file linted, none from the cache
        assert len(repo.lint().findings) == len(list((repo.root / "posts/csis").iterdir()))
        return {int(p.name) for p in pids.iterdir()}

    assert os.getpid() not in linted_in()          # at the threshold: only workers lint
    (repo.root / "posts/csis/p3.yaml").unlink()
    assert linted_in() == {os.getpid()}            # below it: this process alone


def test_a_folder_under_posts_that_is_a_link_is_a_parse_finding_unless_parse_is_off(
        repo: ContentRepo, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "a.yaml").write_text(f"account: csis\ntext: key {KEY}\n")
    (repo.root / "posts").mkdir()
    (repo.root / "posts/csis").symlink_to(elsewhere, target_is_directory=True)
    assert repo.lint().findings == (Finding(
        "posts/csis", 1, 1, "parse", "error", "folder is a symbolic link: its posts are neither linted nor "
        "published; a post must be a file in the repository, reviewed as it is"),)
    policy(repo, "  - id: parse\n    severity: \"off\"\n")
    assert repo.lint().findings == ()


QUIET_HOURS = """\
  - id: quiet-hours
    message: "scheduled at {value}; nothing goes out between 22:00 and 07:00"
    schema:
      properties: {facts: {properties: {local_time: {pattern: '^(0[7-9]|1[0-9]|2[01]):'}}}}
"""


def test_a_post_without_publish_at_is_judged_at_its_merge_time_plus_min_lead(repo: ContentRepo) -> None:
    from datetime import datetime

    from postops.lint.engine import run_lint
    from postops.repo.config import load_config

    # docs/policies.md's quiet hours; merged at 02:50 New York time, min_lead 10 minutes: it goes out at 03:00
    policy(repo, QUIET_HOURS, NO_SUCKS)
    repo.write("posts/csis/late.yaml", "account: csis\ntext: it sucks\n")
    repo.write("posts/csis/timed.yaml", "account: csis\npublish_at: 2026-03-02T10:00:00-05:00\ntext: hello\n")
    repo.write_bytes("posts/csis/broken.yaml", b"\x00")
    asked: list[tuple[str, tuple[str, ...]]] = []

    def merge_times(posts: Any) -> dict[str, datetime]:
        asked.extend(posts)
        return {path: datetime.fromisoformat("2026-03-02T02:50:00-05:00") for path, _ in posts}

    result = run_lint(repo.root, load_config(repo.root), merge_times=merge_times)
    assert asked == [("posts/csis/late.yaml", ())]   # only the post whose time is its merge
    assert [(f.path, f.rule, f.message) for f in result.findings] == [
        ("posts/csis/broken.yaml", "parse", "file is binary, not YAML text"),
        ("posts/csis/late.yaml", "quiet-hours", "scheduled at 03:00; nothing goes out between 22:00 and 07:00 "
         "(judged at 2026-03-02T03:00:00-05:00: it has no publish_at, so it goes out at its merge time plus "
         "min_lead)"),
        ("posts/csis/late.yaml", "no-sucks", "csis late part 1: 'sucks' in 'it sucks'"),   # not about time
    ]
