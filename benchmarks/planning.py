"""DuckDB's planning of every detection's SQL (what a sweep pays before reading a byte), with the
local engine's macros as they are, against the same macros with any_match's operand written out
wherever its body names it (the macro as it was), in the same run.

    python benchmarks/planning.py               # best of 5 per detection
    python benchmarks/planning.py --repeat 9

Each detection is rendered over one day and transpiled as `trailcsi sweep` does, then planned
(`EXPLAIN`) on a connection holding an empty `trail` table of Athena's columns: planning does not
depend on the rows. One untimed warm-up, then the best of `--repeat` times, per detection and
macro set. Results are a Markdown table, printed and written to
benchmarks/results/planning-<date>.md; the ratio is now ÷ before. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from toolkit.core import schema, transpile, window
from toolkit.templates.catalog import Catalog
from toolkit.templates.render import render

HERE = Path(__file__).resolve().parent

#: any_match's macro with its operand named wherever the body reads it (before it read it once)
ANY_MATCH_WRITTEN_OUT = (
    "CREATE OR REPLACE TEMP MACRO trino_any_match(t) AS CASE WHEN t IS NULL THEN NULL "
    "WHEN list_contains(t, true) THEN true WHEN list_count(t) < len(t) THEN NULL ELSE false END"
)


def connection(before: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    transpile.setup(con)
    if before:
        con.execute(ANY_MATCH_WRITTEN_OUT)
    columns = ", ".join(
        f"{schema.quote_identifier(f.name)} {f.duckdb_type()}" for f in schema.BY_NAME.values()
    )
    partitions = ", ".join(f"{name} VARCHAR" for name in schema.PARTITION_COLUMNS)
    con.execute(f"CREATE TABLE trail ({columns}, {partitions})")
    return con


def best(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    day = window.parse(start="2025-03-30", end="2025-03-30")
    now, before = connection(False), connection(True)
    rows = []
    for template in Catalog.load().select(kind="detection"):
        sql = "EXPLAIN " + transpile.to_duckdb(render(template, {}, day).ast)
        rows.append(
            (
                template.name,
                best(lambda sql=sql: before.execute(sql).fetchall(), args.repeat),
                best(lambda sql=sql: now.execute(sql).fetchall(), args.repeat),
            )
        )
    rows.sort(key=lambda row: -row[1])
    total_before, total_now = sum(r[1] for r in rows), sum(r[2] for r in rows)
    lines = [
        f"# Planning every detection ({date.today()}, DuckDB {duckdb.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()})",
        "",
        "| detection | before (ms) | now (ms) | now ÷ before |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {b * 1000:.1f} | {n * 1000:.1f} | {n / b:.2f} |" for name, b, n in rows),
        f"| **all {len(rows)}** | **{total_before * 1000:.0f}** | **{total_now * 1000:.0f}** | "
        f"**{total_now / total_before:.2f}** |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"planning-{date.today()}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
