"""`trailcsi verify`: check an archive's CloudTrail digest chains and the log files they vouch for.

The algorithm is AWS's ("validating CloudTrail log file integrity with custom implementations"):
a digest is signed (RSA PKCS#1 v1.5, SHA-256) over the string

    <digestEndTime>\\n<digestS3Bucket>/<digestS3Object>\\n<hex SHA-256 of the uncompressed digest>\\n<previousDigestSignature or "null">

with the key whose fingerprint the digest names; every log file it lists carries the SHA-256 of
its uncompressed bytes; `previousDigest*` links each digest to the one before. The newest
digest's signature lives only in its S3 object metadata; each older digest's signature is also
in its successor (`previousDigestSignature`), which is how a local copy is checked. So in a local
copy the newest digest of each chain cannot be authenticated: it is reported as such, never as
valid and never as tampered.

Beyond AWS's tool: whole archives (every account, region and trail), offline, log files in the
window that no digest references (injected, or delivered while validation was off), and gaps.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import zlib
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit import archive
from toolkit.publickeys import PublicKeys
from toolkit.window import Window

_DIGEST_PATH = re.compile(
    r"(?:^|/)(?P<key>AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail-Digest/"
    r"(?P<region>[a-z0-9-]+)/(?P<day>\d{4}/\d{2}/\d{2})/\d{12}_CloudTrail-Digest_[a-z0-9-]+_(?P<trail>.+)_"
    r"[a-z0-9-]+_(?P<end>\d{8}T\d{6}Z)\.json\.gz)$"
)
REQUIRED = (
    "digestStartTime",
    "digestEndTime",
    "digestS3Bucket",
    "digestS3Object",
    "digestPublicKeyFingerprint",
    "previousDigestSignature",
    "logFiles",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Compressed files smaller than this are decompressed in one call; larger ones are streamed.
_WHOLE_FILE_BYTES = 8 << 20
#: Called while log files are hashed: (files done, files to hash, uncompressed bytes hashed).
Progress = Callable[[int, int, int], None]


@dataclass
class DigestFile:
    key: str  # from AWSLogs/
    path: Path
    account: str
    region: str
    trail: str
    end: datetime  # from the name
    raw: bytes | None = None
    data: dict[str, Any] | None = None
    signature: str | None = None  # from S3 object metadata, when the source kept it
    status: str = "unchecked"  # valid | invalid | unauthenticated
    reason: str = ""


@dataclass
class ChainReport:
    account: str
    region: str
    trail: str = ""
    digests_valid: int = 0
    digests_unauthenticated: list[str] = field(default_factory=list)
    digests_invalid: list[tuple[str, str]] = field(default_factory=list)  # key, why
    digests_missing: list[tuple[str, str]] = field(default_factory=list)  # key, referenced by
    logs_valid: int = 0
    logs_unvouched: int = 0  # matched a digest that could not be authenticated
    logs_mismatch: list[str] = field(default_factory=list)
    logs_missing: list[str] = field(default_factory=list)
    logs_unreadable: list[tuple[str, str]] = field(default_factory=list)
    logs_not_checked: list[str] = field(default_factory=list)  # listed by an invalid digest
    logs_unreferenced: list[str] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)  # starting digests' start times
    gaps: list[tuple[str, str]] = field(default_factory=list)  # from, to

    def problems(self) -> list[str]:
        where = f"{self.account} {self.region}" + (f" ({self.trail})" if self.trail else "")
        said = [f"{where}: digest {key} is invalid: {why}" for key, why in self.digests_invalid]
        said += [f"{where}: digest {key} is missing (referenced by {by})" for key, by in self.digests_missing]
        said += [f"{where}: gap in the digest chain from {a} to {b}" for a, b in self.gaps]
        said += [f"{where}: log file {key} does not match its digest's hash" for key in self.logs_mismatch]
        said += [f"{where}: log file {key} is missing" for key in self.logs_missing]
        said += [f"{where}: log file {key} is unreadable: {why}" for key, why in self.logs_unreadable]
        said += [
            f"{where}: log file {key} not checked: its digest is invalid" for key in self.logs_not_checked
        ]
        said += [f"{where}: log file {key} is referenced by no digest" for key in self.logs_unreferenced]
        return said

    def ok(self) -> bool:
        return not self.problems()

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "trail": self.trail,
            "digests": {
                "valid": self.digests_valid,
                "not_authenticated": self.digests_unauthenticated,
                "invalid": [{"key": k, "reason": r} for k, r in self.digests_invalid],
                "missing": [{"key": k, "referenced_by": r} for k, r in self.digests_missing],
            },
            "log_files": {
                "valid": self.logs_valid,
                "valid_by_unauthenticated_digest": self.logs_unvouched,
                "hash_mismatch": self.logs_mismatch,
                "missing": self.logs_missing,
                "unreadable": [{"key": k, "reason": r} for k, r in self.logs_unreadable],
                "not_checked": self.logs_not_checked,
                "unreferenced": self.logs_unreferenced,
            },
            "chain_starts": self.starts,
            "gaps": [{"from": a, "to": b} for a, b in self.gaps],
        }


@dataclass
class VerifyReport:
    chains: list[ChainReport]
    notes: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return all(c.ok() for c in self.chains)

    def problems(self) -> list[str]:
        return [p for c in self.chains for p in c.problems()]

    def totals(self) -> dict[str, int]:
        keys = ("digests_valid", "logs_valid", "logs_unvouched")
        totals = {k: sum(getattr(c, k) for c in self.chains) for k in keys}
        for name in (
            "digests_unauthenticated",
            "digests_invalid",
            "digests_missing",
            "logs_mismatch",
            "logs_missing",
            "logs_unreadable",
            "logs_not_checked",
            "logs_unreferenced",
            "gaps",
            "starts",
        ):
            totals[name] = sum(len(getattr(c, name)) for c in self.chains)
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok(),
            "totals": self.totals(),
            "problems": self.problems(),
            "notes": self.notes,
            "chains": [c.as_dict() for c in self.chains],
        }


def find_digests(root: Path) -> list[DigestFile]:
    found = []
    for directory, _dirs, names in os.walk(root):
        if "CloudTrail-Digest" not in directory:
            continue
        for name in names:
            path = Path(directory) / name
            match = _DIGEST_PATH.search(path.as_posix())
            if not match:
                continue
            digest = DigestFile(match["key"], path, match["account"], match["region"], match["trail"], _EPOCH)
            try:
                digest.end = datetime.strptime(match["end"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:  # kept, and reported: a name CloudTrail would not write
                digest.status, digest.reason = "invalid", "bad name: its end time is not a time"
                try:
                    digest.end = datetime.strptime(match["day"], "%Y/%m/%d").replace(tzinfo=UTC)
                except ValueError:
                    pass
            found.append(digest)
    return found


def verify(
    root: str | os.PathLike[str],
    window: Window,
    keys: PublicKeys,
    *,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    signatures: dict[str, str] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Check every digest chain under `root` in the window, and the log files of the window.

    `signatures` maps digest keys (from `AWSLogs/`) to the signature their S3 object metadata held.
    """
    base = Path(root).expanduser().resolve()
    wanted_accounts, wanted_regions = set(accounts or []), {r.lower() for r in regions or []}
    start, end = window.start, window.end
    late = (end + timedelta(hours=1, minutes=5)) if end else None
    digests = [
        d
        for d in find_digests(base)
        if (not wanted_accounts or d.account in wanted_accounts)
        and (not wanted_regions or d.region in wanted_regions)
        and (start is None or d.end >= start)
        and (late is None or d.end <= late)
    ]
    for digest in digests:
        digest.signature = (signatures or {}).get(digest.key)
    chains: dict[tuple[str, str, str], list[DigestFile]] = defaultdict(list)
    for digest in digests:
        chains[(digest.account, digest.region, digest.trail)].append(digest)
    for digest in digests:
        if digest.status == "unchecked":
            _load(digest)
    listed = {
        _from_awslogs(str(entry.get("s3Object", "")))
        for digest in digests
        if digest.data
        for entry in digest.data.get("logFiles") or []
    }
    reports: dict[tuple[str, str, str], ChainReport] = {}
    to_hash: list[tuple[ChainReport, str, str, bool]] = []  # report, key, expected hash, vouched
    referenced: set[str] = set()
    # Log files are hashed on worker threads (zlib and hashlib release the GIL) while this thread
    # checks the signatures.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        hashes = {key: pool.submit(_sha256_of_log, base / key) for key in sorted(listed)}
        for chain_key, members in sorted(chains.items()):
            report = ChainReport(*chain_key)
            reports[chain_key] = report
            for key, expected, vouched in _check_chain(members, report, keys, start):
                referenced.add(key)
                to_hash.append((report, key, expected, vouched))
            for digest in members:
                if digest.status == "invalid" and digest.data:
                    for entry in digest.data.get("logFiles") or []:
                        key = _from_awslogs(str(entry.get("s3Object", "")))
                        referenced.add(key)
                        report.logs_not_checked.append(key)
        _classify(to_hash, hashes, progress)
    _unreferenced(base, window, wanted_accounts, wanted_regions, referenced, reports)
    ordered = [reports[k] for k in sorted(reports)]
    return VerifyReport(ordered, list(keys.notes))


def _check_chain(
    members: list[DigestFile], report: ChainReport, keys: PublicKeys, start: datetime | None
) -> list[tuple[str, str, bool]]:
    """Check the digests of one chain; returns the log files to hash: (key, hash, vouched for)."""
    members.sort(key=lambda d: d.end)
    by_key = {d.key: d for d in members}
    successors: dict[str, DigestFile] = {}
    for digest in members:
        if digest.data and digest.data.get("previousDigestS3Object"):
            successors[_from_awslogs(str(digest.data["previousDigestS3Object"]))] = digest
    for digest in members:
        if digest.data is None:
            continue
        _authenticate(digest, successors.get(digest.key), keys)
    logs: list[tuple[str, str, bool]] = []
    previous: DigestFile | None = None
    for digest in members:
        if digest.status == "valid":
            report.digests_valid += 1
        elif digest.status == "unauthenticated":
            report.digests_unauthenticated.append(digest.key)
        else:
            report.digests_invalid.append((digest.key, digest.reason))
        data = digest.data or {}
        if data and data.get("previousDigestSignature") is None:
            report.starts.append(str(data.get("digestStartTime")))
        link = _from_awslogs(str(data.get("previousDigestS3Object") or "")) if data else ""
        began = _parse_time(data.get("digestStartTime")) if data else None
        if link and link not in by_key and (start is None or (began and began >= start)):
            report.digests_missing.append((link, digest.key))
        if previous is not None and data and previous.data and link != previous.key:
            report.gaps.append((str(previous.data.get("digestEndTime")), str(data.get("digestStartTime"))))
        if digest.status in ("valid", "unauthenticated"):
            for entry in data.get("logFiles") or []:
                key = _from_awslogs(str(entry.get("s3Object", "")))
                logs.append((key, str(entry.get("hashValue", "")).lower(), digest.status == "valid"))
        previous = digest if digest.data else previous
    return logs


def _load(digest: DigestFile) -> None:
    try:
        digest.raw = gzip.decompress(digest.path.read_bytes())
        data = json.loads(digest.raw)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        digest.status, digest.reason = "invalid", f"unreadable: {error}"
        return
    except ValueError:
        digest.status, digest.reason = "invalid", "bad format: not JSON"
        return
    if not isinstance(data, dict) or any(k not in data for k in REQUIRED):
        missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
        digest.status, digest.reason = "invalid", f"bad format: no {', '.join(missing)}"
        return
    digest.data = data


def _authenticate(digest: DigestFile, successor: DigestFile | None, keys: PublicKeys) -> None:
    data = digest.data
    assert data is not None and digest.raw is not None
    claimed = _from_awslogs(str(data["digestS3Object"]))
    if claimed != digest.key:
        digest.status, digest.reason = "invalid", f"moved: it says it belongs at {data['digestS3Object']}"
        return
    digest_hash = hashlib.sha256(digest.raw).hexdigest()
    signature = digest.signature
    recorded = ""
    if successor is not None and successor.data is not None:
        recorded = str(successor.data.get("previousDigestHashValue") or "").lower()
        signature = signature or successor.data.get("previousDigestSignature")
    if not signature:
        digest.status = "unauthenticated"
        digest.reason = "its signature lives only in S3 object metadata (the newest digest of a copy)"
        return
    algorithm = data.get("digestSignatureAlgorithm", "SHA256withRSA")
    if algorithm != "SHA256withRSA":
        digest.status, digest.reason = "invalid", f"unsupported signature algorithm {algorithm!r}"
        return
    fingerprint = str(data["digestPublicKeyFingerprint"])
    key = keys.get(fingerprint, digest.region, _parse_time(data.get("digestStartTime")))
    if key is None:
        digest.status = "invalid"
        digest.reason = f"public key not found for fingerprint {fingerprint} (give --public-keys)"
        return
    previous = data["previousDigestSignature"]
    to_sign = (
        f"{data['digestEndTime']}\n{data['digestS3Bucket']}/{data['digestS3Object']}\n"
        f"{digest_hash}\n{'null' if previous is None else previous}"
    )
    try:
        signature_bytes = bytes.fromhex(str(signature))
    except ValueError:
        digest.status, digest.reason = "invalid", "bad signature: not hex"
        return
    if not key.verify(to_sign.encode(), signature_bytes):
        digest.status, digest.reason = "invalid", "bad signature"
    elif successor is not None and recorded and recorded != digest_hash:
        digest.status, digest.reason = "invalid", f"its successor {successor.key} records another hash"
    else:
        digest.status = "valid"


def _classify(
    work: list[tuple[ChainReport, str, str, bool]],
    hashes: dict[str, Future[tuple[str, int]]],
    progress: Progress | None,
) -> None:
    done = hashed = 0
    for report, key, expected, vouched in work:
        outcome, size = hashes[key].result()
        hashed += size
        if outcome == "missing":
            report.logs_missing.append(key)
        elif outcome.startswith("unreadable:"):
            report.logs_unreadable.append((key, outcome.removeprefix("unreadable: ")))
        elif outcome != expected:
            report.logs_mismatch.append(key)
        elif vouched:
            report.logs_valid += 1
        else:
            report.logs_unvouched += 1
        done += 1
        if progress is not None:
            progress(done, len(work), hashed)


def _sha256_of_log(path: Path) -> tuple[str, int]:
    """SHA-256 of the uncompressed bytes (streamed: memory stays flat whatever the file size), and their count."""
    digest = hashlib.sha256()
    size = 0
    try:
        if path.stat().st_size < _WHOLE_FILE_BYTES:  # small (most): one read, one decompress
            body = gzip.decompress(path.read_bytes())
            digest.update(body)
            return digest.hexdigest(), len(body)
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return "missing", 0
    except (OSError, EOFError, zlib.error) as error:
        return f"unreadable: {error}", size
    return digest.hexdigest(), size


def _unreferenced(
    base: Path,
    window: Window,
    accounts: set[str],
    regions: set[str],
    referenced: set[str],
    reports: dict[tuple[str, str, str], ChainReport],
) -> None:
    """Log files delivered in the window that no digest lists."""
    try:
        logs = archive.scan(base).select((window.start, window.end), accounts, regions)
    except Exception:  # no log files at all: nothing can be unreferenced
        return
    for log in logs:
        key = _from_awslogs(Path(log.path).as_posix())
        if key in referenced:
            continue
        owner = next(
            (r for (a, g, _t), r in sorted(reports.items()) if a == log.account and g == log.region), None
        )
        if owner is None:
            owner = ChainReport(log.account, log.region)
            reports[(log.account, log.region, "")] = owner
        owner.logs_unreferenced.append(key)


def _from_awslogs(key: str) -> str:
    """A key or path from its `AWSLogs/` component on (the prefix before it does not matter)."""
    at = key.find("AWSLogs/")
    return key[at:] if at >= 0 else key


def _parse_time(text: Any) -> datetime | None:
    """`2025-03-29T01:30:00Z` as an aware datetime (None if it is not one)."""
    value = str(text)
    if len(value) != 20 or value[10] != "T" or not value.endswith("Z"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
