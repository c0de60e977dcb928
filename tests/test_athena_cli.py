"""`trailcsi athena setup` and `--engine athena` end to end, in-process against moto and the
DuckDB double (tests/athena_double.py): the API calls, the config file, idempotence, the cost
guard, and output identical to the local engine's. It cannot prove Athena accepts the statements;
each one sent is parsed with sqlglot's athena dialect by the double.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date

import boto3
import pytest
import sqlglot
from athena_double import AthenaDouble
from conftest import run_in_process as trailcsi
from moto import mock_aws

DAYS = ("2025/03/29", "2025/03/30", "2025/03/31", "2025/04/01")


@pytest.fixture
def double(sample_root, monkeypatch, fake_aws_env):
    with mock_aws():
        fake = AthenaDouble(sample_root, monkeypatch)
        fake.upload(days=DAYS)
        yield fake
        fake.close()


def setup_args(config, *extra: str) -> list[str]:
    return [
        "athena",
        "setup",
        "--bucket",
        "trail-bucket",
        "--output-location",
        "s3://trailcsi-results/athena/",
        "--config",
        str(config),
        *extra,
    ]


def test_setup_creates_the_table_writes_the_config_and_is_idempotent(double, capsys, tmp_path):
    config = tmp_path / "trailcsi.toml"
    code, _out, err = trailcsi(capsys, *setup_args(config))
    assert code == 0, err
    assert "created table trailcsi.cloudtrail over s3://trail-bucket/AWSLogs/" in err
    assert [s.split("(")[0].split()[:3] for s in double.sent] == [
        ["CREATE", "DATABASE", "IF"],
        ["CREATE", "EXTERNAL", "TABLE"],
    ]
    glue = boto3.client("glue", region_name="us-east-1")
    table = glue.get_table(DatabaseName="trailcsi", Name="cloudtrail")["Table"]
    assert table["Parameters"]["projection.day.range"] == "2025/03/29,NOW"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["account", "region", "day"]
    written = tomllib.loads(config.read_text())
    assert written["athena"] | {"table_setup": None} == {
        "database": "trailcsi",
        "table": "cloudtrail",
        "workgroup": "primary",
        "output_location": "s3://trailcsi-results/athena/",
        "region": "us-east-1",
        "price_per_tb": 5.0,
        "table_setup": None,
    }
    assert written["athena"]["table_setup"]["start_day"] == "2025/03/29"
    # The sweep's suppressions in the file survive the setups that rewrite it.
    suppression = {"principal": "arn:aws:iam::*:role/ci-*", "reason": "deploys", "expires": date(2031, 1, 1)}
    with config.open("a", encoding="utf-8") as file:
        file.write('\n[[sweep.suppress]]\nprincipal = "arn:aws:iam::*:role/ci-*"\nreason = "deploys"\n')
        file.write("expires = 2031-01-01\n")

    again = trailcsi(capsys, *setup_args(config))
    assert again[0] == 0 and "already up to date" in again[2]
    assert len(double.sent) == 2  # nothing executed the second time

    changed = trailcsi(capsys, *setup_args(config, "--start-day", "2025/01/01"))
    assert changed[0] == 2
    assert "exists and differs: projection.day.range" in changed[2] and "--replace" in changed[2]
    assert len(changed[2].strip().splitlines()) == 1

    replaced = trailcsi(capsys, *setup_args(config, "--start-day", "2025/01/01", "--replace"))
    assert replaced[0] == 0 and "recreated table" in replaced[2]
    assert double.sent[2].startswith("DROP TABLE IF EXISTS `trailcsi`.`cloudtrail`")
    table = glue.get_table(DatabaseName="trailcsi", Name="cloudtrail")["Table"]
    assert table["Parameters"]["projection.day.range"] == "2025/01/01,NOW"
    assert tomllib.loads(config.read_text())["sweep"] == {"suppress": [suppression]}
    for statement in double.sent:
        sqlglot.parse_one(statement, read="athena")


def test_run_on_athena_matches_the_local_engine(double, capsys, tmp_path, sample_root, answers):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    # the day the rogue user was created, months before the end (reading all of it locally, file
    # by file, cost a run as much as the rest of the test)
    window = ["--start", answers.rogue_user_time[:10], "--end", answers.rogue_user_time[:10]]
    param = ["--param", f"user_name={answers.rogue_user}"]
    code, remote, err = trailcsi(
        capsys,
        "run",
        "user-created",
        *param,
        *window,
        "--engine",
        "athena",
        "--config",
        str(config),
        "-f",
        "csv",
    )
    assert code == 0, err
    assert "Athena scanned" in err and "started (workgroup primary)" in err
    local = trailcsi(
        capsys, "run", "user-created", *param, *window, "--source", str(sample_root), "-f", "csv"
    )
    assert remote == local[1] and answers.rogue_user in remote

    export = tmp_path / "events.json"
    # the sample's last 20 days: 2,600 rows or so, three of Athena's pages of 1,000
    window = ["--start", "2025-03-12", "--end", "2025-03-31"]
    statement = "SELECT eventid, eventname, errorcode FROM trail ORDER BY eventid"
    code, _out, err = trailcsi(
        capsys, "sql", statement, *window, "--engine", "athena", "--config", str(config), "-o", str(export)
    )
    assert code == 0, err
    here = tmp_path / "here.json"
    assert trailcsi(capsys, "sql", statement, *window, "--source", str(sample_root), "-o", str(here))[0] == 0
    assert export.read_text() == here.read_text()
    assert len(json.loads(export.read_text())) > 2_000


def test_sort_is_done_by_athena_as_by_the_local_engine(double, capsys, tmp_path, sample_root):
    """`--sort` goes into the SQL Athena runs (an export streamed from S3 comes sorted)."""
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    window = ["--start", "2025-03-30", "--end", "2025-03-31"]
    statement = "SELECT eventname, eventid FROM trail WHERE readonly = 'false' ORDER BY eventid"
    sort = ["--sort", "eventname:desc,eventid"]
    export = tmp_path / "remote.csv"
    code, _out, err = trailcsi(
        capsys,
        "sql",
        statement,
        *window,
        *sort,
        "--engine",
        "athena",
        "--config",
        str(config),
        "-o",
        str(export),
    )
    assert code == 0, err
    assert " ".join(double.sent[-1].split()).endswith(") AS sorted_result ORDER BY 1 DESC, 2")
    here = tmp_path / "here.csv"
    assert (
        trailcsi(capsys, "sql", statement, *window, *sort, "--source", str(sample_root), "-o", str(here))[0]
        == 0
    )
    assert export.read_text() == here.read_text()
    rows = [line.split(",") for line in here.read_text().splitlines()[1:]]
    assert len({r[0] for r in rows}) > 3
    assert rows == sorted(sorted(rows, key=lambda r: r[1]), key=lambda r: r[0], reverse=True)


def test_dry_run_prints_the_athena_sql_with_its_day_range(double, capsys, tmp_path):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    code, out, _err = trailcsi(
        capsys,
        "sql",
        "SELECT count(*) FROM trail",
        "--start",
        "2025-03-30",
        "--engine",
        "athena",
        "--config",
        str(config),
        "--dry-run",
    )
    assert code == 0
    assert 'FROM "trailcsi"."cloudtrail"' in out and "day >= '2025/03/29'" in out
    assert len(double.sent) == 2  # only setup's statements: nothing was run


def test_the_cost_guard_asks_for_yes_on_long_windows(double, capsys, tmp_path):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    base = ["sql", "SELECT count(*) FROM trail", "--engine", "athena", "--config", str(config)]
    refused = trailcsi(capsys, *base, "--all-time")
    assert (
        refused[0] == 2 and "would read the whole archive (all time)" in refused[2] and "--yes" in refused[2]
    )
    long = trailcsi(capsys, *base, "--since", "120d")
    assert long[0] == 2 and "would read 120 days" in long[2]
    allowed = trailcsi(capsys, *base, "--all-time", "--yes", "-f", "csv")
    assert allowed[0] == 0, allowed[2]
    assert "day >=" not in double.sent[-1]  # all time: no day range, which is why it asks


def test_athena_failures_are_one_line_with_the_query_id(double, capsys, tmp_path):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    double.fail_next = "HIVE_CURSOR_ERROR: Unexpected end of input stream"
    code, _out, err = trailcsi(
        capsys, "search", "--since", "2d", "--engine", "athena", "--config", str(config)
    )
    assert code == 5
    (line,) = [s for s in err.splitlines() if "error:" in s]
    assert "failed: HIVE_CURSOR_ERROR: Unexpected end of input stream" in line and "Athena query " in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "athena", "--source", "x"], "--source is for the local engine"),
        (["--engine", "presto"], "--engine 'presto' is not known"),
        (["--source", "x", "--workgroup", "w"], "--workgroup apply to the athena engine only"),
        (["--engine", "athena", "--max-scan", "lots"], "--max-scan 'lots' from the command line is refused"),
        (["--engine", "athena", "--reuse", "soon"], "--reuse 'soon' is not a duration"),
    ],
)
def test_engine_flag_mistakes_are_usage_errors(capsys, args, message):
    code, _out, err = trailcsi(capsys, "sql", "SELECT 1 FROM trail", *args)
    assert code == 2 and message in err


def test_sweep_on_athena_finds_what_the_local_engine_finds(double, capsys, tmp_path, sample_root):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    window = ["--start", "2025-03-20", "--end", "2025-03-31"]
    code, remote, err = trailcsi(
        capsys, "sweep", *window, "--engine", "athena", "--config", str(config), "-f", "json"
    )
    assert code == 0, err
    detections = sum(1 for s in double.sent if s.startswith("WITH") or s.startswith("SELECT"))
    assert f"{detections} Athena queries scanned" in err and detections > 30
    local = trailcsi(capsys, "sweep", *window, "--source", str(sample_root), "-f", "json")
    assert remote == local[1] and '"severity": "high"' in remote


def test_event_on_athena_prints_the_original_record(double, capsys, tmp_path, sample_root):
    config = tmp_path / "trailcsi.toml"
    assert trailcsi(capsys, *setup_args(config))[0] == 0
    window = ["--start", "2025-03-30", "--end", "2025-03-31"]
    listed = trailcsi(
        capsys, "search", *window, "--source", str(sample_root), "-f", "csv", "--columns", "eventid"
    )
    event_id = listed[1].splitlines()[1]
    code, remote, err = trailcsi(
        capsys, "event", event_id, *window, "--engine", "athena", "--config", str(config)
    )
    assert code == 0, err
    local = trailcsi(capsys, "event", event_id, *window, "--source", str(sample_root))
    assert remote == local[1] and event_id in remote


def test_no_credentials_is_one_line_not_a_traceback(capsys, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    code, _out, err = trailcsi(
        capsys,
        "sql",
        "SELECT 1 FROM trail",
        "--engine",
        "athena",
        "--aws-region",
        "us-east-1",
        "--since",
        "1d",
    )
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "trailcsi: error: no AWS credentials found (set AWS_PROFILE or pass --profile)"
    )
