"""`trailcsi case build`: a case folder for an incident (see toolkit/case)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli.common import PublicKeysOption, SignaturesOption, say
from toolkit.cli.help import App, examples
from toolkit.cli.options import SourceOptions, criteria_options, options, source_options, window_options
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window
from toolkit.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from toolkit.config import TableRecord

case_app = App(
    help="Case files: an incident's timeline, events and evidence, in one folder.",
    epilog=examples(
        "trailcsi case build ./case-alice --source ./sample --since 7d \\",
        "    --principal alice",
        "trailcsi case build --help",
    ),
    no_args_is_help=True,
)

SELECT = "Case selections (any mix; the events of all of them make the case)"


@case_app.command(
    "build",
    epilog=examples(
        "trailcsi case build ./case-alice --source ./sample --since 7d \\",
        "    --principal alice --finding-from-sweep console-login-without-mfa --force",
        "trailcsi case build ./case-eips --source ./sample --since 7d \\",
        "    --template eip-allocations",
        "trailcsi case build ./case-alice --engine athena --since 7d \\",
        "    --principal alice",
    ),
)
@options(criteria=criteria_options, window=window_options, source=source_options)
def case_build(
    directory: Annotated[
        Path, typer.Argument(help="The case folder to write (new or empty; --force to replace).")
    ],
    criteria: Criteria,
    window: Window,
    source: SourceOptions,
    principal: Annotated[
        list[str] | None,
        typer.Option(
            "--principal",
            metavar="PRINCIPAL",
            help="Everything this principal did (as principal-activity).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    finding_from_sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--finding-from-sweep",
            metavar="DETECTION|all",
            help="The findings of this detection, or 'all' detections (repeat); marked on the timeline.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    template: Annotated[
        list[str] | None,
        typer.Option(
            "--template",
            metavar="NAME",
            help="The events an investigation template returns (repeat).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="name=value for the --template(s) declaring it (repeat).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    queries_dir: Annotated[
        list[Path] | None,
        typer.Option("--queries-dir", metavar="DIR", help="Another directory of templates."),
    ] = None,
    public_keys: PublicKeysOption = None,
    signatures_file: SignaturesOption = None,
    title: Annotated[str, typer.Option("--title", metavar="TEXT", help="The report's title.")] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the case files in a folder that is not empty.")
    ] = False,
) -> None:
    """Build a case folder: report.html, events.jsonl (original records), manifest.json, timeline.csv.

    --event-id names events of the case (repeat); the other CRITERIA and the WINDOW narrow every selection.
    On --engine athena the selections run on Athena and the cited records are downloaded from the
    log files its $path names, only inside the bucket and prefix athena setup recorded.

    With --public-keys, the window's digest chains and every log file read are verified: exit 0
    when all is valid, 1 when the evidence failed the check (a log file changed, missing, or not
    vouched for by any digest; the case is still written, and manifest.json says what failed).
    Without keys nothing is verified (exit 0, said on stderr); with keys, a check that could not
    run (the digests unreadable, say) is exit 1 too.
    """
    from toolkit import case as case_module
    from toolkit.cli import _engine, _report
    from toolkit.templates.catalog import Catalog
    from toolkit.templates.render import parse_assignments

    table = _table_setup(source) if source.engine == "athena" else None
    local = None if source.source is None or source.source.startswith("s3://") else Path(source.source)
    case_module.check_directory(directory, force, local)  # before any work
    event_ids, criteria.event_id = list(criteria.event_id), []
    catalog = Catalog.load(queries_dir)
    values = parse_assignments(param or [])
    chosen = [catalog.get(name) for name in dict.fromkeys(template or [])]
    for name in values:
        if not any(t.param(name) for t in chosen):
            raise UsageError(
                f"--param {name}: no --template given declares it",
                "give --template NAME first; trailcsi queries show NAME lists its parameters",
            )
    spec = case_module.CaseSpec(
        window,
        criteria,
        principals=principal or [],
        templates=[(t.name, {k: v for k, v in values.items() if t.param(k)}) for t in chosen],
        detections=finding_from_sweep or [],
        event_ids=event_ids,
        title=title,
        command=["trailcsi", *sys.argv[1:]],
    )
    spec.check()
    keys = signatures = None
    if public_keys is not None:
        from toolkit.integrity import verify
        from toolkit.integrity.publickeys import PublicKeys

        keys = PublicKeys.load(public_keys)
        signatures = verify.load_signatures(signatures_file) if signatures_file is not None else {}
    elif signatures_file is not None:
        raise UsageError(
            "--signatures needs --public-keys", "give the public keys the digests are checked with"
        )
    say(f"window: {window.description}")
    with _engine(source, window, criteria) as engine, ExitStack() as stack:
        trail = None
        if table is not None:  # Athena: the records are fetched from the table's bucket
            from toolkit.case.remote import TrailBucket
            from toolkit.cli.progress import DownloadProgress, shown

            bar = stack.enter_context(
                shown(lambda: DownloadProgress(f"downloading from s3://{table.bucket}"))
            )
            trail = TrailBucket.from_setup(table, engine.s3_client(), progress=bar)
        built = case_module.build(
            engine, spec, catalog=catalog, public_keys=keys, signatures=signatures, trail=trail, say=say
        )
    _report(built.report)
    case_module.require_found(built)
    paths = case_module.write(built, directory, force=force)
    if not built.charts:
        say(f"report.html has no charts: plotly is not installed ({case_module.report.INSTALL_HINT})")
    verified = built.verification
    for line in case_module.evidence_lines(built):
        say(line)
    say(f"{len(built.events):,} events from {len(built.files):,} log files; the case is in {directory}")
    print(paths["report.html"])
    if verified.get("ran") and not verified.get("ok"):
        say(
            f"the case was written to {directory}, but its evidence failed the digest check (see manifest.json)"
        )
        raise typer.Exit(int(ExitCode.FINDINGS))
    if keys is not None and not verified.get("ran"):  # asked for, and not done: not a pass
        say(
            f"the case was written to {directory}, but its evidence could not be checked: {verified.get('why')}"
        )
        raise typer.Exit(int(ExitCode.FINDINGS))


def _table_setup(source: SourceOptions) -> TableRecord:
    """The Athena table's bucket and prefix, as `athena setup` recorded them in trailcsi.toml:
    the only place the table's `$path` addresses may lead."""
    from toolkit import config as config_module

    found = config_module.load(source.config)
    settings = source.athena
    if found.table is None:
        raise UsageError(
            "case build on Athena needs the table's bucket and prefix, and trailcsi.toml does not "
            "record them",
            "run trailcsi athena setup (it records them), or use --source s3://bucket/prefix",
        )
    if (found.athena.database, found.athena.table) != (settings.database, settings.table):
        raise UsageError(
            f"--database/--table name {settings.database}.{settings.table}, but trailcsi.toml records "
            f"the bucket of {found.athena.database}.{found.athena.table}",
            "drop --database/--table, or give the --config of that table",
        )
    return found.table
