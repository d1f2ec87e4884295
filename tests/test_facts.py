from __future__ import annotations

import pytest
from twitter_text import parse_tweet

from postops.lint.facts import local_time_facts, measure, part_facts
from postops.repo.posts import parse_publish_at

SAMPLES = [
    "Our new report on energy security is out today. https://www.csis.org/analysis/x #energy",
    "see csis.org and www.example.com/path?q=1 and https://t.co/abc",
    "no links at all, just words... and an ellipsis.",
    "a" * 400,
    "email me at someone@example.org or visit example.org.",
    "two urls: https://a.com/" + "b" * 100 + " http://c.org",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_ascii_fast_path_agrees_with_twitter_text(text):
    assert measure(text).x == parse_tweet(text).weightedLength


@pytest.mark.parametrize(("text", "x", "bluesky"), [
    ("héllo wörld", 11, 11),
    ("日本語", 6, 3),
    ("👍🏽👨‍👩‍👧", 4, 2),
])
def test_non_ascii_lengths(text, x, bluesky):
    measured = measure(text)
    assert (measured.x, measured.bluesky) == (x, bluesky)


def test_mastodon_counts_remote_mentions_by_user_and_urls_as_23():
    text = "hi @alice@social.example see https://example.com/" + "x" * 50
    assert measure(text).mastodon == len("hi @alice see ") + 23


def test_text_facts():
    from postops.repo.config import Account
    from postops.repo.posts import Media, Part, Post
    from postops.repo.yamlfile import parse

    text = "Thanks @Energy_Dept and @alice@social.example! #Energy #energy2026 https://www.CSIS.org/x Don't"
    doc = parse(f"account: csis\ntext: {text!r}\n".encode(), "posts/csis/p.yaml")
    part = Part(0, text, (Media("media/a.png", None, ("media", 0)), Media("media/b.png", "alt", ("media", 1))),
                ("text",))
    post = Post("p", "posts/csis/p.yaml", ("csis",), (part,), parse_publish_at("2026-11-28T23:30:00Z", "UTC"),
                None, ("press",), doc.data, doc)
    facts = part_facts(post, part, Account("csis", "x", timezone="America/New_York"), "csis").values
    assert facts["mentions"] == ["@energy_dept", "@alice@social.example"]
    assert facts["hashtags"] == ["energy", "energy2026"]
    assert facts["domains"] == ["www.csis.org"]
    assert "don't" in facts["words"] and "thanks" in facts["words"]
    assert facts["text"] == text.lower()
    assert (facts["media_count"], facts["media_missing_alt"]) == (2, ["media/a.png"])
    assert (facts["hour"], facts["weekday"], facts["local_time"]) == (18, "saturday", "18:30")
    assert (facts["account"], facts["platform"], facts["folder"], facts["labels"]) == ("csis", "x", "csis", ["press"])


def test_no_publish_at_means_no_time_facts():
    assert local_time_facts(None, "UTC") == {"hour": None, "minute": None, "weekday": None, "local_time": None,
                                             "date": None}


def test_length_on_each_platform():
    from postops.lint.facts import length_on

    text = "Report: https://example.org/" + "r" * 80
    assert length_on("x", text) == "31/280 weighted characters"
    assert length_on("mastodon", text) == "31/500 characters"
    assert length_on("bluesky", text) == f"{len(text)}/300 graphemes"
    assert length_on("outbox", text) is None
