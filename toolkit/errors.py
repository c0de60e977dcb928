"""The one error hierarchy of trailcsi, and the process exit codes (an API, documented in the README).

A `TrailcsiError` is a user-facing problem: its message is one line saying what was wrong and
where, and `hint` says what to do. The CLI prints both and exits with `exit_code`; no traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # reserved for commands whose "yes" answer is a failure, e.g. a sweep or verify
    USAGE = 2  # bad flags, malformed window, unknown column, refused SQL
    BAD_DATA = 3  # unreadable archive files under --strict, source missing or empty
    NOT_FOUND = 4  # e.g. `event ID` found no such event in the window
    ENGINE = 5  # the query engine failed for a reason that is not the user's input
    INTERRUPTED = 130


def first_line(text: str, default: str = "") -> str:
    """The first line of an error message (drivers' messages run over several), or `default`."""
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else default


class TrailcsiError(Exception):
    """Base of every error trailcsi reports to a user."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(TrailcsiError):
    """A flag, window, criterion, column or SQL statement the user gave is not acceptable."""

    exit_code = ExitCode.USAGE


class SourceError(TrailcsiError):
    """The archive cannot be read: missing directory, nothing in CloudTrail's layout, bad files."""

    exit_code = ExitCode.BAD_DATA


class RefusedWhileStreaming(SourceError):
    """A log file DuckDB's reader refused while a streamed result was being read: the rows given so
    far are incomplete. The engine now leaves the file out; run the query again for the answer."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}", "the rows given are incomplete: run the query again without it")
        self.path, self.reason = path, reason


class NotFoundError(TrailcsiError):
    exit_code = ExitCode.NOT_FOUND


class EngineError(TrailcsiError):
    """The engine failed on a query for a reason other than the user's input."""

    exit_code = ExitCode.ENGINE


class Interrupted(TrailcsiError):
    exit_code = ExitCode.INTERRUPTED
