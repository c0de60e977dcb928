"""What a terminal shows of the data: values cannot drive it, identifiers are never cut, columns
share the width sensibly, and a finding's details show the detection's own facts."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys

import pytest
from conftest import lay_out, run_in_process

from toolkit.core import export

#: What a hostile user agent or any attacker-written field can carry: a sequence that moves the
#: cursor up and deletes the line above (hiding a StopLogging row), clears the screen, sets the
#: window title, a one-byte CSI, DEL, and bidi overrides that reorder what follows.
HOSTILE = [
    "aws-cli/2\x1b7\x1b[1A\x1b[1M\x1b8\x1b[1A",
    "x\x1b[2Jy",
    "t\x1b]0;owned\x07z",
    "c1\x9b2Kend",
    "del\x7fete",
    "user/\u202eecila\u202c",
    "iso\u2066late\u2069 lrm\u200e rlm\u200f",
    "two\nlines\rback",
]
#: Characters none of which may reach the terminal raw.
RAW = ("\x1b", "\x9b", "\x7f", "\u202e", "\u202c", "\u2066", "\u2069", "\u200e", "\u200f", "\r", "\x07")
STYLES = re.compile(r"\x1b\[[0-9;]*m")  # what rich itself writes: colours and bold


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def shown(stream: io.StringIO) -> str:
    return STYLES.sub("", stream.getvalue())


def column(text: str, at: int, key: int = 0) -> list[str]:
    """The values of a table's column `at`, each value's folded lines joined: a row starts where
    the `key` column (never folded) has a value."""
    values: list[str] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = line.strip().strip("│").split("│")
        if cells[key].strip() or not values:
            values.append("")
        values[-1] += cells[at].strip()
    return values


@pytest.mark.parametrize("width", [30, 200])
def test_no_value_reaches_a_terminal_table_or_record_raw(monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    rows = [("StopLogging", "arn:aws:iam::111122223333:user/mallory", "aws-cli/2")]
    rows += [("GetCallerIdentity", f"principal-{n}", agent) for n, agent in enumerate(HOSTILE)]
    stream = Terminal()
    assert export.write(["eventname", "principal", "useragent"], rows, "table", stream) == len(rows)
    text = shown(stream)
    assert not [c for c in RAW if c in text], text
    assert "StopLogging" in text
    flat = re.sub(r"[\s│┃]", "", text)  # folded lines joined
    for escape in (r"\x1b7\x1b[1A\x1b[1M\x1b8\x1b[1A", r"\x1b[2J", r"\x1b]0;owned\x07", r"\x9b", r"\x7f"):
        assert escape in flat, escape
    assert r"\u202e" in flat and r"\u2066" in flat and r"\u200e" in flat and r"two\nlines\rback" in flat
    if width == 30:  # too narrow for the table: records, escaped the same way
        assert "row 1" in text
    # the escapes are set apart by their style: a value holding the text "\x1b" is not one
    assert "\x1b[7m\\x1b" in stream.getvalue()


def test_a_table_piped_is_escaped_too_csv_and_json_files_keep_the_bytes():
    rows = [(agent,) for agent in HOSTILE]
    piped = io.StringIO()
    export.write(["useragent"], rows, "table", piped)
    assert not [c for c in RAW if c in piped.getvalue()]
    assert len(piped.getvalue().splitlines()) == len(rows) + 4  # one line a row still
    data = io.StringIO()
    export.write(["useragent"], rows, "csv", data)
    assert [r[0] for r in csv.reader(io.StringIO(data.getvalue()))][1:] == HOSTILE
    whole = io.StringIO()
    export.write(["useragent"], rows, "json", whole)
    assert [r["useragent"] for r in json.loads(whole.getvalue())] == HOSTILE
    assert "\x9b" in whole.getvalue() and "\u202e" in whole.getvalue()  # the bytes, untouched


def test_csv_and_json_on_a_terminal_escape_what_the_terminal_would_act_on():
    rows = [(agent,) for agent in HOSTILE]
    table = Terminal()
    export.write(["useragent"], rows, "csv", table)
    assert not [c for c in RAW if c in table.getvalue()]
    assert r"aws-cli/2\x1b7\x1b[1A" in table.getvalue()
    for fmt in ("json", "jsonl"):
        stream = Terminal()
        export.write(["useragent"], rows, fmt, stream)
        assert not [c for c in RAW if c in stream.getvalue()], fmt
        lines = stream.getvalue().splitlines()
        values = (
            [r["useragent"] for r in json.loads(stream.getvalue())]
            if fmt == "json"
            else [json.loads(line)["useragent"] for line in lines]
        )
        assert values == HOSTILE  # JSON escapes: the same data
    assert json.loads(export.json_visible(json.dumps({"k": "a\U000e0041\ud800b"}, ensure_ascii=False))) == {
        "k": "a\U000e0041\ud800b"
    }


def _under_pty(args: list[str], columns: int) -> str:
    """The CLI's stdout and stderr as a terminal `columns` wide shows them (styles left in)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the terminal
        os.environ.update(COLUMNS=str(columns), LINES="50")
        os.execv(sys.executable, [sys.executable, "-m", "toolkit", *args])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    out = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def _event(name: str, agent: str, number: int, **more: object) -> dict[str, object]:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
        "eventTime": f"2024-05-01T12:00:{number:02d}Z",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": agent,
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        **more,
    }


def test_search_and_event_on_a_terminal_do_not_let_a_user_agent_erase_a_row(tmp_path):
    root = lay_out(
        [
            _event("StopLogging", "aws-cli/2", 1),
            _event("GetCallerIdentity", HOSTILE[0], 2),
            _event("DescribeTrails", "\u202eevil\x9b2J", 3),
        ],
        tmp_path / "archive",
    )
    window = ["--source", str(root), "--start", "2024-05-01", "--end", "2024-05-02"]
    for columns in (200, 80):
        text = STYLES.sub("", _under_pty(["search", *window, "--columns", "eventname,useragent"], columns))
        assert "StopLogging" in text and r"\x1b[1M" in text and r"\u202e" in text
        assert not [c for c in RAW if c in text.replace("\r\n", "\n")], text
    text = STYLES.sub("", _under_pty(["event", "00000000-0000-4000-8000-000000000003", *window], 120))
    assert "\\u202eevil\\u009b2J" in text and not [c for c in RAW if c in text.replace("\r\n", "\n")]


def test_csv_and_json_streamed_to_a_terminal_are_escaped_too(tmp_path):
    """Rows streamed through a spool file and copied to the terminal: escaped for the terminal
    they end up on (the spool itself is no terminal, so they went out raw)."""
    root = lay_out([_event("DescribeTrails", "\u202eevil\x9b2J \x1b]0;pwned\x07", 1)], tmp_path / "archive")
    window = ["--source", str(root), "--start", "2024-05-01", "--end", "2024-05-02"]
    for fmt in ("csv", "json", "jsonl"):
        for args in (
            ["search", "--columns", "eventname,useragent"],
            ["sql", "SELECT eventname, useragent FROM trail"],
        ):
            text = STYLES.sub("", _under_pty([*args, *window, "--format", fmt], 120))
            assert "DescribeTrails" in text and "u202e" in text, (fmt, args, text)
            assert not [c for c in RAW if c in text.replace("\r\n", "\n")], (fmt, args, text)


SESSION = (
    "arn:aws:sts::111122223333:assumed-role/" + "OrganizationAccountAccessRole-" * 3 + "/auditor-session-"
)


@pytest.mark.parametrize("terminal", [True, False])
def test_identifiers_are_never_cut(monkeypatch, terminal):
    """Two session ARNs that differ only after the 120th character stay two different ARNs;
    other long cells may still be cut (with an ellipsis)."""
    monkeypatch.setenv("COLUMNS", "160")
    rows = [
        ("1", SESSION + "alice", f"arn:aws:s3:::{'b' * 130}-a", "x" * 200 + "END"),
        ("2", SESSION + "mallory", f"arn:aws:s3:::{'b' * 130}-m", "y" * 200 + "END"),
    ]
    assert len(SESSION) > 120
    stream = Terminal() if terminal else io.StringIO()
    export.write(["n", "principal", "resourcearn", "useragent"], rows, "table", stream)
    text = shown(stream)
    assert column(text, 1) == [r[1] for r in rows]
    assert column(text, 2) == [r[2] for r in rows]
    assert column(text, 3) == [r[3][:119] + "…" for r in rows]


def _lines(columns: list[str], rows: list[tuple[str, ...]], width: int, monkeypatch) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    stream = Terminal()
    export.write(columns, rows, "table", stream)
    lines = shown(stream).splitlines()
    assert all(len(line) <= width for line in lines)
    return lines


def test_short_values_are_never_folded_the_widest_column_folds(monkeypatch):
    """At 200 columns, `search --user alice`: one character was taken off several columns
    (`signin.amazonaws.co|m`, `user/alic|e`, `AssociateAddres|s`)."""
    columns = ["eventtime", "eventsource", "eventname", "principal", "sourceipaddress", "awsregion"]
    columns += ["account", "outcome", "eventid"]
    rows = [
        (
            "2026-07-24T08:48:52Z",
            "signin.amazonaws.com",
            "ConsoleLogin",
            "arn:aws:iam::410987654321:user/alice",
        )
        + ("198.51.100.23", "us-east-1", "410987654321", "", "749e9b37-15db-4278-a2e6-de21b7a7b6fd"),
        (
            "2026-07-24T08:51:52Z",
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            "arn:aws:iam::410987654321:user/alice",
        )
        + ("198.51.100.23", "us-east-1", "410987654321", "", "6bcad4b3-48a0-4a65-807a-d3ec73b28103"),
        (
            "2026-07-24T08:52:52Z",
            "ec2.amazonaws.com",
            "AssociateAddress",
            "arn:aws:iam::410987654321:user/alice",
        )
        + ("198.51.100.23", "us-east-1", "410987654321", "Client.UnauthorizedOperation: You are not")
        + ("5be5a71e-6556-4c89-8da2-2b03c03b4c03",),
    ]
    lines = _lines(columns, rows, 200, monkeypatch)
    assert not [line for line in lines if line.startswith("row ")]
    for row in rows:
        for value in row:
            if len(value) <= 24:
                assert any(value in line for line in lines), value
    assert column("\n".join(lines), 7)[2].replace(" ", "") == "Client.UnauthorizedOperation:Youarenot"
    assert column("\n".join(lines), 3) == [r[3] for r in rows]


def test_the_sweep_summary_keeps_times_and_template_names_whole(monkeypatch):
    from toolkit.templates.sweep import SUMMARY_COLUMNS

    rows = [
        ("security-group-opened-to-world", "high", 1, 0, "2026-11-29T13:20:05Z", "2026-11-29T13:20:05Z")
        + ("arn:aws:sts::410987654321:assumed-role/ci-deploy/terraform-apply-4821 (1)",),
        ("lambda-code-or-access-changed", "medium", 12, 0, "2026-11-01T18:08:17Z", "2026-11-06T08:50:25Z")
        + ("arn:aws:iam::520123456789:user/dan (12)",),
    ]
    for width in (120, 160, 200):
        lines = _lines(list(SUMMARY_COLUMNS), rows, width, monkeypatch)
        assert not [line for line in lines if line.startswith("row ")], width  # a table
        for row in rows:
            for value in (row[0], row[4], row[5]):
                assert any(value in line for line in lines), (width, value)
    lines = _lines(list(SUMMARY_COLUMNS), rows, 80, monkeypatch)  # names and times need 95: records
    assert [line for line in lines if line.startswith("row ")]
    assert any("2026-11-06T08:50:25Z" in line for line in lines)


def test_a_column_that_fits_when_folded_is_a_table_not_records(monkeypatch):
    rows = [("2026-11-29T13:20:05Z", "high", "x " * 150)]
    lines = _lines(["first", "severity", "description"], rows, 80, monkeypatch)
    assert not [line for line in lines if line.startswith("row ")]
    assert any("2026-11-29T13:20:05Z" in line for line in lines)


def test_sweep_findings_show_the_detections_own_facts_first_and_whole(sample_root, capsys):
    """The details cell began with useragent, awsregion and account and was cut, so the brute
    force's `success_followed` and the security group's 0.0.0.0/0 never showed."""
    code, out, err = run_in_process(
        capsys,
        "sweep",
        "--source",
        str(sample_root),
        "--start",
        "2025-03-24",
        "--end",
        "2025-04-01",
        "-f",
        "table",
    )
    assert code in (0, 1), err
    rows = [line for line in out.splitlines() if "console-login-failures" in line and "{" in line]
    rows += [line for line in out.splitlines() if "security-group-opened-to-world" in line and "{" in line]
    assert len(rows) == 2, out
    brute, opened = (line[line.index("{") : line.rindex("}") + 1] for line in rows)
    assert '"success_followed":true' in brute and "…" not in brute
    assert list(json.loads(brute))[-3:] == ["useragent", "awsregion", "account"] or "useragent" not in brute
    assert '"cidrIp":"0.0.0.0/0"' in opened and '"fromPort":22' in opened  # the JSON it holds, not a string
    assert list(json.loads(opened))[0] == "group_id" and list(json.loads(opened)).index("useragent") > 1


def test_own_columns_come_before_the_generic_ones():
    from toolkit.templates.sweep import own_first as _own_first

    details = {"useragent": "a", "awsregion": "r", "errorcode": None, "account": "1", "mine": 1, "also": 2}
    assert list(_own_first(details)) == ["mine", "also", "useragent", "awsregion", "account", "errorcode"]


def test_search_shows_a_failed_console_login_as_a_failure(sample_root, capsys):
    base = [
        "search",
        "--source",
        str(sample_root),
        "--start",
        "2025-03-24",
        "--end",
        "2025-04-01",
        "--event-name",
        "ConsoleLogin",
    ]
    code, out, err = run_in_process(capsys, *base, "--format", "table")
    assert code == 0, err
    header = out.splitlines()[1]
    assert "outcome" in header and "errorcode" not in header
    assert "Failure: Failed authentication" in out
    code, out, err = run_in_process(capsys, *base, "--columns", "outcome,errorcode,responseelements")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    failed = [r for r in rows if '"Failure"' in r["responseelements"]]
    assert failed and all(r["outcome"] == "Failure: Failed authentication" for r in failed)
    assert all(r["outcome"] == "" for r in rows if r not in failed)


def test_outcome_is_the_error_code_with_the_start_of_its_message(sample_root, capsys):
    code, out, err = run_in_process(
        capsys,
        "search",
        "--source",
        str(sample_root),
        "--start",  # the sample's first week: messages longer than an outcome shows
        "2024-11-22",
        "--end",
        "2024-11-29",
        "--error-code",
        "AccessDenied",
        "--columns",
        "outcome,errorcode,errormessage",
        "--limit",
        "3",
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert any(len(row["errormessage"]) > 60 for row in rows)
    for row in rows:
        message = row["errormessage"]
        expected = message if len(message) <= 60 else message[:59] + "…"
        assert row["outcome"] == f"AccessDenied: {expected}"


def test_small_wording(sample_root, capsys):
    base = ["--source", str(sample_root), "--start", "2025-03-24", "--end", "2025-04-01"]
    code, _out, err = run_in_process(capsys, "search", *base, "--limit", "1", "--columns", "eventid")
    assert code == 0 and err.rstrip().endswith("trailcsi: 1 row"), err
    code, _out, err = run_in_process(capsys, "search", *base, "--columns", "eventnam,useridentity.arnn")
    assert code == 2 and "'eventnam'" in err and "'useridentity.arnn'" in err, err
    assert "'eventname'" in err and "'useridentity.arn'" in err
    sql = "SELECT eventname, count(*) FROM trail GROUP BY 1"
    code, _out, err = run_in_process(capsys, "sql", sql, *base, "--sort", "count(*)")
    assert code == 2 and "needs an AS name" in err, err


def test_the_verify_table_shows_a_file_name_escaped(monkeypatch, capsys):
    import importlib

    verify = importlib.import_module("toolkit.cli.verify")  # (the package's `verify` is the command)
    verify._shown("log file s3://b/AWSLogs/x\x1b[2J.json.gz: missing")
    assert "\\x1b[2J" in capsys.readouterr().out


def test_hidden_characters_are_exactly_the_controls_and_format_characters():
    import unicodedata

    for code in [
        *range(0x20),
        *range(0x7F, 0xA0),
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]:
        char = chr(code)
        if char in "\t\n\r":
            assert export.visible(char) == {"\t": "\t", "\n": r"\n", "\r": r"\r"}[char]
            continue
        assert export.visible(char) in (f"\\x{code:02x}", f"\\u{code:04x}"), hex(code)
    assert export.visible("café 漢字 – ok\t") == "café 漢字 – ok\t"
    hidden = [chr(c) for c in range(0x30000) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")]
    assert not [c for c in hidden if c != "\t" and c in export.visible("".join(hidden))]


def test_dry_run_shows_a_file_name_escaped_on_a_terminal(tmp_path):
    root = lay_out([_event("DescribeTrails", "aws-cli/2", 1)], tmp_path / "archive")
    [log] = list(root.rglob("*.json.gz"))
    log.rename(log.with_name(log.name.replace(".json.gz", "\u202egz.nosj\x9b[31m.json.gz")))
    window = ["--source", str(root), "--start", "2024-05-01", "--end", "2024-05-02"]
    text = STYLES.sub("", _under_pty(["search", *window, "--dry-run", "--all-files"], 200))
    assert "\\u202egz.nosj\\x9b" in text  # (the name as a literal glob: its [ written [[])
    assert not [c for c in RAW if c in text.replace("\r\n", "\n")], text


def test_csv_details_are_the_tables_own_columns_first_and_json_as_json():
    # CSV's details cell was the record's fields in their order, with requestparameters a JSON
    # string inside the JSON (decoded twice to read); it is what the table shows.
    from toolkit.core.finding import Finding
    from toolkit.templates.sweep import finding_rows

    record = {
        "eventtime": "2025-03-30T13:20:05Z",
        "eventname": "AuthorizeSecurityGroupIngress",
        "principal": "arn:aws:sts::1:assumed-role/r/s",
        "sourceipaddress": "192.0.2.10",
        "eventid": "e1",
        "useragent": "terraform",
        "requestparameters": '{"groupId": "sg-1", "ipPermissions": {"items": [{"fromPort": 22}]}}',
        "group_id": "sg-1",
    }
    found = [(Finding("security-group-opened-to-world", "high", record), None)]
    columns, rows = finding_rows(found, structured=False)
    details = json.loads(dict(zip(columns, rows[0], strict=True))["details"])
    assert list(details) == ["requestparameters", "group_id", "useragent"]
    assert details["requestparameters"]["ipPermissions"]["items"][0]["fromPort"] == 22
