"""Facebook Pages through the Graph API, with requests: one Page access token, photos, comments, the page's posts.

The Graph API has no idempotency key: a post whose answer was lost is found again among the page's recent
posts (matched by text and time, as on X), never simply sent again.
"""

from __future__ import annotations

import json
import mimetypes
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
    rate_limit_used_up,
    read_credentials,
    scrub,
    shown_path,
    utc_now,
    wait_past,
    worth_hiding,
)
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, RemotePost
from postops.platforms.spec import SPECS
from postops.repo.config import Account
from postops.times import parse_time

T = TypeVar("T")

SPEC = SPECS["facebook"]
CREDENTIAL_SUFFIXES = SPEC.secrets
# Kept to a version Meta supports (each lives about two years); `api_version:` in postops.yaml overrides it.
DEFAULT_API_VERSION = "v26.0"
# The least a Page token needs: to post as the page, to read its posts and comments back, to find the page.
PERMISSIONS = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")
GRAPH = "https://graph.facebook.com"

_PAGE_SIZE = 100
# https://developers.facebook.com/docs/graph-api/reference/photo/: what a page photo can be.
_PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"}
# https://developers.facebook.com/docs/graph-api/guides/error-handling: codes and what to do about them.
_TRANSIENT_CODES = {1, 2}
_RATE_CODES = {4, 17, 32, 613, 80001}    # app, user, page, custom and Pages business-use-case throttling
_AUTH_CODES = {10, 102, 190}             # and 200-299: a permission missing
_DUPLICATE_CODE = 506                    # "Duplicate status message": the page posted this text just now
_BLOCKED_CODE = 368                      # "Temporarily blocked for policies violations"
_GONE = (100, 33)                        # "Object with ID ... does not exist": deleting it again
_USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage")


class FacebookPlatform:
    """Publishes to, deletes from and searches one Facebook Page."""

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

        page_id = (account.page_id or "").strip()
        if not page_id.isdigit():
            raise PlatformError(f"account {account.key} has no `page_id:` in postops.yaml: give it the numeric id "
                                f"of the Facebook Page (see docs/platforms-facebook.md)", retryable=False,
                                kind="invalid")
        self.page_id = page_id
        (token,) = read_credentials(account, env, CREDENTIAL_SUFFIXES, platform="Facebook",
                                    holding="its Page access token", strip=True)
        self._token = token
        self._variable = f"{account.credentials}_{CREDENTIAL_SUFFIXES[0]}"
        self._secrets = worth_hiding([token])
        self._base = f"{GRAPH}/{account.api_version or DEFAULT_API_VERSION}"
        self._headers = {"Accept": "application/json", "User-Agent": f"postops/{__version__}"}

    # -- the Platform protocol -------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        what = describe(request)
        photos = [self._upload(media, what) for media in request.media]
        started = self._clock()

        def went_out_after_all() -> Published | None:
            return self._find(request, since=started - self._lookup_slack)

        if request.reply_to is not None:
            return self._comment(request, what, photos, went_out_after_all)
        form: dict[str, str] = {"message": request.text}
        for i, photo in enumerate(photos):
            form[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo})
        answer = self._call(f"publishing {what}", "POST", f"/{self.page_id}/feed", data=form,
                            may_have_acted=went_out_after_all)
        if isinstance(answer, Published):
            return answer
        post_id = self._id_in(f"publishing {what}", answer)
        return Published(platform_id=post_id, url=self._post_url(post_id), published_at=self._clock())

    def delete(self, platform_id: str) -> None:
        _, _, comment = platform_id.partition("|")
        target = comment or platform_id
        self._call(f"deleting post {platform_id} from {self.account.key}", "DELETE", f"/{quote(target, safe='_')}", absent_ok=True)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=UTC)
        return self._find(request, since=claimed_at - self._lookup_slack)

    def recent(self, since: datetime) -> list[RemotePost]:
        what = f"reading {self.account.key}'s recent posts"
        params = {"fields": "id,message,created_time,permalink_url", "since": int(since.timestamp()),
                  "limit": _PAGE_SIZE}
        try:
            page = self._call(what, "GET", f"/{self.page_id}/posts", params=params)
        except PlatformError as exc:
            if exc.kind == "auth":
                raise PlatformError(f"{what}: this Page token cannot read the page's posts, so posts made outside "
                                    f"postops go unnoticed; give it the pages_read_engagement permission "
                                    f"({exc.message})", retryable=False, kind="unavailable") from None
            raise
        items = page.get("data") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise PlatformError(f"{what}: Facebook answered without a list of posts", retryable=True, kind="error")
        posts = []
        for item in items:
            created = parse_time(item.get("created_time")) if isinstance(item, dict) else None
            if not isinstance(item, dict) or not item.get("id") or (created is not None and created < since):
                continue
            found = self._found(item, None)
            posts.append(RemotePost(found.platform_id, str(item.get("message") or ""), found.url, created))
        return posts

    def token_expires(self) -> datetime | None:
        """When the Page token stops working, as Facebook's debug_token says; None when it does not expire."""
        doing = f"checking the Page token of {self.account.key} in {self._variable}"
        answer = self._call(doing, "GET", "/debug_token", params={"input_token": self._token})
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise PlatformError(f"{doing}: Facebook answered without the token's data", retryable=True, kind="error")
        if data.get("is_valid") is False:
            raise PlatformError(f"{doing}: Facebook says the token is no longer valid; make a new one "
                                f"(docs/platforms-facebook.md)", retryable=False, kind="auth")
        # expires_at 0: a Page token made from a long-lived user token, which does not expire. Its data access
        # (data_access_expires_at, 90 days from the person's last grant) can still run out: whichever comes first.
        ends = [value for value in (data.get("expires_at"), data.get("data_access_expires_at"))
                if isinstance(value, int) and value > 0]
        return datetime.fromtimestamp(min(ends), UTC) if ends else None

    # -- publishing --------------------------------------------------------------------------------

    def _upload(self, media: MediaFile, what: str) -> str:
        """The id of `media` uploaded as an unpublished page photo, with its alt text: posts attach it by id."""
        shown = shown_path(media.path, self.root)
        mime = mimetypes.guess_type(media.path.name)[0]
        if mime not in _PHOTO_TYPES:
            raise PlatformError(f"{what}: postops cannot attach {shown} ({mime or 'unknown type'}) to a Facebook "
                                f"post; it takes JPEG, PNG, GIF, BMP, TIFF and WEBP images",
                                retryable=False, kind="invalid")
        try:
            content = media.path.read_bytes()
        except OSError as exc:
            raise PlatformError(f"{what}: cannot read {shown}: {exc.strerror}", retryable=False,
                                kind="invalid") from None
        form = {"published": "false"}
        if media.alt:
            form["alt_text_custom"] = media.alt
        doing = f"uploading {shown} for {what}"
        # An unpublished photo is seen by nobody: uploading it again after a lost answer costs nothing.
        answer = self._call(doing, "POST", f"/{self.page_id}/photos", data=form,
                            files={"source": (media.path.name, content, mime)})
        return self._id_in(doing, answer)

    def _comment(self, request: PartRequest, what: str, photos: list[str],
                 went_out_after_all: Callable[[], Published | None]) -> Published:
        """A thread part or reply: a comment by the page on its own post (the thread's first part)."""
        post_id = _root(str(request.reply_to))
        if len(photos) > 1:
            raise PlatformError(f"{what}: a Facebook comment takes at most one image", retryable=False,
                                kind="invalid")
        form = {"message": request.text}
        if photos:
            form["attachment_id"] = photos[0]
        doing = f"publishing {what}"
        answer = self._call(doing, "POST", f"/{quote(post_id, safe='_')}/comments", data=form,
                            may_have_acted=went_out_after_all)
        if isinstance(answer, Published):
            return answer
        comment_id = self._id_in(doing, answer)
        return Published(platform_id=f"{post_id}|{comment_id}", url=self._comment_url(post_id, comment_id),
                         published_at=self._clock())

    def _post_url(self, post_id: str) -> str:
        page, _, story = post_id.partition("_")
        return f"https://www.facebook.com/{page}/posts/{story}" if story else f"https://www.facebook.com/{post_id}"

    def _comment_url(self, post_id: str, comment_id: str) -> str:
        return f"{self._post_url(post_id)}?comment_id={quote(comment_id, safe='_')}"

    # -- in-doubt resolution -----------------------------------------------------------------------

    def _find(self, request: PartRequest, since: datetime) -> Published | None:
        """The page's post (or, for a reply, its comment) since `since` that is `request`; None only when
        Facebook's answer says so."""
        what = f"reading {self.account.key}'s recent posts to check whether {describe(request)} went out"
        wanted = _comparable(request.text)
        post_id = _root(str(request.reply_to)) if request.reply_to is not None else None
        if post_id is None:
            path = f"/{self.page_id}/posts"
            params: dict[str, Any] | None = {"fields": "id,message,created_time,permalink_url",
                                             "since": int(since.timestamp()), "limit": _PAGE_SIZE}
        else:
            path = f"/{quote(post_id, safe='_')}/comments"
            params = {"fields": "id,message,created_time,from", "filter": "stream",
                      "order": "reverse_chronological", "limit": _PAGE_SIZE}
        try:
            url: str | None = self._base + path
            for _ in range(self._lookup_pages):
                assert url is not None
                page = self._call(what, "GET", url, params=params)
                items = page.get("data") if isinstance(page, dict) else None
                if not isinstance(items, list):
                    raise PlatformError(f"{what}: Facebook answered without a list of posts", retryable=True,
                                        kind="error")
                for item in items:
                    created = parse_time(item.get("created_time"))
                    if created is not None and created < since:
                        if post_id is not None:
                            return None  # comments come newest first: the rest are older still
                        continue
                    if post_id is not None and str((item.get("from") or {}).get("id")) != self.page_id:
                        continue  # someone else's comment
                    if _comparable(str(item.get("message") or "")) == wanted:
                        return self._found(item, post_id)
                url = ((page.get("paging") or {}).get("next")) or None
                params = None  # the next page's address carries them
                if not items or url is None:
                    return None
        except PlatformError as exc:
            # Whatever went wrong, the question is still open: a later run asks again, nothing is guessed.
            raise PlatformError(exc.message, retryable=True, kind=exc.kind) from None
        except (AttributeError, TypeError):
            raise PlatformError(f"{what}: Facebook answered with posts postops cannot read",
                                retryable=True, kind="error") from None
        raise PlatformError(
            f"{what}: more than {self._lookup_pages * _PAGE_SIZE} posts since {since.astimezone(UTC):%Y-%m-%d %H:%M} "
            f"UTC and none matched; check the page by hand before publishing it again",
            retryable=False, kind="error")

    def _found(self, item: Mapping[str, Any], post_id: str | None) -> Published:
        item_id = str(item["id"])
        published_at = parse_time(item.get("created_time"))
        if post_id is not None:
            return Published(platform_id=f"{post_id}|{item_id}", url=self._comment_url(post_id, item_id),
                             published_at=published_at)
        return Published(platform_id=item_id, url=str(item.get("permalink_url") or self._post_url(item_id)),
                         published_at=published_at)

    # -- calling Facebook --------------------------------------------------------------------------

    def _call(self, what: str, method: str, path: str, *, absent_ok: bool = False,
              may_have_acted: Callable[[], T | None] | None = None, **kwargs: Any) -> Any:
        """One Graph API request: its JSON answer, with Facebook's failures turned into PlatformErrors and what
        can safely be retried retried.

        `may_have_acted` is for requests that must not be repeated blindly (creating a post or comment): when a
        failure leaves open whether Facebook acted, it is asked first, and what it finds is the result.
        """
        url = path if path.startswith("https://") else self._base + path
        params = kwargs.pop("params", None)
        if "access_token=" not in url:  # a next-page address carries the token already
            params = {**(params or {}), "access_token": self._token}
        tries = Attempts(self._retry, self._sleep)
        unanswered = False  # an attempt failed in a way that leaves open whether Facebook acted on it
        while True:
            try:
                response = self._session.request(method, url, params=params, headers=self._headers,
                                                  timeout=self._timeout, **kwargs)
            except requests.RequestException as exc:
                failure = network_failure(exc, "Facebook")
                if failure is None:
                    raise PlatformError(self._scrub(f"{what}: {exc}"), retryable=False, kind="error") from None
                reason, sent = failure
            else:
                error = _graph_error(response)
                if error is None and response.status_code < 400:
                    return json_answer(response, "Facebook")
                error = error or {}
                code, subcode = error.get("code"), error.get("error_subcode")
                if code in _RATE_CODES or response.status_code == 429:
                    # Facebook estimates in whole minutes: whether to wait goes by the time left, so that "1"
                    # is waited out within a minute's budget; the wait itself runs a little past it.
                    now = self._clock()
                    reset = _reset_time(response, now)
                    if reset is None or not tries.will_wait((reset - now).total_seconds()):
                        raise rate_limit_used_up(what, "Facebook", reset, now)
                    self._sleep(wait_past(reset, now))
                    continue
                if absent_ok and ((code, subcode) == _GONE or response.status_code == 404):
                    return {}
                if response.status_code >= 500 or code in _TRANSIENT_CODES or error.get("is_transient"):
                    reason = f"Facebook answered {response.status_code}" + (f": {_said(error)}" if error else "")
                    sent = True
                else:
                    refused = self._refused(what, response, error)
                    if refused.kind == "duplicate" and unanswered and may_have_acted is not None:
                        # The unanswered attempt did go out; the page's posts had not shown it yet.
                        found = ask_whether_it_went_out(what, "Facebook refused a repeat as a duplicate",
                                                        may_have_acted, self._scrub)
                        if found is not None:
                            return found
                        refused = PlatformError(
                            f"{refused.message}, after an earlier attempt went unanswered: it most likely went "
                            f"out, check the page", retryable=False, kind="duplicate")
                    raise refused
            if sent and may_have_acted is not None:
                unanswered = True
                found = ask_whether_it_went_out(what, reason, may_have_acted, self._scrub)
                if found is not None:
                    return found
            tries.back_off(what, reason, self._scrub)

    def _refused(self, what: str, response: requests.Response, error: Mapping[str, Any]) -> PlatformError:
        code = error.get("code")
        said = _said(error) or f"{response.status_code} {response.reason}".rstrip()
        if code == _DUPLICATE_CODE:
            return PlatformError(self._scrub(
                f"{what}: Facebook refused it as a duplicate of a recent post on the page ({said})"),
                retryable=False, kind="duplicate")
        if code in _AUTH_CODES or (isinstance(code, int) and 200 <= code <= 299) or response.status_code == 401:
            return PlatformError(self._scrub(
                f"{what}: Facebook refused the Page token in {self._variable}: check that it is a Page access "
                f"token of page {self.page_id} (not a user token), made by someone who can create content on "
                f"the page, with the permissions {', '.join(PERMISSIONS)}, and that it has not expired or been "
                f"revoked by a password change (Facebook said: {said})"), retryable=False, kind="auth")
        if code == _BLOCKED_CODE:
            return PlatformError(self._scrub(
                f"{what}: Facebook has blocked posting from this page for a while for a policy reason; check the "
                f"page's Support Inbox, then publish again in a later run (Facebook said: {said})"),
                retryable=True, kind="error")
        return PlatformError(self._scrub(f"{what}: Facebook refused it: {said}"), retryable=False, kind="invalid")

    def _id_in(self, what: str, answer: Any) -> str:
        found = answer.get("id") if isinstance(answer, dict) else None
        if not found:
            raise PlatformError(f"{what}: Facebook answered without the id of what it made", retryable=True,
                                kind="error")
        return str(found)

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


def _root(reply_to: str) -> str:
    """The post a comment goes on: a thread's parts are all comments on its first part, the page's post."""
    return reply_to.partition("|")[0].strip()


def _graph_error(response: requests.Response) -> dict[str, Any] | None:
    """The documented error body, {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _said(error: Mapping[str, Any]) -> str:
    message = str(error.get("error_user_msg") or error.get("message") or "").strip()
    codes = ", ".join(f"{name} {error[name]}" for name in ("code", "error_subcode") if error.get(name) is not None)
    trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
    return f"{message} ({codes}{trace})" if codes or trace else message


def _reset_time(response: requests.Response, now: datetime) -> datetime | None:
    """When Facebook will take calls again: the usage headers' estimated_time_to_regain_access, in minutes.

    https://developers.facebook.com/docs/graph-api/overview/rate-limiting: X-Business-Use-Case-Usage maps a
    business id to a list of usages; X-Page-Usage and X-App-Usage are one usage each.
    """
    minutes = 0.0
    for header in _USAGE_HEADERS:
        try:
            usage = json.loads(response.headers.get(header) or "null")
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(usage, dict) and "call_count" not in usage and header == _USAGE_HEADERS[0]:
            for value in usage.values():
                entries += value if isinstance(value, list) else [value]
        else:
            entries = [usage]
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("estimated_time_to_regain_access"), int | float):
                minutes = max(minutes, float(entry["estimated_time_to_regain_access"]))
    if minutes <= 0:
        return None
    return now + timedelta(minutes=minutes)


def _comparable(text: str) -> str:
    """`text` as Facebook may hand it back: its spacing and Unicode form may differ, never its words or links."""
    return " ".join(unicodedata.normalize("NFC", text).split())
