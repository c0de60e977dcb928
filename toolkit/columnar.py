"""The columnar cache: an archive's day folders converted to Parquet for repeated investigations.

Layout: one Parquet file (zstd) per account / region / month, whose row groups each hold a single
day folder's events (every `trail` column plus the partition columns and `_delivered`, the
delivery time from each record's file name, so that the engine prunes cached rows by delivery
time exactly as it prunes raw files). A day is the unit of everything: converted on its own,
replaced on its own, and skipped by queries through its row groups' `day` statistics. Few files
keep queries fast (a Parquet file costs a reader far more than a row group).

Beside each month file, a manifest gives each day's row groups and a digest of its log files'
names (a query checks those against the archive), and a second file lists the log files with
their sizes (a build checks those): a day is served from the cache only while its files are
exactly those, otherwise it is read raw (and `cache build` rebuilds it).

A build converts each new or changed day into its own file (in parallel, one conversion per
core), then splices the month's days, old and new, into a new month file without decoding them
(`parquet_splice`), and commits it by replacing the manifest atomically: a query sees the old
month or the new one, never a half-written one. An interrupted build leaves scratch files that
the next build removes, and it resumes with the days not yet converted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from toolkit import archive, paths
from toolkit.errors import UsageError

if TYPE_CHECKING:  # building and splicing modules are imported by builds only: queries start faster
    from concurrent.futures import Future

    from toolkit import parquet_splice

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
#: The `_delivered` column: when each record's log file was delivered (from its name).
DELIVERED = "_delivered"

DayKey = tuple[str, str, date]  # account, region, day folder
MonthKey = tuple[str, str, str]  # account, region, "YYYY-MM"


class Converter(Protocol):
    """What converts a day's log files into one Parquet file (the local engine)."""

    def write_parquet(
        self, paths: list[str], target: str | os.PathLike[str]
    ) -> tuple[int, list[tuple[str, str]]]:
        """Write `target` (no file when there are no events); returns (events, skipped files)."""
        ...

    def cancel(self) -> None: ...


def cache_base() -> Path:
    return paths.cache_dir() / "columnar"


def archive_id(root: Path) -> str:
    """A directory name for an archive: the hash of its resolved path."""
    return hashlib.sha256(str(root.expanduser().resolve()).encode()).hexdigest()[:16]


def group(files: Iterable[archive.LogFile]) -> dict[DayKey, list[archive.LogFile]]:
    days: dict[DayKey, list[archive.LogFile]] = defaultdict(list)
    for log in files:
        days[(log.account, log.region, log.day)].append(log)
    return days


def month_of(key: DayKey) -> MonthKey:
    return key[0], key[1], f"{key[2]:%Y-%m}"


def names_digest(names: list[str]) -> str:
    """What a query compares to tell whether a cached day still has exactly its files."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def day_value(day: date) -> str:
    """A day as the `day` partition column holds it (CloudTrail's path form)."""
    return f"{day:%Y/%m/%d}"


@dataclass
class BuildReport:
    days_total: int = 0
    days_built: int = 0
    days_reused: int = 0
    files: int = 0
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # path, why


@dataclass
class _Converted:
    key: DayKey
    fingerprint: list[list[Any]]
    events: int
    skipped: list[tuple[str, str]]
    target: Path


class ColumnarCache:
    """The cache of one archive (a directory in CloudTrail's layout)."""

    def __init__(self, root: str | os.PathLike[str], base: Path | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        self.dir = (base or cache_base()) / archive_id(self.root)

    # -- reading --------------------------------------------------------------------------

    def month_path(self, month: MonthKey) -> str:
        account, region, yyyy_mm = month
        return os.path.join(str(self.dir), f"account={account}", f"region={region}", f"month={yyyy_mm}")

    def manifest(self, month: MonthKey) -> dict[str, Any] | None:
        try:
            with open(os.path.join(self.month_path(month), MANIFEST), encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("version") == FORMAT_VERSION else None

    def manifest_version(self, month: MonthKey) -> tuple[int, int] | None:
        """What changes whenever a build or clear commits the month (its manifest is replaced)."""
        try:
            status = os.stat(os.path.join(self.month_path(month), MANIFEST))
        except OSError:
            return None
        return status.st_ino, status.st_mtime_ns

    def parquet_file(self, month: MonthKey, manifest: dict[str, Any]) -> str | None:
        """The month's Parquet file, as its manifest names it (None: no events at all)."""
        name = manifest.get("parquet")
        return os.path.join(self.month_path(month), name) if name else None

    def names(self, files: list[archive.LogFile]) -> list[str]:
        """The day's files as paths under the archive, sorted."""
        prefix = str(self.root) + os.sep
        return sorted(
            log.path[len(prefix) :] if log.path.startswith(prefix) else os.path.relpath(log.path, self.root)
            for log in files
        )

    def fingerprint(self, files: list[archive.LogFile]) -> list[list[Any]]:
        """The day's files as (path under the archive, size): what a cached day must still match."""
        listed = []
        for name, log in zip(self.names(files), sorted(files, key=lambda f: f.path), strict=True):
            try:
                size = os.stat(log.path).st_size
            except OSError:
                size = -1
            listed.append([name, size])
        return listed

    def file_lists(self, month: MonthKey, manifest: dict[str, Any] | None) -> dict[str, list[list[Any]]]:
        """Every cached day's log files with their sizes, as the build that cached it saw them."""
        name = (manifest or {}).get("files")
        if not name:
            return {}
        try:
            with open(os.path.join(self.month_path(month), name), encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def covered(
        self,
        key: DayKey,
        files: list[archive.LogFile],
        manifest: dict[str, Any] | None,
        listed: dict[str, list[list[Any]]] | None = None,
    ) -> dict[str, Any] | None:
        """The day's manifest entry if the month's `manifest` holds it with exactly these files.

        Queries compare the file names, by their digest (CloudTrail never rewrites a delivered
        file: a changed day is one with files added or removed); builds pass the month's
        `listed` files (`file_lists`) and so compare sizes too.
        """
        day = f"{key[2]:%Y-%m-%d}"
        entry = (manifest or {}).get("days", {}).get(day)
        if entry is None:
            return None
        if listed is not None:
            if listed.get(day) != self.fingerprint(files):
                return None
        elif entry.get("names") != names_digest(self.names(files)):
            return None
        return entry

    def days(self) -> list[dict[str, Any]]:
        """Every cached day: account, region, day, events, bytes, files, and its month's path."""
        found = []
        for manifest_path in sorted(self.dir.glob(f"account=*/region=*/month=*/{MANIFEST}")):
            try:
                data = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
                continue
            for day, entry in sorted(data.get("days", {}).items()):
                found.append(
                    {
                        "account": data["account"],
                        "region": data["region"],
                        "day": day,
                        "events": entry.get("events", 0),
                        "bytes": entry.get("bytes", 0),
                        "files": entry.get("count", 0),
                        "path": str(manifest_path.parent),
                    }
                )
        return found

    # -- building -------------------------------------------------------------------------

    def build(
        self,
        days: dict[DayKey, list[archive.LogFile]],
        converters: Sequence[Converter],
        progress: Callable[[int, int, int, int], None] | None = None,
    ) -> BuildReport:
        """Convert every day not yet cached (or changed), one day per converter at a time, and
        commit each month as soon as its days are converted.

        `progress(days done, days, files, events)` is called after each day.
        """
        with self._exclusive():
            return self._build(days, converters, progress)

    def _build(
        self,
        days: dict[DayKey, list[archive.LogFile]],
        converters: Sequence[Converter],
        progress: Callable[[int, int, int, int], None] | None,
    ) -> BuildReport:
        import queue
        from concurrent.futures import ThreadPoolExecutor

        self._remove_scratch()
        (self.dir / "source.json").write_text(json.dumps({"source": str(self.root)}), encoding="utf-8")
        report = BuildReport(days_total=len(days))
        manifests: dict[MonthKey, dict[str, Any] | None] = {}
        listed: dict[MonthKey, dict[str, list[list[Any]]]] = {}
        todo: dict[MonthKey, list[DayKey]] = defaultdict(list)
        for key in sorted(days):
            month = month_of(key)
            if month not in manifests:
                manifests[month] = self.manifest(month)
                listed[month] = self.file_lists(month, manifests[month])
            if self.covered(key, days[key], manifests[month], listed[month]) is not None:
                report.days_reused += 1
            else:
                todo[month].append(key)
        if not todo:
            return report
        scratch = self.dir / f".scratch-{os.getpid()}"
        scratch.mkdir(parents=True, exist_ok=True)
        free: queue.Queue[Converter] = queue.Queue()
        for converter in converters:
            free.put(converter)

        def convert(key: DayKey) -> _Converted:
            converter = free.get()
            try:
                fingerprint = self.fingerprint(days[key])  # the files as they were when read
                target = scratch / f"{key[0]}.{key[1]}.{key[2]:%Y-%m-%d}.parquet"
                events, skipped = converter.write_parquet([f.path for f in days[key]], target)
                return _Converted(key, fingerprint, events, skipped, target)
            finally:
                free.put(converter)

        done = report.days_reused
        pool = ThreadPoolExecutor(max(1, len(converters)), thread_name_prefix="trailcsi-cache")
        try:
            pending: dict[MonthKey, list[Future[_Converted]]] = {
                month: [pool.submit(convert, key) for key in keys] for month, keys in sorted(todo.items())
            }
            for month, futures in pending.items():
                converted = []
                for future in futures:
                    day = future.result()
                    converted.append(day)
                    done += 1
                    report.days_built += 1
                    report.files += len(day.fingerprint)
                    report.events += day.events
                    report.skipped += day.skipped
                    if progress is not None:
                        progress(done, len(days), report.files, report.events)
                self._commit(month, manifests[month], listed[month], converted)
                for day in converted:
                    day.target.unlink(missing_ok=True)
        except BaseException:
            for converter in converters:  # stop conversions running in the pool
                converter.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(scratch, ignore_errors=True)
        return report

    def _commit(
        self,
        month: MonthKey,
        old: dict[str, Any] | None,
        old_files: dict[str, list[list[Any]]],
        converted: list[_Converted],
    ) -> None:
        """Splice the month's kept days and its newly converted ones into a new month file, write
        its file lists, then replace the manifest (the commit) and remove the old files."""
        import uuid

        from toolkit import parquet_splice

        kept = dict((old or {}).get("days", {}))
        fresh = {f"{c.key[2]:%Y-%m-%d}": c for c in converted}
        old_file = self.parquet_file(month, old) if old else None
        old_footer = None
        entries: dict[str, dict[str, Any]] = {}
        file_lists: dict[str, list[list[Any]]] = {}
        parts: list[tuple[parquet_splice.Footer, Sequence[int]]] = []
        position = 0
        root = str(self.root) + os.sep
        for day in sorted(set(kept) | set(fresh)):
            if day in fresh:
                made = fresh[day]
                footer = parquet_splice.read_footer(made.target) if made.target.exists() else None
                groups: Sequence[int] = range(len(footer.row_groups)) if footer else range(0)
                file_lists[day] = made.fingerprint
                entry = {
                    "names": names_digest([name for name, _size in made.fingerprint]),
                    "count": len(made.fingerprint),
                    "events": made.events,
                    "bytes": made.target.stat().st_size if footer else 0,
                    "skipped": [[p.removeprefix(root), why] for p, why in made.skipped],
                }
            else:
                entry = kept[day]
                file_lists[day] = old_files.get(day, [])
                first, count = entry.get("row_groups", [0, 0])
                groups = range(first, first + count)
                footer = None
                if count:
                    if old_footer is None:
                        assert old_file is not None
                        old_footer = parquet_splice.read_footer(old_file)
                    footer = old_footer
            if footer is not None and len(groups):
                parts.append((footer, groups))
            entry = {**entry, "row_groups": [position, len(groups)]}
            position += len(groups)
            entries[day] = entry
        directory = Path(self.month_path(month))
        directory.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        name = f"days-{token}.parquet" if parts else None
        if name:
            parquet_splice.splice(parts, directory / f"{name}.partial")
            os.replace(directory / f"{name}.partial", directory / name)
        (directory / f"files-{token}.json").write_text(json.dumps(file_lists), encoding="utf-8")
        manifest = {
            "version": FORMAT_VERSION,
            "account": month[0],
            "region": month[1],
            "month": month[2],
            "parquet": name,
            "files": f"files-{token}.json",
            "days": entries,
        }
        partial = directory / f"{MANIFEST}.partial"
        partial.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(partial, directory / MANIFEST)  # the commit: a reader sees one manifest or the other
        for previous in (old_file, (old or {}).get("files")):
            if previous:
                (directory / os.path.basename(previous)).unlink(missing_ok=True)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One build or clear of this cache at a time (a second one would remove the first's
        scratch files); queries need no lock."""
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            yield
            return
        with open(self.dir / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise UsageError(
                    f"another cache build or clear is working on {self.dir}", "wait for it to finish"
                ) from None
            yield

    def _remove_scratch(self) -> None:
        """Leftovers of an interrupted build (scratch days, month files no manifest names)."""
        if not self.dir.is_dir():
            return
        for path in [*self.dir.glob(".scratch-*"), *self.dir.glob("account=*/region=*/day=*")]:
            shutil.rmtree(path, ignore_errors=True)  # (day= directories: the earlier per-day layout)
        for directory in self.dir.glob("account=*/region=*/month=*"):
            month = (directory.parent.parent.name[8:], directory.parent.name[7:], directory.name[6:])
            manifest = self.manifest(month) or {}
            named = {MANIFEST, manifest.get("parquet"), manifest.get("files")}
            for path in directory.iterdir():
                if path.name not in named:
                    path.unlink(missing_ok=True)

    # -- removing -------------------------------------------------------------------------

    def clear(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """Remove cached days (those `keep` rejects, or all); returns how many."""
        with self._exclusive():
            return self._clear(keep)

    def _clear(self, keep: Callable[[dict[str, Any]], bool] | None) -> int:
        every = self.days()
        if keep is None:
            shutil.rmtree(self.dir, ignore_errors=True)
            return len(every)
        removed = 0
        by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for day in every:
            by_month[day["path"]].append(day)
        for path, listed in by_month.items():
            gone = {d["day"] for d in listed if not keep(d)}
            if not gone:
                continue
            removed += len(gone)
            first = listed[0]
            month: MonthKey = (first["account"], first["region"], first["day"][:7])
            manifest = self.manifest(month)
            if manifest is None or gone >= set(manifest.get("days", {})):
                shutil.rmtree(path, ignore_errors=True)
                continue
            kept = {day: entry for day, entry in manifest["days"].items() if day not in gone}
            self._commit(month, {**manifest, "days": kept}, self.file_lists(month, manifest), [])
        return removed


def all_caches(base: Path | None = None) -> list[ColumnarCache]:
    """Every archive with a cache, as recorded by its builds."""
    home = base or cache_base()
    found = []
    for directory in sorted(home.iterdir()) if home.is_dir() else []:
        try:
            source = json.loads((directory / "source.json").read_text(encoding="utf-8"))["source"]
        except (OSError, ValueError, KeyError):
            continue
        cache = ColumnarCache(source, home)
        if cache.dir == directory:
            found.append(cache)
    return found
