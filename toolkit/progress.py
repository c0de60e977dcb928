"""Progress on stderr for long queries (only when stderr is a terminal)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class QueryProgress:
    """A callable taking DuckDB's progress fraction (or -1 when unknown); shown after half a second."""

    def __init__(self, label: str = "querying") -> None:
        self._label = label
        self._began = time.monotonic()
        self._progress: Progress | None = None
        self._task: int | None = None

    def __call__(self, fraction: float) -> None:
        if self._progress is None:
            if time.monotonic() - self._began < 0.5:
                return
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=100)
        if fraction >= 0 and self._task is not None:
            self._progress.update(self._task, completed=min(fraction, 1.0) * 100)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
