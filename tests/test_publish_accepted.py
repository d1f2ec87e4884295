"""Publish with lint on, end to end, for X, Mastodon, Bluesky, Facebook and LinkedIn: a post that lint passes at
the very limit of a platform (by that platform's own counting) is accepted by a fake server that enforces
the limits the platform DOCUMENTS, and a post one past the limit, which lint refuses, never reaches it.

The fakes count as the platforms say they do, with code of their own (not postops'):
- X ("Counting characters": a post's text weighs at most 280, most characters 1, CJK and emoji 2, every link
  23, as twitter-text, the library X publishes for counting, weighs it; 25,000 for a Premium subscriber;
  past it POST /2/tweets answers 403 "Your Tweet text is too long."). X (media best practices, "Size and duration limits" and "Video specifications and recommendations"; the v2
  media upload: initialize, append, finalize and STATUS): a video on a Post of 0.5 seconds to 20 minutes and
  8 GB (125 minutes and 16 GB for X Premium / verified; 140 seconds is DM video), refused by size at
  initialize, at least 32x32 and at most 1280x1024 pixels (either way round:
  the same page recommends 720x1280 for portrait; 1920x1080 for an X Premium account, as "Subscribed users
  can upload a 1080p video"), an aspect ratio between 1:3 and 3:1, 60 frames a second
  or fewer, square pixels, AAC LC sound in mono or stereo, YUV 4:2:0 (MediaInfo reads it from the H.264
  sequence parameter set; it cannot tell interlacing without the frames, so the fake does not judge that).
  X judges a video while it processes it, and says
  so in STATUS's processing_info (state "failed", the reason in the answer's errors); a media id whose
  processing did not succeed cannot be used in a post.
- Mastodon (https://docs.joinmastodon.org/user/posting/#text, StatusLengthValidator): 500 characters as
  grapheme clusters, every URL 23, `@user@server` as `@user`; an image of at most image_matrix_limit
  (33,177,600) pixels (https://docs.joinmastodon.org/entities/Instance/). The instance's
  media_attachments limits, read by its MediaAttachment model: a file LESS than image_size_limit or
  video_size_limit bytes (`validates_attachment_size :file, less_than:`), a video of at most
  video_matrix_limit pixels (width x height) whose frame rate, rounded down, is at most
  video_frame_rate_limit, and which has a video stream (check_video_dimensions).
- Bluesky (lexicons app.bsky.feed.post and app.bsky.embed.images): text of at most 300 graphemes and 3,000
  UTF-8 bytes; a blob of at most 1,000,000 bytes.
- Facebook (Graph API, Page feed): a message of at most 63,206 characters.
- LinkedIn (Posts API): commentary of at most 3,000 characters; the Images API takes JPEG, PNG and GIF
  of fewer than 36,152,320 pixels.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import regex
import requests
import responses
import tweepy
from gitfixtures import Repo, content_repo
from mediafixtures import image, mp4, sound_track, sps, video_track
from PIL import Image
from platformfixtures import X_MEDIA, FakeXMedia, multipart
from pymediainfo import MediaInfo
from requests_oauthlib import OAuth1
from twitter_text import parse_tweet

from postops.platforms import spec as spec_module
from postops.platforms.spec import SPECS
from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
MASTODON = "https://mastodon.example"
XRPC = "https://bsky.social/xrpc"
PAGE = "104729381234567"
GRAPH = f"https://graph.facebook.com/v26.0/{PAGE}"
LINKEDIN = "https://api.linkedin.com/rest"
TWEETS = "https://api.twitter.com/2/tweets"
ACCOUNTS = f"""accounts:
  xc:
    platform: x
    handle: '@CSIS'
    credentials: POSTOPS_X
  xp:
    platform: x
    handle: '@CSISPremium'
    premium: true
    credentials: POSTOPS_X
  social:
    platform: mastodon
    instance: {MASTODON}
    credentials: POSTOPS_SOCIAL
  sky:
    platform: bluesky
    handle: '@csis.bsky.social'
    credentials: POSTOPS_SKY
  fb:
    platform: facebook
    page_id: '{PAGE}'
    credentials: POSTOPS_FB
  li:
    platform: linkedin
    organization: '2414183'
    credentials: POSTOPS_LI
"""
ENV = {"POSTOPS_SOCIAL_ACCESS_TOKEN": "mstdn-token", "POSTOPS_SKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
       "POSTOPS_FB_PAGE_TOKEN": "EAAG-token", "POSTOPS_LI_ACCESS_TOKEN": "AQV-token", "POSTOPS_X_API_KEY": "ck",
       "POSTOPS_X_API_SECRET": "cs", "POSTOPS_X_ACCESS_TOKEN": "at", "POSTOPS_X_ACCESS_SECRET": "as"}


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


class Fake:
    """What a fake server accepted (texts, media) and refused (why; and, on X, the uploads it refused before
    processing them: too large)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.media: list[bytes] = []
        self.refused: list[str] = []
        self.refused_uploads: list[str] = []

    def refuse(self, status: int, why: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        self.refused.append(why)
        return status, {}, json.dumps(payload)


def pixels(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as img:
        return img.width * img.height


@dataclass(frozen=True)
class Video:
    """What MediaInfo (libmediainfo, not postops' reader) reads in an uploaded video."""

    seconds: float | None
    width: int | None
    height: int | None
    fps: float | None
    pixel_aspect: float | None
    audio: str | None           # "AAC LC", "HE-AAC", "AC-3", ...; None: no sound track
    channels: int | None
    chroma: str | None          # "4:2:0", "4:2:2", ...: MediaInfo's ChromaSubsampling


def video(data: bytes) -> Video | None:
    """The video in `data`, or None when MediaInfo finds no MP4 or QuickTime file there."""
    tracks = MediaInfo.parse(io.BytesIO(data)).tracks
    general = next(t for t in tracks if t.track_type == "General")
    if general.format != "MPEG-4":
        return None
    picture = next((t for t in tracks if t.track_type == "Video"), None)
    sound = next((t for t in tracks if t.track_type == "Audio"), None)

    def number(track: Any, name: str) -> float | None:
        value = getattr(track, name, None) if track is not None else None
        return float(value) if value is not None else None

    audio = None
    if sound is not None:
        # MediaInfo names AAC LC as format AAC with the feature LC, and HE-AAC by its profile
        audio = " ".join(filter(None, (sound.format, sound.format_additionalfeatures))) if sound.format == "AAC" \
            else sound.format_profile or sound.format
    duration = number(general, "duration")
    return Video(seconds=duration / 1000 if duration is not None else None,
                 width=picture.width if picture is not None else None,
                 height=picture.height if picture is not None else None,
                 fps=number(picture, "frame_rate"), pixel_aspect=number(picture, "pixel_aspect_ratio"),
                 audio=audio, channels=int(sound.channel_s) if sound is not None and sound.channel_s else None,
                 chroma=picture.chroma_subsampling if picture is not None else None)


def x_video_refusal(clip: Video, subscribed: bool = False) -> str | None:
    """Why X refuses this video (media best practices, "Size and duration limits" and "Video specifications and
    recommendations"), or None; for a `subscribed` account (X Premium), "Video on a Post" of "0.5 seconds–125
    minutes" (20 minutes by default) and "Subscribed users can upload a 1080p video": 1920x1080."""
    if clip.width is None or clip.height is None:
        return "no video stream"
    longer, shorter = max(clip.width, clip.height), min(clip.width, clip.height)
    if clip.seconds is None or not 0.5 <= clip.seconds <= (125 if subscribed else 20) * 60:
        return "duration"
    most_longer, most_shorter = (1920, 1080) if subscribed else (1280, 1024)
    if shorter < 32 or longer > most_longer or shorter > most_shorter:
        return "dimensions"
    if longer > 3 * shorter:
        return "aspect ratio"
    if clip.fps is None or clip.fps > 60:
        return "frame rate"
    if clip.pixel_aspect != 1:
        return "pixel aspect ratio"
    if clip.audio is not None and clip.audio != "AAC LC":
        return "audio format"
    if clip.channels is not None and clip.channels > 2:
        return "audio channels"
    if clip.chroma != "4:2:0":          # "Only YUV 4:2:0 pix_fmt supported"
        return "chroma"
    return None


# The media limits of Mastodon's Instance entity example (https://docs.joinmastodon.org/entities/Instance/#configuration)
MASTODON_MEDIA = {"image_size_limit": 16777216, "image_matrix_limit": 33177600, "video_size_limit": 103809024,
                  "video_frame_rate_limit": 120, "video_matrix_limit": 8294400}


def mastodon_server(fake: Fake, **own: int) -> None:
    """A Mastodon instance whose media_attachments limits are the documented defaults, with `own` instead where
    given (an instance sets its own), judging uploads by the limits it gives in GET /api/v2/instance."""
    limits = {**MASTODON_MEDIA, **own}

    def status(request: Any) -> tuple[int, dict[str, str], str]:
        text = parse_qs(request.body, keep_blank_values=True)["status"][0]
        counted = regex.sub(r"https?://\S+", "x" * 23, text)
        counted = regex.sub(r"@(\w+)@[\w.-]+\w", r"@\1", counted)
        if graphemes(counted) > 500:
            return fake.refuse(422, "length", {"error": "Validation failed: Text character limit of 500 exceeded"})
        fake.accepted.append(text)
        n = len(fake.accepted)
        return 200, {}, json.dumps({"id": f"11354123456789000{n}", "created_at": "2026-11-24T14:00:01.000Z",
                                    "url": f"{MASTODON}/@csis/11354123456789000{n}", "content": text})

    def media(request: Any) -> tuple[int, dict[str, str], str]:
        data = multipart(request)["file"]
        clip = video(data)
        kind = "image" if clip is None else "video"
        if len(data) >= limits[f"{kind}_size_limit"]:       # less_than, as MediaAttachment validates the file
            return fake.refuse(422, "size", {"error": "Validation failed: File file size must be less than "
                                                      f"{limits[f'{kind}_size_limit']} Bytes"})
        if clip is None:
            if pixels(data) > limits["image_matrix_limit"]:
                return fake.refuse(422, "media", {"error": "Validation failed: File images are not supported"})
        else:
            # MediaAttachment#check_video_dimensions, with the instance's limits
            if clip.width is None or clip.height is None or clip.fps is None:
                return fake.refuse(422, "no video stream", {"error": "Video has no video stream"})
            if clip.width * clip.height > limits["video_matrix_limit"]:
                return fake.refuse(422, "matrix", {"error": f"{clip.width}x{clip.height} videos are not supported"})
            if math.floor(clip.fps) > limits["video_frame_rate_limit"]:
                return fake.refuse(422, "frame rate", {"error": f"{math.floor(clip.fps)}fps videos are not supported"})
        fake.media.append(data)
        # 200: processed at once (POST /api/v2/media answers 202 while it is still processing)
        return 200, {}, json.dumps({"id": "22001", "type": kind, "url": f"{MASTODON}/m/1"})

    responses.get(f"{MASTODON}/api/v2/instance", json={"domain": "mastodon.example", "configuration": {
        "statuses": {"max_characters": 500, "max_media_attachments": 4, "characters_reserved_per_url": 23},
        "media_attachments": limits,
        "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                  "max_expiration": 2629746}}})
    responses.add_callback(responses.POST, f"{MASTODON}/api/v1/statuses", callback=status,
                           content_type="application/json")
    responses.add_callback(responses.POST, f"{MASTODON}/api/v2/media", callback=media,
                           content_type="application/json")


def x_server(fake: Fake, subscribed: bool = False, caps: dict[str, int] | None = None) -> None:
    """X's v2 media upload (platformfixtures.FakeXMedia: initialize, append, finalize, STATUS, as X's media docs
    give them) and POST /2/tweets, for an account that is `subscribed` to X Premium or not. X judges a video
    while it processes it: this one at FINALIZE, with MediaInfo, and says so after one STATUS."""

    def judge(data: bytes, category: str) -> str | None:
        if category != "tweet_video":
            fake.media.append(data)
            return None
        clip = video(data)
        why = x_video_refusal(clip, subscribed) if clip is not None else "not a video"
        if why is None:
            fake.media.append(data)
        else:
            fake.refused.append(why)
        return why

    media = FakeXMedia(responses, judge, subscribed=subscribed, pending=1, caps=caps)
    fake.refused_uploads = media.refused

    def create(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        # X counts a post's text by weight (most characters 1, CJK and emoji 2, every link 23: "Counting
        # characters" in X's docs), as twitter-text, the library X publishes for it, does; 280, or 25,000 for
        # a Premium subscriber
        if parse_tweet(body["text"]).weightedLength > (25_000 if subscribed else 280):
            return fake.refuse(403, "length", {"detail": "Your Tweet text is too long.", "type": "about:blank",
                                               "title": "Forbidden", "status": 403})
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if any(media_id not in media.ready for media_id in media_ids):
            # "poll GET /2/media/upload until state is succeeded before attaching the media_id to a Post"
            return fake.refuse(400, "media id", {
                "errors": [{"parameters": {"media.media_ids": media_ids}, "message": "Your media IDs are invalid."}],
                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request"})
        fake.accepted.append(body["text"])
        tweet_id = f"186100000000000000{len(fake.accepted)}"
        return 201, {}, json.dumps({"data": {"id": tweet_id, "text": body["text"]}})

    responses.add_callback(responses.POST, TWEETS, callback=create, content_type="application/json")


def bluesky_server(fake: Fake) -> None:
    did = "did:plc:csis4energy7security2q"
    responses.post(f"{XRPC}/com.atproto.server.createSession", json={
        "did": did, "handle": "csis.bsky.social", "accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh"})

    def create(request: Any) -> tuple[int, dict[str, str], str]:
        record = json.loads(request.body)["record"]
        text = record["text"]
        if graphemes(text) > 300 or len(text.encode("utf-8")) > 3000:
            return fake.refuse(400, "length", {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post "
                                               "record: Record/text must not be longer than 300 graphemes"})
        fake.accepted.append(text)
        rkey = json.loads(request.body)["rkey"]
        return 200, {}, json.dumps({"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": "bafyreiposted"})

    def blob(request: Any) -> tuple[int, dict[str, str], str]:
        if len(request.body) > 1_000_000:
            return fake.refuse(400, "media", {"error": "BlobTooLarge", "message": "This file is too large"})
        fake.media.append(request.body)
        return 200, {}, json.dumps({"blob": {"$type": "blob", "ref": {"$link": "bafkreiblob"},
                                             "mimeType": request.headers["Content-Type"], "size": len(request.body)}})

    responses.add_callback(responses.POST, f"{XRPC}/com.atproto.repo.createRecord", callback=create,
                           content_type="application/json")
    responses.add_callback(responses.POST, f"{XRPC}/com.atproto.repo.uploadBlob", callback=blob,
                           content_type="application/json")


def facebook_server(fake: Fake) -> None:
    def feed(request: Any) -> tuple[int, dict[str, str], str]:
        text = parse_qs(request.body, keep_blank_values=True)["message"][0]
        if len(text) > 63206:
            return fake.refuse(400, "length", {"error": {"message": "(#100) The message is too long",
                                                         "type": "OAuthException", "code": 100}})
        fake.accepted.append(text)
        return 200, {}, json.dumps({"id": f"{PAGE}_12210123456789012{len(fake.accepted)}"})

    responses.add_callback(responses.POST, f"{GRAPH}/feed", callback=feed, content_type="application/json")


def linkedin_server(fake: Fake) -> None:
    def post(request: Any) -> tuple[int, dict[str, str], str]:
        text = json.loads(request.body)["commentary"]
        if len(text) > 3000:
            return fake.refuse(422, "length", {"status": 422, "message": "commentary is too long"})
        fake.accepted.append(text)
        return 201, {"x-restli-id": f"urn:li:share:727123456789012345{len(fake.accepted)}"}, ""

    def initialize(request: Any) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps({"value": {"uploadUrl": "https://www.linkedin.com/dms-uploads/C4D",
                                              "image": "urn:li:image:C4D10AQ"}})

    def upload(request: Any) -> tuple[int, dict[str, str], str]:
        with Image.open(io.BytesIO(request.body)) as img:
            fmt, count = img.format, img.width * img.height
        if fmt not in ("JPEG", "PNG", "GIF") or count >= 36_152_320:
            return fake.refuse(400, "media", {"status": 400, "message": "image is not supported"})
        fake.media.append(request.body)
        return 201, {}, ""

    responses.add_callback(responses.POST, f"{LINKEDIN}/posts", callback=post, content_type="application/json")
    responses.add_callback(responses.POST, f"{LINKEDIN}/images", callback=initialize, content_type="application/json")
    responses.add_callback(responses.PUT, "https://www.linkedin.com/dms-uploads/C4D", callback=upload)


SERVERS: dict[str, Callable[[Fake], None]] = {"xc": x_server, "xp": lambda fake: x_server(fake, subscribed=True),
                                              "social": mastodon_server, "sky": bluesky_server,
                                              "fb": facebook_server, "li": linkedin_server}


def fill(prefix: str, counted: int, limit: int) -> str:
    """`prefix` (counting `counted` by the platform's rules) filled with letters to exactly `limit`."""
    return prefix + "e" * (limit - counted)


FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"   # one grapheme, 25 UTF-8 bytes
THUMB = "\U0001F44D\U0001F3FD"                                          # one grapheme, two code points
LINK = "https://www.csis.org/analysis/energy-security-in-europe-2026-the-full-report-with-every-annex"
# Texts at each platform's limit, as that platform counts: (account, text).
AT_LIMIT = [
    # X: weighted, the link 23; CJK characters 2 each; 25,000 for a premium account
    ("xc", fill(f"Read it: {LINK} ", 9 + 23 + 1, 280)),
    ("xc", "\u65e5\u672c" * 70),                                     # 140 CJK characters weigh 280
    ("xp", fill("Our long read: ", 15, 25_000)),
    # Mastodon: the link counts 23, @press@news.example as @press (6), each emoji one character
    ("social", fill(f"Read it: {LINK} via @press@news.example {THUMB * 10} {FAMILY} ", 9 + 23 + 5 + 6 + 1 + 10 + 1
                    + 1 + 1, 500)),
    ("sky", fill(f"Energy {THUMB * 5} ", 7 + 5 + 1, 300)),          # 300 graphemes
    ("sky", FAMILY * 120),                                          # 120 graphemes, exactly 3,000 bytes
    ("fb", fill("Our report: ", 12, 63206)),
    ("li", fill("Our report: ", 12, 3000)),
]


def post(account: str, text: str) -> str:
    """A post file with `text` as a literal block, as written: no escapes for the emoji."""
    return f"account: {account}\npublish_at: 2026-11-24T13:30:00Z\ntext: |-\n  {text}\n"


def accounts_repo(tmp_path: Path, mastodon_limits: dict[str, int] | None = None) -> Repo:
    """A content repository with an account on each platform; the Mastodon one's instance sets
    `mastodon_limits` (media_attachments) of its own, as postops.yaml says."""
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    accounts = ACCOUNTS
    if mastodon_limits:
        own = ", ".join(f"{name}: {value}" for name, value in mastodon_limits.items())
        accounts = accounts.replace("    credentials: POSTOPS_SOCIAL\n", "    credentials: POSTOPS_SOCIAL\n"
                                    f"    limits:\n      media_attachments: {{{own}}}\n")
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", accounts, 1))
    repo.commit("Five platforms", T - timedelta(hours=20))
    return repo


def run_publish(repo: Repo) -> Any:
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T, env=ENV, echo=lines.append)   # lint on
    return result, lines


@pytest.mark.parametrize(("account", "text"), AT_LIMIT, ids=[f"{a}-{i}" for i, (a, _) in enumerate(AT_LIMIT)])
@responses.activate
def test_a_post_at_the_platforms_limit_is_accepted_and_one_past_it_never_reaches_it(tmp_path: Path, account: str,
                                                                                     text: str) -> None:
    repo = accounts_repo(tmp_path)
    over = text + ("e" if not text.startswith(FAMILY) else FAMILY[0])   # one character, or 4 bytes, more
    repo.write(f"posts/{account}/at.yaml", post(account, text))
    repo.write(f"posts/{account}/over.yaml", post(account, over))
    repo.commit("Two posts", T - 60 * M)
    fake = Fake()
    SERVERS[account](fake)
    result, lines = run_publish(repo)
    assert fake.accepted == [text], (lines, result.last_plan.actions)
    assert fake.refused == []                       # lint stopped the longer one before the platform saw it
    blocked = [(a.post, a.reason.split("]")[0]) for a in result.last_plan.of("blocked")]
    assert blocked == [("over", "lint: [text-length")]
    assert result.exit_code == 1


# Media at a platform's limit: (account, file name, content).
MEDIA_AT_LIMIT = [
    ("social", "wide.png", image("PNG", (7680, 4320), mode="1")),      # 33,177,600 pixels
    ("sky", "chart.png", image("PNG", pad_to=1_000_000)),             # 1,000,000 bytes
    ("li", "wide.png", image("PNG", (36_152_319, 1), mode="1")),       # one pixel fewer than 36,152,320
]


@pytest.mark.parametrize(("account", "name", "data"), MEDIA_AT_LIMIT, ids=[m[0] for m in MEDIA_AT_LIMIT])
@responses.activate
def test_media_at_the_platforms_limit_is_accepted_and_past_it_never_uploaded(tmp_path: Path, account: str,
                                                                             name: str, data: bytes) -> None:
    repo = accounts_repo(tmp_path)
    bigger = (image("PNG", (7681, 4320), mode="1") if account == "social" else
              image("PNG", pad_to=1_000_001) if account == "sky" else image("PNG", (36_152_320, 1), mode="1"))
    (repo.root / "media").mkdir()
    (repo.root / "media" / name).write_bytes(data)
    (repo.root / "media" / f"over-{name}").write_bytes(bigger)
    for name_, path in (("at", name), ("over", f"over-{name}")):
        repo.write(f"posts/{account}/{name_}.yaml", post(account, f"The chart, {name_}")
                   + f"media:\n  - path: media/{path}\n    alt: A chart\n")
    repo.commit("Two charts", T - 60 * M)
    fake = Fake()
    SERVERS[account](fake)
    result, lines = run_publish(repo)
    assert fake.media == [data], lines
    assert fake.accepted == ["The chart, at"]
    assert fake.refused == []
    blocked = [(a.post, a.reason.split("]")[0]) for a in result.last_plan.of("blocked")]
    assert blocked == [("over", "lint: [media")]


# -- video ---------------------------------------------------------------------------------------------------


def with_sound(sound: bytes, pasp: tuple[int, int] | None = None) -> bytes:
    return mp4(tracks=video_track(1280, 720, 10, 30, pasp=pasp) + sound)


def sized(size: int) -> bytes:
    """A well-formed ten-second 1280x720 MP4 video of exactly `size` bytes (its media data filled out)."""
    return mp4(mdat=bytes(size - len(mp4(mdat=b""))))


# (account, the rule, the Mastodon instance's own limits, a video at the limit, one just past it): each pair
# from the platform's documented rule, above.
VIDEO_AT_LIMIT: list[tuple[str, str, dict[str, int], bytes, bytes]] = [
    ("xc", "duration", {}, mp4(seconds=20 * 60), mp4(seconds=20 * 60 + 1)),       # 140 s is DM video's
    ("xp", "duration", {}, mp4(seconds=125 * 60), mp4(seconds=125 * 60 + 1)),     # X Premium: 125 minutes
    ("xc", "duration", {}, mp4(seconds=0.5), mp4(seconds=0.4)),
    ("xc", "dimensions", {}, mp4((1280, 1024)), mp4((1280, 1025))),
    ("xc", "dimensions", {}, mp4((1024, 1280)), mp4((1025, 1280))),     # portrait
    ("xc", "dimensions", {}, mp4((32, 32)), mp4((32, 31))),
    ("xp", "dimensions", {}, mp4((1920, 1080)), mp4((1920, 1081))),     # X Premium: 1080p
    ("xp", "dimensions", {}, mp4((1080, 1920)), mp4((1080, 1921))),
    ("xc", "aspect ratio", {}, mp4((960, 320)), mp4((961, 320))),       # 3:1
    ("xc", "aspect ratio", {}, mp4((320, 960)), mp4((320, 961))),       # 1:3
    # MediaInfo reads 60.06 frames a second as 60 (it rounds a rate this near a common one): 60.1 is past
    ("xc", "frame rate", {}, mp4(fps=60), mp4(fps=Fraction(601, 10))),
    ("xc", "pixel aspect ratio", {}, with_sound(b"", pasp=(1, 1)), with_sound(b"", pasp=(4, 3))),
    ("xc", "audio format", {}, with_sound(sound_track()), with_sound(sound_track(audio_object=5))),   # HE-AAC
    ("xc", "audio channels", {}, with_sound(sound_track(channels=2)), with_sound(sound_track(channels=6))),
    ("xc", "no video stream", {}, mp4(), mp4(tracks=sound_track())),
    ("xc", "chroma", {}, mp4(), mp4(tracks=video_track(1280, 720, 10, 30, parameters=sps(chroma=2)))),   # 4:2:2
    ("xc", "chroma", {}, mp4(tracks=video_track(1280, 720, 10, 30, parameters=sps(profile=66))),        # Baseline
     mp4(tracks=video_track(1280, 720, 10, 30, parameters=sps(chroma=3)))),                              # 4:4:4
    ("social", "size", {"video_size_limit": 5000}, sized(4999), sized(5000)),
    ("social", "no video stream", {}, mp4(), mp4(tracks=sound_track())),        # "Video has no video stream"
    ("social", "matrix", {}, mp4((3840, 2160)), mp4((3841, 2160))),
    ("social", "matrix", {"video_matrix_limit": 921600}, mp4((1280, 720)), mp4((1280, 721))),
    ("social", "frame rate", {}, mp4(fps=Fraction(241, 2)), mp4(fps=121)),      # 120.5 is 120 rounded down
    ("social", "frame rate", {"video_frame_rate_limit": 30}, mp4(fps=30), mp4(fps=31)),
]
VIDEO_IDS = [f"{account}-{rule.replace(' ', '-')}-{i}" for i, (account, rule, *_) in enumerate(VIDEO_AT_LIMIT)]


def serve(account: str, fake: Fake, limits: dict[str, int]) -> None:
    if account == "social":
        mastodon_server(fake, **limits)
    elif account == "xp":
        x_server(fake, subscribed=True)
    else:
        SERVERS[account](fake)


def clips_repo(tmp_path: Path, account: str, at: bytes, over: bytes, limits: dict[str, int] | None = None) -> Repo:
    """A content repository with two posts on `account`, one with the video `at`, one with `over`."""
    repo = accounts_repo(tmp_path, limits)
    (repo.root / "media").mkdir()
    (repo.root / "media" / "at.mp4").write_bytes(at)
    (repo.root / "media" / "over.mp4").write_bytes(over)
    for name in ("at", "over"):
        repo.write(f"posts/{account}/{name}.yaml", post(account, f"The clip, {name}")
                   + f"media:\n  - path: media/{name}.mp4\n    alt: A clip\n")
    repo.commit("Two clips", T - 60 * M)
    return repo


@pytest.mark.parametrize(("account", "rule", "limits", "at", "over"), VIDEO_AT_LIMIT, ids=VIDEO_IDS)
@responses.activate
def test_a_video_at_the_platforms_limit_is_published_and_one_past_it_never_uploaded(
        tmp_path: Path, account: str, rule: str, limits: dict[str, int], at: bytes, over: bytes) -> None:
    repo = clips_repo(tmp_path, account, at, over, limits)
    fake = Fake()
    serve(account, fake, limits)
    result, lines = run_publish(repo)
    assert fake.media == [at], lines
    assert fake.accepted == ["The clip, at"]
    assert fake.refused == []                       # lint stopped the other before a byte of it was sent
    blocked = [(a.post, a.reason.split("]")[0]) for a in result.last_plan.of("blocked")]
    assert blocked == [("over", "lint: [media")]


@pytest.mark.parametrize("account", ["xc", "xp"])
@responses.activate
def test_an_x_video_at_the_size_limit_is_published_and_one_byte_past_it_never_uploaded(
        tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # 8 GB (16 GB for X Premium) cannot be uploaded in a test: the fake X's cap for tweet_video and the spec's
    # stand at the size of a small video, the same for both, a byte either side (lint at X's own figures,
    # with sparse files: test_video.py)
    at, over = sized(5000), sized(5001)
    assert (SPECS["x"].media_bytes["video"], spec_module.X_PREMIUM_VIDEO_BYTES) == (8 * 1024 ** 3, 16 * 1024 ** 3)
    monkeypatch.setitem(SPECS, "x", replace(SPECS["x"], media_bytes={**SPECS["x"].media_bytes, "video": 5000}))
    monkeypatch.setattr(spec_module, "X_PREMIUM_VIDEO_BYTES", 5000)
    repo = clips_repo(tmp_path, account, at, over)
    fake = Fake()
    x_server(fake, subscribed=account == "xp", caps={"tweet_video": 5000})
    result, lines = run_publish(repo)
    assert fake.media == [at], lines
    assert fake.accepted == ["The clip, at"]
    assert fake.refused == [] and fake.refused_uploads == []
    blocked = [(a.post, a.reason.split("]")[0]) for a in result.last_plan.of("blocked")]
    assert blocked == [("over", "lint: [media")]
    assert not send_directly(account, over)         # the fake itself refuses it, at initialize
    assert fake.refused_uploads == ["size"]


def send_directly(account: str, data: bytes) -> bool:
    """Whether the platform took a post with this video, sent with X's client (tweepy) or plain HTTP
    (Mastodon), without postops."""
    if account in ("xc", "xp"):
        # X's chunked upload as its quickstart gives it, with plain HTTP signed by OAuth 1.0a
        auth = OAuth1("ck", "cs", "at", "as")
        started = requests.post(f"{X_MEDIA}/upload/initialize", auth=auth, timeout=5, json={
            "media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"})
        if started.status_code != 200:
            return False
        media_id = started.json()["data"]["id"]
        requests.post(f"{X_MEDIA}/upload/{media_id}/append", auth=auth, timeout=5, data={"segment_index": "0"},
                      files={"media": ("blob", data, "application/octet-stream")}).raise_for_status()
        state = requests.post(f"{X_MEDIA}/upload/{media_id}/finalize", auth=auth, timeout=5).json()
        while state["data"]["processing_info"]["state"] in ("pending", "in_progress"):
            state = requests.get(f"{X_MEDIA}/upload", params={"command": "STATUS", "media_id": media_id},
                                 auth=auth, timeout=5).json()
        client = tweepy.Client(consumer_key="ck", consumer_secret="cs", access_token="at", access_token_secret="as")
        try:
            client.create_tweet(text="The clip", media_ids=[media_id], user_auth=True)
        except tweepy.BadRequest:
            return False
        return state["data"]["processing_info"]["state"] == "succeeded"
    answer = requests.post(f"{MASTODON}/api/v2/media", files={"file": ("clip.mp4", data, "video/mp4")},
                           headers={"Authorization": "Bearer mstdn-token"}, timeout=5)
    return answer.status_code == 200


@pytest.mark.parametrize(("account", "rule", "limits", "at", "over"), VIDEO_AT_LIMIT, ids=VIDEO_IDS)
@responses.activate
def test_the_fake_platform_itself_refuses_the_video_past_the_limit(
        account: str, rule: str, limits: dict[str, int], at: bytes, over: bytes) -> None:
    # so that the test above, where lint stops the video first, checks against a platform that would refuse it
    fake = Fake()
    serve(account, fake, limits)
    assert send_directly(account, at)
    assert fake.media == [at] and fake.refused == []
    assert not send_directly(account, over)
    assert fake.media == [at] and fake.refused[0] == rule


@pytest.mark.parametrize("account", ["sky", "fb", "li"])
@responses.activate
def test_a_video_for_a_platform_postops_posts_no_video_to_never_reaches_it(tmp_path: Path, account: str) -> None:
    # Bluesky's app.bsky.embed.video goes through a video service of its own, Facebook's and LinkedIn's
    # video APIs are others again: postops uses none of them, and lint says so before anything is sent
    repo = accounts_repo(tmp_path)
    (repo.root / "media").mkdir()
    (repo.root / "media" / "clip.mp4").write_bytes(mp4())
    repo.write(f"posts/{account}/clip.yaml", post(account, "The clip") + "media:\n  - path: media/clip.mp4\n    alt: A clip\n")
    repo.commit("A clip", T - 60 * M)
    fake = Fake()
    SERVERS[account](fake)
    result, lines = run_publish(repo)
    assert (fake.accepted, fake.media, fake.refused) == ([], [], []), lines
    assert [c.request.url for c in responses.calls] == []
    blocked = [(a.post, a.reason.split("]")[0]) for a in result.last_plan.of("blocked")]
    assert blocked == [("clip", "lint: [media")]


@pytest.mark.parametrize(("subscribed", "text"), [(False, "e" * 281), (False, "\u65e5" * 141),
                                                  (True, "e" * 25_001)])
@responses.activate
def test_the_fake_x_itself_refuses_text_past_its_weight(subscribed: bool, text: str) -> None:
    fake = Fake()
    x_server(fake, subscribed=subscribed)
    answer = requests.post(TWEETS, json={"text": text}, timeout=5)
    assert answer.status_code == 403 and answer.json()["detail"] == "Your Tweet text is too long."
    assert fake.accepted == [] and fake.refused == ["length"]
    assert requests.post(TWEETS, json={"text": text[:-1]}, timeout=5).status_code == 201
