"""How trailcsi's commands show their help: each value by a real metavar (`--region REGION`), a flag
alone, and an "Examples:" section under each command.

typer shows a parameter without a metavar by its Python type (`--user <list[str]>`, `--help
<bool>`, `statement <str>`). `App` makes every command and group of an app with `Command` and
`Group`, which give each parameter a metavar when help is shown or the command line is read: the
one it was given, else its name in capitals; none for a flag. They also put each paragraph of a
command's help on one line, for the terminal to wrap.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup


class _Argument(TyperArgument):
    """An argument shown by its metavar alone (typer would add its Python type, `<str>`)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _with_metavars(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""  # a flag takes no value: nothing is shown after it
        elif param.metavar is None:
            param.metavar = (param.name or "value").upper()
        if type(param) is TyperArgument:
            param.__class__ = _Argument
    return params


def _paragraphs(text: str | None) -> str | None:
    """A docstring's paragraphs each on one line: rich help keeps a paragraph's line breaks where
    the source broke it (click's plain help rewraps them either way)."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split("\n")) for p in paragraphs)


class Command(TyperCommand):
    def __init__(self, *args: Any, **settings: Any) -> None:
        super().__init__(*args, **settings)
        self.help = _paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _with_metavars(super().get_params(ctx))


class Group(TyperGroup):
    def __init__(self, *args: Any, **settings: Any) -> None:
        super().__init__(*args, **settings)
        self.help = _paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _with_metavars(super().get_params(ctx))


class App(typer.Typer):
    """A typer app whose commands and groups show real metavars (see the module's docstring)."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("cls", Group)
        super().__init__(**settings)
        self._built: Any = None  # the click command, built at the first call

    def command(self, name: str | None = None, **settings: Any) -> Any:
        settings.setdefault("cls", Command)
        self._built = None
        return super().command(name, **settings)

    def add_typer(self, *args: Any, **settings: Any) -> None:
        self._built = None
        super().add_typer(*args, **settings)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """As typer's call, with the click command built once: typer builds it from every command's
        signature at each call (45 ms), the same command while no command is added. (typer's call
        also installs its exception hook, which without pretty exceptions hands a traceback to
        Python's as it is.)"""
        if self.pretty_exceptions_enable:
            return super().__call__(*args, **kwargs)
        if self._built is None:
            self._built = typer.main.get_command(self)
        return self._built(*args, **kwargs)


def examples(*lines: str) -> str:
    """A command's "Examples:" section (its help's epilog), one command line per line; a line
    ending in `\\` goes on, indented, on the next. `\\b` keeps click's plain help from rewrapping it."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
