"""The Facebook Pages adapter against a real requests session, with the Graph API answered by `responses`.

The answers are shaped from Meta's documentation:
- publishing: https://developers.facebook.com/docs/pages-api/posts (POST /{page-id}/feed answers {"id": "{page-id}_{post-id}"})
- photos: https://developers.facebook.com/docs/graph-api/reference/page/photos (published=false answers {"id"})
- comments: https://developers.facebook.com/docs/graph-api/reference/object/comments
- errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
- rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
- token expiry: https://developers.facebook.com/docs/graph-api/reference/debug_token
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformfixtures
import pytest
import requests
from platformfixtures import PNG, adapter_factory, assert_no_secrets, calls_to

from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, get_platform
from postops.platforms.facebook import FacebookPlatform
from postops.repo.config import Account

PAGE = "104729381234567"
GRAPH = "https://graph.facebook.com/v26.0"
FEED = f"{GRAPH}/{PAGE}/feed"
PHOTOS = f"{GRAPH}/{PAGE}/photos"
POSTS = f"{GRAPH}/{PAGE}/posts"
POST_ID = f"{PAGE}_122101234567890123"
COMMENTS = f"{GRAPH}/{POST_ID}/comments"
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ACCOUNT = Account(key="fb", platform="facebook", page_id=PAGE, credentials="POSTOPS_FB")
TOKEN = "EAAGm0PX4ZCpsBAHxZBtQ9kLp2RfY7nBc4HjD6ZCZCw"
ENV = {"POSTOPS_FB_PAGE_TOKEN": TOKEN}
TEXT = "Our new report on energy security is out today: https://www.csis.org/analysis/energy-security"
http, sleeps = platformfixtures.http, platformfixtures.sleeps  # fixtures: pytest finds them by these names


@pytest.fixture
def make(tmp_path: Path, sleeps: list[float]) -> Callable[..., FacebookPlatform]:
    return adapter_factory(FacebookPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def part(text: str = TEXT, **fields) -> PartRequest:
    return PartRequest(post_id="report-launch", account=ACCOUNT, part=fields.pop("part", 0), text=text, **fields)


def form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body, keep_blank_values=True)


def query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def graph_error(message: str, code: int, *, subcode: int | None = None, kind: str = "OAuthException",
                status: int = 400, headers: dict | None = None, transient: bool = False) -> dict:
    """The documented error body: {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}."""
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return {"json": {"error": error}, "status": status, "headers": headers or {}}


def page_post(post_id: str = POST_ID, message: str = TEXT, created: str = "2026-11-24T14:00:02+0000") -> dict:
    story = post_id.split("_")[1]
    return {"id": post_id, "message": message, "created_time": created,
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{story}"}


# -- publishing ------------------------------------------------------------------------------------


def test_publish_a_text_post_with_a_link(http, make):
    http.post(FEED, json={"id": POST_ID})

    result = make().publish(part())

    assert result == Published(platform_id=POST_ID, url=f"https://www.facebook.com/{PAGE}/posts/122101234567890123",
                               published_at=NOW)
    (call,) = http.calls
    assert form(call) == {"message": [TEXT]}
    assert query(call)["access_token"] == [TOKEN]
    assert call.request.req_kwargs["timeout"] == 30.0


def test_photos_are_uploaded_unpublished_with_alt_text_then_attached(http, make, tmp_path):
    (tmp_path / "media").mkdir()
    chart, photo = tmp_path / "media" / "chart.png", tmp_path / "media" / "team.jpg"
    chart.write_bytes(PNG + b"chart-bytes")
    photo.write_bytes(b"\xff\xd8\xff\xe0team-bytes")
    http.post(PHOTOS, json={"id": "900000000000001"})
    http.post(PHOTOS, json={"id": "900000000000002"})
    http.post(FEED, json={"id": POST_ID})

    make().publish(part(media=(MediaFile(chart, "Bar chart of European gas imports, 2019-2026"),
                               MediaFile(photo, None))))

    first, second, post = http.calls
    assert b"chart-bytes" in first.request.body and b'name="published"\r\n\r\nfalse' in first.request.body
    assert b'name="alt_text_custom"\r\n\r\nBar chart of European gas imports, 2019-2026' in first.request.body
    assert b"team-bytes" in second.request.body and b"alt_text_custom" not in second.request.body
    assert post.request.url.startswith(FEED)
    sent = form(post)
    assert sent["message"] == [TEXT]
    assert [json.loads(sent[f"attached_media[{i}]"][0]) for i in range(2)] == [
        {"media_fbid": "900000000000001"}, {"media_fbid": "900000000000002"}]


def test_a_file_facebook_cannot_take_is_refused_before_anything_is_sent(http, make, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(clip, None),)))

    assert caught.value.kind == "invalid" and "clip.mp4" in str(caught.value)
    assert not http.calls


def test_thread_parts_are_comments_on_the_pages_post(http, make, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(PHOTOS, json={"id": "900000000000003"})
    http.post(COMMENTS, json={"id": "122101234567890123_4455667788"})
    http.post(COMMENTS, json={"id": "122101234567890123_4455667799"})

    first = make().publish(part("Key findings: ...", part=1, reply_to=POST_ID,
                                media=(MediaFile(chart, "A chart"),)))
    second = make().publish(part("Read it all: ...", part=2, reply_to=first.platform_id))

    assert first.platform_id == f"{POST_ID}|122101234567890123_4455667788"
    assert first.url == (f"https://www.facebook.com/{PAGE}/posts/122101234567890123"
                         f"?comment_id=122101234567890123_4455667788")
    assert second.platform_id == f"{POST_ID}|122101234567890123_4455667799"   # on the post, not the comment
    comments = calls_to(http, "POST", COMMENTS)
    assert form(comments[0]) == {"message": ["Key findings: ..."], "attachment_id": ["900000000000003"]}
    assert form(comments[1]) == {"message": ["Read it all: ..."]}


# -- an answer lost after the post was made ----------------------------------------------------------


def test_a_post_whose_answer_was_lost_is_found_on_the_page_not_posted_again(http, make, sleeps):
    http.post(FEED, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, json={"data": [page_post("104729381234567_122109999999999999", "Something else"),
                                   page_post()],
                          "paging": {"cursors": {"before": "QVFIU", "after": "QVFIR"}}})

    result = make().publish(part())

    assert result.platform_id == POST_ID
    assert result.url == f"https://www.facebook.com/{PAGE}/posts/122101234567890123"
    assert result.published_at == datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC)
    assert len(calls_to(http, "POST", FEED)) == 1 and sleeps == []
    (read,) = calls_to(http, "GET", POSTS)
    assert query(read)["since"] == [str(int((NOW - timedelta(minutes=5)).timestamp()))]


def test_a_server_error_that_did_not_post_is_retried_after_checking(http, make, sleeps):
    http.post(FEED, **graph_error("An unexpected error has occurred. Please retry your request later.", 2,
                                  status=500, transient=True))
    http.get(POSTS, json={"data": []})
    http.post(FEED, json={"id": POST_ID})

    result = make().publish(part())

    assert result.platform_id == POST_ID
    assert len(calls_to(http, "POST", FEED)) == 2 and len(calls_to(http, "GET", POSTS)) == 1
    assert sleeps == [2.0]


def test_a_repeat_refused_as_a_duplicate_is_found_again(http, make, sleeps):
    http.post(FEED, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, json={"data": []})                    # the page's posts do not show it yet
    http.post(FEED, **graph_error("Duplicate status message", 506, kind="OAuthException"))
    http.get(POSTS, json={"data": [page_post()]})

    assert make().publish(part()).platform_id == POST_ID
    assert len(calls_to(http, "POST", FEED)) == 2


def test_when_checking_fails_the_part_is_in_doubt_and_not_sent_again(http, make):
    http.post(FEED, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, **graph_error("An unknown error has occurred.", 1, status=500))
    http.get(POSTS, **graph_error("An unknown error has occurred.", 1, status=500))
    http.get(POSTS, **graph_error("An unknown error has occurred.", 1, status=500))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "in-doubt" and caught.value.retryable
    assert "post report-launch to fb" in str(caught.value) and "not sent again" in str(caught.value)
    assert len(calls_to(http, "POST", FEED)) == 1
    assert_no_secrets(caught.value, [TOKEN])


def test_a_connection_never_opened_is_retried_without_checking(http, make, sleeps):
    http.post(FEED, body=requests.exceptions.ConnectTimeout("connect timed out"))
    http.post(FEED, json={"id": POST_ID})

    assert make().publish(part()).platform_id == POST_ID
    assert not calls_to(http, "GET", POSTS) and sleeps == [2.0]


# -- in-doubt resolution ---------------------------------------------------------------------------


def test_lookup_reads_the_pages_posts_page_by_page(http, make):
    second_page = f"{POSTS}?access_token={TOKEN}&limit=100&after=QVFIR"
    http.get(POSTS, json={"data": [page_post("104729381234567_1", "Older news")],
                          "paging": {"next": second_page}})
    http.get(POSTS, json={"data": [page_post(message="Our new report on energy security is out today:\n"
                                                     "https://www.csis.org/analysis/energy-security")]})

    found = make().lookup(part(), NOW)

    assert found == Published(platform_id=POST_ID, url=f"https://www.facebook.com/{PAGE}/posts/122101234567890123",
                              published_at=datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))
    assert [c.request.url for c in http.calls][1] == second_page


def test_lookup_that_finds_nothing_says_so(http, make):
    http.get(POSTS, json={"data": [page_post(message="Our new report is out")]})

    assert make().lookup(part(), NOW) is None


def test_lookup_of_a_comment_reads_the_posts_comments_by_the_page(http, make):
    http.get(COMMENTS, json={"data": [
        {"id": "122101234567890123_1", "message": "Key findings: ...", "created_time": "2026-11-24T14:00:05+0000",
         "from": {"id": "2093847561", "name": "A reader"}},
        {"id": "122101234567890123_2", "message": "Key findings: ...", "created_time": "2026-11-24T14:00:03+0000",
         "from": {"id": PAGE, "name": "CSIS"}},
    ]})

    found = make().lookup(part("Key findings: ...", part=1, reply_to=POST_ID), NOW)

    assert found is not None and found.platform_id == f"{POST_ID}|122101234567890123_2"
    assert query(http.calls[0])["order"] == ["reverse_chronological"]


def test_lookup_that_cannot_ask_stays_open(http, make):
    http.get(POSTS, **graph_error("(#10) This endpoint requires the 'pages_read_engagement' permission", 10,
                                  status=403))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    assert caught.value.retryable and caught.value.kind == "auth"
    assert "pages_read_engagement" in str(caught.value)


# -- errors ----------------------------------------------------------------------------------------


def test_an_expired_token_names_the_variable_and_hides_the_token(http, make):
    http.post(FEED, **graph_error(f"Error validating access token: Session has expired. Token {TOKEN}", 190,
                                  subcode=463, status=400))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    message = str(caught.value)
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "POSTOPS_FB_PAGE_TOKEN" in message and "post report-launch to fb" in message
    assert "code 190, error_subcode 463, fbtrace_id AbCdEfGhIjK" in message
    assert_no_secrets(caught.value, [TOKEN])


def test_a_policy_block_is_reported_for_a_later_run(http, make):
    http.post(FEED, **graph_error("It looks like you were misusing this feature by going too fast.", 368,
                                  subcode=1390008))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.retryable and "Support Inbox" in str(caught.value)


def test_an_invalid_request_is_not_retried(http, make, sleeps):
    http.post(FEED, **graph_error("(#100) Invalid parameter", 100, kind="OAuthException"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "invalid" and "(#100) Invalid parameter" in str(caught.value)
    assert len(http.calls) == 1 and sleeps == []


def test_missing_page_id_or_token_is_said_before_any_request(http, tmp_path):
    with pytest.raises(PlatformError) as caught:
        FacebookPlatform(Account(key="fb", platform="facebook", credentials="POSTOPS_FB"), tmp_path, ENV)
    assert "page_id" in str(caught.value)
    with pytest.raises(PlatformError) as caught:
        FacebookPlatform(ACCOUNT, tmp_path, {"POSTOPS_FB_PAGE_TOKEN": ""})
    assert caught.value.kind == "auth" and "POSTOPS_FB_PAGE_TOKEN is not set" in str(caught.value)


# -- rate limits -----------------------------------------------------------------------------------


def test_a_page_rate_limit_that_lifts_soon_is_waited_out(http, make, sleeps):
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 35,
                     "estimated_time_to_regain_access": 1}]}
    http.post(FEED, **graph_error("(#80001) There have been too many calls to this Page account.", 80001,
                                  headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
    http.post(FEED, json={"id": POST_ID})

    assert make().publish(part()).platform_id == POST_ID      # "1" minute: within the default budget
    assert sleeps == [61.0]


def test_a_rate_limit_that_lifts_later_is_reported_with_its_time(http, make, sleeps):
    usage = {"call_count": 100, "total_cputime": 20, "total_time": 25, "estimated_time_to_regain_access": 25}
    http.post(FEED, **graph_error("(#32) Page request limit reached", 32,
                                  headers={"X-Page-Usage": json.dumps(usage)}))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert "2026-11-24 14:25:00 UTC" in str(caught.value) and "post report-launch to fb" in str(caught.value)
    assert sleeps == [] and len(http.calls) == 1


def test_an_app_rate_limit_without_a_time_is_reported(http, make, sleeps):
    http.post(FEED, **graph_error("(#4) Application request limit reached", 4,
                                  headers={"X-App-Usage": json.dumps({"call_count": 100, "total_time": 20,
                                                                      "total_cputime": 20})}))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit" and "did not say when it resets" in str(caught.value)


# -- deleting --------------------------------------------------------------------------------------


def test_delete_a_post_and_a_comment(http, make):
    http.delete(f"{GRAPH}/{POST_ID}", json={"success": True})
    http.delete(f"{GRAPH}/122101234567890123_4455667788", json={"success": True})

    make().delete(POST_ID)
    make().delete(f"{POST_ID}|122101234567890123_4455667788")

    assert [c.request.method for c in http.calls] == ["DELETE", "DELETE"]


def test_deleting_what_is_already_gone_succeeds(http, make):
    http.delete(f"{GRAPH}/{POST_ID}", **graph_error(
        f"Unsupported delete request. Object with ID '{POST_ID}' does not exist, cannot be loaded due to missing "
        f"permissions, or does not support this operation.", 100, subcode=33, kind="GraphMethodException"))

    make().delete(POST_ID)

    assert len(http.calls) == 1


# -- token expiry and registration -----------------------------------------------------------------


def test_token_expiry_comes_from_debug_token(http, make):
    http.get(f"{GRAPH}/debug_token", json={"data": {
        "app_id": "138483919580948", "type": "PAGE", "application": "postops", "expires_at": 1796256000,
        "is_valid": True, "issued_at": 1790000000, "profile_id": PAGE, "scopes": ["pages_manage_posts"],
        "user_id": "10100000000000000"}})
    http.get(f"{GRAPH}/debug_token", json={"data": {"type": "PAGE", "expires_at": 0, "is_valid": True}})
    http.get(f"{GRAPH}/debug_token", json={"data": {"type": "PAGE", "expires_at": 0, "is_valid": True,
                                                    "data_access_expires_at": 1790000000}})
    http.get(f"{GRAPH}/debug_token", json={"data": {"type": "PAGE", "expires_at": 0, "is_valid": False}})

    assert make().token_expires() == datetime.fromtimestamp(1796256000, UTC)
    assert make().token_expires() is None
    assert make().token_expires() == datetime.fromtimestamp(1790000000, UTC)
    with pytest.raises(PlatformError) as caught:
        make().token_expires()
    assert caught.value.kind == "auth" and "no longer valid" in str(caught.value)
    assert query(http.calls[0])["input_token"] == [TOKEN]


def test_the_api_version_comes_from_the_account(http, tmp_path):
    http.post(f"https://graph.facebook.com/v24.0/{PAGE}/feed", json={"id": POST_ID})
    account = Account(key="fb", platform="facebook", page_id=PAGE, credentials="POSTOPS_FB", api_version="v24.0")

    FacebookPlatform(account, tmp_path, ENV).publish(part())

    assert len(http.calls) == 1


def test_get_platform_builds_the_facebook_adapter(tmp_path):
    assert isinstance(get_platform(ACCOUNT, tmp_path, ENV), FacebookPlatform)


# -- posts made outside postops --------------------------------------------------------------------


def test_recent_lists_the_pages_posts_since_a_time(http, make):
    from postops.platforms.base import RemotePost

    http.get(POSTS, json={"data": [page_post(), page_post(f"{PAGE}_1", "Old news", "2026-11-20T09:00:00+0000")]})

    posts = make().recent(NOW - timedelta(hours=1))

    assert posts == [RemotePost(POST_ID, TEXT, f"https://www.facebook.com/{PAGE}/posts/122101234567890123",
                                datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))]
    assert query(http.calls[0])["since"] == [str(int((NOW - timedelta(hours=1)).timestamp()))]


def test_recent_without_permission_to_read_is_unavailable(http, make):
    http.get(POSTS, **graph_error("(#10) This endpoint requires the 'pages_read_engagement' permission", 10,
                                  status=403))

    with pytest.raises(PlatformError) as caught:
        make().recent(NOW)

    assert caught.value.kind == "unavailable" and "pages_read_engagement" in str(caught.value)


def test_a_failed_delete_names_the_post_and_the_account(http, make):
    http.delete(f"{GRAPH}/{POST_ID}", **graph_error("(#200) Permissions error", 200, status=403))

    with pytest.raises(PlatformError) as caught:
        make().delete(POST_ID)

    assert f"deleting post {POST_ID} from fb" in str(caught.value) and "POSTOPS_FB_PAGE_TOKEN" in str(caught.value)
