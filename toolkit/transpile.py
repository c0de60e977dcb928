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

DIALECT = "duckdb"


def to_duckdb(tree: exp.Expr) -> str:
    """The DuckDB SQL for an Athena-dialect tree (the tree is not modified)."""
    return duckdb_tree(tree).sql(dialect=DIALECT)


def duckdb_tree(tree: exp.Expr) -> exp.Expr:
    return tree.copy().transform(_fix, copy=False)


def _fix(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.JSONExtractScalar):
        return _json_extract_scalar(node)
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.CountIf) and not isinstance(node.parent, exp.Coalesce):
        return exp.Coalesce(this=node, expressions=[exp.Literal.number(0)])
    if isinstance(node, exp.Anonymous) and node.name.lower() in _MATCHES:
        return _match(node)
    return node


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
