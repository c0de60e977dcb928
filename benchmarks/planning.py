"""A sweep with any_match's macro reading the predicate's answers once, against the macro as
written (naming them four times), in the same run.

    python benchmarks/planning.py                   # on the sample (written once to benchmarks/data/sample)
    python benchmarks/planning.py --source DIR      # on any local archive

DuckDB expands a macro by writing its argument wherever the body names the parameter, and plans
each copy: any_match's macro named the transformed list (the predicate over each item) four times.
Each variant runs in a process of its own: the archive opened once, one untimed sweep (macros
created, files bundled), then `--repeat` sweeps of the same window, each timed (wall and the
process's CPU); the best of each is reported. The baseline is the same macro body called as it is
(`trino_any_match_body` put back in `trino_any_match`'s place), so the two differ in that alone.
Both must give the same findings. Results are a Markdown table, printed and written to
benchmarks/results/planning-<date>.md. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from criteria import the_sample  # noqa: E402  (the sample both read by default)

VARIANTS = ("as written", "read once")


def child(variant: str, source: str, since: str, repeat: int) -> None:
    """One variant's sweeps, printed as one JSON line."""
    import toolkit
    from toolkit.core import transpile

    if variant == "as written":
        transpile.MACROS["trino_any_match"] = (
            "(t) AS " + transpile.MACROS.pop("trino_any_match_body").split(" AS ", 1)[1]
        )
    runs = []
    with toolkit.open_archive(source) as trail:
        found = trail.sweep(since=since)
        for _ in range(repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            again = trail.sweep(since=since)
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
            assert again == found
    print(json.dumps({"runs": runs, "findings": [repr(f.as_dict()) for f in found]}))


def measure(variant: str, source: Path, since: str, repeat: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            variant,
            "--source",
            str(source),
            "--since",
            since,
            "--repeat",
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TRAILCSI_THREADS": "1"},
    )
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="a local archive (default: the sample)")
    parser.add_argument("--since", default="3d", help="the sweep's window (default: 3d)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    options = parser.parse_args()
    source = options.source or the_sample()
    if options.child:
        child(options.child, str(source), options.since, options.repeat)
        return
    results = {variant: measure(variant, source, options.since, options.repeat) for variant in VARIANTS}
    if results["as written"]["findings"] != results["read once"]["findings"]:
        raise SystemExit("the two variants gave different findings")
    best = {
        variant: (min(r[0] for r in got["runs"]), min(r[1] for r in got["runs"]))
        for variant, got in results.items()
    }
    (old_wall, old_cpu), (new_wall, new_cpu) = best["as written"], best["read once"]
    lines = [
        f"# A sweep's planning: any_match read once against as written, {date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "one DuckDB thread (TRAILCSI_THREADS=1)",
        f"Archive: {'the sample' if options.source is None else options.source.name}; `sweep --since "
        f"{options.since}` ({len(results['read once']['findings'])} findings, the same in both); best of "
        f"{options.repeat} sweeps after an untimed one, in one process per variant.",
        "",
        "| any_match's macro | wall s | CPU s |",
        "|---|---:|---:|",
        f"| as written (the list named four times) | {old_wall:.2f} | {old_cpu:.2f} |",
        f"| read once | {new_wall:.2f} | {new_cpu:.2f} |",
        f"| ratio (read once ÷ as written) | {new_wall / old_wall:.2f} | {new_cpu / old_cpu:.2f} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"planning-{date.today().isoformat()}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
