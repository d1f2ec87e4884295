"""Errors a user can cause. Each knows where it happened; none should end in a traceback."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from postops import __version__


class PostopsError(Exception):
    """A problem the user can fix: bad input, bad config, a refused operation."""

    exit_code = 1
    kind = ""     # what kind of stop this is, shown after `postops: ` ("refused"); empty for most errors

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}" if where else self.message


class UsageError(PostopsError):
    exit_code = 2


class ConfigError(PostopsError):
    """postops.yaml or a policy file is wrong: nothing can be checked or published until it is fixed."""

    exit_code = 2


# ------------------------------------------------------------------------------------------ the one handler

CRASH_EXIT = 3
CRASH_LOG = ".postops/crash.log"     # under the content repository; .postops/ is never committed


def message(exc: PostopsError) -> str:
    """The one line a user-caused error prints: `postops: ` and, for a refusal, what kind of stop it is."""
    return f"postops: {exc.kind}: {exc}" if exc.kind else f"postops: {exc}"


def handle(body: Callable[[], int], *, repository: Callable[[], Path | None], stderr: TextIO | None = None,
           passthrough: tuple[type[BaseException], ...] = ()) -> int:
    """Run a command; return its exit code, printing a user-caused error as one line on `stderr`.

    A crash (a bug in postops, exit 3) keeps its traceback: on standard error when that is not a terminal (a
    CI job's log, the only place that outlives the runner), else in `.postops/crash.log` of `repository()`
    (a temporary file when there is none), named in the one-line message, so a person's terminal shows what
    happened and where to find the details.
    """
    stream = stderr or sys.stderr
    try:
        return body()
    except PostopsError as exc:
        stream.write(message(exc) + "\n")
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - a bug in postops: keep its traceback, say where it is
        details = traceback.format_exc()
        if not stream.isatty():
            stream.write(details)
            stream.write(f"postops: internal error ({exc!r}): a bug in postops; the traceback is above\n")
        else:
            log = _write_crash_log(details, repository)
            stream.write(f"postops: internal error ({exc!r}): a bug in postops; details in {log}\n")
        return CRASH_EXIT


def _write_crash_log(details: str, repository: Callable[[], Path | None]) -> str:
    header = (f"postops {__version__} crashed at {datetime.now(UTC).isoformat(timespec='seconds')}\n"
              f"command: {' '.join(sys.argv)}\npython: {sys.version.split()[0]} on {sys.platform}\n\n")
    try:
        root = repository()
    except Exception:  # noqa: BLE001 - no repository here, or a second bug: the crash still needs a home
        root = None
    if root is not None:
        target = root / CRASH_LOG
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(header + details, encoding="utf-8")
            return str(target)
        except OSError:
            pass
    fd, name = tempfile.mkstemp(prefix="postops-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(header + details)
    return name
