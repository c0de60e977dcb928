"""`trailcsi verify`: the archive's digest chains, signatures and log hashes (see toolkit/integrity/verify.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.common import (
    AwsRegionOption,
    ProfileOption,
    PublicKeysOption,
    SignaturesOption,
    SourceOption,
    aws_session,
    s3_client,
    s3_errors,
    say,
)
from toolkit.cli.options import ListFormatOption, check_list_format, options, source_or_env, window_options
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
    format: ListFormatOption = "table",
    profile: ProfileOption = None,
    aws_region: AwsRegionOption = None,
) -> None:
    """Prove the archive was not tampered with: digest chains, signatures, log hashes, unreferenced files.

    Exit 0 only when everything checked is valid; 1 when anything is not (problems are listed first).
    """
    from toolkit.integrity import publickeys
    from toolkit.integrity import verify as verify_module

    check_list_format(format)
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
    bar = None
    if sys.stderr.isatty():
        from toolkit.cli.progress import DownloadProgress

        bar = DownloadProgress("hashing log files")
    try:
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
    finally:
        if bar is not None:
            bar.stop()
    for note in report.notes:
        say(note)
    totals = report.totals()
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
        rows = [
            (
                c.account,
                c.region,
                c.trail,
                c.digests_valid,
                len(c.digests_unauthenticated),
                len(c.digests_invalid),
                len(c.digests_missing),
                c.logs_valid,
                len(c.logs_mismatch),
                len(c.logs_missing) + len(c.logs_unreadable),
                len(c.logs_unreferenced) + len(c.logs_unproven) + len(c.logs_duplicate),
                len(c.gaps),
            )
            for c in report.chains
        ]
        columns = [
            "account",
            "region",
            "trail",
            "digests ok",
            "not auth.",
            "invalid",
            "missing",
            "logs ok",
            "bad hash",
            "lost",
            "unreferenced",
            "gaps",
        ]
        export.write(columns, rows, format, sys.stdout)
    if totals["digests_unauthenticated"]:
        say(
            f"{totals['digests_unauthenticated']} newest digest(s) not authenticated: their signature lives "
            "only in S3 object metadata (verify from s3://, or give --signatures with that metadata); "
            f"{totals['logs_unvouched']} log file(s) listed only by them were not opened"
        )
    keyless = sum(
        1
        for c in report.chains
        for _key, why in c.digests_invalid
        if why.startswith(verify_module.NO_PUBLIC_KEY)
    )
    if keyless:
        say(
            f"{keyless:,} digest(s) could not be checked: no public key was found for their fingerprint. "
            "That proves nothing either way (it is not a sign of tampering): give --public-keys FILE "
            "(the JSON `aws cloudtrail list-public-keys --start-time ...` prints), or AWS credentials "
            "so that trailcsi fetches the keys"
        )
    without_key = f" ({keyless:,} of them for want of a public key)" if keyless else ""
    say(
        f"digests: {totals['digests_valid']:,} valid, {totals['digests_invalid']:,} invalid{without_key}, "
        f"{totals['digests_missing']:,} missing; log files: {totals['logs_valid']:,} "
        f"valid, {totals['logs_mismatch']:,} hash mismatch, {totals['logs_missing']:,} missing, "
        f"{totals['logs_unreadable']:,} unreadable, {totals['logs_unreferenced']:,} referenced by no digest, "
        f"{totals['logs_unproven']:,} listed only by an unauthenticated digest, "
        f"{totals['logs_duplicate']:,} copies of a vouched file under another prefix; "
        f"{totals['logs_refused']:,} not opened (outside the archive or not a regular file); "
        f"{totals['gaps']:,} gaps, {totals['chains_ending_early']:,} chain(s) ending before the window, "
        f"{totals['starts']:,} chain starts"
    )
    if not report.chains:
        say("no digest files in this window: is log file validation on for this trail?")
    if not report.ok() or not report.chains:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _verify_copy(
    url: str, window: Window, accounts: list[str], regions: list[str], profile: str | None, region: str | None
) -> tuple[str, dict[str, str], set[str]]:
    """An s3:// source: fetch the window's digests (with their signatures) and log files.

    Returns the local copy, the signatures, and the paths (from the copy's root) the bucket lists
    now: whatever else the local copy holds (keys deleted from the bucket since) is ignored.
    """
    from toolkit.sources import s3source

    client = s3_client(profile, region)
    with s3_errors(url, "check the address and your read access"):
        directory, signatures, digests = s3source.sync_digests(
            client, url, window, accounts, regions, warn=say
        )
        _root, logs = s3source.sync(
            client, url, s3source.verify_log_window(window), accounts, regions, warn=say
        )
    say(f"{url}: {digests.listed:,} digest files in the window ({digests.downloaded:,} downloaded)")
    return str(directory), signatures, set(digests.keys) | set(logs.keys)


def _shown(line: str) -> None:
    """A problem line above the table: a file name's control characters shown as escapes."""
    print(export.visible(line))
