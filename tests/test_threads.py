"""`$TRAILCSI_THREADS`: how many threads the local engine, the cache build and verify use."""

from __future__ import annotations

import os

import pytest
from conftest import run_in_process

from toolkit.engines.local import LocalEngine
from toolkit.threads import MOST, threads_to_use


def test_unset_is_every_core_and_a_number_is_taken(monkeypatch, corpus_archives):
    monkeypatch.delenv("TRAILCSI_THREADS", raising=False)
    assert threads_to_use() == (os.cpu_count() or 1)
    monkeypatch.setenv("TRAILCSI_THREADS", " 3 ")
    assert threads_to_use() == 3
    engine = LocalEngine(corpus_archives["stratus"][0])
    try:
        assert engine._threads == 3
        assert engine._con.execute("SELECT current_setting('threads')").fetchone() == (3,)
    finally:
        engine.close()


@pytest.mark.parametrize(
    "value", ["0", "-1", "two", "1.5", "1e3", "\u0663", str(MOST + 1), "9" * 400, "1" * 5000]
)
def test_a_bad_value_is_one_line_and_exit_2(monkeypatch, capsys, corpus_archives, value):
    monkeypatch.setenv("TRAILCSI_THREADS", value)
    code, out, err = run_in_process(
        capsys,
        "sql",
        "SELECT count(*) FROM trail",
        "--source",
        str(corpus_archives["stratus"][0]),
        "--all-time",
    )
    assert (code, out) == (2, "")
    said = [line for line in err.splitlines() if line.startswith("trailcsi: error:")]
    assert len(said) == 1 and "TRAILCSI_THREADS" in said[0] and "from 1 to 1024" in said[0], err
    assert "Traceback" not in err and len(said[0]) < 300
