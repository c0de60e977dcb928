"""Row-group splicing: DuckDB reads a spliced file exactly as it reads the files it came from.

Checked against DuckDB itself: the same rows, the same per-row-group statistics, bloom filters
that still answer, a subset of row groups, and a footer codec that re-encodes DuckDB's footers
byte for byte. Bad inputs (not Parquet, truncated, another schema) are one clear error.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import duckdb
import pytest

from toolkit.cache import parquet_splice
from toolkit.errors import SourceError


def query(sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write(path: Path, sql: str, row_group_size: int = 122_880) -> Path:
    query(f"COPY ({sql}) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {row_group_size})")
    return path


def day_sql(day: int, rows: int) -> str:
    return (
        f"SELECT i AS n, 'event-' || (i % 7) AS name, '2025/06/{day:02d}' AS day, "
        f"repeat('x', (i % 50)::INT) || i::VARCHAR AS text, "
        f"CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS amount "
        f"FROM range({rows}) t(i)"
    )


@pytest.fixture
def days(tmp_path: Path) -> list[Path]:
    return [write(tmp_path / f"day{d}.parquet", day_sql(d, 3000 + 500 * d), 2048) for d in (1, 2, 3)]


def rows(sql: str) -> list[tuple]:
    return sorted(query(sql), key=repr)


def test_footer_codec_round_trips_duckdb_footers(days):
    for path in days:
        data = path.read_bytes()
        length = struct.unpack("<I", data[-8:-4])[0]
        footer = data[-8 - length : -8]
        assert parquet_splice.encode(parquet_splice.decode(footer)) == footer
        partly = parquet_splice.decode(footer, parquet_splice.FOOTER_SPEC)
        assert parquet_splice.encode(partly) == footer


def test_spliced_file_reads_as_its_sources(days, tmp_path):
    footers = [parquet_splice.read_footer(p) for p in days]
    groups = [len(f.row_groups) for f in footers]
    target = tmp_path / "month.parquet"
    total = parquet_splice.splice([(f, range(len(f.row_groups))) for f in footers], target)
    sources = "[" + ", ".join(f"'{p}'" for p in days) + "]"
    assert total == query(f"SELECT count(*) FROM read_parquet({sources})")[0][0]
    assert rows(f"SELECT * FROM '{target}'") == rows(f"SELECT * FROM read_parquet({sources})")
    # every row group kept its statistics: one day per row group, in order
    stats = query(
        f"SELECT row_group_id, stats_min, stats_max, row_group_num_rows FROM parquet_metadata('{target}') "
        "WHERE path_in_schema = 'day' ORDER BY row_group_id"
    )
    expected = [f"2025/06/{d:02d}" for d, n in zip((1, 2, 3), groups, strict=True) for _ in range(n)]
    assert [(lo, hi) for _id, lo, hi, _n in stats] == list(zip(expected, expected, strict=True))
    original = query(
        f"SELECT stats_min, stats_max, stats_null_count FROM parquet_metadata({sources}) "
        "WHERE path_in_schema = 'amount' ORDER BY file_name, row_group_id"
    )
    spliced = query(
        f"SELECT stats_min, stats_max, stats_null_count FROM parquet_metadata('{target}') "
        "WHERE path_in_schema = 'amount' ORDER BY row_group_id"
    )
    assert spliced == original
    # bloom filters moved with their columns and still answer
    probes = query(
        f"SELECT bool_or(bloom_filter_excludes) FROM parquet_bloom_probe('{target}', 'name', 'event-3')"
    )[0][0]
    absent = query(
        f"SELECT bool_and(bloom_filter_excludes) FROM parquet_bloom_probe('{target}', 'name', 'no-such')"
    )[0][0]
    assert probes is False and absent is True


def test_a_day_predicate_skips_the_other_days_row_groups(days, tmp_path):
    footers = [parquet_splice.read_footer(p) for p in days]
    target = tmp_path / "month.parquet"
    parquet_splice.splice([(f, range(len(f.row_groups))) for f in footers], target)
    con = duckdb.connect()
    con.execute("SET enable_external_file_cache = false")
    profile = tmp_path / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{profile}'")

    def bytes_read(where: str) -> int:
        con.execute(f"SELECT count(DISTINCT text) FROM '{target}' WHERE {where}").fetchall()
        return json.loads(profile.read_text())["io"]["total_bytes_read"]

    footer_only = bytes_read("day = '1999/01/01'")  # no row group can match: only the footer is read
    one_day = bytes_read("day BETWEEN '2025/06/02' AND '2025/06/02'") - footer_only
    every_day = bytes_read("true") - footer_only
    assert 0 < one_day < every_day * 0.5  # the three days are of similar size


def test_a_subset_of_row_groups(days, tmp_path):
    footers = [parquet_splice.read_footer(p) for p in days]
    target = tmp_path / "two.parquet"
    parquet_splice.splice([(footers[0], range(len(footers[0].row_groups))), (footers[2], [0])], target)
    expected = rows(f"SELECT * FROM '{days[0]}'") + rows(f"SELECT * FROM '{days[2]}' LIMIT 2048")
    assert rows(f"SELECT * FROM '{target}'") == sorted(expected, key=repr)


def test_bad_inputs_are_one_clear_error(days, tmp_path):
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("hello, this is not parquet at all")
    truncated = tmp_path / "t.parquet"
    truncated.write_bytes(days[0].read_bytes()[:-100])
    for path in (not_parquet, truncated, tmp_path / "missing.parquet"):
        with pytest.raises(SourceError, match="unreadable Parquet footer"):
            parquet_splice.read_footer(path)
    other = write(tmp_path / "other.parquet", "SELECT 1 AS n, 'a' AS name")
    with pytest.raises(SourceError, match="different schema"):
        parquet_splice.splice(
            [(parquet_splice.read_footer(days[0]), [0]), (parquet_splice.read_footer(other), [0])],
            tmp_path / "never.parquet",
        )


@pytest.mark.parametrize(
    ("level", "field_id"),
    [("row group", 9), ("column chunk", 1), ("column chunk", 8), ("column metadata", 20)],
)
def test_a_footer_field_the_splice_does_not_know_is_refused(days, tmp_path, level, field_id):
    """A field the splice does not know might hold an offset it would not move (or name another
    file, or be encrypted): refused, never copied with a stale offset."""
    footer = parquet_splice.read_footer(days[0])
    group = footer.row_groups[0]
    column = parquet_splice._get(group, parquet_splice._RG_COLUMNS)[1][0]
    holder = {"row group": group, "column chunk": column}.get(level) or parquet_splice._get(
        column, parquet_splice._CC_META
    )
    holder.append([field_id, parquet_splice._I64, 1234])
    with pytest.raises(SourceError, match=f"a {level} field \\(id {field_id}\\) the splice does not know"):
        parquet_splice.splice([(footer, [0])], tmp_path / "never.parquet")
    assert not (tmp_path / "never.parquet").exists()
