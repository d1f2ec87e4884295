"""Bluesky through the AT Protocol's XRPC HTTP API, spoken directly with requests.

No atproto SDK: postops needs seven XRPC calls, and the SDK brings pydantic, cryptography, a CAR/CBOR
stack and its own HTTP client for them.

Each part is created under a record key derived from its idempotency key alone, so a repeated request
cannot post twice (the second create collides with the first) and an in-doubt claim is resolved by
reading that one record.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from postops.http import DEFAULT_RETRY, Retry
from postops.platforms._common import (
    Attempts,
    describe,
    read_credentials,
    scrub,
    shown_path,
    surely_unsent,
    utc_now,
    worth_hiding,
)
from postops.platforms.base import MediaFile, PartRequest, PlatformError, Published, RemotePost
from postops.platforms.spec import SPECS
from postops.repo.config import Account
from postops.times import parse_time

T = TypeVar("T")

SPEC = SPECS["bluesky"]
CREDENTIAL_SUFFIXES = SPEC.secrets
DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
REPOST_COLLECTION = "app.bsky.feed.repost"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_SYNTAX = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
# Derived record keys carry a timestamp in 2023-2024: never in the future (future keys were once used to
# pin posts to the top of feeds) and far from the keys the server gives anything else this account posts.
_TID_EPOCH_US = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
_TID_SPAN_BITS = 45  # about 407 days of microseconds
_TOKEN_ERRORS = {"ExpiredToken", "InvalidToken"}
_AUTH_ERRORS = {"AuthenticationRequired", "AccountTakedown", "AccountDeactivated", "AuthFactorTokenRequired",
                *_TOKEN_ERRORS}
_MENTION = re.compile(r"(?<![^\s(])@([A-Za-z0-9.-]+)\b")
_HANDLE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Bluesky's own hashtag rule (the app's RichText.detectFacets): after a space or at the start, not a keycap.
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = (rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)")
_MAX_TAG = 64


def record_key(request: PartRequest) -> str:
    """The record key `request` is published under: a valid TID that depends on nothing but the request.

    Not on the time: publish() is not told when its part was claimed, a later run retrying a failed part
    must land on the same key, and lookup() must find it without searching.
    """
    seed = request.idempotency_key or "\x00".join(
        # Without an idempotency key, what the key would have covered: the same post, account, part, content.
        [request.account.key, request.post_id, str(request.part), request.text, request.reply_to or "",
         *(m.path.name for m in request.media)])
    digest = hashlib.sha256(f"postops/bluesky/{request.account.key}\x00{seed}".encode()).digest()
    bits = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_US + (bits >> 10) % (1 << _TID_SPAN_BITS)
    return encode_tid(micros, bits & 0x3FF)


def encode_tid(micros: int, clock_id: int) -> str:
    value = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_tid(text: str) -> bool:
    return _TID_SYNTAX.fullmatch(text) is not None


@dataclass(frozen=True)
class _Ref:
    uri: str
    cid: str


class _XrpcError(Exception):
    """A non-2xx XRPC answer: its status and the error name and message of its JSON body."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        self.error = str(body.get("error") or "")
        self.message = str(body.get("message") or "")
        super().__init__(f"{self.status} {self.error}: {self.message}")

    @property
    def said(self) -> str:
        said = ": ".join(part for part in (self.error, self.message) if part)
        return said or str(self.status)

    @property
    def not_found(self) -> bool:
        return (self.error == "RecordNotFound" or (self.status in (400, 404) and (
            "could not locate record" in self.message.lower() or "not found" in self.message.lower())))


class BlueskyPlatform:
    """Publishes to, deletes from and looks up one Bluesky account."""

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
        langs: Sequence[str] = (),
    ) -> None:
        self.account = account
        self.root = root
        self._sleep = sleep
        self._clock = clock
        self._retry = retry
        self._timeout = timeout
        self._langs = list(langs)
        self._service = (account.instance or DEFAULT_SERVICE).strip().rstrip("/")
        if "://" not in self._service:
            self._service = "https://" + self._service

        self.handle = (account.handle or "").strip().lstrip("@").lower()
        if not self.handle:
            raise PlatformError(
                f"account {account.key} has no `handle:` in postops.yaml: give it the Bluesky handle it "
                f"signs in with (e.g. handle: \"example.bsky.social\")", retryable=False, kind="auth")
        (self._password,) = read_credentials(account, env, CREDENTIAL_SUFFIXES, platform="Bluesky",
                                             holding="its app password")
        self._variable = f"{account.credentials}_{CREDENTIAL_SUFFIXES[0]}"
        self._secrets = worth_hiding([self._password])  # the session's tokens join them once signed in

        self._http = session if session is not None else requests.Session()
        self._did: str | None = None
        self._access_jwt: str | None = None
        self._refresh_jwt: str | None = None
        self._dids: dict[str, str | None] = {}

    # -- the Platform protocol -------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        what = describe(request)
        if request.repost is not None:
            return self._repost(request, request.repost, what)
        images = self._read_images(request.media, what)  # all refused or all read before anything is sent
        did = self._signed_in()
        rkey = record_key(request)
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": request.text,
                                  "createdAt": _iso(self._clock())}
        if self._langs:
            record["langs"] = self._langs
        facets = self._facets(request.text, what)
        if facets:
            record["facets"] = facets
        if request.reply_to:
            record["reply"] = self._reply(request.reply_to, what)
        if images:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"image": self._upload(path, mime, data, what), "alt": alt} for path, mime, data, alt in images]}
        if request.quote is not None:
            # A quote is a record embed with the quoted post's strong reference (uri and cid); beside images,
            # both go in a recordWithMedia embed.
            quoted = {"$type": "app.bsky.embed.record",
                      "record": self._strong_ref(request.quote, f"reading the post {what} quotes")}
            record["embed"] = ({"$type": "app.bsky.embed.recordWithMedia", "record": quoted, "media": record["embed"]}
                               if images else quoted)

        def create() -> Published:
            try:
                answer = self._xrpc("POST", "com.atproto.repo.createRecord", json={
                    "repo": did, "collection": POST_COLLECTION, "rkey": rkey, "record": record})
            except _XrpcError as refused:
                if refused.status in (400, 409) and refused.error not in _TOKEN_ERRORS:
                    # Servers say "already exists" in different ways; the record under the key says it plainly.
                    try:
                        found = self._existing(rkey, request, what)
                    except PlatformError as check:
                        if not check.retryable:
                            raise
                        raise PlatformError(self._scrub(
                            f"publishing {what}: Bluesky refused it ({refused.said}), and checking whether it "
                            f"is there already failed ({check.message})"), retryable=True,
                            kind="transient") from None
                    if found is not None:
                        return found
                raise
            return Published(platform_id=_platform_id(answer), url=self._url(rkey), published_at=self._clock())

        return self._call(f"publishing {what}", create, may_have_acted=lambda: self._existing(rkey, request, what))

    def _repost(self, request: PartRequest, reference: str, what: str) -> Published:
        """An app.bsky.feed.repost record whose subject is the reposted post's strong reference, under the
        request's own record key, so that a repeat lands on the same record and lookup finds it by key."""
        did = self._signed_in()
        rkey = record_key(request)
        subject = self._strong_ref(reference, f"reading the post {what} reposts")
        record = {"$type": REPOST_COLLECTION, "subject": subject, "createdAt": _iso(self._clock())}

        def create() -> Published:
            try:
                answer = self._xrpc("POST", "com.atproto.repo.createRecord", json={
                    "repo": did, "collection": REPOST_COLLECTION, "rkey": rkey, "record": record})
            except _XrpcError as refused:
                if refused.status in (400, 409) and refused.error not in _TOKEN_ERRORS:
                    found = self._existing_repost(request, reference, what)
                    if found is not None:
                        return found
                raise
            return Published(platform_id=_platform_id(answer), url=_post_url(subject["uri"]),
                             published_at=self._clock())

        return self._call(f"reposting {reference} for {what}", create,
                          may_have_acted=lambda: self._existing_repost(request, reference, what))

    def _existing_repost(self, request: PartRequest, reference: str, what: str) -> Published | None:
        doing = f"checking whether {what} is already on Bluesky"
        found = self._get_record(self._signed_in(), REPOST_COLLECTION, record_key(request), doing)
        if found is None:
            return None
        subject = _mapping(_mapping(found.get("value")).get("subject"))
        if subject.get("uri") != self._post_uri(reference, doing):
            raise PlatformError(f"{doing}: its record key holds a repost of another post ({subject.get('uri')}); "
                                "check the account by hand", retryable=False, kind="error")
        return Published(platform_id=_platform_id(found), url=_post_url(str(subject.get("uri"))),
                         published_at=parse_time(_mapping(found.get("value")).get("createdAt")))

    def _strong_ref(self, reference: str, doing: str) -> dict[str, str]:
        """{uri, cid} of the post `reference` names (a bsky.app link, an at:// id, or a platform id)."""
        if "|" in reference and reference.startswith("at://"):
            ref = _parse_id(reference)
            if ref.cid:
                return {"uri": ref.uri, "cid": ref.cid}
        uri = self._post_uri(reference, doing)
        repo, collection, rkey = _record_path(uri, doing)
        found = self._get_record(repo, collection, rkey, doing)
        if found is None:
            raise PlatformError(f"{doing}: it does not exist (deleted?)", retryable=False, kind="invalid")
        if not found.get("cid"):
            raise PlatformError(f"{doing}: Bluesky did not give its cid", retryable=True, kind="transient")
        return {"uri": str(found.get("uri") or uri), "cid": str(found["cid"])}

    def _post_uri(self, reference: str, doing: str) -> str:
        return self._reply_uri(reference, doing)

    def delete(self, platform_id: str) -> None:
        repo, collection, rkey = _record_path(_parse_id(platform_id).uri, f"deleting post {platform_id}")
        self._signed_in()

        def delete() -> None:
            try:
                self._xrpc("POST", "com.atproto.repo.deleteRecord",
                           json={"repo": repo, "collection": collection, "rkey": rkey})
            except _XrpcError as refused:
                if not refused.not_found:
                    raise  # already gone is what was asked for

        self._call(f"deleting post {platform_id}", delete)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        try:
            if request.repost is not None:
                return self._existing_repost(request, request.repost, describe(request))
            return self._existing(record_key(request), request, describe(request))
        except PlatformError as exc:
            # In doubt stays in doubt until Bluesky answers: a later run asks again.
            raise PlatformError(exc.message, retryable=True, kind=exc.kind) from None

    def recent(self, since: datetime) -> list[RemotePost]:
        # The account's own post records, newest first (com.atproto.repo.listRecords): what any app that
        # signs in as the account writes ends up there, whatever client made it.
        repo = self._signed_in()
        listed = self._call(f"reading {self.account.key}'s recent posts", lambda: self._xrpc(
            "GET", "com.atproto.repo.listRecords", params={"repo": repo, "collection": POST_COLLECTION,
                                                           "limit": "100"}))
        posts = []
        for record in _mapping(listed).get("records") or []:
            value = _mapping(_mapping(record).get("value"))
            created = parse_time(value.get("createdAt"))
            uri = str(record.get("uri") or "")
            if not uri or (created is not None and created < since):
                continue
            posts.append(RemotePost(_platform_id(record), str(value.get("text") or ""),
                                    self._url(uri.rsplit("/", 1)[-1]), created))
        return posts

    # -- publishing --------------------------------------------------------------------------------

    def _read_images(self, media: Sequence[MediaFile], what: str) -> list[tuple[str, str, bytes, str]]:
        # The declaration lint checks against (postops.platforms.spec), read when publishing: the two cannot differ.
        most_images, most_bytes = SPEC.max_images, SPEC.media_bytes.get("image")
        if len(media) > most_images:
            raise PlatformError(f"{what}: Bluesky takes at most {most_images} images per post, this part has "
                                f"{len(media)}", retryable=False, kind="invalid")
        images = []
        for item in media:
            shown = shown_path(item.path, self.root)
            mime = mimetypes.guess_type(item.path.name)[0]
            if mime not in IMAGE_TYPES:
                raise PlatformError(
                    f"{what}: Bluesky cannot attach {shown} ({mime or 'unknown type'}); postops posts JPEG, "
                    f"PNG, WEBP and GIF images there", retryable=False, kind="invalid")
            try:
                data = item.path.read_bytes()
            except OSError as exc:
                raise PlatformError(f"{what}: cannot read {shown}: {exc.strerror}",
                                    retryable=False, kind="invalid") from None
            if most_bytes is not None and len(data) > most_bytes:
                raise PlatformError(
                    f"{what}: {shown} is {len(data):,} bytes; Bluesky takes images up to "
                    f"{most_bytes:,} bytes", retryable=False, kind="invalid")
            images.append((shown, mime, data, item.alt or ""))
        return images

    def _upload(self, shown: str, mime: str, data: bytes, what: str) -> Any:
        answer = self._call(f"uploading {shown} for {what}", lambda: self._xrpc(
            "POST", "com.atproto.repo.uploadBlob", data=data, content_type=mime))
        blob = answer.get("blob")
        if not isinstance(blob, dict):
            raise PlatformError(f"uploading {shown} for {what}: Bluesky's answer has no blob",
                                retryable=True, kind="transient")
        return blob

    def _reply(self, reply_to: str, what: str) -> dict[str, Any]:
        """The reply reference for a post replying to `reply_to`: its parent, and the root of its thread.

        The parent is read back rather than trusted from the id: it says whether it is itself a reply,
        and so which post the thread hangs from.
        """
        doing = f"reading the post {what} replies to ({reply_to})"
        uri = self._reply_uri(reply_to, doing)
        repo, collection, rkey = _record_path(uri, doing)
        found = self._get_record(repo, collection, rkey, doing)
        if found is None:
            raise PlatformError(f"{doing}: it does not exist (deleted?)", retryable=False, kind="invalid")
        parent = {"uri": str(found.get("uri") or uri), "cid": str(found.get("cid") or "")}
        if not parent["cid"]:
            raise PlatformError(f"{doing}: Bluesky did not give its cid", retryable=True, kind="transient")
        root = _mapping(_mapping(found.get("value")).get("reply")).get("root")
        if not (isinstance(root, dict) and root.get("uri") and root.get("cid")):
            root = parent
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent}

    def _reply_uri(self, reply_to: str, doing: str) -> str:
        reply_to = reply_to.strip()
        if reply_to.startswith("at://"):
            return _parse_id(reply_to).uri
        parts = urlsplit(reply_to)
        match = re.fullmatch(r"/profile/([^/]+)/post/([^/]+)/?", parts.path)
        if parts.scheme in ("http", "https") and match:
            actor, rkey = match.groups()
            did = actor if actor.startswith("did:") else self._resolve(actor.lstrip("@"), doing)
            if did is None:
                raise PlatformError(f"{doing}: no Bluesky account has the handle {actor}",
                                    retryable=False, kind="invalid")
            return f"at://{did}/{POST_COLLECTION}/{rkey}"
        raise PlatformError(f"{doing}: not a Bluesky post (give its bsky.app link or its at:// id)",
                            retryable=False, kind="invalid")

    def _facets(self, text: str, what: str) -> list[dict[str, Any]]:
        """Links, mentions and hashtags in `text`, located by UTF-8 byte offsets as Bluesky requires."""
        found: list[tuple[int, int, dict[str, Any]]] = []
        for url, start, end in _links(text):
            uri = url if "://" in url else "https://" + url
            found.append((start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri}))
        for handle, start, end in _mentions(text):
            did = self._resolve(handle, f"looking up @{handle}, mentioned in {what}")
            if did is not None:  # an unknown handle stays plain text, as it would in the app
                found.append((start, end, {"$type": "app.bsky.richtext.facet#mention", "did": did}))
        for tag, start, end in _tags(text):
            found.append((start, end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
        facets, taken_until = [], -1
        for start, end, feature in sorted(found, key=lambda f: f[0]):
            if start < taken_until:
                continue  # inside a link found first: a "#fragment" or "@" in a URL
            taken_until = end
            facets.append({"index": {"byteStart": len(text[:start].encode("utf-8")),
                                     "byteEnd": len(text[:end].encode("utf-8"))},
                           "features": [feature]})
        return facets

    def _resolve(self, handle: str, doing: str) -> str | None:
        handle = handle.lower()
        if handle not in self._dids:
            def resolve() -> str | None:
                try:
                    answer = self._xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle})
                except _XrpcError as refused:
                    if refused.status == 400 and refused.error not in _TOKEN_ERRORS:
                        return None  # "Unable to resolve handle"
                    raise
                did = answer.get("did")
                return str(did) if did else None

            self._dids[handle] = self._call(doing, resolve)
        return self._dids[handle]

    def _url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{self.handle}/post/{rkey}"

    # -- records -----------------------------------------------------------------------------------

    def _existing(self, rkey: str, request: PartRequest, what: str) -> Published | None:
        """The post under `rkey` on this account, if it is there: `request`, published earlier."""
        doing = f"checking whether {what} is already on Bluesky"
        found = self._get_record(self._signed_in(), POST_COLLECTION, rkey, doing)
        if found is None:
            return None
        value = _mapping(found.get("value"))
        # The same text quoting another post, or none, is a different post: the quote is compared by the uri
        # of its strong reference (app.bsky.embed.record, or the `record` of app.bsky.embed.recordWithMedia).
        quoted = self._post_uri(request.quote, doing) if request.quote is not None else None
        if value.get("text") != request.text or _quoted_uri(value) != quoted:
            raise PlatformError(
                f"{doing}: its record key {rkey} holds a different post on this account ({found.get('uri')}); "
                f"check the account by hand", retryable=False, kind="error")
        return Published(platform_id=_platform_id(found), url=self._url(rkey),
                         published_at=parse_time(value.get("createdAt")))

    def _get_record(self, repo: str, collection: str, rkey: str, doing: str) -> dict[str, Any] | None:
        def get() -> dict[str, Any] | None:
            try:
                record: dict[str, Any] = self._xrpc("GET", "com.atproto.repo.getRecord",
                                                    params={"repo": repo, "collection": collection, "rkey": rkey})
                return record
            except _XrpcError as refused:
                if refused.not_found:
                    return None
                raise

        return self._call(doing, get)

    # -- the session -------------------------------------------------------------------------------

    def _signed_in(self) -> str:
        if self._did is None:
            self._sign_in()
        assert self._did is not None
        return self._did

    def _sign_in(self) -> None:
        answer = self._call(f"signing in to Bluesky as {self.handle}", lambda: self._xrpc(
            "POST", "com.atproto.server.createSession", token=None,
            json={"identifier": self.handle, "password": self._password}), renew=False, signing_in=True)
        self._keep(answer, "signing in")

    def _renew(self) -> None:
        """A fresh access token: refreshed with the refresh token, or by signing in again."""
        if self._refresh_jwt:
            refresh = self._refresh_jwt
            try:
                answer = self._call("renewing the Bluesky session", lambda: self._xrpc(
                    "POST", "com.atproto.server.refreshSession", token=refresh), renew=False)
            except PlatformError as exc:
                if exc.kind != "auth":
                    raise
            else:
                self._keep(answer, "renewing the session")
                return
        self._sign_in()

    def _keep(self, answer: dict[str, Any], doing: str) -> None:
        access, refresh, did = answer.get("accessJwt"), answer.get("refreshJwt"), answer.get("did")
        if not (access and did):
            raise PlatformError(f"{doing} on Bluesky as {self.handle}: the answer has no session",
                                retryable=True, kind="transient")
        self._access_jwt, self._refresh_jwt, self._did = str(access), str(refresh or "") or None, str(did)
        self._secrets += [s for s in (self._access_jwt, self._refresh_jwt) if s]

    # -- calling Bluesky ---------------------------------------------------------------------------

    _SESSION = object()

    def _xrpc(self, method: str, nsid: str, *, params: Mapping[str, str] | None = None,
              json: Any = None, data: bytes | None = None, content_type: str | None = None,
              token: Any = _SESSION) -> Any:
        """One XRPC request; its JSON answer, or _XrpcError. Network failures are requests' own."""
        headers = {}
        bearer = self._access_jwt if token is self._SESSION else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if content_type:
            headers["Content-Type"] = content_type
        response = self._http.request(method, f"{self._service}/xrpc/{nsid}", params=params, json=json,
                                      data=data, headers=headers, timeout=self._timeout)
        if not 200 <= response.status_code < 300:
            raise _XrpcError(response)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise _XrpcError(response) from None

    def _call(self, what: str, attempt: Callable[[], T], *,
              may_have_acted: Callable[[], T | None] | None = None,
              renew: bool = True, signing_in: bool = False) -> T:
        """`attempt()` with Bluesky's failures turned into PlatformErrors, retrying what can be retried.

        Every request postops repeats is safe to repeat: a post is created under the same record key
        each time. `may_have_acted` still asks first after a failure that may have created it, because
        some servers answer a second create under a taken key with a server error, not a conflict.
        """
        tries = Attempts(self._retry, self._sleep)
        renewed = not renew
        while True:
            try:
                return attempt()
            except _XrpcError as exc:
                if exc.status == 429:
                    tries.wait_out_rate_limit(what, "Bluesky", _reset_time(exc), self._clock())
                    continue
                if exc.error in _TOKEN_ERRORS and not renewed:
                    renewed = True
                    self._renew()
                    continue
                if exc.status < 500:
                    raise self._refused(what, exc, signing_in) from None
                reason = f"Bluesky answered {exc.status}" + (f" {exc.said}" if exc.error else "")
                sent = True
            except requests.RequestException as exc:
                reason = "Bluesky did not answer in time" if isinstance(exc, requests.Timeout) \
                    else "could not reach Bluesky"
                sent = not surely_unsent(exc)
            if sent and may_have_acted is not None:
                try:
                    found = may_have_acted()
                except PlatformError:
                    found = None  # unknown, and repeating under the same record key cannot post twice
                if found is not None:
                    return found
            tries.back_off(what, reason, self._scrub)

    def _refused(self, what: str, exc: _XrpcError, signing_in: bool) -> PlatformError:
        if exc.status in (401, 403) or exc.error in _AUTH_ERRORS:
            if exc.error == "AuthFactorTokenRequired":
                advice = (f"it asks for a code sent by email, which happens with the account's main password: "
                          f"put an app password in {self._variable}")
            elif signing_in:
                advice = (f"check that {self._variable} holds an app password of {self.handle} that has not "
                          f"been revoked, and that the handle is right")
            else:
                advice = f"signing in again did not help; check the app password in {self._variable}"
            return PlatformError(self._scrub(f"{what}: Bluesky refused ({exc.said}): {advice}"),
                                 retryable=False, kind="auth")
        if exc.status == 404 and not exc.error:
            return PlatformError(self._scrub(
                f"{what}: {self._service} does not answer Bluesky's API (404); check `instance:` in postops.yaml"),
                retryable=False, kind="error")
        return PlatformError(self._scrub(f"{what}: Bluesky refused it: {exc.said}"),
                             retryable=False, kind="invalid")

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


# -- text -----------------------------------------------------------------------------------------


def _links(text: str) -> list[tuple[str, int, int]]:
    from postops import links  # noqa: PLC0415 - the same URLs lint's facts see

    return list(links.find_urls(text))


def _mentions(text: str) -> list[tuple[str, int, int]]:
    # Bluesky handles are domain names: "@csis.bsky.social" links, "@CSIS" (an X handle) does not.
    return [(m.group(1).lower(), m.start(), m.end()) for m in _MENTION.finditer(text)
            if _HANDLE.fullmatch(m.group(1))]


def _tags(text: str) -> list[tuple[str, int, int]]:
    if "#" not in text and "＃" not in text:
        return []
    import regex  # noqa: PLC0415 - for \p{P}, as in Bluesky's own rule; only when a tag is found

    tags = []
    for match in regex.finditer(_TAG, text):
        tag = regex.sub(r"\p{P}+$", "", match.group(1).strip())
        if 0 < len(tag) <= _MAX_TAG:
            tags.append((tag, match.start(), match.start() + 1 + len(tag)))
    return tags


# -- ids --------------------------------------------------------------------------------------------


def _quoted_uri(value: Mapping[str, Any]) -> str | None:
    """The at:// uri of the post a post record quotes, or None."""
    embed = _mapping(value.get("embed"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = _mapping(embed.get("record"))
    if embed.get("$type") != "app.bsky.embed.record":
        return None
    uri = _mapping(embed.get("record")).get("uri")
    return None if uri is None else str(uri)


def _platform_id(answer: Mapping[str, Any]) -> str:
    """"<at-uri>|<cid>": a reply needs both the uri and the cid of its parent, so the id keeps both."""
    return f"{answer.get('uri')}|{answer.get('cid')}"


def _post_url(uri: str) -> str:
    """The bsky.app link of the post at `uri` (at://<did>/app.bsky.feed.post/<rkey>)."""
    match = re.fullmatch(r"at://([^/]+)/[^/]+/([^/?#]+)", uri)
    return f"https://bsky.app/profile/{match.group(1)}/post/{match.group(2)}" if match else uri


def _parse_id(platform_id: str) -> _Ref:
    uri, _, cid = platform_id.strip().partition("|")
    return _Ref(uri=uri, cid=cid)


def _record_path(uri: str, doing: str) -> tuple[str, str, str]:
    match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/?#]+)", uri)
    if not match:
        raise PlatformError(f"{doing}: {uri!r} is not the at:// id of a Bluesky record",
                            retryable=False, kind="invalid")
    repo, collection, rkey = match.groups()
    return repo, collection, rkey


def _iso(when: datetime) -> str:
    # atproto datetimes need a timezone; milliseconds and a Z are what every client writes.
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _reset_time(exc: _XrpcError) -> datetime | None:
    """When the rate limit resets: Bluesky's ratelimit-reset header is in seconds since the epoch."""
    header = exc.headers.get("ratelimit-reset")
    return datetime.fromtimestamp(int(header), UTC) if header and header.strip().isdigit() else None
