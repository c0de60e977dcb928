"""`trailcsi athena ...`: discover a trail bucket, print or create the partition-projected table,
print the CloudFormation template."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.aws_config import s3_errors
from toolkit.cli.common import (
    AccountsOption,
    AwsRegionOption,
    BucketOption,
    DatabaseOption,
    OrgIdOption,
    PrefixOption,
    ProfileOption,
    RegionsOption,
    StartDayOption,
    TableOption,
    aws_session,
    print_listing,
    s3_client,
    say,
)
from toolkit.cli.help import App, examples
from toolkit.cli.options import ListFormat, ListFormatOption
from toolkit.errors import SourceError, UsageError

if TYPE_CHECKING:
    from toolkit.engines.ddl import TableSpec
    from toolkit.sources.bucket import Layout

athena_app = App(
    help="Athena: discover a trail bucket's layout, create the partition-projected table, print the infrastructure.",
    epilog=examples(
        "trailcsi athena discover --bucket my-trail-bucket",
        "trailcsi athena setup --bucket my-trail-bucket \\",
        "    --output-location s3://my-athena-results/trailcsi/",
        "trailcsi run user-created --engine athena --since 30d",
    ),
    no_args_is_help=True,
)


def _discover(bucket: str, prefix: str, profile: str | None, region: str | None) -> Layout:
    from toolkit.sources.bucket import check_bucket, discover

    check_bucket(bucket)  # before any call: botocore's own check is a multi-line message
    with s3_errors(f"s3://{bucket}", "check the bucket name and your read access to it"):
        return discover(s3_client(profile, region), bucket, prefix)


@athena_app.command(
    "discover",
    epilog=examples(
        "trailcsi athena discover --bucket my-trail-bucket",
        "trailcsi athena discover --bucket my-trail-bucket --prefix logs -f json",
    ),
)
def athena_discover(
    bucket: BucketOption,
    prefix: PrefixOption = "",
    format: ListFormatOption = ListFormat.table,
    profile: ProfileOption = None,
    aws_region: AwsRegionOption = None,
) -> None:
    """List the bucket's CloudTrail layout (org id, accounts, regions, first and last day) from folder listings."""
    layout = _discover(bucket, prefix, profile, aws_region)
    data = layout.as_dict()
    rows = [
        (k, ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v))) for k, v in data.items()
    ]
    print_listing(["field", "value"], rows, format, as_json=data)


def _table_spec(
    bucket: str,
    prefix: str,
    org_id: str | None,
    accounts: str | None,
    regions: str | None,
    start_day: str | None,
    database: str,
    table: str,
    profile: str | None,
    aws_region: str | None,
) -> TableSpec:
    """The table to create: flags first, the rest from the bucket's layout (as `discover` finds it)."""
    from toolkit.config import parse_start_day
    from toolkit.engines.ddl import TableSpec
    from toolkit.sources.bucket import check_bucket, normalize_prefix

    check_bucket(bucket)
    normalize_prefix(prefix, strict=True)  # a prefix that would change the LOCATION: before any call
    found_day = parse_start_day(start_day) if start_day else None
    if accounts and regions and start_day:
        found_org, found_accounts, found_regions = org_id, [accounts], [regions]
    else:
        layout = _discover(bucket, prefix, profile, aws_region)
        found_org = org_id if org_id is not None else layout.org_id
        found_accounts = [accounts] if accounts else layout.accounts
        found_regions = [regions] if regions else layout.regions
        found_day = found_day or layout.first_day
    if found_day is None:
        raise UsageError("no first day found in the bucket", "give --start-day")
    spec = TableSpec(bucket, found_accounts, found_regions, found_day, prefix, found_org, database, table)
    return spec.check()


@athena_app.command(
    "cloudformation",
    epilog=examples(
        "trailcsi athena cloudformation > trailcsi-athena.yaml",
        "aws cloudformation deploy --template-file trailcsi-athena.yaml \\",
        "    --stack-name trailcsi --capabilities CAPABILITY_IAM \\",
        "    --parameter-overrides TrailBucketName=my-trail-bucket",
    ),
)
def athena_cloudformation() -> None:
    """Print infra/trailcsi-athena.yaml: workgroup, results bucket, Glue database, investigator policy.

    Deploy it with `aws cloudformation deploy`, as the second example does.
    """
    package = Path(__file__).resolve().parents[1]  # toolkit/
    for candidate in (package / "infra", package.parent / "infra"):  # installed wheel, then a checkout
        template = candidate / "trailcsi-athena.yaml"
        if template.is_file():
            sys.stdout.write(template.read_text(encoding="utf-8"))
            return
    raise SourceError(
        "the CloudFormation template is not installed", "take infra/ from the source distribution"
    )


@athena_app.command(
    "ddl",
    epilog=examples(
        "trailcsi athena ddl --bucket my-trail-bucket",
        "trailcsi athena ddl --bucket my-trail-bucket --accounts 111122223333 \\",
        "    --regions eu-west-1 --start-day 2024/01/01",
    ),
)
def athena_ddl(
    bucket: BucketOption,
    prefix: PrefixOption = "",
    org_id: OrgIdOption = None,
    accounts: AccountsOption = None,
    regions: RegionsOption = None,
    start_day: StartDayOption = None,
    database: DatabaseOption = "trailcsi",
    table: TableOption = "cloudtrail",
    profile: ProfileOption = None,
    aws_region: AwsRegionOption = None,
) -> None:
    """Print the CREATE DATABASE and partition-projected CREATE EXTERNAL TABLE statements.

    Accounts, regions, first day and org id come from the bucket (as `discover` finds them) unless
    all of --accounts, --regions and --start-day are given.
    """
    from toolkit.engines.ddl import create_database_sql, create_table_sql

    spec = _table_spec(
        bucket, prefix, org_id, accounts, regions, start_day, database, table, profile, aws_region
    )
    print(create_database_sql(spec) + ";\n")
    print(create_table_sql(spec) + ";")


@athena_app.command(
    "setup",
    epilog=examples(
        "trailcsi athena setup --bucket my-trail-bucket \\",
        "    --output-location s3://my-athena-results/trailcsi/",
        "trailcsi athena setup --bucket my-trail-bucket --replace",
    ),
)
def athena_setup(
    bucket: BucketOption,
    output_location: Annotated[
        str | None,
        typer.Option(
            "--output-location", metavar="S3_URL", help="s3:// prefix for query results (or the workgroup's)."
        ),
    ] = None,
    workgroup: Annotated[
        str, typer.Option("--workgroup", metavar="NAME", help="Athena workgroup.")
    ] = "primary",
    prefix: PrefixOption = "",
    org_id: OrgIdOption = None,
    accounts: AccountsOption = None,
    regions: RegionsOption = None,
    start_day: StartDayOption = None,
    database: DatabaseOption = "trailcsi",
    table: TableOption = "cloudtrail",
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Recreate the table definition if it differs (log files are untouched)."
        ),
    ] = False,
    config: Annotated[
        Path, typer.Option("--config", metavar="FILE", help="Where to write the settings.")
    ] = Path("trailcsi.toml"),
    profile: ProfileOption = None,
    aws_region: AwsRegionOption = None,
) -> None:
    """Create the database and the partition-projected table, and write trailcsi.toml.

    Idempotent: an identical table is left alone; a different one is reported and changed only
    with --replace. Afterwards `trailcsi run NAME --engine athena` needs no more flags.
    """
    from toolkit import config as config_module
    from toolkit.engines import provision
    from toolkit.engines.athena import AthenaEngine, aws_error

    # Every setting is checked before any AWS call; a refused one names its flag and the rule.
    kept = config_module.load(config).suppressions if config.is_file() else []
    config_module.AthenaSettings().overridden(
        database=database,
        table=table,
        workgroup=workgroup,
        output_location=output_location,
        region=aws_region,
        profile=profile,
    )
    spec = _table_spec(
        bucket, prefix, org_id, accounts, regions, start_day, database, table, profile, aws_region
    )
    session = aws_session(profile, aws_region)
    try:
        from toolkit.aws_config import client_config, watched

        glue = watched(session.client("glue", config=client_config()))
    except Exception as error:  # no region (botocore.exceptions.NoRegionError), bad endpoint
        raise aws_error(error, "Glue") from None
    settings = config_module.AthenaSettings(
        database=spec.database,
        table=spec.table,
        workgroup=workgroup,
        output_location=output_location,
        region=session.region_name,
        profile=profile,
    )
    engine = AthenaEngine(settings, session=session, notify=say)
    try:
        outcome = provision.setup(spec, engine.execute, glue, replace=replace)
    finally:
        engine.close()
    for difference in outcome.differences:
        say(f"changed: {difference}")
    said = {"created": "created", "replaced": "recreated", "unchanged": "already up to date:"}[outcome.action]
    say(f"{said} table {spec.database}.{spec.table} over {spec.location()}")
    record = config_module.TableRecord(
        spec.bucket, spec.prefix, spec.org_id, spec.accounts, spec.regions, f"{spec.start_day:%Y/%m/%d}"
    )
    # The sweep's suppressions the file holds are kept (the file was read, and checked, above).
    config_module.save(config_module.Config(settings, record, suppressions=kept), config)
    say(f"wrote {config}; now: trailcsi run NAME --engine athena (or sql, search, sweep)")
