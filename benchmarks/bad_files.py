"""What bad files cost: the scan benchmark's query over a copy of its archive in which some log
files are damaged, next to the same query over the undamaged copy, in the same run.

    python benchmarks/bad_files.py               # the scan benchmark's archive (generated once)
    python benchmarks/bad_files.py --volume 40   # a smaller archive for a quick look

Two kinds of damage, 30 files each: a corrupt byte in the gzip stream (found by the whole check
that runs beside every query), and an item of `Records` after the first that is not an object
(found by DuckDB's reader as it reads). Each copy is queried twice with a fresh trailcsi cache
directory: the first query checks every file whole and meets the damage; the second finds the
outcomes remembered (`--no-cache`: no columnar cache either way). Results are printed as a
Markdown table and written to benchmarks/results/bad-files-<date>.md; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import shlex
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scan  # noqa: E402  (the same archive, query and timing helper)

DAMAGED = 30


def damage(root: Path, copy: Path, kind: str) -> None:
    """A copy of `root` with `DAMAGED` log files, spread over the archive, damaged in one way."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    logs = sorted(copy.rglob("CloudTrail/*/*/*/*/*.json.gz"))
    for path in logs[:: max(1, len(logs) // DAMAGED)][:DAMAGED]:
        data = path.read_bytes()
        if kind == "corrupt":
            at = len(data) // 2
            path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
        else:
            text = gzip.decompress(data).rstrip()
            assert text.endswith(b"]}"), path
            path.write_bytes(gzip.compress(text[:-2] + b", 5]}"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volume", type=float, default=380.0)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "archive")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (the best is kept)")
    args = parser.parse_args()
    root = args.data.resolve()
    scan.generate(root, args.volume)
    events, size, files = scan.measure_archive(root)
    work = Path(tempfile.mkdtemp(prefix="trailcsi-bad-files-"))
    python = shlex.quote(sys.executable)
    query = shlex.quote(scan.QUERY)
    copies = {"undamaged": root}
    for kind in ("corrupt", "not-an-object"):
        copies[kind] = work / kind
        damage(root, copies[kind], kind)

    def command(source: Path, cache: Path) -> str:
        return (
            f"XDG_CACHE_HOME={shlex.quote(str(cache))} {python} -m toolkit sql {query} "
            f"--source {shlex.quote(str(source))} --all-time --no-cache --format csv"
        )

    results: dict[tuple[str, str], tuple[float, int]] = {}
    for label, source in copies.items():
        first, later = [], []
        for attempt in range(args.repeat):
            fresh = work / f"cache-{label}-{attempt}"  # nothing checked or refused before
            first.append(scan.timed(command(source, fresh))[:2])
            later.append(scan.timed(command(source, fresh))[:2])
            shutil.rmtree(fresh, ignore_errors=True)
        results[(label, "first query")] = min(first)
        results[(label, "later query")] = min(later)
        print(f"{label}: first {min(first)[0]:.2f}s, later {min(later)[0]:.2f}s", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"# Bad-file cost benchmark, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"Archive: {events:,} events, {size / 1e6:,.0f} MB uncompressed JSON, {files:,} log files; "
        f"{DAMAGED} of them damaged in each damaged copy; best of {args.repeat}.",
        f"Query: `{scan.QUERY}` (`--all-time --no-cache`)",
        "",
        "| archive | query | s | peak RSS MiB | ÷ undamaged (same query) |",
        "|---|---|---:|---:|---:|",
    ]
    for (label, which), (elapsed, rss) in results.items():
        baseline = results[("undamaged", which)][0]
        lines.append(f"| {label} | {which} | {elapsed:.2f} | {rss / 1024:,.0f} | {elapsed / baseline:.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = HERE / "results" / f"bad-files-{date.today()}.md"
    out.write_text(report)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
