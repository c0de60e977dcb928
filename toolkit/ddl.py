"""The Athena table over a trail bucket: AWS's CloudTrail columns, partition projection on
account, region and day, for single-account and organization layouts.

Every input is checked first, because projection mistakes do not fail: they return zero rows
(stray whitespace in an enum value, a doubled or missing `/` in the location, an empty org id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from toolkit import schema
from toolkit.bucket import ACCOUNT, ORG_ID, normalize_prefix
from toolkit.errors import UsageError

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass
class TableSpec:
    bucket: str
    accounts: list[str]
    regions: list[str]
    start_day: date
    prefix: str = ""
    org_id: str | None = None
    database: str = "trailcsi"
    table: str = "cloudtrail"

    def check(self) -> TableSpec:
        """Normalize what is harmless, refuse what would silently match nothing."""
        if not _IDENTIFIER.match(self.database) or not _IDENTIFIER.match(self.table):
            raise UsageError(
                f"database {self.database!r} or table {self.table!r} is not a valid Athena name",
                "use lowercase letters, digits and _",
            )
        if not _BUCKET.match(self.bucket):
            raise UsageError(
                f"bucket {self.bucket!r} is not a valid S3 bucket name", "give the name only, no s3://"
            )
        self.prefix = normalize_prefix(self.prefix)
        if self.org_id is not None:
            self.org_id = self.org_id.strip() or None
            if self.org_id and not ORG_ID.match(self.org_id):
                raise UsageError(
                    f"--org-id {self.org_id!r} is not an organization id", "it looks like o-abcd123456"
                )
        self.accounts = _enum("--accounts", self.accounts, ACCOUNT, "12-digit account ids")
        self.regions = _enum("--regions", self.regions, _REGION, "region names such as us-east-1")
        if self.start_day > datetime.now(UTC).date():
            raise UsageError(f"--start-day {self.start_day:%Y/%m/%d} is in the future")
        return self

    def location(self) -> str:
        org = f"{self.org_id}/" if self.org_id else ""
        return f"s3://{self.bucket}/{self.prefix}AWSLogs/{org}"


def _enum(flag: str, values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    cleaned = sorted({v.strip() for value in values for v in value.split(",") if v.strip()})
    if not cleaned:
        raise UsageError(f"{flag} is empty", f"give {what}")
    bad = [v for v in cleaned if not pattern.match(v)]
    if bad:
        raise UsageError(f"{flag}: {', '.join(repr(b) for b in bad)} not {what}")
    return cleaned


def create_database_sql(spec: TableSpec) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {spec.database}"


def drop_table_sql(spec: TableSpec) -> str:
    """Drops the table definition only: an external table's files are never touched."""
    return f"DROP TABLE IF EXISTS {spec.database}.{spec.table}"


def table_properties(spec: TableSpec) -> dict[str, str]:
    """The TBLPROPERTIES: partition projection and the location template."""
    location = spec.location()
    return {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(spec.accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(spec.regions),
        "projection.day.type": "date",
        "projection.day.range": f"{spec.start_day:%Y/%m/%d},NOW",
        "projection.day.format": "yyyy/MM/dd",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
        "storage.location.template": location + "${account}/CloudTrail/${region}/${day}",
    }


def create_table_sql(spec: TableSpec) -> str:
    """The CREATE EXTERNAL TABLE statement for `spec` (checked first)."""
    spec.check()
    columns = ",\n  ".join(f"{f.name} {f.athena_type()}" for f in schema.EVENT_COLUMNS)
    location = spec.location()
    properties = table_properties(spec)
    props = ",\n  ".join(f"'{k}'='{v}'" for k, v in properties.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {spec.database}.{spec.table} (\n  {columns}\n)\n"
        "PARTITIONED BY (account STRING, region STRING, day STRING)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION '{location}'\n"
        f"TBLPROPERTIES (\n  {props}\n)"
    )
