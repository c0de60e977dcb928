"""The columnar cache: identical results with and without it (sample archive and every corpus),
incremental builds, changed days rebuilt, partial coverage mixing cache and raw files in one query,
and a build killed mid-way leaving nothing half-written that a query could read.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import pytest
from conftest import build_cache, finished_in_process, recent_query

from toolkit.cache import columnar
from toolkit.core import window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError
from toolkit.templates.catalog import Catalog

ALL = window.parse(all_time=True)
QUERIES = [
    "SELECT * FROM trail ORDER BY eventid, eventtime",
    "SELECT eventname, count(*) AS n, count(DISTINCT sourceipaddress) AS ips FROM trail GROUP BY 1 ORDER BY 1",
    "SELECT useridentity.arn AS arn, resources, requestparameters, account, region, day FROM trail "
    "ORDER BY eventid",
]


def build(root: Path, base: Path, scope=ALL) -> columnar.BuildReport:
    return build_cache(root, base, scope)


def answer(engine: LocalEngine, sql: str, scope=ALL):
    """Columns, rows as a sorted multiset (corpora repeat event ids: ORDER BY leaves ties), report."""
    result = engine.run(TrailQuery.parse(sql, scope))
    return result.columns, sorted(map(repr, result.rows)), result.report


def rows(root: Path, sql: str, scope=ALL, cache: columnar.ColumnarCache | None = None):
    """`answer` from an engine of its own."""
    engine = LocalEngine(root, cache=cache)
    try:
        return answer(engine, sql, scope)
    finally:
        engine.close()


@contextmanager
def raw_and_cached(root: Path, cache: columnar.ColumnarCache) -> Iterator[tuple[LocalEngine, LocalEngine]]:
    """An engine reading the log files and one reading the cache, for several queries each (as a
    notebook keeps one open): each query's answers are compared."""
    with ExitStack() as stack:
        raw = LocalEngine(root)
        stack.callback(raw.close)
        fast = LocalEngine(root, cache=cache)
        stack.callback(fast.close)
        yield raw, fast


def copy_of(cache: columnar.ColumnarCache, base: Path) -> columnar.ColumnarCache:
    """A copy under `base` of a built cache (the month files keep the times their manifests
    name): for the tests of what happens to a built cache (a clear racing a query), not of its
    build, which the other tests here make and check."""
    copy = columnar.ColumnarCache(cache.root, base)
    shutil.copytree(cache.dir, copy.dir)
    return copy


#: The sample's last month is cached; queries over all time read it from the cache and the
#: months before it raw, in one query.
CACHED_MONTH = window.parse(start="2025-03-01", end="2025-03-31")


@pytest.fixture(scope="module")
def cached_sample(sample_root, tmp_path_factory):
    base = tmp_path_factory.mktemp("columnar")
    report = build(sample_root, base, CACHED_MONTH)
    return columnar.ColumnarCache(sample_root, base), report


def test_the_cache_gives_the_raw_results_on_the_sample(sample_root, cached_sample):
    cache, report = cached_sample
    assert report.days_built == report.days_total >= 31 * 5 and report.events > 3_000
    scope = window.parse(start="2025-03-10T12:00:00Z", end="2025-03-12T00:00:00Z")
    with raw_and_cached(sample_root, cache) as (raw, fast):
        for sql in QUERIES:
            # All time (cache and raw in one query): an aggregate. Every column: over the cached days.
            for span in (ALL, scope) if sql == QUERIES[1] else (scope,):
                from_cache = answer(fast, sql, span)
                assert from_cache[:2] == answer(raw, sql, span)[:2], sql
                assert "read from the columnar cache" in " ".join(from_cache[2].notes)


def test_every_template_gives_the_same_rows_from_the_cache(
    sample_root, cached_sample, every_template_on_the_files
):
    cache, _ = cached_sample
    fast = LocalEngine(sample_root, cache=cache)
    try:
        for template in Catalog.load().select():
            query = recent_query(template)  # the sample's last days: all in the cached month
            # the same query on the log files
            plain = every_template_on_the_files[template.name].ran(query.ast.sql())
            answer = fast.run(query)
            assert "read from the columnar cache" in " ".join(answer.report.notes), template.name
            assert answer.rows == plain.rows, template.name
    finally:
        fast.close()


def test_each_row_group_holds_one_day_as_the_manifest_says(cached_sample):
    """What lets a window read only its days: a row group never mixes days, so its `day`
    statistics exclude it exactly (tests/test_parquet_splice.py shows DuckDB skipping it)."""
    cache, report = cached_sample
    con = duckdb.connect()
    months = list(cache.dir.glob("account=*/region=*/month=*"))
    assert len(months) < report.days_total / 10  # a file per month, not per day
    for directory in months:
        manifest = json.loads((directory / "manifest.json").read_text())
        stats = con.execute(
            "SELECT stats_min, stats_max, row_group_num_rows FROM "
            f"parquet_metadata('{directory / manifest['parquet']}') WHERE path_in_schema = 'day' "
            "ORDER BY row_group_id"
        ).fetchall()
        for day, entry in manifest["days"].items():
            first, count = entry["row_groups"]
            chosen = stats[first : first + count]
            assert all(low == high == day.replace("-", "/") for low, high, _rows in chosen)
            assert sum(rows for *_stats, rows in chosen) == entry["events"]
        assert sum(e["row_groups"][1] for e in manifest["days"].values()) == len(stats)
    con.close()


def test_clearing_days_keeps_the_rest_of_their_month(sample_root, tmp_path):
    base = tmp_path / "cache"
    scope = window.parse(start="2025-03-20", end="2025-03-31")
    build(sample_root, base, scope)
    cache = columnar.ColumnarCache(sample_root, base)
    before = cache.days()
    removed = cache.clear(lambda day: day["day"] != "2025-03-25")
    assert removed == sum(1 for d in before if d["day"] == "2025-03-25") > 0
    after = cache.days()
    assert len(after) == len(before) - removed and all(d["day"] != "2025-03-25" for d in after)
    fast, raw = rows(sample_root, QUERIES[1], scope, cache), rows(sample_root, QUERIES[1], scope)
    assert fast[:2] == raw[:2]
    assert f"{len(after):,} day folders read from the columnar cache" in fast[2].notes


def test_the_cache_gives_the_raw_results_on_every_corpus(corpus_archives, tmp_path):
    for name, (root, count) in corpus_archives.items():
        report = build(root, tmp_path / name)
        cache = columnar.ColumnarCache(root, tmp_path / name)
        # panther-101's `resources` holds strings (Trino fails a query reading it): its file, that
        # event alone, is not cached, and its day is read raw (queries not reading `resources`
        # read the file, as on Trino)
        assert report.events == count - (name == "panther"), name
        assert len(report.skipped) == (name == "panther"), name
        with raw_and_cached(root, cache) as (raw, fast):
            for sql in QUERIES:
                assert answer(fast, sql)[:2] == answer(raw, sql)[:2], (name, sql)


def test_builds_are_incremental_and_a_changed_day_is_rebuilt(sample_root, tmp_path):
    root = tmp_path / "archive"
    # the sample's last days: the window's, and four before it that the build leaves alone
    for pattern in ("2025/03/2[4-9]", "2025/03/3?", "2025/04/??"):
        for day in sample_root.glob(f"AWSLogs/**/CloudTrail/*/{pattern}"):
            shutil.copytree(day, root / day.relative_to(sample_root))
    base = tmp_path / "cache"
    scope = window.parse(start="2025-03-28", end="2025-03-31")
    first = build(root, base, scope)
    assert first.days_built == first.days_total > 10
    # the window's days only (and the next day's folder: it holds the window's last minutes)
    built = {d["day"] for d in columnar.ColumnarCache(root, base).days()}
    assert built == {"2025-03-28", "2025-03-29", "2025-03-30", "2025-03-31", "2025-04-01"}
    again = build(root, base, scope)
    assert (again.days_built, again.days_reused) == (0, first.days_total)
    day = next(root.rglob("CloudTrail/us-east-1/2025/03/30"))
    newest = sorted(day.glob("*.json.gz"))[-1]
    shutil.copyfile(newest, newest.with_name(newest.name.replace("Z_", "Z_EXTRA", 1)))
    cache = columnar.ColumnarCache(root, base)
    # until rebuilt, the changed day is read raw (and so includes the new file) in the same query
    sql = "SELECT count(*) FROM trail"
    assert rows(root, sql, scope, cache)[1] == rows(root, sql, scope)[1]
    third = build(root, base, scope)
    assert third.days_built == 1 and third.days_reused == first.days_total - 1
    assert rows(root, sql, scope, cache)[1] == rows(root, sql, scope)[1]


def test_a_killed_build_leaves_no_half_written_day_and_the_next_resumes(sample_root, tmp_path):
    root = tmp_path / "archive"
    days = sorted(sample_root.glob("AWSLogs/**/CloudTrail/*/2025/03/[23]?"))  # 60 day folders
    for day in days:
        shutil.copytree(day, root / day.relative_to(sample_root))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    command = [sys.executable, "-m", "toolkit.cli", "cache", "build", "--source", str(root), "--all-time"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cache = columnar.ColumnarCache(root, tmp_path / "xdg" / "trailcsi" / "columnar")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(cache.days()) < 20:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = cache.days()
    assert 20 <= len(done) < len(days)  # killed mid-way
    for day in done:  # every day a query can see is complete: its manifest names data that exists
        month = (day["account"], day["region"], day["day"][:7])
        manifest = cache.manifest(month)
        assert day["events"] == 0 or Path(cache.parquet_file(month, manifest)).is_file()
    sql = "SELECT eventname, count(*) FROM trail GROUP BY 1 ORDER BY 1"
    assert rows(root, sql, ALL, cache)[1] == rows(root, sql)[1]  # cached days + raw for the rest
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done):,} already cached and unchanged" in resumed.stderr
    assert not list(cache.dir.glob(".scratch-*"))  # no scratch left behind, no unnamed month file
    for directory in cache.dir.glob("account=*/region=*/month=*"):
        named = json.loads((directory / "manifest.json").read_text())
        assert {p.name for p in directory.iterdir()} <= {"manifest.json", named["parquet"], named["files"]}
    assert rows(root, sql, ALL, cache)[1] == rows(root, sql)[1]


def test_cache_commands(sample_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    def trailcsi(*args: str) -> subprocess.CompletedProcess[str]:
        return finished_in_process(capsys, *args)

    days = ["--start", "2025-03-30", "--end", "2025-03-31"]
    built = trailcsi("cache", "build", "--source", str(sample_root), *days)
    assert built.returncode == 0 and "day folders converted" in built.stderr
    status = trailcsi("cache", "status", "--format", "json")
    (entry,) = json.loads(status.stdout)
    assert entry["source"] == str(sample_root.resolve()) and entry["first day"] == "2025-03-30"
    query = ["sql", "SELECT count(*) FROM trail", "--source", str(sample_root), *days, "-f", "csv"]
    with_cache = trailcsi(*query)
    without = trailcsi(*query, "--no-cache")
    assert with_cache.stdout == without.stdout and "columnar cache" in with_cache.stderr
    assert "columnar cache" not in without.stderr
    # --dry-run shows what the query reads: the cached days' Parquet, not their log files
    planned = trailcsi(*query, "--dry-run")
    assert planned.returncode == 0 and "read_parquet(" in planned.stdout, planned.stderr
    assert "day folders read from the columnar cache" in planned.stdout.splitlines()[0]
    raw_plan = trailcsi(*query, "--dry-run", "--no-cache")
    assert "read_parquet(" not in raw_plan.stdout and "read_json(" in raw_plan.stdout
    cleared = trailcsi("cache", "clear", "--source", str(sample_root))
    assert cleared.returncode == 0 and "removed" in cleared.stderr
    status = trailcsi("cache", "status", "--format", "json")
    assert json.loads(status.stdout) == []


def test_a_second_build_of_the_same_cache_is_refused_while_one_runs(sample_root, tmp_path):
    fcntl = pytest.importorskip("fcntl")
    cache = columnar.ColumnarCache(sample_root, tmp_path / "cache")
    cache.dir.mkdir(parents=True)
    with open(cache.dir / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build holds it
        with pytest.raises(UsageError, match="another cache build or clear is working on"):
            cache.build({}, [])
        with pytest.raises(UsageError, match="another cache build or clear"):
            cache.clear(lambda day: True)
    assert cache.build({}, []).days_total == 0  # released: builds run again


def test_an_engine_kept_open_follows_builds_and_clears(sample_root, tmp_path):
    """A notebook keeps one engine while the cache changes under it: each query reads the months'
    current manifests (a replaced month file is gone), never a stale one."""
    base = tmp_path / "cache"
    scope = window.parse(start="2025-03-20", end="2025-03-31")
    build(sample_root, base, scope)
    cache = columnar.ColumnarCache(sample_root, base)
    sql = TrailQuery.parse(QUERIES[1], scope)
    raw = LocalEngine(sample_root)
    kept = LocalEngine(sample_root, cache=cache)
    try:
        expected = raw.run(sql).rows
        assert kept.run(sql).rows == expected
        cache.clear(lambda day: day["day"] != "2025-03-25")  # every month file touched is replaced
        again = kept.run(sql)
        assert again.rows == expected
        assert f"{len(cache.days()):,} day folders read from the columnar cache" in again.report.notes
        build(sample_root, base, scope)  # and back
        last = kept.run(sql)
        assert last.rows == expected
        assert f"{len(cache.days()):,} day folders read from the columnar cache" in last.report.notes
    finally:
        raw.close()
        kept.close()


@pytest.mark.parametrize("moment", ["before the month file is checked", "after the month file is checked"])
def test_a_query_that_races_a_build_reads_the_new_month_and_blames_nothing(
    sample_root, sample_cache, tmp_path, moment
):
    """A build commits a month (and removes the file its old manifest named) while a query is
    between reading the manifest and opening the file: the query reads the new manifest and
    answers from the cache, with no note calling the month damaged."""
    scope = window.parse(start="2025-03-20", end="2025-03-28")
    cache = copy_of(sample_cache, tmp_path / "cache")  # every day of the sample built
    sql = TrailQuery.parse(QUERIES[1], scope)
    raw = LocalEngine(sample_root)
    engine = LocalEngine(sample_root, cache=cache)
    account = cache.days()[0]["account"]
    raced: list[bool] = []

    def race() -> None:
        if not raced:  # one account's months are replaced (a day cleared); the others are not
            raced.append(True)
            cache.clear(lambda day: not (day["account"] == account and day["day"] == "2025-03-24"))

    if moment == "before the month file is checked":
        check = cache.parquet_problem

        def checked(*args):
            race()  # the manifest was read; the file it names is gone
            return check(*args)

        cache.parquet_problem = checked  # type: ignore[method-assign]
    else:
        split = engine._from_cache

        def split_then_race(*args):
            result = split(*args)
            race()
            return result

        engine._from_cache = split_then_race  # type: ignore[method-assign]
    try:
        expected = raw.run(sql).rows
        answer = engine.run(sql)
        assert raced and answer.rows == expected
        notes = " ".join(answer.report.notes)
        assert "not used" not in notes and "corrupt" not in notes, notes
        later = engine.run(sql)  # and the cache is still trusted afterwards
        assert later.rows == expected
        assert "day folders read from the columnar cache" in " ".join(later.report.notes)
        assert "not used" not in " ".join(later.report.notes)
    finally:
        raw.close()
        engine.close()


def test_ctrl_c_is_never_swallowed_by_a_rerun(sample_root, monkeypatch):
    """A file the whole-file check refused makes a query run again; Ctrl-C must not (it did: the
    query ran to the end and exited 0)."""
    from toolkit.errors import Interrupted

    engine = LocalEngine(sample_root)
    query = TrailQuery.parse("SELECT count(*) FROM trail", window.parse(start="2025-03-30", end="2025-03-30"))
    paths, _report = engine._files(query)
    runs: list[int] = []

    def interrupted(*args, **kwargs):
        runs.append(1)
        raise Interrupted("interrupted; the query was stopped")

    monkeypatch.setattr(engine, "_run_reading", interrupted)
    monkeypatch.setattr(engine, "_await_checks", lambda: set(paths[:1]))  # "a check refused a file"
    try:
        with pytest.raises(Interrupted):
            engine.run(query)
        assert runs == [1]
    finally:
        engine.close()


def test_a_streamed_query_that_races_a_build_is_read_again(sample_root, sample_cache, tmp_path, monkeypatch):
    """Streamed rows (CSV, JSON, an export) open the later month files while they are fetched:
    a build that replaces one then makes the rows incomplete; they are read again, not an error."""
    from toolkit.engines import local
    from toolkit.errors import RefusedWhileStreaming

    monkeypatch.setattr(local, "STREAM_BATCH", 1)
    scope = window.parse(start="2024-12-01", end="2025-03-31")
    cache = copy_of(sample_cache, tmp_path / "cache")  # every day of the sample built
    sql = TrailQuery.parse("SELECT eventid FROM trail", scope)
    expected = rows(sample_root, "SELECT eventid FROM trail", scope)[1]
    engine = LocalEngine(sample_root, cache=cache, stream=True)
    try:
        streamed = iter(engine.run(sql).rows)
        next(streamed)
        cache.clear()  # every month file the stream has yet to open is gone
        with pytest.raises(RefusedWhileStreaming):
            list(streamed)
        again = engine.run(sql)
        assert sorted(map(repr, again.rows)) == expected
    finally:
        engine.close()


def test_days_converted_together_keep_each_days_events_and_skipped_files(tmp_path):
    """A month's days are converted by one statement (`columnar.BATCH_BYTES`): each day's file
    holds that day's events alone, and a file skipped is said under its own day only."""
    import gzip

    from test_archive_trust import events

    root = tmp_path / "archive"
    bad_day, counts = "2024/01/03", {}
    for day in range(1, 6):
        folder = root / f"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/{day:02d}"
        folder.mkdir(parents=True)
        for index in range(day):
            body = json.dumps({"Records": events(2, day * 100 + index * 2)}).encode()
            if f"2024/01/{day:02d}" == bad_day and index == 1:
                body = body[: body.rindex(b"]")] + b", 7]}"  # an item that is no object: refused
            name = f"111111111111_CloudTrail_us-east-1_202401{day:02d}T2355Z_f{index}.json.gz"
            (folder / name).write_bytes(gzip.compress(body))
        counts[f"2024-01-{day:02d}"] = 2 * day - (2 if f"2024/01/{day:02d}" == bad_day else 0)
    report = build(root, tmp_path / "cache")
    assert report.days_built == 5 and len(report.skipped) == 1
    cache = columnar.ColumnarCache(root, tmp_path / "cache")
    assert {d["day"]: d["events"] for d in cache.days()} == counts
    manifest = cache.manifest(("111111111111", "us-east-1", "2024-01"))
    assert manifest is not None
    assert {day: len(entry["skipped"]) for day, entry in manifest["days"].items()} == {
        "2024-01-01": 0,
        "2024-01-02": 0,
        "2024-01-03": 1,
        "2024-01-04": 0,
        "2024-01-05": 0,
    }
    _, cached, _ = rows(root, "SELECT day, eventid FROM trail", cache=cache)
    _, raw, _ = rows(root, "SELECT day, eventid FROM trail")
    assert cached == raw and len(raw) == sum(counts.values())
