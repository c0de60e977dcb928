"""Athena (Trino) SQL → DuckDB SQL with sqlglot, plus the fixes CloudTrail queries need.

sqlglot's own translation gives different answers on DuckDB for a few functions; each fix here
rewrites the tree so DuckDB computes what Athena would (tested in tests/test_transpile.py):

- `json_extract_scalar` on an object or array: Trino gives NULL, DuckDB's `->>` gives JSON text.
- `date_diff(unit, a, b)`: Trino counts whole elapsed units, DuckDB's `date_diff` counts unit
  boundaries crossed; DuckDB's `date_sub` counts whole units.
- `any_match` / `all_match` / `none_match`: DuckDB has no such functions.
- `count_if` over no true-or-false values (empty group, all NULL): Trino counts 0, DuckDB says NULL.

Not fixed, so templates keep off them: `CAST(timestamp AS varchar)` (the text differs),
`format_datetime`, `parse_datetime`, `at_timezone`, `url_extract_host`, `map_agg`, IP functions.
"""

from __future__ import annotations

from sqlglot import exp

from toolkit import semantics
from toolkit.semantics import Numeric

DIALECT = "duckdb"
#: Errors the rewritten SQL raises itself (DuckDB's `error()`) start so; the engine reports the
#: rest of the message as the user's error.
REFUSAL = "trailcsi: "

#: Macros the rewritten SQL calls: run on a DuckDB connection before its first query (`setup`).
MACROS = {
    # The unscaled value of a decimal of scale log10(f), as a HUGEINT (exact up to 38 digits).
    "trino_unscaled": "(x, f) AS CAST(trunc(x) AS HUGEINT) * f + CAST((x - trunc(x)) * f AS HUGEINT)",
    # n / d rounded half away from zero, as Trino rounds a decimal quotient (an error for d = 0).
    "trino_round_divide": "(n, d) AS CAST(sign(n) * sign(d) * (abs(n) // abs(d) + "
    "CASE WHEN abs(n) % abs(d) * 2 >= abs(d) THEN 1 ELSE 0 END) AS DECIMAL(38, 0))",
    # a / b for decimals: the quotient's unscaled value, times `unit` (10^-scale).
    "trino_decimal_divide": "(a, b, fa, fb, fs, unit) AS "
    "trino_round_divide(trino_unscaled(a, fa) * fs, trino_unscaled(b, fb)) * unit",
    # a / b where the SQL does not tell the operands' types: DuckDB's answer only for doubles.
    "trino_divide": "(a, b) AS CASE WHEN typeof(a) IN ('DOUBLE', 'FLOAT') OR typeof(b) IN ('DOUBLE', 'FLOAT') "
    f"THEN a / b ELSE error('{REFUSAL}cannot tell whether this division is of integers, decimals or "
    "doubles in Athena (' || typeof(a) || ' / ' || typeof(b) || ' here): CAST an operand') END",
}


def setup(connection: object) -> None:
    """Create the macros the rewritten SQL calls on a DuckDB connection."""
    for name, body in MACROS.items():
        connection.execute(f"CREATE OR REPLACE TEMP MACRO {name}{body}")  # type: ignore[attr-defined]


def to_duckdb(tree: exp.Expr) -> str:
    """The DuckDB SQL for an Athena-dialect tree (the tree is not modified)."""
    return duckdb_tree(tree).sql(dialect=DIALECT)


def duckdb_tree(tree: exp.Expr) -> exp.Expr:
    copied = tree.copy()
    types = _numeric_types(copied)
    # Children before parents, so a rewritten node's operands are rewritten too.
    root = copied
    for node in reversed(list(copied.walk())):
        parent, key, index = node.parent, node.arg_key, node.index
        new = _fix(node, types)
        if new is node:
            continue
        if parent is None or key is None:
            root = new
        else:
            parent.set(key, new, index)
    return root


#: The Trino types an operation's rewrite needs: its operands' and its own.
Typed = tuple[Numeric, Numeric, Numeric]


def _numeric_types(tree: exp.Expr) -> dict[int, Typed]:
    """The Trino types of `/` and `%` and their operands, and of what rounds or averages a
    decimal, by the node's id: computed on the whole tree before any of it is rewritten."""
    types = semantics.Types(tree)
    found: dict[int, Typed] = {}
    for node in tree.walk():
        if isinstance(node, exp.Div | exp.Mod):
            found[id(node)] = (types.of(node.left), types.of(node.right), types.of(node))
        elif isinstance(node, exp.Round | exp.Ceil | exp.Floor | exp.Avg):
            # a window's aggregate is cast as the whole window: CAST(avg(x) OVER ...)
            owner = node.parent if isinstance(node.parent, exp.Window) else node
            own = types.of(node)
            found[id(owner)] = (own, own, own)
    return found


def _fix(node: exp.Expr, types: dict[int, Typed]) -> exp.Expr:
    if isinstance(node, exp.Div):
        return _divide(node, types.get(id(node)))
    if isinstance(node, exp.Mod | exp.Round | exp.Ceil | exp.Floor | exp.Avg | exp.Window):
        if isinstance(node.parent, exp.Window):
            return node
        typed = types.get(id(node))
        return _as_decimal(node, typed[2] if typed else None)
    if isinstance(node, exp.JSONExtractScalar):
        return _json_extract_scalar(node)
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.CountIf) and not isinstance(node.parent, exp.Coalesce):
        return exp.Coalesce(this=node, expressions=[exp.Literal.number(0)])
    if isinstance(node, exp.Anonymous) and node.name.lower() in _MATCHES:
        return _match(node)
    return node


def _divide(node: exp.Div, typed: Typed | None) -> exp.Expr:
    """`a / b` as Trino computes it: integers truncate toward zero (an error for zero), decimals
    give a decimal of Trino's precision and scale rounded half up, doubles give doubles (zero
    gives Infinity or NaN). Where the types cannot be told, doubles only (others: an error)."""
    left, right = node.left, node.right
    a, b, result = typed if typed else (None, None, None)
    kinds = {a.kind if a else "unknown", b.kind if b else "unknown"}
    if "double" in kinds or "other" in kinds:
        return node
    if kinds == {"integer"}:
        return exp.IntDiv(this=left, expression=right)
    if "unknown" in kinds or a is None or b is None or result is None or result.kind != "decimal":
        return exp.Anonymous(this="trino_divide", expressions=[left, right])
    da, db = a.as_decimal(), b.as_decimal()
    shift = result.scale + db.scale - da.scale
    quotient = exp.Anonymous(
        this="trino_decimal_divide",
        expressions=[
            exp.cast(left, _decimal(semantics.MAX_PRECISION, da.scale)),
            exp.cast(right, _decimal(semantics.MAX_PRECISION, db.scale)),
            _hugeint(10**da.scale),
            _hugeint(10**db.scale),
            _hugeint(10**shift),
            exp.Literal.number(f"{10**-result.scale:.{result.scale}f}" if result.scale else "1"),
        ],
    )
    return exp.cast(quotient, _decimal(result.precision, result.scale))


def _as_decimal(node: exp.Expr, numeric: Numeric | None) -> exp.Expr:
    """A decimal `%`, round, ceil, floor or avg cast to Trino's type (DuckDB's precision and scale
    differ: `round(2.456, 2)` is 2.460 in Trino, a decimal average is a double in DuckDB)."""
    if numeric is None or numeric.kind != "decimal":
        return node
    return exp.Cast(this=node, to=_decimal(numeric.precision, numeric.scale))


def _decimal(precision: int, scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


def _hugeint(value: int) -> exp.Expr:
    return exp.cast(exp.Literal.number(value), exp.DataType.build("HUGEINT", dialect="duckdb"))


def _json_extract_scalar(node: exp.JSONExtractScalar) -> exp.Expr:
    path = node.expression
    if isinstance(path, exp.JSONPath):
        path = exp.Literal.string(path.sql(dialect="athena").strip("'"))
    json_type = exp.Anonymous(this="json_type", expressions=[node.this.copy(), path.copy()])
    is_container = exp.In(
        this=json_type,
        expressions=[exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")],
    )
    return exp.Case(ifs=[exp.If(this=is_container, true=exp.null())], default=node)


def _date_diff(node: exp.DateDiff) -> exp.Expr:
    unit = node.args.get("unit")
    unit_text = unit.name.lower() if unit is not None else "day"
    # Athena's date_diff(unit, a, b) parses as DateDiff(this=b, expression=a).
    return exp.Anonymous(
        this="date_sub",
        expressions=[
            exp.Literal.string(unit_text),
            node.expression.copy(),
            node.this.copy(),
        ],
    )


_MATCHES = ("any_match", "all_match", "none_match")


def _match(node: exp.Anonymous) -> exp.Expr:
    array, predicate = node.expressions
    transformed = exp.Anonymous(this="list_transform", expressions=[array, predicate])
    name = node.name.lower()
    if name == "all_match":
        return exp.Anonymous(this="list_bool_and", expressions=[transformed])
    any_match = exp.Anonymous(this="list_bool_or", expressions=[transformed])
    return exp.Not(this=any_match) if name == "none_match" else any_match
