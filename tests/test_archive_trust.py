"""Archives are untrusted input: every file is read whole or not at all, and what is not read is
counted and said. Each test here failed on the code before its fix.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import time
import uuid
import zlib
from pathlib import Path

import pytest
from conftest import CORPORA, read_jsonl, run_in_process

from toolkit.core import export, window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import ExitCode, SourceError, UsageError

ALL = window.parse(all_time=True)
ACCOUNT, REGION = "111111111111", "us-east-1"


def events(count: int, start: int = 0) -> list[dict]:
    """Real events (the Stratus corpus), each given a fresh id and a time on 2024-01-01."""
    records = read_jsonl(CORPORA / "stratus-red-team-detonations" / "events.jsonl")
    chosen = []
    for index in range(start, start + count):
        record = dict(records[index % len(records)])
        record["eventID"] = f"00000000-0000-4000-8000-{index:012d}"
        record["eventTime"] = f"2024-01-01T{index % 24:02d}:00:00Z"
        chosen.append(record)
    return chosen


def day_folder(root: Path, account: str = ACCOUNT, region: str = REGION) -> Path:
    folder = root / f"AWSLogs/{account}/CloudTrail/{region}/2024/01/01"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_name(unique: str) -> str:
    return f"{ACCOUNT}_CloudTrail_{REGION}_20240101T2355Z_{unique}.json.gz"


def write(folder: Path, unique: str, payload: bytes) -> Path:
    path = folder / log_name(unique)
    path.write_bytes(payload)
    return path


def document(records: list[dict]) -> bytes:
    return json.dumps({"Records": records}).encode()


def run(root: Path, sql: str = "SELECT eventid FROM trail", strict: bool = False):
    engine = LocalEngine(root, strict=strict)
    try:
        return engine.run(TrailQuery.parse(sql, ALL))
    finally:
        engine.close()


# -- partition values come from the right folders ---------------------------------------------


@pytest.mark.parametrize("above", ["CloudTrail", "AWSLogs", "CloudTrail/us-west-2/2020/02/02"])
def test_partitions_are_read_from_the_layout_not_from_folders_above_it(tmp_path, above):
    root = tmp_path / above
    write(day_folder(root), "a", gzip.compress(document(events(3))))
    result = run(tmp_path, "SELECT DISTINCT account, region, day FROM trail")
    assert result.rows == [(ACCOUNT, REGION, "2024/01/01")]


# -- gzip integrity ---------------------------------------------------------------------------


def stored_gzip(data: bytes) -> bytes:
    """gzip with stored (uncompressed) blocks: a flipped byte stays readable, only the CRC tells."""
    return gzip.compress(data, compresslevel=0)


def test_a_corrupted_byte_is_caught_by_the_gzip_check_not_read_as_data(tmp_path):
    folder = day_folder(tmp_path)
    records = events(4)
    records[1]["eventName"] = "DeleteTrail"
    good = stored_gzip(document(records))
    at = good.index(b"DeleteTrail")
    corrupt = good[:at] + b"DescribeX00" + good[at + len("DeleteTrail") :]
    write(folder, "corrupt", corrupt)
    write(folder, "good", gzip.compress(document(events(2, start=10))))
    result = run(tmp_path, "SELECT eventname FROM trail")
    assert "DescribeX00" not in {row[0] for row in result.rows}
    assert len(result.rows) == 2
    [skipped] = result.report.skipped
    assert skipped.path.endswith("_corrupt.json.gz") and "CRC-32" in skipped.reason
    with pytest.raises(SourceError, match="CRC-32"):
        run(tmp_path, strict=True)


def test_a_wrong_length_in_the_trailer_is_caught(tmp_path):
    data = bytearray(gzip.compress(document(events(2))))
    data[-4:] = struct.pack("<I", 12345)
    write(day_folder(tmp_path), "length", bytes(data))
    write(day_folder(tmp_path), "good", gzip.compress(document(events(1, start=5))))
    result = run(tmp_path)
    assert len(result.rows) == 1 and "length" in result.report.skipped[0].reason


def gzip_with_header(data: bytes, flags: int, comment: bytes = b"", name: bytes = b"") -> bytes:
    header = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", int(time.time())) + b"\x00\x03"
    if flags & 0x08:
        header += name + b"\0"
    if flags & 0x10:
        header += comment + b"\0"
    if flags & 0x02:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = squeeze.compress(data) + squeeze.flush()
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


# -- valid files that were refused -------------------------------------------------------------


def test_valid_files_in_unusual_but_legal_forms_are_read(tmp_path):
    folder = day_folder(tmp_path)
    write(folder, "comment", gzip_with_header(document(events(1, 0)), 0x10, comment=b"made by hand"))
    write(folder, "hcrc", gzip_with_header(document(events(1, 1)), 0x02))
    write(folder, "all", gzip_with_header(document(events(1, 2)), 0x02 | 0x08 | 0x10, b"c", b"n.json"))
    later_key = json.dumps({"someOtherKey": 1, "Records": events(1, 3)}).encode()
    write(folder, "recordslast", gzip.compress(later_key))
    write(folder, "question?mark", gzip.compress(document(events(1, 4))))
    result = run(tmp_path)
    assert result.report.skipped == []
    assert len(result.rows) == 5


# -- shapes that are not one CloudTrail log file ------------------------------------------------


def test_odd_json_shapes_are_refused_the_same_way_by_search_and_event(tmp_path, capsys):
    folder = day_folder(tmp_path)
    one, two = events(2, 20)
    write(folder, "twodocs", gzip.compress(document([one]) + b"\n" + document([two])))
    dup = b'{"Records": [' + json.dumps(events(1, 30)[0]).encode() + b'], "Records": []}'
    write(folder, "dupkey", gzip.compress(dup))
    write(
        folder, "nonobject", gzip.compress(json.dumps({"Records": [1, "x", None, events(1, 40)[0]]}).encode())
    )
    write(folder, "notarray", gzip.compress(json.dumps({"Records": events(1, 50)[0]}).encode()))
    write(folder, "norecords", gzip.compress(b'{"records": []}'))
    write(folder, "good", gzip.compress(document(events(1, 60))))
    result = run(tmp_path)
    assert len(result.rows) == 1
    reasons = {Path(s.path).name.rsplit("_", 1)[-1]: s.reason for s in result.report.skipped}
    assert set(reasons) == {
        f"{n}.json.gz" for n in ("twodocs", "dupkey", "nonobject", "notarray", "norecords")
    }
    assert "more than one JSON document" in reasons["twodocs.json.gz"]
    assert "appears twice" in reasons["dupkey.json.gz"]
    assert (
        reasons["nonobject.json.gz"] == 'item 1 of "Records" is a number (1), not a JSON object (and 2 more)'
    )
    # The event in the duplicated-key file is found neither by search nor by event.
    code, out, _err = run_in_process(
        capsys, "search", "--source", str(tmp_path), "--all-time", "--format", "csv"
    )
    assert code == 0 and events(1, 30)[0]["eventID"] not in out
    code, _out, _err = run_in_process(
        capsys, "event", events(1, 30)[0]["eventID"], "--source", str(tmp_path), "--all-time"
    )
    assert code == ExitCode.NOT_FOUND


# -- entries that are not read are said --------------------------------------------------------


def test_links_pipes_and_files_outside_the_layout_are_counted_and_said(tmp_path, capsys):
    root = tmp_path / "archive"
    folder = day_folder(root)
    write(folder, "good", gzip.compress(document(events(2))))
    other = day_folder(tmp_path / "elsewhere", region="eu-west-1")
    write(other, "linked", gzip.compress(document(events(3, 10))))
    os.symlink(other, day_folder(root, region="eu-west-1").parent / "02")  # a linked day folder
    os.symlink(other / log_name("linked"), folder / log_name("filelink"))
    os.mkfifo(folder / log_name("fifo"))
    (folder / "extra").mkdir()
    (folder / "extra" / log_name("nested")).write_bytes(gzip.compress(document(events(1, 20))))
    (root / "AWSLogs" / log_name("loose")).write_bytes(gzip.compress(document(events(1, 21))))
    tmp_path = root
    result = run(tmp_path)
    assert len(result.rows) == 2
    [note] = [n for n in result.report.notes if "not read" in n]
    assert note.startswith("5 entries of the archive were not read")
    assert "2 symbolic link, not followed" in note
    assert "1 not a regular file" in note
    assert "2 outside the day folders of CloudTrail's layout" in note
    with pytest.raises(SourceError, match="drop --strict"):
        run(tmp_path, strict=True)
    code, _out, err = run_in_process(
        capsys, "sql", "SELECT count(*) FROM trail", "--source", str(tmp_path), "--all-time"
    )
    assert code == 0 and "5 entries of the archive were not read" in err


def test_a_folder_that_cannot_be_listed_is_said(tmp_path, monkeypatch):
    write(day_folder(tmp_path), "good", gzip.compress(document(events(1))))
    locked = day_folder(tmp_path, region="eu-west-1")
    real_scandir = os.scandir

    def scandir(path):
        if str(path) == str(locked.resolve()):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run(tmp_path)
    assert len(result.rows) == 1
    assert any("folder cannot be listed: Permission denied" in n for n in result.report.notes)
    with pytest.raises(SourceError, match="cannot be listed"):
        run(tmp_path, strict=True)


# -- output and event on hostile values ----------------------------------------------------------


def test_json_output_is_strict_json_and_uuids_are_written():
    rows = [(float("nan"), float("inf"), -float("inf"), uuid.UUID(int=7), '{"a": NaN}')]
    columns = ["a", "b", "c", "d", "requestparameters"]
    for fmt in ("json", "jsonl", "csv"):
        import io

        stream = io.StringIO()
        export.write(columns, rows, fmt, stream)
        text = stream.getvalue()
        if fmt != "csv":
            json.loads(text.splitlines()[0] if fmt == "jsonl" else text, parse_constant=_refuse)
        assert "00000000-0000-0000-0000-000000000007" in text


def _refuse(token: str) -> None:
    raise AssertionError(f"{token} is not JSON")


def test_event_on_a_deeply_nested_record_is_one_line(tmp_path, capsys):
    record = events(1)[0]
    nested = "[" * 1500 + '"bottom"' + "]" * 1500
    text = json.dumps({"Records": [record]})[:-3] + ', "deep": ' + nested + "}]}"
    write(day_folder(tmp_path), "deep", gzip.compress(text.encode()))
    code, out, err = run_in_process(
        capsys, "event", record["eventID"], "--source", str(tmp_path), "--all-time"
    )
    assert code in (0, ExitCode.BAD_DATA), err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3


def test_deeply_nested_sql_is_a_one_line_error(tmp_path, capsys):
    write(day_folder(tmp_path), "good", gzip.compress(document(events(1))))
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " FROM trail"
    code, _out, err = run_in_process(capsys, "sql", deep, "--source", str(tmp_path), "--all-time")
    assert code == ExitCode.USAGE and "nested" in err and "Traceback" not in err


def test_a_log_name_with_a_control_character_is_passed_over_and_said(tmp_path):
    folder = day_folder(tmp_path)
    write(folder, "good", gzip.compress(document(events(1))))
    (folder / log_name("line\nbreak")).write_bytes(gzip.compress(document(events(1, 5))))
    result = run(tmp_path)
    assert len(result.rows) == 1
    assert any("control character or backslash" in n for n in result.report.notes)


def test_a_checked_file_is_not_checked_again_until_it_changes(tmp_path, monkeypatch):
    from toolkit.sources import archive

    folder = day_folder(tmp_path)
    records = events(3)
    records[1]["eventName"] = "DeleteTrail"
    path = write(folder, "a", stored_gzip(document(records)))
    assert len(run(tmp_path).rows) == 3  # checked whole, and remembered
    calls: list[str] = []
    real = archive.inspect
    monkeypatch.setattr(archive, "inspect", lambda p: calls.append(p) or real(p))
    assert len(run(tmp_path).rows) == 3
    assert calls == []
    data = path.read_bytes()
    at = data.index(b"DeleteTrail")
    path.write_bytes(data[:at] + b"DescribeX00" + data[at + len("DeleteTrail") :])  # same size
    result = run(tmp_path)
    assert calls == [str(path.resolve())] or calls == [str(path)]
    assert result.rows == [] and "CRC-32" in result.report.skipped[0].reason


@pytest.mark.parametrize("parent", ["plain", "case[1]", "what?", "all*"])
def test_names_with_glob_characters_are_read_once_each_and_only_them(tmp_path, parent):
    """DuckDB expands `*`, `?` and `[...]` in the paths it reads: a file named `*.json.gz` once
    read every file of its folder again, and a skipped file with it."""
    root = tmp_path / parent
    folder = day_folder(root)
    write(folder, "a", gzip.compress(document(events(2, 0))))
    write(folder, "b", gzip.compress(document(events(1, 2))))
    write(folder, "*", gzip.compress(document(events(1, 3))))
    write(folder, "?", gzip.compress(document(events(1, 4))))
    write(folder, "[ab]", gzip.compress(document(events(1, 5))))
    records = events(1, 6)
    records[0]["eventName"] = "DeleteTrail"
    good = stored_gzip(document(records))
    at = good.index(b"DeleteTrail")
    write(folder, "corrupt", good[:at] + b"DescribeX00" + good[at + len("DeleteTrail") :])
    result = run(root, "SELECT eventid, count(*) FROM trail GROUP BY 1 ORDER BY 1")
    assert result.rows == [(record["eventID"], 1) for record in events(6)]
    assert [Path(s.path).name for s in result.report.skipped] == [log_name("corrupt")]


@pytest.mark.parametrize(
    ("shape", "said"),
    [
        # Items after a first good event: the whole check looks at the first item only.
        ("number-item", 'item 2 of "Records" is a number (5), not a JSON object'),
        ("string-item", 'item 2 of "Records" is a string ("x"), not a JSON object'),
        ("array-item", 'item 2 of "Records" is an array ([1]), not a JSON object'),
        ("null-item", 'an item of "Records" is null (not an event object)'),
        # Keys spelt twice, plainly or with JSON escapes the byte-level check cannot see.
        ("record-key-twice", "holds the key 'eventName' twice"),
        ("record-key-escaped", "holds the key 'eventName' twice"),
        ("records-key-escaped", "holds the key 'Records' twice"),
    ],
)
def test_records_that_are_not_one_plain_event_each_are_refused_by_search_and_event(
    tmp_path, capsys, shape, said
):
    good, other = events(2, 70)
    first = json.dumps(good)
    bodies = {
        "number-item": f'{{"Records": [{first}, 5]}}',
        "string-item": f'{{"Records": [{first}, "x"]}}',
        "array-item": f'{{"Records": [{first}, [1]]}}',
        "null-item": f'{{"Records": [{first}, null]}}',
        "record-key-twice": first.replace('"eventName": ', '"eventName": "FirstName", "eventName": ', 1),
        "record-key-escaped": first.replace(
            '"eventName": ', '"eventName": "FirstName", "event\\u004eame": ', 1
        ),
        "records-key-escaped": f'{{"Records": [{first}], "Rec\\u006frds": [{json.dumps(other)}]}}',
    }
    body = bodies[shape]
    if shape.startswith("record-key"):
        body = f'{{"Records": [{body}]}}'
    write(day_folder(tmp_path), "odd", gzip.compress(body.encode()))
    write(day_folder(tmp_path), "fine", gzip.compress(document(events(1, 90))))
    result = run(tmp_path, "SELECT eventid, eventname FROM trail")
    assert [row[0] for row in result.rows] == [events(1, 90)[0]["eventID"]]
    assert [(Path(s.path).name, s.reason) for s in result.report.skipped] == [
        (log_name("odd"), result.report.skipped[0].reason)
    ]
    assert said in result.report.skipped[0].reason
    code, out, err = run_in_process(capsys, "event", good["eventID"], "--source", str(tmp_path), "--all-time")
    assert code == ExitCode.NOT_FOUND and out == ""
    assert said in err


def test_a_key_given_twice_is_refused_only_by_queries_that_read_it(tmp_path):
    """DuckDB's reader refuses a record spelling a key twice when the query reads that key; a
    query that does not read it gets the same answer whichever value counts, and reads the file."""
    record = json.dumps(events(1, 95)[0])
    body = record.replace('"eventName": ', '"eventName": "FirstName", "eventName": ', 1)
    write(day_folder(tmp_path), "odd", gzip.compress(f'{{"Records": [{body}]}}'.encode()))
    assert run(tmp_path, "SELECT eventid FROM trail").rows == [(events(1, 95)[0]["eventID"],)]
    refused = run(tmp_path, "SELECT eventname FROM trail")
    assert refused.rows == [] and len(refused.report.skipped) == 1


def test_entries_passed_over_are_said_and_fatal_under_strict_only_for_queries_that_needed_them(
    tmp_path, capsys
):
    """A symbolic link in one day's folder, and a log file put outside the layout that was
    delivered that day, concern queries over that day, not over another one."""
    write(day_folder(tmp_path), "good", gzip.compress(document(events(2))))
    other_day = tmp_path / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2024/01/03"
    other_day.mkdir(parents=True)
    (other_day / "linked.json.gz").symlink_to(tmp_path / "nowhere.json.gz")
    stray = f"{ACCOUNT}_CloudTrail_{REGION}_20240103T0105Z_stray.json.gz"
    (tmp_path / "AWSLogs" / stray).write_bytes(gzip.compress(document(events(1, 5))))

    def query(start: str, end: str, strict: bool = False):
        engine = LocalEngine(tmp_path, strict=strict)
        try:
            return engine.run(
                TrailQuery.parse("SELECT eventid FROM trail", window.parse(start=start, end=end))
            )
        finally:
            engine.close()

    first_day = query("2024-01-01", "2024-01-01", strict=True)
    assert len(first_day.rows) == 2 and not [n for n in first_day.report.notes if "not read" in n]
    [note] = [n for n in query("2024-01-03", "2024-01-04").report.notes if "not read" in n]
    assert note.startswith("2 entries of the archive were not read")
    with pytest.raises(SourceError, match="drop --strict"):
        query("2024-01-03", "2024-01-04", strict=True)
    for start, end, code in (
        ("2024-01-01", "2024-01-01", 0),
        ("2024-01-03", "2024-01-04", ExitCode.BAD_DATA),
    ):
        done, _out, err = run_in_process(
            capsys, "cache", "build", "--source", str(tmp_path), "--start", start, "--end", end, "--strict"
        )
        assert done == code, err


def test_an_entry_whose_place_cannot_be_told_concerns_every_query(tmp_path, monkeypatch):
    write(day_folder(tmp_path), "good", gzip.compress(document(events(1))))
    (tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-west-1").mkdir(parents=True)
    locked = (tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-west-1").resolve()
    real_scandir = os.scandir
    monkeypatch.setattr(
        os,
        "scandir",
        lambda path: (
            (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
            if str(path) == str(locked)
            else real_scandir(path)
        ),
    )
    engine = LocalEngine(tmp_path)
    try:
        scope = window.parse(start="2024-01-01", end="2024-01-02")
        result = engine.run(TrailQuery.parse("SELECT eventid FROM trail", scope))
    finally:
        engine.close()
    assert any("folder cannot be listed" in n for n in result.report.notes)


def test_many_files_the_reader_refuses_cost_one_probe_not_one_run_each(tmp_path, monkeypatch):
    """After DuckDB's reader refuses a first file, every other file is probed in groups; the query
    itself runs twice (the refused run, then the last one), not once more per bad file; a later
    engine leaves them out before reading (the refusals are remembered with the checks)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = day_folder(tmp_path / "archive")
    for index in range(40):
        body = document(events(2, index * 2))
        if index % 8 == 3:  # five files: an item of Records that is not an object, after a good one
            body = body[: body.rindex(b"]")] + b", 7]}"
        write(folder, f"f{index:02d}", gzip.compress(body))
    runs: list[str] = []
    real = LocalEngine._execute

    def counted(self, sql, files):
        if sql.endswith("SELECT eventid FROM trail ORDER BY 1"):  # the query (not a view, nor a probe)
            runs.append(sql)
        return real(self, sql, files)

    monkeypatch.setattr(LocalEngine, "_execute", counted)
    result = run(tmp_path / "archive", "SELECT eventid FROM trail ORDER BY 1")
    assert len(result.rows) == 70 and len(result.report.skipped) == 5
    assert len(runs) == 2
    runs.clear()
    again = run(tmp_path / "archive", "SELECT eventid FROM trail ORDER BY 1")
    assert again.rows == result.rows and len(again.report.skipped) == 5 and len(runs) == 1


def test_a_folder_passed_over_inside_a_day_folder_concerns_every_query(tmp_path):
    """A linked folder may hold a whole layout of other days (folders above AWSLogs/ may be named
    anything): a query over any window is told, and stopped by --strict."""
    write(day_folder(tmp_path / "archive"), "good", gzip.compress(document(events(1))))
    elsewhere = tmp_path / "elsewhere" / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2024/03/05"
    elsewhere.mkdir(parents=True)
    (day_folder(tmp_path / "archive") / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    engine = LocalEngine(tmp_path / "archive", strict=True)
    try:
        with pytest.raises(SourceError, match="symbolic link"):
            engine.run(
                TrailQuery.parse(
                    "SELECT eventid FROM trail", window.parse(start="2024-03-05", end="2024-03-05")
                )
            )
    finally:
        engine.close()


def test_control_characters_in_names_are_shown_escaped_on_stderr(tmp_path, capsys):
    root = tmp_path / "evil\x1b[2J\nname"
    write(day_folder(root), "good", gzip.compress(document(events(1))))
    write(day_folder(root), "bad", b"\x1f\x8b broken")
    code, _out, err = run_in_process(
        capsys, "sql", "SELECT eventid FROM trail", "--source", str(root), "--all-time"
    )
    assert code == 0
    assert "\x1b" not in err and "\\x1b[2J\\nname" in err
    assert all(line.startswith("trailcsi: ") for line in err.splitlines())


def test_a_second_document_that_is_not_an_object_is_named_as_such(tmp_path):
    write(day_folder(tmp_path), "two", gzip.compress(document(events(1)) + b" 5"))
    result = run(tmp_path)
    assert result.rows == [] and "more than one JSON document" in result.report.skipped[0].reason


def test_event_refuses_a_record_giving_a_nested_key_twice(tmp_path, capsys):
    record = events(1, 97)[0]
    record["requestParameters"] = {"userName": "alice"}
    text = json.dumps({"Records": [record]}).replace(
        '"userName": "alice"', '"userName": "alice", "userName": "mallory"'
    )
    write(day_folder(tmp_path), "nested", gzip.compress(text.encode()))
    code, out, err = run_in_process(
        capsys, "event", record["eventID"], "--source", str(tmp_path), "--all-time"
    )
    assert code == ExitCode.NOT_FOUND and out == ""
    assert "holds the key 'userName' twice" in err
    assert "may be in one of the 1 file(s) skipped above" in err and "widen the window" not in err


def test_a_sweep_summary_says_files_were_not_searched(tmp_path, capsys):
    write(day_folder(tmp_path), "good", gzip.compress(document(events(2))))
    write(day_folder(tmp_path), "cut", gzip.compress(document(events(2, 2)))[:-9])
    code, _out, err = run_in_process(capsys, "sweep", "--source", str(tmp_path), "--all-time")
    assert code == 0
    [summary] = [line for line in err.splitlines() if " detections: " in line]
    assert summary.endswith("(1 file(s) skipped above: their events were not searched)")


def test_a_refusal_that_depends_on_the_columns_read_is_neither_kept_for_other_queries_nor_remembered(
    tmp_path, capsys, monkeypatch
):
    """`event` refusing a record with a nested key given twice, or a query refusing a record with
    a key it reads given twice, must not hide the file from queries that do not read that key: in
    the same engine, or in later runs (the checks' ledger)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    record = events(1, 98)[0]
    record["requestParameters"] = {"Records": "a"}
    text = json.dumps({"Records": [record]}).replace('"Records": "a"', '"Records": "a", "Records": "b"')
    text = text.replace('"eventName": ', '"eventName": "FirstName", "eventName": ', 1)
    write(day_folder(tmp_path / "archive"), "twice", gzip.compress(text.encode()))
    root = tmp_path / "archive"
    code, _out, err = run_in_process(capsys, "event", record["eventID"], "--source", str(root), "--all-time")
    assert code == ExitCode.NOT_FOUND and "a record in it holds the key 'Records' twice" in err
    engine = LocalEngine(root)
    try:
        refused = engine.run(TrailQuery.parse("SELECT eventname FROM trail", ALL))
        assert refused.rows == [] and "'eventName' twice" in refused.report.skipped[0].reason
        read = engine.run(TrailQuery.parse("SELECT eventid FROM trail", ALL))
        assert read.rows == [(record["eventID"],)] and not read.report.skipped
        again = engine.run(TrailQuery.parse("SELECT eventname FROM trail", ALL))
        assert again.rows == [] and len(again.report.skipped) == 1
    finally:
        engine.close()
    assert run(root).rows == [(record["eventID"],)]


def test_a_valid_file_nested_deeper_than_python_parses_is_read(tmp_path):
    record = events(1, 99)[0]
    record["requestParameters"] = "DEEP"
    body = document([record]).replace(b'"DEEP"', b'{"d": ' * 1200 + b'"bottom"' + b"}" * 1200)
    # two gzip members: the whole check parses such a file exactly, and Python's parser stops
    half = len(body) // 2
    write(day_folder(tmp_path), "deep", gzip.compress(body[:half]) + gzip.compress(body[half:]))
    result = run(tmp_path)
    assert result.rows == [(record["eventID"],)] and not result.report.skipped


def test_output_to_a_fifo_is_written_into_not_replaced(tmp_path, capsys):
    import threading

    write(day_folder(tmp_path / "archive"), "good", gzip.compress(document(events(2))))
    fifo = tmp_path / "rows"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    code, _out, err = run_in_process(
        capsys,
        "sql",
        "SELECT eventid FROM trail ORDER BY 1",
        "--source",
        str(tmp_path / "archive"),
        "--all-time",
        "--format",
        "csv",
        "--output",
        str(fifo),
    )
    reader.join(10)
    assert code == 0, err
    assert fifo.is_fifo() and got == ["eventid\n" + "".join(f"{e['eventID']}\n" for e in events(2))]


# -- the same log file twice under the source -------------------------------------------------


def test_a_second_copy_of_a_log_file_is_read_once_and_said(tmp_path):
    """Two syncs of one bucket side by side: each event once (a copy would double every count),
    the copy passed over and said; two files of one name whose bytes differ are both read (neither
    is hidden) and said as two versions."""
    root = tmp_path / "archive"
    payload = gzip.compress(document(events(3)))
    write(day_folder(root / "sync-1"), "same", payload)
    write(day_folder(root / "sync-2"), "same", payload)
    result = run(root)
    assert sorted(r[0] for r in result.rows) == sorted(e["eventID"] for e in events(3))
    [note] = [n for n in result.report.notes if "not read" in n]
    assert "1 a second copy of a log file read elsewhere under the source (same name, same bytes)" in note
    with pytest.raises(SourceError, match="second copy"):
        run(root, strict=True)
    altered = events(3)
    altered[2]["eventName"] = "InjectedEvent"
    write(day_folder(root / "sync-3"), "same", gzip.compress(document(altered), mtime=1))
    both = run(root, "SELECT eventname FROM trail")
    assert [r[0] for r in both.rows].count("InjectedEvent") == 1 and len(both.rows) == 6
    [versions] = [n for n in both.report.notes if "two versions" in n]
    assert versions.startswith("1 log file(s) exist in two versions under the source")


def test_log_files_outside_the_day_folders_only_get_a_hint_to_lay_them_out(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    write(flat, "a", gzip.compress(document(events(2))))
    with pytest.raises(SourceError) as raised:
        run(flat)
    assert "1 log file(s) lie outside them" in raised.value.message
    assert "AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/" in (raised.value.hint or "")


def test_a_copy_in_a_folder_that_sorts_first_does_not_displace_the_file_it_copies(tmp_path):
    """The copy nearest the root is read (as a digest names its files): a byte-identical copy
    dropped into `0/` (which sorts before `AWSLogs/`) is the one passed over."""
    root = tmp_path / "archive"
    genuine = write(day_folder(root), "same", gzip.compress(document(events(2))))
    copy = write(day_folder(root / "0"), "same", genuine.read_bytes())
    result = run(root)
    assert len(result.rows) == 2
    [note] = [n for n in result.report.notes if "not read" in n]
    assert str(copy) in note and str(genuine) not in note


@pytest.mark.parametrize(
    ("key", "spelt"),
    [
        ('"accessKeyId"', '"access\u212aeyId"'),  # as UTF-8, in a struct (userIdentity)
        ('"accessKeyId"', '"access\\u212AeyId"'),  # as a JSON escape
        ('"type"', '"type"'),  # (no Kelvin sign: a control, read)
    ],
)
def test_a_key_trino_reads_through_the_kelvin_sign_is_refused(tmp_path, key, spelt):
    """Trino's JSON reader matches keys in Java's lower case: `access\\u212aeyId` (the Kelvin
    sign) fills `accessKeyId` there (checked on Trino 476), and is no key to DuckDB's reader.
    Which one Athena's SerDe fills cannot be told here, so the file is refused, and said. The
    long s, the dotless i and the capital I with a dot stay themselves in Java's lower case (no
    key to either reader: read), and a Kelvin sign in a value, or in a key of `requestParameters`
    (JSON text to Athena) or of a key no CloudTrail key, is read."""
    good, bad = events(2, 60)
    good["userIdentity"]["userName"] = "\u0130stanbul-\u212a"  # in values: read
    good["userIdentity"]["acce\u017f\u017fKeyId"] = "x"  # the long s: no key to Trino either
    good["requestParameters"] = {"\u212aey": "x", "acce\u017fsKeyId": "y"}  # JSON text: read
    good["resources"] = [{"ARN": "a", "\u212anown": 1}]  # no CloudTrail key once folded: read
    text = json.dumps(bad)
    assert key in text
    folder = day_folder(tmp_path)
    write(folder, "good", gzip.compress(json.dumps({"Records": [good]}, ensure_ascii=False).encode()))
    write(folder, "bad", gzip.compress(f'{{"Records": [{text.replace(key, spelt, 1)}]}}'.encode()))
    result = run(tmp_path, "SELECT eventid, useridentity.username FROM trail ORDER BY eventid")
    if spelt == key:
        assert [r[0] for r in result.rows] == [good["eventID"], bad["eventID"]]
        assert result.report.skipped == []
        return
    assert result.rows == [(good["eventID"], "\u0130stanbul-\u212a")]
    [skipped] = result.report.skipped
    assert skipped.path.endswith(log_name("bad"))
    assert "a Kelvin sign for its k" in skipped.reason


# -- paths that are not UTF-8, or hold a line break -------------------------------------------


def not_utf8(root: Path, *names: bytes) -> Path:
    """`root`/names..., made of bytes that are not UTF-8 (as Python names them: lone surrogates)."""
    path = os.fsencode(root)
    for name in names:
        path = os.path.join(path, name)
    os.makedirs(path, exist_ok=True)
    return Path(os.fsdecode(path))


@pytest.mark.parametrize("where", ["folder above AWSLogs", "file name"])
def test_a_log_file_whose_path_is_not_utf8_is_passed_over_and_said(tmp_path, where):
    """DuckDB takes paths as UTF-8 text: a path holding other bytes made every query fail with a
    UnicodeEncodeError (the engine's, then the checked-files ledger's, a traceback). Such a file is
    passed over and said, like a name holding a control character; under --strict, refused."""
    write(day_folder(tmp_path / "good"), "good", gzip.compress(document(events(2))))
    if where == "file name":
        folder = day_folder(tmp_path / "good")
        name = os.fsencode(log_name("caf")).replace(b".json.gz", b"\xe9.json.gz")
        bad = Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))
        bad.write_bytes(gzip.compress(document(events(1, 10))))
    else:
        write(day_folder(not_utf8(tmp_path, b"caf\xe9")), "other", gzip.compress(document(events(1, 10))))
    for _ in range(2):  # (the second run: the outcomes the ledger remembered)
        result = run(tmp_path)
        assert len(result.rows) == 2 and result.report.skipped == []
        [note] = [n for n in result.report.notes if "not UTF-8" in n]
        assert "1 entry of the archive was not read" in note and "\\xe9" in note
        note.encode("utf-8")  # (said as text: the bytes written \xNN)
    with pytest.raises(SourceError, match="not UTF-8") as refused:
        run(tmp_path, strict=True)
    refused.value.message.encode("utf-8")


def test_a_log_file_outside_the_layout_in_a_folder_that_is_not_utf8_is_said_to_be_outside_it(tmp_path):
    """Such a file was said to be passed over for its name ("rename it to read the file"): renamed,
    it would still not be read, as it lies outside CloudTrail's day folders."""
    from toolkit.sources import archive

    write(day_folder(tmp_path / "good"), "good", gzip.compress(document(events(2))))
    stray = not_utf8(tmp_path, b"stray-caf\xe9")
    (stray / log_name("stray")).write_bytes(gzip.compress(document(events(1, 10))))
    result = run(tmp_path)
    assert len(result.rows) == 2
    [note] = [n for n in result.report.notes if "not read" in n]
    assert archive.OUTSIDE_LAYOUT in note and "not UTF-8" not in note and "\\xe9" in note


@pytest.mark.parametrize(
    "command",
    [
        ["sql", "SELECT count(*) FROM trail"],
        ["search", "--event-name", "ConsoleLogin"],
        ["run", "user-created"],
        ["sweep"],
        ["cache", "build"],
        ["event", "00000000-0000-4000-8000-000000000000"],
    ],
)
def test_every_command_passes_over_a_path_that_is_not_utf8_and_says_so(tmp_path, capsys, command):
    write(day_folder(tmp_path / "good"), "good", gzip.compress(document(events(2))))
    write(day_folder(not_utf8(tmp_path, b"caf\xe9")), "other", gzip.compress(document(events(1, 10))))
    code, _out, err = run_in_process(capsys, *command, "--source", str(tmp_path), "--all-time")
    assert code == 0, err
    assert "Traceback" not in err and "not UTF-8" in err and "caf\\xe9" in err


def test_a_source_whose_own_path_is_not_utf8_is_refused_in_one_line(tmp_path, capsys):
    root = not_utf8(tmp_path, b"caf\xe9")
    write(day_folder(root), "a", gzip.compress(document(events(1))))
    for command in (["sql", "SELECT count(*) FROM trail"], ["cache", "build"], ["sweep"]):
        code, _out, err = run_in_process(capsys, *command, "--source", str(root), "--all-time")
        assert code == ExitCode.BAD_DATA, err
        [line] = [line for line in err.splitlines() if "error" in line]
        assert line.startswith(f"trailcsi: error: source '{tmp_path}/caf\\xe9': its path is not UTF-8")
        assert "rename the folder" in line and "Traceback" not in err


@pytest.mark.parametrize("variable", ["TMPDIR", "XDG_CACHE_HOME"])
def test_a_folder_of_trailcsis_own_that_is_not_utf8_is_a_one_line_error(
    tmp_path, capsys, monkeypatch, variable
):
    """DuckDB writes in the temporary folder and reads the columnar cache: either's path not UTF-8
    failed with a traceback (the cache's, once a build had made it)."""
    import tempfile

    write(day_folder(tmp_path / "archive"), "a", gzip.compress(document(events(1))))
    folder = not_utf8(tmp_path, b"caf\xe9")
    monkeypatch.setenv(variable, str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # (read from TMPDIR again)
    if variable == "XDG_CACHE_HOME":  # the columnar cache's folder, as a build made it: queries use it
        from toolkit.cache.columnar import ColumnarCache

        ColumnarCache(tmp_path / "archive").dir.mkdir(parents=True)
    for command in (["cache", "build"], ["sql", "SELECT count(*) FROM trail"]):
        code, _out, err = run_in_process(
            capsys, *command, "--source", str(tmp_path / "archive"), "--all-time"
        )
        assert code == ExitCode.USAGE, err
        [line] = [line for line in err.splitlines() if "error" in line]
        assert "caf\\xe9" in line and "is not UTF-8 text, which DuckDB cannot open" in line
        assert f"(set {variable} to a folder whose path is UTF-8" in line and "Traceback" not in err


def test_a_file_read_exactly_is_read_under_a_folder_holding_a_line_break(tmp_path):
    """A record whose nested field the fast reading may read otherwise than Athena (`Type` for
    `type`) names its file in an error, to be read by the exact reader: a line break in the path
    cut the name short, and the file was skipped ("trailcsi: read exactly the file ...")."""
    root = tmp_path / "a\nb"
    records = events(2)
    records[0]["userIdentity"] = {"Type": "IAMUser", "userName": "alice"}
    records[1]["userIdentity"] = {"type": "Root"}
    write(day_folder(root), "mixed", gzip.compress(document(records[:1])))
    write(day_folder(root), "plain", gzip.compress(document(records[1:])))
    for source in (root, tmp_path):
        for _ in range(2):  # (the second run: what the ledger, which now holds such paths, says)
            result = run(source, "SELECT useridentity.type, useridentity.username FROM trail ORDER BY 1")
            assert result.rows == [("IAMUser", "alice"), ("Root", None)]
            assert result.report.skipped == []


# -- a skipped file is said in the same words every run ----------------------------------------


def header_crc_mismatch(data: bytes) -> bytes:
    """gzip with a header CRC (FHCRC) that does not match its header."""
    return data[:3] + bytes([data[3] | 0x02]) + data[4:10] + b"\0\0" + data[10:]


@pytest.mark.parametrize(
    "damaged",
    [
        lambda good: header_crc_mismatch(good),  # the cheap look: "corrupt gzip data"
        lambda good: good[:12] + bytes([good[12] ^ 0xFF]) + good[13:],  # the whole check: CRC-32
        lambda good: good[:14],  # ends before its trailer
        lambda _good: gzip.compress(b'{"Records": ["two  spaces\\tand a tab"]}'),  # the ledger kept one space
    ],
    ids=["header-crc", "flipped-byte", "truncated", "spaces-in-reason"],
)
def test_a_skipped_files_reason_is_the_same_in_its_first_run_and_as_remembered(
    tmp_path, monkeypatch, damaged
):
    """The cheap look and the whole check word some damage differently ("corrupt gzip data", then
    "corrupt gzip data (header crc mismatch)"), and the ledger wrote a reason on one line by
    folding its blanks: the first run said one thing, the next ones another. A forensic report
    says the same thing every time: the whole check's words, kept exactly."""
    from toolkit.sources import archive

    folder = day_folder(tmp_path)
    write(folder, "good", gzip.compress(document(events(1))))
    write(folder, "damaged", damaged(gzip.compress(document(events(2, 5)))))
    first = run(tmp_path)
    assert len(first.rows) == 1
    [said] = first.report.skipped
    monkeypatch.setattr(archive, "inspect", lambda path: pytest.fail(f"checked again: {path}"))
    again = run(tmp_path)  # (the ledger's outcome: the file is not checked again)
    assert len(again.rows) == 1
    assert [(s.path, s.reason) for s in again.report.skipped] == [(said.path, said.reason)]


def test_skipped_files_are_listed_in_the_same_order_every_run(tmp_path):
    """Files found damaged by the cheap look, by the whole check and by DuckDB's reader were
    listed in the order each was found, and a later run (from the ledger) listed them otherwise.
    A report lists them by path, on the first run and every one after."""
    folder = day_folder(tmp_path)
    write(folder, "good", gzip.compress(document(events(1))))
    good = gzip.compress(document(events(2, 5)))
    kinds = {
        "d": header_crc_mismatch(good),
        "b": good[:12] + bytes([good[12] ^ 0xFF]) + good[13:],
        "e": good[:14],
        "a": gzip.compress(b'{"Records": ["not an object"]}'),
        "c": gzip.compress(b"not json at all"),
    }
    for unique, payload in kinds.items():
        write(folder, unique, payload)
    listed = []
    for _ in range(3):
        result = run(tmp_path)
        assert len(result.rows) == 1
        listed.append([(s.path, s.reason) for s in result.report.skipped])
    assert len(listed[0]) == len(kinds) and listed[0] == sorted(listed[0])
    assert listed[1] == listed[0] and listed[2] == listed[0]


def test_a_ledger_of_another_version_is_replaced_not_appended_to(tmp_path):
    """The ledger's first line names its version; outcomes were appended under an older one's
    line, and no outcome of that file was ever read again (every file checked each run)."""
    from toolkit.sources import checked

    ledger = checked.Ledger(tmp_path / "archive", base=tmp_path / "ledgers")
    ledger.file.parent.mkdir(parents=True)
    ledger.file.write_text("trailcsi-checked 1\n/x\t1 2 3 4 5\t\n", encoding="utf-8")
    seen = (1, 2, 3, 4, 5)
    assert ledger.outcome("/a\tb\nc\\d", seen) is None
    ledger.remember("/a\tb\nc\\d", seen, "why\tnot  this\\n one")
    ledger.save()
    again = checked.Ledger(tmp_path / "archive", base=tmp_path / "ledgers")
    assert again.outcome("/a\tb\nc\\d", seen) == "why\tnot  this\\n one"
    assert again.outcome("/x", seen) is None  # (the older version's outcome is gone)


# -- a value that names a file -----------------------------------------------------------------


def test_a_value_naming_another_file_does_not_get_that_file_skipped(tmp_path):
    """An error of the query quoting a value (`Invalid format: "<value>"`) was searched for the
    paths of the files read: a value naming another log file got that file skipped, as damaged,
    for the rest of the engine's life (and under --strict, named as the bad file)."""
    folder = day_folder(tmp_path)
    records = [{**record, "eventName": "2024-01-01T00:00:00Z"} for record in events(2)]  # (read)
    innocent = write(folder, "innocent", gzip.compress(document(records)))
    planted = events(1, 10)
    planted[0]["eventName"] = str(innocent)
    write(folder, "planted", gzip.compress(document(planted)))
    for strict in (False, True):
        engine = LocalEngine(tmp_path, strict=strict)
        try:
            with pytest.raises(UsageError, match="Invalid format"):
                engine.run(TrailQuery.parse("SELECT from_iso8601_timestamp(eventname) FROM trail", ALL))
            with pytest.raises(UsageError, match="Invalid format"):
                engine.run(TrailQuery.parse("SELECT date_parse(eventname, '%Y') FROM trail", ALL))
            result = engine.run(TrailQuery.parse("SELECT count(*) FROM trail", ALL))
        finally:
            engine.close()
        assert result.rows == [(3,)] and result.report.skipped == []


def test_a_query_cannot_raise_the_readers_words_naming_a_file(tmp_path):
    """DuckDB's error() passed through the rewriting: a query raising the reader's own words for a
    log file (`... in file "<path>"`) got that good file skipped, and remembered as damaged for every
    later query. Trino has no error(), nor the local engine's macros: both are refused."""
    folder = day_folder(tmp_path)
    good = write(folder, "good", gzip.compress(document(events(2))))
    forged = f'an item of "Records" is null (not an event object) in file "{good}"'
    quoted = forged.replace("'", "''")
    engine = LocalEngine(tmp_path)
    try:
        for sql in (
            f"SELECT eventid FROM trail WHERE error('{quoted}') IS NULL",
            "SELECT trino_split_part(eventname, '.', 1) FROM trail",
        ):
            with pytest.raises(UsageError, match="not registered"):
                engine.run(TrailQuery.parse(sql, ALL))
        result = engine.run(TrailQuery.parse("SELECT count(*) FROM trail", ALL))
    finally:
        engine.close()
    assert result.rows == [(2,)] and result.report.skipped == []


def test_a_ledger_line_of_digits_python_cannot_read_as_a_number_is_passed_over(tmp_path):
    """str.isdigit() takes `²`, which int() refuses: a ledger on disk holding one raised a traceback
    at every query. A line the ledger cannot read is passed over (its file checked again)."""
    from toolkit.sources import checked

    ledger = checked.Ledger(tmp_path / "archive", base=tmp_path / "ledgers")
    ledger.file.parent.mkdir(parents=True)
    ledger.file.write_text(
        f"{checked.VERSION}\n/x\t1 2 3 4 \u00b2\tdamaged\n/y\t1 2 3 4 5\tdamaged\n", encoding="utf-8"
    )
    again = checked.Ledger(tmp_path / "archive", base=tmp_path / "ledgers")
    assert again.outcome("/x", (1, 2, 3, 4, 2)) is None
    assert again.outcome("/y", (1, 2, 3, 4, 5)) == "damaged"
