"""`sweep`: run every detection template over one scope and collect one finding per matching event.

A detection's rows always carry `eventid`, `eventtime`, `principal`, `sourceipaddress` and
`eventname` (checked when it runs); its other columns travel with the finding as details.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from toolkit.catalog import Catalog, Template
from toolkit.criteria import Criteria
from toolkit.engines import Engine, ScanReport
from toolkit.errors import TrailcsiError, UsageError
from toolkit.render import render
from toolkit.window import Window

FINDING_COLUMNS = ("eventid", "eventtime", "principal", "sourceipaddress", "eventname")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class DetectionShapeError(TrailcsiError):
    """A detection template does not return the columns every finding needs."""


class UnknownTagError(UsageError):
    """`--tag` names no detection's tag."""


@dataclass
class Finding:
    template: str
    severity: str
    record: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "severity": self.severity, **self.record}

    def details(self) -> dict[str, Any]:
        return {k: v for k, v in self.record.items() if k not in FINDING_COLUMNS}


@dataclass
class SweepResult:
    findings: list[Finding] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    report: ScanReport = field(default_factory=ScanReport)


def run(
    engine: Engine,
    catalog: Catalog,
    window: Window,
    criteria: Criteria | None = None,
    tag: str | None = None,
) -> SweepResult:
    """Every detection (with a tag, only those) over the window and criteria; severest first, then oldest first."""
    outcome = SweepResult()
    chosen = catalog.select(tag=tag, kind="detection")
    if tag and not chosen:  # a mistyped tag is not "no findings"
        known = sorted({t.lower() for d in catalog.select(kind="detection") for t in d.tags})
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
    """One detection's findings at a glance: how many, how severe, when, and by whom."""

    template: str
    severity: str
    findings: int
    first: str | None
    last: str | None
    top_principals: list[tuple[str, int]]

    def as_row(self) -> tuple[Any, ...]:
        principals = ", ".join(f"{name} ({count})" for name, count in self.top_principals)
        return (self.template, self.severity, self.findings, self.first, self.last, principals)


SUMMARY_COLUMNS = ("template", "severity", "findings", "first", "last", "top_principals")


def summarize(findings: list[Finding], top: int = 3) -> list[DetectionSummary]:
    """Per detection that found something: severest first, then most findings."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.template, []).append(finding)
    summaries = []
    for template, found in grouped.items():
        times = sorted(str(f.record.get("eventtime")) for f in found if f.record.get("eventtime"))
        principals = Counter(str(f.record.get("principal") or "(none)") for f in found)
        summaries.append(
            DetectionSummary(
                template,
                found[0].severity,
                len(found),
                times[0] if times else None,
                times[-1] if times else None,
                sorted(principals.items(), key=lambda item: (-item[1], item[0]))[:top],
            )
        )
    summaries.sort(key=lambda s: (SEVERITY_RANK.get(s.severity, 9), -s.findings, s.template))
    return summaries


def at_least(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings of `severity` or severer."""
    rank = SEVERITY_RANK[severity]
    return [f for f in findings if SEVERITY_RANK.get(f.severity, 9) <= rank]
