"""A content repository with a post in every state `postops calendar` shows, on four platforms."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gitfixtures import Repo, content_repo, post_yaml

from postops.publish.commands import publish_command
from postops.publish.ledger import Store

T = datetime.fromisoformat("2026-03-04T15:00:00+00:00")   # a Wednesday
M = timedelta(minutes=1)

CONFIG = """\
version: 1
timezone: America/New_York
accounts:
  drill:
    platform: outbox
    path: .postops/outbox
  news:
    platform: x
    handle: "@ExampleOrg"
    credentials: POSTOPS_NEWS
    timezone: Europe/Berlin
  toot:
    platform: mastodon
    instance: https://social.example.org
    handle: "@example@social.example.org"
    credentials: POSTOPS_TOOT
  sky:
    platform: bluesky
    handle: "@example.org"
    credentials: POSTOPS_SKY
publish:
  min_lead: 10m
  max_delay: 6h
"""

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
LONG_URL = "https://www.example.org/" + "a-very-long-path-segment-" * 8 + "end"


def png(width: int = 8, height: int = 4) -> bytes:
    """A real (tiny, solid) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x20\x60\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def rude_lint(root: Path, config: object) -> dict[str, list[tuple[str, str]]]:
    return {"rude": [("error", "[no-insults] Official accounts don't use 'suck'")]}


@dataclass
class CalendarRepo:
    repo: Repo
    env: dict[str, str]

    @property
    def root(self) -> Path:
        return self.repo.root

    def publish(self, now: datetime) -> int:
        return publish_command(self.root, now=now, dry_run=False, allow_mass_retract=False, echo=lambda s: None,
                               env=self.env, lint=rude_lint)


# Every (post, account) the repository shows, and the state each is in at T + 3 minutes.
EXPECTED = {
    ("launch", "drill"): "published",
    ("oops", "drill"): "retracted",
    ("thread", "news"): "scheduled",
    ("late", "news"): "missed",
    ("rude", "news"): "blocked",
    ("long", "toot"): "scheduled",
    ("cross", "news"): "scheduled",
    ("cross", "sky"): "scheduled",
    ("on-x", "news"): "published",
}


def calendar_repo(tmp_path: Path) -> CalendarRepo:
    repo = content_repo(tmp_path, when=T - timedelta(days=2))
    env = {"POSTOPS_OUTBOX_DIR": str(tmp_path / "outbox")}
    repo.write("postops.yaml", CONFIG)
    (repo.root / "media").mkdir()
    (repo.root / "media" / "chart.png").write_bytes(png())
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "Our report is out: https://example.org/r #energy",
                                                    "2026-03-04T09:00:00-05:00"))
    repo.write("posts/drill/oops.yaml", post_yaml("drill", "Suck it.", "2026-03-04T09:30:00-05:00"))
    repo.write("posts/news/thread.yaml", (
        "account: news\npublish_at: 2026-03-06T10:00:00+01:00\n"
        f"text: {json.dumps('Findings with @CSIS_Energy and #energy ' + HOSTILE + ' ' + LONG_URL)}\n"
        "media:\n  - path: media/chart.png\n    alt: \"Bar chart of gas imports, 2019-2026\"\n"
        "thread:\n  - text: \"Second part: storage held. https://example.org/storage\"\n"
        "  - text: \"Third part, no link.\"\n"
        "labels: [research]\n"))
    repo.write("posts/news/late.yaml", post_yaml("news", "This was due this morning.", "2026-03-04T03:00:00Z"))
    repo.write("posts/news/rude.yaml", post_yaml("news", "You suck.", "2026-03-05T09:00:00Z"))
    repo.write("posts/toot/long.yaml", post_yaml("toot", "word " * 120 + "end", "2026-03-09T08:00:00-05:00"))
    repo.write("posts/news/cross.yaml", post_yaml(["news", "sky"], "Cross-posted to X and Bluesky.",
                                                  "2026-03-05T12:00:00Z"))
    repo.write("posts/news/on-x.yaml", post_yaml("news", "Published on X yesterday.", "2026-03-03T12:00:00Z"))
    repo.commit("Add posts", T - 120 * M)
    # on-x went out on X in an earlier run: its record, as the publisher writes it
    store = Store(repo.root, "postops/state", "origin")
    ledger = store.read(fetch=True)
    commit = repo.git("rev-parse", "HEAD")
    from postops.publish.engine import load_desired
    from postops.repo.config import load_config

    target = next(t for t in load_desired(repo.root, load_config(repo.root)).targets if t.post == "on-x")
    assert store.append(ledger, [{"event": "published", "post": "on-x", "account": "news", "part": 0,
                                  "hash": target.hash, "commit": commit, "run": "earlier", "by": "ci:1",
                                  "at": "2026-03-03T12:00:05+00:00", "platform_id": "1897",
                                  "url": "https://x.com/ExampleOrg/status/1897"}], "earlier run") is not None
    cal = CalendarRepo(repo, env)
    assert cal.publish(T) == 1          # news/late is missed: that run exits 1 so someone is told
    repo.remove("posts/drill/oops.yaml")
    repo.commit("Retract oops", T + M)
    # news/late stays missed, and says so, every run until someone reschedules or deletes it
    assert cal.publish(T + 2 * M) == 1
    return cal
