"""Reposts, quotes and polls through the whole publisher (outbox): published once, the repost of a post in
this repository after that post, retracted by a revert, and a repost whose run died found, not made again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from gitfixtures import content_repo
from test_publish import M, Runner, T


@pytest.fixture
def run(tmp_path) -> Runner:
    return Runner(content_repo(tmp_path, when=T - timedelta(days=1)), tmp_path / "outbox")


def test_repost_quote_and_poll_are_published_once_and_a_revert_undoes_the_repost(run: Runner) -> None:
    repo = run.repo
    repo.write("posts/drill/study.yaml", "account: drill\npublish_at: 2026-03-01T10:00:00Z\ntext: Our study\n")
    repo.write("posts/drill/boost.yaml", "account: drill\npublish_at: 2026-03-01T10:30:00Z\nrepost: study\n")
    repo.write("posts/drill/ask.yaml", "account: drill\npublish_at: 2026-03-01T10:30:00Z\ntext: Read it?\n"
                                       "quote: study\npoll: {options: [Yes, Not yet], duration: 2h}\n")
    repo.commit("Study, its repost and a poll", T - 20 * M)

    code, lines = run.publish(T + M)
    assert code == 0, lines
    assert run.files() == ["study.0.json"]
    code, lines = run.publish(T + 31 * M)
    assert code == 0, lines
    assert run.files() == ["ask.0.json", "boost.0.json", "study.0.json"]
    boost = json.loads((run.outbox / "drill" / "boost.0.json").read_text())
    assert (boost["repost"], boost["text"]) == ("study.0", "")      # the platform id of the post it reposts
    ask = json.loads((run.outbox / "drill" / "ask.0.json").read_text())
    assert (ask["quote"], ask["poll"]) == ("study.0", {"options": ["Yes", "Not yet"], "minutes": 120})

    code, lines = run.publish(T + 40 * M)                           # nothing made twice
    assert code == 0 and len(run.events()) == 6

    repo.remove("posts/drill/boost.yaml")
    repo.commit("Undo the repost", T + 50 * M)
    code, lines = run.publish(T + 51 * M)
    assert code == 0, lines
    assert run.retracted() == ["boost.0.json"]


def test_a_repost_whose_publisher_died_after_the_call_is_found_not_made_again(run: Runner, tmp_path) -> None:
    repo = run.repo
    repo.write("posts/drill/boost.yaml", "account: drill\npublish_at: 2026-03-01T10:00:00Z\n"
                                         "repost: https://example.social/@a/1\n")
    repo.commit("A repost", T - 20 * M)
    env = {**os.environ, **run.env, "POSTOPS_FAILPOINT": "after-act", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    died = subprocess.run([sys.executable, "-m", "postops", "publish", "-C", str(repo.root), "--now",
                           (T + M).isoformat()], env=env, capture_output=True, text=True, check=False)
    assert died.returncode == 86, died.stderr
    assert [e["event"] for e in run.events()] == ["claimed"]

    code, lines = run.publish(T + 15 * M)                            # the lease has run out: in doubt
    assert code == 0, lines
    assert [e["event"] for e in run.events()] == ["claimed", "claimed", "published"]
    assert run.events()[-1]["resolved"] is True
    assert run.files() == ["boost.0.json"]


def test_a_repost_of_a_post_here_waits_for_it_on_the_same_account(run: Runner) -> None:
    repo = run.repo
    repo.write("posts/drill/study.yaml", "account: drill\npublish_at: 2026-03-01T10:00:00Z\ntext: Our study\n")
    repo.write("posts/drill/boost.yaml", "account: drill\npublish_at: 2026-03-01T09:00:00Z\nrepost: study\n")
    repo.write("posts/drill/lost.yaml", "account: drill\npublish_at: 2026-03-01T09:00:00Z\nrepost: not-here\n")
    repo.commit("A repost due before the post it reposts", T - 90 * M)

    actions = {a["post"]: (a["action"], a["reason"]) for a in run.plan(T - 30 * M)["actions"]}
    assert actions["boost"] == ("wait", "reposts or quotes study, not published on drill yet")
    assert actions["lost"] == ("blocked", "reposts or quotes not-here, which is not a post for drill on main")
    code, lines = run.publish(T + M)
    assert code == 1, lines        # `lost` is due and blocked by a problem: every run says so until it is fixed
    assert run.files() == ["boost.0.json", "study.0.json"]
    published = [e["post"] for e in run.events() if e["event"] == "published"]
    assert published == ["study", "boost"]                   # the repost only once the post is out


@pytest.mark.parametrize(("body", "message"), [
    ("text: Which?\npoll: {options: [a, b], duration: 1h}\n", "linkedin takes no polls (account li)"),
    ("text: Look\nquote: https://x.com/a/status/1\n", "linkedin cannot quote (account li)"),
    ("repost: https://x.com/a/status/1\n", "linkedin cannot repost (account li)"),
])
def test_publish_refuses_for_good_what_the_platform_cannot_take_if_lint_let_it_through(li, body, message):
    """Lint says so first (above); publish checks again, so that a post whose lint verdict was wrong (its rule
    off) fails for good, as an invalid post, instead of going out without its poll, quote or repost."""
    from postops.platforms.base import PartRequest, PlatformError
    from postops.publish.engine import shared_kinds
    from postops.publish.ledger import Ledger
    from postops.repo.config import load_config
    from postops.repo.posts import build_post
    from postops.repo.yamlfile import parse

    config = load_config(li.root)
    post = build_post(parse(f"account: li\n{body}".encode(), "posts/li/p.yaml"), config)
    request = PartRequest("p", config.accounts["li"], 0, post.parts[0].text)
    with pytest.raises(PlatformError) as refused:
        shared_kinds(request, post, 0, Ledger.parse(b""))
    assert (refused.value.message, refused.value.retryable, refused.value.kind) == (message, False, "invalid")


def test_only_the_first_part_of_a_post_is_the_repost(repo):
    """Lint refuses a repost with anything of its own; publish, with lint off, still never reposts twice."""
    from postops.platforms.base import PartRequest
    from postops.publish.engine import shared_kinds
    from postops.publish.ledger import Ledger
    from postops.repo.config import load_config
    from postops.repo.posts import build_post
    from postops.repo.yamlfile import parse

    config = load_config(repo.root)
    post = build_post(parse(b"account: csis\nrepost: https://x.com/a/status/1\nthread:\n  - And more\n",
                            "posts/csis/p.yaml"), config)
    asked = [shared_kinds(PartRequest("p", config.accounts["csis"], part, post.parts[part].text), post, part,
                          Ledger.parse(b"")).repost for part in (0, 1)]
    assert asked == ["https://x.com/a/status/1", None]
