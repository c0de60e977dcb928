"""`sweep`: run every detection template over one scope and collect one finding per matching event.

A detection's rows always carry `eventid`, `eventtime`, `principal`, `sourceipaddress` and
`eventname` (checked when it runs); its other columns travel with the finding as details.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from toolkit.catalog import Catalog, Template
from toolkit.criteria import Criteria
from toolkit.engines import Engine, ScanReport
from toolkit.errors import TrailcsiError
from toolkit.render import render
from toolkit.window import Window

FINDING_COLUMNS = ("eventid", "eventtime", "principal", "sourceipaddress", "eventname")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class DetectionShapeError(TrailcsiError):
    """A detection template does not return the columns every finding needs."""


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
    """Every detection (with a tag, only those) over the window and criteria; severest, newest first."""
    outcome = SweepResult()
    queries = [(t, render(t, {}, window, criteria)) for t in catalog.select(tag=tag, kind="detection")]
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
    outcome.findings.sort(key=lambda f: str(f.record.get("eventtime") or ""), reverse=True)
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
