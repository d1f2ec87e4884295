"""Boosts, quotes and polls on Mastodon, with HTTP shaped as Mastodon's API documentation describes it:
POST /api/v1/statuses/:id/reblog answers the boost (a Status whose `reblog` is the original), POST
.../unreblog the original; a status on another server is found by GET /api/v2/search?resolve=true;
`poll[options][]`, `poll[expires_in]` (seconds) and `quoted_status_id` go in the form of POST
/api/v1/statuses; GET /api/v1/statuses/:id says `reblogged` for the account asking."""

from __future__ import annotations

import platformfixtures
import pytest
from platformfixtures import adapter_factory, calls_to
from test_platform_mastodon import ACCOUNT, BASE, ENV, NOW, STATUSES, form, part, status

from postops.platforms.base import PollRequest
from postops.platforms.mastodon import MastodonPlatform

http, sleeps = platformfixtures.http, platformfixtures.sleeps
SEARCH = f"{BASE}/api/v2/search"
REMOTE_URL = "https://partner.example/@research/112000000000000777"
LOCAL_ID = "113500000000000042"       # the same status, as this server knows it


@pytest.fixture
def make(tmp_path, sleeps):
    return adapter_factory(MastodonPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def found(status_id: str = LOCAL_ID) -> dict:
    return {"json": {"accounts": [], "hashtags": [], "statuses": [status(status_id, url=REMOTE_URL)]}}


def test_a_repost_is_a_boost_of_the_status_found_on_this_server(http, make):
    http.get(SEARCH, **found())
    http.post(f"{STATUSES}/{LOCAL_ID}/reblog",
              json=status("113541234567890077", content="", reblog=status(LOCAL_ID, url=REMOTE_URL)))

    result = make().publish(part("", repost=REMOTE_URL))

    (search,) = calls_to(http, "GET", SEARCH)
    assert "resolve=true" in search.request.url and "type=statuses" in search.request.url
    assert result.platform_id == f"repost:{LOCAL_ID}"
    assert result.url == REMOTE_URL
    assert calls_to(http, "POST", STATUSES) == []


def test_retracting_a_boost_unreblogs(http, make):
    http.post(f"{STATUSES}/{LOCAL_ID}/unreblog", json=status(LOCAL_ID))

    make().delete(f"repost:{LOCAL_ID}")

    assert len(calls_to(http, "POST", f"{STATUSES}/{LOCAL_ID}/unreblog")) == 1


def test_a_poll_and_a_quote_go_in_the_form(http, make):
    http.get(SEARCH, **found())
    http.post(STATUSES, json=status())

    make().publish(part("Tabs or spaces?", quote=REMOTE_URL, poll=PollRequest(("Tabs", "Spaces"), 1440)))

    sent = form(calls_to(http, "POST", STATUSES)[0])
    assert sent["poll[options][]"] == ["Tabs", "Spaces"]
    assert sent["poll[expires_in]"] == ["86400"]
    assert sent["quoted_status_id"] == [LOCAL_ID]


def test_a_boost_whose_run_died_is_found_by_reblogged(http, make):
    http.get(SEARCH, **found())
    http.get(f"{STATUSES}/{LOCAL_ID}", json=status(LOCAL_ID, url=REMOTE_URL, reblogged=True))

    result = make().lookup(part("", repost=REMOTE_URL), claimed_at=NOW)

    assert result is not None and result.platform_id == f"repost:{LOCAL_ID}"


def test_a_boost_that_was_not_made_is_not_found(http, make):
    http.get(f"{STATUSES}/{LOCAL_ID}", json=status(LOCAL_ID, reblogged=False))

    assert make().lookup(part("", repost=LOCAL_ID), claimed_at=NOW) is None


def test_retracting_a_boost_that_is_already_undone_succeeds(http, make):
    http.post(f"{STATUSES}/{LOCAL_ID}/unreblog", json={"error": "Record not found"}, status=404)

    make().delete(f"repost:{LOCAL_ID}")
