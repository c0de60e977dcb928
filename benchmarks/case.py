"""`trailcsi case build` on a case of 10,000 events: build time, the files' sizes, and how the
report behaves in Chromium (load, a row expanded, a filter typed).

    python benchmarks/case.py                  # 10,000 events of the sample archive
    python benchmarks/case.py --events 2000

The sample archive (130 days, 16,320 events) is written once into benchmarks/data/case-sample.
The case cites the oldest N events by --event-id over all time, so every log file of the archive
is read, located and hashed: the heaviest case of that many events. Nothing is asserted; results
go to benchmarks/results/case-<date>.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
END_DAY = date(2025, 3, 31)


def main() -> None:
    from toolkit import case
    from toolkit.core.query import TrailQuery
    from toolkit.core.window import Window
    from toolkit.engines.local import LocalEngine
    from toolkit.sample import generator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    root = HERE / "data" / "case-sample"
    marker = root / f".complete-{generator.version()}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        generator.write_archive(root, days=130, seed=7, end_day=END_DAY)
        marker.touch()
    everything = Window(None, None, "all time")
    engine = LocalEngine(root)
    try:
        result = engine.run(
            TrailQuery.parse(f"SELECT eventid FROM trail ORDER BY eventtime LIMIT {args.events}", everything)
        )
        ids = [r[0] for r in result.rows]
    finally:
        engine.close()
    target = Path(tempfile.mkdtemp(prefix="trailcsi-case-bench-")) / "case"
    started = time.perf_counter()
    engine = LocalEngine(root)
    try:
        built = case.build(engine, case.CaseSpec(everything, event_ids=ids, command=["benchmark"]))
    finally:
        engine.close()
    collected = time.perf_counter() - started
    paths = case.write(built, target)
    total = time.perf_counter() - started
    sizes = {name: path.stat().st_size for name, path in paths.items()}
    browser = _browser(paths["report.html"])
    lines = [
        f"# case build, {len(built.events):,} events ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"{platform.machine()}, {platform.python_version()}; sample archive of "
        f"{len(built.files):,} log files (all read, located and hashed).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| selections run, records cut out, files hashed | {collected:.1f} s |",
        f"| whole build (with writing the four files) | {total:.1f} s |",
        *(f"| {name} | {size / 1e6:.1f} MB |" for name, size in sizes.items()),
        *(f"| Chromium: {k} | {v} |" for k, v in browser.items()),
    ]
    out = HERE / "results" / f"case-{datetime.now(UTC):%Y-%m-%d}.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(target.parent, ignore_errors=True)


def _browser(report: Path) -> dict[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed"}
    if chromium is None:
        return {"skipped": "no chromium binary"}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("#timeline-chart .scatterlayer .point")
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        page.locator("#event-table tbody tr.row").nth(
            5000 if page.locator("#event-table tbody tr.row").count() > 5000 else 0
        ).click()
        page.wait_for_selector("pre.record")
        expanded = time.perf_counter() - started
        started = time.perf_counter()
        page.fill("#filter", "consolelogin")
        page.wait_for_function("document.getElementById('shown').textContent.indexOf(' of ') > 0")
        filtered = time.perf_counter() - started
        browser.close()
    return {
        "page loaded, charts drawn": f"{loaded:.1f} s",
        "a row expanded": f"{expanded * 1000:.0f} ms",
        "filter typed": f"{filtered * 1000:.0f} ms",
    }


if __name__ == "__main__":
    main()
