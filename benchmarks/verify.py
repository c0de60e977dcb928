"""`trailcsi verify` throughput against a plain hashing loop measured in the same run.

    python benchmarks/verify.py                 # 4 days at volume 200, digests for the last 72 hours
    python benchmarks/verify.py --volume 50     # smaller

The archive (synthetic, written once into benchmarks/data/verify-<volume>) has signed digest
chains for its last 72 hours. Measured, best of 3: `verify` over those hours in-process (RSA
signatures, links, SHA-256 of every uncompressed log, unreferenced-file scan), and the baseline: a
single-threaded Python loop that only gunzips and hashes the same log files. Nothing is asserted;
results go to benchmarks/results/verify-<date>.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
END_DAY = date(2025, 6, 30)


def main() -> None:
    from toolkit.core.window import Window
    from toolkit.integrity import verify
    from toolkit.integrity.publickeys import PublicKeys
    from toolkit.sample import digests, generator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume", type=float, default=200.0)
    args = parser.parse_args()
    root = HERE / "data" / f"verify-{args.volume:g}"
    marker = root / f".complete-{generator.version()}"
    if not marker.exists():
        summary = generator.write_archive(
            root,
            days=4,
            end_day=END_DAY,
            volume=args.volume,
            plant_incidents=False,
            workers=os.cpu_count() or 1,
        )
        marker.write_text(f"{summary.events} events, {summary.files} files, {summary.digests} digests\n")
    start = digests.validation_start(END_DAY)
    window = Window(start, None, "validated hours")
    keys = PublicKeys.load(root / digests.PUBLIC_KEYS)
    logs = [p for p in sorted(root.rglob("CloudTrail/*/*/*/*/*.json.gz")) if _delivered(p) >= start]

    def baseline() -> int:
        size = 0
        for path in logs:
            body = gzip.decompress(path.read_bytes())
            hashlib.sha256(body).hexdigest()
            size += len(body)
        return size

    base_times, verify_times, single_times = [], [], []
    for _ in range(3):
        began = time.perf_counter()
        size = baseline()
        base_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        report = verify.verify(root, window, keys)
        verify_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        verify.verify(root, window, keys, workers=1)
        single_times.append(time.perf_counter() - began)
    totals = report.totals()
    base, mine, single = min(base_times), min(verify_times), min(single_times)
    lines = [
        f"# Verify benchmark, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(logs):,} log files ({size / 1e6:,.0f} MB uncompressed) and "
        f"{totals['digests_valid'] + totals['digests_unauthenticated']:,} digests in the validated 72 hours; best of 3.",
        "",
        "| measurement | s | MB/s | vs baseline |",
        "|---|---:|---:|---:|",
        f"| baseline: gunzip + SHA-256 of each log, one thread | {base:.2f} | {size / 1e6 / base:,.0f} | 1.0× |",
        f"| trailcsi verify (signatures, links, hashes in parallel, unreferenced scan) | {mine:.2f} | "
        f"{size / 1e6 / mine:,.0f} | {base / mine:.2f}× |",
        f"| the same with one hashing thread | {single:.2f} | {size / 1e6 / single:,.0f} | {base / single:.2f}× |",
        "",
        f"Result: {'valid' if report.ok() else 'PROBLEMS'}; {totals['digests_valid']:,} digests valid, "
        f"{totals['logs_valid'] + totals['logs_unvouched']:,} log files valid.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results" / f"verify-{date.today()}.md").write_text(text, encoding="utf-8")


def _delivered(path: Path) -> datetime:
    from toolkit.sources.archive import parse_log_path

    log = parse_log_path(str(path))
    return log.delivered if log and log.delivered else datetime(1970, 1, 1, tzinfo=UTC)


if __name__ == "__main__":
    main()
