"""Discover a trail bucket's CloudTrail layout from S3 delimiter listings, never listing log files.

`discover(client, bucket, prefix)` walks `[prefix]AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/
YYYY/MM/DD/` one level at a time: accounts, regions, and the first and last day of each region
(three listings down each side), whatever the archive's size. It only reads the bucket.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from toolkit.errors import SourceError

ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCOUNT = re.compile(r"^\d{12}$")


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
        org = f"{self.org_id}/" if self.org_id else ""
        return f"s3://{self.bucket}/{self.prefix}AWSLogs/{org}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_day"] = self.first_day.isoformat() if self.first_day else None
        data["last_day"] = self.last_day.isoformat() if self.last_day else None
        return data


def normalize_prefix(prefix: str | None) -> str:
    """`/a//b` → `a/b/`; "" stays "". Doubled or missing slashes make projection find nothing."""
    parts = [p for p in (prefix or "").split("/") if p]
    if any(p.strip() != p for p in parts):
        raise SourceError(f"prefix {prefix!r} has spaces around a folder name", "remove them")
    return "/".join(parts) + "/" if parts else ""


def _children(client: Any, bucket: str, prefix: str) -> list[str]:
    """The immediate "folder" names under `prefix` (which ends in "/")."""
    names: list[str] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            names.append(common["Prefix"][len(prefix) :].rstrip("/"))
    return sorted(names)


def discover(client: Any, bucket: str, prefix: str | None = None) -> Layout:
    """The layout under `s3://bucket/prefix`; raises SourceError when no CloudTrail logs are there."""
    layout = Layout(bucket, normalize_prefix(prefix))
    root = f"{layout.prefix}AWSLogs/"
    top = _children(client, bucket, root)
    orgs = [name for name in top if ORG_ID.match(name)]
    if len(orgs) > 1:
        raise SourceError(
            f"s3://{bucket}/{root} holds several organizations: {', '.join(orgs)}", "give --org-id"
        )
    if orgs:
        layout.org_id = orgs[0]
        root = f"{root}{layout.org_id}/"
        top = _children(client, bucket, root)
    accounts = [name for name in top if ACCOUNT.match(name)]
    regions: set[str] = set()
    firsts: list[date] = []
    lasts: list[date] = []
    for account in accounts:
        kinds = _children(client, bucket, f"{root}{account}/")
        layout.digest |= "CloudTrail-Digest" in kinds
        layout.insight |= "CloudTrail-Insight" in kinds
        if "CloudTrail" not in kinds:
            continue
        layout.accounts.append(account)
        for region in _children(client, bucket, f"{root}{account}/CloudTrail/"):
            base = f"{root}{account}/CloudTrail/{region}/"
            first, last = _day(client, bucket, base, min), _day(client, bucket, base, max)
            if first and last:
                regions.add(region)
                firsts.append(first)
                lasts.append(last)
    if not layout.accounts:
        raise SourceError(
            f"no CloudTrail logs under s3://{bucket}/{layout.prefix}",
            "expected AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/...; check --prefix",
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
        names = [n for n in _children(client, bucket, path) if n.isdigit() and len(n) == width]
        if not names:
            return None
        chosen = pick(names)
        found.append(int(chosen))
        path = f"{path}{chosen}/"
    try:
        return date(*found)
    except ValueError:
        return None
