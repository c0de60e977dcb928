"""Athena (Trino) SQL → DuckDB SQL with sqlglot, plus the fixes CloudTrail queries need.

sqlglot's own translation gives different answers on DuckDB for a few functions; each fix here
rewrites the tree so DuckDB computes what Athena would (tested in tests/test_transpile.py):

- `json_extract_scalar` on an object or array: Trino gives NULL, DuckDB's `->>` gives JSON text.
- `date_diff(unit, a, b)`: Trino counts whole elapsed units, DuckDB's `date_diff` counts unit
  boundaries crossed; DuckDB's `date_sub` counts whole units.
- `any_match` / `all_match` / `none_match`: DuckDB has no such functions.
- `count_if` over no true-or-false values (empty group, all NULL): Trino counts 0, DuckDB says NULL.
- `array_join(array, separator)` skips NULL items on both, but joins an array of NULLs only to
  '' on Trino, NULL on DuckDB; a NULL separator gives NULL on Trino, no separator on DuckDB.

Not fixed, so templates coalesce around them: `any_match` over an empty array (Trino false, DuckDB
NULL; `all_match` / `none_match`: Trino true) and a lambda that answers NULL (Trino's answer is
NULL unless another element decides it, DuckDB skips the NULL).

- IPADDRESS (`CAST(x AS IPADDRESS)`, `contains('10.0.0.0/8', address)`, comparisons, its text):
  DuckDB has no such type; `toolkit.core.ipaddresses` gives it one, and Trino's errors for Presto's
  IPPREFIX and its functions, which Athena's Trino does not have.

Not fixed, so templates keep off them: `CAST(timestamp AS varchar)` (the text differs),
`format_datetime`, `parse_datetime`, `at_timezone`, `url_extract_host`, `map_agg`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from toolkit.core import ipaddresses, semantics
from toolkit.core.semantics import Numeric

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
    # Trino's from_iso8601_timestamp: what it refuses is refused (a space for the T, ...), what the
    # local engine cannot give as Trino does (another UTC offset, a week date) too; milliseconds.
    "trino_from_iso8601_timestamp": "(x) AS CASE "
    f"WHEN regexp_full_match(x, '{semantics.ISO8601_UTC}') "
    "THEN date_trunc('millisecond', CAST(upper(x) AS TIMESTAMPTZ)) "
    f"WHEN regexp_full_match(x, '{semantics.ISO8601_TRINO}') "
    f"THEN error('{REFUSAL}from_iso8601_timestamp(''' || x || ''') is read by Athena but not by the local "
    "engine (it reads YYYY-MM-DD and YYYY-MM-DDThh:mm:ss[.fff] in UTC): run it on Athena') "
    f"WHEN x IS NOT NULL THEN error('{REFUSAL}Invalid format: \"' || x || '\" (from_iso8601_timestamp "
    "needs ISO 8601, e.g. 2024-08-02T08:23:06Z)') END",
    # Trino's to_iso8601: a date as YYYY-MM-DD, a UTC timestamp with time zone to the millisecond.
    "trino_to_iso8601": "(x) AS CASE typeof(x) WHEN 'DATE' THEN strftime(x, '%Y-%m-%d') "
    "WHEN 'TIMESTAMP WITH TIME ZONE' THEN strftime(x, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' "
    f"ELSE error('{REFUSAL}to_iso8601 of a ' || typeof(x) || ' is not run locally (its text depends on "
    "its precision in Athena): give it a date or a timestamp with time zone') END",
    # Trino's substr: position 0, or before the start, and a length of 0 or less give '' (DuckDB
    # reads 0 as 1, counts a negative length backwards and clamps a position before the start).
    "trino_substr": "(s, p) AS CASE WHEN s IS NULL OR p IS NULL THEN NULL "
    "WHEN p = 0 OR -p > length(s) THEN '' ELSE substr(s, p) END",
    "trino_substr_for": "(s, p, n) AS CASE WHEN s IS NULL OR p IS NULL OR n IS NULL THEN NULL "
    "WHEN p = 0 OR -p > length(s) OR n <= 0 THEN '' ELSE substr(s, p, n) END",
    # Trino's IPADDRESS (toolkit/core/ipaddresses.py)
    **ipaddresses.macros(REFUSAL),
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
    typing = semantics.Types(copied)
    types = _numeric_types(copied, typing)
    # IP addresses come from CAST(... AS IPADDRESS) only: without one, none is to be looked for.
    addresses = any(isinstance(n, exp.DataType) and ipaddresses.is_ipaddress_type(n) for n in copied.walk())
    kinds = _operand_kinds(copied, typing) if addresses else None
    texts = ipaddresses.texts_to_fuse(copied) if addresses else set()
    # Children before parents, so a rewritten node's operands are rewritten too.
    root = copied
    for node in reversed(list(copied.walk())):
        parent, key, index = node.parent, node.arg_key, node.index
        new = _fix(node, types, kinds, texts)
        if new is node:
            continue
        if parent is None or key is None:
            root = new
        else:
            parent.set(key, new, index)
    return root


#: The Trino types an operation's rewrite needs: its operands' and its own.
Typed = tuple[Numeric, Numeric, Numeric]


def _numeric_types(tree: exp.Expr, types: semantics.Types) -> dict[int, Typed]:
    """The Trino types of `/` and `%` and their operands, and of what rounds or averages a
    decimal, by the node's id: computed on the whole tree before any of it is rewritten."""
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


#: Where an IPADDRESS operand is rewritten (CAST, contains) or refused (concatenation, format,
#: array_join): the node's operands, in order.
_IP_OPERANDS: dict[type[exp.Expr], Callable[[Any], list[exp.Expr]]] = {
    exp.Cast: lambda n: [n.this],
    exp.ArrayContains: lambda n: [n.this, n.expression],
    exp.DPipe: lambda n: [n.this, n.expression],
    exp.Concat: lambda n: list(n.expressions),
    exp.Format: lambda n: list(n.expressions),
    exp.ArrayToString: lambda n: [n.this],
    exp.Between: lambda n: [n.this, n.args["low"], n.args["high"]],
    exp.In: lambda n: [n.this, *n.expressions],
    **{
        kind: lambda n: [n.left, n.right]
        for kind in ipaddresses.COMPARED
        if kind not in (exp.Between, exp.In)
    },
}


def _operands(node: exp.Expr) -> list[exp.Expr] | None:
    """The operands of a node of `_IP_OPERANDS` (None for another node)."""
    for kind, operands in _IP_OPERANDS.items():
        if isinstance(node, kind):
            return operands(node)
    return None


def _operand_kinds(tree: exp.Expr, types: semantics.Types) -> dict[int, list[Numeric]]:
    """The Trino types of the operands of the nodes of `_IP_OPERANDS`, by the node's id."""
    found: dict[int, list[Numeric]] = {}
    for node in tree.walk():
        operands = _operands(node)
        if operands is not None:
            found[id(node)] = [types.of(o) for o in operands]
    return found


def _fix(
    node: exp.Expr, types: dict[int, Typed], kinds: dict[int, list[Numeric]] | None, texts: set[int]
) -> exp.Expr:
    if isinstance(node, exp.Div):
        return _divide(node, types.get(id(node)))
    ipaddresses.check(node)  # Presto's IPPREFIX and IP functions: Trino's errors
    if kinds is not None and isinstance(node, ipaddresses.COMPARED) and id(node) in kinds:
        ipaddresses.compare(node, _operands(node) or [], kinds[id(node)])
    if isinstance(node, exp.Cast | exp.ArrayContains | exp.DPipe | exp.Concat | exp.Format):
        return _ip_operands(node, kinds, id(node) in texts)
    if isinstance(node, exp.Try):
        return ipaddresses.tried(node)
    if isinstance(node, exp.Mod | exp.Round | exp.Ceil | exp.Floor | exp.Avg | exp.Window):
        if isinstance(node.parent, exp.Window):
            return node
        typed = types.get(id(node))
        return _as_decimal(node, typed[2] if typed else None)
    if isinstance(node, exp.JSONExtract | exp.JSONExtractScalar):
        return _json_extract(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_size" and len(node.expressions) == 2:
        return _json_size(node)
    if isinstance(node, exp.RegexpExtract) and not isinstance(node.parent, exp.If):
        # Trino: NULL where the pattern does not match; DuckDB: ''
        matches = exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy())
        return exp.Case(ifs=[exp.If(this=matches, true=node)])
    if isinstance(node, exp.SplitPart) and not isinstance(node.parent, exp.If):
        # Trino: NULL past the last field; DuckDB: ''
        fields = exp.Anonymous(
            this="len",
            expressions=[
                exp.Anonymous(
                    this="string_split", expressions=[node.this.copy(), node.args["delimiter"].copy()]
                )
            ],
        )
        within = exp.GTE(this=fields, expression=node.args["part_index"].copy())
        return exp.Case(ifs=[exp.If(this=within, true=node)])
    if isinstance(node, exp.Substring) and node.args.get("start") is not None and not _plain_substr(node):
        length = node.args.get("length")
        if length is None:
            return exp.Anonymous(this="trino_substr", expressions=[node.this, node.args["start"]])
        return exp.Anonymous(this="trino_substr_for", expressions=[node.this, node.args["start"], length])
    if isinstance(node, exp.FromISO8601Timestamp):
        return exp.Anonymous(this="trino_from_iso8601_timestamp", expressions=[node.this])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_iso8601":
        return exp.Anonymous(this="trino_to_iso8601", expressions=node.expressions)
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.CountIf) and not isinstance(node.parent, exp.Coalesce):
        return exp.Coalesce(this=node, expressions=[exp.Literal.number(0)])
    if isinstance(node, exp.Anonymous) and node.name.lower() in _MATCHES:
        return _match(node)
    if isinstance(node, exp.ArrayToString) and node.args.get("null") is None:
        if kinds is not None:
            kind = kinds.get(id(node), [semantics.UNKNOWN])[0]
            node.set("this", ipaddresses.not_ipaddress(node.this, kind, ipaddresses.ARRAY_JOIN))
        return _array_join(node)
    return node


def _ip_operands(node: exp.Expr, kinds: dict[int, list[Numeric]] | None, fuse: bool = False) -> exp.Expr:
    """A CAST, contains, `||`, concat or format with Trino's semantics for IPADDRESS operands.
    `kinds`: the Trino types of the operands of such nodes; None where no IP address can be.
    `fuse`: a CAST(CAST(x AS IPADDRESS) AS VARCHAR) may be read from x in one (ipaddresses)."""
    operands = kinds.get(id(node)) if kinds is not None else None
    if isinstance(node, exp.Cast):  # and TRY_CAST
        if operands is None:
            return node if kinds is None else ipaddresses.cast(node, semantics.UNKNOWN, fuse)
        return ipaddresses.cast(node, operands[0], fuse)
    if isinstance(node, exp.ArrayContains):
        return ipaddresses.contains(node, operands[1] if operands else semantics.OTHER, REFUSAL)
    if kinds is None:
        return node
    if isinstance(node, exp.DPipe):
        left, right = operands or [semantics.UNKNOWN, semantics.UNKNOWN]
        message = ipaddresses.concat_error([node.this, node.expression], [left, right])
        node.set("this", ipaddresses.not_ipaddress(node.this, left, message))
        node.set("expression", ipaddresses.not_ipaddress(node.expression, right, message))
        return node
    message = ipaddresses.CONCAT if isinstance(node, exp.Concat) else ipaddresses.FORMAT
    items = node.expressions
    told = operands or [semantics.UNKNOWN] * len(items)
    node.set(
        "expressions", [ipaddresses.not_ipaddress(i, k, message) for i, k in zip(items, told, strict=True)]
    )
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


def _duckdb_paths(path: exp.Expr) -> list[exp.Expr] | None:
    """The DuckDB paths for a Trino path literal (None for a path computed at run time)."""
    if isinstance(path, exp.JSONPath):  # parsed by a dialect that reads paths: back to its text
        path = exp.Literal.string(path.sql(dialect="athena").strip("'"))
    if not isinstance(path, exp.Literal) or not path.is_string:
        return None
    tokens = semantics.json_path_tokens(path.name)
    return [exp.Literal.string(p) for p in semantics.duckdb_json_paths(tokens)]


def _json_extract(node: exp.JSONExtract | exp.JSONExtractScalar) -> exp.Expr:
    """json_extract / json_extract_scalar with Trino's path syntax; json_extract_scalar gives NULL
    for an object or array (DuckDB's `->>` gives its JSON text)."""
    paths = _duckdb_paths(node.expression)
    if paths is None:
        return node
    scalar = isinstance(node, exp.JSONExtractScalar)
    readings: list[exp.Expr] = []
    for path in paths:
        kind = exp.JSONExtractScalar if scalar else exp.JSONExtract
        reading: exp.Expr = kind(this=node.this.copy(), expression=path)
        if scalar:
            json_type = exp.Anonymous(this="json_type", expressions=[node.this.copy(), path.copy()])
            is_container = exp.In(
                this=json_type,
                expressions=[exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")],
            )
            reading = exp.Case(ifs=[exp.If(this=is_container, true=exp.null())], default=reading)
        readings.append(reading)
    return readings[0] if len(readings) == 1 else exp.Coalesce(this=readings[0], expressions=readings[1:])


def _json_size(node: exp.Anonymous) -> exp.Expr:
    """Trino's json_size: members of an object, items of an array, 0 for a scalar, NULL if absent."""
    json, path = node.expressions
    paths = _duckdb_paths(path)
    if paths is None:
        return node
    sizes: list[exp.Expr] = []
    for duck in paths:
        value = exp.Anonymous(this="json_extract", expressions=[json.copy(), duck])
        kind = exp.Anonymous(this="json_type", expressions=[value.copy()])
        keys = exp.Anonymous(this="json_keys", expressions=[value.copy()])
        sizes.append(
            exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("OBJECT")),
                        true=exp.Anonymous(this="len", expressions=[keys]),
                    ),
                    exp.If(
                        this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("ARRAY")),
                        true=exp.Anonymous(this="json_array_length", expressions=[value.copy()]),
                    ),
                    exp.If(this=exp.Is(this=value.copy(), expression=exp.null()), true=exp.null()),
                ],
                default=exp.Literal.number(0),
            )
        )
    return sizes[0] if len(sizes) == 1 else exp.Coalesce(this=sizes[0], expressions=sizes[1:])


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


def _plain_substr(node: exp.Substring) -> bool:
    """A position and length written as positive numbers (`substr(eventtime, 1, 10)`): DuckDB's
    answer is Trino's, with no CASE around it."""
    return all(
        isinstance(value, exp.Literal) and value.is_int and int(value.this) > 0
        for value in (node.args["start"], node.args.get("length") or exp.Literal.number(1))
    )


def _array_join(node: exp.ArrayToString) -> exp.Expr:
    """Trino's `array_join(array, separator)`: the NULL items are left out before DuckDB joins
    (so that an array of NULLs only joins to ''), and a NULL separator gives NULL."""
    item = "trailcsi_item"
    present = exp.Not(this=exp.Is(this=exp.column(item), expression=exp.null()))
    kept = exp.Anonymous(
        this="list_filter",
        expressions=[node.this, exp.Lambda(this=present, expressions=[exp.to_identifier(item)])],
    )
    separator = node.expression
    joined = exp.ArrayToString(this=kept, expression=separator)
    if isinstance(separator, exp.Literal) and separator.is_string:
        return joined
    has_separator = exp.Not(this=exp.Is(this=separator.copy(), expression=exp.null()))
    return exp.Case(ifs=[exp.If(this=has_separator, true=joined)])
