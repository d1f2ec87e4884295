"""Mastodon through its REST API, with requests: one access token, v2 media upload, v1 statuses.

What makes publishing safe to retry is Mastodon's `Idempotency-Key`: for an hour after a status is created,
the same key from the same account returns that status instead of creating another one.
"""

from __future__ import annotations

import hashlib
import math
import mimetypes
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests

from postops import __version__
from postops.http import DEFAULT_RETRY, Retry
from postops.platforms._common import (
    Attempts,
    describe,
    rate_limit_used_up,
    read_credentials,
    scrub,
    shown_path,
    utc_now,
    wait_past,
    worth_hiding,
)
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, RemotePost
from postops.platforms.spec import SPECS, Limits
from postops.repo.config import Account
from postops.repo.limits import limits_from, senseless
from postops.times import parse_time

SPEC = SPECS["mastodon"]
CREDENTIAL_SUFFIXES = SPEC.secrets
SCOPES = ("write:statuses", "write:media", "read:statuses", "read:accounts")

_PAGE_SIZE = 40  # the most Mastodon returns per page of an account's statuses
_URL = "\x00url\x00"
# Mastodon only links URLs that have a scheme; what counts as the end of one does not matter here, because
# the same pattern is applied to the text as written and to the text rebuilt from Mastodon's HTML.
_URLS = re.compile(r"(?i)\b(?:(?:https?|ftp|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://|(?:xmpp|magnet):)\S+")
# Mastodon shows a mention of a remote account as @user, without its server; compare mentions that way.
_MENTIONS = re.compile(r"(?<![\w/])@(\w(?:[\w.-]*\w)?)(?:@[\w.-]+\w)?", re.IGNORECASE)
# A status on this server, as Mastodon links it: /@user/<id>, or /users/<user>/statuses/<id> (its ActivityPub uri).
_OWN_STATUS = re.compile(r"/(?:@[^/]+|users/[^/]+/statuses)/(\d+)")


class MastodonPlatform:
    """Publishes to, deletes from and searches one Mastodon account."""

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
        media_poll_interval: float = 2.0,
        media_polls: int = 60,
        lookup_slack: timedelta = timedelta(minutes=5),
        lookup_pages: int = 5,
        anonymous: bool = False,
    ) -> None:
        self.account = account
        self.root = root
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._retry = retry
        self._timeout = timeout
        self._media_poll_interval = media_poll_interval
        self._media_polls = max(1, media_polls)
        self._lookup_slack = lookup_slack
        self._lookup_pages = max(1, lookup_pages)
        self._account_id: str | None = None

        # Anonymous: only for what any visitor may read (the instance's limits), with no token at hand.
        (token,) = ("",) if anonymous else read_credentials(account, env, CREDENTIAL_SUFFIXES, platform="Mastodon",
                                                            holding="its Mastodon access token", strip=True)
        self._variable = f"{account.credentials}_{CREDENTIAL_SUFFIXES[0]}"
        self._secrets = worth_hiding([token])
        self._base = _base_url(account)
        self._server = urlsplit(self._base).netloc
        self._headers = {"Accept": "application/json", "User-Agent": f"postops/{__version__}"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    # -- the Platform protocol -------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        what = describe(request)
        if request.repost is not None:
            return self._boost(request.repost, what)
        media_ids = [self._upload(media, what) for media in request.media]
        form: list[tuple[str, str]] = [("status", request.text), ("visibility", "public")]
        if request.reply_to is not None:
            form.append(("in_reply_to_id", self._local_id(request.reply_to, what)))
        form += [("media_ids[]", media_id) for media_id in media_ids]
        if request.quote is not None:
            form.append(("quoted_status_id", self._local_id(request.quote, what)))
        if request.poll is not None:
            form += [("poll[options][]", option) for option in request.poll.options]
            form.append(("poll[expires_in]", str(request.poll.minutes * 60)))
        # The same key on every attempt, and on every run for this part: a repeat within the hour returns
        # the status the first attempt created, so a retry after a lost answer cannot post twice.
        key = request.idempotency_key or _fallback_key(request)
        response = self._call(f"publishing {what}", "POST", "/api/v1/statuses", data=form,
                              headers={"Idempotency-Key": key})
        return self._published(self._record(f"publishing {what}", response))

    def _boost(self, reference: str, what: str) -> Published:
        """POST /api/v1/statuses/:id/reblog. Mastodon boosts a status once: asked again, it answers with the
        boost it has, so a repeat after a lost answer makes no second one."""
        source = self._local_id(reference, what)
        response = self._call(f"boosting {reference} for {what}", "POST",
                              f"/api/v1/statuses/{quote(source, safe='')}/reblog")
        boosted = self._record(f"boosting {reference} for {what}", response)
        original = boosted.get("reblog")
        original = original if isinstance(original, dict) else {}
        return Published(platform_id=REPOST_PREFIX + source, url=str(original.get("url") or reference),
                         published_at=_parse_time(boosted.get("created_at")) or self._clock())

    def _local_id(self, reference: str, what: str) -> str:
        """The id on this server of the status `reference` names: a status id as it is; a URL through
        GET /api/v2/search with resolve=true, which fetches a status from another server (a status id is only
        meaningful on its own server: this one answers another server's with 404). A link to a status on this
        server is read off the link, so replying to the account's own posts needs no `read:search`."""
        if "://" not in reference:
            return reference
        parts = urlsplit(reference)
        own = _OWN_STATUS.fullmatch(parts.path.rstrip("/"))
        if parts.netloc.lower() == self._server.lower() and own is not None:
            return own.group(1)
        doing = f"finding {reference} on {self._server} for {what}"
        found = self._json(doing, self._call(doing, "GET", "/api/v2/search",
                                             params={"q": reference, "type": "statuses", "resolve": "true",
                                                     "limit": "1"}))
        statuses = found.get("statuses") if isinstance(found, dict) else None
        statuses = statuses if isinstance(statuses, list) else []
        if not statuses or not isinstance(statuses[0], dict) or "id" not in statuses[0]:
            raise PlatformError(f"{what}: {self._server} cannot find {reference}", retryable=False, kind="invalid")
        return str(statuses[0]["id"])

    def delete(self, platform_id: str) -> None:
        if platform_id.startswith(REPOST_PREFIX):
            source = platform_id.removeprefix(REPOST_PREFIX)
            # Undoing a boost that is not there is a success too: what was asked for.
            self._call(f"undoing the boost of {source}", "POST", f"/api/v1/statuses/{quote(source, safe='')}/unreblog",
                       absent_ok=True)
            return
        # A status that is already gone (404) is what was asked for.
        self._call(f"deleting post {platform_id}", "DELETE",
                   f"/api/v1/statuses/{quote(str(platform_id), safe='')}", absent_ok=True)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        # Re-sending with the same Idempotency-Key is no answer: if the claim never reached Mastodon that would
        # publish it, and if it did go out more than an hour ago, publish it twice. Its statuses are read instead.
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=UTC)
        if request.repost is not None:
            return self._boosted(request, request.repost)
        return self._find(request, since=claimed_at - self._lookup_slack)

    def _boosted(self, request: PartRequest, reference: str) -> Published | None:
        """Whether this account boosted the status: its `reblogged`, as the account sees it."""
        what = f"checking whether {describe(request)} went out"
        try:
            source = self._local_id(reference, what)
            status = self._record(what, self._call(what, "GET", f"/api/v1/statuses/{quote(source, safe='')}"))
        except PlatformError as exc:
            raise PlatformError(exc.message, retryable=True, kind=exc.kind) from None
        if not status.get("reblogged"):
            return None
        return Published(platform_id=REPOST_PREFIX + source, url=str(status.get("url") or reference))

    def limits(self) -> Limits:
        """The instance's own limits as it says them now: the `configuration` of GET /api/v2/instance (public,
        no scope needed). What it leaves out stays Mastodon's default."""
        what = f"reading the limits of {self._server} (GET /api/v2/instance)"
        answer = self._json(what, self._call(what, "GET", "/api/v2/instance"))
        configuration = answer.get("configuration") if isinstance(answer, dict) else None
        if not isinstance(configuration, dict):
            raise PlatformError(f"{what}: {self._server} answered without a `configuration`; is it a Mastodon 4 "
                                "server?", retryable=True, kind="error")
        limits = limits_from(configuration)
        wrong = senseless(limits)
        if wrong:
            raise PlatformError(f"{what}: {self._server} gave limits no server can mean ({'; '.join(wrong)}); "
                                "they are not used", retryable=False, kind="invalid")
        return limits

    # -- publishing --------------------------------------------------------------------------------

    def _upload(self, media: MediaFile, what: str) -> str:
        shown = shown_path(media.path, self.root)
        doing = f"uploading {shown} for {what}"
        try:
            content = media.path.read_bytes()
        except OSError as exc:
            raise PlatformError(f"{what}: cannot read {shown}: {exc.strerror}",
                                retryable=False, kind="invalid") from None
        mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
        data = {"description": media.alt} if media.alt else None
        response = self._call(doing, "POST", "/api/v2/media", data=data,
                              files={"file": (media.path.name, content, mime)})
        attachment = self._record(doing, response)
        media_id = str(attachment["id"])
        # 202 (and 206 when asked again): still processing; it cannot be attached to a status until it has a URL.
        polls = 0
        while not attachment.get("url"):
            if polls >= self._media_polls:
                waited = math.ceil(polls * self._media_poll_interval)
                raise PlatformError(
                    f"{doing}: {self._server} was still processing it after {waited} s; a later run will try "
                    f"again", retryable=True, kind="transient")
            polls += 1
            self._sleep(self._media_poll_interval)
            attachment = self._record(doing, self._call(doing, "GET", f"/api/v1/media/{quote(media_id, safe='')}"))
        return media_id

    def _published(self, status: Mapping[str, Any]) -> Published:
        status_id = str(status["id"])
        url = status.get("url") or status.get("uri") or self._status_url(status_id)
        return Published(platform_id=status_id, url=str(url),
                         published_at=_parse_time(status.get("created_at")) or self._clock())

    def _status_url(self, status_id: str) -> str:
        user = (self.account.handle or "").strip().lstrip("@").split("@")[0]
        if not user:
            return f"{self._base}/statuses/{status_id}"
        return f"{self._base}/@{user}/{status_id}"

    def recent(self, since: datetime) -> list[RemotePost]:
        what = f"reading {self.account.key}'s recent posts"
        try:
            if self._account_id is None:
                me = self._record(what, self._call(what, "GET", "/api/v1/accounts/verify_credentials"))
                self._account_id = str(me["id"])
            path = f"/api/v1/accounts/{quote(self._account_id, safe='')}/statuses"
            statuses = self._json(what, self._call(what, "GET", path, params={"limit": _PAGE_SIZE}))
        except PlatformError as exc:
            if exc.kind == "auth":
                raise PlatformError(f"{what}: this token cannot read the account's posts, so posts made outside "
                                    f"postops go unnoticed; give it the read:accounts and read:statuses scopes "
                                    f"({exc.message})", retryable=False, kind="unavailable") from None
            raise
        if not isinstance(statuses, list):
            raise PlatformError(f"{what}: {self._server} answered with something other than a list of posts",
                                retryable=True, kind="error")
        posts = []
        for status in statuses:
            created = _parse_time(status.get("created_at"))
            if not isinstance(status, dict) or "id" not in status or (created is not None and created < since):
                continue
            boosted = status.get("reblog")
            published = self._published(status)
            platform_id = published.platform_id
            if isinstance(boosted, dict):
                text = f"boost of {boosted.get('url') or boosted.get('uri')}"
                # A boost is known to the ledger by the post it boosts (see _boost), never by its own id.
                platform_id = REPOST_PREFIX + str(boosted.get("id"))
            else:
                text = _html_text(str(status.get("content") or "")).strip()
            posts.append(RemotePost(platform_id, text, published.url, created))
        return posts

    # -- in-doubt resolution -----------------------------------------------------------------------

    def _find(self, request: PartRequest, since: datetime) -> Published | None:
        """The account's status since `since` that is `request`; None only when Mastodon's answer says so."""
        what = f"reading {self.account.key}'s recent posts to check whether {describe(request)} went out"
        wanted = _comparable(request.text)
        params: dict[str, Any] = {"limit": _PAGE_SIZE, "exclude_reblogs": "true"}
        try:
            replied = self._local_id(request.reply_to, what) if request.reply_to is not None else None
            quoted = self._local_id(request.quote, what) if request.quote is not None else None
            if self._account_id is None:
                me = self._record(what, self._call(what, "GET", "/api/v1/accounts/verify_credentials"))
                self._account_id = str(me["id"])
            path = f"/api/v1/accounts/{quote(self._account_id, safe='')}/statuses"
            for _ in range(self._lookup_pages):
                response = self._call(what, "GET", path, params=params)
                statuses = self._json(what, response)
                if not isinstance(statuses, list):
                    raise PlatformError(f"{what}: {self._server} answered with something other than a list "
                                        f"of posts", retryable=True, kind="error")
                for status in statuses:
                    created = _parse_time(status.get("created_at"))
                    if created is not None and created < since:
                        continue
                    if _is_request(status, request, wanted, replied, quoted):
                        return self._published(status)
                oldest = _parse_time(statuses[-1].get("created_at")) if statuses else None
                next_url = (response.links.get("next") or {}).get("url")
                if not statuses or not next_url or (oldest is not None and oldest < since):
                    return None
                max_id = (parse_qs(urlsplit(next_url).query).get("max_id") or [str(statuses[-1]["id"])])[0]
                params = {**params, "max_id": max_id}
        except PlatformError as exc:
            # Whatever went wrong, the question is still open: a later run asks again, nothing is guessed.
            raise PlatformError(exc.message, retryable=True, kind=exc.kind) from None
        except (KeyError, TypeError, AttributeError):
            raise PlatformError(f"{what}: {self._server} answered with posts postops cannot read",
                                retryable=True, kind="error") from None
        raise PlatformError(
            f"{what}: more than {self._lookup_pages * _PAGE_SIZE} posts since {since.astimezone(UTC):%Y-%m-%d %H:%M} "
            f"UTC and "
            f"none matched; check the account by hand before publishing it again",
            retryable=False, kind="error")

    # -- calling Mastodon --------------------------------------------------------------------------

    def _call(self, what: str, method: str, path: str, *, absent_ok: bool = False,
              headers: Mapping[str, str] | None = None, **kwargs: Any) -> requests.Response:
        """One request, with Mastodon's failures turned into PlatformErrors and what can be retried retried.

        Every request here is safe to repeat: reads and deletes are, creating a status carries its
        Idempotency-Key, and a repeated media upload only leaves an unattached file Mastodon cleans up.
        """
        url = self._base + path
        tries = Attempts(self._retry, self._sleep)
        while True:
            try:
                response = self._session.request(method, url, headers={**self._headers, **(headers or {})},
                                                 timeout=self._timeout, **kwargs)
            except requests.Timeout:
                reason = f"{self._server} did not answer in time"
            except requests.ConnectionError:
                reason = f"could not reach {self._server}"
            except requests.RequestException as exc:
                raise PlatformError(self._scrub(f"{what}: {exc}"), retryable=False, kind="error") from None
            else:
                status = response.status_code
                if status == 429:
                    # Mastodon's X-RateLimit-Reset is an ISO 8601 time. Whether to wait goes by the time
                    # left until it; the wait itself runs a little past it, as an early retry is refused.
                    reset = _parse_time(response.headers.get("X-RateLimit-Reset"))
                    now = self._clock()
                    if reset is None or not tries.will_wait(max(0.0, (reset - now).total_seconds())):
                        raise rate_limit_used_up(what, self._server, reset, now) from None
                    self._sleep(wait_past(reset, now))
                    continue
                if status < 400 or (status == 404 and absent_ok):
                    return response
                if status < 500:
                    raise self._refused(what, response)
                reason = f"{self._server} answered {status} {response.reason}".rstrip()
            tries.back_off(what, reason, self._scrub)

    def _json(self, what: str, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PlatformError(
                f"{what}: {self._server} answered {response.status_code} with something that is not JSON; "
                f"is `instance: {self._base}` a Mastodon server?", retryable=True, kind="error") from None

    def _record(self, what: str, response: requests.Response) -> dict[str, Any]:
        """A status, media attachment or account: an object with an id, or a PlatformError."""
        record = self._json(what, response)
        if not isinstance(record, dict) or record.get("id") in (None, ""):
            raise PlatformError(f"{what}: {self._server} answered {response.status_code} without the id of what "
                                f"it made or found", retryable=True, kind="error")
        return record

    def _refused(self, what: str, response: requests.Response) -> PlatformError:
        status = response.status_code
        said = _error_text(response) or f"{status} {response.reason}".rstrip()
        if status in (401, 403):
            who = self.account.handle or self.account.key
            return PlatformError(self._scrub(
                f"{what}: {self._server} refused the access token in {self._variable}: check that it is the "
                f"token of an application created on {self._server} while signed in as {who}, with the "
                f"scopes {' '.join(SCOPES)} ({self._server} said: {said})"), retryable=False, kind="auth")
        return PlatformError(self._scrub(f"{what}: {self._server} refused it: {said}"),
                             retryable=False, kind="invalid")

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


REPOST_PREFIX = "repost:"     # the platform id of a boost: undone by unreblog on the boosted status


def instance_limits(account: Account, **options: Any) -> Limits:
    """`account`'s instance limits, read without its token: `postops limits --refresh` runs anywhere."""
    return MastodonPlatform(account, Path("."), {}, anonymous=True, **options).limits()


def _base_url(account: Account) -> str:
    instance = (account.instance or "").strip().rstrip("/")
    if not instance:
        raise PlatformError(f"account {account.key} has no `instance:` in postops.yaml: give it the address of "
                            f"its Mastodon server, e.g. https://mastodon.social", retryable=False, kind="invalid")
    if "://" not in instance:
        instance = f"https://{instance}"
    parts = urlsplit(instance)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")  # a test server on this machine
    if not parts.netloc or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        raise PlatformError(f"account {account.key}: `instance: {account.instance}` must be an https:// address "
                            f"(the access token must not travel unencrypted)", retryable=False, kind="invalid")
    return instance


def _fallback_key(request: PartRequest) -> str:
    """A key stable across runs for a request that came without one: same post, part and text, same key."""
    seed = "\x00".join((request.account.key, request.post_id, str(request.part), request.text,
                        str(request.reply_to or ""), *(m.path.name for m in request.media)))
    return hashlib.sha256(seed.encode()).hexdigest()


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    said = body.get("error") or ""
    description = body.get("error_description")
    if description and description != said:
        said = f"{said}: {description}" if said else description
    return str(said)


class _ContentText(HTMLParser):
    """Mastodon's HTML `content` back to text: paragraphs, line breaks, entities; links as their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._in_link = False  # inside a link whose visible text is shortened: its href stands for it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pieces.append("\n")
        elif tag == "a":
            attributes = dict(attrs)
            classes = (attributes.get("class") or "").split()
            href = attributes.get("href") or ""
            # Mentions and hashtags show what was written (@user, #tag); other links show a shortened address.
            if "mention" not in classes and "hashtag" not in classes and _URLS.match(href):
                self.pieces.append(href)
                self._in_link = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False
        elif tag == "p":
            self.pieces.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._in_link:
            self.pieces.append(data)


def _html_text(content: str) -> str:
    parser = _ContentText()
    parser.feed(content)
    parser.close()
    return "".join(parser.pieces)


def _comparable(text: str) -> str:
    """`text` with what Mastodon changes about it taken out: link addresses, mentions' servers, spacing."""
    text = unicodedata.normalize("NFC", text)
    text = _URLS.sub(f" {_URL} ", text)
    text = _MENTIONS.sub(lambda m: f"@{m.group(1).lower()}", text)
    return " ".join(text.split())


def _is_request(status: Mapping[str, Any], request: PartRequest, wanted: str, replied: str | None,
                quoted: str | None) -> bool:
    """Whether `status` is what `request` made: the same text, reply, quote and poll. A status with the same
    text but another quote or poll, or none, is a different post, and must not stand for this one."""
    if replied is not None and str(status.get("in_reply_to_id")) != replied:
        return False
    if _quoted_id(status) != quoted:
        return False
    if _poll_options(status) != (request.poll.options if request.poll is not None else None):
        return False
    return _comparable(_html_text(str(status.get("content") or ""))) == wanted


def _quoted_id(status: Mapping[str, Any]) -> str | None:
    """The id of the status `status` quotes: its `quote` is a Quote ({state, quoted_status}) or a ShallowQuote
    ({state, quoted_status_id}) (https://docs.joinmastodon.org/entities/Status/#quote)."""
    quote = status.get("quote")
    if not isinstance(quote, dict):
        return None
    inner = quote.get("quoted_status")
    found = inner.get("id") if isinstance(inner, dict) else quote.get("quoted_status_id")
    return None if found is None else str(found)


def _poll_options(status: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The titles of `status`'s poll options, in order (Poll entity: options[].title), or None without a poll."""
    poll = status.get("poll")
    if not isinstance(poll, dict):
        return None
    return tuple(str(option.get("title")) for option in poll.get("options") or [] if isinstance(option, dict))


def _parse_time(value: Any) -> datetime | None:
    """A time Mastodon gave, always with a zone (UTC when it gave none), so it compares with the clock's."""
    return parse_time(value, UTC)
