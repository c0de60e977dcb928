"""Investigation templates: one `.sql` file each, Athena SQL over `trail`, with a TOML header.

A template starts with a block comment holding TOML, then the query; parameters are `:name`
placeholders:

    /*
    title = "Who created IAM users, when and from where"
    kind = "investigation"            # or "detection" (then also: severity = "high")
    tags = ["iam", "T1136.003"]
    description = "What question it answers and how to read the result."

    [params.user_name]
    type = "string"                   # string, int, float, bool, timestamp, string_list
    required = false                  # optional without a default: NULL
    description = "Only this new user."
    */
    SELECT ... FROM trail WHERE (:user_name IS NULL OR ...)

The catalog is the built-in `queries/` directory, then the user's directory
($XDG_CONFIG_HOME/trailcsi/queries), then any `--queries-dir`; a later template of the same name
replaces an earlier one. Each template knows its origin and the files it shadows, and the catalog
words one warning per shadowed name, for the command to print.
"""

from __future__ import annotations

import copy
import functools
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.core.schema import suggest
from toolkit.errors import UsageError

KINDS = ("detection", "investigation")
SEVERITIES = ("low", "medium", "high", "critical")
TYPES = ("string", "int", "float", "bool", "timestamp", "string_list")
_HEADER = re.compile(r"\A\s*/\*(?P<header>.*?)\*/(?P<sql>.*)\Z", re.DOTALL)


class TemplateError(UsageError):
    """A template file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: Any
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": list(self.default) if isinstance(self.default, list) else self.default,
            "description": self.description,
        }


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    kind: str
    severity: str | None
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    sql: str
    path: Path
    origin: str = ""  # "built-in", "user" or "--queries-dir"
    shadows: tuple[Path, ...] = ()  # files of the same name this one replaced, earliest first

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def as_dict(self, with_sql: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "severity": self.severity,
            "tags": list(self.tags),
            "description": self.description,
            "params": [p.as_dict() for p in self.params],
            "path": str(self.path),
            "origin": self.origin,
            "shadows": [str(path) for path in self.shadows],
        }
        if with_sql:
            data["sql"] = self.sql
        return data


def builtin_dir() -> Path:
    """`toolkit/queries` in an installed wheel; the repository's `queries/` in a checkout."""
    package = Path(__file__).resolve().parents[1]  # toolkit/
    packaged = package / "queries"  # in a wheel
    return packaged if packaged.is_dir() else package.parent / "queries"  # in a checkout


def user_dir() -> Path:
    return paths.config_dir() / "queries"


def template_paths(extra: list[Path] | None = None) -> dict[str, Path]:
    """Template names and files (later directories win), without reading them: for completion."""
    found: dict[str, Path] = {}
    for directory in [builtin_dir(), user_dir(), *(extra or [])]:
        if directory.is_dir():
            found.update({path.stem: path for path in sorted(directory.glob("*.sql"))})
    return found


def param_names(path: Path) -> list[str]:
    """The parameter names a template file declares, from its header alone (no SQL parsing)."""
    match = _HEADER.match(path.read_text(encoding="utf-8"))
    try:
        header = tomllib.loads(match["header"]) if match else {}
    except (tomllib.TOMLDecodeError, RecursionError):
        return []
    return list((header.get("params") or {}).keys())


def parse_template(path: Path, origin: str = "") -> Template:
    """Read and check one template file; raises TemplateError saying what is wrong and where."""
    # (a copy: a caller that changes a list default must not change every later Catalog's)
    return copy.deepcopy(_checked(path, origin, path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1024)
def _checked(path: Path, origin: str, text: str) -> Template:
    """A template's text checked, once a process for the same file and text: every command (and
    every Catalog a notebook makes) parses each template's SQL to check it, about 10 ms a file. A
    file whose text changed is checked again; an error is raised each time."""
    match = _HEADER.match(text)
    if not match:
        raise TemplateError(f"{path}: no header", "start the file with a /* ... */ block of TOML")
    try:
        header = tomllib.loads(match["header"])
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(f"{path}: the header is not valid TOML: {error}") from None
    except RecursionError:
        raise TemplateError(f"{path}: the header's values are nested too deep to read") from None
    name = path.stem
    if header.get("name", name) != name:
        raise TemplateError(f"{path}: header name {header['name']!r} differs from the file name {name!r}")

    def need(key: str) -> str:
        value = header.get(key)
        if not isinstance(value, str) or not value.strip():
            raise TemplateError(f'{path}: the header needs {key} = "..."')
        return value.strip()

    title, description, kind = need("title"), need("description"), need("kind")
    if kind not in KINDS:
        raise TemplateError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    severity = header.get("severity")
    if kind == "detection" and severity not in SEVERITIES:
        raise TemplateError(f"{path}: a detection needs severity = one of {', '.join(SEVERITIES)}")
    tags = header.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise TemplateError(f"{path}: tags must be a list of strings")
    params = tuple(_param(path, n, spec) for n, spec in (header.get("params") or {}).items())
    sql = match["sql"].strip().rstrip(";").strip()
    from sqlglot import exp  # here, not at import: listing and completing templates need no parser

    from toolkit.core.query import parse_select

    try:
        tree = parse_select(sql)
    except UsageError as error:
        raise TemplateError(f"{path}: {error.message}", error.hint) from None
    used = {p.name for p in tree.find_all(exp.Placeholder)}
    declared = {p.name for p in params}
    if used != declared:
        missing, unused = sorted(used - declared), sorted(declared - used)
        raise TemplateError(
            f"{path}: placeholders and declared params differ"
            + (f"; undeclared: {', '.join(missing)}" if missing else "")
            + (f"; unused: {', '.join(unused)}" if unused else "")
        )
    return Template(name, title, description, kind, severity, tuple(tags), params, sql, path, origin)


def _param(path: Path, name: str, spec: Any) -> Param:
    if not isinstance(spec, dict):
        raise TemplateError(f"{path}: params.{name} must be a table")
    kind = spec.get("type", "string")
    if kind not in TYPES:
        raise TemplateError(f"{path}: params.{name}.type {kind!r} is not one of {', '.join(TYPES)}")
    has_default = "default" in spec
    required = bool(spec.get("required", not has_default))
    if kind == "string_list" and not required and not has_default:
        raise TemplateError(f"{path}: params.{name}: an optional string_list needs a default")
    return Param(name, kind, required, spec.get("default"), str(spec.get("description", "")).strip())


class Catalog:
    """Templates by name, from the built-in directory then user directories (later ones win)."""

    def __init__(self, directories: list[Path], origins: list[str] | None = None) -> None:
        self.templates: dict[str, Template] = {}
        self.shadowed: dict[str, list[Template]] = {}  # name -> the templates it replaced, earliest first
        seen: set[Path] = set()
        for position, directory in enumerate(directories):
            if not directory.is_dir() or directory.resolve() in seen:
                continue  # the same directory given twice shadows nothing
            seen.add(directory.resolve())
            origin = origins[position] if origins else str(directory)
            for path in sorted(directory.glob("*.sql")):
                template = parse_template(path, origin)
                earlier = self.templates.get(path.stem)
                if earlier is not None:
                    template = replace(template, shadows=(*earlier.shadows, earlier.path))
                    self.shadowed.setdefault(path.stem, []).append(earlier)
                self.templates[path.stem] = template

    @classmethod
    def load(cls, extra: list[Path] | None = None) -> Catalog:
        extra = extra or []
        return cls([builtin_dir(), user_dir(), *extra], ["built-in", "user", *["--queries-dir"] * len(extra)])

    def origin(self, name: str) -> str:
        """Where a template comes from, and what it shadows: `user, shadows built-in`."""
        template = self.templates[name]
        lost = [t.origin for t in reversed(self.shadowed.get(name, []))]
        return template.origin + (f", shadows {', '.join(lost)}" if lost else "")

    def warnings(self) -> list[str]:
        """One line per template that replaced another of its name: which file won, which were shadowed."""
        lines = []
        for name in sorted(self.shadowed):
            won = self.templates[name]
            lost = "; ".join(f"{t.path} ({t.origin} {t.kind})" for t in reversed(self.shadowed[name]))
            lines.append(f"template {name}: using {won.path} ({won.origin} {won.kind}), shadowing {lost}")
        return lines

    def get(self, name: str) -> Template:
        if name in self.templates:
            return self.templates[name]
        guess = suggest(name, sorted(self.templates))
        hint = f"did you mean {guess!r}?" if guess else "see trailcsi queries list"
        raise UsageError(f"no template named {name!r}", hint)

    def select(self, tag: str | None = None, kind: str | None = None) -> list[Template]:
        chosen = []
        for template in sorted(self.templates.values(), key=lambda t: t.name):
            if tag and tag.lower() not in {t.lower() for t in template.tags}:
                continue
            if kind and template.kind != kind:
                continue
            chosen.append(template)
        return chosen
