"""A `reply_to` naming a post outside the repository publishes through the whole publisher (plan, engine and
the real Bluesky adapter, its XRPC API answered by `responses`) in both forms Bluesky documents: the post's
bsky.app link and its at:// URI (https://docs.bsky.app/docs/advanced-guides/posts#replies)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from publishfixtures import run

from postops.platforms.bluesky import BlueskyPlatform

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
XRPC = "https://bsky.social/xrpc"
OURS, THEIRS = "did:plc:csis4energy7security2q", "did:plc:partner5research3lab"
PARENT = f"at://{THEIRS}/app.bsky.feed.post/3lpartnerpost"
ENV = {"POSTOPS_SKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}


def bluesky(account, root, env):  # type: ignore[no-untyped-def]
    return BlueskyPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T)


@pytest.mark.parametrize("written", [PARENT, "https://bsky.app/profile/partner.bsky.social/post/3lpartnerpost"])
@responses.activate
def test_a_reply_to_a_bluesky_post_outside_the_repository_publishes(tmp_path: Path, written: str) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  sky:\n    platform: bluesky\n    handle: '@csis.bsky.social'\n"
                       "    credentials: POSTOPS_SKY\n", 1)
    repo.write("postops.yaml", config)
    repo.write("posts/sky/thanks.yaml", post_yaml("sky", "Congratulations!", "2026-11-24T14:00:00Z",
                                                  reply_to=f'"{written}"'))
    repo.commit("Add the reply", T - timedelta(hours=1))
    responses.post(f"{XRPC}/com.atproto.server.createSession",
                   json={"did": OURS, "handle": "csis.bsky.social", "accessJwt": "a", "refreshJwt": "r"})
    responses.get(f"{XRPC}/com.atproto.identity.resolveHandle", json={"did": THEIRS})
    responses.get(f"{XRPC}/com.atproto.repo.getRecord", json={
        "uri": PARENT, "cid": "bafyreitheirs",
        "value": {"$type": "app.bsky.feed.post", "text": "Our new lab", "createdAt": "2026-11-24T10:00:00Z"}})
    responses.post(f"{XRPC}/com.atproto.repo.createRecord",
                   json={"uri": f"at://{OURS}/app.bsky.feed.post/3lourreply22", "cid": "bafyreiours"})

    result, lines = run(repo, T + timedelta(minutes=1), bluesky, ENV)

    assert result.exit_code == 0, lines
    (create,) = [c for c in responses.calls if c.request.url.endswith("com.atproto.repo.createRecord")]
    parent = {"uri": PARENT, "cid": "bafyreitheirs"}
    assert json.loads(create.request.body)["record"]["reply"] == {"root": parent, "parent": parent}
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "published"]
