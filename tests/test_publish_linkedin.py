"""The publisher with the real LinkedIn adapter (requests, the REST API answered by `responses`, shaped from
https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api): a claim left in
doubt by a publisher that died is resolved by reading the organisation's posts, never by posting blindly."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from publishfixtures import Died, DiesOnPublish, run

from postops.platforms.linkedin import LinkedInPlatform

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
POSTS = "https://api.linkedin.com/rest/posts"
ENV = {"POSTOPS_LI_ACCESS_TOKEN": "AQVh7cKZa9mDq2LpX4tR8sW1nB6yE3uJ0oF5gH"}
TEXT = "Energy & security (our report) is out https://www.csis.org/analysis/energy-security"
URN = "urn:li:share:7271234567890123456"


@pytest.fixture
def repo(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  li:\n    platform: linkedin\n    organization: 2414183\n"
                       "    credentials: POSTOPS_LI\n", 1)
    repo.write("postops.yaml", config)
    repo.write("posts/li/report.yaml", post_yaml("li", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - 60 * M)
    with pytest.raises(Died):                      # claimed, then the process is gone
        run(repo, T, DiesOnPublish, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]
    return repo


def linkedin(account, root, env):  # type: ignore[no-untyped-def]
    return LinkedInPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T + 11 * M)


@responses.activate
def test_an_in_doubt_claim_that_the_page_shows_is_recorded_without_reposting(repo):
    # LinkedIn keeps the commentary as sent, in its little text format: parentheses escaped
    at = int((T + 2 * timedelta(seconds=1)).timestamp() * 1000)
    responses.get(POSTS, json={"elements": [{
        "id": URN, "author": "urn:li:organization:2414183", "createdAt": at, "publishedAt": at,
        "commentary": r"Energy & security \(our report\) is out https://www.csis.org/analysis/energy-security"}],
        "paging": {"start": 0, "count": 50}})
    result, lines = run(repo, T + 11 * M, linkedin, ENV)          # the lease has run out: in doubt
    assert result.exit_code == 0, lines
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "claimed", "published"]
    assert events[-1]["platform_id"] == URN
    assert events[-1]["url"] == f"https://www.linkedin.com/feed/update/{URN}/"
    assert not [c for c in responses.calls if c.request.method == "POST"]     # never posted again


@responses.activate
def test_an_in_doubt_claim_that_the_page_does_not_show_is_posted_once(repo):
    responses.get(POSTS, json={"elements": [], "paging": {"start": 0, "count": 50}})
    responses.post(POSTS, status=201, headers={"x-restli-id": URN})
    result, lines = run(repo, T + 11 * M, linkedin, ENV)
    assert result.exit_code == 0, lines
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed", "released", "claimed",
                                                         "published"]
    assert len([c for c in responses.calls if c.request.method == "POST"]) == 1
    assert repo.ledger_events()[-1]["platform_id"] == URN
