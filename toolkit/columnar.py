"""The columnar cache: an archive's day folders converted to Parquet for repeated investigations.

One Parquet file (zstd) per account / region / day folder, holding every `trail` column plus the
partition columns and `_delivered` (the delivery time from each record's file name, so that the
engine applies the same file-level window pruning to cached rows as to raw files). Beside it, a
manifest lists the day's log files with their sizes: a day is served from the cache only while
its files are exactly those, otherwise it is read raw (and `cache build` rebuilds it).

Crash safety: a day is written into a scratch directory and renamed into place with its manifest
last, so a query sees a complete day or none; an interrupted build leaves scratch directories
that the next build removes, and it resumes with the days not yet converted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit import archive

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: The `_delivered` column: when each record's log file was delivered (from its name).
DELIVERED = "_delivered"

DayKey = tuple[str, str, date]  # account, region, day folder


def cache_base() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "trailcsi" / "columnar"


def archive_id(root: Path) -> str:
    """A directory name for an archive: the hash of its resolved path."""
    return hashlib.sha256(str(root.expanduser().resolve()).encode()).hexdigest()[:16]


def group(files: Iterable[archive.LogFile]) -> dict[DayKey, list[archive.LogFile]]:
    days: dict[DayKey, list[archive.LogFile]] = defaultdict(list)
    for log in files:
        days[(log.account, log.region, log.day)].append(log)
    return days


@dataclass
class BuildReport:
    days_total: int = 0
    days_built: int = 0
    days_reused: int = 0
    files: int = 0
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # path, why


class ColumnarCache:
    """The cache of one archive (a directory in CloudTrail's layout)."""

    def __init__(self, root: str | os.PathLike[str], base: Path | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        self.dir = (base or cache_base()) / archive_id(self.root)

    def day_dir(self, key: DayKey) -> Path:
        return Path(self.day_path(key))

    def day_path(self, key: DayKey) -> str:
        account, region, day = key
        return os.path.join(str(self.dir), f"account={account}", f"region={region}", f"day={day:%Y-%m-%d}")

    def parquet_files(self, key: DayKey, manifest: dict[str, Any]) -> list[str]:
        """The day's Parquet files, as its manifest lists them."""
        base = self.day_path(key)
        return [os.path.join(base, name) for name in manifest.get("parquet", [])]

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
        prefix = str(self.root) + os.sep
        for log in sorted(files, key=lambda f: f.path):
            try:
                size = os.stat(log.path).st_size
            except OSError:
                size = -1
            name = (
                log.path[len(prefix) :]
                if log.path.startswith(prefix)
                else os.path.relpath(log.path, self.root)
            )
            listed.append([name, size])
        return listed

    def manifest(self, key: DayKey) -> dict[str, Any] | None:
        try:
            with open(os.path.join(self.day_path(key), MANIFEST), encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        return data if data.get("version") == FORMAT_VERSION else None

    def covered(
        self, key: DayKey, files: list[archive.LogFile], *, sizes: bool = False
    ) -> dict[str, Any] | None:
        """The day's manifest if the cached day is complete and holds exactly these files.

        Queries compare the file names (CloudTrail never rewrites a delivered file: a changed day
        is one with files added or removed); builds also compare sizes.
        """
        manifest = self.manifest(key)
        if manifest is None:
            return None
        if sizes:
            if manifest.get("files") != self.fingerprint(files):
                return None
        elif [name for name, _size in manifest.get("files", [])] != self.names(files):
            return None
        if manifest.get("events", 0) and not manifest.get("parquet"):
            return None
        return manifest

    def build(
        self,
        days: dict[DayKey, list[archive.LogFile]],
        convert: Callable[[list[str], Path], tuple[dict[str, int], list[tuple[str, str]]]],
        progress: Callable[[int, int, int, int], None] | None = None,
        batch_files: int = 400,
    ) -> BuildReport:
        """Convert every day not yet cached (or changed); `convert(paths, directory)` writes Parquet
        into one `_part=<account>.<region>.<YYYY-MM-DD>` directory per day and returns (events per
        part, skipped files). Days are converted in batches of about `batch_files` log files.

        `progress(days done, days, files, events)` is called after each batch.
        """
        self._remove_scratch()
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "source.json").write_text(json.dumps({"source": str(self.root)}), encoding="utf-8")
        report = BuildReport(days_total=len(days))
        todo = []
        for key in sorted(days):
            if self.covered(key, days[key], sizes=True) is not None:
                report.days_reused += 1
            else:
                todo.append(key)
        batches: list[list[DayKey]] = []
        for key in todo:
            if not batches or sum(len(days[k]) for k in batches[-1]) >= batch_files:
                batches.append([])
            batches[-1].append(key)
        done = report.days_reused
        for batch in batches:
            self._build_batch(batch, days, convert, report)
            done += len(batch)
            if progress is not None:
                progress(done, len(days), report.files, report.events)
        return report

    def _build_batch(
        self,
        batch: list[DayKey],
        days: dict[DayKey, list[archive.LogFile]],
        convert: Callable[[list[str], Path], tuple[dict[str, int], list[tuple[str, str]]]],
        report: BuildReport,
    ) -> None:
        scratch = self.dir / f".scratch-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        fingerprints = {key: self.fingerprint(days[key]) for key in batch}  # as they were when read
        counts, skipped = convert([f.path for key in batch for f in days[key]], scratch)
        for key in batch:
            account, region, day = key
            part = scratch / f"_part={account}.{region}.{day:%Y-%m-%d}"
            part.mkdir(parents=True, exist_ok=True)  # a day without events still gets its manifest
            paths = {f.path for f in days[key]}
            events = counts.get(part.name.removeprefix("_part="), 0)
            manifest = {
                "version": FORMAT_VERSION,
                "account": account,
                "region": region,
                "day": f"{day:%Y-%m-%d}",
                "files": fingerprints[key],
                "events": events,
                "parquet": sorted(p.name for p in part.glob("*.parquet")),
                "skipped": [list(s) for s in skipped if s[0] in paths],
            }
            # The manifest is written inside the day's directory before it is renamed into place:
            # a query sees a complete day or no day.
            (part / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            final = self.day_dir(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                retired = final.with_name(final.name + f".retired-{os.getpid()}")
                os.replace(final, retired)
                os.replace(part, final)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(part, final)
            report.days_built += 1
            report.files += len(days[key])
            report.events += events
        report.skipped += skipped
        shutil.rmtree(scratch, ignore_errors=True)

    def _remove_scratch(self) -> None:
        """Leftovers of an interrupted build: never read, removed before building."""
        if not self.dir.is_dir():
            return
        for path in [*self.dir.glob(".scratch-*"), *self.dir.glob("account=*/region=*/day=*.*-*")]:
            shutil.rmtree(path, ignore_errors=True)

    def days(self) -> list[dict[str, Any]]:
        """Every complete cached day, with its manifest."""
        found = []
        for manifest_path in sorted(self.dir.glob(f"account=*/region=*/day=*/{MANIFEST}")):
            if "." in manifest_path.parent.name.removeprefix("day="):
                continue
            try:
                data = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            data["bytes"] = sum(p.stat().st_size for p in manifest_path.parent.iterdir())
            data["path"] = str(manifest_path.parent)
            found.append(data)
        return found

    def clear(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """Remove cached days (those `keep` rejects, or all); returns how many."""
        removed = 0
        for day in self.days():
            if keep is None or not keep(day):
                shutil.rmtree(day["path"], ignore_errors=True)
                removed += 1
        if keep is None:
            shutil.rmtree(self.dir, ignore_errors=True)
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
