"""Who a publisher is, and whether it is provably gone: what lets a run tell a dead claim from a live one.

A claim records its publisher as `host:pid:space`. Another run on the same machine, in the same kernel boot
and pid namespace, can tell for sure whether that process still runs; anything less certain waits for the
claim's lease to run out.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from datetime import datetime
from pathlib import Path


def _process_space() -> str:
    """What makes a pid mean the same process here and there: the same kernel boot and the same pid
    namespace. Two containers with one hostname share neither their pids nor this token."""
    parts = []
    for path in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(os.readlink(path) if path.endswith("/pid") else Path(path).read_text().strip())
        except OSError:
            return ""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def new_run_id(when: datetime) -> str:
    """A run's id: when it started, and enough randomness that two runs started together differ."""
    return when.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def this_publisher() -> str:
    """`host:pid:space`, so that another run can tell whether this one is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_space()}"


# git holds a ref lock for the milliseconds of one update; a lock this old, that no process holds open, was
# left by a git process that was killed.
STALE_LOCK_SECONDS = 60


def lock_abandoned(path: Path) -> bool:
    """Whether the git lock file `path` was left behind: older than any update takes, and open in no process
    this one can see. A lock another machine might hold (a shared file system) is old only once it is a
    minute old, which no git update lasts."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age >= STALE_LOCK_SECONDS and not _held_open(path)


def _held_open(path: Path) -> bool:
    target = str(path.resolve())
    for fds in Path("/proc").glob("[0-9]*/fd"):
        try:
            names = os.listdir(fds)
        except OSError:
            continue  # gone meanwhile, or another user's: that user's git cannot write our repository's refs
        for name in names:
            try:
                if os.readlink(fds / name) == target:
                    return True
            except OSError:
                continue
    return False


def publisher_gone(by: str) -> bool:
    """Whether the publisher `by` is provably dead: in this very process space (same host, same kernel boot,
    same pid namespace), and its process is not running. Anything less certain waits for the lease."""
    host, _, rest = by.partition(":")
    pid_text, _, space = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or not space or space != _process_space():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            if handle.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return True  # exited, waiting for its parent to collect it
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
