"""What the CLI's command modules share: diagnostics on stderr, AWS sessions and clients, the
local copy of an s3:// source, and the option types several commands spell the same way."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from toolkit.aws_config import s3_errors
from toolkit.cli.options import SourceOptions, complete_region
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window


def startup_done() -> None:
    """When the process entry (toolkit/__main__) turned garbage collection off for start-up: keep
    start-up's objects (imported modules) out of collections from here on, and turn it back on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def print_listing(
    columns: list[str], rows: list[tuple[Any, ...]], format: str, as_json: Any | None = None
) -> None:
    """A list command's rows on stdout: a table, CSV (a header, then one line a row) or JSON (a
    list of objects, unless the command has a fuller JSON form: `as_json`)."""
    import json

    from toolkit.core import export

    if format == "json":
        data = [dict(zip(columns, row, strict=True)) for row in rows] if as_json is None else as_json
        print(json.dumps(data, indent=2))
    else:
        export.write(columns, rows, format, sys.stdout)


def say(message: str) -> None:
    """A diagnostic line on stderr (stdout carries data only). Control characters (from file
    names, say) are shown escaped: a line can neither be split nor drive the terminal."""
    shown = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message)
    print(f"trailcsi: {shown}", file=sys.stderr, flush=True)


BucketOption = Annotated[
    str, typer.Option("--bucket", metavar="BUCKET", help="The trail's S3 bucket (name only).")
]
PrefixOption = Annotated[
    str, typer.Option("--prefix", metavar="PREFIX", help="Key prefix before AWSLogs/, if the trail has one.")
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", metavar="PROFILE", help="AWS profile (default: the usual AWS environment)."),
]
AwsRegionOption = Annotated[
    str | None,
    typer.Option(
        "--aws-region", metavar="REGION", help="AWS region for the API calls.", autocompletion=complete_region
    ),
]


OrgIdOption = Annotated[
    str | None, typer.Option("--org-id", metavar="ORG_ID", help="Organization id of an organization trail.")
]
AccountsOption = Annotated[
    str | None, typer.Option("--accounts", metavar="ACCOUNT,...", help="Comma-separated account ids.")
]
RegionsOption = Annotated[
    str | None,
    typer.Option(
        "--regions", metavar="REGION,...", help="Comma-separated regions.", autocompletion=complete_region
    ),
]
StartDayOption = Annotated[
    str | None,
    typer.Option("--start-day", metavar="DAY", help="First day of logs, YYYY/MM/DD or YYYY-MM-DD."),
]
DatabaseOption = Annotated[str, typer.Option("--database", metavar="NAME", help="Glue database.")]
TableOption = Annotated[str, typer.Option("--table", metavar="NAME", help="Table name.")]


PublicKeysOption = Annotated[
    Path | None,
    typer.Option(
        "--public-keys",
        metavar="FILE",
        help="JSON from `aws cloudtrail list-public-keys`: the keys the digests are checked with"
        " (trusted for this run only, never cached).",
    ),
]
SignaturesOption = Annotated[
    Path | None,
    typer.Option(
        "--signatures",
        metavar="FILE",
        help="JSON of the digests' S3 object metadata signatures ({key: signature} or "
        "{key: {signature: ...}}): authenticates a local copy's newest digests.",
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        "-s",
        metavar="DIR|S3_URL",
        help="Directory holding AWSLogs/, or s3://bucket/prefix (env TRAILCSI_SOURCE).",
    ),
]


def aws_session(profile: str | None, region: str | None) -> Any:
    from toolkit import aws_config

    return aws_config.session(profile, region)  # (a one-line UsageError for a bad profile or config)


def s3_client(profile: str | None, region: str | None) -> Any:
    from toolkit import aws_config

    return aws_config.watched(aws_config.client(aws_config.session(profile, region), "s3"))


def local_copy(source: SourceOptions, window: Window, criteria: Criteria | None) -> str:

    from toolkit.sources import s3source

    url = str(source.source)

    accounts, regions = criteria.partitions() if criteria else ([], [])
    from toolkit.cli.progress import DownloadProgress, shown

    with shown(lambda: DownloadProgress(f"fetching {url}")) as bar:
        with s3_errors(url, "check the address and your read access"):
            directory, done = s3source.sync(
                s3_client(source.profile, source.aws_region),
                url,
                window,
                accounts,
                regions,
                progress=bar,
                warn=say,
            )
    say(
        f"{url}: {done.listed:,} log files for this scope; {done.downloaded:,} downloaded "
        f"({done.bytes_downloaded / 1e6:,.1f} MB), {done.reused:,} reused from {s3source.cache_root()}"
        + (f"; {len(done.refused):,} keys refused" if done.refused else "")
    )
    return str(directory)
