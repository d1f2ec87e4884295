"""lint_text: how `postops watch` judges a post made outside postops, with the organisation's policies and the
platform's text rules, pointing into `posts/<account>/unmanaged.yaml`, whose text is the quoted value on line 2
(the quote at column 7, the text from column 8). Expected lengths come from the platforms' documented limits."""

from __future__ import annotations

from conftest import CONFIG, ContentRepo

from postops.lint.engine import lint_text
from postops.repo.config import load_config

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"   # the example access key id of AWS's documentation
NO_SUCKS = """\
rules:
  - id: no-sucks
    schema: {properties: {facts: {properties: {text: {not: {pattern: sucks}}}}}}
"""


def judged(repo: ContentRepo, account: str, text: str) -> list[tuple[str, int, int, str]]:
    findings = lint_text(repo.root, load_config(repo.root), account, text)
    assert {f.path for f in findings} <= {f"posts/{account}/unmanaged.yaml"}
    return [(f.rule, f.line, f.column, f.message) for f in findings]


def test_the_platform_limit_of_the_account_is_applied(repo: ContentRepo) -> None:
    # X: 280 weighted characters, a Latin letter weighing 1; Mastodon: 500 characters
    assert judged(repo, "csis", "x" * 280) == []
    assert judged(repo, "csis", "x" * 281) == [
        ("text-length", 2, 7, "text is 281/280 weighted characters on X (account csis)")]
    assert judged(repo, "social", "x" * 281) == []
    assert judged(repo, "social", "x" * 501) == [
        ("text-length", 2, 7, "text is 501/500 characters on Mastodon (account social)")]


def test_a_text_bigger_than_any_post_file_may_be_is_still_judged(repo: ContentRepo) -> None:
    # lint's file size limit guards the repository; a post made elsewhere is judged whatever its size
    repo.write("postops.yaml", CONFIG + "lint:\n  max_file_bytes: 1000\n")
    assert judged(repo, "social", "x" * 2000) == [
        ("text-length", 2, 7, "text is 2000/500 characters on Mastodon (account social)")]
    huge = 1024 * 1024 + 1   # over the default limit of one MiB as well
    assert judged(repo, "csis", "x" * huge) == [
        ("text-length", 2, 7, f"text is {huge}/280 weighted characters on X (account csis)")]


def test_findings_point_at_the_character_in_the_text(repo: ContentRepo) -> None:
    repo.write("policies/p.yaml", NO_SUCKS)
    # columns count characters: "Café " is five of them, whatever its bytes or escapes
    assert judged(repo, "csis", f"Café sucks {AWS_KEY}") == [
        ("no-sucks", 2, 13, "breaks policy no-sucks"),
        ("secret-in-text", 2, 19,
         "text contains what looks like an AWS access key id (AKIAIO…); remove it and revoke the secret"),
    ]


def test_only_text_rules_and_the_organisations_policies_are_judged(repo: ContentRepo) -> None:
    # text-bounds guards postops' own link detection in post files: it says nothing of a post made elsewhere
    repo.write("policies/p.yaml", NO_SUCKS)
    dotted = "a.b.c.d.e.f.g.h.i.j.k.l"   # 11 dots in a row: a text-bounds error in a post file
    assert judged(repo, "csis", f"this sucks {dotted}") == [("no-sucks", 2, 13, "breaks policy no-sucks")]
    assert judged(repo, "csis", f"this is fine {dotted}") == []


def test_a_policy_for_another_account_is_not_applied(repo: ContentRepo) -> None:
    repo.write("policies/p.yaml", NO_SUCKS + "    applies_to: {accounts: [social]}\n")
    assert judged(repo, "csis", "this sucks") == []
    assert judged(repo, "social", "this sucks") == [("no-sucks", 2, 13, "breaks policy no-sucks")]


def test_a_tone_policy_judges_the_text(repo: ContentRepo) -> None:
    # VADER scores "awful, terrible, horrible" far below -0.5 and a neutral statement at 0
    repo.write("policies/p.yaml", "rules:\n  - id: not-grim\n    schema: {properties: {facts: {properties: "
                                  "{sentiment: {minimum: -0.5}}}}}\n")
    [(rule, line, column, _)] = judged(repo, "csis", "An awful, terrible, horrible day")
    assert (rule, line, column) == ("not-grim", 2, 8)   # the first character of the text
    assert judged(repo, "csis", "The report is out today") == []
