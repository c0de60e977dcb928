"""Progress on stderr for long queries (only when stderr is a terminal): a spinner with the number
of files being read and the time elapsed. DuckDB's own progress figures are not used: asking for
them makes reads of compressed files fail intermittently (see toolkit/engines/local.py).
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class QueryProgress:
    """A callable taking (files being read, seconds elapsed); it shows itself after half a second."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: int | None = None

    def __call__(self, files: int, elapsed: float) -> None:
        if elapsed < 0.5:
            return
        description = f"reading {files:,} log files"
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(description, total=None)
        if self._task is not None:
            self._progress.update(self._task, description=description)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class DownloadProgress:
    """A bar of files downloaded, with megabytes, on stderr; shown only when there is something to fetch."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._progress: Progress | None = None
        self._task: int | None = None

    def __call__(self, done: int, total: int, downloaded: int) -> None:
        if self._progress is None:
            from rich.progress import BarColumn, MofNCompleteColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[mb]:,.1f} MB"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=total, mb=0.0)
        if self._task is not None:
            self._progress.update(self._task, completed=done, mb=downloaded / 1e6)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class AthenaQueryProgress:
    """A spinner with Athena's state, the time elapsed and the data scanned so far, on stderr."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: int | None = None

    def __call__(self, state: str, elapsed: float, scanned: int) -> None:
        from toolkit.engines.athena import human_bytes

        description = f"Athena: {state.lower()}, {human_bytes(scanned)} scanned"
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(description, total=None)
        if self._task is not None:
            self._progress.update(self._task, description=description)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class CacheProgress:
    """A bar of day folders converted, with files and events, on stderr."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: int | None = None

    def __call__(self, done: int, total: int, files: int, events: int) -> None:
        if self._progress is None:
            from rich.progress import BarColumn, MofNCompleteColumn

            self._progress = Progress(
                TextColumn("caching day folders"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[files]:,} files, {task.fields[events]:,} events"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("cache", total=total, files=0, events=0)
        if self._task is not None:
            self._progress.update(self._task, completed=done, files=files, events=events)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
