"""What bundling small log files saves: the same queries, and the same columnar cache build, with
small files read in bundles (the default) and one by one, in the same run.

    python benchmarks/bundles.py            # the sample archive (8,490 small files), written once
    python benchmarks/bundles.py --repeat 5

Each measurement is a fresh engine in this process (warm page cache: one untimed run first),
best of `--repeat`, as CPU seconds of the process (DuckDB's threads included) and wall seconds.
Results are printed as a Markdown table and written to benchmarks/results/bundles-<date>.md;
nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toolkit.cache import columnar  # noqa: E402
from toolkit.core import window  # noqa: E402
from toolkit.core.query import TrailQuery  # noqa: E402
from toolkit.engines.local import LocalEngine  # noqa: E402
from toolkit.sample import generator  # noqa: E402

SAMPLE = HERE / "data" / "sample-bundles"
QUERIES = {
    "one column": "SELECT count(DISTINCT eventid) FROM trail",
    "five columns": "SELECT eventname, useridentity.arn, sourceipaddress, count(*) FROM trail "
    "WHERE eventtime > '2025-01-01' GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10",
    "every column": "SELECT * FROM trail ORDER BY eventtime, eventid LIMIT 5",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(work, repeat: int) -> tuple[float, float]:
    work()  # warm-up (page cache; the checks' outcomes remembered)
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = _cpu(), time.perf_counter()
        work()
        best = min(best, (_cpu() - cpu, time.perf_counter() - wall))
    return best


def _query(sql: str, bundled: bool):
    def work() -> None:
        engine = LocalEngine(SAMPLE)
        engine.bundle_small_files = bundled
        try:
            engine.run(TrailQuery.parse(sql, window.parse(all_time=True)))
        finally:
            engine.close()

    return work


def _build(bundled: bool):
    def work() -> None:
        base = Path(tempfile.mkdtemp(prefix="trailcsi-bench-cache-"))
        engine = LocalEngine(SAMPLE)
        engine.bundle_small_files = bundled
        try:
            days = columnar.group(engine.archive.files)
            columnar.ColumnarCache(SAMPLE, base).build(days, [engine])
        finally:
            engine.close()
            shutil.rmtree(base, ignore_errors=True)

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"writing the sample archive to {SAMPLE} ...", file=sys.stderr)
        generator.write_archive(SAMPLE, days=130, seed=7, end_day=date(2025, 3, 31))
    os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="trailcsi-bench-home-"))
    rows = []
    work = {name: (_query(sql, True), _query(sql, False)) for name, sql in QUERIES.items()}
    work["columnar cache build (every day)"] = (_build(True), _build(False))
    for name, (bundled, alone) in work.items():
        print(f"{name} ...", file=sys.stderr)
        b_cpu, b_wall = _measure(bundled, args.repeat)
        a_cpu, a_wall = _measure(alone, args.repeat)
        rows.append(
            f"| {name} | {a_cpu:.2f} / {a_wall:.2f} | {b_cpu:.2f} / {b_wall:.2f} | "
            f"{a_cpu / b_cpu:.1f}x / {a_wall / b_wall:.1f}x |"
        )
    files = sum(1 for _ in SAMPLE.rglob("CloudTrail/*/*/*/*/*.json.gz"))
    table = "\n".join(
        [
            f"# Bundles, {date.today()}: the sample ({files:,} log files), "
            f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores",
            "",
            f"Best of {args.repeat}; CPU seconds (the process, DuckDB's threads included) / wall seconds.",
            "",
            "| work | one by one | bundled | saved (CPU / wall) |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    out = HERE / "results" / f"bundles-{date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
