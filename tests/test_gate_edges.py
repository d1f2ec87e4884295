"""The gates at their edges: each test here fails under one small change to the code that the rest of the
suite let through (a selector's `any` read as `all`, a limit refused at the limit, a folder matched by
prefix, a duplicate id taking the other's place). docs/testing.md lists them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
import responses
from gitfixtures import content_repo, post_yaml
from mediafixtures import image
from publishfixtures import Died, DiesOnPublish, no_lint, run

from postops.platforms.base import Published
from postops.publish.engine import publish
from postops.repo.config import load_config

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
M = timedelta(minutes=1)


def found(repo, rule: str, paths: list[str] | None = None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f.path, f.message) for f in repo.lint(paths).findings if f.rule == rule]


def png(repo, path: str, size: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """A real PNG image, padded to exactly `size` bytes when given."""
    target = repo.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image("PNG", pad_to=size))


def test_exactly_four_images_are_allowed_and_five_are_not(repo) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        png(repo, f"media/{i}.png")
    four = "".join(f"  - {{path: media/{i}.png, alt: chart {i}}}\n" for i in range(4))
    repo.write("posts/csis/four.yaml", "account: csis\ntext: four charts\nmedia:\n" + four)
    repo.write("posts/csis/five.yaml", "account: csis\ntext: five charts\nmedia:\n" + four
               + "  - {path: media/4.png, alt: chart 4}\n")
    assert found(repo, "media") == [("posts/csis/five.yaml", "5 images in one part; at most 4 are allowed")]


def test_an_image_exactly_at_the_size_limit_is_allowed(repo) -> None:  # type: ignore[no-untyped-def]
    # Bluesky's blob limit for an image is 1,000,000 bytes (app.bsky.embed.images: maxSize 1000000)
    png(repo, "media/at.png", 1_000_000)
    png(repo, "media/over.png", 1_000_001)
    repo.write("posts/sky/at.yaml", "account: sky\ntext: at the limit\nmedia:\n  - {path: media/at.png, alt: a}\n")
    repo.write("posts/sky/over.yaml", "account: sky\ntext: over it\nmedia:\n  - {path: media/over.png, alt: a}\n")
    assert [path for path, _ in found(repo, "media")] == ["posts/sky/over.yaml"]


def test_linting_a_folder_does_not_lint_a_folder_whose_name_starts_the_same(repo) -> None:  # type: ignore[no-untyped-def]
    key = "AKIAIOSFODNN7EXAMPLE"
    repo.write("posts/csis/a.yaml", f"account: csis\ntext: key {key}\n")
    repo.write("posts/csis2/b.yaml", f"account: csis\ntext: key {key}\n")
    assert [path for path, _ in found(repo, "secret-in-text", [str(repo.root / "posts/csis")])] == \
        ["posts/csis/a.yaml"]


def test_a_rule_for_one_account_holds_a_post_that_also_goes_to_another(repo) -> None:  # type: ignore[no-untyped-def]
    # applies_to selects a post when ANY of its accounts is selected: a cross-post is not a way around it
    repo.write("policies/p.yaml", "rules:\n  - id: secret-in-text\n    applies_to: {accounts: [csis]}\n")
    repo.write("posts/csis/both.yaml", "account: [csis, drill]\ntext: key AKIAIOSFODNN7EXAMPLE\n")
    assert [path for path, _ in found(repo, "secret-in-text")] == ["posts/csis/both.yaml"]


def test_a_policy_for_either_of_two_folders_holds_a_post_in_one(repo) -> None:  # type: ignore[no-untyped-def]
    repo.write("policies/p.yaml", "rules:\n  - id: no-hello\n    applies_to: {paths: ['posts/csis/*', "
               "'posts/drill/*']}\n    schema: {properties: {facts: {properties: {text: {not: {pattern: hello}}}}}}\n")
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    repo.write("posts/social/b.yaml", "account: social\ntext: hello\n")
    assert [path for path, _ in found(repo, "no-hello")] == ["posts/csis/a.yaml"]


def test_two_posts_with_one_id_are_neither_published(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    outbox = tmp_path / "outbox"
    repo.write("posts/drill/launch.yaml", post_yaml("drill", "the launch", "2026-03-01T09:00:00Z"))
    repo.write("posts/drill/2026/launch.yaml", post_yaml("drill", "another launch", "2026-03-01T09:00:00Z"))
    repo.commit("Two posts, one id", T - 60 * M)
    result = publish(repo.root, load_config(repo.root), now=T, env={"POSTOPS_OUTBOX_DIR": str(outbox)},
                     lint=no_lint)
    assert not list(outbox.glob("**/*.json"))
    assert [e for e in repo.ledger_events() if e["event"] == "published"] == []
    # neither is a target (main does not say which is meant): the id is blocked, naming both files
    [blocked] = result.first_plan.actions
    assert (blocked.action, blocked.post, blocked.account) == ("blocked", "launch", "drill")
    assert "posts/drill/launch.yaml" in blocked.reason and "posts/drill/2026/launch.yaml" in blocked.reason


API = "https://api.github.com"


def github_pull(sha: str, number: int, reviews: list[str]) -> None:
    """GitHub's answers about the pull request #`number` that brought commit `sha`, approved by `reviews`."""
    responses.get(f"{API}/repos/acme/comms/commits/{sha}/pulls", json=[
        {"number": number, "user": {"login": "writer"}, "merged_at": "2026-03-01T09:00:00Z",
         "head": {"sha": f"head{number}"}, "base": {"ref": "main", "repo": {"default_branch": "main"}}}])
    responses.get(f"{API}/repos/acme/comms/pulls/{number}/commits",
                  json=[{"sha": f"c{number}", "author": {"login": "writer"}, "committer": {"login": "writer"}}])
    responses.get(f"{API}/repos/acme/comms/pulls/{number}/reviews", json=[
        {"id": i, "user": {"login": login}, "state": "APPROVED", "commit_id": f"c{number}",
         "submitted_at": "2026-03-01T08:00:00Z"} for i, login in enumerate(reviews)])


@responses.activate
def test_approval_is_asked_of_the_pull_request_that_last_changed_the_posts_media(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, when=T - timedelta(days=1))
    config = (repo.root / "postops.yaml").read_text().replace(
        "  drill:\n    platform: outbox\n", "  drill:\n    platform: outbox\n    approvers: ['@alice']\n", 1)
    repo.write("postops.yaml", config + "approval: github\n")
    repo.commit("Require approval", T - timedelta(hours=23))
    repo.write("posts/drill/chart.yaml", post_yaml("drill", "Our chart", "2026-03-01T09:30:00Z")
               + "media:\n  - path: media/chart.png\n    alt: A chart\n")
    (repo.root / "media").mkdir()
    (repo.root / "media/chart.png").write_bytes(image("PNG", (8, 4)))
    approved = repo.commit("The post, approved in #7", T - 60 * M)
    (repo.root / "media/chart.png").write_bytes(image("PNG", (16, 8)))
    changed = repo.commit("Another chart, in #8 that nobody approved", T - 30 * M)
    github_pull(approved, 7, ["alice"])
    github_pull(changed, 8, [])
    responses.get(f"{API}/repos/acme/comms/commits", json=[])   # which pull request commit changed each file
    outbox = tmp_path / "outbox"
    result = publish(repo.root, load_config(repo.root), now=T, lint=no_lint, env={
        "POSTOPS_OUTBOX_DIR": str(outbox), "GITHUB_TOKEN": "ghs_test", "GITHUB_REPOSITORY": "acme/comms"})
    assert not list(outbox.glob("**/*.json"))
    assert [a.reason.split(":")[:2] for a in result.last_plan.of("blocked")] == [
        ["approval", " pull request #8"]]


class AsksAboutIt:
    """A platform that finds every part it is asked about, and remembers what it was asked."""

    asked: ClassVar[list[str]] = []

    def __init__(self, *args: object) -> None:
        pass

    def lookup(self, request, claimed_at) -> Published:  # type: ignore[no-untyped-def]
        AsksAboutIt.asked.append(request.text)
        return Published(platform_id="p-1", url="https://example.org/p-1")


def test_an_in_doubt_claim_is_looked_up_as_claimed_not_as_main_says_now(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, when=T - timedelta(days=1))
    repo.write("posts/drill/live.yaml", post_yaml("drill", "First words", "2026-03-01T09:30:00Z"))
    repo.commit("A post", T - 60 * M)
    with pytest.raises(Died):                    # claimed, then the publisher is gone
        run(repo, T, DiesOnPublish, {})
    claimed_hash = repo.ledger_events()[0]["hash"]
    repo.write("posts/drill/live.yaml", post_yaml("drill", "Second words", "2026-03-01T09:30:00Z"))
    repo.commit("Edited while in doubt", T + M)
    AsksAboutIt.asked = []
    result, _ = run(repo, T + 11 * M, AsksAboutIt, {})     # the lease has run out
    assert AsksAboutIt.asked == ["First words"]
    published = [e for e in repo.ledger_events() if e["event"] == "published"]
    assert [e["hash"] for e in published] == [claimed_hash]
    # what went out is not what main says now: a conflict, never a second post
    assert [a.action for a in result.last_plan.actions] == ["conflict"]
