"""The Athena engine: the same `trail` queries, run by Athena over the partition-projected table.

`trail` becomes a CTE over `<database>.<table>` whose WHERE always carries partition predicates:
the window's `day` range widened by a day at each end (a file near midnight holds events of the
neighbouring day), `account` / `region` when the criteria name them, then the exact `eventtime`
bounds. SQL goes to pyathena already rendered, with no parameters.

While a query runs, `progress(state, seconds, bytes scanned)` is called on every poll; Ctrl-C
stops the query in Athena (StopQueryExecution); throttled API calls are retried with backoff; a
FAILED query raises with Athena's reason and the query id. Results page through GetQueryResults
(`fetch="api"`), or are streamed from the CSV file Athena wrote to S3 (`fetch="s3"`, for exports).
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from toolkit import aws_config
from toolkit.config import AthenaSettings
from toolkit.core.query import TrailQuery
from toolkit.engines import Result, ScanReport, records_with_id
from toolkit.errors import EngineError, Interrupted, UsageError, first_line

# pyathena logs each failure with its traceback before raising it; trailcsi reports the raised
# error in one line, so pyathena's own log records are not printed.
logging.getLogger("pyathena").addHandler(logging.NullHandler())
logging.getLogger("pyathena").propagate = False

#: Called on every poll with Athena's state, the seconds since the query started and bytes scanned.
AthenaProgress = Callable[[str, float, int], None]
#: Athena bills at least 10 MB a query.
MINIMUM_BILLED_BYTES = 10 * 10**6
#: Event ids looked up by one `$path` query (Athena takes at most 256 KB of SQL; an id is ~40 bytes).
LOCATE_BATCH = 4_000
THROTTLING = ("ThrottlingException", "TooManyRequestsException", "SlowDown")
#: Error prefixes in Athena's reasons that mean the query itself is wrong (the user's to fix).
_USER_ERRORS = (
    "SYNTAX_ERROR",
    "COLUMN_NOT_FOUND",
    "TYPE_MISMATCH",
    "FUNCTION_NOT_FOUND",
    "INVALID_FUNCTION_ARGUMENT",
    "TABLE_NOT_FOUND",
    "SCHEMA_NOT_FOUND",
    "AMBIGUOUS_NAME",
    "MISSING_ATTRIBUTE",
    "NOT_SUPPORTED",
)


class _OverBudget(Exception):
    def __init__(self, scanned: int) -> None:
        self.scanned = scanned


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.2f} {unit}"
        size /= 1000
    return f"{count} B"


def cost_usd(scanned: int, price_per_tb: float) -> float:
    """What Athena bills for a query that scanned `scanned` bytes (rounded up to 10 MB)."""
    return max(scanned, MINIMUM_BILLED_BYTES) / 10**12 * price_per_tb


class AthenaEngine:
    """Run `trail` queries on Athena through pyathena."""

    dialect = "athena"

    def __init__(
        self,
        settings: AthenaSettings,
        *,
        session: Any = None,
        progress: AthenaProgress | None = None,
        notify: Callable[[str], None] | None = None,
        reuse_minutes: int | None = None,
        fetch: str = "api",
        poll_interval: float = 1.0,
        retry_attempts: int = 6,
        retry_backoff: float = 1.0,
    ) -> None:
        if fetch not in ("api", "s3"):
            raise ValueError(f"fetch must be 'api' or 's3', not {fetch!r}")
        self.settings = settings.check()  # a library caller's settings meet the same rules as flags
        self.max_scan = settings.max_scan_bytes()
        self.progress = progress
        self.notify = notify or (lambda _message: None)
        self.reuse_minutes = reuse_minutes
        self.fetch = fetch
        self._session = session
        self._poll_interval = poll_interval
        self._retry = (retry_attempts, retry_backoff)
        self._connection: Any = None
        self._cursors: list[Any] = []

    # -- the engine interface -------------------------------------------------------------

    def render(self, query: TrailQuery, files_shown: int | None = None) -> str:
        """The exact SQL sent to Athena for `query` (it names no files: `files_shown` is moot)."""
        return query.bind(self.table(), self.partition_condition(query)).sql(dialect="athena", pretty=True)

    def run(self, query: TrailQuery) -> Result:
        return self.execute(self.render(query))

    def find_event(self, query: TrailQuery, event_id: str) -> tuple[list[dict[str, Any]], ScanReport]:
        """The full original records: Athena finds the files (`$path`), S3 gives the records."""
        wanted = event_id.strip().lower()
        found, report = self.locate_files(query, [wanted])
        files = (self._records(url) for url in sorted(found))
        return records_with_id(files, wanted, query.window), report

    def locate_files(self, query: TrailQuery, event_ids: list[str]) -> tuple[dict[str, set[str]], ScanReport]:
        """Which log files hold records with these event ids (compared in lowercase) in the query's
        scope, by Athena's `$path` pseudo-column: {s3:// address: the ids it holds}, and the report
        of the queries run (`LOCATE_BATCH` ids a query). The addresses are Athena's answer, not
        checked: a caller that reads them decides which it trusts."""
        wanted = sorted({i.strip().lower() for i in event_ids})
        found: dict[str, set[str]] = {}
        report = ScanReport(scanned_bytes=0, cost_usd=0.0)
        for at in range(0, len(wanted), LOCATE_BATCH):
            result = self.execute(self._locate_sql(query, wanted[at : at + LOCATE_BATCH]))
            for path, event_id in result.rows:
                found.setdefault(str(path), set()).add(str(event_id))
            report.scanned_bytes = (report.scanned_bytes or 0) + (result.report.scanned_bytes or 0)
            report.cost_usd = (report.cost_usd or 0) + (result.report.cost_usd or 0)
            report.query_ids += result.report.query_ids
        return found, report

    def _locate_sql(self, query: TrailQuery, ids: list[str]) -> str:
        """`SELECT DISTINCT "$path", lower(eventid)` of the table, under the partition predicates,
        the query's scope and `lower(eventid) IN (<ids>)`."""
        lowered = exp.func("lower", exp.column("eventid"))
        condition = exp.In(this=lowered, expressions=[exp.Literal.string(i) for i in ids])
        scope = query.scope_condition()
        partitions = self.partition_condition(query)
        where = exp.and_(*(c for c in (partitions, scope, condition) if c is not None), copy=False)
        tree = (
            exp.select(
                exp.alias_(exp.column("$path", quoted=True), "path"),
                exp.alias_(lowered.copy(), "eventid"),
            )
            .distinct()
            .from_(self.table())
            .where(where)
        )
        return tree.sql(dialect="athena")

    def cancel(self) -> None:
        for cursor in self._cursors:
            if getattr(cursor, "query_id", None):
                cursor.cancel()

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- SQL ----------------------------------------------------------------------------------

    def table(self) -> exp.Table:
        """The configured table as quoted identifiers (names checked against Glue's rules)."""
        return exp.table_(self.settings.table, db=self.settings.database, quoted=True)

    def partition_condition(self, query: TrailQuery) -> exp.Expr | None:
        """`day` range (widened by a day each side), and account / region when the criteria name them."""
        parts: list[exp.Expr] = []
        days = query.window.days(widen=1)
        if days is not None:
            first, last = days
            parts.append(exp.GTE(this=exp.column("day"), expression=exp.Literal.string(f"{first:%Y/%m/%d}")))
            parts.append(exp.LTE(this=exp.column("day"), expression=exp.Literal.string(f"{last:%Y/%m/%d}")))
        accounts, regions = query.criteria.partitions()
        for column, values in (("account", accounts), ("region", regions)):
            if values:
                literals = [exp.Literal.string(v) for v in sorted(set(values))]
                parts.append(exp.In(this=exp.column(column), expressions=literals))
        return exp.and_(*parts, copy=False) if parts else None

    # -- execution ------------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._connection is None:
            from pyathena import connect
            from pyathena.util import RetryConfig

            from toolkit.aws_config import client_config

            attempts, backoff = self._retry
            kwargs: dict[str, Any] = {
                "work_group": self.settings.workgroup,
                "schema_name": self.settings.database,
                "poll_interval": self._poll_interval,
                "kill_on_interrupt": True,
                # pyathena retries throttling with exponential backoff and jitter; botocore's own
                # retries are off so that the two do not multiply.
                "retry_config": RetryConfig(  # (pyathena annotates multiplier as int; tenacity takes any number)
                    exceptions=THROTTLING,
                    attempt=attempts,
                    multiplier=backoff,  # type: ignore[arg-type]
                    max_delay=30,
                ),
                "config": client_config(attempts=1),
                "on_poll": self._on_poll,
            }
            if self.settings.output_location:
                kwargs["s3_staging_dir"] = self.settings.output_location
            if self._session is not None:
                kwargs["session"] = self._session
                kwargs["region_name"] = self._session.region_name
            else:
                kwargs["region_name"] = self.settings.region
                kwargs["profile_name"] = self.settings.profile
            try:
                self._connection = connect(**kwargs)
            except Exception as error:  # botocore's profile and region errors
                raise aws_error(error) from None
            from toolkit.aws_config import watched

            watched(self._connection.client)
        return self._connection

    def _on_poll(self, execution: Any) -> None:
        scanned = execution.data_scanned_in_bytes or 0
        elapsed = time.monotonic() - self._began
        if self.progress is not None:
            self.progress(str(execution.state), elapsed, scanned)
        running = execution.state in ("QUEUED", "RUNNING")
        if running and self.max_scan is not None and scanned > self.max_scan:
            raise _OverBudget(scanned)  # stopped now; a finished query is refused in _result

    def execute(self, sql: str) -> Result:
        """Run one statement as given (the setup DDL, or SQL already rendered)."""
        connection = self._connect()
        cursor_class = None
        if self.fetch == "s3":
            from pyathena.s3fs.cursor import S3FSCursor

            cursor_class = S3FSCursor
        cursor = connection.cursor(cursor_class) if cursor_class else connection.cursor()
        cursor.arraysize = 1000  # GetQueryResults' largest page
        self._cursors.append(cursor)
        started: list[str] = []

        def on_start(query_id: str) -> None:
            started.append(query_id)
            self.notify(f"Athena query {query_id} started (workgroup {self.settings.workgroup})")

        reuse = {}
        if self.reuse_minutes:
            reuse = {"result_reuse_enable": True, "result_reuse_minutes": self.reuse_minutes}
        self._began = time.monotonic()
        try:
            cursor.execute(sql, on_start_query_execution=on_start, **reuse)
        except KeyboardInterrupt:
            which = f" {started[0]}" if started else ""
            raise Interrupted(f"interrupted; Athena query{which} was stopped") from None
        except _OverBudget as over:
            try:
                cursor.cancel()
            except Exception:  # it may have finished meanwhile; nothing is fetched either way
                pass
            raise EngineError(
                f"Athena query {started[0]} stopped: it had scanned {human_bytes(over.scanned)}, "
                f"past --max-scan {self.settings.max_scan}",
                "narrow the window or the criteria, or raise --max-scan",
            ) from None
        except Exception as error:
            raise _query_error(error, started[0] if started else None) from None
        return self._result(cursor, started[0] if started else str(cursor.query_id))

    def _result(self, cursor: Any, query_id: str) -> Result:
        scanned = int(cursor.data_scanned_in_bytes or 0)
        cost = cost_usd(scanned, self.settings.price_per_tb)
        seconds = (cursor.total_execution_time_in_millis or 0) / 1000
        reused = " (reused a previous result, nothing scanned)" if cursor.reused_previous_result else ""
        self.notify(
            f"Athena query {query_id} succeeded in {seconds:,.1f} s: scanned {human_bytes(scanned)}, "
            f"about ${cost:,.4f} at ${self.settings.price_per_tb:,.2f}/TB{reused}"
        )
        report = ScanReport(scanned_bytes=scanned, cost_usd=cost, query_ids=[query_id])
        if self.max_scan is not None and scanned > self.max_scan:
            raise EngineError(
                f"Athena query {query_id} scanned {human_bytes(scanned)}, past --max-scan "
                f"{self.settings.max_scan}; its results are not fetched",
                "narrow the window or the criteria, or raise --max-scan",
            )
        columns = [d[0] for d in cursor.description or []]
        rows: Any = cursor.fetchall() if self.fetch == "api" else _stream(cursor)
        return Result(columns, rows, report)

    def s3_client(self) -> Any:
        """An S3 client of the engine's session (its credentials and region), for the trail bucket."""
        from toolkit.aws_config import client_config, watched

        connection = self._connect()
        return watched(
            connection.session.client("s3", region_name=connection.region_name, config=client_config())
        )

    def _records(self, url: str) -> list[dict[str, Any]]:
        """The records of one log file in S3 (read only)."""
        bucket, _, key = url.removeprefix("s3://").partition("/")
        client = self.s3_client()
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            text = gzip.decompress(body) if key.endswith(".gz") else body
            return list(json.loads(text).get("Records", []))
        except Exception as error:
            raise EngineError(
                f"cannot read {url}: {error}", "check your read access to the trail bucket"
            ) from None


def _stream(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while True:
        batch = cursor.fetchmany(10_000)
        if not batch:
            return
        yield from batch


def aws_error(error: BaseException, service: str = "Athena") -> BaseException:
    """botocore's errors as one-line trailcsi errors (`aws_config.error_for`)."""
    return aws_config.error_for(error, service)


def _query_error(error: BaseException, query_id: str | None) -> BaseException:
    """pyathena's and botocore's errors as one line, with the query id when there is one."""
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError):
        return aws_error(error)
    cause = error.__cause__ or error.__context__
    if isinstance(cause, botocore.exceptions.NoCredentialsError | botocore.exceptions.NoRegionError):
        return aws_error(cause)
    reason = first_line(str(error), type(error).__name__)
    where = f"Athena query {query_id}" if query_id else "Athena refused the query"
    if any(reason.startswith(code) for code in _USER_ERRORS):
        return UsageError(f"{where} failed: {reason}", "check the SQL (trailcsi ... --dry-run shows it)")
    if query_id is None:
        return EngineError(f"{where}: {reason}", "check the workgroup, output location and your permissions")
    return EngineError(f"{where} failed: {reason}")
