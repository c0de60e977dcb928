"""The Athena table over a trail bucket: AWS's CloudTrail columns, partition projection on
account, region and day, for single-account and organization layouts.

Every input is checked first, because projection mistakes do not fail: they return zero rows
(stray whitespace in an enum value, a doubled or missing `/` in the location, an empty org id);
and because a quote, `${` or a line break in a prefix would change the LOCATION or the projection
template. The statements are sqlglot trees: the database and table are quoted identifiers and
every value is a string literal, never text pasted into SQL. Each statement is parsed back and
compared with what the spec says before it is returned.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlglot
from sqlglot import exp

from toolkit.config import GLUE_NAME, GLUE_NAME_RULE
from toolkit.core import schema
from toolkit.errors import UsageError
from toolkit.sources import layout
from toolkit.sources.bucket import check_bucket, normalize_prefix, shown
from toolkit.sources.layout import ACCOUNT_NAME as ACCOUNT
from toolkit.sources.layout import ACCOUNT_RULE, ORG_ID_RULE, REGION_RULE
from toolkit.sources.layout import ORG_ID_NAME as ORG_ID
from toolkit.sources.layout import REGION_NAME as REGION


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
        for flag, name in (("--database", self.database), ("--table", self.table)):
            if not isinstance(name, str) or not GLUE_NAME.fullmatch(name):
                raise UsageError(
                    f"{flag} {shown(name)} is refused: it must be {GLUE_NAME_RULE}", f"fix {flag}"
                )
        check_bucket(self.bucket)
        self.prefix = normalize_prefix(self.prefix, strict=True)
        if self.org_id is not None:
            self.org_id = self.org_id.strip(" ") or None
            if self.org_id and not ORG_ID.fullmatch(self.org_id):
                raise UsageError(
                    f"--org-id {shown(self.org_id)} is refused: it must be {ORG_ID_RULE}",
                    "it looks like o-abcd123456",
                )
        self.accounts = _enum("--accounts", self.accounts, ACCOUNT, ACCOUNT_RULE)
        self.regions = _enum("--regions", self.regions, REGION, REGION_RULE)
        if self.start_day > datetime.now(UTC).date():
            raise UsageError(f"--start-day {layout.day_value(self.start_day)} is in the future")
        return self

    def location(self) -> str:
        return f"s3://{self.bucket}/{layout.logs_root(self.prefix, self.org_id)}"


def _enum(flag: str, values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    cleaned = sorted({v.strip(" ") for value in values for v in value.split(",") if v.strip(" ")})
    if not cleaned:
        raise UsageError(f"{flag} is empty", f"give {what}")
    bad = [v for v in cleaned if not pattern.fullmatch(v)]
    if bad:
        raise UsageError(f"{flag}: {', '.join(shown(b, 40) for b in bad[:3])} not {what}", f"fix {flag}")
    return cleaned


def _name(spec: TableSpec, *, table: bool = True) -> exp.Table:
    """`database`.`table` (or `database`) as quoted identifiers."""
    if table:
        return exp.table_(spec.table, db=spec.database, quoted=True)
    return exp.Table(this=exp.to_identifier(spec.database, quoted=True))


def create_database_sql(spec: TableSpec) -> str:
    spec.check()
    tree = exp.Create(this=_name(spec, table=False), kind="DATABASE", exists=True)
    return _checked(tree.sql(dialect="athena"), spec, "DATABASE")


def drop_table_sql(spec: TableSpec) -> str:
    """Drops the table definition only: an external table's files are never touched."""
    spec.check()
    tree = exp.Drop(tables=[_name(spec)], kind="TABLE", exists=True)
    return _checked(tree.sql(dialect="athena"), spec, "TABLE")


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
        "projection.day.range": f"{layout.day_value(spec.start_day)},NOW",
        "projection.day.format": "yyyy/MM/dd",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
        "storage.location.template": layout.location_template(location),
    }


@functools.cache
def _skeleton() -> exp.Create:
    """AWS's CloudTrail table with trailcsi's columns; no value of the user's is in this text."""
    columns = ",\n  ".join(f"{f.name} {f.athena_type()}" for f in schema.EVENT_COLUMNS)
    partitions = ", ".join(f"{name} STRING" for name in schema.PARTITION_COLUMNS)
    text = (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS d.t (\n  {columns}\n)\n"
        f"PARTITIONED BY ({partitions})\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        "LOCATION 's3://bucket/'"
    )
    tree = sqlglot.parse_one(text, read="athena")
    assert isinstance(tree, exp.Create)
    return tree


def create_table_sql(spec: TableSpec) -> str:
    """The CREATE EXTERNAL TABLE statement for `spec` (checked first)."""
    spec.check()
    tree = _skeleton().copy()
    tree.this.set("this", _name(spec))
    properties = tree.args["properties"]
    for prop in properties.expressions:
        if isinstance(prop, exp.LocationProperty):
            prop.set("this", exp.Literal.string(spec.location()))
    for key, value in table_properties(spec).items():
        properties.append(
            "expressions", exp.Property(this=exp.Literal.string(key), value=exp.Literal.string(value))
        )
    return _checked(tree.sql(dialect="athena", pretty=True), spec, "TABLE")


def _checked(sql: str, spec: TableSpec, kind: str) -> str:
    """`sql` parsed back must be one statement on exactly the spec's names, LOCATION and
    properties; anything else means a value changed the statement's structure."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.ParseError:
        statements = []
    tables = [t for s in statements for t in s.find_all(exp.Table)]
    names = [(t.db, t.name) if kind == "TABLE" else ("", t.name) for t in tables]
    ok = len(statements) == 1 and names == (
        [(spec.database, spec.table)] if kind == "TABLE" else [("", spec.database)]
    )
    if ok and isinstance(statements[0], exp.Create) and kind == "TABLE":
        props = statements[0].args["properties"].expressions
        locations = [p.this.name for p in props if isinstance(p, exp.LocationProperty)]
        pairs = {p.name: p.args["value"].name for p in props if type(p) is exp.Property}
        ok = locations == [spec.location()] and pairs == table_properties(spec)
    if not ok:
        raise UsageError(
            f"the DDL for {spec.database}.{spec.table} does not parse back as written",
            "report this: a value changed the statement's structure",
        )
    return sql
