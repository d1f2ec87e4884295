from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from postops.errors import PostopsError, UsageError
from postops.repo.config import load_config
from postops.scaffold.workflows import (
    ACTIONS,
    PUBLISH_CRON,
    credential_variables,
    render_workflows,
    write_workflows,
)

PROJECT = Path(__file__).resolve().parents[1]
PR = ".github/workflows/postops-pr.yml"
PUBLISH = ".github/workflows/postops-publish.yml"
FORK_CHECK = "github.event.pull_request.head.repo.full_name == github.repository"
ACTION_REF = "postops/postops@"  # the default source's action, by prefix
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PINNED_SOURCE = f"source:\n  repo: acme/postops\n  ref: v2.1.0\n  commit: {COMMIT}\n"

CONFIG = """\
version: 1
accounts:
  official:
    platform: x
    credentials: POSTOPS_OFFICIAL
  social:
    platform: mastodon
    instance: https://mastodon.example
    credentials: POSTOPS_SOCIAL
  twin:
    platform: x
    credentials: POSTOPS_OFFICIAL
  drill:
    platform: outbox
"""

X_SECRETS = ["POSTOPS_OFFICIAL_API_KEY", "POSTOPS_OFFICIAL_API_SECRET", "POSTOPS_OFFICIAL_ACCESS_TOKEN",
             "POSTOPS_OFFICIAL_ACCESS_SECRET"]


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def triggers(workflow: dict[Any, Any]) -> Any:
    # YAML 1.1 readers (PyYAML) turn the key `on` into True; ruamel.yaml reads YAML 1.2, where it stays "on"
    return workflow["on"] if "on" in workflow else workflow[True]


def code_of(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def steps_using(job: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(prefix)]


@pytest.fixture
def config(repo):
    repo.write("postops.yaml", CONFIG)
    return load_config(repo.root)


@pytest.fixture
def github() -> dict[str, Any]:
    return {path: load(text) for path, text in render_workflows("github").items()}


# --------------------------------------------------------------------------------------- pull request checks


def test_github_files():
    assert sorted(render_workflows("github")) == [PR, PUBLISH]
    assert sorted(render_workflows("gitlab")) == [".gitlab-ci.yml"]


def test_on_is_read_as_a_string_by_yaml_1_2_and_as_true_by_yaml_1_1():
    text = render_workflows("github")[PR]
    assert "on" in load(text)
    old = YAML(typ="safe")
    old.version = (1, 1)
    assert True in old.load(text)
    assert triggers(old.load(text)) == triggers(load(text))


def test_pr_workflow_runs_on_pull_request_never_pull_request_target(github):
    workflow = github[PR]
    assert triggers(workflow) == {"pull_request": None}
    assert "pull_request_target" not in code_of(render_workflows("github")[PR])


def test_pr_workflow_has_least_permissions_per_job(github):
    workflow = github[PR]
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert set(jobs) == {"lint", "plan"}
    assert jobs["lint"]["permissions"] == {"contents": "read", "security-events": "write"}
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_pr_workflow_uses_no_secrets_but_its_own_token():
    text = render_workflows("github")[PR]
    assert "secrets" not in code_of(text)
    for job in load(text)["jobs"].values():
        for step in job["steps"]:
            assert "env" not in step
            assert step.get("with", {}).get("persist-credentials", False) is False


def test_lint_job_annotates_and_uploads_sarif(github):
    job = github[PR]["jobs"]["lint"]
    [checkout] = steps_using(job, "actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    commands = [step["with"]["command"] for step in steps_using(job, ACTION_REF)]
    assert commands == ["lint --format github", "lint --format sarif --output postops.sarif"]
    [upload] = steps_using(job, "github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "postops.sarif"
    # the SARIF is made and uploaded even when the first lint step failed on findings
    sarif_step = steps_using(job, ACTION_REF)[1]
    assert "!cancelled()" in sarif_step["if"] and "!cancelled()" in upload["if"]
    assert FORK_CHECK in upload["if"]


def test_plan_job_posts_one_comment_and_skips_it_for_forks(github):
    job = github[PR]["jobs"]["plan"]
    assert "if" not in job  # the plan itself runs on forks too
    [checkout] = steps_using(job, "actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    [plan] = [step for step in steps_using(job, ACTION_REF) if step["with"]["command"].startswith("plan ")]
    assert plan["with"] == {"command": "plan --format markdown --changed-since origin/${{ github.base_ref }}",
                            "output": "plan.md", "extras": "tone"}
    [comment] = steps_using(job, "actions/github-script@")
    assert FORK_CHECK in comment["if"]
    assert "<!-- postops-plan -->" in comment["with"]["script"]
    [summary] = [step for step in job["steps"] if "GITHUB_STEP_SUMMARY" in step.get("run", "")]
    assert FORK_CHECK not in summary["if"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the github-script")
@pytest.mark.parametrize("existing", [
    [],
    [{"id": 1, "user": {"login": "alice"}, "body": "<!-- postops-plan -->\nquoted by a person"},
     {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "<!-- postops-plan -->\nold plan"},
     {"id": 3, "user": {"login": "github-actions[bot]"}, "body": "another bot comment"}],
])
def test_the_comment_script_updates_its_own_comment_or_creates_one(github, tmp_path, existing):
    script = steps_using(github[PR]["jobs"]["plan"], "actions/github-script@")[0]["with"]["script"]
    (tmp_path / "plan.md").write_text("## postops plan\n\n1 post to publish\n")
    harness = f"""
    const script = {json.dumps(script)};
    const existing = {json.dumps(existing)};
    const calls = [];
    const github = {{
      paginate: async (method, params) => {{ calls.push(['list', params]); return existing; }},
      rest: {{ issues: {{
        listComments: 'listComments',
        updateComment: async (params) => calls.push(['update', params]),
        createComment: async (params) => calls.push(['create', params]),
      }} }},
    }};
    const context = {{ repo: {{ owner: 'acme', repo: 'comms' }}, issue: {{ number: 12 }} }};
    const AsyncFunction = Object.getPrototypeOf(async function () {{}}).constructor;
    new AsyncFunction('require', 'github', 'context', script)(require, github, context)
      .then(() => console.log(JSON.stringify(calls)));
    """
    result = subprocess.run(["node", "-e", harness], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    calls = json.loads(result.stdout)
    assert calls[0] == ["list", {"owner": "acme", "repo": "comms", "issue_number": 12, "per_page": 100}]
    kind, params = calls[1]
    assert params["body"] == "<!-- postops-plan -->\n## postops plan\n\n1 post to publish\n"
    if existing:
        assert kind == "update" and params["comment_id"] == 2
    else:
        assert kind == "create" and params["issue_number"] == 12
    assert len(calls) == 2


# ------------------------------------------------------------------------------------------------- publish


def test_publish_workflow_triggers(github):
    on = triggers(github[PUBLISH])
    assert on["schedule"] == [{"cron": PUBLISH_CRON}]
    assert on["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in on
    assert set(on) == {"schedule", "push", "workflow_dispatch"}


def cron_minutes(field: str) -> set[int]:
    minutes: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        first, last = (0, 59) if span == "*" else (int(span.split("-")[0]), int(span.split("-")[-1]))
        if "-" not in span and span != "*" and step:
            last = 59
        minutes.update(range(first, last + 1, int(step or 1)))
    return minutes


def test_the_schedule_avoids_the_top_of_the_hour_and_runs_every_ten_minutes():
    # GitHub: "High load times include the start of every hour ... schedule your workflow to run at a
    # different time of the hour"
    minute, *rest = PUBLISH_CRON.split()
    assert rest == ["*", "*", "*", "*"]
    minutes = sorted(cron_minutes(minute))
    assert 0 not in minutes
    gaps = [b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 60], strict=True)]
    assert max(gaps) <= 10 and len(minutes) == 6
    assert f"`{PUBLISH_CRON}`" in render_workflows("gitlab")[".gitlab-ci.yml"]


def test_publish_runs_never_overlap(github):
    assert github[PUBLISH]["concurrency"] == {"group": "postops-publish", "cancel-in-progress": False}


def test_publish_has_write_access_only_in_its_job(github):
    workflow = github[PUBLISH]
    assert workflow["permissions"] == {"contents": "read"}
    assert list(workflow["jobs"]) == ["publish", "pages"]   # pages: the calendar, test_calendar_ci.py
    assert workflow["jobs"]["pages"]["permissions"]["contents"] == "read"
    assert workflow["jobs"]["publish"]["permissions"] == {"contents": "write", "pull-requests": "read"}
    assert workflow["jobs"]["publish"]["environment"] == "postops-publish"


def publish_step(job: dict[str, Any]) -> dict[str, Any]:
    [step] = [step for step in job["steps"] if step.get("run") == "postops dispatch"]
    return step


def test_publish_checks_out_main_with_history_and_runs_publish(github):
    job = github[PUBLISH]["jobs"]["publish"]
    [checkout] = steps_using(job, "actions/checkout@")
    assert checkout["with"] == {"ref": "main", "fetch-depth": 0, "persist-credentials": False}
    [install] = steps_using(job, ACTION_REF)
    assert install["with"] == {"extras": "tone"}  # no command: it only installs
    assert job["steps"].index(install) < job["steps"].index(publish_step(job))
    assert publish_step(job)["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


def test_each_publish_run_restores_the_ledger_memory_the_run_before_it_saved(github):
    # every run is a fresh clone: without the memory of the newest ledger state seen, a rewound or deleted
    # state branch looks real to it (tests/test_ledger_memory.py shows what the memory catches)
    job = github[PUBLISH]["jobs"]["publish"]
    [restore] = steps_using(job, "actions/cache/restore@")
    [save] = steps_using(job, "actions/cache/save@")
    publish = publish_step(job)
    steps = job["steps"]
    assert steps.index(restore) < steps.index(publish) < steps.index(save)
    memory = publish["env"]["POSTOPS_LEDGER_MEMORY"]
    assert restore["with"]["path"] == save["with"]["path"] and memory.startswith(restore["with"]["path"] + "/")
    # a key of its own per run (a cache entry cannot be overwritten), the newest found by its prefix
    assert restore["with"]["key"] == save["with"]["key"]
    assert "${{ github.run_id }}" in save["with"]["key"] and save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"] == "${{ !cancelled() }}"      # a failed run saw the branch too


def test_the_levers_offered_by_hand_are_the_ones_dispatch_knows(github):
    from postops.publish.commands import DISPATCH_ACTIONS
    action = triggers(github[PUBLISH])["workflow_dispatch"]["inputs"]["action"]
    assert tuple(action["options"]) == DISPATCH_ACTIONS and "repair" in action["options"]


def test_only_the_publish_step_holds_a_token_or_a_secret(config):
    # the attack: a compromised dependency's install script, or any other step, reads the token that can
    # push and the platforms' keys; before, the checkout left the token in .git/config for every later
    # step, and the secrets were given to the action step that also runs pip
    job = load(render_workflows("github", config)[PUBLISH])["jobs"]["publish"]
    publish = publish_step(job)
    for step in job["steps"]:
        assert step.get("with", {}).get("persist-credentials", False) is False
        if step is not publish:
            # what other steps may be given: where the runner keeps files, and which run this is
            given = json.dumps(step.get("env", {})) + json.dumps(step.get("with", {}))
            for harmless in ("${{ runner.temp }}", "${{ github.run_id }}", "${{ github.run_attempt }}"):
                given = given.replace(harmless, "")
            assert "${{" not in given
            assert "token" not in json.dumps(step.get("with", {}))
    assert "secrets." in json.dumps(publish["env"])


def test_the_publish_step_pushes_through_a_credential_helper_that_reads_its_environment(github, tmp_path):
    env = publish_step(github[PUBLISH]["jobs"]["publish"])["env"]
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "credential.${{ github.server_url }}.helper"
    # git runs the helper with the step's environment; it answers with the token and writes nothing
    helper = env["GIT_CONFIG_VALUE_0"]
    assert helper.startswith("!")
    done = subprocess.run(["sh", "-c", helper[1:] + " get"], capture_output=True, text=True, check=True,
                          cwd=tmp_path, env={"GITHUB_TOKEN": "ghs_example", "PATH": os.environ["PATH"]})
    assert done.stdout == "username=x-access-token\npassword=ghs_example\n"
    assert list(tmp_path.iterdir()) == []


def test_publish_gets_exactly_the_accounts_secrets(config):
    workflow = load(render_workflows("github", config)[PUBLISH])
    publish = publish_step(workflow["jobs"]["publish"])
    secrets = {name: value for name, value in publish["env"].items() if "secrets." in value}
    expected = [*X_SECRETS, "POSTOPS_SOCIAL_ACCESS_TOKEN", "POSTOPS_GITHUB_TOKEN"]
    assert sorted(secrets) == sorted(expected)
    for name, value in secrets.items():
        assert value == f"${{{{ secrets.{name} }}}}"


def test_publish_without_a_config_names_no_platform_secret():
    workflow = load(render_workflows("github")[PUBLISH])
    publish = publish_step(workflow["jobs"]["publish"])
    assert [name for name, value in publish["env"].items() if "secrets." in value] == ["POSTOPS_GITHUB_TOKEN"]
    assert "# POSTOPS_CSIS_API_KEY" in render_workflows("github")[PUBLISH]


def test_the_default_branch_can_be_another_name():
    workflow = load(render_workflows("github", branch="trunk")[PUBLISH])
    assert triggers(workflow)["push"] == {"branches": ["trunk"]}
    assert steps_using(workflow["jobs"]["publish"], "actions/checkout@")[0]["with"]["ref"] == "trunk"


def repository_on(root: Path, branch: str) -> Path:
    from gitfixtures import git as run_git

    root.mkdir()
    run_git(root, "init", "--quiet", f"--initial-branch={branch}")
    (root / "postops.yaml").write_text(CONFIG)
    run_git(root, "add", "-A")
    run_git(root, "commit", "--quiet", "-m", "start")
    return root


def test_a_master_repository_gets_workflows_for_master(tmp_path):
    # the defect: the workflows said `main`; on GitHub the push trigger never fired and the scheduled
    # checkout of `main` failed
    root = repository_on(tmp_path / "comms", "master")
    write_workflows(root, "github", load_config(root), force=False)
    text = (root / PUBLISH).read_text()
    workflow = load(text)
    assert triggers(workflow)["push"] == {"branches": ["master"]}
    assert steps_using(workflow["jobs"]["publish"], "actions/checkout@")[0]["with"]["ref"] == "master"
    assert not re.search(r"\bmain\b", code_of(text))


def test_a_clone_takes_the_remotes_default_branch(tmp_path):
    from gitfixtures import git as run_git

    upstream = repository_on(tmp_path / "upstream", "trunk")
    run_git(tmp_path, "clone", "--quiet", str(upstream), "clone")
    run_git(tmp_path / "clone", "checkout", "--quiet", "-b", "feature")
    write_workflows(tmp_path / "clone", "github", load_config(tmp_path / "clone"), force=False)
    assert triggers(load((tmp_path / "clone" / PUBLISH).read_text()))["push"] == {"branches": ["trunk"]}


def every_uses(text: str) -> list[str]:
    return [step["uses"] for job in load(text)["jobs"].values() for step in job["steps"] if "uses" in step]


def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment(repo):
    repo.write("postops.yaml", CONFIG + PINNED_SOURCE)
    config = load_config(repo.root)
    for text in render_workflows("github", config).values():
        for line in text.splitlines():
            if line.strip().startswith(("uses:", "- uses:")):
                assert re.fullmatch(r"\s*-? ?uses: [\w./-]+@[0-9a-f]{40}  # v[\d.]+", line), line
        for ref in every_uses(text):
            name, _, commit = ref.partition("@")
            assert (name == "acme/postops" and commit == COMMIT) or ACTIONS[name][0] == commit
    action = (PROJECT / "action.yml").read_text()
    [setup] = re.findall(r"uses: (\S+)", action)
    assert setup == "actions/setup-python@" + ACTIONS["actions/setup-python"][0]


def test_every_postops_step_uses_the_source_in_postops_yaml(repo):
    repo.write("postops.yaml", CONFIG + PINNED_SOURCE)
    config = load_config(repo.root)
    for text in render_workflows("github", config).values():
        assert f"acme/postops@{COMMIT}" in every_uses(text)
        assert not any(u.startswith("postops/") for u in every_uses(text))
    gitlab = load(render_workflows("gitlab", config)[".gitlab-ci.yml"])
    assert gitlab["variables"]["POSTOPS_SOURCE"] == "https://github.com/acme/postops"
    assert gitlab["variables"]["POSTOPS_COMMIT"] == COMMIT


def test_credential_variables(config):
    assert credential_variables(config.accounts["official"]) == tuple(X_SECRETS)
    assert credential_variables(config.accounts["social"]) == ("POSTOPS_SOCIAL_ACCESS_TOKEN",)
    assert credential_variables(config.accounts["drill"]) == ()


# -------------------------------------------------------------------------------------------------- GitLab


def test_gitlab_pipeline_structure(config):
    text = render_workflows("gitlab", config)[".gitlab-ci.yml"]
    pipeline = load(text)
    assert pipeline["stages"] == ["check", "publish"]
    sources = [rule["if"] for rule in pipeline["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in sources
    assert '$CI_PIPELINE_SOURCE == "schedule"' in sources
    mr_only = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert pipeline["lint"]["rules"] == mr_only and pipeline["plan"]["rules"] == mr_only
    assert pipeline["lint"]["stage"] == pipeline["plan"]["stage"] == "check"
    assert any("--format json --output postops-lint.json" in line for line in pipeline["lint"]["script"])
    assert pipeline["lint"]["artifacts"]["paths"] == ["postops-lint.json"]
    assert pipeline["lint"]["artifacts"]["when"] == "always"
    assert any("plan --format markdown" in line for line in pipeline["plan"]["script"])
    assert pipeline["variables"]["GIT_DEPTH"] == "0"


def test_gitlab_publish_job(config):
    text = render_workflows("gitlab", config)[".gitlab-ci.yml"]
    publish = load(text)["publish"]
    assert publish["stage"] == "publish"
    assert publish["resource_group"] == "postops-publish"
    rules = [rule["if"] for rule in publish["rules"]]
    assert '$CI_PIPELINE_SOURCE == "schedule" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' in rules
    assert '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' in rules
    assert all("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule for rule in rules)
    assert publish["script"][-1] == "postops dispatch"
    for name in X_SECRETS:
        assert f"#   {name}\n" in text


def run_bash(script: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=30,
                          env={**os.environ, **env})


def fake_command(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize("status", [0, 1])
def test_gitlab_plan_script_shows_the_plan_and_keeps_the_exit_code(tmp_path, status):
    fake_command(tmp_path / "bin", "postops", f'echo "## plan ($*)"; exit {status}')
    fake_command(tmp_path / "bin", "git", 'echo "git $*" >> git.log')
    lines = load(render_workflows("gitlab")[".gitlab-ci.yml"])["plan"]["script"]
    # GitLab runs a job's script lines in one bash with errexit and pipefail
    result = run_bash("set -eo pipefail\n" + "\n".join(lines), tmp_path,
                      {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert result.returncode == status
    shown = "## plan (plan --format markdown --changed-since origin/main)"
    assert shown in result.stdout
    assert (tmp_path / "postops-plan.md").read_text() == shown + "\n"
    assert (tmp_path / "git.log").read_text() == "git fetch --quiet origin main\n"


# ------------------------------------------------------------------------------------------------- writing


def test_write_workflows_refuses_to_overwrite(repo, config):
    written = write_workflows(repo.root, "github", config, force=False)
    assert sorted(written) == sorted(repo.root / rel for rel in (PR, PUBLISH))
    assert "POSTOPS_SOCIAL_ACCESS_TOKEN" in (repo.root / PUBLISH).read_text()
    (repo.root / PR).write_text("# ours\n")
    (repo.root / PUBLISH).unlink()
    with pytest.raises(PostopsError, match=r"postops-pr.yml.*--force"):
        write_workflows(repo.root, "github", config, force=False)
    assert (repo.root / PR).read_text() == "# ours\n"
    assert not (repo.root / PUBLISH).exists()
    write_workflows(repo.root, "github", config, force=True)
    assert (repo.root / PR).read_text() == render_workflows("github", config)[PR]


def test_workflows_check_reports_where_the_files_differ_from_postops_yaml(repo):
    from click.testing import CliRunner

    from postops.cli import main

    def check(ci: str = "github"):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["workflows", "--check", "--ci", ci, "-C", str(repo.root)])

    written = CliRunner().invoke(main, ["workflows", "-C", str(repo.root)])
    assert written.exit_code == 0, written.output
    assert (check().exit_code, check().output) == (0, "the CI files match postops.yaml\n")

    # An account added to postops.yaml: the publish job must now pass its secret on.
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text()
               + "  extra:\n    platform: mastodon\n    instance: https://m.example\n    credentials: POSTOPS_EXTRA\n")
    stale = check()
    assert stale.exit_code == 1
    [line] = stale.output.splitlines()
    where, message = line.split(": ", 1)
    path, row, column = where.split(":")
    assert path == PUBLISH and message.startswith("differs from what postops.yaml generates (")
    assert "POSTOPS_EXTRA_ACCESS_TOKEN" in render_workflows("github", load_config(repo.root))[PUBLISH].splitlines()[
        int(row) - 1]
    assert int(column) >= 1 and "postops workflows --ci github --force" in message
    assert (repo.root / PR).exists()      # checking writes nothing

    (repo.root / PR).unlink()
    missing = check()
    assert missing.exit_code == 1
    assert f"{PR}:1:1: {PR} is missing: run `postops workflows --ci github`" in missing.output.splitlines()
    assert check("gitlab").output == ".gitlab-ci.yml:1:1: .gitlab-ci.yml is missing: run `postops workflows --ci " \
                                     "gitlab`\n"


def test_gitlab_publish_keeps_the_ledger_memory_in_its_cache(config):
    publish = load(render_workflows("gitlab", config)[".gitlab-ci.yml"])["publish"]
    memory = publish["variables"]["POSTOPS_LEDGER_MEMORY"]
    [kept] = publish["cache"]["paths"]
    assert memory.startswith(kept) and publish["cache"]["when"] == "always"
    # inside .postops/, which the generated .gitignore keeps out of commits
    assert kept.startswith(".postops/")


def test_write_workflows_for_gitlab(repo, config):
    [path] = write_workflows(repo.root, "gitlab", config, force=False)
    assert path == repo.root / ".gitlab-ci.yml"
    assert load(path.read_text())["publish"]["resource_group"] == "postops-publish"


def test_unknown_ci_is_a_usage_error():
    with pytest.raises(UsageError, match="github or gitlab"):
        render_workflows("jenkins")


# -------------------------------------------------------------------------------------------------- action


@pytest.fixture
def action() -> dict[str, Any]:
    return load((PROJECT / "action.yml").read_text())


def test_action_is_composite_with_its_inputs(action):
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["command"]["default"] == "" and "version" not in inputs
    assert inputs["python-version"]["default"] == "3.11"
    [setup] = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"]  # inputs come in through env, never pasted into a script
    # without a command the action only installs postops, for a later step that alone holds the secrets
    assert _action_step(action, "postops")["if"] == "${{ inputs.command != '' }}"


def _action_step(action: dict[str, Any], name: str) -> dict[str, Any]:
    [step] = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return step


def test_action_runs_the_command_split_into_words_without_interpreting_it(action, tmp_path):
    step = _action_step(action, "postops")
    assert step["env"]["POSTOPS_COMMAND"] == "${{ inputs.command }}"
    fake_command(tmp_path / "bin", "postops", 'for a in "$@"; do echo "[$a]"; done')
    (tmp_path / "a-file").write_text("")
    command = 'lint --format github $(touch pwned) `touch pwned2` ; touch pwned3 * "$HOME"'
    result = run_bash(step["run"], tmp_path, {"POSTOPS_COMMAND": command, "POSTOPS_OUTPUT": "",
                                              "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["[lint]", "[--format]", "[github]"]
    assert "[*]" in result.stdout and '["$HOME"]' in result.stdout and "[$(touch]" in result.stdout
    assert not any(tmp_path.glob("pwned*"))


def test_action_can_write_the_output_to_a_file(action, tmp_path):
    fake_command(tmp_path / "bin", "postops", 'echo "plan: $*"')
    result = run_bash(_action_step(action, "postops")["run"], tmp_path,
                      {"POSTOPS_COMMAND": "plan --format markdown", "POSTOPS_OUTPUT": "plan.md",
                       "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 0 and result.stdout == ""
    assert (tmp_path / "plan.md").read_text() == "plan: plan --format markdown\n"


@pytest.mark.parametrize("extras, lock", [("", "postops.txt"), ("tone", "postops-tone.txt")])
def test_action_installs_its_own_checkout_and_only_hashed_dependencies(action, tmp_path, extras, lock):
    step = _action_step(action, "Install postops")
    assert step["env"] == {"POSTOPS_ACTION_PATH": "${{ github.action_path }}", "POSTOPS_EXTRAS": "${{ inputs.extras }}"}
    fake_command(tmp_path / "bin", "python", 'echo "$*"')
    result = run_bash(step["run"], tmp_path, {"POSTOPS_ACTION_PATH": str(PROJECT), "POSTOPS_EXTRAS": extras,
                                              "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    dependencies, itself = result.stdout.splitlines()
    assert dependencies.split()[:3] == ["-m", "pip", "install"]
    assert "--require-hashes" in dependencies and "--no-deps" in dependencies
    assert dependencies.split()[-2:] == ["-r", f"{PROJECT}/requirements/{lock}"]
    # postops itself is the action's checkout, built with what the lock installed, nothing from an index
    assert {"--no-deps", "--no-build-isolation", "--no-index"} <= set(itself.split())
    assert itself.split()[-1] == str(PROJECT)


def test_action_refuses_extras_without_a_lock_file(action, tmp_path):
    fake_command(tmp_path / "bin", "python", 'echo "$*"')
    result = run_bash(_action_step(action, "Install postops")["run"], tmp_path,
                      {"POSTOPS_ACTION_PATH": str(PROJECT), "POSTOPS_EXTRAS": "everything",
                       "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 2 and result.stdout == ""
    assert "no lock file for extras 'everything'" in result.stderr


def test_action_refuses_extras_that_are_not_names(action, tmp_path):
    step = _action_step(action, "Install postops")
    fake_command(tmp_path / "bin", "python", 'echo "$*"')
    result = run_bash(step["run"], tmp_path, {"POSTOPS_ACTION_PATH": "/a",
                                              "POSTOPS_EXTRAS": "tone] @ https://evil.example/x.whl #",
                                              "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 2 and result.stdout == ""


def test_credential_names_match_what_each_platform_reads():
    from postops.platforms import bluesky, facebook, linkedin, mastodon, x
    from postops.scaffold.workflows import CREDENTIAL_SUFFIXES

    assert CREDENTIAL_SUFFIXES == {"x": x.CREDENTIAL_SUFFIXES, "mastodon": mastodon.CREDENTIAL_SUFFIXES,
                                   "bluesky": bluesky.CREDENTIAL_SUFFIXES, "facebook": facebook.CREDENTIAL_SUFFIXES,
                                   "linkedin": linkedin.CREDENTIAL_SUFFIXES, "outbox": ()}


def test_lint_reports_an_account_whose_secrets_the_publish_workflow_does_not_pass(repo, config):
    import subprocess
    import sys

    write_workflows(repo.root, "github", config, force=False)
    assert [f for f in repo.lint().findings if f.rule == "workflow-secrets"] == []
    text = (repo.root / "postops.yaml").read_text()
    (repo.root / "postops.yaml").write_text(text.replace("accounts:\n", "accounts:\n  news:\n    platform: x\n"
                                                         "    credentials: POSTOPS_NEWS\n", 1))
    found = [f for f in repo.lint().findings if f.rule == "workflow-secrets"]
    assert [(f.path, f.severity) for f in found] == [(".github/workflows/postops-publish.yml", "error")] * 4
    assert any("POSTOPS_NEWS_API_KEY (account news)" in f.message for f in found)
    publish = (repo.root / ".github/workflows/postops-publish.yml").read_text().splitlines()
    assert publish[found[0].line - 1].strip() == "run: postops dispatch"
    # and lint, which now reads the workflow, still imports no platform adapter
    code = ("import sys; from pathlib import Path; from postops.repo.config import load_config; "
            "from postops.lint.engine import run_lint; r = Path(sys.argv[1]); run_lint(r, load_config(r)); "
            "print(sorted(m for m in ('tweepy', 'requests', 'postops.platforms.x') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(repo.root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    # zizmor is a static analyser for GitHub workflows and actions (template injection, excessive
    # permissions, leaked credentials, unpinned actions, ...). Its "auditor" persona is its strictest:
    # every audit, false positives allowed.
    found = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    return subprocess.run([found, "--offline", "--persona=auditor", "--format", "json", *args],
                          capture_output=True, text=True, check=False)


def test_zizmor_auditor_finds_nothing_in_the_generated_workflows(repo):
    repo.write("postops.yaml", CONFIG + PINNED_SOURCE)
    write_workflows(repo.root, "github", load_config(repo.root), force=False)
    done = zizmor(str(repo.root / ".github" / "workflows"))
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stdout + done.stderr
    # and it does read them: a tag instead of a commit is a finding
    publish = repo.root / PUBLISH
    publish.write_text(publish.read_text().replace(f"acme/postops@{COMMIT}", "acme/postops@v2"))
    assert {f["ident"] for f in json.loads(zizmor(str(publish)).stdout)} == {"unpinned-uses"}


def test_zizmor_auditor_finds_nothing_in_the_action_and_the_release_workflow():
    done = zizmor(str(PROJECT / "action.yml"), str(PROJECT / ".github" / "workflows" / "release.yml"))
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stdout + done.stderr


# ----------------------------------------------------------------------------------------- release workflow


@pytest.fixture
def release() -> dict[str, Any]:
    return load((PROJECT / ".github" / "workflows" / "release.yml").read_text())


def test_release_tests_builds_tags_and_publishes_in_that_order(release):
    jobs = release["jobs"]
    assert list(jobs) == ["test", "build", "tag", "publish"]
    assert [jobs[j].get("needs") for j in jobs] == [None, "test", "build", "tag"]
    assert triggers(release) == {"workflow_dispatch": {"inputs": {"version": {
        "description": "The version to release, exactly as in pyproject.toml (e.g. 0.1.0)",
        "required": True, "type": "string"}}}}
    assert release["permissions"] == {}


def test_release_publishes_by_trusted_publishing_with_provenance(release):
    jobs = release["jobs"]
    publish = jobs["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"] == "pypi"
    [upload] = steps_using(publish, "pypa/gh-action-pypi-publish@")
    assert "password" not in upload.get("with", {}) and "secrets." not in json.dumps(publish)
    [attest] = steps_using(jobs["build"], "actions/attest-build-provenance@")
    assert attest["with"] == {"subject-path": "dist/*"}
    assert jobs["build"]["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    # only the tag job may write to the repository, and it runs no code from the repository
    assert [j for j in jobs if jobs[j]["permissions"].get("contents") == "write"] == ["tag"]
    assert not any("run" in step or step.get("uses", "").startswith("actions/checkout@")
                   for step in jobs["tag"]["steps"])


def test_release_installs_everything_with_hashes_and_pins_every_action(release):
    text = (PROJECT / ".github" / "workflows" / "release.yml").read_text()
    for line in text.splitlines():
        if line.strip().startswith(("uses:", "- uses:")):
            assert re.fullmatch(r"\s*-? ?uses: [\w./-]+@[0-9a-f]{40}  # v[\d.]+", line), line
        if "pip install" in line and "--no-index" not in line:
            assert "--require-hashes" in line and "-r requirements/" in line, line


def test_release_writes_its_commit_into_the_package(release, tmp_path):
    [step] = [s for s in release["jobs"]["build"]["steps"] if s.get("name") == "Record the release's commit in the package"]
    (tmp_path / "src" / "postops").mkdir(parents=True)
    result = run_bash(step["run"], tmp_path, {"GITHUB_SHA": COMMIT})
    assert result.returncode == 0, result.stderr
    import runpy

    assert runpy.run_path(str(tmp_path / "src" / "postops" / "_release.py"))["COMMIT"] == COMMIT


def test_a_release_pins_what_it_writes_to_its_own_commit(monkeypatch):
    from postops import _release

    monkeypatch.setattr(_release, "COMMIT", COMMIT)
    for text in render_workflows("github").values():
        assert f"postops/postops@{COMMIT}" in every_uses(text)
    assert f'POSTOPS_COMMIT: "{COMMIT}"  # v' in render_workflows("gitlab")[".gitlab-ci.yml"]


# -------------------------------------------------------------------------------------------- lock files


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            assert line.endswith("\\"), f"{path.name}: {line} has no hash"
            names.add(re.split(r"[=;\s]", line, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-"))
    return names


@pytest.mark.parametrize("lock, extras", [("postops.txt", ()), ("postops-tone.txt", ("tone",)),
                                          ("test.txt", ("test", "tone"))])
def test_each_lock_file_pins_every_dependency_of_pyproject_with_hashes(lock, extras):
    import tomllib

    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(r for e in extras for r in project["optional-dependencies"][e])]
    names = requirement_names(PROJECT / "requirements" / lock)
    for requirement in wanted:
        name = re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
        assert name in names, f"{lock} lacks {requirement}: run `make locks`"
    # --no-build-isolation builds postops with the setuptools the lock installed
    assert "setuptools" in names


def test_the_publish_workflow_passes_facebook_and_linkedin_secrets(repo, config):
    text = (repo.root / "postops.yaml").read_text()
    (repo.root / "postops.yaml").write_text(text.replace("accounts:\n", (
        "accounts:\n  fb:\n    platform: facebook\n    page_id: '104729381234567'\n    credentials: POSTOPS_FB\n"
        "  li:\n    platform: linkedin\n    organization: 2414183\n    credentials: POSTOPS_LI\n"), 1))
    write_workflows(repo.root, "github", config, force=False)      # written before the pages were added
    found = [f.message for f in repo.lint().findings if f.rule == "workflow-secrets"]
    assert any("POSTOPS_FB_PAGE_TOKEN (account fb)" in m for m in found), found
    assert any("POSTOPS_LI_ACCESS_TOKEN (account li)" in m for m in found), found
    write_workflows(repo.root, "github", load_config(repo.root), force=True)
    assert [f for f in repo.lint().findings if f.rule == "workflow-secrets"] == []
    publish = (repo.root / ".github/workflows/postops-publish.yml").read_text()
    assert "POSTOPS_FB_PAGE_TOKEN: ${{ secrets.POSTOPS_FB_PAGE_TOKEN }}" in publish
    assert "POSTOPS_LI_ACCESS_TOKEN: ${{ secrets.POSTOPS_LI_ACCESS_TOKEN }}" in publish


def test_workflows_without_ci_uses_the_forge_the_repository_is_on(repo):
    """A GitLab repository checked with a bare `workflows --check` is checked as GitLab, not reported as missing
    its GitHub workflows."""
    from click.testing import CliRunner

    from postops.cli import main

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["workflows", *args, "-C", str(repo.root)])

    assert run("--ci", "gitlab").exit_code == 0
    shutil.rmtree(repo.root / ".github", ignore_errors=True)
    checked = run("--check")
    assert (checked.exit_code, checked.output) == (0, "the CI files match postops.yaml\n")
    (repo.root / ".gitlab-ci.yml").write_text("# ours\n")
    assert run("--check").output.startswith(".gitlab-ci.yml:1:3: differs from what postops.yaml generates")
    assert (run("--force").output, run("--check").exit_code) == ("wrote .gitlab-ci.yml\n", 0)
    assert not (repo.root / ".github" / "workflows").exists()
