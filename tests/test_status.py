from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from gitfixtures import content_repo, post_yaml
from publishfixtures import no_lint

from postops.publish.commands import publish_command, status_command

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)



def test_status_reports_every_state(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    env = {"POSTOPS_OUTBOX_DIR": str(outbox)}
    repo.write("posts/drill/live.yaml", post_yaml("drill", "live", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill/gone.yaml", post_yaml("drill", "gone", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill/late.yaml", post_yaml("drill", "late", "2026-03-01T01:00:00Z"))
    repo.write("posts/drill/broken.yaml", post_yaml("drill", "broken", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill/later.yaml", post_yaml("drill", "later", "2026-03-02T09:00:00Z"))
    repo.write("posts/drill/rude.yaml", post_yaml("drill", "rude", "2026-03-01T09:00:00Z"))
    repo.commit("Add posts", T - 120 * M)
    (outbox / "drill").mkdir(parents=True)
    (outbox / "drill" / "broken.0.json").write_text("{}")

    def lint(root: Path, config: object) -> dict:
        return {"rude": [("error", "[no-insults] no")]}

    assert publish_command(repo.root, now=T, dry_run=False, allow_mass_retract=False, echo=lambda s: None,
                           env=env, lint=lint) == 1
    repo.remove("posts/drill/gone.yaml")
    repo.commit("Remove gone", T + M)
    assert publish_command(repo.root, now=T + 2 * M, dry_run=False, allow_mass_retract=False,
                           echo=lambda s: None, env=env, lint=lint) == 1   # broken fails again
    lines: list[str] = []
    assert status_command(repo.root, fmt="json", now=T + 3 * M, echo=lines.append, lint=lint) == 0
    document = json.loads(lines[0])
    assert document["version"] == 1
    states = {p["post"]: p for p in document["posts"]}
    assert {k: v["state"] for k, v in states.items()} == {
        "live": "published", "gone": "retracted", "late": "missed", "broken": "failed", "later": "scheduled",
        "rude": "blocked"}
    assert states["live"]["url"].endswith("/drill/live.0.json")
    assert states["live"]["published_at"] == T.isoformat()
    assert "already in the outbox" in states["broken"]["error"]
    assert states["rude"]["error"] == "lint: [no-insults] no"
    assert states["live"]["parts"][0]["platform_id"] == "live.0"
    text: list[str] = []
    assert status_command(repo.root, fmt="text", now=T + 3 * M, echo=text.append, lint=lint) == 0
    assert any(line.startswith("published  live") for line in "\n".join(text).splitlines())


def test_in_doubt_claims_show_as_in_doubt(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, when=T - timedelta(days=1))
    repo.write("posts/drill/a.yaml", post_yaml("drill", "a", "2026-03-01T09:00:00Z"))
    repo.commit("Add", T - 120 * M)
    from postops.publish.ledger import Store
    store = Store(repo.root, "postops/state", None)
    store.append(store.read(), [{"event": "claimed", "post": "a", "account": "drill", "part": 0, "run": "r",
                                 "by": "elsewhere:1", "lease_until": (T - M).isoformat()}], "claim")
    lines: list[str] = []
    assert status_command(repo.root, fmt="json", now=T, echo=lines.append, lint=no_lint) == 0
    assert json.loads(lines[0])["posts"][0]["state"] == "in-doubt"


def test_status_warns_about_ledger_lines_it_cannot_read(tmp_path):
    from postops.publish.ledger import Store
    from postops.repo import git

    repo = content_repo(tmp_path, remote=False)
    ledger = Store(repo.root, "postops/state", None).read()
    commit = git.commit_file(repo.root, "ledger.jsonl", b"{not json\n", ledger.tip, "damaged")
    assert git.compare_and_swap(repo.root, "refs/heads/postops/state", commit, ledger.tip)
    out: list[str] = []
    err: list[str] = []
    assert status_command(repo.root, fmt="text", now=None, echo=out.append, err=err.append) == 0
    assert err == [("warning: 1 line(s) of the ledger on postops/state cannot be read and were skipped; "
                    "see `git log -p postops/state`")]


def test_status_warns_of_a_page_token_that_expires_within_two_weeks(tmp_path: Path) -> None:
    import responses

    # debug_token's answer: https://developers.facebook.com/docs/graph-api/reference/debug_token
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  fb:\n    platform: facebook\n    page_id: '104729381234567'\n"
                       "    credentials: POSTOPS_FB\n  news:\n    platform: facebook\n    page_id: '1047293'\n"
                       "    credentials: POSTOPS_NEWS\n", 1)
    repo.write("postops.yaml", config)
    repo.commit("Add the pages", T - M)
    token = "EAAGm0PX4ZCpsBAHxZBtQ9kLp2RfY7nBc4HjD6"
    env = {"POSTOPS_FB_PAGE_TOKEN": token}          # news has no token here: not asked about
    expires = T + timedelta(days=9, hours=3)
    out: list[str] = []
    err: list[str] = []
    with responses.RequestsMock() as http:
        http.get("https://graph.facebook.com/v26.0/debug_token", json={"data": {
            "app_id": "138483919580948", "type": "PAGE", "expires_at": int(expires.timestamp()), "is_valid": True,
            "profile_id": "104729381234567", "scopes": ["pages_manage_posts"]}})
        assert status_command(repo.root, fmt="text", now=T, echo=out.append, err=err.append, lint=no_lint,
                              env=env) == 0
        http.get("https://graph.facebook.com/v26.0/debug_token", json={"data": {
            "type": "PAGE", "expires_at": int((T + timedelta(days=15)).timestamp()), "is_valid": True}})
        later: list[str] = []
        assert status_command(repo.root, fmt="text", now=T, echo=out.append, err=later.append, lint=no_lint,
                              env=env) == 0
    assert err == [("warning: the token of account fb expires in 9 days (2026-03-10 13:00 UTC): make a new one "
                    "before then (docs/platforms-facebook.md)")]
    assert later == []
    assert not any(token in line for line in out + err)
