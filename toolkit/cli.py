"""The `trailcsi` command line: each command parses flags, makes one library call, writes data to
stdout (or --output) and diagnostics to stderr. Library errors become one line and an exit code.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from toolkit import __version__, export
from toolkit.catalog import Catalog
from toolkit.cli_options import (
    OutputOptions,
    SourceOptions,
    criteria_options,
    options,
    output_options,
    source_options,
    window_options,
)
from toolkit.criteria import Criteria
from toolkit.engines import Result, ScanReport
from toolkit.errors import (
    EngineError,
    ExitCode,
    Interrupted,
    NotFoundError,
    SourceError,
    TrailcsiError,
    UsageError,
)
from toolkit.window import Window

if TYPE_CHECKING:
    from toolkit.query import TrailQuery

# duckdb and sqlglot are imported inside the commands that use them, so that shell completion
# (which imports this module on every key press) answers quickly.

app = typer.Typer(
    name="trailcsi",
    help="Investigate AWS CloudTrail trail archives: multi-criteria search and SQL over years of logs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def say(message: str) -> None:
    """A diagnostic line on stderr (stdout carries data only)."""
    print(f"trailcsi: {message}", file=sys.stderr, flush=True)


def _progress_reporter() -> Any:
    if not sys.stderr.isatty():
        return None
    from toolkit.progress import QueryProgress

    return QueryProgress()


@contextmanager
def _engine(
    source: SourceOptions,
    window: Window,
    criteria: Criteria | None = None,
    *,
    fetch: str = "api",
    dry_run: bool = False,
) -> Iterator[Any]:
    """The engine the options choose: DuckDB over a directory (an s3:// source is synced first) or Athena."""
    if source.engine == "athena":
        if not dry_run:
            _confirm_cost(source, window)
        with _athena_engine(source, fetch) as engine:
            yield engine
        return
    from toolkit.engines.local import LocalEngine

    assert source.source is not None
    directory = _local_copy(source, window, criteria) if source.source.startswith("s3://") else source.source
    progress = _progress_reporter()
    cache = None
    if source.use_cache:
        from toolkit.columnar import ColumnarCache

        cache = ColumnarCache(directory)
        cache = cache if cache.dir.is_dir() else None
    engine = LocalEngine(directory, strict=source.strict, progress=progress, cache=cache)
    try:
        yield engine
    finally:
        if progress is not None:
            progress.stop()
        engine.close()


#: Windows longer than this ask before running on Athena (cost is bytes scanned).
ATHENA_CONFIRM_DAYS = 90


@contextmanager
def _athena_engine(source: SourceOptions, fetch: str) -> Iterator[Any]:
    from toolkit.engines.athena import AthenaEngine

    settings = source.athena
    progress = None
    if sys.stderr.isatty():
        from toolkit.progress import AthenaQueryProgress

        progress = AthenaQueryProgress()

    def notify(message: str) -> None:
        if progress is not None:
            progress.stop()
        say(message)

    engine = AthenaEngine(
        settings,
        session=_aws_session(settings.profile, settings.region),
        progress=progress,
        notify=notify,
        reuse_minutes=source.reuse_minutes,
        fetch=fetch,
    )
    try:
        yield engine
    finally:
        if progress is not None:
            progress.stop()
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


def _aws_session(profile: str | None, region: str | None) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as error:
        raise UsageError(str(error), "check --profile or AWS_PROFILE") from None


def _local_copy(source: SourceOptions, window: Window, criteria: Criteria | None) -> str:
    import botocore.exceptions

    from toolkit import s3source

    url = str(source.source)

    accounts, regions = criteria.partitions() if criteria else ([], [])
    bar = None
    if sys.stderr.isatty():
        from toolkit.progress import DownloadProgress

        bar = DownloadProgress(f"fetching {url}")
    try:
        directory, done = s3source.sync(
            _s3_client(source.profile, source.aws_region), url, window, accounts, regions, progress=bar
        )
    except botocore.exceptions.NoCredentialsError:
        raise UsageError("no AWS credentials found", "set AWS_PROFILE or the AWS_* variables") from None
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        raise SourceError(
            f"{url}: {info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": "),
            "check the address and your read access",
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise EngineError(f"cannot reach S3: {error}") from None
    finally:
        if bar is not None:
            bar.stop()
    say(
        f"{url}: {done.listed:,} log files for this scope; {done.downloaded:,} downloaded "
        f"({done.bytes_downloaded / 1e6:,.1f} MB), {done.reused:,} reused from {s3source.cache_root()}"
    )
    return str(directory)


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
    if report.skipped:
        say(f"{len(report.skipped)} unreadable file(s) skipped; use --strict to stop on them instead")


def _emit(result: Result, out: OutputOptions) -> None:
    fmt = export.choose_format(out.format, out.output)
    if out.output:
        path = Path(out.output)
        try:
            with path.open("w", encoding="utf-8", newline="") as stream:
                count = export.write(result.columns, result.rows, fmt, stream)
        except OSError as error:
            raise UsageError(f"cannot write {out.output}: {error.strerror}") from None
        say(f"{count:,} rows written to {out.output} ({fmt})")
    else:
        count = export.write(result.columns, result.rows, fmt, sys.stdout)
        say(f"{count:,} rows")


def _run(query: TrailQuery, source: SourceOptions, out: OutputOptions) -> None:
    say(f"window: {query.window.description}")
    if not query.criteria.is_empty():
        say(f"criteria: {query.criteria.describe()}")
    fetch = "s3" if out.output else "api"  # Athena: an export streams the result file from S3
    with _engine(source, query.window, query.criteria, fetch=fetch, dry_run=out.dry_run) as engine:
        if out.dry_run:
            print(engine.render(query))
            return
        result = engine.run(query)
        _report(result.report)
        _emit(result, out)  # inside the block: streamed rows are read while the engine is open


@app.command()
@options(criteria=criteria_options, window=window_options, out=output_options, source=source_options)
def search(criteria: Criteria, window: Window, out: OutputOptions, source: SourceOptions) -> None:
    """Find events by any mix of criteria, newest first (the console's lookup, without its limits)."""
    from toolkit import search as search_module

    fmt = export.choose_format(out.format, out.output)
    columns = search_module.parse_columns(out.columns)
    if columns is None and fmt == "table":
        columns = list(search_module.SUMMARY_COLUMNS)
    _run(search_module.build(criteria, window, columns, out.limit), source, out)


@app.command()
@options(criteria=criteria_options, window=window_options, out=output_options, source=source_options)
def sql(
    statement: Annotated[
        str, typer.Argument(help="One SELECT/WITH query in Athena SQL, reading from `trail`.")
    ],
    criteria: Criteria,
    window: Window,
    out: OutputOptions,
    source: SourceOptions,
) -> None:
    """Run ad-hoc Athena-dialect SQL against `trail` (read-only: SELECT or WITH only)."""
    if out.columns:
        raise UsageError("--columns does not apply to sql", "choose the columns in the SELECT")
    from toolkit.query import TrailQuery

    query = TrailQuery.parse(statement, window, criteria)
    if out.limit is not None:
        query.ast = query.ast.limit(out.limit)
    _run(query, source, out)


@app.command()
@options(window=window_options, source=source_options)
def event(
    event_id: Annotated[str, typer.Argument(help="The eventID to show.")],
    window: Window,
    source: SourceOptions,
) -> None:
    """Print the full original JSON record of one event (the console's event detail view)."""
    say(f"window: {window.description}")
    from toolkit import search as search_module

    query = search_module.build(Criteria(), window)
    with _engine(source, window) as engine:
        records, report = engine.find_event(query, event_id)
    _report(report)
    if not records:
        raise NotFoundError(
            f"no event {event_id!r} in {window.description}", "widen the window, e.g. --all-time"
        )
    if len(records) > 1:
        say(f"{len(records)} records carry this event id (delivered more than once); all are shown")
    for record in records:
        print(json.dumps(record, indent=2, ensure_ascii=False))


queries_app = typer.Typer(help="The investigation template catalog.", no_args_is_help=True)
app.add_typer(queries_app, name="queries")

_QueriesDir = Annotated[
    list[Path] | None,
    typer.Option("--queries-dir", help="Another directory of templates (searched after the built-in ones)."),
]


def _catalog(extra: list[Path] | None) -> Catalog:
    for directory in extra or []:
        if not directory.is_dir():
            raise UsageError(f"--queries-dir {directory} is not a directory")
    return Catalog.load(extra)


@queries_app.command("list")
def queries_list(
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only templates with this tag (e.g. iam, T1110).")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    queries_dir: _QueriesDir = None,
) -> None:
    """List the templates: name, kind, severity, tags, title, parameters."""
    templates = _catalog(queries_dir).select(tag=tag)
    if format == "json":
        print(json.dumps([t.as_dict() for t in templates], indent=2))
        return
    if format != "table":
        raise UsageError(f"--format {format!r} is not known here", "use table or json")
    rows = [
        (t.name, t.kind, t.severity or "", ", ".join(t.tags), t.title, ", ".join(p.name for p in t.params))
        for t in templates
    ]
    export.write(["name", "kind", "severity", "tags", "title", "params"], rows, "table", sys.stdout)


@queries_app.command("show")
def queries_show(
    name: Annotated[str, typer.Argument(help="Template name.")],
    dialect: Annotated[
        str, typer.Option("--dialect", help="athena (as written) or duckdb (as the local engine runs it).")
    ] = "athena",
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    queries_dir: _QueriesDir = None,
) -> None:
    """Show one template: its description, parameters and SQL."""
    template = _catalog(queries_dir).get(name)
    if dialect not in ("athena", "duckdb"):
        raise UsageError(f"--dialect {dialect!r} is not known", "use athena or duckdb")
    from toolkit import transpile
    from toolkit.query import parse_select

    sql = template.sql if dialect == "athena" else transpile.to_duckdb(parse_select(template.sql))
    if format == "json":
        data = template.as_dict(with_sql=True)
        data["sql"] = sql
        print(json.dumps(data, indent=2))
        return
    if format != "text":
        raise UsageError(f"--format {format!r} is not known here", "use text or json")
    print(f"{template.name}: {template.title}\n")
    print(f"kind: {template.kind}" + (f", severity: {template.severity}" if template.severity else ""))
    print(f"tags: {', '.join(template.tags)}\n")
    print(template.description + "\n")
    for param in template.params:
        default = f", default {param.default!r}" if param.default is not None else ""
        need = "required" if param.required else "optional"
        print(f"  --param {param.name}=<{param.type}>  ({need}{default}) {param.description}")
    print(f"\n{sql}")


def _complete_template(incomplete: str) -> list[str]:
    from toolkit.catalog import template_paths

    return sorted(n for n in template_paths() if n.startswith(incomplete))


def _complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    from toolkit.catalog import param_names, template_paths

    name = ctx.params.get("name")
    if not name:  # typer does not always parse the argument while completing: read the shell's words
        words = (os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or "").split()
        after_run = words[words.index("run") + 1 :] if "run" in words else []
        name = next((w for w in after_run if not w.startswith("-")), "")
    path = template_paths().get(name)
    if path is None:
        return []
    return [f"{p}=" for p in param_names(path) if p.startswith(incomplete.partition("=")[0])]


@app.command()
@options(criteria=criteria_options, window=window_options, out=output_options, source=source_options)
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
            "--param", "-p", help="A template parameter: name=value (repeat).", autocompletion=_complete_param
        ),
    ] = None,
    queries_dir: _QueriesDir = None,
) -> None:
    """Run an investigation template; CRITERIA and WINDOW narrow `trail` as for any query."""
    if out.columns:
        raise UsageError("--columns does not apply to run", "the template chooses its columns")
    template = _catalog(queries_dir).get(name)
    from toolkit.render import parse_assignments, render

    query = render(template, parse_assignments(param or []), window, criteria)
    if out.limit is not None:
        query.ast = query.ast.limit(out.limit)
    say(f"template: {template.name} - {template.title}")
    _run(query, source, out)


@app.command()
@options(criteria=criteria_options, window=window_options, out=output_options, source=source_options)
def sweep(
    criteria: Criteria,
    window: Window,
    out: OutputOptions,
    source: SourceOptions,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only detections with this tag (e.g. iam, T1098).")
    ] = None,
    queries_dir: _QueriesDir = None,
) -> None:
    """Run every detection template; one row per finding, severest and newest first."""
    if out.columns or out.dry_run:
        raise UsageError(
            "--columns and --dry-run do not apply to sweep", "use run NAME --dry-run for one detection"
        )
    from toolkit import sweep as sweep_module

    say(f"window: {window.description}")
    if not criteria.is_empty():
        say(f"criteria: {criteria.describe()}")
    with _engine(source, window, criteria) as engine:
        outcome = sweep_module.run(engine, _catalog(queries_dir), window, criteria, tag)
    _report(outcome.report)
    counts = Counter(f.severity for f in outcome.findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in sweep_module.SEVERITY_RANK if counts[s]) or "no findings"
    say(f"{len(outcome.templates)} detections: {summary}")
    findings = outcome.findings[: out.limit] if out.limit else outcome.findings
    fmt = export.choose_format(out.format, out.output)
    if fmt in ("json", "jsonl"):
        columns = sorted({k for f in findings for k in f.as_dict()}, key=_finding_order)
        rows = [tuple(f.as_dict().get(c) for c in columns) for f in findings]
    else:
        columns = [
            "template",
            "severity",
            "eventtime",
            "eventname",
            "principal",
            "sourceipaddress",
            "eventid",
        ]
        rows = [
            (f.template, f.severity, *(f.record.get(c) for c in columns[2:]), f.details()) for f in findings
        ]
        columns.append("details")
    _emit(Result(columns, rows), out)


def _finding_order(column: str) -> tuple[int, str]:
    first = ("template", "severity", "eventtime", "eventname", "principal", "sourceipaddress", "eventid")
    return (first.index(column), "") if column in first else (len(first), column)


@app.command()
@options(window=window_options)
def names(
    window: Window,
    service: Annotated[
        str | None, typer.Argument(help="A service: ec2, EC2, ec2.amazonaws.com or Amazon EC2.")
    ] = None,
    search_text: Annotated[
        str | None, typer.Option("--search", help="Event names containing this text, any service.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Count how often each name occurs in this archive.")
    ] = None,
    seen_only: Annotated[
        bool, typer.Option("--seen-only", help="Only names that occur in the archive (needs --source).")
    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Event sources, and the event names each records (from botocore's models, offline)."""
    from toolkit.cli_options import name_index
    from toolkit.names import listing

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r} is not known here", "use table or json")
    if seen_only and not source:
        raise UsageError("--seen-only needs --source", "give the archive whose names to count")
    counts = _name_counts(SourceOptions(source, False), window) if source else None
    columns, rows = listing(name_index(), service, search_text, counts, seen_only)
    if format == "json":
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2))
    else:
        export.write(columns, rows, "table", sys.stdout)


def _name_counts(source: SourceOptions, window: Window) -> dict[tuple[str, str], int]:
    from toolkit.query import TrailQuery

    query = TrailQuery.parse("SELECT eventsource, eventname, count(*) AS n FROM trail GROUP BY 1, 2", window)
    say(f"window: {window.description}")
    with _engine(source, window) as engine:
        result = engine.run(query)
    _report(result.report)
    return {(str(s), str(e)): int(n) for s, e, n in result.rows}


athena_app = typer.Typer(
    help="Athena: discover a trail bucket's layout, create the partition-projected table, print the infrastructure."
)
app.add_typer(athena_app, name="athena")

_Bucket = Annotated[str, typer.Option("--bucket", help="The trail's S3 bucket (name only).")]
_Prefix = Annotated[str, typer.Option("--prefix", help="Key prefix before AWSLogs/, if the trail has one.")]
_Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (default: the usual AWS environment).")
]
_AwsRegion = Annotated[str | None, typer.Option("--aws-region", help="AWS region for the API calls.")]


def _s3_client(profile: str | None, region: str | None) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=profile, region_name=region).client("s3")
    except botocore.exceptions.ProfileNotFound as error:
        raise UsageError(str(error), "check --profile or AWS_PROFILE") from None


def _discover(bucket: str, prefix: str, profile: str | None, region: str | None) -> Any:
    import botocore.exceptions

    from toolkit.bucket import discover

    try:
        return discover(_s3_client(profile, region), bucket, prefix)
    except botocore.exceptions.NoCredentialsError:
        raise UsageError("no AWS credentials found", "set AWS_PROFILE or pass --profile") from None
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise SourceError(
            f"s3://{bucket}: {code}: {error.response.get('Error', {}).get('Message', '')}".rstrip(": "),
            "check the bucket name and your read access to it",
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise EngineError(f"cannot reach S3: {error}") from None


@athena_app.command("discover")
def athena_discover(
    bucket: _Bucket,
    prefix: _Prefix = "",
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    profile: _Profile = None,
    aws_region: _AwsRegion = None,
) -> None:
    """List the bucket's CloudTrail layout (org id, accounts, regions, first and last day) from folder listings."""
    layout = _discover(bucket, prefix, profile, aws_region)
    data = layout.as_dict()
    if format == "json":
        print(json.dumps(data, indent=2))
    elif format == "table":
        rows = [
            (k, ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v)))
            for k, v in data.items()
        ]
        export.write(["field", "value"], rows, "table", sys.stdout)
    else:
        raise UsageError(f"--format {format!r} is not known here", "use table or json")


_OrgId = Annotated[str | None, typer.Option("--org-id", help="Organization id of an organization trail.")]
_Accounts = Annotated[str | None, typer.Option("--accounts", help="Comma-separated account ids.")]
_Regions = Annotated[str | None, typer.Option("--regions", help="Comma-separated regions.")]
_StartDay = Annotated[
    str | None, typer.Option("--start-day", help="First day of logs, YYYY/MM/DD or YYYY-MM-DD.")
]
_Database = Annotated[str, typer.Option("--database", help="Glue database.")]
_Table = Annotated[str, typer.Option("--table", help="Table name.")]


def _table_spec(
    bucket: str,
    prefix: str,
    org_id: str | None,
    accounts: str | None,
    regions: str | None,
    start_day: str | None,
    database: str,
    table: str,
    profile: str | None,
    aws_region: str | None,
) -> Any:
    """The table to create: flags first, the rest from the bucket's layout (as `discover` finds it)."""
    from datetime import date

    from toolkit.ddl import TableSpec

    if accounts and regions and start_day:
        found_org, found_accounts, found_regions, found_day = org_id, [accounts], [regions], None
    else:
        layout = _discover(bucket, prefix, profile, aws_region)
        found_org = org_id if org_id is not None else layout.org_id
        found_accounts = [accounts] if accounts else layout.accounts
        found_regions = [regions] if regions else layout.regions
        found_day = layout.first_day
    if start_day:
        try:
            found_day = date.fromisoformat(start_day.strip().replace("/", "-"))
        except ValueError:
            raise UsageError(f"--start-day {start_day!r} is not a date", "use YYYY/MM/DD") from None
    if found_day is None:
        raise UsageError("no first day found in the bucket", "give --start-day")
    spec = TableSpec(bucket, found_accounts, found_regions, found_day, prefix, found_org, database, table)
    return spec.check()


@athena_app.command("cloudformation")
def athena_cloudformation() -> None:
    """Print infra/trailcsi-athena.yaml: workgroup, results bucket, Glue database, investigator policy.

    Deploy it with: trailcsi athena cloudformation > trailcsi-athena.yaml &&
    aws cloudformation deploy --template-file trailcsi-athena.yaml --stack-name trailcsi
    --capabilities CAPABILITY_IAM --parameter-overrides TrailBucketName=BUCKET
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "infra", here.parent / "infra"):  # installed wheel, then a checkout
        template = candidate / "trailcsi-athena.yaml"
        if template.is_file():
            sys.stdout.write(template.read_text(encoding="utf-8"))
            return
    raise SourceError(
        "the CloudFormation template is not installed", "take infra/ from the source distribution"
    )


@athena_app.command("ddl")
def athena_ddl(
    bucket: _Bucket,
    prefix: _Prefix = "",
    org_id: _OrgId = None,
    accounts: _Accounts = None,
    regions: _Regions = None,
    start_day: _StartDay = None,
    database: _Database = "trailcsi",
    table: _Table = "cloudtrail",
    profile: _Profile = None,
    aws_region: _AwsRegion = None,
) -> None:
    """Print the CREATE DATABASE and partition-projected CREATE EXTERNAL TABLE statements.

    Accounts, regions, first day and org id come from the bucket (as `discover` finds them) unless
    all of --accounts, --regions and --start-day are given.
    """
    from toolkit.ddl import create_database_sql, create_table_sql

    spec = _table_spec(
        bucket, prefix, org_id, accounts, regions, start_day, database, table, profile, aws_region
    )
    print(create_database_sql(spec) + ";\n")
    print(create_table_sql(spec) + ";")


@athena_app.command("setup")
def athena_setup(
    bucket: _Bucket,
    output_location: Annotated[
        str | None,
        typer.Option("--output-location", help="s3:// prefix for query results (or the workgroup's)."),
    ] = None,
    workgroup: Annotated[str, typer.Option("--workgroup", help="Athena workgroup.")] = "primary",
    prefix: _Prefix = "",
    org_id: _OrgId = None,
    accounts: _Accounts = None,
    regions: _Regions = None,
    start_day: _StartDay = None,
    database: _Database = "trailcsi",
    table: _Table = "cloudtrail",
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Recreate the table definition if it differs (log files are untouched)."
        ),
    ] = False,
    config: Annotated[Path, typer.Option("--config", help="Where to write the settings.")] = Path(
        "trailcsi.toml"
    ),
    profile: _Profile = None,
    aws_region: _AwsRegion = None,
) -> None:
    """Create the database and the partition-projected table, and write trailcsi.toml.

    Idempotent: an identical table is left alone; a different one is reported and changed only
    with --replace. Afterwards `trailcsi run NAME --engine athena` needs no more flags.
    """
    from toolkit import config as config_module
    from toolkit import provision
    from toolkit.engines.athena import AthenaEngine

    if output_location is not None and not output_location.startswith("s3://"):
        raise UsageError(
            f"--output-location {output_location!r} is not an s3:// address", "e.g. s3://my-results/athena/"
        )
    spec = _table_spec(
        bucket, prefix, org_id, accounts, regions, start_day, database, table, profile, aws_region
    )
    session = _aws_session(profile, aws_region)
    settings = config_module.AthenaSettings(
        database=spec.database,
        table=spec.table,
        workgroup=workgroup,
        output_location=output_location,
        region=session.region_name,
        profile=profile,
    )
    engine = AthenaEngine(settings, session=session, notify=say)
    try:
        outcome = provision.setup(spec, engine.execute, session.client("glue"), replace=replace)
    finally:
        engine.close()
    for difference in outcome.differences:
        say(f"changed: {difference}")
    said = {"created": "created", "replaced": "recreated", "unchanged": "already up to date:"}[outcome.action]
    say(f"{said} table {spec.database}.{spec.table} over {spec.location()}")
    record = config_module.TableRecord(
        spec.bucket, spec.prefix, spec.org_id, spec.accounts, spec.regions, f"{spec.start_day:%Y/%m/%d}"
    )
    config_module.save(config_module.Config(settings, record), config)
    say(f"wrote {config}; now: trailcsi run NAME --engine athena (or sql, search, sweep)")


@app.command()
@options(window=window_options)
def verify(
    window: Window,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", help="Directory holding AWSLogs/, or s3://bucket/prefix (env TRAILCSI_SOURCE)."
        ),
    ] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeat).")
    ] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Only this region (repeat).")] = None,
    public_keys: Annotated[
        Path | None,
        typer.Option(
            "--public-keys", help="JSON from `aws cloudtrail list-public-keys` (kept in the cache)."
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Never ask AWS for public keys (use --public-keys and the cache)."),
    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    profile: _Profile = None,
    aws_region: _AwsRegion = None,
) -> None:
    """Prove the archive was not tampered with: digest chains, signatures, log hashes, unreferenced files.

    Exit 0 only when everything checked is valid; 1 when anything is not (problems are listed first).
    """
    from toolkit import publickeys
    from toolkit import verify as verify_module

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r} is not known here", "use table or json")
    chosen = source or os.environ.get("TRAILCSI_SOURCE")
    if not chosen:
        raise UsageError("no source given", "pass --source DIR or s3://bucket/prefix")
    fetch = None
    if not offline and public_keys is None:
        fetch = publickeys.aws_fetcher(_aws_session(profile, aws_region))
    keys = publickeys.PublicKeys.load(public_keys, fetch)
    say(f"window: {window.description}")
    signatures: dict[str, str] = {}
    if chosen.startswith("s3://"):
        chosen, signatures = _verify_copy(chosen, window, account or [], region or [], profile, aws_region)
    elif not Path(chosen).is_dir():
        raise SourceError(f"source {chosen!r} is not a directory", "give the directory holding AWSLogs/")
    bar = None
    if sys.stderr.isatty():
        from toolkit.progress import DownloadProgress

        bar = DownloadProgress("hashing log files")
    try:
        report = verify_module.verify(
            chosen,
            window,
            keys,
            accounts=account,
            regions=region,
            signatures=signatures,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.stop()
    for note in report.notes:
        say(note)
    totals = report.totals()
    if format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        problems = report.problems()
        for line in problems[:50]:
            print(f"PROBLEM {line}")
        if len(problems) > 50:
            print(f"PROBLEM ... and {len(problems) - 50} more (--format json lists them all)")
        rows = [
            (
                c.account,
                c.region,
                c.trail,
                c.digests_valid,
                len(c.digests_unauthenticated),
                len(c.digests_invalid),
                len(c.digests_missing),
                c.logs_valid + c.logs_unvouched,
                len(c.logs_mismatch),
                len(c.logs_missing) + len(c.logs_unreadable),
                len(c.logs_unreferenced),
                len(c.gaps),
            )
            for c in report.chains
        ]
        columns = [
            "account",
            "region",
            "trail",
            "digests ok",
            "not auth.",
            "invalid",
            "missing",
            "logs ok",
            "bad hash",
            "lost",
            "unreferenced",
            "gaps",
        ]
        export.write(columns, rows, "table", sys.stdout)
    if totals["digests_unauthenticated"]:
        say(
            f"{totals['digests_unauthenticated']} newest digest(s) not authenticated: their signature lives "
            f"only in S3 object metadata (verify from s3:// to check them); {totals['logs_unvouched']} log "
            "file(s) match only those digests"
        )
    say(
        f"digests: {totals['digests_valid']:,} valid, {totals['digests_invalid']:,} invalid, "
        f"{totals['digests_missing']:,} missing; log files: {totals['logs_valid'] + totals['logs_unvouched']:,} "
        f"valid, {totals['logs_mismatch']:,} hash mismatch, {totals['logs_missing']:,} missing, "
        f"{totals['logs_unreadable']:,} unreadable, {totals['logs_unreferenced']:,} referenced by no digest; "
        f"{totals['gaps']:,} gaps, {totals['starts']:,} chain starts"
    )
    if not report.chains:
        say("no digest files in this window: is log file validation on for this trail?")
    if not report.ok() or not report.chains:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _verify_copy(
    url: str, window: Window, accounts: list[str], regions: list[str], profile: str | None, region: str | None
) -> tuple[str, dict[str, str]]:
    """An s3:// source: fetch the window's digests (with their signatures) and log files."""
    import botocore.exceptions

    from toolkit import s3source

    client = _s3_client(profile, region)
    try:
        directory, signatures, digests = s3source.sync_digests(client, url, window, accounts, regions)
        s3source.sync(client, url, window, accounts, regions)
    except botocore.exceptions.NoCredentialsError:
        raise UsageError("no AWS credentials found", "set AWS_PROFILE or pass --profile") from None
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        raise SourceError(f"{url}: {info.get('Code', 'error')}: {info.get('Message', '')}") from None
    say(f"{url}: {digests.listed:,} digest files in the window ({digests.downloaded:,} downloaded)")
    return str(directory), signatures


cache_app = typer.Typer(
    help="The columnar cache: an archive's days as Parquet, for repeated investigations.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


@cache_app.command("build")
@options(window=window_options)
def cache_build(
    window: Window,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", help="Directory holding AWSLogs/, or s3://bucket/prefix (env TRAILCSI_SOURCE)."
        ),
    ] = None,
    accounts: _Accounts = None,
    regions: _Regions = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable log file.")] = False,
) -> None:
    """Convert the window's day folders to Parquet (days already converted and unchanged are skipped)."""
    from toolkit import columnar
    from toolkit.engines.local import LocalEngine

    chosen = source or os.environ.get("TRAILCSI_SOURCE")
    if not chosen:
        raise UsageError("no source given", "pass --source DIR or s3://bucket/prefix")
    wanted_accounts = [a.strip() for a in (accounts or "").split(",") if a.strip()]
    wanted_regions = [r.strip() for r in (regions or "").split(",") if r.strip()]
    say(f"window: {window.description}")
    options = SourceOptions(chosen, strict)
    directory = (
        _local_copy(options, window, Criteria(account=wanted_accounts, region=wanted_regions))
        if chosen.startswith("s3://")
        else chosen
    )
    cache = columnar.ColumnarCache(directory)
    engine = LocalEngine(directory, strict=strict)
    selected = engine.archive.select(window.delivery_span(), wanted_accounts, wanted_regions)
    chosen_days = {(f.account, f.region, f.day) for f in selected}
    everything = columnar.group(engine.archive.files)
    days = {key: everything[key] for key in chosen_days}
    bar = None
    if sys.stderr.isatty():
        from toolkit.progress import CacheProgress

        bar = CacheProgress()
    try:
        report = cache.build(days, engine.write_parquet, progress=bar)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; the days converted so far are kept, the next build resumes") from None
    finally:
        if bar is not None:
            bar.stop()
        engine.close()
    for path, reason in report.skipped:
        say(f"skipped {path}: {reason}")
    say(
        f"{report.days_built:,} day folders converted ({report.files:,} log files, {report.events:,} events), "
        f"{report.days_reused:,} already cached and unchanged; cache: {cache.dir}"
    )


@cache_app.command("status")
def cache_status(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """What is cached: per archive, the days, events and size."""
    from toolkit import columnar

    rows = []
    for cache in columnar.all_caches():
        days = cache.days()
        if not days:
            continue
        rows.append(
            (
                str(cache.root),
                len(days),
                min(d["day"] for d in days),
                max(d["day"] for d in days),
                sum(d["events"] for d in days),
                round(sum(d["bytes"] for d in days) / 1e6, 1),
                str(cache.dir),
            )
        )
    columns = ["source", "day folders", "first day", "last day", "events", "MB", "cache"]
    if format == "json":
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2))
    elif format != "table":
        raise UsageError(f"--format {format!r} is not known here", "use table or json")
    elif rows:
        export.write(columns, rows, "table", sys.stdout)
    if not rows:
        say("nothing cached; build with: trailcsi cache build --source DIR --since 30d")


@cache_app.command("clear")
def cache_clear(
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Only this archive's cache (default: every archive).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only days in this window, e.g. 30d.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Only days from this date.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Only days up to this date (inclusive).")] = None,
) -> None:
    """Remove cached days (all, or those of an archive and window); raw log files are never touched."""
    from toolkit import columnar
    from toolkit.window import parse as parse_window

    scoped = since or start or end
    window = parse_window(since, start, end) if scoped else None
    caches = columnar.all_caches()
    if source:
        wanted = columnar.ColumnarCache(source)
        caches = [c for c in caches if c.dir == wanted.dir]
    removed = 0
    for cache in caches:
        if window is None:
            removed += cache.clear()
            continue
        first = window.start.date() if window.start else None
        last = (window.end - timedelta(microseconds=1)).date() if window.end else None

        def keep(day: dict[str, Any], first: Any = first, last: Any = last) -> bool:
            moment = date.fromisoformat(day["day"])
            return not ((first is None or moment >= first) and (last is None or moment <= last))

        removed += cache.clear(keep)
    say(f"removed {removed:,} cached day folders")


@app.command()
def sample(
    directory: Annotated[Path, typer.Argument(help="Where to write the archive (created if missing).")],
    days: Annotated[int, typer.Option("--days", help="Days of logs, ending yesterday (at least 120).")] = 130,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed, days and end give the same archive.")
    ] = 7,
    end: Annotated[
        str | None, typer.Option("--end", help="Last day of logs (default: yesterday, UTC).")
    ] = None,
) -> None:
    """Write a deterministic synthetic archive with planted incidents, in the real S3 layout."""
    from toolkit.sample import generator

    end_day = generator.parse_end_day(end)
    summary = generator.write_archive(directory, days=days, seed=seed, end_day=end_day)
    say(
        f"wrote {summary.events:,} events in {summary.files:,} log files under {directory} ({summary.first_day} to {summary.last_day})"
    )


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where the sample archive lives (default: a cache directory)."),
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
    if version:
        print(__version__)
        raise typer.Exit()


def main() -> None:
    """Entry point: a TrailcsiError becomes one line on stderr and its exit code, never a traceback.

    typer (click) itself handles usage errors (exit 2), --help and Ctrl-C outside a query.
    """
    try:
        app(prog_name="trailcsi")
    except TrailcsiError as error:
        say(f"error: {error.message}" + (f" ({error.hint})" if error.hint else ""))
        sys.exit(int(error.exit_code))
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(int(ExitCode.OK))


if __name__ == "__main__":
    main()
