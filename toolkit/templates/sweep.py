"""`sweep`: run every detection template over one scope and collect one finding per row.

A detection's rows always carry `eventid`, `eventtime`, `principal`, `sourceipaddress` and
`eventname` (checked when it runs); its other columns travel with the finding as details.
Suppressions (toolkit.core.suppress) then set aside the findings known to be benign: the result keeps
them, counted per entry and per detection, apart from the findings shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from toolkit.core.criteria import Criteria
from toolkit.core.finding import FINDING_COLUMNS, Finding
from toolkit.core.suppress import Suppression, Triage, check_templates
from toolkit.core.suppress import apply as apply_suppressions
from toolkit.core.window import Window
from toolkit.engines import Engine, ScanReport
from toolkit.errors import TrailcsiError, UsageError
from toolkit.templates.catalog import Catalog, Template
from toolkit.templates.render import render

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class DetectionShapeError(TrailcsiError):
    """A detection template does not return the columns every finding needs."""


class UnknownTagError(UsageError):
    """`--tag` names no detection's tag."""


@dataclass
class SweepResult:
    findings: list[Finding] = field(default_factory=list)  # the findings shown: none suppressed
    templates: list[str] = field(default_factory=list)
    report: ScanReport = field(default_factory=ScanReport)
    triage: Triage = field(default_factory=Triage)  # what suppressions set aside, and expired entries

    @property
    def suppressed(self) -> list[tuple[Finding, Suppression]]:
        return self.triage.suppressed


def run(
    engine: Engine,
    catalog: Catalog,
    window: Window,
    criteria: Criteria | None = None,
    tag: str | None = None,
    suppressions: Sequence[Suppression] = (),
    today: date | None = None,
) -> SweepResult:
    """Every detection (with a tag, only those) over the window and criteria; severest first, then
    oldest first. Findings a suppression matches (unless it expired before `today`, UTC by default)
    are set aside in `triage`, not among `findings`."""
    outcome = SweepResult()
    detections = catalog.select(kind="detection")
    check_templates(suppressions, [d.name for d in detections])  # before any query runs
    chosen = catalog.select(tag=tag, kind="detection")
    if tag and not chosen:  # a mistyped tag is not "no findings"
        known = sorted({t.lower() for d in detections for t in d.tags})
        raise UnknownTagError(f"no detection has the tag {tag!r}", f"known tags: {', '.join(known)}")
    queries = [(t, render(t, {}, window, criteria)) for t in chosen]
    pin = getattr(engine, "pinned", None)  # engines that can read the scope once say so
    with pin(queries[0][1]) if pin and queries else nullcontext():
        for template, query in queries:
            result = engine.run(query)
            _check_shape(template, result.columns)
            outcome.templates.append(template.name)
            outcome.report = _combined(outcome.report, result.report)
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                outcome.findings.append(Finding(template.name, template.severity or "low", record))
    # A total order, whatever order the engine gave rows in: ties (one second, several events)
    # by template, event id, then the whole finding.
    outcome.findings.sort(key=lambda f: (f.template, str(f.record.get("eventid") or ""), repr(f.as_dict())))
    outcome.findings.sort(key=lambda f: str(f.record.get("eventtime") or ""))
    outcome.findings.sort(key=lambda f: SEVERITY_RANK.get(f.severity, 9))
    outcome.triage = apply_suppressions(outcome.findings, suppressions, today or datetime.now(UTC).date())
    outcome.findings = outcome.triage.kept
    return outcome


def _combined(before: ScanReport, latest: ScanReport) -> ScanReport:
    """The files report of the latest query (all read the same scope); bytes scanned and cost add up."""
    if latest.scanned_bytes is None:
        return latest
    latest.scanned_bytes += before.scanned_bytes or 0
    latest.cost_usd = (latest.cost_usd or 0) + (before.cost_usd or 0)
    latest.query_ids = before.query_ids + latest.query_ids
    return latest


def _check_shape(template: Template, columns: list[str]) -> None:
    missing = [c for c in FINDING_COLUMNS if c not in columns]
    if missing:
        raise DetectionShapeError(
            f"{template.path}: a detection must return {', '.join(FINDING_COLUMNS)}; missing {', '.join(missing)}"
        )


@dataclass
class DetectionSummary:
    """One detection's findings at a glance: how many, how severe, when, and by whom (of those
    shown), and how many suppressions set aside."""

    template: str
    severity: str
    findings: int
    first: str | None
    last: str | None
    top_principals: list[tuple[str, int]]
    suppressed: int = 0

    def as_row(self) -> tuple[Any, ...]:
        principals = ", ".join(f"{name} ({count})" for name, count in self.top_principals)
        return (
            self.template,
            self.severity,
            self.findings,
            self.suppressed,
            self.first,
            self.last,
            principals,
        )


SUMMARY_COLUMNS = ("template", "severity", "findings", "suppressed", "first", "last", "top_principals")


def summarize(
    findings: list[Finding], top: int = 3, suppressed: Sequence[Finding] = ()
) -> list[DetectionSummary]:
    """Per detection that found something (shown or suppressed): severest first, then most findings."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.template, []).append(finding)
    set_aside: dict[str, list[Finding]] = {}
    for finding in suppressed:
        set_aside.setdefault(finding.template, []).append(finding)
    summaries = []
    for template in {**grouped, **set_aside}:
        found = grouped.get(template, [])
        times = sorted(str(f.record.get("eventtime")) for f in found if f.record.get("eventtime"))
        principals = Counter(str(f.record.get("principal") or "(none)") for f in found)
        summaries.append(
            DetectionSummary(
                template,
                (found or set_aside[template])[0].severity,
                len(found),
                times[0] if times else None,
                times[-1] if times else None,
                sorted(principals.items(), key=lambda item: (-item[1], item[0]))[:top],
                len(set_aside.get(template, [])),
            )
        )
    summaries.sort(key=lambda s: (SEVERITY_RANK.get(s.severity, 9), -s.findings, s.template))
    return summaries


def at_least(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings of `severity` or severer."""
    rank = SEVERITY_RANK[severity]
    return [f for f in findings if SEVERITY_RANK.get(f.severity, 9) <= rank]
