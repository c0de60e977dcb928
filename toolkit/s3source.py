"""`--source s3://bucket/prefix` for the local engine: fetch only the log files a query needs.

The window's delivery days, and the accounts and regions the criteria name, decide which day
folders are listed; their files are downloaded in parallel into a cache directory that mirrors
the bucket's keys, and kept: a file whose ETag has not changed is never fetched again. Downloads
land under a temporary name and are renamed into place, so an interrupted sync leaves no
half-written file and the next one resumes. The bucket is only read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.bucket import discover
from toolkit.errors import UsageError
from toolkit.window import Window

_URL = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)$")


@dataclass
class SyncReport:
    listed: int = 0  # log files in the day folders the query needs
    downloaded: int = 0
    reused: int = 0
    bytes_downloaded: int = 0


def parse_url(url: str) -> tuple[str, str]:
    match = _URL.match(url.strip())
    if not match or not match["bucket"]:
        raise UsageError(f"--source {url!r} is not an s3://bucket/prefix address")
    return match["bucket"], match["prefix"]


def cache_root() -> Path:
    return paths.cache_dir() / "s3"


def sync(
    client: Any,
    url: str,
    window: Window,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    root: Path | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[Path, SyncReport]:
    """Download what the scope needs; returns the local directory to query and what was done.

    `progress`, if given, is called after each download with (files done, files to fetch, bytes).
    """
    bucket, prefix = parse_url(url)
    layout = discover(client, bucket, prefix)
    local = (root or cache_root()) / bucket
    report = SyncReport()
    wanted = _keys(client, bucket, layout, window, accounts or [], [r.lower() for r in regions or []])
    report.listed = len(wanted)
    etags_path = local / ".etags.json"
    etags = _load_json(etags_path)
    todo = []
    for key, etag, size in wanted:
        target = local / key
        if etags.get(key) == etag and target.exists() and target.stat().st_size == size:
            report.reused += 1
        else:
            todo.append((key, etag, size))

    def fetch(item: tuple[str, str, int]) -> tuple[str, str, int]:
        key, etag, size = item
        target = local / key
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        client.download_file(bucket, key, str(partial))
        partial.replace(target)
        return key, etag, size

    done = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for key, etag, size in pool.map(fetch, todo):
            etags[key] = etag
            report.downloaded += 1
            report.bytes_downloaded += size
            done += 1
            if progress:  # files done, files to do, bytes so far
                progress(done, len(todo), report.bytes_downloaded)
    if todo:
        local.mkdir(parents=True, exist_ok=True)
        tmp = etags_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(etags))
        tmp.replace(etags_path)
    return local / layout.prefix, report


def _keys(
    client: Any, bucket: str, layout: Any, window: Window, accounts: list[str], regions: list[str]
) -> list[tuple[str, str, int]]:
    """(key, ETag, size) of the log files in the needed day folders (all days for all time)."""
    base = f"{layout.prefix}AWSLogs/" + (f"{layout.org_id}/" if layout.org_id else "")
    earliest, latest = window.delivery_span()
    first = earliest.date() if earliest else layout.first_day
    last = latest.date() if latest else layout.last_day
    chosen_accounts = [a for a in layout.accounts if not accounts or a in accounts]
    chosen_regions = [r for r in layout.regions if not regions or r in regions]
    prefixes = []
    for account in chosen_accounts:
        for region in chosen_regions:
            region_base = f"{base}{account}/CloudTrail/{region}/"
            if window.is_all_time or first is None or last is None:
                prefixes.append(region_base)
                continue
            day = max(first, layout.first_day or first)
            while day <= min(last, layout.last_day or last):
                prefixes.append(f"{region_base}{day:%Y/%m/%d}/")
                day += timedelta(days=1)
    found = []
    paginator = client.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if item["Key"].endswith((".json.gz", ".json")):
                    found.append((item["Key"], item["ETag"].strip('"'), int(item["Size"])))
    return found


def sync_digests(
    client: Any,
    url: str,
    window: Window,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    root: Path | None = None,
) -> tuple[Path, dict[str, str], SyncReport]:
    """Fetch the digest files of the window (one hour past its end) and their signatures.

    A digest's signature is its S3 object metadata (`signature`), which a download to disk loses,
    so it is kept in the cache (`.signatures.json`, by key from `AWSLogs/`) next to the files.
    """
    bucket, prefix = parse_url(url)
    layout = discover(client, bucket, prefix)
    local = (root or cache_root()) / bucket
    report = SyncReport()
    base = f"{layout.prefix}AWSLogs/" + (f"{layout.org_id}/" if layout.org_id else "")
    first = window.start.date() if window.start else None
    last = (window.end + timedelta(hours=2)).date() if window.end else None
    prefixes = []
    for account in layout.accounts:
        if accounts and account not in accounts:
            continue
        digest_base = f"{base}{account}/CloudTrail-Digest/"
        for region in _folders(client, bucket, digest_base):
            if regions and region not in [r.lower() for r in regions]:
                continue
            day_base = f"{digest_base}{region}/"
            if first is None or last is None:
                prefixes.append(day_base)
                continue
            day = first
            while day <= last:
                prefixes.append(f"{day_base}{day:%Y/%m/%d}/")
                day += timedelta(days=1)
    signatures_path = local / ".signatures.json"
    signatures = _load_json(signatures_path)
    etags_path = local / ".etags.json"
    etags = _load_json(etags_path)
    paginator = client.get_paginator("list_objects_v2")
    wanted = [
        (item["Key"], item["ETag"].strip('"'))
        for prefix_ in prefixes
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix_)
        for item in page.get("Contents", [])
        if item["Key"].endswith(".json.gz")
    ]
    report.listed = len(wanted)

    def fetch(item: tuple[str, str]) -> tuple[str, str, str | None, int]:
        key, etag = item
        target = local / key
        short = key[key.find("AWSLogs/") :]
        if etags.get(key) == etag and target.exists() and short in signatures:
            return key, etag, None, -1
        answer = client.get_object(Bucket=bucket, Key=key)
        body = answer["Body"].read()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(body)
        partial.replace(target)
        return key, etag, answer.get("Metadata", {}).get("signature"), len(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for key, etag, signature, size in pool.map(fetch, wanted):
            if size < 0:
                report.reused += 1
                continue
            etags[key] = etag
            if signature:
                signatures[key[key.find("AWSLogs/") :]] = signature
            report.downloaded += 1
            report.bytes_downloaded += size
    if report.downloaded:
        local.mkdir(parents=True, exist_ok=True)
        for path, data in ((etags_path, etags), (signatures_path, signatures)):
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
    return local / layout.prefix, signatures, report


def _load_json(path: Path) -> dict[str, str]:
    """A cache bookkeeping file (key → ETag or signature); missing or damaged reads as empty."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return {}


def _folders(client: Any, bucket: str, prefix: str) -> list[str]:
    answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    return [p["Prefix"][len(prefix) :].strip("/") for p in answer.get("CommonPrefixes", [])]
