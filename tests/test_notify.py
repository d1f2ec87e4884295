"""Alerts go out through the real Apprise library; its HTTP is answered by `responses`."""

from __future__ import annotations

import json

import pytest
import responses

from postops.errors import ConfigError
from postops.publish.notify import Alert, Notifier
from postops.repo.config import DEFAULT_ALERTS, AlertKind, NotifyTarget, load_config

HOOK = "https://hooks.example/alert"   # what Apprise's json:// scheme posts to, over https for jsons://
FAILED = Alert(AlertKind.FAILED, "official", "launch", "part 1 failed: X answered 403 (duplicate content)",
               "check the post and publish it again with a new id", "https://x.com/CSIS/status/1")


@responses.activate
def test_an_alert_reaches_a_json_webhook_with_the_account_post_link_and_next_step():
    responses.post(HOOK, json={})
    notifier = Notifier([NotifyTarget("POSTOPS_NOTIFY_COMMS")], {"POSTOPS_NOTIFY_COMMS": "jsons://hooks.example/alert"})
    assert notifier.problems() == []
    assert notifier.send([FAILED]) == []
    sent = json.loads(responses.calls[0].request.body)
    assert sent["title"] == "postops: failed launch on @official"
    assert sent["message"] == ("part 1 failed: X answered 403 (duplicate content)\nhttps://x.com/CSIS/status/1\n"
                               "Next: check the post and publish it again with a new id")


@responses.activate
def test_a_target_gets_only_the_kinds_it_asked_for_and_published_is_off_by_default():
    responses.post(HOOK, json={})
    published = Alert(AlertKind.PUBLISHED, "official", "launch", "published", "nothing")
    env = {"A": "jsons://hooks.example/alert"}
    assert Notifier([NotifyTarget("A")], env).send([published]) == []
    assert len(responses.calls) == 0
    Notifier([NotifyTarget("A", frozenset({AlertKind.PUBLISHED}))], env).send([published, FAILED])
    assert [json.loads(c.request.body)["title"] for c in responses.calls] == ["postops: published launch on @official"]


@responses.activate
def test_a_failing_service_is_reported_and_never_raises():
    responses.post(HOOK, status=500)
    failures = Notifier([NotifyTarget("A")], {"A": "jsons://hooks.example/alert"}).send([FAILED])
    assert failures == ["notify: A: postops: failed launch on @official: the service refused it"]


def test_a_sender_that_raises_is_reported_and_the_rest_still_go_out():
    sent = []

    def send(url: str, title: str, body: str) -> bool:
        if "launch" in title:
            raise OSError("connection reset")
        sent.append(title)
        return True

    other = Alert(AlertKind.MISSED, "official", "other", "missed", "reschedule it")
    failures = Notifier([NotifyTarget("A")], {"A": "json://x"}, send).send([FAILED, other])
    assert failures == ["notify: A: postops: failed launch on @official: not sent (connection reset)"]
    assert sent == ["postops: missed other on @official"]


def test_problems_name_the_variable_never_the_url():
    notifier = Notifier([NotifyTarget("UNSET"), NotifyTarget("BAD"), NotifyTarget("PLAIN")],
                        {"BAD": "slak://T000/B000/secret-token", "PLAIN": "hooks.example/secret"})
    problems = notifier.problems()
    assert problems == [
        "notify: UNSET is not set in the environment, so its alerts go nowhere",
        "notify: the URL in BAD has a scheme Apprise does not know or cannot read (slak://)",
        "notify: the URL in PLAIN is not an Apprise URL (expected e.g. slack://..., mailto://..., json://...)",
    ]
    assert not any("secret" in p for p in problems)


def test_notify_in_postops_yaml(repo):
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text()
               + "notify:\n  - to: POSTOPS_NOTIFY_COMMS\n  - to: POSTOPS_NOTIFY_ONCALL\n    on: [failed, missed]\n")
    config = load_config(repo.root)
    assert config.notify == (NotifyTarget("POSTOPS_NOTIFY_COMMS", DEFAULT_ALERTS),
                             NotifyTarget("POSTOPS_NOTIFY_ONCALL", frozenset({AlertKind.FAILED, AlertKind.MISSED})))
    assert AlertKind.PUBLISHED not in DEFAULT_ALERTS and len(DEFAULT_ALERTS) == len(AlertKind) - 1


@pytest.mark.parametrize(("entry", "line", "column"), [
    ("  - to: https://hooks.slack.com/services/T0/B0/secret\n", 15, 9),   # a URL where a variable name goes
    ("  - to: POSTOPS_NOTIFY\n    on: [failed, exploded]\n", 16, 18),      # an unknown event
])
def test_bad_notify_entries_are_config_errors_at_their_place(repo, entry, line, column):
    text = (repo.root / "postops.yaml").read_text()
    repo.auto_codeowners = False
    repo.write("postops.yaml", text + "notify:\n" + entry)
    with pytest.raises(ConfigError) as info:
        load_config(repo.root)
    assert (info.value.line, info.value.column) == (line, column)


@responses.activate
def test_an_alert_goes_out_from_a_process_forked_after_one_went_out():
    """A process forked after an alert (a mutation run forks one per mutant; a parent that sent alerts may
    fork anything) sends its own: Apprise's shared thread pool, whose threads a fork does not copy, would
    leave it waiting for ever on a thread that is not there."""
    import os
    import signal
    import time

    responses.post(HOOK, json={})
    notifier = Notifier([NotifyTarget("POSTOPS_NOTIFY_COMMS")], {"POSTOPS_NOTIFY_COMMS": "jsons://hooks.example/alert"})
    assert notifier.send([FAILED]) == []
    child = os.fork()
    if child == 0:
        try:
            os._exit(0 if notifier.send([FAILED]) == [] and len(responses.calls) == 2 else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    pytest.fail("the forked process was still sending its alert after 20 seconds")
