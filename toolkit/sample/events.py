"""Build CloudTrail records as CloudTrail writes them (camelCase keys, its field order and shapes),
and the background activity of one account, region and day.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from toolkit.core.window import stamp
from toolkit.sample import actors as a
from toolkit.sample.actors import Actor


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def api_call(
    rng: random.Random,
    actor: Actor,
    when: datetime,
    region: str,
    source: str,
    name: str,
    *,
    read_only: bool | None,
    params: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    resources: list[dict[str, str]] | None = None,
    error: tuple[str, str] | None = None,
    additional: dict[str, Any] | None = None,
    category: str = "Management",
    event_type: str = "AwsApiCall",
    ip: str | None = None,
    agent: str | None = None,
    console: bool = False,
    mfa: bool = False,
) -> dict[str, Any]:
    """One record; `actor.account` is the account the event is recorded in."""
    service = source.split(".")[0]
    record: dict[str, Any] = {
        "eventVersion": "1.09" if category == "Data" else "1.10",
        "userIdentity": actor.identity(when, mfa=mfa, console=console),
        "eventTime": stamp(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip or actor.ip,
        "userAgent": agent or actor.user_agent.format(command=_cli_command(service, name)),
    }
    if error:
        record["errorCode"], record["errorMessage"] = error
    record["requestParameters"] = params
    record["responseElements"] = None if error else response
    if additional is not None:
        record["additionalEventData"] = additional
    record["requestID"] = new_id(rng) if service != "s3" else f"{rng.getrandbits(64):016X}"
    record["eventID"] = new_id(rng)
    if read_only is not None:
        record["readOnly"] = read_only
    if resources:
        record["resources"] = resources
    record["eventType"] = event_type
    if event_type == "AwsApiCall" and category == "Management":
        record["managementEvent"] = True
    elif category == "Data":
        record["managementEvent"] = False
    record["recipientAccountId"] = actor.account
    record["eventCategory"] = category
    if actor.kind != "AWSService":
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com"
            if service not in ("iam", "signin")
            else f"{service}.amazonaws.com",
        }
        if console:
            record["sessionCredentialFromConsole"] = "true"
    return record


def _cli_command(service: str, name: str) -> str:
    words = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    return f"{service}.{words}"


def console_login(
    rng: random.Random,
    actor: Actor,
    when: datetime,
    *,
    success: bool,
    mfa: bool,
    ip: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """A ConsoleLogin sign-in event; CloudTrail records it in us-east-1 for IAM users."""
    identity: dict[str, Any] = {
        "type": "IAMUser",
        "principalId": f"AIDA{actor.principal_suffix}",
        "arn": actor.arn,
        "accountId": actor.account,
        "userName": actor.name,
    }
    if not success:
        identity["accessKeyId"] = ""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": stamp(when),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip or actor.ip,
        "userAgent": agent or actor.user_agent,
    }
    if not success:
        record["errorMessage"] = "Failed authentication"
    record["requestParameters"] = None
    record["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    record["additionalEventData"] = {
        "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1",
        "MobileVersion": "No",
        "MFAIdentifier": f"arn:aws:iam::{actor.account}:mfa/{actor.name}" if mfa else None,
        "MFAUsed": "Yes" if mfa else "No",
    }
    if not mfa:
        del record["additionalEventData"]["MFAIdentifier"]
    record["eventID"] = new_id(rng)
    record["readOnly"] = False
    record["eventType"] = "AwsConsoleSignIn"
    record["managementEvent"] = True
    record["recipientAccountId"] = actor.account
    record["eventCategory"] = "Management"
    record["tlsDetails"] = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": "signin.aws.amazon.com",
    }
    return record


def s3_object(
    rng: random.Random, actor: Actor, when: datetime, region: str, name: str, bucket: str, key: str, size: int
) -> dict[str, Any]:
    read = name == "GetObject"
    return api_call(
        rng,
        actor,
        when,
        region,
        "s3.amazonaws.com",
        name,
        read_only=read,
        category="Data",
        params={"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "key": key},
        response=None if read else {"x-amz-server-side-encryption": "aws:kms"},
        additional={
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0 if read else size,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": f"{rng.getrandbits(160):040x}",
            "bytesTransferredOut": size if read else 0,
        },
        resources=[
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": actor.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
    )


def _work_time(rng: random.Random, day: date, start_hour: int = 0, end_hour: int = 24) -> datetime:
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def background(
    rng: random.Random, account: str, region: str, day: date, volume: float
) -> list[dict[str, Any]]:
    """Ordinary activity: services, applications, people at work, a few errors."""
    records: list[dict[str, Any]] = []
    global_region = region == "us-east-1"
    if account == a.PROD:
        _prod(rng, region, day, volume, records, global_region)
    elif account == a.DEV:
        _dev(rng, region, day, volume, records)
    else:
        _security(rng, region, day, volume, records)
    _services(rng, account, region, day, volume, records)
    return records


def _count(rng: random.Random, mean: float) -> int:
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def _prod(
    rng: random.Random, region: str, day: date, volume: float, out: list[dict[str, Any]], home: bool
) -> None:
    bucket = "app-assets-prod" if home else "app-assets-prod-eu"
    for _ in range(_count(rng, (24 if home else 10) * volume)):
        when = _work_time(rng, day)
        name = "GetObject" if rng.random() < 0.8 else "PutObject"
        key = f"images/{rng.randrange(10**6):06d}.webp"
        out.append(s3_object(rng, a.APP_ROLE, when, region, name, bucket, key, rng.randrange(2_000, 900_000)))
    for _ in range(_count(rng, 6 * volume)):
        when = _work_time(rng, day)
        out.append(
            api_call(
                rng,
                a.APP_ROLE,
                when,
                region,
                "ssm.amazonaws.com",
                "GetParameter",
                read_only=True,
                params={"name": "/app/web/db-password", "withDecryption": True},
            )
        )
        out.append(
            api_call(
                rng,
                a.APP_ROLE,
                when + timedelta(seconds=1),
                region,
                "kms.amazonaws.com",
                "Decrypt",
                read_only=True,
                params={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                resources=[
                    {
                        "accountId": a.PROD,
                        "type": "AWS::KMS::Key",
                        "ARN": f"arn:aws:kms:{region}:{a.PROD}:key/3f2b9c1e-8a7d-4e2f-9b1c-0d4e5f6a7b8c",
                    }
                ],
            )
        )
    weekday = day.weekday() < 5
    if weekday and home:
        login = _work_time(rng, day, 8, 9)
        out.append(console_login(rng, a.ALICE, login, success=True, mfa=True))
        for index in range(_count(rng, 5 * volume)):
            when = login + timedelta(minutes=2 + index * 7 + rng.randrange(5))
            name = rng.choice(
                ["DescribeInstances", "DescribeSecurityGroups", "DescribeVpcs", "DescribeAddresses"]
            )
            out.append(
                api_call(
                    rng,
                    a.ALICE,
                    when,
                    region,
                    "ec2.amazonaws.com",
                    name,
                    read_only=True,
                    params={"maxResults": 1000},
                    console=True,
                    mfa=True,
                    agent="AWS Internal",
                )
            )
        if rng.random() < 0.4:
            when = _work_time(rng, day, 9, 18)
            if rng.random() < 0.15:  # a typo first, then the right password
                out.append(console_login(rng, a.CAROL, when, success=False, mfa=False))
                when += timedelta(seconds=20 + rng.randrange(30))
            out.append(console_login(rng, a.CAROL, when, success=True, mfa=True))
        for _ in range(_count(rng, 3 * volume)):
            when = _work_time(rng, day, 9, 18)
            name = rng.choice(["ListUsers", "GetUser", "ListRoles", "GetAccountSummary"])
            out.append(
                api_call(rng, a.BOB, when, region, "iam.amazonaws.com", name, read_only=True, params=None)
            )
        if rng.random() < 0.3:
            when = _work_time(rng, day, 9, 18)
            out.append(
                api_call(
                    rng,
                    a.CAROL,
                    when,
                    region,
                    "iam.amazonaws.com",
                    "ListAccessKeys",
                    read_only=True,
                    params={"userName": "bob"},
                    error=(
                        "AccessDenied",
                        f"User: {a.CAROL.arn} is not authorized to perform: "
                        "iam:ListAccessKeys on resource: user bob because no identity-based policy "
                        "allows the iam:ListAccessKeys action",
                    ),
                )
            )
    if weekday and rng.random() < 0.6:
        ci = a.ci_session(a.PROD, rng)
        when = _work_time(rng, day, 10, 17)
        for offset, name in enumerate(
            ["DescribeInstances", "DescribeSecurityGroups", "DescribeVpcs", "DescribeSubnets"]
        ):
            out.append(
                api_call(
                    rng,
                    ci,
                    when + timedelta(seconds=offset * 3),
                    region,
                    "ec2.amazonaws.com",
                    name,
                    read_only=True,
                    params={"filterSet": {}},
                )
            )
        out.append(
            api_call(
                rng,
                ci,
                when + timedelta(seconds=15),
                region,
                "ec2.amazonaws.com",
                "CreateTags",
                read_only=False,
                params={
                    "resourcesSet": {"items": [{"resourceId": a.APP_INSTANCE}]},
                    "tagSet": {"items": [{"key": "deployed", "value": day.isoformat()}]},
                },
                response={"_return": True},
            )
        )


def _dev(rng: random.Random, region: str, day: date, volume: float, out: list[dict[str, Any]]) -> None:
    for _ in range(_count(rng, (12 if region == "us-east-1" else 6) * volume)):
        when = _work_time(rng, day, 7, 20)
        roll = rng.random()
        instance = f"i-0{rng.getrandbits(64):016x}"[:19]
        if roll < 0.6:
            name = rng.choice(["DescribeInstances", "DescribeImages", "DescribeVolumes", "DescribeKeyPairs"])
            out.append(
                api_call(rng, a.DEV_DAN, when, region, "ec2.amazonaws.com", name, read_only=True, params={})
            )
        elif roll < 0.8:
            name = rng.choice(["StartInstances", "StopInstances"])
            out.append(
                api_call(
                    rng,
                    a.DEV_DAN,
                    when,
                    region,
                    "ec2.amazonaws.com",
                    name,
                    read_only=False,
                    params={"instancesSet": {"items": [{"instanceId": instance}]}},
                    response={
                        "requestId": new_id(rng),
                        "instancesSet": {"items": [{"instanceId": instance}]},
                    },
                )
            )
        elif roll < 0.9:
            out.append(
                api_call(
                    rng,
                    a.DEV_DAN,
                    when,
                    region,
                    "lambda.amazonaws.com",
                    "UpdateFunctionCode20150331v2",
                    read_only=False,
                    params={"functionName": "thumbnailer", "publish": True},
                    response={"functionName": "thumbnailer", "codeSize": rng.randrange(10**5, 10**7)},
                )
            )
        else:
            out.append(
                api_call(
                    rng,
                    a.DEV_DAN,
                    when,
                    region,
                    "ec2.amazonaws.com",
                    "RunInstances",
                    read_only=False,
                    params={"instanceType": "m5.large", "minCount": 1, "maxCount": 1},
                    error=(
                        "Client.UnauthorizedOperation",
                        "You are not authorized to perform this operation.",
                    ),
                )
            )


def _security(rng: random.Random, region: str, day: date, volume: float, out: list[dict[str, Any]]) -> None:
    for _ in range(_count(rng, 10 * volume)):
        when = _work_time(rng, day)
        source, name = rng.choice(
            [
                ("guardduty.amazonaws.com", "ListFindings"),
                ("securityhub.amazonaws.com", "GetFindings"),
                ("config.amazonaws.com", "DescribeComplianceByConfigRule"),
                ("access-analyzer.amazonaws.com", "ListFindings"),
            ]
        )
        out.append(
            api_call(rng, a.AUDIT_ROLE, when, region, source, name, read_only=True, params={"maxResults": 50})
        )


def _services(
    rng: random.Random, account: str, region: str, day: date, volume: float, out: list[dict[str, Any]]
) -> None:
    trail = a.service(account, "cloudtrail.amazonaws.com")
    for _ in range(_count(rng, 4 * volume)):
        when = _work_time(rng, day)
        out.append(
            api_call(
                rng,
                trail,
                when,
                region,
                "kms.amazonaws.com",
                "GenerateDataKey",
                read_only=True,
                params={
                    "keySpec": "AES_256",
                    "encryptionContext": {
                        "aws:cloudtrail:arn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/org-trail"
                    },
                },
                ip="cloudtrail.amazonaws.com",
                agent="cloudtrail.amazonaws.com",
            )
        )
    if account == a.PROD:
        ec2 = a.service(account, "ec2.amazonaws.com")
        for hour in range(0, 24, 6):
            when = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)
            out.append(
                api_call(
                    rng,
                    ec2,
                    when,
                    region,
                    "sts.amazonaws.com",
                    "AssumeRole",
                    read_only=True,
                    params={
                        "roleArn": f"arn:aws:iam::{account}:role/app-web-role",
                        "roleSessionName": a.APP_INSTANCE,
                    },
                    response={
                        "credentials": {
                            "accessKeyId": "ASIAQY2H7KEXAMPLEAPP",
                            "expiration": "Jan 1, 2030, 6:00:00 AM",
                        }
                    },
                    resources=[
                        {
                            "accountId": account,
                            "type": "AWS::IAM::Role",
                            "ARN": f"arn:aws:iam::{account}:role/app-web-role",
                        }
                    ],
                    ip="ec2.amazonaws.com",
                    agent="ec2.amazonaws.com",
                )
            )
    if region == "us-east-1" and day.day == 1:
        kms = a.service(account, "kms.amazonaws.com")
        record = api_call(
            rng,
            kms,
            _work_time(rng, day),
            region,
            "kms.amazonaws.com",
            "RotateKey",
            read_only=False,
            event_type="AwsServiceEvent",
            ip="kms.amazonaws.com",
            agent="kms.amazonaws.com",
        )
        record["serviceEventDetails"] = {"keyId": "3f2b9c1e-8a7d-4e2f-9b1c-0d4e5f6a7b8c"}
        out.append(record)
