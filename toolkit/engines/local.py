"""The local engine: DuckDB over a directory of CloudTrail log files (the embedded default).

Only the files of the window's days and the criteria's accounts/regions are opened. The `trail`
relation is built per query from DuckDB's JSON reader with just the columns the query needs
(CloudTrail's camelCase keys in, Athena's lowercase names out). A file DuckDB cannot read is
skipped and reported, unless `strict`; the query is then rerun without it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import wait
from contextlib import contextmanager
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from toolkit import leftovers
from toolkit.cache import columnar
from toolkit.core import ipaddresses, schema, transpile
from toolkit.core.query import TrailQuery
from toolkit.engines import ProgressCallback, Result, ScanReport, SkippedFile, records_with_id
from toolkit.errors import (
    EngineError,
    Interrupted,
    RefusedWhileStreaming,
    SourceError,
    TrailcsiError,
    UsageError,
    first_line,
)
from toolkit.sources import archive, checked, layout
from toolkit.sources.bundles import FILE_KEY, LOG_KEY, Bundle, Bundler
from toolkit.threads import threads_to_use

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from toolkit.core.window import Window

SOURCE_VIEW = "trail_source"
#: Files read together while every file is probed after a first refusal (`_probe`).
PROBE_GROUP = 64
# Times one query is run again because a cache build committed the months it was reading.
MAX_CACHE_RACES = 8
#: Rows fetched at a time when results stream (an export of any size holds one batch).
STREAM_BATCH = 10_000
PINNED_TABLE = "trail_pinned"
#: Largest scope (uncompressed JSON) `pinned` copies into memory; DuckDB spills past its memory limit.
PIN_BUDGET_BYTES = 2 << 30
#: DuckDB's JSON reader needs a buffer as large as the largest file (one JSON object each); it is
#: sized from the files' gzip trailers, since an oversized buffer slows every file down.
MIN_OBJECT_BYTES = 1 << 20
MAX_OBJECT_BYTES = 1 << 31

_PARTITION_SQL = layout.duckdb_partitions("filename")
#: The column by which a conversion of several days writes a file a day (`write_parquet`).
_DAY_PART = "trailcsi_day"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal_path(path: str) -> str:
    """A path as a DuckDB file pattern matching that one file: DuckDB expands `*`, `?` and `[...]`
    in every path it reads, so each is put in a character class of its own (`[*]`, `[?]`, `[[]`)."""
    return re.sub(r"([*?\[])", r"[\1]", path)


def object_size_for(largest: int) -> int:
    """The reader buffer for files of at most `largest` bytes: a power of two with headroom."""
    size = MIN_OBJECT_BYTES
    while size < largest + 4096 and size < MAX_OBJECT_BYTES:
        size *= 2
    return size


def reader_sql(
    paths: list[str], record_type: str, object_bytes: int = 16 << 20, bundles: Sequence[Bundle] = ()
) -> str:
    """DuckDB's JSON reader over `paths`: one row per file with `Records` and `filename`.

    Keys are matched without regard to case, as Athena's JSON SerDe and Trino's JSON reader match
    them (`eventtime` fills `eventTime`); a key given twice, in one case or two, fails the read
    naming its file. The compression is given, not guessed from the name: DuckDB reads a `?` in a
    path as the start of a URL query and would then miss the `.gz`. `bundles` hold other small
    log files with their names (`toolkit.sources.bundles`), read as the files themselves are.

    Errors are not ignored: an item of `Records` that is not an object (a number, a string, an
    array) fails the read naming its file, and a `null` item fails it by the guard below, so such
    a file is skipped and reported rather than read as an event whose every column is NULL. (Every scalar column is
    read as text, so a value of another JSON type is never an error; nested columns are read as
    JSON, or as their types by the exact reader: see `source_sql`.)
    """
    if not paths and not bundles:
        return f"(SELECT CAST(NULL AS {record_type}) AS Records, '' AS filename WHERE false)"
    readers = []
    for compression, group in (
        ("gzip", [p for p in paths if p.endswith(".gz")]),
        ("none", [p for p in paths if not p.endswith(".gz")]),
    ):
        if group:
            readers.append(
                f"read_json([{', '.join(_quote(_literal_path(p)) for p in group)}], "
                f"columns={{'Records': {_quote(record_type)}}}, format='unstructured', records=true, "
                f"filename=true, compression='{compression}', case_insensitive_keys=true, "
                f"maximum_object_size={object_bytes})"
            )
    selects = [f"SELECT Records, filename FROM {r}" for r in readers]
    if bundles:
        log_type = f'STRUCT("Records" {record_type})'
        selects.append(
            f"SELECT {LOG_KEY}.Records AS Records, {FILE_KEY} AS filename "
            f"FROM read_json([{', '.join(_quote(_literal_path(b.path)) for b in bundles)}], "
            f"columns={{'{FILE_KEY}': 'VARCHAR', '{LOG_KEY}': {_quote(log_type)}}}, format='unstructured', "
            "records=true, compression='gzip', case_insensitive_keys=true, "
            f"maximum_object_size={object_size_for(max(b.largest for b in bundles))})"
        )
    return "(SELECT Records, filename FROM (" + " UNION ALL ".join(selects) + f") WHERE {_NULL_ITEM_GUARD})"


#: Fails the read, naming the file, when an item of its `Records` is JSON `null` (checked once
#: per file, before the records are unnested).
_NULL_ITEM_GUARD = (
    'CASE WHEN len(Records) <> list_count(Records) THEN error(\'an item of "Records" is null '
    "(not an event object) in file \"' || filename || '\"') ELSE true END"
)
#: The error by which a record whose nested field the fast reading may read otherwise than
#: Athena names its file, to be read again by the exact reader (`source_sql`).
EXACT_READ = "trailcsi: read exactly the file"
#: DuckDB's whole message for it: the file's name (any character, a line break too) in quotes.
_EXACT_CALL = f'Invalid Input Error: {EXACT_READ} "'


def _records_of(reader: str, partitions: str, keep_filename: bool = True) -> str:
    named = ", filename" if keep_filename else ""
    return f"(SELECT unnest(Records) AS r, {partitions}{named} FROM {reader})"


def source_sql(
    paths: list[str],
    columns: list[str],
    object_bytes: int = 16 << 20,
    *,
    with_filename: bool = False,
    exact: frozenset[str] | set[str] = frozenset(),
    bundles: Sequence[Bundle] = (),
) -> str:
    """A DuckDB SELECT giving `trail`'s `columns` (event and partition) from these log files.

    Three layers: the reader unnests records; nested fields, read as JSON, are cast once to
    their CloudTrail-keyed struct type (`TRY_CAST`); the outer layer renames members to the
    Athena names. The cast matches keys in one case only and reads a string where an object is
    due as an empty one: a record whose nested field it may read otherwise than Athena (a key
    in another case, a value of another JSON type, `_fast_reading_differs`) fails the read with
    `EXACT_READ` naming its file, which the engine then names in `exact`: those files are read
    by DuckDB's reader with the nested types themselves, which matches keys without case and
    refuses a value of another type, naming the file (slower: twice the time of a nested column).
    """
    fields = [schema.BY_NAME[c] for c in columns if c in schema.BY_NAME] or [schema.BY_NAME["eventid"]]
    exposed = [f"{f.duckdb_expose(schema.quote_identifier(f.key))} AS {f.name}" for f in fields]
    partitions = ", ".join(f"{sql} AS {name}" for name, sql in _PARTITION_SQL.items())
    keep = ", ".join(schema.PARTITION_COLUMNS)
    if with_filename:  # the file each record came from, as a last column `filename`
        keep = f"{keep}, filename"
    fast_paths = [p for p in paths if p not in exact]
    exact_paths = [p for p in paths if p in exact]
    typed = [f"{_typed(f)} AS {schema.quote_identifier(f.key)}" for f in fields]
    parts = []
    if fast_paths or bundles or not exact_paths:
        reader = reader_sql(fast_paths, _record_type(fields), object_bytes, bundles)
        parts.append(f"SELECT {', '.join(typed)}, {keep} FROM {_records_of(reader, partitions)}")
    if exact_paths:
        reader = reader_sql(exact_paths, _record_type(fields, exact=True), object_bytes)
        read = [f"r.{schema.quote_identifier(f.key)} AS {schema.quote_identifier(f.key)}" for f in fields]
        parts.append(f"SELECT {', '.join(read)}, {keep} FROM {_records_of(reader, partitions)}")
    # unnest in the select list, not a lateral join: DuckDB plans the join form far slower.
    return f"SELECT {', '.join(exposed)}, {keep}\nFROM ({' UNION ALL '.join(parts)})"


def _parquet_sql(
    paths: list[str],
    columns: list[str],
    window: Window,
    days: tuple[str, str],
    exclude: dict[tuple[str, str], list[str]],
) -> str:
    """Cached days as `trail` rows: the same typing and renaming layers as raw files, over Parquet
    columns that hold what the JSON reader produced, pruned by delivery time exactly as raw files are.

    `days` (first, last, as the `day` column holds them) lets the reader skip other days' row
    groups by their statistics; `exclude` names days in that range, per account and region, that
    are not to be read from the cache (changed since they were cached, or not wanted).
    """
    fields = [schema.BY_NAME[c] for c in columns if c in schema.BY_NAME] or [schema.BY_NAME["eventid"]]
    typed = [
        f"{_cast(f, schema.quote_identifier(f.key))} AS {schema.quote_identifier(f.key)}" for f in fields
    ]
    exposed = [f"{f.duckdb_expose(schema.quote_identifier(f.key))} AS {f.name}" for f in fields]
    keep = ", ".join(schema.PARTITION_COLUMNS)
    earliest, latest = window.delivery_span()
    delivered = []
    if earliest is not None:
        delivered.append(f"{columnar.DELIVERED} + INTERVAL 1 MINUTE > {_timestamp(earliest)}")
    if latest is not None:
        delivered.append(f"{columnar.DELIVERED} <= {_timestamp(latest)}")
    conditions = [f"day BETWEEN {_quote(days[0])} AND {_quote(days[1])}"]
    if delivered:
        conditions.append(f"({columnar.DELIVERED} IS NULL OR ({' AND '.join(delivered)}))")
    for (account, region), listed in sorted(exclude.items()):
        conditions.append(
            f"NOT (account = {_quote(account)} AND region = {_quote(region)} "
            f"AND day IN ({', '.join(_quote(d) for d in listed)}))"
        )
    files = ", ".join(_quote(_literal_path(p)) for p in paths)
    return (
        f"SELECT {', '.join(exposed)}, {keep}\n"
        f"FROM (SELECT {', '.join(typed)}, {keep}\n"
        f"      FROM read_parquet([{files}], hive_partitioning = false)\n"
        f"      WHERE {' AND '.join(conditions)})"
    )


def parquet_build_sql(
    paths: list[str],
    object_bytes: int,
    exact: frozenset[str] | set[str] = frozenset(),
    bundles: Sequence[Bundle] = (),
) -> str:
    """Every record of these log files as the JSON reader gives it (nested fields as JSON text,
    columns named by CloudTrail's keys), with the partition columns and `_delivered`. A record
    the fast reading may read otherwise than Athena fails it naming its file (see `source_sql`);
    the files in `exact` are read by the exact reader, their nested fields written as the JSON
    of what it read (CloudTrail's keys), so that the cache reads them as the raw files are read."""
    fields = list(schema.EVENT_COLUMNS)
    partitions = ", ".join(f"{sql} AS {name}" for name, sql in _PARTITION_SQL.items())
    stamp = r"regexp_extract(filename, '_CloudTrail_[^_/]+_(\d{8}T\d{4})Z_[^/]*$', 1)"
    delivered = f"CAST(try_strptime({stamp}, '%Y%m%dT%H%M') AS TIMESTAMP)"
    fast_paths = [p for p in paths if p not in exact]
    exact_paths = [p for p in paths if p in exact]
    parts = []
    if fast_paths or bundles or not exact_paths:
        keys = ", ".join(
            f"{_checked(f, 'r.' + schema.quote_identifier(f.key))} AS {schema.quote_identifier(f.key)}"
            for f in fields
        )
        reader = reader_sql(fast_paths, _record_type(fields), object_bytes, bundles)
        parts.append(f"SELECT {keys}, account, region, day, filename FROM {_records_of(reader, partitions)}")
    if exact_paths:
        keys = ", ".join(
            (
                f"CAST(to_json(r.{schema.quote_identifier(f.key)}) AS JSON)"
                if _nested(f)
                else f"r.{schema.quote_identifier(f.key)}"
            )
            + f" AS {schema.quote_identifier(f.key)}"
            for f in fields
        )
        reader = reader_sql(exact_paths, _record_type(fields, exact=True), object_bytes)
        parts.append(f"SELECT {keys}, account, region, day, filename FROM {_records_of(reader, partitions)}")
    named = ", ".join(schema.quote_identifier(f.key) for f in fields)
    return (
        f"SELECT {named}, account, region, day, {delivered} AS {columnar.DELIVERED}\n"
        f"FROM ({' UNION ALL '.join(parts)})"
    )


def _timestamp(moment: Any) -> str:
    return f"TIMESTAMP '{moment.astimezone(UTC).replace(tzinfo=None):%Y-%m-%d %H:%M:%S}'"


def _nested(field: schema.Field) -> bool:
    return field.kind in ("struct", "array", "map")


def _record_type(fields: list[schema.Field], exact: bool = False) -> str:
    """The type of `Records` the reader is given: nested fields as JSON, then cast (DuckDB's JSON
    reader pays per file for every nested type it builds; JSON then a cast is faster on small
    files and large ones alike, benchmarked in benchmarks/scan.py's archive), or, `exact`, as
    their types, which the reader fills matching keys without case."""
    members = ", ".join(
        f"{schema.quote_identifier(f.key)} " + (f.duckdb_read_type() if exact or not _nested(f) else "JSON")
        for f in fields
    )
    return f"STRUCT({members})[]"


def _cast(field: schema.Field, value: str) -> str:
    return f"TRY_CAST({value} AS {field.duckdb_read_type()})" if _nested(field) else value


def _checked(field: schema.Field, value: str) -> str:
    """A nested field read as JSON, or the read failed naming the record's file where its cast
    may read it otherwise than Athena (`EXACT_READ`)."""
    differs = _fast_reading_differs(field, value)
    if differs is None:
        return value
    return f"CASE WHEN {differs} THEN error('{EXACT_READ} \"' || filename || '\"') ELSE {value} END"


def _typed(field: schema.Field) -> str:
    value = f"r.{schema.quote_identifier(field.key)}"
    return _cast(field, _checked(field, value))


#: An array of objects (or nulls) whose members hold no object or array: as the fast reading
#: reads `resources` as Athena does (a string item, say, is read as an object of NULLs).
_FLAT_OBJECTS = r"^\[((null|\{[^{}\[\]]*\})(,(null|\{[^{}\[\]]*\}))*)?\]$"


def _fast_reading_differs(field: schema.Field, value: str) -> str | None:
    """A DuckDB condition true for a nested field's compact JSON text (as the reader writes it)
    that TRY_CAST may read otherwise than Athena: a key of its members spelt in another case
    (Athena matches keys without case), a key given twice in one object (Trino keeps the last,
    TRY_CAST the first; the exact reader refuses the file as a top-level key given twice is
    refused, Athena's SerDe documenting that it refuses duplicate keys), an object member
    holding another JSON type (Athena fails the query), a struct that is no object, an array
    holding other than objects. False
    for the fields CloudTrail writes; it may be true of some Athena reads alike (a key in a
    map, an array in an item): those files are read exactly, a little slower. None for a
    field that is not nested."""
    if field.kind not in ("struct", "array"):
        return None
    members = schema.members(field)
    spelt = sorted({m.key for m in members})
    variants = [branch for key in spelt for branch in _other_case(key)]
    pattern = '"(?:' + "|".join(variants) + ')":'
    objects = sorted({m.key.lower() for m in members if m.kind in ("struct", "map")})
    if objects:
        pattern += '|"(?i:' + "|".join(objects) + ')":[^{n]'
    pattern += "|" + _given_twice(spelt)
    shape = (
        f"NOT regexp_full_match({value}, '{_FLAT_OBJECTS}')"
        if field.kind == "array"
        else f"NOT starts_with({value}, '{{')"
    )
    # deeper than `_given_twice` sees (a crafted file: CloudTrail's nest three deep at most)
    shape += f" OR NOT regexp_full_match({value}, '{_NESTED_AT_MOST}')"
    return f"({value} IS NOT NULL AND ({shape} OR regexp_matches({value}, '{pattern}')))"


#: How deep the objects and arrays between a key and its repetition in one object may nest for
#: `_given_twice` to see it (CloudTrail's nested fields nest three deep at most).
_TWICE_DEPTH = 4


def _nesting_at_most(depth: int) -> str:
    """An RE2 pattern matching a string, a scalar's character, or a whole object or array whose
    objects and arrays nest at most `depth` deep, in compact JSON text (the reader wrote it)."""
    flat = r'"(?:[^"\\]|\\.)*"|[^"{}\[\]]'  # a string, or what is no string, object or array
    level = f"(?:{flat})"
    for _ in range(depth):
        level = f"(?:{flat}|[{{\\[]{level}*[}}\\]])"
    return level


def _given_twice(keys: list[str]) -> str:
    """An RE2 pattern matching compact JSON text in which one object holds one of `keys` twice,
    spelt alike: the key, then strings, scalars and whole objects and arrays (up to
    `_TWICE_DEPTH` deep), then the key again. (Spelt in two cases: `_other_case`.) A value nesting
    deeper than that around the key is read exactly (`_NESTED_AT_MOST`)."""
    level = _nesting_at_most(_TWICE_DEPTH)
    return "|".join(f'"{key}":{level}*"{key}":' for key in keys)


#: A nested field's whole text, when its objects and arrays nest no deeper than `_given_twice`
#: sees between a key's two copies in any of its objects (deeper: read exactly).
_NESTED_AT_MOST = _nesting_at_most(_TWICE_DEPTH + 1) + "*"


def _other_case(key: str) -> list[str]:
    """RE2 patterns that together match `key` spelt in any other case, and never `key` itself."""
    assert key.isascii() and key.isalnum(), key  # CloudTrail's keys: nothing to escape
    branches = []
    for at, char in enumerate(key):
        if char.lower() != char.upper():
            rest = key[at + 1 :]
            branches.append(key[:at] + char.swapcase() + (f"(?i:{rest})" if rest else ""))
    return branches


class LocalEngine:
    """Run `trail` queries with DuckDB over log files in CloudTrail's layout under `source`."""

    dialect = "duckdb"

    def __init__(
        self,
        source: str | os.PathLike[str] | archive.Archive,
        *,
        strict: bool = False,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
        cache: columnar.ColumnarCache | None = None,
        stream: bool = False,
    ) -> None:
        # DuckDB is given paths as UTF-8 text: its scratch folder and the cache's must be (the
        # archive's, `archive.scan` checks)
        archive.require_utf8(
            tempfile.gettempdir(), "the temporary folder", "set TMPDIR to a folder whose path is UTF-8"
        )
        if cache is not None:
            archive.require_utf8(
                cache.dir,
                "the columnar cache's folder",
                f"{archive.SET_CACHE_HOME}, or query with --no-cache",
            )
        self._threads = threads or threads_to_use()
        opener = _Opener(self._threads)  # DuckDB starts up (~30 ms) while the archive is listed
        try:
            self.archive = source if isinstance(source, archive.Archive) else archive.scan(source)
        except BaseException:
            opener.connection().close()
            raise
        self._con = opener.connection()
        self.cache = cache  # days it holds (unchanged since) are read from Parquet
        self._days: dict[columnar.DayKey, list[archive.LogFile]] | None = None
        self._covered: dict[columnar.DayKey, columnar.DayEntry | None] = {}  # day -> manifest entry
        # month -> (its manifest file's version, the manifest)
        self._manifests: dict[columnar.MonthKey, tuple[Any, columnar.MonthManifest | None]] = {}
        self.strict = strict
        self.progress = progress
        self._pinned: tuple[tuple[Any, Any], ScanReport] | None = None  # see pinned()
        self.pin_budget = PIN_BUDGET_BYTES
        self._bad: dict[str, str] = {}  # path -> why it cannot be read
        #: Files (as DuckDB opens them) read by the exact reader: a record in them may be read
        #: otherwise than Athena by the fast one (see `source_sql`).
        self._exact: set[str] = set()
        self._stand_ins: dict[str, str] = {}  # path -> the copy DuckDB reads instead
        #: `run` gives its rows as an iterator read in batches (an export), not a list.
        self.stream = stream
        # Refusals that hold only for queries reading the same columns (see `_refuse`).
        self._refused: dict[tuple[str, ...], dict[str, str]] = {}
        self._streaming = False  # set by run for the one statement whose rows it returns
        # The files being read, as DuckDB opens them, the buffer, the report and the columns read.
        self._reading: tuple[list[str], list[str], int, ScanReport, list[str] | None, list[Bundle]] = (
            [],
            [],
            0,
            ScanReport(),
            None,
            [],
        )
        self._months_read: list[columnar.MonthKey] = []  # the cache's month files the query reads
        self._races = 0  # reruns of the current query after a build replaced what it read
        self._checked: set[str] = set()  # files checked whole (see archive.inspect)
        self._checking: dict[str, Future[archive.Inspection]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._ledger: checked.Ledger | None = None  # outcomes of earlier runs' checks
        self._identities: dict[str, checked.Identity] = {}
        self._sizes: dict[str, int] = {}  # path -> uncompressed bytes
        self._con.execute("SET TimeZone = 'UTC'")
        # The macros that give Trino's semantics: each created before the first statement calling it.
        self._macros: set[str] = set()
        # DuckDB computes progress for its own bar once a query passes two seconds; with gzip
        # inputs that once failed a query ("GetProgress is not implemented for this file
        # handle"). trailcsi shows its own progress, so DuckDB's is switched off.
        self._con.execute("SET enable_progress_bar = false")
        # The columnar cache's footers: read once per connection, not once per statement.
        self._con.execute("SET parquet_metadata_cache = true")
        self._scratch = tempfile.mkdtemp(prefix="trailcsi-duckdb-")  # where a pinned table may spill
        leftovers.add(self._scratch)  # (removed by `close`, or by a forced stop)
        self._con.execute(f"SET temp_directory = {_quote(self._scratch)}")
        self._locked = False
        #: Small log files are read in bundles (`toolkit.sources.bundles`): off, one by one.
        self.bundle_small_files = True
        self._bundler = Bundler(os.path.join(self._scratch, "bundles"))

    def _lock(self, keep_order: bool = True) -> None:
        """Before the first query of a user's SQL: DuckDB may touch only the archive, the cache and
        its scratch directory, loads no extension, and its configuration cannot be changed again.

        The query check (`toolkit.core.query`) already lets a query name `trail` alone; this is the
        second wall, in case a way around the first is ever found.
        """
        if self._locked:
            return
        allowed = [str(Path(self.archive.root).expanduser().resolve()), self._scratch]
        if self.cache is not None:
            allowed.append(str(self.cache.dir))
        # DuckDB checks the pattern it is given as well as the files it finds: both forms.
        allowed += [_literal_path(d) for d in allowed if _literal_path(d) != d]
        listed = ", ".join(_quote(d) for d in allowed)
        # A sweep (rows in any order) runs the project's own detections, measured: DuckDB's
        # choice of which side of a hash join to build from put the whole scope (every column a
        # detection shows) into the table of `x IN (SELECT ...)` (`activity-in-unused-region`:
        # 0.62 GB at 1.27 M events, against 0.11 GB as written, and 5 times slower).
        joins = [] if keep_order else ["SET disabled_optimizers = 'build_side_probe_side'"]
        for statement in (
            *joins,
            f"SET allowed_directories = [{listed}]",
            "SET enable_external_access = false",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET allow_community_extensions = false",
            f"SET preserve_insertion_order = {str(keep_order).lower()}",
            "SET lock_configuration = true",
        ):
            self._con.execute(statement)
        self._locked = True

    # -- the engine interface -------------------------------------------------------------

    def run(self, query: TrailQuery) -> Result:
        self._lock()
        if self._pinned is not None and self._pinned[0] == (query.window, query.criteria):
            report = self._pinned[1]
            bound = query.bind(exp.to_table(PINNED_TABLE))
            # Read the Parquet file again for each use of `trail` rather than let DuckDB hold all
            # of its columns in memory for a query naming `trail` twice (0.6 GB more at 1.3 M events).
            bound.args["with_"].expressions[0].set("materialized", False)
            sql = transpile.to_duckdb(bound)
            names, rows = self._execute(sql, report.files_read)
            return Result(names, rows, report)
        paths, report = self._files(query, wait=False)
        paths, cached = self._from_cache(query, paths, report)
        columns = query.columns_needed()
        sql = self._query_sql(query)

        def statements(readable: list[str], object_bytes: int, bundles: list[Bundle]) -> list[str]:
            view = (
                source_sql(readable, columns, object_bytes, exact=self._exact, bundles=bundles)
                if readable or bundles or not cached
                else None
            )
            both = " UNION ALL BY NAME ".join(f"({v})" for v in (view, cached) if v)
            return [f"CREATE OR REPLACE TEMP VIEW {SOURCE_VIEW} AS {both}", sql]

        try:
            self._streaming = self.stream
            names, rows = self._run_reading(paths, report, statements, columns)
        except TrailcsiError as error:
            if isinstance(error, Interrupted):  # Ctrl-C: stop, whatever else happened
                self._races = 0
                raise
            if self._await_checks() & set(paths):
                return self.run(query)  # a file the whole check refused was in the way
            if cached is None:
                raise
            if self._cache_moved():
                # A build or clear committed a month while the query ran (and removed the file
                # the old manifest named): not damage. Run again against the new manifests.
                self._races += 1
                if self._races > MAX_CACHE_RACES:
                    self._races = 0
                    raise SourceError(
                        "the columnar cache kept changing under the query (a build or clear is committing)",
                        "run the query again when it is done, or with --no-cache",
                    ) from None
                return self.run(query)
            # The month files passed their checks (size, time, footer) yet could not be read: a
            # corrupt page. Their days are read raw from now on, and the query runs again.
            self._races = 0
            self._distrust_cache(first_line(str(error)))
            return self.run(query)
        if self._await_checks() & set(paths):
            return self.run(query)  # read again without the files the whole check refused
        self._races = 0
        return Result(names, rows, report)

    def _cache_moved(self) -> bool:
        """Whether a build or clear replaced the manifest of a month the last query read."""
        assert self.cache is not None
        return any(self.cache.manifest_version(m) != self._manifests[m][0] for m in self._months_read)

    def _distrust_cache(self, reason: str) -> None:
        assert self.cache is not None
        for month in self._months_read:
            version = self._manifests[month][0]
            self._manifests[month] = (version, None)
            self.cache.problems[month] = f"its month file is corrupt ({reason})"
        self._covered.clear()

    def write_parquet(
        self, days: dict[columnar.DayKey, list[str]], targets: dict[columnar.DayKey, Path]
    ) -> dict[columnar.DayKey, tuple[int, list[tuple[str, str]]]]:
        """Convert each day's log files to one Parquet file at its target (none for a day without
        events), by one statement for all (`days` of one account and region); returns each day's
        (events, skipped files). See `parquet_build_sql` for what the files hold."""
        if len({key[:2] for key in days}) > 1:
            raise ValueError("days of one account and region are converted together")
        paths = [p for files in days.values() for p in files]
        report = ScanReport(files_selected=len(paths))
        # the checks first, as for a query: a file the cheap look finds bad is said in their words
        self._start_checks([p for p in paths if p not in self._bad])
        self._look([p for p in paths if p not in self._sizes and p not in self._bad])
        self._await_checks()
        readable = [p for p in paths if p not in self._bad]
        for path in paths:
            if path in self._bad:
                self._skip(report, path, self._bad[path])
        by_day = {f"{key[2]:%Y%m%d}": key for key in days}
        folder = Path(tempfile.mkdtemp(prefix=".days-", dir=Path(next(iter(targets.values()))).parent))
        attempts = iter(range(1 << 30))

        def statements(files: list[str], object_bytes: int, bundles: list[Bundle]) -> list[str]:
            out = folder / str(next(attempts))  # (a run refused half-way left its files)
            # zstd level 1: faster than the default level 3, and no larger here (measured)
            return [
                f"COPY (SELECT *, replace(day, '/', '') AS {_DAY_PART} "
                f"FROM ({parquet_build_sql(files, object_bytes, self._exact, bundles)})) TO {_quote(str(out))} "
                f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY ({_DAY_PART}), RETURN_STATS)"
            ]

        written: dict[columnar.DayKey, int] = {}
        self._con.execute("SET preserve_insertion_order = false")  # lets DuckDB write in parallel
        try:
            for target in targets.values():
                Path(target).unlink(missing_ok=True)
            if readable:
                every = [f.name for f in schema.EVENT_COLUMNS]
                names, rows = self._run_reading(readable, report, statements, every)
                for row in rows:
                    stats = dict(zip(names, row, strict=True))
                    key = by_day.get(str((stats["partition_keys"] or {}).get(_DAY_PART)))
                    if key is None or key in written:
                        raise EngineError(
                            f"the columnar cache's conversion wrote {stats['filename']}, which is not one "
                            "file of a day asked for",
                            "report this; query with --no-cache meanwhile",
                        )
                    os.replace(stats["filename"], targets[key])
                    written[key] = int(stats["count"])
        finally:
            self._con.execute("SET preserve_insertion_order = true")
            shutil.rmtree(folder, ignore_errors=True)
        day_of = {p: key for key, files in days.items() for p in files}
        skipped: dict[columnar.DayKey, list[tuple[str, str]]] = {key: [] for key in days}
        for entry in report.skipped:
            skipped[day_of[entry.path]].append((entry.path, entry.reason))
        for key, events in written.items():
            if not events:
                Path(targets[key]).unlink(missing_ok=True)
        return {key: (written.get(key, 0), skipped[key]) for key in days}

    def render(self, query: TrailQuery, files_shown: int | None = None) -> str:
        """The statements `run` executes (over the files as they are now); with `files_shown`,
        only that many of the log files are named, and a first comment line says how many are read."""
        paths, report = self._files(query, check=False)
        paths, cached = self._from_cache(query, paths, report)  # as `run` reads: cached days too
        shown = paths if files_shown is None or len(paths) <= files_shown else paths[:files_shown]
        view = (
            source_sql(shown, query.columns_needed(), self._object_bytes(paths), exact=self._exact)
            if paths or not cached
            else None
        )
        both = "\nUNION ALL BY NAME\n".join(f"({v})" for v in (view, cached) if v)
        sql = f"CREATE OR REPLACE TEMP VIEW {SOURCE_VIEW} AS\n{both};\n\n{self._query_sql(query)};"
        if len(shown) < len(paths):
            sql = (
                f"-- {len(paths):,} log files are read; the first {len(shown)} are named below "
                "(--all-files names every one)\n" + sql
            )
        elif cached and not paths:
            sql = "-- no log file is read raw\n" + sql
        if cached:
            days = next((n for n in report.notes if n.endswith("read from the columnar cache")), "")
            sql = f"-- {days}\n" + sql
        return sql

    def find_event(self, query: TrailQuery, event_id: str) -> tuple[list[dict[str, Any]], ScanReport]:
        """The full original records (every key, as written) with this event id, in the window."""
        paths, report = self._files(query)
        wanted = event_id.strip().lower()

        def statements(readable: list[str], object_bytes: int, bundles: list[Bundle]) -> list[str]:
            reader = reader_sql(readable, 'STRUCT("eventID" VARCHAR)[]', object_bytes, bundles)
            return [
                f"SELECT DISTINCT filename FROM (SELECT unnest(Records) AS r, filename FROM {reader}) "
                f"WHERE lower(r.eventID) = {_quote(wanted)}"
            ]

        _names, rows = self._run_reading(paths, report, statements, ["eventid"])
        found = []
        for (path,) in sorted(rows):
            matching = records_with_id([_records(path)], wanted, query.window)
            twice = sorted({key for record in matching for key in _keys_twice(record)})
            if twice:  # a query reading that key refuses the file: so does `event`
                reason = f"a record in it holds the key {_printable(twice[0], 80)!r} twice (which one counts is ambiguous)"
                self._skip(report, path, reason, remember=False)  # `event` reads every key: its own
                continue
            found.extend(matching)
        return found, report

    def locate(
        self, query: TrailQuery, event_ids: list[str]
    ) -> tuple[dict[str, set[str]], list[str], ScanReport]:
        """Which log files of the query's scope hold records with these event ids (compared in
        lowercase): {path: the ids it holds}, every path read, and the report. The records
        themselves are read again from those files (`toolkit.case.raw`), as they were written."""
        paths, report = self._files(query)
        wanted = sorted({i.strip().lower() for i in event_ids})
        if not wanted or not paths:
            return {}, paths, report
        listed = ", ".join(_quote(i) for i in wanted)

        def statements(readable: list[str], object_bytes: int, bundles: list[Bundle]) -> list[str]:
            reader = reader_sql(readable, 'STRUCT("eventID" VARCHAR)[]', object_bytes, bundles)
            return [
                f"SELECT DISTINCT filename, lower(r.eventID) FROM "
                f"(SELECT unnest(Records) AS r, filename FROM {reader}) "
                f"WHERE lower(r.eventID) IN (SELECT unnest([{listed}]))"
            ]

        _names, rows = self._run_reading(paths, report, statements, ["eventid"])
        originals = {self._stand_ins.get(p, p): p for p in paths}  # what DuckDB opened -> the file
        found: dict[str, set[str]] = {}
        for shown, event_id in rows:
            found.setdefault(originals.get(shown, shown), set()).add(event_id)
        skipped = {s.path for s in report.skipped}
        return found, [p for p in paths if p not in skipped], report

    @contextmanager
    def pinned(self, scope: TrailQuery) -> Iterator[bool]:
        """Read the scope's files once into a temporary table for the queries run inside the block.

        Queries with the same window and criteria then read the table instead of the files
        (a sweep runs dozens over one scope). Yields False, and changes nothing, when the files
        hold more than `pin_budget` bytes of JSON: each query then reads the files as usual.
        """
        # Rows in any order (set before the configuration is locked, so for this engine's life):
        # kept in order, DuckDB buffered the scope several times over while it read (4 GB for
        # the 20 MB sample against 0.2 GB, and 4.5 times slower). Detections order their rows.
        self._lock(keep_order=False)
        paths, report = self._files(scope)
        if sum(self._sizes.get(p, 0) for p in paths) > self.pin_budget:
            yield False
            return
        everything = TrailQuery.parse("SELECT * FROM trail", scope.window, scope.criteria)
        sql = self._query_sql(everything)

        # On disk, not in memory: a Parquet file in the scratch directory, written as the files
        # are read and read back column by column (a table in memory held 3 GB for 1.6 GB of JSON).
        target = os.path.join(self._scratch, "pinned.parquet")

        def statements(readable: list[str], object_bytes: int, bundles: list[Bundle]) -> list[str]:
            view = source_sql(
                readable, list(schema.COLUMN_NAMES), object_bytes, exact=self._exact, bundles=bundles
            )
            return [
                f"CREATE OR REPLACE TEMP VIEW {SOURCE_VIEW} AS {view}",
                f"COPY ({sql}) TO {_quote(target)} "
                # small row groups: each thread holds one while it writes
                "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 16384)",
                f"CREATE OR REPLACE TEMP VIEW {PINNED_TABLE} AS "
                f"SELECT * FROM read_parquet({_quote(_literal_path(target))})",
                f"SELECT count(*) FROM {PINNED_TABLE}",
            ]

        self._run_reading(paths, report, statements, list(schema.COLUMN_NAMES))
        self._pinned = ((scope.window, scope.criteria), report)
        try:
            yield True
        finally:
            self._pinned = None
            self._con.execute(f"DROP VIEW IF EXISTS {PINNED_TABLE}")
            Path(target).unlink(missing_ok=True)

    def cancel(self) -> None:
        self._con.interrupt()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.save()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._con.close()
        shutil.rmtree(self._scratch, ignore_errors=True)
        leftovers.discard(self._scratch)

    # -- internals --------------------------------------------------------------------------

    def _run_reading(
        self,
        paths: list[str],
        report: ScanReport,
        statements: Callable[[list[str], int, list[Bundle]], list[str]],
        columns: list[str] | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run the statements built for `paths`; a file DuckDB cannot read is skipped, then rerun.

        `columns` (what the statements read of each record) lets the first refusal be followed
        by a probe of every other file (`_probe`), so that many bad files cost one more read, not
        one more run each.
        """
        refused = self._refused.get(_columns_key(columns), {})
        for path in [p for p in paths if p in refused]:  # refused before, reading these columns
            self._skip(report, path, refused[path], remember=False)
        readable = [p for p in paths if p not in refused]
        object_bytes = self._object_bytes(readable)
        probed = False
        stream, self._streaming = self._streaming, False  # for the final statement of each run
        while True:
            shown = [self._stand_ins.get(p, p) for p in readable]  # what DuckDB opens
            alone, bundles = self._bundle(shown)
            # for a refusal mid-stream
            self._reading = (readable, shown, object_bytes, report, columns, bundles)
            try:
                *setup, final = statements(alone, object_bytes, bundles)
                for statement in setup:  # on the worker too: Ctrl-C stops a long setup at once
                    self._execute(statement, len(readable))
                self._streaming = stream  # the final statement's rows are the ones that stream
                return self._execute(final, len(readable))
            except (duckdb.IOException, duckdb.InvalidInputException) as error:
                left_out = self._bundle_refusals(error, shown, bundles, columns, object_bytes)
                if left_out is not None:  # a bundle of small files: the files it cannot read are left out
                    for path in self._skip_refused(report, left_out, shown, readable):
                        readable.remove(path)
                    continue
                message = str(error)
                if (
                    "maximum_object_size" in message
                    and object_bytes < MAX_OBJECT_BYTES
                    and named_file(error, shown) is not None  # (the reader's error: not a value quoted)
                ):
                    # a file larger than its gzip trailer said (multi-member gzip)
                    object_bytes = min(object_bytes * 4, MAX_OBJECT_BYTES)
                    continue
                if self._read_exactly(error, shown, columns, object_bytes):
                    continue  # run again, the files the fast reading may misread read exactly
                culprit = self._culprit(error, shown, object_bytes)
                if culprit is None:
                    raise _translate(error) from None
                path = readable[shown.index(culprit[0])]
                checked = self._checked_reason(path)
                self._skip(report, path, checked or culprit[1])
                readable.remove(path)
                if not probed:  # once: the other bad files, before the next run
                    probed = True
                    for bad in sorted(self._await_checks() & set(readable)):  # what the checks found
                        self._skip(report, bad, self._bad[bad])
                        readable.remove(bad)
                    if checked is None and columns is not None:  # and what DuckDB's reader refuses
                        for bad, reason in self._probe(readable, columns, object_bytes):
                            self._skip(report, bad, self._checked_reason(bad) or reason)
                            readable.remove(bad)

    def _read_exactly(
        self, error: duckdb.Error, shown: list[str], columns: list[str] | None, object_bytes: int
    ) -> bool:
        """Whether `error` is the fast reading's call for a file to be read exactly (`EXACT_READ`):
        that file, and every other of `shown` that calls for it reading `columns`, found by one
        read that stops at nothing, are read by the exact reader from now on."""
        message = str(error)
        named = message[len(_EXACT_CALL) : -1]
        if (
            not isinstance(error, duckdb.InvalidInputException)
            or not message.startswith(_EXACT_CALL)
            or not message.endswith('"')
            or named not in shown
            or named in self._exact
        ):
            return False
        self._exact.add(named)
        others = [p for p in shown if p not in self._exact]
        fields = [schema.BY_NAME[c] for c in columns or schema.COLUMN_NAMES if c in schema.BY_NAME]
        checks = [
            c
            for f in fields
            if (c := _fast_reading_differs(f, "r." + schema.quote_identifier(f.key))) is not None
        ]
        if others and checks:
            alone, bundles = self._bundle(others)
            reader = reader_sql(alone, _record_type(fields), object_bytes, bundles)
            partitions = ", ".join(f"{sql} AS {name}" for name, sql in _PARTITION_SQL.items())
            try:
                rows = self._con.execute(
                    f"SELECT DISTINCT filename FROM {_records_of(reader, partitions)} WHERE {' OR '.join(checks)}"
                ).fetchall()
            except duckdb.Error:
                return True  # (another file the reader refuses: the next run names it)
            self._exact.update(path for (path,) in rows if path in others)
        return True

    def _probe(self, paths: list[str], columns: list[str], object_bytes: int) -> list[tuple[str, str]]:
        """Every file of `paths` DuckDB's reader refuses when reading `columns`, with the reason:
        the files are read in groups; a refused file leaves its group, which is read again."""
        found: list[tuple[str, str]] = []
        pending = [paths[at : at + PROBE_GROUP] for at in range(0, len(paths), PROBE_GROUP)]
        streaming, self._streaming = self._streaming, False  # the query's own statement streams
        try:
            while pending:
                group = pending.pop()
                shown = [self._stand_ins.get(p, p) for p in group]
                try:
                    self._execute(
                        f"SELECT count(*) FROM ({source_sql(shown, columns, object_bytes, exact=self._exact)})",
                        len(group),
                    )
                except (duckdb.IOException, duckdb.InvalidInputException) as error:
                    if self._read_exactly(error, shown, columns, object_bytes):
                        pending.append(group)  # read it again, the file named by the exact reader
                        continue
                    culprit = self._culprit(error, shown, object_bytes)
                    if culprit is None:
                        raise _translate(error) from None
                    path = group[shown.index(culprit[0])]
                    found.append((path, culprit[1]))
                    group.remove(path)
                    if group:
                        pending.append(group)
        finally:
            self._streaming = streaming
        return found

    def _files(
        self, query: TrailQuery, *, check: bool = True, wait: bool = True
    ) -> tuple[list[str], ScanReport]:
        """The readable log files the query needs: pruned by path, given a cheap look, then each
        checked whole (`archive.inspect`) unless `check` is off (a dry run reads no file). With
        `wait` off the whole checks run on while the caller reads; it must `_await_checks` and
        read again without the files they found bad before it answers."""
        accounts, regions = query.criteria.partitions()
        selected = self.archive.select(query.window.delivery_span(), accounts, regions)
        report = ScanReport(files_total=len(self.archive.files), files_selected=len(selected))
        if not selected:
            report.notes.append(
                f"no log files match this window, account and region; the archive holds {self.archive.days()}"
            )
        passed = self.archive.passed_over_in(query.window.delivery_span(), accounts, regions)
        if passed and self.strict:
            raise archive.refusal(passed)
        if passed:
            report.notes.append(archive.passed_over_note(passed))
        chosen = {log.path for log in selected}
        versions = [pair for pair in self.archive.versions if pair[0] in chosen or pair[1] in chosen]
        if versions:
            report.notes.append(archive.versions_note(versions))
        covered = self._covered_days(selected) if self.cache is not None else set()
        raw = [log.path for log in selected if (log.account, log.region, log.day) not in covered]
        if check:  # first, so that the checks run while the files are given their cheap look
            self._start_checks([p for p in raw if p not in self._bad])
        self._look([p for p in raw if p not in self._sizes and p not in self._bad])
        if check and wait:
            self._await_checks()
        raw_set = set(raw)
        paths = []
        for log in selected:
            if log.path not in raw_set:
                paths.append(log.path)  # read from the cache: its build checked the file
            elif log.path in self._bad:
                self._skip(report, log.path, self._bad[log.path])
            else:
                paths.append(log.path)
        return paths, report

    def _look(self, paths: list[str]) -> None:
        """The cheap look at new files (first bytes, gzip trailer), before anything reads them. A
        file it finds bad is said in the words of its whole check, when that runs (started first)
        or ran in an earlier run: the words the ledger gives it in later runs."""
        for path in paths:
            reason, self._sizes[path], plain_header = archive.quick_look(path)
            if reason:
                self._bad[path] = self._checked_reason(path) or reason
            elif plain_header:
                self._stand_in(path)

    def _start_checks(self, paths: list[str]) -> None:
        """Check files whole (gzip CRC-32 and length, JSON shape) on a pool of threads (zlib works
        outside the GIL), side by side with the query; each file once per engine."""
        new = [p for p in paths if p not in self._checked and p not in self._checking]
        if not new:
            return
        if self._ledger is None:
            self._ledger = checked.Ledger(self.archive.root)
        for path in new:
            seen = checked.identity(path)
            if seen is None:
                continue  # the whole check says why
            self._identities[path] = seen
            problem = self._ledger.outcome(path, seen)  # checked in an earlier run, unchanged since
            if problem is not None:
                self._checked.add(path)
                if problem:
                    self._bad.setdefault(path, problem)
        new = [p for p in new if p not in self._checked]
        if not new:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="trailcsi-check")
        for path in new:
            self._checking[path] = self._pool.submit(archive.inspect, path)

    def _checked_reason(self, path: str) -> str | None:
        """The whole check's reason for a file DuckDB failed on (the same words every run)."""
        future = self._checking.get(path)
        if future is not None:
            try:
                return future.result().problem
            except Exception:  # the check's own failure: DuckDB's words stand
                return None
        return self._bad.get(path)

    def _await_checks(self) -> set[str]:
        """Wait for the running checks; returns the files they found bad (no longer to be read)."""
        found: set[str] = set()
        waiting = len(self._checking)
        began = time.monotonic()
        try:
            for path, future in list(self._checking.items()):
                while not future.done():  # (progress shown while the checks run on)
                    wait([future], timeout=0.2)
                    if self.progress:
                        self.progress(waiting, time.monotonic() - began)
                reason = future.result().problem
                if reason is None and _LASTING.match(self._bad.get(path, "")):
                    reason = self._bad[path]  # DuckDB's reader refused what the check let pass
                del self._checking[path]
                self._checked.add(path)
                seen = self._identities.get(path)
                if self._ledger is not None and seen is not None:
                    self._ledger.remember(path, seen, reason)
                if reason and path not in self._bad:
                    self._bad[path] = reason
                    found.add(path)
        except KeyboardInterrupt:
            for future in self._checking.values():
                future.cancel()
            raise
        finally:
            if self._ledger is not None:
                self._ledger.save()
        return found

    def _stand_in(self, path: str) -> None:
        """A copy of a valid gzip file whose header DuckDB refuses (a comment or header CRC),
        under the same layout path in the scratch directory, read in its place."""
        where = layout.locate(path)
        if where is None:
            return
        folder = layout.day_folder("", where.org_id, where.account, where.region, where.day)
        target = os.path.join(self._scratch, "plain-headers", folder, where.name)
        try:
            archive.plain_header_copy(path, target)
        except (OSError, ValueError) as error:
            self._bad[path] = f"cannot be copied for reading: {error}"
            return
        self._stand_ins[path] = target

    def _covered_days(self, selected: list[archive.LogFile]) -> set[columnar.DayKey]:
        """The day folders of `selected` that the cache holds, unchanged since they were built.

        Each query checks every cached day's files (names, sizes, modification times: a stat
        each) and each month file against its manifest (a stat; its footer when it changed).
        A day that changed, or a month that cannot be trusted, is read raw, and said so in a note.
        """
        assert self.cache is not None
        self._cache_notes: list[str] = []  # added to the query's report by _from_cache
        if self._days is None:
            self._days = columnar.group(self.archive.files)
        keys = {(log.account, log.region, log.day) for log in selected}
        trusted: dict[columnar.MonthKey, columnar.MonthManifest | None] = {}
        for month in sorted({columnar.month_of(key) for key in keys}):
            # A build or clear since the last query replaced the month's manifest (and removed the
            # file the old one named): read it again.
            for _attempt in range(MAX_CACHE_RACES):
                version = self.cache.manifest_version(month)
                if month not in self._manifests or self._manifests[month][0] != version:
                    self._manifests[month] = (version, self.cache.load(month))
                manifest = self._manifests[month][1]
                problem = (
                    self.cache.problems.get(month)
                    if manifest is None
                    else self.cache.parquet_problem(month, manifest)
                )
                if problem is None or self.cache.manifest_version(month) == version:
                    break  # (else a build committed the month meanwhile: not damage; read it again)
            if problem:
                repair = (
                    "trailcsi cache clear, then cache build"
                    if "month file is corrupt (" in problem
                    else "trailcsi cache build"
                )
                self._cache_notes.append(
                    f"columnar cache of {month[0]} {month[1]} {month[2]} not used: {problem}; "
                    f"its days are read raw ({repair} repairs it)"
                )
            trusted[month] = None if problem else manifest
        found = set()
        changed = 0
        etags = self.cache.etags()
        for key in keys:
            manifest = trusted[columnar.month_of(key)]
            entry = self.cache.covered(key, self._days[key], manifest, etags)
            if entry is not None and any(_DEPENDS_ON_COLUMNS.match(why) for _path, why in entry["skipped"]):
                # A file of the day is refused by the queries reading some columns only (a key
                # given twice, a value of another JSON type), by the cache for all: read it raw.
                self._covered[key] = None
                continue
            self._covered[key] = entry
            if entry is not None:
                found.add(key)
            elif manifest is not None and columnar.day_name(key) in manifest["days"]:
                changed += 1
        if changed:
            self._cache_notes.append(
                f"{changed:,} cached day folder{'s' if changed > 1 else ''} changed since the cache was "
                "built (files added, removed or rewritten): read raw until trailcsi cache build updates "
                f"{'them' if changed > 1 else 'it'}"
            )
        return found

    def _from_cache(
        self, query: TrailQuery, paths: list[str], report: ScanReport
    ) -> tuple[list[str], str | None]:
        """Split the files to read into raw files and the cached days covering the rest (as SQL)."""
        if self.cache is None or self._days is None:
            return paths, None
        report.notes.extend(self._cache_notes)
        if not paths:
            return paths, None
        wanted = set(paths)
        covered = {
            key
            for key, logs in self._days.items()
            if self._covered.get(key) is not None and any(log.path in wanted for log in logs)
        }
        if not covered:
            return paths, None
        already = {s.path for s in report.skipped}
        cached_paths: set[str] = set()
        for key in covered:
            cached_paths.update(log.path for log in self._days[key])
            for relative, reason in self._covered[key].get("skipped", []):  # type: ignore[union-attr]
                path = str(self.cache.root / relative)  # (the manifest's check: relative, inside)
                if path in wanted and path not in already:
                    report.skipped.append(SkippedFile(path, reason))
        first, last = min(k[2] for k in covered), max(k[2] for k in covered)
        files: list[str] = []
        exclude: dict[tuple[str, str], list[str]] = {}
        self._months_read = sorted({columnar.month_of(k) for k in covered})
        for month in self._months_read:
            manifest = self._manifests[month][1] or {}
            parquet = self.cache.parquet_file(month, manifest)
            if parquet is not None:
                files.append(parquet)
            for day, entry in manifest.get("days", {}).items():
                moment = date.fromisoformat(day)
                if (
                    first <= moment <= last
                    and entry.get("row_groups", [0, 0])[1]
                    and ((month[0], month[1], moment) not in covered)
                ):
                    exclude.setdefault(month[:2], []).append(columnar.day_value(moment))
        report.notes.append(f"{len(covered):,} day folders read from the columnar cache")
        raw = [p for p in paths if p not in cached_paths]
        if not files:  # the covered days hold no events
            return raw, None
        span = (columnar.day_value(first), columnar.day_value(last))
        return raw, _parquet_sql(files, query.columns_needed(), query.window, span, exclude)

    def _bundle(self, shown: list[str]) -> tuple[list[str], list[Bundle]]:
        """The files (as DuckDB opens them) to read one by one, and bundles of the others: the
        small ones the fast reader reads (`toolkit.sources.bundles`)."""
        if not self.bundle_small_files:
            return shown, []
        originals = {copy: path for path, copy in self._stand_ins.items()}
        sizes = {p: self._sizes.get(originals.get(p, p), 0) for p in shown}
        began = time.monotonic()

        def tick() -> None:  # (progress shown while bundles are made: about 70 µs a file)
            if self.progress:
                self.progress(len(shown), time.monotonic() - began)

        fast = [p for p in shown if p not in self._exact]
        alone, bundles = self._bundler.split(fast, sizes, self._threads, tick)
        return alone + [p for p in shown if p in self._exact], bundles

    def _bundle_refusals(
        self,
        error: duckdb.Error,
        shown: list[str],
        bundles: list[Bundle],
        columns: list[str] | None,
        object_bytes: int,
    ) -> list[tuple[str, str]] | None:
        """None when DuckDB's error did not come from a bundle. Else the files (as DuckDB opens
        them) its reader refuses reading `columns`, with the reason: each bundle is read alone,
        then the files of a refused one in groups (`_probe`). A refused bundle none of whose
        files is refused so has its files read one by one from now on."""
        if not bundles:
            return None
        bundled = {b.path for b in bundles}
        named = named_file(error, [*bundled, *shown])
        if named not in bundled and (
            named is not None
            or not isinstance(error, duckdb.IOException)
            or (self.cache is not None and str(self.cache.dir) in str(error))
        ):
            return None  # a log file or the cache named, or the query's own error: as usual
        found: list[tuple[str, str]] = []
        streaming, self._streaming = self._streaming, False
        try:
            for bundle in bundles:
                members = list(bundle.members)
                if columns is not None:
                    try:
                        self._execute(
                            f"SELECT count(*) FROM ({source_sql([], columns, object_bytes, bundles=[bundle])})",
                            len(members),
                        )
                        continue  # read whole: not the bundle refused
                    except (duckdb.IOException, duckdb.InvalidInputException) as refusal:
                        if self._read_exactly(refusal, shown, columns, object_bytes):
                            continue  # its file read exactly leaves the bundle (see `_bundle`)
                    refused = self._probe(members, columns, object_bytes)
                    if refused:
                        found += refused
                        continue
                self._bundler.leave_alone(bundle)
        finally:
            self._streaming = streaming
        return found

    def _skip_refused(
        self, report: ScanReport, refused: list[tuple[str, str]], shown: list[str], readable: list[str]
    ) -> list[str]:
        """Skip the files DuckDB's reader refused (as it opens them, with its reason), each with the
        whole check's reason if it has one; returns them as the archive names them."""
        opened = dict(zip(shown, readable, strict=True))
        skipped = []
        for bad, reason in refused:
            path = opened[bad]
            self._skip(report, path, self._checked_reason(path) or reason)
            skipped.append(path)
        return skipped

    def _object_bytes(self, paths: list[str]) -> int:
        return object_size_for(max((self._sizes.get(p, 0) for p in paths), default=0))

    def _skip(self, report: ScanReport, path: str, reason: str, remember: bool = True) -> None:
        if remember:
            self._refuse(path, reason)
        if self.strict:
            raise SourceError(f"{path}: {reason}", "fix or remove the file, or drop --strict to skip it")
        report.skipped.append(SkippedFile(path, reason))

    def _refuse(self, path: str, reason: str) -> None:
        """Leave the file out of this engine's reads from now on (and, for a refusal that does not
        depend on the columns read, out of later runs' until it changes). A refusal that does
        depend on them (a key given twice, read by this query) holds for queries reading the same
        columns only."""
        if _DEPENDS_ON_COLUMNS.match(reason):
            self._refused.setdefault(_columns_key(self._reading[4]), {})[path] = reason
            return
        self._bad[path] = reason
        seen = self._identities.get(path)
        if _LASTING.match(reason) and self._ledger is not None and seen is not None:
            self._ledger.remember(path, seen, reason)

    def _query_sql(self, query: TrailQuery) -> str:
        return transpile.to_duckdb(query.bind(exp.to_table(SOURCE_VIEW)))

    def _culprit(self, error: duckdb.Error, paths: list[str], object_bytes: int) -> tuple[str, str] | None:
        """The file a reading error came from, with the reason; None if no file is at fault."""
        message = str(error)
        if self.cache is not None and str(self.cache.dir) in message:
            return None  # a month file of the cache: no log file is at fault (see run)
        path = named_file(error, paths)
        if path is not None:
            if path in self._exact and ("Expected OBJECT" in message or "Expected ARRAY" in message):
                mistyped = _mistyped(path)  # the exact reader's refusal of a nested field
                if mistyped:
                    return path, mistyped
            if "Expected OBJECT" in message:  # an item of Records, or a second JSON document: parsed
                exact = archive.exact_shape(path)
                if exact:
                    return path, exact
            return path, _reason(message, path)
        if not isinstance(error, duckdb.IOException):
            return None
        for path in paths:  # an I/O error that names no file: try each on its own
            try:
                self._con.execute(f"SELECT count(*) FROM ({source_sql([path], ['eventid'], object_bytes)})")
            except (duckdb.IOException, duckdb.InvalidInputException) as single:
                return path, _reason(str(single), path)
        return None

    def _execute(self, sql: str, files: int) -> tuple[list[str], Any]:
        """Run one statement on a worker thread (progress and Ctrl-C stay live); its columns and
        rows: a list, or with `stream` on (the query's own statement only) an iterator that
        fetches them in batches, so an export of any size holds one batch at a time."""
        outcome: dict[str, Any] = {}
        stream, self._streaming = self._streaming, False
        # An Event, not Thread.join: a join that Ctrl-C interrupts can mark the thread stopped
        # while it still runs (CPython before 3.13), and the connection would be closed under it.
        done = threading.Event()

        def work() -> None:
            try:
                self._create_macros(sql)
                self._con.execute(sql)
                described = self._con.description or []
                _refuse_untold_intervals(described)
                outcome["columns"] = transpile.trino_column_names([d[0] for d in described])
                rows = self._batches() if stream else self._con.fetchall()
                # IP addresses as Athena writes them (DuckDB holds them as structs)
                outcome["rows"] = ipaddresses.convert_rows([d[1] for d in described], rows)
            except BaseException as error:  # handed to the calling thread below
                outcome["error"] = error
            finally:
                done.set()

        worker = threading.Thread(target=work, name="trailcsi-duckdb", daemon=True)
        worker.start()
        began = time.monotonic()
        try:
            while not done.wait(0.2):
                if self.progress:
                    self.progress(files, time.monotonic() - began)
        except KeyboardInterrupt:
            self._stop(done)
            raise Interrupted("interrupted; the query was stopped") from None
        error = outcome.get("error")
        if isinstance(error, (duckdb.IOException, duckdb.InvalidInputException)):
            raise error  # possibly one bad file: the caller skips it and reruns
        if error is not None:
            raise _translate(error)
        return outcome["columns"], outcome["rows"]

    def _create_macros(self, sql: str) -> None:
        """Create the macros `sql` calls that this connection does not have yet."""
        missing = [name for name in transpile.macros_needed(sql) if name not in self._macros]
        transpile.create_macros(self._con, missing)
        self._macros.update(missing)

    def _stop(self, done: threading.Event) -> None:
        """Interrupt DuckDB's running statement and wait until it has stopped (a second Ctrl-C
        interrupts again; the connection is never left busy)."""
        while True:
            try:
                self._con.interrupt()
                if done.wait(5):
                    return
            except KeyboardInterrupt:
                continue

    def _batches(self) -> Iterator[tuple[Any, ...]]:
        try:
            while True:
                batch = self._con.fetchmany(STREAM_BATCH)
                if not batch:
                    return
                yield from batch
        except KeyboardInterrupt:
            self._con.interrupt()
            raise Interrupted("interrupted; the query was stopped") from None
        except (duckdb.IOException, duckdb.InvalidInputException) as error:
            # DuckDB's reader refused a file after rows were given: it is left out from now on,
            # and the caller, holding incomplete rows, runs the query again.
            readable, shown, object_bytes, report, columns, bundles = self._reading
            refused = self._bundle_refusals(error, shown, bundles, columns, object_bytes)
            if refused is not None:  # a bundle of small files: the files it cannot read are left out
                skipped = self._skip_refused(report, refused, shown, readable)  # (--strict: fails)
                raise RefusedWhileStreaming(
                    skipped[0] if skipped else "", refused[0][1] if refused else "read again file by file"
                ) from None
            if self._read_exactly(error, shown, columns, object_bytes):
                raise RefusedWhileStreaming(
                    "", "a log file is to be read again by the exact reader (keys in another case)"
                ) from None
            culprit = self._culprit(error, shown, object_bytes)
            if culprit is None and self.cache is not None and self._cache_moved():
                # a build replaced a month file the rows were being read from: read them again
                self._races += 1
                if self._races <= MAX_CACHE_RACES:
                    raise RefusedWhileStreaming(
                        "", "the columnar cache changed while the rows were read"
                    ) from None
            if culprit is None:
                raise _translate(error) from None
            path = readable[shown.index(culprit[0])]
            checked = self._checked_reason(path)
            reason = checked or culprit[1]
            self._skip(report, path, reason)  # under --strict: the SourceError
            self._await_checks()  # the files the checks found bad are left out of the next run
            if checked is None and columns is not None:  # and those DuckDB's reader refuses
                others = [p for p in readable if p not in self._bad]
                for bad, why in self._probe(others, columns, object_bytes):
                    self._refuse(bad, self._checked_reason(bad) or why)
            raise RefusedWhileStreaming(path, reason) from None
        except duckdb.Error as error:
            raise _translate(error) from None


class _Opener:
    """A DuckDB connection opened on a thread (DuckDB releases the GIL while it starts up)."""

    def __init__(self, threads: int) -> None:
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._open, args=(threads,), name="trailcsi-duckdb-open")
        self._thread.start()

    def _open(self, threads: int) -> None:
        try:
            self._outcome["connection"] = duckdb.connect(config={"threads": threads})
        except BaseException as error:  # handed to the caller by connection()
            self._outcome["error"] = error

    def connection(self) -> duckdb.DuckDBPyConnection:
        self._thread.join()
        if "error" in self._outcome:
            raise _translate(self._outcome["error"])
        connection: duckdb.DuckDBPyConnection = self._outcome["connection"]
        return connection


def _records(path: str) -> list[dict[str, Any]]:
    """The original records of a log file, every key as written; a file Python's JSON reader
    cannot take (nesting deeper than its recursion limit) is a one-line SourceError."""
    opener = gzip.open if path.endswith(".gz") else open
    # Read as DuckDB's reader reads, so `event` shows what queries count: every JSON document of
    # the file is read; a key given twice is noted (`_Object.twice`).
    decoder = json.JSONDecoder(object_pairs_hook=_first_wins)
    documents: list[Any] = []
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
        at = 0
        while True:
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text):
                break
            document, at = decoder.raw_decode(text, at)
            documents.append(document)
    except RecursionError:
        raise SourceError(
            f"{path}: nested too deeply to print its records",
            "query its fields with `trailcsi sql` instead",
        ) from None
    except (OSError, ValueError, EOFError) as error:
        raise SourceError(f"{path}: cannot be read again: {first_line(str(error))}") from None
    found: list[dict[str, Any]] = []
    for document in documents:
        records = document.get("Records", []) if isinstance(document, dict) else []
        found.extend(record for record in records if isinstance(record, dict))
    return found


class _Object(dict[str, Any]):
    """A JSON object as read for `event`: of a key given twice the first value, and the key in
    `twice` (DuckDB's reader refuses a record whose key read by a query is given twice)."""

    twice: tuple[str, ...] = ()


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    kept = _Object()
    twice = []
    for key, value in pairs:
        if key in kept:
            twice.append(key)
        else:
            kept[key] = value
    if twice:
        kept.twice = tuple(twice)
    return kept


def _keys_twice(value: Any) -> Iterator[str]:
    """The keys given twice in a record as read for `event`, at any depth."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield from getattr(item, "twice", ())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _mistyped(path: str) -> str | None:
    """Why the exact reader refused a file whose records are objects: the first nested field of
    a record holding another JSON type than its column's (None if none is found)."""
    try:
        records = _records(path)
    except SourceError:
        return None
    for number, record in enumerate(records, 1):
        keys = {key.lower(): value for key, value in record.items()}
        for field in schema.EVENT_COLUMNS:
            found = _misfit(field, keys.get(field.name), field.key) if _nested(field) else None
            if found:
                return (
                    f"a record in it holds another JSON type than its column's: record {number}'s {found} "
                    "(Athena fails the query reading it, or reads it otherwise)"
                )
    return None


def _misfit(field: schema.Field, value: Any, where: str) -> str | None:
    """Where `value` (a nested field's, as parsed) is of another JSON type than its column's."""
    if value is None or field.kind in ("string", "json"):
        return None
    expected = "an array" if field.kind == "array" else "an object"
    if not isinstance(value, list if field.kind == "array" else dict):
        return f"{where} is {_json_type(value)}, not {expected}"
    if field.kind == "array":
        for at, item in enumerate(value):
            if item is not None and not isinstance(item, dict):
                return f"{where}[{at}] is {_json_type(item)}, not an object"
        return None
    if field.kind == "map" or not isinstance(value, dict):
        return None
    keys = {key.lower(): item for key, item in value.items()}
    for member in field.fields:
        found = _misfit(member, keys.get(member.name), f"{where}.{member.key}")
        if found:
            return found
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def named_file(error: duckdb.Error, paths: Sequence[str]) -> str | None:
    """The file of `paths` an error of DuckDB's reader names, or None: where the reader names it.

    A value a query's error quotes may name another file (`Could not parse string "<a value>"`,
    the rewritten SQL's refusals): a file counts as named only where the reader names one, at the
    start of its message, after its own words alone (`Malformed JSON in file "X", ...`, `JSON
    transform error in file "X", in record/value 1: <a value>`, the guard's `... in file "X"`), or
    anywhere in an I/O error (the system's and gzip's words, no value: `... GZIP stream: X`). Of
    paths found at one place (one the start of another) the longest is the one."""
    message = str(error)
    if isinstance(error, duckdb.IOException):
        found = [(at, -len(p), p) for p in paths if (at := message.find(p)) >= 0]
        return min(found)[2] if found else None
    words = _READER_NAMES.match(message)
    if words is None:
        return None
    rest = message[words.end() :]
    named = [p for p in paths if rest.startswith(p + '"')]
    return max(named, key=len) if named else None


#: The start of an error by which DuckDB's reader names a file, up to the quote before its path.
_READER_NAMES = re.compile(
    r'Invalid Input Error: (?:[A-Za-z ]+ |"maximum_object_size" of [0-9]+ bytes exceeded while reading '
    r'|an item of "Records" is null \(not an event object\) in )file "'
)


def _columns_key(columns: list[str] | None) -> tuple[str, ...]:
    """The columns a run reads, as the key of the refusals that hold for them (`_refuse`)."""
    return tuple(sorted(columns or ()))


def _key_twice(key: str) -> str:
    return (
        f"a JSON object in it holds the key {_printable(key, 80)!r} twice (keys match without regard "
        "to case, as in Athena: which one counts is ambiguous)"
    )


def _reason(message: str, path: str) -> str:
    line = first_line(message, "unknown error")
    line = re.sub(r"^(Invalid Input Error|IO Error): ", "", line)
    line = line.replace(f' in file "{path}"', "").replace(f": {path}", "").replace(path, "the file")
    line = line.replace(
        "Parse errors cannot be ignored for JSON formats other than 'newline_delimited'",
        "",
    )
    twice = _DUPLICATE_KEY.match(line)
    if twice:
        return _key_twice(twice.group(1))
    item = _NOT_AN_OBJECT_ITEM.match(line)
    if item:
        kind, _, value = item.group(2).partition(": ")
        kind = _JSON_KINDS.get(kind, kind)
        shown = _printable(value, 60)
        return f'item {item.group(1)} of "Records" is {kind} ({shown}), not a JSON object'
    return line.strip().rstrip(".") or "unreadable"


_JSON_KINDS = {"UBIGINT": "a number", "BIGINT": "a number", "DOUBLE": "a number", "VARCHAR": "a string"}
_JSON_KINDS |= {"ARRAY": "an array", "BOOLEAN": "a boolean"}


#: Refusals by DuckDB's reader that do not depend on the columns a query reads: remembered with
#: the whole checks' outcomes, so later queries leave the file out before reading.
_LASTING = re.compile(
    r"""item \d+ of "Records" is |an item of "Records" is null|a JSON object in it holds the key 'Records' twice|"""
    r"""holds more than one JSON document|the "Records" key appears twice"""
)
#: DuckDB's refusal of a record giving twice a key the query reads: another query may not read it.
_DEPENDS_ON_COLUMNS = re.compile(
    r"a JSON object in it holds the key '(?!Records')|a record in it holds another JSON type"
)
_DUPLICATE_KEY = re.compile(r'JSON transform error, in record/value \d+: Object .* has duplicate key "(.*)"$')
_NOT_AN_OBJECT_ITEM = re.compile(
    r"JSON transform error, in record/value (\d+): Expected OBJECT, but got (.*)"
)


_UNKNOWN_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')


def _printable(text: str, limit: int = 300) -> str:
    """An engine's message fit for one line: control characters shown escaped, cut at `limit`."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


#: DuckDB's error for a function it does not have (the rewritten SQL's own are all DuckDB's).
_UNKNOWN_FUNCTION = re.compile(r"(?:Scalar|Aggregate|Table|Macro) Function with name (\S+) does not exist")


def _refuse_untold_intervals(described: list[Any]) -> None:
    """An interval left in the answer is one whose kind the SQL does not tell (the transpiler writes
    the others as Trino's text): DuckDB would answer a duration, months as thirty days each."""
    for name, kind, *_ in described:
        if "INTERVAL" in str(kind).upper():  # (in an array, a map or a row too)
            raise UsageError(
                f"the column {_printable(str(name), 80)!r} is an interval the local engine cannot write as "
                "Athena does (whether it counts months or seconds is not told where it is made)",
                "CAST it to varchar where it is made (an INTERVAL literal, timestamp - timestamp), "
                "or run the query on Athena",
            )


#: How DuckDB words an error the rewritten SQL raised itself (`transpile.REFUSAL`, by `error()`).
_REFUSED = f"Invalid Input Error: {transpile.REFUSAL}"
#: DuckDB's errors about the SQL itself, before any value is read: none quotes a value.
_ABOUT_THE_SQL = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


def engine_said(error: duckdb.Error) -> str:
    """DuckDB's message, in double quotes, as one piece of a line that no value it quotes can
    leave: its backslashes and double quotes escaped, its control characters (line breaks) written
    as escapes. A value may hold anything, `trailcsi: ...` or a line break and a line of its own:
    it shows inside the quotes, whole (up to the length shown), with DuckDB's words around it.
    DuckDB's quotation of the SQL after the message (`LINE 1: ...`) is left out, and of an error
    about the SQL itself (which quotes no value), its first line is the message."""
    message = str(error)
    if isinstance(error, _ABOUT_THE_SQL):
        message = first_line(message)
    elif (context := message.rfind("\n\nLINE ")) >= 0:
        message = message[:context]
    text = message.strip() or "unknown error"
    return '"' + _printable(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def _translate(error: BaseException) -> BaseException:
    """DuckDB's errors about the user's SQL become one-line UsageErrors; others pass through.

    DuckDB's own words are given in quotes (`engine_said`): a value its message quotes is never
    read as a message of trailcsi's. Only an error of the rewritten SQL's `error()`, whose message
    DuckDB gives as it is and which starts with trailcsi's words, is said as trailcsi's own (the
    value it quotes, as Trino's message does, with its line breaks escaped)."""
    if not isinstance(error, duckdb.Error):
        return error
    full = str(error)
    # the rewritten SQL's own refusal of what Athena does differently (a value's text cannot
    # start DuckDB's message: those it quotes follow DuckDB's words)
    if isinstance(error, duckdb.InvalidInputException) and full.startswith(_REFUSED):
        refusal = _printable(full[len(_REFUSED) :])
        return UsageError(refusal, transpile.hint_for(refusal))
    if isinstance(error, duckdb.InvalidInputException) and full.startswith(
        "Invalid Input Error: Division by zero in expression"
    ):  # Athena: integer and decimal division (and %) by zero fail
        return UsageError("Division by zero", "Athena fails the query too; guard with NULLIF(divisor, 0)")
    said = engine_said(error)
    message = first_line(full)
    if ipaddresses.FIELD in message and isinstance(error, _ABOUT_THE_SQL):
        return UsageError(  # the local IPADDRESS where DuckDB cannot take it
            "an IPADDRESS is used where the local engine does not take it: DuckDB: "
            + said.replace(ipaddresses.DUCKDB_TYPE, "ipaddress"),
            "CAST it AS VARCHAR, or run the query on Athena",
        )
    if isinstance(error, duckdb.BinderException):
        match = _UNKNOWN_COLUMN.search(message)
        if match:
            name = match.group(1)
            guess = schema.suggest(name)
            return UsageError(
                f"unknown column {_printable(name, 80)!r}",
                f"did you mean {guess!r}?" if guess else "see trail's columns in the README",
            )
    if isinstance(error, duckdb.InterruptException):
        return Interrupted("interrupted; the query was stopped")
    if isinstance(error, duckdb.BinderException) and (
        "argument types 'len(MAP(" in message or "argument types 'len(STRUCT(" in message
    ):
        return UsageError(  # the subscript's rewrite took a map or row the SQL does not type for an array
            "a subscript [...] of a map or a row was read as an array's: the SQL does not tell the value's type",
            "CAST a map AS MAP(key type, value type) before its subscript; a row's field is read with a dot",
        )
    unknown = _UNKNOWN_FUNCTION.search(message)
    if isinstance(error, duckdb.CatalogException) and unknown:
        return UsageError(
            f"the function {_printable(unknown.group(1), 80)} is not run locally: DuckDB has no function of that name",
            "check its name; a Trino function the local engine lacks runs on Athena with --engine athena",
        )
    if isinstance(error, (*_ABOUT_THE_SQL, duckdb.ConversionException, duckdb.InvalidInputException)):
        return UsageError(f"the query failed on DuckDB: {said}", "check the SQL")
    return EngineError(f"DuckDB failed: {said}")
