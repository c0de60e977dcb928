"""infra/: the CloudFormation template is valid (cfn-lint, all rules, every region's resource
specs) and its investigator policy is least privilege. What this cannot prove: that a deployment
succeeds in a real account (moto's CloudFormation has no Athena workgroup or Glue database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "trailcsi-athena.yaml"


@pytest.fixture(scope="module")
def cfnlint_api() -> Any:
    """cfn-lint's API, imported by the worker that runs these tests only (it imports sympy: four
    CPU-seconds of each pytest-xdist worker's collection, when imported at the module's top)."""
    return pytest.importorskip("cfnlint.api")


@pytest.fixture(scope="module")
def template(cfnlint_api: Any) -> dict:
    decoded, problems = cfnlint_api.decode_str(TEMPLATE.read_text(encoding="utf-8"))
    assert not problems
    return decoded


def test_cfn_lint_finds_nothing(cfnlint_api):
    config = cfnlint_api.ManualArgs(regions=["us-east-1", "eu-west-1", "ap-southeast-2"])
    matches = cfnlint_api.lint_file(TEMPLATE, config)
    assert [str(m) for m in matches] == []


def test_the_workgroup_enforces_an_encrypted_result_location_and_a_scan_cutoff(template):
    settings = template["Resources"]["WorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert settings["EnforceWorkGroupConfiguration"] is True
    assert settings["BytesScannedCutoffPerQuery"] == {"Ref": "BytesScannedCutoffPerQuery"}
    assert settings["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"
    bucket = template["Resources"]["ResultsBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {"Ref": "ResultRetentionDays"}


def _statements(template: dict) -> dict[str, dict]:
    document = template["Resources"]["InvestigatorPolicy"]["Properties"]["PolicyDocument"]
    found = {}
    for statement in document["Statement"]:
        if "Fn::If" in statement:
            statement = statement["Fn::If"][1]
        found[statement["Sid"]] = statement
    return found


def test_the_investigator_policy_is_least_privilege(template):
    statements = _statements(template)
    for sid, statement in statements.items():
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in statement["Action"]), sid
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "*" not in resources, sid
    trail = [s for s in statements.values() if "TrailBucketName" in str(s["Resource"])]
    trail_actions = {a for s in trail for a in s["Action"]}
    assert trail_actions == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}  # read only
    athena = statements["AthenaThisWorkGroupOnly"]
    assert "workgroup/${WorkGroup}" in athena["Resource"]["Fn::Sub"]
    glue = statements["GlueThisDatabaseOnly"]
    assert any("database/${DatabaseName}" in r["Fn::Sub"] for r in glue["Resource"])
    assert statements["DecryptTheTrailLogs"]["Action"] == ["kms:Decrypt"]


def test_the_cli_prints_the_template(capsys):
    from conftest import run_in_process as trailcsi

    code, out, _err = trailcsi(capsys, "athena", "cloudformation")
    assert code == 0 and out == TEMPLATE.read_text(encoding="utf-8")
