"""The comparisons and CASTs Trino refuses for their operands' types, where the SQL tells them.

DuckDB compares text with a number or a boolean by casting one to the other, and CASTs an array,
a map or a row to text; Trino refuses both when it analyses the query (`Cannot apply operator:
varchar = boolean`, `Cannot cast array(integer) to varchar`). The local engine refuses them before
the query runs, with Trino's message: an operand's Trino type is named here as Trino's messages
write it, from the SQL alone (literals, CASTs, `trail`'s columns, ...). An operand whose type the
SQL does not tell is never refused, nor one Trino coerces (a number to another number, a date to
a timestamp, NULL to anything).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlglot import exp

from toolkit.core import schema, semantics
from toolkit.core.semantics import Numeric

#: A family of types Trino coerces into each other: text (varchar(n)), number, time (date and
#: timestamps), boolean, json, the two interval kinds; arrays, maps and rows ("structured", coerced
#: only where their parts are, never from a scalar); ipaddress (refused in toolkit.core.ipaddresses).
TEXT, NUMBER, TIME, BOOLEAN, JSON, STRUCTURED, IPADDRESS = (
    "text",
    "number",
    "time",
    "boolean",
    "json",
    "structured",
    "ipaddress",
)
#: The scalar families a CAST to an array, a map or a row refuses (JSON is cast to them).
_NOT_CAST_TO_STRUCTURED = frozenset({TEXT, NUMBER, TIME, BOOLEAN})


@dataclass(frozen=True)
class Told:
    """A value's Trino type as the SQL tells it: its name as Trino's messages write it, its family
    (None for NULL's `unknown`, which Trino coerces to any type), its number, date or timestamp
    type (to find a common one), and a varchar's length (None: unbounded)."""

    name: str
    family: str | None
    numeric: Numeric = semantics.UNKNOWN
    length: int | None = None


UNKNOWN = Told("unknown", None)
#: Trino's real: a double to semantics.Types, told here only as a CAST to it.
REAL = Told("real", NUMBER, semantics.DOUBLE)
_INTEGER_NAMES = {3: "tinyint", 5: "smallint", 10: "integer", 19: "bigint"}
_INTEGER_TYPES = {
    exp.DataType.Type.TINYINT: 3,
    exp.DataType.Type.SMALLINT: 5,
    exp.DataType.Type.INT: 10,
    exp.DataType.Type.BIGINT: 19,
}
_TIMESTAMP_TYPES = (
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPNTZ,
    exp.DataType.Type.TIMESTAMPTZ,
)
_MAX_BIGINT = 2**63 - 1


class _Untold(Exception):
    """Two types whose common type this module does not work out (arrays of different types):
    Trino may coerce them, so nothing is refused."""


def varchar(length: int | None) -> Told:
    return Told("varchar" if length is None else f"varchar({length})", TEXT, length=length)


def of_numeric(numeric: Numeric) -> Told | None:
    """The Told of one of semantics' number, date, timestamp or interval types (None for another)."""
    if numeric.kind == "integer" and numeric.precision in _INTEGER_NAMES:
        return Told(_INTEGER_NAMES[numeric.precision], NUMBER, numeric)
    if numeric.kind == "decimal":
        return Told(f"decimal({numeric.precision},{numeric.scale})", NUMBER, numeric)
    if numeric.kind == "double":
        return Told("double", NUMBER, numeric)
    if numeric == semantics.DATE:
        return Told("date", TIME, numeric)
    if semantics.is_timestamp(numeric):
        zone = " with time zone" if numeric.kind == semantics.TIMESTAMP_TZ else ""
        return Told(f"timestamp({numeric.precision}){zone}", TIME, numeric)
    if numeric in (semantics.YEAR_TO_MONTH, semantics.DAY_TO_SECOND):
        return Told(numeric.kind, numeric.kind, numeric)
    return None


def of_data_type(to: exp.DataType) -> Told | None:
    """The Told of a type written in a CAST (None where Trino's name for it is not worked out here:
    `string`, char, real, a decimal without its precision, ...)."""
    kind = to.this
    params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in to.expressions]
    numbers = [int(p.name) for p in params if isinstance(p, exp.Literal) and p.is_int]
    if kind == exp.DataType.Type.VARCHAR:
        if not params:
            return varchar(None)
        return varchar(numbers[0]) if len(numbers) == 1 == len(params) else None
    if kind in _INTEGER_TYPES:
        return of_numeric(Numeric("integer", _INTEGER_TYPES[kind]))
    if kind == exp.DataType.Type.DOUBLE:
        return of_numeric(semantics.DOUBLE)
    if kind == exp.DataType.Type.FLOAT:
        return REAL
    if kind == exp.DataType.Type.DECIMAL and len(numbers) in (1, 2) and len(numbers) == len(params):
        # (DECIMAL '1.5' is read as a CAST to DECIMAL without its precision: not told)
        return of_numeric(Numeric("decimal", numbers[0], numbers[1] if len(numbers) == 2 else 0))
    if kind == exp.DataType.Type.BOOLEAN:
        return Told("boolean", BOOLEAN)
    if kind == exp.DataType.Type.JSON:
        return Told("json", JSON)
    if kind == exp.DataType.Type.IPADDRESS:
        return Told("ipaddress", IPADDRESS)
    if kind in (exp.DataType.Type.DATE, *_TIMESTAMP_TYPES):
        return of_numeric(semantics.data_type(to))
    if kind == exp.DataType.Type.ARRAY and len(to.expressions) == 1:
        return _array(of_data_type(to.expressions[0]))
    if kind == exp.DataType.Type.MAP and len(to.expressions) == 2:
        key, value = (of_data_type(e) for e in to.expressions)
        return _map(key, value)
    if kind == exp.DataType.Type.STRUCT and to.expressions:
        return _row([_row_field(f) for f in to.expressions])
    return None


def _row_field(field: exp.Expr) -> str | None:
    """A ROW(...) type's field as Trino writes it: `name type` (its name lowercased)."""
    if not isinstance(field, exp.ColumnDef) or not isinstance(field.args.get("kind"), exp.DataType):
        return None
    told = of_data_type(field.args["kind"])
    return f"{field.name.lower()} {told.name}" if told is not None else None


def _array(item: Told | None) -> Told | None:
    return Told(f"array({item.name})", STRUCTURED) if item is not None else None


def _map(key: Told | None, value: Told | None) -> Told | None:
    if key is None or value is None:
        return None
    return Told(f"map({key.name}, {value.name})", STRUCTURED)


def _row(fields: list[str | None]) -> Told | None:
    if any(f is None for f in fields):
        return None
    return Told(f"row({', '.join(f for f in fields if f)})", STRUCTURED)


def of_field(field: schema.Field) -> Told:
    """The Trino type of a column (or struct member) of `trail`, as its Athena DDL declares it."""
    if field.kind in ("string", "json"):
        return varchar(None)
    if field.kind == "map":
        return Told("map(varchar, varchar)", STRUCTURED)
    row = Told(f"row({', '.join(f'{f.name} {of_field(f).name}' for f in field.fields)})", STRUCTURED)
    return Told(f"array({row.name})", STRUCTURED) if field.kind == "array" else row


def common(first: Told, second: Told) -> Told | None:
    """The type Trino coerces two types to (None: there is none, Trino refuses them together).
    Raises _Untold where this module does not work it out."""
    if first.family is None:
        return second
    if second.family is None:
        return first
    if first.family != second.family:
        return None
    if first.family == TEXT:
        lengths = (first.length, second.length)
        return varchar(None if None in lengths else max(first.length or 0, second.length or 0))
    if first.family == NUMBER:
        return _common_number(first, second)
    if first.family == TIME:
        return _common_time(first, second)
    if first.name == second.name:
        return first
    raise _Untold


def _common_number(first: Told, second: Told) -> Told | None:
    """Numbers meet as a double if either is one, else as a real if either is one, else as
    semantics.common works out (an integer and a decimal as a decimal)."""
    names = (first.name, second.name)
    if "double" in names:
        return of_numeric(semantics.DOUBLE)
    if REAL.name in names:
        return REAL
    return of_numeric(semantics.common([first.numeric, second.numeric]))


def _common_time(first: Told, second: Told) -> Told | None:
    """A date and a timestamp meet as the timestamp; timestamps as the largest precision, with a
    time zone if either has one."""
    stamps = [t.numeric for t in (first, second) if semantics.is_timestamp(t.numeric)]
    if not stamps:
        return first
    zoned = any(s.kind == semantics.TIMESTAMP_TZ for s in stamps)
    return of_numeric(semantics.timestamp(max(s.precision for s in stamps), zoned))


class TrinoTypes:
    """Trino's types of a tree's values, where its SQL tells them (`of`)."""

    def __init__(self, tree: exp.Expr, typing: semantics.Items) -> None:
        self._typing = typing
        # A UNION's column has its branches' common type; the columns a query reads through one
        # are told only as numbers (semantics.Types works those out), else not told.
        self._set_operations = any(isinstance(n, exp.SetOperation) for n in tree.walk())
        # semantics.Types reads a real as a double: where the SQL casts to real, a double
        # semantics.Types works out may be a real (only a CAST to real is told then)
        self._reals = any(
            isinstance(n, exp.DataType) and n.this == exp.DataType.Type.FLOAT for n in tree.walk()
        )

    def of(self, node: exp.Expr) -> Told | None:
        """The Trino type of a value, or None where the SQL does not tell it."""
        if isinstance(node, exp.Null):
            return UNKNOWN
        if isinstance(node, exp.Literal):
            return self._literal(node)
        if isinstance(node, exp.Boolean):
            return Told("boolean", BOOLEAN)
        if isinstance(node, exp.Cast):  # and TRY_CAST, and typed literals (DECIMAL '1.5': not told)
            return of_data_type(node.to)
        if isinstance(node, exp.Paren):
            return self.of(node.this)
        if isinstance(node, exp.Lower | exp.Upper | exp.JSONExtractScalar):
            # the text's own varchar type (json_extract_scalar of JSON: not told)
            inner = self.of(node.this)
            return inner if inner is not None and inner.family == TEXT else None
        if isinstance(node, exp.ParseJSON | exp.JSONExtract):
            return Told("json", JSON)
        if isinstance(node, exp.Array):
            return self._array(node)
        if isinstance(node, exp.Map):
            return self._map(node)
        if isinstance(node, exp.Struct):
            return self._row(node)
        if isinstance(node, exp.Split):
            inner = self.of(node.this)
            return _array(inner) if inner is not None and inner.family == TEXT else None
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Dot | exp.Bracket):  # a field or an item of one of `trail`'s columns
            field = self._trail_value(node)
            if field is not None:
                return of_field(field)
        return self._number_or_time(node)

    def _trail_value(self, node: exp.Expr) -> schema.Field | None:
        """The field of `trail` a value is (`resources[1].accountid`, `element_at(resources, 1)`,
        an UNNEST of `resources`' column), None where the SQL does not tell one."""
        if isinstance(node, exp.Paren):
            return self._trail_value(node.this)
        if isinstance(node, exp.Column):
            named = self._typing.named(node)
            return named if isinstance(named, schema.Field) else self._unnested(node)
        if isinstance(node, exp.Bracket):
            if len(node.expressions) != 1 or node.args.get("json_access"):
                return None
            whole = self._trail_value(node.this)
            if whole is not None and whole.kind == "array":  # an item: a row of its fields
                return schema.Field(whole.name, whole.key, "struct", whole.fields)
            if whole is not None and whole.kind == "map":  # a value: text
                return schema.Field(whole.name, whole.key)
            return None
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier):
            whole = self._trail_value(node.this)
            if whole is None or whole.kind != "struct":
                return None
            name = node.expression.name.lower()
            return next((f for f in whole.fields if f.name == name), None)
        return None

    def _renamed(self, column: exp.Column, kind: type[exp.Expr]) -> tuple[exp.Expr, int] | None:
        """The relation of this kind (an UNNEST, VALUES) in the FROM clause of the column's SELECT
        whose alias list names the column, and the column's position in it."""
        if self._set_operations:
            return None
        select = column.find_ancestor(exp.Select)
        if select is None:
            return None
        for source in [select.args.get("from_"), *(select.args.get("joins") or [])]:
            relation = source.this if isinstance(source, exp.From | exp.Join) else None
            if isinstance(relation, exp.Subquery) and isinstance(relation.this, exp.Values):
                relation = relation.this  # (VALUES ...) AS t(x): the alias may sit on either
                alias = relation.args.get("alias") or source.this.args.get("alias")
            else:
                alias = relation.args.get("alias") if isinstance(relation, exp.Expr) else None
            if not isinstance(relation, kind) or not isinstance(alias, exp.TableAlias) or not alias.columns:
                continue
            if column.table and column.table.lower() != alias.name.lower():
                continue
            names = [c.name.lower() for c in alias.columns]
            if column.name.lower() in names:
                return relation, names.index(column.name.lower())
        return None

    def _unnested(self, column: exp.Column) -> schema.Field | None:
        """The field a column of `UNNEST(resources) AS r(arn, accountid, type)` names: the
        column of that name in the alias list, in the order of the rows' fields."""
        found = self._renamed(column, exp.Unnest)
        if found is None or len(found[0].expressions) != 1:
            return None
        unnest, at = found
        array = self._trail_value(unnest.expressions[0])
        if array is None or array.kind != "array" or at >= len(array.fields):
            return None
        return array.fields[at]

    def _values_column(self, column: exp.Column) -> Told | None:
        """The type of a column of `(VALUES ...) AS t(x, y)`: its rows' common type at its position."""
        found = self._renamed(column, exp.Values)
        if found is None:
            return None
        values, at = found
        met: Told | None = UNKNOWN
        for row in values.expressions:
            cells = row.expressions if isinstance(row, exp.Tuple) else [row]
            told = self.of(cells[at]) if at < len(cells) else None
            if told is None or met is None:
                return None
            try:
                met = common(met, told)
            except _Untold:
                return None
        return met

    def _number_or_time(self, node: exp.Expr) -> Told | None:
        """A number's, date's, timestamp's or interval's type, as semantics.Types works it out."""
        told = of_numeric(self._typing.of(node))
        return None if told is not None and told.name == "double" and self._reals else told

    def _literal(self, node: exp.Literal) -> Told | None:
        if node.is_string:
            return varchar(len(node.name))
        if node.is_int and abs(int(node.name)) > _MAX_BIGINT:
            return None  # (Trino refuses it: "Invalid numeric literal")
        return of_numeric(semantics.literal_type(node))

    def _array(self, node: exp.Array) -> Told | None:
        return _array(self._items(node))

    def _items(self, node: exp.Array) -> Told | None:
        """The type of an array's items: their common type (`unknown` for none or NULLs only)."""
        found: Told | None = UNKNOWN
        for item in node.expressions:
            told = self.of(item)
            if told is None or found is None:
                return None  # (items without a common type: Trino's error of its own)
            try:
                found = common(found, told)
            except _Untold:
                return None
        return found

    def _map(self, node: exp.Map) -> Told | None:
        keys, values = node.args.get("keys"), node.args.get("values")
        if not isinstance(keys, exp.Array) or not isinstance(values, exp.Array):
            return None
        return _map(self._items(keys), self._items(values))

    def _row(self, node: exp.Struct) -> Told | None:
        if any(isinstance(e, exp.PropertyEQ | exp.Alias) for e in node.expressions):
            return None  # (ROW has no field names in Trino's SQL)
        fields = [self.of(e) for e in node.expressions]
        return _row([f.name if f is not None else None for f in fields])

    def _column(self, column: exp.Column) -> Told | None:
        numeric = self._number_or_time(column)
        if numeric is not None:
            return numeric
        if self._set_operations:
            return None
        named = self._typing.named(column)
        if isinstance(named, schema.Field):
            return of_field(named)
        unnested = self._unnested(column) if named is None else None
        if unnested is not None:
            return of_field(unnested)
        if named is None:
            return self._values_column(column)
        if isinstance(named, exp.Expr):
            told = self.of(named)
            # (a number or a time semantics.Types did not tell is not told here either)
            return told if told is not None and told.family not in (NUMBER, TIME) else None
        return None


#: Trino's name of each comparison operator in its message (`a > b` is written as `<`, the
#: operands kept in their order; `<>` as `=`).
_OPERATORS: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.NEQ: "=",
    exp.LT: "<",
    exp.GT: "<",
    exp.LTE: "<=",
    exp.GTE: "<=",
}

_BINARY_COMPARISONS = (*_OPERATORS, exp.NullSafeEQ, exp.NullSafeNEQ)


def _compared(node: exp.Expr) -> list[exp.Expr] | None:
    """The values a comparison, IN list, BETWEEN or CASE operand compares, or an ARRAY[...] holds
    (all met in one type, as Trino does; None for another node)."""
    if isinstance(node, _BINARY_COMPARISONS):
        return [node.this, node.expression]
    if isinstance(node, exp.In):
        if any(node.args.get(k) for k in ("query", "unnest", "field")):
            return None
        return [node.this, *node.expressions]
    if isinstance(node, exp.Between):
        return [node.this, node.args["low"], node.args["high"]]
    if isinstance(node, exp.Case) and node.this is not None:
        return [node.this, *(i.this for i in node.args.get("ifs", []))]
    if isinstance(node, exp.Array) and node.expressions:
        return list(node.expressions)
    if isinstance(node, exp.Coalesce) and node.expressions:
        return [node.this, *node.expressions]
    return None


def comparison_error(node: exp.Expr, types: TrinoTypes) -> str | None:
    """Trino's error for a comparison (or an ARRAY[...]) of values of types it does not coerce to a
    common one (text and a number, a boolean, a date or JSON; a scalar and an array), where the
    SQL tells them."""
    compared = _compared(node)
    if compared is None:
        return None
    told = [types.of(v) for v in compared]
    known = [t for t in told if t is not None and t.family != IPADDRESS]
    if len(known) < len(told):
        return None
    failed = _first_without_a_common_type(known)
    if failed is None:
        return None
    found, each = failed
    if isinstance(node, exp.Case):  # Trino names the operand's own type, not the common one
        return f"CASE operand type does not match WHEN clause operand type: {known[0].name} vs {each.name}"
    return _message(node, known, found, each)


def _first_without_a_common_type(told: list[Told]) -> tuple[Told, Told] | None:
    """Where Trino, meeting the types in order, finds none in common: the type the earlier ones
    met in, and the first one that does not meet it (None where all meet, or where this module
    does not work it out)."""
    found = told[0]
    for each in told[1:]:
        try:
            met = common(found, each)
        except _Untold:
            return None
        if met is None:
            return found, each
        found = met
    return None


def _message(node: exp.Expr, told: list[Told], found: Told, failed: Told) -> str:
    """Trino's message for a comparison whose values have no common type: `found` is the type
    the earlier values met in, `failed` the first value's that does not meet it."""
    names = [t.name for t in told]
    if isinstance(node, exp.In | exp.Array | exp.Coalesce):
        listed = ", ".join(dict.fromkeys(names))
        what = {exp.In: "IN value and list items", exp.Array: "All ARRAY elements"}.get(
            type(node), "All COALESCE operands"
        )
        return (
            f"{what} must be the same type or coercible to a common type. Cannot find common type "
            f"between {found.name} and {failed.name}, all types (without duplicates): [{listed}]"
        )
    if isinstance(node, exp.Between):
        return f"Cannot check if {names[0]} is BETWEEN {names[1]} and {names[2]}"
    if isinstance(node, exp.NullSafeEQ | exp.NullSafeNEQ):
        return f"Cannot check if {names[0]} is identical to {names[1]}"
    operator = next(o for kind, o in _OPERATORS.items() if isinstance(node, kind))
    return f"Cannot apply operator: {names[0]} {operator} {names[1]}"


def like_error(node: exp.Expr, types: TrinoTypes) -> str | None:
    """Trino's error for a LIKE of a value, or by a pattern, that is no text (DuckDB's binder
    error of its own): the value is checked first, as Trino does."""
    if not isinstance(node, exp.Like):
        return None
    for operand, what in ((node.this, "Left side of"), (node.expression, "Pattern for")):
        told = types.of(operand)
        if told is not None and told.family not in (TEXT, "char", None, IPADDRESS):
            return f"{what} LIKE expression must evaluate to a varchar (actual: {told.name})"
    return None


#: The signatures Trino 476's `concat` (and `||`) lists in its error.
_CONCATS = (
    "concat(E, array(E)) E, concat(array(E)) E, concat(array(E), E) E, concat(char(x), char(y)), "
    "concat(varbinary), concat(varchar)"
)


def concat_error(node: exp.Expr, types: TrinoTypes) -> str | None:
    """Trino's error for `||` or concat of a number or a boolean beside text or another number or
    boolean, where the SQL tells every operand's type (DuckDB writes the value's text: 'a' || 1 is
    'a1'). Dates and timestamps have their own fix; arrays concatenate with their elements."""
    if isinstance(node, exp.DPipe):
        operands = [node.this, node.expression]
    elif isinstance(node, exp.Concat) and len(node.expressions) > 1:
        operands = list(node.expressions)
    else:
        return None
    told = [types.of(o) for o in operands]
    if any(t is None or t.family is None for t in told):
        return None
    families = {t.family for t in told if t is not None}
    if not families & {NUMBER, BOOLEAN} or not families <= {TEXT, NUMBER, BOOLEAN}:
        return None
    names = ", ".join(t.name for t in told if t is not None)
    return f"Unexpected parameters ({names}) for function concat. Expected: {_CONCATS}"


#: Trino's arithmetic operators: the operator, its function's name and the signatures its
#: messages list (Trino 476).
_ARITHMETIC: dict[type[exp.Expr], tuple[str, str, str]] = {
    exp.Add: (
        "+",
        "ADD",
        "bigint, bigint|date, interval day to second|date, interval year to month|decimal(a_precision,a_scale), "
        "decimal(b_precision,b_scale)|double, double|integer, integer|interval day to second, date|interval day "
        "to second, interval day to second|interval day to second, time(p) with time zone|interval day to "
        "second, time(p)|interval day to second, timestamp(p) with time zone|interval day to second, "
        "timestamp(p)|interval year to month, date|interval year to month, interval year to month|interval year "
        "to month, timestamp(p) with time zone|interval year to month, timestamp(p)|real, real|smallint, "
        "smallint|time(p) with time zone, interval day to second|time(p), interval day to second|timestamp(p) "
        "with time zone, interval day to second|timestamp(p) with time zone, interval year to month|"
        "timestamp(p), interval day to second|timestamp(p), interval year to month|tinyint, tinyint",
    ),
    exp.Sub: (
        "-",
        "SUBTRACT",
        "bigint, bigint|date, interval day to second|date, interval year to month|decimal(a_precision,a_scale), "
        "decimal(b_precision,b_scale)|double, double|integer, integer|interval day to second, interval day to "
        "second|interval year to month, interval year to month|real, real|smallint, smallint|time(p) with time "
        "zone, interval day to second|time(p) with time zone, time(p) with time zone|time(p), interval day to "
        "second|time(p), time(p)|timestamp(p) with time zone, interval day to second|timestamp(p) with time "
        "zone, interval year to month|timestamp(p) with time zone, timestamp(p) with time zone|timestamp(p), "
        "interval day to second|timestamp(p), interval year to month|timestamp(p), timestamp(p)|tinyint, tinyint",
    ),
    exp.Mul: (
        "*",
        "MULTIPLY",
        "bigint, bigint|bigint, interval day to second|bigint, interval year to month|"
        "decimal(a_precision,a_scale), decimal(b_precision,b_scale)|double, double|double, interval day to "
        "second|double, interval year to month|integer, integer|interval day to second, bigint|interval day to "
        "second, double|interval year to month, bigint|interval year to month, double|real, real|smallint, "
        "smallint|tinyint, tinyint",
    ),
    exp.Div: (
        "/",
        "DIVIDE",
        "bigint, bigint|decimal(a_precision,a_scale), decimal(b_precision,b_scale)|double, double|integer, "
        "integer|interval day to second, double|interval year to month, double|real, real|smallint, smallint|"
        "tinyint, tinyint",
    ),
    exp.Mod: (
        "%",
        "MODULUS",
        "bigint, bigint|decimal(a_precision,a_scale), decimal(b_precision,b_scale)|double, double|integer, "
        "integer|real, real|smallint, smallint|tinyint, tinyint",
    ),
}
#: The families no arithmetic operator takes.
_NOT_ARITHMETIC = frozenset({TEXT, "char", BOOLEAN, JSON, STRUCTURED})


def arithmetic_error(node: exp.Expr, types: TrinoTypes) -> str | None:
    """Trino's error for +, -, *, / or % of text, a boolean, JSON, an array, a map or a row, or of
    dates, timestamps and intervals as no signature of the operator takes them (a date and a
    number, two dates added, an interval of each kind), where the SQL tells both types (DuckDB's
    binder error of its own, or an answer: a date plus a number of days, a year plus a day)."""
    kind = next((k for k in _ARITHMETIC if type(node) is k), None)
    if kind is None:
        return None
    told = [types.of(node.this), types.of(node.expression)]
    left, right = told
    if left is None or right is None or left.family is None or right.family is None:
        return None
    families = {left.family, right.family}
    operator, name, signatures = _ARITHMETIC[kind]
    if IPADDRESS in families:
        return None
    if not families & _NOT_ARITHMETIC and (
        not families & TEMPORAL or _has_signature(signatures, left, right)
    ):
        return None
    expected = ", ".join(f"$operator${name}({s})" for s in signatures.split("|"))
    return (
        f"Cannot apply operator: {left.name} {operator} {right.name} (cause: Unexpected parameters "
        f"({left.name}, {right.name}) for function $operator${name}. Expected: {expected})"
    )


#: The families of dates, timestamps and intervals, whose arithmetic Trino takes only as its
#: operators' signatures say (a date plus a number, or two intervals of the two kinds, it refuses).
TEMPORAL = frozenset({TIME, semantics.YEAR_TO_MONTH.kind, semantics.DAY_TO_SECOND.kind})


def _has_signature(signatures: str, left: Told, right: Told) -> bool:
    """Whether an operator's signatures take these operands, numbers coerced to one another, a
    date to a timestamp and a timestamp to one with time zone (as Trino coerces them)."""
    taken = _signature_forms(signatures)
    return any((a, b) in taken for a in _forms(left) for b in _forms(right))


@functools.cache
def _signature_forms(signatures: str) -> frozenset[tuple[str, ...]]:
    """The pairs of signature names an operator's signatures list (read once an operator)."""
    return frozenset(tuple(_signature_form(n) for n in s.split(", ")) for s in signatures.split("|"))


def _signature_form(name: str) -> str:
    return "number" if name in _NUMBER_SIGNATURES or name.startswith("decimal(") else name


_NUMBER_SIGNATURES = frozenset({"tinyint", "smallint", "integer", "bigint", "real", "double"})


def _forms(told: Told) -> set[str]:
    """The signature names a value of this type is taken as."""
    if told.family == NUMBER:
        return {"number"}
    if told.name == "date":
        return {"date", "timestamp(p)", "timestamp(p) with time zone"}
    if told.family == TIME:
        zoned = told.name.endswith("with time zone")
        return {"timestamp(p) with time zone"} if zoned else {"timestamp(p)", "timestamp(p) with time zone"}
    return {told.name}


def cast_error(node: exp.Expr, types: TrinoTypes) -> str | None:
    """Trino's error for a CAST of an array, a map or a row to a scalar type other than JSON (DuckDB
    writes text of its own), or of text, a number, a boolean or a time to an array, a map or a row."""
    if not isinstance(node, exp.Cast):  # and TRY_CAST: Trino refuses it as well
        return None
    value, to = types.of(node.this), cast_target(node.to)
    if value is None or to is None:
        return None
    if value.family == STRUCTURED and to.family not in (STRUCTURED, JSON):
        return f"Cannot cast {value.name} to {to.name}"
    if value.family in _NOT_CAST_TO_STRUCTURED and to.family == STRUCTURED:
        return f"Cannot cast {value.name} to {to.name}"
    return None


def cast_target(to: exp.DataType) -> Told | None:
    """The type a CAST writes, char(n) too (a family of its own here: told only as a CAST's target,
    as Trino coerces it with varchar in a comparison)."""
    params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in to.expressions]
    if to.this == exp.DataType.Type.CHAR and len(params) == 1 and isinstance(params[0], exp.Literal):
        return Told(f"char({params[0].name})", "char") if params[0].is_int else None
    return of_data_type(to)
