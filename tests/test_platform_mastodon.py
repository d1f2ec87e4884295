"""The Mastodon adapter against a real requests session, with the server's HTTP answered by `responses`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformfixtures
import pytest
import requests
from platformfixtures import PNG, adapter_factory, assert_no_secrets, calls_to

from postops.http import Retry
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, get_platform
from postops.platforms.mastodon import MastodonPlatform
from postops.repo.config import Account

BASE = "https://mastodon.example"
STATUSES = f"{BASE}/api/v1/statuses"
MEDIA_V2 = f"{BASE}/api/v2/media"
MEDIA_V1 = f"{BASE}/api/v1/media"
VERIFY = f"{BASE}/api/v1/accounts/verify_credentials"
ACCOUNT_ID = "109348293741520001"
TIMELINE = f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses"

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ACCOUNT = Account(key="social", platform="mastodon", handle="@csis@mastodon.example",
                  credentials="POSTOPS_SOCIAL", instance=BASE)
TOKEN = "mstdn-Zq8xW3vT9kLp2RfY7nBc4HjD6"
ENV = {"POSTOPS_SOCIAL_ACCESS_TOKEN": TOKEN}
SECRETS = (TOKEN, TOKEN[6:20])  # a long piece of the token gives it away as well
KEY = "report-launch:social:0:5b1e6f"
http, sleeps = platformfixtures.http, platformfixtures.sleeps  # fixtures: pytest finds them by these names


@pytest.fixture
def make(tmp_path: Path, sleeps: list[float]) -> Callable[..., MastodonPlatform]:
    return adapter_factory(MastodonPlatform, tmp_path, sleeps, account=ACCOUNT, env=ENV, now=NOW)


def part(text: str = "Our new report on energy security is out today.", **fields) -> PartRequest:
    fields.setdefault("idempotency_key", KEY)
    return PartRequest(post_id="report-launch", account=ACCOUNT, part=fields.pop("part", 0), text=text, **fields)


def status(status_id: str = "113541234567890001", content: str = "<p>Our new report on energy security is "
           "out today.</p>", created_at: str = "2026-11-24T14:00:01.123Z", **fields) -> dict:
    return {"id": status_id, "created_at": created_at, "content": content,
            "url": f"https://mastodon.example/@csis/{status_id}", "uri":
            f"https://mastodon.example/users/csis/statuses/{status_id}", "visibility": "public",
            "in_reply_to_id": None, "media_attachments": [], **fields}


def form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body, keep_blank_values=True)


def refusal(status_code: int, error: str) -> dict:
    return {"json": {"error": error}, "status": status_code}


# -- publishing ------------------------------------------------------------------------------------


def test_publish_plain_post(http, make):
    http.post(STATUSES, json=status("113541234567890001"))

    result = make().publish(part())

    assert result == Published(platform_id="113541234567890001",
                               url="https://mastodon.example/@csis/113541234567890001",
                               published_at=datetime(2026, 11, 24, 14, 0, 1, 123000, tzinfo=UTC))
    (call,) = http.calls
    assert form(call) == {"status": ["Our new report on energy security is out today."],
                          "visibility": ["public"]}
    assert call.request.headers["Idempotency-Key"] == KEY
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.req_kwargs["timeout"] == 30.0


def test_thread_reply_names_the_status_it_replies_to(http, make):
    http.post(STATUSES, json=status("113541234567890002", in_reply_to_id="113541234567890001"))

    result = make().publish(part("Key findings: ...", part=1, reply_to="113541234567890001"))

    assert result.platform_id == "113541234567890002"
    assert form(http.calls[0]) == {"status": ["Key findings: ..."], "visibility": ["public"],
                                     "in_reply_to_id": ["113541234567890001"]}


def test_a_reply_to_a_status_on_another_server_is_found_through_search(http, make):
    # A status id means something only on its own server; GET /api/v2/search with resolve=true fetches a remote
    # status and answers with its id on this one (https://docs.joinmastodon.org/methods/search/#v2).
    remote = "https://partner.example/@research/112000000000000777"
    http.get(f"{BASE}/api/v2/search", json={"accounts": [], "hashtags": [],
                                           "statuses": [status("113541234567890555", url=remote)]})
    http.post(STATUSES, json=status("113541234567890002", in_reply_to_id="113541234567890555"))

    make().publish(part("Congratulations!", reply_to=remote))

    search, post = http.calls
    assert parse_qs(urlsplit(search.request.url).query) == {"q": [remote], "type": ["statuses"],
                                                            "resolve": ["true"], "limit": ["1"]}
    assert form(post)["in_reply_to_id"] == ["113541234567890555"]


def test_a_reply_to_a_link_on_this_server_needs_no_search(http, make):
    # Mastodon links a status as https://<server>/@<user>/<id> (its `url`) or /users/<user>/statuses/<id>.
    http.post(STATUSES, json=status("113541234567890002", in_reply_to_id="113541234567890001"))
    for link in ("https://mastodon.example/@csis/113541234567890001",
                 "https://mastodon.example/users/csis/statuses/113541234567890001"):
        make().publish(part("Key findings: ...", part=1, reply_to=link))
    assert [form(call)["in_reply_to_id"] for call in http.calls] == [["113541234567890001"]] * 2


def test_published_at_falls_back_to_the_clock(http, make):
    http.post(STATUSES, json={"id": "7", "url": None, "uri": None, "content": ""})

    result = make().publish(part())

    assert result == Published(platform_id="7", url="https://mastodon.example/@csis/7", published_at=NOW)


def test_media_is_uploaded_first_with_alt_text_and_processing_is_waited_for(http, make, tmp_path, sleeps):
    (tmp_path / "media").mkdir()
    chart, clip = tmp_path / "media" / "chart.png", tmp_path / "media" / "clip.mp4"
    chart.write_bytes(PNG + b"chart-bytes")
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42clip-bytes")
    http.post(MEDIA_V2, json={"id": "22001", "type": "image", "url": f"{BASE}/m/chart.png"})
    http.post(MEDIA_V2, json={"id": "22002", "type": "video", "url": None}, status=202)
    http.get(f"{MEDIA_V1}/22002", json={"id": "22002", "type": "video", "url": None}, status=206)
    http.get(f"{MEDIA_V1}/22002", json={"id": "22002", "type": "video", "url": f"{BASE}/m/clip.mp4"})
    http.post(STATUSES, json=status())

    make().publish(part(media=(MediaFile(chart, "Bar chart of European gas imports, 2019-2026"),
                               MediaFile(clip, None))))

    assert [(c.request.method, c.request.url) for c in http.calls] == [
        ("POST", MEDIA_V2), ("POST", MEDIA_V2), ("GET", f"{MEDIA_V1}/22002"), ("GET", f"{MEDIA_V1}/22002"),
        ("POST", STATUSES)]
    first, second = http.calls[0].request, http.calls[1].request
    assert first.headers["Content-Type"].startswith("multipart/form-data")
    assert b"chart-bytes" in first.body and b'filename="chart.png"' in first.body
    assert b'name="description"\r\n\r\nBar chart of European gas imports, 2019-2026' in first.body
    assert b"clip-bytes" in second.body and b'name="description"' not in second.body
    assert sleeps == [2.0, 2.0]
    assert form(http.calls[4])["media_ids[]"] == ["22001", "22002"]


def test_media_still_processing_is_given_up_on_after_a_bound(http, make, tmp_path, sleeps):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip")
    http.post(MEDIA_V2, json={"id": "22002", "url": None}, status=202)
    http.get(f"{MEDIA_V1}/22002", json={"id": "22002", "url": None}, status=206)

    with pytest.raises(PlatformError) as caught:
        make(media_polls=3).publish(part(media=(MediaFile(clip, None),)))

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "still processing" in str(caught.value) and "clip.mp4" in str(caught.value)
    assert sleeps == [2.0, 2.0, 2.0]
    assert len(calls_to(http, "GET", f"{MEDIA_V1}/22002")) == 3
    assert not calls_to(http, "POST", STATUSES)


def test_media_the_server_refuses_is_invalid(http, make, tmp_path):
    doc = tmp_path / "report.pdf"
    doc.write_bytes(b"%PDF-1.7")
    http.post(MEDIA_V2, **refusal(422, "Validation failed: File content type is invalid, File is invalid"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(doc, "the report"),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "File content type is invalid" in str(caught.value) and "report.pdf" in str(caught.value)
    assert not calls_to(http, "POST", STATUSES)


def test_missing_media_file_is_an_invalid_post(http, make, tmp_path):
    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(tmp_path / "gone.png", None),)))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "gone.png" in str(caught.value)
    assert not http.calls


def test_a_request_without_an_idempotency_key_gets_a_stable_one(http, make):
    http.post(STATUSES, json=status())
    http.post(STATUSES, json=status())

    make().publish(part(idempotency_key=""))
    make().publish(part(idempotency_key=""))

    first, second = (c.request.headers["Idempotency-Key"] for c in http.calls)
    assert first and first == second


# -- deleting --------------------------------------------------------------------------------------


def test_delete(http, make):
    http.delete(f"{STATUSES}/113541234567890001", json=status("113541234567890001"))

    make().delete("113541234567890001")

    (call,) = http.calls
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_deleting_a_status_that_is_already_gone_succeeds(http, make):
    http.delete(f"{STATUSES}/113541234567890001", **refusal(404, "Record not found"))

    make().delete("113541234567890001")

    assert len(http.calls) == 1


def test_delete_is_retried_after_a_server_error(http, make, sleeps):
    http.delete(f"{STATUSES}/1", **refusal(502, "Bad Gateway"))
    http.delete(f"{STATUSES}/1", json=status("1"))

    make().delete("1")

    assert len(http.calls) == 2 and sleeps == [2.0]


# -- rate limits -----------------------------------------------------------------------------------


def rate_limited(reset: datetime | None) -> dict:
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
    if reset is not None:
        headers["X-RateLimit-Reset"] = reset.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {"json": {"error": "Too many requests"}, "status": 429, "headers": headers}


def test_rate_limit_that_resets_soon_is_waited_out(http, make, sleeps):
    http.post(STATUSES, **rate_limited(NOW + timedelta(seconds=29, microseconds=400000)))
    http.post(STATUSES, json=status("113541234567890001"))

    result = make().publish(part())

    assert result.platform_id == "113541234567890001"
    assert sleeps == [31.0]  # up to the reset's next whole second, plus one
    assert [c.request.headers["Idempotency-Key"] for c in http.calls] == [KEY, KEY]


def test_rate_limit_that_resets_too_late_is_reported_without_waiting(http, make, sleeps):
    http.post(STATUSES, **rate_limited(NOW + timedelta(minutes=15)))

    with pytest.raises(PlatformError) as caught:
        make(retry=Retry(max_rate_wait=60)).publish(part())

    assert caught.value.kind == "rate-limit" and caught.value.retryable
    assert "2026-11-24 14:15:00 UTC" in str(caught.value) and "about 15 min" in str(caught.value)
    assert sleeps == [] and len(http.calls) == 1
    assert_no_secrets(caught.value, SECRETS)


def test_rate_limit_without_a_reset_time_is_reported(http, make, sleeps):
    http.post(STATUSES, **rate_limited(None))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit"
    assert "did not say when it resets" in str(caught.value)
    assert sleeps == []


def test_rate_limit_is_waited_out_only_once(http, make, sleeps):
    http.post(STATUSES, **rate_limited(NOW + timedelta(seconds=10)))
    http.post(STATUSES, **rate_limited(NOW + timedelta(seconds=10)))
    http.post(STATUSES, json=status())

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "rate-limit"
    assert sleeps == [11.0] and len(http.calls) == 2


# -- server errors and timeouts --------------------------------------------------------------------


def test_server_error_then_success_retries_with_the_same_idempotency_key(http, make, sleeps):
    http.post(STATUSES, body="<html>503 Service Temporarily Unavailable</html>", status=503)
    http.post(STATUSES, json=status("113541234567890001"))

    result = make().publish(part())

    assert result.platform_id == "113541234567890001"
    attempts = calls_to(http, "POST", STATUSES)
    assert [c.request.headers["Idempotency-Key"] for c in attempts] == [KEY, KEY]
    assert form(attempts[0]) == form(attempts[1])
    assert sleeps == [2.0]


def test_server_errors_give_up_after_three_attempts(http, make, sleeps):
    for _ in range(3):
        http.post(STATUSES, body="", status=503)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "mastodon.example answered 503" in str(caught.value) and "3 attempts" in str(caught.value)
    assert sleeps == [2.0, 4.0]
    assert len(http.calls) == 3
    assert_no_secrets(caught.value, SECRETS)


def test_read_timeout_is_retried_with_the_same_key(http, make, sleeps):
    http.post(STATUSES, body=requests.exceptions.ReadTimeout("read timed out"))
    http.post(STATUSES, json=status("113541234567890001"))

    assert make().publish(part()).platform_id == "113541234567890001"
    assert [c.request.headers["Idempotency-Key"] for c in http.calls] == [KEY, KEY]
    assert sleeps == [2.0]


def test_timeouts_give_up_as_transient(http, make, sleeps):
    for _ in range(3):
        http.post(STATUSES, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with pytest.raises(PlatformError) as caught:
        make(timeout=5.0).publish(part())

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "mastodon.example did not answer in time (3 attempts)" in str(caught.value)
    assert [c.request.req_kwargs["timeout"] for c in http.calls] == [5.0, 5.0, 5.0]
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_unreachable_server_is_transient(http, make):
    for _ in range(3):
        http.post(STATUSES, body=requests.exceptions.ConnectionError("Name or service not known"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "transient"
    assert "could not reach mastodon.example" in str(caught.value)


def test_answer_that_is_not_json_is_an_error(http, make):
    http.post(STATUSES, body="<html>Welcome to nginx!</html>", status=200)

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert "not JSON" in str(caught.value) and "https://mastodon.example" in str(caught.value)


def test_answer_without_a_status_id_is_an_error(http, make):
    http.post(STATUSES, json={"error": "Something went wrong"})

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert caught.value.kind == "error" and caught.value.retryable
    assert "without the id" in str(caught.value)


# -- refusals --------------------------------------------------------------------------------------


def test_unauthorized_is_an_auth_error_and_not_retried(http, make, sleeps):
    http.post(STATUSES, **refusal(401, "The access token is invalid"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    message = str(caught.value)
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "refused the access token in POSTOPS_SOCIAL_ACCESS_TOKEN" in message
    assert "The access token is invalid" in message and "write:statuses" in message
    assert len(http.calls) == 1 and sleeps == []
    assert_no_secrets(caught.value, SECRETS)


def test_missing_scope_is_an_auth_error(http, make, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    http.post(MEDIA_V2, **refusal(403, "This action is outside the authorized scopes"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part(media=(MediaFile(chart, "chart"),)))

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "outside the authorized scopes" in str(caught.value)


def test_validation_failure_is_invalid_with_mastodons_message(http, make, sleeps):
    http.post(STATUSES, **refusal(422, "Validation failed: Text character limit of 500 exceeded"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part("x" * 501))

    assert caught.value.kind == "invalid" and not caught.value.retryable
    assert "Validation failed: Text character limit of 500 exceeded" in str(caught.value)
    assert "post report-launch to social" in str(caught.value)
    assert len(http.calls) == 1 and sleeps == []


def test_reply_to_a_status_that_is_gone_is_invalid(http, make):
    http.post(STATUSES, **refusal(404, "The post you are trying to reply to does not appear to exist."))

    with pytest.raises(PlatformError) as caught:
        make().publish(part("Key findings", part=1, reply_to="1"))

    assert caught.value.kind == "invalid"
    assert "does not appear to exist" in str(caught.value)


def test_secrets_the_server_echoes_back_are_scrubbed(http, make):
    http.post(STATUSES, **refusal(400, f"bad token {TOKEN}"))

    with pytest.raises(PlatformError) as caught:
        make().publish(part())

    assert "bad token ***" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


# -- credentials and configuration -----------------------------------------------------------------


@pytest.mark.parametrize("env", [{}, {"POSTOPS_SOCIAL_ACCESS_TOKEN": ""}, {"POSTOPS_SOCIAL_ACCESS_TOKEN": " \n"},
                                 {"POSTOPS_OTHER_ACCESS_TOKEN": TOKEN}])
def test_missing_credentials_are_named_without_values(make, env):
    with pytest.raises(PlatformError) as caught:
        make(env=env)

    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "POSTOPS_SOCIAL_ACCESS_TOKEN is not set" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


def test_token_is_sent_without_the_white_space_around_it(http, make):
    http.post(STATUSES, json=status("5"))

    make(env={"POSTOPS_SOCIAL_ACCESS_TOKEN": f" {TOKEN}\n"}).publish(part())

    assert http.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_account_without_a_credentials_prefix(make):
    with pytest.raises(PlatformError) as caught:
        make(Account(key="social", platform="mastodon", instance=BASE))

    assert caught.value.kind == "auth" and "credentials" in str(caught.value)


@pytest.mark.parametrize("instance", [None, "", "http://mastodon.example", "ftp://mastodon.example"])
def test_instance_must_be_an_https_address(make, instance):
    with pytest.raises(PlatformError) as caught:
        make(Account(key="social", platform="mastodon", credentials="POSTOPS_SOCIAL", instance=instance))

    assert caught.value.kind == "invalid" and "instance" in str(caught.value)
    assert_no_secrets(caught.value, SECRETS)


@pytest.mark.parametrize("instance", ["https://mastodon.example/", "mastodon.example"])
def test_instance_is_read_leniently(http, make, instance):
    http.post(STATUSES, json=status("5"))
    account = Account(key="social", platform="mastodon", credentials="POSTOPS_SOCIAL", instance=instance)

    assert make(account).publish(part()).platform_id == "5"
    assert http.calls[0].request.url == STATUSES


def test_the_registry_builds_it():
    platform = get_platform(ACCOUNT, Path("."), ENV)

    assert isinstance(platform, MastodonPlatform)


# -- resolving in-doubt posts ----------------------------------------------------------------------


def me() -> dict:
    return {"json": {"id": ACCOUNT_ID, "username": "csis", "acct": "csis"}}


def timeline(*statuses: dict, next_max_id: str | None = None) -> dict:
    answer: dict = {"json": list(statuses)}
    if next_max_id:
        answer["headers"] = {"Link": f'<{TIMELINE}?limit=40&max_id={next_max_id}>; rel="next", '
                                     f'<{TIMELINE}?limit=40&min_id=999>; rel="prev"'}
    return answer


# What Mastodon 4 renders for the text below: the link cut down to 30 visible characters with the rest in
# invisible spans, the remote mention shown without its server, the hashtag and the `&` escaped.
WRITTEN = ("Energy & security: our report is out https://www.csis.org/analysis/energy-security-european-gas-2026"
           "\nwith @jdoe@other.social #EnergySecurity\n\nRead it today.")
RENDERED = (
    '<p>Energy &amp; security: our report is out <a href="https://www.csis.org/analysis/energy-security-'
    'european-gas-2026" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">'
    'https://www.</span><span class="ellipsis">csis.org/analysis/energy-secur</span><span class="invisible">'
    'ity-european-gas-2026</span></a><br />with <span class="h-card" translate="no"><a href="https://'
    'other.social/@jdoe" class="u-url mention">@<span>jdoe</span></a></span> <a href="https://mastodon.'
    'example/tags/EnergySecurity" class="mention hashtag" rel="tag">#<span>EnergySecurity</span></a></p>'
    '<p>Read it today.</p>')


def test_lookup_matches_a_status_as_mastodon_renders_it(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(
        status("113541234567890009", "<p>Something else entirely</p>", "2026-11-24T14:03:00.000Z"),
        status("113541234567890007", RENDERED, "2026-11-24T14:00:02.000Z"),
        next_max_id="113541234567890007"))

    result = make().lookup(part(WRITTEN), claimed_at=NOW)

    assert result == Published(platform_id="113541234567890007",
                               url="https://mastodon.example/@csis/113541234567890007",
                               published_at=datetime(2026, 11, 24, 14, 0, 2, tzinfo=UTC))
    (call,) = calls_to(http, "GET", TIMELINE)
    query = parse_qs(urlsplit(call.request.url).query)
    assert query["limit"] == ["40"] and "max_id" not in query
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert not calls_to(http, "POST", STATUSES)  # resolving never posts


@pytest.mark.parametrize("written, rendered", [
    ("Read it: https://csis.org/r.", ('<p>Read it: <a href="https://csis.org/r"><span class="invisible">'
     'https://</span><span class="">csis.org/r</span><span class="invisible"></span></a>.</p>')),
    # a link shown shortened with no hidden parts, as some servers and older versions render them
    ("Read it: https://www.csis.org/analysis/long-title", ('<p>Read it: <a href="https://www.csis.org/analysis/'
     'long-title" rel="nofollow">csis.org/analysis/long-…</a></p>')),
    ("A < B > C & \"D\"", "<p>A &lt; B &gt; C &amp; &quot;D&quot;</p>"),
    ("line one\nline two", "<p>line one<br>line two</p>"),
    ("@CSIS@mastodon.example thanks", ('<p><span class="h-card"><a href="https://mastodon.example/@csis" '
     'class="u-url mention">@<span>csis</span></a></span> thanks</p>')),
    ("mail info@csis.org", "<p>mail info@csis.org</p>"),
])
def test_lookup_compares_text_the_way_mastodon_changes_it(http, make, written, rendered):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("8", rendered)))

    assert make().lookup(part(written), NOW) is not None


@pytest.mark.parametrize("written, rendered", [
    ("Our report is out today.", "<p>Our report is out tomorrow.</p>"),
    ("Thanks @jdoe", ('<p>Thanks <span class="h-card"><a href="https://other.social/@jsmith" '
     'class="u-url mention">@<span>jsmith</span></a></span></p>')),
    ("Read it https://csis.org/r", "<p>Read it csis.org/r</p>"),
    ("#Energy", ('<p><a href="https://mastodon.example/tags/Power" class="mention hashtag">#<span>Power</span>'
     '</a></p>')),
])
def test_lookup_does_not_match_different_text(http, make, written, rendered):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("8", rendered)))

    assert make().lookup(part(written), NOW) is None


def test_lookup_of_a_post_that_is_not_there(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(
        status("9", "<p>Our new report on energy security is out tomorrow.</p>", "2026-11-24T14:01:00.000Z"),
        status("8", "<p>Our new report on energy security is out today.</p>", "2026-11-24T13:40:00.000Z"),
        next_max_id="8"))

    # The same text from before the claim (less slack) is some other post, and nothing older is read.
    assert make().lookup(part(), claimed_at=NOW) is None
    assert len(calls_to(http, "GET", TIMELINE)) == 1


def test_lookup_of_an_account_with_no_posts(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline())

    assert make().lookup(part(), NOW) is None


def test_lookup_allows_for_clocks_that_disagree(http, make):
    # The publisher's clock ran ahead of the server's: the status is dated before the claim.
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("8", created_at="2026-11-24T13:57:30.000Z")))

    found = make().lookup(part(), claimed_at=NOW.replace(tzinfo=None))

    assert found is not None and found.platform_id == "8"


def test_lookup_follows_pages(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("3", "<p>newer</p>", "2026-11-24T14:05:00.000Z"),
                                    next_max_id="3"))
    http.get(TIMELINE, **timeline(status("2", "<p>Our new report on energy security is out today.</p>",
                                           "2026-11-24T14:00:00.000Z")))

    found = make().lookup(part(), NOW)

    assert found is not None and found.platform_id == "2"
    second = parse_qs(urlsplit(calls_to(http, "GET", TIMELINE)[1].request.url).query)
    assert second["max_id"] == ["3"] and second["limit"] == ["40"]
    assert len(calls_to(http, "GET", VERIFY)) == 1


def test_lookup_of_a_reply_needs_the_same_parent(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("3", "<p>Key findings: ...</p>", in_reply_to_id="999"),
                                    status("2", "<p>Key findings: ...</p>", in_reply_to_id="1")))

    found = make().lookup(part("Key findings: ...", part=1, reply_to="1"), NOW)

    assert found is not None and found.platform_id == "2"


def test_lookup_gives_up_rather_than_guess_after_too_many_pages(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, **timeline(status("3", "<p>newer</p>", "2026-11-24T14:05:00.000Z"), next_max_id="3"))

    with pytest.raises(PlatformError) as caught:
        make(lookup_pages=1).lookup(part(), NOW)

    assert "check the account by hand" in str(caught.value)


def test_lookup_raises_when_the_server_fails(http, make, sleeps):
    http.get(VERIFY, **me())
    for _ in range(3):
        http.get(TIMELINE, body="", status=500)

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    assert caught.value.kind == "transient" and caught.value.retryable
    assert "check whether post report-launch to social went out" in str(caught.value)
    assert sleeps == [2.0, 4.0]
    assert_no_secrets(caught.value, SECRETS)


def test_lookup_raises_when_the_token_is_refused(http, make):
    http.get(VERIFY, **refusal(401, "The access token is invalid"))

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    # The claim stays in doubt: once the token is fixed, a later run asks again.
    assert caught.value.kind == "auth" and caught.value.retryable
    assert not calls_to(http, "GET", TIMELINE)
    assert_no_secrets(caught.value, SECRETS)


def test_lookup_raises_on_an_answer_it_cannot_read(http, make):
    http.get(VERIFY, **me())
    http.get(TIMELINE, json={"error": "something"})

    with pytest.raises(PlatformError) as caught:
        make().lookup(part(), NOW)

    assert caught.value.retryable


# -- the account's own posts, for `postops watch` ---------------------------------------------------


def test_recent_lists_the_accounts_statuses_as_text(http, make):
    http.get(VERIFY, json={"id": ACCOUNT_ID, "username": "csis", "acct": "csis"})
    http.get(TIMELINE, json=[
        status("113541234567890003", "<p>Suck it, <span class=\"h-card\"><a href=\"https://mastodon.example/@amnesty\" "
               "class=\"u-url mention\">@<span>amnesty</span></a></span></p>", "2026-11-24T14:05:00.000Z"),
        status("113541234567890002", "", "2026-11-24T14:04:00.000Z",
               reblog=status("99", "<p>theirs</p>", url="https://other.example/@x/99")),
        status("113541234567890001", "<p>old</p>", "2026-11-24T13:00:00.000Z")])

    posts = make().recent(NOW)

    assert [(p.platform_id, p.text, p.url) for p in posts] == [
        ("113541234567890003", "Suck it, @amnesty", "https://mastodon.example/@csis/113541234567890003"),
        ("repost:99", "boost of https://other.example/@x/99",
         "https://mastodon.example/@csis/113541234567890002")]


def test_recent_with_a_token_that_cannot_read_says_so(http, make):
    # Mastodon answers a token without the scope an endpoint needs with 403 and an error body
    http.get(VERIFY, json={"error": "This action is outside the authorized scopes"}, status=403)

    with pytest.raises(PlatformError) as caught:
        make().recent(NOW)

    assert caught.value.kind == "unavailable"
    assert "read:statuses" in str(caught.value)
