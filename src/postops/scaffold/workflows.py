"""CI for a content repository: GitHub Actions workflows or a GitLab pipeline, from templates.

Pull requests get lint and plan with no secrets; only the publish job, on the default branch, holds
the platforms' credentials and the right to push the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from postops.errors import PostopsError, UsageError
from postops.platforms.spec import SPECS
from postops.repo import git
from postops.repo.config import Account, Config
from postops.repo.fsutil import write_atomic
from postops.scaffold.source import default_source, pin, reference_problems, source_of, uses

# The action the generated workflows use without a `source:` in postops.yaml, as their `uses:` reads
# (the tag comment aside): this postops' own release.
ACTION_REF = f"{default_source().repo}@{pin(default_source())}"

# Every third-party action the generated workflows use, pinned to a commit: a tag can be moved to other
# code by whoever controls the action's repository, a commit cannot. The tag is written as a comment.
ACTIONS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/github-script": ("60a0d83039c74a4aee543508d2ffcb1c3799cdea", "v7.0.1"),
    "github/codeql-action/upload-sarif": ("ff0a06e83cb2de871e5a09832bc6a81e7276941f", "v3.28.18"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/upload-pages-artifact": ("56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "actions/deploy-pages": ("d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e", "v4.0.5"),
    "actions/cache/restore": ("0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0"),
    "actions/cache/save": ("0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0"),
}
# Every 10 minutes, never at minute 0: "High load times include the start of every hour. To decrease the
# chance of delay, schedule your workflow to run at a different time of the hour." (GitHub's docs, on
# the schedule event). GitLab's pipeline schedule is set to the same.
PUBLISH_CRON = "7-59/10 * * * *"

CI_SYSTEMS = ("github", "gitlab")
_TEMPLATES = {
    "github": {
        ".github/workflows/postops-pr.yml": "github/postops-pr.yml",
        ".github/workflows/postops-publish.yml": "github/postops-publish.yml",
    },
    "gitlab": {".gitlab-ci.yml": "gitlab/gitlab-ci.yml"},
}

# What each platform reads from `<credentials prefix>_<suffix>`: its declaration's `secrets`, which its adapter
# reads too.
CREDENTIAL_SUFFIXES: dict[str, tuple[str, ...]] = {name: spec.secrets for name, spec in SPECS.items()}


def credential_variables(account: Account) -> tuple[str, ...]:
    """Names of the environment variables holding `account`'s secrets (none without `credentials`)."""
    if not account.credentials:
        return ()
    return tuple(f"{account.credentials}_{suffix}" for suffix in CREDENTIAL_SUFFIXES.get(account.platform, ()))


def _secret_names(config: Config) -> list[str]:
    names: list[str] = []
    for key in sorted(config.accounts):
        names.extend(n for n in credential_variables(config.accounts[key]) if n not in names)
    return names


def _github_secrets(config: Config | None) -> str:
    indent = " " * 10
    if config is None:
        return "\n".join([
            f"{indent}# each account's credentials, named by its `credentials:` prefix in postops.yaml, e.g.",
            f"{indent}# POSTOPS_CSIS_API_KEY: ${{{{ secrets.POSTOPS_CSIS_API_KEY }}}}",
        ])
    names = _secret_names(config)
    if not names:
        return f"{indent}# no account in postops.yaml has `credentials:`, so there are no platform secrets"
    return "\n".join(f"{indent}{name}: ${{{{ secrets.{name} }}}}" for name in names)


def _gitlab_secrets(config: Config | None) -> str:
    if config is None:
        return "#   each account's, named by its `credentials:` prefix, e.g. POSTOPS_CSIS_API_KEY"
    names = _secret_names(config)
    if not names:
        return "#   none: no account in postops.yaml has `credentials:`"
    return "\n".join(f"#   {name}" for name in names)


def render_workflows(ci: str, config: Config | None = None, *, branch: str = "main") -> dict[str, str]:
    """Relative path -> text of the CI files for `ci` ("github" or "gitlab").

    With a config, the publish job gets exactly the secrets its accounts' `credentials` name, and every
    reference to postops names its `source:`. `branch` is the repository's default branch.
    """
    if ci not in _TEMPLATES:
        raise UsageError(f"unknown CI {ci!r}: postops writes CI files for {' or '.join(CI_SYSTEMS)}")
    secrets = _github_secrets(config) if ci == "github" else _gitlab_secrets(config)
    source = source_of(config)
    replacements = {"@@POSTOPS@@": uses(source), "@@BRANCH@@": branch, "@@CRON@@": PUBLISH_CRON,
                    "@@SOURCE_URL@@": source.url, "@@SOURCE_PIN@@": pin(source), "@@SOURCE_REF@@": source.ref,
                    "@@PLATFORM_SECRETS@@": secrets}
    replacements.update({f"@@{name}@@": f"{name}@{commit}  # {tag}" for name, (commit, tag) in ACTIONS.items()})
    package = resources.files("postops.scaffold") / "ci"
    rendered = {}
    for target, template in _TEMPLATES[ci].items():
        text = (package / template).read_text(encoding="utf-8")
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        rendered[target] = text
    return rendered


def repository_branch(root: Path) -> str:
    """The default branch of the repository at `root` (its remote's when it has one); main outside git."""
    if not git.is_repository(root):
        return "main"
    return git.default_branch(root, git.remote(root))


def write_workflows(root: Path, ci: str, config: Config | None, *, force: bool) -> list[Path]:
    """Write the CI files; refuses (writing nothing) when one exists, unless `force`."""
    files = render_workflows(ci, config, branch=repository_branch(root))
    existing = [rel for rel in files if (root / rel).exists()]
    if existing and not force:
        raise PostopsError(f"not overwriting {', '.join(existing)}: postops replaces existing CI files "
                           f"only with --force")
    written = []
    for rel, text in files.items():
        write_atomic(root / rel, text)
        written.append(root / rel)
    return written


def workflow_differences(root: Path, ci: str, config: Config | None) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) for each CI file on disk that is not what postops.yaml generates: the
    first line where it differs, or line 1 when it is missing. Empty when every file matches."""
    problems = []
    for rel, expected in render_workflows(ci, config, branch=repository_branch(root)).items():
        try:
            actual = (root / rel).read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append((rel, 1, 1, f"{rel} is missing: run `postops workflows --ci {ci}`"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append((rel, 1, 1, f"cannot read {rel} ({getattr(exc, 'strerror', None) or exc})"))
            continue
        if actual == expected:
            continue
        have, want = actual.splitlines(), expected.splitlines()
        line = _first_difference(have, want)
        if line < len(have) and line < len(want):
            column, shown = _first_difference(have[line], want[line]), f"{want[line].strip()!r} here"
        else:
            column, shown = 0, "the file to end here" if line < len(have) else f"{want[line].strip()!r} after it"
        message = (f"differs from what postops.yaml generates ({shown}): run `postops workflows --ci {ci} "
                   "--force` (edit postops.yaml, not the file)")
        problems.append((rel, line + 1, column + 1, message))
    return problems


def _first_difference(have: Sequence[object], want: Sequence[object]) -> int:
    """The first index where two sequences differ; the shorter one's length when one begins the other."""
    return next((i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b), min(len(have), len(want)))


GITHUB_PUBLISH = ".github/workflows/postops-publish.yml"


def workflow_problems(root: Path, config: Config) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) for each account secret the GitHub publish workflow does not pass on.

    Without it the account's posts are blocked when due, in CI only, where nobody looks before then.
    A repository without that workflow (GitLab, another CI) has nothing to check here."""
    path = root / GITHUB_PUBLISH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    lines = text.splitlines()
    anchor = next((i + 1 for i, line in enumerate(lines) if line.strip() in ("run: postops publish", "run: postops dispatch", "command: publish")), 1)
    problems = []
    for key in sorted(config.accounts):
        for name in credential_variables(config.accounts[key]):
            if not re.search(rf"^\s*{re.escape(name)}:\s*\$\{{\{{\s*secrets\.{re.escape(name)}\s*\}}\}}", text,
                             re.MULTILINE):
                message = (f"the publish job does not pass {name} (account {key}) from the secrets, so its posts "
                           f"cannot go out; run `postops workflows --force`, or add "
                           f"`{name}: ${{{{ secrets.{name} }}}}` to the job's env")
                problems.append((GITHUB_PUBLISH, anchor, 1, message))
    return problems


def check_workflows_command(root: Path, ci: str, config: Config, *, echo: Callable[[str], Any]) -> int:
    """`postops workflows --check`: every CI file as generated, every reference naming the source (exit 1)."""
    problems = sorted(set(workflow_differences(root, ci, config)) | set(reference_problems(root, config)))
    for path, line, column, message in problems:
        echo(f"{path}:{line}:{column}: {message}")
    if not problems:
        echo("the CI files match postops.yaml")
    return 1 if problems else 0
