"""The list commands (`names`, `queries list`, `cache status`, `verify`) print a table, CSV or
JSON; CSV and JSON hold the same rows, and an unknown format is a one-line error."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import run_in_process as trailcsi

LAST_DAYS = ["--start", "2025-03-29", "--end", "2025-03-31"]  # the session sample's last days


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def as_text(rows: list[dict[str, object]]) -> list[dict[str, str]]:
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def test_names_as_csv_holds_the_json_rows(capsys):
    code, out, _err = trailcsi(capsys, "names", "ec2", "--format", "csv")
    assert code == 0
    code, js, _err = trailcsi(capsys, "names", "ec2", "--format", "json")
    assert csv_rows(out) == as_text(json.loads(js)) and len(csv_rows(out)) > 500
    code, upper, _err = trailcsi(capsys, "names", "ec2", "-f", "JSON")  # any case
    assert code == 0 and upper == js


def test_queries_list_as_csv_one_line_a_template(capsys):
    code, out, _err = trailcsi(capsys, "queries", "list", "--format", "csv")
    assert code == 0
    rows = csv_rows(out)
    code, js, _err = trailcsi(capsys, "queries", "list", "--format", "json")
    assert [r["name"] for r in rows] == [t["name"] for t in json.loads(js)]
    assert len(out.splitlines()) == len(rows) + 1  # no cell wraps over lines
    assert {r["kind"] for r in rows} == {"detection", "investigation"}


def test_cache_status_as_csv(capsys, sample_root, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, out, err = trailcsi(capsys, "cache", "status", "--format", "csv")
    assert code == 0 and out == "source,day folders,first day,last day,events,MB,cache\n", err
    code, out, err = trailcsi(capsys, "cache", "status", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, _out, err = trailcsi(capsys, "cache", "build", "--source", str(sample_root), *LAST_DAYS)
    assert code == 0, err
    code, out, _err = trailcsi(capsys, "cache", "status", "--format", "csv")
    (row,) = csv_rows(out)
    assert row["source"] == str(sample_root) and int(row["day folders"]) >= 3


def test_verify_as_csv_keeps_the_chains_on_stdout_and_the_problems_on_stderr(capsys, sample_root):
    keys = ["--public-keys", str(sample_root / "public-keys.json")]
    common = ["verify", "--source", str(sample_root), *LAST_DAYS, *keys, "--offline"]
    code, out, err = trailcsi(capsys, *common, "--format", "csv")
    rows = csv_rows(out)
    assert rows and {"account", "region", "trail", "digests ok"} <= set(rows[0]), err
    assert all(not line.startswith("PROBLEM") for line in out.splitlines())
    # (without --signatures the newest digests cannot be authenticated: problems to tell)
    assert any(line.startswith("trailcsi: PROBLEM ") for line in err.splitlines())
    code_json, js, _err = trailcsi(capsys, *common, "--format", "json")
    assert code == code_json
    chains = json.loads(js)["chains"]
    assert len(rows) == len(chains)


@pytest.mark.parametrize(
    "command", [["names"], ["queries", "list"], ["cache", "status"], ["verify", "--source", "."]]
)
def test_an_unknown_list_format_is_one_line(capsys, command):
    code, out, err = trailcsi(capsys, *command, "--format", "xml")
    assert code == 2 and out == ""
    path = " ".join(command[:2] if command[0] in ("queries", "cache") else command[:1])
    assert err.strip().splitlines() == [
        "trailcsi: error: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'csv', "
        f"'json'. (see trailcsi {path} --help)"
    ]
