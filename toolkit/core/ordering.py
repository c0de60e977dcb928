"""`--sort COLUMN[:asc|desc]`: sort keys read from the command line and put into the query's SQL.

The sort is part of the SQL an engine runs - the query becomes `SELECT * FROM (query) ORDER BY
...`, its WITH clause kept outermost - so DuckDB and Athena both sort, a streamed export is never
held in memory to be sorted, and the query's own ORDER BY and LIMIT keep their meaning inside.
Keys name columns of the result, case-insensitively; NULLs come last, as on both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from toolkit.core.schema import suggest
from toolkit.errors import UsageError

#: The alias of the query inside the sorting SELECT.
SORTED = "sorted_result"


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.column}:{'desc' if self.descending else 'asc'}"


def parse(specs: Sequence[str] | None) -> list[SortKey]:
    """`--sort` values (each `COLUMN[:asc|desc]`, or several of them separated by commas) → keys,
    the first the most significant. A malformed key or a column named twice is a UsageError."""
    keys: list[SortKey] = []
    for spec in specs or []:
        parts = [part.strip() for part in spec.split(",")]
        if not any(parts):
            raise UsageError("--sort is empty", "name a column, e.g. --sort eventtime:desc")
        for part in filter(None, parts):
            column, direction = part, "asc"
            if ":" in part:
                column, _, direction = part.rpartition(":")
                column, direction = column.strip(), direction.strip().lower()
            if direction not in ("asc", "desc"):
                raise UsageError(
                    f"--sort {part!r}: the direction is asc or desc", "e.g. --sort eventtime:desc"
                )
            if not column:
                raise UsageError(f"--sort {part!r} names no column", "e.g. --sort eventtime:desc")
            if any(k.column.lower() == column.lower() for k in keys):
                raise UsageError(f"--sort names {column!r} twice", "give each column once")
            keys.append(SortKey(column, direction == "desc"))
    return keys


def unknown_column(
    key: SortKey, available: Sequence[str], what: str = "the result", guesses: Sequence[str] = ()
) -> UsageError:
    """The error for a key naming no column of `available` (which it lists); the "did you mean" is
    the closest of `available` and `guesses` (paths into nested columns, say)."""
    guess = suggest(key.column.lower(), [c.lower() for c in [*available, *guesses]])
    hint = f"did you mean {guess!r}? " if guess else ""
    listed = ", ".join(available) if available else "none named (name a column with AS to sort by it)"
    return UsageError(f"--sort {key.column!r}: {what} has no such column", f"{hint}sort by one of: {listed}")


def result_columns(query: exp.Query) -> list[str]:
    """The names of the query's result columns in order. A `*` is expanded over `trail`'s columns;
    an expression with no name of its own has Trino's (`_col<position>`: `parse_select` gives it as
    an alias) except beside a `*` ('': each engine names it its own way there)."""
    selects = query.selects
    if any(isinstance(s, exp.Star) or isinstance(s.this, exp.Star) for s in selects):
        from sqlglot.errors import SqlglotError
        from sqlglot.optimizer.qualify import qualify

        from toolkit.core import schema

        tables: dict[str, object] = {"trail": {name: "VARCHAR" for name in schema.COLUMN_NAMES}}
        try:
            expanded = qualify(
                query.copy(),
                schema=tables,
                dialect="athena",
                validate_qualify_columns=False,
                quote_identifiers=False,
                identify=False,
            )
        except SqlglotError:
            return []
        selects = expanded.selects
        return [s.alias_or_name if not s.alias_or_name.startswith("_col_") else "" for s in selects]
    return [s.alias_or_name for s in selects]


def sort(query: exp.Query, keys: Sequence[SortKey]) -> exp.Query:
    """`query` sorted by `keys` (columns of its result): `SELECT * FROM (query) ORDER BY ...`.

    A key naming no column of the result, or a result giving two columns one name (the wrapping
    SELECT would rename one), is a UsageError."""
    if not keys:
        return query
    names = result_columns(query)
    lowered = [n.lower() for n in names]
    twice = next((n for n in names if n and lowered.count(n.lower()) > 1), None)
    if twice is not None:  # `SELECT *` over the query would rename one of them (DuckDB: x_1)
        raise UsageError(
            f"--sort: the result has more than one column named {twice!r}",
            "give them different names with AS",
        )
    order = []
    for key in keys:
        wanted = key.column.lower()
        if wanted not in lowered:
            if "(" in wanted or ("" in names and not wanted.isidentifier()):
                raise UsageError(
                    f"--sort {key.column!r}: a computed column needs an AS name to be sorted by",
                    f"write {key.column} AS n in the query, then --sort n",
                )
            raise unknown_column(key, [n for n in names if n])
        position = exp.Literal.number(lowered.index(wanted) + 1)
        order.append(exp.Ordered(this=position, desc=key.descending or None, nulls_first=False))
    return _wrapped(query, SORTED).order_by(*order)


def capped(query: exp.Query, limit: int) -> exp.Query:
    """`query` giving at most `limit` rows (`--limit`): a smaller LIMIT of its own is kept, a
    larger one lowered; `--limit` never raises it (`... LIMIT 2` with `--limit 5` gave 5 rows)."""
    existing = query.args.get("limit")
    if existing is None:
        return query.limit(limit)
    value = existing.args.get("expression")
    if isinstance(value, exp.Literal) and value.is_int:
        return query if int(value.this) <= limit else query.limit(limit)
    return _wrapped(query, "limited").limit(limit)  # a LIMIT that is not a number: capped outside


def _wrapped(query: exp.Query, alias: str) -> exp.Select:
    """`SELECT * FROM (query) AS alias`, the query's WITH kept outermost (`trail` is bound there,
    before the query's own names)."""
    inner = query.copy()
    with_ = inner.args.get("with_")
    inner.set("with_", None)
    outer = exp.select("*").from_(inner.subquery(alias))
    if with_ is not None:
        outer.set("with_", with_)
    return outer
