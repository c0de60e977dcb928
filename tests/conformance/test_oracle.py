"""The conformance tests' Oracle (conftest.py): Trino's answers are kept and given again only for
the same statement, schema content and server; anything else is asked of the server. Runs without
a Trino server: the script's calls to it are replaced by a stand-in that counts them."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from conftest import corpus_path, lay_out, read_jsonl

from conformance.conftest import Dataset, Oracle, _load_script


class Server:
    """Stands in for a Trino server: answers `SELECT 1`-like statements with their text, fails
    those containing FAIL as Trino would, and is unusable while `down`."""

    def __init__(self, script: ModuleType) -> None:
        self.script, self.asked, self.loads, self.down = script, [], [], False
        self.fingerprint: str | None = None  # what the running server was started with

    def query(self, url: str, sql: str, *, schema: str | None = None) -> tuple[list[Any], list[Any]]:
        if self.down:
            raise self.script.TrinoError(f"Trino at {url} does not answer")
        if sql.startswith("SELECT count(*)"):
            return [{"name": "_col0"}], [[self.loads.count(schema)]]
        self.asked.append((schema, sql))
        if "FAIL" in sql:
            raise self.script.StatementError(f"SYNTAX_ERROR: {sql}", "SYNTAX_ERROR", "USER_ERROR")
        if "KILLED" in sql:
            raise self.script.StatementError("killed", "ADMINISTRATIVELY_KILLED", "USER_ERROR")
        if "UNREADABLE" in sql:
            raise self.script.StatementError("file gone", "HIVE_FILESYSTEM_ERROR", "EXTERNAL")
        if "SHORT" in sql:
            raise self.script.StatementError(
                "memory", "EXCEEDED_LOCAL_MEMORY_LIMIT", "INSUFFICIENT_RESOURCES"
            )
        if "TRINOS_BUG" in sql:
            raise self.script.StatementError("bug", "GENERIC_INTERNAL_ERROR", "INTERNAL_ERROR")
        return [{"name": "x", "type": "varchar"}, {"name": "n", "type": "bigint"}], [[sql, len(self.asked)]]

    def load(self, url: str, root: Path, *, schema: str, table: str, merge: bool) -> int:
        self.loads.append(schema)
        return len(self.loads)


@pytest.fixture
def standing_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Oracle, Server, Dataset]:
    monkeypatch.setenv("TRAILCSI_TRINO_HOME", str(tmp_path / "trino"))
    monkeypatch.delenv("TRAILCSI_TRINO_FRESH", raising=False)
    script = _load_script()
    server = Server(script)
    java = tmp_path / "jdk"
    java.mkdir()
    (java / "release").write_text('JAVA_VERSION="25"\n')
    monkeypatch.setattr(script, "java_home", lambda: java)
    monkeypatch.setattr(script, "query", server.query)
    monkeypatch.setattr(script, "load", server.load)
    monkeypatch.setattr(script, "running", lambda: "http://127.0.0.1:1")
    monkeypatch.setattr(script, "running_fingerprint", lambda: server.fingerprint or script.fingerprint(java))
    oracle = Oracle(script, "run-1")
    records = read_jsonl(corpus_path("aws-docs-examples", "events.jsonl"))
    dataset = Dataset.of(script, lay_out(records, tmp_path / "archive"), "trailcsi_test")
    return oracle, server, dataset


def test_an_answer_is_kept_and_given_again_without_the_server(standing_in):
    oracle, server, dataset = standing_in
    first = oracle.answer("SELECT 'a'", dataset)
    assert server.asked == [(dataset.schema, "SELECT 'a'")] and server.loads == [dataset.schema]
    server.down = True  # the next answers come from what it said
    again = Oracle(oracle.script, "run-2")
    assert again.answer("SELECT 'a'", dataset) == first
    assert (again.asked, again.recalled) == (0, 1)
    with pytest.raises(oracle.script.TrinoError, match="does not answer"):
        again.answer("SELECT 'b'", dataset)  # never asked: not answered from anything


def test_a_refusal_is_kept_as_trinos_answer_an_unusable_server_is_not(standing_in):
    oracle, server, dataset = standing_in
    with pytest.raises(oracle.script.StatementError, match="SYNTAX_ERROR: SELECT FAIL"):
        oracle.answer("SELECT FAIL", dataset)
    server.down = True
    with pytest.raises(oracle.script.StatementError, match="SYNTAX_ERROR: SELECT FAIL"):
        oracle.answer("SELECT FAIL", dataset)
    with pytest.raises(oracle.script.TrinoError, match="does not answer"):
        oracle.answer("SELECT 'c'", dataset)
    server.down = False
    assert oracle.answer("SELECT 'c'", dataset)[1] == [["SELECT 'c'", 2]]  # asked, not recalled


def test_another_statement_schema_or_server_is_asked(standing_in, tmp_path, monkeypatch):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    oracle.answer("SELECT  'a'", dataset)  # another text
    other = Dataset(dataset.root, dataset.schema + "x", dataset.merge)
    oracle.answer("SELECT 'a'", other)
    assert len(server.asked) == 3
    (tmp_path / "jdk" / "release").write_text('JAVA_VERSION="26"\n')
    assert Oracle(oracle.script, "run-1").answer("SELECT 'a'", dataset)[1] == [["SELECT 'a'", 4]]
    monkeypatch.setattr(oracle.script, "VERSION", "477")
    assert Oracle(oracle.script, "run-1").answer("SELECT 'a'", dataset)[1] == [["SELECT 'a'", 5]]


def test_fresh_asks_every_statement_and_time_dependent_ones_are_never_kept(standing_in, monkeypatch):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    monkeypatch.setenv("TRAILCSI_TRINO_FRESH", "1")
    Oracle(oracle.script, "run-1").answer("SELECT 'a'", dataset)
    monkeypatch.delenv("TRAILCSI_TRINO_FRESH")
    for _ in range(2):
        oracle.answer("SELECT current_date", dataset)
        oracle.answer("SELECT rand()", dataset)
    assert [sql for _, sql in server.asked].count("SELECT 'a'") == 2
    assert len(server.asked) == 6


def test_an_unreadable_record_is_asked_again(standing_in):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    [record] = (oracle.home / "answers").rglob("*.json")
    for broken in ("{", json.dumps([1]), json.dumps({"rows": []})):
        record.write_text(broken)
        assert Oracle(oracle.script, "run-1").answer("SELECT 'a'", dataset)[1][0][0] == "SELECT 'a'"
    assert len(server.asked) == 4


def test_a_table_is_loaded_once_and_again_when_trino_no_longer_reads_it(standing_in):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    Oracle(oracle.script, "run-1").answer("SELECT 'b'", dataset)  # another process: counted, not loaded
    assert server.loads == [dataset.schema]
    server.loads.clear()  # the table's rows are gone (its counted rows no longer match)
    Oracle(oracle.script, "run-1").answer("SELECT 'c'", dataset)
    assert server.loads == [dataset.schema]


def test_the_schema_is_named_by_the_tables_content(tmp_path):
    script = _load_script()
    records = read_jsonl(corpus_path("aws-docs-examples", "events.jsonl"))
    first = Dataset.of(script, lay_out(records, tmp_path / "a"), "trailcsi_test")
    assert Dataset.of(script, lay_out(records, tmp_path / "b"), "trailcsi_test").schema == first.schema
    assert Dataset.of(script, first.root, "trailcsi_test", merge=True).schema != first.schema
    records[0]["eventName"] += "x"
    assert Dataset.of(script, lay_out(records, tmp_path / "c"), "trailcsi_test").schema != first.schema
    changed = SimpleNamespace(**vars(script))
    changed.create_table_sql = lambda schema, table: script.create_table_sql(schema, table) + " "
    assert Dataset.of(changed, first.root, "trailcsi_test").schema != first.schema  # type: ignore[arg-type]


def test_a_server_started_otherwise_keeps_its_answers_under_its_own_key(standing_in):
    oracle, server, dataset = standing_in
    server.fingerprint = "started-by-an-earlier-script"  # running since before scripts/trino.py changed
    oracle.answer("SELECT 'a'", dataset)
    server.fingerprint = None
    later = Oracle(oracle.script, "run-2")  # the server gone: this checkout's server is asked
    later.answer("SELECT 'a'", dataset)
    assert (later.asked, later.recalled) == (1, 0)


def test_errors_that_are_not_the_statements_answer_are_not_kept(standing_in):
    oracle, server, dataset = standing_in
    for sql in ("SELECT KILLED", "SELECT UNREADABLE", "SELECT SHORT", "SELECT TRINOS_BUG"):
        for _ in range(2):
            with pytest.raises(oracle.script.StatementError):
                oracle.answer(sql, dataset)
    # each asked twice but Trino's own failure on the statement (a bug, the same every time)
    assert [sql for _, sql in server.asked].count("SELECT TRINOS_BUG") == 1 and len(server.asked) == 7


def test_a_record_of_another_statement_is_not_given(standing_in):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    oracle.answer("SELECT 'b'", dataset)
    kept = {json.loads(p.read_text())["sql"]: p for p in (oracle.home / "answers").rglob("*.json")}
    kept["SELECT 'a'"].write_bytes(kept["SELECT 'b'"].read_bytes())  # b's answer under a's key
    assert Oracle(oracle.script, "run-1").answer("SELECT 'a'", dataset)[1][0][0] == "SELECT 'a'"
    assert len(server.asked) == 3


def test_fresh_loads_each_table_again_once_a_run(standing_in, monkeypatch):
    oracle, server, dataset = standing_in
    oracle.answer("SELECT 'a'", dataset)
    monkeypatch.setenv("TRAILCSI_TRINO_FRESH", "1")
    for run in ("run-2", "run-2", "run-3"):
        Oracle(oracle.script, run).answer("SELECT 'a'", dataset)
    assert server.loads == [dataset.schema] * 3  # run-1, run-2 (once), run-3
