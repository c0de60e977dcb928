"""An Athena double behind moto, so that pyathena's real code paths run offline.

moto answers the S3, Glue and Athena APIs but executes nothing. The double adds, in-process:

- every statement sent to StartQueryExecution is recorded and must parse with sqlglot's athena
  dialect; a SELECT is transpiled with trailcsi's own path and executed on DuckDB over the fixture
  archive (the table `<database>.<table>`, with partition columns and `$path`); the rows become
  moto's query results (header row first, as Athena returns them) and the CSV Athena would write
  is put at the output location in moto's S3, quoted as Athena quotes it;
- CREATE DATABASE / CREATE EXTERNAL TABLE / DROP TABLE update moto's Glue catalog from the parsed
  DDL, the way Athena's DDL updates Glue;
- GetQueryExecution reports DataScannedInBytes, a StateChangeReason for FAILED queries and result
  reuse; GetQueryResults pages by MaxResults / NextToken like Athena (moto returns everything);
- scripted behaviour: `fail_next`, `throttle(operation, times)`, `slow(polls)`.

What it cannot prove: that Athena accepts the SQL (sqlglot parsing is the check), Athena's own
scan sizes, timings and pricing, or anything about IAM.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from moto.athena import models as athena_models
from moto.athena import responses as athena_responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.glue.models import glue_backends
from moto.moto_api import state_manager
from moto.s3.models import s3_backends
from sqlglot import exp

from toolkit.core import schema, transpile
from toolkit.engines.local import source_sql
from toolkit.sources import archive
from toolkit.sources.bundles import Bundler

REGION = "us-east-1"
_TABLES: dict[tuple[str, str, str, str], duckdb.DuckDBPyConnection] = {}


def _duckdb_over(root: Path, bucket: str, database: str, table: str) -> duckdb.DuckDBPyConnection:
    """DuckDB holding the whole fixture archive as `<database>.<table>` (built once per session)."""
    key = (str(root), bucket, database, table)
    if key not in _TABLES:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        transpile.setup(con)  # the macros the transpiled SQL calls, as the local engine has them
        # Athena promises no row order without ORDER BY
        con.execute("SET preserve_insertion_order = false")
        # a table of this process's own (tests change its rows), copied from the records read once
        con.execute(f"ATTACH '{_stored(root, bucket)}' AS stored (READ_ONLY)")
        con.execute(f"CREATE SCHEMA {database}")
        con.execute(f"CREATE TABLE {database}.{table}_all AS SELECT * FROM stored.events")
        con.execute("DETACH stored")
        con.execute(
            f'CREATE VIEW {database}.{table} AS SELECT * EXCLUDE ("$path") FROM {database}.{table}_all'
        )
        _TABLES[key] = con
    return _TABLES[key]


def _stored(root: Path, bucket: str) -> Path:
    """A DuckDB file beside the archive holding its every record as the table `events`, with the
    S3 address of the file it came from (`$path`), as the bucket `bucket` would hold it: written
    once (pytest-xdist's workers share the sample's), then read by every test process.

    The small log files are read in bundles, as the local engine reads them by default
    (`toolkit.sources.bundles`: the sample's 8,490 files cost DuckDB 19 CPU-seconds read one by
    one, 3 in bundles; the table is the same, row for row, and tests/test_bundles.py shows a
    bundle reads as its files do)."""
    import fcntl

    stored = root.parent / f"{root.name}.athena-double-{bucket}.duckdb"
    with open(root.parent / f"{stored.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = root.parent / f"{stored.name}.complete"
        if not complete.exists():
            stored.unlink(missing_ok=True)  # (a writer that died half-way)
            scratch = Path(tempfile.mkdtemp(prefix="bundles-", dir=root.parent))
            con = duckdb.connect(str(stored))
            try:
                con.execute("SET TimeZone = 'UTC'")
                transpile.setup(con)
                # the table is built in half the time
                con.execute("SET preserve_insertion_order = false")
                paths = [f.path for f in archive.scan(root).files]
                alone, bundles = Bundler(str(scratch)).split(
                    paths, {p: _uncompressed_size(p) for p in paths}, 2
                )
                body = source_sql(
                    alone, list(schema.COLUMN_NAMES), 16 << 20, with_filename=True, bundles=bundles
                )
                prefix = str(root).rstrip("/") + "/"
                con.execute(
                    "CREATE TABLE events AS SELECT * EXCLUDE (filename), "
                    f"'s3://{bucket}/' || replace(filename, '{prefix}', '') AS \"$path\" FROM ({body})"
                )
            finally:
                con.close()
                shutil.rmtree(scratch, ignore_errors=True)
            complete.touch()
    return stored


def _uncompressed_size(path: str) -> int:
    """A gzip file's uncompressed size, as its trailer says (the bundler checks it)."""
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return int.from_bytes(handle.read(4), "little")


def athena_text(value: Any) -> str | None:
    """A value as Athena's CSV and GetQueryResults write it (NULL stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={athena_text(v) or 'null'}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(athena_text(v) or "null" for v in value) + "]"
    return str(value)


_ATHENA_TYPES = {
    "VARCHAR": "varchar",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "HUGEINT": "bigint",
    "DOUBLE": "double",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}


def athena_type(duckdb_type: str) -> str:
    text = str(duckdb_type).upper()
    if text.startswith("STRUCT"):
        return "row"
    if text.endswith("[]"):
        return "array"
    if text.startswith("MAP"):
        return "map"
    if text.startswith("DECIMAL"):
        return "decimal"
    return _ATHENA_TYPES.get(text, "varchar")


class AthenaDouble:
    """Install with `AthenaDouble(archive_root, monkeypatch)` inside `mock_aws()`."""

    def __init__(
        self,
        root: Path,
        monkeypatch: Any,
        *,
        bucket: str = "trail-bucket",
        results_bucket: str = "trailcsi-results",
        database: str = "trailcsi",
        table: str = "cloudtrail",
    ) -> None:
        self.root = root
        self.bucket = bucket
        self.results_bucket = results_bucket
        self.database = database
        self.table = table
        self.sent: list[str] = []  # every statement started, in order
        self.executions: dict[str, dict[str, Any]] = {}  # id -> {"reason", "scanned", "reused", "sql"}
        self.fail_next: str | None = None
        self.scanned_bytes = 123_456_789
        self.get_results_calls = 0
        self._throttles: dict[str, int] = {}
        self._reused: dict[str, str] = {}
        s3 = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        s3.create_bucket(results_bucket, REGION)
        s3.create_bucket(bucket, REGION)
        self._s3 = s3
        self._glue = glue_backends[DEFAULT_ACCOUNT_ID][REGION]
        self._patch(monkeypatch)

    # -- scripting --------------------------------------------------------------------------

    def throttle(self, operation: str, times: int) -> None:
        """The next `times` calls of `operation` (e.g. "GetQueryExecution") answer ThrottlingException."""
        self._throttles[operation] = times

    def slow(self, polls: int) -> None:
        """Each state (QUEUED, RUNNING) lasts `polls` status requests."""
        state_manager.set_transition("athena::execution", {"progression": "manual", "times": polls})

    def upload(self, days: tuple[str, ...] | None = None) -> int:
        """Put the fixture's log files (only those of `days`, YYYY/MM/DD, if given) in the trail bucket."""
        count = 0
        for path in sorted(self.root.rglob("*.json.gz")):
            key = path.relative_to(self.root).as_posix()
            if days is None or any(f"/{day}/" in key for day in days):
                self._s3.put_object(self.bucket, key, path.read_bytes())
                count += 1
        return count

    def close(self) -> None:
        state_manager.unset_transition("athena::execution")

    def status(self, query_id: str) -> str:
        backend = athena_models.athena_backends[DEFAULT_ACCOUNT_ID][REGION]
        return str(backend.executions[query_id].status)

    # -- behaviour ---------------------------------------------------------------------------

    def _patch(self, monkeypatch: Any) -> None:
        double = self
        original_start = athena_responses.AthenaResponse.start_query_execution
        original_get = athena_responses.AthenaResponse.get_query_execution

        def throttled(operation: str) -> None:
            if double._throttles.get(operation, 0) > 0:
                double._throttles[operation] -= 1
                raise JsonRESTError("ThrottlingException", "Rate exceeded")

        def start(response: Any) -> Any:
            throttled("StartQueryExecution")
            answer = original_start(response)
            if isinstance(answer, tuple):  # moto's own error
                return answer
            query_id = json.loads(answer)["QueryExecutionId"]
            reuse = (response._get_param("ResultReuseConfiguration") or {}).get(
                "ResultReuseByAgeConfiguration", {}
            )
            double._started(query_id, response._get_param("QueryString"), bool(reuse.get("Enabled")))
            return answer

        def get(response: Any) -> str:
            throttled("GetQueryExecution")
            data = json.loads(original_get(response))
            execution = data["QueryExecution"]
            mine = double.executions.get(execution["QueryExecutionId"], {})
            statistics = execution["Statistics"]
            statistics["DataScannedInBytes"] = mine.get("scanned", 0)
            statistics["ResultReuseInformation"] = {"ReusedPreviousResult": mine.get("reused", False)}
            statistics["TotalExecutionTimeInMillis"] = 1234
            if mine.get("reason") and execution["Status"]["State"] == "FAILED":
                execution["Status"]["StateChangeReason"] = mine["reason"]
            return json.dumps(data)

        def results(response: Any) -> str:
            throttled("GetQueryResults")
            double.get_results_calls += 1
            query_id = response._get_param("QueryExecutionId")
            backend = athena_models.athena_backends[DEFAULT_ACCOUNT_ID][REGION]
            everything = backend.get_query_results(query_id).to_dict()
            rows = everything["ResultSet"]["Rows"]
            size = int(response._get_param("MaxResults") or 1000)
            start_at = int(response._get_param("NextToken") or 0)
            page = dict(everything)
            page["ResultSet"] = dict(everything["ResultSet"], Rows=rows[start_at : start_at + size])
            if start_at + size < len(rows):
                page["NextToken"] = str(start_at + size)
            return json.dumps(page)

        monkeypatch.setattr(athena_responses.AthenaResponse, "start_query_execution", start)
        monkeypatch.setattr(athena_responses.AthenaResponse, "get_query_execution", get)
        monkeypatch.setattr(athena_responses.AthenaResponse, "get_query_results", results)
        state_manager.set_transition("athena::execution", {"progression": "immediate"})
        monkeypatch.setattr(
            athena_models.AthenaBackend, "_store_query_result_in_s3", lambda backend, exec_id: None
        )

    def _started(self, query_id: str, sql: str, reuse: bool) -> None:
        self.sent.append(sql)
        backend = athena_models.athena_backends[DEFAULT_ACCOUNT_ID][REGION]
        execution = backend.executions[query_id]
        tree = sqlglot.parse_one(sql, read="athena")  # what Athena gets must parse as Athena SQL
        mine: dict[str, Any] = {"sql": sql, "scanned": 0, "reused": False}
        self.executions[query_id] = mine
        if self.fail_next:
            mine["reason"], self.fail_next = self.fail_next, None
            execution.status = "FAILED"
            return
        if isinstance(tree, exp.Create | exp.Drop):
            self._ddl(tree)
            return
        if reuse and sql in self._reused:
            mine["reused"] = True
            backend.query_results[query_id] = backend.query_results[self._reused[sql]]
            self._write_csv(execution, backend.query_results[query_id])
            return
        con = _duckdb_over(self.root, self.bucket, self.database, self.table)
        duck = transpile.duckdb_tree(tree)
        if any(c.name == "$path" for c in duck.find_all(exp.Column)):
            for table in duck.find_all(exp.Table):
                if table.name == self.table:
                    table.set("this", exp.to_identifier(f"{self.table}_all"))
        try:
            cursor = con.execute(duck.sql(dialect="duckdb"))
        except duckdb.Error as error:
            mine["reason"] = f"SYNTAX_ERROR: {str(error).splitlines()[0]}"
            execution.status = "FAILED"
            return
        names = [d[0] for d in cursor.description]
        types = [athena_type(d[1]) for d in cursor.description]
        data = cursor.fetchall()
        header = {"Data": [{"VarCharValue": n} for n in names]}
        rows = [header] + [
            {"Data": [{} if (t := athena_text(v)) is None else {"VarCharValue": t} for v in row]}
            for row in data
        ]
        column_info = [
            {
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Name": n,
                "Label": n,
                "Type": t,
                "Precision": 0,
                "Scale": 0,
                "Nullable": "UNKNOWN",
                "CaseSensitive": t == "varchar",
            }
            for n, t in zip(names, types, strict=True)
        ]
        backend.query_results[query_id] = athena_models.QueryResults(rows=rows, column_info=column_info)
        mine["scanned"] = self.scanned_bytes
        self._reused[sql] = query_id
        self._write_csv(execution, backend.query_results[query_id])

    def _write_csv(self, execution: Any, results: Any) -> None:
        """Athena's CSV: a header, every value double-quoted, NULL an empty unquoted field."""
        location = (execution.config or {}).get("OutputLocation")
        if not location:
            return
        text = io.StringIO()
        for row in results.rows:
            cells = []
            for cell in row["Data"]:
                value = cell.get("VarCharValue")
                cells.append("" if value is None else '"' + value.replace('"', '""') + '"')
            text.write(",".join(cells) + "\n")
        bucket, _, key = location.removeprefix("s3://").partition("/")
        self._s3.put_object(bucket, key, text.getvalue().encode("utf-8"))

    def _ddl(self, tree: exp.Expression) -> None:
        kind = str(tree.args.get("kind", "")).upper()
        if isinstance(tree, exp.Drop):
            target = tree.args["tables"][0]
        else:
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        name = target.name
        database = target.db or self.database
        if kind in ("DATABASE", "SCHEMA"):
            if isinstance(tree, exp.Create) and name not in self._glue.databases:
                self._glue.create_database(name, {"Name": name})
            return
        if isinstance(tree, exp.Drop):
            if name in self._glue.databases.get(database, type("D", (), {"tables": {}})).tables:
                self._glue.delete_table(database, name)
            return
        columns = [
            {"Name": c.name, "Type": _hive_type(c)}
            for c in tree.this.expressions
            if isinstance(c, exp.ColumnDef)
        ]
        partitions, parameters, location = [], {"EXTERNAL": "TRUE"}, ""
        for prop in tree.args["properties"].expressions:
            if isinstance(prop, exp.PartitionedByProperty):
                partitions = [{"Name": c.name, "Type": _hive_type(c)} for c in prop.this.expressions]
            elif isinstance(prop, exp.LocationProperty):
                location = prop.this.name
            elif type(prop) is exp.Property:  # TBLPROPERTIES entries (subclasses are other clauses)
                parameters[prop.name] = prop.args["value"].name
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
            "PartitionKeys": partitions,
            "StorageDescriptor": {"Columns": columns, "Location": location},
        }
        self._glue.create_table(database, name, table_input)


def _hive_type(column: exp.ColumnDef) -> str:
    return "".join(column.args["kind"].sql("hive").lower().split())


def read_csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))
