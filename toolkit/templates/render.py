"""Bind a template's parameters into its parsed tree as typed literals, then scope it.

Each `:name` placeholder becomes a literal node of the parameter's type (a `string_list` becomes
the items of its `IN (...)`), so no value can change the query's structure. Unknown or missing
parameters are refused with a "did you mean" hint. The result is a `TrailQuery`: the CRITERIA
and WINDOW flags apply to `trail` as for any query.
"""

from __future__ import annotations

import math
from typing import Any

from sqlglot import exp

from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery, parse_select
from toolkit.core.schema import suggest
from toolkit.core.window import Window, parse_instant, stamp
from toolkit.errors import UsageError
from toolkit.templates.catalog import Param, Template

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """`["k=v", ...]` (the `--param` flags) → a dict; the value may itself hold `=`."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param {pair!r} is not name=value", "e.g. --param user_name=alice")
        values[name.strip()] = value
    return values


def render(
    template: Template, values: dict[str, Any], window: Window, criteria: Criteria | None = None
) -> TrailQuery:
    """The template as a scoped query, with every parameter bound."""
    declared = {p.name: p for p in template.params}
    for name in values:
        if name not in declared:
            guess = suggest(name, sorted(declared))
            hint = f"did you mean {guess!r}?" if guess else _params_hint(template)
            raise UsageError(f"template {template.name} has no parameter {name!r}", hint)
    bound: dict[str, exp.Expr | list[exp.Expr]] = {}
    for param in template.params:
        if param.name in values:
            bound[param.name] = literal(param, values[param.name])
        elif param.default is not None:
            bound[param.name] = literal(param, param.default)
        elif param.required:
            raise UsageError(
                f"template {template.name} needs --param {param.name}=...",
                param.description or _params_hint(template),
            )
        else:
            bound[param.name] = exp.null()
    tree = parse_select(template.sql)

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.In):
            items: list[exp.Expr] = []
            for item in node.expressions:
                value = bound.get(item.name) if isinstance(item, exp.Placeholder) else None
                items.extend(value if isinstance(value, list) else [item])
            node.set("expressions", items)
            return node
        if isinstance(node, exp.Placeholder):
            value = bound[node.name]
            if isinstance(value, list):
                raise UsageError(
                    f"template {template.name}: list parameter :{node.name} may only stand in IN (...)"
                )
            return value.copy()
        return node

    bound_tree = tree.transform(substitute, copy=False)  # (parse_select gave a copy of its own)
    assert isinstance(bound_tree, exp.Query)  # only placeholders were replaced
    return TrailQuery(bound_tree, window, criteria or Criteria())


def literal(param: Param, raw: Any) -> exp.Expr | list[exp.Expr]:
    """A value given on the command line (text) or as a default (TOML) → a typed literal."""
    text: Any = str(raw).strip() if not isinstance(raw, (bool, int, float, list)) else raw
    try:
        if param.type == "string":
            return exp.Literal.string(str(raw))
        if param.type == "int":
            return exp.Literal.number(int(text))
        if param.type == "float":
            number = float(text)
            if not math.isfinite(number):  # `nan` and `inf` would print as names, not numbers
                raise ValueError(text)
            return exp.Literal.number(number)
        if param.type == "bool":
            if isinstance(raw, bool):
                return exp.Boolean(this=raw)
            if str(text).lower() in _TRUE | _FALSE:
                return exp.Boolean(this=str(text).lower() in _TRUE)
            raise ValueError(text)
        if param.type == "timestamp":
            moment = parse_instant(str(text), flag=f"--param {param.name}")
            return exp.Literal.string(stamp(moment) or "")
        items = raw if isinstance(raw, list) else [v.strip() for v in str(raw).split(",") if v.strip()]
        if not items:
            raise ValueError(raw)
        return [exp.Literal.string(str(v)) for v in items]
    except (ValueError, TypeError):
        raise UsageError(
            f"--param {param.name}={raw!r} is not a valid {param.type}",
            param.description or f"give a {param.type}",
        ) from None


def _params_hint(template: Template) -> str:
    if not template.params:
        return f"{template.name} takes no parameters"
    return "its parameters: " + ", ".join(p.name for p in template.params)
