"""Reposts and quotes on Bluesky, with XRPC shaped as the AT Protocol lexicons describe it: a repost is an
app.bsky.feed.repost record whose `subject` is the reposted post's strong reference (uri and cid), a quote
a post whose `embed` is app.bsky.embed.record (app.bsky.embed.recordWithMedia beside images); getRecord
answers uri, cid and value, or RecordNotFound."""

from __future__ import annotations

import platformfixtures
import pytest
from platformfixtures import adapter_factory, body
from test_platform_bluesky import (
    ACCOUNT,
    CREATE_RECORD,
    DELETE_RECORD,
    DID,
    ENV,
    GET_RECORD,
    NOT_FOUND,
    NOW,
    RESOLVE_HANDLE,
    calls_to,
    created,
    part,
    query,
    record,
    signed_in,
    uri,
)

from postops.platforms.bluesky import BlueskyPlatform, record_key

http, sleeps = platformfixtures.http, platformfixtures.sleeps
OTHER = "did:plc:partner"
LINK = "https://bsky.app/profile/partner.org/post/3lpartnerpost"
THEIRS = {"uri": uri("3lpartnerpost", OTHER), "cid": "bafyreitheirs"}


@pytest.fixture
def make(tmp_path, sleeps):
    return adapter_factory(BlueskyPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def repost_record(rkey: str, subject: dict) -> dict:
    return {"json": {"uri": f"at://{DID}/app.bsky.feed.repost/{rkey}", "cid": "bafyreirepost",
                     "value": {"$type": "app.bsky.feed.repost", "subject": subject,
                               "createdAt": "2026-11-24T14:00:01.500Z"}}}


def test_a_repost_is_a_repost_record_with_the_posts_strong_reference(http, make):
    signed_in(http)
    http.get(RESOLVE_HANDLE, json={"did": OTHER})
    http.get(GET_RECORD, **record("3lpartnerpost", cid="bafyreitheirs", did=OTHER))
    request = part("", repost=LINK)
    rkey = record_key(request)
    http.post(CREATE_RECORD, json={"uri": f"at://{DID}/app.bsky.feed.repost/{rkey}", "cid": "bafyreirepost"})

    result = make().publish(request)

    sent = body(calls_to(http, CREATE_RECORD)[0])
    assert (sent["collection"], sent["rkey"], sent["record"]["subject"]) == ("app.bsky.feed.repost", rkey, THEIRS)
    assert result.platform_id == f"at://{DID}/app.bsky.feed.repost/{rkey}|bafyreirepost"
    assert result.url == "https://bsky.app/profile/did:plc:partner/post/3lpartnerpost"


def test_retracting_a_repost_deletes_the_repost_record(http, make):
    signed_in(http)
    http.post(DELETE_RECORD, json={})

    make().delete(f"at://{DID}/app.bsky.feed.repost/3lrepostkey22|bafyreirepost")

    assert body(calls_to(http, DELETE_RECORD)[0]) == {"repo": DID, "collection": "app.bsky.feed.repost",
                                                     "rkey": "3lrepostkey22"}


def test_a_quote_embeds_the_quoted_posts_strong_reference(http, make):
    signed_in(http)
    http.get(RESOLVE_HANDLE, json={"did": OTHER})
    http.get(GET_RECORD, **record("3lpartnerpost", cid="bafyreitheirs", did=OTHER))
    request = part("Worth reading.", quote=LINK)
    http.post(CREATE_RECORD, **created(record_key(request)))

    make().publish(request)

    assert body(calls_to(http, CREATE_RECORD)[0])["record"]["embed"] == {
        "$type": "app.bsky.embed.record", "record": THEIRS}


def test_a_repost_whose_run_died_is_found_under_its_record_key(http, make):
    signed_in(http)
    http.get(RESOLVE_HANDLE, json={"did": OTHER})
    request = part("", repost=LINK)
    rkey = record_key(request)
    http.get(GET_RECORD, **repost_record(rkey, THEIRS))

    found = make().lookup(request, claimed_at=NOW)

    assert found is not None and found.platform_id == f"at://{DID}/app.bsky.feed.repost/{rkey}|bafyreirepost"
    assert query(calls_to(http, GET_RECORD)[0]) == {"repo": DID, "collection": "app.bsky.feed.repost", "rkey": rkey}


def test_a_repost_that_was_not_made_is_not_found(http, make):
    signed_in(http)
    http.get(GET_RECORD, **NOT_FOUND)

    assert make().lookup(part("", repost=LINK), claimed_at=NOW) is None
