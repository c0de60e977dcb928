"""The `trailcsi` command line: each command parses flags, makes one library call, writes data to
stdout (or --output) and diagnostics to stderr. Library errors become one line and an exit code.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from toolkit import leftovers
from toolkit.cli.athena import athena_app
from toolkit.cli.cache import cache_app
from toolkit.cli.case import case_app
from toolkit.cli.common import aws_session, local_copy, print_listing, say, startup_done
from toolkit.cli.help import App, examples
from toolkit.cli.options import (
    Dialect,
    ListFormat,
    ListFormatOption,
    OutputOptions,
    Severity,
    SourceOptions,
    TextFormat,
    choices,
    completer,
    criteria_options,
    hiding,
    options,
    output_options,
    source_options,
    window_options,
)
from toolkit.cli.verify import verify
from toolkit.core import export
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window
from toolkit.engines import Result, ScanReport
from toolkit.errors import (
    ExitCode,
    Interrupted,
    NotFoundError,
    RefusedWhileStreaming,
    SourceError,
    TrailcsiError,
    UsageError,
)
from toolkit.templates.catalog import Catalog
from toolkit.version import __version__

if TYPE_CHECKING:
    from toolkit.core.query import TrailQuery

# duckdb and sqlglot are imported inside the commands that use them, so that shell completion
# (which imports this module on every key press) answers quickly.

app = App(
    name="trailcsi",
    help="Investigate AWS CloudTrail trail archives: multi-criteria search and SQL over years of logs.",
    epilog=examples(
        "trailcsi sample ./sample",
        "trailcsi search --source ./sample --event-name ConsoleLogin --since 7d",
        "trailcsi run console-login-failures --source ./sample --since 7d",
        "trailcsi sweep --source ./sample --since 7d --summary",
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


@contextmanager
def _engine(
    source: SourceOptions,
    window: Window,
    criteria: Criteria | None = None,
    *,
    fetch: str = "api",
    dry_run: bool = False,
    stream: bool = False,
) -> Iterator[Any]:
    """The engine the options choose: DuckDB over a directory (an s3:// source is synced first) or Athena."""
    if source.engine == "athena":
        if not dry_run:
            _confirm_cost(source, window)
        with _athena_engine(source, fetch) as engine:
            yield engine
        return
    from toolkit.cli.progress import QueryProgress, shown
    from toolkit.engines.local import LocalEngine

    assert source.source is not None
    directory = local_copy(source, window, criteria) if source.source.startswith("s3://") else source.source
    cache = None
    if source.use_cache:
        from toolkit.cache.columnar import ColumnarCache

        cache = ColumnarCache(directory)
        cache = cache if cache.dir.is_dir() else None
    with shown(QueryProgress) as progress:
        engine = LocalEngine(directory, strict=source.strict, progress=progress, cache=cache, stream=stream)
        try:
            yield engine
        finally:
            engine.close()


#: Windows longer than this ask before running on Athena (cost is bytes scanned).
ATHENA_CONFIRM_DAYS = 90


@contextmanager
def _athena_engine(source: SourceOptions, fetch: str) -> Iterator[Any]:
    from toolkit.cli.progress import AthenaQueryProgress, shown
    from toolkit.engines.athena import AthenaEngine

    settings = source.athena
    with shown(AthenaQueryProgress) as progress:

        def notify(message: str) -> None:
            if progress is not None:
                progress.stop()  # the message takes the spinner's line; the next update redraws it
            say(message)

        engine = AthenaEngine(
            settings,
            session=aws_session(settings.profile, settings.region),
            progress=progress,
            notify=notify,
            reuse_minutes=source.reuse_minutes,
            fetch=fetch,
        )
        try:
            yield engine
        finally:
            engine.close()


def _confirm_cost(source: SourceOptions, window: Window) -> None:
    """All time, or more than 90 days, on Athena: ask on a terminal; elsewhere require --yes."""
    from datetime import UTC, datetime

    if window.is_all_time or window.start is None:
        span = "the whole archive (all time)"
    else:
        days = ((window.end or datetime.now(UTC)) - window.start).days
        if days <= ATHENA_CONFIRM_DAYS:
            return
        span = f"{days} days"
    if source.yes:
        return
    budget = (
        f" (--max-scan {source.athena.max_scan})" if source.athena.max_scan else " and no --max-scan is set"
    )
    if sys.stdin.isatty() and sys.stderr.isatty():
        if typer.confirm(f"trailcsi: this Athena query reads {span}{budget}; run it?", err=True):
            return
        raise UsageError("not run", "narrow the window, or pass --yes")
    raise UsageError(
        f"this Athena query would read {span}{budget}",
        "pass --yes to run it anyway, or narrow the window",
    )


def _report(report: ScanReport) -> None:
    if report.scanned_bytes is not None:  # Athena: bytes scanned are what a query costs
        from toolkit.engines.athena import human_bytes

        queries = len(report.query_ids)
        said = f"{queries} Athena queries" if queries > 1 else "Athena"
        say(f"{said} scanned {human_bytes(report.scanned_bytes)}, about ${report.cost_usd or 0:,.4f}")
    else:
        say(f"read {report.files_read:,} of {report.files_total:,} log files in the archive")
    for note in report.notes:
        say(note)
    for skipped in report.skipped:
        say(f"skipped {skipped.path}: {skipped.reason}")
    if report.skipped and report.scanned_bytes is not None:  # (Athena: --strict is the local engine's)
        say(f"{len(report.skipped)} log file(s) skipped")
    elif report.skipped:
        say(f"{len(report.skipped)} unreadable file(s) skipped; use --strict to stop on them instead")


def _is_terminal(path: str) -> bool:
    """Whether the existing file `path` is a terminal (`-o /dev/tty`): a character device, opened
    to ask, not written. (A FIFO is never opened here: a writer opening and closing it would end
    its reader's stream before the rows are written.)"""
    import stat

    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        descriptor = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def _emit(
    result: Result, out: OutputOptions, report: ScanReport | None = None, whole: tuple[str, ...] = ()
) -> None:
    """Write the rows to `--output` or stdout, then the scan report (`report`) and the row count.

    The report comes first when the rows are held in full, after them when they stream (a file
    refused while they were read is in it). Streamed rows are written to a file first (beside
    `--output`, renamed when complete; for stdout, a FIFO or a device, a temporary file, copied
    out when complete): an error or Ctrl-C mid-way leaves no
    partial file, and rows a refused file made incomplete (`RefusedWhileStreaming`) are never
    shown. Rows held in full are written straight out.
    """
    fmt = export.choose_format(out.format, out.output)
    held = isinstance(result.rows, list)
    if held and report is not None:
        _report(report)  # complete already: said before the rows
        report = None
    # A target that exists and is not a regular file (a FIFO, /dev/stdout) is written into, as
    # stdout is; a regular file is replaced whole.
    output = out.output or ""
    if output and os.path.islink(output):  # the file it names is written, the link kept
        output = os.path.realpath(output)
    renamed = bool(output) and not (os.path.exists(output) and not os.path.isfile(output))
    if not renamed and held:
        if out.output:
            with _opened(output) as stream:
                count = export.write(result.columns, result.rows, fmt, stream, zone=out.zone, whole=whole)
        else:
            count = export.write(result.columns, result.rows, fmt, sys.stdout, zone=out.zone, whole=whole)
    else:
        if renamed:
            path = Path(output)
            partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        else:
            import tempfile

            descriptor, spool = tempfile.mkstemp(prefix="trailcsi-rows-")
            os.close(descriptor)
            partial = Path(spool)
        leftovers.add(partial)
        # the spool is copied to where the rows end up: a terminal there is escaped for, as always
        on_terminal = not renamed and (_is_terminal(output) if out.output else sys.stdout.isatty())
        try:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = export.write(
                    result.columns, result.rows, fmt, stream, zone=out.zone, whole=whole, terminal=on_terminal
                )
            if renamed:
                if os.path.exists(output):
                    shutil.copymode(output, partial)  # a replaced file keeps its permissions
                os.replace(partial, output)
            else:
                with partial.open(encoding="utf-8", newline="") as spooled:
                    if out.output:
                        with _opened(output) as target:
                            shutil.copyfileobj(spooled, target)
                    else:
                        shutil.copyfileobj(spooled, sys.stdout)
        except BrokenPipeError:
            raise  # the reader has gone (`| head`): not a write error to report
        except OSError as error:
            raise UsageError(
                f"cannot write {out.output or 'a temporary copy of the rows'}: {error.strerror}"
            ) from None
        finally:
            partial.unlink(missing_ok=True)
            leftovers.discard(partial)
    if report is not None:
        _report(report)
    rows = f"{count:,} row{'' if count == 1 else 's'}"
    say(f"{rows} written to {out.output} ({fmt})" if out.output else rows)


@contextmanager
def _opened(target: str) -> Iterator[Any]:
    try:
        with open(target, "w", encoding="utf-8", newline="") as stream:
            yield stream
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror}") from None


def _run(query: TrailQuery, source: SourceOptions, out: OutputOptions) -> None:
    if out.all_files and not out.dry_run:  # (sweep, which has no --dry-run, refuses both its own way)
        raise UsageError("--all-files names the files --dry-run would read", "add --dry-run")
    say(f"window: {query.window.description}")
    if not query.criteria.is_empty():
        say(f"criteria: {query.criteria.describe()}")
    fetch = "s3" if out.output else "api"  # Athena: an export streams the result file from S3
    stream = export.choose_format(out.format, out.output) != "table"  # a table needs every row first
    with _engine(
        source, query.window, query.criteria, fetch=fetch, dry_run=out.dry_run, stream=stream
    ) as engine:
        if out.dry_run:
            sql = engine.render(query, files_shown=None if out.all_files else DRY_RUN_FILES)
            # (file names are the archive's: on a terminal, shown escaped, as values are)
            print(export.visible(sql, keep="\t\n") if sys.stdout.isatty() else sql)
            return
        while True:
            result = engine.run(query)
            display = getattr(engine, "progress", None)
            if display is not None and hasattr(display, "stop"):
                display.stop()  # the spinner leaves its line before the rows are written
            try:  # inside the block: streamed rows are read while the engine is open
                _emit(result, out, result.report)
                return
            except RefusedWhileStreaming:
                continue  # the engine leaves that file out now, and its next report says so


@app.command(
    epilog=examples(
        "trailcsi search --source ./sample --event-name ConsoleLogin --since 7d",
        "trailcsi search --source ./sample --user alice --since 2d --tz Europe/Paris",
        "trailcsi search --source ./sample --since 1d --sort eventtime:desc -f json",
    )
)
@options(criteria=criteria_options, window=window_options, out=output_options, source=source_options)
def search(criteria: Criteria, window: Window, out: OutputOptions, source: SourceOptions) -> None:
    """Find events by any mix of criteria (the console's lookup, without its limits).

    Events come oldest first (by eventtime), as a timeline is read; --sort orders them by any
    column of trail instead, shown or not (ties oldest first): --sort eventtime:desc lists the
    newest first. --limit keeps the first rows of that order.
    """
    from toolkit.core import search as search_module

    fmt = export.choose_format(out.format, out.output)
    columns = search_module.parse_columns(out.columns)
    if columns is None and fmt == "table":
        columns = list(search_module.SUMMARY_COLUMNS)
    _run(search_module.build(criteria, window, columns, out.limit, out.sort), source, out)


@app.command(
    epilog=examples(
        'trailcsi sql "SELECT eventname, count(*) AS n FROM trail GROUP BY 1" \\',
        "    --source ./sample --since 7d --sort n:desc --limit 10",
        'trailcsi sql "SELECT count(*) AS n FROM trail" --source ./sample --dry-run',
    )
)
@options(
    criteria=criteria_options,
    window=window_options,
    out=hiding(output_options, "columns"),
    source=source_options,
)
def sql(
    criteria: Criteria,
    window: Window,
    out: OutputOptions,
    source: SourceOptions,
    statement: Annotated[
        str | None,
        typer.Argument(
            help="One SELECT/WITH query in Athena SQL, reading from `trail` (it may start with a "
            "-- comment); - reads it from standard input."
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", metavar="FILE", help="Read the query from this .sql file.")
    ] = None,
) -> None:
    """Run ad-hoc Athena-dialect SQL against `trail` (read-only: SELECT or WITH only).

    Rows come in the order of the query's own ORDER BY (without one, as the engine gives them);
    --sort orders them by columns of the result instead, on either engine.
    """
    if out.columns:
        raise UsageError("--columns does not apply to sql", "choose the columns in the SELECT")
    from toolkit.core import ordering
    from toolkit.core.query import TrailQuery

    query = TrailQuery.parse(_statement(statement, file), window, criteria)
    query.ast = ordering.sort(query.ast, out.sort)
    if out.limit is not None:
        query.ast = ordering.capped(query.ast, out.limit)
    _run(query, source, out)


def _statement(statement: str | None, file: Path | None) -> str:
    """The SQL text: the argument, standard input for `-`, or the --file's contents."""
    if statement is not None and file is not None:
        raise UsageError("give the query as an argument or with --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--file {file}: cannot be read: {error}") from None
    if statement == "-":
        return sys.stdin.read()
    if statement is None:
        raise UsageError("no query given", "pass it as an argument, with --file query.sql, or - for stdin")
    return statement


def sql_arguments(argv: list[str]) -> list[str]:
    """The command line with a `sql` query that starts with a `--` comment (as published .sql
    files do) moved after `--`, so that click reads it as the query, not as an option."""
    at = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), None)
    if at is None or argv[at] != "sql" or "--" in argv[at + 1 :]:
        return argv
    queries = [arg for arg in argv[at + 1 :] if _looks_like_sql(arg)]
    if not queries:
        return argv
    rest = [arg for arg in argv[at + 1 :] if not _looks_like_sql(arg)]
    return [*argv[: at + 1], *rest, "--", *queries]


def _looks_like_sql(arg: str) -> bool:
    """An argument starting with `-` that no option looks like: whitespace before any `=`."""
    name = arg.partition("=")[0]
    return arg.startswith("-") and any(c.isspace() for c in name)


@app.command(
    epilog=examples(
        "ID=$(trailcsi search --source ./sample --event-name ConsoleLogin \\",
        "    --since 7d --columns eventid --format csv --limit 1 | tail -1)",
        'trailcsi event "$ID" --source ./sample --since 7d',
    )
)
@options(window=window_options, source=source_options)
def event(
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The eventID to show.")],
    window: Window,
    source: SourceOptions,
) -> None:
    """Print the full original JSON record of one event (the console's event detail view)."""
    say(f"window: {window.description}")
    from toolkit.core import search as search_module

    query = search_module.build(Criteria(), window)
    with _engine(source, window) as engine:
        records, report = engine.find_event(query, event_id)
    _report(report)
    if not records:
        hints = []
        if report.skipped:
            hints.append(f"it may be in one of the {len(report.skipped):,} file(s) skipped above")
        if not window.is_all_time:
            hints.append("widen the window, e.g. --all-time")
        raise NotFoundError(f"no event {event_id!r} in {window.description}", "; ".join(hints) or None)
    if len(records) > 1:
        say(f"{len(records)} records carry this event id (delivered more than once); all are shown")
    for record in records:
        try:
            text = json.dumps(record, indent=2, ensure_ascii=False)
        except RecursionError:
            raise SourceError(
                f"event {event_id!r} is nested too deeply to print as JSON",
                "select its fields with `trailcsi sql` instead",
            ) from None
        print(export.json_visible(text) if sys.stdout.isatty() else text)


queries_app = App(
    help="The investigation template catalog.",
    epilog=examples(
        "trailcsi queries list --tag iam",
        "trailcsi queries show console-login-failures",
    ),
    no_args_is_help=True,
)
app.add_typer(queries_app, name="queries")

_QueriesDir = Annotated[
    list[Path] | None,
    typer.Option(
        "--queries-dir",
        metavar="DIR",
        help="Another directory of templates; one with a built-in's name replaces it (said on stderr).",
    ),
]


def _catalog(extra: list[Path] | None) -> Catalog:
    for directory in extra or []:
        if not directory.is_dir():
            raise UsageError(f"--queries-dir {directory} is not a directory")
    catalog = Catalog.load(extra)
    for warning in catalog.warnings():
        say(f"warning: {warning}")
    return catalog


def _complete_template(incomplete: str) -> list[str]:
    from toolkit.templates.catalog import template_paths

    return sorted(n for n in template_paths() if n.startswith(incomplete))


@queries_app.command(
    "list",
    epilog=examples(
        "trailcsi queries list",
        "trailcsi queries list --tag T1110 --format json",
        "trailcsi queries list --format csv > templates.csv",
    ),
)
def queries_list(
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only templates with this tag (e.g. iam, T1110).")
    ] = None,
    format: ListFormatOption = ListFormat.table,
    queries_dir: _QueriesDir = None,
) -> None:
    """List the templates: name, kind, severity, tags, title, parameters, origin."""
    catalog = _catalog(queries_dir)
    templates = catalog.select(tag=tag)
    rows = [
        (t.name, t.kind, t.severity or "", ", ".join(t.tags), t.title, ", ".join(p.name for p in t.params))
        + (catalog.origin(t.name),)
        for t in templates
    ]
    columns = ["name", "kind", "severity", "tags", "title", "params", "origin"]
    print_listing(columns, rows, format, as_json=[t.as_dict() for t in templates])


@queries_app.command(
    "show",
    epilog=examples(
        "trailcsi queries show user-created",
        "trailcsi queries show console-login-failures --dialect duckdb",
    ),
)
def queries_show(
    name: Annotated[str, typer.Argument(help="Template name.", autocompletion=_complete_template)],
    dialect: Annotated[
        Dialect,
        typer.Option(
            "--dialect",
            metavar=choices(Dialect),
            case_sensitive=False,
            autocompletion=completer(*Dialect),
            help="athena (as written) or duckdb (as the local engine runs it).",
        ),
    ] = Dialect.athena,
    format: Annotated[
        TextFormat,
        typer.Option(
            "--format",
            "-f",
            metavar=choices(TextFormat),
            help="text or json.",
            case_sensitive=False,
            autocompletion=completer(*TextFormat),
        ),
    ] = TextFormat.text,
    queries_dir: _QueriesDir = None,
) -> None:
    """Show one template: its description, parameters and SQL."""
    template = _catalog(queries_dir).get(name)
    from toolkit.core import transpile
    from toolkit.core.query import parse_select

    sql = template.sql if dialect == "athena" else transpile.to_duckdb(parse_select(template.sql))
    if format == "json":
        data = template.as_dict(with_sql=True)
        data["sql"] = sql
        print(json.dumps(data, indent=2))
        return
    print(f"{template.name}: {template.title}\n")
    print(f"kind: {template.kind}" + (f", severity: {template.severity}" if template.severity else ""))
    print(f"tags: {', '.join(template.tags)}\n")
    print(template.description + "\n")
    for param in template.params:
        default = f", default {param.default!r}" if param.default is not None else ""
        need = "required" if param.required else "optional"
        print(f"  --param {param.name}=<{param.type}>  ({need}{default}) {param.description}")
    print(f"\n{sql}")


def _complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    from toolkit.templates.catalog import param_names, template_paths

    name = ctx.params.get("name")
    if not name:  # typer does not always parse the argument while completing: read the shell's words
        words = (os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or "").split()
        after_run = words[words.index("run") + 1 :] if "run" in words else []
        name = next((w for w in after_run if not w.startswith("-")), "")
    path = template_paths().get(name)
    if path is None:
        return []
    return [f"{p}=" for p in param_names(path) if p.startswith(incomplete.partition("=")[0])]


@app.command(
    epilog=examples(
        "trailcsi run console-login-failures --source ./sample --since 7d",
        "trailcsi run principal-activity --param principal=alice \\",
        "    --source ./sample --since 7d --sort eventtime:desc",
        "trailcsi run eip-allocations --source ./sample --since 7d --tz Europe/Paris",
    )
)
@options(
    criteria=criteria_options,
    window=window_options,
    out=hiding(output_options, "columns"),
    source=source_options,
)
def run(
    name: Annotated[
        str,
        typer.Argument(help="Template name (see trailcsi queries list).", autocompletion=_complete_template),
    ],
    criteria: Criteria,
    window: Window,
    out: OutputOptions,
    source: SourceOptions,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="A template parameter: name=value (repeat).",
            autocompletion=_complete_param,
        ),
    ] = None,
    queries_dir: _QueriesDir = None,
) -> None:
    """Run an investigation template; CRITERIA and WINDOW narrow `trail` as for any query.

    Rows come in the template's order: events oldest first, as a timeline is read (a template
    that ranks, by a count say, puts the largest first). --sort orders them by columns of the
    result instead.
    """
    if out.columns:
        raise UsageError("--columns does not apply to run", "the template chooses its columns")
    template = _catalog(queries_dir).get(name)
    from toolkit.core import ordering
    from toolkit.templates.render import parse_assignments, render

    query = render(template, parse_assignments(param or []), window, criteria)
    query.ast = ordering.sort(query.ast, out.sort)
    if out.limit is not None:
        query.ast = ordering.capped(query.ast, out.limit)
    say(f"template: {template.name} - {template.title}")
    _run(query, source, out)


@app.command(
    epilog=examples(
        "trailcsi sweep --source ./sample --since 7d",
        "trailcsi sweep --source ./sample --since 7d --summary",
        "trailcsi sweep --source ./sample --since 7d --min-severity high -f json",
    )
)
@options(
    criteria=criteria_options,
    window=window_options,
    out=hiding(output_options, "columns", "dry_run", "all_files", "sort"),
    source=source_options,
)
def sweep(
    criteria: Criteria,
    window: Window,
    out: OutputOptions,
    source: SourceOptions,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only detections with this tag (e.g. iam, T1098).")
    ] = None,
    min_severity: Annotated[
        Severity | None,
        typer.Option(
            "--min-severity",
            metavar="SEVERITY",
            case_sensitive=False,
            autocompletion=completer(*Severity),
            help="Only findings of this severity or severer: critical, high, medium or low "
            "(the others are counted, not shown).",
        ),
    ] = None,
    summary_only: Annotated[
        bool,
        typer.Option(
            "--summary", help="One row per detection (count, severity, first, last, top principals)."
        ),
    ] = False,
    queries_dir: _QueriesDir = None,
    suppressions: Annotated[
        Path | None,
        typer.Option(
            "--suppressions",
            metavar="FILE",
            # (no square brackets: rich would read them as markup and drop them)
            help="TOML file of suppress tables: findings known to be benign, set aside and counted "
            "(the sweep.suppress tables of trailcsi.toml apply too).",
        ),
    ] = None,
    show_suppressed: Annotated[
        bool,
        typer.Option(
            "--show-suppressed", help="List the suppressed findings too, each with the entry that matched it."
        ),
    ] = False,
) -> None:
    """Run every detection template; one row per finding, severest first, then oldest first.

    On a terminal, a summary per detection comes first (count, suppressed, severity, first and last
    time, top principals), then the findings. Suppressed findings are counted on stderr and in the
    summary; --show-suppressed lists them.
    """
    given = (("--columns", out.columns), ("--dry-run", out.dry_run), ("--all-files", out.all_files))
    refused = [flag for flag, value in given if value]
    if refused:
        raise UsageError(
            f"{' and '.join(refused)} {'does' if len(refused) == 1 else 'do'} not apply to sweep",
            "use run NAME --dry-run for one detection",
        )
    if out.sort:
        raise UsageError(
            "--sort does not apply to sweep", "it lists findings severest first, then oldest first"
        )
    from toolkit import config as config_module
    from toolkit.core import suppress
    from toolkit.templates import sweep as sweep_module

    least = sweep_module.severity(min_severity)  # (typer has checked it)
    settings = config_module.load(source.config)
    entries = [*settings.suppressions, *(suppress.load_file(suppressions) if suppressions else [])]
    catalog = _catalog(queries_dir)
    suppress.check_templates(entries, [t.name for t in catalog.select(kind="detection")])
    say(f"window: {window.description}")
    if not criteria.is_empty():
        say(f"criteria: {criteria.describe()}")
    if entries:
        origins = [str(p) for p in (settings.path if settings.suppressions else None, suppressions) if p]
        say(f"suppressions: {len(entries)} from {' and '.join(origins)}")
    with _engine(source, window, criteria) as engine:
        outcome = sweep_module.run(engine, catalog, window, criteria, tag, entries)
    _report(outcome.report)
    for line in outcome.triage.report():
        say(line)
    say(sweep_module.summary_line(outcome))
    seen = sweep_module.shown(outcome, least)
    if seen.below_severity:
        say(f"{seen.below_severity:,} finding(s) below --min-severity {least} not shown")
    fmt = export.choose_format(out.format, out.output)
    summaries = sweep_module.summarize(seen.findings, suppressed=[f for f, _ in seen.suppressed])
    if summary_only:
        rows = _limited([s.as_row() for s in summaries], out.limit, "detection(s)")
        _emit(Result(list(sweep_module.SUMMARY_COLUMNS), rows), out)
        return
    if fmt == "table" and summaries and not out.output:  # a person reading: the summary first
        export.write(
            list(sweep_module.SUMMARY_COLUMNS),
            [s.as_row() for s in summaries],
            "table",
            sys.stdout,
            title="findings per detection",
            zone=out.zone,
        )
    # With --show-suppressed, the suppressed findings follow those shown, each naming its entry.
    listed: list[tuple[Any, str | None]] = [(f, None) for f in seen.findings]
    if show_suppressed:
        listed += [(f, f"{entry.where}: {entry.reason}") for f, entry in seen.suppressed]
    columns, rows = sweep_module.finding_rows(
        _limited(listed, out.limit, "finding(s)"),
        structured=fmt in ("json", "jsonl"),
        show_suppressed=show_suppressed,
        zone=out.zone,
    )
    _emit(Result(columns, rows), out, whole=("details",))


def _limited(rows: list[Any], limit: int | None, what: str) -> list[Any]:
    """The first `limit` rows; what is left out is said, never silently dropped."""
    if not limit or len(rows) <= limit:
        return rows
    say(f"{len(rows) - limit:,} more {what} not shown (--limit {limit})")
    return rows[:limit]


@app.command(
    epilog=examples(
        "trailcsi names ec2",
        "trailcsi names --search Address",
        "trailcsi names ec2 --source ./sample --since 30d --seen-only",
    )
)
@options(window=window_options)
def names(
    window: Window,
    service: Annotated[
        str | None, typer.Argument(help="A service: ec2, EC2, ec2.amazonaws.com or Amazon EC2.")
    ] = None,
    search_text: Annotated[
        str | None,
        typer.Option("--search", metavar="TEXT", help="Event names containing this text, any service."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", metavar="DIR|S3_URL", help="Count how often each name occurs in this archive."
        ),
    ] = None,
    seen_only: Annotated[
        bool, typer.Option("--seen-only", help="Only names that occur in the archive (needs --source).")
    ] = False,
    format: ListFormatOption = ListFormat.table,
) -> None:
    """Event sources, and the event names each records (from botocore's models, offline)."""
    from toolkit.cli.options import name_index
    from toolkit.core.names import listing

    if seen_only and not source:
        raise UsageError("--seen-only needs --source", "give the archive whose names to count")
    counts = _name_counts(SourceOptions(source, False), window) if source else None
    columns, rows = listing(name_index(), service, search_text, counts, seen_only)
    print_listing(columns, rows, format)


def _name_counts(source: SourceOptions, window: Window) -> dict[tuple[str, str], int]:
    from toolkit.core.query import TrailQuery

    query = TrailQuery.parse("SELECT eventsource, eventname, count(*) AS n FROM trail GROUP BY 1, 2", window)
    say(f"window: {window.description}")
    with _engine(source, window) as engine:
        result = engine.run(query)
    _report(result.report)
    return {(str(s), str(e)): int(n) for s, e, n in result.rows}


app.add_typer(athena_app, name="athena")
app.add_typer(cache_app, name="cache")
app.add_typer(case_app, name="case")
app.command(
    epilog=examples(
        "trailcsi verify --source ./sample --public-keys ./sample/public-keys.json \\",
        "    --signatures ./sample/digest-metadata.json \\",
        '    --start "$(date -u -d \'2 days ago\' +%F)" --end "$(date -u +%FT00:30Z)"',
        "trailcsi verify --source s3://my-trail-bucket --since 30d --format json",
    )
)(verify)


@app.command(
    epilog=examples(
        "trailcsi sample ./sample",
        "trailcsi sample ./sample-2024 --end 2024-12-31 --seed 42",
    )
)
def sample(
    directory: Annotated[Path, typer.Argument(help="Where to write the archive (created if missing).")],
    days: Annotated[
        int, typer.Option("--days", metavar="N", help="Days of logs, ending yesterday (at least 120).")
    ] = 130,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed, days and end give the same archive.")
    ] = 7,
    end: Annotated[
        str | None, typer.Option("--end", metavar="DAY", help="Last day of logs (default: yesterday, UTC).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a folder that is not empty (files of the same name are replaced)."
        ),
    ] = False,
) -> None:
    """Write a deterministic synthetic archive with planted incidents, in the real S3 layout."""
    from toolkit.sample import generator

    end_day = generator.parse_end_day(end)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file", "name a folder")
    held = sum(1 for _ in directory.iterdir()) if directory.is_dir() else 0
    if held and not force:
        raise UsageError(
            f"{directory} is not empty ({held} entries): a sample written into it would mix with what is there",
            "choose an empty or new folder, or pass --force",
        )
    say(f"writing {days} days of logs ending {end_day} to {directory} (a few seconds)")
    if held:  # --force: written in place (files of the same name replaced)
        summary = generator.write_archive(directory, days=days, seed=seed, end_day=end_day)
    else:
        summary = _written_whole(
            directory, lambda where: generator.write_archive(where, days=days, seed=seed, end_day=end_day)
        )
    say(
        f"wrote {summary.events:,} events in {summary.files:,} log files under {directory} ({summary.first_day} to {summary.last_day})"
    )


def _written_whole(directory: Path, write: Any) -> Any:
    """`write(folder)` into a scratch folder beside `directory` (new, or empty), renamed into place
    once it is done: a write stopped half-way (Ctrl-C, a full disk) leaves no partial archive, which
    a later command would read as an archive that lost files."""
    import tempfile

    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent))
    leftovers.add(scratch)  # (removed below, or by a forced stop)
    if directory.exists():  # (mkdtemp's folder is the owner's only: given the mode it replaces)
        os.chmod(scratch, directory.stat().st_mode & 0o7777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(scratch, 0o777 & ~umask)
    try:
        summary = write(scratch)
        if directory.exists():
            directory.rmdir()  # (empty, as checked: an error if something was put there since)
        scratch.rename(directory)
        return summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        leftovers.discard(scratch)


@app.command(epilog=examples("trailcsi demo", "trailcsi demo --dir ./demo-sample"))
def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", metavar="DIR", help="Where the sample archive lives (default: a cache directory)."
        ),
    ] = None,
) -> None:
    """Build the sample archive (cached) and walk through the seed investigations on it."""
    from toolkit import demo as demo_module

    if not demo_module.run(directory, say=say):
        raise typer.Exit(int(ExitCode.FINDINGS))


@app.callback(invoke_without_command=True)
def main_options(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    startup_done()
    if version:
        print(__version__)
        raise typer.Exit()
    if sys.stderr.isatty():  # an AWS call that waits long is named on the progress line
        from toolkit import aws_config

        aws_config.on_waiting(_show_waiting)


def _show_waiting() -> None:
    _wait_display()()


@functools.cache
def _wait_display() -> Any:
    from toolkit.cli.progress import WaitProgress

    return WaitProgress()


#: Log files `--dry-run` names (with how many are read) unless `--all-files`.
DRY_RUN_FILES = 3

#: Seconds a Ctrl-C leaves the process to stop in order before it is ended.
STOP_GRACE = 3.0


#: Modules whose import a Ctrl-C must not cut short: duckdb's extension runs Python code while it
#: initialises, and a KeyboardInterrupt there becomes "ImportError: Encountered an error while
#: initializing the extension" (a traceback, exit 1). Ctrl-C then waits for the import to end.
UNINTERRUPTIBLE_IMPORTS = ("duckdb",)


def _importing(names: tuple[str, ...]) -> bool:
    """Whether one of these modules is being imported now (in `sys.modules`, not yet initialised)."""
    for name in names:
        spec = getattr(sys.modules.get(name), "__spec__", None)
        if getattr(spec, "_initializing", False):
            return True
    return False


class _HeldCtrlC:
    """A Ctrl-C held during an import, told to the main thread again once the import ends."""

    lock = threading.Lock()
    waiting = False  # a thread waits for the import to end (one, however many Ctrl-C were held)
    pending = False  # sent again and again until the main thread's handler has taken it
    taken_at = 0.0  # when it did (a signal sent just before may still arrive: not a new Ctrl-C)


#: Seconds between the signals that tell the main thread of a held Ctrl-C again.
RESEND_EVERY = 0.05


def _interrupt_after_imports() -> None:
    """Tell the main thread of the Ctrl-C again once no uninterruptible import is under way: as a
    signal, which wakes it from a blocking call (`_thread.interrupt_main` only sets a flag that a
    sleeping main thread reads when it next wakes: seconds, or never). One signal is not enough:
    one that arrives after the main thread last looked and before it blocks (entering a sleep or
    a read) is read only when the call ends (30 s later, once, in a suite run). So it is sent
    every `RESEND_EVERY` seconds until the handler has taken it. Ctrl-C pressed again during the
    import is told once (two KeyboardInterrupts, the second in the first's cleanup, escaped)."""
    import signal
    import time

    main = threading.main_thread().ident
    assert main is not None

    def wait_then_interrupt() -> None:
        while _importing(UNINTERRUPTIBLE_IMPORTS):
            time.sleep(0.01)
        with _HeldCtrlC.lock:
            _HeldCtrlC.pending = True
        while True:
            with _HeldCtrlC.lock:
                if not _HeldCtrlC.pending:
                    _HeldCtrlC.waiting = False
                    return
                signal.pthread_kill(main, signal.SIGINT)
            time.sleep(RESEND_EVERY)

    with _HeldCtrlC.lock:
        if _HeldCtrlC.waiting:  # a second Ctrl-C during the same import: told once, as one
            return
        _HeldCtrlC.waiting = True
    threading.Thread(target=wait_then_interrupt, name="ctrl-c-after-import", daemon=True).start()


def _on_interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C: KeyboardInterrupt, as Python's own handler raises, and a watchdog that ends the
    process (exit 130) if stopping in order takes longer than `STOP_GRACE` (a thread that does
    not stop cannot keep it alive). During an import that must not be cut short, the Ctrl-C is
    held until it ends (`UNINTERRUPTIBLE_IMPORTS`)."""
    import time

    if _importing(UNINTERRUPTIBLE_IMPORTS):
        _interrupt_after_imports()
        return
    with _HeldCtrlC.lock:
        if _HeldCtrlC.pending:
            _HeldCtrlC.pending, _HeldCtrlC.taken_at = False, time.monotonic()
        elif time.monotonic() - _HeldCtrlC.taken_at < 4 * RESEND_EVERY:
            return  # a copy of a held Ctrl-C already raised, sent before it was taken

    def force() -> None:
        leftovers.remove_all()  # what `finally` would have removed, had it run
        stacks = os.environ.get("TRAILCSI_STACKS_ON_FORCED_STOP")
        if stacks:  # a diagnosis: where each thread was when the grace ran out
            import faulthandler

            try:
                with open(stacks, "w", encoding="utf-8") as handle:
                    faulthandler.dump_traceback(handle, all_threads=True)
            except OSError:
                pass  # (a diagnosis only: the process ends all the same)
        sys.stderr.write("trailcsi: interrupted (stopped without waiting for its threads)\n")
        sys.stderr.flush()
        os._exit(int(ExitCode.INTERRUPTED))

    watchdog = threading.Timer(STOP_GRACE, force)
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def _reader_gone() -> None:
    """stdout's reader has closed the pipe (`| head`): stop quietly with exit 1, as typer does
    when that happens inside a command; nothing more is written to stdout."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(1)


def _help_hint(error: Exception) -> str:
    """` (see trailcsi search --help)` for a usage error raised with its command's context."""
    context = getattr(error, "ctx", None)
    return f" (see {context.command_path} --help)" if context is not None else ""


def main() -> None:
    """Entry point: a TrailcsiError becomes one line on stderr and its exit code, never a traceback.

    typer's own usage errors (an unknown option, a value not among an option's choices) are one
    line too, with exit 2; Ctrl-C anywhere is one line and exit 130.
    """
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started so (`nohup`, `cmd &` in a script)
        _main()
        return
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        _main()
    finally:  # the caller's handler again (a watchdog started stays: exit may still hang on a thread)
        signal.signal(signal.SIGINT, previous)


def _main() -> None:
    try:
        # not standalone: typer's usage errors come here, to be said in one line as ours are
        code = app(prog_name="trailcsi", args=sql_arguments(sys.argv[1:]), standalone_mode=False)
    except TrailcsiError as error:
        # (an interrupt is no error: `interrupted; ...` as a Ctrl-C elsewhere says `interrupted`)
        told = error.message if isinstance(error, Interrupted) else f"error: {error.message}"
        say(told + (f" ({error.hint})" if error.hint else ""))
        sys.exit(int(error.exit_code))
    except typer.TyperException as error:  # an unknown option, a value not in an option's list, ...
        if type(error).__name__ != "NoArgsIsHelpError":  # (that one has printed the help)
            say(f"error: {error.format_message().replace(': Value error, ', ': ')}" + _help_hint(error))
        sys.exit(error.exit_code)
    except typer.Abort:  # (an end of input at a prompt)
        say("aborted")
        sys.exit(1)
    except BrokenPipeError:
        _reader_gone()
    except OSError as error:  # a path the system refuses (too long, ...): not a traceback
        name = str(error.filename or "")
        where = f" ({name if len(name) <= 120 else name[:60] + '...' + name[-40:]})" if name else ""
        say(f"error: {error.strerror or error}{where}")
        sys.exit(int(ExitCode.USAGE))
    except SystemExit as done:
        if done.code == ExitCode.INTERRUPTED:
            say("interrupted")
        raise
    except RuntimeError as error:
        if str(error) != "Query interrupted":
            raise
        # DuckDB's own word for a Ctrl-C that reached it first (a short statement on this thread)
        say("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    try:
        sys.stdout.flush()  # (rows still buffered: a reader gone shows here, not at exit)
    except BrokenPipeError:
        _reader_gone()
    if isinstance(code, int) and code:  # typer.Exit's code (not standalone, typer returns it)
        if code == ExitCode.INTERRUPTED:  # typer's word for Ctrl-C outside a query: none
            say("interrupted")
        sys.exit(code)
