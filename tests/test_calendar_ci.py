"""The generated CI publishes the calendar: an artifact on every pull request with its posts outlined, and
GitHub (or GitLab) Pages from the default branch once switched on. zizmor checks these files with the rest
(tests/test_workflows.py)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from calendarfixtures import M, T, calendar_repo
from click.testing import CliRunner
from ruamel.yaml import YAML

from postops.cli import main
from postops.scaffold.workflows import ACTION_REF, render_workflows

PR = ".github/workflows/postops-pr.yml"
PUBLISH = ".github/workflows/postops-publish.yml"
FORK_CHECK = "github.event.pull_request.head.repo.full_name == github.repository"


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def github() -> dict[str, Any]:
    return {path: load(text) for path, text in render_workflows("github").items()}


def calendar_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses") == ACTION_REF and s["with"]["command"].startswith("calendar ")]


def test_every_pull_request_keeps_the_calendar_page_with_its_changes_outlined() -> None:
    job = github()[PR]["jobs"]["plan"]
    [step] = calendar_steps(job)
    assert step["with"]["command"] == ("calendar --format html --changed-since origin/${{ github.base_ref }} "
                                       "--output postops-calendar/index.html")
    [upload] = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "postops-calendar/"
    assert "hashFiles('postops-calendar/index.html')" in upload["if"]
    # a fork's pull request gets its artifact too: uploading needs no write access
    assert FORK_CHECK not in upload["if"] and FORK_CHECK not in step["if"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}   # nothing added for it


def test_pages_are_off_until_the_repository_variable_switches_them_on() -> None:
    workflow = github()[PUBLISH]
    pages = workflow["jobs"]["pages"]
    assert pages["if"] == "${{ !cancelled() && vars.POSTOPS_PAGES == 'true' }}"
    assert pages["needs"] == "publish"   # after every publish run, with the ledger it left
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert pages["environment"]["name"] == "github-pages"
    [checkout] = [s for s in pages["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"] == {"ref": "main", "fetch-depth": 0, "persist-credentials": False}
    [page] = calendar_steps(pages)
    assert page["with"]["command"] == "calendar --format html --output site/index.html"
    assert any(s.get("run") == "postops calendar --format ics --output site/calendar.ics" for s in pages["steps"])
    [artifact] = [s for s in pages["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert artifact["with"]["path"] == "site/"
    assert pages["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    assert "secrets." not in str(pages)   # the platforms' secrets stay in the publish job


def test_gitlab_keeps_the_calendar_with_merge_requests_and_pages_when_switched_on() -> None:
    pipeline = load(render_workflows("gitlab")[".gitlab-ci.yml"])
    calendar = pipeline["calendar"]
    assert calendar["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert calendar["artifacts"]["paths"] == ["postops-calendar.html"]
    assert any('--changed-since "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"' in line for line in calendar["script"])
    pages = pipeline["pages"]
    [rule] = pages["rules"]
    assert '$POSTOPS_PAGES == "true"' in rule["if"] and "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"]
    assert rule["when"] == "always"
    assert pages["artifacts"]["paths"] == ["public"]
    assert pages["script"] == ["postops calendar --format html --output public/index.html",
                               "postops calendar --format ics --output public/calendar.ics"]


def test_the_commands_the_workflows_run_work_on_a_pull_request(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each calendar command line of the generated CI, run as written in a pull request's checkout."""
    cal = calendar_repo(tmp_path)
    monkeypatch.chdir(cal.root)   # CI runs them at the top of the checkout
    cal.repo.git("checkout", "--quiet", "-b", "proposal")
    cal.repo.write("posts/news/new.yaml", "account: news\npublish_at: 2026-03-06T12:00:00Z\ntext: New post\n")
    cal.repo.commit("Propose a post", T + 5 * M, push=False)
    gitlab = load(render_workflows("gitlab")[".gitlab-ci.yml"])
    workflows = github()
    commands = [step["with"]["command"].replace("${{ github.base_ref }}", "main")
                for job in (workflows[PR]["jobs"]["plan"], workflows[PUBLISH]["jobs"]["pages"])
                for step in calendar_steps(job)]
    commands += [step["run"].removeprefix("postops ") for step in workflows[PUBLISH]["jobs"]["pages"]["steps"]
                 if step.get("run", "").startswith("postops calendar")]
    commands += [line.removeprefix("postops ").replace("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
                 for job in (gitlab["calendar"], gitlab["pages"]) for line in job["script"]
                 if line.startswith("postops calendar")]
    assert len(commands) == 6
    for command in commands:
        result = CliRunner().invoke(main, [*shlex.split(command), "--now", "2026-03-04T15:10:00Z"], catch_exceptions=False)
        assert result.exit_code == 0, (command, result.output)
    page = (cal.root / "postops-calendar" / "index.html").read_text()
    assert page.count("Changed in this pull request") == 1 + 1   # the note at the top and the new post's card
    assert 'data-post="new"' in page
    assert (cal.root / "site" / "calendar.ics").read_text().startswith("BEGIN:VCALENDAR")
    assert "data-post=\"new\"" in (cal.root / "postops-calendar.html").read_text()
