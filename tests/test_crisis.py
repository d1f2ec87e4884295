"""The crisis levers that need no pull request: pause and resume on the state branch, `postops retract`,
and `postops drill`, which rehearses them all."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gitfixtures import Repo, content_repo, post_yaml
from publishfixtures import no_lint

from postops.errors import UsageError
from postops.publish.commands import pause_on_branch, publish_command, resume_on_branch, retract_command

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)



class Desk:
    def __init__(self, repo: Repo, outbox: Path) -> None:
        self.repo, self.outbox = repo, outbox
        self.env = {"POSTOPS_OUTBOX_DIR": str(outbox), "GITHUB_ACTOR": "comms-lead"}

    def post(self, name: str, at: datetime, thread: list[str] | None = None) -> str:
        self.repo.write(f"posts/drill/{name}.yaml", post_yaml("drill", f"This is {name}", at.isoformat(), thread))
        return self.repo.commit(f"Add {name}", at - 20 * M)

    def publish(self, now: datetime) -> tuple[int, list[str]]:
        lines: list[str] = []
        code = publish_command(self.repo.root, now=now, dry_run=False, allow_mass_retract=False,
                               echo=lines.append, env=self.env, lint=no_lint)
        return code, lines

    def live(self) -> list[str]:
        return sorted(p.name for p in (self.outbox / "drill").glob("*.json"))

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.repo.ledger_events() if e["event"] == kind]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(content_repo(tmp_path, when=T - timedelta(days=1)), tmp_path / "outbox")


def test_a_pause_on_the_state_branch_holds_publishing_from_the_next_run_and_resume_lets_it_out(desk):
    desk.post("launch", T)
    lines: list[str] = []

    assert pause_on_branch(desk.repo.root, reason="Crisis response", now=T - 5 * M, echo=lines.append,
                           env=desk.env) == 0
    code, out = desk.publish(T + M)

    assert code == 0 and desk.live() == []
    assert "paused on the state branch by @comms-lead (GitHub): Crisis response: nothing new is published until " \
           "`postops resume --state-branch`" in out
    (paused,) = desk.events("paused")
    assert (paused["reason"], paused["by"]) == ("Crisis response", "@comms-lead (GitHub)")
    assert "main" in desk.repo.git("branch", "--all") and desk.repo.git("status", "--porcelain") == ""

    assert resume_on_branch(desk.repo.root, now=T + 2 * M, echo=lines.append, env=desk.env) == 0
    desk.publish(T + 3 * M)
    assert desk.live() == ["launch.0.json"]
    assert lines[-1] == "resumed on the state branch by @comms-lead (GitHub)"


def test_resume_with_no_pause_on_the_state_branch_changes_nothing(desk):
    lines: list[str] = []
    assert resume_on_branch(desk.repo.root, now=T, echo=lines.append, env=desk.env) == 0
    assert lines == ["publishing is not paused on the state branch"]
    assert desk.events("resumed") == []


def test_retract_takes_a_thread_down_now_records_who_and_why_and_the_id_never_comes_back(desk):
    desk.post("launch", T, thread=["second", "third"])
    desk.post("other", T + 30 * M)
    desk.publish(T + M)
    assert desk.live() == ["launch.0.json", "launch.1.json", "launch.2.json"]
    lines: list[str] = []

    # "other" comes due before the retraction runs: a retract run takes down and sends nothing else
    code = retract_command(desk.repo.root, posts=["launch"], since=None, account=None, reason="Wrong figures",
                           now=T + 40 * M, echo=lines.append, env=desk.env)

    assert code == 0, lines
    assert desk.live() == []
    assert lines[0] == "retract requested: launch @drill (Wrong figures)" and lines[-1] == "3 parts taken down"
    (request,) = desk.events("retract-requested")
    assert (request["post"], request["account"], request["by"], request["reason"]) == (
        "launch", "drill", "@comms-lead (GitHub)", "Wrong figures")
    assert [e["part"] for e in desk.events("retracted")] == [2, 1, 0]   # thread parts last to first
    # the file is still on main; the next runs neither republish it nor hold back the rest
    desk.publish(T + 41 * M)
    assert desk.live() == ["other.0.json"]


def test_retract_since_takes_down_what_went_out_since_on_one_account(desk):
    desk.post("early", T)
    desk.publish(T + M)
    desk.post("late", T + 60 * M)
    desk.publish(T + 61 * M)
    lines: list[str] = []

    assert retract_command(desk.repo.root, posts=[], since=T + 30 * M, account="drill", reason="Compromised",
                           now=T + 90 * M, echo=lines.append, env=desk.env) == 0

    assert desk.live() == ["early.0.json"]


@pytest.mark.parametrize(("posts", "since", "account", "reason", "message"), [
    (["nope"], None, None, "why", "not live on any account, so nothing to take down: nope"),
    ([], T + timedelta(days=1), None, "why", "is in the future"),
    ([], None, None, "why", "name the posts to take down, or --since TIME"),
    (["launch"], None, "nobody", "why", "--account nobody: no such account"),
    (["launch"], None, None, "  ", "say why"),
])
def test_bad_retract_requests_change_nothing(desk, posts, since, account, reason, message):
    desk.post("launch", T)
    desk.publish(T + M)

    with pytest.raises(UsageError) as caught:
        retract_command(desk.repo.root, posts=posts, since=since, account=account, reason=reason,
                        now=T + 2 * M, echo=lambda line: None, env=desk.env)

    assert message in caught.value.message
    assert desk.events("retract-requested") == [] and desk.live() == ["launch.0.json"]


def test_retracting_more_than_max_retractions_needs_the_override(tmp_path):
    desk = Desk(content_repo(tmp_path, when=T - timedelta(days=1), max_retractions=1), tmp_path / "outbox")
    desk.post("one", T)
    desk.post("two", T)
    desk.publish(T + M)
    lines: list[str] = []

    code = retract_command(desk.repo.root, posts=["one", "two"], since=None, account=None, reason="x",
                           now=T + 2 * M, echo=lines.append, env=desk.env)
    assert code == 1 and desk.live() == ["one.0.json", "two.0.json"]
    assert any(line.startswith("blocked") and "mass retraction" in line for line in lines)

    code = retract_command(desk.repo.root, posts=["one", "two"], since=None, account=None, reason="x",
                           now=T + 3 * M, echo=lines.append, env=desk.env, allow_mass_retract=True)
    assert code == 0 and desk.live() == []


def test_the_drill_rehearses_every_lever_and_says_how_long_each_took(desk):
    from postops.publish.drill import run_drill
    from postops.repo.config import load_config

    lines: list[str] = []
    refs = desk.repo.git("for-each-ref")
    assert run_drill(desk.repo.root, load_config(desk.repo.root), echo=lines.append, start=T) == 0

    assert [line.split(":")[0] for line in lines[:3]] == ["revert to deletion", "unmanaged to alert",
                                                          "pause to silence"]
    for line in lines[:3]:
        assert line.endswith(" s") and float(line.split(": ")[1][:-2]) >= 0
    timeline = "\n".join(lines[4:])
    for expected in ["published day-1", "published day-6", "published the wrong post",
                     "reverted the wrong post: deleted", "a post made in the app: found, alerted",
                     "day-7 held by the pause", "resumed: day-7 published"]:
        assert expected in timeline, timeline
    assert "NOT" not in timeline and "DESPITE" not in timeline
    assert desk.repo.git("status", "--porcelain") == "" and desk.repo.git("for-each-ref") == refs


def test_every_lever_is_in_postops_log(desk):
    import json

    from postops.publish.audit import log_command

    desk.post("launch", T)
    desk.publish(T + M)
    pause_on_branch(desk.repo.root, reason="Crisis response", now=T + 2 * M, echo=lambda line: None, env=desk.env)
    resume_on_branch(desk.repo.root, now=T + 3 * M, echo=lambda line: None, env=desk.env)
    retract_command(desk.repo.root, posts=["launch"], since=None, account=None, reason="Wrong figures",
                    now=T + 4 * M, echo=lambda line: None, env=desk.env)
    (desk.outbox / "drill" / "from-the-app.json").write_text(json.dumps({"text": "Posted in the app"}))
    from postops.publish.commands import watch_command
    watch_command(desk.repo.root, now=datetime.now(T.tzinfo), echo=lambda line: None, env=desk.env)
    lines: list[str] = []

    assert log_command(desk.repo.root, post=None, fmt="json", echo=lines.append, now=T + 10 * M) == 0

    trails = {t["post"]: [(e["event"], e["detail"]) for e in t["events"]] for t in json.loads("".join(lines))["posts"]}
    assert trails["(pause)"] == [
        ("paused", "on the state branch by @comms-lead (GitHub): Crisis response"),
        ("resumed", "on the state branch by @comms-lead (GitHub)")]
    assert ("retract-requested", "@drill: `postops retract` by @comms-lead (GitHub): Wrong figures; the id is never "
                                 "published again") in trails["launch"]
    assert [e for e, _ in trails["launch"]][-2:] == ["retract-requested", "retracted"]
    (unmanaged,) = trails["(unmanaged @drill from-the-app)"]
    assert unmanaged[0] == "unmanaged" and "'Posted in the app'" in unmanaged[1]


def test_status_shows_a_pause_on_the_state_branch_and_posts_made_outside_postops(desk):
    import json

    from postops.publish.commands import status_command, watch_command

    pause_on_branch(desk.repo.root, reason="Crisis response", now=T, echo=lambda line: None, env=desk.env)
    (desk.outbox / "drill").mkdir(parents=True)
    (desk.outbox / "drill" / "from-the-app.json").write_text(json.dumps({"text": "Posted in the app"}))
    watch_command(desk.repo.root, now=datetime.now(T.tzinfo), echo=lambda line: None, env=desk.env)
    text: list[str] = []
    data: list[str] = []

    assert status_command(desk.repo.root, fmt="text", now=T + M, echo=text.append, lint=no_lint) == 0
    assert status_command(desk.repo.root, fmt="json", now=T + M, echo=data.append, lint=no_lint) == 0

    lines = "".join(text).splitlines()
    assert lines[0] == ("paused on the state branch by @comms-lead (GitHub) since 2026-03-01 10:00 UTC: "
                        "Crisis response")
    assert lines[1].split()[:3] == ["unmanaged", "(outside", "postops)"] and "'Posted in the app'" in lines[1]
    shown = json.loads("".join(data))
    assert shown["paused"] == {"reason": "Crisis response", "by": "@comms-lead (GitHub)", "at": T.isoformat()}
    (found,) = shown["unmanaged"]
    assert (found["account"], found["platform_id"], found["text"]) == ("drill", "from-the-app", "Posted in the app")


def test_levers_pulled_on_the_state_branch_are_alerted(desk):
    import json

    import responses

    desk.repo.write("postops.yaml", (desk.repo.root / "postops.yaml").read_text()
                    + "notify:\n  - to: POSTOPS_NOTIFY_COMMS\n")
    desk.repo.commit("Tell the comms team", T - timedelta(hours=3))
    desk.post("launch", T)
    desk.env["POSTOPS_NOTIFY_COMMS"] = "jsons://hooks.example/alert"
    with responses.RequestsMock() as hooks:
        hooks.post("https://hooks.example/alert", json={})
        desk.publish(T + M)
        pause_on_branch(desk.repo.root, reason="Crisis response", now=T + 2 * M, echo=lambda line: None,
                        env=desk.env)
        resume_on_branch(desk.repo.root, now=T + 3 * M, echo=lambda line: None, env=desk.env)
        retract_command(desk.repo.root, posts=["launch"], since=None, account=None, reason="Wrong figures",
                        now=T + 4 * M, echo=lambda line: None, env=desk.env)
        titles = [json.loads(c.request.body)["title"] for c in hooks.calls]
    assert titles == ["postops: paused", "postops: resumed", "postops: retracted launch on @drill"]


def test_the_publish_job_started_by_hand_pulls_the_lever_it_was_given_then_publishes(desk):
    from postops.publish.commands import dispatch_command

    desk.post("launch", T)
    desk.post("later", T + 30 * M)
    desk.publish(T + M)
    lines: list[str] = []

    code = dispatch_command(desk.repo.root, now=T + 2 * M, echo=lines.append,
                            env={**desk.env, "POSTOPS_ACTION": "retract", "POSTOPS_POSTS": "launch",
                                 "POSTOPS_REASON": "Wrong figures"})
    assert code == 0, lines
    assert desk.live() == [] and desk.events("retract-requested")[0]["by"] == "@comms-lead (GitHub)"

    code = dispatch_command(desk.repo.root, now=T + 3 * M, echo=lines.append,
                            env={**desk.env, "POSTOPS_ACTION": "pause", "POSTOPS_REASON": "Crisis"})
    assert code == 0 and len(desk.events("paused")) == 1
    dispatch_command(desk.repo.root, now=T + 31 * M, echo=lines.append, env={**desk.env, "POSTOPS_ACTION": ""})
    assert desk.live() == []                       # an ordinary run while paused: nothing new goes out
    dispatch_command(desk.repo.root, now=T + 32 * M, echo=lines.append, env={**desk.env, "POSTOPS_ACTION": "resume"})
    assert desk.live() == ["later.0.json"]


@pytest.mark.parametrize(("env", "message"), [
    ({"POSTOPS_ACTION": "explode"}, "POSTOPS_ACTION='explode': use one of publish, pause, resume, retract"),
    ({"POSTOPS_ACTION": "pause"}, "POSTOPS_ACTION=pause needs POSTOPS_REASON"),
    ({"POSTOPS_ACTION": "publish", "POSTOPS_POSTS": "launch"}, "are for POSTOPS_ACTION=retract"),
    ({"POSTOPS_ALLOW_MASS_RETRACT": "true"}, "POSTOPS_ALLOW_MASS_RETRACT needs POSTOPS_REASON"),
    ({"POSTOPS_ACTION": "retract", "POSTOPS_REASON": "x", "POSTOPS_SINCE": "yesterday"}, "not a time"),
])
def test_a_lever_given_wrongly_changes_nothing(desk, env, message):
    from postops.publish.commands import dispatch_command

    desk.post("launch", T)
    with pytest.raises(UsageError) as caught:
        dispatch_command(desk.repo.root, now=T + M, echo=lambda line: None, env={**desk.env, **env})
    assert message in caught.value.message
    assert desk.live() == [] and desk.repo.ledger_events() == []
