"""The engine interface: one small protocol every engine implements, and a dict registry.

An engine runs a `TrailQuery` (Athena SQL over `trail`, a window and criteria) and returns a
`Result`. The CLI never branches on engine type: it calls `run`, `render` (for --dry-run),
`find_event`, `close`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from toolkit.core.query import TrailQuery
    from toolkit.core.window import Window


@dataclass
class SkippedFile:
    path: str
    reason: str


class SkippedFiles(list[SkippedFile]):
    """Skipped files kept in order of path (then reason): the files a query found damaged are
    found in another order by the cheap look, the whole check and DuckDB's reader, and a later
    run takes them from the checked-files ledger. A report lists them the same way every run."""

    def __init__(self, items: Iterable[SkippedFile] = ()) -> None:
        super().__init__(sorted(items, key=_skip_order))

    def append(self, item: SkippedFile) -> None:
        list.insert(self, bisect.bisect_right(self, _skip_order(item), key=_skip_order), item)

    def extend(self, items: Iterable[SkippedFile]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[SkippedFile]) -> SkippedFiles:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, _index: Any, item: SkippedFile) -> None:
        self.append(item)  # (in order, wherever asked)


def _skip_order(item: SkippedFile) -> tuple[str, str]:
    return (item.path, item.reason)


@dataclass
class ScanReport:
    """What a query read: files opened out of those in the archive, and what was skipped, why."""

    files_total: int = 0
    files_selected: int = 0
    skipped: list[SkippedFile] = field(default_factory=SkippedFiles)
    notes: list[str] = field(default_factory=list)
    #: Engines that bill by bytes scanned (Athena) say how much, and what it cost.
    scanned_bytes: int | None = None
    cost_usd: float | None = None
    query_ids: list[str] = field(default_factory=list)

    @property
    def files_read(self) -> int:
        return self.files_selected - len(self.skipped)


@dataclass
class Result:
    columns: list[str]
    #: A list, except when an engine streams a large export (then iterate it once, in the block).
    rows: list[tuple[Any, ...]] | Iterable[tuple[Any, ...]]
    report: ScanReport = field(default_factory=ScanReport)


def records_with_id(
    files: Iterable[Iterable[dict[str, Any]]], event_id: str, window: Window
) -> list[dict[str, Any]]:
    """The records of `files` (each a list of original records) with this event id, in the window."""
    wanted = event_id.strip().lower()
    start, end = window.eventtime_bounds()
    found = []
    for records in files:
        for record in records:
            stamp = str(_field(record, "eventTime") or "")
            if str(_field(record, "eventID") or "").lower() != wanted:
                continue
            if (start and stamp < start) or (end and stamp >= end):
                continue
            found.append(record)
    return found


def _field(record: dict[str, Any], key: str) -> Any:
    """A record's value for a key, matched without regard to case as queries match it."""
    if key in record:
        return record[key]
    lowered = key.lower()
    return next((value for name, value in record.items() if name.lower() == lowered), None)


#: Called while a query runs with the number of files being read and the seconds elapsed.
ProgressCallback = Callable[[int, float], None]


class Engine(Protocol):
    dialect: str

    def run(self, query: TrailQuery) -> Result:
        """Execute; raises UsageError for the user's SQL, SourceError / EngineError otherwise."""
        ...

    def render(self, query: TrailQuery, files_shown: int | None = None) -> str:
        """The SQL this engine would execute for `query`, without executing it (naming at most
        `files_shown` log files, where it names them)."""
        ...

    def find_event(self, query: TrailQuery, event_id: str) -> tuple[list[dict[str, Any]], ScanReport]:
        """The original records with this event id in the query's window (usually one)."""
        ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...
