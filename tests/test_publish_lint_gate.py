"""Publish with lint on, end to end: what lint stops on main never reaches a platform (the outbox, and X
through the real tweepy client with its HTTP answered by `responses`); what lint passes is accepted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from gitfixtures import Repo, content_repo, post_yaml

from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-11-24T14:00:00+00:00")
M = timedelta(minutes=1)
TWEETS = "https://api.twitter.com/2/tweets"
ENV = {"POSTOPS_CSIS_API_KEY": "ck", "POSTOPS_CSIS_API_SECRET": "cs", "POSTOPS_CSIS_ACCESS_TOKEN": "at",
       "POSTOPS_CSIS_ACCESS_SECRET": "as"}
POLICY = """\
rules:
  - id: no-insults
    message: "Official accounts don't say '{match}'"
    schema: {properties: {facts: {properties: {text: {not: {pattern: "(?i)\\\\bsuck it\\\\b"}}}}}}
"""
KEY = "AKIAIOSFODNN7EXAMPLE"     # AWS's own example access key id
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  csis:\n    platform: x\n    handle: '@CSIS'\n    credentials: POSTOPS_CSIS\n", 1))
    repo.write("policies/insults.yaml", POLICY)
    repo.commit("Accounts and a policy", T - timedelta(hours=20))
    return repo


def x_server(texts: list[str]) -> None:
    """POST /2/tweets as X documents it: 201 with the new post's id and text."""
    def create(request):  # type: ignore[no-untyped-def]
        text = json.loads(request.body)["text"]
        texts.append(text)
        return 201, {}, json.dumps({"data": {"id": str(1861000000000000000 + len(texts)), "text": text}})
    responses.add_callback(responses.POST, TWEETS, callback=create, content_type="application/json")


@pytest.mark.parametrize("text", ["Suck it, everyone: our report is out", f"Deploy key {KEY} for the team"])
@responses.activate
def test_a_post_lint_stops_on_main_reaches_no_platform(repo: Repo, tmp_path: Path, text: str) -> None:
    outbox = tmp_path / "outbox"
    repo.write("posts/csis/bad.yaml", post_yaml(["csis", "drill"], text, "2026-11-24T13:30:00Z"))
    repo.write("posts/csis/good.yaml", post_yaml("csis", "Our report on energy security is out",
                                                 "2026-11-24T13:30:00Z"))
    # Merged straight to main (no pull request ran lint): the publish run's own lint is the last gate.
    repo.commit("Posts", T - 60 * M)
    texts: list[str] = []
    x_server(texts)
    lines: list[str] = []
    result = publish(repo.root, load_config(repo.root), now=T, env={**ENV, "POSTOPS_OUTBOX_DIR": str(outbox)},
                     echo=lines.append)
    assert texts == ["Our report on energy security is out"]          # the clean post, and nothing else
    assert not list(outbox.glob("**/*.json"))
    blocked = {(a.post, a.account) for a in result.last_plan.actions if a.action == "blocked"}
    assert blocked == {("bad", "csis"), ("bad", "drill")}
    assert result.exit_code == 1
    assert [e["post"] for e in repo.ledger_events() if e["event"] == "published"] == ["good"]


@responses.activate
def test_a_post_lint_passes_is_accepted_by_the_outbox_and_x(repo: Repo, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    repo.write("posts/csis/fine.yaml", post_yaml(["csis", "drill"], "Energy & security: our report is out "
                                                 "https://www.csis.org/analysis/energy-security",
                                                 "2026-11-24T13:30:00Z"))
    repo.commit("A post", T - 60 * M)
    texts: list[str] = []
    x_server(texts)
    result = publish(repo.root, load_config(repo.root), now=T, env={**ENV, "POSTOPS_OUTBOX_DIR": str(outbox)})
    assert result.exit_code == 0
    assert texts == ["Energy & security: our report is out https://www.csis.org/analysis/energy-security"]
    assert [p.name for p in (outbox / "drill").glob("*.json")] == ["fine.0.json"]
