"""Exports stream: rows are fetched in batches while they are written, and a failed or stopped
export leaves no partial file behind."""

from __future__ import annotations

import json
import types

import pytest
from conftest import run_in_process

from toolkit.core import export, window
from toolkit.core.query import TrailQuery
from toolkit.engines import local
from toolkit.engines.local import LocalEngine

ALL = window.parse(all_time=True)


def eventids(capsys, root, *more: str):
    """`trailcsi sql 'SELECT eventid FROM trail' --source root --all-time *more`, in-process."""
    return run_in_process(
        capsys, "sql", "SELECT eventid FROM trail", "--source", str(root), "--all-time", *more
    )


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
    code, _out, _err = eventids(
        capsys,
        root,
        "--output",
        str(target),
    )
    assert code == 130
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(export, "write", real)
    code, _out, err = eventids(
        capsys,
        root,
        "--output",
        str(target),
    )
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def _archive_with_a_late_refusal(root):
    """20 good files, then (sorting last) one whose second item of Records is not an object: DuckDB
    refuses it only after rows of the others have been given."""
    import gzip
    import json

    folder = root / "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/02"
    folder.mkdir(parents=True)

    def event(n: int) -> dict:
        return {
            "eventVersion": "1.08",
            "eventTime": "2025-01-02T03:04:05Z",
            "eventID": f"e{n}",
            "eventName": "X",
        }

    for f in range(20):
        body = json.dumps({"Records": [event(f * 1000 + i) for i in range(1000)]})
        (folder / f"123456789012_CloudTrail_us-east-1_20250102T0310Z_f{f:02d}.json.gz").write_bytes(
            gzip.compress(body.encode())
        )
    bad = '{"Records": [' + json.dumps(event(99999)) + ", 5]}"
    (folder / "123456789012_CloudTrail_us-east-1_20250102T0310Z_zz.json.gz").write_bytes(
        gzip.compress(bad.encode())
    )
    return root


def test_a_file_refused_while_rows_stream_is_skipped_and_the_rows_given_are_whole(capsys, tmp_path):
    root = _archive_with_a_late_refusal(tmp_path / "archive")
    for fmt in ("csv", "jsonl"):
        code, out, err = eventids(capsys, root, "--format", fmt)
        assert code == 0, err
        assert len([line for line in out.splitlines() if "e" in line and "eventid" != line]) == 20_000
        assert "e99999" not in out
        assert 'zz.json.gz: item 2 of "Records" is a number (5), not a JSON object' in err
    target = tmp_path / "out.csv"
    code, _out, err = eventids(
        capsys,
        root,
        "--output",
        str(target),
    )
    assert code == 0 and len(target.read_text().splitlines()) == 20_001
    code, out, err = eventids(
        capsys,
        root,
        "--format",
        "csv",
        "--strict",
    )
    assert code == 3 and out == "" and "drop --strict" in err


def test_an_output_name_promising_another_format_is_refused_before_any_work(capsys, tmp_path):
    for name in ("out.parquet", "out.xlsx", "out.csv.gz"):
        code, out, err = eventids(capsys, tmp_path / "nowhere", "--output", str(tmp_path / name))
        assert code == 2 and out == "" and f"does not write {name.rsplit('.', 1)[1]} files" in err
        assert not (tmp_path / name).exists()
    assert (
        export.choose_format(None, "rows.out") == "csv" and export.choose_format(None, "x.jsonl") == "jsonl"
    )


def test_an_output_that_cannot_be_meant_or_written_is_refused_before_any_work(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = {
        "json": "names a file, not a format",  # the aws-cli habit: not a CSV file called json
        "jsonl": "names a file, not a format",
        str(tmp_path / "missing" / "x.csv"): "does not exist",
        str(tmp_path): "is a folder",
        "nodir/": "names a folder, not a file",  # (it said "Not a directory")
    }
    for output, message in cases.items():
        code, out, err = eventids(capsys, tmp_path / "nowhere", "--output", output)
        assert code == 2 and out == "" and message in err, (output, err)
    assert not (tmp_path / "json").exists() and not (tmp_path / "missing").exists()
    code, _out, err = eventids(capsys, tmp_path / "nowhere", "--output", "./json", "--format", "csv")
    assert "names a file" not in err  # a path, or an explicit --format: the file it names


def test_output_dash_is_stdout_ndjson_is_json_lines_and_all_files_needs_dry_run(
    capsys, tmp_path, monkeypatch, corpus_archives
):
    monkeypatch.chdir(tmp_path)
    root, count = corpus_archives["aws-docs"]
    code, out, err = eventids(capsys, root, "--output", "-", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "eventid" and len(out.splitlines()) == count + 1, err
    assert list(tmp_path.iterdir()) == []  # (it wrote a file named "-")
    code, out, err = eventids(capsys, root, "--format", "ndjson")
    assert code == 0 and [set(json.loads(line)) for line in out.splitlines()] == [{"eventid"}] * count, err
    code, out, err = eventids(capsys, root, "--all-files")
    assert code == 2 and out == "" and "add --dry-run" in err


def test_an_output_through_a_symlink_writes_the_file_it_names_and_keeps_its_mode(
    capsys, tmp_path, corpus_archives
):
    """`-o latest.csv` where latest.csv links to the report: the report is written, the link stays
    (it was replaced by a plain file), and a replaced file keeps its permissions."""
    report = tmp_path / "report-2025.csv"
    report.write_text("old\n")
    report.chmod(0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(report)
    code, _out, err = eventids(capsys, corpus_archives["aws-docs"][0], "--output", str(link))
    assert code == 0, err
    assert link.is_symlink() and report.read_text().startswith("eventid\n")
    assert report.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "command", [["sql", "SELECT eventid FROM trail"], ["run", "user-created"], ["sweep"]]
)
@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_limit_below_one_is_one_line_for_every_command(capsys, corpus_archives, command, limit):
    """`sweep --limit -1` dropped the last row, `--limit 0` showed all, `run --limit 0` none, and
    `sql --limit -1` was a DuckDB error blaming the SQL."""
    root, _ = corpus_archives["aws-docs"]
    code, out, err = run_in_process(capsys, *command, "--source", str(root), "--all-time", "--limit", limit)
    assert (code, out) == (2, "") and f"--limit {limit} is not a number of rows" in err, err


def test_limit_never_raises_the_querys_own_limit(capsys, corpus_archives):
    root, count = corpus_archives["aws-docs"]
    sql = "SELECT eventid FROM trail ORDER BY eventtime, eventid LIMIT 2"
    code, small, err = run_in_process(
        capsys, "sql", sql, "--source", str(root), "--all-time", "-f", "csv", "--limit", "5"
    )
    assert code == 0 and len(small.splitlines()) == 1 + 2, err  # (it gave 5)
    code, smaller, _err = run_in_process(
        capsys, "sql", sql, "--source", str(root), "--all-time", "-f", "csv", "--limit", "1"
    )
    assert smaller.splitlines() == small.splitlines()[:2]
