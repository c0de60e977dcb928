"""CloudTrail's file layout in a trail bucket (or a copy of it on disk), in one place.

Log files:  `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz`,
named `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz` (the delivery time).
Digests:    `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<name>.json.gz`.
Paths are matched at their end, so the folders above `AWSLogs/` may be named anything, even
`CloudTrail` or `AWSLogs`.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

# Patterns (text, for composing; DuckDB's regular expressions take them too). ASCII classes
# only: Python's `\d` matches the digits of every script, and `int` reads them.
ORG_ID = r"o-[a-z0-9]{10,32}"
ACCOUNT = r"[0-9]{12}"
REGION = r"[a-z0-9-]+"
LOGS = "CloudTrail"
DIGESTS = "CloudTrail-Digest"
INSIGHTS = "CloudTrail-Insight"
KINDS = (LOGS, DIGESTS, INSIGHTS)
ROOT = "AWSLogs"

#: What trailcsi accepts from a user or a configuration file as an organization id, an account
#: id or a region name (used with `fullmatch`; a folder of the bucket is taken by the same rules).
ORG_ID_NAME = re.compile(ORG_ID, re.ASCII)
ORG_ID_RULE = "an organization id: o- and 10-32 lowercase letters or digits"
ACCOUNT_NAME = re.compile(ACCOUNT, re.ASCII)
ACCOUNT_RULE = "12-digit account ids"
REGION_NAME = re.compile(r"[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}", re.ASCII)
REGION_RULE = "region names such as us-east-1 (lowercase letters and -, ending in a number)"

# A file name: no separator of any system (`\` is one on Windows), no control character.
_NAME = r"[^/\\\x00-\x1f\x7f]+"
_TAIL = (
    rf"(?P<key>{ROOT}/(?:(?P<org>{ORG_ID})/)?(?P<account>{ACCOUNT})/(?P<kind>{DIGESTS}|{INSIGHTS}|{LOGS})/"
    rf"(?P<region>{REGION})/(?P<y>[0-9]{{4}})/(?P<m>[0-9]{{2}})/(?P<d>[0-9]{{2}})/(?P<name>{_NAME}))\Z"
)
_PATH = re.compile(r"(?:^|/)" + _TAIL, re.ASCII)
#: CloudTrail's log file name carries its delivery time: every event in the file is older.
_DELIVERED = re.compile(r"_CloudTrail_[^_/]+_([0-9]{8}T[0-9]{4})Z_[^/]*\Z", re.ASCII)
#: A control character, DEL included: never part of a name trailcsi writes or reads.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: A digest file's name: `<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>.json.gz`.
_DIGEST_NAME = re.compile(
    rf"(?P<account>{ACCOUNT})_{DIGESTS}_(?P<region>{REGION})_(?P<trail>.+)_(?P<home>{REGION})_"
    r"(?P<end>[0-9]{8}T[0-9]{6}Z)\.json\.gz\Z",
    re.ASCII,
)
#: A digest's path, its day folder as written: `verify` reports a day that is not a date.
DIGEST_PATH = re.compile(
    rf"(?:^|/)(?P<key>{ROOT}/(?:(?P<org>{ORG_ID})/)?(?P<account>{ACCOUNT})/{DIGESTS}/(?P<region>{REGION})/"
    rf"(?P<day>[0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}})/(?P<name>{_NAME}))\Z",
    re.ASCII,
)
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
    key: str = ""  # the path from its `AWSLogs/` on (the part that is the same in every copy)


def locate(path: str) -> Location | None:
    """Where a file sits in CloudTrail's layout, or None when it is not in a day folder of it.

    Matched at the path's end, in ASCII: a day that is not a date, digits of another script, a
    name holding a backslash or a control character, or a path ending in `/` is not a location.
    """
    match = _PATH.search(path.replace(os.sep, "/"))
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return Location(
        match["kind"], match["account"], match["region"], day, match["org"], match["name"], match["key"]
    )


def from_root(path: str) -> str:
    """`path` from the `AWSLogs/` of its layout on (the last one, where the layout is), else as is."""
    where = locate(path)
    if where is not None:
        return where.key
    path = path.replace(os.sep, "/")
    at = path.rfind(f"{ROOT}/")
    return path[at:] if at == 0 or (at > 0 and path[at - 1] == "/") else path


def is_log_name(name: str) -> bool:
    """A name ending in one of LOG_SUFFIXES with something before it (no name ends in both)."""
    return name.endswith(LOG_SUFFIXES) and name not in LOG_SUFFIXES


def delivered_at(name: str) -> datetime | None:
    """The delivery time in a log file's name (to the minute), if it has CloudTrail's form."""
    stamp = _DELIVERED.search(name)
    return _minute(stamp.group(1)) if stamp else None


@functools.lru_cache(maxsize=4096)
def _minute(text: str) -> datetime | None:
    """YYYYMMDDTHHMM as a UTC time, or None (strptime is ten times slower, and archives are big;
    an archive's files share their delivery minutes across accounts and regions: read once)."""
    try:
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), tzinfo=UTC
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class DigestName:
    """What a digest file's name says."""

    account: str
    region: str
    trail: str
    home_region: str
    end: datetime | None  # None when its time stamp is not a time
    end_text: str


def parse_digest_name(name: str) -> DigestName | None:
    """The parts of `<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>.json.gz`."""
    match = _DIGEST_NAME.match(name)
    if not match:
        return None
    text = match["end"]
    try:
        end: datetime | None = datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        end = None
    return DigestName(match["account"], match["region"], match["trail"], match["home"], end, text)


def digest_name(account: str, region: str, trail: str, home_region: str, end: datetime) -> str:
    """The name CloudTrail gives the digest of `region` for the period ending at `end` (UTC)."""
    return f"{account}_{DIGESTS}_{region}_{trail}_{home_region}_{end:%Y%m%dT%H%M%SZ}.json.gz"


def log_name(account: str, region: str, delivered: datetime, unique: str) -> str:
    """The name CloudTrail gives a log file delivered at `delivered` (UTC)."""
    return f"{account}_{LOGS}_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz"


def day_value(day: date) -> str:
    """A day as the `day` partition column holds it (the path's form, `YYYY/MM/DD`)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def logs_root(prefix: str, org_id: str | None = None) -> str:
    """`[prefix]AWSLogs/[<o-id>/]`: where the account folders are (S3 keys and paths alike)."""
    org = f"{org_id}/" if org_id else ""
    return f"{prefix}{ROOT}/{org}"


def kind_folder(prefix: str, org_id: str | None, account: str, kind: str = LOGS) -> str:
    """`[prefix]AWSLogs/[<o-id>/]<account>/<kind>/`: where an account's region folders are."""
    return f"{logs_root(prefix, org_id)}{account}/{kind}/"


def region_folder(prefix: str, org_id: str | None, account: str, region: str, kind: str = LOGS) -> str:
    """`[prefix]AWSLogs/[<o-id>/]<account>/<kind>/<region>/`: where a region's year folders are."""
    return f"{kind_folder(prefix, org_id, account, kind)}{region}/"


def day_folder(
    prefix: str, org_id: str | None, account: str, region: str, day: date, kind: str = LOGS
) -> str:
    """`[prefix]AWSLogs/[<o-id>/]<account>/<kind>/<region>/YYYY/MM/DD/` (S3 keys and paths alike)."""
    return f"{region_folder(prefix, org_id, account, region, kind)}{day_value(day)}/"


def location_template(logs_root_url: str) -> str:
    """Athena partition projection's `storage.location.template` below `logs_root_url`
    (`s3://bucket/[prefix]AWSLogs/[<o-id>/]`): the log day folders, by account, region and day."""
    return f"{logs_root_url}${{account}}/{LOGS}/${{region}}/${{day}}"


def unsafe_key(key: str) -> str | None:
    """Why the S3 key `key` cannot name a file below a local folder, or None when it can.

    Refused: an empty, `.` or `..` part, a leading `/`, a backslash (a separator on Windows),
    a drive letter's `:`, NUL or any control character.
    """
    if not key:
        return "an empty key"
    if _CONTROL.search(key):
        return "a control character (NUL, line break) in the key"
    if "\\" in key:
        return "a backslash in the key"
    if ":" in key:
        return "a ':' in the key (a drive letter on Windows)"
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "an empty, '.' or '..' part in the key"
    return None


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
