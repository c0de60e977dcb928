"""`trailcsi verify` against hostile archives: digests that name paths outside the archive, malformed
digests, public keys under the wrong fingerprint, and the newest evidence deleted or altered.

A digest is evidence, not an instruction: only the log files an authenticated digest names are
opened, and only inside the archive. A chain that stops before the window ends, or whose newest
digest cannot be authenticated, is a finding, never a pass.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED, keys
from conftest import run_in_process as trailcsi

from toolkit.core import window
from toolkit.integrity import publickeys, rsa
from toolkit.integrity import verify as verify_module
from toolkit.integrity.publickeys import PublicKeys
from toolkit.integrity.verify import verify
from toolkit.sample import digests as sample_digests

#: Up to the end of the newest digest of every chain (2025-04-01T00:30Z).
FULL = window.parse(start="2025-03-29T01:00:00Z", end="2025-04-01T00:30:00Z")
FULL_FLAGS = ["--start", "2025-03-29T01:00:00Z", "--end", "2025-04-01T00:30:00Z"]
#: Up to the end of the newest digest a local copy can authenticate (its successor records its
#: signature), with no late delivery: the files delivered after it are listed by the newest digest.
LOCAL = window.parse(start="2025-03-29T01:00:00Z", end="2025-03-31T23:30:00Z", late_delivery="0m")
LATER = datetime(2025, 4, 20, tzinfo=UTC)
#: AWS CLI reference, `aws cloudtrail list-public-keys` example output (a real CloudTrail key).
AWS_EXAMPLE_KEY = (
    "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMb"
    "gfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8J"
    "SQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrK"
    "D9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB"
)
AWS_EXAMPLE_FINGERPRINT = "7f3f401420072e50a65a141430817ab3"


def metadata_signatures(root: Path) -> dict[str, str]:
    """What S3 object metadata holds for each digest (a local copy has lost it)."""
    metadata = json.loads((root / sample_digests.METADATA).read_text())
    return {key: value["signature"] for key, value in metadata.items()}


def chains(root: Path) -> list[list[Path]]:
    """Each chain's digest files, oldest first."""
    folders = sorted(
        {p.parent.parent.parent.parent for p in (root / "AWSLogs").rglob("CloudTrail-Digest/*/*/*/*/*")}
    )
    return [sorted(folder.glob("*/*/*/*.json.gz")) for folder in folders]


def key_of(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def read(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


def write(path: Path, body: Any) -> None:
    path.write_bytes(gzip.compress(json.dumps(body, separators=(",", ":")).encode()))


def resign(root: Path, path: Path, body: dict[str, Any], signatures: dict[str, str]) -> None:
    """Rewrite a chain's newest digest and sign it with the sample's key, as CloudTrail would have."""
    raw = json.dumps(body, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(raw))
    previous = body["previousDigestSignature"]
    to_sign = (
        f"{body['digestEndTime']}\n{body['digestS3Bucket']}/{body['digestS3Object']}\n"
        f"{hashlib.sha256(raw).hexdigest()}\n{'null' if previous is None else previous}"
    )
    signatures[key_of(root, path)] = sample_digests.sample_key(SEED).sign(to_sign.encode()).hex()


def problems(report) -> list[str]:
    return [p.split(": ", 1)[1] for p in report.problems()]


# -- 3. paths a digest names ------------------------------------------------------------------


def _outside_log(tmp_path: Path) -> tuple[Path, str]:
    outside = tmp_path / "outside" / "secret.json.gz"
    outside.parent.mkdir()
    body = b'{"Records":[{"secret":"not part of the archive"}]}'
    outside.write_bytes(gzip.compress(body))
    return outside, hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("form", ["absolute", "dotdot", "symlink"])
def test_an_authenticated_digest_cannot_make_verify_read_outside_the_archive(copy, tmp_path, form):
    outside, digest_of_it = _outside_log(tmp_path)
    signatures = metadata_signatures(copy)
    newest = chains(copy)[0][-1]
    body = read(newest)
    if form == "absolute":
        named = outside.as_posix()
    elif form == "dotdot":
        named = "AWSLogs/" + "../" * 3 + os.path.relpath(outside, copy / "AWSLogs" / "x" / "y")
    else:  # a log file inside the archive that is a symbolic link out of it
        link = copy / "AWSLogs" / "linked" / "secret.json.gz"
        link.parent.mkdir()
        link.symlink_to(outside)
        named = key_of(copy, link)
    body["logFiles"].append({**body["logFiles"][0], "s3Object": named, "hashValue": digest_of_it})
    resign(copy, newest, body, signatures)
    opened: list[Path] = []
    real = verify_module._sha256_of_log

    def spy(path: Path) -> tuple[str, int]:
        opened.append(Path(path))
        return real(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verify_module, "_sha256_of_log", spy)
        report = verify(copy, FULL, keys(copy), signatures=signatures)
    assert not report.ok()
    refused = [line for line in problems(report) if "not opened" in line]
    assert len(refused) == 1 and "outside the archive" in refused[0], problems(report)
    assert all(p.resolve().is_relative_to(copy.resolve()) for p in opened)
    assert "not part of the archive" not in json.dumps(report.as_dict())


def test_a_log_that_is_a_device_is_unreadable_not_read(copy):
    signatures = metadata_signatures(copy)
    newest = chains(copy)[0][-1]
    body = read(newest)
    device = copy / "AWSLogs" / "device.json.gz"
    device.symlink_to("/dev/zero")
    body["logFiles"].append({**body["logFiles"][0], "s3Object": key_of(copy, device)})
    resign(copy, newest, body, signatures)
    report = verify(copy, FULL, keys(copy), signatures=signatures)
    assert any(key_of(copy, device) in line and "not opened" in line for line in problems(report))


def test_a_digest_that_is_a_link_out_of_the_archive_is_not_read(copy, tmp_path):
    target = chains(copy)[1][10]
    outside = tmp_path / "elsewhere.json.gz"
    shutil.move(target, outside)
    target.symlink_to(outside)
    report = verify(copy, LOCAL, keys(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert "outside the archive" in invalid[key_of(copy, target)]


def test_no_log_is_opened_on_the_word_of_a_digest_whose_signature_failed(copy):
    target = next(path for chain in chains(copy) for path in chain[15:30] if read(path)["logFiles"])
    body = read(target)
    body["logFiles"][0]["hashValue"] = "0" * 64  # the signature no longer holds
    write(target, body)
    opened: list[str] = []
    real = verify_module._sha256_of_log

    def spy(path: Path) -> tuple[str, int]:
        opened.append(Path(path).relative_to(copy).as_posix())
        return real(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verify_module, "_sha256_of_log", spy)
        report = verify(copy, LOCAL, keys(copy))
    listed = {entry["s3Object"] for entry in body["logFiles"]}
    assert not listed & set(opened)
    assert sorted(c for ch in report.chains for c in ch.logs_not_checked) == sorted(listed)


def test_an_oversized_digest_is_unreadable_not_a_memory_error(copy, monkeypatch):
    monkeypatch.setattr(verify_module, "_MAX_DIGEST_BYTES", 1000)
    target = chains(copy)[0][5]
    report = verify(copy, LOCAL, keys(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert "larger than" in invalid[key_of(copy, target)]


# -- malformed digests: a finding, never a traceback ----------------------------------------------


def _malformed(body: dict[str, Any], case: str) -> Any:
    entry = (
        body["logFiles"][0] if body["logFiles"] else {"s3Object": "AWSLogs/x.json.gz", "hashValue": "0" * 64}
    )
    changes: dict[str, Any] = {
        "logFiles a string": {**body, "logFiles": "AWSLogs/x.json.gz"},
        "logFiles a number": {**body, "logFiles": 7},
        "entry a number": {**body, "logFiles": [1]},
        "entry a list": {**body, "logFiles": [["s3Object"]]},
        "entry without s3Object": {**body, "logFiles": [{k: v for k, v in entry.items() if k != "s3Object"}]},
        "entry without hashValue": {
            **body,
            "logFiles": [{k: v for k, v in entry.items() if k != "hashValue"}],
        },
        "s3Object a number": {**body, "logFiles": [{**entry, "s3Object": 12}]},
        "s3Object null": {**body, "logFiles": [{**entry, "s3Object": None}]},
        "hashValue an object": {**body, "logFiles": [{**entry, "hashValue": {"a": 1}}]},
        "digestEndTime a number": {**body, "digestEndTime": 1},
        "previousDigestS3Object a list": {**body, "previousDigestS3Object": ["x"]},
        "previousDigestSignature a number": {**body, "previousDigestSignature": 5},
        "fingerprint a list": {**body, "digestPublicKeyFingerprint": []},
        "not an object": [body],
        "null": None,
        "a string": "digest",
    }
    return changes[case]


MALFORMED = [
    "logFiles a string",
    "logFiles a number",
    "entry a number",
    "entry a list",
    "entry without s3Object",
    "entry without hashValue",
    "s3Object a number",
    "s3Object null",
    "hashValue an object",
    "digestEndTime a number",
    "previousDigestS3Object a list",
    "previousDigestSignature a number",
    "fingerprint a list",
    "not an object",
    "null",
    "a string",
]


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_digest_is_invalid_not_a_crash(copy, case):
    for chain in chains(copy):
        for target in (chain[7], chain[-1]):  # a middle one, and the newest (unauthenticated)
            write(target, _malformed(read(target), case))
    report = verify(copy, LOCAL, keys(copy))
    invalid = [why for c in report.chains for _key, why in c.digests_invalid]
    assert len(invalid) == 2 * len(chains(copy)) and all(why.startswith("bad format") for why in invalid)
    assert not report.ok()


@pytest.mark.parametrize(
    "raw",
    [
        b"\x1f\x8b\x08\x00",  # a truncated gzip header
        b"not gzip at all",
        gzip.compress(b"\xff\xfe not utf-8"),
        gzip.compress(b"[" * 100_000 + b"]" * 100_000),  # nested past the parser's recursion limit
        gzip.compress(b'{"logFiles": [')[:-6],  # a truncated stream
    ],
)
def test_a_corrupt_digest_file_is_invalid_not_a_crash(copy, capsys, raw):
    target = chains(copy)[3][12]
    target.write_bytes(raw)
    report = verify(copy, LOCAL, keys(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert invalid[key_of(copy, target)].startswith(("unreadable", "bad format"))
    code, out, err = trailcsi(
        capsys,
        "verify",
        "--source",
        str(copy),
        "--public-keys",
        str(copy / sample_digests.PUBLIC_KEYS),
        "--start",
        "2025-03-29T01:00:00Z",
        "--end",
        "2025-03-31T23:30:00Z",
    )
    assert code == 1 and "Traceback" not in err and "PROBLEM" in out


# -- 4. public keys are chosen by a fingerprint computed from the key ----------------------------


def test_the_fingerprint_is_computed_as_aws_does():
    import base64

    key = rsa.load_public_key(base64.b64decode(AWS_EXAMPLE_KEY))
    assert key.fingerprint() == AWS_EXAMPLE_FINGERPRINT


def _listing(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"PublicKeyList": entries})


def test_a_public_key_under_another_fingerprint_is_refused_and_never_cached(copy, tmp_path, capsys):
    ours = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())["PublicKeyList"][0]
    forged = tmp_path / "forged.json"
    # the sample key's value, claimed under the fingerprint of AWS's documented key
    forged.write_text(_listing([{**ours, "Fingerprint": AWS_EXAMPLE_FINGERPRINT}]))
    code, out, err = trailcsi(
        capsys, "verify", "--source", str(copy), "--public-keys", str(forged), *FULL_FLAGS
    )
    assert code == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if "fingerprint" in line]
    assert "key 1" in line and AWS_EXAMPLE_FINGERPRINT in line and str(forged) in line
    cache = publickeys.cache_path()
    assert not cache.exists() or AWS_EXAMPLE_FINGERPRINT not in cache.read_text()


def test_a_cached_key_under_another_fingerprint_is_not_used(copy):
    ours = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())["PublicKeyList"][0]
    cache = publickeys.cache_path()
    cache.parent.mkdir(parents=True, exist_ok=True)
    saved = cache.read_text() if cache.exists() else None
    try:
        cache.write_text(json.dumps({AWS_EXAMPLE_FINGERPRINT: {"Value": ours["Value"]}}))
        loaded = PublicKeys.load()
        assert loaded.get(AWS_EXAMPLE_FINGERPRINT, "us-east-1") is None
        assert any(AWS_EXAMPLE_FINGERPRINT in note for note in loaded.notes)
    finally:
        if saved is None:
            cache.unlink()
        else:
            cache.write_text(saved)


def test_a_fetched_key_under_another_fingerprint_is_not_used_nor_cached(copy):
    ours = json.loads((copy / sample_digests.PUBLIC_KEYS).read_text())["PublicKeyList"][0]
    fetched = PublicKeys({}, lambda region, since: [{**ours, "Fingerprint": AWS_EXAMPLE_FINGERPRINT}])
    assert fetched.get(AWS_EXAMPLE_FINGERPRINT, "us-east-1") is None
    assert any(AWS_EXAMPLE_FINGERPRINT in note for note in fetched.notes)
    cache = publickeys.cache_path()
    assert not cache.exists() or AWS_EXAMPLE_FINGERPRINT not in cache.read_text()


# -- 5. the newest evidence ------------------------------------------------------------------


def test_a_local_copy_never_passes_on_its_unauthenticated_newest_digests(copy):
    report = verify(copy, FULL, keys(copy))
    assert not report.ok()
    assert all(c.ends_early for c in report.chains)
    assert all(
        "S3 object metadata" in line or "listed only by a digest that cannot be authenticated" in line
        for line in problems(report)
    )
    # up to where the copy itself can authenticate, it passes; with the metadata, all of it does
    assert verify(copy, LOCAL, keys(copy)).ok()
    report = verify(copy, FULL, keys(copy), signatures=metadata_signatures(copy))
    assert report.ok() and report.totals()["digests_unauthenticated"] == 0


def test_an_open_window_needs_digests_up_to_now(copy):
    since = window.Window(datetime(2025, 3, 29, 1, tzinfo=UTC), None, "since")
    signatures = metadata_signatures(copy)
    report = verify(copy, since, keys(copy), signatures=signatures, now=LATER)
    assert not report.ok() and all(c.ends_early for c in report.chains)
    assert any("2025-04-01T00:30:00Z" in line for line in problems(report))
    # an hour after the newest digest ended, the next one may not be delivered yet
    soon = datetime(2025, 4, 1, 1, 30, tzinfo=UTC)
    assert verify(copy, since, keys(copy), signatures=signatures, now=soon).ok()


@pytest.mark.parametrize("hours", [1, 3, 6])
@pytest.mark.parametrize("with_metadata", [False, True])
def test_deleting_the_newest_digests_and_their_logs_fails(copy, hours, with_metadata):
    for chain in chains(copy):
        for digest in chain[-hours:]:
            for entry in read(digest)["logFiles"]:
                (copy / entry["s3Object"]).unlink()
            digest.unlink()
    signatures = metadata_signatures(copy) if with_metadata else None
    report = verify(copy, FULL, keys(copy), signatures=signatures)
    assert not report.ok()
    assert all(c.ends_early for c in report.chains)
    assert report.totals()["logs_unreferenced"] == 0  # the logs went with their digests


def _change_a_log_and_its_newest_digest(copy: Path) -> Path:
    for chain in chains(copy):
        newest = chain[-1]
        body = read(newest)
        if body["logFiles"]:
            break
    entry = body["logFiles"][0]
    log = copy / entry["s3Object"]
    records = json.loads(gzip.decompress(log.read_bytes()))
    records["Records"].pop()
    raw = json.dumps(records).encode()
    log.write_bytes(gzip.compress(raw))
    entry["hashValue"] = hashlib.sha256(raw).hexdigest()
    write(newest, body)
    return newest


def test_a_log_changed_with_the_newest_digests_hash_value_fails(copy):
    newest = _change_a_log_and_its_newest_digest(copy)
    assert not verify(copy, FULL, keys(copy)).ok()
    report = verify(copy, FULL, keys(copy), signatures=metadata_signatures(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert invalid[key_of(copy, newest)] == "bad signature"


def test_the_newest_digests_signature_algorithm_changed_fails(copy):
    newest = chains(copy)[0][-1]
    body = read(newest)
    body["digestSignatureAlgorithm"] = "SHA1withRSA"
    write(newest, body)
    report = verify(copy, FULL, keys(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert invalid[key_of(copy, newest)] == "unsupported signature algorithm 'SHA1withRSA'"


def test_the_cli_takes_the_newest_signatures_from_s3_metadata_kept_in_a_file(copy, capsys):
    flags = ["verify", "--source", str(copy), "--public-keys", str(copy / "public-keys.json"), *FULL_FLAGS]
    code, out, err = trailcsi(capsys, *flags)
    assert code == 1 and "Traceback" not in err
    assert "--signatures" in out + err
    code, out, err = trailcsi(capsys, *flags, "--signatures", str(copy / sample_digests.METADATA))
    assert code == 0, out + err
    bad = copy / "bad-signatures.json"
    bad.write_text("[1, 2]")
    code, out, err = trailcsi(capsys, *flags, "--signatures", str(bad))
    assert code == 2 and "Traceback" not in err and str(bad) in err


def test_gaps_are_reported_when_the_window_ends_after_a_deletion_in_the_middle(copy):
    # unchanged behaviour, as a guard: a digest deleted in the middle is missing and leaves a gap
    chain = chains(copy)[0]
    chain[30].unlink()
    report = verify(copy, LOCAL, keys(copy), now=LATER + timedelta(days=1))
    assert any("is missing (referenced by" in line for line in problems(report))
