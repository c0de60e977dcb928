"""The incidents planted in the sample archive, and their answer key.

`plant(end_day, seed)` returns the planted records (with the account and region whose logs hold
them) and an `AnswerKey` built from those same records: tests and the demo assert against it.
Times are relative to the archive's last day, so the story is always recent except the IAM user
created 100 days ago - beyond the console's 90-day event history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from toolkit.sample import actors as a
from toolkit.sample.events import api_call, console_login

ATTACKER_IP = "203.0.113.45"
SECOND_ATTACKER_IP = "203.0.113.99"
ATTACKER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"
ROGUE_IP = "192.0.2.77"
BRUTE_FORCE_FAILURES = 40
SECURITY_GROUP = "sg-0a1b2c3d4e5f67890"
EIP_ALLOCATION = "eipalloc-0f1e2d3c4b5a69788"
EIP_ADDRESS = "198.51.100.250"
APP_POLICY = f"arn:aws:iam::{a.PROD}:policy/AppAssetsRead"
ROUTE_TABLE = "rtb-0c1d2e3f4a5b6c7d8"


@dataclass(frozen=True)
class Planted:
    account: str
    region: str
    record: dict[str, Any]


@dataclass(frozen=True)
class AnswerKey:
    """What the investigations must find in the sample archive."""

    # brute force of failed console logins against one user, then a success
    brute_force_ip: str
    brute_force_user: str
    brute_force_failures: int
    brute_force_failure_ids: tuple[str, ...]
    brute_force_first: str
    brute_force_last: str
    brute_force_success_id: str
    brute_force_success_time: str
    second_ip_failures: int
    # IAM user created by an unexpected principal, 100 days ago
    rogue_user: str
    rogue_user_event_id: str
    rogue_user_time: str
    rogue_user_creator_arn: str
    rogue_user_creator_ip: str
    expected_user_creations: tuple[str, ...]
    # Elastic IP allocated and associated by the compromised user
    eip_allocation_id: str
    eip_address: str
    eip_allocate_event_id: str
    eip_associate_event_id: str
    # changes on the application's security group, instance and role before it broke
    outage_time: str
    security_group_id: str
    instance_id: str
    role_name: str
    change_event_ids: tuple[str, ...]  # in time order
    change_event_names: tuple[str, ...]
    route_table_id: str
    route_change_event_id: str  # the same pipeline run also re-routes the app's subnet


def _at(day: date, hh: int, mm: int, ss: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


def plant(end_day: date, seed: int) -> tuple[list[Planted], AnswerKey]:
    rng = random.Random(f"trailcsi-sample:{seed}:incidents")
    planted: list[Planted] = []

    def put(record: dict[str, Any], account: str = a.PROD, region: str = "us-east-1") -> dict[str, Any]:
        planted.append(Planted(account, region, record))
        return record

    # 1. 100 days ago: carol, from an address she never used, creates an admin user with a key.
    day = end_day - timedelta(days=100)
    rogue = a.user(a.PROD, "carol", ROGUE_IP, a.CLI, a.CAROL.principal_suffix, a.CAROL.access_key)
    created = put(
        api_call(
            rng,
            rogue,
            _at(day, 2, 13, 7),
            "us-east-1",
            "iam.amazonaws.com",
            "CreateUser",
            read_only=False,
            params={"userName": "svc-backup"},
            response={
                "user": {
                    "path": "/",
                    "userName": "svc-backup",
                    "userId": "AIDAQY2H7KEXAMPLESVCB",
                    "arn": f"arn:aws:iam::{a.PROD}:user/svc-backup",
                    "createDate": "Jan 1, 2024, 2:13:07 AM",
                }
            },
        )
    )
    put(
        api_call(
            rng,
            rogue,
            _at(day, 2, 13, 41),
            "us-east-1",
            "iam.amazonaws.com",
            "CreateAccessKey",
            read_only=False,
            params={"userName": "svc-backup"},
            response={
                "accessKey": {
                    "userName": "svc-backup",
                    "accessKeyId": "AKIAQY2H7KEXAMPLESVC1",
                    "status": "Active",
                }
            },
        )
    )
    put(
        api_call(
            rng,
            rogue,
            _at(day, 2, 14, 10),
            "us-east-1",
            "iam.amazonaws.com",
            "AttachUserPolicy",
            read_only=False,
            params={"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        )
    )
    expected = []
    for back, name in ((60, "dave"), (20, "erin")):
        when = _at(end_day - timedelta(days=back), 10, 2, 30)
        put(
            api_call(
                rng,
                a.BOB,
                when,
                "us-east-1",
                "iam.amazonaws.com",
                "CreateUser",
                read_only=False,
                params={"userName": name},
                response={
                    "user": {"path": "/", "userName": name, "arn": f"arn:aws:iam::{a.PROD}:user/{name}"}
                },
            )
        )
        expected.append(name)

    # 2. Two days ago: 40 failed console logins against alice from one address, then a success.
    day = end_day - timedelta(days=2)
    moment = _at(day, 3, 0, 4)
    failures = []
    for _ in range(BRUTE_FORCE_FAILURES):
        failures.append(
            put(
                console_login(
                    rng, a.ALICE, moment, success=False, mfa=False, ip=ATTACKER_IP, agent=ATTACKER_AGENT
                )
            )
        )
        moment += timedelta(seconds=15 + rng.randrange(8))
    success_time = moment + timedelta(seconds=30)
    success = put(
        console_login(
            rng, a.ALICE, success_time, success=True, mfa=False, ip=ATTACKER_IP, agent=ATTACKER_AGENT
        )
    )
    for index in range(3):
        put(
            console_login(
                rng,
                a.BOB,
                _at(day, 3, 20, 5 + index * 17),
                success=False,
                mfa=False,
                ip=SECOND_ATTACKER_IP,
                agent=ATTACKER_AGENT,
            )
        )

    # 3. Right after: the intruder, in alice's console session, takes an Elastic IP.
    after = success_time + timedelta(minutes=7)
    allocate = put(
        api_call(
            rng,
            a.ALICE,
            after,
            "us-east-1",
            "ec2.amazonaws.com",
            "AllocateAddress",
            read_only=False,
            params={"domain": "vpc"},
            response={
                "publicIp": EIP_ADDRESS,
                "domain": "vpc",
                "allocationId": EIP_ALLOCATION,
                "networkBorderGroup": "us-east-1",
            },
            ip=ATTACKER_IP,
            agent=ATTACKER_AGENT,
            console=True,
        )
    )
    associate = put(
        api_call(
            rng,
            a.ALICE,
            after + timedelta(seconds=48),
            "us-east-1",
            "ec2.amazonaws.com",
            "AssociateAddress",
            read_only=False,
            params={"allocationId": EIP_ALLOCATION, "instanceId": a.APP_INSTANCE},
            response={"associationId": "eipassoc-0123456789abcdef0", "_return": True},
            ip=ATTACKER_IP,
            agent=ATTACKER_AGENT,
            console=True,
        )
    )

    # 4. Yesterday: a pipeline run changes the app's security group, instance and role; at 14:00 it breaks.
    day = end_day - timedelta(days=1)
    ci = a.role(
        a.PROD,
        "ci-deploy",
        "terraform-apply-4821",
        "192.0.2.10",
        a.TERRAFORM,
        "QY2H7KEXAMPLECIDEP1",
        "ASIAQY2H7KEXAMPLECI1",
    )
    sg_resource = {
        "items": [
            {
                "ipProtocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
            }
        ]
    }
    changes = [
        api_call(
            rng,
            ci,
            _at(day, 13, 20, 5),
            "us-east-1",
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            read_only=False,
            params={"groupId": SECURITY_GROUP, "ipPermissions": sg_resource},
            response={
                "_return": True,
                "securityGroupRuleSet": {
                    "items": [{"groupId": SECURITY_GROUP, "securityGroupRuleId": "sgr-0aa11bb22cc33dd44"}]
                },
            },
        ),
        api_call(
            rng,
            ci,
            _at(day, 13, 31, 40),
            "us-east-1",
            "ec2.amazonaws.com",
            "ModifyInstanceAttribute",
            read_only=False,
            params={"instanceId": a.APP_INSTANCE, "userData": "<sensitiveDataRemoved>"},
            response={"_return": True},
        ),
        api_call(
            rng,
            ci,
            _at(day, 13, 42, 18),
            "us-east-1",
            "iam.amazonaws.com",
            "DetachRolePolicy",
            read_only=False,
            params={"roleName": "app-web-role", "policyArn": APP_POLICY},
        ),
        api_call(
            rng,
            ci,
            _at(day, 13, 44, 50),
            "us-east-1",
            "ec2.amazonaws.com",
            "RevokeSecurityGroupIngress",
            read_only=False,
            params={
                "groupId": SECURITY_GROUP,
                "ipPermissions": {
                    "items": [
                        {
                            "ipProtocol": "tcp",
                            "fromPort": 443,
                            "toPort": 443,
                            "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                        }
                    ]
                },
            },
            response={"_return": True},
        ),
    ]
    for change in changes:
        put(change)
    route = put(
        api_call(
            rng,
            ci,
            _at(day, 13, 38, 2),
            "us-east-1",
            "ec2.amazonaws.com",
            "ReplaceRoute",
            read_only=False,
            params={
                "routeTableId": ROUTE_TABLE,
                "destinationCidrBlock": "0.0.0.0/0",
                "natGatewayId": "nat-0f9e8d7c6b5a43210",
            },
            response={"_return": True},
        )
    )
    # The symptom: from then on the application is denied its assets.
    for minute in range(46, 60, 3):
        denied = api_call(
            rng,
            a.APP_ROLE,
            _at(day, 13, minute, 12),
            "us-east-1",
            "s3.amazonaws.com",
            "GetObject",
            read_only=True,
            category="Data",
            params={"bucketName": "app-assets-prod", "key": "index.html"},
            error=("AccessDenied", "Access Denied"),
            resources=[
                {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-assets-prod/index.html"},
                {"accountId": a.PROD, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::app-assets-prod"},
            ],
        )
        put(denied)

    key = AnswerKey(
        brute_force_ip=ATTACKER_IP,
        brute_force_user="alice",
        brute_force_failures=BRUTE_FORCE_FAILURES,
        brute_force_failure_ids=tuple(r["eventID"] for r in failures),
        brute_force_first=failures[0]["eventTime"],
        brute_force_last=failures[-1]["eventTime"],
        brute_force_success_id=success["eventID"],
        brute_force_success_time=success["eventTime"],
        second_ip_failures=3,
        rogue_user="svc-backup",
        rogue_user_event_id=created["eventID"],
        rogue_user_time=created["eventTime"],
        rogue_user_creator_arn=created["userIdentity"]["arn"],
        rogue_user_creator_ip=ROGUE_IP,
        expected_user_creations=tuple(expected),
        eip_allocation_id=EIP_ALLOCATION,
        eip_address=EIP_ADDRESS,
        eip_allocate_event_id=allocate["eventID"],
        eip_associate_event_id=associate["eventID"],
        outage_time=f"{day.isoformat()}T14:00:00Z",
        security_group_id=SECURITY_GROUP,
        instance_id=a.APP_INSTANCE,
        role_name="app-web-role",
        change_event_ids=tuple(c["eventID"] for c in changes),
        change_event_names=tuple(c["eventName"] for c in changes),
        route_table_id=ROUTE_TABLE,
        route_change_event_id=route["eventID"],
    )
    return planted, key


def answer_key(end_day: date, seed: int) -> AnswerKey:
    return plant(end_day, seed)[1]
