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

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.parquet"
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
        account, region, day = key
        return self.dir / f"account={account}" / f"region={region}" / f"day={day:%Y-%m-%d}"

    def fingerprint(self, files: list[archive.LogFile]) -> list[list[Any]]:
        """The day's files as (path under the archive, size): what a cached day must still match."""
        listed = []
        for log in sorted(files, key=lambda f: f.path):
            try:
                size = os.stat(log.path).st_size
            except OSError:
                size = -1
            listed.append([os.path.relpath(log.path, self.root), size])
        return listed

    def manifest(self, key: DayKey) -> dict[str, Any] | None:
        try:
            data = json.loads((self.day_dir(key) / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("version") == FORMAT_VERSION else None

    def covered(self, key: DayKey, files: list[archive.LogFile]) -> dict[str, Any] | None:
        """The day's manifest if the cached day is complete and its files are unchanged."""
        manifest = self.manifest(key)
        if manifest is None or manifest.get("files") != self.fingerprint(files):
            return None
        if not (self.day_dir(key) / DATA).is_file():
            return None
        return manifest

    def build(
        self,
        days: dict[DayKey, list[archive.LogFile]],
        convert: Callable[[list[str], Path], tuple[int, list[tuple[str, str]]]],
        progress: Callable[[int, int, int, int], None] | None = None,
    ) -> BuildReport:
        """Convert every day not yet cached (or changed) with `convert(paths, parquet) -> (events, skipped)`.

        `progress(days done, days, files, events)` is called after each day.
        """
        self._remove_scratch()
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "source.json").write_text(json.dumps({"source": str(self.root)}), encoding="utf-8")
        report = BuildReport(days_total=len(days))
        for number, key in enumerate(sorted(days), 1):
            files = days[key]
            if self.covered(key, files) is not None:
                report.days_reused += 1
            else:
                self._build_day(key, files, convert, report)
            if progress is not None:
                progress(number, len(days), report.files, report.events)
        return report

    def _build_day(
        self,
        key: DayKey,
        files: list[archive.LogFile],
        convert: Callable[[list[str], Path], tuple[int, list[tuple[str, str]]]],
        report: BuildReport,
    ) -> None:
        final = self.day_dir(key)
        scratch = final.with_name(final.name + f".building-{os.getpid()}")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        fingerprint = self.fingerprint(files)
        events, skipped = convert([f.path for f in files], scratch / DATA)
        manifest = {
            "version": FORMAT_VERSION,
            "account": key[0],
            "region": key[1],
            "day": f"{key[2]:%Y-%m-%d}",
            "files": fingerprint,
            "events": events,
            "skipped": [list(s) for s in skipped],
        }
        # The manifest goes into the scratch directory first; the directory is then swapped in.
        (scratch / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        if final.exists():
            retired = final.with_name(final.name + f".retired-{os.getpid()}")
            os.replace(final, retired)
            os.replace(scratch, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(scratch, final)
        report.days_built += 1
        report.files += len(files)
        report.events += events
        report.skipped += skipped

    def _remove_scratch(self) -> None:
        """Leftovers of an interrupted build: never read, removed before building."""
        if not self.dir.is_dir():
            return
        for path in self.dir.glob("account=*/region=*/day=*.*-*"):
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
