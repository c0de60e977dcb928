"""`trailcsi case build`: the case folder's files checked against the archive they came from.

The sample's brute force (40 failed console logins against alice, a success, then an Elastic IP
taken in her session) is the case; a hand-written archive with odd spacing, key order, escapes
and hostile text checks that records are cited byte for byte and the report escapes them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import finished_in_process, once_per_run, run_in_process, sample_copy, shared_dir

from toolkit import case
from toolkit.case import raw, report
from toolkit.core.query import TrailQuery
from toolkit.core.window import parse as parse_window
from toolkit.engines.local import LocalEngine
from toolkit.errors import ExitCode, UsageError
from toolkit.sample import digests

WINDOW = ("--start", "2025-03-29T02:00Z", "--end", "2025-03-29T06:00Z")
HOSTILE_AGENT = '</script><script>alert("agent")</script><img src=x onerror=alert(1)>'
HOSTILE_VALUE = "</SCRIPT ><b>bold</b>&amp;\u2028<!--"


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m toolkit args`, the installed command's entry, as a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, env=env, timeout=300
    )


#: The command line run in this process, as a finished process.
run_cli = finished_in_process


@pytest.fixture(scope="module")
def brute_force_case(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The brute-force case, built through the installed command's entry with the sample's keys and
    signatures: once for the run (pytest-xdist's workers share it; tests only read it)."""
    shared = shared_dir(tmp_path_factory)
    target = shared / "case-brute-force"
    with once_per_run(shared, target.name) as to_make:
        if to_make:
            shutil.rmtree(target, ignore_errors=True)  # (a builder that died half-way)
            done = run_process(
                "case",
                "build",
                str(target),
                "--source",
                str(sample_root),
                *WINDOW,
                "--principal",
                "alice",
                "--finding-from-sweep",
                "all",
                "--title",
                "Alice console compromise",
                "--public-keys",
                str(sample_root / digests.PUBLIC_KEYS),
                "--signatures",
                str(sample_root / digests.METADATA),
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == str(target / "report.html")
    return target


def expected_ids(answers) -> set[str]:
    return {
        *answers.brute_force_failure_ids,
        answers.brute_force_success_id,
        answers.eip_allocate_event_id,
        answers.eip_associate_event_id,
    }


def test_case_folder_holds_the_four_files(brute_force_case: Path) -> None:
    assert sorted(p.name for p in brute_force_case.iterdir()) == sorted(case.FILES)


def test_events_are_the_planted_incident(brute_force_case: Path, answers) -> None:
    lines = (brute_force_case / "events.jsonl").read_bytes().splitlines()
    ids = [json.loads(line)["eventID"] for line in lines]
    assert expected_ids(answers) <= set(ids)
    assert len(ids) == len(set(ids))
    times = [json.loads(line)["eventTime"] for line in lines]
    assert times == sorted(times)


def test_events_jsonl_lines_are_the_original_record_text(brute_force_case: Path, sample_root: Path) -> None:
    manifest = json.loads((brute_force_case / "manifest.json").read_text())
    texts = {
        f["path"]: gzip.decompress((sample_root / f["path"]).read_bytes())
        for f in manifest["log_files"]
        if f["cited_records"]
    }
    lines = (brute_force_case / "events.jsonl").read_bytes().splitlines()
    for line in lines:
        holders = [path for path, text in texts.items() if line in text]
        assert len(holders) == 1, line[:120]
    assert sum(f["cited_records"] for f in manifest["log_files"]) == len(lines)


def test_manifest_hashes_match_the_files(brute_force_case: Path, sample_root: Path) -> None:
    manifest = json.loads((brute_force_case / "manifest.json").read_text())
    assert manifest["log_files"], "no log file listed"
    for entry in manifest["log_files"]:
        data = (sample_root / entry["path"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    from toolkit import __version__

    assert manifest["trailcsi_version"] == __version__
    assert manifest["command"][:3] == ["trailcsi", "case", "build"]
    assert "--principal" in manifest["command"]
    assert manifest["window"]["start"] == "2025-03-29T02:00:00Z"
    kinds = {s["kind"] for s in manifest["selections"]}
    assert kinds == {"principal", "sweep"}
    assert all("FROM" in s["athena_sql"] for s in manifest["selections"])


def test_manifest_reads_every_file_of_the_window(brute_force_case: Path, sample_root: Path) -> None:
    manifest = json.loads((brute_force_case / "manifest.json").read_text())
    engine = LocalEngine(sample_root)
    try:
        window = parse_window(start=WINDOW[1], end=WINDOW[3])
        selected = engine.archive.select(window.delivery_span())
    finally:
        engine.close()
    assert sorted(f["path"] for f in manifest["log_files"]) == sorted(
        Path(log.path).relative_to(sample_root).as_posix() for log in selected
    )


def test_manifest_digest_verification_of_the_window(brute_force_case: Path) -> None:
    manifest = json.loads((brute_force_case / "manifest.json").read_text())
    verified = manifest["digest_verification"]
    assert verified["ran"] is True
    assert verified["ok"] is True, verified["problems"][:5]
    assert verified["totals"]["digests_valid"] > 0
    assert verified["chains"]
    # every file read, each vouched for by the digest named, and so every cited record
    assert {f["digest"] for f in manifest["log_files"]} == {"vouched"}
    assert all("/CloudTrail-Digest/" in f["digest_key"] for f in manifest["log_files"])
    assert verified["cited_records_unproven"] == 0 and verified["cited_problems"] == []
    with open(brute_force_case / "timeline.csv", newline="", encoding="utf-8") as handle:
        assert {r["evidence"] for r in csv.DictReader(handle)} == {"vouched"}


def test_a_changed_cited_log_file_fails_the_evidence_and_marks_its_events(
    tmp_path: Path, capsys, sample_root: Path, answers
) -> None:
    """A log file of the window re-written (the same records, other bytes): the case is written,
    the command exits 1 saying why in its last line, and the file, the check and the events say
    the cited record is unproven. Without keys nothing is checked: exit 0, every event "not checked"."""
    archive = sample_copy(sample_root, tmp_path / "archive")
    wanted = answers.brute_force_success_id
    holder = next(
        p
        for p in sorted(archive.rglob("CloudTrail/*/2025/03/29/*.json.gz"))
        if wanted.encode() in gzip.decompress(p.read_bytes())
    )
    body = json.loads(gzip.decompress(holder.read_bytes()))
    holder.write_bytes(gzip.compress(json.dumps(body, indent=1).encode()))
    flags = [*WINDOW, "--event-id", wanted]
    keys = [
        "--public-keys",
        str(archive / digests.PUBLIC_KEYS),
        "--signatures",
        str(archive / digests.METADATA),
    ]
    code, out, err = run_in_process(
        capsys, "case", "build", str(tmp_path / "case"), "--source", str(archive), *flags, *keys
    )
    assert code == ExitCode.FINDINGS, err
    assert out.strip() == str(tmp_path / "case" / "report.html")  # written all the same
    assert err.splitlines()[-1].endswith("but its evidence failed the digest check (see manifest.json)")
    assert "1 of the 1 cited records come from 1 log file(s) no authenticated digest vouches for" in err
    manifest = json.loads((tmp_path / "case" / "manifest.json").read_text())
    [entry] = [f for f in manifest["log_files"] if f["cited_records"]]
    name = holder.relative_to(archive).as_posix()
    assert (entry["path"], entry["digest"]) == (name, "hash mismatch") and entry["digest_key"]
    verified = manifest["digest_verification"]
    assert verified["ok"] is False and verified["cited_records_unproven"] == 1
    assert verified["cited_problems"] == [
        f"cited log file {name} (1 cited record(s)) is not proven: hash mismatch ({entry['digest_key']})"
    ]
    assert any(p.endswith(f"log file {name} does not match its digest's hash") for p in verified["problems"])
    with open(tmp_path / "case" / "timeline.csv", newline="", encoding="utf-8") as handle:
        assert [r["evidence"] for r in csv.DictReader(handle)] == ["unproven"]

    code, _out, err = run_in_process(
        capsys, "case", "build", str(tmp_path / "unchecked"), "--source", str(archive), *flags
    )
    assert code == 0, err
    assert "digest chains not verified: no public keys were given" in err
    manifest = json.loads((tmp_path / "unchecked" / "manifest.json").read_text())
    assert {f["digest"] for f in manifest["log_files"]} == {"not checked"}
    with open(tmp_path / "unchecked" / "timeline.csv", newline="", encoding="utf-8") as handle:
        assert [r["evidence"] for r in csv.DictReader(handle)] == ["not checked"]


def test_timeline_csv_rows_match_the_events(brute_force_case: Path) -> None:
    with open(brute_force_case / "timeline.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    records = [json.loads(line) for line in (brute_force_case / "events.jsonl").read_bytes().splitlines()]
    assert [r["eventid"] for r in rows] == [r["eventID"] for r in records]
    assert [r["eventtime"] for r in rows] == [r["eventTime"] for r in records]
    assert [r["eventname"] for r in rows] == [r["eventName"] for r in records]
    assert [r["sourceipaddress"] for r in rows] == [r["sourceIPAddress"] for r in records]
    assert all(r["selected_by"] for r in rows)


def test_sweep_findings_are_marked(brute_force_case: Path, answers) -> None:
    with open(brute_force_case / "timeline.csv", newline="", encoding="utf-8") as handle:
        rows = {r["eventid"]: r for r in csv.DictReader(handle)}
    # the Elastic IP allocation is no detection's; the success without MFA is one
    success = rows[answers.brute_force_success_id]
    assert "console-login-without-mfa" in success["findings"]
    assert success["severity"] == "medium"
    assert rows[answers.eip_allocate_event_id]["severity"] == "none"


def test_failed_console_logins_say_so(brute_force_case: Path, answers) -> None:
    """A failed ConsoleLogin has no errorCode: its failure is in responseElements. The timeline's
    and the report's outcome tell the 40 failures from the success."""
    with open(brute_force_case / "timeline.csv", newline="", encoding="utf-8") as handle:
        rows = {r["eventid"]: r for r in csv.DictReader(handle)}
    failures = {rows[i]["outcome"] for i in answers.brute_force_failure_ids}
    assert failures == {"Failure: Failed authentication"}
    assert {rows[i]["errorcode"] for i in answers.brute_force_failure_ids} == {""}
    assert rows[answers.brute_force_success_id]["outcome"] == "Success"
    page = (brute_force_case / "report.html").read_text(encoding="utf-8")
    assert "<th>outcome</th>" in page and '"Failure: Failed authentication"' in page


@pytest.mark.parametrize(
    ("record", "outcome"),
    [
        ({"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Success"}}, "Success"),
        (
            {
                "eventName": "ConsoleLogin",
                "errorMessage": "Failed authentication",
                "responseElements": {"ConsoleLogin": "Failure"},
            },
            "Failure: Failed authentication",
        ),
        (
            {"eventName": "SwitchRole", "responseElements": {"SwitchRole": "Failure"}, "errorMessage": "x"},
            "Failure: x",
        ),
        (
            {"eventName": "GetObject", "errorCode": "AccessDenied", "errorMessage": "Access Denied"},
            "AccessDenied: Access Denied",
        ),
        (
            {"eventName": "RunInstances", "errorCode": "Client.UnauthorizedOperation"},
            "Client.UnauthorizedOperation",
        ),
        ({"eventName": "ListBuckets", "responseElements": None}, ""),
        ({"eventName": "CreateUser", "responseElements": {"user": {"userName": "x"}}}, ""),
    ],
)
def test_outcome_in_words(record, outcome) -> None:
    assert case.outcome_of(record) == outcome


def test_report_queries_without_rows_are_one_line_and_the_command_can_be_pasted(
    brute_force_case: Path,
) -> None:
    manifest = json.loads((brute_force_case / "manifest.json").read_text())
    page = (brute_force_case / "report.html").read_text(encoding="utf-8")
    empty = [s["label"] for s in manifest["selections"] if not s["rows"]]
    full = [s for s in manifest["selections"] if s["rows"]]
    assert len(empty) > 10 and full
    assert page.count("<article class=query>") == len(full)
    [line] = [x for x in page.split("\n") if "id=empty-queries" in x]
    assert f"{len(empty)} queries found no rows" in line and all(name in line for name in empty)
    # the command as a shell reads it back: the title's words quoted together
    assert "--title &#x27;Alice console compromise&#x27;" in page
    assert manifest["command"][manifest["command"].index("--title") + 1] == "Alice console compromise"


def test_report_is_self_contained(brute_force_case: Path) -> None:
    page = (brute_force_case / "report.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script src" not in page.lower() and "<link" not in page.lower()
    assert 'id="timeline-chart"' in page and 'id="activity-principal"' in page and 'id="activity-ip"' in page


# -- byte for byte, and hostile text ---------------------------------------------------------------


def hostile_archive(root: Path) -> tuple[Path, list[bytes]]:
    """One log file written by hand: keys in odd order, spaces, escapes, a number as CloudTrail
    never writes it, and attacker-controlled text in the fields the report shows."""
    records = [
        (
            '{ "eventVersion":"1.08", "eventTime" : "2025-03-29T03:00:00Z","eventSource":"iam.amazonaws.com",'
            '"eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",'
            f'"userAgent":{json.dumps(HOSTILE_AGENT)},'
            '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/<i>mallory</i>",'
            '"accountId":"111122223333","userName":"=HYPERLINK(\\"http://x\\")"},'
            '"requestParameters":{"userName":"caf\\u00e9","note":'
            + json.dumps(HOSTILE_VALUE)
            + ',"n":1.0E2},'
            '"eventID":"11111111-2222-3333-4444-555555555555","readOnly":false,'
            '"eventType":"AwsApiCall","recipientAccountId":"111122223333"  }'
        ),
        (
            '{"eventID":"aaaaaaaa-2222-3333-4444-555555555555","eventTime":"2025-03-29T03:05:00Z",'
            '"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",'
            '"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},'
            '"sourceIPAddress":"-1+2","userAgent":"@SUM(1)","recipientAccountId":"111122223333",'
            '"readOnly":true,"eventType":"AwsApiCall","eventVersion":"1.08"}'
        ),
    ]
    body = '{\n  "Records" : [\n    ' + " ,\n    ".join(records) + "\n  ]\n}\n"
    key = (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/"
        "111122223333_CloudTrail_us-east-1_20250329T0310Z_AbCdEfGhIjKlMnOp.json.gz"
    )
    path = root / key
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(body.encode("utf-8"), mtime=0))
    return root, [r.encode("utf-8") for r in records]


def build_hostile(tmp_path: Path, *, charts: bool = True) -> tuple[Path, list[bytes]]:
    root, texts = hostile_archive(tmp_path / "archive")
    engine = LocalEngine(root)
    try:
        spec = case.CaseSpec(
            parse_window(start="2025-03-29", end="2025-03-29"),
            event_ids=["11111111-2222-3333-4444-555555555555", "AAAAAAAA-2222-3333-4444-555555555555"],
        )
        built = case.build(engine, spec)
    finally:
        engine.close()
    target = tmp_path / "case"
    case.write(built, target)
    return target, texts


def test_records_are_cited_byte_for_byte_whatever_their_spacing(tmp_path: Path) -> None:
    target, texts = build_hostile(tmp_path)
    assert (target / "events.jsonl").read_bytes() == b"".join(t + b"\n" for t in texts)


def test_a_record_written_over_several_lines_is_one_line_of_events_jsonl(tmp_path: Path) -> None:
    """A pretty-printed log (as some tools re-write them): events.jsonl stays one record a line, the
    record's text with its line breaks (between JSON tokens) as spaces; the manifest counts them."""
    record = {
        "eventVersion": "1.08",
        "eventID": "bbbbbbbb-2222-3333-4444-555555555555",
        "eventTime": "2025-03-29T03:04:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        "requestParameters": {"userName": "line\nbreak in a value"},
        "recipientAccountId": "111122223333",
    }
    text = json.dumps(record, indent=2).replace("\n", "\r\n", 1)  # a CRLF too
    root = tmp_path / "archive"
    key = (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/"
        "111122223333_CloudTrail_us-east-1_20250329T0310Z_AbCdEfGhIjKlMnOp.json.gz"
    )
    (root / key).parent.mkdir(parents=True)
    (root / key).write_bytes(gzip.compress(('{"Records": [' + text + "]}").encode(), mtime=0))
    engine = LocalEngine(root)
    try:
        spec = case.CaseSpec(
            parse_window(start="2025-03-29", end="2025-03-29"), event_ids=[record["eventID"]]
        )
        built = case.build(engine, spec)
    finally:
        engine.close()
    case.write(built, tmp_path / "case")
    lines = (tmp_path / "case" / "events.jsonl").read_bytes().split(b"\n")
    assert lines[1:] == [b""]  # one record, one line
    assert json.loads(lines[0]) == record
    assert lines[0] == text.replace("\r", " ").replace("\n", " ").encode()
    manifest = json.loads((tmp_path / "case" / "manifest.json").read_text())
    assert manifest["events_with_line_breaks_as_spaces"] == 1


def test_no_digest_files_is_not_ok_and_a_skipped_log_file_is_reported(
    tmp_path: Path, capsys, sample_root: Path
) -> None:
    """A window without digest files proves nothing: the manifest's verification is not "ok" and
    says why, and the CLI says so, and exits 1 (as `verify` does) with the case written. A log file
    the case's query could not read (corrupt) is listed in the manifest's skipped files and on
    stderr, never dropped in silence."""
    root, texts = hostile_archive(tmp_path / "archive")
    corrupt = (
        root / "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/"
        "111122223333_CloudTrail_us-east-1_20250329T0315Z_ZzZzZzZzZzZzZzZz.json.gz"
    )
    corrupt.write_bytes(gzip.compress(b'{"Records": [{"eventID": "x"}]}')[:-12])  # truncated
    target = tmp_path / "case"
    code, _out, err = run_in_process(
        capsys,
        *[
            "case",
            "build",
            str(target),
            "--source",
            str(root),
            "--start",
            "2025-03-29",
            "--end",
            "2025-03-29",
        ],
        *["--event-id", "11111111-2222-3333-4444-555555555555"],
        *["--public-keys", str(sample_root / digests.PUBLIC_KEYS)],  # keys given: nothing to check
    )
    assert code == ExitCode.FINDINGS, err
    assert err.splitlines()[-1].endswith("but its evidence failed the digest check (see manifest.json)")
    manifest = json.loads((target / "manifest.json").read_text())
    verified = manifest["digest_verification"]
    assert verified["ran"] is True and verified["ok"] is False and verified["chains_found"] == 0
    assert [f["digest"] for f in manifest["log_files"]] == ["not referenced by any digest"]
    assert verified["cited_records_unproven"] == 1
    assert "no digest files" in verified["why"]
    assert "digest chains: none in the window, nothing proven (no digest files" in err
    assert "none in the window, nothing proven" in (target / "report.html").read_text(encoding="utf-8")
    skipped = manifest["log_files_skipped"]
    assert [Path(s["path"]).name for s in skipped] == [corrupt.name] and skipped[0]["reason"]
    assert corrupt.name in err or "1 file" in err
    assert (target / "events.jsonl").read_bytes() == texts[0] + b"\n"


def test_a_file_a_selection_skipped_but_the_case_read_is_flagged_not_counted_twice(
    tmp_path: Path, capsys
) -> None:
    """A record holding a key twice makes a query reading that key skip its file, while the
    case's narrower look for the cited records reads it: the file is among those read, flagged
    with the selection that skipped it, not also among the skipped; stderr's count, the report's
    and the manifest's agree."""
    root, _texts = hostile_archive(tmp_path / "archive")
    folder = root / "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29"
    record = (
        '{"eventID":"cccccccc-2222-3333-4444-555555555555","eventTime":"2025-03-29T03:06:00Z",'
        '"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",'
        '"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},'
        '"userAgent":"first","userAgent":"second","recipientAccountId":"111122223333"}'
    )
    twice = folder / "111122223333_CloudTrail_us-east-1_20250329T0320Z_TwiceTwiceTwice1.json.gz"
    twice.write_bytes(gzip.compress(('{"Records":[' + record + "]}").encode()))
    target = tmp_path / "case"
    code, _out, err = run_in_process(
        capsys, "case", "build", str(target), "--source", str(root), "--start", "2025-03-29",
        "--end", "2025-03-29", "--principal", "arn:aws:iam::111122223333:root",
    )  # fmt: skip
    assert code == 0, err
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["log_files_skipped"] == []
    read = {Path(f["path"]).name: f for f in manifest["log_files"]}
    assert len(read) == 2
    [flag] = read[twice.name]["skipped_by"]
    assert flag["selection"] == "principal: arn:aws:iam::111122223333:root"
    assert "'userAgent'" in flag["reason"]
    assert "read 2 of 2 log files" in err
    assert f"{twice.relative_to(root).as_posix()} was skipped by 1 selection(s)" in err
    page = (target / "report.html").read_text(encoding="utf-8")
    assert "<dt>Log files read</dt><dd>2 (1 cited)</dd>" in page
    assert "skipped by principal: arn:aws:iam::111122223333:root" in page


def test_hostile_text_cannot_leave_its_place_in_the_report(tmp_path: Path) -> None:
    target, _texts = build_hostile(tmp_path)
    page = (target / "report.html").read_text(encoding="utf-8")
    lowered = page.lower()
    for needle in ("<script>alert", "<img src=x", "<i>mallory", "<b>bold", "</script ><b>", "<!--"):
        at = lowered.find(needle.lower())
        assert at < 0, f"{needle!r} appears unescaped: {page[max(0, at - 60) : at + 60]!r}"
    # exactly the page's own scripts: the event data, the table, plotly's
    assert lowered.count("</script") == lowered.count("<script")
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert" in page or "&lt;/script&gt;" in page


def test_timeline_csv_defuses_formulas(tmp_path: Path) -> None:
    target, _texts = build_hostile(tmp_path)
    with open(target / "timeline.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["sourceipaddress"] == "'-1+2"
    assert rows[1]["useragent"] == "'@SUM(1)"
    assert rows[0]["useragent"] == HOSTILE_AGENT  # not a formula: as written


def test_without_plotly_the_report_says_how_to_get_the_charts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(report, "charts_available", lambda: False)
    target, texts = build_hostile(tmp_path)
    page = (target / "report.html").read_text(encoding="utf-8")
    assert report.INSTALL_HINT.replace("'", "&#x27;") in page
    assert "timeline-chart" not in page.replace("getElementById('timeline-chart')", "")
    assert (target / "events.jsonl").read_bytes() == b"".join(t + b"\n" for t in texts)


def test_raw_spans_follow_the_file_not_the_parser() -> None:
    text = '{"a": [1], "Records" : [ {"b":1,  "a":"\\u00e9"} ,{"c":[1,2]}],"z":{}} {"Records":[]} [1]'
    found = [text[s:e] for s, e, _v in raw.spans(text)]
    assert found == ['{"b":1,  "a":"\\u00e9"}', '{"c":[1,2]}']


def test_raw_records_refuse_what_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Records": [{"a": 1} {"b": 2}]}')
    with pytest.raises(Exception, match="not CloudTrail JSON"):
        raw.records(str(path))


# -- hostile input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_id", ["x' OR 1=1 --", "../../etc/passwd", "", "a" * 200, "id\nnext", "<script>"]
)
def test_malformed_event_ids_are_refused(event_id: str) -> None:
    with pytest.raises(UsageError, match="not an event id"):
        case.CaseSpec(parse_window(all_time=True), event_ids=[event_id]).check()


def test_a_case_needs_a_selection() -> None:
    with pytest.raises(UsageError, match="at least one selection"):
        case.CaseSpec(parse_window(all_time=True)).check()


def test_a_folder_that_is_not_empty_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        case.check_directory(tmp_path, force=False)
    case.check_directory(tmp_path, force=True)
    file = tmp_path / "notes.txt"
    with pytest.raises(UsageError, match="not a folder"):
        case.check_directory(file, force=True)


def test_cli_refuses_before_reading(tmp_path: Path, sample_root: Path, capsys) -> None:
    # in-process: what is checked is the refusal (its exit status, its one line), not the process
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    code, _out, err = run_in_process(
        capsys, "case", "build", str(busy), "--source", str(sample_root), "--principal", "alice"
    )
    assert code == 2 and "not empty" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    fresh = tmp_path / "fresh"
    for args, message in (
        (("--event-id", "1' OR '1'='1"), "not an event id"),
        (("--template", "user-created", "--param", "nope=1"), "no --template given declares it"),
        (("--template", "user-created", "--param", "user_name"), ""),
        (("--finding-from-sweep", "user-created"), "not a detection"),
        (("--template", "no-such-template"), "no template named"),
        (("--engine", "athena", "--principal", "alice"), "does not record them"),
        ((), "at least one selection"),
    ):
        source = () if "--engine" in args else ("--source", str(sample_root))
        code, _out, err = run_in_process(capsys, "case", "build", str(fresh), *source, *WINDOW, *args)
        assert code == 2, (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err
        assert not fresh.exists()


def test_event_ids_not_in_the_window_are_an_error(tmp_path: Path, sample_root: Path, answers, capsys) -> None:
    done = run_cli(
        capsys,
        "case",
        "build",
        str(tmp_path / "c"),
        "--source",
        str(sample_root),
        *WINDOW,
        "--event-id",
        answers.rogue_user_event_id,  # 100 days before the window
    )
    assert done.returncode == 4 and "not found" in done.stderr
    assert not (tmp_path / "c").exists()


def test_template_with_params_and_event_ids(tmp_path: Path, sample_root: Path, answers, capsys) -> None:
    # the days around the rogue user's creation (a window of months read raw twice took a minute),
    # and another event of that day cited by its id
    day = answers.rogue_user_time[:10]
    engine = LocalEngine(sample_root)
    try:
        other = engine.run(
            TrailQuery.parse(
                f"SELECT eventid FROM trail WHERE eventid <> '{answers.rogue_user_event_id}' "
                "ORDER BY eventtime, eventid LIMIT 1",
                parse_window(start=day, end=day),
            )
        ).rows[0][0]
    finally:
        engine.close()
    done = run_cli(
        capsys,
        "case",
        "build",
        str(tmp_path / "c"),
        "--source",
        str(sample_root),
        "--start",
        day,
        "--end",
        day,
        "--template",
        "user-created",
        "--param",
        "user_name=svc-backup",
        "--event-id",
        other,
        "--title",
        "<b>rogue</b> user",
    )
    assert done.returncode == 0, done.stderr
    ids = [json.loads(x)["eventID"] for x in (tmp_path / "c" / "events.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted([answers.rogue_user_event_id, other])
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert [s["kind"] for s in manifest["selections"]] == ["template", "event-id"]
    assert manifest["digest_verification"]["ran"] is False
    page = (tmp_path / "c" / "report.html").read_text()
    assert "<title>&lt;b&gt;rogue&lt;/b&gt; user</title>" in page
    assert "digest chains not verified" in done.stderr


def test_built_today_by_the_library(tmp_path: Path, sample_root: Path, answers) -> None:
    """From a notebook: the library call, no CLI."""
    engine = LocalEngine(sample_root)
    try:
        built = case.build(
            engine,
            case.CaseSpec(
                parse_window(start=WINDOW[1], end=WINDOW[3]), event_ids=[answers.brute_force_success_id]
            ),
        )
    finally:
        engine.close()
    assert [e.eventid for e in built.events] == [answers.brute_force_success_id]
    assert built.built <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_case_whose_selections_find_nothing_is_an_error(tmp_path: Path, sample_root: Path, capsys) -> None:
    """A mistyped principal wrote an empty case and exited 0."""
    done = run_cli(
        capsys,
        "case",
        "build",
        str(tmp_path / "c"),
        "--source",
        str(sample_root),
        *WINDOW,
        "--principal",
        "nobody-here",
    )
    assert done.returncode == 4 and "found no event" in done.stderr and "Traceback" not in done.stderr
    assert "(the archive holds 2024-11-22 to 2025-04-01)" in done.stderr  # its day folders
    assert not (tmp_path / "c").exists()


def test_a_case_folder_inside_the_archive_is_refused(tmp_path: Path, sample_root: Path, capsys) -> None:
    """With --force, the case files landed in a day folder and were then read as bad log files."""
    inside = sample_root / "AWSLogs" / "case"
    done = run_cli(
        capsys,
        "case",
        "build",
        str(inside),
        "--source",
        str(sample_root),
        *WINDOW,
        "--principal",
        "alice",
        "--force",
    )
    assert done.returncode == 2 and "inside the archive" in done.stderr
    assert not inside.exists()


def test_a_case_file_that_cannot_be_written_is_one_line(tmp_path: Path, sample_root: Path, capsys) -> None:
    target = tmp_path / "c"
    (target / "report.html").mkdir(parents=True)  # a folder where the report goes
    done = run_cli(
        capsys,
        "case",
        "build",
        str(target),
        "--source",
        str(sample_root),
        *WINDOW,
        "--principal",
        "alice",
        "--force",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot write" in done.stderr and "report.html" in done.stderr


def test_a_case_built_on_the_columnar_cache_is_the_case_built_on_the_files(
    tmp_path: Path, copy: Path, capsys
) -> None:
    """The selections read the cached days from Parquet; the records are still cut from the files."""
    window = ("--start", "2025-03-29T02:00Z", "--end", "2025-03-30")
    cached = run_cli(capsys, "cache", "build", "--source", str(copy), *window)
    assert cached.returncode == 0, cached.stderr
    built = {}
    for name, extra in (("cache", ()), ("files", ("--no-cache",))):
        done = run_cli(
            capsys,
            "case",
            "build",
            str(tmp_path / name),
            "--source",
            str(copy),
            *window,
            "--principal",
            "alice",
            *extra,
        )
        assert done.returncode == 0, done.stderr
        built[name] = done.stderr
    assert "read from the columnar cache" in built["cache"] and "columnar cache" not in built["files"]
    events = [(tmp_path / n / "events.jsonl").read_bytes() for n in ("cache", "files")]
    assert events[0] == events[1] and events[0].count(b"\n") > 40
    manifests = [json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("cache", "files")]
    assert manifests[0]["log_files"] == manifests[1]["log_files"]
