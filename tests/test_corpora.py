"""Every corpus in tests/data/corpora is ingested with its events counted exactly; bad files are skipped
and reported (or fatal under --strict), never silently dropped."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from conftest import corpus_path, lay_out, read_jsonl

from toolkit.core import window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import SourceError

ALL = window.parse(all_time=True)


def count(root, strict=False):
    engine = LocalEngine(root, strict=strict)
    try:
        result = engine.run(TrailQuery.parse("SELECT count(*), count(eventid) FROM trail", ALL))
        return result.rows[0][0], result.report
    finally:
        engine.close()


@pytest.mark.parametrize("name", ["stratus", "panther", "aws-docs", "otrf", "opensearch"])
def test_every_event_of_every_corpus_is_queried(corpus_archives, name):
    root, expected = corpus_archives[name]
    events, report = count(root)
    assert events == expected
    assert report.skipped == []


def test_corpus_fields_land_in_athena_columns(corpus_archives):
    root, _ = corpus_archives["stratus"]
    engine = LocalEngine(root)
    result = engine.run(
        TrailQuery.parse(
            "SELECT count_if(tlsdetails.tlsversion IS NOT NULL), count_if(cardinality(resources) > 0), "
            "count_if(useridentity.sessioncontext.sessionissuer.username IS NOT NULL), "
            "count(DISTINCT json_extract_scalar(requestparameters, '$.instanceId')) FROM trail",
            ALL,
        )
    )
    engine.close()
    tls, with_resources, role_sessions, instances = result.rows[0]
    assert tls == 310 and with_resources == 13  # per the corpus's SOURCE.md
    assert role_sessions > 0 and instances > 0


def test_odd_types_keep_the_record(corpus_archives):
    # panther: userIdentity as a string, readOnly "True", requestParameters as JSON-encoded strings.
    root, expected = corpus_archives["panther"]
    engine = LocalEngine(root)
    result = engine.run(
        TrailQuery.parse(
            "SELECT count(*), count_if(useridentity IS NULL), count_if(lower(readonly) = 'true') FROM trail",
            ALL,
        )
    )
    engine.close()
    # Trino 476 over the same events (tests/conformance): 471, 18, 60. The records whose keys are
    # in lowercase (`useridentity`) have an identity, as Trino reads them; 18 have none.
    assert result.rows[0] == (expected, 18, 60)


@pytest.fixture
def damaged_archive(tmp_path):
    records = read_jsonl(corpus_path("stratus-red-team-detonations", "events.jsonl"))[:60]
    root = lay_out(records, tmp_path / "archive", per_file=1000)
    folder = next(root.rglob("*.json.gz")).parent
    good = len(records)
    malformed = corpus_path(
        "opensearch-catalog-real-sample", "malformed", "samples-large.main-branch.json.gz"
    )
    shutil.copy(malformed, folder / "111111111111_CloudTrail_x_20240101T0000Z_malformed.json.gz")
    whole = gzip.compress(json.dumps({"Records": records[:5]}).encode())
    (folder / "111111111111_CloudTrail_x_20240101T0000Z_truncated.json.gz").write_bytes(
        whole[: len(whole) // 2]
    )
    (folder / "111111111111_CloudTrail_x_20240101T0000Z_notgzip.json.gz").write_bytes(b"hello")
    text = json.dumps({"Records": records[:5]})
    cut = text.index('"eventSource": ', len(text) // 2)
    broken = text[:cut] + '"eventSource" ' + text[cut + len('"eventSource": ') :]  # a missing colon
    (folder / "111111111111_CloudTrail_x_20240101T0000Z_corrupt.json.gz").write_bytes(
        gzip.compress(broken.encode())
    )
    (folder / "111111111111_CloudTrail_x_20240101T0000Z_array.json.gz").write_bytes(
        gzip.compress(json.dumps(records[:3]).encode())
    )  # a bare array: not CloudTrail's shape
    digest = (
        root / "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/01/x_CloudTrail-Digest_x.json.gz"
    )
    digest.parent.mkdir(parents=True)
    digest.write_bytes(gzip.compress(b'{"awsAccountId":"111111111111","logFiles":[]}'))
    (root / "notes.txt").write_text("not a log")
    return root, good


def test_bad_files_are_skipped_counted_and_explained(damaged_archive):
    root, good = damaged_archive
    events, report = count(root)
    assert events == good
    reasons = {p.rsplit("_", 1)[-1]: r for p, r in ((s.path, s.reason) for s in report.skipped)}
    assert set(reasons) == {
        "malformed.json.gz",
        "truncated.json.gz",
        "notgzip.json.gz",
        "array.json.gz",
        "corrupt.json.gz",
    }
    assert "not a CloudTrail log file" in reasons["malformed.json.gz"]
    assert "Malformed JSON" in reasons["corrupt.json.gz"]
    assert "GZIP" in reasons["truncated.json.gz"] or "gzip" in reasons["truncated.json.gz"]
    assert "not gzip" in reasons["notgzip.json.gz"]
    assert "not a CloudTrail log file" in reasons["array.json.gz"]
    assert report.files_read == report.files_selected - 5


def test_strict_makes_a_bad_file_fatal(damaged_archive):
    root, _ = damaged_archive
    with pytest.raises(SourceError):
        count(root, strict=True)


def test_digest_and_other_files_are_never_events(damaged_archive):
    root, _ = damaged_archive
    engine = LocalEngine(root)
    assert engine.archive.ignored == 2
    assert all("CloudTrail-Digest" not in f.path for f in engine.archive.files)
    engine.close()


def test_missing_or_empty_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        LocalEngine(tmp_path / "nowhere")
    with pytest.raises(SourceError, match="no CloudTrail log files"):
        LocalEngine(tmp_path)


def test_log_files_over_sixteen_mib_are_read(tmp_path):
    record = read_jsonl(corpus_path("stratus-red-team-detonations", "events.jsonl"))[0]
    record["requestParameters"] = {"padding": "x" * 4000}
    records = []
    for index in range(4500):
        copy = dict(record)
        copy["eventID"] = f"big-{index}"
        records.append(copy)
    root = lay_out(records, tmp_path, per_file=len(records))
    size = len(gzip.decompress(next(root.rglob("*.json.gz")).read_bytes()))
    assert size > 16 * 1024 * 1024
    events, report = count(root)
    assert events == len(records) and not report.skipped


def test_files_are_chosen_by_delivery_time(tmp_path):
    from datetime import UTC, datetime

    from toolkit.sources.archive import scan

    folder = tmp_path / "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/02"
    folder.mkdir(parents=True)
    for stamp in ("20240102T0005Z", "20240102T0555Z", "20240102T0700Z", "20240102T2355Z"):
        (folder / f"111111111111_CloudTrail_us-east-1_{stamp}_x.json.gz").write_bytes(b"")
    archive = scan(tmp_path)
    window_ = window.parse(start="2024-01-01", end="2024-01-01")  # all of Jan 1, 6h late allowed
    chosen = [f.path.rsplit("_", 2)[-2] for f in archive.select(window_.delivery_span())]
    assert chosen == ["20240102T0005Z", "20240102T0555Z"]
    later = archive.select((datetime(2024, 1, 2, 7, 0, 30, tzinfo=UTC), None))
    assert [f.path.rsplit("_", 2)[-2] for f in later] == ["20240102T0700Z", "20240102T2355Z"]
