"""`trailcsi verify`: the archive's digest chains, signatures and log hashes (see toolkit/integrity/verify.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from toolkit.aws_config import s3_errors
from toolkit.cli.common import (
    AwsRegionOption,
    ProfileOption,
    PublicKeysOption,
    SignaturesOption,
    SourceOption,
    aws_session,
    s3_client,
    say,
)
from toolkit.cli.options import ListFormat, ListFormatOption, options, source_or_env, window_options
from toolkit.core import export
from toolkit.core.window import Window
from toolkit.errors import ExitCode, SourceError


@options(window=window_options)
def verify(
    window: Window,
    source: SourceOption = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", metavar="ACCOUNT", help="Only this account (repeat).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", metavar="REGION", help="Only this region (repeat).")
    ] = None,
    public_keys: PublicKeysOption = None,
    signatures_file: SignaturesOption = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Never ask AWS for public keys (use --public-keys and the cache)."),
    ] = False,
    format: ListFormatOption = ListFormat.table,
    profile: ProfileOption = None,
    aws_region: AwsRegionOption = None,
) -> None:
    """Prove the archive was not tampered with: digest chains, signatures, log hashes, unreferenced files.

    Exit 0 only when everything checked is valid; 1 when anything is not (problems are listed first).
    """
    from toolkit.cli.progress import DownloadProgress, shown
    from toolkit.integrity import publickeys
    from toolkit.integrity import verify as verify_module

    chosen = source_or_env(source)
    fetch = None
    if not offline and public_keys is None:
        fetch = publickeys.aws_fetcher(aws_session(profile, aws_region))
    keys = publickeys.PublicKeys.load(public_keys, fetch)
    say(f"window: {window.description}")
    signatures = verify_module.load_signatures(signatures_file) if signatures_file is not None else {}
    listed: set[str] | None = None  # from s3://: only what the bucket lists now
    if chosen.startswith("s3://"):
        chosen, fetched, listed = _verify_copy(
            chosen, window, account or [], region or [], profile, aws_region
        )
        signatures = {**signatures, **fetched}
    elif not Path(chosen).is_dir():
        raise SourceError(f"source {chosen!r} is not a directory", "give the directory holding AWSLogs/")
    with shown(lambda: DownloadProgress("hashing log files")) as bar:
        report = verify_module.verify(
            chosen,
            window,
            keys,
            accounts=account,
            regions=region,
            signatures=signatures,
            progress=bar,
            listed=listed,
        )
    for note in report.notes:
        say(note)
    if format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        problems = report.problems()
        # a table shows them above the chains; CSV is the chains' rows only, so they go to stderr
        tell = _shown if format == "table" else say
        for line in problems[:50]:
            tell(f"PROBLEM {line}")
        if len(problems) > 50:
            tell(f"PROBLEM ... and {len(problems) - 50} more (--format json lists them all)")
        export.write(list(verify_module.CHAIN_COLUMNS), report.chain_rows(), format, sys.stdout)
    for line in report.summary_lines():
        say(line)
    if not report.passed():
        raise typer.Exit(int(ExitCode.FINDINGS))


def _verify_copy(
    url: str, window: Window, accounts: list[str], regions: list[str], profile: str | None, region: str | None
) -> tuple[str, dict[str, str], set[str]]:
    """An s3:// source: the local copy, the digests' signatures, and the paths the bucket lists now."""
    from toolkit.sources import s3source

    with s3_errors(url, "check the address and your read access"):
        copy = s3source.sync_for_verify(s3_client(profile, region), url, window, accounts, regions, warn=say)
    say(f"{url}: {copy.digests.listed:,} digest files in the window ({copy.digests.downloaded:,} downloaded)")
    return str(copy.directory), copy.signatures, copy.listed


def _shown(line: str) -> None:
    """A problem line above the table: a file name's control characters shown as escapes."""
    print(export.visible(line))
