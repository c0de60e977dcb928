"""Bundles of small log files (toolkit/sources/bundles.py): DuckDB reads from a bundle exactly
what it reads from its files one by one, and a file whose text could change what a bundle says
goes into none."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path

import pytest
from test_archive_trust import ALL, day_folder, document, events, write

from toolkit.core import schema
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.sources import bundles
from toolkit.sources.bundles import Bundler, wrapped

EVERY_COLUMN = f"SELECT {', '.join(schema.COLUMN_NAMES)}, account, region, day FROM trail"
GOOD = document(events(2))


def _answer(root: Path, sql: str, bundled: bool):
    engine = LocalEngine(root)
    engine.bundle_small_files = bundled
    made = []
    split = engine._bundler.split

    def counted(*args, **kwargs):
        alone, found = split(*args, **kwargs)
        made.extend(found)
        return alone, found

    engine._bundler.split = counted  # type: ignore[method-assign]
    try:
        result = engine.run(TrailQuery.parse(sql, ALL))
    finally:
        engine.close()
    skipped = sorted((Path(s.path).name, s.reason) for s in result.report.skipped)
    return sorted(result.rows, key=repr), skipped, made


def _gzip_member(text: bytes) -> bytes:
    return gzip.compress(text, mtime=0)


def _flagged(member: bytes, flag: int, field: bytes) -> bytes:
    """The gzip member with a header flag set and its field put after the fixed header."""
    return member[:3] + bytes([member[3] | flag]) + member[4:10] + field + member[10:]


@pytest.mark.parametrize(
    "why, payload",
    [
        # text that, wrapped, would close the wrapping object and open one naming another file
        (
            "closes the wrapper",
            b'{"Records":[]}}{"f":"/elsewhere/x.json.gz","d":{"Records":[{"eventID":"forged"}]}',
        ),
        ("adds a member to the wrapper", b'{"Records":[{"eventID":"a"}]},"x":1'),
        ("two documents", b'{"Records":[]} {"Records":[]}'),
        ("an array", b'[{"Records":[]}]'),
        ("a byte-order mark", b'\xef\xbb\xbf{"Records":[]}'),
        ("NaN", b'{"Records":[{"eventID":NaN}]}'),
        ("no UTF-8", b'{"Records":[{"eventID":"\xff"}]}'),
        ("cut short", b'{"Records":[{"eventID":"a"}'),
        ("empty", b""),
    ],
)
def test_a_file_goes_into_no_bundle_unless_it_is_exactly_one_json_object(why, payload):
    assert wrapped("/a/f.json.gz", _gzip_member(payload)) is None, why


@pytest.mark.parametrize(
    "why, make",
    [
        ("two gzip members", lambda text: _gzip_member(text[:5]) + _gzip_member(text[5:])),
        ("zero padding after the member", lambda text: _gzip_member(text) + b"\0" * 8),
        ("data after the member", lambda text: _gzip_member(text) + b"more"),
        ("a CRC-32 that fails", lambda text: _gzip_member(text)[:-8] + b"\0\0\0\0" + _gzip_member(text)[-4:]),
        ("truncated", lambda text: _gzip_member(text)[:-9]),
        ("not gzip", lambda text: text),
        # header flags DuckDB's reader refuses in the file itself (FTEXT), or reads through a copy
        # without them (FHCRC, FCOMMENT): a bundle's own header would hide them
        ("FTEXT", lambda text: _flagged(_gzip_member(text), 0x01, b"")),
        ("FHCRC", lambda text: _flagged(_gzip_member(text), 0x02, b"\0\0")),
        ("FCOMMENT", lambda text: _flagged(_gzip_member(text), 0x10, b"note\0")),
    ],
)
def test_a_file_goes_into_no_bundle_unless_it_is_exactly_one_checked_gzip_member(why, make):
    assert wrapped("/a/f.json.gz", _gzip_member(GOOD)) is not None
    assert wrapped("/a/f.json.gz", make(GOOD)) is None, why


def test_a_bundle_is_gzip_whose_text_is_the_files_objects_each_with_its_name(tmp_path):
    header = _gzip_member(GOOD)
    header = header[:3] + b"\x0c" + header[4:10] + b"\x02\x00xy" + b"name\0" + header[10:]  # FEXTRA, FNAME
    part = wrapped('/a/"quoted" ü.json.gz', header)
    assert part is not None
    text = gzip.decompress(part).decode()
    assert text == '{"f":"/a/\\"quoted\\" ü.json.gz","d":' + GOOD.decode() + "}\n"
    assert wrapped("/a/\udcff.json.gz", _gzip_member(GOOD)) is None  # a name that is no text


def test_every_column_of_the_corpora_reads_the_same_bundled_or_not(corpus_archives):
    used = 0
    for name, (root, count) in corpus_archives.items():
        one_by_one = _answer(root, EVERY_COLUMN, bundled=False)
        bundled = _answer(root, EVERY_COLUMN, bundled=True)
        assert len(one_by_one[0]) > count // 2, name  # (a file reading every column may be refused)
        assert bundled[:2] == one_by_one[:2], name
        assert not one_by_one[2]
        used += len(bundled[2])
    assert used  # (the corpora's small files were bundled)


HOSTILE = {
    # (`records` in lowercase: the whole check, counting `"Records"`, sees one key and lets it pass)
    "forges another file": b'{"Records":[{"eventID":"x"}]}}{"f":"GOOD","d":{"records":[{"eventID":"forged"}]}',
    "adds to the wrapper": b'{"Records":[{"eventID":"y"}]},"x":1',
    "an item that is no object": b'{"Records":[{"eventID":"z"}, 7]}',
    "a key in two cases": b'{"Records":[{"eventID":"w","eventid":"v"}]}',
    "a nested key in another case": b'{"Records":[{"eventID":"u","userIdentity":{"TYPE":"Root"}}]}',
    "two documents": b'{"Records":[{"eventID":"t"}]} {"Records":[{"eventID":"s"}]}',
    "a null item": b'{"Records":[null]}',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_file_among_bundled_ones_is_answered_as_when_read_alone(tmp_path, kind):
    folder = day_folder(tmp_path)
    for index in range(12):
        write(folder, f"good{index:02d}", _gzip_member(document(events(2, index * 2))))
    good = json.dumps(str(folder / "111111111111_CloudTrail_us-east-1_20240101T2355Z_good00.json.gz"))
    write(folder, "hostile", _gzip_member(HOSTILE[kind].replace(b'"GOOD"', good.encode())))
    sql = "SELECT eventid, useridentity.type FROM trail"
    one_by_one = _answer(tmp_path, sql, bundled=False)
    bundled = _answer(tmp_path, sql, bundled=True)
    assert bundled[:2] == one_by_one[:2]
    assert bundled[2], "the good files were bundled"
    assert "forged" not in repr(bundled[0])


def test_a_file_changed_after_its_bundle_was_made_is_read_as_it_is_now(tmp_path):
    folder = day_folder(tmp_path)
    paths = [
        write(folder, f"f{index:02d}", _gzip_member(document(events(2, index * 2)))) for index in range(6)
    ]
    engine = LocalEngine(tmp_path)
    query = TrailQuery.parse("SELECT eventid FROM trail", ALL)
    try:
        before = {row[0] for row in engine.run(query).rows}
        changed = document([{**events(1, 100)[0], "eventID": "changed"}])
        paths[3].write_bytes(_gzip_member(changed))
        os.utime(paths[3], ns=(1, 1))  # (another time than the first write's, whatever the clock)
        after = {row[0] for row in engine.run(query).rows}
    finally:
        engine.close()
    assert len(before) == 12 and "changed" in after and len(after) == 11


def test_bundles_hold_small_files_and_cut_the_scope_for_the_threads(tmp_path, monkeypatch):
    folder = day_folder(tmp_path)
    small = [str(write(folder, f"s{index:02d}", _gzip_member(GOOD))) for index in range(40)]
    large = str(write(folder, "large", zlib.compress(b"x")))  # (never opened: its size says large)
    sizes = {p: 25_000 for p in small} | {large: bundles.MAX_FILE_BYTES + 1}
    monkeypatch.setattr(bundles, "MIN_BUNDLE_BYTES", 200_000)  # (as if the scope were larger)
    alone, made = Bundler(str(tmp_path / "bundles")).split([*small, large], sizes, threads=2)
    assert alone == [large]
    assert [m for b in made for m in b.members] == small  # in their order
    assert len(made) == 4  # (1 MB of JSON: two bundles a thread)
    texts = [gzip.decompress(Path(b.path).read_bytes()).decode() for b in made]
    assert [json.loads(line)["f"] for text in texts for line in text.splitlines()] == small


@pytest.mark.parametrize("kind", ["FTEXT", "gzip named .json"])
def test_a_file_duckdb_refuses_alone_is_refused_bundled_too(tmp_path, kind):
    """A valid gzip file with the FTEXT flag, or gzip data named `.json` (read alone as plain
    JSON), is refused by DuckDB's reader; in a bundle it was read, so the answer depended on which
    files shared the query (an attack review found both)."""
    folder = day_folder(tmp_path)
    for index in range(6):
        write(folder, f"good{index}", _gzip_member(document(events(2, index * 2))))
    odd = _gzip_member(document(events(1, 50)))
    if kind == "FTEXT":
        write(folder, "odd", _flagged(odd, 0x01, b""))
    else:
        (folder / "111111111111_CloudTrail_us-east-1_20240101T2355Z_odd.json").write_bytes(odd)
    one_by_one = _answer(tmp_path, "SELECT eventid FROM trail", bundled=False)
    bundled = _answer(tmp_path, "SELECT eventid FROM trail", bundled=True)
    assert len(one_by_one[1]) == 1 and len(one_by_one[0]) == 12
    assert bundled[:2] == one_by_one[:2] and bundled[2]


def test_a_file_rewritten_with_its_size_and_time_kept_is_read_as_it_is_now(tmp_path):
    """The same length, the modification time set back: the change time still tells (an engine
    kept bundles made before, and gave the old events)."""
    folder = day_folder(tmp_path)
    stored = [gzip.compress(document(events(2, index * 2)), compresslevel=0, mtime=0) for index in range(4)]
    paths = [write(folder, f"f{index}", data) for index, data in enumerate(stored)]
    engine = LocalEngine(tmp_path)
    query = TrailQuery.parse("SELECT eventid FROM trail", ALL)
    try:
        before = {row[0] for row in engine.run(query).rows}
        old = paths[1].read_bytes()
        status = paths[1].stat()
        text = gzip.decompress(old).replace(b"8000-000000000002", b"8000-999999999999")
        new = gzip.compress(text, compresslevel=0, mtime=0)
        assert len(new) == len(old)
        paths[1].write_bytes(new)
        os.utime(paths[1], ns=(status.st_atime_ns, status.st_mtime_ns))
        after = {row[0] for row in engine.run(query).rows}
    finally:
        engine.close()
    assert "00000000-0000-4000-8000-999999999999" in after
    assert "00000000-0000-4000-8000-000000000002" in before - after


def test_a_fifo_in_a_log_files_place_goes_into_no_bundle_and_blocks_nothing(tmp_path):
    """A FIFO put where a small log file was (after the engine's first look at it) is not opened
    for reading by the bundler, which would wait for a writer forever."""
    folder = day_folder(tmp_path)
    paths = [str(write(folder, f"f{index}", _gzip_member(GOOD))) for index in range(3)]
    os.remove(paths[1])
    os.mkfifo(paths[1])
    alone, made = Bundler(str(tmp_path / "bundles")).split(paths, dict.fromkeys(paths, 500))
    assert alone == [paths[1]] and [m for b in made for m in b.members] == [paths[0], paths[2]]
