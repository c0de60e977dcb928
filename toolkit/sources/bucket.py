"""Discover a trail bucket's CloudTrail layout from S3 delimiter listings, never listing log files.

`discover(client, bucket, prefix)` walks `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/
YYYY/MM/DD/` one level at a time: accounts, regions, and the first and last day of each region
(three listings down each side), whatever the archive's size. It only reads the bucket.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from toolkit.errors import SourceError, UsageError
from toolkit.sources import layout as trail

# Every pattern is used with `fullmatch` and ASCII classes: `$` would let a trailing line break
# through, and `\d` matches digits of every script. They are the layout's (toolkit/sources/layout.py).
ORG_ID = trail.ORG_ID_NAME
ORG_ID_RULE = trail.ORG_ID_RULE
ACCOUNT = trail.ACCOUNT_NAME
ACCOUNT_RULE = trail.ACCOUNT_RULE
REGION = trail.REGION_NAME
REGION_RULE = trail.REGION_RULE
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
BUCKET_RULE = (
    "an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a "
    "letter or digit, no '..', not an IP address, no reserved prefix or suffix; the name only, no s3://"
)
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: What a folder of a prefix may hold when it goes into a table's LOCATION: S3's "safe
#: characters" less `*` (a glob to Hadoop) and `'` (it ends an SQL string).
_FOLDER = re.compile(r"[A-Za-z0-9!_.()-]+")
PREFIX_RULE = (
    "a key prefix of folders made of letters, digits and ! _ . ( ) -, "
    "with no '.' or '..' folder (no quotes, '$', '{', spaces or line breaks)"
)
_MAX_PREFIX = 512


def shown(value: object, limit: int = 80) -> str:
    """`value` for a one-line message: repr (line breaks escaped), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_bucket_name(name: object) -> bool:
    """S3's rules for general purpose bucket names (the legacy us-east-1 names are not accepted)."""
    if not isinstance(name, str) or not _BUCKET.fullmatch(name) or ".." in name:
        return False
    if name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def check_bucket(name: object, origin: str = "--bucket") -> str:
    if not is_bucket_name(name):
        raise UsageError(f"{origin} {shown(name)} is refused: it must be {BUCKET_RULE}", f"fix {origin}")
    assert isinstance(name, str)
    return name


@dataclass
class Layout:
    bucket: str
    prefix: str  # "" or ending in "/"
    org_id: str | None = None
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None
    digest: bool = False  # CloudTrail-Digest/ folders exist
    insight: bool = False  # CloudTrail-Insight/ folders exist

    def logs_root(self) -> str:
        """`s3://bucket/[prefix]AWSLogs/[o-id/]`: where the account folders are."""
        return f"s3://{self.bucket}/{trail.logs_root(self.prefix, self.org_id)}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_day"] = self.first_day.isoformat() if self.first_day else None
        data["last_day"] = self.last_day.isoformat() if self.last_day else None
        return data


def normalize_prefix(prefix: str | None, origin: str = "--prefix", *, strict: bool = False) -> str:
    """`/a//b` → `a/b/`; "" stays "". Doubled or missing slashes make projection find nothing.

    Always refused: spaces around a folder name, control characters (line breaks), `.` and `..`
    folders. `strict` (a prefix going into a table's LOCATION and projection template) also
    refuses anything outside S3's safe characters: quotes, `$`, `{`, `}`, backslashes, spaces.
    """
    if prefix is not None and not isinstance(prefix, str):
        raise UsageError(f"{origin} {shown(prefix)} is refused: it must be a string", f"fix {origin}")
    parts = [p for p in (prefix or "").split("/") if p]
    if any(p.strip() != p for p in parts):
        raise UsageError(f"{origin} {shown(prefix)} has spaces around a folder name", "remove them")
    bad = len(prefix or "") > _MAX_PREFIX or any(p in (".", "..") for p in parts)
    bad |= any(not c.isprintable() for c in prefix or "")
    if strict:
        bad |= any(not _FOLDER.fullmatch(p) for p in parts)
    if bad:
        raise UsageError(f"{origin} {shown(prefix)} is refused: it must be {PREFIX_RULE}", f"fix {origin}")
    return "/".join(parts) + "/" if parts else ""


def _children(client: Any, bucket: str, prefix: str) -> list[str]:
    """The immediate "folder" names under `prefix` (which ends in "/")."""
    names: list[str] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            names.append(common["Prefix"][len(prefix) :].rstrip("/"))
    return sorted(names)


def discover(client: Any, bucket: str, prefix: str | None = None, origin: str = "--prefix") -> Layout:
    """The layout under `s3://bucket/prefix`; raises SourceError when no CloudTrail logs are there.

    Folder names are the bucket's, not the user's: only those that are an organization id, an
    account id or a region name (by the same rules as the flags) are taken; others are skipped.
    """
    layout = Layout(bucket, normalize_prefix(prefix, origin))
    root = trail.logs_root(layout.prefix)
    top = _children(client, bucket, root)
    orgs = [name for name in top if ORG_ID.fullmatch(name)]
    if len(orgs) > 1:
        raise SourceError(
            f"s3://{bucket}/{root} holds several organizations: {', '.join(orgs)}", "give --org-id"
        )
    if orgs:
        layout.org_id = orgs[0]
        root = trail.logs_root(layout.prefix, layout.org_id)
        top = _children(client, bucket, root)
    accounts = [name for name in top if ACCOUNT.fullmatch(name)]
    regions: set[str] = set()
    firsts: list[date] = []
    lasts: list[date] = []
    for account in accounts:
        kinds = _children(client, bucket, f"{root}{account}/")
        layout.digest |= trail.DIGESTS in kinds
        layout.insight |= trail.INSIGHTS in kinds
        if trail.LOGS not in kinds:
            continue
        layout.accounts.append(account)
        for region in _children(client, bucket, trail.kind_folder(layout.prefix, layout.org_id, account)):
            if not REGION.fullmatch(region):
                continue
            base = trail.region_folder(layout.prefix, layout.org_id, account, region)
            first, last = _day(client, bucket, base, min), _day(client, bucket, base, max)
            if first and last:
                regions.add(region)
                firsts.append(first)
                lasts.append(last)
    if not layout.accounts:
        raise SourceError(
            f"no CloudTrail logs under s3://{bucket}/{layout.prefix}",
            f"expected AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/...; check {origin}",
        )
    layout.regions = sorted(regions)
    layout.first_day = min(firsts) if firsts else None
    layout.last_day = max(lasts) if lasts else None
    return layout


def _day(client: Any, bucket: str, base: str, pick: Any) -> date | None:
    """The first (pick=min) or last (pick=max) YYYY/MM/DD folder under `base`."""
    path = base
    found: list[int] = []
    for width in (4, 2, 2):
        names = [
            n for n in _children(client, bucket, path) if len(n) == width and n.isascii() and n.isdigit()
        ]
        if not names:
            return None
        chosen = pick(names)
        found.append(int(chosen))
        path = f"{path}{chosen}/"
    try:
        return date(*found)
    except ValueError:
        return None
