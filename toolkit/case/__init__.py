"""The case file: an incident's events, the queries that found them, and the evidence, in one folder.

`build(engine, spec, directory)` runs the case's selections (a principal's activity, templates,
sweep findings, event ids) under one window and criteria, cuts each cited record's original text
out of its log file (on Athena, downloaded from the files its `$path` names: `toolkit.case.remote`),
and writes `events.jsonl` (those texts, byte for byte), `timeline.csv`,
`manifest.json` (every log file read with its size and SHA-256, the digest-chain verification of
the window, the version and the command) and `report.html` (`toolkit.case.report`).
Usable from a notebook: nothing here imports typer.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from toolkit.case import raw
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery
from toolkit.core.window import Window
from toolkit.engines import ScanReport, SkippedFile
from toolkit.errors import NotFoundError, SourceError, TrailcsiError, UsageError
from toolkit.templates.catalog import Catalog
from toolkit.templates.render import render
from toolkit.templates.sweep import SEVERITY_RANK
from toolkit.version import __version__

if TYPE_CHECKING:
    from sqlglot import exp

    from toolkit.engines import Engine
    from toolkit.engines.athena import AthenaEngine
    from toolkit.engines.local import LocalEngine
    from toolkit.integrity.publickeys import PublicKeys

#: The files a case folder holds; a folder holding anything else is refused without --force.
FILES = ("report.html", "events.jsonl", "manifest.json", "timeline.csv")
#: An event id as CloudTrail writes them (a UUID), and what other producers write: letters, digits, dashes.
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}$")
#: More events than this is not a case but a search: narrow the window or the criteria.
MAX_EVENTS = 100_000
#: The sweep's every detection.
ALL_DETECTIONS = "all"
#: Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

TIMELINE_COLUMNS = (
    "eventtime",
    "eventid",
    "eventsource",
    "eventname",
    "principal",
    "sourceipaddress",
    "useragent",
    "awsregion",
    "account",
    "errorcode",
    "outcome",
    "readonly",
    "severity",
    "findings",
    "selected_by",
    "log_file",
    "evidence",
)
#: An event's `evidence`: its log file is vouched for by an authenticated digest, or not, or the
#: digests were not checked (no public keys, or verification could not run).
VOUCHED, UNPROVEN, NOT_CHECKED = "vouched", "unproven", "not checked"


class CaseError(UsageError):
    """The case cannot be built as asked (the folder, a selection, an id)."""


@dataclass
class CaseSpec:
    """What goes into the case: any mix of selections, all under one window and criteria."""

    window: Window
    criteria: Criteria = field(default_factory=Criteria)
    principals: list[str] = field(default_factory=list)
    #: (template name, its parameters) pairs
    templates: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: detection names, or "all"
    detections: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    title: str = ""
    #: the exact command, for the manifest
    command: list[str] | None = None

    def check(self) -> None:
        """Refuse an empty case and malformed event ids before anything is read."""
        if not (self.principals or self.templates or self.detections or self.event_ids):
            raise CaseError(
                "a case needs at least one selection",
                "give --principal, --template, --finding-from-sweep or --event-id",
            )
        for event_id in self.event_ids:
            if not EVENT_ID.match(event_id.strip()):
                shown = event_id if len(event_id) <= 60 else event_id[:57] + "..."
                raise CaseError(
                    f"--event-id {shown!r} is not an event id",
                    "event ids are letters, digits and dashes, e.g. 6f9619ff-8b86-4d01-b42d-00cf4fc964ff",
                )
        for principal in self.principals:
            if not principal.strip() or len(principal) > 2048:
                raise CaseError("--principal is empty or longer than any ARN", "give a user, role or ARN")


@dataclass
class Selection:
    """One way events entered the case: the query that found them and its SQL."""

    kind: str  # principal | template | sweep | event-id
    label: str
    athena_sql: str
    engine_sql: str
    event_ids: list[str] = field(default_factory=list)
    rows: int = 0
    note: str = ""
    #: files its query skipped (reported with the case's, not listed in the manifest's selections)
    skipped: list[Any] = field(default_factory=list)
    #: its query's notes (e.g. the days read from the columnar cache), said with the case's
    notes: list[str] = field(default_factory=list)
    #: on Athena: the query's id, the bytes it scanned and their cost
    query_ids: list[str] = field(default_factory=list)
    scanned_bytes: int | None = None
    cost_usd: float | None = None

    def as_dict(self) -> dict[str, Any]:
        athena = {"athena_query_ids": self.query_ids, "scanned_bytes": self.scanned_bytes}
        return {
            "kind": self.kind,
            "label": self.label,
            "rows": self.rows,
            "events": len(self.event_ids),
            "athena_sql": self.athena_sql,
            "engine_sql": self.engine_sql,
            **({"note": self.note} if self.note else {}),
            **(athena if self.query_ids else {}),
        }


@dataclass
class Finding:
    template: str
    severity: str
    title: str


@dataclass
class CaseEvent:
    """A cited record: its original text, the fields the report shows, and why it is in the case."""

    raw: bytes
    record: dict[str, Any]
    log_file: str  # from the source's root
    selected_by: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: whether its log file is vouched for by an authenticated digest (VOUCHED, UNPROVEN, NOT_CHECKED)
    evidence: str = NOT_CHECKED

    @property
    def eventid(self) -> str:
        return str(self.record.get("eventID") or "")

    @property
    def eventtime(self) -> str:
        return str(self.record.get("eventTime") or "")

    @property
    def severity(self) -> str:
        """The severest finding's severity, or "none"."""
        ranked = sorted(self.findings, key=lambda f: SEVERITY_RANK.get(f.severity, 9))
        return ranked[0].severity if ranked else "none"

    def field(self, name: str) -> str:
        """A timeline column's text (only that column is worked out: a report reads many)."""
        value = _FIELDS[name](self)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _account(event: CaseEvent) -> str | None:
    identity = event.record.get("userIdentity")
    return event.record.get("recipientAccountId") or (
        identity.get("accountId") if isinstance(identity, dict) else None
    )


#: Each timeline column, as worked out from a cited event.
_FIELDS: dict[str, Callable[[CaseEvent], Any]] = {
    "eventtime": lambda e: e.eventtime,
    "eventid": lambda e: e.eventid,
    "eventsource": lambda e: e.record.get("eventSource"),
    "eventname": lambda e: e.record.get("eventName"),
    "principal": lambda e: principal_of(e.record),
    "sourceipaddress": lambda e: e.record.get("sourceIPAddress"),
    "useragent": lambda e: e.record.get("userAgent"),
    "awsregion": lambda e: e.record.get("awsRegion"),
    "account": _account,
    "errorcode": lambda e: e.record.get("errorCode"),
    "outcome": lambda e: outcome_of(e.record),
    "readonly": lambda e: e.record.get("readOnly"),
    "severity": lambda e: e.severity,
    "findings": lambda e: "; ".join(f"{f.template} ({f.severity})" for f in e.findings),
    "selected_by": lambda e: "; ".join(e.selected_by),
    "log_file": lambda e: e.log_file,
    "evidence": lambda e: e.evidence,
}


def outcome_of(record: dict[str, Any]) -> str:
    """What came of the call, in words: "Failure: Failed authentication" or "Success" for a console
    sign-in (a failed ConsoleLogin has no errorCode: its result is in responseElements, keyed by the
    event's name), else the errorCode with its errorMessage, else "" (no error recorded)."""

    def text(value: Any) -> str:
        if value is None or value == "":
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    error, message = text(record.get("errorCode")), text(record.get("errorMessage"))
    response, name = record.get("responseElements"), record.get("eventName")
    if isinstance(response, dict) and isinstance(name, str) and name and response.get(name) is not None:
        return ": ".join(p for p in (text(response[name]), error, message) if p)
    return ": ".join(p for p in (error, message) if p)


def principal_of(record: dict[str, Any]) -> str:
    """As `search`'s `principal`: the ARN, else who invoked, the user name or the identity type."""
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        return ""
    for key in ("arn", "invokedBy", "userName", "type"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass
class LogFileRead:
    path: str  # from the source's root
    size: int
    sha256: str
    cited: int = 0
    #: its standing against the digests (a `verify.FileVerdict`'s status, or NOT_CHECKED)
    digest: str = NOT_CHECKED
    digest_key: str | None = None  # the digest naming it
    digest_reason: str = ""
    #: the selections whose query skipped it (and why), though the case read it for its records
    skipped_by: list[tuple[str, str]] = field(default_factory=list)

    @property
    def vouched(self) -> bool:
        return self.digest == VOUCHED

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "cited_records": self.cited,
            "digest": self.digest,
            **({"digest_key": self.digest_key} if self.digest_key else {}),
            **({"digest_reason": self.digest_reason} if self.digest_reason else {}),
            **(
                {"skipped_by": [{"selection": s, "reason": why} for s, why in self.skipped_by]}
                if self.skipped_by
                else {}
            ),
        }


@dataclass
class Case:
    """A built case: what `write` puts in the folder."""

    spec: CaseSpec
    source: str
    events: list[CaseEvent]
    selections: list[Selection]
    files: list[LogFileRead]
    verification: dict[str, Any]
    report: ScanReport
    missing_ids: list[str] = field(default_factory=list)
    built: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    charts: bool = True  # whether report.html has its charts (the `report` extra is installed)
    #: the archive's root on disk (None on Athena: its files were downloaded for the case)
    archive: Path | None = None
    #: cited event ids whose record is not in the case, with why
    lost: list[tuple[str, str]] = field(default_factory=list)
    athena: bool = False  # built on Athena: the log files listed are those holding cited records

    def manifest(self) -> dict[str, Any]:
        start, end = self.spec.window.eventtime_bounds()
        return {
            "trailcsi_version": __version__,
            "built": self.built,
            "command": self.spec.command,
            "source": self.source,
            "window": {"description": self.spec.window.description, "start": start, "end": end},
            "criteria": {k: v for k, v in vars(self.spec.criteria).items() if v},
            "events": len(self.events),
            "events_with_line_breaks_as_spaces": sum(b"\n" in e.raw or b"\r" in e.raw for e in self.events),
            "selections": [s.as_dict() for s in self.selections],
            "event_ids_not_found": self.missing_ids,
            "cited_records_missing": [{"eventid": i, "reason": why} for i, why in self.lost],
            "log_files_listed": (
                "the log files holding the cited records, downloaded from S3 (Athena read the window)"
                if self.athena
                else "every log file of the window that the case's queries read"
            ),
            "log_files": [f.as_dict() for f in self.files],
            "log_files_skipped": [{"path": s.path, "reason": s.reason} for s in self.report.skipped],
            "log_files_digest_status": (
                "each log file's standing against the digests: vouched (an authenticated digest names it"
                " with the SHA-256 of its bytes), or why not; a cited record is proven only from a vouched file"
            ),
            "digest_verification": self.verification,
            "files": {
                "events.jsonl": (
                    "the cited records, each line the record's original text from its log file"
                    " (a record written over several lines has its line breaks as spaces)"
                ),
                "timeline.csv": "one row per cited record, oldest first",
                "report.html": "the report (self-contained: no network)",
            },
        }


def check_directory(directory: Path, force: bool, archive: Path | None = None) -> None:
    """Refuse a folder that exists and holds anything, unless `force`; refuse a file always; refuse
    a folder inside the archive (the case files would be read as log files, and be evidence)."""
    if archive is not None:
        inside = directory.resolve()
        if inside == archive.resolve() or archive.resolve() in inside.parents:
            raise CaseError(
                f"{directory} is inside the archive {archive}",
                "write the case outside the evidence (its files would mix with the logs)",
            )
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise CaseError(f"{directory} exists and is not a folder", "give a new or empty folder")
    if directory.is_dir():
        try:
            held = sorted(p.name for p in directory.iterdir())
        except OSError as error:
            raise CaseError(f"{directory}: {error.strerror}", "give a folder you can write to") from None
        if held and not force:
            raise CaseError(
                f"{directory} is not empty ({len(held)} entries)",
                "choose a new folder, or pass --force to replace the case files in it",
            )
    parent = directory.parent
    if not parent.is_dir():
        raise CaseError(f"{parent} does not exist", "create it first, or choose another folder")


@dataclass
class Located:
    """The log files holding the cited records, as read for the case."""

    where: dict[str, set[str]]  # local file -> the cited ids it holds
    read: list[str]  # every local file read (hashed in the manifest)
    names: dict[str, str]  # local file -> its name in the case (from the archive's root, or s3://)
    report: ScanReport
    lost: dict[str, str] = field(default_factory=dict)  # event id -> why its record was not read
    #: local file -> its path from the root the digests are verified under (the archive's, or the
    #: copy of the table's prefix); the same as `names` on the local engine
    keys: dict[str, str] = field(default_factory=dict)


def build(
    engine: Engine,
    spec: CaseSpec,
    *,
    catalog: Catalog | None = None,
    public_keys: PublicKeys | None = None,
    signatures: dict[str, str] | None = None,
    trail: Any = None,
    say: Callable[[str], None] = lambda _message: None,
) -> Case:
    """Run the selections on `engine` and collect the cited records.

    On the local engine the records are read from the archive's files. On Athena, `trail` (a
    `toolkit.case.remote.TrailBucket`: the table's bucket and prefix, and an S3 client) is
    required: the files Athena names by `$path` are downloaded from it into a scratch folder
    (removed afterwards), and the digest chains are verified over its prefix.
    `public_keys` (a `PublicKeys`) and `signatures` are handed to `verify` for the window; without
    keys the verification is recorded as not run, saying why.
    """
    spec.check()
    locate = getattr(engine, "locate", None)
    remote = getattr(engine, "locate_files", None) if locate is None else None
    if locate is None and remote is None:
        raise CaseError(
            f"cases are built on the local engine or Athena (not {getattr(engine, 'dialect', 'this engine')})",
            "copy the days of the case from the bucket and use --source DIR or s3://bucket/prefix",
        )
    if remote is not None and trail is None:
        raise CaseError(
            "a case on Athena needs the table's bucket and prefix to fetch the records from",
            "run trailcsi athena setup (it records them in trailcsi.toml), or use --source s3://bucket/prefix",
        )
    scope = TrailQuery.parse("SELECT eventid FROM trail", spec.window, spec.criteria)
    # Several selections read one scope: its files are read once, into the engine's pinned copy
    # (every column). One selection (a principal, or event ids alone) reads them once anyway, and
    # only the columns it needs: pinning would cost more than it saves.
    several = len(spec.principals) + len(spec.templates) + len(spec.detections) + bool(spec.event_ids) > 1
    pin = getattr(engine, "pinned", None) if several or "all" in spec.detections else None
    with pin(scope) if pin else nullcontext():
        selections, findings, missing = _run_selections(engine, catalog, spec)
    cited: dict[str, list[str]] = {}  # event id -> labels of the selections citing it
    for selection in selections:
        for event_id in selection.event_ids:
            cited.setdefault(event_id, []).append(f"{selection.kind}: {selection.label}")
    if len(cited) > MAX_EVENTS:
        raise CaseError(
            f"the selections cite {len(cited):,} events, more than a case holds ({MAX_EVENTS:,})",
            "narrow the window or the criteria, or use trailcsi search --format jsonl",
        )
    say(f"{len(cited):,} events cited by {len(selections)} selection(s); reading their original records")
    if not cited and not spec.event_ids:  # (ids not found are an error of their own, below)
        held = _days_held(engine)
        raise NotFoundError(
            "the case's selections found no event in the window"
            + (f" (the archive holds {held})" if held else ""),
            "check the names and the window; trailcsi search with the same flags shows what is there",
        )
    if locate is not None:
        root = Path(cast("LocalEngine", engine).archive.root)
        where, read, report = locate(scope, sorted(cited))
        names = {p: _relative(root, p) for p in {*read, *where}}
        located = Located(where, read, names, report, keys=names)
        source = str(root)
        collected = _collect(located, spec, cited, findings, selections, say)
        verification, verdicts = _verify(root, spec, public_keys, signatures, say, _asked(located))
        archive: Path | None = root
    else:
        from toolkit.case import remote as remote_module

        with tempfile.TemporaryDirectory(prefix="trailcsi-case-") as scratch:
            on_athena = cast("AthenaEngine", engine)
            located = remote_module.fetch(on_athena, scope, sorted(cited), trail, Path(scratch), say)
            collected = _collect(located, spec, cited, findings, selections, say)
            # (while the downloads are there: the cited files are checked as downloaded)
            verification, verdicts = _verify(trail, spec, public_keys, signatures, say, _asked(located))
        source = f"{_athena_table(on_athena)} over {trail.url}"
        report = located.report  # what the case cost on Athena: its every query, in order
        report.scanned_bytes = sum(s.scanned_bytes or 0 for s in selections) + (report.scanned_bytes or 0)
        report.cost_usd = sum(s.cost_usd or 0 for s in selections) + (report.cost_usd or 0)
        report.query_ids = [q for s in selections for q in s.query_ids] + report.query_ids
        archive = None
    events, files, lost = collected
    _judge(events, files, located, verification, verdicts)
    return Case(
        spec,
        source,
        events,
        selections,
        files,
        verification,
        located.report,
        missing,
        archive=archive,
        lost=lost,
        athena=locate is None,
    )


def _athena_table(engine: AthenaEngine) -> str:
    table = engine.table()
    return f"athena: {table.db}.{table.name}"


def _collect(
    located: Located,
    spec: CaseSpec,
    cited: dict[str, list[str]],
    findings: dict[str, list[Finding]],
    selections: list[Selection],
    say: Callable[[str], None],
) -> tuple[list[CaseEvent], list[LogFileRead], list[tuple[str, str]]]:
    """The cited records cut out of the files located, the files read with their hashes, and the
    cited ids whose record is not in the case, with why."""
    report = located.report
    # A file a selection's query skipped (a key given twice, read by that query only) may hold
    # events that selection missed. Not read at all, it is skipped; read for the records (by the
    # narrower look of `locate`), it is flagged in the files read, never counted twice.
    known = {s.path for s in report.skipped}
    read = set(located.read)
    flagged: dict[str, list[tuple[str, str]]] = {}
    for selection in selections:
        for skipped in selection.skipped:
            if skipped.path in read:
                flagged.setdefault(skipped.path, []).append(
                    (f"{selection.kind}: {selection.label}", skipped.reason)
                )
            elif skipped.path not in known:
                report.skipped.append(skipped)
                known.add(skipped.path)
    for path, by in flagged.items():
        say(
            f"{located.names.get(path, path)} was skipped by {len(by)} selection(s) ({by[0][0]}: {by[0][1]}): "
            "its events may be missing from them (skipped_by in manifest.json)"
        )
    for note in (n for selection in selections for n in selection.notes):
        if note not in report.notes:
            report.notes.append(note)
    start, end = spec.window.eventtime_bounds()
    events: list[CaseEvent] = []
    counts: dict[str, int] = {}
    for path in sorted(located.where):
        name = located.names[path]
        try:
            records = raw.records(path)
        except SourceError as error:  # changed since the query read it, or not what it read
            why = error.message.replace(path, name)  # (a downloaded file's scratch name is nobody's)
            report.skipped.append(SkippedFile(name, f"its records cannot be cut out: {why}"))
            for event_id in located.where[path]:
                located.lost.setdefault(event_id, f"its log file {name} cannot be read again")
            continue
        for item in records:
            event_id = str(item.value.get("eventID") or "").lower()
            stamp = str(item.value.get("eventTime") or "")
            if event_id not in located.where[path] or (start and stamp < start) or (end and stamp >= end):
                continue
            events.append(CaseEvent(item.text, item.value, name, cited[event_id], findings.get(event_id, [])))
            counts[path] = counts.get(path, 0) + 1
    events.sort(key=lambda e: (e.eventtime, e.eventid, e.log_file))
    say(f"hashing the {len(located.read):,} log files read")
    files = [
        LogFileRead(located.names[p], *_digest(p), counts.get(p, 0), skipped_by=flagged.get(p, []))
        for p in located.read
    ]
    found = {e.eventid.lower() for e in events}
    named = {i for ids in located.where.values() for i in ids}
    lost = []
    for event_id in sorted(set(cited) - found):
        reason = located.lost.get(event_id) or (
            "not in the window in the log file found holding it (was it changed since?)"
            if event_id in named
            else "in no log file read (see log_files_skipped)"
        )
        lost.append((event_id, reason))
    if lost:
        say(f"{len(lost):,} cited event(s) have no record in the case (listed in manifest.json)")
    return events, files, lost


def _run_selections(
    engine: Engine, catalog: Catalog | None, spec: CaseSpec
) -> tuple[list[Selection], dict[str, list[Finding]], list[str]]:
    """Each selection's query run: the selections, the findings by event id, the ids not found."""
    selections: list[Selection] = []
    findings: dict[str, list[Finding]] = {}
    if catalog is None and (spec.principals or spec.templates or spec.detections):
        catalog = Catalog.load()  # (not for event ids alone: parsing every template takes a while)
    for principal in spec.principals:
        assert catalog is not None
        query = render(
            catalog.get("principal-activity"), {"principal": principal}, spec.window, spec.criteria
        )
        selections.append(_select(engine, "principal", principal, query))
    for name, params in spec.templates:
        assert catalog is not None
        template = catalog.get(name)
        query = render(template, params, spec.window, spec.criteria)
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        selections.append(_select(engine, "template", f"{name} {shown}".strip(), query))
    for template in _detections(catalog, spec.detections) if catalog is not None else []:
        query = render(template, {}, spec.window, spec.criteria)
        selection = _select(engine, "sweep", template.name, query)
        selections.append(selection)
        for event_id in selection.event_ids:
            findings.setdefault(event_id, []).append(
                Finding(template.name, template.severity or "low", template.title)
            )
    missing: list[str] = []
    if spec.event_ids:
        ids = sorted({i.strip().lower() for i in spec.event_ids})
        query = TrailQuery(_event_id_query(ids), spec.window, spec.criteria)
        label = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        selection = _select(engine, "event-id", label, query)
        selections.append(selection)
        missing = sorted(set(ids) - set(selection.event_ids))
    return selections, findings, missing


def _days_held(engine: Engine) -> str:
    """The days a local archive holds, else "" (Athena's table: not listed here)."""
    held = getattr(engine, "archive", None)
    return held.days() if held is not None and held.files else ""


def _event_id_query(ids: list[str]) -> exp.Select:
    """`SELECT eventtime, eventname, eventid FROM trail WHERE lower(eventid) IN (<ids as literals>)`."""
    from sqlglot import exp, parse_one

    tree = parse_one("SELECT eventtime, eventname, eventid FROM trail ORDER BY eventtime", read="athena")
    assert isinstance(tree, exp.Select)
    wanted = exp.In(
        this=exp.Lower(this=exp.column("eventid")), expressions=[exp.Literal.string(i) for i in ids]
    )
    return tree.where(wanted)


def _detections(catalog: Catalog, names: list[str]) -> list[Any]:
    every = catalog.select(kind="detection")
    if not names:
        return []
    if any(n.strip().lower() == ALL_DETECTIONS for n in names):
        return every
    chosen = []
    for name in dict.fromkeys(names):
        template = catalog.get(name)
        if template.kind != "detection":
            raise CaseError(
                f"--finding-from-sweep {name}: {name} is an investigation, not a detection",
                "use --template for investigations; trailcsi queries list --format json shows kinds",
            )
        chosen.append(template)
    return chosen


def _select(engine: Engine, kind: str, label: str, query: TrailQuery) -> Selection:
    result = engine.run(query)
    rows = list(result.rows)
    if "eventid" not in result.columns:
        raise CaseError(
            f"{kind} {label}: its rows have no eventid column, so they cite no event",
            "a case cites events: choose a template that returns eventid",
        )
    at = result.columns.index("eventid")
    ids = list(dict.fromkeys(str(r[at]).lower() for r in rows if r[at]))
    athena = query.bind(_source_table()).sql("athena", pretty=True)
    engine_sql = engine.render(query, files_shown=3) if hasattr(engine, "render") else ""
    report = result.report
    return Selection(
        kind,
        label,
        athena,
        engine_sql,
        ids,
        len(rows),
        skipped=list(report.skipped),
        notes=list(report.notes),
        query_ids=list(report.query_ids),
        scanned_bytes=report.scanned_bytes,
        cost_usd=report.cost_usd,
    )


def _source_table() -> exp.Table:
    from sqlglot import exp

    return exp.to_table("trail_source")


def _relative(root: Path, path: str) -> str:
    """`path` relative to the archive's root (as the manifest names files); a path outside it as is.
    The engine names files under the resolved root: those are cut by text, the rest resolved."""
    base = _resolved(root)
    if path.startswith(base + os.sep) and "/../" not in path and "/./" not in path:
        return Path(path[len(base) + 1 :]).as_posix()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return path


@functools.lru_cache(maxsize=8)
def _resolved(root: Path) -> str:
    return str(root.resolve())


def _digest(path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _asked(located: Located) -> dict[str, Path]:
    """The files read for the case, by their path from the verified root, to the bytes read."""
    return {located.keys[p]: Path(p) for p in located.read if p in located.keys}


def _verify(
    source: Any,
    spec: CaseSpec,
    public_keys: PublicKeys | None,
    signatures: dict[str, str] | None,
    say: Callable[[str], None],
    files: dict[str, Path],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The window's digest chains verified over `source`: the archive's root, or (Athena) the
    table's `TrailBucket`, whose digests and log files are copied from S3 first; and the verdict
    on each of `files` (the files read for the case: those outside the window too), or None when
    the verification did not run."""
    if public_keys is None:
        return {
            "ran": False,
            "why": "no public keys were given (--public-keys FILE, or AWS credentials to fetch them)",
        }, None
    from toolkit.integrity import verify

    accounts, regions = spec.criteria.partitions()
    listed: set[str] | None = None
    try:
        if isinstance(source, Path):
            root = source
        else:
            from toolkit.case import remote

            root, fetched, listed = remote.copy_for_verify(
                source, spec.window, accounts, regions, say, sorted(files)
            )
            signatures = {**(signatures or {}), **fetched}
        say("verifying the digest chains of the window and every log file read for the case")
        report = verify.verify(
            root,
            spec.window,
            public_keys,
            accounts=accounts or None,
            regions=regions or None,
            signatures=signatures or {},
            listed=listed,
            files=files,
        )
    except TrailcsiError as error:
        return {"ran": False, "why": str(error)}, None
    # a chain is found where a digest file is: an account and region with log files only has none
    chains = [
        c
        for c in report.chains
        if c.digests_valid or c.digests_unauthenticated or c.digests_invalid or c.digests_unproven
    ]
    found = {"ran": True, **report.as_dict(), "chains_found": len(chains)}
    if not isinstance(source, Path):
        found["copied_from"] = source.url
    if not chains:  # nothing was proven: not "ok"
        found["ok"] = False
        found["why"] = "no digest files in this window: is log file validation on for this trail?"
    return found, dict(report.files)


def _judge(
    events: list[CaseEvent],
    files: list[LogFileRead],
    located: Located,
    verification: dict[str, Any],
    verdicts: dict[str, Any] | None,
) -> None:
    """Mark each file read with its standing against the digests, and each event with whether its
    file is vouched for; a cited file that is not makes the verification fail, said first."""
    if verdicts is None:
        return  # not run: every file and event stays NOT_CHECKED
    keys = {located.names[p]: located.keys.get(p) for p in located.read}
    for entry in files:
        verdict = verdicts.get(keys.get(entry.path) or "")
        if verdict is None:  # (not asked about: cannot happen, but never reads as vouched)
            continue
        entry.digest, entry.digest_key, entry.digest_reason = verdict.status, verdict.digest, verdict.reason
    standing = {f.path: f for f in files}
    for event in events:
        held = standing.get(event.log_file)
        event.evidence = VOUCHED if held is not None and held.vouched else UNPROVEN
    cited = [f for f in files if f.cited]
    unproven = [f for f in cited if not f.vouched]
    lines = [
        f"cited log file {f.path} ({f.cited:,} cited record(s)) is not proven: {f.digest}"
        + (f" ({f.digest_key})" if f.digest_key else "")
        for f in unproven
    ]
    # A selection names an event by its id. Where another record carries the same id in a file not
    # vouched for, or a file holding it was not read, which record the selection (and a finding)
    # is about cannot be told: a forged record reusing a genuine id would lend it its finding.
    # Every record of that id is then unproven.
    by_id: dict[str, list[CaseEvent]] = {}
    for event in events:
        by_id.setdefault(event.eventid.lower(), []).append(event)
    doubted = 0  # records of vouched files made unproven by their id
    for event_id, group in sorted(by_id.items()):
        doubt = event_id in located.lost or (len(group) > 1 and any(e.evidence != VOUCHED for e in group))
        vouched = [e for e in group if e.evidence == VOUCHED]
        if doubt and vouched:
            for event in vouched:
                event.evidence = UNPROVEN
            doubted += len(vouched)
            why = located.lost.get(event_id) or f"{len(group)} records carry it, not all vouched for"
            lines.append(f"event id {event_id} of a vouched record is not proven to be the one cited: {why}")
    verification["cited_log_files"] = {"vouched": len(cited) - len(unproven), "not_vouched": len(unproven)}
    verification["cited_records_unproven"] = sum(f.cited for f in unproven) + doubted
    verification["cited_records_sharing_an_id"] = doubted
    verification["cited_problems"] = lines
    if lines:
        verification["ok"] = False
        verification["problems"] = lines + list(verification.get("problems", []))


def evidence_lines(case: Case) -> list[str]:
    """What the digest check of a case found, in a few lines (for stderr): the cited records'
    standing first, then the problems, saying how many concern the cited files."""
    verified = case.verification
    if not verified.get("ran"):
        return [f"digest chains not verified: {verified.get('why')}"]
    cited = sum(e.evidence != NOT_CHECKED for e in case.events)
    sharing = verified.get("cited_records_sharing_an_id", 0)
    unproven = verified.get("cited_records_unproven", 0) - sharing
    lines = []
    if unproven:
        files = verified.get("cited_log_files", {}).get("not_vouched", 0)
        lines.append(
            f"{unproven:,} of the {cited:,} cited records come from {files:,} log file(s) no authenticated "
            "digest vouches for: they are unproven (marked in the report and timeline.csv)"
        )
    if sharing:
        lines.append(
            f"{sharing:,} cited record(s) of vouched log files share their event id with a record that"
            " is not vouched for or was not read: a selection names events by id, so they are unproven"
        )
    if not unproven and not sharing and cited:
        lines.append(
            f"every cited record ({cited:,}) comes from a log file an authenticated digest vouches for"
        )
    if not verified.get("chains_found"):
        lines.append(f"digest chains: none in the window, nothing proven ({verified.get('why')})")
    problems = verified.get("problems", [])
    if problems:
        about = len(verified.get("cited_problems", []))
        lines.append(
            f"digest chains: {len(problems):,} problem(s), "
            + (f"{about:,} of them about cited log files" if about else "none about a cited log file")
            + " (see manifest.json)"
        )
    return lines


def write(case: Case, directory: Path, *, force: bool = False) -> dict[str, Path]:
    """Write the case files into `directory` (created); returns their paths by name."""
    from toolkit.case import report

    check_directory(directory, force, case.archive)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CaseError(
            f"cannot create {directory}: {error.strerror or error}", "choose another folder"
        ) from None
    html, charts = report.render(case)
    case.charts = charts
    written = {
        "events.jsonl": b"".join(jsonl_line(e.raw) + b"\n" for e in case.events),
        "timeline.csv": timeline_csv(case.events).encode("utf-8"),
        "manifest.json": (json.dumps(case.manifest(), indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "report.html": html.encode("utf-8"),
    }
    paths = {}
    for name, data in written.items():
        try:
            paths[name] = _write_atomically(directory / name, data)
        except OSError as error:
            raise CaseError(
                f"cannot write {directory / name}: {error.strerror or error}",
                "choose a folder you can write to" + (f" ({', '.join(paths)} written)" if paths else ""),
            ) from None
    return paths


def jsonl_line(raw: bytes) -> bytes:
    """A record's original text as one line of events.jsonl. CloudTrail writes a record on one
    line; a log written over several lines (pretty-printed) can only have its line breaks between
    JSON tokens (a string cannot hold one unescaped), so each is written as a space: the same JSON,
    the same bytes otherwise, one record a line."""
    return raw.replace(b"\r", b" ").replace(b"\n", b" ")


def timeline_csv(events: list[CaseEvent]) -> str:
    """One row per event, oldest first; a cell a spreadsheet would run as a formula starts with `'`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TIMELINE_COLUMNS)
    for event in events:
        writer.writerow([safe_cell(event.field(c)) for c in TIMELINE_COLUMNS])
    return out.getvalue()


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_atomically(target: Path, data: bytes) -> Path:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def require_found(case: Case) -> None:
    """An event id asked for by name that is not in the window is an error, naming it."""
    if case.missing_ids:
        shown = ", ".join(case.missing_ids[:3]) + (" ..." if len(case.missing_ids) > 3 else "")
        raise NotFoundError(
            f"{len(case.missing_ids)} --event-id not found in {case.spec.window.description}: {shown}",
            "widen the window (e.g. --all-time) or check the ids",
        )
