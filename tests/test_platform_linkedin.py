"""The LinkedIn adapter against a real requests session, with LinkedIn's REST API answered by `responses`.

The answers are shaped from LinkedIn's documentation:
- Posts API (create answers 201 with the post's URN in x-restli-id; find by author; delete answers 204):
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
- Images API (initializeUpload, then PUT to uploadUrl):
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
- little text format: https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
- errors {"status", "serviceErrorCode", "code", "message"} and 429:
  https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling,
  https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits
- token introspection: https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformfixtures
import pytest
import requests
from platformfixtures import PNG, adapter_factory, assert_no_secrets, calls_to

from postops.http import Retry
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, get_platform
from postops.platforms.linkedin import LinkedInPlatform, commentary
from postops.repo.config import Account

ORG = "2414183"
POSTS = "https://api.linkedin.com/rest/posts"
IMAGES = "https://api.linkedin.com/rest/images"
URN = "urn:li:share:7271234567890123456"
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ACCOUNT = Account(key="li", platform="linkedin", organization=ORG, credentials="POSTOPS_LI")
TOKEN = "AQVh7cKZa9mDq2LpX4tR8sW1nB6yE3uJ0oF5gH"
ENV = {"POSTOPS_LI_ACCESS_TOKEN": TOKEN}
TEXT = "Our new report on energy security is out today: https://www.csis.org/analysis/energy-security"
http, sleeps = platformfixtures.http, platformfixtures.sleeps  # fixtures: pytest finds them by these names


@pytest.fixture
def make(tmp_path: Path, sleeps: list[float]) -> Callable[..., LinkedInPlatform]:
    return adapter_factory(LinkedInPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def part(text: str = TEXT, **fields) -> PartRequest:
    return PartRequest(post_id="report-launch", account=ACCOUNT, part=fields.pop("part", 0), text=text, **fields)


def created(urn: str = URN) -> dict:
    return {"status": 201, "headers": {"x-restli-id": urn}, "body": ""}


def refusal(status: int, message: str, code: str | None = None, service_code: int | None = None,
            headers: dict | None = None) -> dict:
    body: dict = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service_code:
        body["serviceErrorCode"] = service_code
    return {"json": body, "status": status, "headers": headers or {}}


def org_post(urn: str = URN, text: str = TEXT, at: datetime = datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC)) -> dict:
    millis = int(at.timestamp() * 1000)
    return {"id": urn, "author": f"urn:li:organization:{ORG}", "commentary": commentary(text),
            "createdAt": millis, "publishedAt": millis, "lastModifiedAt": millis, "lifecycleState": "PUBLISHED",
            "visibility": "PUBLIC"}


def body(call) -> dict:
    return json.loads(call.request.body)


# -- publishing ------------------------------------------------------------------------------------


def test_publish_a_text_post_with_a_link(http, make):
    http.post(POSTS, **created())

    result = make().publish(part())

    assert result == Published(platform_id=URN, url=f"https://www.linkedin.com/feed/update/{URN}/", published_at=NOW)
    (call,) = http.calls
    assert body(call) == {
        "author": f"urn:li:organization:{ORG}", "commentary": TEXT, "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    headers = call.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["LinkedIn-Version"] == "202605" and headers["X-Restli-Protocol-Version"] == "2.0.0"


def test_text_is_written_in_the_little_text_format(http, make):
    http.post(POSTS, **created())

    make().publish(part("Our report (2026) on #EnergySecurity, with @[CSIS Europe](urn:li:organization:90210): "
                        "https://www.csis.org/a_b#top"))

    assert body(http.calls[0])["commentary"] == (
        r"Our report \(2026\) on {hashtag|\#|EnergySecurity}, with @[CSIS Europe](urn:li:organization:90210): "
        r"https://www.csis.org/a\_b\#top")


def test_images_are_uploaded_and_attached_with_alt_text(http, make, tmp_path):
    chart, photo = tmp_path / "chart.png", tmp_path / "team.jpg"
    chart.write_bytes(PNG + b"chart-bytes")
    photo.write_bytes(b"\xff\xd8\xff\xe0team-bytes")
    for n in (1, 2):
        http.post(IMAGES, json={"value": {"uploadUrlExpiresAt": 1764000000000,
                                          "uploadUrl": f"https://www.linkedin.com/dms-uploads/sp/v2/D4E{n}/upload",
                                          "image": f"urn:li:image:C4E10AQF{n}"}})
        http.put(f"https://www.linkedin.com/dms-uploads/sp/v2/D4E{n}/upload", status=201)
    http.post(POSTS, **created())

    make().publish(part(media=(MediaFile(chart, "Bar chart of gas imports"), MediaFile(photo, None))))

    init = calls_to(http, "POST", IMAGES)
    assert parse_qs(urlsplit(init[0].request.url).query) == {"action": ["initializeUpload"]}
    assert body(init[0]) == {"initializeUploadRequest": {"owner": f"urn:li:organization:{ORG}"}}
    puts = [c for c in http.calls if c.request.method == "PUT"]
    assert puts[0].request.body.endswith(b"chart-bytes") and puts[0].request.headers["Content-Type"] == "image/png"
    assert body(calls_to(http, "POST", POSTS)[0])["content"] == {"multiImage": {"images": [
        {"id": "urn:li:image:C4E10AQF1", "altText": "Bar chart of gas imports"}, {"id": "urn:li:image:C4E10AQF2"}]}}


def test_one_image_is_media_content(http, make, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(IMAGES, json={"value": {"uploadUrl": "https://www.linkedin.com/dms-uploads/x", "image": "urn:li:image:C1"}})
    http.put("https://www.linkedin.com/dms-uploads/x", status=201)
    http.post(POSTS, **created())

    make().publish(part(media=(MediaFile(chart, "A chart"),)))

    assert body(calls_to(http, "POST", POSTS)[0])["content"] == {"media": {"id": "urn:li:image:C1", "altText": "A chart"}}


def test_webp_and_replies_are_refused_before_anything_is_sent(http, make, tmp_path):
    image = tmp_path / "photo.webp"
    image.write_bytes(b"RIFF0000WEBP")
    for request in (part(media=(MediaFile(image, None),)), part(part=1, reply_to=URN)):
        with pytest.raises(PlatformError) as caught:
            make().publish(request)
        assert caught.value.kind == "invalid" and "post report-launch" in str(caught.value)
    assert not http.calls


# -- an answer lost after the post was made ----------------------------------------------------------


def test_a_post_whose_answer_was_lost_is_found_not_posted_again(http, make, sleeps):
    http.post(POSTS, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, json={"elements": [org_post("urn:li:share:1", "Something else"), org_post()],
                          "paging": {"start": 0, "count": 50, "links": []}})

    result = make().publish(part())

    assert result == Published(platform_id=URN, url=f"https://www.linkedin.com/feed/update/{URN}/",
                               published_at=datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))
    assert len(calls_to(http, "POST", POSTS)) == 1 and sleeps == []
    (read,) = calls_to(http, "GET", POSTS)
    assert parse_qs(urlsplit(read.request.url).query) == {
        "author": [f"urn:li:organization:{ORG}"], "q": ["author"], "count": ["50"], "start": ["0"],
        "sortBy": ["CREATED"]}
    assert read.request.headers["X-RestLi-Method"] == "FINDER"


def test_a_server_error_that_did_not_post_is_retried_after_checking(http, make, sleeps):
    http.post(POSTS, **refusal(503, "Service Unavailable"))
    http.get(POSTS, json={"elements": [], "paging": {"start": 0, "count": 50}})
    http.post(POSTS, **created())

    assert make().publish(part()).platform_id == URN
    assert len(calls_to(http, "POST", POSTS)) == 2 and sleeps == [2.0]


def test_a_repeat_refused_as_a_duplicate_names_the_post_that_went_out(http, make):
    http.post(POSTS, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, json={"elements": [], "paging": {"start": 0, "count": 50}})
    http.post(POSTS, **refusal(422, f"ERROR :: /commentary :: Content is a duplicate of {URN}"))

    assert make().publish(part()).platform_id == URN


def test_a_duplicate_without_a_lost_answer_is_reported(http, make):
    http.post(POSTS, **refusal(422, f"ERROR :: /commentary :: Content is a duplicate of {URN}"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "duplicate" and URN in str(caught.value)


def test_when_checking_fails_the_part_is_in_doubt(http, make):
    http.post(POSTS, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(POSTS, **refusal(403, "Not enough permissions to access: posts.FINDER-author.20260501",
                              "ACCESS_DENIED", 100))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "in-doubt" and "not sent again" in str(caught.value)
    assert len(calls_to(http, "POST", POSTS)) == 1


# -- in-doubt resolution ---------------------------------------------------------------------------


def test_lookup_pages_through_newest_first_and_stops_at_older_posts(http, make):
    newer = [org_post(f"urn:li:share:{n}", f"Post {n}") for n in range(50)]
    http.get(POSTS, json={"elements": newer, "paging": {"start": 0, "count": 50}})
    http.get(POSTS, json={"elements": [org_post("urn:li:share:99", TEXT, datetime(2026, 11, 20, tzinfo=UTC))],
                          "paging": {"start": 50, "count": 50}})

    assert make().lookup(part(), NOW) is None
    assert [parse_qs(urlsplit(c.request.url).query)["start"] for c in http.calls] == [["0"], ["50"]]


def test_lookup_matches_the_text_as_linkedin_stores_it(http, make):
    text = "Our report (2026) on #EnergySecurity"
    http.get(POSTS, json={"elements": [org_post(text=text)], "paging": {"start": 0, "count": 50}})

    found = make().lookup(part(text), NOW)

    assert found is not None and found.platform_id == URN


# -- errors and rate limits ------------------------------------------------------------------------


def test_an_expired_token_names_the_variable_and_hides_the_token(http, make):
    http.post(POSTS, **refusal(401, f"The token used in the request has expired ({TOKEN})", "EXPIRED_ACCESS_TOKEN",
                               65601))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "POSTOPS_LI_ACCESS_TOKEN" in str(caught.value) and "post report-launch to li" in str(caught.value)
    assert_no_secrets(caught.value, [TOKEN])


def test_a_rate_limit_with_retry_after_is_waited_out(http, make, sleeps):
    http.post(POSTS, **refusal(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is "
                                    "reached.", headers={"Retry-After": "20"}))
    http.post(POSTS, **created())

    assert make().publish(part()).platform_id == URN
    assert sleeps == [21.0]


def test_a_daily_rate_limit_is_reported_with_midnight_utc(http, make, sleeps):
    http.post(POSTS, **refusal(429, "Resource level throttle MEMBER DAY limit for calls to this resource is reached."))

    with pytest.raises(PlatformError) as caught:
        make(retry=Retry(max_rate_wait=60)).publish(part())

    assert caught.value.kind == "rate-limit" and "2026-11-25 00:00:00 UTC" in str(caught.value)
    assert sleeps == []


def test_missing_organization_or_token_is_said_before_any_request(tmp_path):
    with pytest.raises(PlatformError) as caught:
        LinkedInPlatform(Account(key="li", platform="linkedin", credentials="POSTOPS_LI"), tmp_path, ENV)
    assert "organization" in str(caught.value)
    with pytest.raises(PlatformError) as caught:
        LinkedInPlatform(ACCOUNT, tmp_path, {})
    assert caught.value.kind == "auth" and "POSTOPS_LI_ACCESS_TOKEN is not set" in str(caught.value)


# -- deleting, token expiry, registration ----------------------------------------------------------


def test_delete_and_delete_again(http, make):
    url = f"{POSTS}/urn%3Ali%3Ashare%3A7271234567890123456"
    http.delete(url, status=204)
    http.delete(url, **refusal(404, "Not Found"))

    make().delete(URN)
    make().delete(URN)

    assert [c.request.headers["X-RestLi-Method"] for c in http.calls] == ["DELETE", "DELETE"]


def test_token_expiry_by_introspection_needs_the_apps_client_credentials(http, make):
    http.post("https://www.linkedin.com/oauth/v2/introspectToken", json={
        "active": True, "client_id": "86abc", "authorized_at": 1759000000, "created_at": 1759000000,
        "status": "active", "expires_at": 1765000000, "scope": "r_organization_social,w_organization_social",
        "auth_type": "3L"})

    assert make().token_expires() is None and not http.calls          # no client id and secret: cannot ask
    env = {**ENV, "POSTOPS_LI_CLIENT_ID": "86abc", "POSTOPS_LI_CLIENT_SECRET": "WPL_AP1.secret.123"}
    assert make(env=env).token_expires() == datetime.fromtimestamp(1765000000, UTC)
    (call,) = http.calls
    assert parse_qs(call.request.body)["token"] == [TOKEN] and "Authorization" not in call.request.headers


def test_the_version_comes_from_the_account(http, tmp_path):
    http.post(POSTS, **created())
    account = Account(key="li", platform="linkedin", organization=ORG, credentials="POSTOPS_LI", api_version="202601")

    LinkedInPlatform(account, tmp_path, ENV).publish(part())

    assert http.calls[0].request.headers["LinkedIn-Version"] == "202601"


def test_get_platform_builds_the_linkedin_adapter(tmp_path):
    assert isinstance(get_platform(ACCOUNT, tmp_path, ENV), LinkedInPlatform)


# -- posts made outside postops --------------------------------------------------------------------


def test_recent_lists_the_organisations_posts_as_readers_see_them(http, make):
    from datetime import timedelta

    from postops.platforms.base import RemotePost

    http.get(POSTS, json={"elements": [org_post(text="Our report (2026) on #EnergySecurity\nRead it."),
                                       org_post("urn:li:share:1", "Old", datetime(2026, 11, 1, tzinfo=UTC))],
                          "paging": {"start": 0, "count": 50}})

    posts = make().recent(NOW - timedelta(days=1))

    assert posts == [RemotePost(URN, "Our report (2026) on #EnergySecurity\nRead it.",
                                f"https://www.linkedin.com/feed/update/{URN}/",
                                datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))]


def test_recent_without_the_read_scope_is_unavailable(http, make):
    http.get(POSTS, **refusal(403, "Not enough permissions to access: posts.FINDER-author.20260501",
                              "ACCESS_DENIED", 100))

    with pytest.raises(PlatformError) as caught:
        make().recent(NOW)

    assert caught.value.kind == "unavailable" and "r_organization_social" in str(caught.value)


def test_a_failed_delete_names_the_post_and_the_account(http, make, sleeps):
    url = f"{POSTS}/urn%3Ali%3Ashare%3A7271234567890123456"
    http.delete(url, **refusal(403, "Not enough permissions to access: posts.DELETE.20260501", "ACCESS_DENIED", 100))

    with pytest.raises(PlatformError) as caught:
        make().delete(URN)

    assert f"deleting post {URN} from li" in str(caught.value) and "POSTOPS_LI_ACCESS_TOKEN" in str(caught.value)
