"""Who acts in the sample organization, and how their CloudTrail records are shaped.

The organization, its accounts and regions, the people and roles, their usual addresses and user
agents. `Actor.identity()` builds the `userIdentity` CloudTrail writes for each kind of caller.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toolkit.core.window import stamp

ORG_ID = "o-7x2k9q4m1z"
PROD = "410987654321"
DEV = "520123456789"
SECURITY = "630555000111"
ACCOUNTS = {"prod": PROD, "dev": DEV, "security": SECURITY}
#: The regions each account logs in; us-east-1 also carries global services (IAM, STS, sign-in).
REGIONS = {PROD: ("us-east-1", "eu-west-1"), DEV: ("us-east-1", "us-west-2"), SECURITY: ("us-east-1",)}

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
CLI = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/{command}"
TERRAFORM = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.45.0"
JAVA_SDK = "aws-sdk-java/2.25.30 Linux/5.10.215-203.850.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS"


@dataclass(frozen=True)
class Actor:
    """A caller: an IAM user, a role session, or an AWS service acting for the account."""

    kind: str  # IAMUser | AssumedRole | AWSService
    account: str
    name: str  # user name, role name, or service principal
    ip: str
    user_agent: str
    session: str = ""  # role session name
    access_key: str = ""
    principal_suffix: str = ""

    @property
    def arn(self) -> str:
        if self.kind == "IAMUser":
            return f"arn:aws:iam::{self.account}:user/{self.name}"
        if self.kind == "AssumedRole":
            return f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{self.session}"
        return ""

    def identity(self, when: datetime, *, mfa: bool = False, console: bool = False) -> dict[str, Any]:
        if self.kind == "AWSService":
            return {"type": "AWSService", "invokedBy": self.name}
        identity: dict[str, Any] = {
            "type": self.kind,
            "principalId": f"AIDA{self.principal_suffix}"
            if self.kind == "IAMUser"
            else f"AROA{self.principal_suffix}:{self.session}",
            "arn": self.arn,
            "accountId": self.account,
        }
        if self.access_key:
            identity["accessKeyId"] = self.access_key
        if self.kind == "IAMUser":
            identity["userName"] = self.name
            if console:
                identity["sessionContext"] = {
                    "attributes": {
                        "creationDate": stamp(when),
                        "mfaAuthenticated": "true" if mfa else "false",
                    }
                }
        else:
            identity["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROA{self.principal_suffix}",
                    "arn": f"arn:aws:iam::{self.account}:role/{self.name}",
                    "accountId": self.account,
                    "userName": self.name,
                },
                "attributes": {"creationDate": stamp(when), "mfaAuthenticated": "false"},
            }
            if self.session.startswith("i-"):
                identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
        return identity


def user(account: str, name: str, ip: str, agent: str, suffix: str, key: str = "") -> Actor:
    return Actor("IAMUser", account, name, ip, agent, access_key=key, principal_suffix=suffix)


def role(account: str, name: str, session: str, ip: str, agent: str, suffix: str, key: str) -> Actor:
    return Actor("AssumedRole", account, name, ip, agent, session, key, suffix)


def service(account: str, principal: str) -> Actor:
    return Actor("AWSService", account, principal, principal, principal)


ALICE = user(PROD, "alice", "198.51.100.23", CHROME, "QY2H7KEXAMPLEALICE1")
BOB = user(PROD, "bob", "198.51.100.40", CLI, "QY2H7KEXAMPLEBOB001", "AKIAQY2H7KEXAMPLEB01")
CAROL = user(PROD, "carol", "198.51.100.61", SAFARI, "QY2H7KEXAMPLECAROL1", "AKIAQY2H7KEXAMPLEC01")
DEV_DAN = user(DEV, "dan", "198.51.100.77", CLI, "ZX9P3MEXAMPLEDAN001", "AKIAZX9P3MEXAMPLED01")
APP_INSTANCE = "i-0a1b2c3d4e5f60718"
APP_ROLE = role(
    PROD, "app-web-role", APP_INSTANCE, "10.0.1.25", JAVA_SDK, "QY2H7KEXAMPLEAPPWEB", "ASIAQY2H7KEXAMPLEAPP"
)
AUDIT_ROLE = role(
    SECURITY, "security-audit", "audit-scan", "10.8.0.14", CLI, "MN4R8TEXAMPLEAUDIT1", "ASIAMN4R8TEXAMPLEAUD"
)


def ci_session(account: str, rng: random.Random) -> Actor:
    run = rng.randrange(1000, 9999)
    return role(
        account,
        "ci-deploy",
        f"terraform-apply-{run}",
        "192.0.2.10",
        TERRAFORM,
        "QY2H7KEXAMPLECIDEP1",
        "ASIAQY2H7KEXAMPLECI1",
    )
