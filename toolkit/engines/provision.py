"""`trailcsi athena setup`: create the database and the trail table, idempotently.

The table in the Glue catalog is compared with the one the spec describes (columns and types,
partition keys, location, projection properties). Absent: it is created. The same: nothing is
done. Different: the differences are listed and nothing changes unless `replace` is given; then
the table definition is dropped (an external table's files are never touched) and recreated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolkit.core import schema
from toolkit.engines import ddl
from toolkit.errors import EngineError, UsageError, first_line

#: Table properties setup owns; others (Athena's own bookkeeping) are not compared.
_OWNED = re.compile(r"^(projection\..*|storage\.location\.template)$")


@dataclass
class TableShape:
    columns: list[tuple[str, str]]
    partitions: list[tuple[str, str]]
    location: str
    properties: dict[str, str]


@dataclass
class SetupOutcome:
    action: str  # "created", "unchanged" or "replaced"
    statements: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def normalize_type(text: str) -> str:
    """Types as Glue stores them: lowercase, no spaces (`struct<type:string,...>`)."""
    return re.sub(r"\s+", "", text).lower()


def wanted_shape(spec: ddl.TableSpec) -> TableShape:
    spec.check()
    return TableShape(
        columns=[(f.name, normalize_type(f.athena_type())) for f in schema.EVENT_COLUMNS],
        partitions=[(name, "string") for name in schema.PARTITION_COLUMNS],
        location=spec.location(),
        properties=ddl.table_properties(spec),
    )


def glue_shape(glue: Any, database: str, table: str) -> TableShape | None:
    """The table as the Glue catalog holds it, or None if there is no such table (or database)."""
    try:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    storage = found.get("StorageDescriptor", {})
    return TableShape(
        columns=[(c["Name"].lower(), normalize_type(c["Type"])) for c in storage.get("Columns", [])],
        partitions=[(c["Name"].lower(), normalize_type(c["Type"])) for c in found.get("PartitionKeys", [])],
        location=storage.get("Location", ""),
        properties={k: v for k, v in (found.get("Parameters") or {}).items() if _OWNED.match(k)},
    )


def differences(want: TableShape, have: TableShape) -> list[str]:
    """What differs, one line each, as "what: catalog has X, setup wants Y"."""
    said: list[str] = []
    have_columns, want_columns = dict(have.columns), dict(want.columns)
    for name in want_columns:
        if name not in have_columns:
            said.append(f"column {name}: missing from the catalog")
        elif have_columns[name] != want_columns[name]:
            said.append(f"column {name}: type differs")
    said += [f"column {name}: not in trailcsi's schema" for name in have_columns if name not in want_columns]
    if have.partitions != want.partitions:
        said.append(
            f"partition keys: catalog has {_names(have.partitions)}, setup wants {_names(want.partitions)}"
        )
    if have.location.rstrip("/") != want.location.rstrip("/"):
        said.append(f"location: catalog has {have.location!r}, setup wants {want.location!r}")
    for key in sorted(set(want.properties) | set(have.properties)):
        if have.properties.get(key) != want.properties.get(key):
            said.append(
                f"{key}: catalog has {have.properties.get(key, '(none)')!r}, "
                f"setup wants {want.properties.get(key, '(none)')!r}"
            )
    return said


def setup(
    spec: ddl.TableSpec, execute: Callable[[str], Any], glue: Any, *, replace: bool = False
) -> SetupOutcome:
    """Bring the catalog to `spec`: `execute` runs one SQL statement on Athena."""
    import botocore.exceptions

    from toolkit.engines.athena import aws_error

    want = wanted_shape(spec)
    try:
        have = glue_shape(glue, spec.database, spec.table)
    except botocore.exceptions.ClientError as error:
        raise EngineError(
            f"cannot read the Glue catalog: {first_line(str(error))}", "check your glue:GetTable permission"
        ) from None
    except botocore.exceptions.BotoCoreError as error:  # credentials, region, endpoint
        raise aws_error(error, "Glue") from None
    create = [ddl.create_database_sql(spec), ddl.create_table_sql(spec)]
    if have is None:
        for statement in create:
            execute(statement)
        return SetupOutcome("created", create)
    found = differences(want, have)
    if not found:
        return SetupOutcome("unchanged")
    if not replace:
        first = found[0] + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
        raise UsageError(
            f"table {spec.database}.{spec.table} exists and differs: {first}",
            "rerun with --replace to recreate its definition (log files are not touched)",
        )
    statements = [ddl.drop_table_sql(spec), *create]
    for statement in statements:
        execute(statement)
    return SetupOutcome("replaced", statements, found)


def _names(columns: list[tuple[str, str]]) -> str:
    return ", ".join(name for name, _type in columns) or "(none)"
