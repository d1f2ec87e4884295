"""Media files a post names: where they may be, and what they may be, checked the same way by lint and by
publish right before a file is read, so that a suppressed lint finding never makes publish upload a file
from outside the reviewed repository (a symlink to /proc/self/environ, say)."""

from __future__ import annotations

import os
from pathlib import Path

from postops.errors import PostopsError

MEDIA_TYPES = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
    ".mp4": "video", ".mov": "video",
}


class MediaProblem(PostopsError):
    """A media file that must not be read or uploaded."""


def symlink_on_path(root: Path, rel: str) -> str | None:
    """The first part of `rel` (relative to `root`) that is a symbolic link, or None.

    A symlink in the repository lets a reviewed file's content come from somewhere nobody reviews (another
    folder, or outside the repository): postops refuses them where approval matters."""
    current = root
    parts = Path(rel).parts
    for i, part in enumerate(parts):
        current = current / part
        if current.is_symlink():
            return "/".join(parts[: i + 1])
    return None


def media_file(root: Path, rel: str) -> tuple[Path, str]:
    """(absolute path, kind) of the media file `rel`; MediaProblem when it must not be read."""
    if "\0" in rel:
        raise MediaProblem(f"media path {rel!r} contains a NUL character")
    base = root.resolve()
    if os.path.isabs(rel) or not (base / rel).resolve().is_relative_to(base):
        raise MediaProblem(f"media {rel!r} is outside the repository")
    link = symlink_on_path(base, rel)
    if link is not None:
        shown = "" if link == rel else f" ({link} is)"
        raise MediaProblem(f"media {rel!r} is a symbolic link{shown}: media must be a file in the repository, "
                           "reviewed as it is")
    target = base / rel
    if not target.is_file():
        raise MediaProblem(f"media file {rel!r} does not exist")
    kind = MEDIA_TYPES.get(target.suffix.lower())
    if kind is None:
        raise MediaProblem(f"media {rel!r} has an unsupported type; use one of {', '.join(sorted(MEDIA_TYPES))}")
    return target, kind
