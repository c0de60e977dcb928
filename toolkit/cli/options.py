"""Reusable option bundles for the typer commands: CRITERIA, WINDOW, OUTPUT and SOURCE.

A bundle is a function whose parameters are the typer options and whose return value is the
library object (`Criteria`, `Window`, ...). `@options(criteria=..., window=...)` adds a bundle's
options to a command's signature and hands the command the built object instead, so commands
stay short and every command spells a flag the same way.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from toolkit.core import window as window_module
from toolkit.core.criteria import Criteria

if TYPE_CHECKING:
    from toolkit.core.ordering import SortKey

CRITERIA = "Criteria (repeat a flag to OR its values; different flags AND)"
WINDOW = "Time window (default: the last 7 days)"
OUTPUT = "Output"
SOURCE = "Source"

_Many = list[str] | None


def name_index() -> Any:
    """The event-name index, built on first use with a note on stderr."""
    from toolkit.core.names import NameIndex

    def building() -> None:
        print(
            "trailcsi: indexing event names from botocore's models (once per botocore version)",
            file=sys.stderr,
        )

    return NameIndex.load(on_build=building)


def _check_names(event_names: list[str], event_sources: list[str]) -> list[str]:
    """Resolve event-source spellings (`EC2`, `Amazon EC2`) and warn about unknown names; never refuse."""
    index = name_index()
    resolved, warnings = index.resolve_sources(event_sources)
    for warning in warnings + index.check(event_names, resolved):
        print(f"trailcsi: warning: {warning} (searching anyway)", file=sys.stderr)
    return list(resolved)


def complete_event_source(incomplete: str) -> list[str]:
    index = name_index()
    needle = incomplete.lower()
    return sorted(name for name in index.sources if name.startswith(needle))[:200]


def complete_event_name(ctx: typer.Context, incomplete: str) -> list[str]:
    index = name_index()
    chosen = [index.resolve_source(s) or s for s in (ctx.params.get("event_source") or [])]
    sources = [index.sources[c] for c in chosen if c in index.sources] or list(index.sources.values())
    needle = incomplete.lower()
    return sorted({e for source in sources for e in source.events if e.lower().startswith(needle)})[:200]


def complete_region(incomplete: str) -> list[str]:
    """AWS region names from botocore's endpoint data, read as a file (importing botocore would
    cost more than a Tab press may take)."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return []
    try:
        data = json.loads((Path(spec.submodule_search_locations[0]) / "data" / "endpoints.json").read_text())
    except (OSError, ValueError):
        return []
    regions = {name for partition in data.get("partitions", []) for name in partition.get("regions", {})}
    return sorted(r for r in regions if r.startswith(incomplete.lower()))


def complete_zone(incomplete: str) -> list[str]:
    """IANA time zones (the system's or tzdata's) starting with what was typed, in any case."""
    import zoneinfo

    typed = incomplete.lower()
    return sorted(z for z in zoneinfo.available_timezones() if z.lower().startswith(typed))


def completer(*choices: str) -> Callable[[str], list[str]]:
    """Completion for an option with a fixed list of values."""

    def complete(incomplete: str) -> list[str]:
        return [c for c in choices if c.startswith(incomplete.lower())]

    return complete


# The fixed lists of values an option takes: typer checks them (any case) and completes them;
# a value not listed is refused by typer with the values it takes (exit 2).


class ListFormat(StrEnum):
    """Formats of the list commands (names, queries list, verify, cache status, athena discover)."""

    table = "table"
    csv = "csv"
    json = "json"


class OutputFormat(StrEnum):
    """Formats of rows (search, sql, run, sweep); ndjson is JSON Lines' other name."""

    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    ndjson = "ndjson"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class Dialect(StrEnum):
    athena = "athena"
    duckdb = "duckdb"


class TextFormat(StrEnum):
    """`queries show`: the template as text, or as JSON."""

    text = "text"
    json = "json"


def choices(kind: type[StrEnum]) -> str:
    """`table|csv|json`: an option's metavar."""
    return "|".join(kind)


ListFormatOption = Annotated[
    ListFormat,
    typer.Option(
        "--format",
        "-f",
        metavar=choices(ListFormat),
        help="table, csv or json.",
        case_sensitive=False,
        autocompletion=completer(*ListFormat),
    ),
]


def criteria_options(
    event_name: Annotated[
        _Many,
        typer.Option(
            "--event-name",
            metavar="NAME",
            help="eventName, e.g. CreateUser.",
            rich_help_panel=CRITERIA,
            autocompletion=complete_event_name,
        ),
    ] = None,
    event_source: Annotated[
        _Many,
        typer.Option(
            "--event-source",
            metavar="SOURCE",
            help="eventSource; 's3', 'S3' or 'Amazon S3' mean s3.amazonaws.com.",
            rich_help_panel=CRITERIA,
            autocompletion=complete_event_source,
        ),
    ] = None,
    user: Annotated[
        _Many,
        typer.Option(
            "--user",
            metavar="USER",
            help="User name, role session name, role name, principal ID or ARN.",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    resource_name: Annotated[
        _Many,
        typer.Option(
            "--resource-name",
            metavar="NAME",
            help="A resource ARN or its last segment, or any request/response value equal to it (sg-…, i-…, a user name).",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    resource_type: Annotated[
        _Many,
        typer.Option(
            "--resource-type",
            metavar="TYPE",
            help="resources[].type, e.g. AWS::S3::Bucket.",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    access_key_id: Annotated[
        _Many,
        typer.Option(
            "--access-key-id", metavar="KEY_ID", help="Access key ID used.", rich_help_panel=CRITERIA
        ),
    ] = None,
    event_id: Annotated[
        _Many, typer.Option("--event-id", metavar="EVENT_ID", help="eventID.", rich_help_panel=CRITERIA)
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Only read-only events.", rich_help_panel=CRITERIA)
    ] = False,
    write_only: Annotated[
        bool,
        typer.Option("--write-only", help="Only events that change something.", rich_help_panel=CRITERIA),
    ] = False,
    source_ip: Annotated[
        _Many,
        typer.Option(
            "--source-ip",
            metavar="ADDRESS",
            help="Source IP address or IPv4 CIDR range.",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    user_agent: Annotated[
        _Many,
        typer.Option(
            "--user-agent", metavar="TEXT", help="Substring of userAgent.", rich_help_panel=CRITERIA
        ),
    ] = None,
    error_code: Annotated[
        _Many,
        typer.Option(
            "--error-code", metavar="CODE", help="errorCode, e.g. AccessDenied.", rich_help_panel=CRITERIA
        ),
    ] = None,
    errors_only: Annotated[
        bool,
        typer.Option(
            "--errors-only",
            help="Only failed calls: an errorCode, or a failed console login (which has none).",
            rich_help_panel=CRITERIA,
        ),
    ] = False,
    region: Annotated[
        _Many,
        typer.Option(
            "--region",
            metavar="REGION",
            help="awsRegion (and only that region's files).",
            autocompletion=complete_region,
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    account: Annotated[
        _Many,
        typer.Option(
            "--account",
            metavar="ACCOUNT",
            help="Account the event was logged in (its files only).",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
    identity_type: Annotated[
        _Many,
        typer.Option(
            "--identity-type",
            metavar="TYPE",
            help="userIdentity.type: IAMUser, AssumedRole, Root, …",
            rich_help_panel=CRITERIA,
        ),
    ] = None,
) -> Criteria:
    if event_name or event_source:
        event_source = _check_names(event_name or [], event_source or [])
    return Criteria(
        event_name=event_name or [],
        event_source=event_source or [],
        user=user or [],
        resource_name=resource_name or [],
        resource_type=resource_type or [],
        access_key_id=access_key_id or [],
        event_id=event_id or [],
        source_ip=source_ip or [],
        user_agent=user_agent or [],
        error_code=error_code or [],
        region=region or [],
        account=account or [],
        identity_type=identity_type or [],
        read_only=read_only,
        write_only=write_only,
        errors_only=errors_only,
    )


def window_options(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="DURATION", help="Relative window: 7d, 36h, 90m.", rich_help_panel=WINDOW
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="TIME",
            help="Start: 2024-01-31 or ISO datetime (UTC unless an offset is given).",
            rich_help_panel=WINDOW,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            metavar="TIME",
            help="End (exclusive); a date alone includes that whole day.",
            rich_help_panel=WINDOW,
        ),
    ] = None,
    all_time: Annotated[
        bool, typer.Option("--all-time", help="Scan the whole archive.", rich_help_panel=WINDOW)
    ] = False,
    late_delivery: Annotated[
        str,
        typer.Option(
            "--late-delivery",
            metavar="DURATION",
            help="Also read log files delivered up to this long after the window's end (1d: the whole next day).",
            rich_help_panel=WINDOW,
        ),
    ] = "6h",
) -> window_module.Window:
    return window_module.parse(since, start, end, all_time, late_delivery=late_delivery)


@dataclass
class OutputOptions:
    format: str | None
    output: str | None
    columns: str | None
    limit: int | None
    dry_run: bool
    all_files: bool = False
    sort: list[SortKey] = field(default_factory=list)
    zone: tzinfo | None = None  # event times shown in this zone (None: UTC, as recorded)


def output_options(
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table, csv, json or jsonl (JSON Lines, also called ndjson); default: table on a "
            "terminal, else CSV.",
            case_sensitive=False,
            autocompletion=completer("table", "csv", "json", "jsonl"),
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to this file instead of stdout (- is stdout); its suffix gives the format.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            metavar="COLUMNS",
            help="Comma-separated columns, e.g. eventtime,eventname,useridentity.arn.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", metavar="N", help="At most this many rows.", rich_help_panel=OUTPUT),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the SQL the engine would run; execute nothing.", rich_help_panel=OUTPUT
        ),
    ] = False,
    all_files: Annotated[
        bool,
        typer.Option(
            "--all-files",
            help="With --dry-run: name every log file read (else the first few, and how many).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    sort: Annotated[
        list[str] | None,
        typer.Option(
            "--sort",
            metavar="COLUMN[:asc|desc]",
            help="Sort by this column, ascending unless :desc (e.g. eventtime:desc); repeat it or "
            "separate keys with commas, the first counting most.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            autocompletion=complete_zone,
            help="Show event times in this IANA time zone, e.g. Europe/Paris, with its offset "
            "(default: UTC, as recorded). --start and --end stay UTC unless they carry an offset.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
) -> OutputOptions:
    from toolkit.core import ordering, timezone

    keys = ordering.parse(sort)
    zone = timezone.parse(tz)
    if limit is not None and limit < 1:
        from toolkit.errors import UsageError

        raise UsageError(
            f"--limit {limit} is not a number of rows", "give 1 or more (leave it out for all rows)"
        )
    chosen = None if format is None else str(OutputFormat.jsonl if format == OutputFormat.ndjson else format)
    if output == "-":  # the usual word for standard output
        output = None
    if output is not None and not dry_run:
        from toolkit.core.export import check_target

        check_target(output, chosen)
    return OutputOptions(chosen, output, columns, limit, dry_run, all_files, keys, zone)


@dataclass
class SourceOptions:
    """Where `trail` comes from: a local archive (DuckDB) or the Athena table."""

    source: str | None
    strict: bool = False
    engine: str = "local"
    athena: Any = None  # toolkit.config.AthenaSettings for the athena engine
    reuse_minutes: int | None = None
    yes: bool = False
    profile: str | None = None  # for an s3:// source
    aws_region: str | None = None
    use_cache: bool = True  # the columnar cache, for the days it holds
    config: str | None = None  # --config, as given (trailcsi.toml is also read for sweep's suppressions)


def source_options(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            metavar="DIR|S3_URL",
            help="Directory holding the trail's AWSLogs/, or s3://bucket/prefix (env TRAILCSI_SOURCE).",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Stop at the first unreadable log file instead of skipping it.",
            rich_help_panel=SOURCE,
        ),
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            metavar="local|athena",
            help="local (DuckDB over --source, the default) or athena (the table from athena setup); env TRAILCSI_ENGINE.",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="trailcsi.toml to use (default: ./trailcsi.toml, then the user's): Athena settings, sweep suppressions.",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--database", metavar="NAME", help="Athena: Glue database.", rich_help_panel=SOURCE),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", metavar="NAME", help="Athena: table name.", rich_help_panel=SOURCE),
    ] = None,
    workgroup: Annotated[
        str | None,
        typer.Option("--workgroup", metavar="NAME", help="Athena: workgroup.", rich_help_panel=SOURCE),
    ] = None,
    output_location: Annotated[
        str | None,
        typer.Option(
            "--output-location",
            metavar="S3_URL",
            help="Athena: s3:// prefix for query results.",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", metavar="PROFILE", help="AWS profile.", rich_help_panel=SOURCE)
    ] = None,
    aws_region: Annotated[
        str | None,
        typer.Option(
            "--aws-region",
            metavar="REGION",
            help="AWS region of the Athena workgroup.",
            autocompletion=complete_region,
            rich_help_panel=SOURCE,
        ),
    ] = None,
    max_scan: Annotated[
        str | None,
        typer.Option(
            "--max-scan",
            metavar="SIZE",
            help="Athena: stop past this many bytes scanned, e.g. 10GB.",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    reuse: Annotated[
        str | None,
        typer.Option(
            "--reuse",
            metavar="AGE",
            help="Athena: reuse a result of the same query up to this old, e.g. 60m.",
            rich_help_panel=SOURCE,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read raw log files even for days in the columnar cache.",
            rich_help_panel=SOURCE,
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Athena: do not ask before scanning more than 90 days.",
            rich_help_panel=SOURCE,
        ),
    ] = False,
) -> SourceOptions:
    from toolkit.errors import UsageError

    chosen_engine = (engine or os.environ.get("TRAILCSI_ENGINE") or "local").strip().lower()
    if chosen_engine not in ("local", "athena"):
        raise UsageError(f"--engine {engine!r} is not known", "use local or athena")
    if chosen_engine == "athena":
        from toolkit import config as config_module
        from toolkit.core.window import parse_duration

        if source:
            raise UsageError(
                "--source is for the local engine", "drop it: Athena reads the table from athena setup"
            )
        settings = config_module.load(config).athena.overridden(
            database=database,
            table=table,
            workgroup=workgroup,
            output_location=output_location,
            profile=profile,
            region=aws_region,
            max_scan=max_scan,
        )
        settings.max_scan_bytes()  # a malformed --max-scan is refused before anything runs
        minutes = None
        if reuse:
            minutes = max(1, int(parse_duration(reuse, flag="--reuse").total_seconds() // 60))
        return SourceOptions(None, strict, "athena", settings, minutes, yes, config=config)
    athena_only = {
        "--database": database,
        "--table": table,
        "--workgroup": workgroup,
        "--output-location": output_location,
        "--max-scan": max_scan,
        "--reuse": reuse,
    }
    given = [flag for flag, value in athena_only.items() if value]
    if given:
        raise UsageError(f"{', '.join(given)} apply to the athena engine only", "add --engine athena")
    chosen = source_or_env(
        source, "pass --source DIR (a copy of the trail bucket), set TRAILCSI_SOURCE, or use --engine athena"
    )
    return SourceOptions(
        chosen, strict, profile=profile, aws_region=aws_region, use_cache=not no_cache, config=config
    )


def options(**bundles: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add each bundle's options to the command; the command receives the built objects by name."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(command)
        hints = typing.get_type_hints(command, include_extras=True)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in own.parameters.values()
            if p.name not in bundles
        ]
        owners: dict[str, list[str]] = {}
        for name, bundle in bundles.items():
            bundle_hints = typing.get_type_hints(bundle, include_extras=True)
            owners[name] = []
            for param in inspect.signature(bundle).parameters.values():
                params.append(
                    param.replace(annotation=bundle_hints[param.name], kind=inspect.Parameter.KEYWORD_ONLY)
                )
                owners[name].append(param.name)
        params.sort(key=lambda p: p.kind)

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            for name, bundle in bundles.items():
                kwargs[name] = bundle(**{p: kwargs.pop(p) for p in owners[name]})
            return command(**kwargs)

        wrapper.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


def hiding(bundle: Callable[..., Any], *names: str) -> Callable[..., Any]:
    """`bundle` with the options `names` (parameter names) left out of the command's help: for
    options a command refuses with its own one-line reason (`sweep --dry-run`), so its help lists
    only the options it accepts."""
    hints = typing.get_type_hints(bundle, include_extras=True)
    unknown = set(names) - set(hints)
    if unknown:
        raise ValueError(f"{bundle.__name__} has no options {sorted(unknown)}")

    def hidden(hint: Any) -> Any:
        base, *extras = typing.get_args(hint)
        shown = []
        for extra in extras:
            if isinstance(extra, typer.models.OptionInfo):
                extra = copy.copy(extra)
                extra.hidden = True
            shown.append(extra)
        return Annotated[(base, *shown)]

    annotations = {name: hidden(hint) if name in names else hint for name, hint in hints.items()}

    @functools.wraps(bundle)
    def wrapper(**kwargs: Any) -> Any:
        return bundle(**kwargs)

    signature = inspect.signature(bundle)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(annotation=annotations[p.name]) for p in signature.parameters.values()]
    )
    wrapper.__annotations__ = annotations
    return wrapper


def source_or_env(source: str | None, hint: str = "pass --source DIR or s3://bucket/prefix") -> str:
    """`--source`, else `$TRAILCSI_SOURCE` (the one place it is read); neither is a usage error."""
    chosen = source or os.environ.get("TRAILCSI_SOURCE")
    if not chosen:
        from toolkit.errors import UsageError

        raise UsageError("no source given", hint)
    return chosen
