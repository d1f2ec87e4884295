"""What the tests of the X, Mastodon and Bluesky adapters share: the platform's HTTP answered by `responses`,
the sleeps an adapter asks for, adapters built with a fixed clock, the check that errors hide secrets, and
X's v2 media upload as X documents it (FakeXMedia).

A test module imports what it uses; it takes the fixtures by naming them in its namespace,
`http, sleeps = platformfixtures.http, platformfixtures.sleeps`, where pytest finds them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from postops.repo.config import Account

P = TypeVar("P")

# The smallest file whose name and first bytes say PNG: enough for every check an adapter makes.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """The platform's HTTP, answered by `responses`; a request nothing answers fails as a connection error."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    """The seconds an adapter asked to sleep, in order: adapters made by `adapter_factory` append here."""
    return []


def adapter_factory(adapter: Callable[..., P], root: Path, sleeps: list[float], *, account: Account,
                    env: Mapping[str, str], now: datetime) -> Callable[..., P]:
    """`make(account=account, env=env, **options)`: an adapter whose clock says `now` and whose sleeps are
    recorded in `sleeps` instead of slept."""
    default_account, default_env = account, env

    def make(account: Account = default_account, env: Mapping[str, str] | None = None, **options: Any) -> P:
        return adapter(account, root, default_env if env is None else env,
                       sleep=sleeps.append, clock=lambda: now, **options)

    return make


def assert_no_secrets(error: BaseException, secrets: Iterable[str]) -> None:
    for secret in secrets:
        # Said in full: pytest does not rewrite the assertions of a module that tests import.
        assert secret not in str(error), f"{secret!r} shows in the error: {error}"


def calls_to(mock: responses.RequestsMock, method: str, url: str) -> list[Any]:
    """The calls made with `method` to `url`, whatever their query string."""
    return [c for c in mock.calls if c.request.method == method and (c.request.url or "").split("?")[0] == url]


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def content_type(request: Any) -> str:
    """A request's Content-Type; requests-oauthlib may leave it as bytes."""
    value = request.headers.get("Content-Type") or ""
    return value.decode() if isinstance(value, bytes) else str(value)


def multipart(request: Any) -> dict[str, bytes]:
    """The fields of a multipart/form-data request by name, read with the standard library's MIME parser."""
    head = f"Content-Type: {content_type(request)}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    return {str(part.get_param("name", header="content-disposition")): bytes(part.get_payload(decode=True))
            for part in message.iter_parts()}


# -- X's v2 media upload -----------------------------------------------------------------------------------

X_MEDIA = "https://api.x.com/2/media"
X_V1_UPLOAD = "https://upload.twitter.com/1.1/media/upload.json"
X_V1_METADATA = "https://upload.twitter.com/1.1/media/metadata/create.json"
GB = 1024 ** 3
MB = 1024 ** 2
# The OpenAPI spec of X API v2 (https://docs.x.com/openapi.json, InitializeMediaUploadRequest): its enums.
X_MEDIA_TYPES = ("video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt", "image/jpeg",
                 "image/gif", "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff",
                 "model/gltf-binary", "model/vnd.usdz+zip")
X_MEDIA_CATEGORIES = ("amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif", "dm_image", "dm_video",
                      "subtitles")
# POST /2/media/upload/initialize, "Size and duration limits": bytes per category, default account and X
# Premium / verified; `total_bytes` "may be at most 16 GB in the request schema" (maximum 17179869184).
X_MEDIA_BYTES = {"tweet_image": (5 * MB, 5 * MB), "dm_image": (5 * MB, 5 * MB), "tweet_gif": (15 * MB, 15 * MB),
                 "dm_gif": (15 * MB, 15 * MB), "tweet_video": (8 * GB, 16 * GB), "amplify_video": (8 * GB, 16 * GB),
                 "dm_video": (512 * MB, 1 * GB)}


def x_problem(status: int, detail: str, title: str = "Invalid Request",
              kind: str = "invalid-request") -> tuple[int, dict[str, str], str]:
    """An X API v2 error answer: a Problem (type, title, detail, status), with `errors` as v2 gives them."""
    return status, {}, json.dumps({"errors": [{"message": detail}], "title": title, "detail": detail,
                                   "type": f"https://api.x.com/2/problems/{kind}", "status": status})


class FakeXMedia:
    """X's v2 media upload as its docs give it (https://docs.x.com/x-api/media: the chunked upload quickstart,
    the API reference of POST /2/media/upload/initialize, /{id}/append, /{id}/finalize, GET /2/media/upload and
    POST /2/media/metadata, and their schemas in the OpenAPI spec), answering through `mock` (a
    responses.RequestsMock, or the responses module under @responses.activate).

    It takes a JSON initialize of a documented media_type, media_category and total_bytes within the
    category's cap; multipart segments (`media`, `segment_index` 0-999) of at most 8 MB; a finalize once the
    segments add up to total_bytes; alt text of at most 1,000 characters for a media id it made. At finalize
    it judges the whole file with `judge(data, category)` (a reason to refuse it, or None); an image is ready at
    once (no processing_info), a video or GIF answers "pending" with check_after_secs `check_after` for `pending`
    STATUS calls first. A v1.1 upload (upload.twitter.com) or a `command` posted to POST /2/media/upload, as
    the v1.1 protocol sent it, is refused: "Do not send command=INIT to POST /2/media/upload".
    """

    def __init__(self, mock: Any, judge: Callable[[bytes, str], str | None] = lambda data, category: None, *,
                 subscribed: bool = False, pending: int = 0, check_after: int = 1,
                 caps: Mapping[str, int] | None = None) -> None:
        self.judge, self.subscribed, self.pending, self.check_after = judge, subscribed, pending, check_after
        self.caps = {category: sizes[subscribed] for category, sizes in X_MEDIA_BYTES.items()} | dict(caps or {})
        self.sessions: dict[str, dict[str, Any]] = {}
        self.ready: dict[str, bytes] = {}           # media id -> the file, processed: what a post may attach
        self.alt: dict[str, str] = {}
        self.refused: list[str] = []
        self.statuses = 0
        json_type = "application/json"
        mock.add_callback("POST", f"{X_MEDIA}/upload/initialize", callback=self._initialize, content_type=json_type)
        for step, callback in (("append", self._append), ("finalize", self._finalize)):
            mock.add_callback("POST", re.compile(rf"{re.escape(X_MEDIA)}/upload/\d+/{step}$"), callback=callback,
                              content_type=json_type)
        mock.add_callback("GET", re.compile(rf"{re.escape(X_MEDIA)}/upload(\?.*)?$"), callback=self._status,
                          content_type=json_type)
        mock.add_callback("POST", f"{X_MEDIA}/upload", callback=self._v1_shaped, content_type=json_type)
        mock.add_callback("POST", f"{X_MEDIA}/metadata", callback=self._metadata, content_type=json_type)
        for url in (X_V1_UPLOAD, X_V1_METADATA):
            mock.add_callback("POST", url, callback=self._v1, content_type=json_type)

    def _refuse(self, why: str, status: int, detail: str) -> tuple[int, dict[str, str], str]:
        self.refused.append(why)
        return x_problem(status, detail)

    def _v1(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.refused.append("v1.1")
        return 410, {}, json.dumps({"errors": [{"code": 410, "message": "The v1.1 media upload endpoints are "
                                                "retired: use POST /2/media/upload/initialize"}]})

    def _v1_shaped(self, request: Any) -> tuple[int, dict[str, str], str]:
        return self._refuse("v1.1", 400, "Do not send command=INIT to POST /2/media/upload")

    def _initialize(self, request: Any) -> tuple[int, dict[str, str], str]:
        if not content_type(request).startswith("application/json"):
            return self._refuse("initialize", 400, "The request body must be JSON")
        body = json.loads(request.body)
        allowed = {"additional_owners", "media_category", "media_type", "shared", "total_bytes"}
        if not isinstance(body, dict) or set(body) - allowed:
            return self._refuse("initialize", 400, f"Unknown parameters: {sorted(set(body) - allowed)}")
        media_type, category, total = body.get("media_type"), body.get("media_category"), body.get("total_bytes")
        if media_type not in X_MEDIA_TYPES or category not in X_MEDIA_CATEGORIES:
            return self._refuse("initialize", 400, f"Invalid media_type {media_type} or media_category {category}")
        if not isinstance(total, int) or not 0 <= total <= 16 * GB:
            return self._refuse("initialize", 400, f"Invalid total_bytes {total}")
        if category in self.caps and total > self.caps[category]:
            return self._refuse("size", 400, f"File size exceeds {self.caps[category]} bytes for {category}")
        media_id = str(710511363345354753 + len(self.sessions))
        self.sessions[media_id] = {"type": media_type, "category": category, "total": total, "segments": {}}
        return 200, {}, json.dumps({"data": {"id": media_id, "media_key": f"7_{media_id}",
                                             "expires_after_secs": 86400}})

    def _session(self, request: Any) -> tuple[str, dict[str, Any] | None]:
        media_id = urlsplit(request.url).path.split("/")[4]
        return media_id, self.sessions.get(media_id)

    def _append(self, request: Any) -> tuple[int, dict[str, str], str]:
        media_id, session = self._session(request)
        if session is None:
            return self._refuse("append", 400, f"Unknown media id {media_id}")
        if not content_type(request).startswith("multipart/form-data"):
            return self._refuse("append", 400, "APPEND takes multipart/form-data (or a JSON body of base64)")
        fields = multipart(request)
        if set(fields) != {"media", "segment_index"} or not fields["segment_index"].isdigit():
            return self._refuse("append", 400, f"APPEND takes media and segment_index, not {sorted(fields)}")
        index, chunk = int(fields["segment_index"]), fields["media"]
        if index > 999 or len(chunk) > 8 * MB:
            return self._refuse("append", 400, f"Segment {index} of {len(chunk)} bytes is not allowed")
        session["segments"][index] = chunk
        return 200, {}, json.dumps({"data": {"expires_at": 1795000000}})

    def _finalize(self, request: Any) -> tuple[int, dict[str, str], str]:
        media_id, session = self._session(request)
        if session is None:
            return self._refuse("finalize", 400, f"Unknown media id {media_id}")
        segments = session["segments"]
        data = b"".join(segments[i] for i in sorted(segments))
        if sorted(segments) != list(range(len(segments))) or len(data) != session["total"]:
            return self._refuse("finalize", 400, f"{len(data)} bytes in segments {sorted(segments)}; "
                                f"initialize said {session['total']}")
        session["data"], session["why"] = data, self.judge(data, session["category"])
        if session["category"].endswith("_image") and session["why"] is not None:
            return self._refuse(session["why"], 400, f"InvalidMedia: {session['why']}")
        session["checks"] = self.pending
        return 200, {}, json.dumps(self._answer(media_id, session))

    def _answer(self, media_id: str, session: dict[str, Any]) -> dict[str, Any]:
        """FINALIZE's or STATUS's answer: FinalizeMediaUploadResponse / GetMediaUploadStatusResponse."""
        data: dict[str, Any] = {"id": media_id, "media_key": f"7_{media_id}", "size": len(session["data"]),
                                "expires_after_secs": 86400}
        answer: dict[str, Any] = {"data": data}
        if session["category"].endswith("_image"):      # an image is ready at once: no processing_info
            self.ready[media_id] = session["data"]
            return answer
        if session["checks"] > 0:
            data["processing_info"] = {"state": "pending" if session["checks"] == self.pending else "in_progress",
                                       "check_after_secs": self.check_after, "progress_percent": 0}
            return answer
        if session["why"] is None:
            self.ready[media_id] = session["data"]
            data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        else:
            if session.get("told") is None:
                self.refused.append(session["why"])
            session["told"] = True
            data["processing_info"] = {"state": "failed", "progress_percent": 12}
            answer["errors"] = [{"title": "Invalid Request", "detail": f"InvalidMedia: {session['why']}",
                                 "type": "https://api.x.com/2/problems/invalid-request"}]
        return answer

    def _status(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = {name: values[0] for name, values in parse_qs(urlsplit(request.url).query).items()}
        if query.get("command", "STATUS") != "STATUS" or set(query) - {"command", "media_id"}:
            return self._refuse("status", 400, f"Invalid query {sorted(query)}")
        session = self.sessions.get(query.get("media_id", ""))
        if session is None or "data" not in session:
            return self._refuse("status", 400, f"No finalized upload {query.get('media_id')}")
        self.statuses += 1
        session["checks"] = max(0, session["checks"] - 1)
        return 200, {}, json.dumps(self._answer(query["media_id"], session))

    def _metadata(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        media_id = body.get("id") if isinstance(body, dict) else None
        text = ((body.get("metadata") or {}).get("alt_text") or {}).get("text") if media_id else None
        if media_id not in self.sessions or not isinstance(text, str) or len(text) > 1000:
            return self._refuse("alt text", 400, f"Invalid metadata for media {media_id}")
        self.alt[media_id] = text
        return 200, {}, json.dumps({"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": text}}}})
