"""The outbox platform: a local folder standing in for a social network, for demos, drills and tests.

One JSON file per published part in `<path>/<account>/`; retraction moves it to `retracted/`.
`POSTOPS_OUTBOX_DIR` overrides `path` for every outbox account; `POSTOPS_OUTBOX_DELAY` (seconds) makes
every call that slow, to rehearse a slow platform.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postops.platforms.base import PartRequest, PlatformError, Published, RemotePost
from postops.repo.config import Account


class OutboxPlatform:
    def __init__(self, account: Account, root: Path, env: Mapping[str, str]) -> None:
        base = Path(env.get("POSTOPS_OUTBOX_DIR") or account.path or ".postops/outbox")
        self.folder = (base if base.is_absolute() else root / base) / account.key
        try:
            self.delay = float(env.get("POSTOPS_OUTBOX_DELAY") or 0)
        except ValueError:
            raise PlatformError(f"POSTOPS_OUTBOX_DELAY must be a number of seconds, not "
                                f"{env['POSTOPS_OUTBOX_DELAY']!r}", retryable=False, kind="invalid") from None

    def _slow(self) -> None:
        if self.delay > 0:
            time.sleep(self.delay)

    @staticmethod
    def _id(request: PartRequest) -> str:
        return f"{request.post_id.replace('/', '_')}.{request.part}"

    def _file(self, platform_id: str) -> Path:
        return self.folder / f"{platform_id}.json"

    def publish(self, request: PartRequest) -> Published:
        self._slow()
        platform_id = self._id(request)
        final = self._file(platform_id)
        record: dict[str, Any] = {
            "post": request.post_id, "account": request.account.key, "part": request.part,
            "text": request.text, "media": [{"path": str(m.path), "alt": m.alt} for m in request.media],
            "reply_to": request.reply_to, "idempotency_key": request.idempotency_key,
        }
        # Only where a post has them, so every other part's file stays as it was.
        if request.repost is not None:
            record["repost"] = request.repost
        if request.quote is not None:
            record["quote"] = request.quote
        if request.poll is not None:
            record["poll"] = {"options": list(request.poll.options), "minutes": request.poll.minutes}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{platform_id}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
            try:
                # link, unlike rename, refuses to replace: two publishers can never both "post" one part
                os.link(tmp, final)
            except FileExistsError:
                raise PlatformError(f"{final.name} is already in the outbox: duplicate post refused",
                                    retryable=False, kind="duplicate") from None
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise PlatformError(f"cannot write to the outbox {self.folder}: {exc.strerror}",
                                retryable=True, kind="transient") from None
        return Published(platform_id, final.as_uri())

    def delete(self, platform_id: str) -> None:
        self._slow()
        source = self._file(platform_id)
        target = self.folder / "retracted" / source.name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except FileNotFoundError:
            return  # already gone counts as deleted
        except OSError as exc:
            raise PlatformError(f"cannot move {source.name} out of the outbox: {exc.strerror}",
                                retryable=True, kind="transient") from None

    def recent(self, since: datetime) -> list[RemotePost]:
        """Every part file in the account's folder, written by postops or dropped there by hand (a drill's
        "post made outside postops"): a JSON object with a `text`. Files written since `since`."""
        self._slow()
        posts = []
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            try:
                written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # half-written or not ours to read: the next run sees it whole
            if written < since or not isinstance(record, dict) or not isinstance(record.get("text"), str):
                continue
            posts.append(RemotePost(path.stem, record["text"], path.as_uri(), written))
        return sorted(posts, key=lambda p: (p.created_at or since, p.platform_id), reverse=True)

    def lookup(self, request: PartRequest, claimed_at: datetime) -> Published | None:
        self._slow()
        found = self._file(self._id(request))
        return Published(found.stem, found.as_uri()) if found.exists() else None
