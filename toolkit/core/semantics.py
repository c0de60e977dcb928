"""Where Trino (Athena) and DuckDB read the same SQL differently: name resolution and typing.

- `check_names`: Trino resolves a SELECT alias in ORDER BY only. An alias used in WHERE, GROUP
  BY, HAVING, a JOIN condition or another select item is an error there ("Column 'n' cannot be
  resolved"), where DuckDB would answer; the query is refused with Trino's message. So is a
  relation's name used as a column (`SELECT t FROM (VALUES 1) AS t(x)`: DuckDB reads the row).
- `numeric_type`: the Trino type of a numeric expression (integer, bigint, decimal(p, s), double)
  where it can be told from the SQL alone, so that `/` and `%` can be given Trino's semantics
  (integer division truncates; decimal division has Trino's precision, scale and rounding), and
  whether an expression is an IPADDRESS (`contains` has an array and an IP address overload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp
from sqlglot.dialects.athena import Athena
from sqlglot.dialects.trino import Trino
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.parsers.athena import AthenaParser, AthenaTrinoParser

from toolkit.core import schema
from toolkit.errors import UsageError


class _TrinoPathsAsWritten(Trino):
    def to_json_path(self, path: exp.Expr | None) -> exp.Expr | None:
        return path


#: The mark (in a node's `meta`) of a CAST written as a typed literal, `IPADDRESS '10.0.0.1'`.
TYPED_LITERAL = "typed_literal"


def _typed_literal(parser: Any, this: exp.Expr, to: exp.DataType) -> exp.Expr:
    cast: exp.Expr = parser.expression(exp.Cast(this=this, to=to))
    cast.meta[TYPED_LITERAL] = True
    return cast


def _as_written(name: str) -> Any:
    return lambda args: exp.Anonymous(this=name, expressions=args)


def _of_arity(name: str, count: int) -> Any:
    """sqlglot's builder of a function called with `count` arguments; called with another number,
    the function as written (sqlglot's builders drop json_extract_scalar's third argument)."""
    builder = AthenaTrinoParser.FUNCTIONS[name.upper()]

    def build(args: list[exp.Expr], dialect: Any) -> exp.Expr:
        if len(args) != count:
            return exp.Anonymous(this=name, expressions=args)
        built: exp.Expr
        try:
            built = builder(args, dialect=dialect)
        except TypeError:
            built = builder(args)
        return built

    return build


#: Functions of a fixed number of arguments: (name, count). Called with another number, they are
#: kept as written, and refused with Trino's error (toolkit.core.transpile).
FIXED_ARITY = (("json_extract", 2), ("json_extract_scalar", 2), ("json_format", 1))


class _PatternsAsWritten(AthenaTrinoParser):
    """date_format and date_parse with their MySQL-style patterns as written (sqlglot turns them
    into strftime's, which loses what Trino reads otherwise: `%B` is the letter B in Trino); the
    functions of `FIXED_ARITY` with their arguments as written."""

    FUNCTIONS = {
        **AthenaTrinoParser.FUNCTIONS,
        "DATE_FORMAT": _as_written("date_format"),
        "DATE_PARSE": _as_written("date_parse"),
        **{name.upper(): _of_arity(name, count) for name, count in FIXED_ARITY},
    }


class AthenaSQL(Athena):
    """Athena's dialect with JSON paths and date patterns kept as written: Trino's path syntax is
    checked and translated here (sqlglot reads `$['a']` and `$.a[*]`, which Athena refuses), and
    date patterns in `toolkit.core.datetimes`; an IPADDRESS literal is marked (`TYPED_LITERAL`):
    Trino reads it when it analyses the query."""

    class Parser(AthenaParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("trino", _TrinoPathsAsWritten())
            super().__init__(*args, **kwargs)
            self._trino_parser = _PatternsAsWritten(
                error_level=self.error_level,
                error_message_context=self.error_message_context,
                max_errors=self.max_errors,
                max_nodes=self.max_nodes,
                dialect=kwargs["trino"],
            )
            # Athena's parser hands SELECTs to a Trino parser of its own: the literal is read there.
            trino = self._trino_parser
            trino.TYPE_LITERAL_PARSERS = {  # type: ignore[misc]
                **trino.TYPE_LITERAL_PARSERS,
                exp.DataType.Type.IPADDRESS: _typed_literal,
            }


#: The base relations a query may name; each has `trail`'s columns.
TRAIL_TABLES = frozenset({"trail", "trail_source", "trail_pinned"})


# -- names --------------------------------------------------------------------------------------


def check_names(tree: exp.Expr) -> None:
    """Refuse a SELECT alias, or a relation's name, used where Trino resolves no column of that
    name (with Trino's message)."""
    try:
        scopes = traverse_scope(tree)
    except Exception:  # names the query check could not resolve are reported there
        return
    relations = _Relations(tree)
    for scope in scopes:
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        relations.check(scope, select)
        aliases = _aliases(scope)
        if not aliases:
            continue
        for column in _own_columns(select):
            if column.table or column.name.lower() not in aliases:
                continue
            if _lambda_parameter(column):
                continue
            name = column.name.lower()
            if all(isinstance(p.this, exp.Column) and p.this.name.lower() == name for p in aliases[name]):
                continue  # `SELECT x AS x`: the alias is the column
            visible = _visible_columns(scope)
            if visible is not None and column.name.lower() in visible:
                having = select.args.get("having")
                if having is not None and _within(column, having):
                    # DuckDB reads the alias here, Athena the source's column
                    raise UsageError(
                        f"{column.name!r} in HAVING names both a column and a SELECT alias",
                        "Athena reads the column, DuckDB the alias: qualify the column or rename the alias",
                    )
                continue
            if visible is None:
                continue
            raise UsageError(
                f"Column {column.name!r} cannot be resolved",
                "Athena sees a SELECT alias in ORDER BY only: repeat the expression "
                "(or GROUP BY its position)",
            )


class _Relations:
    """A relation's name used as a column (`SELECT t FROM (VALUES 1) AS t(x)`): DuckDB reads it as
    a struct of the relation's row, Trino resolves column names only ("Column 't' cannot be
    resolved"); refused with Trino's message, or in one line where the columns in scope cannot be
    told or Trino would read a column of an enclosing query there."""

    def __init__(self, tree: exp.Expr) -> None:
        self._tree = tree
        self._typing: Items | None = None  # built for an UNNEST's columns only, where needed
        self._columns: dict[int, set[str] | None] = {}

    def check(self, scope: Scope, select: exp.Select) -> None:
        names: set[str] = set()
        current: Scope | None = scope
        while current is not None:
            names.update(name.lower() for name, _node, _source in _relations_of(current))
            current = current.parent
        if not names:
            return
        order = select.args.get("order")
        for node in select.walk(prune=lambda n: n is not select and isinstance(n, exp.Query)):
            if not isinstance(node, exp.Column) or node.table or not isinstance(node.this, exp.Identifier):
                continue
            name = node.name.lower()
            if name not in names or _lambda_parameter(node):
                continue
            if order is not None and _within(node, order) and _output_name(select, name):
                continue  # ORDER BY reads the select list's names first
            self._resolve(node, scope)

    def _resolve(self, column: exp.Column, scope: Scope) -> None:
        name = column.name.lower()
        relation: str | None = None  # the nearest relation of that name, if no column comes first
        current: Scope | None = scope
        while current is not None:
            untold = False
            for source_name, node, source in _relations_of(current):
                columns = self._columns_of(node, source)
                if columns is None:
                    untold = True
                elif name in columns:
                    if relation is not None:
                        raise UsageError(
                            f"{column.name!r} names a relation here and a column of an enclosing query: "
                            "Athena reads the column, DuckDB the relation's row (not run locally)",
                            "qualify the column with its relation's name",
                        )
                    return
                if relation is None and source_name.lower() == name:
                    relation = source_name
            if untold:
                raise UsageError(
                    f"{column.name!r} names a relation, and the local engine cannot tell from the SQL "
                    "whether it is a column too (a `*` or UNNEST it cannot read): Athena reads a column "
                    "only, DuckDB the relation's row (not run locally)",
                    "name the columns (an alias list), or run the query on Athena",
                )
            current = current.parent
        if relation is not None:
            raise UsageError(
                f"Column {column.name!r} cannot be resolved",
                f"{relation!r} is a relation, not a column: name one of its columns ({relation}.column)",
            )

    def _columns_of(self, node: exp.Expr, source: object) -> set[str] | None:
        key = id(node)
        if key not in self._columns:
            self._columns[key] = self._read_columns(node, source)
        return self._columns[key]

    def _read_columns(self, node: exp.Expr, source: object) -> set[str] | None:
        alias = node.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            return {c.name.lower() for c in alias.columns}
        if isinstance(node, exp.Lateral):
            node = node.this
            if isinstance(node, exp.Subquery):
                return _scope_columns(Scope(node.unnest()))  # (its `*` untold)
        if isinstance(node, exp.Values):
            return set()  # Trino's columns of VALUES without an alias list have no name
        if isinstance(node, exp.Unnest):
            if self._typing is None:
                self._typing = Items(self._tree)
            names: set[str] = set()
            for element in (self._typing.unnested(e) for e in node.expressions):
                if element.kind == "unknown":
                    return None
                if not element.map:  # (a map's entries have no names)
                    names.update(f for f in element.fields if f)  # a row's fields; a value has none
            return names
        if isinstance(source, Scope) and isinstance(source.expression.parent, exp.CTE):
            cte_alias = source.expression.parent.args.get("alias")
            if isinstance(cte_alias, exp.TableAlias) and cte_alias.columns:
                return {c.name.lower() for c in cte_alias.columns}
        return _source_columns(node, source)


def _relations_of(scope: Scope) -> list[tuple[str, exp.Expr, object]]:
    """The relations a scope's FROM and JOINs name: name, node and source (`selected_sources`
    fails where two have the same name, as two without an alias have; a subquery's source is
    then not told)."""
    references = scope.references
    counts: dict[str, int] = {}
    for name, _node in references:
        counts[name] = counts.get(name, 0) + 1
    return [
        (name, node, scope.sources.get(name) if counts[name] == 1 else None)
        for name, node in references
        if name in scope.sources
    ]


def _output_name(select: exp.Select, name: str) -> bool:
    """A select item named so (a `*` gives the columns of its relations, resolved as any)."""
    return any(p.alias_or_name.lower() == name for p in select.expressions if not isinstance(p, exp.Star))


def _aliases(scope: Scope) -> dict[str, list[exp.Alias]]:
    """The SELECT aliases of the scope and of the scopes around it, by lowercase name."""
    found: dict[str, list[exp.Alias]] = {}
    current: Scope | None = scope
    while current is not None:
        if isinstance(current.expression, exp.Select):
            for projection in current.expression.expressions:
                if isinstance(projection, exp.Alias):
                    found.setdefault(projection.alias.lower(), []).append(projection)
        current = current.parent
    return found


def _own_columns(select: exp.Select) -> list[exp.Column]:
    """The columns of a SELECT outside its subqueries and ORDER BY (scope.columns leaves out
    those of HAVING that name an alias, as some dialects resolve them)."""
    found = []
    for node in select.walk(prune=lambda n: n is not select and isinstance(n, exp.Query | exp.Order)):
        if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
            found.append(node)
    return found


def _within(node: exp.Expr, ancestor: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _lambda_parameter(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.Lambda) and column.name.lower() in {
            e.name.lower() for e in parent.expressions
        }:
            return True
        parent = parent.parent
    return False


def _visible_columns(scope: Scope) -> set[str] | None:
    """The columns of the scope's sources and of its enclosing scopes' (a correlated subquery
    sees those), or None when a source's columns cannot be told."""
    names: set[str] = set()
    current: Scope | None = scope
    while current is not None:
        for _name, (node, source) in current.selected_sources.items():
            columns = _source_columns(node, source)
            if columns is None:
                return None
            names |= columns
        current = current.parent
    return names


def _source_columns(
    node: exp.Expr, source: object, seen: dict[int, set[str] | None] | None = None
) -> set[str] | None:
    alias = node.args.get("alias") if isinstance(node, exp.Expr) else None
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return {c.name.lower() for c in alias.columns}
    if isinstance(source, exp.Table):
        return set(schema.COLUMN_NAMES) if source.name.lower() in TRAIL_TABLES else None
    if isinstance(source, Scope):
        if seen is None:
            seen = {}
        if id(source) not in seen:
            seen[id(source)] = _scope_columns(source, seen)
        return seen[id(source)]
    return None


def _scope_columns(scope: Scope, seen: dict[int, set[str] | None] | None = None) -> set[str] | None:
    """The names of a scope's columns, or None when they cannot be told. `seen` holds the scopes'
    answered within one call: a chain of WITH queries each reading the one before twice (a JOIN of
    it with itself) was otherwise read 2^n times over."""
    expression = scope.expression
    if isinstance(expression, exp.SetOperation):
        expression = expression.left
        while isinstance(expression, exp.SetOperation):
            expression = expression.left
    if isinstance(expression, exp.Subquery):
        expression = expression.unnest()
    if not isinstance(expression, exp.Select):
        return None
    names: set[str] = set()
    for projection in expression.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            inner = scope if expression is scope.expression else None
            if inner is None:
                return None
            for _name, (node, source) in inner.selected_sources.items():
                columns = _source_columns(node, source, seen)
                if columns is None:
                    return None
                names |= columns
        else:
            names.add(projection.alias_or_name.lower())
    return names


# -- numeric types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Numeric:
    """A Trino numeric type: kind "integer" (with its decimal precision: 3 tinyint, 5 smallint,
    10 integer, 19 bigint), "decimal" (precision, scale) or "double" (double or real); or one of
    the other types told apart: "ipaddress", "date", "timestamp" and "timestamp with time zone"
    (with their precision, the digits of the second's fraction), and the two interval types."""

    kind: str
    precision: int = 0
    scale: int = 0

    def as_decimal(self) -> Numeric:
        return self if self.kind == "decimal" else Numeric("decimal", self.precision, 0)


INTEGER = Numeric("integer", 10)
BIGINT = Numeric("integer", 19)
DOUBLE = Numeric("double")
MAX_PRECISION = 38
#: Not a number (a string, a timestamp, a boolean ...), as far as `/` and `%` are concerned.
OTHER = Numeric("other")
#: A type that cannot be told from the SQL alone.
UNKNOWN = Numeric("unknown")
#: The NULL literal (or a missing ELSE): takes the type of the other branches.
NULL = Numeric("null")
#: Trino's IPADDRESS (not a number: as OTHER for `/` and `%`).
IPADDRESS = Numeric("ipaddress")
_NUMBERS = frozenset({"integer", "decimal", "double"})
DATE = Numeric("date")
TIMESTAMP = "timestamp"
TIMESTAMP_TZ = "timestamp with time zone"
_TIMESTAMPS = frozenset({TIMESTAMP, TIMESTAMP_TZ})
#: INTERVAL ... YEAR or MONTH, and INTERVAL ... DAY, HOUR, MINUTE or SECOND.
YEAR_TO_MONTH = Numeric("interval year to month")
DAY_TO_SECOND = Numeric("interval day to second")
#: What Trino's timestamp functions return (precision 3, the millisecond).
_TIMESTAMP_FUNCTIONS = (exp.Localtimestamp,)
_TIMESTAMP_TZ_FUNCTIONS = (exp.UnixToTime, exp.FromISO8601Timestamp, exp.CurrentTimestamp, exp.ParseDatetime)
#: Functions that return a timestamp (with time zone) of their first argument's precision.
_ZONED_NAMES = frozenset({"at_timezone", "with_timezone"})


def timestamp(precision: int, zoned: bool = False) -> Numeric:
    """Trino's timestamp(p) [with time zone]."""
    return Numeric(TIMESTAMP_TZ if zoned else TIMESTAMP, precision)


def is_timestamp(numeric: Numeric) -> bool:
    return numeric.kind in _TIMESTAMPS


_INTEGER_WIDTHS = {
    exp.DataType.Type.TINYINT: 3,
    exp.DataType.Type.SMALLINT: 5,
    exp.DataType.Type.INT: 10,
    exp.DataType.Type.BIGINT: 19,
}
_FLOATING = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT}
#: Functions that return bigint in Trino.
_BIGINT_FUNCTIONS = (
    exp.Count,
    exp.CountIf,
    exp.ApproxDistinct,
    exp.Length,
    exp.StrPosition,
    exp.ArraySize,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.DayOfWeekIso,
    exp.DayOfYear,
    exp.WeekOfYear,
    exp.Quarter,
    exp.DateDiff,
    exp.RowNumber,
)
_BIGINT_NAMES = frozenset(
    {"json_array_length", "json_size", "rank", "dense_rank", "ntile", "millisecond", "day_of_month"}
)
#: Functions that return double in Trino.
_DOUBLE_FUNCTIONS = (exp.TimeToUnix, exp.Sqrt, exp.Ln, exp.Pow, exp.Stddev, exp.Rand, exp.ApproxQuantile)
_DOUBLE_NAMES = frozenset({"percent_rank", "cume_dist", "log10", "log2", "exp", "stddev_samp", "variance"})
#: Functions whose type is their first argument's.
_SAME_AS_ARGUMENT = (
    exp.Abs,
    exp.Max,
    exp.Min,
    exp.AnyValue,
    exp.ArgMax,
    exp.ArgMin,
    exp.Paren,
    exp.Neg,
    # window functions giving a row's value
    exp.Lag,
    exp.Lead,
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
)


class Types:
    """The Trino numeric types of a tree's expressions, with columns resolved through its scopes."""

    def __init__(self, tree: exp.Expr) -> None:
        try:
            scopes = traverse_scope(tree)
        except Exception:
            scopes = []
        self._scopes = {id(s.expression): s for s in scopes}
        self._seen: dict[int, Numeric] = {}

    def of(self, node: exp.Expr | None) -> Numeric:
        if node is None:
            return NULL
        key = id(node)
        if key not in self._seen:
            self._seen[key] = UNKNOWN  # a cycle (a recursive CTE) stays unknown
            self._seen[key] = self._infer(node)
        return self._seen[key]

    def _infer(self, node: exp.Expr) -> Numeric:
        if isinstance(node, exp.Literal):
            return literal_type(node)
        if isinstance(node, exp.Null):
            return NULL
        if isinstance(node, exp.Boolean):
            return OTHER
        if isinstance(node, exp.Cast):  # and TryCast
            return data_type(node.to)
        if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
            return arithmetic(node, self.of(node.left), self.of(node.right))
        if isinstance(node, exp.Alias):
            return self.of(node.this)
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Window):
            return self.of(node.this)
        if isinstance(node, exp.Subquery):
            inner = node.unnest()
            if isinstance(inner, exp.Select) and len(inner.expressions) == 1:
                return self.of(inner.expressions[0])
            return UNKNOWN
        if isinstance(node, _BIGINT_FUNCTIONS) or (
            isinstance(node, exp.Anonymous) and node.name.lower() in _BIGINT_NAMES
        ):
            return BIGINT
        if isinstance(node, _DOUBLE_FUNCTIONS) or (
            isinstance(node, exp.Anonymous) and node.name.lower() in _DOUBLE_NAMES
        ):
            return DOUBLE
        if isinstance(node, exp.Sum):
            summed = self.of(node.this)
            if summed.kind == "integer":
                return BIGINT
            return Numeric("decimal", MAX_PRECISION, summed.scale) if summed.kind == "decimal" else summed
        if isinstance(node, exp.Avg):
            averaged = self.of(node.this)
            return DOUBLE if averaged.kind == "integer" else averaged
        if isinstance(node, exp.Round):
            return _round(self.of(node.this), node.args.get("decimals") is not None)
        if isinstance(node, exp.Ceil | exp.Floor):
            return _round(self.of(node.this), False)
        if isinstance(node, _SAME_AS_ARGUMENT):
            return self.of(node.this)
        if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
            return common([self.of(node.this), *(self.of(e) for e in node.expressions)])
        if isinstance(node, exp.Nullif | exp.Try):
            return self.of(node.this)
        if isinstance(node, exp.If):
            return common([self.of(node.args.get("true")), self.of(node.args.get("false"))])
        if isinstance(node, exp.Case):
            branches = [self.of(i.args.get("true")) for i in node.args.get("ifs", [])]
            return common([*branches, self.of(node.args.get("default"))])
        if isinstance(node, exp.Predicate | exp.Connector | exp.Not | exp.DPipe | exp.Lower | exp.Upper):
            return OTHER
        return self._temporal(node)

    def _temporal(self, node: exp.Expr) -> Numeric:
        """The type of a date, timestamp or interval expression (UNKNOWN for anything else)."""
        if isinstance(node, exp.Interval):
            unit = node.args.get("unit")
            name = unit.name.upper() if isinstance(unit, exp.Var) else ""
            if name in ("YEAR", "MONTH"):
                return YEAR_TO_MONTH
            return DAY_TO_SECOND if name in ("DAY", "HOUR", "MINUTE", "SECOND") else UNKNOWN
        if isinstance(node, exp.DateAdd | exp.TimestampTrunc | exp.DateTrunc):
            operand = self.of(node.this)
            return operand if is_timestamp(operand) or operand == DATE else UNKNOWN
        if isinstance(node, _TIMESTAMP_FUNCTIONS):
            return timestamp(3)
        if isinstance(node, _TIMESTAMP_TZ_FUNCTIONS):
            return timestamp(3, zoned=True)
        if isinstance(node, exp.FromISO8601TimestampNanos):
            return timestamp(9, zoned=True)
        if isinstance(node, exp.CurrentDate | exp.Date | exp.LastDay | exp.FromISO8601Date):
            return DATE
        if isinstance(node, exp.AtTimeZone):
            operand = self.of(node.this)
            return timestamp(operand.precision, zoned=True) if is_timestamp(operand) else UNKNOWN
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name == "date_parse":
                return timestamp(3)
            if name in _ZONED_NAMES and node.expressions:
                operand = self.of(node.expressions[0])
                return timestamp(operand.precision, zoned=True) if is_timestamp(operand) else UNKNOWN
        return UNKNOWN

    def _column(self, column: exp.Column) -> Numeric:
        scope = self._scope_of(column)
        if scope is None:
            return UNKNOWN
        name = column.name.lower()
        candidates = []
        for source_name, (node, source) in scope.selected_sources.items():
            if column.table:
                if source_name.lower() == column.table.lower():
                    candidates.append((node, source))
            else:
                columns = _source_columns(node, source)
                if columns is None:
                    return UNKNOWN
                if name in columns:
                    candidates.append((node, source))
        if column.table and not candidates:
            # `useridentity.arn`: a field of one of trail's structs, never a number
            return OTHER if column.table.lower() in schema.COLUMN_NAMES else UNKNOWN
        if len(candidates) != 1:
            return UNKNOWN
        node, source = candidates[0]
        if isinstance(node, exp.Values):
            return self._values(node, name)
        if isinstance(source, exp.Table):
            return OTHER if source.name.lower() in TRAIL_TABLES else UNKNOWN
        if isinstance(source, Scope):
            return self._output(source, name)
        return UNKNOWN

    def _values(self, values: exp.Values, name: str) -> Numeric:
        alias = values.args.get("alias")
        names = [c.name.lower() for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        if name not in names:
            return UNKNOWN
        at = names.index(name)
        cells = []
        for row in values.expressions:
            items = row.expressions if isinstance(row, exp.Tuple) else [row]
            if at >= len(items):
                return UNKNOWN
            cells.append(self.of(items[at]))
        return common(cells)

    def _output(self, scope: Scope, name: str) -> Numeric:
        """The type of a subquery's column: of a UNION's, its branches' common type (Trino's)."""
        branches: list[exp.Expr] = []
        pending: list[exp.Expr] = [scope.expression]
        while pending:
            expression = pending.pop()
            if isinstance(expression, exp.Subquery):
                pending.append(expression.unnest())
            elif isinstance(expression, exp.SetOperation):
                pending += [expression.right, expression.left]
            else:
                branches.append(expression)
        first = branches[0]
        if not isinstance(first, exp.Select):
            return UNKNOWN
        for at, projection in enumerate(first.expressions):
            if projection.alias_or_name.lower() == name and not isinstance(projection, exp.Star):
                if len(branches) == 1:
                    return self.of(projection)
                cells = []
                for branch in branches:
                    if not isinstance(branch, exp.Select) or at >= len(branch.expressions):
                        return UNKNOWN
                    cells.append(self.of(branch.expressions[at]))
                return common(cells)
        return UNKNOWN

    def _scope_of(self, node: exp.Expr) -> Scope | None:
        parent = node.parent
        while parent is not None:
            if id(parent) in self._scopes and isinstance(parent, exp.Select):
                return self._scopes[id(parent)]
            parent = parent.parent
        return None


def literal_type(node: exp.Literal) -> Numeric:
    if not node.is_number:
        return OTHER
    text = node.name.lower()
    if "e" in text:
        return DOUBLE
    if "." not in text:
        return INTEGER if abs(int(text)) <= 2**31 - 1 else BIGINT
    whole, fraction = text.lstrip("-").split(".", 1)
    whole = whole.lstrip("0")
    return Numeric("decimal", max(len(whole) + len(fraction), 1), len(fraction))


def data_type(to: exp.DataType) -> Numeric:
    kind = to.this
    if kind == exp.DataType.Type.IPADDRESS:
        return IPADDRESS
    if kind == exp.DataType.Type.DATE:
        return DATE
    if kind in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.TIMESTAMPTZ):
        params = [int(p.name) for p in to.expressions if p.name.isdigit()]
        return timestamp(params[0] if params else 3, zoned=kind == exp.DataType.Type.TIMESTAMPTZ)
    if kind in _INTEGER_WIDTHS:
        return Numeric("integer", _INTEGER_WIDTHS[kind])
    if kind in _FLOATING:
        return DOUBLE
    if kind == exp.DataType.Type.DECIMAL:
        params = [int(p.name) for p in to.expressions if p.name.isdigit()]
        precision = params[0] if params else MAX_PRECISION
        return Numeric("decimal", precision, params[1] if len(params) > 1 else 0)
    return OTHER


def arithmetic(node: exp.Expr, left: Numeric, right: Numeric) -> Numeric:
    """Trino's result type of `left op right` (its documented decimal precision and scale rules)."""
    if NULL in (left, right):
        return UNKNOWN
    if UNKNOWN in (left, right):
        return UNKNOWN
    if isinstance(node, exp.Add | exp.Sub):
        swap = isinstance(node, exp.Add) and (is_timestamp(right) or right == DATE)
        moment, interval = (right, left) if swap else (left, right)
        if is_timestamp(moment) and interval in (YEAR_TO_MONTH, DAY_TO_SECOND):
            # a timestamp plus a day-to-second interval has milliseconds at least
            digits = max(moment.precision, 3) if interval == DAY_TO_SECOND else moment.precision
            return Numeric(moment.kind, digits)
        if moment == DATE and interval in (YEAR_TO_MONTH, DAY_TO_SECOND):
            return DATE  # (days only: Trino's error for hours, minutes or seconds)
        if isinstance(node, exp.Sub) and (
            (is_timestamp(left) and is_timestamp(right)) or left == right == DATE
        ):
            return DAY_TO_SECOND
        if left == right and left in (YEAR_TO_MONTH, DAY_TO_SECOND):
            return left
    if isinstance(node, exp.Mul) and {left, right} & {YEAR_TO_MONTH, DAY_TO_SECOND}:
        interval, number = (left, right) if left in (YEAR_TO_MONTH, DAY_TO_SECOND) else (right, left)
        return interval if number.kind == "integer" else UNKNOWN
    if left.kind not in _NUMBERS or right.kind not in _NUMBERS:
        return OTHER
    if "double" in (left.kind, right.kind):
        return DOUBLE
    if left.kind == right.kind == "integer":
        return left if left.precision >= right.precision else right
    a, b = left.as_decimal(), right.as_decimal()
    p1, s1, p2, s2 = a.precision, a.scale, b.precision, b.scale
    if isinstance(node, exp.Add | exp.Sub):
        scale = max(s1, s2)
        precision = max(p1 - s1, p2 - s2) + scale + 1
    elif isinstance(node, exp.Mul):
        scale, precision = s1 + s2, p1 + p2
    elif isinstance(node, exp.Div):
        scale, precision = max(s1, s2), p1 + s2 + max(0, s2 - s1)
    else:  # Mod
        scale = max(s1, s2)
        precision = min(p1 - s1, p2 - s2) + scale
    return Numeric("decimal", min(precision, MAX_PRECISION), scale)


def common(types: list[Numeric]) -> Numeric:
    """The type Trino gives CASE / COALESCE branches of these types (NULLs aside)."""
    known = [t for t in types if t is not NULL]
    if UNKNOWN in known or not known:
        return UNKNOWN
    if all(t is IPADDRESS for t in known):
        return IPADDRESS
    if all(is_timestamp(t) for t in known):  # of the largest precision (with a zone if one has it)
        zoned = any(t.kind == TIMESTAMP_TZ for t in known)
        return timestamp(max(t.precision for t in known), zoned)
    if all(t == DATE for t in known):
        return DATE
    if any(t.kind not in _NUMBERS for t in known):
        return OTHER
    if any(t.kind == "double" for t in known):
        return DOUBLE
    if all(t.kind == "integer" for t in known):
        return max(known, key=lambda t: t.precision)
    decimals = [t.as_decimal() for t in known]
    scale = max(t.scale for t in decimals)
    whole = max(t.precision - t.scale for t in decimals)
    return Numeric("decimal", min(whole + scale, MAX_PRECISION), scale)


def _round(inner: Numeric, with_digits: bool) -> Numeric:
    if inner.kind != "decimal":
        return inner
    if with_digits:  # round(decimal(p, s), n): decimal(p + 1, s)
        return Numeric("decimal", min(inner.precision + 1, MAX_PRECISION), inner.scale)
    # round / ceil / floor of decimal(p, s): decimal(p - s + min(s, 1), 0)
    return Numeric("decimal", inner.precision - inner.scale + min(inner.scale, 1), 0)


# -- JSON paths ---------------------------------------------------------------------------------


def json_path_tokens(path: str) -> list[str]:
    """The keys (or indexes) of a Trino JSON path (`$.a.b[0]`, `$["x-amz-copy-source"]`), as
    Trino's tokenizer reads it; a path Trino refuses is a UsageError with Trino's message."""
    invalid = UsageError(
        f"Invalid JSON path: '{path}'",
        'Athena\'s paths are $.key, $["any key"] and $.key[0]; a key with - or a space needs $["..."]',
    )
    if not path.startswith("$"):
        raise invalid
    tokens: list[str] = []
    at = 1
    while at < len(path):
        char = path[at]
        if char == ".":
            start = at = at + 1
            while at < len(path) and (path[at] == ":" or _unquoted(path[at])):
                at += 1
            if at == start:
                raise invalid
            tokens.append(path[start:at])
        elif char == "[":
            at += 1
            if at < len(path) and path[at] == '"':
                at += 1
                token: list[str] = []
                while at < len(path) and path[at] != '"':
                    if path[at] == "\\":
                        at += 1
                        if at >= len(path) or path[at] not in '"\\':
                            raise invalid
                    token.append(path[at])
                    at += 1
                if at >= len(path):
                    raise invalid
                at += 1  # the closing quote
                tokens.append("".join(token))
            else:
                start = at
                while at < len(path) and _unquoted(path[at]):
                    at += 1
                if at == start:
                    raise invalid
                tokens.append(path[start:at])
            if at >= len(path) or path[at] != "]":
                raise invalid
            at += 1
        else:
            raise invalid
    return tokens


def _unquoted(char: str) -> bool:
    return char == "_" or char.isalnum()


#: Paths with more number-like keys than this are refused (each is tried as index and as key).
MAX_AMBIGUOUS_KEYS = 3


def duckdb_json_paths(tokens: list[str]) -> list[str]:
    """DuckDB paths that together read what the Trino path reads. A key of digits reads an array
    item in an array and a member in an object (Trino's tokens are text): one path a reading."""
    paths = ["$"]
    ambiguous = 0
    for token in tokens:
        if token.isascii() and token.isidentifier():
            key = "." + token
        else:
            key = '."' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if token.isascii() and token.isdigit():
            ambiguous += 1
            if ambiguous > MAX_AMBIGUOUS_KEYS:
                raise UsageError(
                    f"a JSON path with more than {MAX_AMBIGUOUS_KEYS} number keys is not run locally",
                    "run it on Athena (--engine athena)",
                )
            paths = [p + step for p in paths for step in (f"[{int(token)}]", key)]
        else:
            paths = [p + key for p in paths]
    return paths


# -- ISO 8601 -------------------------------------------------------------------------------------

#: The ISO 8601 forms the local engine reads as Trino does: a date, or a date and time to the
#: second with an optional fraction, in UTC (Z, +00:00, +0000, +00) or with no zone (the
#: session's, UTC). Trino reads more (week dates, reduced precision, other offsets): refused.
ISO8601_UTC = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?([Zz]|[+-]00(:?00)?)?)?$"
)
#: What Trino reads that the local engine does not: refused with a hint, not given a wrong answer.
ISO8601_TRINO = (
    r"^[+-]?[0-9]{4}(-[0-9]{2}(-[0-9]{2}([Tt][0-9]{2}(:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?)?|-W[0-9]{2}(-[0-9])?|-[0-9]{3})?$"
)


# -- UNNEST ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    """What the items of an array (or the entries of a map) are in Trino, as UNNEST reads them:
    "row" (one column per field: `fields`, their names, '' where a ROW(...) leaves them unnamed;
    a map's entries are rows of `key` and `value`, with `map` set), "value" (one column), or
    "unknown" (not told from the SQL)."""

    kind: str
    fields: tuple[str, ...] = ()
    map: bool = False


VALUE = Element("value")
UNKNOWN_ITEMS = Element("unknown")

#: Functions whose arrays hold what their first argument's array holds.
_SAME_ITEMS = (exp.ArrayFilter, exp.ArraySlice, exp.ArrayDistinct, exp.ArrayReverse, exp.ArraySort)
#: Expressions that give arrays of values that are no rows.
_VALUE_ARRAYS = (exp.Split, exp.RegexpExtractAll, exp.GenerateSeries, exp.StringToArray)
#: Expressions whose value is no row.
_NO_ROWS = (
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Binary,
    exp.JSONExtract,
    exp.JSONExtractScalar,
    exp.ParseJSON,
    exp.Lower,
    exp.Upper,
    exp.Concat,
    exp.Substring,
    exp.Trim,
    exp.Length,
    exp.Count,
)


#: What builds a map in the SQL (UNNEST reads its entries, as rows of key and value).
_MAPS = (exp.Map, exp.VarMap, exp.MapFromEntries)
_MAP_FUNCTIONS = frozenset(
    {"map_agg", "map_concat", "map_filter", "transform_keys", "transform_values", "histogram", "multimap_agg"}
)


def _items_of_type(kind: exp.DataType) -> Element:
    """What UNNEST reads from a value of this type: an array's items or a map's entries."""
    if kind.this == exp.DataType.Type.MAP:
        return Element("row", ("key", "value"), map=True)
    if kind.this != exp.DataType.Type.ARRAY or not kind.expressions:
        return UNKNOWN_ITEMS
    return _value_of_type(kind.expressions[0])


def _value_of_type(kind: exp.Expr) -> Element:
    if isinstance(kind, exp.DataType) and kind.this == exp.DataType.Type.STRUCT:
        return Element("row", tuple(_field_name(f) for f in kind.expressions))
    return VALUE if isinstance(kind, exp.DataType) else UNKNOWN_ITEMS


def _field_name(field: exp.Expr) -> str:
    return field.name.lower() if isinstance(field, exp.ColumnDef) else ""


def _branches(node: exp.Coalesce | exp.Case | exp.If) -> list[exp.Expr]:
    """The values a COALESCE, CASE or IF may give (all of one type in Trino), NULLs left out."""
    if isinstance(node, exp.Coalesce):
        found = [node.this, *node.expressions]
    elif isinstance(node, exp.Case):
        found = [i.args.get("true") for i in node.args.get("ifs", [])] + [node.args.get("default")]
    else:
        found = [node.args.get("true"), node.args.get("false")]
    return [e for e in found if e is not None and not isinstance(e, exp.Null)]


def _trail_field(path: list[str]) -> schema.Field | None:
    """The field of `trail` at a lowercase column path (`useridentity.sessioncontext`), if any."""
    if len(path) == 1 and path[0] in schema.PARTITION_COLUMNS:
        return schema.Field(path[0], path[0])
    return _member(schema.BY_NAME.get(path[0]), path[1:])


def _member(field: schema.Field | None, path: list[str]) -> schema.Field | None:
    """The member of a struct field at a lowercase path (the field itself for an empty path)."""
    for part in path:
        if field is None or field.kind != "struct":
            return None
        field = next((f for f in field.fields if f.name == part), None)
    return field


def _items_of_field(field: schema.Field) -> Element:
    if field.kind == "array":
        return Element("row", tuple(f.name for f in field.fields))
    if field.kind == "map":
        return Element("row", ("key", "value"), map=True)
    return VALUE  # not an array: Trino refuses to UNNEST it, and so does DuckDB


class Items(Types):
    """What the arrays of a tree's UNNESTs hold (`items`), with columns resolved through its
    scopes to `trail`'s schema."""

    def items(self, node: exp.Expr) -> Element:
        """What UNNEST reads from the array (or map) `node`."""
        if isinstance(node, exp.Array):
            return self.value(node.expressions[0]) if node.expressions else UNKNOWN_ITEMS
        if isinstance(node, exp.Cast):  # and TryCast
            return _items_of_type(node.to)
        if isinstance(node, exp.Try | exp.Paren):
            return self.items(node.this)
        if isinstance(node, exp.Coalesce | exp.Case | exp.If):
            found = [self.items(e) for e in _branches(node)]
            return next((e for e in found if e.kind != "unknown"), UNKNOWN_ITEMS)
        if isinstance(node, _SAME_ITEMS):
            return self.items(node.this)
        if isinstance(node, exp.Transform) and isinstance(node.expression, exp.Lambda):
            return self.value(node.expression.this)
        if isinstance(node, _VALUE_ARRAYS):
            return VALUE
        if isinstance(node, exp.Column):
            resolved = self._resolve(node)
            if isinstance(resolved, schema.Field):
                return _items_of_field(resolved)
            return self.items(resolved) if isinstance(resolved, exp.Expr) else UNKNOWN_ITEMS
        return UNKNOWN_ITEMS

    def unnested(self, node: exp.Expr) -> Element:
        """What UNNEST reads from `node`: `items`, and the entries of a map built in the SQL (as
        rows of key and value)."""
        if isinstance(node, _MAPS) or (
            isinstance(node, exp.Anonymous) and node.name.lower() in _MAP_FUNCTIONS
        ):
            return Element("row", ("key", "value"), map=True)
        return self.items(node)

    def value(self, node: exp.Expr) -> Element:
        """Whether one value is a row (and its fields) or not."""
        if isinstance(node, exp.Struct | exp.Tuple):
            if all(isinstance(e, exp.PropertyEQ | exp.Alias) for e in node.expressions):
                return Element("row", tuple(e.alias_or_name.lower() for e in node.expressions))
            return Element("row", ("",) * len(node.expressions))
        if isinstance(node, exp.Cast):
            return _value_of_type(node.to)
        if isinstance(node, exp.Try | exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.Coalesce | exp.Case | exp.If):
            found = [self.value(e) for e in _branches(node)]
            return next((e for e in found if e.kind != "unknown"), UNKNOWN_ITEMS)
        if isinstance(node, exp.Column):
            resolved = self._resolve(node)
            if isinstance(resolved, schema.Field):
                return (
                    Element("row", tuple(f.name for f in resolved.fields))
                    if resolved.kind == "struct"
                    else VALUE
                )
            return self.value(resolved) if isinstance(resolved, exp.Expr) else UNKNOWN_ITEMS
        if isinstance(node, _NO_ROWS) and not isinstance(node, exp.Dot):
            return VALUE
        return UNKNOWN_ITEMS

    def varchar(self, node: exp.Expr) -> str | None:
        """Trino's varchar type of a value the SQL tells is text (`varchar(3)` for 'abc',
        `varchar` for a CAST to it or a string column of `trail`), else None."""
        if isinstance(node, exp.Literal):
            return f"varchar({len(node.name)})" if node.is_string else None
        if isinstance(node, exp.Cast):  # and TryCast
            if node.to.this not in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
                return None
            size = node.to.expressions[0] if node.to.expressions else None
            inner = size.this if isinstance(size, exp.DataTypeParam) else size
            if inner is None:
                return "varchar"
            return f"varchar({inner.name})" if isinstance(inner, exp.Literal) and inner.is_int else None
        if isinstance(node, exp.Paren):
            return self.varchar(node.this)
        if isinstance(node, exp.Column):
            resolved = self._resolve(node)
            if isinstance(resolved, schema.Field):
                return "varchar" if resolved.kind in ("string", "json") else None
            return self.varchar(resolved) if isinstance(resolved, exp.Expr) else None
        return None

    def may_be_a_map(self, node: exp.Expr) -> bool:
        """Whether a value may be (or hold) a map, as far as the SQL tells."""
        if self.varchar(node) is not None or isinstance(node, exp.Literal | exp.Boolean | exp.Null):
            return False
        if isinstance(node, exp.Cast):
            return any(
                isinstance(t, exp.DataType) and t.this == exp.DataType.Type.MAP for t in node.to.walk()
            )
        if isinstance(node, exp.Paren):
            return self.may_be_a_map(node.this)
        return True

    def named(self, column: exp.Column) -> schema.Field | exp.Expr | None:
        """What a column names: a field of `trail`, a subquery's select item, or None (not told)."""
        return self._resolve(column)

    def _resolve(self, column: exp.Column) -> schema.Field | exp.Expr | None:
        """What a column names: a field of `trail`, a subquery's select item, or None (not told)."""
        if _names_an_output_alias(column):
            return None  # (Trino reads a name in ORDER BY as the select item's alias first)
        scope = self._scope_of(column)
        parts = [p.name.lower() for p in column.parts]
        return self._resolve_in(scope, parts, 0) if scope is not None else None

    def _resolve_in(self, scope: Scope, parts: list[str], depth: int) -> schema.Field | exp.Expr | None:
        if depth > 32:  # (a query's scopes nest far less deep)
            return None
        sources = {name.lower(): pair for name, pair in scope.selected_sources.items()}
        if len(parts) > 1 and parts[0] in sources:
            chosen, path = [sources[parts[0]]], parts[1:]
        else:
            path, chosen = parts, []
            for node, source in sources.values():
                columns = _source_columns(node, source)
                if columns is None and isinstance(node, exp.Unnest):
                    continue  # its columns are its rows' fields: not the array another UNNEST reads
                if columns is None:
                    return None
                if path[0] in columns:
                    chosen.append((node, source))
        if len(chosen) != 1:
            return None
        node, source = chosen[0]
        alias = node.args.get("alias") if isinstance(node, exp.Expr) else None
        if isinstance(alias, exp.TableAlias) and alias.columns:
            return None  # columns renamed by the alias: not followed
        if isinstance(source, exp.Table):
            return _trail_field(path) if source.name.lower() in TRAIL_TABLES else None
        if not isinstance(source, Scope):
            return None
        expression = source.expression
        while isinstance(expression, exp.SetOperation):
            expression = expression.left
        if not isinstance(expression, exp.Select):
            return None
        for projection in expression.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                found = self._resolve_in(source, path, depth + 1)
                if found is not None:
                    return found
            elif projection.alias_or_name.lower() == path[0]:
                inner: exp.Expr = projection.this if isinstance(projection, exp.Alias) else projection
                if len(path) == 1:
                    return inner
                field = self._resolve(inner) if isinstance(inner, exp.Column) else None
                return _member(field, path[1:]) if isinstance(field, schema.Field) else None
        return None


def _names_an_output_alias(column: exp.Column) -> bool:
    """Whether a one-part column name in a query's ORDER BY (not a window's) names one of that
    query's select item aliases, which Trino reads it as before the FROM clause's columns."""
    if len(column.parts) != 1:
        return False
    node: exp.Expr | None = column.parent
    while node is not None and not isinstance(node, exp.Order | exp.Window | exp.Query | exp.Subquery):
        node = node.parent
    if not isinstance(node, exp.Order) or not isinstance(node.parent, exp.Select):
        return False
    aliases = {p.alias.lower() for p in node.parent.expressions if isinstance(p, exp.Alias)}
    return column.name.lower() in aliases
