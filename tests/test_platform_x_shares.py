"""Reposts, quote posts and polls on X, against the real tweepy client, with HTTP shaped as X's API reference
documents it: POST /2/users/:id/retweets answers {"data": {"retweeted": true}}, DELETE of it
{"data": {"retweeted": false}} (also when there was none), a post's `poll` and `quote_tweet_id` go in the
body of POST /2/tweets, and the user timeline lists retweets and quotes with their `referenced_tweets`."""

from __future__ import annotations

import platformfixtures
import pytest
from platformfixtures import body, calls_to
from test_platform_x import (
    ACCOUNT,
    ENV,
    ME,
    NOW,
    TIMELINE,
    TWEETS,
    USER_ID,
    created,
    me,
    part,
    timeline,
    x_error,
)

from postops.platforms.base import PollRequest, Published
from postops.platforms.x import XPlatform

RETWEETS = f"https://api.twitter.com/2/users/{USER_ID}/retweets"
SOURCE = "1850000000000000042"
SOURCE_URL = f"https://x.com/partner/status/{SOURCE}"

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
http, sleeps = platformfixtures.http, platformfixtures.sleeps


@pytest.fixture
def make(tmp_path, sleeps):
    return platformfixtures.adapter_factory(XPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def test_a_repost_is_a_retweet_of_the_post_the_url_names(http, make):
    http.post(RETWEETS, json={"data": {"retweeted": True}})

    result = make().publish(part("", repost=SOURCE_URL))

    assert body(calls_to(http, "POST", RETWEETS)[0]) == {"tweet_id": SOURCE}
    assert result.platform_id == f"repost:{SOURCE}"
    assert result.url == SOURCE_URL
    assert calls_to(http, "POST", TWEETS) == []


def test_retracting_a_repost_undoes_the_retweet(http, make):
    http.delete(f"{RETWEETS}/{SOURCE}", json={"data": {"retweeted": False}})

    make().delete(f"repost:{SOURCE}")

    assert len(calls_to(http, "DELETE", f"{RETWEETS}/{SOURCE}")) == 1


def test_a_quote_post_names_the_quoted_post(http, make):
    http.post(TWEETS, **created("1861000000000000003"))

    make().publish(part("Worth reading.", quote=SOURCE_URL))

    assert body(calls_to(http, "POST", TWEETS)[0]) == {"text": "Worth reading.", "quote_tweet_id": SOURCE}


def test_a_poll_goes_with_the_post(http, make):
    http.post(TWEETS, **created("1861000000000000004"))

    make().publish(part("Tabs or spaces?", poll=PollRequest(("Tabs", "Spaces"), 1440)))

    assert body(calls_to(http, "POST", TWEETS)[0]) == {
        "text": "Tabs or spaces?", "poll": {"options": ["Tabs", "Spaces"], "duration_minutes": 1440}}


def test_a_repost_whose_run_died_is_found_on_the_timeline(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000009", "created_at": "2026-11-24T14:00:03.000Z", "text": "RT @partner: Our study",
         "referenced_tweets": [{"type": "retweeted", "id": SOURCE}]}))

    found = make().lookup(part("", repost=SOURCE_URL), claimed_at=NOW)

    assert found is not None and found.platform_id == f"repost:{SOURCE}"


def test_a_repost_not_on_the_timeline_was_not_made(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000009", "created_at": "2026-11-24T14:00:03.000Z", "text": "RT @other: x",
         "referenced_tweets": [{"type": "retweeted", "id": "1850000000000000099"}]}))

    assert make().lookup(part("", repost=SOURCE_URL), claimed_at=NOW) is None


def test_a_quote_is_found_only_with_the_post_it_quotes(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000010", "created_at": "2026-11-24T14:00:03.000Z", "text": "Worth reading.",
         "referenced_tweets": [{"type": "quoted", "id": "1850000000000000099"}]},
        {"id": "1861000000000000011", "created_at": "2026-11-24T14:00:02.000Z", "text": "Worth reading.",
         "referenced_tweets": [{"type": "quoted", "id": SOURCE}]}))

    found = make().lookup(part("Worth reading.", quote=SOURCE_URL), claimed_at=NOW)

    assert found == Published("1861000000000000011", "https://x.com/CSIS/status/1861000000000000011",
                              found.published_at if found else None)


def test_a_repost_after_an_unanswered_attempt_is_not_made_twice(http, make, sleeps):
    http.post(RETWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000012", "created_at": "2026-11-24T14:00:01.000Z", "text": "RT @partner: Our study",
         "referenced_tweets": [{"type": "retweeted", "id": SOURCE}]}))

    result = make().publish(part("", repost=SOURCE))

    assert result.platform_id == f"repost:{SOURCE}"
    assert len(calls_to(http, "POST", RETWEETS)) == 1


def test_the_accounts_retweets_are_listed_by_what_they_retweet_as_the_ledger_knows_them(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000013", "created_at": "2026-11-24T14:00:03.000Z", "text": "RT @partner: Our study",
         "referenced_tweets": [{"type": "retweeted", "id": SOURCE}]},
        {"id": "1861000000000000014", "created_at": "2026-11-24T14:00:04.000Z", "text": "Our own words"}))

    posts = make().recent(NOW)

    assert sorted(p.platform_id for p in posts) == ["1861000000000000014", f"repost:{SOURCE}"]
