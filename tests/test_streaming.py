"""Exports stream: rows are fetched in batches while they are written, and a failed or stopped
export leaves no partial file behind."""

from __future__ import annotations

import types

from conftest import run_in_process

from toolkit import export, window
from toolkit.engines import local
from toolkit.engines.local import LocalEngine
from toolkit.query import TrailQuery

ALL = window.parse(all_time=True)


def test_a_streaming_engine_gives_the_same_rows_in_batches(corpus_archives, monkeypatch):
    root, count = corpus_archives["panther"]
    monkeypatch.setattr(local, "STREAM_BATCH", 7)
    query = TrailQuery.parse("SELECT eventid, eventname FROM trail", ALL)
    listed = LocalEngine(root)
    streamed = LocalEngine(root, stream=True)
    try:
        rows = streamed.run(query).rows
        assert isinstance(rows, types.GeneratorType)
        assert sorted(rows, key=repr) == sorted(listed.run(query).rows, key=repr)
        assert len(listed.run(query).rows) == count
    finally:
        listed.close()
        streamed.close()


def test_an_export_that_fails_midway_leaves_no_file(capsys, corpus_archives, tmp_path, monkeypatch):
    root, _count = corpus_archives["panther"]
    target = tmp_path / "out.csv"
    real = export.write

    def failing(columns, rows, fmt, stream, **kw):
        stream.write("eventid\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "write", failing)
    code, _out, _err = run_in_process(
        capsys,
        "sql",
        "SELECT eventid FROM trail",
        "--source",
        str(root),
        "--all-time",
        "--output",
        str(target),
    )
    assert code == 130
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(export, "write", real)
    code, _out, err = run_in_process(
        capsys,
        "sql",
        "SELECT eventid FROM trail",
        "--source",
        str(root),
        "--all-time",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
