"""`search`: the console's event lookup without its limits, as a query over `trail`.

Columns are `trail` column paths (`eventname`, `useridentity.arn`, `tlsdetails.tlsversion`) or
the derived `principal`; rows come oldest first (a timeline reads cause before effect).
"""

from __future__ import annotations

from sqlglot import exp, parse_one

from toolkit import schema
from toolkit.criteria import Criteria
from toolkit.errors import UsageError
from toolkit.query import TrailQuery
from toolkit.window import Window

DERIVED = {
    "principal": "coalesce(useridentity.arn, useridentity.invokedby, useridentity.username, useridentity.type)",
}
#: What a terminal table shows by default; files get every column.
SUMMARY_COLUMNS = (
    "eventtime",
    "eventsource",
    "eventname",
    "principal",
    "sourceipaddress",
    "awsregion",
    "account",
    "errorcode",
    "eventid",
)


def parse_columns(text: str | None) -> list[str] | None:
    """`--columns a,b` → checked, lowercased column paths (None when not given)."""
    if text is None:
        return None
    names = [c.strip().lower() for c in text.split(",") if c.strip()]
    if not names:
        raise UsageError("--columns is empty", "name columns such as eventtime,eventname,useridentity.arn")
    checked = []
    for name in names:
        if name in DERIVED:
            checked.append(name)
            continue
        try:
            checked.append(schema.resolve_path(name))
        except KeyError as error:
            unknown = error.args[0]
            guess = schema.suggest(unknown, list(schema.COLUMN_NAMES) + list(DERIVED))
            hint = f"did you mean {guess!r}?" if guess else "see the columns of trail in the README"
            raise UsageError(f"--columns: unknown column {name!r}", hint) from None
    return checked


def build(
    criteria: Criteria,
    window: Window,
    columns: list[str] | None = None,
    limit: int | None = None,
) -> TrailQuery:
    """The search as a `TrailQuery`: chosen columns (all by default), oldest first."""
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit} must be at least 1")
    names = columns or list(schema.COLUMN_NAMES)
    select = exp.select(*(_column(n) for n in names)).from_("trail")
    select = select.order_by("eventtime", "eventid")
    if limit is not None:
        select = select.limit(limit)
    return TrailQuery(select, window, criteria)


def _column(name: str) -> exp.Expr:
    source = DERIVED.get(name, name)
    expression = parse_one(source, read="athena")
    if source == name and "." not in name:
        return expression
    return exp.alias_(expression, name, quoted="." in name)
