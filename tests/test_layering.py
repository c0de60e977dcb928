"""Layering: library modules never import typer (or click); nothing on the local path imports
pyathena or boto3, the CLI module included (its Athena commands import boto3 when they run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

LIBRARY = [
    "toolkit.schema",
    "toolkit.window",
    "toolkit.criteria",
    "toolkit.query",
    "toolkit.transpile",
    "toolkit.archive",
    "toolkit.engines.local",
    "toolkit.export",
    "toolkit.search",
    "toolkit.demo",
    "toolkit.sample.generator",
    "toolkit.catalog",
    "toolkit.render",
    "toolkit.sweep",
    "toolkit.suppress",
    "toolkit.names",
    "toolkit.bucket",
    "toolkit.ddl",
    "toolkit.s3source",
]


def imported_after(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(','.join(m for m in {watched!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_library_imports_no_cli_framework_and_no_cloud_client():
    assert imported_after(LIBRARY, ("typer", "click", "pyathena", "boto3")) == []


@pytest.mark.parametrize("module", ["toolkit.cli"])
def test_the_cli_imports_no_cloud_client_until_an_athena_command_runs(module):
    assert imported_after([module], ("pyathena", "boto3")) == []
