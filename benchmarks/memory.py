"""Peak memory of the commands that hold the most: a whole-archive export of every column, and a
sweep of every detection over all time, next to DuckDB's own minimal reader in the same run.

    python benchmarks/memory.py               # the scan benchmark's archive (generated once)
    python benchmarks/memory.py --volume 40   # a smaller archive for a quick look

A second archive holds many tiny files: the sample over 310 days (about 20,000 log files of a
few events each), where per-file costs dominate; the sweep runs over it too.

Each command runs as its own process; peak RSS is GNU time's maximum resident set size. Results
are printed as a Markdown table and written to benchmarks/results/memory-<date>.md; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scan  # noqa: E402  (the same archive and timing helper)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volume", type=float, default=380.0)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "archive")
    parser.add_argument("--tiny", type=Path, default=HERE / "data" / "tiny-files")
    args = parser.parse_args()
    root = args.data.resolve()
    scan.generate(root, args.volume)
    events, size, files = scan.measure_archive(root)
    tiny = args.tiny.resolve()
    tiny_files = generate_tiny(tiny)
    python = shlex.quote(sys.executable)
    source = shlex.quote(str(root))
    cases = [
        (
            "DuckDB read_json, minimal explicit schema (baseline)",
            f"{python} -c {shlex.quote(scan.MINIMAL_DUCKDB)} {source}",
        ),
        (
            "trailcsi sql 'SELECT * FROM trail' --all-time --format jsonl (every column, every event)",
            f"{python} -m toolkit sql 'SELECT * FROM trail' --source {source} --all-time --no-cache "
            "--format jsonl > /dev/null",
        ),
        (
            "trailcsi sweep --all-time (every detection)",
            f"{python} -m toolkit sweep --source {source} --all-time --no-cache --format csv > /dev/null",
        ),
        (
            f"trailcsi sweep --all-time on {tiny_files:,} tiny log files (the sample over {TINY_DAYS} days)",
            f"{python} -m toolkit sweep --source {shlex.quote(str(tiny))} --all-time --no-cache "
            "--format csv > /dev/null",
        ),
    ]
    lines = [
        f"# Memory benchmark, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"Archive: {events:,} events, {size / 1e6:,.0f} MB uncompressed JSON, {files:,} log files.",
        "",
        "| command | s | peak RSS MiB | ÷ baseline RSS |",
        "|---|---:|---:|---:|",
    ]
    baseline = None
    for label, command in cases:
        elapsed, rss, _out = scan.timed(command)
        baseline = baseline or rss
        print(f"{label}: {elapsed:.1f}s, peak RSS {rss / 1024:,.0f} MiB", file=sys.stderr)
        lines.append(f"| {label} | {elapsed:.1f} | {rss / 1024:,.0f} | {rss / baseline:.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    (HERE / "results" / f"memory-{date.today()}.md").write_text(report, encoding="utf-8")


#: Days of the tiny-files archive: the sample writes about 65 log files a day.
TINY_DAYS = 310


def generate_tiny(root: Path) -> int:
    """The sample over `TINY_DAYS` days under `root` (written once); how many log files it holds."""
    from toolkit.sample import generator

    marker = root / f".complete-{TINY_DAYS}-{generator.version()}"
    if not marker.exists():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        print(f"writing the sample over {TINY_DAYS} days into {root} ...", file=sys.stderr)
        summary = generator.write_archive(root, days=TINY_DAYS, end_day=date(2025, 3, 31))
        marker.write_text(str(summary.files))
    return int(marker.read_text())


if __name__ == "__main__":
    main()
