"""CloudTrail's file layout (toolkit/sources/layout.py): names and paths round-trip, and hostile paths
(layout-like folders above the layout, `..`, extra folders, Windows separators, impossible days,
uppercase, digits of other scripts, control characters) are not locations."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from toolkit.sources import layout

ACCOUNT = "123456789012"
ORG = "o-7x2k9q4m1z"
DAY = date(2024, 2, 29)
GOOD = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/{ACCOUNT}_CloudTrail_us-east-1_20240229T0105Z_abc.json.gz"


@pytest.mark.parametrize("org_id", [None, ORG])
@pytest.mark.parametrize("prefix", ["", "logs/", "a/CloudTrail/AWSLogs/b/"])
def test_a_log_file_key_round_trips(prefix, org_id):
    delivered = datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)
    name = layout.log_name(ACCOUNT, "eu-west-1", delivered, "Zx9")
    assert name == f"{ACCOUNT}_CloudTrail_eu-west-1_20240229T2359Z_Zx9.json.gz"
    folder = layout.day_folder(prefix, org_id, ACCOUNT, "eu-west-1", DAY)
    org = f"{org_id}/" if org_id else ""
    assert folder == f"{prefix}AWSLogs/{org}{ACCOUNT}/CloudTrail/eu-west-1/2024/02/29/"
    assert folder == layout.region_folder(prefix, org_id, ACCOUNT, "eu-west-1") + "2024/02/29/"
    assert folder.startswith(layout.kind_folder(prefix, org_id, ACCOUNT))
    assert layout.kind_folder(prefix, org_id, ACCOUNT).startswith(layout.logs_root(prefix, org_id))
    where = layout.locate(folder + name)
    assert where == layout.Location(
        layout.LOGS, ACCOUNT, "eu-west-1", DAY, org_id, name, (folder + name)[len(prefix) :]
    )
    assert layout.delivered_at(name) == delivered.replace(second=0)
    assert layout.from_root(folder + name) == where.key


def test_a_digest_key_round_trips():
    end = datetime(2025, 3, 29, 1, 30, 0, tzinfo=UTC)
    name = layout.digest_name(ACCOUNT, "eu-west-1", "org_trail_2", "us-east-1", end)
    assert name == f"{ACCOUNT}_CloudTrail-Digest_eu-west-1_org_trail_2_us-east-1_20250329T013000Z.json.gz"
    key = layout.day_folder("", ORG, ACCOUNT, "eu-west-1", end.date(), layout.DIGESTS) + name
    assert key == f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Digest/eu-west-1/2025/03/29/{name}"
    where = layout.locate("/copy/" + key)
    assert where is not None and (where.kind, where.account, where.region, where.org_id, where.key) == (
        layout.DIGESTS,
        ACCOUNT,
        "eu-west-1",
        ORG,
        key,
    )
    parsed = layout.parse_digest_name(where.name)
    assert parsed == layout.DigestName(
        ACCOUNT, "eu-west-1", "org_trail_2", "us-east-1", end, "20250329T013000Z"
    )
    bad_time = name.replace("20250329T013000Z", "20250230T013000Z")
    assert layout.parse_digest_name(bad_time) == layout.DigestName(
        ACCOUNT, "eu-west-1", "org_trail_2", "us-east-1", None, "20250230T013000Z"
    )
    assert layout.parse_digest_name(name.replace(".json.gz", ".json")) is None
    assert layout.parse_digest_name(name.replace("2025", "٢٠٢٥", 1)) is None


def test_layout_like_folders_above_the_layout_are_not_read_as_it():
    path = f"/CloudTrail/AWSLogs/999999999999/CloudTrail/eu-west-2/2020/01/01/AWSLogs/x/{GOOD}"
    where = layout.locate(path)
    assert where is not None and (where.account, where.region, where.day, where.key) == (
        ACCOUNT,
        "us-east-1",
        DAY,
        GOOD,
    )
    assert layout.from_root(path) == GOOD


@pytest.mark.parametrize(
    "path",
    [
        # `..` and `.` parts, extra folders, a folder missing
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/../f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/../29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/./f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/extra/f.json.gz",
        f"AWSLogs/{ACCOUNT}/extra/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29",
        f"xAWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        # Windows separators, on a system where `\` is part of a name
        f"AWSLogs\\{ACCOUNT}\\CloudTrail\\us-east-1\\2024\\02\\29\\f.json.gz",
        f"C:\\data\\AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/..\\..\\f.json.gz",
        # days that are not dates, or not written as CloudTrail writes them
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/30/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2023/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/13/01/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/00/10/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/2/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/24/02/29/f.json.gz",
        # uppercase where CloudTrail writes lowercase, and the other way round
        f"awslogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/cloudtrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/US-EAST-1/2024/02/29/f.json.gz",
        f"AWSLogs/O-7X2K9Q4M1Z/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        # digits of other scripts (Python's \d and int() take them)
        "AWSLogs/١٢٣٤٥٦٧٨٩٠١٢/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/２０２４/02/29/f.json.gz",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/٢٩/f.json.gz",
        # account ids of the wrong length, org ids that are not org ids
        f"AWSLogs/{ACCOUNT}3/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"AWSLogs/o-short/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        # control characters in the name: a line break, NUL
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f.json.gz\n",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/f\x00.json.gz",
    ],
)
def test_hostile_paths_are_not_locations(path):
    assert layout.locate(path) is None


def test_the_layouts_day_values_are_the_partition_values():
    assert layout.day_value(date(2024, 2, 29)) == "2024/02/29"
    assert layout.day_value(date(5, 1, 2)) == "0005/01/02"


@pytest.mark.parametrize(
    "name",
    [
        f"{ACCOUNT}_CloudTrail_us-east-1_20240230T0105Z_abc.json.gz",  # no 30 February
        f"{ACCOUNT}_CloudTrail_us-east-1_20240229T2460Z_abc.json.gz",
        f"{ACCOUNT}_CloudTrail_us-east-1_٢٠٢٤0229T0105Z_abc.json.gz",
        f"{ACCOUNT}_CloudTrail_us-east-1_20240229T0105_abc.json.gz",
    ],
)
def test_a_delivery_time_that_is_not_a_time_is_none(name):
    assert layout.delivered_at(name) is None


def test_duckdb_reads_the_partitions_where_locate_does():
    """The local engine's SQL expressions agree with `locate` on good and hostile paths."""
    paths = [
        "/x/" + GOOD,
        f"/x/AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/eu-west-1/2025/03/29/f.json.gz",
        f"/CloudTrail/AWSLogs/999999999999/CloudTrail/eu-west-2/2020/01/01/AWSLogs/x/{GOOD}",
        f"/x/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/02/29/extra/f.json.gz",
        "/x/AWSLogs/١٢٣٤٥٦٧٨٩٠١٢/CloudTrail/us-east-1/2024/02/29/f.json.gz",
        f"/x/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2024/02/29/f.json.gz",
    ]
    expressions = layout.duckdb_partitions("p")
    select = ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())
    with duckdb.connect() as connection:
        for path in paths:
            got = connection.execute(f"SELECT {select} FROM (SELECT ? AS p)", [path]).fetchone()
            where = layout.locate(path)
            if where is None or where.kind != layout.LOGS:
                assert got == ("", "", ""), path
            else:
                assert got == (where.account, where.region, layout.day_value(where.day)), path


def test_the_projection_template_points_at_the_log_day_folders():
    root = "s3://b/p/" + layout.logs_root("", ORG)
    assert (
        layout.location_template(root)
        == f"s3://b/p/AWSLogs/{ORG}/${{account}}/CloudTrail/${{region}}/${{day}}"
    )


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty key"),
        ("/AWSLogs/x", "'..' part"),
        ("AWSLogs//x", "'..' part"),
        ("AWSLogs/./x", "'..' part"),
        ("AWSLogs/../../x", "'..' part"),
        ("AWSLogs/x/", "'..' part"),
        ("AWSLogs\\..\\x", "backslash"),
        ("C:/x", "drive letter"),
        ("AWSLogs/x\x00", "control character"),
        ("AWSLogs/x\n", "control character"),
    ],
)
def test_unsafe_keys_are_named(key, why):
    reason = layout.unsafe_key(key)
    assert reason is not None and why in reason


def test_ordinary_keys_are_safe():
    assert layout.unsafe_key("logs/" + GOOD) is None
    assert layout.unsafe_key("a..b/..c/x.json.gz") is None


@pytest.mark.parametrize(
    ("value", "pattern", "ok"),
    [
        (ACCOUNT, layout.ACCOUNT_NAME, True),
        ("١٢٣٤٥٦٧٨٩٠١٢", layout.ACCOUNT_NAME, False),
        (ACCOUNT + "\n", layout.ACCOUNT_NAME, False),
        (ORG, layout.ORG_ID_NAME, True),
        ("o-ABCDEFGHIJ", layout.ORG_ID_NAME, False),
        ("us-gov-west-1", layout.REGION_NAME, True),
        ("US-EAST-1", layout.REGION_NAME, False),
        ("us-east-١", layout.REGION_NAME, False),
    ],
)
def test_the_validation_patterns(value, pattern, ok):
    assert bool(pattern.fullmatch(value)) is ok


def test_verify_reads_an_archive_kept_under_a_folder_named_awslogs(sample_root, tmp_path):
    """Log keys are taken from the layout's own `AWSLogs/`, not the first folder of that name:
    a copy kept in `.../AWSLogs/case/` had every log file reported as named by no digest."""
    from conftest import keys, sample_copy

    from toolkit.core import window
    from toolkit.integrity.verify import verify

    root = sample_copy(sample_root, tmp_path / "AWSLogs" / "case")
    # Up to where the copy's signed digests end, reading no file delivered after (see test_verify.WINDOW).
    scope = window.parse(start="2025-03-29T01:00:00Z", end="2025-03-31T23:30:00Z", late_delivery="0m")
    report = verify(root, scope, keys(root))
    assert report.problems() == [] and report.ok()
    assert report.totals()["logs_valid"] > 150
