"""`search`: the console's event lookup without its limits, as a query over `trail`.

Columns are `trail` column paths (`eventname`, `useridentity.arn`, `tlsdetails.tlsversion`) or
the derived `principal` and `outcome`; rows come oldest first (a timeline reads cause before effect), or in the
order of `--sort` keys, which may name any of those columns.
"""

from __future__ import annotations

from sqlglot import exp, parse_one

from toolkit.core import ordering, schema
from toolkit.core.criteria import Criteria
from toolkit.core.ordering import SortKey
from toolkit.core.query import TrailQuery
from toolkit.core.window import Window
from toolkit.errors import UsageError

#: Sign-in events whose failure is in `responseElements` (`{"ConsoleLogin": "Failure"}`), with
#: no `errorCode`.
SIGNIN_OUTCOMES = (
    "ConsoleLogin",
    "CheckMfa",
    "SwitchRole",
    "ExternalIdPDirectoryLogin",
    "UserAuthentication",
)

#: How much of an error message the `outcome` column shows after the error code.
MESSAGE_SHOWN = 60

DERIVED = {
    "principal": "coalesce(useridentity.arn, useridentity.invokedby, useridentity.username, useridentity.type)",
    # An error code with the start of its message; a failed sign-in, which has no error code, as
    # 'Failure: <message>'; else NULL.
    "outcome": (
        "CASE WHEN errorcode IS NOT NULL AND errorcode <> '' THEN errorcode || coalesce(': ' || "
        f"CASE WHEN length(errormessage) > {MESSAGE_SHOWN} "
        f"THEN substr(errormessage, 1, {MESSAGE_SHOWN - 1}) || '…' ELSE errormessage END, '') "
        "WHEN eventsource = 'signin.amazonaws.com' AND ("
        + " OR ".join(
            f"json_extract_scalar(responseelements, '$.{name}') = 'Failure'" for name in SIGNIN_OUTCOMES
        )
        + ") THEN 'Failure' || coalesce(': ' || errormessage, '') END"
    ),
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
    "outcome",
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
    unknown = []
    for name in names:
        if name in DERIVED:
            checked.append(name)
            continue
        try:
            checked.append(schema.resolve_path(name))
        except KeyError:
            unknown.append(name)
    if unknown:  # every mistake at once, each with its "did you mean"
        guesses = [(name, schema.suggest_path(name, list(DERIVED))) for name in unknown]
        hints = [f"{guess!r} for {name!r}" for name, guess in guesses if guess]
        hint = f"did you mean {', '.join(hints)}?" if hints else "see the columns of trail in the README"
        named = ", ".join(repr(name) for name in unknown)
        raise UsageError(f"--columns: unknown column{'s' if len(unknown) > 1 else ''} {named}", hint)
    return checked


def _sort_column(key: SortKey) -> str:
    """A sort key's column as a checked path (any column `--columns` accepts, shown or not)."""
    name = key.column.strip().lower()
    if name in DERIVED:
        return name
    try:
        return schema.resolve_path(name)
    except KeyError:
        available = [*schema.COLUMN_NAMES, *DERIVED, "or a path such as useridentity.arn"]
        raise ordering.unknown_column(key, available, "trail", schema.column_paths()) from None


def build(
    criteria: Criteria,
    window: Window,
    columns: list[str] | None = None,
    limit: int | None = None,
    sort: list[SortKey] | None = None,
) -> TrailQuery:
    """The search as a `TrailQuery`: chosen columns (all by default), oldest first, or by the
    `sort` keys (any column of `trail`, shown or not; ties oldest first)."""
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit} must be at least 1")
    names = columns or list(schema.COLUMN_NAMES)
    select = exp.select(*(_column(n) for n in names)).from_("trail")
    keys = [(_sort_column(k), k.descending) for k in sort or []]
    keys += [(name, False) for name in ("eventtime", "eventid") if name not in {k for k, _ in keys}]
    select = select.order_by(
        *(exp.Ordered(this=_expression(n), desc=d or None, nulls_first=False) for n, d in keys)
    )
    if limit is not None:
        select = select.limit(limit)
    return TrailQuery(select, window, criteria)


def _expression(name: str) -> exp.Expr:
    return parse_one(DERIVED.get(name, name), read="athena")


def _column(name: str) -> exp.Expr:
    expression = _expression(name)
    if name not in DERIVED and "." not in name:
        return expression
    return exp.alias_(expression, name, quoted="." in name)
