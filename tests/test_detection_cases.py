"""Detections on small crafted CloudTrail events: what each must flag and what it must leave out.

Each case is one event (or a few) shaped as CloudTrail writes it, named by its eventID; a test
lays them out as an archive, runs one detection over all time and compares the eventIDs flagged.
The cases pin the rules the templates' descriptions state, among them the gaps the check against
Panther's rule tests found (tests/test_detection_precision.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPORA, lay_out, read_jsonl

from toolkit.core import window
from toolkit.engines.local import LocalEngine
from toolkit.templates.catalog import Catalog
from toolkit.templates.render import render

ALL = window.parse(all_time=True)
ACCOUNT = "111122223333"
ALICE = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT}
INSTANCE = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/i-0abcdef1234567890",
    "accountId": ACCOUNT,
}


def event(event_id: str, name: str, source: str, **fields: Any) -> dict[str, Any]:
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": ALICE,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        "eventID": event_id,
    }
    return record | fields


def role(name: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/{name}",
        "accountId": ACCOUNT,
    }


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def found(tmp_path: Path, catalog: Catalog):
    """The rows a detection returns over the records (all time), as dicts."""
    calls = iter(range(1000))

    def run(detection: str, records: list[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
        # A new archive each call: one call's records never linger in the next one's.
        engine = LocalEngine(lay_out(records, tmp_path / f"archive-{next(calls)}"))
        try:
            result = engine.run(render(catalog.get(detection), params, ALL))
        finally:
            engine.close()
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows]

    return run


@pytest.fixture
def flagged(found):
    """The eventIDs a detection flags over the records (all time)."""

    def run(detection: str, records: list[dict[str, Any]], **params: Any) -> set[str]:
        return {row["eventid"] for row in found(detection, records, **params)}

    return run


def inline_policy(event_id: str, *statements: dict[str, Any], single: bool = False) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": statements[0] if single else list(statements)}
    # IAM logs the document as a string of JSON, as the caller wrote it.
    parameters = {"userName": "bob", "policyName": "p", "policyDocument": json.dumps(document, indent=2)}
    return event(event_id, "PutUserPolicy", "iam.amazonaws.com", requestParameters=parameters)


def test_admin_policy_granted_reads_the_effect(flagged):
    everything = {"Action": "*", "Resource": "*"}
    records = [
        inline_policy("deny-all", {"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}),
        inline_policy("allow-all", {"Effect": "Allow", "Action": ["*"], "Resource": "*"}),
        inline_policy("allow-all-one-statement", {"Effect": "Allow", **everything}, single=True),
        inline_policy(
            "deny-all-then-allow-all",
            {"Effect": "Deny", **everything},
            {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "*"},
        ),
        inline_policy("allow-s3", {"Effect": "Deny", **everything}, {"Effect": "Allow", "Action": "s3:*"}),
        event(
            "unparsable",
            "PutUserPolicy",
            "iam.amazonaws.com",
            requestParameters={"userName": "bob", "policyDocument": '{"Statement": [{"Action": "*"'},
            errorCode="MalformedPolicyDocumentException",
        ),
        event(
            "attach-admin",
            "AttachRolePolicy",
            "iam.amazonaws.com",
            requestParameters={"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
    ]
    assert flagged("admin-policy-granted", records) == {
        "allow-all",
        "allow-all-one-statement",
        "deny-all-then-allow-all",
        "attach-admin",
    }


def bucket_policy(event_id: str, *statements: dict[str, Any], as_text: bool = False) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    policy: Any = json.dumps(document) if as_text else document
    return event(
        event_id,
        "PutBucketPolicy",
        "s3.amazonaws.com",
        requestParameters={"bucketName": "b", "bucketPolicy": policy},
    )


def reader(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement = {
        "Effect": effect,
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    return statement | ({"Condition": condition} if condition else {})


def test_s3_bucket_made_public_reads_conditions_and_effect(flagged):
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    held_in = [
        bucket_policy("org", reader("*", org)),
        bucket_policy("org-with-wildcard-vpc", reader("*", org | {"StringLike": {"aws:SourceVpc": "vpc-*"}})),
        bucket_policy(
            "ip-ranges", reader("*", {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "172.16.0.0/12"]}})
        ),
        bucket_policy(
            "vpce-key-in-capitals", reader({"AWS": "*"}, {"StringEquals": {"AWS:SourceVpce": "vpce-1a2b"}})
        ),
        bucket_policy(
            "account-after-another-key",
            reader(
                "*",
                {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": ACCOUNT}},
            ),
        ),
        bucket_policy(
            "any-value", reader("*", {"ForAnyValue:StringEquals": {"aws:PrincipalAccount": [ACCOUNT]}})
        ),
        bucket_policy(
            "source-arn", reader("*", {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}})
        ),
        bucket_policy("one-account", reader({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})),
        bucket_policy(
            "tls-only-deny", reader("*", {"Bool": {"aws:SecureTransport": "false"}}, effect="Deny")
        ),
    ]
    public = [
        bucket_policy("anyone", reader("*")),
        bucket_policy("anyone-as-text", reader({"AWS": "*"}), as_text=True),
        bucket_policy("anyone-late-in-list", reader({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]})),
        bucket_policy("held-in-then-open", reader("*", org), reader("*")),
        bucket_policy("wildcard-vpc", reader("*", {"StringLike": {"aws:SourceVpc": "vpc-*"}})),
        bucket_policy(
            "all-addresses", reader("*", {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "0.0.0.0/0"]}})
        ),
        bucket_policy(
            "not-the-org", reader("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
        ),
        bucket_policy("if-exists", reader("*", {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1a2b"}})),
        bucket_policy(
            "for-all-values", reader("*", {"ForAllValues:StringEquals": {"aws:SourceAccount": ACCOUNT}})
        ),
        bucket_policy("tls-only-allow", reader("*", {"Bool": {"aws:SecureTransport": "true"}})),
    ]
    assert flagged("s3-bucket-made-public", held_in + public) == {r["eventID"] for r in public}


def run_instances(event_id: str, instance_type: Any) -> dict[str, Any]:
    return event(
        event_id, "RunInstances", "ec2.amazonaws.com", requestParameters={"instanceType": instance_type}
    )


def test_unusual_instance_type_read_as_a_string_or_an_object(flagged):
    records = [
        run_instances("gpu", "p2.xlarge"),
        run_instances("gpu-object", {"value": "p2.xlarge"}),
        run_instances("small-object", {"value": "t3.micro"}),
    ]
    assert flagged("unusual-instance-type-launched", records) == {"gpu", "gpu-object"}


def ssm_read(event_id: str, who: str, name: str = "GetParameter", **parameters: Any) -> dict[str, Any]:
    return event(event_id, name, "ssm.amazonaws.com", userIdentity=role(who), requestParameters=parameters)


def test_ssm_parameters_counts_names_not_calls(flagged):
    records = [
        ssm_read(
            "eleven-in-one-call",
            "a",
            "GetParameters",
            names=[f"/db/{i}" for i in range(11)],
            withDecryption=True,
        ),
        *(ssm_read(f"same-name-{i}", "b", name="/app/db", withDecryption=True) for i in range(8)),
        ssm_read("not-decrypted", "c", "GetParameters", names=[f"/db/{i}" for i in range(11)]),
        ssm_read(
            "by-path-hidden", "d", "GetParametersByPath", path="/db", withDecryption=True, recursive=True
        ),
    ]
    by_path = ssm_read("by-path", "e", "GetParametersByPath", path="/db", withDecryption=True)
    records.append(by_path | {"responseElements": {"parameters": [{"name": f"/db/{i}"} for i in range(6)]}})
    assert flagged("ssm-parameters-read-in-bulk", records) == {"eleven-in-one-call", "by-path"}
    assert flagged("ssm-parameters-read-in-bulk", records, min_parameters=12) == set()


def test_snapshot_or_image_shared_wants_something_added(flagged):
    def rds(event_id: str, **change: Any) -> dict[str, Any]:
        parameters = {"dBSnapshotIdentifier": "s", "attributeName": "restore"} | change
        return event(event_id, "ModifyDBSnapshotAttribute", "rds.amazonaws.com", requestParameters=parameters)

    def ebs(event_id: str, permission: dict[str, Any]) -> dict[str, Any]:
        parameters = {"snapshotId": "snap-1", "attributeType": "CREATE_VOLUME_PERMISSION"}
        parameters["createVolumePermission"] = permission
        return event(event_id, "ModifySnapshotAttribute", "ec2.amazonaws.com", requestParameters=parameters)

    def ami(event_id: str, **parameters: Any) -> dict[str, Any]:
        return event(
            event_id,
            "ModifyImageAttribute",
            "ec2.amazonaws.com",
            requestParameters={"imageId": "ami-1"} | parameters,
        )

    account = [{"userId": "444455556666"}]
    records = [
        rds("rds-nothing-added", valuesToAdd=[]),
        rds("rds-removed", valuesToRemove=["444455556666"]),
        rds("rds-shared", valuesToAdd=["444455556666"]),
        ebs("ebs-nothing-added", {"add": {"items": []}}),
        ebs("ebs-removed", {"remove": {"items": account}}),
        ebs("ebs-shared", {"add": {"items": account}}),
        ami(
            "ami-public",
            attributeType="launchPermission",
            launchPermission={"add": {"items": [{"group": "all"}]}},
        ),
        ami("ami-description", attributeType="description", description={"value": "add"}),
    ]
    assert flagged("snapshot-or-image-shared", records) == {"rds-shared", "ebs-shared", "ami-public"}


def test_instance_credentials_used_by_an_aws_service_are_not_stolen(flagged):
    address = "198.51.100.9"
    records = [
        event("person", "ListBuckets", "s3.amazonaws.com", sourceIPAddress=address),
        event(
            "instance-role",
            "DescribeInstances",
            "ec2.amazonaws.com",
            userIdentity=INSTANCE,
            sourceIPAddress=address,
        ),
        event(
            "invoked-by-eks",
            "DescribeInstances",
            "ec2.amazonaws.com",
            userIdentity=INSTANCE | {"invokedBy": "eks.amazonaws.com"},
            sourceIPAddress=address,
        ),
        event(
            "service-source",
            "Decrypt",
            "kms.amazonaws.com",
            userIdentity=INSTANCE,
            sourceIPAddress="ec2.amazonaws.com",
        ),
    ]
    assert flagged("instance-credentials-used-elsewhere", records) == {"instance-role"}


def test_cloudtrail_tampering_flags_selectors_only_when_they_narrow(flagged):
    def selectors(event_id: str, **parameters: Any) -> dict[str, Any]:
        return event(
            event_id,
            "PutEventSelectors",
            "cloudtrail.amazonaws.com",
            requestParameters={"trailName": "t"} | parameters,
        )

    every = {
        "readWriteType": "All",
        "includeManagementEvents": True,
        "dataResources": [],
        "excludeManagementEventSources": [],
    }
    data_only = {
        "readWriteType": "All",
        "includeManagementEvents": False,
        "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
    }
    management = {"field": "eventCategory", "equals": ["Management"]}
    s3_data = [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
    ]
    kept = [
        selectors("every-management-event", eventSelectors=[every]),
        selectors("defaults", eventSelectors=[{"dataResources": []}]),
        selectors("management-and-data", eventSelectors=[every, data_only]),
        selectors(
            "advanced-management-and-data",
            advancedEventSelectors=[{"fieldSelectors": [management]}, {"fieldSelectors": s3_data}],
        ),
    ]
    narrowed = [
        selectors("management-off", eventSelectors=[data_only]),
        selectors("read-only", eventSelectors=[every | {"readWriteType": "ReadOnly"}]),
        selectors(
            "kms-excluded", eventSelectors=[every | {"excludeManagementEventSources": ["kms.amazonaws.com"]}]
        ),
        selectors("no-selectors", eventSelectors=[]),
        selectors("no-parameters"),
        selectors("advanced-data-only", advancedEventSelectors=[{"fieldSelectors": s3_data}]),
        selectors(
            "advanced-write-only",
            advancedEventSelectors=[
                {"fieldSelectors": [management, {"field": "readOnly", "equals": ["false"]}]}
            ],
        ),
        event("stopped", "StopLogging", "cloudtrail.amazonaws.com", requestParameters={"name": "t"}),
    ]
    assert flagged("cloudtrail-tampering", kept + narrowed) == {r["eventID"] for r in narrowed}


def denied(event_id: str, hours: float, user: str = "alice", **fields: Any) -> dict[str, Any]:
    """A call of the user's denied by IAM, `hours` after noon on 2024-05-01 (read to the second)."""
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=round(hours * 3600))
    identity = ALICE | {"arn": f"arn:aws:iam::{ACCOUNT}:user/{user}"}
    record = event(
        event_id,
        "DescribeDBInstances",
        "rds.amazonaws.com",
        userIdentity=identity,
        eventTime=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        errorCode="AccessDenied",
    )
    return record | fields


def test_access_denied_burst_counts_the_principals_own_calls(flagged):
    """A denial of a call AWS made (CloudTrail says so where the caller cannot: the source is a
    service or AWS Internal, the identity an AWS service, or the call a console page's own, made
    with a console session's credentials) is not the principal's attempt. The user agent alone
    says nothing: the caller writes it."""
    console_agent = "aws-internal/3 aws-sdk-java/1.12.124 Linux/4.9.273 OpenJDK_64-Bit_Server_VM/25.312-b07"
    service = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    records = []
    for i in range(3):
        minutes = i / 60
        records += [
            denied(f"for-them-by-sqs-{i}", minutes, "a", sourceIPAddress="sqs.amazonaws.com"),
            denied(f"aws-internal-{i}", minutes, "a", sourceIPAddress="AWS Internal"),
            denied(f"aws-internal-numbered-{i}", minutes, "a", sourceIPAddress="AWS Internal/3"),
            denied(f"aws-service-{i}", minutes, userIdentity=service, sourceIPAddress="203.0.113.9"),
            denied(
                f"console-{i}", minutes, "b", userAgent=console_agent, sessionCredentialFromConsole="true"
            ),
            denied(
                f"console-page-{i}",
                minutes,
                "b",
                userAgent="AWS Internal",
                sessionCredentialFromConsole="true",
            ),
            # A console session's credentials used by a person's own client (CloudShell): counted.
            denied(f"cloudshell-{i}", minutes, "d", sessionCredentialFromConsole="true"),
            denied(f"cli-{i}", minutes, "c"),
            # The console's agent written by the caller, without a console session: counted.
            denied(f"agent-only-{i}", minutes, "e", userAgent=console_agent),
        ]
    assert flagged("access-denied-burst", records, min_errors=3) == {
        f"{kind}-{i}" for kind in ("cli", "cloudshell", "agent-only") for i in range(3)
    }


def test_access_denied_burst_is_not_hidden_by_a_user_agent(flagged):
    """Thirty denials in ten minutes are a burst, whatever the user agent says: a caller can name
    itself `aws-internal/3` (an SDK sets any user agent it is given)."""
    agent = "aws-internal/3 aws-sdk-java/1.12"
    probing = [denied(f"probe-{i}", i / 180, userAgent=agent) for i in range(30)]
    assert flagged("access-denied-burst", probing) == {f"probe-{i}" for i in range(30)}


def test_access_denied_burst_is_a_burst_in_time(flagged):
    """Ten denials in an hour are a burst; ten spread over days (a job lacking a permission, a
    person trying a call they may not make) are not, however long the sweep's window."""
    spread = [denied(f"day-{i}", i * 9) for i in range(10)]  # ten over four days
    assert flagged("access-denied-burst", spread) == set()
    hour = [denied(f"hour-{i}", i / 9) for i in range(10)]  # ten in exactly sixty minutes
    assert flagged("access-denied-burst", hour) == {f"hour-{i}" for i in range(10)}
    assert flagged("access-denied-burst", hour, window_minutes=59) == set()
    # The burst's calls are flagged, the same principal's stray denials days before are not.
    strays = [denied("stray-0", -50), denied("stray-1", -30)]
    assert flagged("access-denied-burst", strays + hour) == {f"hour-{i}" for i in range(10)}
    # One principal's burst: nine denials each of two principals are none.
    two = [denied(f"a-{i}", i / 60) for i in range(9)] + [denied(f"b-{i}", i / 60, "bob") for i in range(9)]
    assert flagged("access-denied-burst", two) == set()


def test_access_denied_slow_probing_is_found_over_a_day(found, flagged):
    """Probing paced under the hourly burst (one denial every seven minutes: nine an hour) is
    still many denials in a day: min_errors_per_day (50) within 24 hours is the second rule, and
    each finding says which rule flagged it."""
    slow = [denied(f"slow-{i}", i * 7 / 60) for i in range(205)]  # 205 in 23 h 48 min
    rows = found("access-denied-burst", slow)
    assert {r["eventid"] for r in rows} == {f"slow-{i}" for i in range(205)}
    assert {r["flagged_by"] for r in rows} == {"sustained"}
    assert flagged("access-denied-burst", slow, min_errors_per_day=206) == set()
    # A burst says so; a burst that ends a day of many denials is both.
    burst = [denied(f"burst-{i}", 30 + i / 60) for i in range(10)]
    assert {r["flagged_by"] for r in found("access-denied-burst", burst)} == {"burst"}
    mixed = {r["eventid"]: r["flagged_by"] for r in found("access-denied-burst", slow + burst)}
    assert mixed == {f"slow-{i}": "sustained" for i in range(205)} | {
        f"burst-{i}": "burst, sustained" for i in range(10)
    }
    # 50 within 24 hours, inclusive (as the burst's window is): the 50th at exactly 24 hours counts.
    day = [denied(f"d-{i}", i * 1763 / 3600) for i in range(49)]
    assert flagged("access-denied-burst", [*day, denied("last", 24)]) == {f"d-{i}" for i in range(49)} | {
        "last"
    }
    assert flagged("access-denied-burst", [*day, denied("late", 24 + 1 / 3600)]) == set()


# --- console-login-failures: bursts of failed console logins ----------------------------------

FIRST_LOGIN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def bursts(tmp_path: Path, catalog: Catalog):
    """The rows console-login-failures returns over the records (all time), as dicts."""

    calls = iter(range(1000))

    def run(records: list[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
        engine = LocalEngine(lay_out(records, tmp_path / f"archive-{next(calls)}"))
        try:
            result = engine.run(render(catalog.get("console-login-failures"), params, ALL))
        finally:
            engine.close()
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows]

    return run


def login(
    event_id: str, user: str, minute: float, *, ip: str = "203.0.113.7", ok: bool = False, **fields: Any
) -> dict[str, Any]:
    """A ConsoleLogin as CloudTrail writes it: a failure names the user but no ARN."""
    identity = {
        "type": "IAMUser",
        "principalId": f"AIDA{user.upper()}",
        "accountId": ACCOUNT,
        "userName": user,
    }
    if ok:
        identity["arn"] = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    when = FIRST_LOGIN + timedelta(minutes=minute)
    record = event(
        event_id,
        "ConsoleLogin",
        "signin.amazonaws.com",
        eventTime=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        eventType="AwsConsoleSignIn",
        sourceIPAddress=ip,
        userAgent="Mozilla/5.0 (X11; Linux x86_64)",
        userIdentity=identity,
        responseElements={"ConsoleLogin": "Success" if ok else "Failure"},
    )
    if not ok:
        record["errorMessage"] = "Failed authentication"
    return record | fields


def test_console_brute_force_against_one_user_from_many_addresses(bursts):
    failures = [login(f"f{i:02d}", "bob", i * 3, ip=f"198.51.100.{i}") for i in range(10)]
    success = login("in", "bob", 40, ip="198.51.100.3", ok=True)
    [row] = bursts([*failures, success])
    assert (row["grouped_by"], row["failures"], row["eventid"], row["eventname"]) == (
        "user",
        10,
        "f00",
        "ConsoleLogin",
    )
    # The failures name no ARN; the user's successful login does.
    assert row["principal"] == f"arn:aws:iam::{ACCOUNT}:user/bob" and row["users_targeted"] == "bob"
    addresses = ", ".join(sorted(f"198.51.100.{i}" for i in range(10)))
    assert row["sourceipaddress"] == row["source_ips"] == addresses
    assert (row["eventtime"], row["last_attempt"]) == ("2024-05-01T12:00:00Z", "2024-05-01T12:27:00Z")
    assert (row["success_followed"], row["first_success"]) == (True, "2024-05-01T12:40:00Z")
    assert (row["known_ip"], row["known_agent"]) == (False, False)
    assert row["user_agents"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert bursts(failures[:9] + [success]) == []  # nine: below the threshold


def test_console_password_spray_is_one_burst_of_the_address(bursts):
    users = ["ann", "ben", "cat", "dan", "eve"]
    records = [login(f"{u}-{i}", u, n * 2 + i, ip="192.0.2.9") for n, u in enumerate(users) for i in range(2)]
    [row] = bursts(records)  # two failures a user: no user's burst
    assert (row["grouped_by"], row["failures"], row["sourceipaddress"]) == ("source_ip", 10, "192.0.2.9")
    assert row["principal"] == row["users_targeted"] == "ann, ben, cat, dan, eve"
    assert row["success_followed"] is False and row["eventid"] == "ann-0"


def test_console_brute_force_window_is_sliding_and_inclusive(bursts):
    spread = [login(f"s{i}", "bob", i * 7) for i in range(10)]  # 63 minutes from first to last
    assert bursts(spread) == []
    assert [r["failures"] for r in bursts(spread, window_minutes=63)] == [10]
    exact = [login(f"e{i}", "bob", i * 60 / 9) for i in range(10)]  # exactly 60 minutes
    assert [r["failures"] for r in bursts(exact)] == [10]
    # A window that starts late still sees ten: the first two failures are hours earlier.
    late = [login("early-0", "bob", -300), login("early-1", "bob", -200)]
    late += [login(f"l{i}", "bob", 100 + i) for i in range(10)]
    [row] = bursts(late)
    assert (row["failures"], row["eventid"]) == (10, "l0")


def test_console_brute_force_bursts_apart_are_two(bursts):
    first = [login(f"a{i}", "bob", i) for i in range(10)]
    lone = [login("lone", "bob", 200)]  # more than an hour from both bursts: in neither
    second = [login(f"b{i}", "bob", 400 + i, ip="203.0.113.8") for i in range(12)]
    found = bursts(first + lone + second)
    assert [(r["eventid"], r["failures"], r["sourceipaddress"]) for r in found] == [
        ("b0", 12, "203.0.113.8"),
        ("a0", 10, "203.0.113.7"),
    ]


def test_console_brute_force_counts_failures_as_cloudtrail_writes_them(bursts):
    failures = [login(f"f{i}", "bob", i) for i in range(9)]
    no_outcome = login("no-outcome", "bob", 10, responseElements=None)  # errorMessage only
    assert [r["failures"] for r in bursts([*failures, no_outcome])] == [10]
    spaced = login("spaced", "bob", 10, eventTime="2024-05-01 12:10:00.000000000")  # read as UTC
    assert [r["failures"] for r in bursts([*failures, spaced])] == [10]
    for unplaced in ("redacted", "2024-05-01", "2024-05-01T12:10:00+02:00"):
        timeless = login("timeless", "bob", 10, eventTime=unplaced)
        assert bursts([*failures, timeless]) == [], unplaced  # cannot be placed in time: not counted
    success = login("ok", "bob", 10, ok=True)
    assert bursts([*failures, success]) == []  # a success is not a failure
    other_event = event(
        "mfa", "CheckMfa", "signin.amazonaws.com", errorMessage="Failed", eventTime=failures[0]["eventTime"]
    )
    assert bursts([*failures, other_event]) == []


def test_console_brute_force_on_real_failed_logins(bursts):
    """Real records: AWS's documented failed login of an IAM user (no ARN), repeated, and the
    compromised-root-credentials scenario of Panther's tests (three failures, then a success)."""
    documented = read_jsonl(CORPORA / "aws-docs-examples" / "events.jsonl")
    failure = next(
        r
        for r in documented
        if r.get("errorMessage") == "Failed authentication" and r["userIdentity"]["type"] == "IAMUser"
    )
    success = documented[0]  # anaya's successful login, with her ARN, from the same address
    assert "arn" not in failure["userIdentity"] and success["responseElements"] == {"ConsoleLogin": "Success"}
    start = datetime.strptime(success["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    repeated = [
        failure
        | {
            "eventID": f"doc-{i}",
            "eventTime": (start + timedelta(minutes=1 + i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for i in range(10)
    ]
    [row] = bursts([success, *repeated])
    assert (row["principal"], row["sourceipaddress"], row["failures"]) == (
        "arn:aws:iam::111122223333:user/anaya",
        "192.0.2.0",
        10,
    )
    assert (row["success_followed"], row["known_ip"]) == (False, True)  # she logs in from there

    scenario = CORPORA / "panther-rule-tests" / "scenarios"
    records = []
    for name in ("compromised-root-creds.attacker_cloudtrail", "compromised-root-creds.victim_cloudtrail"):
        records += [
            r | {"eventID": f"{name}-{i}"} for i, r in enumerate(read_jsonl(scenario / f"{name}.jsonl"))
        ]
    assert bursts(records) == []  # three failures over fifteen hours: not a burst by default
    [row] = bursts(records, min_failures=3, window_minutes=24 * 60)
    assert (row["grouped_by"], row["principal"], row["sourceipaddress"], row["failures"]) == (
        "user",
        "arn:aws:iam::493859302102:root",
        "92.55.146.245",
        3,
    )
    assert (row["eventtime"], row["last_attempt"]) == ("2020-10-30T23:25:32Z", "2020-10-31T14:45:00Z")
    assert (row["success_followed"], row["first_success"]) == (True, "2020-11-01T08:29:10Z")
    assert row["known_ip"] is False  # the owner logs in from another address


def lambda_change(
    event_id: str, day: int, name: str = "UpdateFunctionCode20150331v2", **fields: Any
) -> dict[str, Any]:
    """A change to the thumbnailer function from alice's usual address, `day` days after 2024-05-01."""
    when = datetime(2024, 5, 1, 10, 0, tzinfo=UTC) + timedelta(days=day)
    fields.setdefault("requestParameters", {"functionName": "thumbnailer", "publish": True})
    return event(
        event_id, name, "lambda.amazonaws.com", eventTime=when.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields
    )


def ci_session(run: int) -> dict[str, Any]:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/run-{run}",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "userName": "ci-deploy"}},
    }


def test_lambda_change_is_judged_by_what_came_before_it(flagged):
    """An intruder adding a foreign layer from one address on four days (or forty) is listed: the
    baseline of a change is the days before it, so the first changes of a new pattern are listed
    whatever follows them, and a wider window cannot hide them."""
    layer = {
        "functionName": "billing",
        "layers": ["arn:aws:lambda:us-east-1:999988887777:layer:helper:1"],
    }

    def intrusion(days: int) -> list[dict[str, Any]]:
        return [
            lambda_change(
                f"layer-{d}",
                d,
                "UpdateFunctionConfiguration20150331v2",
                requestParameters=layer,
                sourceIPAddress="198.51.100.200",
            )
            for d in range(days)
        ]

    first_four = {f"layer-{d}" for d in range(4)}  # on 0, 1, 2 and 3 earlier days: not yet routine
    assert flagged("lambda-code-or-access-changed", intrusion(4)) == first_four
    assert flagged("lambda-code-or-access-changed", intrusion(40)) == first_four
    # Two changes on a first day: neither has a day before it.
    twice = [lambda_change("first", 0), lambda_change("again", 0)]
    assert flagged("lambda-code-or-access-changed", twice) == {"first", "again"}


def test_lambda_changes_leave_out_routine_deployments(flagged):
    """A deployment is routine once the same principal, function, kind of change and address
    recur on more than routine_days earlier days; what differs from it is listed."""
    history = [lambda_change(f"deploy-{d}", d) for d in range(6)]
    establishing = {f"deploy-{d}" for d in range(4)}  # days 4 and 5 have 4 and 5 days before them
    assert flagged("lambda-code-or-access-changed", history) == establishing
    every = {f"deploy-{d}" for d in range(6)}
    assert flagged("lambda-code-or-access-changed", history, routine_days=0) == every
    assert flagged("lambda-code-or-access-changed", history, routine_days=5) == every
    assert flagged("lambda-code-or-access-changed", history, routine_days=1) == {"deploy-0", "deploy-1"}
    # The same deploy on a day after the habit is routine; what differs from it is listed.
    routine = lambda_change("routine", 6)
    unusual = [
        lambda_change("new-address", 6, sourceIPAddress="198.51.100.200"),
        lambda_change("other-function", 6, requestParameters={"functionName": "billing"}),
        lambda_change("other-user", 6, userIdentity=ALICE | {"arn": f"arn:aws:iam::{ACCOUNT}:user/mallory"}),
        lambda_change("configuration", 6, "UpdateFunctionConfiguration20150331v2"),
        lambda_change("permission", 6, "AddPermission20150331v2"),
        lambda_change("other-region", 6, awsRegion="eu-west-1"),
        lambda_change("failed", 6, errorCode="AccessDeniedException"),
    ]
    assert flagged("lambda-code-or-access-changed", [*history, routine, *unusual]) == establishing | {
        r["eventID"] for r in unusual
    }
    # A role's sessions are one principal, whatever each run calls its session.
    pipeline = [lambda_change(f"ci-{d}", d, userIdentity=ci_session(d)) for d in range(6)]
    assert flagged("lambda-code-or-access-changed", pipeline) == {f"ci-{d}" for d in range(4)}
    # Only successful changes make a habit: failed ones neither count nor are left out.
    failing = [lambda_change(f"denied-{d}", d, errorCode="AccessDeniedException") for d in range(6)]
    assert flagged("lambda-code-or-access-changed", failing) == {f"denied-{d}" for d in range(6)}
    assert flagged("lambda-code-or-access-changed", [*failing, lambda_change("ok", 6)]) == {
        *(f"denied-{d}" for d in range(6)),
        "ok",
    }


def test_lambda_changes_say_how_many_days_came_before(found):
    history = [lambda_change(f"deploy-{d}", d) for d in range(3)] + [lambda_change("deploy-2b", 2)]
    rows = found("lambda-code-or-access-changed", history)
    assert {r["eventid"]: r["days_before"] for r in rows} == {
        "deploy-0": 0,
        "deploy-1": 1,
        "deploy-2": 2,
        "deploy-2b": 2,
    }
