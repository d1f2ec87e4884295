"""LinkedIn organisation pages through the versioned REST API, with requests: one member access token whose
member is an admin of the organisation, the Posts API, the Images API.

Creating a post has no idempotency key: a post whose answer was lost is found again among the organisation's
recent posts (matched by text and time, as on X), never simply sent again.
"""

from __future__ import annotations

import mimetypes
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from postops import __version__
from postops.http import DEFAULT_RETRY, Retry
from postops.platforms._common import (
    Attempts,
    ask_whether_it_went_out,
    describe,
    json_answer,
    network_failure,
    read_credentials,
    scrub,
    shown_path,
    utc_now,
    worth_hiding,
)
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, RemotePost
from postops.platforms.spec import SPECS
from postops.repo.config import Account

T = TypeVar("T")

SPEC = SPECS["linkedin"]
CREDENTIAL_SUFFIXES = SPEC.secrets
# Optional: with the app's client id and secret, `postops status` can ask LinkedIn when the token expires.
INTROSPECTION_SUFFIXES = ("CLIENT_ID", "CLIENT_SECRET")
# Versions live about a year; `api_version:` in postops.yaml overrides this maintained default.
DEFAULT_API_VERSION = "202605"
# The least a token needs: to post and delete as the organisation, and to read its posts back.
SCOPES = ("w_organization_social", "r_organization_social")
API = "https://api.linkedin.com/rest"
INTROSPECT = "https://www.linkedin.com/oauth/v2/introspectToken"

_PAGE_SIZE = 50
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api: JPG, PNG, GIF.
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
# Characters LinkedIn's "little text format" reserves in commentary: each is escaped with a backslash.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
# A mention as the API writes it, passed through: @[Name](urn:li:organization:123) or urn:li:person:...
_MENTION = re.compile(r"@\[([^\]\n]+)\]\((urn:li:(?:organization|person):[A-Za-z0-9_-]+)\)")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d]\w*)")
_DUPLICATE = re.compile(r"duplicate of (urn:li:(?:share|ugcPost):\d+)", re.IGNORECASE)


class LinkedInPlatform:
    """Publishes to, deletes from and searches one LinkedIn organisation page."""

    def __init__(
        self,
        account: Account,
        root: Path,
        env: Mapping[str, str],
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        retry: Retry = DEFAULT_RETRY,
        timeout: float = 30.0,
        lookup_slack: timedelta = timedelta(minutes=5),
        lookup_pages: int = 5,
    ) -> None:
        self.account = account
        self.root = root
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._retry = retry
        self._timeout = timeout
        self._lookup_slack = lookup_slack
        self._lookup_pages = max(1, lookup_pages)

        organization = (account.organization or "").strip()
        if not organization.isdigit():
            raise PlatformError(f"account {account.key} has no `organization:` in postops.yaml: give it the numeric "
                                f"id of the LinkedIn organisation (see docs/platforms-linkedin.md)",
                                retryable=False, kind="invalid")
        self.author = f"urn:li:organization:{organization}"
        (token,) = read_credentials(account, env, CREDENTIAL_SUFFIXES, platform="LinkedIn",
                                    holding="its LinkedIn access token", strip=True)
        prefix = account.credentials
        self._token = token
        self._variable = f"{prefix}_{CREDENTIAL_SUFFIXES[0]}"
        self._client = tuple(env.get(f"{prefix}_{suffix}", "").strip() for suffix in INTROSPECTION_SUFFIXES)
        self._secrets = worth_hiding([token, *self._client])
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                         "LinkedIn-Version": account.api_version or DEFAULT_API_VERSION,
                         "X-Restli-Protocol-Version": "2.0.0", "User-Agent": f"postops/{__version__}"}

    # -- the Platform protocol -------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        what = describe(request)
        if request.reply_to is not None:
            raise PlatformError(f"{what}: postops does not post replies or threads to LinkedIn; make it a post of "
                                f"its own", retryable=False, kind="invalid")
        images = [(self._upload(media, what), media.alt) for media in request.media]
        started = self._clock()
        body: dict[str, Any] = {
            "author": self.author, "commentary": commentary(request.text), "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False,
        }
        described = [{"id": image, **({"altText": alt} if alt else {})} for image, alt in images]
        if len(described) == 1:
            body["content"] = {"media": described[0]}
        elif described:
            body["content"] = {"multiImage": {"images": described}}

        def went_out_after_all() -> Published | None:
            return self._find(request, since=started - self._lookup_slack)

        answer = self._call(f"publishing {what}", "POST", f"{API}/posts", json=body,
                            may_have_acted=went_out_after_all)
        if isinstance(answer, Published):
            return answer
        urn = answer.headers.get("x-restli-id") or answer.headers.get("x-linkedin-id") or ""
        if not urn.startswith("urn:li:"):
            raise PlatformError(f"publishing {what}: LinkedIn answered {answer.status_code} without the id of the "
                                f"post; check the page before publishing it again", retryable=False, kind="in-doubt")
        return Published(platform_id=urn, url=_url(urn), published_at=self._clock())

    def delete(self, platform_id: str) -> None:
        self._call(f"deleting post {platform_id} from {self.account.key}", "DELETE", f"{API}/posts/{quote(platform_id, safe='')}",
                   headers={"X-RestLi-Method": "DELETE"}, absent_ok=True)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=UTC)
        return self._find(request, since=claimed_at - self._lookup_slack)

    def recent(self, since: datetime) -> list[RemotePost]:
        what = f"reading {self.account.key}'s recent posts"
        try:
            posts = self._posts(what, start=0)
        except PlatformError as exc:
            if exc.kind == "auth":
                raise PlatformError(f"{what}: this token cannot read the organisation's posts, so posts made "
                                    f"outside postops go unnoticed; make one with the r_organization_social scope "
                                    f"({exc.message})", retryable=False, kind="unavailable") from None
            raise
        found = []
        for post in posts:
            created = _millis(post.get("createdAt")) if isinstance(post, dict) else None
            if not isinstance(post, dict) or not post.get("id") or (created is not None and created < since):
                continue
            urn = str(post["id"])
            found.append(RemotePost(urn, _plain(str(post.get("commentary") or ""), spacing=False), _url(urn), created))
        return found

    def token_expires(self) -> datetime | None:
        """When the access token expires, by LinkedIn's token introspection; None without the app's client id
        and secret in the environment, which introspection needs."""
        client_id, client_secret = self._client
        if not (client_id and client_secret):
            return None
        doing = f"checking the access token of {self.account.key} in {self._variable}"
        response = self._call(doing, "POST", INTROSPECT, headers={"Authorization": ""},
                              data={"token": self._token, "client_id": client_id, "client_secret": client_secret})
        answer = json_answer(response, "LinkedIn")
        if not isinstance(answer, dict) or answer.get("active") is False:
            raise PlatformError(f"{doing}: LinkedIn says the token is not active (expired or revoked); make a new "
                                f"one (docs/platforms-linkedin.md)", retryable=False, kind="auth")
        expires = answer.get("expires_at")
        return datetime.fromtimestamp(int(expires), UTC) if isinstance(expires, int) and expires > 0 else None

    # -- publishing --------------------------------------------------------------------------------

    def _upload(self, media: MediaFile, what: str) -> str:
        """The image URN of `media`, uploaded through the Images API: initialise, then PUT the bytes."""
        shown = shown_path(media.path, self.root)
        mime = mimetypes.guess_type(media.path.name)[0]
        if mime not in _IMAGE_TYPES:
            raise PlatformError(f"{what}: postops cannot attach {shown} ({mime or 'unknown type'}) to a LinkedIn "
                                f"post; it takes JPEG, PNG and GIF images", retryable=False, kind="invalid")
        try:
            content = media.path.read_bytes()
        except OSError as exc:
            raise PlatformError(f"{what}: cannot read {shown}: {exc.strerror}", retryable=False,
                                kind="invalid") from None
        doing = f"uploading {shown} for {what}"
        # An image nobody attached is never shown: initialising or uploading again after a lost answer is safe.
        answer = json_answer(self._call(doing, "POST", f"{API}/images", params={"action": "initializeUpload"},
                                        json={"initializeUploadRequest": {"owner": self.author}}), "LinkedIn")
        value = answer.get("value") if isinstance(answer, dict) else None
        if not (isinstance(value, dict) and value.get("uploadUrl") and value.get("image")):
            raise PlatformError(f"{doing}: LinkedIn answered without an upload address", retryable=True,
                                kind="transient")
        self._call(doing, "PUT", str(value["uploadUrl"]), data=content,
                   headers={"Content-Type": mime or "application/octet-stream"})
        return str(value["image"])

    # -- in-doubt resolution -----------------------------------------------------------------------

    def _find(self, request: PartRequest, since: datetime) -> Published | None:
        """The organisation's post since `since` that is `request`; None only when LinkedIn's answer says so."""
        what = f"reading {self.account.key}'s recent posts to check whether {describe(request)} went out"
        wanted = _plain(commentary(request.text))
        start = 0
        try:
            for _ in range(self._lookup_pages):
                posts = self._posts(what, start)
                for post in posts:
                    created = _millis(post.get("createdAt"))
                    if created is not None and created < since:
                        return None  # newest first: the rest are older still
                    if _plain(str(post.get("commentary") or "")) == wanted:
                        urn = str(post["id"])
                        return Published(platform_id=urn, url=_url(urn),
                                         published_at=_millis(post.get("publishedAt")) or created)
                if len(posts) < _PAGE_SIZE:
                    return None
                start += len(posts)
        except PlatformError as exc:
            # Whatever went wrong, the question is still open: a later run asks again, nothing is guessed.
            raise PlatformError(exc.message, retryable=True, kind=exc.kind) from None
        except (AttributeError, KeyError, TypeError):
            raise PlatformError(f"{what}: LinkedIn answered with posts postops cannot read",
                                retryable=True, kind="error") from None
        raise PlatformError(
            f"{what}: more than {self._lookup_pages * _PAGE_SIZE} posts since {since.astimezone(UTC):%Y-%m-%d %H:%M} "
            f"UTC and none matched; check the page by hand before publishing it again",
            retryable=False, kind="error")

    def _posts(self, what: str, start: int) -> list[Any]:
        """One page of the organisation's posts, newest first (the Posts API's find-by-author)."""
        params = {"author": self.author, "q": "author", "count": _PAGE_SIZE, "start": start, "sortBy": "CREATED"}
        page = json_answer(self._call(what, "GET", f"{API}/posts", params=params,
                                      headers={"X-RestLi-Method": "FINDER"}), "LinkedIn")
        posts = page.get("elements") if isinstance(page, dict) else None
        if not isinstance(posts, list):
            raise PlatformError(f"{what}: LinkedIn answered without a list of posts", retryable=True, kind="error")
        return posts

    # -- calling LinkedIn --------------------------------------------------------------------------

    def _call(self, what: str, method: str, url: str, *, absent_ok: bool = False,
              headers: Mapping[str, str] | None = None,
              may_have_acted: Callable[[], T | None] | None = None, **kwargs: Any) -> Any:
        """One request: its response, with LinkedIn's failures turned into PlatformErrors and what can safely be
        retried retried. `may_have_acted` is asked first after a failure that leaves open whether a post was
        created, and what it finds is the result."""
        sent_headers = {k: v for k, v in {**self._headers, **(headers or {})}.items() if v}
        tries = Attempts(self._retry, self._sleep)
        unanswered = False
        while True:
            try:
                response = self._session.request(method, url, headers=sent_headers, timeout=self._timeout, **kwargs)
            except requests.RequestException as exc:
                failure = network_failure(exc, "LinkedIn")
                if failure is None:
                    raise PlatformError(self._scrub(f"{what}: {exc}"), retryable=False, kind="error") from None
                reason, sent = failure
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 429:
                    now = self._clock()
                    tries.wait_out_rate_limit(what, "LinkedIn", _reset_time(response, now), now)
                    continue
                if absent_ok and status in (404, 410):
                    return response
                if status < 500:
                    refused = self._refused(what, response)
                    if refused.kind == "duplicate" and unanswered and may_have_acted is not None:
                        urn = _duplicate_of(response)
                        if urn is not None:  # LinkedIn names the post the unanswered attempt made
                            return Published(platform_id=urn, url=_url(urn), published_at=None)
                    raise refused
                reason = f"LinkedIn answered {status}" + (f": {_said(response)}" if _said(response) else "")
                sent = True
            if sent and may_have_acted is not None:
                unanswered = True
                found = ask_whether_it_went_out(what, reason, may_have_acted, self._scrub)
                if found is not None:
                    return found
            tries.back_off(what, reason, self._scrub)

    def _refused(self, what: str, response: requests.Response) -> PlatformError:
        status = response.status_code
        said = _said(response) or f"{status} {response.reason}".rstrip()
        urn = _duplicate_of(response)
        if urn is not None:
            return PlatformError(self._scrub(
                f"{what}: LinkedIn refused it as a duplicate of {urn} ({_url(urn)}): if that is this post, it went "
                f"out already; otherwise change the text"), retryable=False, kind="duplicate")
        if status in (401, 403):
            return PlatformError(self._scrub(
                f"{what}: LinkedIn refused the access token in {self._variable}: check that it was made by an "
                f"administrator or content admin of organisation {self.author.rsplit(':', 1)[1]}, with the scopes "
                f"{' '.join(SCOPES)}, and has not expired (they last 60 days) (LinkedIn said: {said})"),
                retryable=False, kind="auth")
        if status == 426 or (status == 400 and "version" in said.lower()):
            return PlatformError(self._scrub(
                f"{what}: LinkedIn refused the API version {self._headers['LinkedIn-Version']}: set `api_version:` "
                f"in postops.yaml to a current one, or upgrade postops (LinkedIn said: {said})"),
                retryable=False, kind="invalid")
        return PlatformError(self._scrub(f"{what}: LinkedIn refused it: {said}"), retryable=False, kind="invalid")

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


# -- text -------------------------------------------------------------------------------------------


def commentary(text: str) -> str:
    """`text` in LinkedIn's little text format: reserved characters escaped, #hashtags as hashtag templates,
    mentions written as the API writes them (@[Name](urn:li:organization:123)) passed through."""
    urls = _links(text)
    pieces, at = [], 0
    for match in _MENTION.finditer(text):
        name = _RESERVED.sub(r"\\\1", match.group(1))
        pieces += [_escape(text[at:match.start()], urls, at), f"@[{name}]({match.group(2)})"]
        at = match.end()
    pieces.append(_escape(text[at:], urls, at))
    return "".join(pieces)


def _links(text: str) -> list[tuple[int, int]]:
    from postops import links  # noqa: PLC0415 - the same URLs lint's facts see

    return [(start, end) for _, start, end in links.find_urls(text)]


def _escape(piece: str, urls: list[tuple[int, int]], offset: int) -> str:
    out, at = [], 0
    for match in _HASHTAG.finditer(piece):
        start = offset + match.start()
        if any(u_start <= start < u_end for u_start, u_end in urls):
            continue  # a "#fragment" of a link
        out += [_RESERVED.sub(r"\\\1", piece[at:match.start()]), f"{{hashtag|\\#|{match.group(1)}}}"]
        at = match.end()
    out.append(_RESERVED.sub(r"\\\1", piece[at:]))
    return "".join(out)


def _plain(little: str, *, spacing: bool = True) -> str:
    """Little text format as a reader sees it: templates as their text, escapes undone; with `spacing`, its
    spacing made uniform for comparing."""
    little = re.sub(r"\{hashtag\|\\?#\|([^}]*)\}", r"#\1", little)
    little = re.sub(r"@\[([^\]]*)\]\(urn:li:[^)]*\)", r"@\1", little)
    little = re.sub(r"\\(.)", r"\1", little)
    return " ".join(unicodedata.normalize("NFC", little).split()) if spacing else little


# -- answers ----------------------------------------------------------------------------------------


def _url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _said(response: requests.Response) -> str:
    """The documented error body's message: {"status", "serviceErrorCode", "code", "message"}."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or not body.get("message"):
        return ""
    code = body.get("code") or body.get("serviceErrorCode")
    return f"{body['message']}" + (f" ({code})" if code else "")


def _duplicate_of(response: requests.Response) -> str | None:
    if response.status_code not in (409, 422):
        return None
    found = _DUPLICATE.search(_said(response))
    return found.group(1) if found else None


def _millis(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, int | float) and value > 0 else None


def _reset_time(response: requests.Response, now: datetime) -> datetime | None:
    """When LinkedIn takes calls again: Retry-After when given; else its daily limits reset at midnight UTC."""
    after = (response.headers.get("Retry-After") or "").strip()
    if after.isdigit():
        return now + timedelta(seconds=int(after))
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
