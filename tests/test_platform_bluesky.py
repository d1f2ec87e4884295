"""The Bluesky adapter against a real requests session, with the XRPC API answered by `responses`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformfixtures
import pytest
import requests
import responses
from platformfixtures import PNG, adapter_factory, assert_no_secrets, body

from postops.http import Retry
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published
from postops.platforms.bluesky import CREDENTIAL_SUFFIXES, BlueskyPlatform, record_key
from postops.repo.config import Account

SERVICE = "https://bsky.social"
XRPC = f"{SERVICE}/xrpc"
CREATE_SESSION = f"{XRPC}/com.atproto.server.createSession"
REFRESH_SESSION = f"{XRPC}/com.atproto.server.refreshSession"
CREATE_RECORD = f"{XRPC}/com.atproto.repo.createRecord"
GET_RECORD = f"{XRPC}/com.atproto.repo.getRecord"
DELETE_RECORD = f"{XRPC}/com.atproto.repo.deleteRecord"
UPLOAD_BLOB = f"{XRPC}/com.atproto.repo.uploadBlob"
RESOLVE_HANDLE = f"{XRPC}/com.atproto.identity.resolveHandle"

DID = "did:plc:csis4energy7security2q"
NOW = datetime(2026, 11, 24, 14, 0, 0, 123456, tzinfo=UTC)
ACCOUNT = Account(key="sky", platform="bluesky", handle="@csis.bsky.social", credentials="POSTOPS_SKY")
PASSWORD = "abcd-efgh-ijkl-mnop"
ENV = {"POSTOPS_SKY_APP_PASSWORD": PASSWORD}
ACCESS, REFRESH = "eyJ.access-9f8e7d6c5b4a", "eyJ.refresh-1a2b3c4d5e6f"
ACCESS2, REFRESH2 = "eyJ.access2-0011223344", "eyJ.refresh2-5566778899"
SECRETS = (PASSWORD, ACCESS, REFRESH, ACCESS2, REFRESH2)
TEXT = "Our new report on energy security is out today."
TID_SYNTAX = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

http, sleeps = platformfixtures.http, platformfixtures.sleeps  # fixtures: pytest finds them by these names


@pytest.fixture
def make(tmp_path: Path, sleeps: list[float]) -> Callable[..., BlueskyPlatform]:
    return adapter_factory(BlueskyPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def part(text: str = TEXT, **fields) -> PartRequest:
    fields.setdefault("idempotency_key", f"report-launch/sky/{fields.get('part', 0)}/c0ffee")
    return PartRequest(post_id="report-launch", account=ACCOUNT, part=fields.pop("part", 0), text=text, **fields)


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def calls_to(mock: responses.RequestsMock, url: str) -> list:
    # Every XRPC method has one HTTP method, so the URL alone says which calls are meant.
    return [c for c in mock.calls if c.request.url.split("?")[0] == url]


def signed_in(mock: responses.RequestsMock) -> None:
    mock.post(CREATE_SESSION, json={"did": DID, "handle": "csis.bsky.social", "accessJwt": ACCESS,
                                    "refreshJwt": REFRESH, "active": True})


def uri(rkey: str, did: str = DID) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def created(rkey: str, cid: str = "bafyreiposted") -> dict:
    return {"json": {"uri": uri(rkey), "cid": cid,
                     "commit": {"cid": "bafyreicommit", "rev": "3lu3k7vikye2m"}, "validationStatus": "valid"}}


def record(rkey: str, text: str = TEXT, cid: str = "bafyreiposted", did: str = DID, **value) -> dict:
    return {"json": {"uri": uri(rkey, did), "cid": cid, "value": {
        "$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-24T14:00:01.500Z", **value}}}


def xrpc_error(status: int, error: str, message: str = "", **extra) -> dict:
    return {"json": {"error": error, "message": message}, "status": status, **extra}


NOT_FOUND = xrpc_error(400, "RecordNotFound", "Could not locate record")


# -- publishing ------------------------------------------------------------------------------------


def test_publish_plain_post(http, make):
    request = part()
    rkey = record_key(request)
    signed_in(http)
    http.post(CREATE_RECORD, **created(rkey, "bafyreiabc"))

    result = make().publish(request)

    assert result == Published(platform_id=f"{uri(rkey)}|bafyreiabc",
                               url=f"https://bsky.app/profile/csis.bsky.social/post/{rkey}", published_at=NOW)
    session, create = http.calls
    assert body(session) == {"identifier": "csis.bsky.social", "password": PASSWORD}
    assert "Authorization" not in session.request.headers
    assert create.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert body(create) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey, "record": {
        "$type": "app.bsky.feed.post", "text": TEXT, "createdAt": "2026-11-24T14:00:00.123Z"}}


def test_the_session_is_made_once_and_reused(http, make):
    signed_in(http)
    http.post(CREATE_RECORD, **created(record_key(part())))
    http.post(CREATE_RECORD, **created(record_key(part("Second", part=1))))
    http.get(GET_RECORD, **record("3jmkvnjcwzlaa", text="parent"))
    platform = make()

    platform.publish(part())
    platform.publish(part("Second", part=1, reply_to=f"{uri('3jmkvnjcwzlaa')}|bafyreiparent"))

    assert len(calls_to(http, CREATE_SESSION)) == 1


def test_facets_use_utf8_byte_offsets(http, make):
    text = "Le rapport du café: https://www.csis.org/analysis/energy 🎉 merci @Partner.bsky.social #énergie!"
    signed_in(http)
    http.get(RESOLVE_HANDLE, json={"did": "did:plc:partner"})
    http.post(CREATE_RECORD, **created(record_key(part(text))))

    make().publish(part(text))

    (resolve,) = calls_to(http, RESOLVE_HANDLE)
    assert query(resolve) == {"handle": "partner.bsky.social"}
    facets = body(calls_to(http, CREATE_RECORD)[0])["record"]["facets"]
    encoded = text.encode("utf-8")

    def span(piece: str) -> dict:
        start = encoded.index(piece.encode("utf-8"))
        return {"byteStart": start, "byteEnd": start + len(piece.encode("utf-8"))}

    assert facets == [
        {"index": span("https://www.csis.org/analysis/energy"),
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://www.csis.org/analysis/energy"}]},
        {"index": span("@Partner.bsky.social"),
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:partner"}]},
        {"index": span("#énergie"), "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "énergie"}]},
    ]
    # "é" and "🎉" take more bytes than characters: character offsets would point at the wrong text.
    assert facets[0]["index"]["byteStart"] == text.index("https") + 1
    assert facets[1]["index"]["byteStart"] == text.index("@Partner") + 1 + 3


def test_bare_domains_link_with_https_and_other_handles_stay_text(http, make):
    text = "Read it at csis.org/energy, thanks @CSIS and @nobody.example.com #2026"
    signed_in(http)
    http.get(RESOLVE_HANDLE, **xrpc_error(400, "InvalidRequest", "Unable to resolve handle"))
    http.post(CREATE_RECORD, **created(record_key(part(text))))

    make().publish(part(text))

    facets = body(calls_to(http, CREATE_RECORD)[0])["record"]["facets"]
    assert [f["features"][0] for f in facets] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://csis.org/energy"}]
    # "@CSIS" is not a Bluesky handle, so it is not even looked up; "#2026" is not a hashtag.
    assert [query(c)["handle"] for c in calls_to(http, RESOLVE_HANDLE)] == ["nobody.example.com"]


def test_reply_to_a_thread_part_names_the_thread_root(http, make):
    root = {"uri": uri("3jmkroot2222a"), "cid": "bafyreiroot"}
    signed_in(http)
    http.get(GET_RECORD, **record("3jmkparent22a", text="Key findings, part 1", cid="bafyreiparent",
                                 reply={"root": root, "parent": root}))
    request = part("Key findings, part 2", part=2, reply_to=f"{uri('3jmkparent22a')}|bafyreiparent")
    http.post(CREATE_RECORD, **created(record_key(request)))

    make().publish(request)

    assert query(calls_to(http, GET_RECORD)[0]) == {
        "repo": DID, "collection": "app.bsky.feed.post", "rkey": "3jmkparent22a"}
    assert body(calls_to(http, CREATE_RECORD)[0])["record"]["reply"] == {
        "root": root, "parent": {"uri": uri("3jmkparent22a"), "cid": "bafyreiparent"}}


def test_reply_to_a_post_that_is_not_a_reply_uses_it_as_root(http, make):
    signed_in(http)
    http.get(GET_RECORD, **record("3jmkparent22a", cid="bafyreiparent"))
    request = part("Key findings", part=1, reply_to=f"{uri('3jmkparent22a')}|bafyreiparent")
    http.post(CREATE_RECORD, **created(record_key(request)))

    make().publish(request)

    parent = {"uri": uri("3jmkparent22a"), "cid": "bafyreiparent"}
    assert body(calls_to(http, CREATE_RECORD)[0])["record"]["reply"] == {"root": parent, "parent": parent}


def test_reply_to_a_bsky_app_link(http, make):
    other = "did:plc:partner"
    signed_in(http)
    http.get(RESOLVE_HANDLE, json={"did": other})
    http.get(GET_RECORD, **record("3lpartnerpost", cid="bafyreitheirs", did=other))
    request = part("Congratulations!", reply_to="https://bsky.app/profile/partner.org/post/3lpartnerpost")
    http.post(CREATE_RECORD, **created(record_key(request)))

    make().publish(request)

    assert query(calls_to(http, GET_RECORD)[0])["repo"] == other
    theirs = {"uri": uri("3lpartnerpost", other), "cid": "bafyreitheirs"}
    assert body(calls_to(http, CREATE_RECORD)[0])["record"]["reply"] == {"root": theirs, "parent": theirs}


def test_reply_to_a_deleted_post_is_invalid(http, make):
    signed_in(http)
    http.get(GET_RECORD, **NOT_FOUND)

    with pytest.raises(PlatformError) as caught:
        make().publish(part("Key findings", part=1, reply_to=f"{uri('3jmkparent22a')}|bafyreiparent"))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "does not exist" in str(caught.value)
    assert not calls_to(http, CREATE_RECORD)


def test_images_are_uploaded_and_embedded_with_alt_text(http, make, tmp_path):
    (tmp_path / "media").mkdir()
    chart, photo = tmp_path / "media" / "chart.png", tmp_path / "media" / "photo.jpg"
    chart.write_bytes(PNG + b"chart")
    photo.write_bytes(b"\xff\xd8\xff\xe0photo")
    blobs = [{"$type": "blob", "ref": {"$link": f"bafkrei{name}"}, "mimeType": mime, "size": 10}
             for name, mime in (("chart", "image/png"), ("photo", "image/jpeg"))]
    signed_in(http)
    http.post(UPLOAD_BLOB, json={"blob": blobs[0]})
    http.post(UPLOAD_BLOB, json={"blob": blobs[1]})
    request = part(media=(MediaFile(chart, "Bar chart of European gas imports, 2019-2026"),
                          MediaFile(photo, None)))
    http.post(CREATE_RECORD, **created(record_key(request)))

    make().publish(request)

    first, second = calls_to(http, UPLOAD_BLOB)
    assert first.request.body == PNG + b"chart" and first.request.headers["Content-Type"] == "image/png"
    assert second.request.body == b"\xff\xd8\xff\xe0photo"
    assert second.request.headers["Content-Type"] == "image/jpeg"
    assert first.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert body(calls_to(http, CREATE_RECORD)[0])["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [{"image": blobs[0], "alt": "Bar chart of European gas imports, 2019-2026"},
                   {"image": blobs[1], "alt": ""}]}


@pytest.mark.parametrize("files, expected", [
    ({"report.pdf": b"%PDF-1.7"}, "report.pdf"),
    ({"big.png": PNG + bytes(1_000_000)}, "1,000,000 bytes"),
    ({f"{n}.png": PNG for n in range(5)}, "at most 4 images"),
    ({"clip.mp4": b"\x00\x00\x00\x18ftypmp42"}, "clip.mp4"),
])
def test_media_bluesky_cannot_take_is_refused_before_anything_is_sent(http, make, tmp_path, files, expected):
    media = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        media.append(MediaFile(tmp_path / name, "alt"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=tuple(media)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert expected in str(caught.value)
    assert not http.calls


def test_missing_media_file_is_an_invalid_post(http, make, tmp_path):
    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(tmp_path / "gone.png", None),)))

    assert caught.value.kind == "invalid" and "gone.png" in str(caught.value)
    assert not http.calls


def test_instance_and_langs(http, make):
    account = Account(key="sky", platform="bluesky", handle="csis.example.org", credentials="POSTOPS_SKY",
                      instance="https://pds.example.org/")
    http.post("https://pds.example.org/xrpc/com.atproto.server.createSession",
             json={"did": DID, "accessJwt": ACCESS, "refreshJwt": REFRESH})
    http.post("https://pds.example.org/xrpc/com.atproto.repo.createRecord", **created("3jmkvnjcwzlaa"))

    result = make(account, langs=["en", "fr"]).publish(part())

    assert body(http.calls[0])["identifier"] == "csis.example.org"
    assert body(http.calls[1])["record"]["langs"] == ["en", "fr"]
    assert result.url.startswith("https://bsky.app/profile/csis.example.org/post/")


# -- record keys -----------------------------------------------------------------------------------


def test_record_key_is_a_valid_tid_that_depends_only_on_the_idempotency_key():
    first = record_key(part(idempotency_key="report-launch/sky/0/aaaa"))
    again = record_key(part("other text, same key", idempotency_key="report-launch/sky/0/aaaa"))
    other = record_key(part(idempotency_key="report-launch/sky/0/bbbb"))

    assert first == again
    assert first != other
    keys = {record_key(part(idempotency_key=f"k{i}")) for i in range(500)}
    assert len(keys) == 500
    assert all(TID_SYNTAX.match(key) for key in keys | {first, other})


def test_record_key_timestamps_are_in_the_past():
    # A TID is 53 bits of microseconds since 1970 and 10 bits of clock id, base32-sortable.
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    for i in range(200):
        key = record_key(part(idempotency_key=f"k{i}"))
        value = 0
        for char in key:
            value = value * 32 + alphabet.index(char)
        when = datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)
        assert datetime(2023, 1, 1, tzinfo=UTC) <= when < datetime(2024, 3, 1, tzinfo=UTC)


def test_record_key_without_an_idempotency_key_still_depends_on_the_content():
    assert record_key(part(idempotency_key="")) == record_key(part(idempotency_key=""))
    assert record_key(part(idempotency_key="")) != record_key(part("Another text", idempotency_key=""))
    assert record_key(part(idempotency_key="")) != record_key(part(idempotency_key="", part=1))


def test_create_conflict_means_it_is_already_there(http, make):
    request = part()
    rkey = record_key(request)
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(400, "InvalidRequest", f"Record already exists at {uri(rkey)}"))
    http.get(GET_RECORD, **record(rkey, cid="bafyreifirst"))

    result = make().publish(request)

    assert result == Published(platform_id=f"{uri(rkey)}|bafyreifirst",
                               url=f"https://bsky.app/profile/csis.bsky.social/post/{rkey}",
                               published_at=datetime(2026, 11, 24, 14, 0, 1, 500000, tzinfo=UTC))
    assert query(calls_to(http, GET_RECORD)[0]) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey}
    assert len(calls_to(http, CREATE_RECORD)) == 1


def test_record_key_taken_by_a_different_post_is_reported(http, make):
    rkey = record_key(part())
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(409, "RecordAlreadyExists"))
    http.get(GET_RECORD, **record(rkey, text="Something else entirely"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert not caught.value.retryable
    assert "different post" in str(caught.value)


def test_other_refusals_are_invalid_with_bluesky_message(http, make):
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(
        400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"))
    http.get(GET_RECORD, **NOT_FOUND)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "must not be longer than 300 graphemes" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


# -- deleting --------------------------------------------------------------------------------------


def test_delete(http, make):
    signed_in(http)
    http.post(DELETE_RECORD, json={"commit": {"cid": "bafyreicommit", "rev": "3lu3k7vikye2n"}})

    make().delete(f"{uri('3jmkvnjcwzlaa')}|bafyreiabc")

    (call,) = calls_to(http, DELETE_RECORD)
    assert body(call) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": "3jmkvnjcwzlaa"}
    assert call.request.headers["Authorization"] == f"Bearer {ACCESS}"


def test_deleting_a_post_that_is_already_gone_succeeds(http, make):
    signed_in(http)
    http.post(DELETE_RECORD, **xrpc_error(400, "InvalidRequest", "Could not locate record: at://..."))

    make().delete(f"{uri('3jmkvnjcwzlaa')}|bafyreiabc")

    assert len(calls_to(http, DELETE_RECORD)) == 1


def test_deleting_something_that_is_not_an_id(http, make):
    with pytest.raises(PlatformError) as caught:
        make().delete("1861000000000000001")

    assert caught.value.kind == "invalid"
    assert not http.calls


# -- rate limits -----------------------------------------------------------------------------------


def rate_limited(reset: datetime) -> dict:
    return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers={
        "ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": str(int(reset.timestamp()))})


def test_rate_limit_that_resets_soon_is_waited_out_once(http, make, sleeps):
    signed_in(http)
    http.post(CREATE_RECORD, **rate_limited(NOW + timedelta(seconds=30)))
    http.post(CREATE_RECORD, **created(record_key(part())))

    result = make().publish(part())

    assert result.platform_id.startswith(uri(record_key(part())))
    assert sleeps == [31.0]  # until the reset, plus a second's margin
    assert len(calls_to(http, CREATE_RECORD)) == 2


def test_rate_limit_that_resets_too_late_is_reported_without_waiting(http, make, sleeps):
    signed_in(http)
    http.post(CREATE_RECORD, **rate_limited(NOW + timedelta(minutes=15)))

    with pytest.raises(PlatformError) as caught:
        make(retry=Retry(max_rate_wait=60)).publish(part())

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert "2026-11-24 14:15:00 UTC" in str(caught.value)
    assert sleeps == []
    assert_no_secrets(caught.value, SECRETS)


def test_rate_limited_sign_in_is_reported(http, make, sleeps):
    http.post(CREATE_SESSION, **rate_limited(NOW + timedelta(hours=2)))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert "signing in" in str(caught.value)
    assert sleeps == []


# -- server errors and timeouts --------------------------------------------------------------------


def test_server_error_then_success_uses_the_same_record_key(http, make, sleeps):
    request = part()
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(503, "ServiceUnavailable"))
    http.get(GET_RECORD, **NOT_FOUND)
    http.post(CREATE_RECORD, **created(record_key(request)))

    result = make().publish(request)

    assert result.platform_id == f"{uri(record_key(request))}|bafyreiposted"
    first, second = calls_to(http, CREATE_RECORD)
    assert body(first) == body(second)
    assert sleeps == [2.0]


def test_server_error_after_the_post_was_created_is_not_posted_again(http, make, sleeps):
    # Some servers answer 500 both when a write fails and when a key is taken: the record says which.
    rkey = record_key(part())
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(500, "InternalServerError"))
    http.get(GET_RECORD, **record(rkey, cid="bafyreifirst"))

    result = make().publish(part())

    assert result.platform_id == f"{uri(rkey)}|bafyreifirst"
    assert len(calls_to(http, CREATE_RECORD)) == 1
    assert sleeps == []


def test_server_errors_give_up_after_three_attempts(http, make, sleeps):
    signed_in(http)
    http.get(GET_RECORD, **NOT_FOUND)
    for _ in range(3):
        http.post(CREATE_RECORD, **xrpc_error(502, "UpstreamFailure"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "502" in str(caught.value) and "3 attempts" in str(caught.value)
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_timeouts_are_retried_then_give_up_as_transient(http, make, sleeps):
    signed_in(http)
    http.get(GET_RECORD, **NOT_FOUND)
    for _ in range(3):
        http.post(CREATE_RECORD, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "did not answer in time" in str(caught.value)
    assert len(calls_to(http, CREATE_RECORD)) == 3
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_every_request_has_a_timeout(http, tmp_path, sleeps):
    seen: list[object] = []

    class Recording(requests.Session):
        def request(self, *args, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().request(*args, **kwargs)

    signed_in(http)
    http.post(CREATE_RECORD, **created(record_key(part())))
    platform = BlueskyPlatform(ACCOUNT, tmp_path, ENV, session=Recording(), sleep=sleeps.append,
                               clock=lambda: NOW, timeout=12.5)

    platform.publish(part())

    assert seen == [12.5, 12.5]


# -- sessions and credentials ----------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_request_repeated(http, make):
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(400, "ExpiredToken", "Token has expired"))
    http.post(REFRESH_SESSION, json={"did": DID, "accessJwt": ACCESS2, "refreshJwt": REFRESH2})
    http.post(CREATE_RECORD, **created(record_key(part())))

    make().publish(part())

    (refresh,) = calls_to(http, REFRESH_SESSION)
    assert refresh.request.headers["Authorization"] == f"Bearer {REFRESH}"
    first, second = calls_to(http, CREATE_RECORD)
    assert first.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert second.request.headers["Authorization"] == f"Bearer {ACCESS2}"
    assert not calls_to(http, GET_RECORD)  # an expired token says nothing about the post


def test_expired_refresh_token_signs_in_again(http, make):
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(401, "ExpiredToken", "Token has expired"))
    http.post(REFRESH_SESSION, **xrpc_error(400, "ExpiredToken", "Token has expired"))
    http.post(CREATE_SESSION, json={"did": DID, "accessJwt": ACCESS2, "refreshJwt": REFRESH2})
    http.post(CREATE_RECORD, **created(record_key(part())))

    make().publish(part())

    assert len(calls_to(http, CREATE_SESSION)) == 2
    assert calls_to(http, CREATE_RECORD)[1].request.headers["Authorization"] == f"Bearer {ACCESS2}"


def test_token_refused_after_renewal_is_an_auth_error(http, make):
    signed_in(http)
    http.post(REFRESH_SESSION, json={"did": DID, "accessJwt": ACCESS2, "refreshJwt": REFRESH2})
    for _ in range(2):
        http.post(CREATE_RECORD, **xrpc_error(401, "InvalidToken", f"Bad token {ACCESS2}"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert len(calls_to(http, CREATE_RECORD)) == 2
    assert "***" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


def test_bad_password_is_an_auth_error_and_not_retried(http, make, sleeps):
    http.post(CREATE_SESSION, **xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    message = str(caught.value)
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "POSTOPS_SKY_APP_PASSWORD" in message and "Invalid identifier or password" in message
    assert len(http.calls) == 1 and sleeps == []
    assert_no_secrets(caught.value, SECRETS)


def test_main_password_with_email_codes_asks_for_an_app_password(http, make):
    http.post(CREATE_SESSION, **xrpc_error(401, "AuthFactorTokenRequired", "A sign in code has been sent"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "auth" and "app password" in str(caught.value)


def test_missing_credentials_are_named(make):
    assert CREDENTIAL_SUFFIXES == ("APP_PASSWORD",)
    for env in ({}, {"POSTOPS_SKY_APP_PASSWORD": ""}):
        with pytest.raises(PlatformError) as caught:
            make(env=env)

        assert caught.value.kind == "auth" and not caught.value.retryable
        assert "POSTOPS_SKY_APP_PASSWORD" in str(caught.value)


def test_account_without_credentials_prefix_or_handle(make):
    with pytest.raises(PlatformError) as caught:
        make(Account(key="sky", platform="bluesky", handle="csis.bsky.social"))
    assert caught.value.kind == "auth" and "credentials" in str(caught.value)

    with pytest.raises(PlatformError) as caught:
        make(Account(key="sky", platform="bluesky", credentials="POSTOPS_SKY"))
    assert caught.value.kind == "auth" and "handle" in str(caught.value)


def test_secrets_bluesky_echoes_back_are_scrubbed(http, make):
    signed_in(http)
    http.post(CREATE_RECORD, **xrpc_error(400, "InvalidRequest", f"bad request from {PASSWORD} / {ACCESS}"))
    http.get(GET_RECORD, **NOT_FOUND)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert "bad request from *** / ***" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


# -- resolving in-doubt posts ----------------------------------------------------------------------


def test_lookup_finds_the_post_under_its_record_key(http, make):
    rkey = record_key(part())
    signed_in(http)
    http.get(GET_RECORD, **record(rkey, cid="bafyreifound"))

    result = make().lookup(part(), claimed_at=NOW)

    assert result == Published(platform_id=f"{uri(rkey)}|bafyreifound",
                               url=f"https://bsky.app/profile/csis.bsky.social/post/{rkey}",
                               published_at=datetime(2026, 11, 24, 14, 0, 1, 500000, tzinfo=UTC))
    assert query(calls_to(http, GET_RECORD)[0]) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey}


def test_lookup_of_a_post_that_is_not_there(http, make):
    signed_in(http)
    http.get(GET_RECORD, **NOT_FOUND)

    assert make().lookup(part(), claimed_at=NOW) is None
    assert len(calls_to(http, GET_RECORD)) == 1


def test_lookup_raises_when_bluesky_fails(http, make, sleeps):
    signed_in(http)
    for _ in range(3):
        http.get(GET_RECORD, **xrpc_error(500, "InternalServerError"))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), claimed_at=NOW)

    assert caught.value.kind == "transient" and caught.value.retryable
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_lookup_raises_retryable_when_bluesky_refuses(http, make):
    http.post(CREATE_SESSION, **xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password"))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), claimed_at=NOW)

    assert caught.value.kind == "auth" and caught.value.retryable
    assert_no_secrets(caught.value, SECRETS)


def test_importing_through_the_registry(tmp_path):
    from postops.platforms.base import get_platform

    platform = get_platform(ACCOUNT, tmp_path, ENV)
    assert isinstance(platform, BlueskyPlatform)


# -- the account's own posts, for `postops watch` ---------------------------------------------------

LIST_RECORDS = f"{XRPC}/com.atproto.repo.listRecords"


def test_recent_lists_the_accounts_post_records(http, make):
    # com.atproto.repo.listRecords: {"records": [{"uri", "cid", "value"}], "cursor"}
    signed_in(http)
    http.get(LIST_RECORDS, json={"cursor": "3jzfcijpj2z2a", "records": [
        {"uri": uri("3lnew2222222a"), "cid": "bafynew", "value": {
            "$type": "app.bsky.feed.post", "text": "Suck it.", "createdAt": "2026-11-24T14:05:00.000Z"}},
        {"uri": uri("3lold1111111a"), "cid": "bafyold", "value": {
            "$type": "app.bsky.feed.post", "text": "older", "createdAt": "2026-11-24T13:00:00.000Z"}}]})

    posts = make().recent(NOW)

    assert [(p.platform_id, p.text, p.url) for p in posts] == [
        (f"{uri('3lnew2222222a')}|bafynew", "Suck it.",
         "https://bsky.app/profile/csis.bsky.social/post/3lnew2222222a")]
    assert query(calls_to(http, LIST_RECORDS)[0]) == {"repo": DID, "collection": "app.bsky.feed.post",
                                                       "limit": "100"}


def test_image_limits_are_the_declarations_lint_reads(http, make, tmp_path, monkeypatch):
    # The adapter enforces what postops.platforms.spec declares, not a number of its own: with the declaration
    # changed, what it refuses changes with it (app.bsky.embed.images: 4 images of at most 1,000,000 bytes).
    from dataclasses import replace

    import postops.platforms.bluesky as adapter

    assert adapter.SPEC.media_bytes["image"] == 1_000_000 and adapter.SPEC.max_images == 4
    monkeypatch.setattr(adapter, "SPEC", replace(adapter.SPEC, media_bytes={"image": 100}, max_images=1))
    (tmp_path / "small.png").write_bytes(PNG + bytes(101 - len(PNG)))
    with pytest.raises(PlatformError, match="101 bytes; Bluesky takes images up to 100 bytes"):
        make().publish(part(media=(MediaFile(tmp_path / "small.png", "alt"),)))
    with pytest.raises(PlatformError, match="at most 1 images"):
        make().publish(part(media=(MediaFile(tmp_path / "small.png", "a"), MediaFile(tmp_path / "small.png", "b"))))
    assert not http.calls
