"""Every Athena→DuckDB fix (`toolkit.core.transpile.FIXES`) with its example: the DuckDB SQL it
becomes, Trino's answer from DuckDB with every fix, and another answer (or an error) from DuckDB
without this one, so that no fix is dead weight and none can be dropped unnoticed. Trino's
answers were taken from Trino 476; tests/conformance/test_transpile_fixes_on_trino.py asks a real
server again when one is fetched."""

from __future__ import annotations

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
