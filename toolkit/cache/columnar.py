"""The columnar cache: an archive's day folders converted to Parquet for repeated investigations.

Layout: one Parquet file (zstd) per account / region / month, whose row groups each hold a single
day folder's events (every `trail` column plus the partition columns and `_delivered`, the
delivery time from each record's file name, so that the engine prunes cached rows by delivery
time exactly as it prunes raw files). A day is the unit of everything: converted on its own,
replaced on its own, and skipped by queries through its row groups' `day` statistics. Few files
keep queries fast (a Parquet file costs a reader far more than a row group).

Beside each month file, a manifest gives each day's row groups and a digest of its log files'
names, sizes and modification times (and S3 ETags, for a copy of a bucket fetched by
`s3source`), and a second file lists those files: a day is served from the cache only while its
files are exactly those, unchanged, otherwise it is read raw (and `cache build` rebuilds it). The
manifest also records the month file's size and a digest of its footer (which lays out every row
group): before a query reads the file, both are checked (a stat, and the footer only), and a
manifest that is not exactly what a build writes, or a month file that is not the one it was
committed with, is not used: its days are read raw, and the next build replaces it.

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
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, cast

from toolkit import paths
from toolkit.errors import SourceError, UsageError
from toolkit.sources import archive, layout

if TYPE_CHECKING:  # building and splicing modules are imported by builds only: queries start faster
    from concurrent.futures import Future

    from toolkit.cache import parquet_splice

FORMAT_VERSION = 6  # 6: files with keys Java folds to a CloudTrail key are refused
MANIFEST = "manifest.json"
#: The `_delivered` column: when each record's log file was delivered (from its name).
DELIVERED = "_delivered"

DayKey = tuple[str, str, date]  # account, region, day folder
MonthKey = tuple[str, str, str]  # account, region, "YYYY-MM"


class DayEntry(TypedDict):
    """A cached day in its month's manifest."""

    fingerprint: str  # SHA-256 of the day's file list (paths, sizes, times, ETags)
    count: int  # log files
    events: int
    bytes: int  # of its Parquet, when it was converted
    skipped: list[list[str]]  # [path under the archive, why] of files not converted
    row_groups: list[int]  # [first, count] in the month file


class MonthManifest(TypedDict, total=False):
    """A month's manifest (`manifest.json`), as a build writes it and `manifest_problem` checks it:
    the month file (absent when the month holds no events) and its seal, the days."""

    version: int
    account: str
    region: str
    month: str
    parquet: str | None
    parquet_size: int
    parquet_mtime_ns: int
    parquet_footer: str  # SHA-256 of the footer
    row_groups: int
    files: str  # the file lists' JSON, beside it
    days: dict[str, DayEntry]


Etags = tuple[str, dict[str, Any]]  # bucket folder + separator ("": not a bucket copy), key -> ETag


class Converter(Protocol):
    """What converts log files into Parquet files, one a day (the local engine)."""

    def write_parquet(
        self, days: dict[DayKey, list[str]], targets: dict[DayKey, Path]
    ) -> dict[DayKey, tuple[int, list[tuple[str, str]]]]:
        """Write each day's log files to its target (no file for a day without events), the days
        being of one account and region; returns each day's (events, skipped files)."""
        ...

    def cancel(self) -> None: ...


def cache_base() -> Path:
    return paths.cache_dir() / "columnar"


def archive_id(root: Path) -> str:
    """A directory name for an archive: the hash of its resolved path."""
    return hashlib.sha256(os.fsencode(str(root.expanduser().resolve()))).hexdigest()[:16]


def group(files: Iterable[archive.LogFile]) -> dict[DayKey, list[archive.LogFile]]:
    days: dict[DayKey, list[archive.LogFile]] = defaultdict(list)
    for log in files:
        days[(log.account, log.region, log.day)].append(log)
    return days


#: Days of a month converted by one statement: as many as hold up to this many bytes of gzip.
#: DuckDB takes about 25 ms to plan a conversion, whatever it reads, and a quiet region's day holds
#: a few kilobytes (the sample's 653 days: 10 times faster than a statement a day).
BATCH_BYTES = 8 << 20


def _batches(keys: list[DayKey], fingerprints: dict[DayKey, list[list[Any]]]) -> list[list[DayKey]]:
    """The days (of one month, in order) in batches of up to `BATCH_BYTES` of log files, by the
    sizes their fingerprints hold (a larger day alone)."""
    batches: list[list[DayKey]] = []
    held = 0
    for key in keys:
        size = sum(max(0, item[1]) for item in fingerprints[key])
        if not batches or held + size > BATCH_BYTES:
            batches.append([])
            held = 0
        batches[-1].append(key)
        held += size
    return batches


def month_of(key: DayKey) -> MonthKey:
    return key[0], key[1], f"{key[2]:%Y-%m}"


def day_name(key: DayKey) -> str:
    """A day as manifests name it (YYYY-MM-DD)."""
    return f"{key[2]:%Y-%m-%d}"


def fingerprint_digest(fingerprint: list[list[Any]]) -> str:
    """What a query compares to tell whether a cached day still has exactly its files, unchanged
    (`ColumnarCache.day_digest` gives the same from the files themselves)."""
    return _digest([_line(item[0], item[1], item[2], item[3:]) for item in fingerprint])


def _line(name: str, size: int, mtime_ns: int, etag: list[Any]) -> str:
    # unambiguous: the name prefixed with its length, then numbers, then the ETag's repr
    return f"{len(name)}:{name}|{size}|{mtime_ns}|{etag!r}\n"


def _digest(lines: list[str]) -> str:
    lines.sort()
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def s3_copies() -> Path:
    """Where `s3source` keeps its copies of buckets (its `cache_root`; not imported: it needs boto3)."""
    return paths.cache_dir() / "s3"


def footer_digest(path: str | os.PathLike[str]) -> str:
    """A digest of a Parquet file's footer (every row group's layout and statistics) with its
    length and magic: read from the end of the file, never the whole file. ValueError or
    OSError if it is not a Parquet file."""
    from toolkit.cache import parquet_splice

    return hashlib.sha256(parquet_splice.footer_bytes(path)).hexdigest()


_PARQUET_NAME = re.compile(r"days-[0-9a-f]{12}\.parquet")
_FILES_NAME = re.compile(r"files-[0-9a-f]{12}\.json")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _safe_relative(path: Any) -> bool:
    """A path under the archive as manifests record them: relative, never climbing out."""
    if not isinstance(path, str) or not path or os.path.isabs(path) or path.startswith(("/", "\\")):
        return False
    return ".." not in re.split(r"[\\/]", path)


def manifest_problem(data: Any, month: MonthKey) -> str | None:
    """Why `data` is not a manifest a build of this month writes (None: it is one).

    Everything a query or a build relies on is checked: file names inside the month's folder,
    types, each day in the month, and row groups laid out day after day with none unaccounted for.
    """
    if not isinstance(data, dict):
        return "its manifest is not a JSON object"
    if data.get("version") != FORMAT_VERSION:
        return f"its manifest is of another format ({data.get('version')!r}, this trailcsi writes {FORMAT_VERSION})"
    if [data.get("account"), data.get("region"), data.get("month")] != list(month):
        return "its manifest names another account, region or month than its folder"
    parquet = data.get("parquet")
    if parquet is not None and not (isinstance(parquet, str) and _PARQUET_NAME.fullmatch(parquet)):
        return "its manifest names a Parquet file the cache did not write in its folder"
    files = data.get("files")
    if not (isinstance(files, str) and _FILES_NAME.fullmatch(files)):
        return "its manifest names a file list the cache did not write in its folder"
    total = data.get("row_groups")
    if not _count(total) or (parquet is None and total != 0):
        return "its manifest has no valid row-group count"
    if parquet is not None and not (
        _count(data.get("parquet_size"))
        and _count(data.get("parquet_mtime_ns"))
        and isinstance(data.get("parquet_footer"), str)
        and _SHA256.fullmatch(data["parquet_footer"])
    ):
        return "its manifest does not record its Parquet file's size, time and footer digest"
    days = data.get("days")
    if not isinstance(days, dict):
        return "its manifest has no list of days"
    position = 0
    for day in sorted(days):
        entry = days[day]
        try:
            valid_day = date.fromisoformat(day).isoformat() == day and day[:7] == month[2]
        except ValueError:
            valid_day = False
        if not valid_day:
            return f"its manifest lists a day {day!r} not of its month"
        if not isinstance(entry, dict):
            return f"its manifest's entry for {day} is not a JSON object"
        groups = entry.get("row_groups")
        if not (isinstance(groups, list) and len(groups) == 2 and all(_count(g) for g in groups)):
            return f"its manifest's entry for {day} has no valid row groups"
        if groups[0] != position:
            return f"its manifest's days and row groups do not match (a day missing or out of place before {day})"
        position += groups[1]
        if not all(_count(entry.get(k)) for k in ("events", "count", "bytes")):
            return f"its manifest's entry for {day} has no valid event, file or byte count"
        if (entry["events"] > 0) != (groups[1] > 0):
            return (
                f"its manifest's entry for {day} has events without row groups, or row groups without events"
            )
        if not (isinstance(entry.get("fingerprint"), str) and _SHA256.fullmatch(entry["fingerprint"])):
            return f"its manifest's entry for {day} has no valid fingerprint of its files"
        skipped = entry.get("skipped")
        if not isinstance(skipped, list) or not all(
            isinstance(s, list) and len(s) == 2 and _safe_relative(s[0]) and isinstance(s[1], str)
            for s in skipped
        ):
            return f"its manifest's entry for {day} has an invalid list of skipped files"
    if position != total:
        return "its manifest's days do not account for every row group of its Parquet file (a day missing)"
    return None


#: A day as the `day` partition column holds it (CloudTrail's path form).
day_value = layout.day_value


@dataclass
class BuildReport:
    days_total: int = 0
    days_built: int = 0
    days_reused: int = 0
    files: int = 0
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # path, why
    #: Damaged months removed (their folder, why); their days in the build's scope are rebuilt.
    repaired: list[tuple[str, str]] = field(default_factory=list)


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
        #: Why a month's cache is not used, as its last `load` found (absent: nothing wrong).
        self.problems: dict[MonthKey, str] = {}
        self._sealed: set[tuple[Any, ...]] = set()  # month files whose footer matched, by stat
        self._bucket: str | None = None  # see etags()
        self._etag_index: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    # -- reading --------------------------------------------------------------------------

    def month_path(self, month: MonthKey) -> str:
        account, region, yyyy_mm = month
        return os.path.join(str(self.dir), f"account={account}", f"region={region}", f"month={yyyy_mm}")

    def months(self) -> list[MonthKey]:
        """Every month with a folder in the cache."""
        found = []
        for directory in sorted(self.dir.glob("account=*/region=*/month=*")):
            if directory.is_dir():
                found.append(
                    (directory.parent.parent.name[8:], directory.parent.name[7:], directory.name[6:])
                )
        return found

    def load(self, month: MonthKey) -> MonthManifest | None:
        """The month's manifest, if it is exactly what a build writes; None when the month is not
        cached, or its manifest cannot be trusted (then `problems[month]` says why)."""
        self.problems.pop(month, None)
        try:
            with open(os.path.join(self.month_path(month), MANIFEST), encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except OSError as error:
            self.problems[month] = f"its manifest cannot be read ({error.strerror})"
            return None
        except ValueError:
            self.problems[month] = "its manifest is not JSON"
            return None
        problem = manifest_problem(data, month)
        if problem is not None:
            self.problems[month] = problem
            return None
        return cast(MonthManifest, dict(data))  # (checked whole just above)

    def parquet_problem(self, month: MonthKey, manifest: MonthManifest) -> str | None:
        """Why the month file is not the one `manifest` was committed with (None: it is).

        Cheap: a stat (size and modification time as committed), and the footer (every row
        group's layout) the first time; never the whole file.
        """
        path = self.parquet_file(month, manifest)
        if path is None:
            return None
        try:
            status = os.stat(path)
        except OSError:
            return "its Parquet file is missing"
        if status.st_size != manifest["parquet_size"]:
            return (
                f"its Parquet file is not the one its manifest was written with "
                f"({status.st_size:,} bytes, {manifest['parquet_size']:,} expected)"
            )
        if status.st_mtime_ns != manifest["parquet_mtime_ns"]:
            return "its Parquet file was modified after its manifest was written"
        seal = (path, status.st_size, status.st_mtime_ns, status.st_ino, manifest["parquet_footer"])
        if seal in self._sealed:
            return None
        try:
            digest = footer_digest(path)
        except (OSError, ValueError) as error:
            return f"its Parquet file cannot be read ({error})"
        if digest != manifest["parquet_footer"]:
            return "its Parquet file's footer is not the one its manifest was written with"
        self._sealed.add(seal)
        return None

    def state(self, month: MonthKey) -> tuple[MonthManifest | None, str | None]:
        """(the month's manifest if it and its month file can be trusted, else why not)."""
        manifest = self.load(month)
        if manifest is None:
            return None, self.problems.get(month)
        problem = self.parquet_problem(month, manifest)
        return (None, problem) if problem else (manifest, None)

    def manifest(self, month: MonthKey) -> MonthManifest | None:
        """The month's manifest, if it and the month file it names can be trusted."""
        return self.state(month)[0]

    def manifest_version(self, month: MonthKey) -> tuple[int, int] | None:
        """What changes whenever a build or clear commits the month (its manifest is replaced)."""
        try:
            status = os.stat(os.path.join(self.month_path(month), MANIFEST))
        except OSError:
            return None
        return status.st_ino, status.st_mtime_ns

    def parquet_file(self, month: MonthKey, manifest: MonthManifest) -> str | None:
        """The month's Parquet file, as its manifest names it (None: no events at all)."""
        name = manifest.get("parquet")
        return os.path.join(self.month_path(month), name) if name else None

    def fingerprint(self, files: list[archive.LogFile], etags: Etags | None = None) -> list[list[Any]]:
        """The day's files as [path under the archive, size, modification time (ns)], sorted, and
        the S3 ETag last fetched for each when the archive is a copy of a bucket (`etags`, else
        read now): what a cached day must still match. A file that cannot be stat'ed has size
        and time -1: it matches nothing built."""
        bucket, known = self.etags() if etags is None else etags
        prefix = str(self.root) + os.sep
        listed = []
        for log in files:
            path = log.path
            name = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, self.root)
            try:
                status = os.stat(path)
                item: list[Any] = [name, status.st_size, status.st_mtime_ns]
            except OSError:
                item = [name, -1, -1]
            if bucket:
                item.append(known.get(path[len(bucket) :].replace(os.sep, "/")))
            listed.append(item)
        listed.sort()
        return listed

    def day_digest(self, files: list[archive.LogFile], etags: Etags | None = None) -> str:
        """`fingerprint_digest(self.fingerprint(files, etags))`, without the lists: every query
        computes it for every cached day it reads (a stat a file)."""
        bucket, known = self.etags() if etags is None else etags
        prefix = str(self.root) + os.sep
        cut = len(prefix)
        stat = os.stat
        lines = []
        for log in files:
            path = log.path
            name = path[cut:] if path.startswith(prefix) else os.path.relpath(path, self.root)
            try:
                status = stat(path)
                size, mtime_ns = status.st_size, status.st_mtime_ns
            except OSError:
                size = mtime_ns = -1
            etag = [known.get(path[len(bucket) :].replace(os.sep, "/"))] if bucket else []
            lines.append(_line(name, size, mtime_ns, etag))
        return _digest(lines)

    def etags(self) -> Etags:
        """(the bucket's folder with a trailing separator, key -> ETag) when the archive is under
        `s3source`'s copies of buckets, as its `.etags.json` says now; ("", {}) otherwise."""
        if self._bucket is None:
            copies = s3_copies().expanduser().resolve()
            try:
                relative = self.root.relative_to(copies)
                self._bucket = str(copies / relative.parts[0]) + os.sep if relative.parts else ""
            except ValueError:
                self._bucket = ""
        if not self._bucket:
            return "", {}
        path = self._bucket + ".etags.json"
        try:
            status = os.stat(path)
        except OSError:
            return self._bucket, {}
        version = (status.st_mtime_ns, status.st_size, status.st_ino)
        if self._etag_index is None or self._etag_index[0] != version:
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError):
                data = {}
            self._etag_index = (version, data if isinstance(data, dict) else {})
        return self._bucket, self._etag_index[1]

    def file_lists(self, month: MonthKey, manifest: MonthManifest | None) -> dict[str, list[list[Any]]]:
        """Every cached day's log files as the build that cached it saw them (a record: the
        manifest's fingerprint digests are what is checked)."""
        name = (manifest or {}).get("files")
        if not name:
            return {}
        try:
            with open(os.path.join(self.month_path(month), name), encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {day: files for day, files in data.items() if isinstance(files, list)}

    def covered(
        self,
        key: DayKey,
        files: list[archive.LogFile],
        manifest: MonthManifest | None,
        etags: Etags | None = None,
    ) -> DayEntry | None:
        """The day's manifest entry if the month's (trusted) `manifest` holds it with exactly
        these files, unchanged: same names, sizes and modification times (and ETags: pass
        `etags()` when checking many days)."""
        entry = (manifest or {}).get("days", {}).get(day_name(key))
        if entry is None:
            return None
        if entry.get("fingerprint") != self.day_digest(files, etags):
            return None
        return DayEntry(**entry)

    def days(self) -> list[dict[str, Any]]:
        """Every cached day that can be trusted: account, region, day, events, bytes, files, and
        its month's path (`damaged` lists the months that cannot)."""
        found = []
        for month in self.months():
            manifest, _problem = self.state(month)
            if manifest is None:
                continue
            for day, entry in sorted(manifest["days"].items()):
                found.append(
                    {
                        "account": month[0],
                        "region": month[1],
                        "day": day,
                        "events": entry["events"],
                        "bytes": entry["bytes"],
                        "files": entry["count"],
                        "path": self.month_path(month),
                    }
                )
        return found

    def damaged(self) -> list[tuple[str, str]]:
        """Every month folder whose cache cannot be trusted, with why (a build repairs them)."""
        found = []
        for month in self.months():
            problem = self.state(month)[1]
            if problem is not None:
                found.append((self.month_path(month), problem))
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
        archive.require_utf8(self.dir, "the columnar cache's folder", archive.SET_CACHE_HOME)
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

        report = BuildReport(days_total=len(days))
        report.repaired = self._remove_damaged()
        self._remove_scratch()
        (self.dir / "source.json").write_text(json.dumps({"source": str(self.root)}), encoding="utf-8")
        manifests: dict[MonthKey, MonthManifest | None] = {}
        listed: dict[MonthKey, dict[str, list[list[Any]]]] = {}
        todo: dict[MonthKey, list[DayKey]] = defaultdict(list)
        etags = self.etags()
        for key in sorted(days):
            month = month_of(key)
            if month not in manifests:
                manifests[month] = self.manifest(month)
                listed[month] = self.file_lists(month, manifests[month])
            if self.covered(key, days[key], manifests[month], etags) is not None:
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

        # the files as they were before they were read (and the sizes that batch the days)
        fingerprints = {key: self.fingerprint(days[key], etags) for keys in todo.values() for key in keys}

        def convert(batch: list[DayKey]) -> list[_Converted]:
            converter = free.get()
            try:
                targets = {key: scratch / f"{key[0]}.{key[1]}.{key[2]:%Y-%m-%d}.parquet" for key in batch}
                written = converter.write_parquet(
                    {key: [f.path for f in days[key]] for key in batch}, targets
                )
                return [_Converted(key, fingerprints[key], *written[key], targets[key]) for key in batch]
            finally:
                free.put(converter)

        done = report.days_reused
        pool = ThreadPoolExecutor(max(1, len(converters)), thread_name_prefix="trailcsi-cache")
        try:
            pending: dict[MonthKey, list[Future[list[_Converted]]]] = {
                month: [pool.submit(convert, batch) for batch in _batches(keys, fingerprints)]
                for month, keys in sorted(todo.items())
            }
            for month, futures in pending.items():
                converted = []
                for future in futures:
                    for day in future.result():
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
        old: MonthManifest | None,
        old_files: dict[str, list[list[Any]]],
        converted: list[_Converted],
    ) -> None:
        """Splice the month's kept days and its newly converted ones into a new month file, write
        its file lists, then replace the manifest (the commit) and remove the old files."""
        import uuid

        from toolkit.cache import parquet_splice

        kept = dict((old or {}).get("days", {}))
        fresh = {f"{c.key[2]:%Y-%m-%d}": c for c in converted}
        old_file = self.parquet_file(month, old) if old else None
        old_footer = None
        entries: dict[str, DayEntry] = {}
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
                entry = DayEntry(
                    fingerprint=fingerprint_digest(made.fingerprint),
                    count=len(made.fingerprint),
                    events=made.events,
                    bytes=made.target.stat().st_size if footer else 0,
                    skipped=[[p.removeprefix(root), why] for p, why in made.skipped],
                    row_groups=[0, 0],  # (placed below)
                )
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
                        if len(old_footer.row_groups) != (old or {}).get("row_groups"):
                            raise SourceError(
                                f"{old_file}: not the row groups its manifest names",
                                "run trailcsi cache build again (it removes a damaged month)",
                            )
                    footer = old_footer
            if footer is not None and len(groups):
                parts.append((footer, groups))
            entries[day] = DayEntry(**{**entry, "row_groups": [position, len(groups)]})
            position += len(groups)
        directory = Path(self.month_path(month))
        directory.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        name = f"days-{token}.parquet" if parts else None
        seal: dict[str, Any] = {}
        if name:
            parquet_splice.splice(parts, directory / f"{name}.partial")
            os.replace(directory / f"{name}.partial", directory / name)
            # what queries check before reading the file: its size, and its footer's digest
            status = (directory / name).stat()
            seal = {
                "parquet_size": status.st_size,
                "parquet_mtime_ns": status.st_mtime_ns,
                "parquet_footer": footer_digest(directory / name),
            }
        (directory / f"files-{token}.json").write_text(json.dumps(file_lists), encoding="utf-8")
        manifest = {
            "version": FORMAT_VERSION,
            "account": month[0],
            "region": month[1],
            "month": month[2],
            "parquet": name,
            **seal,
            "row_groups": position,
            "files": f"files-{token}.json",
            "days": entries,
        }
        problem = manifest_problem(manifest, month)
        if problem is not None:  # (a file name the cache cannot represent, e.g.: never commit it)
            raise SourceError(f"{directory}: {problem}", "report this as a bug")
        partial = directory / f"{MANIFEST}.partial"
        partial.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(partial, directory / MANIFEST)  # the commit: a reader sees one manifest or the other
        named = {MANIFEST, name, manifest["files"]}
        for path in directory.iterdir():  # the previous month file and list, and nothing else
            if path.name not in named and path.is_file():
                path.unlink(missing_ok=True)

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

    def _remove_damaged(self) -> list[tuple[str, str]]:
        """Remove every month whose cache cannot be trusted; returns (its folder, why)."""
        removed = self.damaged()
        for path, _problem in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed

    def _remove_scratch(self) -> None:
        """Leftovers of an interrupted build (scratch days, month files no manifest names)."""
        if not self.dir.is_dir():
            return
        for path in [*self.dir.glob(".scratch-*"), *self.dir.glob("account=*/region=*/day=*")]:
            shutil.rmtree(path, ignore_errors=True)  # (day= directories: the earlier per-day layout)
        for month in self.months():
            manifest = self.manifest(month) or {}
            named = {MANIFEST, manifest.get("parquet"), manifest.get("files")}
            for path in Path(self.month_path(month)).iterdir():
                if path.name not in named and path.is_file():
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


def all_caches(base: Path | None = None, damaged: list[tuple[str, str]] | None = None) -> list[ColumnarCache]:
    """Every archive with a cache, as recorded by its builds; a folder whose record cannot be
    read is left out, and added to `damaged` (folder, why) when given (its next build rewrites it)."""
    home = base or cache_base()
    found = []
    for directory in sorted(home.iterdir()) if home.is_dir() else []:
        if not directory.is_dir():
            continue
        try:
            source = json.loads((directory / "source.json").read_text(encoding="utf-8"))["source"]
            if not isinstance(source, str) or not source:
                raise ValueError("no source")
            cache = ColumnarCache(source, home)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            cache = None
        if cache is not None and cache.dir == directory:
            found.append(cache)
        elif damaged is not None:
            damaged.append((str(directory), "its source.json does not say which archive it caches"))
    return found
