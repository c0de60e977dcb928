"""Progress on stderr for long work (only when stderr is a terminal): spinners and bars drawn by rich.

Each reporter is a callable the library calls with plain numbers; it draws nothing until first
called and disappears when stopped. DuckDB's own progress figures are not used: asking for them
makes reads of compressed files fail intermittently (see toolkit/engines/local.py).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from toolkit import aws_config

#: A display class (QueryProgress, CacheProgress, ...).
D = TypeVar("D", bound="_Display")


@contextmanager
def shown(make: Callable[[], D]) -> Iterator[D | None]:
    """A progress display for the block, if stderr is a terminal (else None: nothing is drawn);
    removed when the block ends, however it ends. The library is handed it as its callback."""
    if not sys.stderr.isatty():
        yield None
        return
    display = make()
    try:
        yield display
    finally:
        display.stop()


class _Waiting(ProgressColumn):
    """What an AWS call in flight has waited for, if long (`aws_config.waiting`); redrawn live."""

    def render(self, task: Task) -> Text:
        waiting = aws_config.waiting()
        # cut, never wrapped: a progress line that wraps in a narrow terminal is redrawn badly
        return Text(f"({waiting})" if waiting else "", style="yellow", no_wrap=True, overflow="ellipsis")


class _Display:
    """One rich task on stderr, started on first update, removed by `stop`. Every display ends
    with what an AWS call is waiting for, when one waits long."""

    shown: list[_Display] = []  # the displays on screen (one at a time)
    _guard = threading.RLock()

    def __init__(self, *columns: ProgressColumn | str) -> None:
        self._columns = (*columns, _Waiting())
        self._progress: Progress | None = None
        self._task: Any = None

    def update(self, total: float | None = None, **fields: Any) -> None:
        with self._guard:
            if self._progress is None:
                for other in [d for d in self.shown if isinstance(d, WaitProgress)]:
                    other.stop()  # this display names the wait too
                self._progress = Progress(*self._columns, console=Console(stderr=True), transient=True)
                self._progress.start()
                self._task = self._progress.add_task(fields.pop("description", ""), total=total, **fields)
                self.shown.append(self)
            self._progress.update(self._task, total=total, **fields)

    def stop(self) -> None:
        with self._guard:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
                self.shown.remove(self)


class QueryProgress(_Display):
    """A callable taking (files being read, seconds elapsed); it shows itself after half a second."""

    def __init__(self) -> None:
        super().__init__(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())

    def __call__(self, files: int, elapsed: float) -> None:
        if elapsed >= 0.5:
            self.update(description=f"reading {files:,} log files")


class AthenaQueryProgress(_Display):
    """A spinner with Athena's state, the time elapsed and the data scanned so far."""

    def __init__(self) -> None:
        super().__init__(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())

    def __call__(self, state: str, elapsed: float, scanned: int) -> None:
        from toolkit.engines.athena import human_bytes

        self.update(description=f"Athena: {state.lower()}, {human_bytes(scanned)} scanned")


class DownloadProgress(_Display):
    """A bar of files done, with megabytes (downloads; also log files hashed by verify)."""

    def __init__(self, label: str) -> None:
        super().__init__(
            TextColumn(label.replace("[", "\\[")),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[mb]:,.1f} MB"),
            TimeElapsedColumn(),
        )

    def __call__(self, done: int, total: int, size: int) -> None:
        self.update(total=total, completed=done, mb=size / 1e6)


class CacheProgress(_Display):
    """A bar of day folders converted, with files and events."""

    def __init__(self) -> None:
        super().__init__(
            TextColumn("caching day folders"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[files]:,} files, {task.fields[events]:,} events"),
            TimeElapsedColumn(),
        )

    def __call__(self, done: int, total: int, files: int, events: int) -> None:
        self.update(total=total, completed=done, files=files, events=events)


class WaitProgress(_Display):
    """Shown while an AWS call waits long and no other display is on screen (a query not yet
    started on Athena, a bucket being listed): which call, at which endpoint, for how long."""

    def __init__(self) -> None:
        super().__init__(SpinnerColumn())

    def __call__(self) -> None:
        if aws_config.waiting() is None:
            self.stop()
        elif not [display for display in self.shown if display is not self]:
            self.update()
