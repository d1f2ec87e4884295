"""Errors a user can cause. Each knows where it happened; none should end in a traceback."""

from __future__ import annotations


class PostopsError(Exception):
    """A problem the user can fix: bad input, bad config, a refused operation."""

    exit_code = 1

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
