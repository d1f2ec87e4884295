"""Writing files so that a crash or a parallel run never leaves half a file, and reading files from the
repository so that what lies there (a named pipe, a device) can never keep a run waiting."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from io import BufferedReader
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def open_regular(path: str | os.PathLike[str]) -> BufferedReader:
    """`path` open for reading in binary, or OSError when it is not a regular file. A named pipe under posts/
    (`mkfifo`) would keep a plain open waiting for a writer for ever, and a device would never end: the file is
    opened without waiting and looked at before anything is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a regular file, read in pieces: a video may be gigabytes. Raises OSError."""
    with open_regular(path) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
