"""Athena results: paging through GetQueryResults vs streaming the result CSV Athena wrote to S3.

    python benchmarks/athena_fetch.py              # the sample archive, every event's summary row
    python benchmarks/athena_fetch.py --days 400   # a larger sample, more rows

Both fetches run through trailcsi's Athena engine (pyathena) against moto with the DuckDB double
from tests/athena_double.py, on the same query and rows, in one run; the baseline is the paging
fetch. Reported: seconds to fetch every row, rows/s, and API calls. moto answers in-process in
well under a millisecond, while a real GetQueryResults call takes tens to hundreds of
milliseconds, so on Athena the call count (1 per 1,000 rows, against 1 S3 GET) matters more than
these timings show. Nothing is asserted; results go to benchmarks/results/athena-fetch-<date>.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

QUERY = (
    "SELECT eventid, eventtime, eventsource, eventname, sourceipaddress, useragent, errorcode, "
    "useridentity.arn AS arn FROM trail"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=130)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value

    import pytest
    from athena_double import AthenaDouble
    from moto import mock_aws

    from toolkit.config import AthenaSettings
    from toolkit.core.query import TrailQuery
    from toolkit.core.window import Window
    from toolkit.engines.athena import AthenaEngine
    from toolkit.sample import generator

    end = date.today() - timedelta(days=1)
    root = Path(tempfile.mkdtemp(prefix="trailcsi-bench-athena-"))
    generator.write_archive(root, days=args.days, seed=7, end_day=end)
    query = TrailQuery.parse(QUERY, Window(None, None, "all time"))
    figures: dict[str, list[tuple[float, int, int]]] = {"api": [], "s3": []}
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        double = AthenaDouble(root, patch)
        settings = AthenaSettings(output_location=f"s3://{double.results_bucket}/bench/", region="us-east-1")
        for _ in range(args.repeat):
            for fetch in ("api", "s3"):
                engine = AthenaEngine(settings, fetch=fetch, poll_interval=0.001)
                double.get_results_calls = 0
                began = time.perf_counter()
                result = engine.run(query)
                rows = sum(1 for _row in result.rows)
                figures[fetch].append((time.perf_counter() - began, rows, double.get_results_calls))
                engine.close()
        double.close()
    best = {fetch: min(runs) for fetch, runs in figures.items()}
    base = best["api"][0]
    lines = [
        f"# Athena result fetch, {date.today()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"moto in-process with the DuckDB double; {best['api'][1]:,} rows of 8 columns; best of {args.repeat}.",
        "",
        "| fetch | seconds (run + fetch every row) | rows/s | GetQueryResults calls | vs paging |",
        "|---|---|---|---|---|",
    ]
    for fetch, label in (
        ("api", "paging GetQueryResults (1,000 rows a call)"),
        ("s3", "streaming the S3 result file"),
    ):
        seconds, rows, calls = best[fetch]
        lines.append(f"| {label} | {seconds:.2f} | {rows / seconds:,.0f} | {calls} | {base / seconds:.1f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results" / f"athena-fetch-{date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
