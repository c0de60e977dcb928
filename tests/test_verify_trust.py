"""`trailcsi verify` must vouch for exactly what a query over the window reads, on the word of
authenticated digests only, with keys trusted for the run they were given to.

Each test here is an attack that once passed: a tampered copy under another prefix, a forged
unsigned digest naming an injected log, a log delivered after the window's end, keys given once
and trusted forever, and a stale local copy of a bucket.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import SEED, keys, put_in_moto
from conftest import run_in_process as trailcsi
from moto import mock_aws

from toolkit.core import window
from toolkit.integrity import publickeys
from toolkit.integrity.publickeys import PublicKeys
from toolkit.integrity.verify import verify
from toolkit.sample import digests as sample_digests

#: Up to the end of the newest digest of every chain (2025-04-01T00:30Z).
FULL = window.parse(start="2025-03-29T01:00:00Z", end="2025-04-01T00:30:00Z")
FULL_FLAGS = ["--start", "2025-03-29T01:00:00Z", "--end", "2025-04-01T00:30:00Z"]
#: In the middle of the chains: every file a query over it reads (up to 6h after) is vouched for.
MIDDLE = window.parse(start="2025-03-29T01:00:00Z", end="2025-03-30T12:30:00Z")
MIDDLE_FLAGS = ["--start", "2025-03-29T01:00:00Z", "--end", "2025-03-30T12:30:00Z"]
ACCOUNT, REGION = "630555000111", "us-east-1"


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A cache of this test's own: no key another test cached is trusted here."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def signatures(root: Path) -> dict[str, str]:
    metadata = json.loads((root / sample_digests.METADATA).read_text())
    return {key: value["signature"] for key, value in metadata.items()}


def read(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


def problems(report) -> list[str]:
    return [p.split(": ", 1)[1] for p in report.problems()]


def key_of(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def logs_of(root: Path, day: str) -> list[Path]:
    return sorted((root / "AWSLogs").rglob(f"{ACCOUNT}/CloudTrail/{REGION}/{day}/*.json.gz"))


def digests_of(root: Path) -> list[Path]:
    return sorted((root / "AWSLogs").rglob(f"{ACCOUNT}/CloudTrail-Digest/{REGION}/*/*/*/*.json.gz"))


def inject(root: Path, day: str, stamp: str, event_time: str) -> tuple[Path, str]:
    """A log file delivered at `stamp` (20250330T1305Z) holding one event at `event_time`;
    returns it and the SHA-256 of its uncompressed bytes."""
    folder = root / logs_of(root, day)[0].parent.relative_to(root)
    path = folder / f"{ACCOUNT}_CloudTrail_{REGION}_{stamp}_INJECTEDxxxxxxxx.json.gz"
    record = {
        "eventVersion": "1.10",
        "eventTime": event_time,
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateAccessKey",
        "awsRegion": REGION,
        "recipientAccountId": ACCOUNT,
        "eventID": "11111111-2222-3333-4444-555555555555",
        "userIdentity": {"type": "IAMUser", "userName": "intruder", "accountId": ACCOUNT},
    }
    raw = json.dumps({"Records": [record]}).encode()
    path.write_bytes(gzip.compress(raw))
    return path, hashlib.sha256(raw).hexdigest()


# -- F3: a log file under another prefix is read by queries, so it is checked too ---------------


@pytest.mark.parametrize("tampered", [True, False])
def test_a_copy_of_a_vouched_log_under_another_prefix_fails(copy, tampered):
    original = logs_of(copy, "2025/03/30")[5]
    duplicate = copy / "copy" / key_of(copy, original)
    duplicate.parent.mkdir(parents=True)
    body = read(original)
    if tampered:
        body["Records"].append({**body["Records"][0], "eventName": "CreateAccessKey"})
    duplicate.write_bytes(gzip.compress(json.dumps(body).encode()))
    report = verify(copy, MIDDLE, keys(copy), signatures=signatures(copy))
    assert not report.ok()
    (line,) = problems(report)
    assert key_of(copy, duplicate) in line


def test_the_cli_fails_on_a_tampered_copy_that_search_reads(copy, capsys):
    original = logs_of(copy, "2025/03/30")[5]
    duplicate = copy / "copy" / key_of(copy, original)
    duplicate.parent.mkdir(parents=True)
    body = read(original)
    body["Records"].append({**body["Records"][0], "eventName": "InjectedEvent"})
    duplicate.write_bytes(gzip.compress(json.dumps(body).encode()))
    flags = ["--source", str(copy), *MIDDLE_FLAGS]
    code, out, err = trailcsi(capsys, "search", *flags, "--event-name", "InjectedEvent", "--format", "json")
    assert code == 0 and "InjectedEvent" in out  # a query reads it ...
    code, out, err = trailcsi(
        capsys,
        "verify",
        *flags,
        "--public-keys",
        str(copy / sample_digests.PUBLIC_KEYS),
        "--signatures",
        str(copy / sample_digests.METADATA),
        "--offline",
    )
    assert code == 1 and f"copy/{key_of(copy, original)}" in out  # ... so verify checks it


def test_a_copy_of_a_digest_and_its_logs_under_another_prefix_vouches_for_nothing(copy):
    digest = digests_of(copy)[30]
    listed = [entry["s3Object"] for entry in read(digest)["logFiles"]]
    for key in [*listed, key_of(copy, digest)]:
        target = copy / "copy" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy / key, target)
    report = verify(copy, MIDDLE, keys(copy))
    said = problems(report)
    assert (
        f"digest copy/{key_of(copy, digest)} is invalid: another copy of {key_of(copy, digest)} " in said[0]
    )
    for key in listed:
        assert any(line.startswith(f"log file copy/{key} is another copy of {key}") for line in said)
    assert len(said) == 1 + len(listed)


# -- F4: only authenticated digests vouch for log files ----------------------------------------


def test_a_forged_unsigned_digest_naming_an_injected_log_fails(copy):
    chain = digests_of(copy)
    newest = chain[-1]
    newest_raw = gzip.decompress(newest.read_bytes())
    injected, digest_of_log = inject(copy, "2025/03/31", "20250331T1205Z", "2025-03-31T12:01:00Z")
    forged_end = "20250401T004500Z"
    forged = newest.with_name(newest.name.replace("20250401T003000Z", forged_end))
    assert forged != newest
    body = read(newest)
    body.update(
        {
            "digestStartTime": "2000-01-01T00:00:00Z",
            "digestEndTime": "2000-01-01T01:00:00Z",
            "digestS3Object": key_of(copy, forged),
            "previousDigestS3Object": key_of(copy, newest),
            "previousDigestHashValue": hashlib.sha256(newest_raw).hexdigest(),
            "previousDigestSignature": signatures(copy)[key_of(copy, newest)],
            "logFiles": [
                {
                    "s3Bucket": body["digestS3Bucket"],
                    "s3Object": key_of(copy, injected),
                    "hashValue": digest_of_log,
                }
            ],
        }
    )
    forged.write_bytes(gzip.compress(json.dumps(body).encode()))
    report = verify(copy, FULL, keys(copy), signatures=signatures(copy))
    assert not report.ok()
    said = problems(report)
    assert any(key_of(copy, injected) in line for line in said)
    assert any(key_of(copy, forged) in line for line in said)


def test_logs_listed_only_by_an_unauthenticated_digest_of_the_window_fail_and_are_not_valid(copy):
    # the middle digest's signature is recorded by its successor only: without it, the one before
    # cannot be authenticated, and the logs only that one lists are vouched for by nothing
    chain = digests_of(copy)
    chain[20].unlink()
    unproven = read(chain[19])["logFiles"]
    assert unproven
    report = verify(copy, MIDDLE, keys(copy))
    said = problems(report)
    assert any(f"digest {key_of(copy, chain[19])} proves nothing" in line for line in said)
    for entry in unproven:
        assert (
            f"log file {entry['s3Object']} is listed only by a digest that cannot be authenticated (not opened)"
            in said
        )
    (chain_report,) = [c for c in report.chains if (c.account, c.region) == (ACCOUNT, REGION)]
    assert chain_report.logs_unvouched == len(unproven) and chain_report.logs_unproven == [
        e["s3Object"] for e in unproven
    ]


# -- F5: every file a query reads, up to the late delivery after the end -----------------------


def test_a_log_delivered_after_the_end_with_an_event_before_it_is_checked(copy):
    assert verify(copy, MIDDLE, keys(copy)).ok()
    injected, _hash = inject(copy, "2025/03/30", "20250330T1345Z", "2025-03-30T12:20:00Z")
    report = verify(copy, MIDDLE, keys(copy))
    assert not report.ok()
    assert problems(report) == [f"log file {key_of(copy, injected)} is referenced by no digest"]


# -- F6: keys given with --public-keys are for that run only -----------------------------------


def test_keys_given_are_never_cached(copy, own_cache, capsys):
    fingerprint = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())["PublicKeyList"][0][
        "Fingerprint"
    ]
    given = keys(copy)
    assert given.get(fingerprint, REGION) is not None
    cache = publickeys.cache_path()
    assert not cache.exists() or fingerprint not in cache.read_text()
    assert PublicKeys.load().get(fingerprint, REGION) is None
    flags = ["verify", "--source", str(copy), *MIDDLE_FLAGS, "--offline"]
    code, _out, err = trailcsi(capsys, *flags, "--public-keys", str(copy / sample_digests.PUBLIC_KEYS))
    assert code == 0, err
    code, out, err = trailcsi(capsys, *flags)  # the next run, without the keys: nothing is trusted
    assert code == 1 and "public key not found" in out
    assert not cache.exists() or fingerprint not in cache.read_text()


def test_a_cache_entry_not_fetched_from_aws_is_not_trusted(copy, own_cache):
    listing = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())["PublicKeyList"][0]
    cache = publickeys.cache_path()
    cache.parent.mkdir(parents=True)
    # what an older trailcsi kept from --public-keys: the key alone
    cache.write_text(json.dumps({listing["Fingerprint"]: {"Value": listing["Value"]}}))
    loaded = PublicKeys.load()
    assert loaded.get(listing["Fingerprint"], REGION) is None
    assert any(listing["Fingerprint"] in note for note in loaded.notes)
    # what AWS's ListPublicKeys gave is cached and trusted later, offline
    fetched = PublicKeys({}, lambda region, since: [listing])
    assert fetched.get(listing["Fingerprint"], REGION) is not None
    assert PublicKeys.load().get(listing["Fingerprint"], REGION) is not None


def test_a_digest_outside_its_keys_validity_is_invalid(copy, tmp_path, own_cache):
    listing = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())
    entry = listing["PublicKeyList"][0]
    entry["ValidityStartTime"] = "2025-03-30T06:00:00Z"
    entry["ValidityEndTime"] = "2025-03-30T09:00:00Z"
    narrow = tmp_path / "narrow.json"
    narrow.write_text(json.dumps(listing))
    report = verify(copy, MIDDLE, PublicKeys.load(narrow))
    reasons = {why for c in report.chains for _key, why in c.digests_invalid}
    assert not report.ok() and any("validity" in why for why in reasons)
    # digests whose end lies within the validity are valid
    assert report.totals()["digests_valid"] > 0


def test_a_fabricated_archive_signed_with_the_sample_key_is_not_trusted_after_the_demo_verify(
    copy, own_cache, capsys
):
    from toolkit import demo

    assert demo._verify_step(copy, 1) in (True, False)  # what the demo does with the sample's keys
    cache = publickeys.cache_path()
    fingerprint = sample_digests.sample_key(SEED).public().fingerprint()
    assert not cache.exists() or fingerprint not in cache.read_text()
    code, out, _err = trailcsi(capsys, "verify", "--source", str(copy), *MIDDLE_FLAGS, "--offline")
    assert code == 1 and "public key not found" in out


# -- F7: from s3://, only what the bucket lists now --------------------------------------------


def _s3_verify_flags(copy: Path) -> list[str]:
    """`verify` of the copy uploaded to s3://trail/logs, its keys given, as JSON."""
    keys = str(copy / sample_digests.PUBLIC_KEYS)
    return ["verify", "--source", "s3://trail/logs", "--public-keys", keys, *FULL_FLAGS, "--format", "json"]


def _bucket_of(copy: Path) -> Any:
    """Inside mock_aws: the bucket `trail` holding the copy under logs/, as CloudTrail would."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail")
    _upload(s3, copy)
    return s3


def _upload(s3: Any, root: Path) -> None:
    metadata = json.loads((root / sample_digests.METADATA).read_text())
    for path in sorted((root / "AWSLogs").rglob("*.json.gz")):
        key = key_of(root, path)
        put_in_moto("trail", f"logs/{key}", path.read_bytes(), metadata.get(key))


def test_from_s3_hours_deleted_from_the_bucket_fail_whatever_the_cache_holds(copy, capsys, fake_aws_env):
    flags = _s3_verify_flags(copy)
    with mock_aws():
        s3 = _bucket_of(copy)
        code, out, err = trailcsi(capsys, *flags)
        assert code == 0, err
        valid_before = json.loads(out)["totals"]["logs_valid"]
        # the newest three hours of one chain, digests and logs, are deleted from the bucket
        deleted_logs = 0
        for digest in digests_of(copy)[-3:]:
            for entry in read(digest)["logFiles"]:
                s3.delete_object(Bucket="trail", Key=f"logs/{entry['s3Object']}")
                deleted_logs += 1
            s3.delete_object(Bucket="trail", Key=f"logs/{key_of(copy, digest)}")
        code, out, err = trailcsi(capsys, *flags)
        assert code == 1
        data = json.loads(out)
        chain = next(c for c in data["chains"] if (c["account"], c["region"]) == (ACCOUNT, REGION))
        assert chain["ends_early"] and chain["authenticated_until"] < "2025-04-01T00:30:00Z"
        assert data["totals"]["logs_valid"] == valid_before - deleted_logs


def test_from_s3_a_log_deleted_from_the_bucket_is_missing(copy, capsys, fake_aws_env):
    flags = _s3_verify_flags(copy)
    with mock_aws():
        s3 = _bucket_of(copy)
        assert trailcsi(capsys, *flags)[0] == 0
        gone = logs_of(copy, "2025/03/30")[3]
        s3.delete_object(Bucket="trail", Key=f"logs/{key_of(copy, gone)}")
        code, out, _err = trailcsi(capsys, *flags)
        assert code == 1
        assert json.loads(out)["problems"] == [
            f"{ACCOUNT} {REGION} (org-trail): log file {key_of(copy, gone)} is missing"
        ]


# -- the summary counts as valid only what was checked -----------------------------------------


def test_a_local_copy_ending_at_its_authenticated_digests_fails_on_the_late_deliveries_only_they_list(
    copy,
):
    # each chain's newest digest (23:30 to 00:30) cannot be authenticated from a copy; files it lists
    # (delivered after 23:30) are read by a query ending at 23:30 with the default late delivery
    local = window.parse(start="2025-03-29T01:00:00Z", end="2025-03-31T23:30:00Z")
    report = verify(copy, local, keys(copy))
    said = problems(report)
    assert not report.ok()
    assert any("within its late delivery" in line and "--late-delivery 0m" in line for line in said)
    assert any("listed only by a digest that cannot be authenticated" in line for line in said)
    assert verify(copy, local, keys(copy), signatures=signatures(copy)).ok()


def test_the_summary_counts_only_checked_logs_as_valid(copy, capsys):
    flags = ["verify", "--source", str(copy), "--public-keys", str(copy / sample_digests.PUBLIC_KEYS)]
    flags += ["--start", "2025-03-29T01:00:00Z", "--end", "2025-03-31T23:30:00Z", "--late-delivery", "0m"]
    code, out, err = trailcsi(capsys, *flags, "--format", "json")
    assert code == 0, err
    totals = json.loads(out)["totals"]
    assert totals["logs_unvouched"] > 0  # listed by the newest digests, which a copy cannot authenticate
    code, out, err = trailcsi(capsys, *flags)
    assert code == 0 and f"log files: {totals['logs_valid']:,} valid" in err
