"""CloudTrail's digest-signing public keys: from `aws cloudtrail list-public-keys` JSON, from the
ListPublicKeys API, and a cache so that a later offline run needs neither.

Keys are chosen by the fingerprint a digest names, and a key is only ever known under the
fingerprint computed from it (MD5 of its PKCS#1 DER, as CloudTrail computes
`digestPublicKeyFingerprint` and ListPublicKeys' `Fingerprint`): an entry claiming another one is
refused (from `--public-keys`: an error naming it), never cached and never used. The cache is
`$XDG_CACHE_HOME/trailcsi/public-keys.json` (fingerprint → base64 DER and validity), written
atomically, and holds only keys fetched from AWS's ListPublicKeys: keys given with
`--public-keys` are trusted for that run only (anyone can write such a file, and a key trusted
once must not sign a later archive), and a cached entry not marked as fetched from AWS (kept by an
older trailcsi) is ignored. A key signs only within its validity period (`valid_at`). Values may
be PKCS#1 or SubjectPublicKeyInfo DER.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.core.window import stamp
from toolkit.errors import UsageError, first_line
from toolkit.integrity import rsa

#: Fetches ListPublicKeys entries: (region, keys valid since) -> entries (Value as bytes or base64).
Fetcher = Callable[[str, datetime | None], list[dict[str, Any]]]
#: The mark of a cache entry fetched from AWS's ListPublicKeys (only those are cached).
FROM_AWS = "ListPublicKeys"


def cache_path() -> Path:
    return paths.cache_dir() / "public-keys.json"


def parse_listing(text: str, source: str) -> dict[str, dict[str, Any]]:
    """Entries by fingerprint from the JSON `aws cloudtrail list-public-keys` prints."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UsageError(
            f"{source}: not JSON ({error})", "give the output of aws cloudtrail list-public-keys"
        ) from None
    entries = data.get("PublicKeyList") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"{source}: no PublicKeyList", "give the output of aws cloudtrail list-public-keys")
    keys = {}
    for number, entry in enumerate(entries, 1):
        try:
            fingerprint, normalized = _checked(entry)
        except (KeyError, TypeError, ValueError, rsa.KeyFormatError) as error:
            raise UsageError(
                f"{source}: key {number} is unusable: {error}",
                "give the unmodified output of aws cloudtrail list-public-keys",
            ) from None
        keys[fingerprint] = normalized
    return keys


class FingerprintMismatch(ValueError):
    """A key claimed under a fingerprint other than its own."""


def _checked(entry: Any) -> tuple[str, dict[str, Any]]:
    """(fingerprint, cache entry) of a ListPublicKeys entry whose fingerprint is its key's own."""
    if not isinstance(entry, dict):
        raise TypeError("not a JSON object")
    given = entry["Fingerprint"]
    if not isinstance(given, str):
        raise TypeError("Fingerprint is not a string")
    normalized = _normalized(entry)
    computed = rsa.load_public_key(base64.b64decode(normalized["Value"])).fingerprint()
    if given.strip().lower() != computed:
        raise FingerprintMismatch(
            f"its fingerprint {given} is not the one computed from its key ({computed}); it is refused"
        )
    return computed, normalized


def _normalized(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry["Value"]
    if not isinstance(value, (str, bytes, bytearray)):
        raise TypeError("Value is not base64 text")
    der = value if isinstance(value, (bytes, bytearray)) else base64.b64decode(value, validate=True)
    rsa.load_public_key(bytes(der))  # refuse what is not an RSA public key now, not mid-verification
    return {
        "Value": base64.b64encode(der).decode("ascii"),
        "ValidityStartTime": _when(entry.get("ValidityStartTime"), "ValidityStartTime"),
        "ValidityEndTime": _when(entry.get("ValidityEndTime"), "ValidityEndTime"),
    }


def _when(value: Any, name: str) -> str | None:
    """A validity time as `2025-03-29T01:30:00Z` (None when not given); ValueError if not a time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name} {value!r} is not a time") from None
    else:
        raise ValueError(f"{name} is not a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return stamp(moment.astimezone(UTC).replace(microsecond=0))


def _parsed(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PublicKeys:
    """Keys by fingerprint; a missing one is fetched from AWS once per region, if a fetcher is given.

    `keys` are trusted for this object's life; only keys fetched from AWS are written to the cache.
    """

    def __init__(self, keys: dict[str, dict[str, Any]] | None = None, fetch: Fetcher | None = None) -> None:
        self._fetch = fetch
        self._asked: set[str] = set()
        self.notes: list[str] = []
        self._entries: dict[str, dict[str, Any]] = {}
        self._cached: dict[str, dict[str, Any]] = {}  # fetched from AWS: what `save` writes
        dropped = []
        for fingerprint, entry in (keys or {}).items():
            if _own_fingerprint(entry) == str(fingerprint).lower():
                self._entries[str(fingerprint).lower()] = entry
            else:
                dropped.append(str(fingerprint))
        if dropped:
            self.notes.append(
                f"ignored {len(dropped)} public key(s) whose key does not have the fingerprint they are "
                f"kept under ({', '.join(sorted(dropped))}): tampered, or cached by an older trailcsi"
            )

    @classmethod
    def load(cls, listing: Path | None = None, fetch: Fetcher | None = None) -> PublicKeys:
        """The cache (keys fetched from AWS), plus `listing` (`--public-keys`: for this run only, never cached)."""
        cached: dict[str, dict[str, Any]] = {}
        path = cache_path()
        if path.is_file():
            try:
                cached = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                cached = {}  # a damaged cache is rebuilt
            if not isinstance(cached, dict):
                cached = {}
        given: dict[str, dict[str, Any]] = {}
        if listing is not None:  # read and checked before anything is cached
            try:
                text = listing.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                why = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
                raise UsageError(f"--public-keys {listing}: {why}") from None
            given = parse_listing(text, f"--public-keys {listing}")
        fetched = {
            fp: entry
            for fp, entry in cached.items()
            if isinstance(entry, dict) and entry.get("From") == FROM_AWS
        }
        unmarked = sorted(str(fp) for fp in cached if fp not in fetched)
        keys = cls(fetched, fetch)
        keys._cached = dict(keys._entries)
        if unmarked:
            keys.notes.append(
                f"ignored {len(unmarked)} cached public key(s) not fetched from AWS's ListPublicKeys "
                f"({', '.join(unmarked)}): kept from --public-keys by an older trailcsi; give --public-keys "
                "again, or let trailcsi ask AWS"
            )
        if keys.notes:
            keys.save()  # the cache no longer holds what was ignored
        keys._entries.update(given)  # for this run only: never cached
        return keys

    def valid_at(self, fingerprint: str, moment: datetime | None) -> tuple[bool, str]:
        """Whether the key with this fingerprint may have signed at `moment`, and its validity as text."""
        entry = self._entries.get(fingerprint.lower()) or {}
        start, end = _parsed(entry.get("ValidityStartTime")), _parsed(entry.get("ValidityEndTime"))
        said = f"{stamp(start) or 'any time'} to {stamp(end) or 'any time'}"
        if moment is None:
            return start is None and end is None, said
        return (start is None or moment >= start) and (end is None or moment <= end), said

    def get(self, fingerprint: str, region: str, since: datetime | None = None) -> rsa.PublicKey | None:
        """The key with this fingerprint; AWS is asked (keys valid since `since`) if it is unknown."""
        entry = self._entries.get(fingerprint.lower())
        if entry is None and self._fetch is not None and region not in self._asked:
            self._asked.add(region)
            try:
                answer = self._fetch(region, since)
            except Exception as error:  # offline, no credentials, no permission: say so once
                self.notes.append(
                    f"could not ask AWS for {region}'s public keys: {first_line(str(error), type(error).__name__)}"
                )
            else:
                fetched = {}
                for number, item in enumerate(answer, 1):
                    try:
                        found, normalized = _checked(item)
                    except (KeyError, TypeError, ValueError, rsa.KeyFormatError) as error:
                        self.notes.append(f"ignored public key {number} AWS gave for {region}: {error}")
                        continue
                    fetched[found] = {**normalized, "From": FROM_AWS}
                if fetched:
                    self._entries.update(fetched)
                    self._cached.update(fetched)
                    self.save()
            entry = self._entries.get(fingerprint.lower())
        if entry is None:
            return None
        try:
            return rsa.load_public_key(base64.b64decode(entry["Value"]))
        except (binascii.Error, rsa.KeyFormatError):
            return None

    def save(self) -> None:
        path = cache_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            scratch.write_text(json.dumps(self._cached, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(scratch, path)
        except OSError:
            pass  # the cache is a convenience; verification does not depend on writing it


def _own_fingerprint(entry: Any) -> str | None:
    """The fingerprint computed from a cache entry's key (None if it holds no usable key)."""
    try:
        return rsa.load_public_key(base64.b64decode(entry["Value"], validate=True)).fingerprint()
    except (KeyError, TypeError, ValueError, rsa.KeyFormatError):
        return None


def aws_fetcher(session: Any) -> Fetcher:
    """ListPublicKeys in a region, through a boto3 session."""

    def fetch(region: str, since: datetime | None) -> list[dict[str, Any]]:
        from toolkit.aws_config import client_config, watched

        client = watched(session.client("cloudtrail", region_name=region, config=client_config()))
        entries: list[dict[str, Any]] = []
        token = None
        while True:
            request: dict[str, Any] = {"StartTime": since} if since else {}
            if token:
                request["NextToken"] = token
            page = client.list_public_keys(**request)
            entries += page.get("PublicKeyList", [])
            token = page.get("NextToken")
            if not token:
                return entries

    return fetch
