"""Suppressions: what an entry matches, how a mistaken file is refused, and that a sweep counts,
reports and (on request) lists every finding it sets aside."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import END_DAY, run_in_process

from toolkit import config
from toolkit.core import suppress, window
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError
from toolkit.templates import sweep
from toolkit.templates.catalog import Catalog
from toolkit.templates.sweep import Finding

TODAY = date(2025, 4, 1)
ACCOUNT = "410987654321"


def entry(**fields: str) -> suppress.Suppression:
    """One entry, read as from a file (so every check applies)."""
    text = "[[suppress]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in fields.items())
    path = Path("s.toml")
    return suppress.parse([fields], path, text, "suppress")[0]


def finding(template: str = "iam-user-created", **record: str | None) -> Finding:
    base = {
        "eventid": "e1",
        "eventtime": "2025-03-01T10:00:00Z",
        "principal": f"arn:aws:iam::{ACCOUNT}:user/bob",
        "sourceipaddress": "198.51.100.40",
        "eventname": "CreateUser",
    }
    return Finding(template, "low", base | record)


ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/terraform-apply-4821"


@pytest.mark.parametrize(
    ("fields", "record", "matches"),
    [
        # principal: the whole ARN, exact or glob, or a name the ARN ends with
        ({"principal": f"arn:aws:iam::{ACCOUNT}:user/bob"}, {}, True),
        ({"principal": "arn:aws:iam::*:user/bo*"}, {}, True),
        ({"principal": "arn:aws:iam::*:user/bo"}, {}, False),
        ({"principal": "bob"}, {}, True),
        ({"principal": "BOB"}, {}, True),  # IAM names are unique regardless of case
        ({"principal": "bo"}, {}, False),
        ({"principal": "ci-deploy"}, {"principal": ROLE_SESSION}, True),  # the role
        # a session's name is the caller's choice: a name never matches it (an intruder's
        # session named after a suppression stays visible); its full ARN can
        ({"principal": "terraform-apply-*"}, {"principal": ROLE_SESSION}, False),
        (
            {"principal": "arn:aws:sts::*:assumed-role/ci-deploy/terraform-apply-*"},
            {"principal": ROLE_SESSION},
            True,
        ),
        (
            {"principal": "ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-web-role/ci-deploy"},
            False,
        ),
        (
            {"principal": "ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:federated-user/ci-deploy"},
            False,
        ),
        ({"principal": "ci-deploy"}, {"principal": f"arn:aws:iam::{ACCOUNT}:user/ci-deploy/mallory"}, False),
        ({"principal": "mallory"}, {"principal": f"arn:aws:iam::{ACCOUNT}:user/ci-deploy/mallory"}, True),
        ({"principal": "assumed-role"}, {"principal": ROLE_SESSION}, False),  # not a name
        ({"principal": "410987654321"}, {"principal": ROLE_SESSION}, False),
        # a role's ARN matches its sessions (a session's ARN carries no path)
        ({"principal": "arn:aws:iam::*:role/ci-deploy"}, {"principal": ROLE_SESSION}, True),
        ({"principal": "arn:aws:iam::*:role/pipelines/ci-deploy"}, {"principal": ROLE_SESSION}, True),
        (
            {"principal": "arn:aws:iam::*:role/ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-web-role/ci-deploy"},
            False,
        ),
        ({"principal": "arn:aws:iam::999999999999:role/ci-deploy"}, {"principal": ROLE_SESSION}, False),
        ({"principal": "cloudtrail.amazonaws.com"}, {"principal": "cloudtrail.amazonaws.com"}, True),
        ({"principal": "bob"}, {"principal": None}, False),
        # a finding naming several principals (a password spray) is matched only if all match
        ({"principal": "*-ops"}, {"principal": "ann-ops, amy-ops"}, True),
        ({"principal": "*-ops"}, {"principal": "ann-ops, bob"}, False),
        # a wildcard never reaches a name the caller chose: a session's or a federated user's
        (
            {"principal": "*/ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/ci-deploy"},
            False,
        ),
        (
            {"principal": "*/ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:federated-user/ci-deploy"},
            False,
        ),
        ({"principal": "ci-*"}, {"principal": f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"}, True),
        ({"principal": "ci-*"}, {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/ci-deploy"}, False),
        (
            {"principal": "*ci-deploy*"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/x.ci-deploy"},
            False,
        ),
        (
            {"principal": "arn:aws:*ci-deploy"},
            {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/ci-deploy"},
            False,
        ),
        ({"principal": "arn:aws:*ci-deploy"}, {"principal": ROLE_SESSION}, True),  # the role ci-deploy
        (
            {"principal": "arn:aws:sts::*:assumed-role/*deploy/terraform-apply-*"},  # role not named
            {"principal": ROLE_SESSION},
            False,
        ),
        (
            {"principal": f"arn:aws:sts::{ACCOUNT}:federated-user/ci-deploy"},  # exactly: the one
            {"principal": f"arn:aws:sts::{ACCOUNT}:federated-user/ci-deploy"},
            True,
        ),
        # event name and template: exact or glob
        ({"event_name": "CreateUser"}, {}, True),
        ({"event_name": "Create*"}, {}, True),
        ({"event_name": "CreateUserX"}, {}, False),
        ({"template": "iam-*"}, {}, True),
        ({"template": "access-key-created"}, {}, False),
        # source address: one address or a range, IPv4 or IPv6
        ({"source_ip": "198.51.100.40"}, {}, True),
        ({"source_ip": "198.51.100.0/24"}, {}, True),
        ({"source_ip": "198.51.101.0/24"}, {}, False),
        ({"source_ip": "198.51.100.0/24"}, {"sourceipaddress": "198.051.100.007"}, True),  # zero-padded
        ({"source_ip": "2001:db8::/32"}, {"sourceipaddress": "2001:db8:0:1::5"}, True),
        ({"source_ip": "2001:db8::/32"}, {"sourceipaddress": "2001:db9::5"}, False),
        ({"source_ip": "0.0.0.0/1"}, {"sourceipaddress": "sqs.amazonaws.com"}, False),  # not an address
        ({"source_ip": "0.0.0.0/1"}, {"sourceipaddress": None}, False),
        ({"source_ip": "203.0.113.0/24"}, {"sourceipaddress": "203.0.113.7, 203.0.113.9"}, True),
        ({"source_ip": "203.0.113.0/24"}, {"sourceipaddress": "203.0.113.7, 192.0.2.1"}, False),
        # every field an entry names must match
        ({"template": "iam-user-created", "principal": "bob", "source_ip": "198.51.100.40"}, {}, True),
        ({"template": "iam-user-created", "principal": "carol"}, {}, False),
        ({"event_name": "CreateUser", "source_ip": "10.0.0.0/8"}, {}, False),
    ],
)
def test_what_an_entry_matches(fields, record, matches):
    assert entry(reason="known", **fields).matches(finding(**record)) is matches


def test_the_first_matching_entry_claims_a_finding_and_expired_entries_claim_none():
    first = entry(principal="bob", reason="admin")
    second = entry(template="iam-*", reason="all")
    ended = entry(event_name="CreateUser", reason="old", expires="2025-03-31")
    today = entry(event_name="CreateAccessKey", reason="ends today", expires="2025-04-01")
    found = [
        finding(),
        finding(principal=f"arn:aws:iam::{ACCOUNT}:user/carol"),
        finding("access-key-created", eventname="CreateAccessKey", principal="x"),
        finding("admin-policy-granted", eventname="CreateUser", principal="x"),
    ]
    triage = suppress.apply(found, [ended, first, second, today], TODAY)
    assert triage.kept == [found[3]]  # only the expired entry matched it
    assert [(f, e.reason) for f, e in triage.suppressed] == [
        (found[0], "admin"),
        (found[1], "all"),
        (found[2], "ends today"),
    ]
    assert triage.expired == [ended] and triage.active == [first, second, today]
    assert [(e.reason, n) for e, n in triage.per_entry()] == [("admin", 1), ("all", 1), ("ends today", 1)]
    assert triage.per_template() == {"iam-user-created": 2, "access-key-created": 1}
    report = triage.report()
    assert report[0].startswith("warning: suppression s.toml:1 expired on 2025-03-31, it suppresses nothing")
    assert "suppressed 1 finding(s) by s.toml:1 (principal=bob): admin" in report
    idle = suppress.apply([], [first], TODAY).report()
    assert idle == ["1 suppression(s) matched no finding: s.toml:1"]


BAD_FILES = [
    ('[[suppress]]\ntemplate = "x"\n', ":1: [[suppress]] entry 1: has no reason"),
    ('[[suppress]]\nreason = "r"\n', ":1: [[suppress]] entry 1: matches nothing in particular"),
    (
        '[[suppress]]\nprincipal = "a"\nreason = "r"\n\n[[suppress]]\nreasn = "r"\n',
        ":6: [[suppress]] entry 2: unknown key 'reasn' (did you mean 'reason'?)",
    ),
    (
        '[[suppress]]\nsource_ip = "10.0.0.5/24"\nreason = "r"\n',
        ":2: [[suppress]] entry 1: source_ip '10.0.0.5/24' has bits set past its prefix (did you mean 10.0.0.0/24?)",
    ),
    (
        '[[suppress]]\nreason = "r"\nsource_ip = "10.0.0.500"\n',
        ":3: [[suppress]] entry 1: source_ip '10.0.0.500' is not an IP address or CIDR range",
    ),
    ('[[suppress]]\nsource_ip = "2001:db8::1/32"\nreason = "r"\n', "did you mean 2001:db8::/32?"),
    (
        '[[suppress]]\nprincipal = "a"\nreason = "r"\nexpires = "2025-13-01"\n',
        ":4: [[suppress]] entry 1: expires '2025-13-01' is not a date",
    ),
    (
        '[[suppress]]\nprincipal = "a"\nreason = "r"\nexpires = 2025-01-01T00:00:00Z\n',
        "expires 2025-01-01T00:00:00+00:00 is not a date",
    ),
    ('[[suppress]]\nprincipal = "a"\nreason = "r"\nexpires = 20250101\n', "expires 20250101 is not a date"),
    (
        '[[suppress]]\nprincipal = 5\nreason = "r"\n',
        ":2: [[suppress]] entry 1: principal must be a non-empty string, not 5",
    ),
    ('[[suppress]]\nprincipal = ["a", "b"]\nreason = "r"\n', "principal must be a non-empty string"),
    ('[[suppress]]\nprincipal = "a"\nreason = "  "\n', "reason must be a non-empty string"),
    ('[[suppress]]\nprincipal = "a\\u0007"\nreason = "r"\n', "holds a control character"),
    ('[suppress]\nprincipal = "a"\n', "suppress must be an array of tables"),
    (
        '[[suppress]]\nprincipal = "*"\nreason = "r"\n',
        ":2: [[suppress]] entry 1: principal '*' matches anything",
    ),
    ('[[suppress]]\ntemplate = "?*"\nreason = "r"\n', "template '?*' matches anything"),
    ('[[suppress]]\nprincipal = "*[!q]*"\nreason = "r"\n', "principal '*[!q]*' matches anything"),
    ('[[suppress]]\nevent_name = "[a-z]*"\nreason = "r"\n', "event_name '[a-z]*' matches anything"),
    ('[[suppress]]\ntemplate = "*-*"\nreason = "r"\n', "template '*-*' matches anything"),
    ('[[suppress]]\nprincipal = "??*"\nreason = "r"\n', "principal '??*' matches anything"),
    ('[[suppress]]\nprincipal = "arn:*"\nreason = "r"\n', "principal 'arn:*' matches anything"),
    ('[[suppress]]\nprincipal = "*/*"\nreason = "r"\n', "principal '*/*' matches anything"),
    ('[[suppress]]\nprincipal = "arn:aws:iam::*:*"\nreason = "r"\n', "principal 'arn:aws:iam::*:*' matches"),
    ('[[suppress]]\nevent_name = "??*"\nreason = "r"\n', "event_name '??*' matches anything"),
    # fnmatch reads `]` first in a class as a member: `[!]9a]` is one class, naming nothing
    ('[[suppress]]\nprincipal = "*[!]9a]*"\nreason = "r"\n', "principal '*[!]9a]*' matches anything"),
    ('[[suppress]]\nevent_name = "[!]xq]*"\nreason = "r"\n', "event_name '[!]xq]*' matches anything"),
    ('[[suppress]]\nprincipal = "*[]ab]*"\nreason = "r"\n', "principal '*[]ab]*' matches anything"),
    ('[[suppress]]\nsource_ip = "0.0.0.0/0"\nreason = "r"\n', "source_ip '0.0.0.0/0' matches every address"),
    ('[[suppress]]\nsource_ip = "::/0"\nreason = "r"\n', "source_ip '::/0' matches every address"),
    ("[[supress]]\n", "unknown key(s): supress"),
    ("x = [\n", "not valid TOML"),
    (
        '[[suppress]]\ntemplate = "iam-user-creatd"\nreason = "r"\n',
        ":1: template 'iam-user-creatd' names no detection (did you mean 'iam-user-created'?)",
    ),
    ('[[suppress]]\ntemplate = "nothing-*"\nreason = "r"\n', "template 'nothing-*' names no detection"),
    ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "values nested too deep to read"),  # (a traceback)
]


@pytest.mark.parametrize(("text", "said"), BAD_FILES)
def test_a_mistaken_suppressions_file_is_one_line_naming_the_place(tmp_path, capsys, sample_root, text, said):
    path = tmp_path / "suppressions.toml"
    path.write_bytes(text.encode())
    code, out, err = run_in_process(
        capsys, "sweep", "--source", str(sample_root), "--since", "1d", "--suppressions", str(path)
    )
    assert (code, out) == (2, "")
    assert said in err and str(path) in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "trailcsi: read " not in err  # refused before any file was read


def test_a_missing_suppressions_file_is_refused(tmp_path, capsys, sample_root):
    code, _out, err = run_in_process(
        capsys, "sweep", "--source", str(sample_root), "--suppressions", str(tmp_path / "nope.toml")
    )
    assert code == 2 and "suppressions file" in err and "does not exist" in err


def test_trailcsi_toml_holds_suppressions_checked_the_same_way(tmp_path):
    path = tmp_path / "trailcsi.toml"
    path.write_text(
        '[athena]\nworkgroup = "primary"\n\n[[sweep.suppress]]\nprincipal = "bob"\nreason = "admin"\n'
        'expires = 2031-01-01\n\n[[sweep.suppress]]\nsource_ip = "10.1.2.3/8"\nreason = "vpn"\n'
    )
    with pytest.raises(UsageError, match=r"trailcsi.toml:10: \[\[sweep.suppress\]\] entry 2: source_ip"):
        config.load(path)
    path.write_text(path.read_text().replace("10.1.2.3/8", "10.0.0.0/8"))
    loaded = config.load(path)
    assert [(e.where, e.principal, e.source_ip, e.expires) for e in loaded.suppressions] == [
        (f"{path}:4", "bob", None, date(2031, 1, 1)),
        (f"{path}:9", None, "10.0.0.0/8", None),
    ]
    for refused, needle in (
        ("[sweep]\nsuppres = []\n", r"unknown key\(s\) in \[sweep\]: suppres"),
        ("sweep = 1\n", r"\[sweep\] 1 from .* is refused"),
        ("[sweep]\nsuppress = 1\n", "sweep.suppress must be an array of tables"),
    ):
        path.write_text(refused)
        with pytest.raises(UsageError, match=needle):
            config.load(path)
    # What load read, dump writes back: athena setup rewrites the file and keeps them.
    path.write_text(config.dump(loaded))
    again = config.load(path).suppressions
    assert [(e.principal, e.source_ip, e.reason, e.expires) for e in again] == [
        (e.principal, e.source_ip, e.reason, e.expires) for e in loaded.suppressions
    ]


LAST_WEEK = window.parse(
    since="7d", now=datetime(END_DAY.year, END_DAY.month, END_DAY.day, 23, 59, tzinfo=UTC)
)


def test_a_sweep_sets_aside_counts_and_keeps_what_it_suppresses(sample_root, answers):
    catalog = Catalog.load()
    engine = LocalEngine(sample_root)
    try:
        plain = sweep.run(engine, catalog, LAST_WEEK)
        entries = [
            entry(template="console-login-*", source_ip="203.0.113.0/24", reason="the pentest"),
            entry(template="user-data-modified", reason="ours", expires="2025-03-01"),
        ]
        outcome = sweep.run(engine, catalog, LAST_WEEK, suppressions=entries, today=TODAY)
    finally:
        engine.close()
    suppressed_ids = {f.record["eventid"] for f, _ in outcome.suppressed}
    assert suppressed_ids == {answers.brute_force_failure_ids[0], answers.brute_force_success_id}
    # Nothing is lost: what is shown and what is set aside are the sweep's findings.
    assert sorted(map(repr, plain.findings)) == sorted(
        map(repr, outcome.findings + [f for f, _ in outcome.suppressed])
    )
    assert outcome.triage.expired == [entries[1]]  # and user-data-modified is still shown
    assert any(f.template == "user-data-modified" for f in outcome.findings)
    summaries = {
        s.template: s
        for s in sweep.summarize(outcome.findings, suppressed=[f for f, _ in outcome.suppressed])
    }
    assert (summaries["console-login-failures"].findings, summaries["console-login-failures"].suppressed) == (
        0,
        1,
    )
    assert summaries["console-login-failures"].severity == "medium"
    with pytest.raises(UsageError, match="names no detection"):
        sweep.run(engine, catalog, LAST_WEEK, suppressions=[entry(template="nope", reason="r")])


def test_sweep_reports_suppressions_and_lists_them_on_request(tmp_path, capsys, sample_root, answers):
    suppressions = tmp_path / "benign.toml"
    suppressions.write_text(
        '# the red team\n[[suppress]]\nsource_ip = "203.0.113.0/24"\nreason = "pentest"\n\n'
        '[[suppress]]\nevent_name = "DeleteTrail"\nreason = "never seen"\n'
    )
    settings = tmp_path / "trailcsi.toml"
    settings.write_text(
        '[[sweep.suppress]]\ntemplate = "user-data-modified"\nreason = "old"\nexpires = 2020-01-01\n'
    )
    base = ["sweep", "--source", str(sample_root), "--start", "2025-03-25", "--end", "2025-03-31"]
    base += ["--config", str(settings), "--suppressions", str(suppressions)]
    code, out, err = run_in_process(capsys, *base, "--format", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert {f["eventid"] for f in shown}.isdisjoint(
        {answers.brute_force_success_id, answers.brute_force_failure_ids[0]}
    )
    assert all("suppressed_by" not in f for f in shown)
    assert f"suppressions: 3 from {settings} and {suppressions}" in err
    assert f"warning: suppression {settings}:1 expired on 2020-01-01" in err
    assert f"suppressed 2 finding(s) by {suppressions}:2 (source_ip=203.0.113.0/24): pentest" in err
    assert f"1 suppression(s) matched no finding: {suppressions}:6" in err
    assert "; 2 suppressed" in err

    code, out, err = run_in_process(capsys, *base, "--format", "json", "--show-suppressed")
    listed = json.loads(out)
    assert [f["eventid"] for f in listed if f["suppressed_by"] is None] == [f["eventid"] for f in shown]
    marked = [f for f in listed if f["suppressed_by"]]
    assert {f["eventid"] for f in marked} == {
        answers.brute_force_success_id,
        answers.brute_force_failure_ids[0],
    }
    assert {f["suppressed_by"] for f in marked} == {f"{suppressions}:2: pentest"}
    assert list(listed[-1])[-1] == "suppressed_by"

    code, out, err = run_in_process(capsys, *base, "--summary", "--format", "json")
    rows = {r["template"]: r for r in json.loads(out)}
    assert (rows["console-login-failures"]["findings"], rows["console-login-failures"]["suppressed"]) == (
        0,
        1,
    )
    assert rows["user-data-modified"]["suppressed"] == 0


def test_a_trailcsi_toml_nested_too_deep_is_one_line(tmp_path, capsys, sample_root):
    config = tmp_path / "trailcsi.toml"
    config.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, out, err = run_in_process(
        capsys, "sweep", "--source", str(sample_root), "--since", "1d", "--config", str(config)
    )
    assert (code, out) == (2, "") and "nested too deep" in err and "Traceback" not in err, err[-500:]
