"""`--source s3://bucket/prefix` for the local engine: fetch only the log files a query needs.

The window's delivery days, and the accounts and regions the criteria name, decide which day
folders are listed; their files are downloaded in parallel into a cache directory that mirrors
the bucket's keys, and kept: a file whose ETag has not changed is never fetched again. Downloads
land under a temporary name and are renamed into place, so an interrupted sync leaves no
half-written file and the next one resumes. The bucket is only read.

Keys are the bucket's, not the user's: a key is downloaded only when `layout.locate` reads it as
a log file (or a digest) of a day folder that was asked for, it is a plain key (no empty, `.` or
`..` part, no backslash, no control character) and its place in the cache, resolved, is a file
inside the cache. Every other key is refused, counted in the report and said on stderr.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.core.window import Window
from toolkit.errors import Interrupted, UsageError, first_line
from toolkit.sources import archive, layout
from toolkit.sources.bucket import Layout, discover, shown

_URL = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)$")
#: Bucket names, legacy ones too (uppercase, `_`, up to 255), never `.` or `..`: the name is a
#: folder of the cache.
_BUCKET = re.compile(r"[A-Za-z0-9._-]{1,255}", re.ASCII)
#: Files downloaded at once.
DOWNLOADS = 8


@dataclass
class SyncReport:
    listed: int = 0  # log files in the day folders the query needs
    downloaded: int = 0
    reused: int = 0
    bytes_downloaded: int = 0
    #: Keys (or folders) of the bucket that were not downloaded, with why.
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: The files listed now, as paths from the returned directory (`verify` trusts nothing else).
    keys: list[str] = field(default_factory=list)

    def refused_note(self, url: str) -> str | None:
        """One line for the refused keys, by reason, with an example of each; None if none."""
        if not self.refused:
            return None
        reasons: dict[str, list[str]] = {}
        for key, why in self.refused:
            reasons.setdefault(why, []).append(key)
        parts = [f"{len(keys):,} {why} (e.g. {shown(keys[0])})" for why, keys in sorted(reasons.items())]
        return f"{url}: {len(self.refused):,} keys refused, not downloaded: " + "; ".join(parts)


def parse_url(url: str) -> tuple[str, str]:
    match = _URL.match(url.strip())
    if not match or not match["bucket"]:
        raise UsageError(f"--source {url!r} is not an s3://bucket/prefix address")
    bucket = match["bucket"]
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or bucket.strip(".") == "":
        raise UsageError(f"--source {shown(url)} is refused: {shown(bucket)} is not an S3 bucket name")
    return bucket, match["prefix"]


def cache_root() -> Path:
    return paths.cache_dir() / "s3"


def _say(message: str) -> None:
    print(f"trailcsi: {message}", file=sys.stderr, flush=True)


def refusal(key: str, folder: str, kind: str, prefix: str) -> str | None:
    """Why `key`, listed under `folder` (a day or region folder of `kind` below the bucket's
    `prefix`), is not downloaded; None when it is a file of `kind` in a day folder of `folder`."""
    unsafe = layout.unsafe_key(key)
    if unsafe:
        return unsafe
    where = layout.locate(key)
    if (
        where is None
        or where.kind != kind
        or not key.startswith(folder)
        or key[: len(key) - len(where.key)] != prefix
    ):
        return f"not in a {kind}/ day folder asked for"
    if kind == layout.LOGS and not layout.is_log_name(where.name):
        return "not a log file (.json.gz or .json)"
    if kind != layout.LOGS and not where.name.endswith(".json.gz"):
        return "not a digest file (.json.gz)"
    return None


class _Places:
    """Where keys go in the cache: `local / key`, only when that stays inside the cache."""

    def __init__(self, root: Path, local: Path) -> None:
        self.root = root.resolve()
        self.local = local
        self._folders: dict[Path, Path | None] = {}

    def target(self, key: str) -> Path | str:
        target = self.local / key
        parent = target.parent
        if parent not in self._folders:
            try:
                resolved: Path | None = parent.resolve()
            except (OSError, RuntimeError):
                resolved = None
            self._folders[parent] = resolved
        resolved = self._folders[parent]
        if resolved is None:
            return "its folder in the cache cannot be resolved"
        if not resolved.is_relative_to(self.root):
            return "its place leads outside the cache (a symbolic link in the cache)"
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            return target
        except OSError as error:
            return f"its place in the cache cannot be examined: {error.strerror or error}"
        if not stat.S_ISREG(info.st_mode):
            return "its place in the cache is not a regular file (a folder or a link)"
        return target


def sync(
    client: Any,
    url: str,
    window: Window,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    root: Path | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[Path, SyncReport]:
    """Download what the scope needs; returns the local directory to query and what was done.

    `progress`, if given, is called after each download with (files done, files to fetch, bytes).
    Refused keys are said in one line through `warn` (default: stderr) and listed in the report.
    """
    bucket, prefix = parse_url(url)
    base = root or cache_root()
    archive.require_utf8(base, "the folder of the S3 copies", archive.SET_CACHE_HOME)  # (DuckDB reads them)
    found = discover(client, bucket, prefix, origin="--source")
    local = base / bucket
    places = _Places(base, local)
    report = SyncReport()
    wanted = _keys(client, bucket, found, window, accounts or [], [r.lower() for r in regions or []], report)
    etags_path = local / ".etags.json"
    etags = _load_json(etags_path)
    todo = []
    for key, etag, size in wanted:
        target = places.target(key)
        if isinstance(target, str):
            report.refused.append((key, target))
            continue
        report.listed += 1
        report.keys.append(key[len(found.prefix) :])
        if etags.get(key) == etag and target.exists() and target.stat().st_size == size:
            report.reused += 1
        else:
            todo.append((key, etag, size))

    listed = {key: (etag, size) for key, etag, size in todo}

    def finished(key: str, _size: int) -> None:
        etags[key], size = listed[key]
        report.downloaded += 1
        report.bytes_downloaded += size

    try:
        download(
            client,
            bucket,
            [(key, local / key) for key, _etag, _size in todo],
            finished,
            progress=progress,
        )
    finally:
        if report.downloaded:  # what was fetched is not fetched again
            local.mkdir(parents=True, exist_ok=True)
            tmp = etags_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(etags))
            tmp.replace(etags_path)
    note = report.refused_note(url)
    if note:
        (warn or _say)(note)
    return local / found.prefix, report


def download(
    client: Any,
    bucket: str,
    wanted: Sequence[tuple[str, Path]],
    done: Callable[[str, int], None],
    *,
    progress: Callable[[int, int, int], None] | None = None,
    failed: list[tuple[str, str]] | None = None,
    interrupted: str = "interrupted; the files downloaded so far are kept, the next run resumes",
) -> None:
    """Download each (key, target) of `bucket`, `DOWNLOADS` at a time; `done(key, bytes)` after each.

    The targets are the caller's to choose and check (inside its folder). Each file lands under
    `<target>.part` first and is renamed into place: an interrupted download leaves no file under
    the target's name. `progress(files handled, files to handle, bytes)` follows each file. A file
    that cannot be downloaded raises, or, when `failed` is given, is appended to it with why.
    """
    import botocore.exceptions

    def fetch(item: tuple[str, Path]) -> tuple[str, int, str]:
        key, target = item
        partial = target.with_name(target.name + ".part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(partial))
            partial.replace(target)
            return key, target.stat().st_size, ""
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as error:
            if failed is None:
                raise
            partial.unlink(missing_ok=True)
            return key, 0, first_line(str(error), type(error).__name__)

    handled = size = 0
    pool = ThreadPoolExecutor(max_workers=DOWNLOADS)
    try:
        for key, got, why in pool.map(fetch, wanted):
            handled += 1
            if why and failed is not None:
                failed.append((key, why))
            else:
                size += got
                done(key, got)
            if progress:
                progress(handled, len(wanted), size)
    except KeyboardInterrupt:
        _stop(pool)
        raise Interrupted(interrupted) from None
    finally:
        pool.shutdown(wait=True)


def _stop(pool: ThreadPoolExecutor) -> None:
    """Cancel the downloads not yet started; the ones under way (at most one a thread) finish,
    each into its `.part` file first, so no half-written file takes a log file's name."""
    while True:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        except KeyboardInterrupt:  # a second Ctrl-C: the few downloads under way still finish
            continue


def _days(first: date, last: date) -> list[date]:
    days = []
    while first <= last:
        days.append(first)
        first += timedelta(days=1)
    return days


def _list(
    client: Any, bucket: str, prefix: str, folders: list[str], kind: str, report: SyncReport
) -> list[tuple[str, str, int]]:
    """(key, ETag, size) of the files of `kind` under each folder; other keys go to `report.refused`."""
    found = []
    paginator = client.get_paginator("list_objects_v2")
    for folder in folders:
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            for item in page.get("Contents", []):
                key = item["Key"]
                why = refusal(key, folder, kind, prefix)
                if why is None:
                    found.append((key, item["ETag"].strip('"'), int(item["Size"])))
                else:
                    report.refused.append((key, why))
    return found


def _keys(
    client: Any,
    bucket: str,
    found: Layout,
    window: Window,
    accounts: list[str],
    regions: list[str],
    report: SyncReport,
) -> list[tuple[str, str, int]]:
    """(key, ETag, size) of the log files in the needed day folders (all days for all time)."""
    earliest, latest = window.delivery_span()
    first = earliest.date() if earliest else found.first_day
    last = latest.date() if latest else found.last_day
    chosen_accounts = [a for a in found.accounts if not accounts or a in accounts]
    chosen_regions = [r for r in found.regions if not regions or r in regions]
    folders = []
    for account in chosen_accounts:
        for region in chosen_regions:
            if window.is_all_time or first is None or last is None:
                folders.append(layout.region_folder(found.prefix, found.org_id, account, region))
                continue
            span = _days(max(first, found.first_day or first), min(last, found.last_day or last))
            folders += [layout.day_folder(found.prefix, found.org_id, account, region, day) for day in span]
    return _list(client, bucket, found.prefix, folders, layout.LOGS, report)


def sync_digests(
    client: Any,
    url: str,
    window: Window,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    root: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[Path, dict[str, str], SyncReport]:
    """Fetch the digest files of the window (up to three hours past its delivery span) and their signatures.

    A digest's signature is its S3 object metadata (`signature`), which a download to disk loses,
    so it is kept in the cache (`.signatures.json`, by key from `AWSLogs/`) next to the files.
    The report's `keys` are the digests the bucket lists now: the cache may hold others, deleted
    from the bucket since, which `verify` must not count.
    """
    bucket, prefix = parse_url(url)
    found = discover(client, bucket, prefix, origin="--source")
    base = root or cache_root()
    local = base / bucket
    places = _Places(base, local)
    report = SyncReport()
    span_end = window.delivery_span()[1]
    first = window.start.date() if window.start else None
    last = (span_end + timedelta(hours=3)).date() if span_end else None
    folders = []
    for account in found.accounts:
        if accounts and account not in accounts:
            continue
        digest_base = layout.kind_folder(found.prefix, found.org_id, account, layout.DIGESTS)
        for region in _folders(client, bucket, digest_base):
            if not layout.REGION_NAME.fullmatch(region):
                report.refused.append((f"{digest_base}{region}/", "not a region folder"))
                continue
            if regions and region not in [r.lower() for r in regions]:
                continue
            if first is None or last is None:
                folders.append(f"{digest_base}{region}/")
                continue
            folders += [
                layout.day_folder(found.prefix, found.org_id, account, region, day, layout.DIGESTS)
                for day in _days(first, last)
            ]
    signatures_path = local / ".signatures.json"
    signatures = _load_json(signatures_path)
    etags_path = local / ".etags.json"
    etags = _load_json(etags_path)
    wanted = []
    for key, etag, _size in _list(client, bucket, found.prefix, folders, layout.DIGESTS, report):
        target = places.target(key)
        if isinstance(target, str):
            report.refused.append((key, target))
        else:
            wanted.append((key, etag))
            report.keys.append(key[len(found.prefix) :])
    report.listed = len(wanted)

    def fetch(item: tuple[str, str]) -> tuple[str, str, str | None, int]:
        key, etag = item
        target = local / key
        short = layout.from_root(key)
        if etags.get(key) == etag and target.exists() and short in signatures:
            return key, etag, None, -1
        answer = client.get_object(Bucket=bucket, Key=key)
        body = answer["Body"].read()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(body)
        partial.replace(target)
        return key, etag, answer.get("Metadata", {}).get("signature"), len(body)

    pool = ThreadPoolExecutor(max_workers=8)
    try:
        for key, etag, signature, size in pool.map(fetch, wanted):
            if size < 0:
                report.reused += 1
                continue
            etags[key] = etag
            if signature:
                signatures[layout.from_root(key)] = signature
            report.downloaded += 1
            report.bytes_downloaded += size
    except KeyboardInterrupt:
        _stop(pool)
        raise Interrupted("interrupted; the digests downloaded so far are kept") from None
    finally:
        pool.shutdown(wait=True)
    if report.downloaded:
        local.mkdir(parents=True, exist_ok=True)
        for path, data in ((etags_path, etags), (signatures_path, signatures)):
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
    note = report.refused_note(url)
    if note:
        (warn or _say)(note)
    return local / found.prefix, signatures, report


def verify_log_window(window: Window) -> Window:
    """The window whose delivery span holds every log file the digests `verify` reads can name:
    from an hour before the start to three hours after the window's delivery span."""
    start = window.start - timedelta(hours=1) if window.start else None
    return Window(start, window.end, window.description, window.late + timedelta(hours=3))


@dataclass
class VerifyCopy:
    """A local copy of what `verify` reads from an s3:// source: the window's digests with their
    signatures, and the log files they may name."""

    directory: Path
    signatures: dict[str, str]
    #: The paths (from the copy's root) the bucket lists now: whatever else the copy holds (keys
    #: deleted from the bucket since) must not count.
    listed: set[str]
    digests: SyncReport


def sync_for_verify(
    client: Any,
    url: str,
    window: Window,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> VerifyCopy:
    """Fetch the window's digests (with their signatures) and the log files they can name."""
    directory, signatures, digests = sync_digests(client, url, window, accounts, regions, warn=warn)
    _root, logs = sync(client, url, verify_log_window(window), accounts, regions, warn=warn)
    return VerifyCopy(directory, signatures, set(digests.keys) | set(logs.keys), digests)


def _load_json(path: Path) -> dict[str, str]:
    """A cache bookkeeping file (key → ETag or signature); missing or damaged reads as empty."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return {}


def _folders(client: Any, bucket: str, prefix: str) -> list[str]:
    answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    return [p["Prefix"][len(prefix) :].strip("/") for p in answer.get("CommonPrefixes", [])]
