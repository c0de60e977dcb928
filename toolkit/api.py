"""The public API, for notebooks and scripts: what the command line does, as Python calls.

    import toolkit

    with toolkit.open_archive("./sample") as trail:            # a directory, or s3://bucket/prefix
        logins = trail.search(since="7d", event_name="ConsoleLogin", errors_only=True)
        print(len(logins), logins.columns)
        frame = pandas.DataFrame(logins.records())             # or pandas.DataFrame(logins.to_dict())
        created = trail.run("iam-user-created", since="30d")
        counts = trail.sql("SELECT eventname, count(*) AS n FROM trail GROUP BY 1", all_time=True)
        findings = trail.sweep(since="7d", min_severity="high")
        record = trail.event("a1b2...", since="7d")              # the original JSON record
    report = toolkit.verify("./sample", since="7d", public_keys="keys.json")
    toolkit.build_cache("./sample", since="30d")                # Parquet: later queries read it

`toolkit.open_athena()` opens the Athena table `trailcsi athena setup` made (its `trailcsi.toml`),
and the same methods run there. Windows are the CLI's: `since` ("7d", "36h"), `start` and `end`
(ISO 8601, UTC unless they carry an offset) or `all_time`; no window means the last 7 days.
Criteria are `Criteria`'s fields as keywords (`user`, `event_name`, `source_ip`, `region`, ...),
each a string or a list of strings (ORed within, ANDed across). Results are `Rows`. Errors are
`toolkit.errors.TrailcsiError` (a one-line `message` and a `hint`); nothing skipped is silent:
`Rows.skipped` lists the log files a query could not read, and why.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from toolkit.core.criteria import Criteria
from toolkit.core.finding import Finding
from toolkit.core.query import TrailQuery
from toolkit.core.window import Window
from toolkit.core.window import parse as parse_window
from toolkit.engines import Engine, Result, ScanReport, SkippedFile
from toolkit.errors import Interrupted, UsageError

P = ParamSpec("P")
R = TypeVar("R")

if TYPE_CHECKING:
    from toolkit.engines.caching import CacheBuild
    from toolkit.integrity.verify import VerifyReport

__all__ = ["Rows", "Trail", "build_cache", "open_archive", "open_athena", "verify"]

#: A window's start or end: ISO 8601 text (UTC unless it carries an offset), a date, or a datetime
#: (a naive one is UTC, as text without an offset is).
Moment = str | date | datetime


#: `since`: text such as "7d", "36h", "90m", or a timedelta (whole minutes).
Since = str | timedelta


def _interruptible(call: Callable[P, R]) -> Callable[P, R]:
    """A call that Ctrl-C stops as it stops any Python code: the engines turn the interrupt into
    `Interrupted` (the query cancelled, one line for the command line); here it is a
    KeyboardInterrupt again, which `except Exception` in a script does not swallow."""

    @functools.wraps(call)
    def interruptible(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except Interrupted as stopped:
            raise KeyboardInterrupt(stopped.message) from None

    return interruptible


@dataclass
class Rows:
    """A query's result: column names, rows as tuples (in the query's order), and what was read."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    #: Log files the query could not read (corrupt, not CloudTrail, ...), with why: never silent.
    skipped: list[SkippedFile] = field(default_factory=list)
    #: How many log files the window selected, and how many of them were read.
    files_selected: int = 0
    files_read: int = 0
    #: What else the query's reading said: days read from the columnar cache, entries of the
    #: archive passed over, keys of an s3:// source refused.
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row (`pandas.DataFrame(rows.records())`)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_dict(self) -> dict[str, list[Any]]:
        """Column name → its values, in row order (`pandas.DataFrame(rows.to_dict())`)."""
        return {name: [row[at] for row in self.rows] for at, name in enumerate(self.columns)}


class Trail:
    """An open trail: a local archive (DuckDB) or the Athena table. Close it, or use `with`."""

    def __init__(self, engine: Engine, source: str) -> None:
        self._engine = engine
        self.source = source

    def __repr__(self) -> str:
        return f"Trail({self.source!r})"

    def __enter__(self) -> Trail:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.close()

    @_interruptible
    def search(
        self,
        *,
        since: Since | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        all_time: bool = False,
        columns: Sequence[str] | None = None,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        **criteria: Any,
    ) -> Rows:
        """The events matching `criteria` in the window, oldest first (or by `sort`: "column" or
        "column:desc"), every column unless `columns` names some (paths such as useridentity.arn)."""
        from toolkit.core import ordering, search

        chosen = search.parse_columns(",".join(columns)) if columns is not None else None
        keys = ordering.parse([sort] if isinstance(sort, str) else list(sort or []))
        window = _window(since, start, end, all_time)
        return self._rows(search.build(_criteria(criteria), window, chosen, limit, keys))

    @_interruptible
    def sql(
        self,
        query: str,
        *,
        since: Since | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        all_time: bool = False,
        **criteria: Any,
    ) -> Rows:
        """One read-only Athena (Trino) SELECT over the table `trail`, limited to the window and
        criteria; on a local archive it runs on DuckDB with Trino's semantics."""
        window = _window(since, start, end, all_time)
        return self._rows(TrailQuery.parse(query, window, _criteria(criteria)))

    @_interruptible
    def run(
        self,
        template: str,
        params: dict[str, Any] | None = None,
        *,
        since: Since | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        all_time: bool = False,
        queries: str | os.PathLike[str] | None = None,
        **criteria: Any,
    ) -> Rows:
        """An investigation template or detection (built-in, the user's, or of the folder `queries`), its
        parameters by name (`trailcsi queries show NAME` lists them)."""
        from toolkit.templates.catalog import Catalog
        from toolkit.templates.render import render

        chosen = Catalog.load([Path(queries)] if queries is not None else None).get(template)
        misplaced = sorted(
            set(criteria) & {p.name for p in chosen.params} - set(Criteria.__dataclass_fields__)
        )
        if misplaced:
            raise UsageError(
                f"{misplaced[0]!r} is a parameter of {template}, not a criterion",
                f"pass parameters in a dict: run({template!r}, {{{misplaced[0]!r}: ...}})",
            )
        values = {name: str(value) for name, value in (params or {}).items()}
        window = _window(since, start, end, all_time)
        return self._rows(render(chosen, values, window, _criteria(criteria)))

    @_interruptible
    def sweep(
        self,
        *,
        since: Since | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        all_time: bool = False,
        tag: str | None = None,
        min_severity: str | None = None,
        queries: str | os.PathLike[str] | None = None,
        **criteria: Any,
    ) -> list[Finding]:
        """Every detection over the window: findings severest first, then oldest first. The
        suppressions of trailcsi.toml apply (`trailcsi sweep --show-suppressed` lists them)."""
        from toolkit import config
        from toolkit.templates import sweep as sweep_module
        from toolkit.templates.catalog import Catalog

        least = sweep_module.severity(min_severity, "min_severity")
        catalog = Catalog.load([Path(queries)] if queries is not None else None)
        window = _window(since, start, end, all_time)
        found = sweep_module.run(
            self._engine, catalog, window, _criteria(criteria), tag, config.load().suppressions
        )
        return sweep_module.shown(found, least).findings

    @_interruptible
    def event(
        self,
        event_id: str,
        *,
        since: Since | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        all_time: bool = False,
    ) -> dict[str, Any] | None:
        """The original JSON record of one event (every key, as written), or None if the window
        holds none (more than one copy, as CloudTrail sometimes delivers: the first)."""
        from toolkit.core import search

        query = search.build(Criteria(), _window(since, start, end, all_time))
        records, _report = self._engine.find_event(query, event_id)
        return records[0] if records else None

    def _rows(self, query: TrailQuery) -> Rows:
        result = self._engine.run(query)
        report = result.report
        return Rows(
            list(result.columns),
            list(result.rows),
            list(report.skipped),
            report.files_selected,
            report.files_read,
            list(report.notes),
        )


def open_archive(source: str | os.PathLike[str], *, cache: bool = True, strict: bool = False) -> Trail:
    """A trail archive: a directory holding `AWSLogs/` (its columnar cache used when built, unless
    `cache=False`), or `s3://bucket/prefix` (each query's log files fetched into the local S3
    cache first). `strict` makes a bad log file an error instead of a skipped file."""
    text = os.fspath(source)
    if text.startswith("s3://"):
        return Trail(_S3Engine(text, strict=strict), text)
    from toolkit.engines.local import LocalEngine

    columnar = None
    if cache:
        from toolkit.cache.columnar import ColumnarCache

        columnar = ColumnarCache(text)
        columnar = columnar if columnar.dir.is_dir() else None
    return Trail(LocalEngine(text, strict=strict, cache=columnar), text)


def open_athena(config_file: str | os.PathLike[str] | None = None, **settings: Any) -> Trail:
    """The Athena table of `trailcsi.toml` (`trailcsi athena setup` writes it; found as the CLI
    finds it, or `config_file`), `settings` overriding its `[athena]` keys (database, table,
    workgroup, output_location, region, profile, ...)."""
    import dataclasses

    from toolkit import aws_config, config
    from toolkit.engines.athena import AthenaEngine

    chosen = dataclasses.replace(config.load(config_file).athena, **settings)
    session = aws_config.session(chosen.profile, chosen.region)  # (a one-line UsageError for a bad profile)
    return Trail(AthenaEngine(chosen, session=session), f"athena:{chosen.database}.{chosen.table}")


@_interruptible
def verify(
    source: str | os.PathLike[str],
    *,
    since: Since | None = None,
    start: Moment | None = None,
    end: Moment | None = None,
    all_time: bool = False,
    public_keys: str | os.PathLike[str] | None = None,
    signatures: str | os.PathLike[str] | None = None,
) -> VerifyReport:
    """Check the digest chains and log-file hashes of a local archive over the window: a
    `VerifyReport` (`.passed()`: every digest and log file checked is valid, and the window has
    digests; `.ok()`: nothing checked failed, true of an empty window too; `.problems()`,
    `.as_dict()`, `.chain_rows()`). `public_keys` is a file of CloudTrail's
    public keys (`trailcsi verify --help` says how to get them); `signatures` the digests' S3
    signatures."""
    from toolkit.integrity import verify as verify_module
    from toolkit.integrity.publickeys import PublicKeys

    if public_keys is None:
        raise UsageError(
            "verify needs CloudTrail's public keys", "give public_keys=FILE (trailcsi verify --help)"
        )
    keys = PublicKeys.load(Path(public_keys))
    signed = verify_module.load_signatures(Path(signatures)) if signatures is not None else {}
    window = _window(since, start, end, all_time)
    return verify_module.verify(Path(source), window, keys, signatures=signed)


@_interruptible
def build_cache(
    source: str | os.PathLike[str],
    *,
    since: Since | None = None,
    start: Moment | None = None,
    end: Moment | None = None,
    all_time: bool = False,
    account: str | Sequence[str] = (),
    region: str | Sequence[str] = (),
    strict: bool = False,
) -> CacheBuild:
    """Convert a local archive's day folders in the window to the columnar cache (Parquet), which
    `open_archive` then reads instead of the raw files: a `CacheBuild` (`.report`: days built,
    reused, skipped files; `.passed_over`: entries not read; `.lines()`: what `trailcsi cache
    build` says). Days already converted and unchanged are kept. `account` and `region` narrow it
    as the criteria of the same names do (a string or a list)."""
    from toolkit.engines.caching import build_cache as build

    if str(source).startswith("s3://"):
        raise UsageError(
            "build_cache takes a local archive", "an s3:// source's copy is cached by the command line"
        )
    window = _window(since, start, end, all_time)
    accounts = [account] if isinstance(account, str) else list(account)
    regions = [region] if isinstance(region, str) else list(region)
    return build(Path(source), window, accounts, regions, strict=strict)


class _S3Engine:
    """A local engine over the log files of `s3://...` a query's window needs, fetched first."""

    dialect = "duckdb"

    def __init__(self, url: str, *, strict: bool) -> None:
        self.url = url
        self.strict = strict
        self._engines: list[Any] = []
        self.notes: list[str] = []  # what fetching the last query's files said

    def _local(self, query: TrailQuery) -> Any:
        from toolkit import aws_config
        from toolkit.engines.local import LocalEngine
        from toolkit.sources import s3source

        accounts, regions = query.criteria.partitions() if query.criteria else ([], [])
        warnings: list[str] = []
        with aws_config.s3_errors(self.url, "check the address and your read access"):
            directory, done = s3source.sync(
                aws_config.watched(aws_config.client(aws_config.session(), "s3")),
                self.url,
                query.window,
                accounts,
                regions,
                warn=warnings.append,
            )
        refused = done.refused_note(self.url)
        self.notes = warnings + ([refused] if refused else [])  # said with the query's result
        engine = LocalEngine(str(directory), strict=self.strict)
        self._engines.append(engine)
        return engine

    def run(self, query: TrailQuery) -> Result:
        result: Result = self._local(query).run(query)
        result.report.notes[:0] = self.notes  # keys refused or not fetched: never dropped in silence
        return result

    def render(self, query: TrailQuery, files_shown: int | None = None) -> str:
        return str(self._local(query).render(query, files_shown))

    def find_event(self, query: TrailQuery, event_id: str) -> tuple[list[dict[str, Any]], ScanReport]:
        found: tuple[list[dict[str, Any]], ScanReport] = self._local(query).find_event(query, event_id)
        return found

    def cancel(self) -> None:
        for engine in self._engines:
            engine.cancel()

    def close(self) -> None:
        for engine in self._engines:
            engine.close()
        self._engines.clear()


def _window(since: Since | None, start: Moment | None, end: Moment | None, all_time: bool) -> Window:
    return parse_window(
        since=_duration(since), start=_moment(start, "start"), end=_moment(end, "end"), all_time=all_time
    )


def _duration(since: Since | None) -> str | None:
    if since is None or isinstance(since, str):
        return since
    if isinstance(since, timedelta) and since > timedelta(0) and since % timedelta(minutes=1) == timedelta(0):
        return f"{since // timedelta(minutes=1)}m"
    raise UsageError(
        f"since={since!r} is not a duration",
        'give text such as "7d", "36h", "90m", or a timedelta of whole minutes',
    )


def _moment(value: Moment | None, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):  # (a datetime is a date)
        return value.isoformat()
    raise UsageError(
        f"{name}={value!r} is not a time", "give ISO 8601 text (2024-08-02T08:00Z), a date or a datetime"
    )


def _criteria(given: dict[str, Any]) -> Criteria:
    """`Criteria` from keywords: a string is a list of one; flags (read_only, ...) stay booleans."""
    known = {f for f in Criteria.__dataclass_fields__}
    unknown = sorted(set(given) - known)
    if unknown:
        from toolkit.core.schema import suggest

        guess = suggest(unknown[0], sorted(known))
        hint = f"did you mean {guess!r}?" if guess else f"criteria: {', '.join(sorted(known))}"
        raise UsageError(f"unknown criterion {unknown[0]!r}", hint)
    values: dict[str, Any] = {k: [v] if isinstance(v, str) else v for k, v in given.items()}
    return Criteria(**values)
