"""The X adapter against the real tweepy client, with X's HTTP answered by `responses`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformfixtures
import pytest
import requests
import tweepy
import urllib3
from mediafixtures import MP4
from platformfixtures import PNG, FakeXMedia, adapter_factory, assert_no_secrets, body, calls_to

from postops.http import Retry
from postops.platforms import x as x_module
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published
from postops.platforms.x import XPlatform
from postops.repo.config import Account

TWEETS = "https://api.twitter.com/2/tweets"
MEDIA = "https://api.x.com/2/media"
INITIALIZE = f"{MEDIA}/upload/initialize"
METADATA = f"{MEDIA}/metadata"
ME = "https://api.twitter.com/2/users/me"
USER_ID = "14717197"
TIMELINE = f"https://api.twitter.com/2/users/{USER_ID}/tweets"

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ACCOUNT = Account(key="csis", platform="x", handle="@CSIS", credentials="POSTOPS_CSIS")
ENV = {
    "POSTOPS_CSIS_API_KEY": "ck-4f1d9e2a7b",
    "POSTOPS_CSIS_API_SECRET": "cs-8c3b6a0f5e2d",
    "POSTOPS_CSIS_ACCESS_TOKEN": "14717197-at9e7d5c3b1a",
    "POSTOPS_CSIS_ACCESS_SECRET": "as-2b4d6f8h0j",
}
SECRETS = tuple(ENV.values())
# tweepy 4.17's v1.1 media upload (which the fake refuses) sniffs image types with the deprecated imghdr.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
http, sleeps = platformfixtures.http, platformfixtures.sleeps  # fixtures: pytest finds them by these names


@pytest.fixture
def make(tmp_path: Path, sleeps: list[float]) -> Callable[..., XPlatform]:
    return adapter_factory(XPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def part(text: str = "Our new report on energy security is out today.", **fields) -> PartRequest:
    return PartRequest(post_id="report-launch", account=ACCOUNT, part=fields.pop("part", 0), text=text, **fields)


def created(tweet_id: str = "1861000000000000001") -> dict:
    return {"json": {"data": {"id": tweet_id, "text": "..."}}, "status": 201}


def x_error(status: int, detail: str, title: str = "Forbidden") -> dict:
    return {"json": {"detail": detail, "title": title, "status": status, "type": "about:blank"},
            "status": status}


# -- publishing ------------------------------------------------------------------------------------


def test_publish_plain_post(http, make):
    http.post(TWEETS, **created("1861000000000000001"))

    result = make().publish(part())

    assert result == Published(platform_id="1861000000000000001",
                               url="https://x.com/CSIS/status/1861000000000000001", published_at=NOW)
    (call,) = http.calls
    assert body(call) == {"text": "Our new report on energy security is out today."}
    # OAuth 1.0a user context, signed with the account's own keys
    authorization = call.request.headers["Authorization"]
    assert authorization.startswith("OAuth ")
    assert 'oauth_consumer_key="ck-4f1d9e2a7b"' in authorization
    assert 'oauth_token="14717197-at9e7d5c3b1a"' in authorization


def test_thread_reply_names_the_part_it_replies_to(http, make):
    http.post(TWEETS, **created("1861000000000000002"))

    result = make().publish(part("Key findings: ...", part=1, reply_to="1861000000000000001"))

    assert result.platform_id == "1861000000000000002"
    assert body(http.calls[0]) == {"text": "Key findings: ...",
                                    "reply": {"in_reply_to_tweet_id": "1861000000000000001"}}


def test_a_reply_to_a_post_link_names_its_id(http, make):
    # POST /2/tweets takes reply.in_reply_to_tweet_id, the id in the post's link x.com/<user>/status/<id>
    # (https://docs.x.com/x-api/posts/create-post).
    http.post(TWEETS, **created("1861000000000000002"))

    make().publish(part("Congratulations!", reply_to="https://x.com/partner/status/1861000000000000001?s=20"))

    assert body(http.calls[0])["reply"] == {"in_reply_to_tweet_id": "1861000000000000001"}


def test_media_is_uploaded_first_with_alt_text(http, make, tmp_path):
    (tmp_path / "media").mkdir()
    chart, photo = tmp_path / "media" / "chart.png", tmp_path / "media" / "photo.png"
    chart.write_bytes(PNG + b"chart")
    photo.write_bytes(PNG + b"photo")
    x = FakeXMedia(http)
    http.post(TWEETS, **created())

    make().publish(part(media=(MediaFile(chart, "Bar chart of European gas imports, 2019-2026"),
                               MediaFile(photo, None))))

    first, second = "710511363345354753", "710511363345354754"
    assert [(c.request.method, c.request.url) for c in http.calls] == [
        ("POST", INITIALIZE), ("POST", f"{MEDIA}/upload/{first}/append"), ("POST", f"{MEDIA}/upload/{first}/finalize"),
        ("POST", METADATA),
        ("POST", INITIALIZE), ("POST", f"{MEDIA}/upload/{second}/append"), ("POST", f"{MEDIA}/upload/{second}/finalize"),
        ("POST", TWEETS)]
    assert body(http.calls[0]) == {"media_type": "image/png", "total_bytes": len(PNG) + 5,
                                    "media_category": "tweet_image"}
    assert x.ready == {first: PNG + b"chart", second: PNG + b"photo"}
    assert x.alt == {first: "Bar chart of European gas imports, 2019-2026"}
    assert body(http.calls[7]) == {"text": "Our new report on energy security is out today.",
                                    "media": {"media_ids": [first, second]}}
    assert x.refused == []
    for call in http.calls:     # every media request signed with the account's own keys, as posts are
        assert 'oauth_consumer_key="ck-4f1d9e2a7b"' in call.request.headers["Authorization"]


def test_a_large_video_goes_in_segments_and_is_posted_once_x_has_processed_it(http, make, tmp_path, sleeps,
                                                                              monkeypatch):
    # FINALIZE answers processing_info "pending": STATUS until "succeeded", check_after_secs apart
    monkeypatch.setattr(x_module, "SEGMENT_BYTES", 100)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    x = FakeXMedia(http, pending=2, check_after=5)
    http.post(TWEETS, **created())

    make().publish(part(media=(MediaFile(clip, None),)))

    media_id = "710511363345354753"
    assert body(http.calls[0]) == {"media_type": "video/mp4", "total_bytes": len(MP4), "media_category": "tweet_video"}
    appended = calls_to(http, "POST", f"{MEDIA}/upload/{media_id}/append")
    assert len(appended) == -(-len(MP4) // 100) > 1
    assert x.ready == {media_id: MP4} and x.statuses == 2
    assert sleeps == [5.0, 5.0]
    assert body(calls_to(http, "POST", TWEETS)[0])["media"] == {"media_ids": [media_id]}


def test_a_video_x_fails_to_process_is_refused_with_xs_reason_and_never_posted(http, make, tmp_path, sleeps):
    # FINALIZE: "If processing_info is present, poll GET /2/media/upload until state is succeeded before
    # attaching the media_id to a Post"; here it ends "failed", with X's reason in the answer's errors
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    x = FakeXMedia(http, judge=lambda data, category: "Unsupported video format", pending=1, check_after=3)

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(clip, "A clip"),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert caught.value.message == ("post report-launch to csis: X refused clip.mp4 when it processed it: "
                                    "InvalidMedia: Unsupported video format")
    assert x.refused == ["Unsupported video format"] and sleeps == [3.0]
    assert not calls_to(http, "POST", METADATA) and not calls_to(http, "POST", TWEETS)   # no alt text, no post


def test_a_video_x_is_still_processing_is_left_to_a_later_run(http, make, tmp_path, sleeps):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    FakeXMedia(http, pending=100, check_after=30)

    with pytest.raises(PlatformError) as caught:
        make(processing_wait=100).publish(part(media=(MediaFile(clip, None),)))

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "X was still processing clip.mp4 after 90 seconds" in caught.value.message
    assert sleeps == [30.0, 30.0, 30.0]         # bounded: a fourth wait would pass 100 seconds
    assert not calls_to(http, "POST", TWEETS)


def test_a_check_after_of_less_than_a_second_still_waits_a_second(http, make, tmp_path, sleeps):
    # X gives check_after_secs in whole seconds; a server saying 0.001 made 600,000 STATUS calls in ten minutes
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    x = FakeXMedia(http, pending=1000, check_after=0.001)  # type: ignore[arg-type]

    with pytest.raises(PlatformError) as caught:
        make(processing_wait=5).publish(part(media=(MediaFile(clip, None),)))

    assert caught.value.kind == "transient" and "after 5 seconds" in caught.value.message
    assert sleeps == [1.0] * 5 and x.statuses == 5
    assert not calls_to(http, "POST", TWEETS)


@pytest.mark.parametrize("info", ["pending", ["pending"], {"state": ["in_progress"]}, {"state": 3}, {"progress": 5}])
def test_a_processing_info_that_is_no_state_is_an_error_and_nothing_is_posted(http, make, tmp_path, sleeps, info):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    media_id = "1880028106020515840"
    http.post(INITIALIZE, json={"data": {"id": media_id, "media_key": f"7_{media_id}"}})
    http.post(f"{MEDIA}/upload/{media_id}/append", body=b"")
    http.post(f"{MEDIA}/upload/{media_id}/finalize", json={"data": {"id": media_id, "processing_info": info}})

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(clip, None),)))

    assert caught.value.kind == "error" and caught.value.retryable
    assert caught.value.message.startswith("post report-launch to csis: X answered about processing clip.mp4 with "
                                           "a processing_info that is no state")
    assert sleeps == [] and not calls_to(http, "POST", TWEETS)


def test_an_upload_x_refuses_is_invalid_with_xs_reason_and_nothing_is_posted(http, make, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    x = FakeXMedia(http, caps={"tweet_image": len(PNG) - 1})

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(photo, "A photo"),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert caught.value.message.startswith("uploading photo.png for post report-launch to csis: X refused it: "
                                           f"File size exceeds {len(PNG) - 1} bytes for tweet_image")
    assert x.refused == ["size"] and [c.request.url for c in http.calls] == [INITIALIZE]


def test_an_upload_refused_for_its_credentials_is_an_auth_error(http, make, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    http.post(INITIALIZE, **x_error(403, "You are not permitted to perform this action."))

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(photo, None),)))

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "Read and Write permission" in caught.value.message
    assert not calls_to(http, "POST", TWEETS)


def test_the_fake_x_refuses_the_retired_v1_1_upload(http, tmp_path):
    # so that the tests above fail if the adapter went back to tweepy's v1.1 media_upload
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    x = FakeXMedia(http)
    api = tweepy.API(tweepy.OAuth1UserHandler("ck", "cs", "at", "as"))
    with pytest.raises(tweepy.HTTPException):
        api.media_upload(str(photo))
    with pytest.raises(tweepy.HTTPException):
        api.chunked_upload(str(photo), media_category="tweet_image")
    with pytest.raises(requests.HTTPError):      # the v1.1 command form, sent to the v2 path
        requests.post(f"{MEDIA}/upload", data={"command": "INIT", "total_bytes": "5", "media_type": "image/png"},
                      timeout=5).raise_for_status()
    assert x.refused == ["v1.1", "v1.1", "v1.1"] and x.sessions == {}


def test_media_x_cannot_take_is_refused_before_anything_is_sent(http, make, tmp_path):
    doc = tmp_path / "report.pdf"
    doc.write_bytes(b"%PDF-1.7")

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(doc, "the report"),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "report.pdf" in str(caught.value)
    assert not http.calls


def test_missing_media_file_is_an_invalid_post(http, make, tmp_path):
    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(tmp_path / "gone.png", None),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "gone.png" in str(caught.value)
    assert not calls_to(http, "POST", TWEETS)


def test_url_without_a_handle(http, make):
    http.post(TWEETS, **created("1861000000000000009"))
    account = Account(key="csis", platform="x", credentials="POSTOPS_CSIS")

    result = make(account).publish(part())

    assert result.url == "https://x.com/i/web/status/1861000000000000009"


# -- deleting --------------------------------------------------------------------------------------


def test_delete(http, make):
    http.delete(f"{TWEETS}/1861000000000000001", json={"data": {"deleted": True}})

    make().delete("1861000000000000001")

    assert len(http.calls) == 1
    assert http.calls[0].request.headers["Authorization"].startswith("OAuth ")


def test_deleting_a_post_that_is_already_gone_succeeds(http, make):
    http.delete(f"{TWEETS}/1861000000000000001",
                 **x_error(404, "Could not find tweet with id: [1861000000000000001].", "Not Found Error"))

    make().delete("1861000000000000001")

    assert len(http.calls) == 1


def test_delete_is_retried_after_a_read_timeout(http, make, sleeps):
    url = f"{TWEETS}/1861000000000000001"
    http.delete(url, body=requests.exceptions.ReadTimeout("read timed out"))
    http.delete(url, json={"data": {"deleted": True}})

    make().delete("1861000000000000001")

    assert len(http.calls) == 2
    assert sleeps == [2.0]


# -- rate limits -----------------------------------------------------------------------------------


def rate_limited(reset: datetime) -> dict:
    return {"json": {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            "status": 429, "headers": {"x-rate-limit-reset": str(int(reset.timestamp())),
                                       "x-rate-limit-remaining": "0"}}


def test_rate_limit_that_resets_soon_is_waited_out_once(http, make, sleeps):
    http.post(TWEETS, **rate_limited(NOW + timedelta(seconds=30)))
    http.post(TWEETS, **created("1861000000000000001"))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000001"
    assert sleeps == [31.0]  # until the reset, plus a second's margin
    assert len(http.calls) == 2


def test_media_upload_rate_limits_are_waited_out_or_reported_as_posts_are(http, make, sleeps, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(INITIALIZE, **rate_limited(NOW + timedelta(seconds=30)))
    http.post(INITIALIZE, **rate_limited(NOW + timedelta(hours=1)))
    FakeXMedia(http)

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(chart, None),)))

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert sleeps == [31.0]                     # the first waited out, the second left to a later run
    assert [c.request.url for c in http.calls] == [INITIALIZE, INITIALIZE]


def test_rate_limit_that_resets_too_late_is_reported_without_waiting(http, make, sleeps):
    http.post(TWEETS, **rate_limited(NOW + timedelta(minutes=15)))

    with pytest.raises(PlatformError) as caught:
        make(retry=Retry(max_rate_wait=60)).publish(part())

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert "2026-11-24 14:15:00 UTC" in str(caught.value)
    assert sleeps == []
    assert len(http.calls) == 1
    assert_no_secrets(caught.value, SECRETS)


def test_rate_limit_is_waited_out_only_once(http, make, sleeps):
    http.post(TWEETS, **rate_limited(NOW + timedelta(seconds=10)))
    http.post(TWEETS, **rate_limited(NOW + timedelta(seconds=10)))
    http.post(TWEETS, **created())

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit"
    assert sleeps == [11.0]
    assert len(http.calls) == 2


# -- server errors and timeouts --------------------------------------------------------------------


def me() -> dict:
    return {"json": {"data": {"id": USER_ID, "name": "CSIS", "username": "CSIS"}}}


def timeline(*tweets: dict, next_token: str | None = None) -> dict:
    meta: dict = {"result_count": len(tweets)}
    if next_token:
        meta["next_token"] = next_token
    return {"json": {"data": list(tweets), "meta": meta} if tweets else {"meta": meta}}


def test_server_error_then_success_checks_x_before_posting_again(http, make, sleeps):
    http.post(TWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))
    http.get(ME, **me())
    http.get(TIMELINE, **timeline())
    http.post(TWEETS, **created("1861000000000000001"))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000001"
    assert len(calls_to(http, "POST", TWEETS)) == 2
    (lookup,) = calls_to(http, "GET", TIMELINE)
    query = parse_qs(urlsplit(lookup.request.url).query)
    assert query["start_time"] == ["2026-11-24T13:55:00Z"]
    assert sleeps == [2.0]


def test_server_error_after_x_did_post_it_is_not_posted_again(http, make, sleeps):
    http.post(TWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))
    http.get(ME, **me())
    http.get(TIMELINE, **timeline({"id": "1861000000000000007", "created_at": "2026-11-24T14:00:01.000Z",
                                     "text": "Our new report on energy security is out today."}))

    result = make().publish(part())

    assert result == Published(platform_id="1861000000000000007",
                               url="https://x.com/CSIS/status/1861000000000000007",
                               published_at=datetime(2026, 11, 24, 14, 0, 1, tzinfo=UTC))
    assert len(calls_to(http, "POST", TWEETS)) == 1
    assert sleeps == []


def test_duplicate_after_an_unanswered_attempt_is_found_on_the_timeline(http, make):
    # X posted it but answered 503; its timeline had not caught up by the first check.
    http.post(TWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))
    http.get(ME, **me())
    http.get(TIMELINE, **timeline())
    http.post(TWEETS, **x_error(403, "You are not allowed to create a Tweet with duplicate content."))
    http.get(TIMELINE, **timeline({"id": "1861000000000000007", "created_at": "2026-11-24T14:00:01.000Z",
                                     "text": "Our new report on energy security is out today."}))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000007"
    assert len(calls_to(http, "POST", TWEETS)) == 2


def test_server_errors_give_up_after_three_attempts(http, make, sleeps):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline())
    for _ in range(3):
        http.post(TWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "503" in str(caught.value) and "3 attempts" in str(caught.value)
    assert sleeps == [2.0, 4.0]
    assert len(calls_to(http, "POST", TWEETS)) == 3
    assert_no_secrets(caught.value, SECRETS)


def test_server_error_when_the_check_fails_too_is_not_sent_again(http, make):
    http.post(TWEETS, **x_error(503, "Service Unavailable", "Service Unavailable"))
    http.get(ME, **x_error(403, "client-not-enrolled"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "in-doubt" and caught.value.retryable
    assert "may have gone out" in str(caught.value)
    assert len(calls_to(http, "POST", TWEETS)) == 1


def test_connect_timeout_is_retried_without_a_check(http, make, sleeps):
    # A connection that was never made cannot have posted anything.
    http.post(TWEETS, body=requests.exceptions.ConnectTimeout("connect timed out"))
    http.post(TWEETS, **created("1861000000000000001"))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000001"
    assert [c.request.url for c in http.calls] == [TWEETS, TWEETS]
    assert sleeps == [2.0]


def test_refused_connection_is_retried_without_a_check(http, make, sleeps):
    # Refused before a connection existed: nothing can have been posted.
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    http.post(TWEETS, body=requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, TWEETS, reason=refused)))
    http.post(TWEETS, **created("1861000000000000001"))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000001"
    assert [c.request.url for c in http.calls] == [TWEETS, TWEETS]
    assert sleeps == [2.0]


def test_connection_lost_mid_request_is_checked_before_posting_again(http, make, sleeps):
    http.post(TWEETS, body=requests.exceptions.ConnectionError("Connection aborted."))
    http.get(ME, **me())
    http.get(TIMELINE, **timeline())
    http.post(TWEETS, **created("1861000000000000002"))

    result = make().publish(part())

    assert result.platform_id == "1861000000000000002"
    assert [c.request.url.split("?")[0] for c in http.calls] == [TWEETS, ME, TIMELINE, TWEETS]
    assert sleeps == [2.0]


def test_timeouts_give_up_as_transient(http, make, sleeps):
    for _ in range(3):
        http.post(TWEETS, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "did not answer in time" in str(caught.value)
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_upload_timeout_is_retried(http, make, sleeps, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(INITIALIZE, body=requests.exceptions.ReadTimeout("read timed out"))
    x = FakeXMedia(http)
    http.post(TWEETS, **created())

    make().publish(part(media=(MediaFile(chart, None),)))

    assert [c.request.url for c in http.calls][:2] == [INITIALIZE, INITIALIZE]
    assert sleeps == [2.0]
    assert body(calls_to(http, "POST", TWEETS)[0])["media"] == {"media_ids": list(x.ready)}


def test_a_server_error_on_a_segment_sends_that_segment_again(http, make, sleeps, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(f"{MEDIA}/upload/710511363345354753/append", status=503, json={"title": "Service Unavailable"})
    x = FakeXMedia(http)
    http.post(TWEETS, **created())

    make().publish(part(media=(MediaFile(chart, None),)))

    assert len(calls_to(http, "POST", f"{MEDIA}/upload/710511363345354753/append")) == 2
    assert x.ready == {"710511363345354753": PNG} and sleeps == [2.0]


# -- refusals --------------------------------------------------------------------------------------


def test_unauthorized_is_an_auth_error_and_not_retried(http, make, sleeps):
    http.post(TWEETS, **x_error(401, "Unauthorized", "Unauthorized"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "X refused the credentials in POSTOPS_CSIS_*" in str(caught.value)
    assert len(http.calls) == 1 and sleeps == []
    assert_no_secrets(caught.value, SECRETS)


def test_forbidden_is_an_auth_error(http, make):
    http.post(TWEETS, **x_error(403, "You are not permitted to perform this action."))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "You are not permitted to perform this action." in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


def test_duplicate_content_is_refused_as_a_duplicate(http, make):
    http.post(TWEETS, **x_error(403, "You are not allowed to create a Tweet with duplicate content."))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "duplicate" and not caught.value.retryable
    assert "duplicate of a recent post" in str(caught.value)
    assert len(http.calls) == 1
    assert_no_secrets(caught.value, SECRETS)


def test_other_refusals_are_invalid_with_x_message(http, make):
    http.post(TWEETS, json={"errors": [{"message": "Your Tweet text is too long."}],
                             "title": "Invalid Request", "detail": "One or more parameters to your "
                             "request was invalid."}, status=400)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "Your Tweet text is too long." in str(caught.value)


def test_secrets_x_echoes_back_are_scrubbed(http, make):
    http.post(TWEETS, json={"errors": [{"message": f"bad token {ENV['POSTOPS_CSIS_ACCESS_TOKEN']}"}]},
               status=400)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert "bad token ***" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


# -- credentials -----------------------------------------------------------------------------------


def test_missing_credentials_are_named_without_values(make):
    env = dict(ENV)
    del env["POSTOPS_CSIS_API_SECRET"]
    env["POSTOPS_CSIS_ACCESS_SECRET"] = ""  # how an unset CI secret arrives

    with pytest.raises(PlatformError) as caught:
        make(env=env)

    message = str(caught.value)
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "POSTOPS_CSIS_API_SECRET" in message and "POSTOPS_CSIS_ACCESS_SECRET" in message
    assert "POSTOPS_CSIS_API_KEY" not in message and "POSTOPS_CSIS_ACCESS_TOKEN" not in message
    assert_no_secrets(caught.value, SECRETS)


def test_account_without_a_credentials_prefix(make):
    with pytest.raises(PlatformError) as caught:
        make(Account(key="csis", platform="x", handle="@CSIS"))

    assert caught.value.kind == "auth"
    assert "credentials" in str(caught.value)


def test_importing_the_module_does_not_import_tweepy():
    code = "import sys, postops.platforms.x; assert 'tweepy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- resolving in-doubt posts ----------------------------------------------------------------------


def test_lookup_matches_the_text_as_x_returns_it(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000008", "created_at": "2026-11-24T14:01:00.000Z",
         "text": "Something else entirely"},
        {"id": "1861000000000000007", "created_at": "2026-11-24T14:00:02.000Z",
         "text": "Energy &amp; security: our report is out  https://t.co/AbC123xyZ\n&lt;3"}))
    request = part("Energy & security: our report is out https://www.csis.org/analysis/energy-security\n<3")

    result = make().lookup(request, claimed_at=NOW)

    assert result == Published(platform_id="1861000000000000007",
                               url="https://x.com/CSIS/status/1861000000000000007",
                               published_at=datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))
    query = parse_qs(urlsplit(calls_to(http, "GET", TIMELINE)[0].request.url).query)
    assert query["start_time"] == ["2026-11-24T13:55:00Z"]
    assert query["max_results"] == ["100"]
    assert "created_at" in query["tweet.fields"][0] and "text" in query["tweet.fields"][0]


def test_lookup_matches_a_post_with_the_media_link_x_appends(http, make, tmp_path):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline({"id": "1861000000000000007", "created_at": "2026-11-24T14:00:02.000Z",
                                     "text": "Chart of the day https://t.co/pic123"}))
    request = part("Chart of the day", media=(MediaFile(tmp_path / "chart.png", None),))

    assert make().lookup(request, claimed_at=NOW).platform_id == "1861000000000000007"


def test_lookup_of_a_post_that_is_not_there(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000008", "created_at": "2026-11-24T14:01:00.000Z",
         "text": "Energy &amp; security: our report is out soon https://t.co/AbC123xyZ"}))

    assert make().lookup(part("Energy & security: our report is out https://csis.org/r"), NOW) is None


def test_lookup_follows_pages(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline({"id": "2", "created_at": "2026-11-24T14:05:00.000Z", "text": "newer"},
                                   next_token="page2"))
    http.get(TIMELINE, **timeline({"id": "1", "created_at": "2026-11-24T14:00:00.000Z",
                                    "text": "Our new report on energy security is out today."}))

    assert make().lookup(part(), NOW).platform_id == "1"
    second = parse_qs(urlsplit(calls_to(http, "GET", TIMELINE)[1].request.url).query)
    assert second["pagination_token"] == ["page2"]


def test_lookup_of_a_reply_needs_the_same_parent(http, make):
    http.get(ME, **me())
    same_text = "Key findings: ..."
    http.get(TIMELINE, **timeline(
        {"id": "3", "created_at": "2026-11-24T14:00:05.000Z", "text": same_text,
         "referenced_tweets": [{"type": "replied_to", "id": "999"}]},
        {"id": "2", "created_at": "2026-11-24T14:00:03.000Z", "text": same_text,
         "referenced_tweets": [{"type": "replied_to", "id": "1"}]}))

    found = make().lookup(part(same_text, part=1, reply_to="1"), NOW)

    assert found is not None and found.platform_id == "2"


def test_lookup_gives_up_rather_than_guess_after_too_many_pages(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline({"id": "2", "created_at": "2026-11-24T14:05:00.000Z", "text": "newer"},
                                   next_token="more"))

    with pytest.raises(PlatformError) as caught:
        make(lookup_pages=1).lookup(part(), NOW)

    assert "check the account by hand" in str(caught.value)


def test_lookup_raises_when_x_fails(http, make, sleeps):
    http.get(ME, **me())
    for _ in range(3):
        http.get(TIMELINE, **x_error(500, "Internal Server Error", "Internal Server Error"))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    assert caught.value.kind == "transient" and caught.value.retryable
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_lookup_raises_when_x_refuses(http, make):
    http.get(ME, **x_error(401, "Unauthorized", "Unauthorized"))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    assert caught.value.kind == "auth"
    assert_no_secrets(caught.value, SECRETS)


# -- the account's own posts, for `postops watch` ---------------------------------------------------


def test_recent_lists_the_accounts_posts_as_x_shows_them(http, make):
    http.get(ME, **me())
    http.get(TIMELINE, **timeline(
        {"id": "1861000000000000009", "created_at": "2026-11-24T14:03:00.000Z", "text": "Suck it. &amp; more"},
        {"id": "1861000000000000008", "created_at": "2026-11-24T14:01:00.000Z", "text": "cut short…",
         "note_tweet": {"text": "A long post, whole"}}))

    posts = make().recent(NOW)

    assert [(p.platform_id, p.text, p.url) for p in posts] == [
        ("1861000000000000009", "Suck it. & more", "https://x.com/CSIS/status/1861000000000000009"),
        ("1861000000000000008", "A long post, whole", "https://x.com/CSIS/status/1861000000000000008")]
    assert posts[0].created_at == datetime(2026, 11, 24, 14, 3, tzinfo=UTC)
    query = parse_qs(urlsplit(calls_to(http, "GET", TIMELINE)[0].request.url).query)
    assert query["start_time"] == ["2026-11-24T14:00:00Z"]


def test_recent_on_an_access_level_that_cannot_read_timelines_says_so(http, make):
    # X's answer to a Free-tier app reading a timeline (403 client-not-enrolled, problem details)
    http.get(ME, **me())
    http.get(TIMELINE, json={
        "title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-forbidden",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                  "from a Twitter developer App that is attached to a Project.",
        "reason": "client-not-enrolled", "registration_url": "https://developer.twitter.com/en/docs/projects"},
        status=403)

    with pytest.raises(PlatformError) as caught:
        make().recent(NOW)

    assert caught.value.kind == "unavailable" and not caught.value.retryable
    assert "cannot read the account's posts" in str(caught.value) and "Basic" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)
