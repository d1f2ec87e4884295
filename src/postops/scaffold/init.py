"""`postops init`: a new content repository with example accounts, policies and posts that pass lint."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime, time, timedelta
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from zoneinfo import ZoneInfo

from postops.errors import PostopsError, UsageError
from postops.lint import tone
from postops.lint.policy import POLICIES_DIR, POLICY_SCHEMA_FILE
from postops.lint.policy_schema import POLICY_META_SCHEMA
from postops.repo.codeowners import CODEOWNERS_FOR_CI, DEFAULT_CODEOWNERS, render_codeowners
from postops.repo.config import CONFIG_FILE, Source, load_config
from postops.repo.posts import POSTS_DIR, SCHEMA_FILE
from postops.repo.schemas import POST_SCHEMA
from postops.repo.yamlfile import parse
from postops.scaffold.newpost import format_at, modeline, slug
from postops.scaffold.source import PRE_COMMIT_CONFIG, source_yaml, uses
from postops.scaffold.workflows import render_workflows, repository_branch

# The scaffold's example posts and when, in postops.yaml's timezone, they are scheduled.
EXAMPLE_POSTS = (("official", time(10, 0)), ("drill", time(10, 30)))
# The scaffold's postops.yaml sets this; the example posts are scheduled in it.
SCAFFOLD_TIMEZONE = "America/New_York"
# Template files whose real names start with a dot are stored as dot-<name>, so that they do nothing
# where they are kept (a .gitignore in the package would apply to the package's own repository).
_DOT = "dot-"


CI_CHOICES = ("github", "gitlab", "none")


def init_repo(target: Path, *, force: bool, now: datetime | None = None, ci: str = "github",
              source: Source | None = None) -> list[Path]:
    """Write a content repository into `target` and return what was created (files, and `.git` when
    `target` was not in a git repository yet: it is then `git init`-ed on branch main).

    `ci` chooses the CI workflows and where CODEOWNERS goes: github, gitlab, or none (no workflows).
    `source` (from `--from`) is kept in postops.yaml, and every reference to postops is pinned to it.
    Refuses, writing nothing, when any of the files exists, unless `force`.
    """
    if ci not in CI_CHOICES:
        raise UsageError(f"--ci must be one of {', '.join(CI_CHOICES)}")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    files = scaffold_files(now or datetime.now(ZoneInfo(SCAFFOLD_TIMEZONE)))
    if source is not None:
        files[CONFIG_FILE] += source_yaml(source)
        files[PRE_COMMIT_CONFIG] = pre_commit_config(source)
    codeowners = CODEOWNERS_FOR_CI.get(ci, DEFAULT_CODEOWNERS)
    workflows = list(render_workflows(ci)) if ci != "none" else []
    planned = [*files, *workflows, codeowners]
    existing = sorted(rel for rel in planned if (target / rel).exists() or (target / rel).is_symlink())
    if existing and not force:
        raise UsageError(f"{target} already has {', '.join(existing)}; nothing was written "
                         "(use --force to overwrite them)")
    needs_git = not _in_git_repo(target)
    if needs_git and shutil.which("git") is None:
        raise PostopsError("git is not installed; postops keeps posts in a git repository")
    written = []
    for rel, content in sorted(files.items()):
        written.append(_write(target / rel, content))
    # Generated from the postops.yaml just written, so that they name its accounts and lint passes from the start.
    config = load_config(target)
    branch = "main" if needs_git else repository_branch(target)
    generated = {**(render_workflows(ci, config, branch=branch) if ci != "none" else {}),
                 codeowners: render_codeowners(config)}
    for rel, content in generated.items():
        written.append(_write(target / rel, content))
    if needs_git:
        _git_init(target)
        written.append(target / ".git")
    return written


def scaffold_files(now: datetime) -> dict[str, str]:
    """Every file `init` writes: repository-relative path -> content."""
    base = resources.files("postops.scaffold") / "templates"
    files: dict[str, str] = {}
    for rel, item in _walk(base, ""):
        if rel.startswith("example-posts/"):
            continue
        files[rel] = item.read_text(encoding="utf-8")
    files[TONE_POLICY] = _tone_policy(files[TONE_POLICY])
    for rel, content in files.items():
        if rel.startswith(f"{POLICIES_DIR}/"):
            files[rel] = modeline(rel, POLICY_SCHEMA_FILE) + content
    files[SCHEMA_FILE] = json.dumps(POST_SCHEMA, indent=2) + "\n"
    files[POLICY_SCHEMA_FILE] = json.dumps(POLICY_META_SCHEMA, indent=2) + "\n"
    day = example_day(now)
    for account, at in EXAMPLE_POSTS:
        template = (base / "example-posts" / f"{account}.yaml").read_text(encoding="utf-8")
        when = datetime.combine(day, at, ZoneInfo(SCAFFOLD_TIMEZONE))
        body = template.replace("{{publish_at}}", format_at(when))
        text = parse(body.encode(), account).data["text"]
        rel = f"{POSTS_DIR}/{account}/{day:%Y}/{day:%m}/{day.isoformat()}-{slug(text)}.yaml"
        files[rel] = modeline(rel) + body
    return files


TONE_POLICY = "policies/tone-models.yaml"


def pre_commit_config(source: Source) -> str:
    """A .pre-commit-config.yaml whose hooks pre-commit installs from `source`, at its commit."""
    rev = uses(source).split("@", 1)[1]
    tone = _tone_requirements()
    extra = (f"        additional_dependencies: {json.dumps(tone)}  # the tone facts (postops[tone])\n"
             if tone else "")
    return (
        "# pre-commit runs `postops lint` on the posts you change, before every commit, so a post that breaks\n"
        "# a policy never reaches a pull request. Set it up once per clone:\n"
        "#\n"
        "#   pip install pre-commit && pre-commit install\n"
        "#\n"
        "# pre-commit installs postops itself from the copy named in postops.yaml (`source:`), at its commit;\n"
        "# `postops lint` reports a `rev:` that disagrees with it. Its dependencies come from the package index\n"
        "# without hash checks (pre-commit has none): docs/posts.md says how to lint with a hash-checked install.\n"
        "repos:\n"
        f"  - repo: {source.url}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: postops-lint\n"
        f"{extra}"
        "      # A change to the rules can break posts that did not change: check them all.\n"
        "      - id: postops-lint-all\n"
        f"{extra}"
    )


def _tone_requirements() -> list[str]:
    """The tone extra's requirements, as this postops declares them (none when it is not installed)."""
    try:
        requires = metadata.requires("postops") or []
    except metadata.PackageNotFoundError:
        return []
    return [r.split(";")[0].strip() for r in requires if 'extra == "tone"' in r]


def _tone_policy(template: str) -> str:
    """The tone rules switched on when the tone extra is installed, else off with a note saying how to
    switch them on: a new repository must lint clean either way."""
    try:
        tone.check_available({"offensive", "sentiment"})
        installed = True
    except tone.ToneUnavailable:
        installed = False
    note = "" if installed else (
        "# The tone extra was not installed when this file was written, so these rules are \"off\".\n"
        "# After `pip install 'postops[tone]'`, set offensive-tone to error and negative-sentiment to warning.\n")
    return (template.replace("{{tone_note}}", note)
            .replace("{{offensive_severity}}", "error" if installed else '"off"')
            .replace("{{sentiment_severity}}", "warning" if installed else '"off"'))


def example_day(now: datetime) -> date:
    """A weekday about a week ahead: the example posts are in the future and pass the schedule policies."""
    day = (now.astimezone(ZoneInfo(SCAFFOLD_TIMEZONE)) + timedelta(days=7)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.startswith(("__", ".")) or item.name.endswith(".pyc"):
            continue
        name = "." + item.name[len(_DOT):] if item.name.startswith(_DOT) else item.name
        if item.is_dir():
            found.extend(_walk(item, f"{prefix}{name}/"))
        else:
            found.append((f"{prefix}{name}", item))
    return found


def _write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()  # --force replaces the link itself, never the file it points to
    path.write_text(content, encoding="utf-8", newline="")
    return path


def _in_git_repo(target: Path) -> bool:
    folder = target
    while not folder.exists():  # a folder that does not exist yet is in the repository of its parent, if any
        folder = folder.parent
    try:
        done = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=folder, capture_output=True,
                              text=True, check=False)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def _git_init(target: Path) -> None:
    done = subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=target,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:  # git before 2.28 has no --initial-branch
        done = subprocess.run(["git", "init", "--quiet"], cwd=target, capture_output=True, text=True,
                              check=False)
        if done.returncode == 0:
            done = subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/main"], cwd=target,
                                  capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PostopsError(f"git init failed in {target}: {done.stderr.strip()}")


def next_steps(target: Path) -> str:
    steps = [("postops lint", "check every post against the policies in policies/"),
             ('postops new drill "Hello, world"', "write a post (without the text: in $EDITOR)"),
             ("pre-commit install", "lint the posts you change before every commit"),
             ('git add -A && git commit -m "Set up postops"', "")]
    if target.resolve() != Path.cwd().resolve():
        steps.insert(0, (f"cd {target}", ""))
    width = max(len(command) for command, _ in steps)
    lines = [f"  {command:<{width}}  # {why}" if why else f"  {command}" for command, why in steps]
    return ("\nNext steps:\n" + "\n".join(lines) + "\n"
            "Then make postops.yaml and policies/ your organisation's: see the comments in them.")
