"""`trailcsi verify`: check an archive's CloudTrail digest chains and the log files they vouch for.

The algorithm is AWS's ("validating CloudTrail log file integrity with custom implementations"):
a digest is signed (RSA PKCS#1 v1.5, SHA-256) over the string

    <digestEndTime>\\n<digestS3Bucket>/<digestS3Object>\\n<hex SHA-256 of the uncompressed digest>\\n<previousDigestSignature or "null">

with the key whose fingerprint the digest names; every log file it lists carries the SHA-256 of
its uncompressed bytes; `previousDigest*` links each digest to the one before. The newest
digest's signature lives only in its S3 object metadata; each older digest's signature is also
in its successor (`previousDigestSignature`), which is how a local copy is checked. So in a local
copy the newest digest of each chain cannot be authenticated unless its signature is given
(`signatures`, from the S3 metadata): it is reported as such, never as valid and never as
tampered, and it proves nothing: a window it alone covers fails.

A digest is evidence, not an instruction. Only the log files an authenticated digest names are
opened, and only paths inside the archive (no absolute path, no `..`, no symbolic link out of it,
regular files only). A chain whose authenticated digests stop before the window ends (less the
delivery delay when the window ends now) is a finding, not a pass.

Beyond AWS's tool: whole archives (every account, region and trail), offline, and every log file
a query over the window reads (delivered up to the window's late delivery after its end, under any
prefix) that is not the very file an authenticated digest vouches for: referenced by no digest
(injected, or delivered while validation was off), listed only by a digest that cannot be
authenticated, or a copy under another prefix of a file a digest vouches for. And gaps.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import stat
import zlib
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit.core.window import Window, stamp
from toolkit.errors import UsageError
from toolkit.integrity.publickeys import PublicKeys
from toolkit.sources import archive, layout
from toolkit.threads import threads_to_use

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
#: A digest covers an hour and is delivered minutes after it ends: when the window ends now, the
#: newest digest delivered may have ended this long ago.
DIGEST_DELAY = timedelta(hours=1, minutes=15)
#: No CloudTrail digest comes near this (uncompressed); a larger one is not read into memory.
_MAX_DIGEST_BYTES = 64 << 20
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_STRINGS = (
    "digestStartTime",
    "digestEndTime",
    "digestS3Bucket",
    "digestS3Object",
    "digestPublicKeyFingerprint",
)
_OPTIONAL_STRINGS = (
    "previousDigestSignature",
    "previousDigestS3Object",
    "previousDigestS3Bucket",
    "previousDigestHashValue",
    "digestSignatureAlgorithm",
)
#: Called while log files are hashed: (files done, files to hash, uncompressed bytes hashed).
Progress = Callable[[int, int, int], None]


#: The start of the reason given for a digest no public key could check (not proven either way).
NO_PUBLIC_KEY = "public key not found"


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
    #: unauthenticated digests covering part of the window (key, why): they prove nothing
    digests_unproven: list[tuple[str, str]] = field(default_factory=list)
    logs_valid: int = 0
    logs_unvouched: int = 0  # listed only by a digest that could not be authenticated: not opened
    logs_mismatch: list[str] = field(default_factory=list)
    logs_missing: list[str] = field(default_factory=list)
    logs_unreadable: list[tuple[str, str]] = field(default_factory=list)
    logs_refused: list[tuple[str, str]] = field(default_factory=list)  # key, why it was not opened
    logs_not_checked: list[str] = field(default_factory=list)  # listed by an invalid digest
    logs_unreferenced: list[str] = field(default_factory=list)
    #: read by a query over the window, but listed only by digests that could not be authenticated
    logs_unproven: list[str] = field(default_factory=list)
    #: another copy (path, the vouched file) of a log file a digest vouches for, under another prefix
    logs_duplicate: list[tuple[str, str]] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)  # starting digests' start times
    gaps: list[tuple[str, str]] = field(default_factory=list)  # from, to
    authenticated_until: str | None = None  # end of the newest authenticated digest
    required_until: str | None = None  # where the chain must reach: the window's end (less the delay)
    ends_early: str = ""  # why the chain stops short of `required_until` ("" when it does not)

    def problems(self) -> list[str]:
        where = f"{self.account} {self.region}" + (f" ({self.trail})" if self.trail else "")
        said = [f"{where}: digest {key} is invalid: {why}" for key, why in self.digests_invalid]
        said += [f"{where}: digest {key} is missing (referenced by {by})" for key, by in self.digests_missing]
        said += [f"{where}: digest {key} proves nothing: {why}" for key, why in self.digests_unproven]
        said += [f"{where}: gap in the digest chain from {a} to {b}" for a, b in self.gaps]
        if self.ends_early:
            said.append(
                f"{where}: the digest chain is authenticated only up to {self.authenticated_until or 'nowhere'}, "
                f"short of {self.required_until}: {self.ends_early}"
            )
        said += [f"{where}: log file {key} does not match its digest's hash" for key in self.logs_mismatch]
        said += [f"{where}: log file {key} is missing" for key in self.logs_missing]
        said += [f"{where}: log file {key} is unreadable: {why}" for key, why in self.logs_unreadable]
        said += [f"{where}: log file {key} not opened: {why}" for key, why in self.logs_refused]
        said += [
            f"{where}: log file {key} not checked: its digest is invalid" for key in self.logs_not_checked
        ]
        said += [f"{where}: log file {key} is referenced by no digest" for key in self.logs_unreferenced]
        said += [
            f"{where}: log file {key} is listed only by a digest that cannot be authenticated (not opened)"
            for key in self.logs_unproven
        ]
        said += [
            f"{where}: log file {key} is another copy of {vouched}, the file a digest vouches for "
            "(queries read both; only that one is checked)"
            for key, vouched in self.logs_duplicate
        ]
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
                "proving_nothing": [{"key": k, "reason": r} for k, r in self.digests_unproven],
            },
            "log_files": {
                "valid": self.logs_valid,
                "listed_only_by_unauthenticated_digest": self.logs_unvouched,
                "hash_mismatch": self.logs_mismatch,
                "missing": self.logs_missing,
                "unreadable": [{"key": k, "reason": r} for k, r in self.logs_unreadable],
                "not_opened": [{"key": k, "reason": r} for k, r in self.logs_refused],
                "not_checked": self.logs_not_checked,
                "unreferenced": self.logs_unreferenced,
                "listed_only_by_unauthenticated_digest_in_window": self.logs_unproven,
                "copies_of_vouched_files": [{"key": k, "vouched": v} for k, v in self.logs_duplicate],
            },
            "chain_starts": self.starts,
            "gaps": [{"from": a, "to": b} for a, b in self.gaps],
            "authenticated_until": self.authenticated_until,
            "required_until": self.required_until,
            "ends_early": self.ends_early or None,
        }


#: A log file's standing against the digests (`FileVerdict.status`).
VOUCHED = "vouched"
HASH_MISMATCH = "hash mismatch"
UNREFERENCED = "not referenced by any digest"
UNAUTHENTICATED = "listed only by a digest that cannot be authenticated"
INVALID_DIGEST = "listed only by an invalid digest"
COPY = "a copy of a vouched file under another prefix"
UNREADABLE = "unreadable"


@dataclass
class FileVerdict:
    """How one log file asked about (`verify(files=...)`) stands: vouched only when an
    authenticated digest names its very path with the SHA-256 of the bytes given for it."""

    status: str
    digest: str | None = None  # the key (from AWSLogs/) of the digest naming it, if one does
    reason: str = ""

    @property
    def vouched(self) -> bool:
        return self.status == VOUCHED

    def as_dict(self) -> dict[str, Any]:
        return {
            "digest": self.status,
            **({"digest_key": self.digest} if self.digest else {}),
            **({"digest_reason": self.reason} if self.reason else {}),
        }


@dataclass
class VerifyReport:
    chains: list[ChainReport]
    notes: list[str] = field(default_factory=list)
    #: the verdict on each file of `verify(files=...)`, by its path from the root (not in `problems`:
    #: the files of the window are reported there already, and the caller knows what the others are)
    files: dict[str, FileVerdict] = field(default_factory=dict)

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
            "digests_unproven",
            "logs_mismatch",
            "logs_missing",
            "logs_unreadable",
            "logs_refused",
            "logs_not_checked",
            "logs_unreferenced",
            "logs_unproven",
            "logs_duplicate",
            "gaps",
            "starts",
        ):
            totals[name] = sum(len(getattr(c, name)) for c in self.chains)
        totals["chains_ending_early"] = sum(1 for c in self.chains if c.ends_early)
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok(),
            "passed": self.passed(),
            "totals": self.totals(),
            "problems": self.problems(),
            "notes": self.notes,
            "chains": [c.as_dict() for c in self.chains],
        }

    def chain_rows(self) -> list[tuple[Any, ...]]:
        """One row a chain (`CHAIN_COLUMNS`): its counts of digests and log files by verdict."""
        return [
            (
                c.account,
                c.region,
                c.trail,
                c.digests_valid,
                len(c.digests_unauthenticated),
                len(c.digests_invalid),
                len(c.digests_missing),
                c.logs_valid,
                len(c.logs_mismatch),
                len(c.logs_missing) + len(c.logs_unreadable),
                len(c.logs_unreferenced) + len(c.logs_unproven) + len(c.logs_duplicate),
                len(c.gaps),
            )
            for c in self.chains
        ]

    def keyless(self) -> int:
        """Digests that could not be checked for want of a public key (not a sign of tampering)."""
        return sum(1 for c in self.chains for _key, why in c.digests_invalid if why.startswith(NO_PUBLIC_KEY))

    def summary_lines(self) -> list[str]:
        """What the check proved and did not, one line each: digests not authenticated, digests
        without a key, the totals, and a window with no digest at all."""
        totals = self.totals()
        lines = []
        if totals["digests_unauthenticated"]:
            lines.append(
                f"{totals['digests_unauthenticated']} newest digest(s) not authenticated: their signature "
                "lives only in S3 object metadata (verify from s3://, or give --signatures with that "
                f"metadata); {totals['logs_unvouched']} log file(s) listed only by them were not opened"
            )
        keyless = self.keyless()
        if keyless:
            lines.append(
                f"{keyless:,} digest(s) could not be checked: no public key was found for their fingerprint. "
                "That proves nothing either way (it is not a sign of tampering): give --public-keys FILE "
                "(the JSON `aws cloudtrail list-public-keys --start-time ...` prints), or AWS credentials "
                "so that trailcsi fetches the keys"
            )
        without_key = f" ({keyless:,} of them for want of a public key)" if keyless else ""
        lines.append(
            f"digests: {totals['digests_valid']:,} valid, {totals['digests_invalid']:,} invalid{without_key}, "
            f"{totals['digests_missing']:,} missing; log files: {totals['logs_valid']:,} "
            f"valid, {totals['logs_mismatch']:,} hash mismatch, {totals['logs_missing']:,} missing, "
            f"{totals['logs_unreadable']:,} unreadable, {totals['logs_unreferenced']:,} referenced by no "
            f"digest, {totals['logs_unproven']:,} listed only by an unauthenticated digest, "
            f"{totals['logs_duplicate']:,} copies of a vouched file under another prefix; "
            f"{totals['logs_refused']:,} not opened (outside the archive or not a regular file); "
            f"{totals['gaps']:,} gaps, {totals['chains_ending_early']:,} chain(s) ending before the window, "
            f"{totals['starts']:,} chain starts"
        )
        if not self.chains:
            lines.append("no digest files in this window: is log file validation on for this trail?")
        return lines

    def passed(self) -> bool:
        """Everything checked is valid, and something was checked."""
        return self.ok() and bool(self.chains)


#: The columns of `VerifyReport.chain_rows`.
CHAIN_COLUMNS = (
    "account",
    "region",
    "trail",
    "digests ok",
    "not auth.",
    "invalid",
    "missing",
    "logs ok",
    "bad hash",
    "lost",
    "unreferenced",
    "gaps",
)


def find_digests(root: Path, listed: set[str] | None = None) -> list[DigestFile]:
    """The digest files under `root` (only those whose path from `root` is in `listed`, if given)."""
    found = []
    for directory, _dirs, names in os.walk(root):
        if layout.DIGESTS not in directory:
            continue
        for name in names:
            path = Path(directory) / name
            if listed is not None and path.relative_to(root).as_posix() not in listed:
                continue  # not in the source now (a stale copy of a key the bucket no longer lists)
            match = layout.DIGEST_PATH.search(path.as_posix())
            parsed = layout.parse_digest_name(name) if match else None
            if not match or not parsed:
                continue
            digest = DigestFile(match["key"], path, match["account"], match["region"], parsed.trail, _EPOCH)
            if parsed.end is not None:
                digest.end = parsed.end
            else:  # kept, and reported: a name CloudTrail would not write
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
    now: datetime | None = None,
    listed: set[str] | None = None,
    files: dict[str, Path] | None = None,
) -> VerifyReport:
    """Check every digest chain under `root` in the window, and the log files of the window.

    `signatures` maps digest keys (from `AWSLogs/`) to the signature their S3 object metadata held.
    `now` (default: the current time) bounds an open window: its chains must reach `now`, less
    `DIGEST_DELAY`. `listed`, when given, holds the paths (from `root`, with `/`) of the files the
    source lists now (a bucket's keys): any other file under `root` is ignored, as if absent.

    Log files are checked over the window's delivery span (up to its late delivery after the end):
    every file a query over the window reads must be the very file an authenticated digest vouches
    for.

    `files` maps log files (paths from `root`, as the digests name them) to the local files holding
    their bytes (the same file, or a copy of it taken elsewhere): each gets a verdict in the
    report's `files`, wherever it lies in time. One outside the window is looked up in the digests
    of its account and region delivered from its day to two hours after it (its name could lie
    about its hour, never its folder: a file named elsewhere is named by no digest there).
    """
    base = Path(root).expanduser().resolve()
    wanted_accounts, wanted_regions = set(accounts or []), {r.lower() for r in regions or []}
    start, end = window.start, window.end
    moment = now or datetime.now(UTC)
    required = min(end, moment - DIGEST_DELAY) if end else moment - DIGEST_DELAY
    span = window.delivery_span()
    # up to the digest of the hour the span ends in, and the one after it (which records its signature)
    late = (span[1] + timedelta(hours=2, minutes=5)) if span[1] else None
    everything = find_digests(base, listed)
    digests = [
        d
        for d in everything
        if (not wanted_accounts or d.account in wanted_accounts)
        and (not wanted_regions or d.region in wanted_regions)
        and (start is None or d.end >= start)
        and (late is None or d.end <= late)
    ]
    for digest in digests:
        digest.signature = (signatures or {}).get(digest.key)
    # A digest key found twice (another copy under another prefix): the one nearest the root is
    # checked; every other copy is reported, and vouches for nothing (the log files beside it,
    # which queries read too, are then reported as copies of the vouched ones).
    copies: list[tuple[DigestFile, DigestFile]] = []
    kept: dict[str, DigestFile] = {}
    for digest in sorted(digests, key=lambda d: (len(d.path.parts), d.path.as_posix())):
        if digest.key in kept:
            copies.append((digest, kept[digest.key]))
        else:
            kept[digest.key] = digest
    digests = [d for d in digests if kept[d.key] is d]
    chains: dict[tuple[str, str, str], list[DigestFile]] = defaultdict(list)
    for digest in digests:
        chains[(digest.account, digest.region, digest.trail)].append(digest)
    for digest in digests:
        if digest.status == "unchecked":
            _load(digest, base)
    reports: dict[tuple[str, str, str], ChainReport] = {}
    work: list[tuple[ChainReport, str, str, Future[tuple[str, int]]]] = []
    named = _Named()
    # Signatures are checked on this thread, one chain at a time; the log files an authenticated
    # digest names are hashed on worker threads (zlib and hashlib release the GIL) meanwhile.
    with ThreadPoolExecutor(max_workers=workers or threads_to_use()) as pool:
        hashes: dict[Path, Future[tuple[str, int]]] = {}
        for chain_key, members in sorted(chains.items()):
            report = ChainReport(*chain_key)
            reports[chain_key] = report
            vouched = _check_chain(members, report, keys, window, required, base, named)
            for digest, key, expected in vouched:
                path = _log_path(base, digest, key)
                if isinstance(path, str):
                    report.logs_refused.append((key, path))
                    continue
                named.vouched[_relative(base, path)] = key
                named.hashes.setdefault(_relative(base, path), (digest.key, expected, path))
                if listed is not None and _relative(base, path) not in listed:
                    report.logs_missing.append(key)  # not in the source now, whatever a local copy holds
                    continue
                if path not in hashes:
                    hashes[path] = pool.submit(_sha256_of_log, path)
                work.append((report, key, expected, hashes[path]))
        _classify(work, progress)
        verdicts = _check_files(files or {}, everything, named, base, keys, signatures or {}, pool, hashes)
    for copy, original in copies:
        owner = reports.get((copy.account, copy.region, copy.trail))
        if owner is None:
            owner = reports[(copy.account, copy.region, copy.trail)] = ChainReport(
                copy.account, copy.region, copy.trail
            )
        owner.digests_invalid.append(
            (
                _relative(base, copy.path),
                f"another copy of {_relative(base, original.path)} under another prefix: only that one is checked",
            )
        )
    _unreferenced(base, window, wanted_accounts, wanted_regions, named, reports, listed)
    ordered = [reports[k] for k in sorted(reports)]
    return VerifyReport(ordered, list(keys.notes), verdicts)


def load_signatures(path: Path) -> dict[str, str]:
    """Digest signatures by key from `AWSLogs/`, as S3 object metadata holds them.

    Either `{key: signature}` or `{key: {"signature": ...}}` (what `aws s3api head-object` prints
    as `Metadata`, collected per key). The file need not be trusted: a signature is checked
    against the public key, so a wrong one makes its digest invalid, never valid.
    """
    hint = 'give {"AWSLogs/.../<digest>.json.gz": "<hex signature>", ...}'
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--signatures {path}: {error.strerror}", hint) from None
    except (ValueError, RecursionError):
        raise UsageError(f"--signatures {path}: not JSON", hint) from None
    if not isinstance(data, dict):
        raise UsageError(f"--signatures {path}: not a JSON object", hint)
    signatures: dict[str, str] = {}
    for key, value in data.items():
        signature = value.get("signature") if isinstance(value, dict) else value
        if not isinstance(signature, str):
            raise UsageError(f"--signatures {path}: the entry for {key!r} holds no signature string", hint)
        signatures[_from_awslogs(key)] = signature
    return signatures


@dataclass
class _Named:
    """Log files (paths from the archive's root) the digests name, beside each digest."""

    vouched: dict[str, str] = field(default_factory=dict)  # by authenticated digests: path → key
    not_checked: dict[str, str] = field(default_factory=dict)  # by invalid digests: path → digest key
    unproven: dict[str, str] = field(default_factory=dict)  # by unauthenticated digests: path → digest key
    #: by authenticated digests: path → (the digest's key, the hash it gives, the file in the archive)
    hashes: dict[str, tuple[str, str, Path]] = field(default_factory=dict)


def _relative(base: Path, path: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _check_chain(
    members: list[DigestFile],
    report: ChainReport,
    keys: PublicKeys,
    window: Window,
    required: datetime,
    base: Path,
    named: _Named,
) -> list[tuple[DigestFile, str, str]]:
    """Check the digests of one chain.

    Returns the log files to hash, (digest, key, hash) of authenticated digests only; the files
    invalid or unauthenticated digests name are added to `named` (the former are reported as not
    checked, the latter vouch for nothing).
    """
    members.sort(key=lambda d: d.end)
    by_key = {d.key: d for d in members}
    successors: dict[str, DigestFile] = {}
    for digest in members:
        if digest.data and digest.data.get("previousDigestS3Object"):
            successors[_from_awslogs(digest.data["previousDigestS3Object"])] = digest
    for digest in members:
        if digest.data is None:
            continue
        _authenticate(digest, successors.get(digest.key), keys)
    logs: list[tuple[DigestFile, str, str]] = []
    previous: DigestFile | None = None
    start = window.start
    for digest in members:
        data = digest.data or {}
        entries = [(_from_awslogs(e["s3Object"]), e["hashValue"].lower()) for e in data.get("logFiles", [])]
        if digest.status == "valid":
            report.digests_valid += 1
            logs += [(digest, key, expected) for key, expected in entries]
            unvouched = None
        elif digest.status == "unauthenticated":
            report.digests_unauthenticated.append(digest.key)
            report.logs_unvouched += len(entries)
            unvouched = named.unproven
        else:
            report.digests_invalid.append((digest.key, digest.reason))
            report.logs_not_checked += [key for key, _hash in entries]
            unvouched = named.not_checked
        if unvouched is not None:
            for key, _hash in entries:
                path = _log_path(base, digest, key)
                if not isinstance(path, str):
                    unvouched.setdefault(_relative(base, path), digest.key)
        if not data:
            continue
        if data["previousDigestSignature"] is None:
            report.starts.append(data["digestStartTime"])
        link = _from_awslogs(data.get("previousDigestS3Object") or "")
        began = _parse_time(data["digestStartTime"])
        if link and link not in by_key and (start is None or (began and began >= start)):
            report.digests_missing.append((link, digest.key))
        if previous is not None and previous.data and link != previous.key:
            report.gaps.append((previous.data["digestEndTime"], data["digestStartTime"]))
        previous = digest
    _check_coverage(members, report, window, required)
    return logs


def _check_files(
    files: dict[str, Path],
    found: list[DigestFile],
    named: _Named,
    base: Path,
    keys: PublicKeys,
    signatures: dict[str, str],
    pool: ThreadPoolExecutor,
    hashes: dict[Path, Future[tuple[str, int]]],
) -> dict[str, FileVerdict]:
    """The verdict on each of `files` (path from the root → the local file of its bytes)."""
    outside = [
        p for p in files if p not in named.hashes and p not in named.unproven and p not in named.not_checked
    ]
    if outside:
        _name_outside(outside, found, named, base, keys, signatures)
    verdicts: dict[str, FileVerdict] = {}
    pending: list[tuple[str, str, str, Future[tuple[str, int]]]] = []
    vouched_keys = {_from_awslogs(p): p for p in named.hashes}
    for path, local in files.items():
        if path in named.hashes:
            digest, expected, _where = named.hashes[path]
            future = hashes.get(Path(local)) or pool.submit(_sha256_of_log, Path(local))
            pending.append((path, digest, expected, future))
        elif path in named.unproven:
            verdicts[path] = FileVerdict(UNAUTHENTICATED, named.unproven[path])
        elif path in named.not_checked:
            verdicts[path] = FileVerdict(INVALID_DIGEST, named.not_checked[path])
        elif _from_awslogs(path) in vouched_keys:
            verdicts[path] = FileVerdict(COPY, named.hashes[vouched_keys[_from_awslogs(path)]][0])
        else:
            verdicts[path] = FileVerdict(UNREFERENCED)
    for path, digest, expected, future in pending:
        outcome, _size = future.result()
        if outcome == expected:
            verdicts[path] = FileVerdict(VOUCHED, digest)
        elif outcome == "missing" or outcome.startswith(("unreadable:", "refused:")):
            verdicts[path] = FileVerdict(UNREADABLE, digest, outcome)
        else:
            verdicts[path] = FileVerdict(HASH_MISMATCH, digest)
    return dict(sorted(verdicts.items()))


def _name_outside(
    paths: list[str],
    found: list[DigestFile],
    named: _Named,
    base: Path,
    keys: PublicKeys,
    signatures: dict[str, str],
) -> None:
    """Add to `named` what the digests near each of `paths` (log files the window's digests do not
    name) say: those of its account and region delivered from the start of its day folder's day to
    two hours after that day (the digest of its hour, and the next, which records its signature)."""
    spans: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for path in paths:
        where = layout.locate(path)
        if where is None or where.kind != layout.LOGS:
            continue
        day = datetime(where.day.year, where.day.month, where.day.day, tzinfo=UTC)
        spans[(where.account, where.region)].append((day, day + timedelta(days=1, hours=2, minutes=5)))
    near = [d for d in found if any(a <= d.end <= b for a, b in spans.get((d.account, d.region), []))]
    kept: dict[str, DigestFile] = {}  # one copy of a digest key: the nearest the root, as for the window
    for digest in sorted(near, key=lambda d: (len(d.path.parts), d.path.as_posix())):
        kept.setdefault(digest.key, digest)
    chains: dict[tuple[str, str, str], list[DigestFile]] = defaultdict(list)
    for digest in kept.values():
        if digest.status == "unchecked" and digest.data is None:
            digest.signature = signatures.get(digest.key)
            _load(digest, base)
        chains[(digest.account, digest.region, digest.trail)].append(digest)
    for members in chains.values():
        successors = {
            _from_awslogs(d.data["previousDigestS3Object"]): d
            for d in members
            if d.data and d.data.get("previousDigestS3Object")
        }
        for digest in sorted(members, key=lambda d: d.end):
            if digest.data is None:
                continue
            if digest.status == "unchecked":
                _authenticate(digest, successors.get(digest.key), keys)
            for entry in digest.data.get("logFiles", []):
                log = _log_path(base, digest, _from_awslogs(entry["s3Object"]))
                if isinstance(log, str):
                    continue
                name = _relative(base, log)
                if digest.status == "valid":
                    named.hashes.setdefault(name, (digest.key, entry["hashValue"].lower(), log))
                elif digest.status == "unauthenticated":
                    named.unproven.setdefault(name, digest.key)
                else:
                    named.not_checked.setdefault(name, digest.key)


def _check_coverage(
    members: list[DigestFile], report: ChainReport, window: Window, required: datetime
) -> None:
    """A chain must be authenticated up to `required`; an unauthenticated digest of the window proves nothing."""
    ends = [_parse_time(d.data["digestEndTime"]) for d in members if d.status == "valid" and d.data]
    covered = max((e for e in ends if e is not None), default=None)
    report.authenticated_until = stamp(covered)
    report.required_until = stamp(required)
    unauthenticated = [d for d in members if d.status == "unauthenticated" and d.data]
    short = (covered is None or covered < required) and (window.start is None or required > window.start)
    newer = [d for d in unauthenticated if covered is None or d.end > covered]
    if short:
        if newer:
            report.ends_early = (
                f"the newest {len(newer)} digest(s) cannot be authenticated from this copy: their signature "
                "is in the S3 object metadata of each (verify from s3://, or give --signatures)"
            )
        else:
            report.ends_early = (
                "no authenticated digest after it (deleted, not copied, or logging stopped; "
                "a window ending there verifies up to there)"
            )
    first, last = window.delivery_span()
    for digest in unauthenticated:
        if short and digest in newer:
            continue  # said once, by the chain's end
        # Where it lies is read from its name (its place in the archive), never from its own
        # unsigned times: it lists the files delivered in the hour its name ends.
        began = digest.end - timedelta(hours=1)
        if (last is None or began < last) and (first is None or digest.end > first):
            late = window.end is not None and began >= window.end
            report.digests_unproven.append(
                (
                    digest.key,
                    f"its name puts it at {stamp(began)} to {stamp(digest.end)}, "
                    + ("after the window's end but within its late delivery" if late else "in the window")
                    + ", but it cannot be authenticated (its signature is in its S3 object metadata: verify "
                    "from s3://, or give --signatures"
                    + (
                        "; or end the window earlier, or give --late-delivery 0m to read no file delivered after it)"
                        if late
                        else ")"
                    ),
                )
            )


def _load(digest: DigestFile, base: Path) -> None:
    try:
        resolved = digest.path.resolve()
        if not resolved.is_relative_to(base):
            digest.status, digest.reason = "invalid", "not read: a symbolic link to outside the archive"
            return
        if not stat.S_ISREG(resolved.stat().st_mode):
            digest.status, digest.reason = "invalid", "not read: not a regular file"
            return
        with gzip.open(resolved, "rb") as handle:
            digest.raw = handle.read(_MAX_DIGEST_BYTES + 1)
        if len(digest.raw) > _MAX_DIGEST_BYTES:
            digest.status = "invalid"
            digest.reason = (
                f"unreadable: larger than {_MAX_DIGEST_BYTES >> 20} MiB uncompressed (no digest is)"
            )
            return
        data = json.loads(digest.raw)
    except (OSError, EOFError, zlib.error, RuntimeError) as error:  # RuntimeError: a symbolic link loop
        digest.status, digest.reason = "invalid", f"unreadable: {error}"
        return
    except (ValueError, RecursionError):
        digest.status, digest.reason = "invalid", "bad format: not JSON"
        return
    wrong = _format_problem(data)
    if wrong:
        digest.status, digest.reason = "invalid", f"bad format: {wrong}"
        return
    digest.data = data


def _format_problem(data: Any) -> str:
    """What makes `data` something other than a CloudTrail digest ("" if nothing)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        return f"no {', '.join(missing)}"
    for name in _STRINGS:
        if not isinstance(data[name], str):
            return f"{name} is not a string"
    for name in _OPTIONAL_STRINGS:
        if data.get(name) is not None and not isinstance(data[name], str):
            return f"{name} is not a string"
    for name in ("digestStartTime", "digestEndTime"):
        if _parse_time(data[name]) is None:
            return f"{name} is not a time like 2025-03-29T01:30:00Z"
    entries = data["logFiles"]
    if not isinstance(entries, list):
        return "logFiles is not a list"
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return f"logFiles[{number}] is not an object"
        for name in ("s3Object", "hashValue"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                return f"logFiles[{number}] has no {name} string"
        if not _SHA256_HEX.fullmatch(entry["hashValue"]):
            return f"logFiles[{number}].hashValue is not a hex SHA-256"
        if entry.get("hashAlgorithm", "SHA-256") != "SHA-256":
            return f"logFiles[{number}].hashAlgorithm is not SHA-256"
    return ""


def _authenticate(digest: DigestFile, successor: DigestFile | None, keys: PublicKeys) -> None:
    data = digest.data
    assert data is not None and digest.raw is not None
    claimed = _from_awslogs(data["digestS3Object"])
    if claimed != digest.key:
        digest.status, digest.reason = "invalid", f"moved: it says it belongs at {data['digestS3Object']}"
        return
    algorithm = data.get("digestSignatureAlgorithm") or "SHA256withRSA"
    if algorithm != "SHA256withRSA":  # refused whether or not a signature is at hand
        digest.status, digest.reason = "invalid", f"unsupported signature algorithm {algorithm!r}"
        return
    digest_hash = hashlib.sha256(digest.raw).hexdigest()
    signature = digest.signature
    recorded = ""
    if successor is not None and successor.data is not None:
        recorded = (successor.data.get("previousDigestHashValue") or "").lower()
        signature = signature or successor.data.get("previousDigestSignature")
    if not signature:
        digest.status = "unauthenticated"
        digest.reason = "its signature lives only in S3 object metadata (the newest digest of a copy)"
        return
    fingerprint = data["digestPublicKeyFingerprint"]
    key = keys.get(fingerprint, digest.region, _parse_time(data["digestStartTime"]))
    if key is None:
        digest.status = "invalid"
        digest.reason = f"{NO_PUBLIC_KEY} for fingerprint {fingerprint} (give --public-keys)"
        return
    valid, validity = keys.valid_at(fingerprint, _parse_time(data["digestEndTime"]))
    if not valid:
        digest.status = "invalid"
        digest.reason = f"signed at {data['digestEndTime']}, outside the validity of its public key {fingerprint} ({validity})"
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
    work: list[tuple[ChainReport, str, str, Future[tuple[str, int]]]], progress: Progress | None
) -> None:
    done = hashed = 0
    for report, key, expected, future in work:
        outcome, size = future.result()
        hashed += size
        if outcome == "missing":
            report.logs_missing.append(key)
        elif outcome.startswith("unreadable:"):
            report.logs_unreadable.append((key, outcome.removeprefix("unreadable: ")))
        elif outcome.startswith("refused:"):
            report.logs_refused.append((key, outcome.removeprefix("refused: ")))
        elif outcome != expected:
            report.logs_mismatch.append(key)
        else:
            report.logs_valid += 1
        done += 1
        if progress is not None:
            progress(done, len(work), hashed)


def _log_path(base: Path, digest: DigestFile, key: str) -> Path | str:
    """Where the log file `key` (from `AWSLogs/`) lies in the archive, or why it is not opened.

    Beside its digest's own `AWSLogs/` (the copy may sit under a prefix), and only a plain key
    inside the archive: no absolute path, no empty, `.` or `..` component, no link out of it.
    """
    if not key.startswith(f"{layout.ROOT}/"):
        return "its digest names a path outside the archive (not a key under AWSLogs/)"
    parts = key.split("/")
    if any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts):
        return "its digest names a path outside the archive (an empty, . or .. component)"
    home = digest.path.as_posix()
    path = Path(home[: len(home) - len(digest.key)]) / key
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as error:
        return f"its path cannot be resolved: {error}"
    if not resolved.is_relative_to(base):
        return "it is a symbolic link to outside the archive"
    return path


def _sha256_of_log(path: Path) -> tuple[str, int]:
    """SHA-256 of the uncompressed bytes (streamed: memory stays flat whatever the file size), and their count."""
    digest = hashlib.sha256()
    size = 0
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return "refused: not a regular file", 0
        if info.st_size < _WHOLE_FILE_BYTES:  # small (most): one read, one decompress
            with open(path, "rb") as handle:
                body = gzip.decompress(handle.read(_WHOLE_FILE_BYTES))
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
    named: _Named,
    reports: dict[tuple[str, str, str], ChainReport],
    listed: set[str] | None,
) -> None:
    """Every log file a query over the window reads (under any prefix, delivered within the
    window's delivery span) that is not the very file an authenticated digest vouches for."""
    try:
        scanned = archive.scan(base)
    except Exception:  # no log files at all: nothing can be unreferenced
        return
    logs = scanned.select(window.delivery_span(), accounts, regions)
    # a byte-identical second copy of a log file, or one whose path is not UTF-8, is not read by
    # queries, but it is in the source: checked as any other file is (a copy vouches for nothing)
    for path, reason in scanned.passed_over_in(window.delivery_span(), accounts, regions):
        in_source = reason in (archive.SECOND_COPY, archive.NOT_UTF8)
        copy = archive.parse_log_path(path) if in_source else None
        if copy is not None:
            logs.append(copy)
    vouched_keys = {key: path for path, key in named.vouched.items()}
    for log in logs:
        path = _relative(base, Path(log.path))
        if listed is not None and path not in listed:
            continue  # not in the source now
        if path in named.vouched or path in named.not_checked:
            continue  # checked, or reported as not checked
        owner = next(
            (r for (a, g, _t), r in sorted(reports.items()) if a == log.account and g == log.region), None
        )
        if owner is None:
            owner = ChainReport(log.account, log.region)
            reports[(log.account, log.region, "")] = owner
        key = _from_awslogs(path)
        if key in vouched_keys:
            owner.logs_duplicate.append((path, vouched_keys[key]))
        elif path in named.unproven:
            owner.logs_unproven.append(path)
        else:
            owner.logs_unreferenced.append(path)


def _from_awslogs(key: str) -> str:
    """A key or path from the `AWSLogs/` of its layout on (the folders above it do not matter,
    even one named AWSLogs)."""
    return layout.from_root(key)


def _parse_time(text: Any) -> datetime | None:
    """`2025-03-29T01:30:00Z` as an aware datetime (None if it is not one)."""
    value = str(text)
    if len(value) != 20 or value[10] != "T" or not value.endswith("Z"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
