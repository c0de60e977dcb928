"""Building an archive's columnar cache over a window with the local engine's conversions
(the cache itself: toolkit/cache/columnar.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from toolkit.cache import columnar
from toolkit.core.window import Window
from toolkit.engines.local import LocalEngine
from toolkit.errors import Interrupted
from toolkit.sources import archive
from toolkit.threads import threads_to_use

#: Conversions run at once (one per core up to this): each holds a day's row group in memory
#: while it writes, so peak memory stays bounded.
MAX_CONVERSIONS = 4


@dataclass
class CacheBuild:
    """A build's outcome: the cache's report, and where the cache is."""

    report: columnar.BuildReport
    cache: columnar.ColumnarCache
    #: Entries of the archive in the window not read (a symbolic link, a folder that cannot be
    #: listed, ...: path, why), as every query reports them.
    passed_over: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the build did, one line each: entries passed over, repairs, skipped files, then
        the totals."""
        report = self.report
        return [
            *([archive.passed_over_note(self.passed_over)] if self.passed_over else []),
            *(
                f"repaired: removed the damaged cache {path} ({why}); its days in this window are converted again"
                for path, why in report.repaired
            ),
            *(f"skipped {path}: {why}" for path, why in report.skipped),
            f"{report.days_built:,} day folders converted ({report.files:,} log files, {report.events:,} "
            f"events), {report.days_reused:,} already cached and unchanged; cache: {self.cache.dir}",
        ]


def build_cache(
    directory: str | os.PathLike[str],
    window: Window,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    strict: bool = False,
    progress: Callable[[int, int, int, int], None] | None = None,
) -> CacheBuild:
    """Convert the window's day folders of a local archive to Parquet; days already converted
    and unchanged are kept. Entries passed over in the window are in the outcome (`strict`:
    refused).
    `progress(days done, days, files, events)` is called after each day. Interrupted, the days
    converted so far are kept and the next build resumes."""
    engine = LocalEngine(directory, strict=strict, threads=1)
    converters = [engine]
    try:
        span = window.delivery_span()
        selected = engine.archive.select(span, list(accounts), list(regions))
        passed = engine.archive.passed_over_in(span, list(accounts), list(regions))
        if passed and strict:
            raise archive.refusal(passed)
        everything = columnar.group(engine.archive.files)
        days = {key: everything[key] for key in {(f.account, f.region, f.day) for f in selected}}
        # One single-threaded conversion per core, days side by side.
        converters += [
            LocalEngine(engine.archive, strict=strict, threads=1)
            for _ in range(min(threads_to_use(), MAX_CONVERSIONS) - 1)
        ]
        cache = columnar.ColumnarCache(directory)
        try:
            report = cache.build(days, converters, progress=progress)
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; the days converted so far are kept, the next build resumes"
            ) from None
        return CacheBuild(report, cache, passed)
    finally:
        for converter in converters:
            converter.close()
