"""Conformance: the same Athena SQL on a real Trino server and on the local engine, rows compared.

The server is `scripts/trino.py`'s (fetched once into the user cache): it is used if it runs, else
started here and stopped at the end. Without a fetched server every test here is skipped, and the
run's summary says how to fetch it. The fixture archive is small (two real corpora), loaded into
Trino as the Hive table `trailcsi_conformance.trail`, so the same SQL text runs on both engines.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import USER_XDG_CACHE_HOME, corpus_path, lay_out, read_jsonl

from toolkit import window
from toolkit.engines.local import LocalEngine
from toolkit.query import TrailQuery

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "trino.py"
#: One Hive schema a test process (pytest-xdist workers load their fixture side by side).
SCHEMA = "_".join(filter(None, ["trailcsi_conformance", os.environ.get("PYTEST_XDIST_WORKER")]))
NOT_FETCHED = "Trino server not fetched: run `python scripts/trino.py fetch`"
ALL_TIME = window.parse(all_time=True)

_skipped: list[str] = []  # why the conformance tests were skipped, for the run's summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped:
        terminalreporter.write_line(f"conformance tests skipped: {_skipped[0]}", yellow=True)


def _skip(reason: str) -> None:
    _skipped.append(reason)
    pytest.skip(reason)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trailcsi_trino_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def trino_script() -> ModuleType:
    if not SCRIPT.is_file():
        _skip(f"{SCRIPT.name} is not in this checkout")
    # tests/conftest.py points XDG_CACHE_HOME at a scratch directory: the server is in the user's.
    os.environ.setdefault("TRAILCSI_TRINO_HOME", str(_load_script().default_home(USER_XDG_CACHE_HOME)))
    return _load_script()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One test process at a time (pytest-xdist runs several) starts or stops the server."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def trino_url(trino_script: ModuleType) -> Iterator[str]:
    """The URL of a running Trino server: the user's if it runs, else one started by the tests.

    Test processes (pytest-xdist workers) share one server: each registers itself while it uses
    it, and the last one to finish stops a server the tests started (never the user's own)."""
    home = trino_script.home()
    lock, users, started = home / "tests.lock", home / "tests-using", home / "started-by-tests"
    me = users / str(os.getpid())
    with _locked(lock):
        url = trino_script.running()
        if not url:
            if not trino_script.fetched():
                _skip(NOT_FETCHED)
            try:
                trino_script.java_home()
            except trino_script.TrinoError as error:
                _skip(str(error))
            url = trino_script.start()
            started.touch()
        users.mkdir(parents=True, exist_ok=True)
        me.touch()
    try:
        yield url
    finally:
        with _locked(lock):
            me.unlink(missing_ok=True)
            others = [p for p in users.iterdir() if p.name.isdigit() and _alive(int(p.name))]
            if not others and started.exists():
                trino_script.stop()
                started.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def conformance_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """346 real events (Stratus Red Team detonations and AWS's documentation examples) as an archive."""
    records = read_jsonl(corpus_path("stratus-red-team-detonations", "events.jsonl"))
    records += read_jsonl(corpus_path("aws-docs-examples", "events.jsonl"))
    return lay_out(records, tmp_path_factory.mktemp("conformance"))


class Engines:
    """Runs one Athena SQL text, reading `trail`, on Trino and on the local engine."""

    def __init__(self, script: ModuleType, url: str, archive: Path) -> None:
        self.script, self.url = script, url
        self.local = LocalEngine(archive)

    def trino(self, sql: str) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        return self.script.query(self.url, sql, schema=SCHEMA)

    def both(self, sql: str) -> tuple[list[list[Any]], list[list[Any]]]:
        """Trino's rows, and the local engine's in the shape Trino's protocol gives them."""
        columns, expected = self.trino(sql)
        result = self.local.run(TrailQuery.parse(sql, ALL_TIME))
        assert len(columns) == len(result.columns)  # names differ where unaliased (_col0, count_star())
        signatures = [c["typeSignature"] for c in columns]
        actual = [
            [wire(value, sig) for value, sig in zip(row, signatures, strict=True)] for row in result.rows
        ]
        return expected, actual


@pytest.fixture(scope="session")
def engines(trino_script: ModuleType, trino_url: str, conformance_archive: Path) -> Iterator[Engines]:
    trino_script.load(trino_url, conformance_archive, schema=SCHEMA, table="trail")
    made = Engines(trino_script, trino_url, conformance_archive)
    yield made
    made.local.close()


def wire(value: Any, signature: dict[str, Any]) -> Any:
    """A local engine value as Trino's REST protocol writes a value of this type signature."""
    if value is None:
        return None
    raw = signature["rawType"]
    arguments = [a["value"] for a in signature.get("arguments", [])]
    if raw == "row":
        items = list(value.values()) if isinstance(value, dict) else list(value)
        return [wire(item, field["typeSignature"]) for item, field in zip(items, arguments, strict=True)]
    if raw == "array":
        return [wire(item, arguments[0]) for item in value]
    if raw == "map":
        return {str(k): wire(v, arguments[1]) for k, v in dict(value).items()}
    if raw == "timestamp with time zone" and isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d} {value.tzname()}"
    if raw == "timestamp" and isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"
    if raw == "date" and isinstance(value, date):
        return value.isoformat()
    if raw == "decimal" and isinstance(value, Decimal | int | float):
        return str(value)
    if raw in ("double", "real") and isinstance(value, int | float | Decimal):
        return float(value)
    return value
