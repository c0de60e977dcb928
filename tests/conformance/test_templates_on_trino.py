"""Every template, as the Athena engine sends it, gives the local engine's rows on a real Trino.

Each template runs with its default parameters (a required one with tests/test_templates.py's
example) over the fixture tables (see conftest.py): the corpora over a window holding all their
days and over a two-day window, the sample's planted incidents over its last days (and, for the
templates that find something there, over a window cut at hours), Panther's rule tests' events
over all their days. Trino runs the SQL `AthenaEngine.render` gives (the `day` range and the exact
`eventtime` bounds of the window); the local engine runs the same `TrailQuery`. Some templates
run again with other parameters (a threshold of 1, a resource), and `sweep` (every detection
over one pinned scope) is compared with Trino too.
"""

from __future__ import annotations

import pytest

from conformance.conftest import (
    CORPORA_ALL_DAYS,
    CORPORA_TWO_DAYS,
    CRAFTED_DAYS,
    INCIDENTS_ALL_DAYS,
    INCIDENTS_HOURS,
    PANTHER_ALL_DAYS,
    as_wire,
    assert_same_rows,
    dumped,
)
from toolkit.engines.local import LocalEngine
from toolkit.templates import sweep
from toolkit.templates.catalog import Catalog, builtin_dir
from toolkit.templates.render import render

pytestmark = pytest.mark.conformance

#: What a required parameter is given (as in tests/test_templates.py).
REQUIRED_EXAMPLES = {"principal": "alice", "service": "s3"}
TEMPLATES = sorted(path.stem for path in builtin_dir().glob("*.sql"))

#: The templates that return no rows over each fixture's window (on either engine; the others
#: return some). Kept exact, so that a change that silences a template over a fixture is seen.
#: None of the fixtures makes guardduty-disabled, mfa-deactivated or policy-version-changed fire.
EMPTY_ON_CORPORA = {
    "activity-in-unused-region",
    "config-disabled",
    "console-login-failures",
    "eip-allocations",
    "guardduty-disabled",
    "kms-key-deletion",
    "large-s3-downloads",
    "mfa-deactivated",
    "network-changes",
    "policy-version-changed",
    "s3-bucket-made-public",
}
EMPTY_ON_INCIDENTS = {
    "access-denied-burst",
    "access-key-created",
    "activity-in-unused-region",
    "admin-policy-granted",
    "bedrock-model-access-enabled",
    "cloudtrail-tampering",
    "config-disabled",
    "federation-token-issued",
    "flow-logs-deleted",
    "guardduty-disabled",
    "iam-user-created",
    "instance-credentials-used-elsewhere",
    "kms-key-deletion",
    "logging-deleted",
    "login-profile-changed",
    "mfa-deactivated",
    "organization-leave-attempt",
    "password-data-requested",
    "policy-version-changed",
    "role-trust-policy-changed",
    "roles-anywhere-trust-changed",
    "root-account-activity",
    "s3-bucket-made-public",
    "secrets-read-in-bulk",
    "snapshot-or-image-shared",
    "ssh-key-pushed-to-instance",
    "ssm-command-or-session",
    "ssm-parameters-read-in-bulk",
    "unusual-instance-type-launched",
    "user-created",
    "user-data-read",
}
EMPTY_ON_PANTHER = {
    "access-denied-burst",
    "bedrock-model-access-enabled",
    "console-login-failures",
    "eip-allocations",
    "federation-token-issued",
    "guardduty-disabled",
    "large-s3-downloads",
    "mfa-deactivated",
    "policy-version-changed",
    "roles-anywhere-trust-changed",
    "secrets-read-in-bulk",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def _query(catalog, name, scope):
    template = catalog.get(name)
    values = {p.name: REQUIRED_EXAMPLES[p.name] for p in template.params if p.required}
    return render(template, values, scope)


def test_every_template_is_run(catalog):
    assert TEMPLATES == sorted(catalog.templates)
    assert EMPTY_ON_CORPORA | EMPTY_ON_INCIDENTS | EMPTY_ON_PANTHER <= set(TEMPLATES)
    never = EMPTY_ON_CORPORA & EMPTY_ON_INCIDENTS & EMPTY_ON_PANTHER
    assert never == {"guardduty-disabled", "mfa-deactivated", "policy-version-changed"}


def test_trino_gets_the_athena_engines_partition_predicates(engines, catalog):
    sql = engines.athena.render(_query(catalog, "access-key-created", CORPORA_TWO_DAYS))
    assert f'FROM "{engines.schema}"."trail"' in sql
    assert "day >= '2024/07/30'" in sql and "day <= '2024/08/02'" in sql
    assert "eventtime >= '2024-07-31T00:00:00Z'" in sql and "eventtime < '2024-08-02T00:00:00Z'" in sql


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("scope", [CORPORA_ALL_DAYS, CORPORA_TWO_DAYS], ids=["all-days", "two-days"])
def test_template_on_the_corpora(engines, catalog, name, scope):
    query = _query(catalog, name, scope)
    compared = engines.compare(query)
    assert_same_rows(compared, query.ast)
    if scope is CORPORA_ALL_DAYS:
        assert bool(compared.trino) == (name not in EMPTY_ON_CORPORA)


#: (template, parameters): thresholds lowered and parameters given, so that the templates'
#: other branches return rows on the corpora.
CORPORA_VARIANTS = [
    ("access-denied-burst", {"min_errors": 1}),
    ("activity-in-unused-region", {"max_days": 3, "min_account_days": 2}),
    ("console-login-failures", {"min_failures": 1}),  # some failures name no user
    ("principal-activity", {"principal": "christophe"}),
    ("secrets-read-in-bulk", {"min_secrets": 1}),
    ("service-activity", {"service": "ec2"}),
    ("service-activity", {"service": "iam.amazonaws.com"}),
    ("ssm-parameters-read-in-bulk", {"min_parameters": 1}),
]
#: The same on the planted incidents (the resources their answer key names).
INCIDENTS_VARIANTS = [
    ("access-denied-burst", {"min_errors": 1}),
    ("console-login-failures", {"min_failures": 1}),
    ("instance-changes", {"resource_id": "i-0a1b2c3d4e5f60718"}),
    ("lambda-code-or-access-changed", {"routine_days": 0}),
    ("large-s3-downloads", {"min_bytes": 0}),
    ("network-changes", {"resource_id": "rtb-0c1d2e3f4a5b6c7d8"}),
    ("principal-activity", {"principal": "arn:aws:iam::410987654321:user/alice"}),
    ("role-changes", {"resource_id": "app-web-role"}),
    ("security-group-changes", {"resource_id": "sg-0a1b2c3d4e5f67890"}),
    ("ssm-parameters-read-in-bulk", {"min_parameters": 1}),
]


def _variant_id(variant: tuple[str, dict[str, object]]) -> str:
    name, params = variant
    return name + "[" + ",".join(f"{k}={v}" for k, v in params.items()) + "]"


#: The same on Panther's rule tests, whose times come in several forms (`2024-06-02 20:16:32.000000000`).
PANTHER_VARIANTS = [
    ("access-denied-burst", {"min_errors": 1}),
    ("console-login-failures", {"min_failures": 1}),
]


@pytest.mark.parametrize("variant", CORPORA_VARIANTS, ids=map(_variant_id, CORPORA_VARIANTS))
def test_template_with_other_parameters_on_the_corpora(engines, catalog, variant):
    name, params = variant
    query = render(catalog.get(name), params, CORPORA_ALL_DAYS)
    compared = engines.compare(query)
    assert compared.trino
    assert_same_rows(compared, query.ast)


@pytest.mark.parametrize("variant", INCIDENTS_VARIANTS, ids=map(_variant_id, INCIDENTS_VARIANTS))
def test_template_with_other_parameters_on_the_planted_incidents(incident_engines, catalog, variant):
    name, params = variant
    query = render(catalog.get(name), params, INCIDENTS_ALL_DAYS)
    compared = incident_engines.compare(query)
    assert compared.trino
    assert_same_rows(compared, query.ast)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_on_the_planted_incidents(incident_engines, catalog, name):
    query = _query(catalog, name, INCIDENTS_ALL_DAYS)
    compared = incident_engines.compare(query)
    assert_same_rows(compared, query.ast)
    assert bool(compared.trino) == (name not in EMPTY_ON_INCIDENTS)


@pytest.mark.parametrize("name", sorted(set(TEMPLATES) - EMPTY_ON_INCIDENTS))
def test_template_on_the_planted_incidents_cut_at_hours(incident_engines, catalog, name):
    # (Measured: the templates that find nothing over all the days find nothing here either.)
    query = _query(catalog, name, INCIDENTS_HOURS)
    assert_same_rows(incident_engines.compare(query), query.ast)


def test_sweep_finds_what_each_detection_finds_on_trino(incident_engines, incidents_archive, catalog):
    # `sweep` reads the scope once into a pinned table and runs every detection over it: its
    # findings are, detection by detection, Trino's rows for that detection (as a multiset).
    local = LocalEngine(incidents_archive)
    try:
        found = sweep.run(local, catalog, INCIDENTS_ALL_DAYS)
    finally:
        local.close()
    detections = catalog.select(kind="detection")
    assert found.templates == [t.name for t in detections]
    for template in detections:
        sql = incident_engines.athena.render(render(template, {}, INCIDENTS_ALL_DAYS))
        columns, expected = incident_engines.trino_once(sql)
        names = [c["name"] for c in columns]
        records = [f.record for f in found.findings if f.template == template.name]
        assert all(list(r) == names for r in records), template.name
        rows = as_wire([list(r.values()) for r in records], columns)
        assert sorted(map(dumped, rows)) == sorted(map(dumped, expected)), template.name


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_on_panthers_rule_tests(panther_engines, catalog, name):
    query = _query(catalog, name, PANTHER_ALL_DAYS)
    compared = panther_engines.compare(query)
    assert_same_rows(compared, query.ast)
    assert bool(compared.trino) == (name not in EMPTY_ON_PANTHER)


@pytest.mark.parametrize("variant", PANTHER_VARIANTS, ids=map(_variant_id, PANTHER_VARIANTS))
def test_template_with_other_parameters_on_panthers_rule_tests(panther_engines, catalog, variant):
    name, params = variant
    query = render(catalog.get(name), params, PANTHER_ALL_DAYS)
    compared = panther_engines.compare(query)
    assert compared.trino
    assert_same_rows(compared, query.ast)


#: The detections whose rules count over time, on events crafted to make each rule fire (see
#: `crafted_records`): the rows each flags, by eventID, with the rule it says fired.
CRAFTED_VARIANTS = [
    ("access-denied-burst", {}),
    ("access-denied-burst", {"min_errors_per_day": 206}),
    ("lambda-code-or-access-changed", {}),
    ("lambda-code-or-access-changed", {"routine_days": 1}),
]


@pytest.mark.parametrize("variant", CRAFTED_VARIANTS, ids=map(_variant_id, CRAFTED_VARIANTS))
def test_rules_over_time_on_crafted_events(crafted_engines, catalog, variant):
    name, params = variant
    query = render(catalog.get(name), params, CRAFTED_DAYS)
    compared = crafted_engines.compare(query)
    assert_same_rows(compared, query.ast)
    rows = [dict(zip(compared.names, row, strict=True)) for row in compared.trino]
    flagged = {row["eventid"] for row in rows}
    if name == "access-denied-burst":
        spoofed = {f"spoofed-{i}" for i in range(30)}  # a user agent hides nothing
        burst = {f"burst-{i}" for i in range(10)}
        slow = set() if params else {f"slow-{i}" for i in range(205)}
        assert flagged == spoofed | burst | slow
        assert {row["flagged_by"] for row in rows} == (
            {"burst"} if params else {"burst", "sustained", "burst, sustained"}
        )
    else:
        first = 2 if params else 4  # the days a pattern needs before it is routine
        assert flagged == {f"layer-{d}" for d in range(first)} | {
            *(f"deploy-{d}" for d in range(first)),
            *(["deploy-again"] if first > 2 else []),
            "denied",
            "elsewhere",
        }
