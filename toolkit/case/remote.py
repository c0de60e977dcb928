"""A case's records on Athena: the log files Athena names through `$path`, fetched from S3.

Athena says which files hold the cited events (`engine.locate_files`). Its addresses are the
bucket's, not the user's: one is read only when it names a log file of the table's own bucket,
prefix, organization, accounts and regions (`TrailBucket.refusal`); any other is refused and
counted. The files are downloaded with the S3 source's code (`s3source.download`) into a scratch
folder under names of their own (a number, never a key), then hashed and cut (`toolkit.case.raw`)
by the caller. Digest chains are verified over the table's S3 prefix as `verify` does from s3://.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.core.query import TrailQuery
from toolkit.core.window import Window
from toolkit.engines import SkippedFile
from toolkit.errors import SourceError, first_line
from toolkit.sources import layout, s3source
from toolkit.sources.bucket import shown

if TYPE_CHECKING:
    from toolkit.case import Located
    from toolkit.config import TableRecord
    from toolkit.engines.athena import AthenaEngine


@dataclass
class TrailBucket:
    """Where the Athena table's log files are (as `athena setup` recorded it), and how to read them."""

    client: Any  # a boto3 S3 client
    bucket: str
    prefix: str = ""  # "" or ending in "/"
    org_id: str | None = None
    accounts: list[str] = field(default_factory=list)  # empty: any account
    regions: list[str] = field(default_factory=list)  # empty: any region
    #: called after each download with (files handled, files to handle, bytes)
    progress: Callable[[int, int, int], None] | None = None

    @classmethod
    def from_setup(cls, record: TableRecord, client: Any, **extra: Any) -> TrailBucket:
        return cls(
            client, record.bucket, record.prefix, record.org_id, record.accounts, record.regions, **extra
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def refusal(self, address: str) -> tuple[str, str | None]:
        """(the key, why `address` is not read); why is None when it names a log file of the table."""
        if not address.startswith("s3://"):
            return address, "not an s3:// address"
        bucket, _, key = address[len("s3://") :].partition("/")
        if bucket != self.bucket:
            return key, f"outside the table's bucket {self.bucket}"
        root = layout.logs_root(self.prefix, self.org_id)
        if not key.startswith(root):
            return key, f"outside the table's prefix s3://{self.bucket}/{root}"
        why = s3source.refusal(key, root, layout.LOGS, self.prefix)
        if why is not None:
            return key, why
        where = layout.locate(key)
        assert where is not None  # (s3source.refusal located it)
        if where.org_id != self.org_id or (self.accounts and where.account not in self.accounts):
            return key, "an account the table does not hold"
        if self.regions and where.region not in self.regions:
            return key, "a region the table does not hold"
        return key, None


def fetch(
    engine: AthenaEngine,
    scope: TrailQuery,
    event_ids: list[str],
    trail: TrailBucket,
    scratch: Path,
    say: Callable[[str], None],
) -> Located:
    """The log files (in `scratch`) holding the records of `event_ids` in the scope, as Athena
    names them; refused addresses and failed downloads are in the report's skipped files, and
    the ids they held in `lost`."""
    from toolkit.case import Located

    named, report = engine.locate_files(scope, event_ids)
    located = Located({}, [], {}, report)
    wanted: list[tuple[str, Path]] = []
    places: dict[str, tuple[str, Path]] = {}  # key -> (address, local file)
    refused: list[str] = []
    for address in sorted(named):
        key, why = trail.refusal(address)
        if why is not None:
            refused.append(address)
            _skip(located, address, f"refused: {why}", named[address])
            continue
        suffix = ".json.gz" if key.endswith(".gz") else ".json"
        target = scratch / f"{len(wanted):06d}{suffix}"  # a name of its own: nothing of the key
        wanted.append((key, target))
        places[key] = (address, target)
    if refused:
        say(
            f"{len(refused):,} log file address(es) from Athena's $path refused, not read "
            f"(not a log file of {trail.url}): e.g. {shown(refused[0])}"
        )
    if wanted:
        say(f"downloading the {len(wanted):,} log files holding the cited records from s3://{trail.bucket}/")
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    s3source.download(
        trail.client,
        trail.bucket,
        wanted,
        lambda key, _size: done.append(key),
        progress=trail.progress,
        failed=failed,
        interrupted="interrupted; nothing of the case was written",
    )
    for key, why in failed:
        address, _target = places[key]
        _skip(located, address, f"cannot be downloaded: {why}", named[address])
    if failed:
        say(f"{len(failed):,} log file(s) could not be downloaded: their records are not in the case")
    for key in done:
        address, target = places[key]
        local = str(target)
        located.where[local] = named[address]
        located.read.append(local)
        located.names[local] = address
        located.keys[local] = key[len(trail.prefix) :]  # from the copy verified (of the prefix)
    located.read.sort()
    return located


def _skip(located: Located, address: str, why: str, ids: set[str]) -> None:
    located.report.skipped.append(SkippedFile(address, why))
    for event_id in ids:
        located.lost.setdefault(event_id, f"its log file {address} was not read ({why})")


def copy_for_verify(
    trail: TrailBucket,
    window: Window,
    accounts: list[str],
    regions: list[str],
    say: Callable[[str], None],
    cited: list[str] | None = None,
) -> tuple[Path, dict[str, str], set[str]]:
    """The window's digests (with their signatures) and log files copied from the table's prefix
    into the S3 cache, as `verify --source s3://...` copies them: (the copy, the signatures, the
    paths the bucket lists now). With the digests of the days of the `cited` log files (paths
    from the prefix) too: Athena reads a day more each side of the window, so a file it named
    can lie outside the window's days, and must still be checked against its own day's digests."""
    import botocore.exceptions

    say(f"copying the window's digests and log files from {trail.url} to verify their chains")
    try:
        directory, signatures, digests = s3source.sync_digests(
            trail.client, trail.url, digest_window(window, cited or []), accounts, regions, warn=say
        )
        _root, logs = s3source.sync(
            trail.client,
            trail.url,
            s3source.verify_log_window(window),
            accounts,
            regions,
            progress=trail.progress,
            warn=say,
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise SourceError(
            f"{trail.url} cannot be read: {first_line(str(error), type(error).__name__)}"
        ) from None
    return directory, signatures, set(digests.keys) | set(logs.keys)


def digest_window(window: Window, cited: list[str]) -> Window:
    """`window`, widened to the day folders of the `cited` log files and the day after each (where
    the digest of a file delivered late in its day lies)."""
    days = [where.day for where in map(layout.locate, cited) if where is not None]
    if not days or window.start is None or window.end is None:
        return window  # (all time, or open: every day folder from the start is read anyway)
    first = datetime.combine(min(days), time(), tzinfo=UTC)
    last = datetime.combine(max(days), time(), tzinfo=UTC) + timedelta(days=1)
    return Window(min(window.start, first), max(window.end, last), window.description, window.late)
