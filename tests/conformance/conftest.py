"""Conformance: the same Athena SQL on a real Trino server and on the local engine, rows compared.

The server is `scripts/trino.py`'s (fetched once into the user cache): it is used if it runs, else
started here when a test first needs it and stopped at the end. Without a fetched server every test
here is skipped, and the run's summary says how to fetch it. Each archive is loaded into Trino as a
Hive table `<schema>.trail`, partitioned by `account`, `region` and `day` as Athena's table is, in
a schema named by what it holds (`Dataset`: its files, the table's declaration, the loader):

- `trailcsi_conformance_<hash>`: two real corpora (346 events, 2014 to 2024);
- `trailcsi_conformance_incidents_<hash>`: the sample archive's last days (`INCIDENT_DAYS`), which
  hold its planted incidents, so that detections return rows (on Trino, one file a partition);
- `trailcsi_conformance_panther_<hash>`: the events of Panther's rule tests (471, 2015 to 2026),
  crafted to make detections fire, some of them not as CloudTrail writes events.
- `trailcsi_conformance_crafted_<hash>`: events crafted here (`crafted_records`, May and June
  2024) to make the detections' rules over time fire: denials paced under the hourly burst but
  many in a day, a burst under a spoofed user agent, and Lambda changes on days before and after.

A raw SQL text reading `trail` runs as it is on both engines (`Engines.both`); a `TrailQuery` (a
template, a search, criteria) goes to Trino as the SQL the Athena engine would send for it, bound
to the Hive table with the partition predicates of its window and criteria (`Engines.compare`).

Trino's answers are kept (`Oracle`): a statement Trino answered (rows or error) over the same
schema, the same server (its version, its configuration and loader in scripts/trino.py, its Java)
is answered again from `<server home>/answers/`, and the server is started only for a statement it
has not answered. The SQL text, the schema's content and the server are the whole key: a changed
template, criterion or case, or changed data, is asked of the server; a running server is keyed by
what it was started with. Only the statement's own errors are kept (`_kept_error`), and statements
reading the time, chance or the server's state never (`_VOLATILE`). `TRAILCSI_TRINO_FRESH=1` loads
each table again once a run and asks the server every statement (and keeps its answers); the
run's summary says how many answers were asked and how many kept.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import END_DAY, USER_XDG_CACHE_HOME, corpus_path, lay_out, read_jsonl, with_event_id
from sqlglot import exp

from toolkit.config import AthenaSettings
from toolkit.core import window
from toolkit.core.query import TrailQuery
from toolkit.engines.athena import AthenaEngine
from toolkit.engines.local import LocalEngine
from toolkit.sources import archive, layout

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "trino.py"
#: The sample archive's last days loaded into Trino: its recent planted incidents (the brute
#: force, the Elastic IP, the pipeline's changes) are in them, and they load in about a second.
INCIDENT_DAYS = 10
NOT_FETCHED = "Trino server not fetched: run `python scripts/trino.py fetch`"
ALL_TIME = window.parse(all_time=True)

#: The corpora's events run from March 2014 to November 2024.
CORPORA_ALL_DAYS = window.parse(start="2014-01-01", end="2024-12-31")
CORPORA_TWO_DAYS = window.parse(start="2024-07-31", end="2024-08-01")
FIRST_INCIDENT_DAY = END_DAY - timedelta(days=INCIDENT_DAYS - 1)
INCIDENTS_ALL_DAYS = window.parse(start=FIRST_INCIDENT_DAY.isoformat(), end=END_DAY.isoformat())
#: Panther's rule tests' events run from March 2015 to January 2026.
PANTHER_ALL_DAYS = window.parse(start="2015-01-01", end="2026-01-31")
# From just before the brute force (03:00:04 two days before the end) to the hour the next
# day's pipeline run breaks (its events at 14:00:00 fall outside: the end is exclusive).
INCIDENTS_HOURS = window.parse(
    start=f"{END_DAY - timedelta(days=2)}T03:00:00Z", end=f"{END_DAY - timedelta(days=1)}T14:00:00Z"
)


def _skip(reason: str) -> None:
    pytest.skip(reason)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trailcsi_trino_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def trino_script() -> ModuleType:
    if not SCRIPT.is_file():
        _skip(f"{SCRIPT.name} is not in this checkout")
    # tests/conftest.py points XDG_CACHE_HOME at a scratch directory: the server is in the user's.
    os.environ.setdefault("TRAILCSI_TRINO_HOME", str(_load_script().default_home(USER_XDG_CACHE_HOME)))
    return _load_script()


@contextmanager
def _locked(path: Path, *, shared: bool = False) -> Iterator[None]:
    """One test process at a time (pytest-xdist runs several) starts or stops the server, or
    loads a table; any number at a time ask about a table (`shared`), none while it loads."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


#: Statements whose answer depends on when, by chance or after what else they run (the time,
#: random numbers, the files' own times, the server's state and catalogs): never kept.
_VOLATILE = re.compile(
    r"\b(now|current_\w+|localtime\w*|rand\w*|uuid|shuffle|system|information_schema|show|explain)\b"
    r"|\$file_modified_time",
    re.IGNORECASE,
)
#: Trino's errors that are not the statement's answer: the table gone, the query killed or
#: cancelled, the server busy. Kept: the statement's errors (USER_ERROR) and Trino's own failures
#: on it (INTERNAL_ERROR: some CIDRs fail Trino's parser so, every time) but these, and of the
#: connector's (EXTERNAL), those the rows' content causes (`_KEPT_EXTERNAL`); never a shortage
#: (INSUFFICIENT_RESOURCES).
_NOT_KEPT_ERRORS = frozenset(
    {
        "TABLE_NOT_FOUND",
        "SCHEMA_NOT_FOUND",
        "CATALOG_NOT_FOUND",
        "ADMINISTRATIVELY_KILLED",
        "ADMINISTRATIVELY_PREEMPTED",
        "USER_CANCELED",
        "QUERY_REJECTED",
        "NO_NODES_AVAILABLE",
        "SERVER_SHUTTING_DOWN",
    }
)
_KEPT_EXTERNAL = frozenset({"HIVE_CURSOR_ERROR", "HIVE_BAD_DATA"})


def _kept_error(error: Any) -> bool:
    """Whether a StatementError is the statement's own answer, the same at every asking."""
    if error.name in _NOT_KEPT_ERRORS:
        return False
    return error.kind in ("USER_ERROR", "INTERNAL_ERROR") or (
        error.kind == "EXTERNAL" and error.name in _KEPT_EXTERNAL
    )


@dataclass(frozen=True)
class Dataset:
    """An archive as Trino's Hive table `<schema>.trail`; the schema is named by the digest of
    what makes the table: each log file's path, partition and bytes, the table's declaration,
    how the files are loaded and the loader itself (scripts/trino.py)."""

    root: Path
    schema: str
    merge: bool

    @classmethod
    def of(cls, script: ModuleType, root: Path, name: str, *, merge: bool = False) -> Dataset:
        digest = hashlib.sha256(Path(script.__file__).read_bytes())
        digest.update(json.dumps([script.create_table_sql("s", "trail"), merge]).encode())
        for log in archive.scan(root).files:
            # the partition values as the loader writes them (`layout.day_value` is the toolkit's)
            day = layout.day_value(log.day)
            where = [str(Path(log.path).relative_to(root)), log.account, log.region, day]
            digest.update(json.dumps(where).encode())
            digest.update(hashlib.sha256(Path(log.path).read_bytes()).digest())
        return cls(root, f"{name}_{digest.hexdigest()[:16]}", merge)


class Oracle:
    """Trino's answers: from the record of a statement it answered before over the same schema on
    a server made the same way, else from the server (started, and the schema loaded, when first
    needed). A running server is keyed by what it was started with (its fingerprint in
    server.json), not by what this checkout would start: a server started before scripts/trino.py
    or the Java changed gives answers kept under its own key, never given for the new one."""

    def __init__(self, script: ModuleType, run: str = "") -> None:
        self.script = script
        self.home: Path = script.home()
        self.records = self.home / "answers"
        self.fresh = os.environ.get("TRAILCSI_TRINO_FRESH", "") not in ("", "0")
        self.run = run  # this test run (pytest-xdist's testrunuid): FRESH loads each table once a run
        self.server: str = script.fingerprint(script.java_home())  # what a server started now is
        self.asked = self.recalled = 0
        self._url: str | None = None
        self._asking: str | None = None  # the running server's fingerprint
        self._loaded: set[str] = set()

    def _path(self, server: str, schema: str, sql: str) -> Path:
        key = hashlib.sha256(json.dumps([server, schema, sql]).encode()).hexdigest()
        return self.records / key[:2] / f"{key}.json"

    def answer(self, sql: str, dataset: Dataset) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        """Trino's columns and rows for `sql` with `dataset`'s schema the session's; Trino's
        error (StatementError) if it refuses or fails it."""
        keep = not _VOLATILE.search(sql)
        if keep and not self.fresh:
            recorded = _read_record(self._path(self.server, dataset.schema, sql), dataset.schema, sql)
            if recorded is not None:
                self.recalled += 1
                if "error" in recorded:
                    raise self.script.StatementError(recorded["error"])
                return recorded["columns"], recorded["rows"]
        url = self._server()
        self._load(url, dataset)
        self.asked += 1
        path = self._path(self._asking, dataset.schema, sql) if keep and self._asking else None
        record: dict[str, Any] = {"schema": dataset.schema, "sql": sql}
        try:
            with _locked(self._lock(dataset), shared=True):  # (no process loads it meanwhile)
                columns, rows = self.script.query(url, sql, schema=dataset.schema)
        except self.script.StatementError as error:
            if path and _kept_error(error):
                _write_record(path, record | {"error": str(error)})
            raise
        if path:
            _write_record(path, record | {"columns": columns, "rows": rows})
        return columns, rows

    def _lock(self, dataset: Dataset) -> Path:
        return self.home / "loading" / f"{dataset.schema}.lock"

    def _server(self) -> str:
        """The running server's URL, started if need be; this process is registered as using it."""
        if self._url is None:
            with _locked(self.home / "tests.lock"):
                url = self.script.running()
                if not url:
                    url = self.script.start()
                    (self.home / "started-by-tests").touch()
                (self.home / "tests-using").mkdir(parents=True, exist_ok=True)
                (self.home / "tests-using" / str(os.getpid())).touch()
                self._asking = self.script.running_fingerprint()
            self._url = url
        return self._url

    def _load(self, url: str, dataset: Dataset) -> None:
        """`dataset`'s table, loaded unless a load of it finished before (this run, with FRESH)
        and Trino reads the rows it wrote."""
        if dataset.schema in self._loaded:
            return
        with _locked(self._lock(dataset)):
            done = self.script.run_dir() / "fs" / self.script.WAREHOUSE / dataset.schema / "loaded.json"
            try:
                marker = json.loads(done.read_text(encoding="utf-8"))
                expected = marker["records"]
                counted = self.script.query(url, 'SELECT count(*) FROM "trail"', schema=dataset.schema)[1]
            except (OSError, ValueError, KeyError, TypeError, self.script.TrinoError):
                marker, expected, counted = {}, None, None
            if counted != [[expected]] or (self.fresh and marker.get("run") != self.run):
                done.unlink(missing_ok=True)
                records = self.script.load(
                    url, dataset.root, schema=dataset.schema, table="trail", merge=dataset.merge
                )
                done.parent.mkdir(parents=True, exist_ok=True)
                done.write_text(json.dumps({"records": records, "run": self.run}), encoding="utf-8")
        self._loaded.add(dataset.schema)

    def close(self) -> None:
        """Unregister this process; the last one out stops a server the tests started."""
        if self._url is None:
            return
        users, started = self.home / "tests-using", self.home / "started-by-tests"
        with _locked(self.home / "tests.lock"):
            (users / str(os.getpid())).unlink(missing_ok=True)
            others = [p for p in users.iterdir() if p.name.isdigit() and self.script._alive(int(p.name))]
            if not others and started.exists():
                self.script.stop()
                started.unlink(missing_ok=True)


def _read_record(path: Path, schema: str, sql: str) -> dict[str, Any] | None:
    """The answer kept for this statement over this schema; None if there is none, it cannot be
    read or it is another statement's (then the server is asked)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("sql") != sql or record.get("schema") != schema:
        return None
    if isinstance(record.get("error"), str) or (
        isinstance(record.get("columns"), list)
        and record["columns"]
        and all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in record["columns"])
        and isinstance(record.get("rows"), list)
        and all(isinstance(r, list) and len(r) == len(record["columns"]) for r in record["rows"])
    ):
        return record
    return None


def _write_record(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, path)  # whole or not at all, whoever writes it at the same time


@pytest.fixture(scope="session")
def oracle(trino_script: ModuleType, request: pytest.FixtureRequest) -> Iterator[Oracle]:
    """Trino's answers, kept or asked. Skips when no server is fetched or no Java can run it."""
    if not trino_script.fetched():
        _skip(NOT_FETCHED)
    workerinput = getattr(request.config, "workerinput", None)
    run = workerinput["testrunuid"] if workerinput else uuid.uuid4().hex
    try:
        made = Oracle(trino_script, run)
    except trino_script.TrinoError as error:
        _skip(str(error))
    _ORACLES.append(made)
    try:
        yield made
    finally:
        made.close()


#: The Oracle of this process (one a session), for `count_trino_answers`.
_ORACLES: list[Oracle] = []


def _answers() -> tuple[int, int]:
    return sum(o.asked for o in _ORACLES), sum(o.recalled for o in _ORACLES)


@pytest.fixture(autouse=True)
def count_trino_answers(request: pytest.FixtureRequest) -> Iterator[None]:
    """How Trino answered this test, for the run's summary (tests/conftest.py)."""
    asked, recalled = _answers()
    yield
    now_asked, now_recalled = _answers()
    if (now_asked, now_recalled) != (asked, recalled):
        counts = {"asked": now_asked - asked, "recalled": now_recalled - recalled}
        request.node.user_properties.append(("trino answers", counts))


@pytest.fixture(scope="session")
def conformance_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """346 real events (Stratus Red Team detonations and AWS's documentation examples) as an archive."""
    records = read_jsonl(corpus_path("stratus-red-team-detonations", "events.jsonl"))
    records += read_jsonl(corpus_path("aws-docs-examples", "events.jsonl"))
    return lay_out(records, tmp_path_factory.mktemp("conformance"))


@dataclass
class Compared:
    """One query's answer on both engines: Trino's column names and rows, and the local engine's
    rows in the shape Trino's protocol gives them."""

    sql: str  # what Trino ran
    names: list[str]
    local_names: list[str]
    trino: list[list[Any]]
    local: list[list[Any]]


class Engines:
    """Runs Athena SQL on Trino (the Hive table `<schema>.trail`) and on the local engine."""

    def __init__(self, oracle: Oracle, dataset: Dataset) -> None:
        self.oracle, self.script, self.dataset, self.schema = oracle, oracle.script, dataset, dataset.schema
        self.local = LocalEngine(dataset.root)
        # Only renders SQL: nothing here reaches AWS.
        self.athena = AthenaEngine(AthenaSettings(database=dataset.schema, table="trail"))
        self._answers: dict[str, tuple[list[dict[str, Any]], list[list[Any]]]] = {}

    def trino(self, sql: str) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        return self.oracle.answer(sql, self.dataset)

    def trino_once(self, sql: str) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        """Trino's answer to `sql`, asked once a session (the fixture tables do not change)."""
        if sql not in self._answers:
            self._answers[sql] = self.trino(sql)
        return self._answers[sql]

    def both(self, sql: str) -> tuple[list[list[Any]], list[list[Any]]]:
        """Trino's rows, and the local engine's in the shape Trino's protocol gives them."""
        columns, expected = self.trino(sql)
        result = self.local.run(TrailQuery.parse(sql, ALL_TIME))
        # the names too: an unaliased expression is `_col<i>` on both (query._name_columns_as_trino)
        assert [c["name"] for c in columns] == list(result.columns)
        return expected, as_wire(result.rows, columns)

    def same_error(self, sql: str, error: str) -> None:
        """`sql` fails on Trino and on the local engine (a UsageError), both saying `error`."""
        from toolkit.errors import UsageError

        with pytest.raises(self.script.TrinoError) as on_trino:
            self.trino(sql)
        assert error in str(on_trino.value)
        with pytest.raises(UsageError) as locally:
            self.local.run(TrailQuery.parse(sql, ALL_TIME))
        assert error in locally.value.message

    def compare(self, query: TrailQuery) -> Compared:
        """`query` on Trino as the Athena engine sends it, and on the local engine."""
        sql = self.athena.render(query)  # AthenaEngine.run sends exactly this text
        with ThreadPoolExecutor(1) as pool:  # Trino answers while the local engine reads
            on_trino = pool.submit(self.trino_once, sql)
            result = self.local.run(query)
            columns, expected = on_trino.result()
        assert len(columns) == len(result.columns), (result.columns, columns)
        names = [c["name"] for c in columns]
        return Compared(sql, names, list(result.columns), expected, as_wire(result.rows, columns))


def as_wire(rows: Any, columns: list[dict[str, Any]]) -> list[list[Any]]:
    signatures = [c["typeSignature"] for c in columns]
    return [[wire(value, sig) for value, sig in zip(row, signatures, strict=True)] for row in rows]


@pytest.fixture(scope="session")
def engines(oracle: Oracle, conformance_archive: Path) -> Iterator[Engines]:
    made = Engines(oracle, Dataset.of(oracle.script, conformance_archive, "trailcsi_conformance"))
    yield made
    made.local.close()


@pytest.fixture(scope="session")
def incidents_archive(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive's log files of its last `INCIDENT_DAYS` day folders (linked, not copied)."""
    root = tmp_path_factory.mktemp("incidents")
    for log in archive.scan(sample_root).files:
        if log.day >= FIRST_INCIDENT_DAY:
            target = root / Path(log.path).relative_to(sample_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(log.path, target)
            except OSError:
                shutil.copyfile(log.path, target)
    return root


@pytest.fixture(scope="session")
def incident_engines(oracle: Oracle, incidents_archive: Path) -> Iterator[Engines]:
    # One file a partition on Trino (the sample writes one log file every few hours): the same rows,
    # read three times faster.
    dataset = Dataset.of(oracle.script, incidents_archive, "trailcsi_conformance_incidents", merge=True)
    made = Engines(oracle, dataset)
    yield made
    made.local.close()


def panther_records() -> list[dict[str, Any]]:
    """The events of Panther's rule tests, with eventIDs that tell them apart (as
    tests/test_detection_precision.py writes them: `panther-<line>`, `<scenario>-<line>`)."""
    corpus = corpus_path("panther-rule-tests")
    records = [
        with_event_id(e, f"panther-{i:03d}") for i, e in enumerate(read_jsonl(corpus / "events.jsonl"))
    ]
    for scenario in sorted((corpus / "scenarios").glob("*.jsonl")):
        records += [with_event_id(e, f"{scenario.stem}-{i:02d}") for i, e in enumerate(read_jsonl(scenario))]
    return records


@pytest.fixture(scope="session")
def panther_engines(oracle: Oracle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    root = lay_out(panther_records(), tmp_path_factory.mktemp("panther"))
    made = Engines(oracle, Dataset.of(oracle.script, root, "trailcsi_conformance_panther"))
    yield made
    made.local.close()


#: The days `crafted_records` spans.
CRAFTED_DAYS = window.parse(start="2024-05-01", end="2024-06-30")


def crafted_records() -> list[dict[str, Any]]:
    """Events of one account crafted to exercise access-denied-burst's two rules (and what it does
    not count) and lambda-code-or-access-changed's baseline of earlier days (the cases of
    tests/test_detection_cases.py, on Trino)."""
    account, start = "111122223333", datetime(2024, 5, 1, 12, 0)

    def record(
        event_id: str, seconds: float, name: str, source: str, who: str, **fields: Any
    ) -> dict[str, Any]:
        identity = {"type": "IAMUser", "arn": f"arn:aws:iam::{account}:user/{who}", "accountId": account}
        when = start + timedelta(seconds=round(seconds))
        base = {
            "eventVersion": "1.10",
            "userIdentity": identity,
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15.0",
            "eventType": "AwsApiCall",
            "recipientAccountId": account,
            "eventID": event_id,
        }
        return base | fields

    def denied(event_id: str, seconds: float, who: str, **fields: Any) -> dict[str, Any]:
        return record(
            event_id,
            seconds,
            "DescribeDBInstances",
            "rds.amazonaws.com",
            who,
            errorCode="AccessDenied",
            **fields,
        )

    console = "aws-internal/3 aws-sdk-java/1.12.124"
    records = [denied(f"slow-{i}", i * 420, "alice") for i in range(205)]  # one every 7 minutes
    records += [denied(f"burst-{i}", 30 * 3600 + i * 60, "alice") for i in range(10)]
    records += [denied(f"spoofed-{i}", i * 20, "bob", userAgent=console) for i in range(30)]
    records += [
        denied(f"console-{i}", i * 20, "carol", userAgent=console, sessionCredentialFromConsole="true")
        for i in range(30)
    ]
    records += [denied(f"internal-{i}", i * 20, "dave", sourceIPAddress="AWS Internal/3") for i in range(30)]

    def change(event_id: str, day: int, name: str, who: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("requestParameters", {"functionName": "thumbnailer"})
        return record(event_id, day * 86400, name, "lambda.amazonaws.com", who, **fields)

    layer = {"functionName": "billing", "layers": ["arn:aws:lambda:us-east-1:999988887777:layer:helper:1"]}
    records += [
        change(f"layer-{d}", d, "UpdateFunctionConfiguration20150331v2", "mallory", requestParameters=layer)
        for d in range(40)
    ]
    records += [change(f"deploy-{d}", d, "UpdateFunctionCode20150331v2", "dan") for d in range(8)]
    records += [
        change("deploy-again", 2, "UpdateFunctionCode20150331v2", "dan"),
        change("denied", 5, "UpdateFunctionCode20150331v2", "dan", errorCode="AccessDeniedException"),
        change("elsewhere", 6, "UpdateFunctionCode20150331v2", "dan", sourceIPAddress="198.51.100.200"),
    ]
    return records


@pytest.fixture(scope="session")
def crafted_engines(oracle: Oracle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    root = lay_out(crafted_records(), tmp_path_factory.mktemp("crafted"))
    made = Engines(oracle, Dataset.of(oracle.script, root, "trailcsi_conformance_crafted"))
    yield made
    made.local.close()


# -- comparing rows -------------------------------------------------------------------------


def dumped(row: list[Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def order_keys(tree: exp.Query, names: list[str]) -> list[int]:
    """The output columns the query's outermost ORDER BY sorts on (by name or position)."""
    order = tree.args.get("order")
    keys = []
    for ordered in order.expressions if order is not None else []:
        term = ordered.this
        if isinstance(term, exp.Literal) and term.is_int:
            keys.append(int(term.name) - 1)
        elif isinstance(term, exp.Column) and term.name.lower() in names:
            keys.append(names.index(term.name.lower()))
        else:  # then rows tied on the output columns could be told apart: say so, do not guess
            raise AssertionError(f"ORDER BY {term.sql('athena')} is not an output column")
    return keys


def assert_same_rows(compared: Compared, tree: exp.Query) -> None:
    """The same rows in the same order; where the ORDER BY leaves ties, the same rows as a
    multiset, ordered the same by the ORDER BY's columns."""
    assert compared.local_names == compared.names
    if compared.local == compared.trino:
        return
    on_trino, locally = Counter(map(dumped, compared.trino)), Counter(map(dumped, compared.local))
    only_trino, only_local = list((on_trino - locally).elements()), list((locally - on_trino).elements())
    assert not only_trino and not only_local, (
        f"{len(compared.trino)} rows on Trino, {len(compared.local)} locally; "
        f"only on Trino: {only_trino[:3]}; only locally: {only_local[:3]}"
    )
    keys = order_keys(tree, compared.names)
    assert [[row[k] for k in keys] for row in compared.local] == [
        [row[k] for k in keys] for row in compared.trino
    ], f"ordered differently by {[compared.names[k] for k in keys]}"


def wire(value: Any, signature: dict[str, Any]) -> Any:
    """A local engine value as Trino's REST protocol writes a value of this type signature."""
    if value is None:
        return None
    raw = signature["rawType"]
    arguments = [a["value"] for a in signature.get("arguments", [])]
    if raw == "row":
        items = list(value.values()) if isinstance(value, dict) else list(value)
        return [wire(item, field["typeSignature"]) for item, field in zip(items, arguments, strict=True)]
    if raw == "array":
        return [wire(item, arguments[0]) for item in value]
    if raw == "map":
        return {str(k): wire(v, arguments[1]) for k, v in dict(value).items()}
    if raw == "timestamp with time zone" and isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d} {value.tzname()}"
    if raw == "timestamp" and isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"
    if raw == "date" and isinstance(value, date):
        return value.isoformat()
    if raw == "decimal" and isinstance(value, Decimal | int | float):
        return str(value)
    if raw in ("double", "real") and isinstance(value, int | float | Decimal):
        return float(value)
    return value
