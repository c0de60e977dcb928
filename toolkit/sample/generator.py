"""Write a deterministic synthetic archive in CloudTrail's S3 layout (organization trail).

The same seed, days, end day and volume give byte-identical files. Each account/region/day's
events are split into files by delivery period; a file lands in the folder of the day it is
delivered (a few minutes after its period ends), so late-evening events sit in the next day's
folder, as in real trails.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.errors import UsageError
from toolkit.sample import actors, events, incidents
from toolkit.sources import layout

MIN_DAYS = 120
DELIVERY_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class Summary:
    events: int
    files: int
    first_day: date
    last_day: date
    digests: int = 0


def last_full_day() -> date:
    """Yesterday in UTC: the newest day whose logs are complete, so no event lies in the future."""
    return datetime.now(UTC).date() - timedelta(days=1)


def parse_end_day(text: str | None) -> date:
    if text is None:
        return last_full_day()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--end {text!r} is not a date", "use YYYY-MM-DD") from None


def log_key(org_id: str | None, account: str, region: str, delivered: datetime, suffix: str) -> str:
    """The S3 key CloudTrail gives a log file delivered at `delivered`."""
    name = layout.log_name(account, region, delivered, suffix)
    return layout.day_folder("", org_id, account, region, delivered.date()) + name


def write_log_file(root: Path, key: str, records: list[dict[str, Any]]) -> int:
    """Write `{"Records": [...]}` gzipped at `root/key` (deterministic bytes); returns its size."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"Records": records}, separators=(",", ":")).encode()
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
    ):
        gz.write(body)
    return path.stat().st_size


def _suffix(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(16))


def _partitions() -> list[tuple[str, str]]:
    return [(account, region) for account, regions in actors.REGIONS.items() for region in regions]


def _files_for(count: int) -> int:
    return max(24, min(288, -(-count // 400)))  # hourly at least; CloudTrail writes every ~5 min


def _write_day(args: tuple[str, int, str, str, date, float, list[dict[str, Any]]]) -> tuple[int, int]:
    root, seed, account, region, day, volume, extra = args
    rng = random.Random(f"trailcsi-sample:{seed}:{account}:{region}:{day.isoformat()}")
    records = events.background(rng, account, region, day, volume) + extra
    records.sort(key=lambda r: (r["eventTime"], r["eventID"]))
    periods = _files_for(len(records))
    span = timedelta(days=1) / periods
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    by_period: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        moment = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        by_period[min(int((moment - start) / span), periods - 1)].append(record)
    files = 0
    for period in sorted(by_period):
        delivered = start + span * (period + 1) + DELIVERY_DELAY
        write_log_file(
            Path(root), log_key(actors.ORG_ID, account, region, delivered, _suffix(rng)), by_period[period]
        )
        files += 1
    return len(records), files


def write_archive(
    root: str | os.PathLike[str],
    *,
    days: int = 130,
    seed: int = 7,
    end_day: date | None = None,
    volume: float = 1.0,
    plant_incidents: bool = True,
    workers: int = 1,
    digests: bool = True,
) -> Summary:
    """Write `days` days of logs ending on `end_day` (default yesterday, UTC) under `root`."""
    if plant_incidents and days < MIN_DAYS:
        raise UsageError(f"--days {days} is too few", f"the planted incidents need at least {MIN_DAYS} days")
    if days < 1 or volume <= 0:
        raise UsageError("--days and the volume must be positive")
    end = end_day or last_full_day()
    first = end - timedelta(days=days - 1)
    planted: dict[tuple[str, str, date], list[dict[str, Any]]] = defaultdict(list)
    if plant_incidents:
        for item in incidents.plant(end, seed)[0]:
            stamp = item.record["eventTime"][:10]
            planted[(item.account, item.region, date.fromisoformat(stamp))].append(item.record)
    tasks = [
        (
            str(root),
            seed,
            account,
            region,
            first + timedelta(days=offset),
            volume,
            planted.get((account, region, first + timedelta(days=offset)), []),
        )
        for offset in range(days)
        for account, region in _partitions()
    ]
    results: Iterable[tuple[int, int]]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_write_day, tasks, chunksize=4))
    else:
        results = [_write_day(task) for task in tasks]
    total_events = total_files = 0
    for count, files in results:
        total_events += count
        total_files += files
    written = 0
    if digests:
        from toolkit.sample.digests import write_digests

        written = write_digests(Path(root), end, seed)
    return Summary(total_events, total_files, first, end, written)


def version() -> str:
    """A fingerprint of the generator's code: archives written by another version differ."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in (
        "actors.py",
        "events.py",
        "incidents.py",
        "generator.py",
        "digests.py",
        "../integrity/rsa.py",
    ):
        digest.update((here / module).read_bytes())
    return digest.hexdigest()[:12]


def default_dir(seed: int, days: int, end_day: date) -> Path:
    """Where `demo` keeps its sample archive: the user's cache directory."""
    return paths.cache_dir() / "sample" / f"seed{seed}-days{days}-{end_day.isoformat()}-{version()}"
