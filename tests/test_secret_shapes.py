"""The secret-in-text rule knows the token shapes of every platform and forge postops works with."""

from __future__ import annotations

import re

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


SHORTEST = {   # the shortest text each pattern accepts
    "AWS access key id": "AKIA" + "A" * 16,
    "GitHub token": "ghp_" + "a" * 36,
    "Slack token": "xoxb-" + "1" * 10,
    "Google API key": "AIza" + "a" * 35,
    "Stripe secret key": "sk_live_" + "a" * 20,
    "private key": "-----BEGIN PRIVATE KEY-----",
    "X bearer token": "A" * 21 + "a" * 30,
    "JSON web token": "eyJ" + "a" * 10 + ".eyJ" + "a" * 10 + "." + "a" * 10,
    "OpenAI API key": "sk-" + "a" * 32,
    "Mastodon/OAuth access token in a URL": "?access_token=" + "a.b." * 4,
    "GitLab token": "gldt-" + "a" * 20,
    "Bluesky app password": "ab1d-12ef-gh34-ijkl",
    "Facebook access token": "EAA" + "a" * 60,
    "LinkedIn access token": "AQ" + "a" * 150,
    "X access token": "1234-" + "a" * 40,
}


def test_the_quick_look_before_the_full_pattern_never_skips_a_secret() -> None:
    """The rule looks for a run of token characters before trying every pattern: each pattern's shortest
    match contains one, so the quick look can only skip text that holds no secret."""
    from postops.lint.rules.secret_in_text import _MAY_HOLD_SECRET, SECRET_PATTERNS

    assert set(SHORTEST) == set(SECRET_PATTERNS)
    for name, text in SHORTEST.items():
        assert re.search(SECRET_PATTERNS[name], f"x {text} y"), name
        assert _MAY_HOLD_SECRET.search(f"x {text} y"), name
        shorter = text[:-1]
        assert not re.search(SECRET_PATTERNS[name], f"x {shorter} y") or name == "private key", name
