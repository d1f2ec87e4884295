"""A Mastodon instance's own limits: read from the server by `postops limits --refresh` into the committed
postops.limits.yaml, which lint reads offline (postops.yaml's settings win); checked again against the
server's limits as they are now before publish sends anything.

The fake server answers as Mastodon's documentation says: GET /api/v2/instance gives the limits in
`configuration` (https://docs.joinmastodon.org/entities/Instance/#configuration; no token needed), and
POST /api/v1/statuses answers 422 "Validation failed: Text character limit of N exceeded" for a longer
text (https://docs.joinmastodon.org/methods/statuses/#create, 422 Unprocessable entity).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from conftest import CONFIG
from gitfixtures import content_repo
from test_platform_mastodon import status

from postops.errors import ConfigError
from postops.platforms.mastodon import MastodonPlatform
from postops.publish.commands import status_command
from postops.publish.engine import publish
from postops.repo.config import load_config
from postops.repo.limits import LIMITS_FILE, limits_command

BASE = "https://mastodon.example"
INSTANCE = f"{BASE}/api/v2/instance"
STATUSES = f"{BASE}/api/v1/statuses"
T = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def instance(max_characters: int = 500, **polls: int) -> dict:
    """GET /api/v2/instance as the documentation's example gives it, with these limits."""
    return {"domain": "mastodon.example", "title": "Mastodon", "version": "4.3.0", "configuration": {
        "urls": {"streaming": "wss://mastodon.example"},
        "accounts": {"max_featured_tags": 10},
        "statuses": {"max_characters": max_characters, "max_media_attachments": 4,
                     "characters_reserved_per_url": 23},
        "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png"], "image_size_limit": 10485760,
                              "image_matrix_limit": 16777216, "video_size_limit": 41943040,
                              "video_frame_rate_limit": 60, "video_matrix_limit": 2304000},
        "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                  "max_expiration": 2629746, **polls},
        "translation": {"enabled": True}}}


class FakeMastodon:
    """Mastodon's documented answers, from one instance configuration: what it says its limits are is what it
    enforces (text length only: what these tests send)."""

    def __init__(self, mock: responses.RequestsMock, configuration: dict) -> None:
        self.configuration = configuration
        self.created: list[str] = []
        mock.get(INSTANCE, json=configuration)
        mock.add_callback(responses.POST, STATUSES, callback=self._create)

    def _create(self, request):  # type: ignore[no-untyped-def]
        text = parse_qs(request.body)["status"][0]
        limit = self.configuration["configuration"]["statuses"]["max_characters"]
        if len(text) > limit:
            return 422, {}, json.dumps({"error": f"Validation failed: Text character limit of {limit} exceeded"})
        self.created.append(text)
        return 200, {}, json.dumps(status(str(113541234567890001 + len(self.created)), content=f"<p>{text}</p>"))


def lint(repo, text: str, limits_file: str | None = None, account: str = "social", extra: str = ""):
    repo.write("postops.yaml", CONFIG + extra)
    if limits_file is not None:
        repo.write(LIMITS_FILE, limits_file)
    shutil.rmtree(repo.root / "posts", ignore_errors=True)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: \"{text}\"\n")
    return [(f.rule, f.message) for f in repo.lint().findings]


CACHED = f"""\
version: 1
accounts:
  social:
    instance: {BASE}
    read_at: '2026-11-20T09:00:00+00:00'
    statuses:
      max_characters: 1000
      characters_reserved_per_url: 30
    polls:
      max_options: 2
"""


# -- lint reads the committed file; postops.yaml wins -------------------------------------------------


def test_lint_holds_a_post_to_the_limits_in_postops_limits_yaml(repo):
    # Mastodon's default is 500: without the file, 600 characters are refused
    assert lint(repo, "x" * 600) == [("text-length", "text is 600/500 characters on Mastodon (account social)")]
    assert lint(repo, "x" * 1000, CACHED) == []
    assert lint(repo, "x" * 1001, CACHED) == [
        ("text-length", "text is 1001/1000 characters on Mastodon (account social)")]
    # characters_reserved_per_url: "Each URL in a status will be assumed to be exactly this many characters"
    assert lint(repo, "x" * 969 + " https://example.org/a", CACHED) == []          # 969 + 1 + 30
    assert lint(repo, "x" * 970 + " https://example.org/a", CACHED) == [
        ("text-length", "text is 1001/1000 characters on Mastodon (account social)")]


def test_a_poll_is_held_to_the_instances_poll_limits(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED)
    repo.write("posts/social/p.yaml", "account: social\ntext: Which?\npoll: {options: [A, B, C], duration: 1d}\n")
    assert [(f.line, f.message) for f in repo.lint().findings if f.rule == "poll"] == [
        (3, "a poll on Mastodon has 2 to 2 options, not 3 (account social)")]


def test_postops_yaml_limits_win_over_the_file(repo):
    own = CONFIG.replace(f"    instance: {BASE}\n", f"    instance: {BASE}\n    limits:\n      statuses:\n"
                                                       "        max_characters: 700\n", 1)
    assert own != CONFIG
    repo.write(LIMITS_FILE, CACHED)
    repo.write("postops.yaml", own)
    repo.write("posts/social/p.yaml", "account: social\ntext: \"" + "x" * 701 + "\"\n")
    assert [f.message for f in repo.lint().findings] == ["text is 701/700 characters on Mastodon (account social)"]


def test_a_file_read_from_another_instance_is_refused_with_its_line(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED.replace(BASE, "https://old.example"))
    with pytest.raises(ConfigError) as caught:
        load_config(repo.root)
    assert (caught.value.path, caught.value.line) == (LIMITS_FILE, 3)
    assert "postops limits --refresh social" in caught.value.message


def test_a_malformed_file_is_refused_with_its_line(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED.replace("max_options: 2", "max_options: two"))
    with pytest.raises(ConfigError) as caught:
        load_config(repo.root)
    assert (caught.value.path, caught.value.line) == (LIMITS_FILE, 10)


# -- postops limits --refresh / --check ---------------------------------------------------------------


@responses.activate
def test_refresh_writes_what_the_instance_says_and_lint_then_uses_it(repo):
    repo.write("postops.yaml", CONFIG)
    responses.get(INSTANCE, json=instance(max_characters=5000, max_options=6))
    lines: list[str] = []
    assert limits_command(repo.root, ["social"], refresh=True, check=False, echo=lines.append, now=T) == 0
    assert not [c for c in responses.calls if "Authorization" in c.request.headers]   # public: no token
    written = (repo.root / LIMITS_FILE).read_text()
    assert "max_characters: 5000" in written and "max_options: 6" in written and "read_at: '2026-11-24T14:00:00+00:00'" in written
    assert any("statuses.max_characters: None -> 5000" in line for line in lines), lines
    assert any("run `postops codeowners`" in line for line in lines), lines     # a new file: give it its owners
    repo.sync_codeowners()
    account = load_config(repo.root).accounts["social"]
    assert account.limits is not None and account.limits.max_characters == 5000
    repo.write("posts/social/p.yaml", "account: social\ntext: \"" + "x" * 4000 + "\"\n")
    assert not repo.lint().findings

    # --check: the same limits pass, changed ones fail, and the file is left as it is
    assert limits_command(repo.root, [], refresh=False, check=True, echo=lines.append, now=T) == 0
    responses.replace(responses.GET, INSTANCE, json=instance(max_characters=4000))
    before = (repo.root / LIMITS_FILE).read_text()
    assert limits_command(repo.root, [], refresh=False, check=True, echo=lines.append, now=T) == 1
    assert (repo.root / LIMITS_FILE).read_text() == before


@responses.activate
def test_refresh_mends_a_file_read_from_another_instance(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED.replace(BASE, "https://old.example"))
    responses.get(INSTANCE, json=instance(max_characters=800))
    assert limits_command(repo.root, [], refresh=True, check=False, echo=lambda line: None, now=T) == 0
    assert load_config(repo.root).accounts["social"].limits.max_characters == 800


@responses.activate
def test_an_instance_that_does_not_answer_is_said_and_the_file_kept(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED)
    responses.get(INSTANCE, json={"error": "This method requires an authenticated user"}, status=401)
    lines: list[str] = []

    def fetch(account):  # type: ignore[no-untyped-def]
        return MastodonPlatform(account, repo.root, {}, anonymous=True, sleep=lambda s: None).limits()

    assert limits_command(repo.root, [], refresh=True, check=False, echo=lines.append, now=T, fetch=fetch) == 1
    assert (repo.root / LIMITS_FILE).read_text() == CACHED
    assert lines and lines[0].startswith("social: reading the limits of mastodon.example")


def test_limits_shows_each_value_and_where_it_comes_from(repo, capsys):
    repo.write("postops.yaml", CONFIG.replace(f"    instance: {BASE}\n", f"    instance: {BASE}\n"
                                                                       "    max_characters: 700\n", 1))
    repo.write(LIMITS_FILE, CACHED)
    lines: list[str] = []
    assert limits_command(repo.root, [], refresh=False, check=False, echo=lines.append, now=T) == 0
    assert lines[0] == f"social ({BASE}, read 2026-11-20T09:00:00+00:00):"
    assert "  statuses.max_characters: 700 (postops.yaml)" in lines
    assert f"  polls.max_options: 2 ({LIMITS_FILE})" in lines
    assert "  polls.max_characters_per_option: - (Mastodon's default)" in lines


# -- publish checks the live limits before any call ---------------------------------------------------


@pytest.fixture
def mastodon_repo(tmp_path: Path):
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "accounts:\n", f"accounts:\n  social:\n    platform: mastodon\n    instance: {BASE}\n"
                       "    handle: '@csis@mastodon.example'\n    credentials: POSTOPS_SOCIAL\n", 1)
    repo.write("postops.yaml", config)
    repo.write(LIMITS_FILE, CACHED)                # lint allows 1,000 characters: the file says so
    repo.write("posts/social/long.yaml", "account: social\npublish_at: 2026-11-24T14:00:00Z\ntext: \""
               + "x" * 600 + "\"\n")
    repo.write("posts/social/short.yaml", "account: social\npublish_at: 2026-11-24T14:00:00Z\ntext: Short\n")
    repo.commit("Two posts", T - 60 * M)
    return repo


ENV = {"POSTOPS_SOCIAL_ACCESS_TOKEN": "mstdn-Zq8xW3vT9kLp2RfY7nBc4HjD6"}


def mastodon(account, root, env):  # type: ignore[no-untyped-def]
    return MastodonPlatform(account, root, env, sleep=lambda s: None, clock=lambda: T)


@responses.activate
def test_publish_blocks_a_post_the_instance_now_refuses_and_sends_nothing_for_it(mastodon_repo):
    server = FakeMastodon(responses.mock, instance(max_characters=500))     # lowered since the file was read
    lines: list[str] = []
    result = publish(mastodon_repo.root, load_config(mastodon_repo.root), now=T + M, env=ENV, platforms=mastodon,
                     echo=lines.append)

    assert result.exit_code == 1
    assert server.created == ["Short"]                           # the other post goes out
    assert len([c for c in responses.calls if c.request.method == "POST"]) == 1   # no call that had to fail
    (blocked,) = [a for a in result.last_plan.actions if a.action == "blocked"]
    assert blocked.post == "long"
    assert "text is 600/500 characters on Mastodon (account social)" in blocked.reason
    assert "statuses.max_characters 1000 -> 500" in blocked.reason
    assert f"postops limits --refresh social` and commit {LIMITS_FILE}" in blocked.reason
    assert [e["event"] for e in mastodon_repo.ledger_events()] == ["claimed", "published"]

    # status says the same, with the reason
    out: list[str] = []
    status_command(mastodon_repo.root, now=T + 2 * M, fmt="json", echo=out.append, env=ENV)
    states = {s["post"]: s for s in json.loads("\n".join(out))["posts"]}
    assert states["long"]["state"] == "blocked" and "600/500" in states["long"]["error"]


@responses.activate
def test_without_the_check_the_server_refuses_it_with_422(mastodon_repo):
    # The fake server's refusal is what the check spares: sent anyway, Mastodon answers 422.
    FakeMastodon(responses.mock, instance(max_characters=500))
    platform = mastodon(load_config(mastodon_repo.root).accounts["social"], mastodon_repo.root, ENV)
    from postops.platforms.base import PartRequest, PlatformError

    with pytest.raises(PlatformError, match="Text character limit of 500 exceeded"):
        platform.publish(PartRequest("long", platform.account, 0, "x" * 600, idempotency_key="k"))


@responses.activate
def test_publish_goes_ahead_when_the_instance_allows_what_lint_allowed(mastodon_repo):
    server = FakeMastodon(responses.mock, instance(max_characters=1000, max_options=2))
    result = publish(mastodon_repo.root, load_config(mastodon_repo.root), now=T + M, env=ENV, platforms=mastodon)
    assert result.exit_code == 0
    assert sorted(server.created) == ["Short", "x" * 600]


def test_a_changed_limits_file_is_not_answered_from_the_lint_cache(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED)
    repo.write("posts/social/p.yaml", "account: social\ntext: \"" + "x" * 800 + "\"\n")
    assert not repo.lint().findings
    repo.write(LIMITS_FILE, CACHED.replace("max_characters: 1000", "max_characters: 700"))
    assert [f.message for f in repo.lint().findings] == [
        "text is 800/700 characters on Mastodon (account social)"]


def test_codeowners_gives_the_limits_file_to_the_policy_owners_once_it_exists(repo):
    from postops.repo.codeowners import render_codeowners

    repo.write("postops.yaml", CONFIG + "policy_owners: ['@acme/governance']\n")
    assert LIMITS_FILE not in render_codeowners(load_config(repo.root))     # a repository without it is unchanged
    repo.write(LIMITS_FILE, CACHED)
    assert f"/{LIMITS_FILE} @acme/governance" in render_codeowners(load_config(repo.root)).splitlines()


def test_limits_through_the_command_line(repo):
    from click.testing import CliRunner

    from postops.cli import main

    repo.write("postops.yaml", CONFIG)
    shown = CliRunner().invoke(main, ["limits", "-C", str(repo.root)])
    assert shown.exit_code == 0 and f"social ({BASE}):" in shown.output
    assert "statuses.max_characters: - (Mastodon's default)" in shown.output
    wrong = CliRunner().invoke(main, ["limits", "sky", "-C", str(repo.root)])
    assert wrong.exit_code == 2 and "sky: not a Mastodon account in postops.yaml" in wrong.output
    both = CliRunner().invoke(main, ["limits", "--refresh", "--check", "-C", str(repo.root)])
    assert both.exit_code == 2


def test_max_characters_and_limits_that_disagree_are_refused_at_their_line(repo):
    repo.write("postops.yaml", CONFIG.replace(f"    instance: {BASE}\n", f"    instance: {BASE}\n    max_characters: 700\n"
                                              "    limits: {statuses: {max_characters: 800}}\n", 1))
    with pytest.raises(ConfigError) as caught:
        load_config(repo.root)
    assert "disagree" in caught.value.message and caught.value.path == "postops.yaml"


@responses.activate
def test_an_instance_answering_limits_no_server_can_mean_is_said_and_the_file_kept(repo):
    # A broken server or a proxy can answer anything: limits of 0, negative ones, polls that close before
    # they may. Written to the file, they would make every command refuse it (exit 2) until it is mended by hand.
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED)
    answer = instance(max_characters=0, min_expiration=86400, max_expiration=300)
    answer["configuration"]["statuses"]["max_media_attachments"] = -3
    responses.get(INSTANCE, json=answer)
    lines: list[str] = []
    assert limits_command(repo.root, [], refresh=True, check=False, echo=lines.append, now=T) == 1
    assert (repo.root / LIMITS_FILE).read_text() == CACHED
    assert load_config(repo.root).accounts["social"].limits.max_characters == 1000     # still read
    (line,) = lines
    assert line.startswith("social: reading the limits of mastodon.example"), line
    for said in ("statuses.max_characters: 0 is less than the minimum of 1",
                 "statuses.max_media_attachments: -3 is less than the minimum of 1",
                 "polls.min_expiration: 86400 is more than polls.max_expiration 300"):
        assert said in line, line


def test_a_limits_file_whose_polls_close_before_they_may_is_refused_at_its_line(repo):
    repo.write("postops.yaml", CONFIG)
    repo.write(LIMITS_FILE, CACHED.replace("      max_options: 2\n",
                                           "      max_options: 2\n      min_expiration: 600\n      max_expiration: 60\n"))
    with pytest.raises(ConfigError, match=r"polls\.min_expiration: 600 is more than polls\.max_expiration 60") as caught:
        load_config(repo.root)
    assert (caught.value.path, caught.value.line) == (LIMITS_FILE, 3)
