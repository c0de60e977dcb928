"""`trailcsi cache ...`: the columnar cache of an archive (see toolkit/cache/columnar.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import typer

from toolkit.cli.common import (
    AccountsOption,
    RegionsOption,
    SourceOption,
    local_copy,
    print_listing,
    say,
)
from toolkit.cli.help import App, examples
from toolkit.cli.options import (
    ListFormat,
    ListFormatOption,
    SourceOptions,
    options,
    source_or_env,
    window_options,
)
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window

cache_app = App(
    help="The columnar cache: an archive's days as Parquet, for repeated investigations.",
    epilog=examples(
        "trailcsi cache build --source ./sample --since 7d",
        "trailcsi cache status",
        "trailcsi cache clear --source ./sample",
    ),
    no_args_is_help=True,
)


@cache_app.command(
    "build",
    epilog=examples(
        "trailcsi cache build --source ./sample --since 7d",
        "trailcsi cache build --source ./sample --since 30d --regions eu-west-1",
    ),
)
@options(window=window_options)
def cache_build(
    window: Window,
    source: SourceOption = None,
    accounts: AccountsOption = None,
    regions: RegionsOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable log file.")] = False,
) -> None:
    """Convert the window's day folders to Parquet (days already converted and unchanged are skipped)."""
    from toolkit.cli.progress import CacheProgress, shown
    from toolkit.engines.caching import build_cache

    chosen = source_or_env(source)
    wanted_accounts = [a.strip() for a in (accounts or "").split(",") if a.strip()]
    wanted_regions = [r.strip() for r in (regions or "").split(",") if r.strip()]
    say(f"window: {window.description}")
    directory = (
        local_copy(
            SourceOptions(chosen, strict), window, Criteria(account=wanted_accounts, region=wanted_regions)
        )
        if chosen.startswith("s3://")
        else chosen
    )
    with shown(CacheProgress) as bar:
        built = build_cache(directory, window, wanted_accounts, wanted_regions, strict=strict, progress=bar)
    for line in built.lines():
        say(line)


@cache_app.command("status", epilog=examples("trailcsi cache status", "trailcsi cache status --format csv"))
def cache_status(
    format: ListFormatOption = ListFormat.table,
) -> None:
    """What is cached: per archive, the days, events and size."""
    from toolkit.cache import columnar

    rows = []
    unknown: list[tuple[str, str]] = []
    caches = columnar.all_caches(damaged=unknown)
    for path, reason in unknown:
        say(f"damaged: {path}: {reason} (a cache build of its archive rewrites it)")
    for cache in caches:
        for path, reason in cache.damaged():  # not counted below: queries do not use them
            say(f"damaged: {path}: {reason} (queries read its days raw; trailcsi cache build repairs it)")
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
    if rows or format != "table":  # (CSV: the header; JSON: [])
        print_listing(columns, rows, format)
    if not rows:
        say("nothing cached; build with: trailcsi cache build --source DIR --since 30d")


@cache_app.command(
    "clear",
    epilog=examples("trailcsi cache clear --source ./sample --since 30d", "trailcsi cache clear"),
)
def cache_clear(
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", metavar="DIR|S3_URL", help="Only this archive's cache (default: every archive)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DURATION", help="Only days in this window, e.g. 30d.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", metavar="DAY", help="Only days from this date.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", metavar="DAY", help="Only days up to this date (inclusive).")
    ] = None,
) -> None:
    """Remove cached days (all, or those of an archive and window); raw log files are never touched."""
    from toolkit.cache import columnar
    from toolkit.core.window import parse as parse_window

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
