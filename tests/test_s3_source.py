"""`--source s3://...` on the local engine, against moto's S3: only the needed day folders are
fetched, results equal the local archive's, a second run downloads nothing, the bucket is only read."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from conftest import files_of_days
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from toolkit.core import window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError
from toolkit.sources import s3source

DAYS = ("2025/03/28", "2025/03/29", "2025/03/30", "2025/03/31", "2025/01/15")


@pytest.fixture
def bucket(sample_root):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        client.create_bucket(Bucket="trail-copy")
        # put straight into moto's S3 (as tests/athena_double.py does): a PutObject request for
        # each of the 752 objects costs seconds, and what is tested is their reading
        s3 = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        uploaded = 0
        for name in files_of_days(sample_root, DAYS):
            s3.put_object("trail-copy", "mirror/" + name, (sample_root / name).read_bytes())
            uploaded += 1
        yield client, uploaded


def count(root, scope) -> int:
    engine = LocalEngine(root)
    try:
        return engine.run(TrailQuery.parse("SELECT count(*) FROM trail", scope)).rows[0][0]
    finally:
        engine.close()


def test_sync_fetches_the_window_reuses_the_cache_and_only_reads(bucket, sample_root, tmp_path):
    client, uploaded = bucket
    calls: list[str] = []
    client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    scope = window.parse(start="2025-03-29", end="2025-03-30")
    local, first = s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)
    expected_files = sum(
        1
        for p in sample_root.rglob("CloudTrail/*/*/*/*/*.json.gz")  # log files, not digests
        if any(f"/{d}/" in p.as_posix() for d in ("2025/03/29", "2025/03/30", "2025/03/31"))
    )
    assert first.listed == first.downloaded == expected_files < uploaded
    assert count(local, scope) == count(sample_root, scope) > 0
    again = s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)[1]
    assert (again.downloaded, again.reused) == (0, first.listed)
    assert set(calls) <= {"ListObjectsV2", "HeadObject", "GetObject"}
    narrowed = s3source.sync(client, "s3://trail-copy/mirror", scope, regions=["eu-west-1"], root=tmp_path)[1]
    assert 0 < narrowed.listed < first.listed


def test_a_changed_object_is_fetched_again(bucket, tmp_path):
    client, _ = bucket
    scope = window.parse(start="2025-03-31", end="2025-03-31")
    local, first = s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)
    key = next(
        k for k in (p.relative_to(tmp_path / "trail-copy").as_posix() for p in local.rglob("*.json.gz"))
    )
    body = client.get_object(Bucket="trail-copy", Key=key)["Body"].read()
    client.put_object(Bucket="trail-copy", Key=key, Body=body + b"")  # same bytes: same ETag, reused
    assert s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)[1].downloaded == 0
    import gzip
    import json

    records = json.loads(gzip.decompress(body))
    records["Records"] = records["Records"][:1]
    client.put_object(Bucket="trail-copy", Key=key, Body=gzip.compress(json.dumps(records).encode()))
    assert s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)[1].downloaded == 1


def test_a_bad_address_is_a_usage_error():
    with pytest.raises(UsageError):
        s3source.parse_url("s3:///nothing")
    assert s3source.parse_url("s3://b/logs/") == ("b", "logs/")


def test_a_folder_of_copies_that_is_not_utf8_is_refused_before_the_bucket_is_read(tmp_path):
    """DuckDB reads the copies, and takes UTF-8 paths only: an XDG_CACHE_HOME that is not UTF-8
    failed after the download, as the query's error ("check the SQL")."""
    root = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9")))
    with pytest.raises(UsageError, match=r"caf\\xe9' is not UTF-8 text.*XDG_CACHE_HOME"):
        s3source.sync(None, "s3://trail-copy/mirror", window.parse(since="1d"), root=root)


def test_progress_is_told_files_and_bytes(bucket, tmp_path):
    client, _ = bucket
    seen: list[tuple[int, int, int]] = []
    _, done = s3source.sync(
        client,
        "s3://trail-copy/mirror",
        window.parse(start="2025-03-31", end="2025-03-31"),
        root=tmp_path,
        progress=lambda *step: seen.append(step),
    )
    assert len(seen) == done.downloaded > 0
    assert seen[-1] == (done.downloaded, done.downloaded, done.bytes_downloaded)


def test_ctrl_c_stops_a_download_keeping_what_was_fetched(bucket, tmp_path):
    """A real SIGINT while files download: the downloads not begun are cancelled (within a second,
    not after the whole queue), one Interrupted error, and what was fetched is kept (not fetched
    again), no `.part` file left behind."""
    import signal
    import time

    from toolkit.errors import Interrupted

    client, _uploaded = bucket
    real = client.download_file
    started: list[str] = []

    def slow(bucket_name, key, target):
        started.append(key)
        if len(started) == 40:  # downloads under way: Ctrl-C
            os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        return real(bucket_name, key, target)

    client.download_file = slow
    scope = window.parse(start="2025-03-28", end="2025-03-31")
    # Python's own Ctrl-C (a pytest-xdist worker ignores SIGINT: its controller handles it)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(Interrupted, match="downloaded so far are kept"):
            s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    stopped_after = len(started)
    time.sleep(0.2)
    assert len(started) == stopped_after < 60  # the queue (hundreds of files) was cancelled
    listed = s3source.sync(client, "s3://trail-copy/mirror", scope, root=tmp_path)[1]
    assert 0 < len(started) - listed.downloaded and listed.reused > 0
    assert listed.reused + listed.downloaded == listed.listed
    assert not list(tmp_path.rglob("*.part"))
