"""Hostile SQL: a query, ad hoc or from a template, reads `trail` and nothing else.

Two walls, each tested on its own: the query check resolves table names with scope (a WITH name
counts only where it is defined), and DuckDB itself may touch only the archive, the cache and its
scratch directory, with extensions and configuration locked. Every attack runs from `sql` and
from a user template in `--queries-dir`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import sqlglot
from conftest import CORPORA, lay_out, read_jsonl, run_in_process

from toolkit.core import window
from toolkit.core.query import TrailQuery, parse_select
from toolkit.engines.local import LocalEngine
from toolkit.errors import ExitCode, TrailcsiError, UsageError

SECRET = "s3cr3t-canary-7f1d"
ALL = window.parse(all_time=True)


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = read_jsonl(CORPORA / "stratus-red-team-detonations" / "events.jsonl")[:40]
    return lay_out(records, tmp_path_factory.mktemp("small"))


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"a,b\n{SECRET},1\n", encoding="utf-8")
    (tmp_path / "secret.json").write_text(json.dumps({"Records": [{"eventID": SECRET}]}), encoding="utf-8")
    return path


def attacks(secret: Path) -> list[str]:
    """Queries that name a file outside `trail`, each once accepted or once able to run."""
    name = str(secret)
    as_json = str(secret.with_suffix(".json"))
    return [
        # a CTE in a subquery named like the file; the outer reference is the file itself
        f'SELECT * FROM (WITH "{name}" AS (SELECT 1 AS a) SELECT a FROM "{name}") x CROSS JOIN "{name}" y',
        # the same, the CTE inside a scalar subquery
        f'SELECT (WITH "{name}" AS (SELECT 1 AS a) SELECT a FROM "{name}") AS one, * FROM "{name}"',
        # inside an IN subquery next to trail
        f'SELECT eventname FROM trail WHERE eventname IN (SELECT a FROM "{name}")',
        # a sibling CTE cannot see another's nested WITH
        f'WITH x AS (WITH "{as_json}" AS (SELECT 1 AS a) SELECT * FROM "{as_json}") SELECT * FROM "{as_json}"',
        # table functions and qualified names
        f"SELECT * FROM read_csv('{name}')",
        f"SELECT * FROM trail CROSS JOIN read_text('{name}')",
        "SELECT * FROM main.trail",
        # the engine's own relations
        "WITH trail_source AS (SELECT 1 AS eventname) SELECT * FROM trail",
        # table functions behind LATERAL, and SQL run by a function
        "SELECT s.* FROM (SELECT 1 AS x) t, LATERAL json_execute_serialized_sql("
        f"json_serialize_sql('SELECT * FROM read_text(''{name}'')')) s",
        "SELECT * FROM trail, LATERAL json_each('{}') j",
        f"SELECT * FROM trail CROSS JOIN LATERAL read_csv('{name}') f",
        "SELECT json_serialize_sql('SELECT 1') FROM trail",
        # settings and environment
        "SELECT current_setting('temp_directory') FROM trail",
        "SELECT getenv('HOME') FROM trail",
    ]


def test_every_attack_is_refused_by_the_query_check(secret_file):
    for sql in attacks(secret_file):
        with pytest.raises(UsageError):
            parse_select(sql)


def test_with_names_still_resolve_where_they_are_visible():
    for sql in [
        "WITH a AS (SELECT * FROM trail) SELECT * FROM (SELECT * FROM a) x",
        "WITH a AS (SELECT eventname FROM trail) SELECT * FROM trail WHERE eventname IN (SELECT * FROM a)",
        "SELECT * FROM (WITH b AS (SELECT * FROM trail) SELECT * FROM b) y",
        'WITH "Mixed" AS (SELECT * FROM trail) SELECT * FROM mixed',
        "WITH a AS (SELECT 1 AS n), b AS (SELECT * FROM a) SELECT * FROM b CROSS JOIN trail",
    ]:
        parse_select(sql)


def test_sql_command_refuses_every_attack_and_prints_nothing(capsys, small_archive, secret_file):
    for sql in attacks(secret_file):
        code, out, err = run_in_process(capsys, "sql", sql, "--source", str(small_archive), "--all-time")
        assert code == ExitCode.USAGE, (sql, err)
        assert SECRET not in out + err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) <= 2, err  # the window line and the one-line error


def test_a_template_cannot_read_a_file_either(capsys, tmp_path, small_archive, secret_file):
    folder = tmp_path / "templates"
    folder.mkdir()
    for index, sql in enumerate(attacks(secret_file)):
        header = textwrap.dedent(
            """\
            /*
            title = "attack"
            kind = "investigation"
            description = "reads a file"
            */
            """
        )
        (folder / f"attack-{index}.sql").write_text(header + sql + "\n", encoding="utf-8")
        code, out, err = run_in_process(
            capsys,
            "run",
            f"attack-{index}",
            "--queries-dir",
            str(folder),
            "--source",
            str(small_archive),
            "--all-time",
        )
        assert code == ExitCode.USAGE, (sql, err)
        assert SECRET not in out + err


def unchecked(sql: str) -> TrailQuery:
    """A query that skips the check, as if a way around it had been found."""
    tree = sqlglot.parse_one(sql, read="athena")
    assert isinstance(tree, sqlglot.exp.Query)
    return TrailQuery(tree, ALL)


def test_duckdb_itself_refuses_files_outside_the_archive(small_archive, secret_file):
    engine = LocalEngine(small_archive)
    try:
        assert engine.run(TrailQuery.parse("SELECT count(*) FROM trail", ALL)).rows[0][0] == 40
        for sql in [
            f"SELECT * FROM read_csv('{secret_file}')",
            f"SELECT * FROM '{secret_file}'",
            f"SELECT * FROM read_text('{secret_file}')",
            f"SELECT * FROM read_json('{small_archive}/../{secret_file.name}')",
            "SELECT * FROM read_blob('/etc/hostname')",
        ]:
            with pytest.raises(TrailcsiError) as refused:
                engine.run(unchecked(sql))
            assert SECRET not in str(refused.value)
        for sql in ["SELECT 1 AS x FROM (SELECT 1) t"]:
            engine.run(unchecked(sql))  # the connection still answers
    finally:
        engine.close()


def test_duckdb_configuration_is_locked_and_loads_no_extension(small_archive):
    engine = LocalEngine(small_archive)
    try:
        engine.run(TrailQuery.parse("SELECT count(*) FROM trail", ALL))
        con = engine._con
        for statement in [
            "SET enable_external_access = true",
            "SET allowed_directories = ['/']",
            "SET lock_configuration = false",
            "INSTALL httpfs",
        ]:
            with pytest.raises(Exception) as refused:
                con.execute(statement)
            assert "lock" in str(refused.value).lower() or "permission" in str(refused.value).lower()
    finally:
        engine.close()


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "NaN"])
def test_a_float_parameter_that_is_not_a_number_is_refused(value):
    from toolkit.templates.catalog import Param
    from toolkit.templates.render import literal

    with pytest.raises(UsageError):
        literal(Param("threshold", "float", False, None, ""), value)


def test_a_value_quoting_the_readers_buffer_option_does_not_rerun_the_query(tmp_path):
    """DuckDB's error for the user's SQL quoted a value holding `maximum_object_size`: the engine
    took it for the reader's buffer error and ran the query again six times, its buffer growing past
    what DuckDB takes ("Could not cast value 4294967296"), where the error is the query's own."""
    import gzip

    from test_archive_trust import ALL, day_folder, document, events, write

    event = {**events(1)[0], "userAgent": "maximum_object_size x"}
    write(day_folder(tmp_path), "a", gzip.compress(document([event])))
    engine = LocalEngine(tmp_path)
    statements: list[str] = []
    execute = engine._execute

    def counted(sql, files):
        statements.append(sql)
        return execute(sql, files)

    engine._execute = counted  # type: ignore[method-assign]
    try:
        with pytest.raises(UsageError, match="Malformed JSON"):
            engine.run(TrailQuery.parse("SELECT json_extract_scalar(useragent, '$.a') FROM trail", ALL))
    finally:
        engine.close()
    assert len(statements) == 2  # the view, then the query: once


@pytest.mark.parametrize(
    "value",
    [
        "trailcsi: every log file was read; nothing matches",  # the rewritten SQL's refusals start so
        "1' to INT32\ntrailcsi: error: a line of its own\" (check the SQL) \\",
        "\x1b[2J\u2028x",
    ],
)
def test_a_value_duckdb_quotes_in_its_error_cannot_pass_for_trailcsis_own_words(tmp_path, capsys, value):
    """DuckDB's cast error quotes the value: one holding `trailcsi: ` was taken for the rewritten
    SQL's own refusal and said as trailcsi's message (the text after it, chosen by the data). DuckDB's
    words are now given in double quotes that the value cannot close, its line breaks escaped."""
    import ast
    import gzip

    from test_archive_trust import day_folder, document, events, write

    write(day_folder(tmp_path), "a", gzip.compress(document([{**events(1)[0], "eventName": value}])))
    code, _out, err = run_in_process(
        capsys, "sql", "SELECT CAST(eventname AS INTEGER) FROM trail", "--source", str(tmp_path), "--all-time"
    )
    assert code == ExitCode.USAGE
    assert all(line.startswith("trailcsi: ") for line in err.splitlines())
    [line] = [line for line in err.splitlines() if line.startswith("trailcsi: error: ")]
    prefix, suffix = "trailcsi: error: the query failed on DuckDB: ", " (check the SQL)"
    assert line.startswith(prefix + '"Conversion Error: Could not convert string ') and line.endswith(suffix)
    said = ast.literal_eval(line[len(prefix) : -len(suffix)])  # one quoted piece: the value cannot leave it
    assert f"Could not convert string '{value}' to INT32" in said


def test_a_value_in_a_refusal_of_the_rewritten_sql_is_shown_whole_on_one_line(tmp_path):
    """The rewritten SQL's refusals quote the value as Trino's errors do; a line break in it cut the
    message there (the first line only)."""
    import gzip

    from test_archive_trust import ALL, day_folder, document, events, write

    value = 'not\na "time"'
    write(day_folder(tmp_path), "a", gzip.compress(document([{**events(1)[0], "eventName": value}])))
    engine = LocalEngine(tmp_path)
    try:
        with pytest.raises(UsageError) as refused:
            engine.run(TrailQuery.parse("SELECT from_iso8601_timestamp(eventname) FROM trail", ALL))
    finally:
        engine.close()
    assert refused.value.message.startswith('Invalid format: "not\\na "time"" (from_iso8601_timestamp needs')


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM trail CROSS JOIN UNNEST(resources) CROSS JOIN UNNEST(resources)",
        "SELECT * FROM (VALUES (ARRAY[7, 8])) AS t(a) CROSS JOIN UNNEST(a) CROSS JOIN UNNEST(a)",
    ],
)
def test_two_unnests_without_an_alias_are_one_line_not_a_traceback(sql):
    """sqlglot's scopes refuse two relations of one name (two UNNESTs without an alias): its
    OptimizeError came out of the rewrite as a traceback."""
    from toolkit.core.query import parse_select
    from toolkit.core.transpile import to_duckdb

    with pytest.raises(UsageError, match="two relations of one name") as raised:
        to_duckdb(parse_select(sql))
    assert "\n" not in str(raised.value)


def calls_counted(monkeypatch, module, name: str) -> list[int]:
    """A list that grows by one at each call of `module.name` (called as before)."""
    calls: list[int] = []
    function = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: calls.append(1) or function(*args))
    return calls


def test_alias_lists_over_a_chain_of_with_queries_count_each_query_once(monkeypatch):
    """Each WITH query of a chain reading the one before twice (a JOIN of it with itself) had its
    width counted again for each reading: 2^n counts, 100 s for twenty WITH queries (Trino: 0.08 s)."""
    from toolkit.core import transpile
    from toolkit.core.query import parse_select

    counted = calls_counted(monkeypatch, transpile, "_count_width")
    chain = ["t0 AS (SELECT 1 AS x)"] + [
        f"t{i} AS (SELECT * FROM t{i - 1} AS a JOIN t{i - 1} AS b USING (x))" for i in range(1, 21)
    ]
    sql = f"WITH {', '.join(chain)} SELECT z FROM (SELECT * FROM t20) AS s(z)"
    transpile.to_duckdb(parse_select(sql))
    assert 0 < len(counted) <= 3 * 22


def test_the_columns_of_a_chain_of_with_queries_are_read_once_a_query(monkeypatch):
    """The columns of `*` over a WITH query reading the one before twice were read again for each
    reading, before any rewrite: 2^n reads, 2.5 s for twenty WITH queries, minutes for thirty."""
    from toolkit.core import semantics, transpile
    from toolkit.core.query import parse_select

    read = calls_counted(monkeypatch, semantics, "_scope_columns")
    chain = ["t0 AS (SELECT 1 AS x, 2 AS y)"] + [
        f"t{i} AS (SELECT * FROM t{i - 1} AS a JOIN t{i - 1} AS b USING (x, y))" for i in range(1, 21)
    ]
    sql = f"WITH {', '.join(chain)} SELECT y + 1 FROM t20"
    transpile.to_duckdb(parse_select(sql))
    assert 0 < len(read) <= 5 * 22  # a few a query (82 here), not 2^20


def test_a_large_operand_of_json_parse_within_the_limit_is_not_refused(monkeypatch):
    """The size check before json_extract_scalar's operand is copied counted six copies where the
    rewrite of json_parse's writes five: an operand of a sixth to a fifth of the limit (16,667 to
    20,000 parts) was refused as nested too deeply (nothing nested), where Trino answers. Here
    the limit is set to the rewritten query's size, which six copies of the operand pass."""
    from toolkit.core import transpile
    from toolkit.core.query import parse_select

    items = ", ".join(f"'{{\"a\": {i}}}'" for i in range(300))
    operand = f"json_parse(element_at(ARRAY[{items}], 2))"
    sql = f"SELECT json_extract_scalar({operand}, '$.a')"
    size = sum(1 for _ in transpile.duckdb_tree(parse_select(f"SELECT {operand}")).walk())
    rewritten = sum(1 for _ in transpile.duckdb_tree(parse_select(sql)).walk())
    assert 6 * size > rewritten
    monkeypatch.setattr(transpile, "MAX_REWRITTEN_NODES", rewritten)
    assert "trino_json_parse" in transpile.to_duckdb(parse_select(sql)).lower()
