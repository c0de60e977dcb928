"""`trailcsi cache ...`: the columnar cache of an archive (see toolkit/cache/columnar.py)."""

from __future__ import annotations

import os
import sys
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
    ListFormatOption,
    SourceOptions,
    check_list_format,
    options,
    source_or_env,
    window_options,
)
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window
from toolkit.errors import Interrupted
from toolkit.sources import archive

#: Conversions run at once by `cache build` (one per core up to this).
MAX_CONVERSIONS = 4

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
    from toolkit.cache import columnar
    from toolkit.engines.local import LocalEngine

    chosen = source_or_env(source)
    wanted_accounts = [a.strip() for a in (accounts or "").split(",") if a.strip()]
    wanted_regions = [r.strip() for r in (regions or "").split(",") if r.strip()]
    say(f"window: {window.description}")
    options = SourceOptions(chosen, strict)
    directory = (
        local_copy(options, window, Criteria(account=wanted_accounts, region=wanted_regions))
        if chosen.startswith("s3://")
        else chosen
    )
    cache = columnar.ColumnarCache(directory)
    engine = LocalEngine(directory, strict=strict, threads=1)
    selected = engine.archive.select(window.delivery_span(), wanted_accounts, wanted_regions)
    passed = engine.archive.passed_over_in(window.delivery_span(), wanted_accounts, wanted_regions)
    if passed and strict:
        engine.close()
        raise archive.refusal(passed)
    if passed:
        say(archive.passed_over_note(passed))
    chosen_days = {(f.account, f.region, f.day) for f in selected}
    everything = columnar.group(engine.archive.files)
    days = {key: everything[key] for key in chosen_days}
    bar = None
    if sys.stderr.isatty():
        from toolkit.cli.progress import CacheProgress

        bar = CacheProgress()
    # One single-threaded conversion per core, days side by side; at most MAX_CONVERSIONS, since
    # each holds a day's row group in memory while it writes (peak RSS stays bounded).
    converters = [engine] + [
        LocalEngine(engine.archive, strict=strict, threads=1)
        for _ in range(min(os.cpu_count() or 1, MAX_CONVERSIONS) - 1)
    ]
    try:
        report = cache.build(days, converters, progress=bar)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; the days converted so far are kept, the next build resumes") from None
    finally:
        if bar is not None:
            bar.stop()
        for converter in converters:
            converter.close()
    for path, reason in report.repaired:
        say(
            f"repaired: removed the damaged cache {path} ({reason}); its days in this window are converted again"
        )
    for path, reason in report.skipped:
        say(f"skipped {path}: {reason}")
    say(
        f"{report.days_built:,} day folders converted ({report.files:,} log files, {report.events:,} events), "
        f"{report.days_reused:,} already cached and unchanged; cache: {cache.dir}"
    )


@cache_app.command("status", epilog=examples("trailcsi cache status", "trailcsi cache status --format csv"))
def cache_status(
    format: ListFormatOption = "table",
) -> None:
    """What is cached: per archive, the days, events and size."""
    from toolkit.cache import columnar

    check_list_format(format)
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
