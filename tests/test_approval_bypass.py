"""Attacks on the approval model by an author with write access, each refused by lint and by publish."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from gitfixtures import content_repo, post_yaml
from mediafixtures import image
from publishfixtures import run

from postops.errors import ConfigError
from postops.lint.policy import load_policies
from postops.lint.rules import default_severities
from postops.platforms.base import Published
from postops.publish.commands import publish_command
from postops.publish.desired import load_desired
from postops.repo.config import load_config
from postops.repo.posts import LINKED_FOLDER

APPROVERS = """\
version: 1
timezone: UTC
accounts:
  official:
    platform: x
    approvers: ["@org/comms"]
  drill:
    platform: outbox
    approvers: ["@org/interns"]
  quiet:
    platform: outbox
policy_owners: ["@org/governance"]
"""


def rule_findings(repo, rule):
    return [(f.path, f.line, f.column, f.message) for f in repo.lint().findings if f.rule == rule]


@pytest.mark.parametrize("sibling", [False, True])
def test_a_symlinked_post_is_refused_by_lint_and_set_aside_by_publish(repo, sibling):
    # approved once, the post's text would then come from notes/, which nobody reviews
    repo.write("notes/launch.yaml", "account: csis\ntext: Approved text\n")
    (repo.root / "posts/csis").mkdir(parents=True)
    if sibling:  # read first, it makes its folder known free of links: the link beside it is still seen
        repo.write("posts/csis/a-regular.yaml", "account: csis\ntext: A post in a real file\n")
    os.symlink("../../notes/launch.yaml", repo.root / "posts/csis/launch.yaml")
    assert rule_findings(repo, "parse") == [("posts/csis/launch.yaml", 1, 1, "post file is a symbolic link: a post "
                                             "must be a file in the repository, reviewed as it is")]
    desired = load_desired(repo.root, load_config(repo.root))
    assert "launch" not in desired.posts
    assert "symbolic link" in desired.unreadable["launch"]


def test_a_post_in_a_symlinked_folder_is_refused(repo):
    repo.write("notes/launch.yaml", "account: csis\ntext: Approved text\n")
    (repo.root / "posts").mkdir()
    os.symlink("../notes", repo.root / "posts/csis")
    desired = load_desired(repo.root, load_config(repo.root))
    assert "launch" not in desired.posts
    # not skipped without a word: the folder itself is the finding, wherever it sits under posts/
    repo.write("posts/drill/a.yaml", "account: drill\ntext: Hi\n")
    os.symlink("../../notes", repo.root / "posts/drill/more")
    assert rule_findings(repo, "parse") == [(path, 1, 1, LINKED_FOLDER) for path in ("posts/csis", "posts/drill/more")]
    # a one-file lint (pre-commit's) says it too, as it says the other repository-wide problems
    assert [f.path for f in repo.lint([str(repo.root / "posts/drill/a.yaml")]).findings] == ["posts/csis",
                                                                                "posts/drill/more"]


def test_publish_holds_a_symlinked_folder_blocked_and_says_so_every_run(tmp_path):
    repo = content_repo(tmp_path, remote=False)
    repo.write("notes/launch.yaml", post_yaml("drill", "Never reviewed"))
    repo.write("posts/drill/fine.yaml", post_yaml("drill", "Reviewed"))
    os.symlink("../notes", repo.root / "posts/notes")
    repo.commit("a linked folder", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    outbox = tmp_path / "outbox"
    for minutes in (60, 65):
        lines: list[str] = []
        code = publish_command(repo.root, now=datetime.fromisoformat("2026-02-01T00:00:00+00:00") +
                               timedelta(minutes=minutes), dry_run=False, allow_mass_retract=False,
                               echo=lines.append, env={"POSTOPS_OUTBOX_DIR": str(outbox)})
        assert code == 1, lines
        assert f"blocked posts/notes @notes: posts/notes: {LINKED_FOLDER}" in lines
        assert "1 blocked" in lines[-1]
    assert sorted(p.name for p in (outbox / "drill").glob("*.json")) == ["fine.0.json"]


def test_symlinked_media_is_a_finding_that_cannot_be_silenced(repo):
    repo.write("notes/chart.png", "not reviewed")
    (repo.root / "media").mkdir()
    os.symlink("../notes/chart.png", repo.root / "media/chart.png")
    repo.write("posts/csis/a.yaml", "# postops: disable=media -- the chart is fine\naccount: csis\ntext: Chart\n"
                                    "media:\n  - path: media/chart.png\n    alt: A chart\n")
    assert rule_findings(repo, "media") == [("posts/csis/a.yaml", 5, 11, "media 'media/chart.png' is a symbolic "
                                             "link: media must be a file in the repository, reviewed as it is")]


def test_account_folder_cannot_be_silenced(repo):
    repo.write("posts/drill/a.yaml", "# postops: disable=account-folder -- urgent\naccount: csis\ntext: Hi\n")
    assert len(rule_findings(repo, "account-folder")) == 1


def test_a_post_directly_under_posts_is_an_error(repo):
    repo.write("posts/a.yaml", "account: csis\ntext: Hi\n")
    assert rule_findings(repo, "account-folder") == [
        ("posts/a.yaml", 1, 1, "post file is directly under posts/, where no account's approvers review it; "
                               "put it in posts/<account>/ of the account it is for")]


@pytest.mark.parametrize(("path", "accounts", "flagged"), [
    ("posts/drill/a.yaml", "[drill, official]", ["official"]),   # the interns would approve for official
    ("posts/quiet/a.yaml", "[quiet, official]", ["official"]),   # governance reviews posts/quiet/, not comms
    ("posts/official/a.yaml", "[official, drill]", ["drill"]),   # comms are no approvers of drill
    ("posts/official/a.yaml", "[official, quiet]", []),          # quiet asks for no one's approval
    ("posts/drill/a.yaml", "[drill, quiet]", []),
])
def test_every_account_of_a_cross_post_needs_its_approvers(repo, path, accounts, flagged):
    repo.write("postops.yaml", APPROVERS)
    repo.write(path, f"account: {accounts}\ntext: Hi\n")
    findings = [f for f in repo.lint().findings if f.rule == "account-folder"]
    assert [f.message.split(",")[0].removeprefix("post goes to ") for f in findings] == flagged


def test_a_folder_whose_approvers_approve_every_account_may_hold_the_cross_post(repo):
    repo.write("postops.yaml", APPROVERS.replace('approvers: ["@org/interns"]', 'approvers: ["@org/comms"]'))
    repo.write("posts/drill/a.yaml", "account: [drill, official]\ntext: Hi\n")
    assert rule_findings(repo, "account-folder") == []


def test_a_symlinked_config_or_policy_is_a_config_error(repo):
    repo.write("policies/tone.yaml", "rules: []\n")
    repo.write("elsewhere/tone.yaml", "rules: []\n")
    (repo.root / "policies/tone.yaml").unlink()
    os.symlink("../elsewhere/tone.yaml", repo.root / "policies/tone.yaml")
    with pytest.raises(ConfigError, match=r"policies/tone\.yaml is a symbolic link"):
        load_policies(repo.root, default_severities())
    os.rename(repo.root / "postops.yaml", repo.root / "elsewhere/postops.yaml")
    os.symlink("elsewhere/postops.yaml", repo.root / "postops.yaml")
    with pytest.raises(ConfigError, match=r"postops\.yaml is a symbolic link"):
        load_config(repo.root)


class Uploader:
    """A platform that reads every media file it is given, as a real adapter does to upload it."""

    uploaded: ClassVar[list[bytes]] = []

    def __init__(self, *args: object) -> None:
        pass

    def publish(self, request) -> Published:  # type: ignore[no-untyped-def]
        Uploader.uploaded.extend(Path(m.path).read_bytes() for m in request.media)
        return Published(platform_id=f"{request.post_id}-{request.part}", url=None)


def test_publish_never_uploads_media_from_outside_the_repository(tmp_path):
    # lint's media rule switched off for the whole repository, and a media "image" that is the process's
    # environment, secrets and all
    repo = content_repo(tmp_path, remote=False)
    repo.write("policies/off.yaml", "rules:\n  - id: media\n    severity: \"off\"\n")
    (repo.root / "media").mkdir()
    os.symlink("/proc/self/environ", repo.root / "media/chart.png")
    repo.write("posts/drill/a.yaml", post_yaml("drill", "Our chart") + "media:\n  - path: media/chart.png\n"
                                                                       "    alt: A chart\n")
    repo.commit("a post with a chart", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    Uploader.uploaded = []
    _, lines = run(repo, datetime.fromisoformat("2026-02-01T01:00:00+00:00"), Uploader,
                   {"POSTOPS_SECRET": "hunter2"})
    assert Uploader.uploaded == []
    assert lines == ["failed to publish a @drill: media 'media/chart.png' is outside the repository"]


def test_publish_never_uploads_symlinked_media_inside_the_repository(tmp_path):
    repo = content_repo(tmp_path, remote=False)
    repo.write("policies/off.yaml", "rules:\n  - id: media\n    severity: \"off\"\n")
    repo.write("notes/chart.png", "changed after review")
    (repo.root / "media").mkdir()
    os.symlink("../notes/chart.png", repo.root / "media/chart.png")
    repo.write("posts/drill/a.yaml", post_yaml("drill", "Our chart") + "media:\n  - path: media/chart.png\n"
                                                                       "    alt: A chart\n")
    repo.commit("a post with a chart", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    Uploader.uploaded = []
    _, lines = run(repo, datetime.fromisoformat("2026-02-01T01:00:00+00:00"), Uploader, {})
    assert Uploader.uploaded == []
    assert lines == ["failed to publish a @drill: media 'media/chart.png' is a symbolic link: media must be a "
                     "file in the repository, reviewed as it is"]


@pytest.mark.parametrize(("account", "content", "why"), [
    ("drill", b"Remember to export the chart\n",
     "media 'media/chart.png' is not an image: its content is text, not one of PNG, JPEG, GIF, WEBP, MP4, MOV"),
    ("drill", image("JPEG"), "media 'media/chart.png' is a JPEG image named .png: rename it to .jpg, which "
                             "platforms read its type from too"),
    ("csis", image("PNG", pad_to=5 * 1024 * 1024 + 1),
     "media 'media/chart.png' is 5,242,881 bytes; x allows at most 5,242,880 bytes for images"),
])
def test_publish_never_uploads_media_a_platform_would_refuse(tmp_path, account, content, why):
    lines = publish_with_media_rule_off(tmp_path, "  csis:\n    platform: x\n", account, "media/chart.png", content)
    assert Uploader.uploaded == []
    assert lines == [f"failed to publish a @{account}: {why}"]


def publish_with_media_rule_off(tmp_path: Path, accounts: str, account: str, rel: str, content: bytes) -> list[str]:
    """Publish a post of `account` (one of the accounts init makes, or of `accounts`, added to them) with the
    media file `rel` of `content`, lint's media rule switched off: publish reads the file's content and the
    platform's limits itself. What it says; what it uploaded is in Uploader.uploaded."""
    repo = content_repo(tmp_path, remote=False)
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace("accounts:\n", "accounts:\n" + accounts, 1))
    repo.write("policies/off.yaml", "rules:\n  - id: media\n    severity: \"off\"\n")
    (repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / rel).write_bytes(content)
    repo.write(f"posts/{account}/a.yaml", post_yaml(account, "Our media") + f"media:\n  - path: {rel}\n"
                                                                             "    alt: What it shows\n")
    repo.commit("a post with media", datetime.fromisoformat("2026-02-01T00:00:00+00:00"))
    Uploader.uploaded = []
    _, lines = run(repo, datetime.fromisoformat("2026-02-01T01:00:00+00:00"), Uploader, {})
    return lines
