"""`sweep`: run every detection template over one scope and collect one finding per row.

A detection's rows always carry `eventid`, `eventtime`, `principal`, `sourceipaddress` and
`eventname` (checked when it runs); its other columns travel with the finding as details.
Suppressions (toolkit.core.suppress) then set aside the findings known to be benign: the result keeps
them, counted per entry and per detection, apart from the findings shown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from toolkit.core import export
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


def severity(given: str | None, what: str = "--min-severity") -> str | None:
    """A minimum severity as given (any case), checked: None for none."""
    if given is None:
        return None
    if given.lower() not in SEVERITY_RANK:
        raise UsageError(f"{what} {given!r} is not a severity", "use critical, high, medium or low")
    return given.lower()


@dataclass
class Shown:
    """What a sweep shows at a minimum severity: the findings, the suppressed ones (each with
    the entry that matched it), and how many findings the severity left out."""

    findings: list[Finding]
    suppressed: list[tuple[Finding, Suppression]]
    below_severity: int = 0


def shown(result: SweepResult, min_severity: str | None = None) -> Shown:
    if min_severity is None:
        return Shown(result.findings, result.suppressed)
    findings = at_least(result.findings, min_severity)
    kept = {id(f) for f in at_least([f for f, _ in result.suppressed], min_severity)}
    suppressed = [(f, entry) for f, entry in result.suppressed if id(f) in kept]
    return Shown(findings, suppressed, len(result.findings) - len(findings))


def summary_line(result: SweepResult) -> str:
    """`9 detections: 3 finding(s) (1 high, 2 medium); 1 suppressed`, and the files skipped."""
    counts = Counter(f.severity for f in result.findings)
    by_severity = ", ".join(f"{counts[s]} {s}" for s in SEVERITY_RANK if counts[s])
    # findings counted as findings ("3 high" read as three detections firing)
    summary = f"{len(result.findings):,} finding(s) ({by_severity})" if by_severity else "no findings"
    if result.suppressed:
        summary += f"; {len(result.suppressed):,} suppressed"
    skipped = len(result.report.skipped)
    unread = f" ({skipped:,} file(s) skipped above: their events were not searched)" if skipped else ""
    return f"{len(result.templates)} detections: {summary}{unread}"


#: The columns of a finding's row (a table or CSV adds `suppressed_by` and `details`).
ROW_COLUMNS = ("template", "severity", "eventtime", "eventname", "principal", "sourceipaddress", "eventid")


def finding_rows(
    listed: Sequence[tuple[Finding, str | None]],
    *,
    structured: bool,
    show_suppressed: bool = False,
    zone: tzinfo | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and rows of findings (each with what suppressed it, or None). `structured`
    (JSON): every column of every finding, the detection's own as columns; otherwise (a table,
    CSV) the common columns and the rest as one `details` cell: one JSON object, the detection's
    own columns first, a JSON-text column (`requestparameters`) as the JSON it holds."""
    marked = {"suppressed_by": None} if show_suppressed else {}
    if structured:
        dicts = [{**f.as_dict(), **marked, **({"suppressed_by": by} if by else {})} for f, by in listed]
        columns = sorted({k for d in dicts for k in d}, key=_finding_order)
        return columns, [tuple(d.get(c) for c in columns) for d in dicts]
    rows = [
        (
            f.template,
            f.severity,
            *(f.record.get(c) for c in ROW_COLUMNS[2:]),
            *((by,) if show_suppressed else ()),
            details_text(f.details(), zone),
        )
        for f, by in listed
    ]
    return [*ROW_COLUMNS, *marked, "details"], rows


def details_text(details: dict[str, Any], zone: tzinfo | None = None) -> str:
    """A finding's details as a table shows them: one JSON object, the detection's own columns
    first, JSON-text columns (`requestparameters`) as the JSON they hold (not a quoted string)."""
    shown = {k: export.json_value(k, v) for k, v in zoned(own_first(details), zone).items()}
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))


#: Fields any event has: a finding's details list them after the detection's own columns.
GENERIC_DETAILS = frozenset(
    {
        "useragent",
        "awsregion",
        "account",
        "region",
        "day",
        "recipientaccountid",
        "errorcode",
        "errormessage",
        "eventsource",
        "eventtype",
        "eventcategory",
        "eventversion",
        "readonly",
        "requestid",
        "apiversion",
        "managementevent",
        "sessioncredentialfromconsole",
        "tlsdetails",
        "useridentity",
        "vpcendpointid",
        "vpcendpointaccountid",
    }
)


def own_first(details: dict[str, Any]) -> dict[str, Any]:
    """A finding's details with the detection's own columns first (`success_followed`, the rule a
    security group was opened with) and the fields any record has last (`useragent`, `awsregion`,
    `account`): a table cell cut at its end, or read in a hurry, shows what the detection found."""
    own = {k: v for k, v in details.items() if k.lower() not in GENERIC_DETAILS}
    generic = [(k, v) for k, v in details.items() if k.lower() in GENERIC_DETAILS]
    # (the generic fields with a value before those without: an error code is worth seeing)
    return {**own, **dict(sorted(generic, key=lambda item: item[1] is None))}


def zoned(details: dict[str, Any], zone: tzinfo | None) -> dict[str, Any]:
    """A finding's own columns with their instants in `--tz`'s zone, as the row's eventtime is
    (CSV and the table show them inside one cell: the cell is not localized on its own)."""
    if zone is None:
        return details
    from toolkit.core import timezone

    return {key: timezone.localize(value, zone) for key, value in details.items()}


def _finding_order(column: str) -> tuple[int, str]:
    last = ("suppressed_by",)
    if column in ROW_COLUMNS:
        return (ROW_COLUMNS.index(column), "")
    return (len(ROW_COLUMNS) + 1, "") if column in last else (len(ROW_COLUMNS), column)
