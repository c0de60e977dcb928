"""Layering: library modules never import typer; the local path never imports pyathena or boto3."""

from __future__ import annotations

import subprocess
import sys

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
]


def test_library_imports_no_cli_framework_and_no_cloud_client():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in LIBRARY)
        + "bad = [m for m in ('typer', 'click', 'pyathena', 'boto3') if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
