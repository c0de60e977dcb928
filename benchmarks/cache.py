"""Columnar cache benchmark: building it, and the same query on the cache against the raw scan.

    python benchmarks/cache.py            # the archive benchmarks/scan.py generates (run that first)

In one run, on the same archive and query as benchmarks/scan.py (failed console logins grouped by
source IP): the raw whole-archive scan in-process (the baseline), `trailcsi cache build` of every
day (wall time and peak RSS, its own process), the same query on the cache in-process and as a
whole `trailcsi sql` command, and a 3-day window on the cache: how many cached days it reads and
how many bytes DuckDB read from the cache files for it (DuckDB's profiler), against the whole-
archive query's. The cache goes to a scratch XDG cache directory. Nothing is asserted; results
are printed and written to benchmarks/results/cache-<date>.md.

The command is timed as installed: `pip install` compiles the package's bytecode, so this script
does too (`compileall`) before timing it; without that, a checkout run with
PYTHONDONTWRITEBYTECODE=1 recompiles every module on every start (about 50 ms here).
"""

from __future__ import annotations

import compileall
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scan import DAYS, END_DAY, QUERY, timed  # noqa: E402

REPEAT = 3
COMMAND_REPEAT = 7
#: A query no Parquet statistics can shorten: it reads two whole columns (the seed query's filter
#: lets the reader skip row groups without console logins, by their min/max and bloom filters).
FULL_READ = "SELECT eventsource, count(*) AS events, count(DISTINCT eventid) AS ids FROM trail GROUP BY 1 ORDER BY 2 DESC"


def bytes_read(root: Path, cache, scope, sql: str) -> int:
    """Bytes DuckDB read from files for the query (its profiler), on a new engine."""
    from toolkit.core.query import TrailQuery
    from toolkit.engines.local import LocalEngine

    engine = LocalEngine(root, cache=cache)
    profile = Path(tempfile.mkdtemp(prefix="trailcsi-bench-profile-")) / "profile.json"
    try:
        engine._con.execute("PRAGMA enable_profiling = 'json'")  # a benchmark may look inside
        engine._con.execute(f"PRAGMA profiling_output = '{profile}'")
        engine.run(TrailQuery.parse(sql, scope))
        return int(json.loads(profile.read_text())["io"]["total_bytes_read"])
    finally:
        engine.close()
        shutil.rmtree(profile.parent, ignore_errors=True)


def best_query(
    root: Path, cache, scope, sql: str = QUERY, repeat: int = REPEAT
) -> tuple[float, int, list[str], float]:
    """Best first query of a new engine, row count, notes, and best repeated query on that engine."""
    from toolkit.core.query import TrailQuery
    from toolkit.engines.local import LocalEngine

    times, again = [], []
    for _ in range(repeat):
        engine = LocalEngine(root, cache=cache)
        query = TrailQuery.parse(sql, scope)
        began = time.perf_counter()
        result = engine.run(query)
        times.append(time.perf_counter() - began)
        began = time.perf_counter()
        engine.run(query)
        again.append(time.perf_counter() - began)
        engine.close()
    return min(times), len(result.rows), result.report.notes, min(again)


def main() -> None:
    from toolkit.cache import columnar
    from toolkit.core import window
    from toolkit.sources import archive

    root = (HERE / "data" / "archive").resolve()
    if not root.is_dir():
        raise SystemExit("no benchmark archive: run python benchmarks/scan.py first")
    scratch = Path(tempfile.mkdtemp(prefix="trailcsi-bench-cache-"))
    python = shlex.quote(sys.executable)
    everything = window.parse(all_time=True)
    raw, raw_rows, _, raw_again = best_query(root, None, everything)
    print(f"raw scan, in-process: {raw:.2f}s", file=sys.stderr)

    build = f"{python} -m toolkit cache build --source {shlex.quote(str(root))} --all-time"
    os.environ["XDG_CACHE_HOME"] = str(scratch)
    build_seconds, build_rss, _ = timed(build)
    print(f"cache build: {build_seconds:.2f}s, peak RSS {build_rss / 1024:.0f} MiB", file=sys.stderr)
    cache = columnar.ColumnarCache(root)
    cached, cached_rows, notes, cached_again = best_query(root, cache, everything)
    assert cached_rows == raw_rows
    compileall.compile_dir(str(HERE.parent / "toolkit"), quiet=1)
    command = (
        f"{python} -m toolkit sql {shlex.quote(QUERY)} --source {shlex.quote(str(root))} --all-time -f csv"
    )
    command_times = [timed(command)[0] for _ in range(COMMAND_REPEAT)]
    command_seconds, command_median = min(command_times), statistics.median(command_times)
    mid = END_DAY - timedelta(days=DAYS // 2)
    three = window.parse(start=str(mid), end=str(mid + timedelta(days=2)))
    window_seconds, _, window_notes, _again = best_query(root, cache, three)
    window_bytes = bytes_read(root, cache, three, FULL_READ)
    whole_bytes = bytes_read(root, cache, everything, FULL_READ)
    full_raw, full_rows, _, _ = best_query(root, None, everything, FULL_READ, 1)
    full_cached, full_cached_rows, _, _ = best_query(root, cache, everything, FULL_READ)
    assert full_rows == full_cached_rows
    size_mb = sum(p.stat().st_size for p in cache.dir.rglob("*") if p.is_file()) / 1e6
    files = len(list(cache.dir.rglob("*.parquet")))
    window_days = len(
        {(f.account, f.region, f.day) for f in archive.scan(root).select(three.delivery_span())}
    )
    days = len(cache.days())
    lines = [
        f"# Columnar cache benchmark, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"archive: benchmarks/data/archive ({days} day folders); cache {size_mb:,.0f} MB of Parquet (zstd) "
        f"in {files} files; best of {REPEAT} (the command: best and median of {COMMAND_REPEAT}).",
        f"Query: `{QUERY}`",
        "",
        "| measurement | s | ratio |",
        "|---|---:|---:|",
        f"| raw scan, whole archive, in-process (baseline) | {raw:.3f} | 1 |",
        f"| cache build, every day (own process; peak RSS {build_rss / 1024:.0f} MiB) | {build_seconds:.2f} | "
        f"{build_seconds / raw:.2f}× the raw scan |",
        f"| same query on the cache, in-process | {cached:.4f} | {raw / cached:,.0f}× faster |",
        f"| repeated query on the same engine: raw {raw_again:.3f} s, cache | {cached_again:.4f} | "
        f"{raw_again / cached_again:,.0f}× faster |",
        f"| same query on the cache, whole `trailcsi sql` command (median {command_median:.2f} s) "
        f"| {command_seconds:.2f} | — |",
        f"| 3-day window on the cache, in-process ({'; '.join(window_notes)}) | {window_seconds:.4f} | — |",
        f"| a query no statistics can shorten (`{FULL_READ}`): raw {full_raw:.2f} s (one run), cache "
        f"| {full_cached:.4f} | {full_raw / full_cached:,.0f}× faster |",
        "",
        f"Bytes DuckDB read from the cache files for that query (its profiler): {window_bytes / 1e6:.1f} MB "
        f"for the 3-day window, {whole_bytes / 1e6:.1f} MB for the whole archive "
        f"({window_bytes / whole_bytes:.0%}; the window selects {window_days} of the {days} cached days, "
        f"{window_days / days:.0%}).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results" / f"cache-{date.today()}.md"
    out.write_text(text, encoding="utf-8")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
