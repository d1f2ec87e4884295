"""X (Twitter): OAuth 1.0a user context, v2 media upload, v2 posts through tweepy.

tweepy is imported here and nowhere else, and only when an X account is actually used. It has no client for
X's v2 media upload (it uploads through v1.1, which X retired in 2025), so media goes through the endpoints
X's media docs give (https://docs.x.com/x-api/media/quickstart/media-upload-chunked), signed with the same
OAuth 1.0a keys, on the same session, with X's failures turned into tweepy's exceptions so that they are
classified, retried and worded as every other X call.
"""

from __future__ import annotations

import contextlib
import html
import mimetypes
import os
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests

from postops import links
from postops.http import DEFAULT_RETRY, Retry
from postops.platforms._common import (
    Attempts,
    describe,
    json_answer,
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

SPEC = SPECS["x"]
CREDENTIAL_SUFFIXES = SPEC.secrets

# X's media endpoints take these (POST /2/media/upload/initialize: media_type and media_category for a
# Post); anything else is refused before a single byte is sent.
_MEDIA_CATEGORIES = {
    "image/jpeg": "tweet_image",
    "image/png": "tweet_image",
    "image/webp": "tweet_image",
    "image/gif": "tweet_gif",
    "video/mp4": "tweet_video",
    "video/quicktime": "tweet_video",
}
_MEDIA = "https://api.x.com/2/media"
# POST /2/media/upload/{id}/append: "Keep each segment at or below 5 MB (server maximum is 8 MB)".
SEGMENT_BYTES = 4 * 1024 * 1024
_DUPLICATE_CODE = 187  # v1.1's "Status is a duplicate."
_URL = "\x00url\x00"
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")


class _TimeoutSession(requests.Session):
    """tweepy.Client takes no timeout; without one a hung connection would hang the whole publish run."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


class XPlatform:
    """Publishes to, deletes from and searches one X account."""

    def __init__(
        self,
        account: Account,
        root: Path,
        env: Mapping[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        retry: Retry = DEFAULT_RETRY,
        timeout: float = 30.0,
        lookup_slack: timedelta = timedelta(minutes=5),
        lookup_pages: int = 5,
        processing_wait: float = 600.0,
    ) -> None:
        self.account = account
        self.root = root
        self._sleep = sleep
        self._clock = clock
        self._retry = retry
        self._lookup_slack = lookup_slack
        self._lookup_pages = max(1, lookup_pages)
        # the most seconds to wait, in all, for X to process one video or GIF before leaving it to a later run
        self._processing_wait = processing_wait
        self._user_id: str | None = None

        credentials = read_credentials(account, env, CREDENTIAL_SUFFIXES, platform="X", holding="its X keys")
        api_key, api_secret, access_token, access_secret = credentials
        self._prefix = account.credentials
        self._secrets = worth_hiding(credentials)

        import tweepy  # noqa: PLC0415 - here, not at the top: `postops lint` must not pay for it

        self._tweepy = tweepy
        self._client = tweepy.Client(
            consumer_key=api_key, consumer_secret=api_secret,
            access_token=access_token, access_token_secret=access_secret,
            return_type=dict, wait_on_rate_limit=False)
        self._client.session = _TimeoutSession(timeout)
        # requests' OAuth1 signing (requests-oauthlib), as tweepy.Client signs its own requests
        self._auth = tweepy.OAuth1UserHandler(api_key, api_secret, access_token, access_secret).apply_auth()

    # -- the Platform protocol -------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        what = describe(request)
        if request.repost is not None:
            return self._repost(request, what)
        media_ids = [self._upload(media, what) for media in request.media]
        started = self._clock()
        client = self._client
        quoted = tweet_id_of(request.quote) if request.quote is not None else None
        replied = tweet_id_of(request.reply_to) if request.reply_to is not None else None
        poll = request.poll

        def create() -> Published:
            response = client.create_tweet(
                text=request.text, in_reply_to_tweet_id=replied,
                media_ids=media_ids or None, quote_tweet_id=quoted,
                poll_options=list(poll.options) if poll else None,
                poll_duration_minutes=poll.minutes if poll else None, user_auth=True)
            tweet_id = str(response["data"]["id"])
            return Published(platform_id=tweet_id, url=self._url(tweet_id), published_at=self._clock())

        def went_out_after_all() -> Published | None:
            return self._find(request, since=started - self._lookup_slack)

        return self._call(f"publishing {what}", create, may_have_acted=went_out_after_all)

    def _repost(self, request: PartRequest, what: str) -> Published:
        """A retweet: POST /2/users/:id/retweets. X answers `{"retweeted": true}` and no id of its own, and
        makes no second retweet of the same post, so the platform id names what was retweeted."""
        reference = request.repost or ""
        source = tweet_id_of(reference)
        client = self._client
        started = self._clock()

        def retweet() -> Published:
            response = client.retweet(source, user_auth=True)
            if not (response.get("data") or {}).get("retweeted"):
                raise PlatformError(f"{what}: X did not retweet {source}", retryable=False, kind="invalid")
            return Published(platform_id=REPOST_PREFIX + source, url=self._source_url(reference, source),
                             published_at=self._clock())

        def went_out_after_all() -> Published | None:
            return self._find(request, since=started - self._lookup_slack)

        return self._call(f"reposting {source} for {what}", retweet, may_have_acted=went_out_after_all)

    @staticmethod
    def _source_url(reference: str, source: str) -> str:
        return reference if "://" in reference else f"https://x.com/i/web/status/{source}"

    def delete(self, platform_id: str) -> None:
        if platform_id.startswith(REPOST_PREFIX):
            source, client = platform_id.removeprefix(REPOST_PREFIX), self._client
            # X answers success when there is no retweet to remove: already undone counts as done.
            self._call(f"undoing the repost of {source}", lambda: client.unretweet(source, user_auth=True))
            return
        tweepy, client = self._tweepy, self._client

        def delete() -> None:
            with contextlib.suppress(tweepy.NotFound):  # already gone: that is what was asked for
                client.delete_tweet(platform_id, user_auth=True)

        self._call(f"deleting post {platform_id}", delete)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        return self._find(request, since=claimed_at - self._lookup_slack)

    def recent(self, since: datetime) -> list[RemotePost]:
        client = self._client
        what = f"reading {self.account.key}'s recent posts"
        try:
            if self._user_id is None:
                me = self._call(what, lambda: client.get_me(user_auth=True))
                self._user_id = str(me["data"]["id"])
            user_id = self._user_id
            page = self._call(what, partial(
                client.get_users_tweets, user_id, start_time=since, max_results=100,
                tweet_fields=["created_at", "text", "note_tweet", "referenced_tweets"], user_auth=True))
        except PlatformError as exc:
            if exc.kind == "auth":
                # X's Free access level can post but not read timelines: that answer is a 403 too.
                raise PlatformError(f"{what}: these credentials cannot read the account's posts, so posts "
                                    f"made outside postops go unnoticed on X; reading them needs X's Basic "
                                    f"access level or higher ({exc.message})", retryable=False,
                                    kind="unavailable") from None
            raise
        posts = []
        for tweet in page.get("data") or []:
            tweet_id = str(tweet["id"])
            text = (tweet.get("note_tweet") or {}).get("text") or tweet.get("text") or ""
            retweeted = sorted(_references(tweet, "retweeted"))
            # A retweet is known to the ledger by what it retweets (see _repost), never by its own id.
            shown_id = REPOST_PREFIX + retweeted[0] if retweeted else tweet_id
            posts.append(RemotePost(shown_id, html.unescape(text), self._url(tweet_id),
                                    parse_time(tweet.get("created_at"))))
        return posts

    # -- publishing --------------------------------------------------------------------------------

    def _upload(self, media: MediaFile, what: str) -> str:
        """`media` uploaded by X's chunked v2 upload (initialize, append, finalize, then STATUS while X
        processes it), with its alt text; its media id, or a PlatformError, and then nothing is posted."""
        shown = shown_path(media.path, self.root)
        mime = mimetypes.guess_type(media.path.name)[0]
        if mime not in _MEDIA_CATEGORIES:
            raise PlatformError(
                f"{what}: X cannot attach {shown} ({mime or 'unknown type'}); it takes JPEG, PNG, WEBP and "
                f"GIF images and MP4 or MOV video", retryable=False, kind="invalid")
        doing = f"uploading {shown} for {what}"
        try:
            with media.path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                started = self._call(doing, partial(self._media, "POST", "/upload/initialize", json={
                    "media_type": mime, "total_bytes": size, "media_category": _MEDIA_CATEGORIES[mime]}))
                media_id = _media_id(started, doing)
                for index, chunk in enumerate(iter(partial(file.read, SEGMENT_BYTES), b"")):
                    # a segment sent again replaces itself: "Failed chunks can be retried individually"
                    self._call(doing, partial(self._media, "POST", f"/upload/{media_id}/append",
                                              data={"segment_index": str(index)},
                                              files={"media": ("blob", chunk, "application/octet-stream")}))
        except OSError as exc:
            raise PlatformError(f"{what}: cannot read {shown}: {exc.strerror}",
                                retryable=False, kind="invalid") from None
        finished = self._call(doing, partial(self._media, "POST", f"/upload/{media_id}/finalize"))
        self._processed(finished, media_id, shown, what)
        if media.alt:
            # POST /2/media/metadata: CreateMediaMetadataRequest, alt_text.text of at most 1,000 characters
            self._call(f"adding alt text to {shown} for {what}", partial(
                self._media, "POST", "/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt}}}))
        return media_id

    def _processed(self, answer: Any, media_id: str, shown: str, what: str) -> None:
        """Return once X has processed the upload, as FINALIZE's answer or STATUS's says; a PlatformError
        when it refused it (X judges a video or GIF while it processes it, and a media id whose processing
        did not succeed cannot go in a post) or takes longer than this adapter waits."""
        waited = 0.0
        while True:
            info = _data(answer).get("processing_info")
            if not info:      # "If not [returned], the media is ready to use"
                return
            state = info.get("state") if isinstance(info, dict) else info
            if state == "succeeded":
                return
            if state == "failed":
                raise PlatformError(f"{what}: X refused {shown} when it processed it: {_processing_error(answer)}",
                                    retryable=False, kind="invalid")
            if not isinstance(info, dict) or not isinstance(state, str):
                raise PlatformError(f"{what}: X answered about processing {shown} with a processing_info that "
                                    f"is no state (pending, in_progress, succeeded or failed): {str(state)[:80]}; "
                                    "nothing was posted", retryable=True, kind="error")
            check_after = info.get("check_after_secs")
            # X gives whole seconds ("check_after_secs": 1); less would be a STATUS call after another without
            # end: 600,000 of them in ten minutes for 0.001 seconds
            pause = float(check_after) if isinstance(check_after, int | float) and check_after >= 1 else 1.0
            if waited + pause > self._processing_wait:
                raise PlatformError(
                    f"{what}: X was still processing {shown} after {waited:g} seconds ({state}); nothing was "
                    f"posted, and a later run will upload it again", retryable=True, kind="transient")
            self._sleep(pause)
            waited += pause
            answer = self._call(f"checking whether X has processed {shown} for {what}", partial(
                self._media, "GET", "/upload", params={"command": "STATUS", "media_id": media_id}))

    def _media(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request to X's v2 media endpoints: its JSON, or the tweepy exception tweepy.Client raises for
        the same answer, so `_call` treats it as any other."""
        tweepy = self._tweepy
        response = self._client.session.request(method, _MEDIA + path, auth=self._auth, **kwargs)
        if response.status_code == 429:
            raise tweepy.TooManyRequests(response)
        if not 200 <= response.status_code < 300:
            raise tweepy.HTTPException(response)
        return json_answer(response, "X")

    def _url(self, tweet_id: str) -> str:
        handle = (self.account.handle or "").strip().lstrip("@")
        if not handle:
            return f"https://x.com/i/web/status/{tweet_id}"
        return f"https://x.com/{handle}/status/{tweet_id}"

    # -- in-doubt resolution -----------------------------------------------------------------------

    def _find(self, request: PartRequest, since: datetime) -> Published | None:
        """The account's post since `since` that is `request`, as X shows it; None only if X says so."""
        client = self._client
        what = f"reading {self.account.key}'s recent posts to check whether {describe(request)} went out"
        if self._user_id is None:
            me = self._call(what, lambda: client.get_me(user_auth=True))
            self._user_id = str(me["data"]["id"])
        user_id = self._user_id
        wanted = _comparable(request.text)
        token: str | None = None
        for _ in range(self._lookup_pages):
            # A post's poll comes as includes.polls, by the ids in its attachments.poll_ids (expansions).
            page = self._call(what, partial(
                client.get_users_tweets, user_id, start_time=since, max_results=100, pagination_token=token,
                tweet_fields=["created_at", "text", "note_tweet", "referenced_tweets", "attachments"],
                expansions=["attachments.poll_ids"], poll_fields=["options"], user_auth=True))
            polls = _polls(page)
            for tweet in page.get("data") or []:
                if request.repost is not None:
                    source = tweet_id_of(request.repost)
                    if source in _references(tweet, "retweeted"):
                        return Published(platform_id=REPOST_PREFIX + source,
                                         url=self._source_url(request.repost, source),
                                         published_at=parse_time(tweet.get("created_at")))
                elif _is_request(tweet, request, wanted, polls, what):
                    tweet_id = str(tweet["id"])
                    return Published(platform_id=tweet_id, url=self._url(tweet_id),
                                     published_at=parse_time(tweet.get("created_at")))
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return None
        raise PlatformError(
            f"{what}: more than {self._lookup_pages * 100} posts since {since:%Y-%m-%d %H:%M} UTC and none "
            f"matched; check the account by hand before publishing it again",
            retryable=False, kind="error")

    # -- calling X ---------------------------------------------------------------------------------

    def _call(self, what: str, attempt: Callable[[], T],
              may_have_acted: Callable[[], T | None] | None = None) -> T:
        """`attempt()` with X's failures turned into PlatformErrors, retrying what can safely be retried.

        `may_have_acted` is for requests that must not be repeated blindly (creating a post): when a
        failure leaves open whether X acted, it is asked first, and what it finds is the result.
        """
        tweepy = self._tweepy
        tries = Attempts(self._retry, self._sleep)
        unanswered = False  # an attempt failed in a way that leaves open whether X acted on it
        while True:
            try:
                return attempt()
            except tweepy.TooManyRequests as exc:
                tries.wait_out_rate_limit(what, "X", _reset_time(exc), self._clock())
                continue
            except tweepy.HTTPException as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status < 500:
                    error = self._refused(what, exc, status)
                    if error.kind == "duplicate" and unanswered and may_have_acted is not None:
                        # The unanswered attempt did go out; X's timeline had not caught up with it.
                        found = self._check(what, "X refused a repeat as a duplicate", may_have_acted)
                        if found is not None:
                            return found
                        error = PlatformError(
                            f"{error.message}, after an earlier attempt went unanswered: it most likely "
                            f"went out, check the account", retryable=False, kind="duplicate")
                    raise error from None
                reason = f"X answered {status} {exc.response.reason}"
                sent = True
            except (requests.RequestException, tweepy.TweepyException) as exc:
                cause = _network_cause(exc)
                if cause is None:
                    raise PlatformError(self._scrub(f"{what}: {exc}"), retryable=False, kind="error") from None
                reason = _network_reason(cause)
                sent = not surely_unsent(cause)
            if sent and may_have_acted is not None:
                unanswered = True
                found = self._check(what, reason, may_have_acted)
                if found is not None:
                    return found
            tries.back_off(what, reason, self._scrub)

    def _check(self, what: str, reason: str, may_have_acted: Callable[[], T | None]) -> T | None:
        try:
            return may_have_acted()
        except PlatformError as check:
            raise PlatformError(self._scrub(
                f"{what}: {reason}, so it may have gone out, and checking failed ({check.message}); "
                f"it was not sent again so that it cannot go out twice"), retryable=True,
                kind="in-doubt") from None

    def _refused(self, what: str, exc: Any, status: int) -> PlatformError:
        said = "; ".join(str(m) for m in exc.api_messages) or f"{status} {exc.response.reason}"
        if status == 403 and (_DUPLICATE_CODE in exc.api_codes
                              or any("duplicate" in str(m).lower() for m in exc.api_messages)):
            return PlatformError(self._scrub(
                f"{what}: X refused it as a duplicate of a recent post on this account ({said})"),
                retryable=False, kind="duplicate")
        if status in (401, 403):
            return PlatformError(self._scrub(
                f"{what}: X refused the credentials in {self._prefix}_*: check that they hold the API key "
                f"and secret of an app with Read and Write permission and an access token and secret "
                f"generated for @{(self.account.handle or self.account.key).lstrip('@')} after that "
                f"permission was set (X said: {said})"), retryable=False, kind="auth")
        return PlatformError(self._scrub(f"{what}: X refused it: {said}"), retryable=False, kind="invalid")

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


def _data(answer: Any) -> dict[str, Any]:
    data = answer.get("data") if isinstance(answer, dict) else None
    return data if isinstance(data, dict) else {}


def _media_id(answer: Any, what: str) -> str:
    """The media id in POST /2/media/upload/initialize's answer (`data.id`)."""
    media_id = _data(answer).get("id")
    if not media_id:
        raise PlatformError(f"{what}: X answered without the id of the upload it started",
                            retryable=True, kind="error")
    return str(media_id)


def _processing_error(answer: Any) -> str:
    """Why X's processing failed: the answer's `errors` (Problem objects: detail, title), or a v1.1-style
    processing_info.error (message, name)."""
    said = [str(error.get("detail") or error.get("message") or error.get("title"))
            for error in (answer.get("errors") or [] if isinstance(answer, dict) else []) if isinstance(error, dict)
            and (error.get("detail") or error.get("message") or error.get("title"))]
    info = _data(answer).get("processing_info")
    error = (info.get("error") if isinstance(info, dict) else None) or {}
    if isinstance(error, dict) and (error.get("message") or error.get("name")):
        said.append(str(error.get("message") or error.get("name")))
    return "; ".join(said) or "it gave no reason"


def _reset_time(exc: Any) -> datetime | None:
    """When X's rate limit resets: tweepy reads it from the x-rate-limit-reset header into `reset_time`."""
    reset = getattr(exc, "reset_time", None)
    if reset is None and exc.response is not None:
        header = exc.response.headers.get("x-rate-limit-reset")
        reset = int(header) if header and header.isdigit() else None
    return None if reset is None else datetime.fromtimestamp(reset, UTC)


def _network_cause(exc: BaseException) -> requests.RequestException | None:
    """The requests failure behind `exc`, which tweepy may have wrapped in a plain TweepyException."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.RequestException):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _network_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "X did not answer in time"
    return "could not reach X"


def _comparable(text: str) -> str:
    """`text` with what X changes about it taken out: its URLs (t.co) and its spacing."""
    text = unicodedata.normalize("NFC", text)
    pieces, at = [], 0
    for _, start, end in links.find_urls(text):
        pieces += [text[at:start], f" {_URL} "]
        at = end
    pieces.append(text[at:])
    return " ".join("".join(pieces).split())


REPOST_PREFIX = "repost:"     # the platform id of a retweet: X gives a retweet no id of its own to undo it by
_STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")


def tweet_id_of(reference: str) -> str:
    """The post id in https://x.com/<user>/status/<id> (or twitter.com), or the reference itself (an id)."""
    match = _STATUS_ID.search(reference) if "://" in reference else None
    return match.group(1) if match else reference.strip()


def _references(tweet: Mapping[str, Any], kind: str) -> set[str]:
    return {str(ref.get("id")) for ref in tweet.get("referenced_tweets") or [] if ref.get("type") == kind}


def _polls(page: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """poll id -> its option labels in order, from a page's includes.polls."""
    polls = {}
    for poll in (page.get("includes") or {}).get("polls") or []:
        options = sorted(poll.get("options") or [], key=lambda o: o.get("position", 0))
        polls[str(poll.get("id"))] = tuple(str(o.get("label")) for o in options)
    return polls


def _is_request(tweet: Mapping[str, Any], request: PartRequest, wanted: str,
                polls: Mapping[str, tuple[str, ...]], what: str) -> bool:
    """Whether `tweet` is what `request` made: the same text, reply, quote and poll. A post with the same text
    but another quote or poll, or none, is a different post, and must not stand for this one."""
    if request.reply_to is not None and tweet_id_of(request.reply_to) not in _references(tweet, "replied_to"):
        return False
    quoted = _references(tweet, "quoted")
    if (tweet_id_of(request.quote) not in quoted) if request.quote is not None else bool(quoted):
        return False
    poll_ids = [str(i) for i in (tweet.get("attachments") or {}).get("poll_ids") or []]
    if bool(poll_ids) != (request.poll is not None):
        return False
    if request.poll is not None:
        if poll_ids[0] not in polls:   # X left the poll out: whether it is this post cannot be told
            raise PlatformError(f"{what}: X did not give the options of the poll of post {tweet.get('id')}",
                                retryable=True, kind="error")
        if polls[poll_ids[0]] != tuple(request.poll.options):
            return False
    # Long posts come back cut short in `text`, whole in `note_tweet`.
    text = (tweet.get("note_tweet") or {}).get("text") or tweet.get("text") or ""
    seen = _comparable(html.unescape(text))
    candidates = [seen]
    if (request.media or request.quote is not None) and seen.endswith(_URL):
        # X appends a link to the attached media, and to the quoted post (docs.x.com, Quote Posts quickstart)
        candidates.append(seen[: -len(_URL)].rstrip())
    if request.reply_to is not None:
        # Replies to other accounts come back with those accounts' handles put in front.
        wanted = _LEADING_MENTIONS.sub("", wanted)
        candidates = [_LEADING_MENTIONS.sub("", c) for c in candidates]
    return wanted in candidates
