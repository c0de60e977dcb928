"""Layering. Statically, the import-linter contracts in pyproject.toml: the sub-packages import
downwards only (cli, demo, case and sample, templates and integrity, engines, config, cache,
sources, core, then the foundation), and only the command line imports typer or click. At run
time: importing any library module loads no CLI framework and no cloud client, and the command
line loads boto3 and pyathena only when an Athena command runs."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import toolkit

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.walk_packages(toolkit.__path__, "toolkit."))
LIBRARY = [
    m for m in MODULES if m != "toolkit.cli" and not m.startswith(("toolkit.cli.", "toolkit.__main__"))
]


def imported_after(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(','.join(m for m in {watched!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_the_import_contracts_are_kept():
    done = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
        + ["--no-cache", "--show-timings"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_every_library_module_is_found():
    assert len(LIBRARY) > 50 and {"toolkit.engines.local", "toolkit.core.schema"} <= set(LIBRARY)


def test_library_imports_no_cli_framework_and_no_cloud_client():
    assert imported_after(LIBRARY, ("typer", "click", "pyathena", "boto3")) == []


def test_the_cli_imports_no_cloud_client_until_an_athena_command_runs():
    assert imported_after(["toolkit.cli"], ("pyathena", "boto3")) == []
