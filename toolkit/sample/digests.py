"""Signed digest files for the sample archive, as CloudTrail writes them with log file validation on.

Validation is on for the archive's last `VALIDATED_HOURS`: every account and region of the trail
gets an hourly digest listing the log files delivered in its hour (with SHA-256 of their
uncompressed bytes), linked to the previous digest and signed with the sample's RSA key (derived
from the seed). The first digest of each chain is a starting digest; a region with no activity
gets empty-hour digests, as a multi-region trail does. Older log files are not covered by any
digest (validation was off then).

Alongside the archive: `public-keys.json` (the public key in the form `aws cloudtrail
list-public-keys` prints) and `digest-metadata.json` (the `signature` and `signature-algorithm`
object metadata S3 would hold for each digest; a local copy has lost it, so verify never reads it).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit.core.window import stamp
from toolkit.integrity import rsa
from toolkit.sample import actors
from toolkit.sources import layout
from toolkit.sources.archive import parse_log_path

BUCKET = "trailcsi-sample-trail"
TRAIL = "org-trail"
HOME_REGION = "us-east-1"
VALIDATED_HOURS = 72
#: Digest periods end at half past the hour (CloudTrail's fall at an arbitrary minute too).
PERIOD_OFFSET = timedelta(minutes=30)
#: A region with no activity: the multi-region trail still delivers its (empty) digests.
QUIET = (actors.SECURITY, "eu-west-1")
PUBLIC_KEYS = "public-keys.json"
METADATA = "digest-metadata.json"


def validation_end(end_day: date) -> datetime:
    """When the last digest of an archive ending on `end_day` ends."""
    return datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC) + timedelta(days=1) + PERIOD_OFFSET


def validation_start(end_day: date) -> datetime:
    """When log file validation was turned on: the start of each chain's first digest."""
    return validation_end(end_day) - timedelta(hours=VALIDATED_HOURS)


#: The primes of the default seed's key, as `rsa.generate` finds them from the seed (a test checks
#: it): the pure-Python search takes about a second, paid by every `sample` and first `demo`.
_DEFAULT_SEED_PRIMES = {
    7: (
        int(
            "e45704cae86e0b187c0aaf7f30a2f7debfc4aa09119933e5ecae4cb686737493"
            "c70fb1f55b408ec59ed0a33fe4ff634ffde52d9ee7f432f588c72ffbe1f40460"
            "f9d1b1ca57e4a0e747902d709dd299d986524844903a3153f01be3157667af37"
            "d568c7761d352659046c51fe6237b670240e999dc1c82b88a48b9a6db1fb6d49",
            16,
        ),
        int(
            "d50efa2cdda91b31ea9deaf9d84543138b3203b9c6db1203774d77616200cb83"
            "b2985aac05938a34a9c29165793be364aeab3655afb5df1051b4d020b47f86bc"
            "5297081ada2a55006789921f03689c666765e4df6d6cb4576a50113abd068521"
            "816301149fe7627315113af496a92a83be6c636bc9d4667fae01b8a5dd91387d",
            16,
        ),
    )
}


@functools.cache
def sample_key(seed: int) -> rsa.PrivateKey:
    """The seed's signing key: the default seed's from its primes, another's generated (once a
    process: a second of pure-Python prime search)."""
    if seed in _DEFAULT_SEED_PRIMES:
        return rsa.from_primes(*_DEFAULT_SEED_PRIMES[seed])
    return generated_key(seed)


def generated_key(seed: int) -> rsa.PrivateKey:
    """The seed's key as `rsa.generate` makes it from the seed."""
    return rsa.generate(random.Random(f"trailcsi-sample-digest-key:{seed}"))


def digest_key(account: str, region: str, end: datetime) -> str:
    name = layout.digest_name(account, region, TRAIL, HOME_REGION, end)
    return layout.day_folder("", actors.ORG_ID, account, region, end.date(), layout.DIGESTS) + name


def _log_entry(root: Path, key: str) -> tuple[dict[str, Any], str | None, str | None]:
    raw = gzip.decompress((root / key).read_bytes())
    times = sorted(r["eventTime"] for r in json.loads(raw)["Records"])
    newest, oldest = (times[-1], times[0]) if times else (None, None)
    entry = {
        "s3Bucket": BUCKET,
        "s3Object": key,
        "hashValue": hashlib.sha256(raw).hexdigest(),
        "hashAlgorithm": "SHA-256",
        "newestEventTime": newest,
        "oldestEventTime": oldest,
    }
    return entry, newest, oldest


def write_digests(root: Path, end_day: date, seed: int) -> int:
    """Write the digest chains for the archive under `root`; returns how many digests."""
    key = sample_key(seed)
    public = key.public()
    last_end = (
        datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC) + timedelta(days=1) + PERIOD_OFFSET
    )
    first_start = last_end - timedelta(hours=VALIDATED_HOURS)
    delivered: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for path in root.rglob("*.json.gz"):
        key_text = path.relative_to(root).as_posix()
        log = parse_log_path(key_text)
        if log is not None and log.delivered and first_start <= log.delivered < last_end:
            delivered[(log.account, log.region)].append((log.delivered, key_text))
    chains = sorted({(a, r) for a, regions in actors.REGIONS.items() for r in regions} | {QUIET})
    metadata: dict[str, dict[str, str]] = {}
    count = 0
    for account, region in chains:
        files = sorted(delivered.get((account, region), []))
        previous: tuple[str, str, str] | None = None  # key, sha256 of its bytes, signature
        for hour in range(VALIDATED_HOURS):
            start = first_start + timedelta(hours=hour)
            end = start + timedelta(hours=1)
            entries, newest, oldest = [], [], []
            for moment, log_key in files:
                if start <= moment < end:
                    entry, new, old = _log_entry(root, log_key)
                    entries.append(entry)
                    newest += [new] if new else []
                    oldest += [old] if old else []
            this_key = digest_key(account, region, end)
            body = {
                "awsAccountId": account,
                "digestStartTime": stamp(start),
                "digestEndTime": stamp(end),
                "digestS3Bucket": BUCKET,
                "digestS3Object": this_key,
                "digestPublicKeyFingerprint": public.fingerprint(),
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": max(newest) if newest else None,
                "oldestEventTime": min(oldest) if oldest else None,
                "previousDigestS3Bucket": BUCKET if previous else None,
                "previousDigestS3Object": previous[0] if previous else None,
                "previousDigestHashValue": previous[1] if previous else None,
                "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                "previousDigestSignature": previous[2] if previous else None,
                "logFiles": entries,
            }
            raw = json.dumps(body, separators=(",", ":")).encode()
            digest_hash = hashlib.sha256(raw).hexdigest()
            to_sign = (
                f"{stamp(end)}\n{BUCKET}/{this_key}\n{digest_hash}\n{previous[2] if previous else 'null'}"
            )
            signature = key.sign(to_sign.encode()).hex()
            path = root / this_key
            path.parent.mkdir(parents=True, exist_ok=True)
            with (
                open(path, "wb") as handle,
                gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz,
            ):
                gz.write(raw)
            metadata[this_key] = {"signature": signature, "signature-algorithm": "SHA256withRSA"}
            previous = (this_key, digest_hash, signature)
            count += 1
    (root / METADATA).write_text(json.dumps(metadata, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    keys = {
        "PublicKeyList": [
            {
                "Value": public.base64(),
                "ValidityStartTime": stamp(first_start - timedelta(days=30)),
                "ValidityEndTime": stamp(last_end + timedelta(days=30)),
                "Fingerprint": public.fingerprint(),
            }
        ]
    }
    (root / PUBLIC_KEYS).write_text(json.dumps(keys, indent=2) + "\n", encoding="utf-8")
    return count
