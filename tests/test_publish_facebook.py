"""The publisher with the real Facebook adapter (requests, the Graph API answered by `responses`, shaped from
https://developers.facebook.com/docs/pages-api/posts): a claim left in doubt by a publisher that died is
resolved by reading the page's posts, never by posting blindly."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from publishfixtures import Died, DiesOnPublish, run

from postops.platforms.facebook import FacebookPlatform

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
PAGE = "104729381234567"
FEED = f"https://graph.facebook.com/v26.0/{PAGE}/feed"
POSTS = f"https://graph.facebook.com/v26.0/{PAGE}/posts"
ENV = {"POSTOPS_FB_PAGE_TOKEN": "EAAGm0PX4ZCpsBAHxZBtQ9kLp2RfY7nBc4HjD6"}
TEXT = "Energy & security: our report is out https://www.csis.org/analysis/energy-security"


@pytest.fixture
def repo(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", f"accounts:\n  fb:\n    platform: facebook\n    page_id: '{PAGE}'\n"
                       f"    credentials: POSTOPS_FB\n", 1)
    repo.write("postops.yaml", config)
    repo.write("posts/fb/report.yaml", post_yaml("fb", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - 60 * M)
    with pytest.raises(Died):                      # claimed, then the process is gone
        run(repo, T, DiesOnPublish, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]
    return repo


def facebook(account, root, env):  # type: ignore[no-untyped-def]
    return FacebookPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T + 11 * M)


@responses.activate
def test_an_in_doubt_claim_that_the_page_shows_is_recorded_without_reposting(repo):
    responses.get(POSTS, json={"data": [{"id": f"{PAGE}_122101234567890123", "message": TEXT,
                                         "created_time": "2026-11-24T14:00:02+0000",
                                         "permalink_url": f"https://www.facebook.com/{PAGE}/posts/122101234567890123"}]})
    result, lines = run(repo, T + 11 * M, facebook, ENV)          # the lease has run out: in doubt
    assert result.exit_code == 0, lines
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "claimed", "published"]
    assert events[-1]["platform_id"] == f"{PAGE}_122101234567890123"
    assert events[-1]["url"] == f"https://www.facebook.com/{PAGE}/posts/122101234567890123"
    assert not [c for c in responses.calls if c.request.method == "POST"]     # never posted again


@responses.activate
def test_an_in_doubt_claim_that_the_page_does_not_show_is_posted_once(repo):
    responses.get(POSTS, json={"data": []})
    responses.post(FEED, json={"id": f"{PAGE}_122101234567890999"})
    result, lines = run(repo, T + 11 * M, facebook, ENV)
    assert result.exit_code == 0, lines
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed", "released", "claimed",
                                                         "published"]
    assert len([c for c in responses.calls if c.request.method == "POST"]) == 1
    assert repo.ledger_events()[-1]["platform_id"] == f"{PAGE}_122101234567890999"


@responses.activate
def test_an_in_doubt_claim_the_page_cannot_be_asked_about_stays_in_doubt(repo):
    responses.get(POSTS, json={"error": {"message": "(#10) This endpoint requires the 'pages_read_engagement' "
                                                    "permission", "type": "OAuthException", "code": 10,
                                         "fbtrace_id": "AbCdEfGhIjK"}}, status=403)
    result, lines = run(repo, T + 11 * M, facebook, ENV)
    assert result.exit_code != 0
    assert [e["event"] for e in repo.ledger_events()][:1] == ["claimed"]
    assert "published" not in [e["event"] for e in repo.ledger_events()]
    assert not [c for c in responses.calls if c.request.method == "POST"]
    assert any("pages_read_engagement" in line for line in lines), lines
