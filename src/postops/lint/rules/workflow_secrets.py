"""The GitHub publish workflow (`.github/workflows/postops-publish.yml`) passes every account's credentials
from the repository's secrets to `postops publish`. An account added to `postops.yaml` after the workflow
was written has none there, and its posts would be blocked when due, in CI, where nobody looks before
then. The finding points at the publish step; `postops workflows --force` writes the workflow again with
every account's secrets. Repositories without that workflow (GitLab, another CI) are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from postops.lint.rules.base import BuiltinRule, Example, Hit, RuleType
from postops.repo.config import Config
from postops.repo.yamlfile import Mark
from postops.scaffold.workflows import ACTION_REF, GITHUB_PUBLISH, workflow_problems

ID = "workflow-secrets"
TYPE: RuleType = "repository"
SEVERITY = "error"
DESCRIPTION = ("The GitHub publish workflow passes every account's credentials from the secrets "
               "(`postops workflows` writes it).")
OPTIONS: dict[str, str] = {}
_WORKFLOW = f"""\
name: postops publish
on:
  schedule:
    - cron: "*/5 * * * *"
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: {ACTION_REF}
        with:
          command: publish
        env:
          POSTOPS_OFFICIAL_API_KEY: ${{{{ secrets.POSTOPS_OFFICIAL_API_KEY }}}}
          POSTOPS_OFFICIAL_API_SECRET: ${{{{ secrets.POSTOPS_OFFICIAL_API_SECRET }}}}
          POSTOPS_OFFICIAL_ACCESS_TOKEN: ${{{{ secrets.POSTOPS_OFFICIAL_ACCESS_TOKEN }}}}
"""
EXAMPLES = (
    Example(GITHUB_PUBLISH, _WORKFLOW, (
        (f"{GITHUB_PUBLISH}:12:1: error [workflow-secrets] the publish job does not pass "
        "POSTOPS_OFFICIAL_ACCESS_SECRET (account official) from the secrets, so its posts cannot go out; run "
        "`postops workflows --force`, or add `POSTOPS_OFFICIAL_ACCESS_SECRET: "
        "${{ secrets.POSTOPS_OFFICIAL_ACCESS_SECRET }}` to the job's env"),
    ), note="the job passes three of the four secrets of the X account `official`."),
    Example(GITHUB_PUBLISH, _WORKFLOW + "          POSTOPS_OFFICIAL_ACCESS_SECRET: "
                                        "${{ secrets.POSTOPS_OFFICIAL_ACCESS_SECRET }}\n",
            note="all four (the outbox account `drill` has no secrets)."),
)


def check(root: Path, config: Config) -> Iterator[tuple[str, Hit]]:
    for path, line, column, message in workflow_problems(root, config):
        yield path, Hit(Mark(line, column), message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, type=TYPE, doc=__doc__ or "", options=OPTIONS, examples=EXAMPLES,
                   check_repository=check)
