"""Every reference to postops names the copy in `postops.yaml`'s `source:` (written by `postops init
--from OWNER/REPO@REF`; without it, the postops release that runs lint) at its commit: each `uses:` of
postops in `.github/workflows/` (your copy's or the upstream `postops/postops`), the `repo:` and `rev:`
of a pre-commit hook entry for it in `.pre-commit-config.yaml`, and `POSTOPS_SOURCE` and
`POSTOPS_COMMIT` in `.gitlab-ci.yml`; a `pip install postops` from the package index in
`.gitlab-ci.yml` is reported too (nothing pins it by hash). So CI cannot quietly run another postops
than the one the organisation chose, and a tag moved upstream changes nothing. Each finding points at
the reference; `postops workflows --force` writes the CI files again, and `postops workflows --check`
reports the same and any other difference from what it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from postops.lint.rules.base import BuiltinRule, Example, Hit, RuleType
from postops.repo.config import Config
from postops.repo.yamlfile import Mark
from postops.scaffold.source import reference_problems

ID = "references"
TYPE: RuleType = "repository"
SEVERITY = "error"
DESCRIPTION = ("Every reference to postops in the CI workflows, the GitLab pipeline and the pre-commit hooks "
               "names the `source:` of postops.yaml at its commit (`postops workflows` writes them).")
OPTIONS: dict[str, str] = {}
_GITLAB = """\
default:
  image: python:3.11
  before_script:
    - python -m pip install "postops[tone]==0.1.0"
"""
EXAMPLES = (
    Example(".gitlab-ci.yml", _GITLAB, (
        (".gitlab-ci.yml:4:17: error [references] installs postops from the package index, unpinned by hash, "
         "not the source in postops.yaml (postops/postops@v0.1.0); set `source:` with `postops init --from`"),
    ), note="a pipeline written by hand installs postops from PyPI, without hashes."),
    Example(".gitlab-ci.yml", _GITLAB.replace('    - python -m pip install "postops[tone]==0.1.0"\n',
                                              '    - git clone --quiet "$POSTOPS_SOURCE" .postops/source\n'),
            note="a pipeline that takes postops from `source:` (what `postops workflows --ci gitlab` writes)."),
)


def check(root: Path, config: Config) -> Iterator[tuple[str, Hit]]:
    for path, line, column, message in reference_problems(root, config):
        yield path, Hit(Mark(line, column), message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, type=TYPE, doc=__doc__ or "", options=OPTIONS, examples=EXAMPLES,
                   check_repository=check)
