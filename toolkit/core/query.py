"""A query over `trail`: parsed Athena SQL, checked read-only, scoped by a window and criteria.

`TrailQuery.parse(sql)` refuses anything but one SELECT/WITH statement reading `trail` (and its
own WITH names). `bind(source)` gives the tree an engine runs: `trail` becomes a leading CTE that
selects from the engine's source with the window's `eventtime` bounds and the criteria applied,
so every query - ad hoc, search or template - is multi-criteria and time-bounded the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from toolkit.core import schema, semantics
from toolkit.core.criteria import Criteria
from toolkit.core.window import Window
from toolkit.errors import UsageError

TRAIL = "trail"


@dataclass
class TrailQuery:
    ast: exp.Query
    window: Window
    criteria: Criteria = field(default_factory=Criteria)

    @classmethod
    def parse(cls, sql: str, window: Window, criteria: Criteria | None = None) -> TrailQuery:
        return cls(parse_select(sql), window, criteria or Criteria())

    def scope_condition(self) -> exp.Expr | None:
        """The window's exact `eventtime` bounds ANDed with the criteria."""
        parts: list[exp.Expr] = []
        start, end = self.window.eventtime_bounds()
        if start:
            parts.append(exp.GTE(this=exp.column("eventtime"), expression=exp.Literal.string(start)))
        if end:
            parts.append(exp.LT(this=exp.column("eventtime"), expression=exp.Literal.string(end)))
        condition = self.criteria.condition()
        if condition is not None:
            parts.append(condition)
        return exp.and_(*parts, copy=False) if parts else None

    def columns_needed(self) -> list[str]:
        """The `trail` columns the query, window and criteria can touch (all of them for a `*`).

        A superset is harmless; engines that can read fewer columns (DuckDB's JSON reader) use
        it to skip parsing the rest.
        """
        trees: list[exp.Expr] = [self.ast]
        condition = self.scope_condition()
        if condition is not None:
            trees.append(condition)
        names: set[str] = set()
        for tree in trees:
            if any(not isinstance(star.parent, exp.Func) for star in tree.find_all(exp.Star)):
                return list(schema.COLUMN_NAMES)  # SELECT * or t.*; count(*) needs no column
            names.update(i.name.lower() for i in tree.find_all(exp.Identifier))
        return [c for c in schema.COLUMN_NAMES if c in names]

    def bind(self, source: exp.Expr, partitions: exp.Expr | None = None) -> exp.Query:
        """The query with `trail` defined as a CTE over `source`, restricted to the scope.

        `partitions` (an engine's partition predicates, e.g. Athena's `day` range) comes first.
        """
        inner = exp.select("*").from_(source.copy())
        condition = self.scope_condition()
        if partitions is not None:
            condition = partitions if condition is None else exp.and_(partitions, condition, copy=False)
        if condition is not None:
            inner = inner.where(condition)
        tree = self.ast.copy()
        cte = exp.CTE(this=inner, alias=exp.TableAlias(this=exp.to_identifier(TRAIL)))
        existing = tree.args.get("with_")
        if existing is None:
            tree.set("with_", exp.With(expressions=[cte]))
        else:
            existing.set("expressions", [cte, *existing.expressions])
        return tree


#: How the local engine's rewritten SQL names columns of its own (an anonymous VALUES column, an
#: UNNEST's ordinality): a query naming one could read or shadow them.
LOCAL_NAMES = "_trailcsi_"
#: Names the engines give their own relations; a query's WITH may not define them.
RESERVED_NAMES = frozenset({TRAIL, "trail_source", "trail_pinned"})
#: Functions that read the engine's settings, environment, catalog or files, or run SQL of their
#: own: never in a query.
_REFUSED_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getenv",
        "getvariable",
        "current_database",
        "current_schema",
        "current_schemas",
        "json_serialize_sql",
        "json_deserialize_sql",
        "json_serialize_plan",
        "which_secret",
    }
)
_REFUSED_PREFIXES = (
    "duckdb_",
    "pragma_",
    "read_",
    "glob",
    "parquet_",
    "sniff_",
    "query",
    "iceberg_",
    "delta_",
    "json_execute",
    "sql_",
)
#: What a FROM or JOIN may hold: a table name, a subquery, UNNEST, VALUES or LATERAL (itself a
#: subquery or UNNEST), never a function: a table function reads what it likes.
_RELATIONS = (exp.Table, exp.Subquery, exp.Unnest, exp.Lateral, exp.Values)
#: Deeper than this, a query is refused before any recursive pass over its tree.
MAX_DEPTH = 200


def parse_select(sql: str) -> exp.Query:
    """Parse one read-only Athena statement reading only `trail`; anything else is a UsageError.

    Table references are resolved with scope: a WITH name counts only inside the scope that
    defines it (and the scopes within), so a CTE in a subquery cannot make an outer reference
    to the same name pass as anything but a table. The only base relation is `trail`.

    A text parsed before is not parsed again: its tree (checked) is kept, and each caller gets a
    copy of its own (a template is parsed when the catalog is loaded and at each render; copying
    its tree costs a sixth of parsing it).
    """
    return _checked_tree(sql).copy()


@functools.lru_cache(maxsize=256)
def _checked_tree(sql: str) -> exp.Query:
    """`parse_select`'s tree of `sql`, parsed and checked once (an error is raised each time)."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=semantics.AthenaSQL) if s is not None]
    except ParseError as error:
        first = str(error).splitlines()[0] if str(error) else "syntax error"
        raise UsageError(f"the SQL does not parse as Athena SQL: {first}", "check the statement") from None
    except RecursionError:
        raise _too_deep() from None
    if len(statements) != 1:
        raise UsageError(
            f"expected one SQL statement, got {len(statements)}",
            "run statements one at a time",
        )
    tree = statements[0]
    if _depth(tree) > MAX_DEPTH:
        raise _too_deep()
    if not isinstance(tree, exp.Query) or tree.find(exp.Into) is not None:
        kind = tree.key.upper()
        raise UsageError(
            f"only SELECT or WITH queries are run, not {kind}",
            "trailcsi never changes the archive or the Athena catalog",
        )
    for node in tree.walk():
        if isinstance(
            node,
            (
                exp.Insert,
                exp.Delete,
                exp.Update,
                exp.Drop,
                exp.Create,
                exp.Merge,
                exp.Alter,
                exp.Command,
                exp.Pragma,
                exp.Set,
            ),
        ):
            raise UsageError(f"only SELECT or WITH queries are run, not {node.key.upper()}")
        if isinstance(node, exp.Func):
            _check_function(node)
        if isinstance(node, (exp.From, exp.Join)) and not isinstance(node.this, _RELATIONS):
            raise _not_a_relation(node.this)
        if isinstance(node, exp.Lateral) and not isinstance(node.this, (exp.Subquery, exp.Unnest)):
            raise _not_a_relation(node.this)
    for identifier in tree.find_all(exp.Identifier):
        if identifier.name.lower().startswith(LOCAL_NAMES):
            raise UsageError(
                f"the name {identifier.name[:80]!r} starts with {LOCAL_NAMES!r}: the local engine's rewritten "
                "SQL names its own columns so",
                "give the column or alias another name",
            )
    for cte in tree.find_all(exp.CTE):
        if cte.alias_or_name.lower() in RESERVED_NAMES:
            raise UsageError(
                f"a WITH clause may not define `{cte.alias_or_name}`", "name the CTE something else"
            )
    _check_tables(tree)
    semantics.check_names(tree)  # a SELECT alias where Athena does not see it
    _name_columns_as_trino(tree)
    return tree


def _name_columns_as_trino(tree: exp.Query) -> None:
    """Give the result's unnamed columns Trino's names, on every engine: an expression without an
    alias is `_col<position>` on Athena (`SELECT eventname, count(*)` gives `eventname, _col1`),
    where DuckDB names it after its text (`count_star()`). Written as aliases, so that `--sort
    _col1` and the CSV header are Athena's on both engines. A column, or a field of one, keeps its
    name; a select list with `*` is left as it is (its positions are the table's)."""
    select: exp.Expr = tree
    while isinstance(select, exp.SetOperation):  # a UNION's names are its first SELECT's
        select = select.this
    if not isinstance(select, exp.Select):
        return
    projections = select.expressions
    if any(isinstance(p, exp.Star) or isinstance(p.unnest(), exp.Star) for p in projections) or any(
        isinstance(p, exp.Column) and isinstance(p.this, exp.Star) for p in projections
    ):
        return
    select.set(
        "expressions",
        [
            p if _named(p.unnest()) else exp.alias_(p, f"_col{i}", quoted=False)
            for i, p in enumerate(projections)
        ],
    )


def _named(projection: exp.Expr) -> bool:
    """Whether Trino names a select item itself: an alias, a column, a field of a column (a field
    of a subscript, `resources[1].arn`, is `_col<position>`)."""
    while isinstance(projection, exp.Dot):
        projection = projection.this
    return isinstance(projection, exp.Alias | exp.Column)


def _not_a_relation(node: exp.Expr) -> UsageError:
    return UsageError(
        f"queries read from `trail`, subqueries and UNNEST only, not {node.sql('athena')[:80]}",
        "table functions are not allowed",
    )


def _too_deep() -> UsageError:
    return UsageError(
        f"the SQL is nested more than {MAX_DEPTH} levels deep", "flatten the expression or split the query"
    )


def _depth(tree: exp.Expr) -> int:
    """The depth of the tree, computed without recursion."""
    deepest = 0
    stack: list[tuple[exp.Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in node.iter_expressions())
    return deepest


#: Functions of the local engine's own that Trino has not: DuckDB's `error()` (by which the
#: rewritten SQL raises Trino's errors: in a query, its text could pass for the JSON reader's naming
#: a log file, which would be skipped), and the macros the rewritten SQL calls (`trino_...`).
_LOCAL_ONLY_FUNCTIONS = frozenset({"error"})
_LOCAL_ONLY_PREFIXES = ("trino_",)


def _check_function(node: exp.Func) -> None:
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    if name in _LOCAL_ONLY_FUNCTIONS or name.startswith(_LOCAL_ONLY_PREFIXES):
        raise UsageError(
            f"Function '{name}' not registered",
            "Athena has no function of that name (it is the local engine's own)",
        )
    if name in _REFUSED_FUNCTIONS or name.startswith(_REFUSED_PREFIXES):
        raise UsageError(
            f"function {name}() is not allowed in a trailcsi query",
            "queries read `trail` only: no settings, environment, catalog or files",
        )


def _check_tables(tree: exp.Query) -> None:
    """Every table reference is a WITH name visible where it is used, or `trail` itself."""
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.scope import traverse_scope

    for table in tree.find_all(exp.Table):
        if table.args.get("db") or table.args.get("catalog") or not isinstance(table.this, exp.Identifier):
            raise UsageError(
                f"queries read from `trail` only, not {table.sql('athena')}",
                "the engine decides where `trail` comes from",
            )
    # Trino and DuckDB compare names case-insensitively, quoted or not: analyse a lowercased copy.
    folded = tree.copy()
    for identifier in folded.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
    try:
        scopes = traverse_scope(folded)
    except (OptimizeError, RecursionError) as error:
        raise UsageError(f"the query's names cannot be resolved: {error}", "check the SQL") from None
    resolved: set[int] = set()
    for scope in scopes:
        for table in scope.tables:
            if table.name in scope.cte_sources:
                resolved.add(id(table))
    for table in folded.find_all(exp.Table):
        if id(table) in resolved or table.name == TRAIL:
            continue
        raise UsageError(
            f"unknown table {table.name!r}",
            f"write trail for {table.name}: on every engine the table is `trail`; the query's own "
            "WITH names count too",
        )
