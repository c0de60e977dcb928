"""The columnar cache never answers differently from the raw files.

A day whose files changed in any way (added, removed, rewritten in place with the same size) is
read raw until rebuilt, counted once; a damaged cache (a month file that is not the one its
manifest was committed with, a manifest that is not JSON, has wrong types or missing keys, or
names a path outside the cache, a day missing from the manifest) is not answered from: its days
are read raw, a note says so, `cache status` reports it and `cache build` repairs it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import build_cache, run_in_process

from toolkit.cache import columnar
from toolkit.core import window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.sample import generator

ACCOUNT = "111122223333"
REGION = "eu-west-1"
JUNE = window.parse(start="2025-06-01", end="2025-06-30")  # (an end date is inclusive)
BOTH = window.parse(start="2025-06-01", end="2025-07-31")
IDS = "SELECT eventid, eventname FROM trail ORDER BY eventid"
Day = tuple[int, int]  # month, day of 2025


def record(day: Day, n: int, name: str = "GetObject") -> dict:
    month, dd = day
    return {
        "eventVersion": "1.08",
        "eventTime": f"2025-{month:02d}-{dd:02d}T10:{n:02d}:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "192.0.2.1",
        "eventID": f"id-{month:02d}{dd:02d}-{n:02d}",
        "eventType": "AwsApiCall",
        "readOnly": True,
        "recipientAccountId": ACCOUNT,
        "userIdentity": {"type": "IAMUser", "userName": "reader", "accountId": ACCOUNT},
    }


def log_path(root: Path, month: int, day: int, suffix: str = "AAAA") -> Path:
    return (
        root
        / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2025/{month:02d}/{day:02d}"
        / f"{ACCOUNT}_CloudTrail_{REGION}_2025{month:02d}{day:02d}T1100Z_{suffix}.json.gz"
    )


def write(root: Path, month: int, day: int, records: list[dict], suffix: str = "AAAA") -> Path:
    path = log_path(root, month, day, suffix)
    generator.write_log_file(root, path.relative_to(root).as_posix(), records)
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """June 2025 (days 1-7, one event a day: 7 events) and July 2025 (days 1-3, two a day)."""
    root = tmp_path / "archive"
    for day in range(1, 8):
        write(root, 6, day, [record((6, day), 0)])
    for day in range(1, 4):
        write(root, 7, day, [record((7, day), 0), record((7, day), 1)])
    return root


def build(root: Path, base: Path, scope=BOTH) -> columnar.BuildReport:
    return build_cache(root, base, scope)


def query(root: Path, sql: str = IDS, scope=JUNE, cache: columnar.ColumnarCache | None = None):
    engine = LocalEngine(root, cache=cache)
    try:
        result = engine.run(TrailQuery.parse(sql, scope))
        return result.rows, result.report.notes
    finally:
        engine.close()


def cached_days(notes: list[str]) -> int:
    """How many day folders a query read from the cache (0: none), from its notes."""
    for note in notes:
        if note.endswith("day folders read from the columnar cache"):
            return int(note.split()[0].replace(",", ""))
    return 0


def test_a_file_rewritten_in_place_with_the_same_size_is_read_raw_until_rebuilt(archive, tmp_path):
    base = tmp_path / "cache"
    assert build(archive, base).days_built == 10
    cache = columnar.ColumnarCache(archive, base)
    before, _ = query(archive, cache=cache)
    changed = log_path(archive, 6, 4)
    size = changed.stat().st_size
    with open(changed, "r+b") as handle:  # same size, other content: a rewrite in place
        write(tmp_path / "other", 6, 4, [record((6, 4), 0, name="PutObject")])
        replacement = log_path(tmp_path / "other", 6, 4).read_bytes()
        assert len(replacement) == size
        handle.write(replacement)
    raw, _ = query(archive)
    assert raw != before and ("id-0604-00", "PutObject") in raw
    rows, notes = query(archive, cache=cache)
    assert rows == raw
    assert cached_days(notes) == 6
    assert any("1 cached day folder changed" in note for note in notes), notes
    again = build(archive, base)
    assert (again.days_built, again.days_reused) == (1, 9)  # not "unchanged"
    rows, notes = query(archive, cache=cache)
    assert rows == raw and cached_days(notes) == 7


@pytest.mark.parametrize("change", ["add a file", "rewrite a file"])
def test_a_changed_day_mid_month_is_counted_once(archive, tmp_path, change):
    base = tmp_path / "cache"
    build(archive, base)
    cache = columnar.ColumnarCache(archive, base)
    count = "SELECT count(*) FROM trail"
    assert query(archive, count, cache=cache)[0] == [(7,)]
    if change == "add a file":
        write(archive, 6, 4, [record((6, 4), 1), record((6, 4), 2)], suffix="BBBB")
    else:
        write(archive, 6, 4, [record((6, 4), 0), record((6, 4), 1), record((6, 4), 2)])
    assert query(archive, count)[0] == [(9,)]
    rows, notes = query(archive, count, cache=cache)
    assert rows == [(9,)]
    assert cached_days(notes) == 6  # the other days from the cache, the changed one raw
    assert query(archive, cache=cache)[0] == query(archive)[0]


JUNE_MONTH = (ACCOUNT, REGION, "2025-06")
JULY_MONTH = (ACCOUNT, REGION, "2025-07")


def month_dir(cache: columnar.ColumnarCache, month=JUNE_MONTH) -> Path:
    return Path(cache.month_path(month))


def manifest_of(cache: columnar.ColumnarCache, month=JUNE_MONTH) -> dict:
    return json.loads((month_dir(cache, month) / "manifest.json").read_text())


def edit_manifest(cache: columnar.ColumnarCache, change) -> None:
    path = month_dir(cache) / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def parquet_of(cache: columnar.ColumnarCache, month=JUNE_MONTH) -> Path:
    return month_dir(cache, month) / manifest_of(cache, month)["parquet"]


def other_month_file(cache: columnar.ColumnarCache) -> None:
    shutil.copyfile(parquet_of(cache, JULY_MONTH), parquet_of(cache))


def garbage(cache: columnar.ColumnarCache) -> None:
    parquet_of(cache).write_text("this is not a Parquet file")


def truncated(cache: columnar.ColumnarCache) -> None:
    path = parquet_of(cache)
    path.write_bytes(path.read_bytes()[:-200])


def a_data_page_overwritten(cache: columnar.ColumnarCache) -> None:
    """Same size, same footer: bytes in the middle changed (the file's time changes with them)."""
    path = parquet_of(cache)
    data = bytearray(path.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def no_manifest_json(cache: columnar.ColumnarCache) -> None:
    (month_dir(cache) / "manifest.json").write_text('{"version": 4, "days": {')


def setter(key, value):
    return lambda cache: edit_manifest(cache, lambda data: data.__setitem__(key, value))


def remover(key):
    return lambda cache: edit_manifest(cache, lambda data: data.pop(key))


def day_change(change):
    return lambda cache: edit_manifest(cache, lambda data: change(data["days"]))


def zero_row_groups(days: dict) -> None:
    days["2025-06-04"].update(row_groups=[days["2025-06-04"]["row_groups"][0], 0], events=0)


DAMAGE = {
    "another month's file under the manifest's name": other_month_file,
    "not a Parquet file": garbage,
    "a truncated Parquet file": truncated,
    "a data page overwritten": a_data_page_overwritten,
    "the Parquet file deleted": lambda cache: parquet_of(cache).unlink(),
    "a manifest that is not JSON": no_manifest_json,
    "a manifest that is a JSON list": lambda cache: (month_dir(cache) / "manifest.json").write_text("[]"),
    "days of the wrong type": setter("days", []),
    "row groups of the wrong type": day_change(lambda days: days["2025-06-02"].update(row_groups="0")),
    "events of the wrong type": day_change(lambda days: days["2025-06-02"].update(events="many")),
    "a day entry of the wrong type": day_change(lambda days: days.__setitem__("2025-06-02", None)),
    "no days": remover("days"),
    "no account": remover("account"),
    "no Parquet size": remover("parquet_size"),
    "no fingerprint": day_change(lambda days: days["2025-06-02"].pop("fingerprint")),
    "a Parquet path outside the cache": setter("parquet", "../../../../../outside.parquet"),
    "an absolute Parquet path": lambda cache: edit_manifest(
        cache, lambda data: data.__setitem__("parquet", str(parquet_of(cache, JULY_MONTH)))
    ),
    "a file list outside the cache": setter("files", "../../../outside.json"),
    "a skipped path outside the archive": day_change(
        lambda days: days["2025-06-02"].update(skipped=[["../../etc/passwd", "x"]])
    ),
    "a day missing from the manifest": day_change(lambda days: days.pop("2025-06-04")),
    "a day's row groups missing from the manifest": day_change(zero_row_groups),
    "another month's manifest": lambda cache: shutil.copyfile(
        month_dir(cache, JULY_MONTH) / "manifest.json", month_dir(cache) / "manifest.json"
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_cache_is_not_answered_from_and_a_build_repairs_it(archive, tmp_path, damage):
    base = tmp_path / "cache"
    build(archive, base)
    cache = columnar.ColumnarCache(archive, base)
    raw, _ = query(archive, scope=BOTH)
    assert query(archive, scope=BOTH, cache=cache)[0] == raw
    DAMAGE[damage](cache)
    rows, notes = query(archive, scope=BOTH, cache=columnar.ColumnarCache(archive, base))
    assert rows == raw
    assert cached_days(notes) == 3  # July's days only; June's read raw
    (note,) = [n for n in notes if "not used" in n]
    assert f"columnar cache of {ACCOUNT} {REGION} 2025-06 not used: " in note and "\n" not in note
    assert not (tmp_path / "outside.parquet").exists()
    fresh = columnar.ColumnarCache(archive, base)
    assert [p for p, _why in fresh.damaged()] == [str(month_dir(fresh))]
    assert {d["day"][:7] for d in fresh.days()} == {"2025-07"}  # what status counts
    again = build(archive, base)
    assert again.repaired and (again.days_built, again.days_reused) == (7, 3)
    rows, notes = query(archive, scope=BOTH, cache=columnar.ColumnarCache(archive, base))
    assert rows == raw and cached_days(notes) == 10 and not any("not used" in n for n in notes)
    assert columnar.ColumnarCache(archive, base).damaged() == []


@pytest.mark.parametrize(
    "damage",
    [
        "another month's file under the manifest's name",
        "not a Parquet file",
        "no account",
        "a manifest that is not JSON",
        "a Parquet path outside the cache",
        "days of the wrong type",
    ],
)
def test_cache_commands_report_and_repair_a_damaged_cache(archive, tmp_path, monkeypatch, capsys, damage):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source = ["--source", str(archive), "--start", "2025-06-01", "--end", "2025-07-31"]
    code, _out, err = run_in_process(capsys, "cache", "build", *source)
    assert code == 0, err
    cache = columnar.ColumnarCache(archive)
    DAMAGE[damage](cache)
    code, out, err = run_in_process(capsys, "cache", "status", "--format", "json")
    assert code == 0 and "Traceback" not in err
    (entry,) = json.loads(out)
    assert entry["day folders"] == 3  # July only
    assert f"damaged: {month_dir(cache)}: " in err and "trailcsi cache build" in err
    sql = ["sql", "SELECT count(*) AS n FROM trail", *source, "-f", "csv"]
    code, out, err = run_in_process(capsys, *sql)
    assert (code, out.split()) == (0, ["n", "13"]) and "not used" in err
    code, _out, err = run_in_process(capsys, "cache", "build", *source)
    assert code == 0 and "Traceback" not in err
    assert f"repaired: removed the damaged cache {month_dir(cache)}" in err
    assert "7 day folders converted" in err and "3 already cached and unchanged" in err
    code, out, err = run_in_process(capsys, "cache", "status", "--format", "json")
    assert json.loads(out)[0]["day folders"] == 10 and "damaged" not in err
    code, out, err = run_in_process(capsys, *sql)
    assert (code, out.split()) == (0, ["n", "13"]) and "not used" not in err
    assert "10 day folders read from the columnar cache" in err


def test_an_s3_copy_is_checked_by_etag_too(tmp_path, monkeypatch):
    """A bucket copy (under s3source's folder, with its `.etags.json`): an object fetched again with
    another ETag changes its day even if the local file kept its size and time."""
    from toolkit.sources import s3source

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert columnar.s3_copies() == s3source.cache_root()
    bucket = s3source.cache_root() / "trail-copy"
    root = bucket / "mirror"
    for day in range(1, 8):
        write(root, 6, day, [record((6, day), 0)])
    keys = {p.relative_to(bucket).as_posix(): f"etag-{n}" for n, p in enumerate(sorted(root.rglob("*.gz")))}
    (bucket / ".etags.json").write_text(json.dumps(keys))
    base = tmp_path / "cache"
    build(root, base, JUNE)
    changed = log_path(root, 6, 4)
    status = changed.stat()
    write(tmp_path / "other", 6, 4, [record((6, 4), 0, name="PutObject")])
    changed.write_bytes(log_path(tmp_path / "other", 6, 4).read_bytes())  # same size
    os.utime(changed, ns=(status.st_atime_ns, status.st_mtime_ns))  # and the same time
    keys[changed.relative_to(bucket).as_posix()] = "etag-new"
    (bucket / ".etags.json").write_text(json.dumps(keys))
    raw, _ = query(root)
    assert ("id-0604-00", "PutObject") in raw
    rows, notes = query(root, cache=columnar.ColumnarCache(root, base))
    assert rows == raw and cached_days(notes) == 6
    assert build(root, base, JUNE).days_built == 1


@pytest.mark.parametrize("record_text", ["[1, 2]", '{"source": 7}', "not json", '{"other": 1}'])
def test_cache_status_reports_a_cache_whose_record_is_damaged(
    archive, tmp_path, monkeypatch, capsys, record_text
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source = ["--source", str(archive), "--start", "2025-06-01", "--end", "2025-06-30"]
    assert run_in_process(capsys, "cache", "build", *source)[0] == 0
    cache = columnar.ColumnarCache(archive)
    (cache.dir / "source.json").write_text(record_text)
    code, out, err = run_in_process(capsys, "cache", "status", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    assert f"damaged: {cache.dir}: its source.json does not say which archive it caches" in err
    assert run_in_process(capsys, "cache", "build", *source)[0] == 0
    code, out, err = run_in_process(capsys, "cache", "status", "--format", "json")
    assert json.loads(out)[0]["day folders"] == 7 and "damaged" not in err


def a_cached_month(tmp_path: Path) -> tuple[Path, Path, Path]:
    """June 1-7, thirty events a day, cached: (archive, cache base, the month's Parquet file)."""
    root = tmp_path / "archive"
    for day in range(1, 8):
        write(root, 6, day, [record((6, day), n) for n in range(30)])
    base = tmp_path / "cache"
    build(root, base)
    [month_file] = list(base.rglob("*.parquet"))
    return root, base, month_file


def test_a_month_file_corrupted_behind_its_checks_is_read_raw(tmp_path):
    """Pages corrupted while the file keeps its size, time and footer: the query that fails on
    them runs again with those days read raw, and says so."""
    import struct

    root, base, month_file = a_cached_month(tmp_path)
    before = month_file.stat()
    data = bytearray(month_file.read_bytes())
    footer = struct.unpack("<I", data[-8:-4])[0]
    for offset in range(4, len(data) - footer - 8, 7):  # every seventh byte of the pages
        data[offset] ^= 0x55
    month_file.write_bytes(bytes(data))
    os.utime(month_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    raw, _ = query(root)
    rows, notes = query(root, cache=columnar.ColumnarCache(root, base))
    assert rows == raw and len(raw) == 7 * 30
    assert cached_days(notes) == 0
    assert any("month file is corrupt" in note and "cache clear" in note for note in notes), notes


def test_a_month_file_whose_pages_decode_to_bad_json_is_read_raw(tmp_path):
    """One flipped byte in a page: DuckDB decodes it to text that is not JSON (its error then read
    as the user's SQL's). The query runs again with those days read raw."""
    import struct

    import duckdb

    root, base, month_file = a_cached_month(tmp_path)
    before = month_file.stat()
    pristine = month_file.read_bytes()
    footer = struct.unpack("<I", pristine[-8:-4])[0]
    sql = "SELECT userIdentity::JSON->>'type', requestParameters::JSON FROM read_parquet(?)"
    for offset in range(4, len(pristine) - footer - 8, 3):
        damaged = bytearray(pristine)
        damaged[offset] ^= 0x04
        month_file.write_bytes(bytes(damaged))
        try:
            duckdb.execute(sql, [str(month_file)]).fetchall()
        except duckdb.Error:
            break
    else:
        pytest.fail("no single flipped byte made DuckDB fail on this file")
    os.utime(month_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    everything = "SELECT eventid, useridentity.type, requestparameters FROM trail ORDER BY eventid"
    raw, _ = query(root, everything)
    rows, notes = query(root, everything, cache=columnar.ColumnarCache(root, base))
    assert rows == raw
    assert any("month file is corrupt" in note for note in notes), notes
