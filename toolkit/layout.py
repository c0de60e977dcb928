"""CloudTrail's file layout in a trail bucket (or a copy of it on disk), in one place.

Log files:  `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz`,
named `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz` (the delivery time).
Digests:    `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<name>.json.gz`.
Paths are matched at their end, so the folders above `AWSLogs/` may be named anything, even
`CloudTrail` or `AWSLogs`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

ORG_ID = r"o-[a-z0-9]{10,32}"
ACCOUNT = r"\d{12}"
REGION = r"[a-z0-9-]+"
LOGS = "CloudTrail"
DIGESTS = "CloudTrail-Digest"
INSIGHTS = "CloudTrail-Insight"

_TAIL = (
    rf"AWSLogs/(?:(?P<org>{ORG_ID})/)?(?P<account>{ACCOUNT})/(?P<kind>{LOGS}|{DIGESTS}|{INSIGHTS})/"
    rf"(?P<region>{REGION})/(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/(?P<name>[^/]+)$"
)
_PATH = re.compile(r"(?:^|/)" + _TAIL)
#: CloudTrail's log file name carries its delivery time: every event in the file is older.
_DELIVERED = re.compile(r"_CloudTrail_[^_/]+_(\d{8}T\d{4})Z_[^/]*$")
#: Names that are log files, by extension (CloudTrail writes .json.gz; plain .json copies are read too).
LOG_SUFFIXES = (".json.gz", ".json")


@dataclass(frozen=True)
class Location:
    """What a path in CloudTrail's layout says: which trail folder, account, region and day."""

    kind: str  # LOGS, DIGESTS or INSIGHTS
    account: str
    region: str
    day: date
    org_id: str | None
    name: str


def locate(path: str) -> Location | None:
    """Where a file sits in CloudTrail's layout, or None when it is not in a day folder of it."""
    match = _PATH.search(path.replace(os.sep, "/"))
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return Location(match["kind"], match["account"], match["region"], day, match["org"], match["name"])


def is_log_name(name: str) -> bool:
    return any(name.endswith(suffix) and len(name) > len(suffix) for suffix in LOG_SUFFIXES)


def delivered_at(name: str) -> datetime | None:
    """The delivery time in a log file's name (to the minute), if it has CloudTrail's form."""
    stamp = _DELIVERED.search(name)
    if not stamp:
        return None
    text = stamp.group(1)  # YYYYMMDDTHHMM (strptime is ten times slower, and archives are big)
    try:
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), tzinfo=UTC
        )
    except ValueError:
        return None


def day_value(day: date) -> str:
    """A day as the `day` partition column holds it (the path's form, `YYYY/MM/DD`)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def day_folder(
    prefix: str, org_id: str | None, account: str, region: str, day: date, kind: str = LOGS
) -> str:
    """`[prefix]AWSLogs/[<o-id>/]<account>/<kind>/<region>/YYYY/MM/DD/` (S3 keys and paths alike)."""
    org = f"{org_id}/" if org_id else ""
    return f"{prefix}AWSLogs/{org}{account}/{kind}/{region}/{day_value(day)}/"


def duckdb_partitions(column: str = "filename") -> dict[str, str]:
    """DuckDB expressions giving `account`, `region` and `day` from a log file's path in `column`.

    Anchored at the path's end like `locate`, so folders above `AWSLogs/` cannot be mistaken
    for the account, region or day.
    """
    tail = rf"/AWSLogs/(?:{ORG_ID}/)?({ACCOUNT})/{LOGS}/({REGION})/(\d{{4}}/\d{{2}}/\d{{2}})/[^/]+$"
    return {
        name: f"regexp_extract({column}, '{tail}', {group})"
        for group, name in enumerate(("account", "region", "day"), start=1)
    }
