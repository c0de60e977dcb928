"""CloudTrail's digest-signing public keys: from `aws cloudtrail list-public-keys` JSON, from the
ListPublicKeys API, and a cache so that a later offline run needs neither.

Keys are chosen by the fingerprint a digest names, and a key is only ever known under the
fingerprint computed from it (MD5 of its PKCS#1 DER, as CloudTrail computes
`digestPublicKeyFingerprint` and ListPublicKeys' `Fingerprint`): an entry claiming another one is
refused (from `--public-keys`: an error naming it), never cached and never used. The cache is
`$XDG_CACHE_HOME/trailcsi/public-keys.json` (fingerprint → base64 DER and validity), written
atomically. Values may be PKCS#1 or SubjectPublicKeyInfo DER.
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

from toolkit import paths, rsa
from toolkit.errors import UsageError, first_line
from toolkit.window import stamp

#: Fetches ListPublicKeys entries: (region, keys valid since) -> entries (Value as bytes or base64).
Fetcher = Callable[[str, datetime | None], list[dict[str, Any]]]


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
        "ValidityStartTime": _when(entry.get("ValidityStartTime")),
        "ValidityEndTime": _when(entry.get("ValidityEndTime")),
    }


def _when(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return stamp(value.astimezone(UTC))
    if isinstance(value, (int, float)):
        return stamp(datetime.fromtimestamp(value, UTC))
    return str(value)


class PublicKeys:
    """Keys by fingerprint; a missing one is fetched from AWS once per region, if a fetcher is given."""

    def __init__(self, keys: dict[str, dict[str, Any]] | None = None, fetch: Fetcher | None = None) -> None:
        self._fetch = fetch
        self._asked: set[str] = set()
        self.notes: list[str] = []
        self._entries: dict[str, dict[str, Any]] = {}
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
        """The cache, plus `listing` (which is added to the cache)."""
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
        keys = cls(cached, fetch)
        if keys.notes:
            keys.save()  # the cache no longer holds what was ignored
        if given:
            keys._entries.update(given)
            keys.save()
        return keys

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
                    fetched[found] = normalized
                if fetched:
                    self._entries.update(fetched)
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
            scratch.write_text(json.dumps(self._entries, indent=1, sort_keys=True), encoding="utf-8")
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
        client = session.client("cloudtrail", region_name=region)
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
