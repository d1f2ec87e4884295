"""A post without publish_at is due min_lead after it was merged, and is missed max_delay after that."""

from __future__ import annotations

from datetime import datetime, timedelta

from gitfixtures import content_repo, post_yaml
from publishfixtures import run

from postops.platforms.base import Published

MERGED = datetime.fromisoformat("2026-02-01T09:00:00+00:00")   # min_lead 10m, max_delay 6h (gitfixtures)


class Recorder:
    sent: list[str] = []  # noqa: RUF012 - reset by each test

    def __init__(self, *args: object) -> None:
        pass

    def publish(self, request) -> Published:  # type: ignore[no-untyped-def]
        Recorder.sent.append(request.text)
        return Published(platform_id=f"{request.post_id}-{request.part}")


def test_a_post_without_publish_at_found_days_late_is_missed_not_sent(tmp_path):
    # the publisher was down for a week: "we are live now" must not go out a week later
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/live.yaml", post_yaml("drill", "We are live now"))
    repo.commit("a post for now", MERGED)
    Recorder.sent = []
    result, _ = run(repo, MERGED + timedelta(days=7), Recorder, {})
    assert Recorder.sent == []
    assert [(o.what.value, o.post, o.detail) for o in result.outcomes] == [
        ("missed", "live", "due 2026-02-01T09:10:00+00:00 (merged, plus min_lead), more than 6h ago: never "
                           "published late")]
    assert [e["event"] for e in repo.ledger_events() if e.get("post") == "live"] == ["missed"]
    # recorded once: the next run neither sends it nor records it again
    again, _ = run(repo, MERGED + timedelta(days=7, minutes=5), Recorder, {})
    assert Recorder.sent == [] and again.outcomes == []
    assert [e["event"] for e in repo.ledger_events() if e.get("post") == "live"] == ["missed"]


def test_a_post_without_publish_at_within_max_delay_is_sent(tmp_path):
    repo = content_repo(tmp_path, remote=False)
    repo.write("posts/drill/live.yaml", post_yaml("drill", "We are live now"))
    repo.commit("a post for now", MERGED)
    Recorder.sent = []
    run(repo, MERGED + timedelta(hours=6), Recorder, {})
    assert Recorder.sent == ["We are live now"]
