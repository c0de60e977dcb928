"""Find CloudTrail log files on disk in CloudTrail's own layout and pick the ones a query needs.

Layout, under any prefix: `AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz`.
Digest (`CloudTrail-Digest/`), Insight (`CloudTrail-Insight/`) and any other file are never
read as events; they are counted as ignored. Reading is by path only: which files a query opens
is decided by their account, region and day folders.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from toolkit.errors import SourceError

_LOG_PATH = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/[^/]+\.json(?:\.gz)?$"
)
#: CloudTrail names a file `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`: its delivery time.
_DELIVERED = re.compile(r"_CloudTrail_[^_/]+_(\d{8}T\d{4})Z_[^/]*$")


@dataclass(frozen=True)
class LogFile:
    path: str
    account: str
    region: str
    day: date
    org_id: str | None = None
    delivered: datetime | None = None  # from the file name; every event in the file is older


@dataclass
class Archive:
    """Every log file found under `root`, and how many other files were passed over."""

    root: Path
    files: list[LogFile]
    ignored: int = 0
    org_ids: set[str] = field(default_factory=set)

    def select(
        self,
        delivered: tuple[datetime | None, datetime | None] = (None, None),
        accounts: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> list[LogFile]:
        """The files of these accounts and regions (empty = all) delivered within `delivered`.

        Delivery is read from the file name, or else bounded by the day folder (the UTC day of
        delivery). A file holds only events that happened before its delivery.
        """
        earliest, latest = delivered
        first_day = earliest.date() if earliest else None
        last_day = latest.date() if latest else None
        wanted_accounts, wanted_regions = set(accounts), {r.lower() for r in regions}
        chosen = []
        for log in self.files:
            if (first_day and log.day < first_day) or (last_day and log.day > last_day):
                continue
            if wanted_accounts and log.account not in wanted_accounts:
                continue
            if wanted_regions and log.region not in wanted_regions:
                continue
            if log.delivered and earliest and log.delivered + timedelta(minutes=1) <= earliest:
                continue  # delivered (to the minute) before the window began
            if log.delivered and latest and log.delivered > latest:
                continue
            chosen.append(log)
        return chosen


def parse_log_path(path: str) -> LogFile | None:
    """The partition values of a log file's path, or None when it is not a log file's path."""
    match = _LOG_PATH.search(path.replace(os.sep, "/"))
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return LogFile(path, match["account"], match["region"], day, match["org"], delivered_at(path))


def delivered_at(path: str) -> datetime | None:
    """The delivery time in a log file's name (to the minute), if it has CloudTrail's form."""
    stamp = _DELIVERED.search(path)
    if not stamp:
        return None
    text = stamp.group(1)  # YYYYMMDDTHHMM (strptime is ten times slower, and archives are big)
    try:
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), tzinfo=UTC
        )
    except ValueError:
        return None


def scan(root: str | os.PathLike[str]) -> Archive:
    """Walk `root` and classify every file; raises SourceError if it holds no CloudTrail logs."""
    base = Path(root).expanduser()
    if not base.exists():
        raise SourceError(
            f"source {str(base)!r} does not exist",
            "give the directory holding AWSLogs/",
        )
    if not base.is_dir():
        raise SourceError(
            f"source {str(base)!r} is not a directory",
            "give the directory holding AWSLogs/",
        )
    files: list[LogFile] = []
    ignored = 0
    for directory, _dirs, names in os.walk(base.resolve()):
        # The folders say account, region and day: parsed once per folder, not once per file.
        folder = parse_log_path(os.path.join(directory, "_.json")) if names else None
        if folder is None:
            ignored += len(names)
            continue
        for name in names:
            if name.endswith(".json.gz") and len(name) > 8 or name.endswith(".json") and len(name) > 5:
                path = os.path.join(directory, name)
                files.append(
                    LogFile(
                        path, folder.account, folder.region, folder.day, folder.org_id, delivered_at(name)
                    )
                )
            else:
                ignored += 1
    if not files:
        raise SourceError(
            f"no CloudTrail log files under {str(base)!r} ({ignored} other files)",
            "expected AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz",
        )
    files.sort(key=lambda f: (f.day, f.account, f.region, f.path))
    return Archive(base, files, ignored, {f.org_id for f in files if f.org_id})


def inspect(path: str) -> tuple[str | None, int]:
    """Check a log file from its first bytes, and tell its uncompressed size.

    Returns (why the file is not a CloudTrail log file or None, uncompressed bytes). A log file
    is gzip (or plain JSON) whose top-level object starts with the `Records` key; the size comes
    from the gzip trailer. Corruption further in is left to the reader, which names the file.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
            size = handle.seek(0, os.SEEK_END)
            if head[:2] == b"\x1f\x8b" and size >= 18:
                handle.seek(-4, os.SEEK_END)
                size = int.from_bytes(handle.read(4), "little")
    except OSError as error:
        return f"cannot be opened: {error.strerror}", 0
    if head[:2] == b"\x1f\x8b":
        try:
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 256)
        except zlib.error:
            return "corrupt gzip data", size
    elif path.endswith(".gz"):
        return "not gzip-compressed although named .gz", size
    else:
        text = head[:256]
    stripped = text.lstrip()
    if not stripped:
        return "empty", size
    if not stripped.startswith(b"{"):
        return 'not a CloudTrail log file (expected a JSON object {"Records": [...]})', size
    if not re.match(rb'\{\s*"Records"\s*:\s*\[', stripped):
        return 'not a CloudTrail log file (its JSON object does not start with "Records")', size
    return None, size
