"""`trailcsi case build --engine athena` against the Athena double (tests/athena_double.py) and
moto's S3, compared with `case build --source` over the same archive (the sample's signed days).

What this proves: the selections run through pyathena's real code paths; Athena's `$path`
names the files holding the cited events; those objects are downloaded from the trail bucket,
cut byte for byte and hashed; the digest chains are verified over the bucket's prefix; an address
outside the table's bucket and prefix is refused and counted, a failed download counted, and
nothing is written outside the scratch folder.

What the double cannot prove: that Athena accepts the SQL (each statement is only parsed with
sqlglot's athena dialect, and run on DuckDB); that real Athena writes `$path` as the double does
(`s3://bucket/key` of the object each row came from, as AWS documents it); Athena's scan sizes,
costs and timings; S3's own failures, throttling and consistency; or any IAM permission.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import pytest
from athena_double import AthenaDouble, _duckdb_over
from conftest import run_in_process as trailcsi
from conftest import sample_copy
from moto import mock_aws

from toolkit.case.remote import TrailBucket
from toolkit.engines import athena as athena_engine
from toolkit.sample import digests

WINDOW = ("--start", "2025-03-29T02:00Z", "--end", "2025-03-29T06:00Z")
BUCKET = "trail-bucket"


@pytest.fixture
def archive(sample_root: Path, tmp_path: Path) -> Path:
    """The sample's signed days, with their public keys and digest signatures."""
    return sample_copy(sample_root, tmp_path / "archive")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where temporary folders go during the test (the case's downloads among them)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def double(archive: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_env: None, scratch: Path):
    with mock_aws():
        fake = AthenaDouble(archive, monkeypatch, bucket=BUCKET)
        fake.upload()  # log files and digests, at their keys
        yield fake
        fake.close()


@pytest.fixture
def config(double: AthenaDouble, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    path = tmp_path / "trailcsi.toml"
    code, _out, err = trailcsi(
        capsys,
        "athena",
        "setup",
        "--bucket",
        BUCKET,
        "--output-location",
        "s3://trailcsi-results/athena/",
        "--config",
        str(path),
    )
    assert code == 0, err
    return path


def evidence(archive: Path) -> list[str]:
    return [
        "--public-keys",
        str(archive / digests.PUBLIC_KEYS),
        "--signatures",
        str(archive / digests.METADATA),
    ]


def timeline(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "timeline.csv").read_text(encoding="utf-8"))))


def test_an_athena_case_cites_what_a_local_case_cites(
    double, config, archive, scratch, capsys, tmp_path, answers, monkeypatch
):
    """Two days, every kind of selection; the event ids looked up by `$path` ten a query."""
    monkeypatch.setattr(athena_engine, "LOCATE_BATCH", 10)
    window = ["--start", "2025-03-29T02:00Z", "--end", "2025-03-31"]
    selections = [
        "--principal",
        "alice",
        "--template",
        "eip-allocations",
        "--finding-from-sweep",
        "console-login-without-mfa",
        "--event-id",
        answers.eip_allocate_event_id,
    ]
    here = tmp_path / "local"
    code, out, err = trailcsi(
        capsys, "case", "build", str(here), "--source", str(archive), *window, *selections, *evidence(archive)
    )
    assert code == 0, err
    there = tmp_path / "athena"
    code, out, err = trailcsi(
        capsys,
        "case",
        "build",
        str(there),
        "--engine",
        "athena",
        "--config",
        str(config),
        *window,
        *selections,
        *evidence(archive),
    )
    assert code == 0, err
    assert out.strip() == str(there / "report.html")
    assert "Traceback" not in err and "Athena queries scanned" in err

    # The same records, byte for byte, in the same order.
    local_events = (here / "events.jsonl").read_bytes()
    assert (there / "events.jsonl").read_bytes() == local_events
    ids = {json.loads(line)["eventID"] for line in local_events.splitlines()}
    assert answers.brute_force_success_id in ids and answers.eip_allocate_event_id in ids

    local, remote = (json.loads((d / "manifest.json").read_text()) for d in (here, there))
    shape = [(s["kind"], s["label"], s["rows"], s["events"]) for s in local["selections"]]
    assert [(s["kind"], s["label"], s["rows"], s["events"]) for s in remote["selections"]] == shape
    assert all(
        s["athena_query_ids"] and '"trailcsi"."cloudtrail"' in s["engine_sql"] for s in remote["selections"]
    )

    # The same files, as S3 addresses: those holding the cited records, with the same hashes.
    cited = {
        f"s3://{BUCKET}/{f['path']}": (f["size"], f["sha256"], f["cited_records"])
        for f in local["log_files"]
        if f["cited_records"]
    }
    assert len(cited) > 1
    assert {f["path"]: (f["size"], f["sha256"], f["cited_records"]) for f in remote["log_files"]} == cited
    assert "downloaded from S3" in remote["log_files_listed"]
    assert {f["digest"] for f in remote["log_files"]} == {"vouched"}  # each checked as downloaded
    assert remote["log_files_skipped"] == [] and remote["cited_records_missing"] == []
    assert remote["source"] == f"athena: trailcsi.cloudtrail over s3://{BUCKET}/"
    lookups = [sql for sql in double.sent if '"$path"' in sql]
    assert len(lookups) == -(-len(ids) // 10) > 1

    # The digest chains were verified over the bucket's prefix, with the local copy's findings.
    verified = remote["digest_verification"]
    assert verified["ran"] is True and verified["ok"] is True, verified.get("problems", [])[:5]
    assert verified["copied_from"] == f"s3://{BUCKET}/"
    assert verified["totals"] == local["digest_verification"]["totals"]
    assert verified["totals"]["digests_valid"] > 0 and verified["totals"]["logs_valid"] > 0

    # The timelines differ only in how a log file is named.
    rows_here, rows_there = timeline(here), timeline(there)
    assert [r["log_file"] for r in rows_there] == [f"s3://{BUCKET}/{r['log_file']}" for r in rows_here]
    strip = [{k: v for k, v in r.items() if k != "log_file"} for r in rows_here]
    assert [{k: v for k, v in r.items() if k != "log_file"} for r in rows_there] == strip
    assert list(scratch.iterdir()) == []  # the downloads are gone with the build


FORGED_ID = "f0f0f0f0-0000-4000-8000-00000000f0f0"


@pytest.fixture
def forged(archive: Path) -> Path:
    """A log file named for the day before the window (Athena's partition condition reads a day
    more each side), holding one forged record whose eventTime is in the window. No digest names
    it. Written before the double reads the archive (so a fixture requested before `double`)."""
    genuine = sorted(archive.rglob("CloudTrail/us-east-1/2025/03/29/*.json.gz"))[0]
    record = json.loads(gzip.decompress(genuine.read_bytes()))["Records"][0]
    record.update(eventID=FORGED_ID, eventTime="2025-03-29T03:00:00Z", eventName="DeleteTrail")
    account = genuine.name.split("_", 1)[0]
    folder = genuine.parent.with_name("28")
    folder.mkdir(parents=True)
    path = folder / f"{account}_CloudTrail_us-east-1_20250328T2355Z_Forged0123456789.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    return path


def test_a_cited_file_outside_the_window_is_checked_against_the_digests(
    forged, double, config, archive, capsys, tmp_path
):
    """The only cited record is in a file of the day before the window: Athena finds it, the case
    downloads and cites it, and the digests of its own day are looked in. None names it, so the
    evidence fails (exit 1, the case written), and the file, the event and the report say so."""
    target = tmp_path / "case"
    code, out, err = trailcsi(
        capsys, "case", "build", str(target), "--engine", "athena", "--config", str(config),
        *WINDOW, "--event-id", FORGED_ID, *evidence(archive),
    )  # fmt: skip
    assert code == 1, err
    assert out.strip() == str(target / "report.html")
    assert "1 of the 1 cited records come from 1 log file(s) no authenticated digest vouches for" in err
    assert "but its evidence failed the digest check" in err.splitlines()[-1]
    manifest = json.loads((target / "manifest.json").read_text())
    address = f"s3://{BUCKET}/{forged.relative_to(archive).as_posix()}"
    [entry] = manifest["log_files"]
    assert (entry["path"], entry["cited_records"], entry["digest"]) == (
        address,
        1,
        "not referenced by any digest",
    )
    verified = manifest["digest_verification"]
    assert verified["ok"] is False and verified["cited_records_unproven"] == 1
    assert verified["cited_problems"] == [
        f"cited log file {address} (1 cited record(s)) is not proven: not referenced by any digest"
    ]
    assert verified["problems"][0] == verified["cited_problems"][0]
    [row] = timeline(target)
    assert (row["eventid"], row["evidence"]) == (FORGED_ID, "unproven")
    page = (target / "report.html").read_text(encoding="utf-8")
    assert "every digest and log file checked is valid" not in page.lower()
    assert "1 of 1 cited records come from log files no authenticated digest vouches for" in page


def test_hostile_path_addresses_are_refused_and_counted(double, config, archive, scratch, capsys, tmp_path):
    con = _duckdb_over(archive, BUCKET, "trailcsi", "cloudtrail")
    table = "trailcsi.cloudtrail_all"
    rows = con.execute(
        f"SELECT eventid, \"$path\" FROM {table} WHERE eventtime >= '2025-03-29T02:00:00Z' "
        "AND eventtime < '2025-03-29T06:00:00Z' ORDER BY eventid LIMIT 6"
    ).fetchall()
    key = rows[0][1].removeprefix(f"s3://{BUCKET}/")
    day = key.rsplit("/", 1)[0]
    hostile = {
        rows[0][0]: f"s3://other-bucket/{key}",
        rows[1][0]: f"s3://{BUCKET}/AWSLogs/../../../escape.json.gz",
        rows[2][0]: f"s3://{BUCKET}/elsewhere/{key}",
        rows[3][0]: f"s3://{BUCKET}/{day}/../../../../../../escape.json.gz",
        rows[4][0]: f"s3://{BUCKET}/{day}/123456789012_CloudTrail_us-east-1_20250329T0300Z_gone.json.gz",
    }
    for event_id, address in hostile.items():
        con.execute(f'UPDATE {table} SET "$path" = ? WHERE eventid = ?', [address, event_id])
    kept = rows[5][0]
    target = tmp_path / "case"
    code, _out, err = trailcsi(
        capsys,
        "case",
        "build",
        str(target),
        "--engine",
        "athena",
        "--config",
        str(config),
        *WINDOW,
        *[a for i in [*hostile, kept] for a in ("--event-id", i)],
    )
    assert code == 0, err
    assert "4 log file address(es) from Athena's $path refused" in err
    assert "1 log file(s) could not be downloaded" in err
    assert "5 cited event(s) have no record in the case" in err
    assert [json.loads(line)["eventID"] for line in (target / "events.jsonl").read_text().splitlines()] == [
        kept
    ]
    manifest = json.loads((target / "manifest.json").read_text())
    skipped = {s["path"]: s["reason"] for s in manifest["log_files_skipped"]}
    assert set(skipped) == set(hostile.values())
    assert sum(r.startswith("refused: ") for r in skipped.values()) == 4
    assert skipped[hostile[rows[0][0]]] == f"refused: outside the table's bucket {BUCKET}"
    assert skipped[hostile[rows[4][0]]].startswith("cannot be downloaded: ")
    missing = {m["eventid"]: m["reason"] for m in manifest["cited_records_missing"]}
    assert set(missing) == {i.lower() for i in hostile}
    assert [(f["path"], f["cited_records"]) for f in manifest["log_files"]] == [(rows[5][1], 1)]
    # Nothing was written where a hostile key points, nor left in the scratch folder.
    assert not list(tmp_path.rglob("escape*")) and not (tmp_path.parent / "escape.json.gz").exists()
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("address", "why"),
    [
        (
            "s3://other/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz",
            "outside the table's bucket",
        ),
        (
            "https://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz",
            "not an s3://",
        ),
        (
            "s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz",
            "outside the table's prefix",
        ),
        (
            "s3://trail-bucket/logs/AWSLogs/../../x/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz",
            "'..'",
        ),
        (
            "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a\\b.json.gz",
            "backslash",
        ),
        (
            "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a\n.json.gz",
            "control",
        ),
        ("s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29//a.json.gz", "empty"),
        ("s3://trail-bucket/logs/AWSLogs/999999999999/CloudTrail/us-east-1/2025/03/29/a.json.gz", "account"),
        (
            "s3://trail-bucket/logs/AWSLogs/o-aaaaaaaaaa/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz",
            "account",
        ),
        ("s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/eu-west-3/2025/03/29/a.json.gz", "region"),
        (
            "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/29/a.json.gz",
            "day folder",
        ),
        (
            "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.txt",
            "not a log file",
        ),
        (
            "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/13/29/a.json.gz",
            "day folder",
        ),
    ],
)
def test_only_log_files_of_the_table_are_read(address: str, why: str) -> None:
    trail = TrailBucket(None, "trail-bucket", "logs/", None, ["111122223333"], ["us-east-1"])
    _key, refused = trail.refusal(address)
    assert refused is not None and why in refused, refused
    good = "s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/29/a.json.gz"
    assert trail.refusal(good) == (good.removeprefix("s3://trail-bucket/"), None)


def test_the_digests_copied_cover_the_days_of_the_cited_files() -> None:
    from toolkit.case.remote import digest_window
    from toolkit.core.window import parse

    window = parse(start="2025-03-29T02:00Z", end="2025-03-29T06:00Z")
    before = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/28/a.json.gz"
    after = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/30/b.json.gz"
    widened = digest_window(window, [before, after])
    assert (widened.start.isoformat(), widened.end.isoformat()) == (
        "2025-03-28T00:00:00+00:00",
        "2025-03-31T00:00:00+00:00",
    )
    assert digest_window(window, []) == window


def test_a_config_without_the_table_setup_is_refused_in_one_line(capsys, tmp_path, fake_aws_env):
    config = tmp_path / "trailcsi.toml"
    config.write_text('[athena]\ndatabase = "trailcsi"\ntable = "cloudtrail"\nregion = "us-east-1"\n')
    code, _out, err = trailcsi(
        capsys, "case", "build", str(tmp_path / "c"), "--engine", "athena", "--config", str(config),
        *WINDOW, "--principal", "alice",
    )  # fmt: skip
    assert code == 2 and "does not record them" in err and "athena setup" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "c").exists()


def test_keys_given_and_the_digests_unreadable_is_not_a_pass(
    double, config, archive, capsys, tmp_path, answers, monkeypatch
):
    """--public-keys asks for the check; a role that cannot read the digest prefix made it not
    run, and the build still exited 0. It exits 1, saying why, the case written."""
    from toolkit.errors import SourceError
    from toolkit.sources import s3source

    def denied(*_args, **_kwargs):
        raise SourceError("s3://trail-bucket/ cannot be read: AccessDenied", "check your read access")

    monkeypatch.setattr(s3source, "sync_digests", denied)
    target = tmp_path / "case"
    code, out, err = trailcsi(
        capsys, "case", "build", str(target), "--engine", "athena", "--config", str(config),
        *WINDOW, "--event-id", answers.brute_force_success_id, *evidence(archive),
    )  # fmt: skip
    assert code == 1, err
    assert "its evidence could not be checked: " in err.splitlines()[-1] and "AccessDenied" in err
    assert (target / "report.html").is_file()


@pytest.mark.parametrize("engine", ["local", "athena"])
def test_a_forged_record_reusing_a_genuine_event_id_leaves_the_genuine_record_unproven(
    engine, archive, capsys, tmp_path, answers, request
):
    """A selection names events by id. A forged StopLogging given the id of alice's genuine login
    made the genuine, vouched record carry the tampering finding (and, on Athena, where the forged
    file's address was refused, the run passed). Every record of a doubtful id is unproven."""
    genuine = sorted(archive.rglob("CloudTrail/us-east-1/2025/03/29/*.json.gz"))[0]
    record = json.loads(gzip.decompress(genuine.read_bytes()))["Records"][0]
    record.update(
        eventID=answers.brute_force_success_id, eventTime="2025-03-29T03:30:00Z", eventName="StopLogging"
    )
    account = genuine.name.split("_", 1)[0]
    where = ["--source", str(archive)]
    if engine == "local":  # a forged log file in the window, beside the genuine ones
        forged = genuine.with_name(f"{account}_CloudTrail_us-east-1_20250329T0455Z_FORGEDforged0001.json.gz")
        forged.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    else:  # Athena reads every object of a partition folder: here one its $path check refuses
        where = ["--engine", "athena", "--config", str(request.getfixturevalue("config"))]
        con = _duckdb_over(archive, BUCKET, "trailcsi", "cloudtrail")
        folder = genuine.relative_to(archive).parent.as_posix()
        con.execute(
            "INSERT INTO trailcsi.cloudtrail_all SELECT * REPLACE (? AS \"$path\", 'StopLogging' AS eventname) "
            "FROM trailcsi.cloudtrail_all WHERE eventid = ?",
            [f"s3://{BUCKET}/{folder}/forged.txt", answers.brute_force_success_id],
        )
    target = tmp_path / "case"
    code, _out, err = trailcsi(
        capsys, "case", "build", str(target), *where, *WINDOW,
        "--event-id", answers.brute_force_success_id, *evidence(archive),
    )  # fmt: skip
    assert code == 1, err
    rows = [r for r in timeline(target) if r["eventid"] == answers.brute_force_success_id]
    assert rows and all(r["evidence"] == "unproven" for r in rows), rows
    assert "share their event id with a record that is not vouched for or was not read" in err
    verified = json.loads((target / "manifest.json").read_text())["digest_verification"]
    assert verified["ok"] is False and verified["cited_records_sharing_an_id"] >= 1
