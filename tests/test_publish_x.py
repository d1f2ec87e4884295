"""The publisher with the real X adapter (tweepy, HTTP answered by `responses`): a claim left in doubt by a
publisher that died is resolved by asking X, never by posting blindly."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from publishfixtures import Died, DiesOnPublish, run

from postops.platforms.x import XPlatform

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
TWEETS = "https://api.twitter.com/2/tweets"
ME = "https://api.twitter.com/2/users/me"
TIMELINE = "https://api.twitter.com/2/users/14717197/tweets"
ENV = {"POSTOPS_CSIS_API_KEY": "ck", "POSTOPS_CSIS_API_SECRET": "cs", "POSTOPS_CSIS_ACCESS_TOKEN": "at",
       "POSTOPS_CSIS_ACCESS_SECRET": "as"}
TEXT = "Energy & security: our report is out https://www.csis.org/analysis/energy-security"
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def repo(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  csis:\n    platform: x\n    handle: '@CSIS'\n    credentials: POSTOPS_CSIS\n", 1)
    repo.write("postops.yaml", config)
    repo.write("posts/csis/report.yaml", post_yaml("csis", TEXT, "2026-11-24T14:00:00Z"))
    repo.commit("Add the report post", T - 60 * M)
    with pytest.raises(Died):                      # claimed, then the process is gone
        run(repo, T, DiesOnPublish, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]
    return repo


def x_platform(account, root, env):  # type: ignore[no-untyped-def]
    return XPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T + 11 * M)


def serve_timeline(tweets: list[dict]) -> None:
    responses.get(ME, json={"data": {"id": "14717197", "name": "CSIS", "username": "CSIS"}})
    responses.get(TIMELINE, json={"data": tweets, "meta": {"result_count": len(tweets)}} if tweets
                  else {"meta": {"result_count": 0}})


@responses.activate
def test_an_in_doubt_claim_that_x_shows_is_recorded_without_reposting(repo):
    # X returns the text with its link shortened to t.co and & escaped
    serve_timeline([{"id": "1861000000000000007", "created_at": "2026-11-24T14:00:02.000Z",
                     "text": "Energy &amp; security: our report is out https://t.co/AbC123xyZ"}])
    result, lines = run(repo, T + 11 * M, x_platform, ENV)          # the lease has run out: in doubt
    assert result.exit_code == 0, lines
    events = repo.ledger_events()
    assert [e["event"] for e in events] == ["claimed", "claimed", "published"]
    assert events[-1]["platform_id"] == "1861000000000000007"
    assert events[-1]["url"] == "https://x.com/CSIS/status/1861000000000000007"
    assert not [c for c in responses.calls if c.request.method == "POST"]     # never posted again


@responses.activate
def test_an_in_doubt_claim_that_x_does_not_show_is_posted_once(repo):
    serve_timeline([])
    responses.post(TWEETS, json={"data": {"id": "1861000000000000009", "text": TEXT}}, status=201)
    result, lines = run(repo, T + 11 * M, x_platform, ENV)
    assert result.exit_code == 0, lines
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed", "released", "claimed",
                                                         "published"]
    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert len(posts) == 1
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000009"


@responses.activate
def test_before_the_lease_runs_out_nobody_touches_the_claim(repo):
    result, _lines = run(repo, T + 5 * M, x_platform, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]
    assert len(responses.calls) == 0
    assert result.last_plan.actions[0].action == "wait"


@responses.activate
def test_a_claim_whose_lookup_died_too_is_looked_up_from_the_first_claims_time(repo):
    """X's timeline returns only tweets created at or after `start_time` (its documented filter): a lookup
    asked from the time of the lookup claim, not of the claim that may have posted, misses the tweet."""
    import json as _json
    from urllib.parse import parse_qs, urlparse

    tweet = {"id": "1861000000000000007", "created_at": "2026-11-24T14:00:02.000Z",
             "text": "Energy &amp; security: our report is out https://t.co/AbC123xyZ"}
    dies = [True]

    def timeline(request):  # type: ignore[no-untyped-def]
        if dies[0]:
            raise Died                       # the resolving run ends while it asks X
        since = datetime.fromisoformat(parse_qs(urlparse(request.url).query)["start_time"][0].replace("Z", "+00:00"))
        shown = [tweet] if datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00")) >= since else []
        return 200, {}, _json.dumps({"data": shown, "meta": {"result_count": len(shown)}} if shown
                                    else {"meta": {"result_count": 0}})

    responses.get(ME, json={"data": {"id": "14717197", "name": "CSIS", "username": "CSIS"}})
    responses.add_callback(responses.GET, TIMELINE, callback=timeline)
    with pytest.raises(Died):
        run(repo, T + 11 * M, x_platform, ENV)
    dies[0] = False

    def later(account, root, env):  # type: ignore[no-untyped-def]
        return XPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T + 22 * M)

    result, lines = run(repo, T + 22 * M, later, ENV)
    assert result.exit_code == 0, lines
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed", "claimed", "published"]
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000007"
    assert not [c for c in responses.calls if c.request.method == "POST"]     # never posted twice
