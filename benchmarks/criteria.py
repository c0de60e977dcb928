"""Criteria flags against the hand-written SQL that answers the same question, in the same run.

    python benchmarks/criteria.py                   # on the sample (written once to benchmarks/data/sample)
    python benchmarks/criteria.py --source DIR      # on any local archive

Each case is a `trailcsi search` with criteria flags and the `trailcsi sql` a user would write for
the same question (every column, the same order), run over all time from the raw log files
(`--no-cache`) and from the columnar cache (built once, untimed). Each command is its own process;
one untimed warm-up, then the best of `--repeat` wall times and the process's CPU time at that
run. The two commands must return the same number of rows (the flags may match more ways: `--user`
also matches ARNs, sessions and principal IDs, so its hand-written form says the same).
Results are a Markdown table, printed and written to benchmarks/results/criteria-<date>.md (a run
narrowed by `--only` or `--store` is printed only); the ratio is flags ÷ SQL. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (label, criteria flags, the WHERE clause a user would write for the same question)
CASES: list[tuple[str, list[str], str]] = [
    ("event name", ["--event-name", "ConsoleLogin"], "lower(eventname) = 'consolelogin'"),
    (
        "user (five identity fields)",
        ["--user", "{user}"],
        "lower(useridentity.username) = '{user}' OR lower(useridentity.arn) = '{user}'"
        " OR lower(regexp_extract(useridentity.arn, '[^/]+$')) = '{user}'"
        " OR lower(useridentity.sessioncontext.sessionissuer.username) = '{user}'"
        " OR lower(useridentity.principalid) = '{user}'",
    ),
    ("source IP", ["--source-ip", "{ip}"], "sourceipaddress = '{ip}'"),
    (
        "user + error code",
        ["--user", "{user}", "--error-code", "{error}"],
        "(lower(useridentity.username) = '{user}' OR lower(useridentity.arn) = '{user}'"
        " OR lower(regexp_extract(useridentity.arn, '[^/]+$')) = '{user}'"
        " OR lower(useridentity.sessioncontext.sessionissuer.username) = '{user}'"
        " OR lower(useridentity.principalid) = '{user}') AND lower(errorcode) = lower('{error}')",
    ),
]


def trailcsi(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the process, stdout) of one `trailcsi` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, env=env, check=True
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def best(args: list[str], env: dict[str, str], repeat: int) -> tuple[float, float, int]:
    trailcsi(args, env)  # warm-up: page cache, bytecode
    runs = [trailcsi(args, env) for _ in range(repeat)]
    wall, cpu, out = min(runs, key=lambda run: run[0])
    return wall, cpu, len(out.splitlines()) - 1  # CSV: less the header


def the_sample() -> Path:
    """The sample archive the benchmarks read by default, written once to benchmarks/data/sample."""
    source = HERE / "data" / "sample"
    if not source.exists():
        subprocess.run([sys.executable, "-m", "toolkit", "sample", str(source)], check=True)
    return source


def most_common(source: Path, env: dict[str, str], sql: str) -> str:
    out = trailcsi(["sql", sql, "--source", str(source), "--all-time", "--format", "csv"], env)[2]
    return out.splitlines()[1].split(",")[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="a local archive (default: the sample)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", metavar="TEXT", help="only the cases whose question contains TEXT")
    parser.add_argument("--store", choices=("raw", "cache"), help="only reading from raw files or the cache")
    options = parser.parse_args()
    source = options.source or the_sample()
    with tempfile.TemporaryDirectory(prefix="trailcsi-bench-") as cache_home:
        env = {**os.environ, "XDG_CACHE_HOME": cache_home}
        user = most_common(
            source,
            env,
            "SELECT lower(useridentity.username) AS u, count(*) FROM trail "
            "WHERE useridentity.username IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        )
        ip = most_common(
            source,
            env,
            "SELECT sourceipaddress, count(*) FROM trail WHERE regexp_like(sourceipaddress, '^[0-9.]+$') "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        )
        error = most_common(  # an error the user met (a case with no rows measures little)
            source,
            env,
            "SELECT errorcode, count(*) FROM trail WHERE errorcode IS NOT NULL AND "
            f"lower(useridentity.username) = '{user}' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        )
        subprocess.run(
            [sys.executable, "-m", "toolkit", "cache", "build", "--source", str(source), "--all-time"],
            env=env,
            check=True,
            capture_output=True,
        )
        rows = []
        for label, flags, where in CASES:
            if options.only and options.only not in label:
                continue
            flags = [flag.format(user=user, ip=ip, error=error) for flag in flags]
            sql = (
                f"SELECT * FROM trail WHERE {where.format(user=user, ip=ip, error=error)} "
                "ORDER BY eventtime, eventid"
            )
            common = ["--source", str(source), "--all-time", "--format", "csv"]
            for store in [options.store] if options.store else ["raw", "cache"]:
                extra = ["--no-cache"] if store == "raw" else []
                by_flags = best(["search", *flags, *common, *extra], env, options.repeat)
                by_sql = best(["sql", sql, *common, *extra], env, options.repeat)
                if by_flags[2] != by_sql[2]:
                    raise SystemExit(f"{label} ({store}): flags gave {by_flags[2]} rows, SQL {by_sql[2]}")
                rows.append((label, " ".join(flags), store, by_flags, by_sql))
                print(f"{label} ({store}): {by_flags[0]:.2f} s against {by_sql[0]:.2f} s", file=sys.stderr)
    lines = [
        f"# Criteria flags against hand-written SQL, {date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"Archive: {'the sample' if options.source is None else options.source.name}; all time; "
        f"best of {options.repeat} wall times after a warm-up; CPU is the process's at that run.",
        "",
        "| question | flags | read from | rows | flags s | SQL s | ratio (wall) | ratio (CPU) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, flags, store, (fw, fc, n), (sw, sc, _n) in rows:
        lines.append(
            f"| {label} | `{flags}` | {store} | {n:,} | {fw:.2f} | {sw:.2f} | {fw / sw:.2f} | {fc / sc:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if options.only or options.store:
        return  # a partial run is printed, not filed
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"criteria-{date.today().isoformat()}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
