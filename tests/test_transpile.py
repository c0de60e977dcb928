"""The transpile fixes give DuckDB Athena's answers (Trino semantics stated in each test)."""

import pytest
import sqlglot

from toolkit.core.query import parse_select
from toolkit.core.transpile import to_duckdb
from toolkit.errors import UsageError


def run(con, athena_sql):
    return con.execute(to_duckdb(sqlglot.parse_one(athena_sql, read="athena"))).fetchall()


def test_json_extract_scalar_on_object_or_array_is_null(con):
    # Trino: json_extract_scalar returns NULL unless the value is a scalar.
    row = run(
        con,
        """SELECT json_extract_scalar(j, '$.a'), json_extract_scalar(j, '$.b'), json_extract_scalar(j, '$.c'),
                  json_extract_scalar(j, '$.d'), json_extract_scalar(j, '$.missing')
           FROM (SELECT '{"a": {"x": 1}, "b": [1, 2], "c": "text", "d": 5}' AS j)""",
    )
    assert row == [(None, None, "text", "5", None)]


def test_date_diff_counts_whole_elapsed_units(con):
    # Trino: date_diff('minute', 10:00:59, 10:01:01) = 0 (two seconds elapsed); DuckDB's date_diff says 1.
    row = run(
        con,
        "SELECT date_diff('minute', from_iso8601_timestamp('2024-01-01T10:00:59Z'), "
        "from_iso8601_timestamp('2024-01-01T10:01:01Z')), "
        "date_diff('hour', from_iso8601_timestamp('2024-01-01T10:00:00Z'), "
        "from_iso8601_timestamp('2024-01-01T12:59:59Z'))",
    )
    assert row == [(0, 2)]


def test_any_all_none_match(con):
    row = run(
        con,
        "SELECT any_match(a, x -> x > 2), all_match(a, x -> x > 0), none_match(a, x -> x > 5) "
        "FROM (SELECT ARRAY[1, 2, 3] AS a)",
    )
    assert row == [(True, True, True)]


def test_fixes_reach_inside_lambdas_and_wrapped_functions(con):
    # Trino: json_extract_scalar on an object is NULL wherever it is called, a lambda included.
    row = run(
        con,
        """SELECT any_match(ARRAY[j], s -> json_extract_scalar(s, '$.a') IS NULL),
                  transform(ARRAY[j], s -> json_extract_scalar(s, '$.a'))
           FROM (SELECT '{"a": {"b": 1}}' AS j)""",
    )
    assert row == [(True, [None])]
    row = run(
        con, """SELECT count_if(json_extract_scalar(j, '$.a') IS NULL) FROM (SELECT '{"a": {"b": 1}}' AS j)"""
    )
    assert row == [(1,)]


def test_session_time_zone_is_utc(con):
    row = run(con, "SELECT hour(from_iso8601_timestamp('2024-01-01T23:30:00Z'))")
    assert row == [(23,)]


def test_count_if_counts_zero_not_null(con):
    # Trino: count_if over an empty group or only NULLs is 0.
    row = run(con, "SELECT count_if(x), count_if(x) > 0 FROM (SELECT CAST(NULL AS boolean) AS x)")
    assert row == [(0, False)]
    assert run(con, "SELECT count_if(x > 1) FROM (SELECT 2 AS x)") == [(1,)]


def test_a_macro_reads_each_argument_once(con):
    """DuckDB puts a macro's argument wherever its body names the parameter: json_parse's result (a
    recursive query) handed to json_extract_scalar's number macros was planned 275 times, 15 s
    for one literal. Each macro now binds its arguments once."""
    sql = to_duckdb(parse_select("""SELECT json_extract_scalar(json_parse('{"n":1.50}'), '$.n')"""))
    plan = "\n".join(row[1] for row in con.execute("EXPLAIN " + sql).fetchall())
    assert plan.count("SUBQUERY") < 20
    assert con.execute(sql).fetchall() == [("1.5",)]


def test_any_match_reads_the_predicates_answers_once():
    """any_match's macro named the transformed list four times, so DuckDB planned the predicate four
    times over: s3-bucket-made-public's policy check took half a second of every sweep to plan."""
    import re

    from toolkit.core import transpile

    params, body = re.fullmatch(r"\((.*?)\) AS (.*)", transpile.MACROS["trino_any_match"], re.S).groups()
    assert params == "t" and len(re.findall(r"(?<![.\w'])t\b(?!\s*:=)", body)) == 1


def test_nesting_that_would_grow_the_sql_geometrically_is_refused():
    """json_extract_scalar's rewrite repeats its operand: seven nested took gigabytes of memory."""
    nested = "requestparameters"
    for _ in range(7):
        nested = f"json_extract_scalar({nested}, '$.a')"
    with pytest.raises(UsageError, match="too deeply"):
        to_duckdb(parse_select(f"SELECT {nested} FROM trail"))
    to_duckdb(
        parse_select(
            "SELECT json_extract_scalar(json_extract_scalar(requestparameters, '$.a'), '$.b') FROM trail"
        )
    )


def test_each_macro_is_created_with_the_macros_it_calls_and_no_others():
    """The local engine creates the macros a statement calls before it runs (creating all of them
    costs a tenth of a second of CPU a connection): each macro's closure alone can be created (DuckDB
    checks a macro's body when it is created), a statement calling none creates none."""
    import duckdb

    from toolkit.core import transpile

    assert transpile.macros_needed("SELECT eventname, lower(x), trinox(1) FROM trail") == []
    for name in transpile.MACROS:
        con = duckdb.connect()
        needed = transpile.macros_needed(f"SELECT {name.upper()} (1)")
        assert needed[-1] == name or name in needed
        transpile.create_macros(con, needed)
        con.close()
    sql = to_duckdb(parse_select("SELECT CAST(TIMESTAMP '2024-01-01 00:00:00' AS varchar)"))
    assert "trino_text" in transpile.macros_needed(sql)


def test_nested_casts_to_varchar_of_a_length_read_their_operand_once(con):
    """DuckDB expands a macro by writing its argument wherever the body names the parameter: the
    CAST to varchar(n)'s macro named its operand eight times, so each CAST nested in another
    multiplied the work by eight (four levels took 35 s, five never ended). Its operand is read
    once, and nested CASTs answer as Trino does."""
    import re

    from toolkit.core import transpile

    params, body = re.fullmatch(
        r"\((.*?)\) AS (.*)", transpile.MACROS["trino_varchar_of_length"], re.S
    ).groups()
    # (not a field's name: `x :=`, or 'x' as struct_extract names it)
    reads = re.findall(r"(?<![.\w'])x\b(?!\s*:=)", body)
    assert params.split(", ")[0] == "x" and len(reads) == 1
    nested = "x"
    for length in (19, 18, 17, 16, 15, 14, 13, 12, 9, 8):
        nested = f"CAST({nested} AS varchar({length}))"
    sql = f"SELECT {nested}, CAST(CAST(CAST(y AS varchar(9)) AS varchar(8)) AS varchar(5)) FROM (VALUES ('abcdefghij', 12345)) AS t(x, y)"
    assert con.execute(to_duckdb(parse_select(sql))).fetchall() == [("abcdefgh", "12345")]


def test_java_double_text_reads_a_capital_e(con):
    """The macro writing a double as Java does split its text at a small `e` only: `-2.5E-10`
    (as JSON text may hold it) became -2.5E-1."""
    assert con.execute(
        "SELECT trino_java_double('-2.5E-10'), trino_java_double('1e-05'), trino_java_double('1.5E3')"
    ).fetchall() == [("-2.5E-10", "1.0E-5", "1500.0")]
