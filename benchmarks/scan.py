"""Whole-archive scan benchmark: `trailcsi sql` against baselines measured in the same run.

    python benchmarks/scan.py                # generate (once) ~1.6 GB / ~1.3M events, then measure
    python benchmarks/scan.py --volume 40    # a smaller archive for a quick look

Every measurement runs as its own process (warm page cache: one untimed warm-up read first) and
reports wall time, events/s, MB/s of uncompressed JSON, and the process tree's peak RSS. The query
is the seed question "failed console logins grouped by source IP". Results are printed as a
Markdown table and written to benchmarks/results/scan-<date>.md; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
END_DAY = date(2025, 6, 30)
DAYS = 30
QUERY = (
    "SELECT sourceipaddress, count(*) AS failures FROM trail "
    "WHERE eventname = 'ConsoleLogin' AND errormessage = 'Failed authentication' "
    "GROUP BY 1 ORDER BY 2 DESC"
)
MINIMAL_DUCKDB = """
import duckdb, glob, sys
files = sorted(glob.glob(sys.argv[1] + '/AWSLogs/**/CloudTrail/**/*.json.gz', recursive=True))
print(duckdb.sql(f'''
  SELECT r.sourceIPAddress, count(*) FROM (
    SELECT unnest(Records) AS r FROM read_json({files!r},
      columns={{'Records': 'STRUCT(eventName VARCHAR, errorMessage VARCHAR, sourceIPAddress VARCHAR)[]'}},
      format='unstructured', records=true, maximum_object_size=268435456))
  WHERE r.eventName = 'ConsoleLogin' AND r.errorMessage = 'Failed authentication'
  GROUP BY 1 ORDER BY 2 DESC''').fetchall())
"""
IN_PROCESS = """
import sys, time
from toolkit.core import window
from toolkit.engines.local import LocalEngine
from toolkit.core.query import TrailQuery
root, sql, start, end = sys.argv[1:5]
engine = LocalEngine(root)
scope = window.parse(all_time=True) if start == "-" else window.parse(start=start, end=end)
query = TrailQuery.parse(sql, scope)
for _ in range(2):  # the first query of a new engine, then the same query on it
    began = time.perf_counter()
    engine.run(query)
    print(time.perf_counter() - began)
"""


def generate(root: Path, volume: float) -> None:
    from toolkit.sample import generator

    marker = root / f".complete-v{volume}-{generator.version()}"  # a changed generator: a new archive
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    print(f"generating {DAYS} days at volume {volume} into {root} ...", file=sys.stderr)
    began = time.monotonic()
    summary = generator.write_archive(
        root,
        days=DAYS,
        end_day=END_DAY,
        volume=volume,
        plant_incidents=False,
        workers=os.cpu_count() or 1,
        digests=False,  # the scan reads log files only
    )
    marker.write_text(json.dumps({"events": summary.events, "files": summary.files}))
    print(
        f"generated {summary.events:,} events in {summary.files:,} files in {time.monotonic() - began:.0f}s",
        file=sys.stderr,
    )


def measure_archive(root: Path) -> tuple[int, int, int]:
    """(events, uncompressed bytes, files) counted independently of the engine."""
    events = size = files = 0
    for path in sorted(root.rglob("CloudTrail/*/*/*/*/*.json.gz")):  # log files, not digests
        with gzip.open(path, "rb") as handle:
            body = handle.read()
        size += len(body)
        events += len(json.loads(body)["Records"])
        files += 1
    return events, size, files


def timed(command: str) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB, the largest process of the command; GNU time) and stdout."""
    rss_file = Path("/tmp/trailcsi-bench-rss")
    wrapped = f"/usr/bin/time -f '%M' -o {rss_file} bash -c {shlex.quote(command)}"
    began = time.monotonic()
    done = subprocess.run(["bash", "-c", wrapped], capture_output=True, text=True)
    elapsed = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {command}\n{done.stderr[-2000:]}")
    return elapsed, int(rss_file.read_text().split()[-1]), done.stdout


def _baseline(label: str, whole: float, in_process: dict[str, float]) -> float:
    """The whole-archive time of the same kind as `label` (command or in-process query)."""
    for kind, seconds in in_process.items():
        if label.startswith("in-process") and label.endswith(kind):
            return seconds
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--volume", type=float, default=380.0, help="events-per-day multiplier (380 ≈ 1.3M events)"
    )
    parser.add_argument("--data", type=Path, default=HERE / "data" / "archive")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (the best is kept)")
    args = parser.parse_args()

    root = args.data.resolve()
    generate(root, args.volume)
    events, size, files = measure_archive(root)
    mb = size / 1e6
    files_glob = f"find {shlex.quote(str(root))} -path '*/CloudTrail/*' -name '*.json.gz' -print0 | sort -z"
    python = shlex.quote(sys.executable)
    trailcsi = f"{python} -m toolkit"  # what the installed command runs
    first, last = END_DAY - timedelta(days=DAYS - 1), END_DAY
    mid = first + timedelta(days=DAYS // 2)
    cases = [
        ("gzip -dc (one core, decompression only)", f"{files_glob} | xargs -0 cat | gzip -dc > /dev/null"),
        (
            "zcat + jq (same filter + group-by)",
            f'{files_glob} | xargs -0 cat | gzip -dc | jq -r \'.Records[] | select(.eventName == "ConsoleLogin" '
            f'and .errorMessage == "Failed authentication") | .sourceIPAddress\' | sort | uniq -c | sort -rn',
        ),
        (
            "DuckDB read_json, minimal explicit schema",
            f"{shlex.quote(sys.executable)} -c {shlex.quote(MINIMAL_DUCKDB)} {shlex.quote(str(root))}",
        ),
        (
            "trailcsi sql, whole archive (30 days)",
            f"{trailcsi} sql {shlex.quote(QUERY)} --source {shlex.quote(str(root))} --all-time --format csv --no-cache",
        ),
        (
            "trailcsi sql, whole archive, files never checked before",
            f"XDG_CACHE_HOME=$(mktemp -d) {trailcsi} sql {shlex.quote(QUERY)} --source {shlex.quote(str(root))} "
            "--all-time --format csv --no-cache",
        ),
        (
            "trailcsi sql, 3-day window",
            f"{trailcsi} sql {shlex.quote(QUERY)} --source {shlex.quote(str(root))} --start {mid} "
            f"--end {mid + timedelta(days=2)} --format csv --no-cache",
        ),
        (
            "in-process query (engine.run), whole archive",
            f"{python} -c {shlex.quote(IN_PROCESS)} {shlex.quote(str(root))} {shlex.quote(QUERY)} - -",
        ),
        (
            "in-process query (engine.run), 3-day window",
            f"{python} -c {shlex.quote(IN_PROCESS)} {shlex.quote(str(root))} {shlex.quote(QUERY)} "
            f"{mid} {mid + timedelta(days=2)}",
        ),
    ]
    if not Path("/usr/bin/time").exists():
        raise SystemExit("GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time")
    if not shutil.which("jq"):
        cases = [c for c in cases if "jq" not in c[0]]
        print("jq not found: the zcat | jq baseline is skipped", file=sys.stderr)
    timed(f"{files_glob} | xargs -0 cat > /dev/null")  # warm the page cache
    results: dict[str, tuple[float, int]] = {}
    for label, command in cases:
        runs: dict[str, list[tuple[float, int]]] = {}
        for _ in range(args.repeat):
            elapsed, rss, out = timed(command)
            if label.startswith("in-process"):  # the query alone: first, then with the engine re-used
                once, again = (float(x) for x in out.split()[-2:])  # (not `first`: the archive's first day)
                runs.setdefault(f"{label}, first query", []).append((once, rss))
                runs.setdefault(f"{label}, repeated query", []).append((again, rss))
            else:
                runs.setdefault(label, []).append((elapsed, rss))
        for name, measured in runs.items():
            results[name] = min(measured)
            print(
                f"{name}: {results[name][0]:.2f}s, peak RSS {results[name][1] / 1024:.0f} MiB",
                file=sys.stderr,
            )

    whole = results["trailcsi sql, whole archive (30 days)"][0]
    in_process = {
        kind: results[f"in-process query (engine.run), whole archive, {kind}"][0]
        for kind in ("first query", "repeated query")
    }
    lines = [
        f"# Scan benchmark, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        f"Archive: {events:,} events, {mb:,.0f} MB uncompressed JSON, {files:,} log files, {DAYS} days "
        f"({first} to {last}); warm page cache; best of {args.repeat}.",
        f"Query: `{QUERY}`",
        "Seconds are the whole command's wall time, except the in-process rows: `engine.run` alone, "
        "the first query of a new engine and the same query again on that engine, as a notebook sees "
        "them. Every file a query reads is checked whole first (gzip CRC-32 and length, JSON shape), "
        "side by side with the query; the outcome is kept in trailcsi's cache until the file changes, "
        "so 'files never checked before' (a fresh cache each run) shows what the first query over an "
        "archive pays, and the other rows what later ones pay. The ratio compares like with like. "
        "The 3-day window reads the files delivered from its start to 6 hours after its end "
        "(`--late-delivery`).",
        "",
        "| measurement | s | events/s | MB/s | peak RSS MiB | whole archive (same kind) ÷ this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, (elapsed, rss) in results.items():
        scanned = 3 / DAYS if "3-day" in label else 1.0
        lines.append(
            f"| {label} | {elapsed:.2f} | {events * scanned / elapsed:,.0f} | {mb * scanned / elapsed:,.0f} | "
            f"{rss / 1024:,.0f} | {_baseline(label, whole, in_process) / elapsed:.2f} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    out = HERE / "results" / f"scan-{date.today()}-volume{args.volume:g}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
