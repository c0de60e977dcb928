"""Where DuckDB and Trino differ, the local engine gives Trino's answer or Trino's error
(tests/trino_cases.py holds the Athena SQL and Trino 476's answers; the README's table lists them)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import duckdb
import pytest
from trino_cases import CASES, UNNAMED_UNNESTS, Case

from toolkit.core import export, ipaddresses
from toolkit.core.query import parse_select
from toolkit.core.transpile import to_duckdb
from toolkit.engines.local import _translate
from toolkit.errors import UsageError

README = Path(__file__).resolve().parent.parent / "README.md"


def run_local(con, sql: str) -> list[tuple]:
    """The local engine's path for a query: its checks, the rewrite, DuckDB, its error translation,
    its results as Athena gives them (IP addresses as text)."""
    duck = to_duckdb(parse_select(sql))
    try:
        cursor = con.execute(duck)
        return ipaddresses.convert_rows([d[1] for d in cursor.description], cursor.fetchall())
    except duckdb.Error as error:
        raise _translate(error) from None


def same(actual, expected) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return actual == expected and type(actual) is type(expected)


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_local_engine_gives_trinos_answer_or_error(con, case: Case):
    if case.rows is not None:
        rows = run_local(con, case.sql)
        assert len(rows) == len(case.rows)
        for row, expected in zip(rows, case.rows, strict=True):
            assert all(same(a, e) for a, e in zip(row, expected, strict=True)), (row, expected)
    else:
        with pytest.raises(UsageError) as raised:
            run_local(con, case.sql)
        wanted = case.error or case.refused
        assert wanted in raised.value.message
        assert "\n" not in str(raised.value)


def test_decimals_print_as_athena_writes_them_and_json_stays_valid(con):
    rows = run_local(
        con, "SELECT count(*) * 100.0 / 3, round(2.456, 2), 1e0 / 0, 0e0 / 0 FROM (VALUES 1) AS t(x)"
    )
    assert [export.text_value(v) for v in rows[0]] == ["33.3", "2.460", "Infinity", "NaN"]
    record = {f"c{i}": export.json_value(f"c{i}", v) for i, v in enumerate(rows[0])}
    assert json.loads(json.dumps(record, allow_nan=False)) == {
        "c0": 33.3,
        "c1": 2.46,
        "c2": "Infinity",
        "c3": "NaN",
    }


def test_alias_checks_keep_what_trino_resolves():
    for sql in (
        "SELECT eventname AS n, count(*) AS c FROM trail GROUP BY eventname HAVING count(*) > 2 ORDER BY c",
        "SELECT lower(eventname) AS eventname FROM trail WHERE eventname = 'x'",
        "SELECT n FROM (SELECT eventname AS n FROM trail) WHERE n = 'x'",
        "SELECT eventname AS e, transform(ARRAY[1], e -> e + 1) FROM trail",
        "WITH c AS (SELECT eventname AS n, count(*) AS k FROM trail GROUP BY 1) SELECT n FROM c WHERE k > 1",
    ):
        parse_select(sql)
    with pytest.raises(UsageError, match="names both a column and a SELECT alias"):
        # DuckDB reads the alias in HAVING, Trino the column: refused rather than answered wrongly
        parse_select(
            "SELECT lower(eventname) AS eventname, count(*) FROM trail GROUP BY 1 HAVING eventname = 'x'"
        )
    with pytest.raises(UsageError, match="Column 'n' cannot be resolved"):
        parse_select(
            "SELECT eventname AS n FROM trail WHERE EXISTS (SELECT 1 FROM trail t2 WHERE t2.eventname = n)"
        )


def test_division_of_unknown_types_is_refused_not_guessed(con):
    # map values' types are not followed: DuckDB's division is used for doubles only
    with pytest.raises(UsageError, match="cannot tell whether this division"):
        run_local(con, "SELECT element_at(MAP(ARRAY['a'], ARRAY[7]), 'a') / 2")


def _readme_rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Athena/DuckDB differences", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def test_the_readme_table_lists_every_case_and_nothing_else():
    rows = _readme_rows()
    listed = {row[1].strip("`").replace("\\|", "|") for row in rows}
    assert listed == {c.sql for c in CASES}
    by_sql = {c.sql: c for c in CASES}
    for row in rows:
        case = by_sql[row[1].strip("`").replace("\\|", "|")]
        assert row[0] == case.what and row[3] == case.local


@pytest.mark.parametrize(
    ("sql", "said", "hint"),
    [
        # CloudTrail's eventtime CAST: Trino's error, and what reads it
        (
            "SELECT CAST(x AS timestamp) FROM (VALUES '2022-11-23T21:06:46Z') AS t(x)",
            "Value cannot be cast to timestamp",
            "from_iso8601_timestamp(eventtime)",
        ),
        (
            "SELECT CAST(x AS date) FROM (VALUES '2022-11-23T21:06:46Z') AS t(x)",
            "Value cannot be cast to date",
            "from_iso8601_timestamp(eventtime)",
        ),
        # a CAST to varchar(n) too short: Trino's words, and what to write
        (
            "SELECT CAST(x AS varchar(3)) FROM (VALUES true) AS t(x)",
            "Character count exceeds length limit 3: base64:dHJ1ZQ==",
            "a boolean's text (true, false) is longer than the varchar(n)",
        ),
        (
            "SELECT CAST(x AS varchar(3)) FROM (VALUES 12345) AS t(x)",
            "Value 12345 cannot be represented as varchar(3)",
            "its text is longer than the varchar(n) it is CAST to",
        ),
        # sourceipaddress holds service names
        (
            "SELECT CAST(x AS IPADDRESS) FROM (VALUES 'ec2.amazonaws.com') AS t(x)",
            "Cannot cast value to IPADDRESS",
            "try()",
        ),
        # a function DuckDB lacks (Trino's, or a typo): said as such, not as DuckDB's catalog error
        (
            "SELECT url_extract_host('https://example.com/a')",
            "the function url_extract_host is not run locally",
            "--engine athena",
        ),
        (
            "SELECT form_iso8601_timestamp('2022-11-23T21:06:46Z')",
            "the function form_iso8601_timestamp is not run locally",
            "check its name",
        ),
        # a map's subscript whose type the SQL does not tell (read as an array's): said, with the CAST
        (
            "SELECT m[10] FROM (SELECT MAP(ARRAY[10], ARRAY['x']) AS m)",
            "a subscript [...] of a map",
            "CAST a map",
        ),
    ],
)
def test_common_mistakes_say_what_to_write(con, sql, said, hint):
    with pytest.raises(UsageError) as raised:
        run_local(con, sql)
    assert raised.value.message.startswith(said) and "Catalog Error" not in str(raised.value)
    assert raised.value.hint is not None and hint in raised.value.hint


def test_an_interval_in_the_answer_is_trinos_text_or_refused_when_untold(capsys, tmp_path):
    """The transpiler writes the intervals the SQL types as Trino's text; one whose kind it cannot
    tell would be DuckDB's duration (fourteen months as 420 days): refused in one line."""
    from conftest import CORPORA, lay_out, read_jsonl, run_in_process

    from toolkit.errors import ExitCode

    root = lay_out(read_jsonl(CORPORA / "stratus-red-team-detonations" / "events.jsonl")[:3], tmp_path)
    code, out, err = run_in_process(
        capsys,
        "sql",
        "SELECT max(from_iso8601_timestamp(eventtime)) - min(from_iso8601_timestamp(eventtime)) AS span FROM trail",
        "--source",
        str(root),
        "--all-time",
        "--format",
        "csv",
    )
    assert code == 0 and re.fullmatch(r"span\n\d+ \d\d:\d\d:\d\d\.\d{3}\n", out.replace("\r", "")), (out, err)
    code, out, err = run_in_process(
        capsys,
        "sql",
        "SELECT x FROM (VALUES INTERVAL '14' MONTH) AS t(x)",
        "--source",
        str(root),
        "--all-time",
    )
    assert code == ExitCode.USAGE and out == ""
    assert "'x' is an interval the local engine cannot write as Athena does" in err
    assert "Traceback" not in err
    for held in (
        "ARRAY[INTERVAL '14' MONTH]",
        "ROW(INTERVAL '2' MONTH)",
        "MAP(ARRAY['a'], ARRAY[INTERVAL '1' DAY])",
    ):
        code, out, err = run_in_process(
            capsys, "sql", f"SELECT {held} AS x", "--source", str(root), "--all-time"
        )
        assert code == ExitCode.USAGE and out == "", (held, out)
        assert "'x' is an interval the local engine cannot write as Athena does" in err


def test_a_name_in_order_by_is_the_select_items_alias_first():
    """Trino reads a name in ORDER BY as a select item's alias before the FROM clause's column: a
    `readonly` CAST to boolean and named so is compared with false (Trino answers); `readonly`
    itself, the text column, is not (Trino's error), nor in a window's ORDER BY."""
    aliased = (
        "SELECT eventid, CAST(readonly AS boolean) AS readonly FROM trail ORDER BY readonly = false, eventid"
    )
    assert "ORDER BY" in to_duckdb(parse_select(aliased))
    for refused in (
        "SELECT eventid FROM trail ORDER BY readonly = false",
        "SELECT CAST(readonly AS boolean) AS readonly, "
        "row_number() OVER (ORDER BY readonly = false) AS n FROM trail",
    ):
        with pytest.raises(UsageError, match="Cannot apply operator: varchar = boolean"):
            to_duckdb(parse_select(refused))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT (ARRAY[1, 2][3]) IS NULL",
        "SELECT coalesce(ARRAY[1, 2][x], -1) FROM (VALUES 3) AS t(x)",
        "SELECT MAP(ARRAY['a'], ARRAY[1])['b'] IS NULL",
        "SELECT coalesce(from_iso8601_timestamp('2024-03-01T00:00:00+01:00'), TIMESTAMP '2099-01-01 00:00:00 UTC')",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE slice(ARRAY[1], 0, 1) IS NULL",
        "SELECT repeat('a', -1) IS NULL",
        # Trino's errors for arguments of split_part, lpad, sequence, from_iso8601_date, url_decode,
        # from_unixtime, and the refusal of json_array_length of text read up to an error
        "SELECT split_part('a.b', '.', 0) IS NULL",
        "SELECT coalesce(split_part(x, '.', -1), 'none') FROM (VALUES 'a.b') AS t(x)",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE lpad('abc', -1, 'x') IS NULL",
        "SELECT count(*) FROM (VALUES 'abc') AS t(x) WHERE rpad(x, 5, '') = 'abc'",
        "SELECT coalesce(sequence(1, 5, 0), ARRAY[1])",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE sequence(5, 1, 1) IS NULL",
        "SELECT cardinality(sequence(1, 10001)) IS NULL",
        "SELECT count(*) FROM (VALUES TIMESTAMP '2024-01-01 00:00:00') AS t(x) "
        "WHERE sequence(x, x, INTERVAL '0.5' SECOND) IS NULL OR sequence(TIMESTAMP '2024-01-01 00:00:00', "
        "TIMESTAMP '2024-01-01 00:00:01', INTERVAL '0.5' SECOND) IS NULL",
        "SELECT coalesce(sequence(DATE '2024-01-01', DATE '2024-01-03', INTERVAL '12' HOUR), ARRAY[DATE '2024-01-01'])",
        "SELECT from_iso8601_date('2024-03-01T00:00:00Z') IS NULL",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE from_iso8601_date('2023-02-29') = DATE '2023-03-01'",
        "SELECT coalesce(url_decode('%zz'), 'x')",
        "SELECT count(*) FROM (VALUES 'a%') AS t(x) WHERE url_decode(x) IS NULL",
        "SELECT from_unixtime(4e12) IS NULL",
        "SELECT count(*) FROM (VALUES 4e12) AS t(x) WHERE coalesce(from_unixtime(x), from_unixtime(0)) IS NULL",
        "SELECT coalesce(json_array_length('[1, 2] x'), 0)",
        # Trino's errors and refusals of casts of values the SQL does not tell, chr, lpad, array_join
        "SELECT CAST(array_agg(x) AS varchar) IS NULL FROM (VALUES 1) AS t(x)",
        "SELECT coalesce(CAST(element_at(ARRAY[x], 1) AS array(integer)), ARRAY[1]) FROM (VALUES '[1]') AS t(x)",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE chr(x - 2) IS NULL",
        "SELECT coalesce(lpad('x', n, 'x'), 'y') FROM (VALUES 2000000000) AS t(n)",
        "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE array_join(ARRAY[1e0 * x], ',') IS NULL",
    ],
)
def test_an_error_the_rewritten_sql_raises_is_not_folded_away(con, sql):
    """Trino's errors and the local refusals are raised wherever the expression sits (IS NULL,
    coalesce, arithmetic, WHERE): a raise that DuckDB's optimizer could prove NULL was dropped with
    the expression around it, and the query answered (an attack review found it)."""
    with pytest.raises(UsageError) as raised:
        run_local(con, sql)
    assert "failed on DuckDB" not in raised.value.message  # Trino's error or a refusal, not DuckDB's


@pytest.mark.parametrize(("sql", "names"), UNNAMED_UNNESTS)
def test_unnest_columns_without_a_name_are_named_by_their_position(con, sql, names):
    """UNNEST without an alias list leaves its columns (and the ordinality) without a name in
    Trino: `SELECT *` gives `_col<position>` (DuckDB: `unnest`, `ordinality`, the table alias)."""
    from toolkit.core.transpile import trino_column_names

    cursor = con.execute(to_duckdb(parse_select(sql)))
    assert trino_column_names([d[0] for d in cursor.description]) == names


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "unnest" FROM UNNEST(ARRAY[1])',
        'SELECT "ordinality" FROM UNNEST(ARRAY[1]) WITH ORDINALITY',
        "SELECT _col0 FROM UNNEST(ARRAY[1], ARRAY[2])",
    ],
)
def test_names_duckdb_gives_unnest_columns_are_no_columns(con, sql):
    """Trino: Column 'unnest' cannot be resolved (DuckDB answered, and `_col0` was a name)."""
    with pytest.raises(UsageError, match="unknown column"):
        run_local(con, sql)


def test_a_sequence_of_timestamps_by_a_fraction_is_trinos_answer_or_its_error(con):
    """Trino fails a sequence whose second entry has digits beyond its timestamps' precision (the
    first such entry; answered by Trino 476): one entry only, or precision 3, is its answer."""
    start, stop = "TIMESTAMP '2024-01-01 00:00:00{}'", "TIMESTAMP '2024-01-01 00:00:0{}{}'"
    with pytest.raises(
        UsageError,
        match=r"^Expected 0s for digits beyond precision 1: epochMicros = 1704067200050000 \(Athena's error where",
    ):
        run_local(
            con, f"SELECT sequence({start.format('.0')}, {stop.format(2, '.0')}, INTERVAL '0.05' SECOND)"
        )
    rows = run_local(con, f"SELECT sequence({start.format('')}, {stop.format(1, '')}, INTERVAL '1.5' SECOND)")
    assert [len(r[0]) for r in rows] == [1]
    rows = run_local(
        con, f"SELECT sequence({start.format('.000')}, {stop.format(1, '.000')}, INTERVAL '0.5' SECOND)"
    )
    assert [len(r[0]) for r in rows] == [3]


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        # literals, which DuckDB's binder sees as such (Trino 476's messages)
        ("SELECT sequence(1.5, 3)", "Unexpected parameters (decimal(2,1), integer) for function sequence."),
        ("SELECT sequence('a', 3)", "Unexpected parameters (varchar(1), integer) for function sequence."),
        ("SELECT sequence(1, 3, 1.5)", "Unexpected parameters (integer, integer, decimal(2,1)) for function"),
        ("SELECT coalesce('a', 1)", "Cannot find common type between varchar(1) and integer, all types"),
        ("SELECT coalesce(1, 2, 'a')", "Cannot find common type between integer and varchar(1), all types"),
        ("SELECT 'a' LIKE 1", "Pattern for LIKE expression must evaluate to a varchar (actual: integer)"),
        ("SELECT 1 LIKE 'a'", "Left side of LIKE expression must evaluate to a varchar (actual: integer)"),
        ("SELECT 'a' + 1", "Cannot apply operator: varchar(1) + integer (cause: Unexpected parameters"),
        ("SELECT 'a' % 1", "Expected: $operator$MODULUS(bigint, bigint), $operator$MODULUS(decimal("),
        ("SELECT true * 2", "Cannot apply operator: boolean * integer (cause:"),
    ],
)
def test_operands_of_types_trino_refuses_are_its_error(con, sql, said):
    with pytest.raises(UsageError) as raised:
        run_local(con, sql)
    assert raised.value.message.startswith(said) or said in raised.value.message
    assert "failed on DuckDB" not in raised.value.message and "\n" not in str(raised.value)


def test_columns_trino_leaves_without_a_name_are_named_by_their_position(capsys, tmp_path):
    """VALUES without an alias list, and a subquery's expressions without one, have no name in
    Trino: `SELECT *` over them gives `_col<position>` (DuckDB: `col0`, the expression's text), and
    a name DuckDB gives them is no column (Trino: cannot be resolved)."""
    from conftest import CORPORA, lay_out, read_jsonl, run_in_process

    from toolkit.errors import ExitCode

    root = lay_out(read_jsonl(CORPORA / "stratus-red-team-detonations" / "events.jsonl")[:1], tmp_path)
    for sql, header in (
        ("SELECT * FROM (VALUES (1, 'a')) CROSS JOIN (SELECT 2, 3 AS b)", "_col0,_col1,_col2,b"),
        ("SELECT *, 1 FROM (VALUES (1, 'a')) AS t(x, y)", "x,y,_col2"),
        ("WITH v AS (VALUES (1, 'a')) SELECT * FROM v", "_col0,_col1"),
        ("SELECT * FROM (SELECT count(*), max(x) AS m FROM (VALUES 1) AS t(x))", "_col0,m"),
    ):
        code, out, err = run_in_process(
            capsys, "sql", sql, "--source", str(root), "--all-time", "--format", "csv"
        )
        assert code == 0 and out.replace("\r", "").splitlines()[0] == header, (sql, out, err)
    for sql in (
        "SELECT col0 FROM (VALUES 1)",
        'SELECT "count_star()" FROM (SELECT count(*) FROM (VALUES 1))',
    ):
        code, out, err = run_in_process(capsys, "sql", sql, "--source", str(root), "--all-time")
        assert code == ExitCode.USAGE and out == "", (sql, out)
