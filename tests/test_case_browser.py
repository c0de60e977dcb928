"""The case report as a person sees it: opened in headless Chromium (Debian's `chromium`, driven by
playwright; nothing is installed at run time). Skipped, saying why, where either is missing.

Set TRAILCSI_SCREENSHOT=path.png to write the README's screenshot.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.test_case import HOSTILE_AGENT, WINDOW, build_hostile, run_cli

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
if CHROMIUM is None:
    pytest.skip("no chromium binary on PATH (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Visit:
    """A page opened from a file, with every console message, page error, dialog and request seen."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.console: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def points(self) -> int:
        return self.page.eval_on_selector_all("#timeline-chart .scatterlayer .point", "e => e.length")

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def brute_force(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("browser") / "case"
    done = run_cli(
        "case", "build", str(target), "--source", str(sample_root), *WINDOW,
        "--principal", "alice", "--finding-from-sweep", "all",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


def test_report_loads_without_errors_or_requests(browser, brute_force: Path) -> None:
    visit = Visit(browser, brute_force / "report.html")
    try:
        visit.page.wait_for_selector("#timeline-chart .scatterlayer .point")
        assert visit.console == []
        assert visit.requests == [visit.url]  # the page itself, nothing else
    finally:
        visit.close()


def test_timeline_shows_every_event_and_marks_the_findings(browser, brute_force: Path) -> None:
    lines = (brute_force / "events.jsonl").read_text().splitlines()
    with open(brute_force / "timeline.csv", encoding="utf-8", newline="") as handle:
        findings = sum(1 for row in csv.DictReader(handle) if row["findings"])  # events a detection found
    visit = Visit(browser, brute_force / "report.html")
    try:
        visit.page.wait_for_selector("#timeline-chart .scatterlayer .point")
        marked = visit.page.evaluate(
            "() => document.getElementById('timeline-chart').data"
            ".filter(t => t.name === 'sweep finding')[0].x.length"
        )
        assert marked >= 1 and marked <= findings
        assert visit.points() == len(lines) + marked
        # colour by severity: the same events, drawn by other traces
        visit.page.get_by_text("colour by severity").click()
        visit.page.wait_for_timeout(300)
        assert visit.points() == len(lines) + marked
        assert visit.page.eval_on_selector_all("#event-table tbody tr.row", "e => e.length") == len(lines)
        assert visit.console == []
    finally:
        visit.close()


def test_expanding_a_row_shows_the_original_record(browser, brute_force: Path) -> None:
    lines = (brute_force / "events.jsonl").read_text().splitlines()
    visit = Visit(browser, brute_force / "report.html")
    try:
        row = visit.page.locator("#event-table tbody tr.row").nth(5)
        row.click()
        shown = visit.page.locator("pre.record").first.text_content()
        assert json.loads(shown) == json.loads(lines[5])
        row.click()  # and closes again
        assert visit.page.locator("pre.record").count() == 0
        visit.page.fill("#filter", "ec2")
        assert visit.page.locator("#shown").text_content().startswith("2 of")
    finally:
        visit.close()


def test_hostile_text_stays_text_in_the_browser(browser, tmp_path: Path) -> None:
    target, _texts = build_hostile(tmp_path)
    visit = Visit(browser, target / "report.html")
    try:
        visit.page.wait_for_selector("#timeline-chart .scatterlayer .point")
        visit.page.locator("#event-table tbody tr.row").first.click()
        shown = visit.page.locator("pre.record").first.text_content()
        assert json.loads(shown)["userAgent"] == HOSTILE_AGENT  # shown as the text it is
        assert json.dumps(HOSTILE_AGENT) in shown
        assert visit.page.locator("img").count() == 0  # no element made from the logs
        assert visit.page.locator("#event-table b, #event-table i").count() == 0
        visit.page.evaluate("window.scrollTo(0, 0)")  # (the row clicked above scrolled the page)
        box = visit.page.locator("#timeline-chart .scatterlayer .point").first.bounding_box()
        visit.page.mouse.move(box["x"], box["y"])
        visit.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
        label = visit.page.wait_for_selector("#timeline-chart .hoverlayer .hovertext")
        assert (
            "arn:aws:iam::111122223333:user/<i>mallory</i>" in label.text_content()
        )  # the text, not italics
        assert visit.dialogs == [] and visit.console == []
        assert visit.requests == [visit.url]
    finally:
        visit.close()


def test_screenshot_for_the_readme(browser, brute_force: Path) -> None:
    visit = Visit(browser, brute_force / "report.html", width=1100, height=820)
    try:
        visit.page.wait_for_selector("#timeline-chart .scatterlayer .point")
        visit.page.get_by_text("colour by severity").click()
        visit.page.evaluate("window.scrollTo(0, 0)")
        target = os.environ.get("TRAILCSI_SCREENSHOT") or str(brute_force / "screenshot.png")
        visit.page.screenshot(path=target, full_page=False)
        assert Path(target).stat().st_size > 10_000
    finally:
        visit.close()
