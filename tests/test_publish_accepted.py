"""Publish with lint on, end to end, for Mastodon, Bluesky, Facebook and LinkedIn: a post that lint passes at
the very limit of a platform (by that platform's own counting) is accepted by a fake server that enforces
the limits the platform DOCUMENTS, and a post one past the limit, which lint refuses, never reaches it.

The fakes count as the platforms say they do, with code of their own (not postops'):
- Mastodon (https://docs.joinmastodon.org/user/posting/#text, StatusLengthValidator): 500 characters as
  grapheme clusters, every URL 23, `@user@server` as `@user`; an image of at most image_matrix_limit
  (33,177,600) pixels and image_size_limit (16 MiB) bytes (https://docs.joinmastodon.org/entities/Instance/).
- Bluesky (lexicons app.bsky.feed.post and app.bsky.embed.images): text of at most 300 graphemes and 3,000
  UTF-8 bytes; a blob of at most 1,000,000 bytes.
- Facebook (Graph API, Page feed): a message of at most 63,206 characters.
- LinkedIn (Posts API): commentary of at most 3,000 characters; the Images API takes JPEG, PNG and GIF
  of fewer than 36,152,320 pixels.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import regex
import responses
from gitfixtures import Repo, content_repo
from mediafixtures import image
from PIL import Image

from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
MASTODON = "https://mastodon.example"
XRPC = "https://bsky.social/xrpc"
PAGE = "104729381234567"
GRAPH = f"https://graph.facebook.com/v26.0/{PAGE}"
LINKEDIN = "https://api.linkedin.com/rest"
ACCOUNTS = f"""accounts:
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
       "POSTOPS_FB_PAGE_TOKEN": "EAAG-token", "POSTOPS_LI_ACCESS_TOKEN": "AQV-token"}


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


class Fake:
    """What a fake server accepted (texts, media) and refused (why)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.media: list[bytes] = []
        self.refused: list[str] = []

    def refuse(self, status: int, why: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        self.refused.append(why)
        return status, {}, json.dumps(payload)


def pixels(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as img:
        return img.width * img.height


def multipart_file(request: Any) -> bytes:
    """The file of a multipart/form-data upload, read with the standard library's MIME parser."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    return next(bytes(part.get_payload(decode=True)) for part in message.iter_parts() if part.get_filename())


def mastodon_server(fake: Fake) -> None:
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
        data = multipart_file(request)
        if len(data) > 16 * 1024 * 1024 or pixels(data) > 33_177_600:
            return fake.refuse(422, "media", {"error": "Validation failed: File images are not supported"})
        fake.media.append(data)
        return 200, {}, json.dumps({"id": "22001", "type": "image", "url": f"{MASTODON}/m/1.png"})

    # the instance's limits, as publish reads them before any call: the defaults of the Instance entity's
    # example (https://docs.joinmastodon.org/entities/Instance/#configuration)
    responses.get(f"{MASTODON}/api/v2/instance", json={"domain": "mastodon.example", "configuration": {
        "statuses": {"max_characters": 500, "max_media_attachments": 4, "characters_reserved_per_url": 23},
        "media_attachments": {"image_size_limit": 16777216, "image_matrix_limit": 33177600,
                              "video_size_limit": 103809024, "video_frame_rate_limit": 120,
                              "video_matrix_limit": 8294400},
        "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                  "max_expiration": 2629746}}})
    responses.add_callback(responses.POST, f"{MASTODON}/api/v1/statuses", callback=status,
                           content_type="application/json")
    responses.add_callback(responses.POST, f"{MASTODON}/api/v2/media", callback=media,
                           content_type="application/json")


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


SERVERS: dict[str, Callable[[Fake], None]] = {"social": mastodon_server, "sky": bluesky_server,
                                              "fb": facebook_server, "li": linkedin_server}


def fill(prefix: str, counted: int, limit: int) -> str:
    """`prefix` (counting `counted` by the platform's rules) filled with letters to exactly `limit`."""
    return prefix + "e" * (limit - counted)


FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"   # one grapheme, 25 UTF-8 bytes
THUMB = "\U0001F44D\U0001F3FD"                                          # one grapheme, two code points
LINK = "https://www.csis.org/analysis/energy-security-in-europe-2026-the-full-report-with-every-annex"
# Texts at each platform's limit, as that platform counts: (account, text).
AT_LIMIT = [
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


def accounts_repo(tmp_path: Path) -> Repo:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", ACCOUNTS, 1))
    repo.commit("Four platforms", T - timedelta(hours=20))
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
