"""S3 keys are hostile input: `--source s3://...` downloads only keys that are log files (or
digests) of the day folders asked for, never writes outside its cache directory or over another
file, and counts and reports every key it refused, with why (moto's S3)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime

import boto3
import pytest
from conftest import files_of_days, put_in_moto
from moto import mock_aws

from toolkit.core import window
from toolkit.errors import UsageError
from toolkit.sources import layout, s3source

DAY = "2025/03/31"
SCOPE = {"start": "2025-03-31", "end": "2025-03-31"}
#: Folders from the cache root down to a day folder: the bucket's, `mirror`, and the layout's
#: nine (AWSLogs, org, account, CloudTrail, region, year, month, day); one more leaves the root.
DEPTH = 10


def _body(marker: str) -> bytes:
    return gzip.compress(json.dumps({"Records": [], "hostile": marker}).encode())


@pytest.fixture
def bucket(sample_root, fake_aws_env):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="trail-copy")
        good: dict[str, bytes] = {}
        for name in files_of_days(sample_root, (DAY,)):
            key = "mirror/" + name
            good[key] = (sample_root / name).read_bytes()
            put_in_moto("trail-copy", key, good[key])
        yield client, good


def _log_day_folder(good: dict[str, bytes]) -> tuple[str, str]:
    """A log day folder of the bucket, and the name of one of its files."""
    key = next(k for k in sorted(good) if "/CloudTrail/" in k)
    folder, _, name = key.rpartition("/")
    return folder + "/", name


def _files(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_hostile_log_keys_are_refused_and_reported_and_good_keys_come_through(bucket, tmp_path, capsys):
    client, good = bucket
    folder, name = _log_day_folder(good)
    escape = "../" * (DEPTH + 1) + "outside/escape.json.gz"
    hostile = {
        folder + escape: "..",
        folder + "..\\..\\..\\backslash.json.gz": "backslash",
        folder + "./" + name: "'..' part",  # pathlib folds `.`: it would overwrite `name`
        folder + "/" + name: "'..' part",  # and `//`
        folder + "nul\x00.json.gz": "control character",
        folder + "line\n.json.gz": "control character",
        folder + "extra/deeper.json.gz": "day folder",
        folder + name + "/inside.json.gz": "day folder",  # `name` is a file and a folder
        folder + "C:/windows.json.gz": "drive letter",
        folder + "AWSLogs/111111111111/CloudTrail/us-east-1/2025/03/31/n.json.gz": "day folder",
    }
    for key in hostile:
        client.put_object(Bucket="trail-copy", Key=key, Body=_body(key))
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = tmp_path / "cache"
    local, report = s3source.sync(client, "s3://trail-copy/mirror", window.parse(**SCOPE), root=cache)

    assert list(outside.iterdir()) == []
    assert _files(tmp_path) - {"cache/" + f for f in _files(cache)} == set()
    logs = {k: v for k, v in good.items() if "/CloudTrail/" in k}
    assert report.downloaded == report.listed == len(logs)
    for key, body in logs.items():  # every good file came through, none overwritten
        assert (cache / "trail-copy" / key).read_bytes() == body
    assert _files(cache / "trail-copy") == set(logs) | {".etags.json"}
    refused = dict(report.refused)
    assert set(refused) == set(hostile)
    for key, why in hostile.items():
        assert why in refused[key], (key, refused[key])
    err = capsys.readouterr().err
    assert f"{len(hostile)} keys" in err and "refused" in err and err.count("\n") == 1


def test_hostile_digest_keys_are_refused_and_reported(bucket, tmp_path, capsys):
    client, good = bucket
    key = next(k for k in sorted(good) if "/CloudTrail-Digest/" in k)
    folder, _, name = key.rpartition("/")
    hostile = {
        folder + "/" + "../" * (DEPTH + 1) + "outside/digest.json.gz": "..",
        folder + "/./" + name: "'..' part",
        folder + "/x\\..\\y.json.gz": "backslash",
    }
    for bad in hostile:
        client.put_object(Bucket="trail-copy", Key=bad, Body=_body(bad))
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = tmp_path / "cache"
    _, _, report = s3source.sync_digests(client, "s3://trail-copy/mirror", window.parse(**SCOPE), root=cache)
    assert list(outside.iterdir()) == []
    digests = {k: v for k, v in good.items() if "/CloudTrail-Digest/" in k}
    assert report.downloaded == len(digests) > 0
    for good_key, body in digests.items():
        assert (cache / "trail-copy" / good_key).read_bytes() == body
    refused = dict(report.refused)
    assert set(refused) == set(hostile)
    for bad, why in hostile.items():
        assert why in refused[bad]
    assert "refused" in capsys.readouterr().err


def test_a_symbolic_link_in_the_cache_is_not_written_through(bucket, tmp_path, capsys):
    """A day folder of the cache replaced by a link would take the downloads out of the cache."""
    client, good = bucket
    folder, _ = _log_day_folder(good)
    cache = tmp_path / "cache"
    linked = cache / "trail-copy" / folder.rstrip("/")
    linked.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    linked.symlink_to(elsewhere, target_is_directory=True)
    _, report = s3source.sync(client, "s3://trail-copy/mirror", window.parse(**SCOPE), root=cache)
    assert list(elsewhere.iterdir()) == []
    in_folder = {k for k in good if k.startswith(folder)}
    assert {k for k, _ in report.refused} == in_folder
    assert all("outside the cache" in why for _, why in report.refused)
    logs = {k for k in good if "/CloudTrail/" in k}
    assert report.downloaded == len(logs - in_folder) > 0
    assert "refused" in capsys.readouterr().err


def test_digest_signatures_are_kept_by_their_layout_key_under_any_prefix(fake_aws_env, tmp_path):
    """A prefix holding `AWSLogs/` itself: the signature is kept under the key verify looks up."""
    day = date(2025, 3, 31)
    logs = layout.day_folder("old/AWSLogs/", None, "123456789012", "us-east-1", day)
    digest_folder = layout.day_folder("old/AWSLogs/", None, "123456789012", "us-east-1", day, layout.DIGESTS)
    end = datetime(2025, 3, 31, 1, 30, tzinfo=UTC)
    name = layout.digest_name("123456789012", "us-east-1", "t", "us-east-1", end)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="trail-copy")
        client.put_object(Bucket="trail-copy", Key=logs + "a.json.gz", Body=_body("log"))
        client.put_object(
            Bucket="trail-copy", Key=digest_folder + name, Body=_body("d"), Metadata={"signature": "ab"}
        )
        _, signatures, report = s3source.sync_digests(
            client, "s3://trail-copy/old/AWSLogs", window.parse(**SCOPE), root=tmp_path
        )
    assert report.downloaded == 1
    assert signatures == {layout.locate(digest_folder + name).key: "ab"}


def test_a_bucket_name_that_is_a_path_is_refused():
    for url in ("s3://../logs", "s3://./logs", "s3://a\\b/logs", "s3://..."):
        with pytest.raises(UsageError, match="--source"):
            s3source.parse_url(url)


def test_refused_keys_say_one_line_through_the_callers_reporter(bucket, tmp_path, capsys):
    client, good = bucket
    folder, _ = _log_day_folder(good)
    client.put_object(Bucket="trail-copy", Key=folder + "../" * (DEPTH + 1) + "x.json.gz", Body=b"x")
    said: list[str] = []
    _, report = s3source.sync(
        client, "s3://trail-copy/mirror", window.parse(**SCOPE), root=tmp_path / "cache", warn=said.append
    )
    assert len(report.refused) == 1 and len(said) == 1
    assert said[0].startswith("s3://trail-copy/mirror: 1 keys refused") and "\n" not in said[0]
    assert capsys.readouterr().err == ""


def test_a_refused_prefix_names_the_source_flag(fake_aws_env):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="trail-copy")
        with pytest.raises(UsageError, match="^--source"):
            s3source.sync(client, "s3://trail-copy/a/../b", window.parse(**SCOPE))


def test_the_layout_decides_what_is_fetched():
    """Only log files of the day folders asked for: not digests, not another day's files."""
    folder = layout.day_folder("m/", None, "123456789012", "us-east-1", window.parse(**SCOPE).start.date())
    assert s3source.refusal(folder + "f.json.gz", folder, layout.LOGS, "m/") is None
    assert "day folder" in s3source.refusal(
        folder + "f.json.gz", folder.replace("31", "30"), layout.LOGS, "m/"
    )
    digest = folder.replace("/CloudTrail/", "/CloudTrail-Digest/")
    assert "day folder" in s3source.refusal(digest + "f.json.gz", folder, layout.LOGS, "m/")
    assert "not a log file" in s3source.refusal(folder + "f.txt", folder, layout.LOGS, "m/")


def test_an_empty_source_says_to_check_the_source_flag(fake_aws_env):
    from toolkit.errors import SourceError

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="trail-copy")
        client.put_object(Bucket="trail-copy", Key="mirror/other.txt", Body=b"x")
        with pytest.raises(SourceError) as raised:
            s3source.sync(client, "s3://trail-copy/mirror", window.parse(**SCOPE))
    assert raised.value.hint is not None and "check --source" in raised.value.hint


def test_the_public_api_on_s3_says_the_keys_it_refused(bucket, tmp_path, monkeypatch):
    """`toolkit.open_archive("s3://...")` fetched with its warnings thrown away: the refused keys
    are in the rows' notes."""
    import toolkit

    client, good = bucket
    folder, _name = _log_day_folder(good)
    client.put_object(Bucket="trail-copy", Key=folder + "extra/deeper.json.gz", Body=_body("deeper"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with toolkit.open_archive("s3://trail-copy/mirror") as trail:
        rows = trail.sql("SELECT count(*) AS n FROM trail", **SCOPE)
    assert rows.rows[0][0] > 0
    assert any("1 keys refused" in note and "day folder" in note for note in rows.notes), rows.notes
