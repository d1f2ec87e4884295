"""The secret-in-text rule knows the token shapes of every platform and forge postops works with."""

from __future__ import annotations

import pytest

TOKENS = {
    "GitLab token": "glpat-" + "xY9_" * 5,
    "GitLab token (deploy)": "gldt-" + "Ab3d" * 5,
    "GitLab token (runner registration)": "GR1348941" + "aB3dE" * 4,
    "Bluesky app password": "abcd-12ef-gh34-ijkl",
    "Facebook access token": "EAA" + "BwzLixnjYBO" * 7,
    "LinkedIn access token": "AQV" + "dGhpcyBpcyBub3QgYSByZWFs" * 7,
    "GitHub token": "github_pat_11ABCDEFG0" + "aZ09_" * 12,
    "GitHub token (OAuth)": "gho_" + "a1B2" * 9,
    "X access token": "1234567890-" + "AbCdEfGhIj" * 4,
}


def secret_findings(repo, text):
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: |-\n  New post!\n  key {text} oops\n")
    return [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == "secret-in-text"]


@pytest.mark.parametrize("name", sorted(TOKENS))
def test_every_platform_and_forge_token_shape_is_found(repo, name):
    got = secret_findings(repo, TOKENS[name])
    assert [(line, column) for line, column, _ in got] == [(4, 7)]
    assert name.split(" (")[0] in got[0][2]
    assert TOKENS[name] not in got[0][2]


@pytest.mark.parametrize("text", [
    "2024-2025-2026-2027",             # years, not an app password
    "the well-made-plan-here",         # words joined by dashes
    "abcd-efgh-ijkl-mnop-qrst",        # five groups
    "EAA conference 2026",
    "AQ is an airport code",
    "call 555-1234 today",
])
def test_ordinary_text_is_no_token(repo, text):
    assert secret_findings(repo, text) == []
