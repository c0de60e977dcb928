"""`trailcsi verify` on the sample's signed digest chains: untouched, then tampered one way at a time.

Signatures are RSA (our own sample key); the RSA code is cross-checked against the `cryptography`
package where it is installed. The S3 path (newest digest authenticated from object metadata)
runs against moto; public keys come from the sample's `public-keys.json` or a stubbed fetcher,
because moto has no ListPublicKeys.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import shutil
import sys
from pathlib import Path

import boto3
import pytest
from conftest import CORPORA, SEED, corpus_path, keys, put_in_moto
from conftest import run_in_process as trailcsi
from moto import mock_aws

from toolkit.core import window
from toolkit.integrity import rsa
from toolkit.integrity.publickeys import PublicKeys
from toolkit.integrity.verify import DigestFile, _authenticate, _load, verify
from toolkit.sample import digests as sample_digests

#: Ends where a local copy's authenticated digests end: each chain's newest digest (23:30 to 00:30)
#: is authenticated only by its S3 object metadata, so a window it covers fails without it; and with
#: no late delivery, since the files delivered after the end (which a query reads) are listed by it.
WINDOW = window.parse(start="2025-03-29T01:00:00Z", end="2025-03-31T23:30:00Z", late_delivery="0m")
WINDOW_FLAGS = ["--start", "2025-03-29T01:00:00Z", "--end", "2025-03-31T23:30:00Z", "--late-delivery", "0m"]


def digest_paths(root: Path, account: str = "520123456789", region: str = "us-west-2") -> list[Path]:
    return sorted((root / "AWSLogs").glob(f"*/{account}/CloudTrail-Digest/{region}/*/*/*/*.json.gz"))


def key_of(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


@functools.cache
def generated_key() -> rsa.PrivateKey:
    """A key of trailcsi's own generation (a second or more of pure-Python prime search: once)."""
    return rsa.generate(random.Random(3))


def test_a_signature_is_the_same_by_the_cryptography_package_or_in_python(monkeypatch):
    """Signing (the sample's digests) is done by `cryptography` when it is installed, in Python
    otherwise: a PKCS#1 v1.5 signature is deterministic, so both give the same bytes, and one of
    the package's that does not verify, or a package that fails, leaves the signing to Python."""
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

    from toolkit.sample import digests as sample_digests

    python_signed = []
    in_python = rsa.PrivateKey.sign_in_python

    def counted(key, message):
        python_signed.append(message)
        return in_python(key, message)

    monkeypatch.setattr(rsa.PrivateKey, "sign_in_python", counted)
    # a sample digest's signing string is about 200 bytes
    messages = [b"", b"abc", b"2025-04-01T00:30:00Z\n" + bytes(range(32, 127)) * 2, bytes(range(256)) * 40]
    for key in (generated_key(), sample_digests.sample_key(SEED)):
        fast = [key.sign(m) for m in messages]
        assert python_signed == []  # (the package signed)
        assert fast == [in_python(key, m) for m in messages]
        # a signature of the package's that does not verify is not used: Python signs
        wrong = bytearray(fast[1])
        wrong[-1] ^= 1
        monkeypatch.setattr(rsa, "_signed_by_cryptography", lambda *a, bad=bytes(wrong): bad)
        assert key.sign(b"abc") == fast[1] and python_signed == [b"abc"]
        monkeypatch.undo()
        monkeypatch.setattr(rsa.PrivateKey, "sign_in_python", counted)
        python_signed.clear()
    key = generated_key()
    expected = in_python(key, b"abc")

    # a package that fails as a broken install does (pyo3's panic is a BaseException), or is
    # missing, or is not to be used: Python signs
    class Panic(BaseException):
        pass

    def panics(*args):
        raise Panic("Python API call failed")

    for break_it in (
        lambda: monkeypatch.setattr(crypto_rsa, "RSAPrivateNumbers", panics),
        lambda: monkeypatch.setattr(padding, "PKCS1v15", panics),
        lambda: monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None),
        lambda: monkeypatch.setattr(rsa, "USE_CRYPTOGRAPHY", False),
    ):
        rsa._cryptography_key.cache_clear()
        break_it()
        assert key.sign(b"abc") == expected and python_signed == [b"abc"]
        monkeypatch.undo()
        monkeypatch.setattr(rsa.PrivateKey, "sign_in_python", counted)
        python_signed.clear()
    rsa._cryptography_key.cache_clear()


def test_rsa_agrees_with_the_cryptography_package():
    crypto = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    theirs = crypto.generate_private_key(public_exponent=65537, key_size=2048)
    signature = theirs.sign(b"digest string", padding.PKCS1v15(), hashes.SHA256())
    public = theirs.public_key()
    for form in (serialization.PublicFormat.PKCS1, serialization.PublicFormat.SubjectPublicKeyInfo):
        mine = rsa.load_public_key(public.public_bytes(serialization.Encoding.DER, form))
        assert mine.verify(b"digest string", signature)
        assert not mine.verify(b"digest strinG", signature)
    ours = generated_key()
    ours_public = crypto.RSAPublicNumbers(ours.e, ours.n).public_key()
    ours_public.verify(ours.sign(b"abc"), b"abc", padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    assert ours.public().der() == ours_public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )


def test_untouched_archive_is_valid(copy):
    report = verify(copy, WINDOW, keys(copy))
    totals = report.totals()
    assert report.ok() and report.problems() == []
    assert len(report.chains) == 6  # five account-regions with logs, one quiet region
    assert totals["digests_unauthenticated"] == 6  # each chain's newest: signature only in S3 metadata
    assert totals["digests_valid"] > 400 and totals["logs_valid"] > 150
    assert totals["starts"] == 6 and totals["gaps"] == 0


def test_the_cli_exits_0_on_a_valid_archive_and_1_with_problems_listed_first(copy, capsys):
    flags = ["verify", "--source", str(copy), "--public-keys", str(copy / "public-keys.json"), *WINDOW_FLAGS]
    code, out, err = trailcsi(capsys, *flags)
    assert code == 0, err
    assert "6 newest digest(s) not authenticated" in err and "0 hash mismatch" in err
    log = next((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/30/*.json.gz"))
    log.unlink()
    code, out, err = trailcsi(capsys, *flags, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert not data["ok"] and data["problems"][0].endswith(f"log file {key_of(copy, log)} is missing")
    code, out, _err = trailcsi(capsys, *flags)
    assert code == 1 and out.startswith("PROBLEM ")


def test_digests_no_key_could_check_are_said_to_prove_nothing_not_to_be_tampered(copy, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(copy / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(copy / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _out, err = trailcsi(capsys, "verify", "--source", str(copy), *WINDOW_FLAGS)
    assert code == 1  # nothing is proven
    [said] = [line for line in err.splitlines() if "could not be checked" in line]
    assert "no public key was found" in said and "not a sign of tampering" in said and "--public-keys" in said
    assert "invalid (" in err and "of them for want of a public key)" in err


def _rewrite_log(path: Path, change) -> None:
    body = json.loads(gzip.decompress(path.read_bytes()))
    change(body)
    path.write_bytes(gzip.compress(json.dumps(body, separators=(",", ":")).encode()))


def test_one_changed_byte_in_a_log_is_reported(copy):
    log = sorted((copy / "AWSLogs").rglob("CloudTrail/eu-west-1/2025/03/30/*.json.gz"))[3]
    raw = bytearray(gzip.decompress(log.read_bytes()))
    at = raw.index(b'"sourceIPAddress":"') + len(b'"sourceIPAddress":"')
    raw[at] = ord("9") if raw[at] != ord("9") else ord("8")
    log.write_bytes(gzip.compress(bytes(raw)))
    report = verify(copy, WINDOW, keys(copy))
    assert [p.split(": ", 1)[1] for p in report.problems()] == [
        f"log file {key_of(copy, log)} does not match its digest's hash"
    ]


def test_a_deleted_log_is_missing_and_a_stray_log_is_unreferenced(copy):
    gone = sorted((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/31/*.json.gz"))[0]
    gone.unlink()
    stray = gone.with_name(gone.name.replace("T", "T").replace(gone.name[-20:-8], "INJECTEDxxxx"))
    shutil.copyfile(sorted(gone.parent.glob("*.json.gz"))[0], stray)
    report = verify(copy, WINDOW, keys(copy))
    problems = sorted(p.split(": ", 1)[1] for p in report.problems())
    assert problems == sorted(
        [
            f"log file {key_of(copy, gone)} is missing",
            f"log file {key_of(copy, stray)} is referenced by no digest",
        ]
    )


def test_a_stray_log_whose_name_is_not_utf8_is_unreferenced(copy):
    """Queries pass over a log file whose path is not UTF-8 (DuckDB cannot open it), but it is in
    the source: `verify` says it is referenced by no digest, as it did when queries listed it."""
    import os

    folder = sorted((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/31"))[0]
    first = sorted(folder.glob("*.json.gz"))[0]
    name = os.fsencode(first.name).replace(b".json.gz", b"\xe9.json.gz")
    stray = Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))
    shutil.copyfile(first, stray)
    report = verify(copy, WINDOW, keys(copy))
    problems = [p.split(": ", 1)[1] for p in report.problems()]
    assert problems == [f"log file {key_of(copy, stray)} is referenced by no digest"]


def test_a_deleted_digest_is_missing_and_breaks_the_chain_at_that_hour(copy):
    chain = digest_paths(copy)
    removed, successor = chain[30], chain[31]
    before = json.loads(gzip.decompress(chain[29].read_bytes()))
    listed = json.loads(gzip.decompress(removed.read_bytes()))["logFiles"]
    removed.unlink()
    report = verify(copy, WINDOW, keys(copy))
    (broken,) = [c for c in report.chains if not c.ok()]
    assert (broken.account, broken.region) == ("520123456789", "us-west-2")
    assert broken.digests_missing == [(key_of(copy, removed), key_of(copy, successor))]
    successor_data = json.loads(gzip.decompress(successor.read_bytes()))
    assert broken.gaps == [(before["digestEndTime"], successor_data["digestStartTime"])]
    # its log files are now vouched for by nothing, and the digest before it lost its signature
    assert sorted(broken.logs_unreferenced) == sorted(e["s3Object"] for e in listed)
    assert key_of(copy, chain[29]) in broken.digests_unauthenticated


def test_a_reserialised_digest_has_an_invalid_signature(copy):
    chain = digest_paths(copy)
    target = chain[10]
    body = json.loads(gzip.decompress(target.read_bytes()))
    target.write_bytes(gzip.compress(json.dumps(body, indent=2).encode()))  # same content, new whitespace
    report = verify(copy, WINDOW, keys(copy))
    (broken,) = [c for c in report.chains if not c.ok()]
    assert broken.digests_invalid == [(key_of(copy, target), "bad signature")]
    assert len(broken.logs_not_checked) == len(body["logFiles"])


def test_a_digest_moved_to_another_key_is_reported_as_moved(copy):
    chain = digest_paths(copy)
    source = chain[5]
    moved_to = Path(str(source).replace("520123456789", "630555000111").replace("us-west-2", "us-east-1"))
    moved_to = moved_to.with_name(
        moved_to.name.replace("3000Z", "3100Z")
    )  # a key of its own in the other chain
    moved_to.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, moved_to)
    report = verify(copy, WINDOW, keys(copy))
    invalid = [(k, why) for c in report.chains for k, why in c.digests_invalid]
    assert (key_of(copy, moved_to), f"moved: it says it belongs at {key_of(copy, source)}") in invalid
    assert any(missing == key_of(copy, source) for c in report.chains for missing, _by in c.digests_missing)


def test_the_wrong_key_or_no_key(copy, tmp_path):
    other = generated_key().public()  # not the sample's
    fingerprint = json.loads((copy / "public-keys.json").read_text())["PublicKeyList"][0]["Fingerprint"]
    not_found = {f"public key not found for fingerprint {fingerprint} (give --public-keys)"}
    # another key kept under the fingerprint is never used: the fingerprint is computed from the key
    wrong = PublicKeys({fingerprint: {"Value": other.base64()}})
    report = verify(copy, WINDOW, wrong)
    reasons = {why for c in report.chains for _key, why in c.digests_invalid}
    assert reasons == not_found and report.totals()["digests_valid"] == 0
    assert any(fingerprint in note for note in report.notes)
    report = verify(copy, WINDOW, PublicKeys({}))
    reasons = {why for c in report.chains for _key, why in c.digests_invalid}
    assert reasons == not_found


def test_missing_keys_are_fetched_once_per_region_and_cached(copy, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no other test trusts what is cached here
    listing = json.loads((copy / "public-keys.json").read_text())["PublicKeyList"]
    asked: list[str] = []

    def fetch(region, since):
        asked.append(region)
        return listing

    report = verify(copy, WINDOW, PublicKeys({}, fetch))
    assert report.ok() and asked == ["eu-west-1"]  # one key signs every region of the sample: asked once
    offline = PublicKeys.load()  # the cache now answers without a fetcher
    assert verify(copy, WINDOW, offline).ok()


def test_the_parser_reads_awss_documented_digest(tmp_path):
    corpus_path("aws-docs-examples", "digest-files.jsonl")
    line = (CORPORA / "aws-docs-examples" / "digest-files.jsonl").read_text().splitlines()[0]
    data = json.loads(line)
    path = tmp_path / data["digestS3Object"]
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(line.encode()))
    digest = DigestFile(data["digestS3Object"], path, "111122223333", "us-east-2", "your-trail-name", None)
    _load(digest, tmp_path.resolve())
    assert digest.data is not None and digest.status == "unchecked"
    assert digest.data["logFiles"][0]["hashAlgorithm"] == "SHA-256"
    digest.signature = "00" * 256
    _authenticate(digest, None, PublicKeys({}))
    assert (
        digest.reason
        == "public key not found for fingerprint 31e8b5433410dfb61a9dc45cc65b22ff (give --public-keys)"
    )


def test_from_s3_the_newest_digests_are_authenticated_by_their_metadata(copy, capsys, fake_aws_env):
    metadata = json.loads((copy / sample_digests.METADATA).read_text())
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail")
        for path in sorted((copy / "AWSLogs").rglob("*.json.gz")):
            key = key_of(copy, path)
            put_in_moto("trail", f"logs/{key}", path.read_bytes(), metadata.get(key))
        code, out, err = trailcsi(
            capsys,
            "verify",
            "--source",
            "s3://trail/logs",
            "--public-keys",
            str(copy / "public-keys.json"),
            *WINDOW_FLAGS,
            "--format",
            "json",
        )
        assert code == 0, err
        totals = json.loads(out)["totals"]
        assert totals["digests_unauthenticated"] == 0 and totals["digests_valid"] == 432
        assert totals["logs_unvouched"] == 0 and totals["logs_unreferenced"] == 0


def test_truncated_files_are_unreadable_not_a_crash(copy):
    log = sorted((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/30/*.json.gz"))[2]
    log.write_bytes(log.read_bytes()[:40])
    digest = digest_paths(copy, "410987654321", "eu-west-1")[20]
    digest.write_bytes(digest.read_bytes()[:30])
    report = verify(copy, WINDOW, keys(copy))
    unreadable = [key for c in report.chains for key, _why in c.logs_unreadable]
    invalid = {key: why for c in report.chains for key, why in c.digests_invalid}
    assert unreadable == [key_of(copy, log)]
    assert invalid[key_of(copy, digest)].startswith("unreadable")


def test_an_unknown_signature_algorithm_is_invalid_not_trusted(copy):
    target = digest_paths(copy)[12]
    body = json.loads(gzip.decompress(target.read_bytes()))
    body["digestSignatureAlgorithm"] = "MD5withRSA"
    target.write_bytes(gzip.compress(json.dumps(body, separators=(",", ":")).encode()))
    report = verify(copy, WINDOW, keys(copy))
    invalid = dict(kv for c in report.chains for kv in c.digests_invalid)
    assert invalid[key_of(copy, target)] == "unsupported signature algorithm 'MD5withRSA'"


def test_files_asked_about_get_a_verdict_wherever_they_lie(copy, tmp_path):
    """`files`: each log file asked about is checked against the digests of its own day, even
    outside the window (a case cites files a query over a wider span found): vouched only when an
    authenticated digest names its path with the hash of the very bytes given for it."""
    narrow = window.parse(start="2025-03-31T10:00:00Z", end="2025-03-31T12:00:00Z", late_delivery="0m")
    before = sorted((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/30/*.json.gz"))
    inside = sorted((copy / "AWSLogs").rglob("CloudTrail/us-east-1/2025/03/31/*T1[01]*.json.gz"))
    assert before and inside
    genuine, changed, forged = (
        before[2],
        before[3],
        before[0].with_name(before[0].name[:-20] + "FORGEDxxxxxx.json.gz"),
    )
    shutil.copyfile(before[1], forged)  # a file no digest names, beside genuine ones
    altered = tmp_path / "altered.json.gz"  # the bytes a case cited, other than the archive's
    raw = gzip.decompress(changed.read_bytes()).replace(b'"sourceIPAddress":"', b'"sourceIPAddress":"9', 1)
    altered.write_bytes(gzip.compress(raw))
    files = {key_of(copy, p): p for p in (genuine, forged, inside[0])}
    files[key_of(copy, changed)] = altered
    report = verify(copy, narrow, keys(copy), files=files)
    verdicts = {path: v.status for path, v in report.files.items()}
    assert verdicts == {
        key_of(copy, genuine): "vouched",
        key_of(copy, inside[0]): "vouched",
        key_of(copy, changed): "hash mismatch",
        key_of(copy, forged): "not referenced by any digest",
    }
    vouching = report.files[key_of(copy, genuine)].digest
    assert vouching and "/CloudTrail-Digest/us-east-1/2025/03/" in vouching
    # the window's own report is untouched by what was asked outside it
    assert report.ok(), report.problems()
