"""Athena side, offline: bucket discovery against moto's S3, and the partition-projected DDL.

What this cannot prove: that Athena itself accepts the DDL and finds the partitions. The DDL is
parsed by sqlglot's athena (Hive DDL) dialect and pinned by a golden file; moto answers S3's
listing API as S3 does, so discovery's delimiter walk is exercised for real.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import boto3
import pytest
import sqlglot
from moto import mock_aws

from toolkit.engines.ddl import TableSpec, create_table_sql
from toolkit.errors import SourceError, UsageError
from toolkit.sources.bucket import discover, normalize_prefix

GOLDEN = Path(__file__).parent / "golden" / "cloudtrail-table.athena.sql"
KEYS = [
    "AWSLogs/o-abcd123456/111122223333/CloudTrail/us-east-1/2024/01/02/a.json.gz",
    "AWSLogs/o-abcd123456/111122223333/CloudTrail/us-east-1/2024/03/05/b.json.gz",
    "AWSLogs/o-abcd123456/111122223333/CloudTrail/eu-west-1/2024/02/01/c.json.gz",
    "AWSLogs/o-abcd123456/444455556666/CloudTrail/us-east-1/2023/12/31/d.json.gz",
    "AWSLogs/o-abcd123456/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/e.json.gz",
    "AWSLogs/o-abcd123456/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/f.json.gz",
]


@pytest.fixture
def s3():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        client.create_bucket(Bucket="org-trail")
        for key in KEYS:
            client.put_object(Bucket="org-trail", Key=key, Body=b"{}")
        client.create_bucket(Bucket="one-account")
        for key in (
            "logs/AWSLogs/111122223333/CloudTrail/us-west-2/2022/07/09/x.json.gz",
            "logs/AWSLogs/111122223333/CloudTrail/us-west-2/2022/08/01/y.json.gz",
        ):
            client.put_object(Bucket="one-account", Key=key, Body=b"{}")
        yield client


def test_discover_an_organization_trail_with_list_calls_only(s3):
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    layout = discover(s3, "org-trail")
    assert layout.org_id == "o-abcd123456"
    assert layout.accounts == ["111122223333", "444455556666"]
    assert layout.regions == ["eu-west-1", "us-east-1"]
    assert (layout.first_day, layout.last_day) == (date(2023, 12, 31), date(2024, 3, 5))
    assert layout.digest and layout.insight
    assert layout.logs_root() == "s3://org-trail/AWSLogs/o-abcd123456/"
    assert set(calls) == {"ListObjectsV2"}  # the trail bucket is only read, by folder listings


def test_discover_a_single_account_trail_under_a_prefix(s3):
    layout = discover(s3, "one-account", "/logs//")
    assert (layout.org_id, layout.accounts, layout.regions) == (None, ["111122223333"], ["us-west-2"])
    assert (layout.first_day, layout.last_day) == (date(2022, 7, 9), date(2022, 8, 1))
    assert layout.logs_root() == "s3://one-account/logs/AWSLogs/"
    with pytest.raises(SourceError, match="no CloudTrail logs"):
        discover(s3, "one-account", "elsewhere")


def spec(**changes) -> TableSpec:
    values = dict(
        bucket="org-trail",
        accounts=["111122223333", "444455556666"],
        regions=["us-east-1", "eu-west-1"],
        start_day=date(2023, 12, 31),
        prefix="",
        org_id="o-abcd123456",
    )
    values.update(changes)
    return TableSpec(**values)


def test_ddl_round_trips_through_sqlglot_and_matches_the_golden_file():
    sql = create_table_sql(spec())
    tree = sqlglot.parse_one(sql, read="athena")
    assert tree.kind == "TABLE" and sqlglot.parse_one(tree.sql("athena"), read="athena") == tree
    if os.environ.get("TRAILCSI_UPDATE_GOLDEN"):
        GOLDEN.write_text(sql + "\n")
    assert sql + "\n" == GOLDEN.read_text()
    assert (
        "'storage.location.template'='s3://org-trail/AWSLogs/o-abcd123456/${account}/CloudTrail/${region}/${day}'"
        in sql
    )


def test_projection_mistakes_are_normalized_or_refused():
    fixed = spec(
        accounts=[" 111122223333 , 444455556666"], regions=["us-east-1 "], prefix="//logs//", org_id=" "
    )
    fixed.check()
    assert fixed.accounts == ["111122223333", "444455556666"] and fixed.regions == ["us-east-1"]
    assert fixed.prefix == "logs/" and fixed.org_id is None
    assert fixed.location() == "s3://org-trail/logs/AWSLogs/"
    for bad, message in [
        (dict(accounts=["1111 2222"]), "12-digit"),
        (dict(regions=["us east 1"]), "region names"),
        (dict(accounts=[]), "is empty"),
        (dict(org_id="org-1"), "organization id"),
        (dict(bucket="s3://org-trail"), "bucket name"),
        (dict(start_day=date(2999, 1, 1)), "future"),
        (dict(prefix="logs/ a /"), "spaces"),
    ]:
        with pytest.raises((UsageError, SourceError), match=message):
            spec(**bad).check()
    assert normalize_prefix("") == "" and normalize_prefix("a/b") == "a/b/"


def test_athena_ddl_from_flags_and_a_refused_input_print_nothing_partial():
    import subprocess
    import sys

    base = [
        sys.executable,
        "-m",
        "toolkit.cli",
        "athena",
        "ddl",
        "--bucket",
        "org-trail",
        "--regions",
        "us-east-1",
        "--start-day",
        "2024/01/01",
    ]
    done = subprocess.run([*base, "--accounts", "111122223333"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    statements = [s for s in sqlglot.parse(done.stdout, read="athena") if s is not None]
    assert [s.key for s in statements] == ["create", "create"]
    refused = subprocess.run([*base, "--accounts", "1111"], capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stdout == "" and "12-digit" in refused.stderr
