"""Every Athena→DuckDB fix (`toolkit.core.transpile.FIXES`) with its example: the DuckDB SQL it
becomes, Trino's answer from DuckDB with every fix, and another answer (or an error) from DuckDB
without this one, so that no fix is dead weight and none can be dropped unnoticed. Trino's
answers were taken from Trino 476; tests/conformance/test_transpile_fixes_on_trino.py asks a real
server again when one is fetched."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest
import sqlglot

from toolkit.core import semantics, transpile
from toolkit.errors import TrailcsiError

FIXES = transpile.FIXES


def _athena(sql: str) -> sqlglot.exp.Expr:
    return sqlglot.parse_one(sql, read=semantics.AthenaSQL)  # as TrailQuery reads a query


def _duckdb_text(sql: str) -> str:
    """DuckDB SQL as sqlglot writes it (the fixtures are compared as trees, not as spacing)."""
    return sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb")


def _answer(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as error:
        return f"{type(error).__name__}: {error}"


@pytest.fixture(scope="module")
def macros_con():
    con = duckdb.connect()
    transpile.setup(con)
    yield con
    con.close()


def test_every_fix_is_documented_and_named_once():
    names = [f.name for f in FIXES]
    assert len(names) == len(set(names)) >= 16
    for each in FIXES:
        assert each.doc, each.name
        assert (each.answer is None) != (each.error is None), each.name
        assert each.rewritten is not None or each.error is not None, each.name


@pytest.mark.parametrize("fix", FIXES, ids=[f.name for f in FIXES])
def test_the_example_becomes_its_duckdb_sql_and_gives_trinos_answer(fix, macros_con):
    tree = _athena(fix.example)
    if fix.rewritten is None:  # refused before it runs
        with pytest.raises(TrailcsiError) as refused:
            transpile.to_duckdb(tree)
        assert fix.error in str(refused.value)
        return
    rewritten = transpile.to_duckdb(tree)
    assert _duckdb_text(rewritten) == _duckdb_text(fix.rewritten)
    if fix.error is not None:  # refused when it runs, with Trino's message
        answer = _answer(macros_con, rewritten)
        assert f"{transpile.REFUSAL}{fix.error}" in str(answer), answer
        return
    assert macros_con.execute(rewritten).fetchall() == [fix.answer]


@pytest.mark.parametrize("fix", FIXES, ids=[f.name for f in FIXES])
def test_without_the_fix_duckdb_answers_otherwise(fix, macros_con):
    others = [f for f in FIXES if f is not fix]
    try:
        unfixed = transpile.duckdb_tree(_athena(fix.example), others).sql(dialect="duckdb")
    except TrailcsiError as refused:  # another fix's refusal: not this fix's error
        assert fix.error is None or fix.error not in str(refused)
        return
    answer = _answer(macros_con, unfixed)
    assert answer != [fix.answer], f"{fix.name} changes nothing in its own example"
    if fix.error is not None:
        assert fix.error not in str(answer)


def test_the_readme_lists_every_fix():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `") and "_" in line}
    missing = [f.name for f in FIXES if f.name not in listed]
    assert not missing, f"README's table of transpile fixes lacks {missing}"


# -- The rewritten SQL's own errors, in TRY and in a window's PARTITION BY and ORDER BY ------------
# DuckDB holds its error() volatile, and binds no volatile expression there: the rewrites raise
# Trino's errors with `trino_fail` (a CAST that fails: DuckDB's TRY makes it NULL, as Trino's TRY
# does Trino's) and the local engine's refusals with `trino_refuse` (which DuckDB's TRY lets through).


def _raised(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[type, str | None]:
    """The DuckDB error `sql` fails with, and the message the rewritten SQL raised in it."""
    with pytest.raises(duckdb.Error) as failed:
        con.execute(sql).fetchall()
    return type(failed.value), transpile.refusal_in(str(failed.value).strip().splitlines()[0])


def test_trinos_errors_are_null_in_try_and_raised_in_a_windows_order(macros_con):
    case = "CASE WHEN i = 1 THEN trino_fail('trailcsi: Invalid format: \"it''s ' || i || '\"') ELSE i END"
    assert macros_con.execute(f"SELECT TRY({case}) FROM range(3) AS t(i)").fetchall() == [(0,), (None,), (2,)]
    for sql in (
        f"SELECT row_number() OVER (ORDER BY {case}) FROM range(3) AS t(i)",
        f"SELECT row_number() OVER (PARTITION BY {case}) FROM range(3) AS t(i)",
        f"SELECT {case} FROM range(3) AS t(i)",
    ):
        assert _raised(macros_con, sql)[1] == 'Invalid format: "it\'s 1"'


def test_the_local_engines_refusals_are_raised_through_try(macros_con):
    case = "CASE WHEN i = 1 THEN trino_refuse('trailcsi: x'' is not run locally: ' || i) ELSE i END"
    for sql in (
        f"SELECT TRY({case}) FROM range(3) AS t(i)",
        f"SELECT TRY(CASE WHEN i = 0 THEN trino_fail('trailcsi: caught') ELSE {case} END) FROM range(3) AS t(i)",
        f"SELECT row_number() OVER (PARTITION BY {case}) FROM range(3) AS t(i)",
    ):
        kind, message = _raised(macros_con, sql)
        assert kind is duckdb.NotImplementedException and message == "x' is not run locally: 1", sql


def test_the_errors_raised_are_of_no_type_and_never_folded(macros_con):
    # beside a value of any type in a CASE, as error() is; a constant message is raised when the row
    # needs it only (DuckDB's constant folding leaves an expression that fails)
    for value in ("TIMESTAMPTZ '2024-01-01 00:00:00+00'", "[1]", "{'a': 1}", "'x'"):
        for raiser in ("trino_fail", "trino_refuse"):
            sql = (
                f"SELECT CASE WHEN i > 5 THEN {raiser}('trailcsi: no') ELSE {value} END FROM range(2) AS t(i)"
            )
            assert len(macros_con.execute(sql).fetchall()) == 2
            assert _raised(macros_con, sql.replace("i > 5", "i > 0"))[1] == "no"


def test_a_refusal_is_never_made_null_by_try():
    """A message saying the local engine does not run something is raised by trino_refuse."""
    said = re.compile(r"not run locally|not written locally|not by the local|cannot tell|on Athena")
    raisers = re.compile(r"\b(trino_fail|trino_refuse)\('((?:[^']|'')*)'")
    found = 0
    for name, body in transpile.MACROS.items():
        for raiser, message in raisers.findall(body):
            found += 1
            assert raiser == "trino_refuse" or not said.search(message), (name, message)
    assert found > 30
    assert not any(re.search(r"\berror\(", body) for body in transpile.MACROS.values())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT eventname, row_number() OVER (PARTITION BY json_extract_scalar(requestparameters, "
        "'$.bucketName') ORDER BY from_iso8601_timestamp(eventtime)) FROM trail",
        "SELECT TRY(from_iso8601_timestamp(eventtime)), TRY(CAST(eventtime AS timestamp)) FROM trail",
        "SELECT TRY(json_extract_scalar(requestparameters, '$.bucketName')) FROM trail",
        "SELECT TRY(resources[1].arn), TRY(date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ')) FROM trail",
    ],
)
def test_windows_and_try_of_the_rewrites_are_run(sql):
    assert transpile.to_duckdb(_athena(sql))  # not refused


def test_the_messages_raised_are_read_back_from_duckdbs_errors():
    for line, message in (
        ("Conversion Error: Could not convert string 'trailcsi: a ' b' to INT32", "a ' b"),
        ("Not implemented Error: Unknown TimeZone 'trailcsi: a '!' b'!", "a '!' b"),
        ("Invalid Input Error: trailcsi: c", "c"),
        ("Conversion Error: Could not convert string 'trailcsi: first line", "first line"),
    ):
        assert transpile.refusal_in(line) == message
    assert transpile.refusal_in("Conversion Error: Could not convert string 'x' to INT32") is None


def test_trinos_errors_for_arguments_written_in_the_sql_are_raised_when_they_run_in_try(macros_con):
    # said before the query outside TRY; inside it, raised by the rows that reach them (Trino 476:
    # 2024-01-02 for the row that does not, NULL for the other)
    with pytest.raises(TrailcsiError, match="'hour' is not a valid DATE field"):
        transpile.to_duckdb(_athena("SELECT date_trunc('hour', DATE '2024-01-01')"))
    sql = transpile.to_duckdb(
        _athena(
            "SELECT TRY(CASE WHEN x > 1 THEN date_trunc('hour', DATE '2024-01-01') ELSE DATE '2024-01-02' END) "
            "FROM (VALUES 1, 2) AS t(x)"
        )
    )
    assert macros_con.execute(sql).fetchall() == [(date(2024, 1, 2),), (None,)]
    # the local engine's refusal of what it does not run stays one in TRY (Trino: 21:06:46.000)
    with pytest.raises(TrailcsiError, match="time zone other than UTC to a timestamp is not run locally"):
        transpile.to_duckdb(_athena("SELECT TRY(CAST('2022-11-23 21:06:46 +02:00' AS timestamp))"))
