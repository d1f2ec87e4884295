"""Lint says what each platform will say: every expected answer here comes from the platform's documented rules,
cited beside it, never from postops' own counting."""

from __future__ import annotations

import shutil

import pytest
from conftest import CONFIG
from mediafixtures import MP4

from postops.errors import ConfigError
from postops.repo.config import load_config

# U+1F468 U+200D U+1F469 U+200D U+1F467 U+200D U+1F466, "family": one grapheme cluster (UAX #29, rule GB11),
# 4 emoji of 4 UTF-8 bytes and 3 joiners of 3 bytes = 25 bytes.
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"
# "woman technologist: medium skin tone", U+1F469 U+1F3FD U+200D U+1F4BB: one grapheme cluster, 4 code points.
TECHNOLOGIST = "\U0001F469\U0001F3FD\u200d\U0001F4BB"
THUMBS = "\U0001F44D\U0001F3FD"   # thumbs up with a skin tone: one grapheme cluster, 2 code points

ACCOUNTS = """\
  premium:
    platform: x
    premium: true
  big:
    platform: mastodon
    instance: https://mastodon.example
    max_characters: 1000
"""


def findings(repo, rule="text-length"):
    return [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == rule]


def lint_text(repo, account: str, text: str):
    repo.write("postops.yaml", CONFIG + ACCOUNTS)
    shutil.rmtree(repo.root / "posts", ignore_errors=True)  # one post at a time
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: \"{text}\"\n")
    return findings(repo)


# -- Bluesky -----------------------------------------------------------------------------------------
# app.bsky.feed.post (https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json):
# "text": {"type": "string", "maxLength": 3000, "maxGraphemes": 300}; Lexicon string lengths are UTF-8 bytes
# (https://atproto.com/specs/lexicon#string-formats: "maxLength ... counted as UTF-8 bytes").

def test_bluesky_text_over_3000_bytes_is_refused_although_it_has_few_graphemes(repo):
    assert lint_text(repo, "sky", FAMILY * 200) == [
        (2, 7, "text is 5,000/3,000 UTF-8 bytes on Bluesky (account sky)")]


def test_bluesky_text_of_exactly_300_graphemes_and_3000_bytes_passes(repo):
    assert lint_text(repo, "sky", FAMILY * 100 + "a" * 200) == []      # 300 graphemes, 2,700 bytes
    assert lint_text(repo, "sky", "é" * 300) == []                      # 600 bytes
    assert lint_text(repo, "sky", FAMILY * 120) == []                   # exactly 3,000 bytes
    assert lint_text(repo, "sky", FAMILY * 120 + "a") == [
        (2, 7, "text is 3,001/3,000 UTF-8 bytes on Bluesky (account sky)")]


def test_bluesky_refuses_video_that_publish_could_not_send(repo):
    repo.write_bytes("media/clip.mp4", MP4)
    repo.write("posts/sky/p.yaml", "account: sky\ntext: Watch\nmedia:\n  - path: media/clip.mp4\n    alt: A clip\n")
    assert findings(repo, "media") == [(4, 11, "media 'media/clip.mp4' is a video; postops cannot post videos "
                                               "to Bluesky")]


# -- Mastodon ----------------------------------------------------------------------------------------
# https://docs.joinmastodon.org/user/posting/#text: up to 500 characters by default; "URLs in text always count for
# 23 characters"; a mention of a remote account counts only its username. Mastodon's StatusLengthValidator counts
# `each_grapheme_cluster` and gives the URL concession only to links written with their scheme
# (extract_url_without_protocol: false), so a bare domain counts in full.

def test_mastodon_counts_grapheme_clusters_not_code_points(repo):
    text = (TECHNOLOGIST + THUMBS) * 250                                  # 500 clusters, 1,500 code points
    assert lint_text(repo, "social", text) == []
    assert lint_text(repo, "social", text + THUMBS) == [
        (2, 7, "text is 501/500 characters on Mastodon (account social)")]


def test_mastodon_counts_a_link_without_its_scheme_in_full(repo):
    path = "a" * 100
    with_scheme = "x" * 400 + " https://example.org/" + path            # 400 + 1 + 23 = 424
    assert lint_text(repo, "social", with_scheme) == []
    bare = "x" * 400 + " example.org/" + path                            # 400 + 1 + 12 + 100 = 513
    assert lint_text(repo, "social", bare) == [(2, 7, "text is 513/500 characters on Mastodon (account social)")]


def test_mastodon_remote_mention_counts_its_username_only(repo):
    # "@csis@mastodon.example" counts as "@csis": 5
    assert lint_text(repo, "social", "x" * 494 + " @csis@mastodon.example") == []
    assert lint_text(repo, "social", "x" * 495 + " @csis@mastodon.example") == [
        (2, 7, "text is 501/500 characters on Mastodon (account social)")]


def test_mastodon_instance_limit_from_postops_yaml(repo):
    # configuration.statuses.max_characters of GET /api/v2/instance
    # (https://docs.joinmastodon.org/entities/Instance/#statuses) is each server's own; postops.yaml says it.
    assert lint_text(repo, "big", "x" * 1000) == []
    assert lint_text(repo, "big", "x" * 1001) == [(2, 7, "text is 1001/1000 characters on Mastodon (account big)")]
    assert lint_text(repo, "social", "x" * 501) == [(2, 7, "text is 501/500 characters on Mastodon (account social)")]


# -- X -----------------------------------------------------------------------------------------------
# https://help.x.com/en/using-x/x-premium: Premium subscribers "can post up to 25,000 characters"; others 280
# (https://docs.x.com/resources/fundamentals/counting-characters).

def test_x_premium_account_posts_up_to_25000_characters(repo):
    assert lint_text(repo, "premium", "x" * 25000) == []
    assert lint_text(repo, "premium", "x" * 25001) == [
        (2, 7, "text is 25001/25000 weighted characters on X (account premium)")]
    assert lint_text(repo, "csis", "x" * 1000) == [(2, 7, "text is 1000/280 weighted characters on X (account csis)")]


@pytest.mark.parametrize(("option", "value", "platform"), [("premium", "true", "mastodon"),
                                                           ("max_characters", "1000", "x"),
                                                           ("limits", "{statuses: {max_characters: 1000}}", "x")])
def test_a_platform_option_on_another_platform_is_refused(repo, option, value, platform):
    extra = "    instance: https://mastodon.example\n" if platform == "mastodon" else ""
    repo.write("postops.yaml", CONFIG + f"  other:\n    platform: {platform}\n{extra}    {option}: {value}\n")
    with pytest.raises(ConfigError, match=f"`{option}` is for"):
        load_config(repo.root)


# A Bluesky post is named by its bsky.app link or by its at:// URI, at://<did or handle>/app.bsky.feed.post/<rkey>
# (https://atproto.com/specs/at-uri-scheme; https://docs.bsky.app/docs/advanced-guides/posts#replies): both are
# accepted by lint, and only on Bluesky.
@pytest.mark.parametrize(("account", "target", "ok"), [
    ("sky", "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l3qo2vuowo2b", True),
    ("sky", "at://partner.bsky.social/app.bsky.feed.post/3l3qo2vuowo2b", True),
    ("sky", "https://bsky.app/profile/partner.bsky.social/post/3l3qo2vuowo2b", True),
    ("sky", "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.actor.profile/self", False),
    ("csis", "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l3qo2vuowo2b", False),
])
def test_bluesky_reply_to_as_link_or_at_uri(repo, account, target, ok):
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: reply\nreply_to: \"{target}\"\n")
    assert (findings(repo, "reply-target") == []) == ok
