"""Shell-completion latency: how long `trailcsi` takes to answer a Tab press, as a shell runs it.

    python benchmarks/completion.py [--repeat 20]

Each case runs the installed `trailcsi` the way bash completion does (a new process with
_TRAILCSI_COMPLETE=complete_bash) with the event-name index already cached, and reports the
median and worst wall time next to a baseline measured in the same run: `python -c pass` (the
interpreter alone). The goal is under 300 ms. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

CASES = [
    ("event source", "trailcsi search --event-source s3"),
    ("event name, narrowed to a source", "trailcsi search --event-source ec2 --event-name Describe"),
    ("template name", "trailcsi run console-"),
    ("template parameter", "trailcsi run user-created --param us"),
]


def timed(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    program = shutil.which("trailcsi")
    if program is None:
        raise SystemExit("trailcsi is not installed in this environment: pip install . first")
    base_env = dict(os.environ)
    subprocess.run(
        [program, "names", "--format", "json"], env=base_env, capture_output=True, check=True
    )  # cache
    rows = [
        (
            "python -c pass (baseline)",
            [timed([sys.executable, "-c", "pass"], base_env) for _ in range(args.repeat)],
        )
    ]
    for label, words in CASES:
        env = dict(
            base_env,
            _TRAILCSI_COMPLETE="complete_bash",
            COMP_WORDS=words,
            COMP_CWORD=str(len(words.split()) - 1),
        )
        rows.append((label, [timed([program], env) for _ in range(args.repeat)]))
    print(f"| completion of | median ms | worst ms |  (n={args.repeat})")
    print("|---|---:|---:|")
    for label, times in rows:
        print(f"| {label} | {statistics.median(times) * 1000:.0f} | {max(times) * 1000:.0f} |")


if __name__ == "__main__":
    main()
