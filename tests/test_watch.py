"""Posts made outside postops: found on the account, recorded once, judged, alerted and, if asked, deleted.

The outbox stands in for the account: a JSON file with a `text` that postops did not write is a post made
in an app by someone signed in to the official account."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import content_repo, post_yaml
from publishfixtures import no_lint

from postops.lint.findings import Finding
from postops.platforms.outbox import OutboxPlatform
from postops.publish.commands import publish_command
from postops.publish.ledger import Store
from postops.publish.watch import WATCH_UNAVAILABLE, watch
from postops.repo.config import load_config

NOW = datetime.now(UTC)   # the outbox dates a post by its file's time, which is the real clock's



def judge(account: str, text: str) -> list[Finding]:
    """The organisation's policies, reduced to one banned phrase."""
    if "suck it" not in text.lower():
        return []
    return [Finding(f"unmanaged/{account}", 1, 1, "banned-phrases", "error", "Official accounts don't say 'suck it'")]


class Account:
    def __init__(self, tmp_path: Path, unmanaged: str = "report") -> None:
        self.repo = content_repo(tmp_path, when=NOW - timedelta(days=1))
        config = (self.repo.root / "postops.yaml").read_text().replace(
            "    path: .postops/outbox\n  drill2:", f"    path: .postops/outbox\n    unmanaged: {unmanaged}\n  drill2:")
        self.repo.write("postops.yaml", config)
        self.repo.commit("Watch the drill account", NOW - timedelta(days=1))
        self.outbox = tmp_path / "outbox"
        self.env = {"POSTOPS_OUTBOX_DIR": str(self.outbox)}

    def publish_one(self) -> None:
        self.repo.write("posts/drill/ours.yaml", post_yaml("drill", "Ours, reviewed and merged",
                                                            (NOW - timedelta(hours=1)).isoformat()))
        self.repo.commit("A post", NOW - timedelta(hours=2))
        lines: list[str] = []
        assert publish_command(self.repo.root, now=NOW, dry_run=False, allow_mass_retract=False,
                               echo=lines.append, env=self.env, lint=no_lint) == 0, lines

    def post_in_the_app(self, name: str, text: str) -> Path:
        path = self.outbox / "drill" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"text": text}))
        return path

    def watch(self):  # type: ignore[no-untyped-def]
        config = load_config(self.repo.root)
        platforms = {"drill": OutboxPlatform(config.accounts["drill"], self.repo.root, self.env)}
        return watch(Store(self.repo.root, config.state_branch, "origin"), config, now=NOW,
                     platforms=platforms, judge=judge, run="run-1", by="test")

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.repo.ledger_events() if e["event"] == kind]


def test_a_post_made_in_the_app_is_found_recorded_once_and_alerted(tmp_path):
    account = Account(tmp_path)
    account.publish_one()
    account.post_in_the_app("from-the-app", "Suck it, @amnesty")

    first = account.watch()

    assert first.exit_code == 1
    assert first.lines[0].startswith("unmanaged @drill at ") and first.lines[0].endswith(
        '/outbox/drill/from-the-app.json: "Suck it, @amnesty"')
    assert first.lines[1] == "    error [banned-phrases] Official accounts don't say 'suck it'"
    (alert,) = first.alerts
    assert alert.kind == "unmanaged" and alert.account == "drill" and alert.url.endswith("from-the-app.json")
    (event,) = account.events("unmanaged")
    assert (event["account"], event["platform_id"], event["text"], event["action"]) == (
        "drill", "from-the-app", "Suck it, @amnesty", "report")
    assert event["findings"] == ["error [banned-phrases] Official accounts don't say 'suck it'"]
    assert (account.outbox / "drill" / "from-the-app.json").exists()   # report only: left where it is

    second = account.watch()
    assert (second.exit_code, second.lines, second.alerts) == (0, (), ())
    assert len(account.events("unmanaged")) == 1


def test_what_postops_published_is_not_unmanaged(tmp_path):
    account = Account(tmp_path)
    account.publish_one()

    outcome = account.watch()

    assert (outcome.exit_code, outcome.lines) == (0, ())
    assert account.events("unmanaged") == []


@pytest.mark.parametrize(("policy", "text", "deleted"), [
    ("delete", "Lunch was nice", True),
    ("delete-if-violating", "Lunch was nice", False),
    ("delete-if-violating", "Suck it, @amnesty", True),
])
def test_an_account_can_ask_for_unmanaged_posts_to_be_taken_down(tmp_path, policy, text, deleted):
    account = Account(tmp_path, unmanaged=policy)
    account.post_in_the_app("from-the-app", text)

    outcome = account.watch()

    assert outcome.exit_code == 1
    assert (account.outbox / "drill" / "retracted" / "from-the-app.json").exists() is deleted
    assert (account.outbox / "drill" / "from-the-app.json").exists() is not deleted
    (event,) = account.events("unmanaged")
    assert event["action"] == ("delete" if deleted else "report")
    assert any("deleted from @drill" in line for line in outcome.lines) is deleted
    assert outcome.alerts[0].next_step.startswith("it was deleted") is deleted


def test_a_post_that_may_be_an_open_claims_own_is_left_for_the_next_run(tmp_path):
    account = Account(tmp_path)
    config = load_config(account.repo.root)
    store = Store(account.repo.root, config.state_branch, "origin")
    ledger = store.read(fetch=True)
    claim = {"event": "claimed", "post": "ours", "account": "drill", "part": 0, "hash": "h", "commit": "c",
             "run": "dead-run", "by": "elsewhere:1:x", "at": (NOW - timedelta(minutes=1)).isoformat(),
             "lease_until": (NOW + timedelta(minutes=9)).isoformat()}
    assert store.append(ledger, [claim], "a claim whose publisher died after posting") is not None
    account.post_in_the_app("ours.0", "Ours, reviewed and merged")

    outcome = account.watch()

    assert (outcome.exit_code, outcome.lines) == (0, ())
    assert account.events("unmanaged") == []


class Unreadable:
    def recent(self, since: datetime) -> list:
        from postops.platforms.base import PlatformError

        raise PlatformError("reading drill's recent posts: these credentials cannot read the account's posts",
                            retryable=False, kind="unavailable")


def test_an_account_whose_posts_cannot_be_read_is_said_once(tmp_path):
    account = Account(tmp_path)
    config = load_config(account.repo.root)
    store = Store(account.repo.root, config.state_branch, "origin")

    def run():  # type: ignore[no-untyped-def]
        return watch(store, config, now=NOW, platforms={"drill": Unreadable()}, judge=judge, run="r", by="t")

    first = run()
    assert first.exit_code == 1
    assert first.lines == ("watch @drill: reading drill's recent posts: these credentials cannot read the "
                           "account's posts",)
    assert len(account.events(WATCH_UNAVAILABLE)) == 1
    second = run()
    assert (second.exit_code, second.lines) == (0, ())
    assert len(account.events(WATCH_UNAVAILABLE)) == 1


def test_the_organisations_policies_judge_a_post_made_outside_postops(tmp_path):
    from postops.lint.engine import lint_text
    from postops.scaffold.init import init_repo

    init_repo(tmp_path, force=False, now=datetime(2026, 11, 23, 12, tzinfo=UTC))
    config = load_config(tmp_path)

    findings = lint_text(tmp_path, config, "official", "Suck it, @amnesty")
    clean = lint_text(tmp_path, config, "official", "Our annual report is out.")

    rules = {f.rule for f in findings}
    assert {"banned-phrases", "official-mentions"} <= rules
    assert all(f.path == "posts/official/unmanaged.yaml" and f.line == 2 for f in findings)
    assert not {"account-folder", "publish-at", "duplicate-id"} & rules
    assert [f for f in clean if f.severity == "error"] == []


def test_postops_watch_and_every_publish_run_find_it_and_alert(tmp_path, monkeypatch):
    import responses
    from click.testing import CliRunner

    from postops.cli import main

    account = Account(tmp_path)
    account.repo.write("postops.yaml", (account.repo.root / "postops.yaml").read_text()
                       + "notify:\n  - to: POSTOPS_NOTIFY_COMMS\n")
    account.repo.commit("Tell the comms team", NOW - timedelta(days=1))
    env = account.env = {**account.env, "POSTOPS_NOTIFY_COMMS": "jsons://hooks.example/alert"}
    with responses.RequestsMock() as hooks:   # published is not among the default alerts
        account.publish_one()
    account.post_in_the_app("from-the-app", "Lunch was nice")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with responses.RequestsMock() as hooks:
        hooks.post("https://hooks.example/alert", json={})
        first = CliRunner().invoke(main, ["watch", "--repo", str(account.repo.root)])
        assert [json.loads(c.request.body)["title"] for c in hooks.calls] == ["postops: unmanaged on @drill"]
    assert first.exit_code == 1, first.output
    assert "unmanaged @drill" in first.output and "Lunch was nice" in first.output

    account.post_in_the_app("another", "Second one")
    with responses.RequestsMock() as hooks:
        hooks.post("https://hooks.example/alert", json={})
        lines: list[str] = []
        code = publish_command(account.repo.root, now=NOW, dry_run=False, allow_mass_retract=False,
                               echo=lines.append, env=env, lint=no_lint)
        assert len(hooks.calls) == 1 and "Second one" in json.loads(hooks.calls[0].request.body)["message"]
    assert code == 1 and any(line.startswith("unmanaged @drill") and "Second one" in line for line in lines)
    assert len(account.events("unmanaged")) == 2


def test_a_notify_url_apprise_cannot_use_is_said_and_publishing_goes_on(tmp_path):
    account = Account(tmp_path)
    account.repo.write("postops.yaml", (account.repo.root / "postops.yaml").read_text()
                       + "notify:\n  - to: POSTOPS_NOTIFY_COMMS\n")
    account.repo.commit("Tell the comms team", NOW - timedelta(days=1))
    account.repo.write("posts/drill/ours.yaml", post_yaml("drill", "Ours", (NOW - timedelta(hours=1)).isoformat()))
    account.repo.commit("A post", NOW - timedelta(hours=2))
    lines: list[str] = []

    code = publish_command(account.repo.root, now=NOW, dry_run=False, allow_mass_retract=False,
                           echo=lines.append, env={**account.env, "POSTOPS_NOTIFY_COMMS": "slak://T0/B0/secret"},
                           lint=no_lint)

    assert code == 1
    assert "notify: the URL in POSTOPS_NOTIFY_COMMS has a scheme Apprise does not know or cannot read (slak://)" in lines
    assert not any("secret" in line for line in lines)
    assert (account.outbox / "drill" / "ours.0.json").exists()


def test_accounts_without_credentials_here_are_not_watched_and_the_rest_are(tmp_path):
    from postops.publish.commands import watch_command

    account = Account(tmp_path)
    account.repo.write("postops.yaml", (account.repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", "accounts:\n  official:\n    platform: x\n    handle: \"@Official\"\n    credentials: POSTOPS_OFFICIAL\n"))
    account.repo.commit("An X account whose secrets only the publish job has", NOW - timedelta(days=1))
    account.post_in_the_app("from-the-app", "Lunch was nice")
    lines: list[str] = []

    assert watch_command(account.repo.root, now=NOW, echo=lines.append, env=account.env) == 1

    assert lines[0].startswith("watch @official: not watched here: ") and "POSTOPS_OFFICIAL" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("unmanaged @drill")


def test_a_bluesky_record_is_known_whatever_its_content_id(tmp_path):
    from postops.platforms.base import RemotePost
    from postops.publish.ledger import Ledger
    from postops.publish.watch import find_unmanaged

    uri = "at://did:plc:x/app.bsky.feed.post/3lkey"
    ledger = Ledger.parse((json.dumps({"event": "published", "post": "p", "account": "sky", "part": 0,
                                       "platform_id": f"{uri}|bafyold", "run": "r"}) + "\n").encode())

    class Sky:
        def recent(self, since: datetime) -> list[RemotePost]:
            return [RemotePost(f"{uri}|bafynew", "ours"), RemotePost(f"{uri}x|bafy", "theirs")]

    result = find_unmanaged(ledger, {"sky": Sky()}, lambda account, text: [], NOW)
    assert [u.post.text for u in result.found] == ["theirs"]


def test_a_ledger_older_than_the_branch_never_takes_down_what_postops_published_meanwhile(tmp_path):
    """publish hands watch the ledger it ended with, to spare a fetch. Had another publisher published since,
    that ledger does not know the post: watch must look again before it records or deletes anything."""
    account = Account(tmp_path, unmanaged="delete")
    config = load_config(account.repo.root)
    store = Store(account.repo.root, config.state_branch, "origin")
    before = store.read(fetch=True)
    account.publish_one()                      # another run, after `before` was read
    (ours,) = (account.outbox / "drill").glob("ours*.json")

    platforms = {"drill": OutboxPlatform(config.accounts["drill"], account.repo.root, account.env)}
    outcome = watch(store, config, now=NOW, platforms=platforms, judge=judge, run="run-1", by="test", ledger=before)

    assert (outcome.exit_code, outcome.lines, outcome.alerts) == (0, (), ())
    assert ours.exists() and not (account.outbox / "drill" / "retracted").exists()
    assert account.events("unmanaged") == []


@pytest.mark.parametrize("where", ["postops.yaml", "state branch"])
def test_while_paused_nothing_is_taken_down_not_even_where_the_account_asks(tmp_path, where):
    """In a crisis the team pauses postops and posts a holding statement by hand: watch must report it, not
    delete it, whichever way publishing was paused."""
    from postops.publish.commands import pause_on_branch

    account = Account(tmp_path, unmanaged="delete")
    if where == "postops.yaml":
        account.repo.write("postops.yaml", (account.repo.root / "postops.yaml").read_text().replace(
            "paused: null", "paused: {reason: Crisis response}"))
        account.repo.commit("Pause", NOW - timedelta(hours=3))
    else:
        pause_on_branch(account.repo.root, reason="Crisis response", now=NOW - timedelta(hours=3),
                        echo=lambda line: None, env={**account.env, "GITHUB_ACTOR": "comms-lead"})
    statement = account.post_in_the_app("holding-statement", "We are aware and will update within the hour")

    outcome = account.watch()

    assert outcome.exit_code == 1 and statement.exists()
    assert not (account.outbox / "drill" / "retracted").exists()
    assert outcome.lines[0].startswith("unmanaged @drill")
    assert outcome.lines[1] == "    not deleted (unmanaged: delete) while publishing is paused: " + (
        "Crisis response" if where == "postops.yaml" else
        "Crisis response (paused on the state branch by @comms-lead (GitHub))")
    assert outcome.alerts[0].next_step.startswith("postops deletes nothing while paused")
    (event,) = account.events("unmanaged")
    assert event["action"] == "report"


def test_postops_watch_where_no_account_can_be_watched_says_nothing_was_looked_at(tmp_path):
    from postops.publish.commands import watch_command

    account = Account(tmp_path)
    text = (account.repo.root / "postops.yaml").read_text()
    head, rest = text.split("accounts:\n", 1)
    account.repo.write("postops.yaml", head + "accounts:\n  official:\n    platform: x\n    handle: \"@Official\"\n"
                       "    credentials: POSTOPS_OFFICIAL\n" + rest[rest.index("publish:"):])
    account.repo.commit("Only an X account, whose secrets only the publish job has", NOW - timedelta(days=1))
    lines: list[str] = []

    code = watch_command(account.repo.root, now=NOW, echo=lines.append, env=account.env)

    assert code == 1, lines
    assert "nothing posted outside postops" not in lines
    assert lines[-1] == "watch: nothing was looked at: no account's credentials are here"
    assert all(line.startswith("watch @") for line in lines[:-1]) and lines[:-1]


def test_postops_watch_where_no_account_can_be_read_says_nothing_was_looked_at_every_time(tmp_path):
    """Credentials that cannot read the account's posts are said once, then skipped quietly: `postops watch`
    on its own then said 'nothing posted outside postops' and exited 0, having read nothing."""
    from postops.publish.commands import watch_command

    account = Account(tmp_path)
    lines: list[str] = []

    def run() -> int:
        lines.clear()
        return watch_command(account.repo.root, now=NOW, echo=lines.append, env=account.env,
                             platforms=lambda *args: Unreadable())

    assert run() == 1 and lines[0].startswith("watch @drill: reading drill's recent posts: these credentials")
    assert run() == 1
    assert lines == ["watch: nothing was looked at: the posts of @drill, @drill2 cannot be read here"]


def test_postops_watch_names_the_accounts_it_did_not_look_at_when_it_finds_nothing(tmp_path):
    from postops.publish.commands import watch_command

    account = Account(tmp_path)
    config = load_config(account.repo.root)
    said = watch(Store(account.repo.root, config.state_branch, "origin"), config, now=NOW, run="r", by="t",
                 platforms={"drill2": Unreadable()}, judge=judge)
    assert said.exit_code == 1                              # said once, in an earlier run

    def platforms(acct, root, env):  # type: ignore[no-untyped-def]
        return Unreadable() if acct.key == "drill2" else OutboxPlatform(acct, root, env)

    lines: list[str] = []
    assert watch_command(account.repo.root, now=NOW, echo=lines.append, env=account.env, platforms=platforms) == 0
    assert lines == ["nothing posted outside postops (not looked at: @drill2)"]


def test_a_pause_that_lands_after_watch_read_the_ledger_still_stops_the_deletion(tmp_path):
    """publish hands watch the ledger it read; a pause pulled on the state branch since then moves the branch,
    so watch's record fails and it reads again, paused, before deleting anything."""
    from postops.publish.commands import pause_on_branch

    account = Account(tmp_path, unmanaged="delete")
    config = load_config(account.repo.root)
    store = Store(account.repo.root, config.state_branch, "origin")
    before = store.read(fetch=True)
    pause_on_branch(account.repo.root, reason="Crisis response", now=NOW - timedelta(minutes=1),
                    echo=lambda line: None, env={**account.env, "GITHUB_ACTOR": "comms-lead"})
    statement = account.post_in_the_app("holding-statement", "We are aware and will update within the hour")

    platforms = {"drill": OutboxPlatform(config.accounts["drill"], account.repo.root, account.env)}
    outcome = watch(store, config, now=NOW, platforms=platforms, judge=judge, run="run-1", by="test", ledger=before)

    assert statement.exists() and not (account.outbox / "drill" / "retracted").exists()
    assert outcome.lines[1] == "    not deleted (unmanaged: delete) while publishing is paused: Crisis response " \
                               "(paused on the state branch by @comms-lead (GitHub))"
    assert [e["action"] for e in account.events("unmanaged")] == ["report"]
