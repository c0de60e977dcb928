"""`trailcsi.toml`: where the Athena side lives, written by `trailcsi athena setup`.

Read from `--config FILE`, else `$TRAILCSI_CONFIG`, else `./trailcsi.toml`, else
`$XDG_CONFIG_HOME/trailcsi/trailcsi.toml`. Flags override what the file says. The file also
records the table setup created (bucket, prefix, accounts, ...), so that a second setup can tell
"nothing to do" from "the table must change".
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.errors import UsageError

FILE_NAME = "trailcsi.toml"
#: Athena's list price in US East (N. Virginia), per TB scanned; set `price_per_tb` for another.
DEFAULT_PRICE_PER_TB = 5.0
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$", re.IGNORECASE)
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
        """A copy with every flag that was given (not None) replacing the file's value."""
        values = asdict(self)
        values.update({k: v for k, v in flags.items() if v is not None})
        return AthenaSettings(**values)


@dataclass
class TableRecord:
    """What `athena setup` created, as it was asked for."""

    bucket: str
    prefix: str
    org_id: str | None
    accounts: list[str]
    regions: list[str]
    start_day: str


@dataclass
class Config:
    athena: AthenaSettings = field(default_factory=AthenaSettings)
    table: TableRecord | None = None
    path: Path | None = None


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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: not a readable TOML file: {error}", "fix or delete the file") from None
    athena = data.get("athena", {})
    known = {f.name for f in fields(AthenaSettings)}
    unknown = sorted(set(athena) - known - {"table_setup"})
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) in [athena]: {', '.join(unknown)}", f"known: {', '.join(sorted(known))}"
        )
    settings = AthenaSettings(**{k: v for k, v in athena.items() if k in known})
    record = athena.get("table_setup")
    try:
        table = TableRecord(**record) if record else None
    except TypeError:
        raise UsageError(
            f"{path}: [athena.table_setup] is malformed", "rerun trailcsi athena setup"
        ) from None
    return Config(settings, table, path)


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
    return json.dumps(str(value))  # JSON string escapes are valid TOML basic-string escapes
