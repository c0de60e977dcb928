"""`trailcsi demo`: build the sample archive (cached) and answer the seed questions on it.

Each step prints the question, the criteria or SQL used, and the answer, then checks the answer
against the sample's answer key, so the demo also proves the engine finds what was planted.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from toolkit.core import export, search
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery
from toolkit.core.window import Window
from toolkit.core.window import parse as parse_window
from toolkit.engines.local import LocalEngine
from toolkit.sample import generator, incidents
from toolkit.templates.catalog import Catalog
from toolkit.templates.render import render

SEED = 7
DAYS = 130
_COMPLETE = ".trailcsi-sample-complete"


@dataclass
class Step:
    question: str
    how: str
    query: TrailQuery
    check: Callable[[list[tuple[object, ...]]], bool]


def ensure_sample(directory: Path | None, say: Callable[[str], None]) -> tuple[Path, incidents.AnswerKey]:
    """The sample archive ending today, written once and reused (a marker says it is complete)."""
    end_day = generator.last_full_day()
    root = directory or generator.default_dir(SEED, DAYS, end_day)
    marker = root / _COMPLETE
    if not marker.exists() or not marker.read_text().startswith(f"version {generator.version()}"):
        say(f"writing the sample archive ({DAYS} days, 3 accounts, 5 account-regions) to {root}")
        summary = generator.write_archive(root, days=DAYS, seed=SEED, end_day=end_day)
        marker.write_text(
            f"version {generator.version()}: {summary.events} events in {summary.files} files\n"
        )
    else:
        say(f"using the sample archive in {root}")
    return root, incidents.answer_key(end_day, SEED)


def steps(key: incidents.AnswerKey) -> list[Step]:
    catalog = Catalog.load()
    outage = datetime.strptime(key.outage_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    before_outage = Window(outage - timedelta(hours=2), outage, "the two hours before the outage")
    after_sql = (
        "SELECT eventtime, eventname, useridentity.arn AS principal, responseelements, eventid FROM trail "
        "WHERE coalesce(errormessage, '') <> 'Failed authentication' ORDER BY eventtime"
    )
    return [
        Step(
            "Who created IAM users, when and from where? (100 days back: beyond the console's 90 days)",
            "run user-created --all-time",
            render(catalog.get("user-created"), {}, parse_window(all_time=True)),
            lambda rows: any(r[-1] == key.rogue_user_event_id for r in rows),
        ),
        Step(
            "Is this spike of failed console logins a brute force? (user, source IP, rate, did it work)",
            "run console-login-failures --since 7d",
            render(catalog.get("console-login-failures"), {}, parse_window("7d")),
            lambda rows: (
                bool(rows) and rows[0][3] == key.brute_force_ip and rows[0][6] == key.brute_force_failures
            ),
        ),
        Step(
            "Did a login from that address succeed, and what did the session do next?",
            f"sql {after_sql!r} --source-ip {key.brute_force_ip} --since 7d",
            TrailQuery.parse(after_sql, parse_window("7d"), Criteria(source_ip=[key.brute_force_ip])),
            lambda rows: (
                [r[-1] for r in rows]
                == [key.brute_force_success_id, key.eip_allocate_event_id, key.eip_associate_event_id]
            ),
        ),
        Step(
            "What changed on the app's security group, instance and role before it broke at "
            f"{key.outage_time}?",
            f"search --resource-name {key.security_group_id} --resource-name {key.instance_id} "
            f"--resource-name {key.role_name} --write-only "
            f"--start {outage - timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ} --end {key.outage_time}",
            search.build(
                Criteria(
                    resource_name=[key.security_group_id, key.instance_id, key.role_name], write_only=True
                ),
                before_outage,
                ["eventtime", "eventname", "principal", "requestparameters", "eventid"],
            ),
            lambda rows: [r[-1] for r in rows if r[-1] in key.change_event_ids] == list(key.change_event_ids),
        ),
    ]


def _verify_step(root: Path, number: int) -> bool:
    """Check the sample's signed digest chains over the hours log file validation was on."""
    from toolkit.integrity import verify
    from toolkit.integrity.publickeys import PublicKeys
    from toolkit.sample import digests

    validated = digests.validation_start(generator.last_full_day())
    ended = digests.validation_end(generator.last_full_day())
    print(f"\n{number}. Can we show these logs were not tampered with? (signed digests, offline)")
    print(
        f"   trailcsi verify --source {root} --public-keys {root / digests.PUBLIC_KEYS} "
        f"--start {validated:%Y-%m-%dT%H:%M:%SZ} --end {ended:%Y-%m-%dT%H:%M:%SZ} "
        f"--signatures {root / digests.METADATA}"
    )
    report = verify.verify(
        root,
        Window(validated, ended, "while log file validation was on"),
        PublicKeys.load(root / digests.PUBLIC_KEYS),  # for this run only: the sample's key is never cached
        signatures=verify.load_signatures(root / digests.METADATA),
    )
    totals = report.totals()
    rows = [
        (
            c.account,
            c.region,
            c.digests_valid,
            len(c.digests_unauthenticated),
            c.logs_valid,
            len(c.problems()),
        )
        for c in report.chains
    ]
    export.write(
        ["account", "region", "digests valid", "not authenticated", "log files valid", "problems"],
        rows,
        "table",
        sys.stdout,
    )
    found = report.ok() and totals["digests_valid"] > 0
    print(
        "   → every digest signature and log file hash checks out"
        if found
        else "   → integrity problems found"
    )
    return found


def _case_step(root: Path, key: incidents.AnswerKey, number: int) -> bool:
    """Write the brute force up as a case folder: the report a responder hands over."""
    from toolkit import case
    from toolkit.integrity import verify
    from toolkit.integrity.publickeys import PublicKeys
    from toolkit.sample import digests

    first = datetime.strptime(key.brute_force_first, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    window = Window(
        first - timedelta(hours=1), first + timedelta(hours=2), "the hours around the brute force"
    )
    target = root.with_name(root.name + "-case")
    command = [
        "trailcsi", "case", "build", str(target), "--source", str(root),
        "--start", f"{window.start:%Y-%m-%dT%H:%MZ}", "--end", f"{window.end:%Y-%m-%dT%H:%MZ}",
        "--principal", key.brute_force_user, "--finding-from-sweep", "console-login-without-mfa",
        "--public-keys", str(root / digests.PUBLIC_KEYS), "--signatures", str(root / digests.METADATA), "--force",
    ]  # fmt: skip
    print(f"\n{number}. Write it up: the brute force as a case file (timeline, original records, evidence)")
    print("   " + shlex.join(command))  # runnable as printed
    spec = case.CaseSpec(
        window,
        principals=[key.brute_force_user],
        detections=["console-login-without-mfa"],
        title=f"Brute force against {key.brute_force_user} from {key.brute_force_ip}",
        command=command,
    )
    engine = LocalEngine(root)
    try:
        built = case.build(
            engine,
            spec,
            public_keys=PublicKeys.load(root / digests.PUBLIC_KEYS),
            signatures=verify.load_signatures(root / digests.METADATA),
        )
    finally:
        engine.close()
    paths = case.write(built, target, force=True)
    ids = {e.eventid for e in built.events}
    found = {key.brute_force_success_id, key.eip_allocate_event_id, *key.brute_force_failure_ids} <= ids
    print(f"   {len(built.events)} events, {len(built.files)} log files hashed; open {paths['report.html']}")
    if not built.charts:
        print(f"   (the report has no charts: {case.report.INSTALL_HINT})")
    print(
        "   → the case holds the planted incident" if found else "   → the case MISSES the planted incident"
    )
    return found


def run(directory: Path | None, say: Callable[[str], None]) -> bool:
    """Walk through the investigations; returns whether every answer matched the answer key."""
    root, key = ensure_sample(directory, say)
    engine = LocalEngine(root)
    all_found = True
    try:
        for number, step in enumerate(steps(key), start=1):
            print(f"\n{number}. {step.question}")
            print(f"   trailcsi {step.how} --source {shlex.quote(str(root))}")  # runnable as printed
            result = engine.run(step.query)
            rows = list(result.rows)  # printed, then checked: not an iterator read twice
            export.write(result.columns, rows, "table", sys.stdout)
            found = step.check(rows)
            all_found &= found
            print("   → planted incident found" if found else "   → NOT the planted answer")
    finally:
        engine.close()
    all_found &= _verify_step(root, len(steps(key)) + 1)
    all_found &= _case_step(root, key, len(steps(key)) + 2)
    say(f"sample archive: {root} (try: trailcsi search --source {root} --event-name ConsoleLogin --since 7d)")
    return all_found
