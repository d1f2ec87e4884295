"""Rules × posts → findings."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postops.errors import UsageError
from postops.links import preload_url_finder
from postops.lint import facts as facts_mod
from postops.lint import tone as tone_mod
from postops.lint.cache import CACHE_DIR, Clock, FileLint, LintCache, PostRefs
from postops.lint.findings import Finding, LintResult, RuleInfo
from postops.lint.normalize import normalize
from postops.lint.policy import Policies, PolicyRule, load_policies
from postops.lint.rules import (
    ALL_BUILTINS,
    BUILTIN_RULES,
    PARSE_RULE,
    REPOSITORY_RULES,
    SUPPRESSION_RULE,
    Context,
    default_severities,
    lint_cache,
    suppression,
)
from postops.lint.rules import codeowners as codeowners_rule
from postops.lint.rules import parse as parse_rule
from postops.lint.tone import TONE_FACTS
from postops.repo.config import Config
from postops.repo.posts import (
    LINKED_FOLDER,
    POSTS_DIR,
    LoadProblem,
    Post,
    build_post,
    discover,
    is_post_file,
    load_post,
    walk_posts,
)
from postops.repo.yamlfile import parse

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Facts that differ between the parts of a thread: rules using only other facts are checked once per post.
TEXT_FACTS = facts_mod.PER_PART_FACTS | {"*"}
# Facts about when a post goes out: for a post without publish_at, known only from main's history.
TIME_FACTS = frozenset(name for name, fact in facts_mod.FACTS.items() if fact.source == ("publish_at",)) | {"*"}


@dataclass(frozen=True)
class PublishedState:
    """What the ledger says lint must respect: published content hashes and retracted ids."""

    published: dict[tuple[str, str], str]
    retracted: frozenset[str]


# (post file, its media files) of posts without publish_at -> post file -> when its current content was merged
MergeTimes = Callable[[Sequence[tuple[str, tuple[str, ...]]]], Mapping[str, datetime]]


def run_lint(root: Path, config: Config, paths: Iterable[str] | None = None,
             state: PublishedState | None = None, cache: bool = True, now: datetime | None = None,
             merge_times: MergeTimes | None = None) -> LintResult:
    """Lint the posts at `paths` (relative to root or absolute), or every post. Raises ConfigError for bad policies.

    With `cache`, files whose findings cannot have changed since the last run are not linted again
    (postops.lint.cache says what "cannot have changed" covers). `now` is what a publish_at already past is
    judged against (no such finding without it). With `merge_times` (publish and plan, which know main's
    history), a post without publish_at that is not published yet has its time facts, and so every
    time-of-day rule, judged at its merge time plus min_lead: when it will go out."""
    policies = load_policies(root, default_severities())
    _require_tone(policies)
    every_file, linked = walk_posts(root)
    files = every_file if paths is None else _select(root, paths)
    committed = lint_cache.tracked(root) if cache else None
    cache = cache and not committed     # one committed is reported by the lint-cache rule
    store = LintCache.load(root) if cache else None
    tone_mod.use_model_cache(root / CACHE_DIR if cache else None)
    # Without the cache, its index is still built, in memory: one read per file gives the ids (duplicates)
    # and the media paths (CODEOWNERS), which were two more reads of every file
    index = store or LintCache.in_memory(root)
    ids = index.index(every_file)
    ctx = Context(config=config, root=root, ids=ids, measures={},
                  published=state.published if state else None,
                  retracted=state.retracted if state else frozenset(), now=now)
    clock = Clock(now, config.publish.max_delay) if now is not None else None
    cached = {rel: store.lookup(rel, ids, state, clock) for rel in files} if store else {}
    done = [lint for lint in cached.values() if lint is not None]
    todo = [rel for rel in files if cached.get(rel) is None]
    tone = policies.facts & TONE_FACTS
    # lingua detects in threads of its own, and threads do not survive a fork: language checks run here.
    parallel = "language" not in tone
    if tone and parallel and len(todo) >= PARALLEL_THRESHOLD:
        tone_mod.preload(tone)
    fresh = _lint_in_parallel(ctx, policies, todo, parallel=parallel)
    if store:
        for lint in fresh:
            store.record(lint, ids, state, clock)
        store.save(every_file)
    linted = done + fresh
    if merge_times is not None and policies.facts & TIME_FACTS:
        linted = _judged_at_merge(ctx, policies, linted, merge_times)
    findings = [f for lint in linted for f in lint.findings]
    findings += _repository_findings(root, config, policies, index.attached(every_file), committed)
    findings += _linked_folders(linked, policies)
    rules = [RuleInfo(r.id, r.description, severity=policies.builtin[r.id].severity) for r in ALL_BUILTINS.values()
             if policies.builtin[r.id].severity != "off"]
    rules += [RuleInfo(r.id, r.description, severity=r.severity) for r in policies.rules]
    return LintResult(findings=tuple(sorted(set(findings))), files=len(files),
                      posts=sum(lint.posts for lint in linted), suppressed=sum(lint.suppressed for lint in linted),
                      rules=tuple(rules))


# Below this many files a second process costs more than it saves.
PARALLEL_THRESHOLD = 400
_WORK: tuple[Context, Policies] | None = None


def _lint_in_parallel(ctx: Context, policies: Policies, files: list[str], *, parallel: bool) -> list[FileLint]:
    """Lint on every core. Workers are forked, so they share the parsed config and policies for free."""
    global _WORK
    workers = min(os.cpu_count() or 1, 8)
    if not parallel or len(files) < PARALLEL_THRESHOLD or workers < 2:
        return _lint_files(ctx, policies, files)
    import multiprocessing  # noqa: PLC0415 - not on a one-file lint's path (pre-commit's): 10 ms of imports

    if "fork" not in multiprocessing.get_all_start_methods():
        return _lint_files(ctx, policies, files)
    chunks = [files[i::workers] for i in range(workers)]
    preload_url_finder()   # nearly every post has a link, or a dot that may be one
    _WORK = (ctx, policies)
    try:
        with worker_pool(workers) as pool:
            results = list(pool.map(_lint_chunk, chunks))
    finally:
        _WORK = None
    return [lint for chunk in results for lint in chunk]


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers that die with the process that made them: a publisher killed by SIGKILL (a CI job
    cancelled, a timeout) has no time to shut its pool down, and idle workers would wait for work for ever."""
    import multiprocessing  # noqa: PLC0415 - see _lint_in_parallel
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))


def _die_with_parent(parent: int) -> None:
    import ctypes  # noqa: PLC0415 - in a worker only
    import signal  # noqa: PLC0415

    try:
        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: nothing better than the check below
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _lint_chunk(files: list[str]) -> list[FileLint]:
    assert _WORK is not None
    return _lint_files(*_WORK, files)


def _judged_at_merge(ctx: Context, policies: Policies, linted: list[FileLint], merge_times: MergeTimes) -> list[FileLint]:
    """`linted` with every post that has no publish_at and is not published yet linted again, its time facts
    those of its merge time plus min_lead. Never cached: the merge time is main's history, not the file."""
    published = ctx.published or {}
    waiting = [lint for lint in linted if lint.refs is not None and lint.refs.publish_at is None
               and not all((lint.refs.id, account) in published for account in lint.refs.accounts)]
    if not waiting:
        return linted
    merged = merge_times([(lint.path, lint.refs.media) for lint in waiting if lint.refs is not None])
    due = {path: when + ctx.config.publish.min_lead for path, when in merged.items()}
    if not due:
        return linted
    again = {lint.path: lint for lint in _lint_files(replace(ctx, due_at=due), policies, sorted(due))}
    return [again.get(lint.path, lint) for lint in linted]


def _lint_files(ctx: Context, policies: Policies, files: list[str]) -> list[FileLint]:
    results: list[FileLint] = []
    loaded: list[Post] = []
    real_dirs: set[str] = set()
    for rel in files:
        item = load_post(ctx.root, rel, ctx.config, real_dirs)
        if isinstance(item, LoadProblem):
            severity = policies.builtin[PARSE_RULE.id].severity
            problems = tuple(Finding(item.path, hit.mark.line, hit.mark.column, PARSE_RULE.id, severity, hit.message)
                             for hit in parse_rule.check(item))
            results.append(FileLint(rel, problems if severity != "off" else (), 0, 0, None))
            continue
        loaded.append(item)
    tone = _tone_facts(policies, loaded)
    known = set(ALL_BUILTINS) | {r.id for r in policies.rules}
    severity = policies.builtin[SUPPRESSION_RULE.id].severity
    for post in loaded:
        kept, silenced = suppression.apply(post, list(_check_post(ctx, policies, post, tone)), known, severity)
        targets = (post.reply_to, post.repost, *(part.quote for part in post.parts))
        refs = PostRefs(post.id, post.accounts, tuple(t for t in targets if t is not None),
                        tuple(media.path for part in post.parts for media in part.media),
                        post.publish_at.isoformat() if post.publish_at else None)
        results.append(FileLint(post.path, tuple(kept), 1, silenced, refs))
    return results


def _repository_findings(root: Path, config: Config, policies: Policies,
                         attached: list[str] | None = None, committed: list[str] | None = None) -> list[Finding]:
    """Checks of the repository as a whole, made on every run: they must never drift, whatever was changed.
    `attached` and `committed`: what the run knows already (media paths the posts name; what git tracks
    under .postops/), so that those checks do not read every post or git's index again."""
    findings = []
    for rule in REPOSITORY_RULES.values():
        severity = policies.builtin[rule.id].severity
        if severity != "off" and rule.check_repository is not None:
            if rule.id == codeowners_rule.ID:
                hits = codeowners_rule.check(root, config, attached)
            elif rule.id == lint_cache.ID:
                hits = lint_cache.check(root, config, committed)
            else:
                hits = rule.check_repository(root, config)
            findings += [Finding(path, hit.mark.line, hit.mark.column, rule.id, severity, hit.message)
                         for path, hit in hits]
    return findings


def _linked_folders(linked: list[str], policies: Policies) -> list[Finding]:
    """A folder under posts/ that is a symbolic link, on every run like the repository checks: the walk does
    not enter it, so whatever it holds would otherwise be skipped without a word."""
    severity = policies.builtin[PARSE_RULE.id].severity
    if severity == "off":
        return []
    return [Finding(rel, 1, 1, PARSE_RULE.id, severity, LINKED_FOLDER) for rel in linked]


def _select(root: Path, paths: Iterable[str]) -> list[str]:
    chosen: set[str] = set()
    resolved_root = root.resolve()
    for raw in paths:
        target = Path(raw).resolve()   # a relative path is taken from the current folder
        if not target.is_relative_to(resolved_root):
            raise UsageError(f"{raw} is outside the content repository {root}")
        if target.is_dir():
            rel_dir = target.relative_to(resolved_root).as_posix()
            chosen.update(f for f in discover(root) if rel_dir == "." or f.startswith(rel_dir + "/"))
        elif target.exists():
            rel = target.relative_to(resolved_root).as_posix()
            # pre-commit may pass any changed file: only post files are linted
            if rel.startswith(POSTS_DIR + "/") and is_post_file(rel):
                chosen.add(rel)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return sorted(chosen)


def _check_post(ctx: Context, policies: Policies, post: Post,
                tone: dict[tuple[str, int], dict[str, Any]]) -> Iterable[Finding]:
    for rule in BUILTIN_RULES.values():
        settings = policies.builtin[rule.id]
        if settings.severity == "off":
            continue
        for hit in rule.check(ctx, post):
            accounts = (hit.account,) if hit.account else post.accounts or ("",)
            if not any(settings.selector.matches(post, a, ctx.config.accounts.get(a)) for a in accounts):
                continue
            yield Finding(post.path, hit.mark.line, hit.mark.column, rule.id, settings.severity, hit.message, post.id)
    if not policies.rules or not isinstance(post.doc.data, dict):
        return
    for account_key in post.accounts or ("",):
        account = ctx.config.accounts.get(account_key)
        rules = [r for r in policies.rules if r.selector.matches(post, account_key, account)]
        if not rules:
            continue
        for part in post.parts:
            part_rules = rules if part.index == 0 else [r for r in rules if r.facts & TEXT_FACTS]
            if not part_rules:
                continue
            merged = ctx.due_at.get(post.path) if post.publish_at is None else None
            facts = facts_mod.part_facts(post, part, account, account_key, ctx.measure(post, part.index),
                                         when=merged, words=policies.reads_words)
            facts.values.update(tone.get((post.path, part.index), {}))
            instance = {**post.doc.data, "facts": facts.values}
            if len(part_rules) > 1 and policies.all_hold(part_rules, instance):
                continue
            for policy_rule in part_rules:
                yield from _rule_findings(policy_rule, post, part, facts, instance, account_key, merged)


def _rule_findings(rule: PolicyRule, post: Post, part: Any, facts: facts_mod.PartFacts,
                   instance: dict[str, Any], account_key: str, merged: datetime | None = None) -> Iterable[Finding]:
    for violation in rule.violations(instance):
        mark = facts_mod.locate(post, part, facts, violation.item_path, violation.match)
        message = rule.render(violation, account_key, post.id, part.index, part.text)
        if part.index and violation.path[:1] == ("facts",):
            message = f"{message} (thread part {part.index + 1})"
        if merged is not None and rule.facts & TIME_FACTS:
            message = (f"{message} (judged at {merged.isoformat()}: it has no publish_at, so it goes out at its "
                       "merge time plus min_lead)")
        yield Finding(post.path, mark.line, mark.column, rule.id, rule.severity, message, post.id)


def _require_tone(policies: Policies) -> None:
    """A policy that needs the tone extra when it is not installed is a configuration error, at that rule."""
    for rule in policies.rules:
        try:
            tone_mod.check_available(rule.facts)   # its facts that are not tone facts need nothing
        except tone_mod.ToneUnavailable as exc:
            raise tone_mod.ToneUnavailable(f"rule '{rule.id}': {exc.message}", rule.source, rule.line, 1) from None


def _tone_facts(policies: Policies, posts: list[Post]) -> dict[tuple[str, int], dict[str, Any]]:
    """Tone facts for every part, in one batch: the models are slow to load and fast in bulk."""
    wanted = policies.facts & TONE_FACTS
    if not wanted:
        return {}
    keys = [(post.path, part.index) for post in posts for part in post.parts]
    texts = [normalize(part.text) for post in posts for part in post.parts]  # as a reader sees them
    return dict(zip(keys, tone_mod.tone_facts(texts, wanted), strict=True))


# Built-in rules that judge a post's text; the others are about files, folders and schedules, which a post
# made outside postops does not have.
_TEXT_RULES = frozenset({"text-length", "secret-in-text"})


def lint_text(root: Path, config: Config, account: str, text: str) -> list[Finding]:
    """What the organisation's policies say of `text` as a post on `account`: how `postops watch` judges a
    post made outside postops. Findings point into a post file that does not exist,
    `posts/<account>/unmanaged.yaml`, whose text starts at line 2."""
    policies = load_policies(root, default_severities())
    _require_tone(policies)
    rel = f"{POSTS_DIR}/{account}/unmanaged.yaml"
    raw = f"account: {json.dumps(account)}\ntext: {json.dumps(text, ensure_ascii=False)}\n".encode()
    post = build_post(parse(raw, rel, max(config.max_file_bytes, len(raw))), config)
    ctx = Context(config=config, root=root, ids={post.id: [rel]}, measures={})   # nothing published or retracted
    findings = _check_post(ctx, policies, post, _tone_facts(policies, [post]))
    wanted = _TEXT_RULES | {r.id for r in policies.rules}
    return sorted(f for f in findings if f.rule in wanted)
