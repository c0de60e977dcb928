"""The template catalog: format checks, safe rendering, and the seed templates' answers on the sample."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlglot
from conftest import END_DAY, recent_query
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from toolkit.core import window
from toolkit.core.criteria import Criteria
from toolkit.core.transpile import to_duckdb
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError
from toolkit.templates.catalog import Catalog, TemplateError, parse_template
from toolkit.templates.render import render

ALL = window.parse(all_time=True)
LAST_WEEK = window.parse(
    since="7d", now=datetime(END_DAY.year, END_DAY.month, END_DAY.day, 23, 59, tzinfo=UTC)
)
SEED_TEMPLATES = {
    "user-created",
    "principal-activity",
    "eip-allocations",
    "service-activity",
    "console-login-failures",
    "security-group-changes",
    "instance-changes",
    "network-changes",
    "role-changes",
}


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


@pytest.fixture(scope="module")
def engine(sample_root):
    local = LocalEngine(sample_root)
    yield local
    local.close()


@pytest.fixture(scope="module")
def cached(sample_root, sample_cache):
    """The local engine on the sample, reading its columnar cache: for the tests of what templates
    answer over all time, where the log files take seconds a query (tests/test_cache.py checks
    every template's rows on the log files against the cache's)."""
    local = LocalEngine(sample_root, cache=sample_cache)
    yield local
    local.close()


def rows(engine, catalog, name, scope=ALL, criteria=None, **params):
    result = engine.run(render(catalog.get(name), params, scope, criteria))
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def test_the_seed_templates_are_in_the_catalog(catalog):
    assert SEED_TEMPLATES <= set(catalog.templates)


def test_every_template_parses_renders_for_duckdb_and_runs(catalog, every_template_on_the_files):
    assert set(every_template_on_the_files) == set(catalog.templates)
    for template in catalog.select():
        query = recent_query(template)  # the sample's last days: they hold its recent incidents
        sqlglot.parse_one(query.ast.sql("athena"), read="athena")
        assert "trail" in to_duckdb(query.ast)
        # executed on DuckDB over the sample archive's files (once for the run: the fixture)
        every_template_on_the_files[template.name].ran(query.ast.sql())
        if template.kind == "detection":
            assert template.severity in ("low", "medium", "high", "critical")


def test_user_created_finds_the_rogue_user(catalog, cached, answers):
    found = rows(cached, catalog, "user-created", user_name=answers.rogue_user)
    assert [(r["eventid"], r["creator"]) for r in found] == [
        (answers.rogue_user_event_id, answers.rogue_user_creator_arn)
    ]
    everyone = rows(cached, catalog, "user-created")
    assert [r["new_user"] for r in everyone] == [answers.rogue_user, *answers.expected_user_creations]


def test_console_login_failures_finds_the_brute_force(catalog, engine, answers):
    found = rows(engine, catalog, "console-login-failures", LAST_WEEK)
    assert len(found) == 1  # one burst, against alice (from one address: not a second finding)
    top = found[0]
    assert (top["grouped_by"], top["sourceipaddress"], top["failures"], top["users_targeted"]) == (
        "user",
        answers.brute_force_ip,
        answers.brute_force_failures,
        answers.brute_force_user,
    )
    assert top["principal"].endswith(f":user/{answers.brute_force_user}")
    assert (top["eventid"], top["eventtime"], top["last_attempt"]) == (
        answers.brute_force_failure_ids[0],
        answers.brute_force_first,
        answers.brute_force_last,
    )
    assert (top["success_followed"], top["first_success"]) == (True, answers.brute_force_success_time)
    assert top["known_ip"] is False and top["known_agent"] is False
    assert top["attempts_per_minute"] > 3
    both = rows(engine, catalog, "console-login-failures", LAST_WEEK, min_failures="3")
    assert [r["failures"] for r in both] == [answers.brute_force_failures, answers.second_ip_failures]
    assert both[1]["success_followed"] is False and both[1]["first_success"] is None
    # 40 failures in about twelve minutes: no window of one minute holds ten of them.
    assert rows(engine, catalog, "console-login-failures", LAST_WEEK, window_minutes="1") == []


def test_principal_activity_follows_the_compromised_session(catalog, engine, answers):
    found = rows(
        engine,
        catalog,
        "principal-activity",
        LAST_WEEK,
        Criteria(source_ip=[answers.brute_force_ip]),
        principal="alice",
    )
    ids = [r["eventid"] for r in found]
    assert ids[-3:] == [
        answers.brute_force_success_id,
        answers.eip_allocate_event_id,
        answers.eip_associate_event_id,
    ]
    assert len(ids) == answers.brute_force_failures + 3


def test_eip_allocations(catalog, engine, answers):
    found = rows(engine, catalog, "eip-allocations", LAST_WEEK)
    assert [(r["eventid"], r["allocation_id"]) for r in found] == [
        (answers.eip_allocate_event_id, answers.eip_allocation_id),
        (answers.eip_associate_event_id, answers.eip_allocation_id),
    ]
    assert found[0]["public_ip"] == answers.eip_address and found[1]["instance_id"] == answers.instance_id


def test_service_activity_splits_reads_and_writes(catalog, cached, answers):
    found = {r["eventname"]: r for r in rows(cached, catalog, "service-activity", service="iam")}
    assert (
        found["CreateUser"]["events"]
        == found["CreateUser"]["writes"]
        == 1 + len(answers.expected_user_creations)
    )
    assert found["ListUsers"]["reads"] == found["ListUsers"]["events"] > 0
    assert found["ListAccessKeys"]["errors"] == found["ListAccessKeys"]["events"]
    same = rows(cached, catalog, "service-activity", service="iam.amazonaws.com")
    assert len(same) == len(found)


def test_change_templates_find_the_changes_before_the_outage(catalog, engine, answers):
    outage = datetime.strptime(answers.outage_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    before = window.Window(outage - timedelta(hours=2), outage)
    changes = dict(zip(answers.change_event_names, answers.change_event_ids, strict=True))
    groups = rows(engine, catalog, "security-group-changes", before, resource_id=answers.security_group_id)
    assert [r["eventid"] for r in groups] == [
        changes["AuthorizeSecurityGroupIngress"],
        changes["RevokeSecurityGroupIngress"],
    ]
    assert {r["group_id"] for r in groups} == {answers.security_group_id}
    instance = rows(engine, catalog, "instance-changes", before, resource_id=answers.instance_id)
    assert [r["eventid"] for r in instance] == [changes["ModifyInstanceAttribute"]]
    roles = rows(engine, catalog, "role-changes", before, resource_id=answers.role_name)
    assert [(r["eventid"], r["resource"]) for r in roles] == [
        (changes["DetachRolePolicy"], answers.role_name)
    ]
    network = rows(engine, catalog, "network-changes", before)
    assert [r["eventid"] for r in network] == [answers.route_change_event_id]
    assert rows(engine, catalog, "security-group-changes", before, resource_id="sg-0000000000000000") == []


def test_parameter_mistakes_are_usage_errors(catalog):
    with pytest.raises(UsageError, match="did you mean 'user_name'"):
        render(catalog.get("user-created"), {"usr_name": "x"}, ALL)
    with pytest.raises(UsageError, match="needs --param principal"):
        render(catalog.get("principal-activity"), {}, ALL)
    with pytest.raises(UsageError, match="not a valid int"):
        render(catalog.get("console-login-failures"), {"min_failures": "many"}, ALL)
    with pytest.raises(UsageError, match="did you mean 'user-created'"):
        catalog.get("user-creatd")


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.sql"
    path.write_text(text)
    return path


HEADER = '/*\ntitle = "t"\nkind = "investigation"\ndescription = "d"\n%s*/\n'


@pytest.mark.parametrize(
    ("header", "sql", "message"),
    [
        ("", "SELECT eventid FROM trail WHERE eventname = :name", "undeclared: name"),
        ('[params.name]\ntype = "string"\n', "SELECT eventid FROM trail", "unused: name"),
        ('[params.name]\ntype = "blob"\n', "SELECT :name FROM trail", "is not one of"),
        ("", "DELETE FROM trail", "only SELECT"),
        ("", "SELECT * FROM cloudtrail_logs", "unknown table"),
    ],
)
def test_broken_templates_are_refused_naming_the_file(tmp_path, header, sql, message):
    path = write(tmp_path, "broken", HEADER % header + sql)
    with pytest.raises(TemplateError, match=message) as caught:
        parse_template(path)
    assert "broken.sql" in caught.value.message


def test_a_detection_needs_a_severity(tmp_path):
    path = write(
        tmp_path, "d", HEADER.replace("investigation", "detection") % "" + "SELECT eventid FROM trail"
    )
    with pytest.raises(TemplateError, match="severity"):
        parse_template(path)


def test_user_templates_override_built_in_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    write(
        tmp_path / "config" / "trailcsi" / "queries",
        "eip-allocations",
        HEADER % "" + "SELECT eventid FROM trail WHERE eventname = 'AllocateAddress'",
    )
    write(tmp_path / "mine", "my-check", HEADER % "" + "SELECT count(*) AS n FROM trail")
    catalog = Catalog.load([tmp_path / "mine"])
    assert catalog.get("eip-allocations").title == "t"
    assert "my-check" in catalog.templates and "user-created" in catalog.templates


def _shape(tree: exp.Expression) -> str:
    """The tree with every literal blanked: what a value must never change."""
    return tree.transform(lambda n: exp.Literal.string("?") if isinstance(n, exp.Literal) else n).sql(
        "athena"
    )


HOSTILE = st.one_of(
    st.sampled_from(
        ["x' OR '1'='1", "a'; DROP TABLE trail; --", "*/ SELECT 1 /*", "\\' \\\\", "é\u202e\x00☃", "x" * 5000]
    ),
    st.text(min_size=1, max_size=200),
)


@functools.cache
def _user_created():
    return Catalog.load().get("user-created")  # loaded once: every example renders the same template


@settings(max_examples=200, deadline=None)
@given(value=HOSTILE)
def test_a_value_never_changes_the_query_structure(value):
    template = _user_created()
    benign = render(template, {"user_name": "alice"}, ALL).ast
    hostile = render(template, {"user_name": value}, ALL).ast
    assert _shape(hostile) == _shape(benign)
    literals = [lit.this for lit in hostile.find_all(exp.Literal) if lit.is_string]
    assert literals.count(value) == 2  # both uses of :user_name, verbatim
    reparsed = sqlglot.parse_one(hostile.sql("athena"), read="athena")
    assert [lit.this for lit in reparsed.find_all(exp.Literal) if lit.is_string].count(value) == 2


def cli(*args):
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True)


def test_queries_list_and_show_as_json():
    listed = json.loads(cli("queries", "list", "--format", "json").stdout)
    names = {t["name"] for t in listed}
    assert SEED_TEMPLATES <= names
    entry = next(t for t in listed if t["name"] == "console-login-failures")
    assert entry["params"] == [
        {
            "name": "min_failures",
            "type": "int",
            "required": False,
            "default": 10,
            "description": "Failed logins within window_minutes that make a burst.",
        },
        {
            "name": "window_minutes",
            "type": "int",
            "required": False,
            "default": 60,
            "description": "The sliding window, in minutes, in which min_failures must fall.",
        },
    ]
    assert {"name", "title", "kind", "tags", "params"} <= set(entry)
    tagged = json.loads(cli("queries", "list", "--tag", "T1110", "--format", "json").stdout)
    assert [t["name"] for t in tagged] == ["console-login-failures"]
    shown = json.loads(
        cli("queries", "show", "user-created", "--format", "json", "--dialect", "duckdb").stdout
    )
    assert "->>" in shown["sql"] and shown["name"] == "user-created"


def test_run_from_the_command_line(sample_root, answers):
    done = cli(
        "run",
        "user-created",
        "--param",
        f"user_name={answers.rogue_user}",
        "--source",
        str(sample_root),
        "--start",  # the day of the creation (what the template finds over all time: test_cache)
        answers.rogue_user_time[:10],
        "--end",
        f"{answers.rogue_user_time[:10]}T23:59:59Z",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert [r["eventid"] for r in json.loads(done.stdout)] == [answers.rogue_user_event_id]
    dry = cli(
        "run", "console-login-failures", "--source", str(sample_root), "--start", "2025-03-28", "--dry-run"
    )
    assert dry.returncode == 0 and "read_json" in dry.stdout and "in_window >= 10" in dry.stdout
    wrong = cli("run", "user-created", "--param", "nope=1", "--source", str(sample_root))
    assert (
        wrong.returncode == 2
        and "has no parameter 'nope'" in wrong.stderr
        and "Traceback" not in wrong.stderr
    )


def test_every_template_carries_a_mitre_technique(catalog):
    untagged = [t.name for t in catalog.select() if not any(tag.startswith("T1") for tag in t.tags)]
    assert untagged == []


def test_a_string_list_fills_its_in_list(tmp_path, cached, answers):
    write(
        tmp_path,
        "by-names",
        HEADER % '[params.names]\ntype = "string_list"\ndefault = ["CreateUser"]\n'
        + "SELECT eventname, count(*) AS n FROM trail WHERE eventname IN (:names) GROUP BY 1 ORDER BY 1",
    )
    template = Catalog([tmp_path]).get("by-names")
    query = render(template, {"names": "CreateUser, CreateAccessKey"}, ALL)
    in_list = query.ast.find(exp.In)
    assert [lit.this for lit in in_list.expressions] == ["CreateUser", "CreateAccessKey"]
    assert cached.run(query).rows == [
        ("CreateAccessKey", 1),
        ("CreateUser", 1 + len(answers.expected_user_creations)),
    ]
    assert cached.run(render(template, {}, ALL)).rows == [
        ("CreateUser", 1 + len(answers.expected_user_creations))
    ]


GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CASES = [
    ("user-created", {"user_name": "svc-backup"}),
    ("console-login-failures", {}),
    ("security-group-changes", {"resource_id": "sg-0a1b2c3d4e5f67890"}),
    ("secrets-read-in-bulk", {"min_secrets": "3"}),
    ("activity-in-unused-region", {}),
]


@pytest.mark.parametrize(("name", "params"), GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
def test_rendered_sql_matches_the_golden_file(catalog, name, params, dialect):
    """Rendered SQL, bound to a source named trail_source, for a fixed window and criteria.

    After an intended change, regenerate with TRAILCSI_UPDATE_GOLDEN=1 and read the diff.
    """
    scope = window.parse(start="2024-05-01T00:00:00Z", end="2024-05-02T00:00:00Z")
    query = render(catalog.get(name), params, scope, Criteria(region=["us-east-1"]))
    tree = query.bind(exp.to_table("trail_source"))
    sql = (
        tree.sql("athena", pretty=True)
        if dialect == "athena"
        else sqlglot.transpile(to_duckdb(tree), read="duckdb", write="duckdb", pretty=True)[0]
    )
    path = GOLDEN / f"{name}.{dialect}.sql"
    if os.environ.get("TRAILCSI_UPDATE_GOLDEN"):
        path.write_text(sql + "\n")
    assert sql + "\n" == path.read_text()


def test_a_template_is_checked_once_a_process_until_its_text_changes(tmp_path, monkeypatch):
    """Each Catalog (each command) parsed every template's SQL again to check it; now the same
    file with the same text is checked once, a changed text again, and an error is raised each time."""
    from toolkit.core import query

    parsed: list[str] = []
    parse = query.parse_select
    monkeypatch.setattr(query, "parse_select", lambda sql: parsed.append(sql) or parse(sql))
    folder = tmp_path / "mine"
    folder.mkdir()
    template = folder / "odd-one.sql"
    header = '/*\ntitle = "Odd"\ndescription = "An odd one"\nkind = "investigation"\n*/\n'
    template.write_text(header + "SELECT 17 AS n FROM trail", encoding="utf-8")
    for _ in range(3):
        assert Catalog([folder]).get("odd-one").sql == "SELECT 17 AS n FROM trail"
    assert parsed == ["SELECT 17 AS n FROM trail"]
    template.write_text(header + "SELECT 18 AS n FROM trail WHERE eventname = :name", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(TemplateError, match="placeholders and declared params differ"):
            Catalog([folder])
    template.write_text(header + "SELECT 18 AS n FROM trail", encoding="utf-8")
    assert Catalog([folder]).get("odd-one").sql == "SELECT 18 AS n FROM trail"
    assert len(parsed) == 4  # (the text in error parsed each time it was read)


def test_a_list_default_changed_in_one_catalog_is_not_changed_in_the_next(tmp_path):
    """Templates checked once a process were shared: a notebook that changed a list parameter's
    default in one Catalog changed it in every Catalog made after (found by an attack review)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "listed.sql").write_text(
        '/*\ntitle = "Listed"\ndescription = "Events by name"\nkind = "investigation"\n'
        '[params.names]\ntype = "string_list"\ndefault = ["ConsoleLogin"]\n*/\n'
        "SELECT eventname FROM trail WHERE eventname IN (:names)",
        encoding="utf-8",
    )
    Catalog([folder]).get("listed").params[0].default.append("GetObject")
    assert Catalog([folder]).get("listed").params[0].default == ["ConsoleLogin"]
