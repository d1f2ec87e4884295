"""A poll or a quote is never left behind: the publisher, through each real adapter, sends the post with its
poll and its quote; and a poll or quote post whose publisher died after the call is found on the platform by
its poll and by the post it quotes, never by its text alone, so it is not made twice and a different post
with the same text is not taken for it.

HTTP is answered as each platform documents it: X's POST /2/tweets takes `poll` {options, duration_minutes}
and `quote_tweet_id`, and GET /2/users/:id/tweets gives a post's poll as includes.polls by the ids in its
attachments.poll_ids (expansions=attachments.poll_ids) and a quote as referenced_tweets type "quoted";
Mastodon's POST /api/v1/statuses takes poll[options][], poll[expires_in] and quoted_status_id, and a Status
shows `poll.options[].title` and `quote` (a Quote with `quoted_status`, or a ShallowQuote with
`quoted_status_id`); Bluesky's post record carries a quote as an app.bsky.embed.record strong reference.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from gitfixtures import content_repo
from publishfixtures import Died, DiesOnPublish, run

from postops.platforms.bluesky import BlueskyPlatform
from postops.platforms.mastodon import MastodonPlatform
from postops.platforms.x import XPlatform
from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

ACCOUNTS = """\
  csis:
    platform: x
    handle: '@CSIS'
    credentials: POSTOPS_CSIS
  social:
    platform: mastodon
    instance: https://mastodon.example
    handle: '@csis@mastodon.example'
    credentials: POSTOPS_SOCIAL
  sky:
    platform: bluesky
    handle: csis.bsky.social
    credentials: POSTOPS_SKY
"""
ENV = {"POSTOPS_CSIS_API_KEY": "ck", "POSTOPS_CSIS_API_SECRET": "cs", "POSTOPS_CSIS_ACCESS_TOKEN": "at",
       "POSTOPS_CSIS_ACCESS_SECRET": "as", "POSTOPS_SOCIAL_ACCESS_TOKEN": "mstdn-Zq8xW3vT9kLp2RfY7nBc4HjD6",
       "POSTOPS_SKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}

X_TWEETS = "https://api.twitter.com/2/tweets"
X_ME = "https://api.twitter.com/2/users/me"
X_TIMELINE = "https://api.twitter.com/2/users/14717197/tweets"
X_QUOTED = "1850000000000000042"
MASTODON = "https://mastodon.example"
M_STATUSES = f"{MASTODON}/api/v1/statuses"
M_TIMELINE = f"{MASTODON}/api/v1/accounts/109348293741520001/statuses"
M_QUOTED = "113500000000000042"
XRPC = "https://bsky.social/xrpc"
SKY_DID = "did:plc:csis4energy7security2q"
SKY_QUOTED = "at://did:plc:partner2research5think/app.bsky.feed.post/3lbq2xyzabc2k"

POLL = "text: Which chart next week?\npoll: {options: [Gas imports, Storage], duration: 1d}\n"


def repo_with(tmp_path: Path, posts: dict[str, str]):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", "accounts:\n" + ACCOUNTS, 1))
    for rel, body in posts.items():
        account = rel.split("/")[0]
        repo.write(f"posts/{rel}.yaml", f"account: {account}\npublish_at: 2026-11-24T14:00:00Z\n{body}")
    repo.commit("Posts with a poll and a quote", T - 60 * M)
    return repo


def platforms(account, root, env):  # type: ignore[no-untyped-def]
    adapter = {"x": XPlatform, "mastodon": MastodonPlatform, "bluesky": BlueskyPlatform}[account.platform]
    return adapter(account, root, env, sleep=lambda s: None, clock=lambda: T + 11 * M)


def publish_run(repo, now: datetime):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=now, env=ENV, platforms=platforms, echo=lines.append)
    return result, lines


def posts_to(url: str) -> list:
    return [c for c in responses.calls if c.request.method == "POST" and c.request.url.split("?")[0] == url]


# -- sent with its poll and its quote ------------------------------------------------------------------


@responses.activate
def test_x_posts_go_out_with_their_poll_and_their_quote(tmp_path):
    repo = repo_with(tmp_path, {"csis/ask": POLL, "csis/quote": f"text: Worth reading.\n"
                                f"quote: https://x.com/partner/status/{X_QUOTED}\n"})
    responses.post(X_TWEETS, json={"data": {"id": "1861000000000000001", "text": "x"}}, status=201)
    result, lines = publish_run(repo, T + M)
    assert result.exit_code == 0, lines
    sent = sorted((json.loads(c.request.body) for c in posts_to(X_TWEETS)), key=lambda b: b["text"])
    assert sent == [
        {"text": "Which chart next week?", "poll": {"options": ["Gas imports", "Storage"], "duration_minutes": 1440}},
        {"text": "Worth reading.", "quote_tweet_id": X_QUOTED}]


@responses.activate
def test_mastodon_posts_go_out_with_their_poll_and_their_quote(tmp_path):
    repo = repo_with(tmp_path, {"social/ask": POLL, "social/quote": f"text: Worth reading.\n"
                                f"quote: {MASTODON}/@partner/{M_QUOTED}\n"})
    responses.post(M_STATUSES, json={"id": "113541234567890001", "created_at": "2026-11-24T14:01:00Z",
                                     "content": "<p>x</p>"})
    result, lines = publish_run(repo, T + M)
    assert result.exit_code == 0, lines
    forms = sorted((parse_qs(c.request.body) for c in posts_to(M_STATUSES)), key=lambda f: f["status"])
    assert forms[0]["status"] == ["Which chart next week?"]
    assert (forms[0]["poll[options][]"], forms[0]["poll[expires_in]"]) == (["Gas imports", "Storage"], ["86400"])
    assert forms[1]["status"] == ["Worth reading."] and forms[1]["quoted_status_id"] == [M_QUOTED]


@responses.activate
def test_a_bluesky_post_goes_out_with_its_quote(tmp_path):
    repo = repo_with(tmp_path, {"sky/quote": f"text: Worth reading.\nquote: {SKY_QUOTED}\n"})
    responses.post(f"{XRPC}/com.atproto.server.createSession", json={
        "did": SKY_DID, "handle": "csis.bsky.social", "accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh"})
    responses.get(f"{XRPC}/com.atproto.repo.getRecord", json={
        "uri": SKY_QUOTED, "cid": "bafyreiquoted", "value": {"$type": "app.bsky.feed.post", "text": "Our study",
                                                             "createdAt": "2026-11-20T10:00:00Z"}})
    responses.post(f"{XRPC}/com.atproto.repo.createRecord", json={
        "uri": f"at://{SKY_DID}/app.bsky.feed.post/3kaaaaaaaaaaa", "cid": "bafyreinew"})
    result, lines = publish_run(repo, T + M)
    assert result.exit_code == 0, lines
    (created,) = posts_to(f"{XRPC}/com.atproto.repo.createRecord")
    record = json.loads(created.request.body)["record"]
    assert record["embed"] == {"$type": "app.bsky.embed.record",
                               "record": {"uri": SKY_QUOTED, "cid": "bafyreiquoted"}}


# -- in doubt: found by its poll and its quote, not by its text ----------------------------------------


def died_after_claim(repo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Died):
        run(repo, T + M, DiesOnPublish, ENV)
    assert [e["event"] for e in repo.ledger_events()] == ["claimed"]


def x_timeline(tweets: list[dict], polls: list[dict]) -> None:
    responses.get(X_ME, json={"data": {"id": "14717197", "name": "CSIS", "username": "CSIS"}})
    responses.get(X_TIMELINE, json={"data": tweets, "includes": {"polls": polls},
                                    "meta": {"result_count": len(tweets)}})


def x_poll(poll_id: str, *labels: str) -> dict:
    return {"id": poll_id, "voting_status": "open", "duration_minutes": 1440,
            "options": [{"position": i + 1, "label": label, "votes": 0} for i, label in enumerate(labels)]}


SAME_TEXT_OTHER_POLL = {"id": "1861000000000000005", "created_at": "2026-11-24T14:01:01.000Z",
                        "text": "Which chart next week?", "attachments": {"poll_ids": ["5001"]}}
SAME_TEXT_NO_POLL = {"id": "1861000000000000006", "created_at": "2026-11-24T14:01:02.000Z",
                     "text": "Which chart next week?"}
THE_POLL_POST = {"id": "1861000000000000007", "created_at": "2026-11-24T14:01:03.000Z",
                 "text": "Which chart next week?", "attachments": {"poll_ids": ["5002"]}}


@responses.activate
def test_an_x_poll_post_in_doubt_is_found_by_its_poll(tmp_path):
    repo = repo_with(tmp_path, {"csis/ask": POLL})
    died_after_claim(repo)
    x_timeline([SAME_TEXT_OTHER_POLL, SAME_TEXT_NO_POLL, THE_POLL_POST],
               [x_poll("5001", "Gas imports", "Prices"), x_poll("5002", "Gas imports", "Storage")])
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == THE_POLL_POST["id"]
    assert posts_to(X_TWEETS) == []                                       # never made twice


@responses.activate
def test_an_x_poll_post_in_doubt_is_not_mistaken_for_one_with_the_same_text(tmp_path):
    repo = repo_with(tmp_path, {"csis/ask": POLL})
    died_after_claim(repo)
    x_timeline([SAME_TEXT_OTHER_POLL, SAME_TEXT_NO_POLL], [x_poll("5001", "Gas imports", "Prices")])
    responses.post(X_TWEETS, json={"data": {"id": "1861000000000000009", "text": "x"}}, status=201)
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert [e["event"] for e in repo.ledger_events()][-2:] == ["claimed", "published"]
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000009"
    (sent,) = posts_to(X_TWEETS)
    assert json.loads(sent.request.body)["poll"]["options"] == ["Gas imports", "Storage"]


@responses.activate
def test_an_x_quote_post_in_doubt_is_found_by_the_post_it_quotes(tmp_path):
    repo = repo_with(tmp_path, {"csis/quote": f"text: Worth reading.\nquote: https://x.com/p/status/{X_QUOTED}\n"})
    died_after_claim(repo)
    x_timeline([{"id": "1861000000000000011", "created_at": "2026-11-24T14:01:01.000Z", "text": "Worth reading."},
                {"id": "1861000000000000012", "created_at": "2026-11-24T14:01:02.000Z", "text": "Worth reading.",
                 "referenced_tweets": [{"type": "quoted", "id": "1850000000000000099"}]},
                {"id": "1861000000000000013", "created_at": "2026-11-24T14:01:03.000Z", "text": "Worth reading.",
                 "referenced_tweets": [{"type": "quoted", "id": X_QUOTED}]}], [])
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000013"
    assert posts_to(X_TWEETS) == []


@responses.activate
def test_an_x_quote_post_in_doubt_is_found_with_the_link_x_adds_to_its_text(tmp_path):
    """X gives a quote post's text back with a t.co link to the quoted post at its end (the Quote Posts
    quickstart's example: "Great thread on the new API features! https://t.co/..."): still the same post."""
    repo = repo_with(tmp_path, {"csis/quote": f"text: Worth reading.\nquote: https://x.com/p/status/{X_QUOTED}\n"})
    died_after_claim(repo)
    x_timeline([{"id": "1861000000000000013", "created_at": "2026-11-24T14:01:03.000Z",
                 "text": "Worth reading. https://t.co/Ab12Cd34Ef",
                 "referenced_tweets": [{"type": "quoted", "id": X_QUOTED}]}], [])
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000013"
    assert posts_to(X_TWEETS) == []                                       # never made twice


@responses.activate
def test_an_x_post_without_a_quote_is_not_mistaken_for_a_quote_post_with_its_text(tmp_path):
    repo = repo_with(tmp_path, {"csis/plain": "text: Worth reading.\n"})
    died_after_claim(repo)
    x_timeline([{"id": "1861000000000000012", "created_at": "2026-11-24T14:01:02.000Z", "text": "Worth reading.",
                 "referenced_tweets": [{"type": "quoted", "id": X_QUOTED}]}], [])
    responses.post(X_TWEETS, json={"data": {"id": "1861000000000000014", "text": "x"}}, status=201)
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "1861000000000000014"


def m_status(status_id: str, text: str, **fields) -> dict:
    return {"id": status_id, "created_at": "2026-11-24T14:01:01.000Z", "content": f"<p>{text}</p>",
            "url": f"{MASTODON}/@csis/{status_id}", "in_reply_to_id": None, **fields}


def m_timeline(statuses: list[dict]) -> None:
    responses.get(f"{MASTODON}/api/v1/accounts/verify_credentials", json={"id": "109348293741520001"})
    responses.get(M_TIMELINE, json=statuses)


def m_poll(*titles: str) -> dict:
    return {"id": "34830", "expires_at": "2026-11-25T14:01:01.000Z", "multiple": False,
            "options": [{"title": title, "votes_count": 0} for title in titles]}


@responses.activate
def test_a_mastodon_poll_post_in_doubt_is_found_by_its_poll_not_its_text(tmp_path):
    repo = repo_with(tmp_path, {"social/ask": POLL})
    died_after_claim(repo)
    # newest first: the posts with the same text and another poll, or none, came after it
    m_timeline([m_status("113541234567890003", "Which chart next week?", poll=m_poll("Gas imports", "Prices")),
                m_status("113541234567890002", "Which chart next week?", poll=None),
                m_status("113541234567890001", "Which chart next week?", poll=m_poll("Gas imports", "Storage"))])
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "113541234567890001"
    assert posts_to(M_STATUSES) == []


@responses.activate
def test_a_mastodon_poll_post_in_doubt_is_not_mistaken_for_one_with_the_same_text(tmp_path):
    repo = repo_with(tmp_path, {"social/ask": POLL})
    died_after_claim(repo)
    m_timeline([m_status("113541234567890002", "Which chart next week?", poll=m_poll("Gas imports", "Prices")),
                m_status("113541234567890001", "Which chart next week?", poll=None)])
    responses.post(M_STATUSES, json=m_status("113541234567890009", "Which chart next week?",
                                             poll=m_poll("Gas imports", "Storage")))
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "113541234567890009"
    assert len(posts_to(M_STATUSES)) == 1


@responses.activate
def test_a_mastodon_quote_post_in_doubt_is_found_by_the_post_it_quotes(tmp_path):
    repo = repo_with(tmp_path, {"social/quote": f"text: Worth reading.\nquote: {MASTODON}/@partner/{M_QUOTED}\n"})
    died_after_claim(repo)
    m_timeline([m_status("113541234567890004", "Worth reading."),
                m_status("113541234567890003", "Worth reading.",
                         quote={"state": "accepted", "quoted_status_id": "113500000000000099"}),
                m_status("113541234567890002", "Worth reading.",
                         quote={"state": "accepted", "quoted_status": m_status(M_QUOTED, "Our study")})])
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["platform_id"] == "113541234567890002"
    assert posts_to(M_STATUSES) == []


@responses.activate
def test_a_bluesky_quote_post_in_doubt_is_known_by_the_post_it_quotes(tmp_path):
    # Bluesky keeps the part under a record key derived from its idempotency key: what is there must also
    # quote the same post, or it is another post and nothing is guessed.
    repo = repo_with(tmp_path, {"sky/quote": f"text: Worth reading.\nquote: {SKY_QUOTED}\n"})
    died_after_claim(repo)
    responses.post(f"{XRPC}/com.atproto.server.createSession", json={
        "did": SKY_DID, "handle": "csis.bsky.social", "accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh"})
    other = "at://did:plc:partner2research5think/app.bsky.feed.post/3lbq2otherone2"
    responses.get(f"{XRPC}/com.atproto.repo.getRecord", json={
        "uri": f"at://{SKY_DID}/app.bsky.feed.post/3kaaaaaaaaaaa", "cid": "bafyreimine", "value": {
            "$type": "app.bsky.feed.post", "text": "Worth reading.", "createdAt": "2026-11-24T14:01:00Z",
            "embed": {"$type": "app.bsky.embed.record", "record": {"uri": other, "cid": "bafyreiother"}}}})
    result, lines = publish_run(repo, T + 11 * M)
    assert result.exit_code == 1                                      # not resolved: someone must look
    assert [e["event"] for e in repo.ledger_events()] == ["claimed", "claimed"]
    assert any("holds a different post" in line for line in lines), lines
    assert posts_to(f"{XRPC}/com.atproto.repo.createRecord") == []

    responses.replace(responses.GET, f"{XRPC}/com.atproto.repo.getRecord", json={
        "uri": f"at://{SKY_DID}/app.bsky.feed.post/3kaaaaaaaaaaa", "cid": "bafyreimine", "value": {
            "$type": "app.bsky.feed.post", "text": "Worth reading.", "createdAt": "2026-11-24T14:01:00Z",
            "embed": {"$type": "app.bsky.embed.record", "record": {"uri": SKY_QUOTED, "cid": "bafyreiquoted"}}}})
    result, lines = publish_run(repo, T + 22 * M)
    assert result.exit_code == 0, lines
    assert repo.ledger_events()[-1]["event"] == "published"
    assert posts_to(f"{XRPC}/com.atproto.repo.createRecord") == []
