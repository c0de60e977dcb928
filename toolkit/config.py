"""`trailcsi.toml`: where the Athena side lives, written by `trailcsi athena setup`, and the
sweep's suppressions (`[[sweep.suppress]]`, see toolkit.core.suppress), which setup keeps.

Read from `--config FILE`, else `$TRAILCSI_CONFIG`, else `./trailcsi.toml`, else
`$XDG_CONFIG_HOME/trailcsi/trailcsi.toml`. Flags override what the file says. The file also
records the table setup created (bucket, prefix, accounts, ...), so that a second setup can tell
"nothing to do" from "the table must change".
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.core.suppress import MATCHERS, Suppression
from toolkit.core.suppress import parse as parse_suppressions
from toolkit.errors import UsageError, first_line
from toolkit.sources import layout
from toolkit.sources.bucket import BUCKET_RULE, is_bucket_name, normalize_prefix, shown
from toolkit.sources.layout import ACCOUNT_NAME as ACCOUNT
from toolkit.sources.layout import ACCOUNT_RULE, ORG_ID_RULE, REGION_RULE
from toolkit.sources.layout import ORG_ID_NAME as ORG_ID
from toolkit.sources.layout import REGION_NAME as REGION

FILE_NAME = "trailcsi.toml"
#: Athena's list price in US East (N. Virginia), per TB scanned; set `price_per_tb` for another.
DEFAULT_PRICE_PER_TB = 5.0
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$", re.IGNORECASE)
#: Glue's (and so Athena's) rule for database and table names, as AWS documents it ("Name
#: databases, tables, and columns"): lowercase, 1-255 characters; Athena allows no special
#: character but the underscore. A name starting with a digit or `_` is fine once quoted.
GLUE_NAME = re.compile(r"[a-z0-9_]{1,255}")
GLUE_NAME_RULE = "a Glue name: 1-255 lowercase letters, digits or _"
#: The Athena API's pattern for WorkGroupName.
WORKGROUP = re.compile(r"[A-Za-z0-9._-]{1,128}")
WORKGROUP_RULE = "an Athena workgroup name: 1-128 letters, digits, '.', '-' or '_'"
#: `s3://bucket` or `s3://bucket/key/prefix/`; the bucket is checked by S3's rules.
_OUTPUT = re.compile(r"s3://(?P<bucket>[^/]+)(?P<key>/[^\s]*)?")
OUTPUT_RULE = "an s3:// URI: s3://bucket/prefix/ with a valid bucket name and no spaces or control characters"
PROFILE_RULE = "an AWS profile name: printable characters, no spaces around it"
START_DAY = re.compile(r"(?P<y>[0-9]{4})[-/](?P<m>[0-9]{2})[-/](?P<d>[0-9]{2})")
#: The flag that overrides each AthenaSettings field, for messages.
FLAGS = {
    "database": "--database",
    "table": "--table",
    "workgroup": "--workgroup",
    "output_location": "--output-location",
    "region": "--aws-region",
    "profile": "--profile",
    "max_scan": "--max-scan",
    "price_per_tb": "price_per_tb",
}
_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


@dataclass
class AthenaSettings:
    """How to reach the trail table: every field can come from the file or a flag."""

    database: str = "trailcsi"
    table: str = "cloudtrail"
    workgroup: str = "primary"
    output_location: str | None = None
    region: str | None = None
    profile: str | None = None
    max_scan: str | None = None
    price_per_tb: float = DEFAULT_PRICE_PER_TB

    def max_scan_bytes(self) -> int | None:
        return parse_size(self.max_scan, flag="--max-scan") if self.max_scan else None

    def overridden(self, **flags: Any) -> AthenaSettings:
        """A copy with every flag that was given (not None) replacing the file's value; each
        flag's value is checked first (a refused one names the flag)."""
        values = asdict(self)
        given = {k: v for k, v in flags.items() if v is not None}
        for name, value in given.items():
            flag = FLAGS.get(name, name)
            values[name] = check_setting(name, value, flag, "the command line", f"fix {flag}")
        return AthenaSettings(**values)

    def check(self, origin: str = "the Athena settings") -> AthenaSettings:
        """Every field against AWS's rules (for settings a library caller built itself)."""
        for item in fields(self):
            check_setting(item.name, getattr(self, item.name), item.name, origin, "fix it")
        return self


@dataclass
class TableRecord:
    """What `athena setup` created, as it was asked for."""

    bucket: str
    prefix: str
    org_id: str | None  # None for a single-account trail (and then absent from the file)
    accounts: list[str]
    regions: list[str]
    start_day: str


@dataclass
class Config:
    athena: AthenaSettings = field(default_factory=AthenaSettings)
    table: TableRecord | None = None
    path: Path | None = None
    suppressions: list[Suppression] = field(default_factory=list)  # [[sweep.suppress]]


def _refused(label: str, value: object, origin: str, rule: str, hint: str) -> UsageError:
    return UsageError(f"{label} {shown(value)} from {origin} is refused: it must be {rule}", hint)


def check_setting(name: str, value: Any, label: str, origin: str, hint: str) -> Any:
    """`value` for the AthenaSettings field `name`, checked against AWS's rules; a refused value
    is a UsageError naming `label` (the flag or key), `origin` (command line or file) and the rule."""
    if value is None and name not in ("database", "table", "workgroup", "price_per_tb"):
        return None
    if name == "price_per_tb":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise _refused(label, value, origin, "a number of dollars per TB, 0 or more", hint)
        return float(value)
    if name == "max_scan":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        if not isinstance(value, str) or not _SIZE.fullmatch(value):
            raise _refused(label, value, origin, "a size such as 10GB, 500MB or 1TB", hint)
        return value
    rules: dict[str, tuple[str, Any]] = {
        "database": (GLUE_NAME_RULE, GLUE_NAME.fullmatch),
        "table": (GLUE_NAME_RULE, GLUE_NAME.fullmatch),
        "workgroup": (WORKGROUP_RULE, WORKGROUP.fullmatch),
        "output_location": (OUTPUT_RULE, _output_location_ok),
        "region": (REGION_RULE, REGION.fullmatch),
        "profile": (PROFILE_RULE, lambda v: v and v.isprintable() and v.strip() == v),
    }
    rule, accepts = rules[name]
    if not isinstance(value, str):
        raise _refused(label, value, origin, f"a string ({rule})", hint)
    if not accepts(value):
        raise _refused(label, value, origin, rule, hint)
    return value


def _output_location_ok(value: str) -> bool:
    match = _OUTPUT.fullmatch(value)
    return match is not None and is_bucket_name(match["bucket"]) and value.isprintable()


def parse_start_day(text: object, label: str = "--start-day", origin: str = "the command line") -> date:
    """`YYYY/MM/DD` or `YYYY-MM-DD` (ASCII digits), nothing else."""
    match = START_DAY.fullmatch(text.strip()) if isinstance(text, str) else None
    try:
        if match is None:
            raise ValueError
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise _refused(label, text, origin, "a date, YYYY/MM/DD or YYYY-MM-DD", f"fix {label}") from None


def parse_size(text: str, *, flag: str) -> int:
    """`10GB`, `500 MB`, `1TiB` or a number of bytes."""
    match = _SIZE.match(str(text))
    if not match:
        raise UsageError(f"{flag} {text!r} is not a size", "use e.g. 10GB, 500MB or 1TB")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "B").upper()])


def locate(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file in use, or None when there is none."""
    if explicit:
        return Path(explicit)
    if os.environ.get("TRAILCSI_CONFIG"):
        return Path(os.environ["TRAILCSI_CONFIG"])
    local = Path.cwd() / FILE_NAME
    if local.is_file():
        return local
    user = paths.config_dir() / FILE_NAME
    return user if user.is_file() else None


def load(explicit: str | os.PathLike[str] | None = None) -> Config:
    """The configuration (defaults when no file exists; an explicit path must exist)."""
    path = locate(explicit)
    if path is None:
        return Config()
    if not path.is_file():
        raise UsageError(f"config file {path} does not exist", "run trailcsi athena setup, or fix --config")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}", "fix --config") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        reason = first_line(str(error), type(error).__name__)
        raise UsageError(f"{path}: not valid TOML: {reason}", "fix or delete the file") from None
    except RecursionError:  # arrays or tables nested past Python's stack
        raise UsageError(f"{path}: values nested too deep to read", "fix or delete the file") from None
    unknown = sorted(set(data) - {"athena", "sweep"})
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s): {', '.join(unknown)}", "the file has two tables, [athena] and [sweep]"
        )
    suppressions = _sweep(data.get("sweep", {}), path, text)
    athena = data.get("athena", {})
    if not isinstance(athena, dict):
        raise _refused("[athena]", athena, str(path), "a table of settings", "fix the file")
    known = {f.name for f in fields(AthenaSettings)}
    unknown = sorted(set(athena) - known - {"table_setup"})
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) in [athena]: {', '.join(unknown)}", f"known: {', '.join(sorted(known))}"
        )
    where = f"{path} [athena]"
    hint = "fix the file, or give the flag"
    values = {k: check_setting(k, v, k, where, hint) for k, v in athena.items() if k in known}
    settings = AthenaSettings(**values)
    record = athena.get("table_setup")
    table = _table_record(record, f"{path} [athena.table_setup]") if record is not None else None
    return Config(settings, table, path, suppressions)


def _sweep(sweep: object, path: Path, text: str) -> list[Suppression]:
    """The [sweep] table: its suppressions, checked as a suppressions file's are."""
    if not isinstance(sweep, dict):
        raise _refused("[sweep]", sweep, str(path), "a table", "fix the file")
    unknown = sorted(set(sweep) - {"suppress"})
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) in [sweep]: {', '.join(unknown)}",
            "[sweep] holds [[sweep.suppress]] entries",
        )
    return parse_suppressions(sweep.get("suppress", []), path, text, "sweep.suppress")


def _table_record(record: object, where: str) -> TableRecord:
    """The [athena.table_setup] table, every value checked as setup's flags are."""
    hint = "rerun trailcsi athena setup"
    if not isinstance(record, dict):
        raise _refused("table_setup", record, where, "a table", hint)
    names = [f.name for f in fields(TableRecord)]
    unknown = sorted(set(record) - set(names))
    missing = sorted(set(names) - set(record) - {"org_id"})
    if unknown or missing:
        said = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        said += [f"missing key(s) {', '.join(missing)}"] if missing else []
        raise UsageError(f"{where}: table_setup has {'; '.join(said)}", hint)
    bucket, prefix, org_id = record["bucket"], record["prefix"], record.get("org_id")
    if not is_bucket_name(bucket):
        raise _refused("bucket", bucket, where, BUCKET_RULE, hint)
    if not isinstance(prefix, str):
        raise _refused("prefix", prefix, where, "a string", hint)
    prefix = normalize_prefix(prefix, f"prefix from {where}", strict=True)
    if org_id is not None and not (isinstance(org_id, str) and ORG_ID.fullmatch(org_id)):
        raise _refused("org_id", org_id, where, ORG_ID_RULE, hint)
    lists = {}
    for key, pattern, rule in (("accounts", ACCOUNT, ACCOUNT_RULE), ("regions", REGION, REGION_RULE)):
        value = record[key]
        ok = (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and pattern.fullmatch(v) for v in value)
        )
        if not ok:
            raise _refused(key, value, where, f"a non-empty list of {rule}", hint)
        lists[key] = list(value)
    start_day = record["start_day"]
    day = parse_start_day(start_day, "start_day", where)
    return TableRecord(bucket, prefix, org_id, lists["accounts"], lists["regions"], layout.day_value(day))


def dump(config: Config) -> str:
    """The TOML text for `config` (values written as TOML basic strings, numbers and arrays)."""
    lines = [
        "# trailcsi configuration, written by `trailcsi athena setup`; flags override these values.",
        "[athena]",
    ]
    lines += [f"{k} = {_toml(v)}" for k, v in asdict(config.athena).items() if v is not None]
    if config.table is not None:
        lines += ["", "# The table setup created; a later setup compares against it.", "[athena.table_setup]"]
        lines += [f"{k} = {_toml(v)}" for k, v in asdict(config.table).items() if v is not None]
    if config.suppressions:
        lines += ["", "# Findings `sweep` sets aside as benign (counted and reported, never dropped)."]
    for entry in config.suppressions:
        lines += ["[[sweep.suppress]]"]
        lines += [
            f"{k} = {_toml(getattr(entry, k))}"
            for k in (*MATCHERS, "reason")
            if getattr(entry, k) is not None
        ]
        lines += [f"expires = {entry.expires.isoformat()}"] if entry.expires is not None else []
    return "\n".join(lines) + "\n"


def save(config: Config, path: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(dump(config), encoding="utf-8")
    os.replace(scratch, path)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    # JSON's escapes are valid TOML basic-string escapes; characters are kept as they are, because
    # JSON's surrogate pairs (for characters past U+FFFF) are not valid TOML.
    return json.dumps(str(value), ensure_ascii=False)
