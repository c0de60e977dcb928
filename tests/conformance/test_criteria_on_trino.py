"""Every criteria flag, and `search`, as the Athena engine sends them, on a real Trino.

Each criterion scopes `SELECT * FROM trail` (every column, in `eventtime` order) over the corpora
(conftest.py); `--account` and `--region` also become partition predicates (`account IN (...)`,
`region IN (...)`). Values are given in another case than the data's where the flag compares
without case, and IPv4 ranges catch the corpora's addresses written with leading zeros
(`253.252.51.07`, `035.249.253.232`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from conformance.conftest import CORPORA_ALL_DAYS, INCIDENTS_ALL_DAYS, assert_same_rows
from toolkit.core import search, window
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery

pytestmark = pytest.mark.conformance

CORPORA = CORPORA_ALL_DAYS
CORPORA_EVENTS = 346
EVERYTHING = "SELECT * FROM trail ORDER BY eventtime, eventid"

#: (id, the Criteria's fields): each selects some of the corpora's events but not all.
CRITERIA: list[tuple[str, dict[str, Any]]] = [
    ("user-name", {"user": ["christophe"]}),
    ("user-name-other-case", {"user": ["ALICE"]}),
    ("user-arn", {"user": ["arn:aws:iam::056392974792:user/christophe"]}),
    ("user-session-name", {"user": ["cli"]}),
    ("user-role-name", {"user": ["stratus-red-team-get-usr-data-role"]}),
    ("user-principal-id", {"user": ["aida10czippg73t21tdi"]}),
    ("event-name", {"event_name": ["GetPasswordData", "createuser"]}),
    ("event-source-short", {"event_source": ["EC2"]}),
    ("event-source-full", {"event_source": ["iam.amazonaws.com", "sts"]}),
    ("source-ip-written-with-a-leading-zero", {"source_ip": ["253.252.51.7"]}),
    ("source-ip-cidr", {"source_ip": ["253.252.0.0/16"]}),
    ("source-ip-cidrs", {"source_ip": ["35.249.253.0/24", "192.0.2.0/31", "2001:db8::1"]}),
    ("source-ip-every-ipv4", {"source_ip": ["0.0.0.0/0"]}),
    ("access-key-id", {"access_key_id": ["akiaw9x2q2u25sk79ucx"]}),
    ("user-agent", {"user_agent": ["Stratus-Red-Team_ea782787"]}),
    ("user-agent-any", {"user_agent": ["aws-cli", "console.amazonaws.com"]}),
    ("user-agent-wildcards-and-a-quote", {"user_agent": ["_", "%", "'"]}),  # as text, not patterns
    ("identity-type", {"identity_type": ["Root", "assumedrole"]}),
    ("error-code", {"error_code": ["AccessDenied", "client.unauthorizedoperation"]}),
    ("errors-only", {"errors_only": True}),
    ("read-only", {"read_only": True}),
    ("write-only", {"write_only": True}),
    ("region", {"region": ["US-EAST-2"]}),
    ("account", {"account": ["111122223333", "123456789012"]}),
    ("account-and-region", {"account": ["111122223333"], "region": ["us-west-2", "us-east-1"]}),
    ("resource-name", {"resource_name": ["EC2-dev"]}),
    ("resource-name-in-request", {"resource_name": ["doc-example-bucket1"]}),
    ("resource-type", {"resource_type": ["aws::iam::role"]}),
    (
        "event-id",
        {"event_id": ["DEXAMPLE-AC7F-466C-A608-4AC8DEXAMPLE", "607b9532-1423-41c7-b048-ec2641693c47"]},
    ),
    (
        "several-criteria",
        {"event_source": ["ec2"], "errors_only": True, "user_agent": ["stratus"], "read_only": True},
    ),
]


def test_every_criterion_is_run():
    assert {name for _, fields in CRITERIA for name in fields} == {
        f.name for f in dataclasses.fields(Criteria)
    }


@pytest.mark.parametrize("fields", [f for _, f in CRITERIA], ids=[i for i, _ in CRITERIA])
def test_criterion(engines, fields):
    query = TrailQuery.parse(EVERYTHING, CORPORA, Criteria(**fields))
    compared = engines.compare(query)
    assert 0 < len(compared.trino) < CORPORA_EVENTS
    assert_same_rows(compared, query.ast)


def test_criteria_over_a_narrow_window(engines):
    # (The corpora's files are named as delivered at midnight, before their events: a window cut
    # at hours is tested on the sample's files, named as CloudTrail names them.)
    scope = window.parse(start="2024-07-31", end="2024-07-31")
    query = TrailQuery.parse(EVERYTHING, scope, Criteria(identity_type=["iamuser"], read_only=True))
    compared = engines.compare(query)
    assert 0 < len(compared.trino) < CORPORA_EVENTS
    assert_same_rows(compared, query.ast)


def test_account_and_region_become_partition_predicates(engines):
    criteria = Criteria(account=["111122223333"], region=["US-West-2"])
    sql = engines.athena.render(TrailQuery.parse(EVERYTHING, CORPORA, criteria))
    assert "account IN ('111122223333')" in sql and "region IN ('us-west-2')" in sql


@pytest.mark.parametrize(
    "fields",
    [
        {"account": ["410987654321"], "region": ["eu-west-1"]},
        {"user": ["alice"], "source_ip": ["198.51.100.0/24"]},
        {"event_name": ["consolelogin"], "user": ["alice"]},
        {"event_source": ["ec2"], "errors_only": True},
    ],
    ids=["account-and-region", "user-and-source-ip", "console-logins", "ec2-errors"],
)
def test_criteria_on_the_planted_incidents(incident_engines, fields):
    query = TrailQuery.parse(EVERYTHING, INCIDENTS_ALL_DAYS, Criteria(**fields))
    compared = incident_engines.compare(query)
    assert compared.trino
    assert_same_rows(compared, query.ast)


# -- search ---------------------------------------------------------------------------------


def test_search_every_column(engines):
    query = search.build(Criteria(), CORPORA)
    compared = engines.compare(query)
    assert len(compared.trino) == CORPORA_EVENTS - 2  # two have no eventTime: in no bounded window
    assert_same_rows(compared, query.ast)


def test_search_summary_columns_with_criteria_and_a_limit(engines):
    # The terminal's columns (with the derived `principal`), newest first, the first 40.
    criteria = Criteria(user_agent=["stratus-red-team"], event_source=["ec2", "iam"])
    query = search.build(criteria, CORPORA, list(search.SUMMARY_COLUMNS), limit=40)
    compared = engines.compare(query)
    assert len(compared.trino) == 40
    assert_same_rows(compared, query.ast)


def test_search_nested_columns(engines):
    columns = search.parse_columns("eventtime,useridentity.arn,tlsdetails.tlsversion,principal,eventid")
    query = search.build(Criteria(region=["us-east-1"]), CORPORA, columns)
    compared = engines.compare(query)
    assert compared.names == [
        "eventtime",
        "useridentity.arn",
        "tlsdetails.tlsversion",
        "principal",
        "eventid",
    ]
    assert_same_rows(compared, query.ast)
