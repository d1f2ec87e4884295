"""Alt text fits what each platform takes (X: 1,000 characters; Mastodon: 1,500)."""

from __future__ import annotations

import pytest
from mediafixtures import image


def alt_post(account: str, alt: str) -> str:
    return f"account: {account}\ntext: The chart\nmedia:\n  - path: media/chart.png\n    alt: {alt}\n"


@pytest.mark.parametrize(("account", "limit", "name"), [("csis", 1000, "X"), ("social", 1500, "Mastodon")])
def test_alt_text_over_the_platform_limit_is_an_error(repo, account, limit, name):
    repo.write_bytes("media/chart.png", image("PNG"))
    repo.write(f"posts/{account}/a.yaml", alt_post(account, "a" * (limit + 1)))
    found = [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == "media"]
    assert found == [(5, 10, f"alt text of 'media/chart.png' is {limit + 1:,} characters; {name} takes at most "
                             f"{limit:,}")]


@pytest.mark.parametrize(("account", "limit"), [("csis", 1000), ("social", 1500), ("sky", 5000)])
def test_alt_text_within_the_limit_passes(repo, account, limit):
    repo.write_bytes("media/chart.png", image("PNG"))
    repo.write(f"posts/{account}/a.yaml", alt_post(account, "a" * limit))
    assert [f for f in repo.lint().findings if f.rule == "media"] == []
