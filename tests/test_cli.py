"""The command line end to end: data on stdout, one-line errors on stderr, documented exit codes."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import subprocess
import sys

import pytest
from conftest import finished_in_process

from toolkit.errors import ExitCode


@pytest.fixture
def trailcsi(capsys):
    """Runs the command line in this process (`run_in_process`: the `main` the installed command
    calls), as a finished process: exit status, stdout, stderr. The process entry itself, stdin and
    a closed pipe are tested with processes of their own below."""

    return functools.partial(finished_in_process, capsys)


def test_search_csv_and_json_are_loss_free_and_agree(sample_root, answers, trailcsi):
    base = [
        "search",
        "--source",
        str(sample_root),
        "--event-name",
        "ConsoleLogin",
        "--user",
        "alice",
        "--source-ip",
        "203.0.113.0/24",
        "--start",  # the day of the brute force (the rows: its failures and the login that followed)
        answers.brute_force_first[:10],
    ]
    as_csv = trailcsi(*base, "--format", "csv")
    as_json = trailcsi(*base, "--format", "json")
    assert as_csv.returncode == 0 and as_json.returncode == 0, as_csv.stderr + as_json.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    objects = json.loads(as_json.stdout)
    assert len(rows) == len(objects) == answers.brute_force_failures + 1
    assert [r["eventid"] for r in rows] == [o["eventid"] for o in objects]
    times = [r["eventtime"] for r in rows]
    assert times == sorted(times) and times[0] < times[-1]  # oldest first
    for row, obj in zip(rows, objects, strict=True):
        assert json.loads(row["useridentity"]) == obj["useridentity"]  # structs: JSON text in CSV
        assert json.loads(row["responseelements"]) == obj["responseelements"]  # JSON text → structure
        assert obj["requestparameters"] is None and row["requestparameters"] == ""
    assert "read " in as_csv.stderr and f"window: from {answers.brute_force_first[:10]}" in as_csv.stderr
    assert "trailcsi:" not in as_csv.stdout


def test_jsonl_columns_limit_and_output_file(sample_root, tmp_path, trailcsi):
    target = tmp_path / "out.jsonl"
    done = trailcsi(
        "search",
        "--source",
        str(sample_root),
        "--start",
        "2025-03-30",
        "--columns",
        "eventtime,useridentity.arn,principal",
        "--limit",
        "5",
        "--output",
        str(target),
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in target.read_text().splitlines()]
    assert len(lines) == 5 and set(lines[0]) == {"eventtime", "useridentity.arn", "principal"}
    assert done.stdout == ""


def test_event_prints_the_original_record(sample_root, answers, trailcsi):
    done = trailcsi("event", answers.rogue_user_event_id, "--source", str(sample_root), "--all-time")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["eventID"] == answers.rogue_user_event_id
    assert record["requestParameters"] == {"userName": answers.rogue_user}
    assert record["managementEvent"] is True  # keys outside the Athena schema are kept


def test_sql_runs_athena_sql_and_dry_run_shows_both_engines_sql(sample_root, trailcsi):
    statement = "SELECT eventname, count(*) AS n FROM trail GROUP BY 1 ORDER BY 2 DESC, 1"
    done = trailcsi(
        "sql", statement, "--source", str(sample_root), "--all-time", "--format", "csv", "--limit", "3"
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["eventname", "n"] and len(rows) == 4
    dry = trailcsi("sql", statement, "--source", str(sample_root), "--start", "2025-03-28", "--dry-run")
    assert dry.returncode == 0 and "read_json" in dry.stdout and "WITH trail AS" in dry.stdout


COMMENTED = "-- Events per name (published .sql files start with a comment)\nSELECT eventname, count(*) AS n\nFROM trail GROUP BY 1 ORDER BY 2 DESC, 1"


def test_sql_starting_with_a_comment_from_the_argument_a_file_or_stdin(sample_root, tmp_path, trailcsi):
    # (one day is enough: what is checked is how the query is read, not what it finds)
    day = ["--start", "2025-03-30", "--end", "2025-03-30"]
    common = ["--source", str(sample_root), *day, "--format", "csv", "--limit", "2"]
    # a first line `-- ...` is the query, not an option, wherever the options stand
    before = trailcsi("sql", COMMENTED, *common)
    after = trailcsi("sql", *common, COMMENTED)
    query = tmp_path / "query.sql"
    query.write_text(COMMENTED + "\n")
    from_file = trailcsi("sql", "--file", str(query), *common)
    from_stdin = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "sql", "-", *common],
        input=COMMENTED,
        capture_output=True,
        text=True,
    )
    for done in (before, after, from_file, from_stdin):
        assert done.returncode == 0, done.stderr
        assert done.stdout == before.stdout and done.stdout.startswith("eventname,n\n")
    both = trailcsi("sql", COMMENTED, "--file", str(query), *common)
    assert both.returncode == ExitCode.USAGE and "not both" in both.stderr
    neither = trailcsi("sql", *common)
    assert neither.returncode == ExitCode.USAGE and "no query given" in neither.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sql", "DROP TABLE trail"], ExitCode.USAGE, "only SELECT or WITH"),
        (["sql", "SELECT 1 FROM trail; DELETE FROM trail"], ExitCode.USAGE, "one SQL statement"),
        (["sql", "SELECT evnetname FROM trail"], ExitCode.USAGE, "did you mean 'eventname'"),
        (["search", "--columns", "eventnme"], ExitCode.USAGE, "did you mean 'eventname'"),
        (
            ["search", "--columns", "eventtime,useridentity.sessionissuer.arn"],
            ExitCode.USAGE,
            "did you mean 'useridentity.sessioncontext.sessionissuer.arn'",
        ),
        (
            ["search", "--columns", "tlsdetails.version"],
            ExitCode.USAGE,
            "did you mean 'tlsdetails.tlsversion'",
        ),
        (["search", "--since", "7 weeks"], ExitCode.USAGE, "is not a duration"),
        (["search", "--start", "2024-02-01", "--end", "2024-01-01"], ExitCode.USAGE, "is not before"),
        (["search", "--source-ip", "999.1.1.1"], ExitCode.USAGE, "not an IP address"),
        (
            ["search", "--format", "xml"],
            ExitCode.USAGE,
            "'xml' is not one of 'table', 'csv', 'json', 'jsonl'",
        ),
        (["search", "--nope"], ExitCode.USAGE, "No such option: --nope"),
        (["search", "--limit", "ten"], ExitCode.USAGE, "Invalid value for '--limit'"),
        (["event", "no-such-id", "--since", "2d"], ExitCode.NOT_FOUND, "no event"),
    ],
)
def test_user_mistakes_are_one_line_errors(sample_root, args, code, message, trailcsi):
    done = trailcsi(*args, "--source", str(sample_root))
    assert done.returncode == code
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in done.stderr


def test_a_window_outside_the_archive_says_so(sample_root, trailcsi):
    done = trailcsi("search", "--source", str(sample_root), "--since", "1d", "--format", "csv")
    assert done.returncode == 0 and "the archive holds" in done.stderr
    assert done.stdout.count("\n") == 1  # the header only


def test_missing_source_directory(tmp_path, trailcsi):
    done = trailcsi("search", "--source", str(tmp_path / "missing"))
    assert done.returncode == ExitCode.BAD_DATA and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_command_has_help(trailcsi):
    for command in ("search", "sql", "event", "sample", "demo", "run", "queries"):
        done = trailcsi(command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout


def test_the_process_entry_runs_commands_with_garbage_collection_back_on():
    """`python -m toolkit` (the installed command's entry) starts with collection off and turns
    it on before a command runs."""
    probe = (
        "import gc, sys\n"
        "from toolkit import cli, __main__ as entry\n"
        "@cli.app.command('gc-probe', hidden=True)\n"
        "def probe() -> None:\n"
        "    print(gc.isenabled(), gc.get_freeze_count() > 10_000)\n"
        "sys.argv = ['trailcsi', 'gc-probe']\n"
        "entry.main()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    version = subprocess.run([sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip()


def test_a_table_written_to_a_pipe_keeps_each_row_on_one_line(trailcsi):
    """`trailcsi names ec2 | grep AssociateNatGatewayAddress` finds it: no cell is folded when the
    table does not go to a terminal, however wide."""
    import io as _io

    from toolkit.core import export

    stream = _io.StringIO()
    event_id = "e54bce43-4505-4808-916c-99c09a6f1e2b"
    arn = (
        "arn:aws:sts::410987654321:assumed-role/app-web-role/i-0a1b2c3d4e5f60718-" + "x" * 40
    )  # (110 characters: under the 120 a cell shows)
    count = export.write(["eventid", "principal"], [(event_id, arn), ("x", "y")], "table", stream)
    lines = stream.getvalue().splitlines()
    assert count == 2
    assert [line for line in lines if event_id in line] == [line for line in lines if arn in line]
    assert len([line for line in lines if event_id in line]) == 1
    wide = _io.StringIO()  # characters two cells wide (a userAgent, a tag value) fold nothing either
    agent = "アプリ/1.0 " + "漢字" * 40
    export.write(["eventid", "useragent"], [(event_id, agent), ("x", "y")], "table", wide)
    assert len([line for line in wide.getvalue().splitlines() if event_id in line and agent in line]) == 1
    empty = _io.StringIO()  # no rows: the header alone (it raised TypeError)
    assert export.write(["eventid", "principal"], [], "table", empty) == 0 and "eventid" in empty.getvalue()
    done = trailcsi("names", "ec2")
    assert any(
        "AssociateNatGatewayAddress" in line and "ec2.amazonaws.com" in line
        for line in done.stdout.splitlines()
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("width", [80, 100, 130, 170, 250])
def test_a_terminal_table_never_cuts_an_identifier_or_crops_a_column(monkeypatch, width):
    """In a terminal the table fits the terminal's width: event ids, times, addresses and accounts
    stay whole on one line and no column is cropped at the edge; where even folded columns do not
    fit, each row is a block of `column  value` lines (psql's expanded display)."""
    from toolkit.core import export

    monkeypatch.setenv("COLUMNS", str(width))
    columns = ["eventtime", "eventsource", "eventname", "principal", "sourceipaddress", "awsregion"]
    columns += ["account", "errorcode", "eventid"]
    rows = [
        (
            "2026-08-22T02:13:07Z",
            "iam.amazonaws.com",
            "CreateUser",
            "arn:aws:iam::410987654321:user/carol",
            "192.0.2.77",
            "us-east-1",
            "410987654321",
            "",
            f"31c1b610-7cca-4c49-83f9-4fb239c3ce0{n}",
        )
        for n in range(3)
    ]
    stream = _Terminal()
    assert export.write(columns, rows, "table", stream) == 3
    lines = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue()).splitlines()  # less the styles
    assert all(len(line.rstrip()) <= width for line in lines)
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            if export._kept_whole(column) and value:
                assert any(value in line for line in lines), (column, value)
    as_records = [line for line in lines if line.startswith("row ")]
    assert len(as_records) == (3 if width < 160 else 0)
    if as_records:  # every value whole, beside its column's name
        assert any(line.split() == ["principal", "arn:aws:iam::410987654321:user/carol"] for line in lines)


def test_dry_run_names_a_few_log_files_and_says_how_many_all_files_names_each(sample_root, trailcsi):
    base = ["sql", "SELECT count(*) FROM trail", "--source", str(sample_root), "--all-time", "--dry-run"]
    short = trailcsi(*base)
    assert short.returncode == 0, short.stderr
    first = short.stdout.splitlines()[0]
    assert first.startswith("-- 8,") and "log files are read; the first 3 are named below" in first
    assert short.stdout.count(".json.gz'") == 3 and len(short.stdout) < 5_000
    full = trailcsi(*base, "--all-files")
    assert full.returncode == 0 and not full.stdout.startswith("--")
    assert full.stdout.count(".json.gz'") == int(first.split()[1].replace(",", ""))


def test_a_reader_that_stops_early_ends_the_command_quietly(sample_root):
    # `trailcsi search ... | head -c 100`: the reader goes, the write fails with EPIPE. That is no
    # write error to report ("cannot write a temporary copy of the rows: Broken pipe", exit 2).
    for fmt in ("csv", "json", "jsonl"):
        command = [sys.executable, "-m", "toolkit", "search", "--source", str(sample_root)]
        command += ["--start", "2025-03-25", "--end", "2025-03-30", "--format", fmt]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as running:
            assert running.stdout is not None and running.stderr is not None
            running.stdout.read(100)
            running.stdout.close()
            errors = running.stderr.read().decode()
            code = running.wait(timeout=120)
        assert code == 1, (fmt, errors)
        assert "error" not in errors and "Traceback" not in errors, (fmt, errors)


def test_a_path_the_system_refuses_is_one_line(tmp_path, trailcsi):
    long = str(tmp_path / ("a" * 5000))
    for args in (["search", "--source", long], ["search", "--source", str(tmp_path), "-o", long + ".csv"]):
        done = trailcsi(*args)
        assert done.returncode == ExitCode.USAGE, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("trailcsi: error: File name too long (")
