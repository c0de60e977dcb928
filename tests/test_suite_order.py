"""The suite's own scheduling (conftest.py): the tests it runs first are tests that exist."""

from __future__ import annotations

import importlib
from pathlib import Path

from conftest import RUN_FIRST


def test_every_test_run_first_exists():
    for nodeid in RUN_FIRST:
        path, name = nodeid.split("::")
        assert (Path(__file__).parent.parent / path).is_file(), nodeid
        module = importlib.import_module(Path(path).stem)
        assert callable(getattr(module, name, None)), nodeid
