"""The desired state: main's HEAD, read as the posts it wants on each account, and whether this checkout is it.

Every post file is read; one that cannot be used (it does not parse, names no account, or reuses an id) is
set aside with the reason, so that the plan can hold back whatever depends on it instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from postops.publish.plan import Source, Target
from postops.repo import git
from postops.repo.config import Config
from postops.repo.posts import (
    LINKED_FOLDER,
    LoadProblem,
    Post,
    content_hash,
    declared_ids,
    load_post,
    post_id_from_path,
    walk_posts,
)


@dataclass(frozen=True)
class Desired:
    """Main's HEAD as the publisher sees it."""

    targets: tuple[Target, ...]
    posts: dict[str, Post]
    unreadable: dict[str, str]      # post id -> why its file cannot be used
    # post id -> the account folder (posts/ACCOUNT/...) of a file that cannot be used: whose it most likely is
    unreadable_folders: dict[str, str] = field(default_factory=dict)


def load_desired(root: Path, config: Config, *, commit: str = "HEAD") -> Desired:
    files, linked = walk_posts(root)
    posts, unreadable, folders = _read_posts(root, config, files, linked)
    media = {m.path for post in posts.values() for part in post.parts for m in part.media}
    times = git.content_times(root, [p.path for p in posts.values()] + sorted(media), commit) \
        if git.is_repository(root) else {}
    targets = []
    for post in posts.values():
        post_media = tuple(m.path for part in post.parts for m in part.media)
        arrived, arrived_in = arrival(times, post.path, post_media) or (None, None)
        # Every commit that brought part of the post as it is: its due time counts from when a publisher
        # first saw the newest of them on main, whatever dates their authors gave them.
        sources = tuple({sha: Source(sha, when) for when, sha in arrivals(times, post.path, post_media)}.values())
        for account in post.accounts:
            spec = config.accounts.get(account)
            targets.append(Target(post.id, account, post.path, content_hash(post, account, root), len(post.parts),
                                  post.publish_at, arrived, post.reply_to, spec.platform if spec else None,
                                  arrived_in, post_media, shared_posts(post), sources))
    return Desired(tuple(targets), posts, unreadable, folders)


def arrivals(times: Mapping[str, tuple[datetime, str]], path: str,
             media: Sequence[str]) -> list[tuple[datetime, str]]:
    """When, by the commits' own dates, and in which commits a post's file and its media came to the branch as
    they are now; none for a post file not committed."""
    if path not in times:
        return []
    return [times[p] for p in (path, *media) if p in times]


def arrival(times: Mapping[str, tuple[datetime, str]], path: str, media: Sequence[str]) -> tuple[datetime, str] | None:
    """When, and in which commit, a post's current content came to the branch: the latest of its file's and
    its media's arrivals (changing an image changes the post); None for a post file not committed."""
    return max(arrivals(times, path, media), default=None)


def shared_posts(post: Post) -> tuple[str, ...]:
    """The posts of this repository that `post` reposts or quotes (by id, not URL), in order, once each."""
    found = [post.repost, *(part.quote for part in post.parts)]
    return tuple(dict.fromkeys(ref for ref in found if ref and "://" not in ref))


def _read_posts(root: Path, config: Config, files: list[str],
                linked: list[str]) -> tuple[dict[str, Post], dict[str, str], dict[str, str]]:
    """The usable posts by id; post id -> why its file cannot be used; post id -> that file's account folder.

    A folder under posts/ that is a symbolic link is never entered (its posts would come from a folder
    nobody reviews): it is set aside under its own path, which no post id can be (an id has no slash)."""
    posts: dict[str, Post] = {}
    unreadable: dict[str, str] = {}
    folders: dict[str, str] = {}
    real_dirs: set[str] = set()   # folders found not to be symbolic links, for this pass

    def set_aside(post_id: str, rel: str, why: str) -> None:
        unreadable[post_id] = why
        if len(parts := PurePosixPath(rel).parts) > 2:    # posts/ACCOUNT/...
            folders[post_id] = parts[1]

    for rel in linked:
        unreadable[rel] = f"{rel}: {LINKED_FOLDER}"
        folders[rel] = PurePosixPath(rel).parts[1]
    for rel in files:
        loaded = load_post(root, rel, config, real_dirs)
        if isinstance(loaded, LoadProblem):
            ids = [i for i, files in declared_ids(root, [rel]).items() if rel in files] or [post_id_from_path(rel)]
            for post_id in ids:
                set_aside(post_id, rel, f"{rel}:{loaded.line}:{loaded.column}: {loaded.message}")
            continue
        if not loaded.accounts:
            set_aside(loaded.id, rel, f"{rel}: no account")
            continue
        if loaded.id in posts:
            set_aside(loaded.id, rel, f"{rel}: the id {loaded.id} is also used by {posts[loaded.id].path}")
            continue
        posts[loaded.id] = loaded
    for post_id in unreadable:
        posts.pop(post_id, None)
    return posts, unreadable, folders


def _not_at_tip(root: Path, head: str, tip: str | None, main: str) -> str:
    """Why HEAD is not `main`'s tip, and what would fix it: pulling helps only a checkout that is behind."""
    where = f"HEAD ({head[:12]}) is not the tip of {main} ({(tip or 'missing')[:12]})"
    if tip is None:
        return f"{where}: publish only runs from {main}"
    ahead, behind = git.ahead_behind(root, head, tip)
    unpushed = f"{ahead} unpushed commit{'s' if ahead != 1 else ''}"
    if ahead and behind:
        return (f"{where}: it has {unpushed} and is {behind} commit{'s' if behind != 1 else ''} behind; only what "
                f"is on {main} is published: publish from a checkout of {main}")
    if ahead:
        return (f"{where}: it has {unpushed}, and only what is on {main} is published: push them through a "
                f"pull request, or publish from a checkout of {main}")
    return f"{where}: it is {behind} commit{'s' if behind != 1 else ''} behind: pull first"


def check_checkout(root: Path, remote: str | None) -> str:
    """HEAD's commit, when publishing from here is allowed; else RefusedError with the reason."""
    if not git.is_repository(root):
        raise git.RefusedError(f"{root} is not a git repository: postops publishes from a clone of main")
    head = git.head(root)
    if head is None:
        raise git.RefusedError("the repository has no commits yet")
    dirty = git.dirty_paths(root)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise git.RefusedError(f"the working tree has uncommitted changes ({shown}): publish only runs "
                                   "from a clean checkout of main")
    default = git.default_branch(root, remote)
    branch = git.current_branch(root)
    if remote:
        git.fetch(root, remote, f"+refs/heads/{default}:refs/remotes/{remote}/{default}")
        tip = git.resolve(root, f"refs/remotes/{remote}/{default}")
        if branch not in (default, None):
            raise git.RefusedError(f"on branch {branch}: publish only runs from {default}")
        if head != tip:
            raise git.RefusedError(_not_at_tip(root, head, tip, f"{remote}/{default}"))
    elif branch != default:
        raise git.RefusedError(f"on {'a detached HEAD' if branch is None else 'branch ' + branch}: "
                                   f"publish only runs from {default}")
    return head


def at_default_tip(root: Path, remote: str | None) -> bool:
    """Whether HEAD is the default branch's tip (the remote's, when there is one): what was merged."""
    if not git.is_repository(root):
        return False
    branch = git.default_branch(root, remote)
    tip = git.resolve(root, f"refs/remotes/{remote}/{branch}" if remote else f"refs/heads/{branch}")
    return tip is not None and git.head(root) == tip
