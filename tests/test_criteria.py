"""Criteria semantics on a small hand-made archive: OR within a flag, AND across flags, case, CIDR."""

from __future__ import annotations

import pytest
from conftest import lay_out

from toolkit.core import search, window
from toolkit.core.criteria import Criteria
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError

ALL = window.parse(all_time=True)


def rec(event_id, name="DescribeInstances", **extra):
    record = {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "userName": "alice",
            "accountId": "111122223333",
            "accessKeyId": "AKIAALICE",
        },
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11",
        "eventID": event_id,
        "readOnly": True,
        "recipientAccountId": "111122223333",
    }
    record.update(extra)
    return record


ROLE = {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLE:deploy-session",
    "arn": "arn:aws:sts::111122223333:assumed-role/ci-deploy/deploy-session",
    "accountId": "111122223333",
    "accessKeyId": "ASIAROLE",
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "userName": "ci-deploy",
            "arn": "arn:aws:iam::111122223333:role/ci-deploy",
        }
    },
}

RECORDS = [
    rec("e1"),
    rec(
        "e2",
        "CreateUser",
        eventSource="iam.amazonaws.com",
        readOnly=False,
        requestParameters={"userName": "mallory"},
        sourceIPAddress="203.0.113.9",
    ),
    rec(
        "e3",
        "AuthorizeSecurityGroupIngress",
        readOnly=False,
        userIdentity=ROLE,
        requestParameters={"groupId": "sg-0123", "ipPermissions": {"items": []}},
        sourceIPAddress="203.0.113.200",
        userAgent="Terraform/1.7.5",
    ),
    rec(
        "e4",
        "GetObject",
        eventSource="s3.amazonaws.com",
        userIdentity=ROLE,
        errorCode="AccessDenied",
        resources=[
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::bucket-a/secret.txt"},
            {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::bucket-a", "accountId": "111122223333"},
        ],
        sourceIPAddress="10.1.2.3",
    ),
    rec(
        "e5",
        "ConsoleLogin",
        eventSource="signin.amazonaws.com",
        awsRegion="us-east-1",
        sourceIPAddress="2001:db8::1",
    ),
    rec(
        "e6",
        "DescribeInstances",
        awsRegion="eu-west-1",
        sourceIPAddress="ec2.amazonaws.com",
        recipientAccountId="444455556666",
    ),
    rec(
        "e7",
        "RunInstances",
        readOnly=False,
        errorCode="Client.UnauthorizedOperation",
        sourceIPAddress="203.000.113.010",
    ),  # leading zeros, as anonymizers write them
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = lay_out(RECORDS, tmp_path_factory.mktemp("criteria"), per_file=2)
    with_engine = LocalEngine(root)
    yield with_engine
    with_engine.close()


def ids(engine, **criteria):
    result = engine.run(search.build(Criteria(**criteria), ALL, ["eventid"]))
    return sorted(r[0] for r in result.rows)


def test_no_criteria_returns_everything(engine):
    assert ids(engine) == ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]


def test_values_of_one_flag_are_ored_and_flags_are_anded(engine):
    assert ids(engine, event_name=["CreateUser", "GetObject"]) == ["e2", "e4"]
    assert ids(engine, event_name=["CreateUser", "GetObject"], user=["ci-deploy"]) == ["e4"]


def test_matching_ignores_case(engine):
    assert ids(engine, event_name=["createuser"]) == ["e2"]
    assert ids(engine, user=["ALICE"]) == ["e1", "e2", "e5", "e6", "e7"]


def test_user_matches_name_session_role_arn_and_principal(engine):
    assert ids(engine, user=["deploy-session"]) == ["e3", "e4"]
    assert ids(engine, user=["arn:aws:sts::111122223333:assumed-role/ci-deploy/deploy-session"]) == [
        "e3",
        "e4",
    ]
    assert ids(engine, user=["AROAEXAMPLE:deploy-session"]) == ["e3", "e4"]
    assert ids(engine, user=["nobody"]) == []


def test_resource_name_matches_arn_last_segment_and_parameters(engine):
    assert ids(engine, resource_name=["arn:aws:s3:::bucket-a"]) == ["e4"]
    assert ids(engine, resource_name=["bucket-a"]) == ["e4"]
    assert ids(engine, resource_name=["secret.txt"]) == ["e4"]
    assert ids(engine, resource_name=["sg-0123"]) == ["e3"]
    assert ids(engine, resource_name=["mallory"]) == ["e2"]
    assert ids(engine, resource_name=["sg-01"]) == []  # whole values only


def test_resource_type_and_access_key(engine):
    assert ids(engine, resource_type=["AWS::S3::Bucket"]) == ["e4"]
    assert ids(engine, access_key_id=["asiarole"]) == ["e3", "e4"]


def test_source_ip_addresses_and_cidr_ranges(engine):
    assert ids(engine, source_ip=["203.0.113.9"]) == ["e2"]
    assert ids(engine, source_ip=["203.0.113.0/24"]) == ["e2", "e3", "e7"]
    assert ids(engine, source_ip=["203.0.113.0/25"]) == ["e2", "e7"]
    assert ids(engine, source_ip=["10.0.0.0/8", "2001:db8::1"]) == ["e4", "e5"]
    assert ids(engine, source_ip=["203.0.113.10"]) == ["e7"]  # one address, written zero-padded


def test_a_source_ip_matches_dotted_quads_only_never_octets_past_255(tmp_path):
    written = {
        "canonical": "10.0.1.25",
        "padded": "010.000.001.025",
        "octet-past-255": "10.0.0.281",  # 10*2^24 + 281 is 10.0.1.25's number: not an address
        "four-digit-octet": "10.0.1.0025",
        "service": "ec2.amazonaws.com",
        "blank": "",
        "trailing-newline": "10.0.1.25\n",  # Trino's `$` matches before it: anchored with \z
        "v6": "2001:db8::1",
        "v6-upper-long": "2001:DB8:0:0::1",
        "v6-zeros": "2001:0db8:0000::0001",
        "v6-other": "2001:db8::2",
        "v6-zone": "2001:db8::1%eth0",  # one such record made every local IPv6 search an error
    }
    root = lay_out([rec(k, sourceIPAddress=v) for k, v in written.items()], tmp_path, per_file=3)
    engine = LocalEngine(root)
    try:
        assert ids(engine, source_ip=["10.0.1.25"]) == ["canonical", "padded"]
        assert ids(engine, source_ip=["010.000.001.025"]) == ["canonical", "padded"]  # typed padded
        assert ids(engine, source_ip=["::ffff:10.0.1.25"]) == ["canonical", "padded"]  # IPv4-mapped
        assert ids(engine, source_ip=["10.0.1.0/24"]) == ["canonical", "padded"]
        assert ids(engine, source_ip=["10.0.0.0/16"]) == ["canonical", "padded"]
        v6 = ["v6", "v6-upper-long", "v6-zeros", "v6-zone"]  # one address, however it is spelled
        assert ids(engine, source_ip=["2001:db8::1"]) == ids(engine, source_ip=["2001:DB8::0:1"]) == v6
    finally:
        engine.close()
    with pytest.raises(UsageError, match="did you mean 10.0.1.0/24"):
        Criteria(source_ip=["10.0.1.25/24"])  # host bits set: refused, as suppressions refuse it


def test_user_agent_substring_read_write_and_errors(engine):
    assert ids(engine, user_agent=["terraform"]) == ["e3"]
    assert ids(engine, read_only=True) == ["e1", "e4", "e5", "e6"]
    assert ids(engine, write_only=True) == ["e2", "e3", "e7"]
    assert ids(engine, errors_only=True) == ["e4", "e7"]
    assert ids(engine, error_code=["accessdenied"]) == ["e4"]


def test_region_and_account_prune_files(engine):
    result = engine.run(search.build(Criteria(region=["eu-west-1"]), ALL, ["eventid"]))
    assert [r[0] for r in result.rows] == ["e6"]
    assert result.report.files_selected < result.report.files_total
    assert ids(engine, account=["444455556666"]) == ["e6"]
    assert ids(engine, identity_type=["assumedrole"]) == ["e3", "e4"]
    assert ids(engine, event_source=["s3"]) == ["e4"]
    assert ids(engine, event_id=["E5"]) == ["e5"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"source_ip": ["300.1.1.1"]},
        {"source_ip": ["2001:db8::/32"]},
        {"user": [" "]},
        {"read_only": True, "write_only": True},
    ],
)
def test_bad_criteria_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        Criteria(**kwargs)


def test_errors_only_counts_a_failed_console_login_which_has_no_error_code(tmp_path):
    """CloudTrail writes a failed console login with no errorCode (errorMessage "Failed
    authentication", responseElements {"ConsoleLogin": "Failure"}): `--errors-only` found none."""
    login = {"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "readOnly": False}
    records = [
        rec(
            "failed",
            **login,
            errorMessage="Failed authentication",
            responseElements={"ConsoleLogin": "Failure"},
        ),
        rec("worked", **login, responseElements={"ConsoleLogin": "Success"}),
        rec("denied", errorCode="AccessDenied"),
        rec("fine"),
    ]
    engine = LocalEngine(lay_out(records, tmp_path, per_file=2))
    try:
        assert ids(engine, errors_only=True) == ["denied", "failed"]
    finally:
        engine.close()
