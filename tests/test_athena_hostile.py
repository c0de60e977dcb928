"""Hostile configuration for the Athena side: every value a flag or `trailcsi.toml` gives (database,
table, workgroup, output location, region, profile, bucket, prefix, org id, accounts, regions,
start day) is checked against AWS's rules before it reaches SQL or an API call, and a refused
value is one line naming the setting, where it came from and the rule, with exit code 2.

Offline: moto and the DuckDB double (tests/athena_double.py) stand in for AWS. What this cannot
prove: that Athena and Glue accept every name the rules let through, nor that they refuse what
the rules refuse; the rules are AWS's documented ones (Glue's 1-255 lowercase characters, the
workgroup pattern of the Athena API model, S3's bucket naming rules), and each statement sent is
parsed with sqlglot's athena dialect.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3
import pytest
import sqlglot
from conftest import run_in_process as trailcsi
from moto import mock_aws
from sqlglot import exp

from toolkit import config
from toolkit.engines.ddl import TableSpec, create_database_sql, create_table_sql, drop_table_sql
from toolkit.errors import UsageError
from toolkit.sources.bucket import discover

INJECTED = "t UNION ALL SELECT * FROM db.t"
SQL = ["sql", "SELECT count(*) FROM trail", "--since", "1d", "--engine", "athena", "--dry-run"]


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trailcsi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(code: int, out: str, err: str, *needles: str) -> None:
    """Exit 2, nothing on stdout, one error line holding every needle, no traceback."""
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- identifiers into the query SQL -----------------------------------------------------------


def test_a_table_from_the_config_file_cannot_inject_sql(capsys, tmp_path, fake_aws_env):
    path = write_config(tmp_path, f'[athena]\ntable = "{INJECTED}"\n')
    code, out, err = trailcsi(capsys, *SQL, "--config", str(path))
    refused(code, out, err, "table", repr(INJECTED), str(path), "lowercase letters, digits")


@pytest.mark.parametrize(
    ("flag", "value", "rule"),
    [
        ("--table", INJECTED, "lowercase letters, digits"),
        ("--database", "trailcsi.cloudtrail --", "lowercase letters, digits"),
        ("--database", "Trail", "lowercase letters, digits"),
        ("--table", "x" * 256, "1-255"),
        ("--workgroup", "primary' OR '1", "letters, digits, '.', '-' or '_'"),
        ("--output-location", "https://example.com/x/", "s3://"),
        ("--output-location", "s3://Bad_Bucket/x/", "s3://"),
        ("--output-location", "s3://results/x\n/", "s3://"),
        ("--aws-region", "us-east-1.example.com", "region"),
        ("--profile", "a\nb", "profile"),
    ],
)
def test_hostile_flags_are_refused_naming_the_flag_and_the_rule(capsys, fake_aws_env, flag, value, rule):
    code, out, err = trailcsi(capsys, *SQL, flag, value)
    refused(code, out, err, flag, rule)
    assert "\n" not in err.strip()  # the value is shown escaped, never as a raw line break


def test_the_query_names_only_the_configured_table_as_quoted_identifiers(capsys, tmp_path, fake_aws_env):
    path = write_config(tmp_path, '[athena]\ndatabase = "2024_trail"\ntable = "_events"\n')
    code, out, err = trailcsi(capsys, *SQL, "--config", str(path))
    assert code == 0, err
    tree = sqlglot.parse_one(out, read="athena")
    tables = [t for t in tree.find_all(exp.Table) if t.name != "trail"]
    assert [(t.db, t.name) for t in tables] == [("2024_trail", "_events")]
    assert all(part.quoted for t in tables for part in t.parts)
    assert '"2024_trail"."_events"' in out


def test_the_engine_refuses_hostile_settings_given_by_a_library_caller():
    from toolkit.engines.athena import AthenaEngine

    with pytest.raises(UsageError, match="table .* is refused: it must be a Glue name"):
        AthenaEngine(config.AthenaSettings(table=INJECTED))
    with pytest.raises(UsageError, match="workgroup"):
        AthenaEngine(config.AthenaSettings(workgroup="a b"))


# -- trailcsi.toml: types, unknown keys, not TOML ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[athena]\ndatabase = 5\n", ["database", "must be a string"]),
        ("[athena]\ntable = [1]\n", ["table", "must be a string"]),
        ("[athena]\nworkgroup = true\n", ["workgroup", "must be a string"]),
        ("[athena]\noutput_location = 1\n", ["output_location", "must be a string"]),
        ("[athena]\nregion = 1.5\n", ["region", "must be a string"]),
        ("[athena]\nprofile = {}\n", ["profile", "must be a string"]),
        ("[athena]\nmax_scan = [10]\n", ["max_scan", "size"]),
        ('[athena]\nmax_scan = "lots"\n', ["max_scan", "size"]),
        ('[athena]\nprice_per_tb = "cheap"\n', ["price_per_tb", "number"]),
        ("[athena]\nprice_per_tb = nan\n", ["price_per_tb", "number"]),
        ("[athena]\nprice_per_tb = -1\n", ["price_per_tb", "number"]),
        ("[athena]\nprice_per_tb = true\n", ["price_per_tb", "number"]),
        ('[athena]\nwrkgroup = "x"\n', ["unknown key", "wrkgroup"]),
        ('[athenna]\ndatabase = "x"\n', ["unknown key", "athenna"]),
        ("athena = 5\n", ["[athena]", "must be a table"]),
        ("[athena\n", ["not valid TOML"]),
        ("[athena]\ntable_setup = 3\n", ["table_setup", "must be a table"]),
        (
            '[athena.table_setup]\nbucket = 5\nprefix = ""\naccounts = ["111122223333"]\n'
            'regions = ["us-east-1"]\nstart_day = "2025/03/29"\n',
            ["table_setup", "bucket 5", "S3 bucket name"],
        ),
        ('[athena.table_setup]\nbucket = "b-1"\n', ["table_setup", "missing key(s) accounts"]),
        ("[athena.table_setup]\nsurprise = 1\n", ["table_setup", "surprise"]),
    ],
)
def test_a_malformed_config_file_is_one_line_naming_the_key(capsys, tmp_path, fake_aws_env, text, needles):
    path = write_config(tmp_path, text)
    code, out, err = trailcsi(capsys, *SQL, "--config", str(path))
    refused(code, out, err, str(path), *needles)


def test_a_config_file_that_is_not_utf8_is_one_line(capsys, tmp_path, fake_aws_env):
    path = tmp_path / "trailcsi.toml"
    path.write_bytes(b'[athena]\ntable = "\xff"\n')
    code, out, err = trailcsi(capsys, *SQL, "--config", str(path))
    refused(code, out, err, str(path), "not valid TOML")


def valid_record(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "bucket": "trail-bucket",
        "prefix": "",
        "accounts": ["111122223333"],
        "regions": ["us-east-1"],
        "start_day": "2025/03/29",
    }
    record.update(changes)
    return record


def test_a_single_account_setup_record_reads_back(tmp_path):
    """dump() leaves out org_id when there is none (TOML has no null); load() must accept that."""
    record = config.TableRecord(**valid_record(org_id=None))  # type: ignore[arg-type]
    path = tmp_path / "trailcsi.toml"
    config.save(config.Config(config.AthenaSettings(), record), path)
    assert config.load(path).table == record


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        (dict(bucket="a..b"), "bucket"),
        (dict(prefix="x'y/"), "prefix"),
        (dict(org_id="o-1"), "org_id"),
        (dict(accounts=["1111"]), "accounts"),
        (dict(accounts="111122223333"), "accounts"),
        (dict(regions=["us-east-1'"]), "regions"),
        (dict(start_day="yesterday"), "start_day"),
    ],
)
def test_a_hostile_setup_record_is_refused(tmp_path, changes, needle):
    record = config.TableRecord(**valid_record(org_id=None))  # type: ignore[arg-type]
    path = tmp_path / "trailcsi.toml"
    config.save(config.Config(config.AthenaSettings(), record), path)
    lines = path.read_text().splitlines()
    kept = [line for line in lines if line.split(" = ")[0] not in changes]
    kept += [f"{key} = {config._toml(value)}" for key, value in changes.items()]
    path.write_text("\n".join(kept) + "\n")
    with pytest.raises(UsageError, match=needle) as caught:
        config.load(path)
    assert str(path) in caught.value.message and "\n" not in str(caught.value)


# -- the DDL: bucket, prefix, names, partitions -------------------------------------------------


def spec(**changes: object) -> TableSpec:
    values: dict[str, object] = dict(
        bucket="org-trail",
        accounts=["111122223333"],
        regions=["us-east-1"],
        start_day=date(2024, 1, 1),
        prefix="",
        org_id="o-abcd123456",
    )
    values.update(changes)
    return TableSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        (dict(prefix="logs'/"), "--prefix"),
        (dict(prefix="logs/${account}/"), "--prefix"),
        (dict(prefix="logs/\n/x"), "--prefix"),
        (dict(prefix="logs/../other"), "--prefix"),
        (dict(prefix="logs/./x"), "--prefix"),
        (dict(prefix="a\\b"), "--prefix"),
        (dict(database="trailcsi\n"), "--database"),
        (dict(table="cloudtrail\n"), "--table"),
        (dict(table="x`y"), "--table"),
        (dict(bucket="org-trail\n"), "--bucket"),
        (dict(bucket="a..b"), "--bucket"),
        (dict(bucket="192.168.1.10"), "--bucket"),
        (dict(bucket="xn--trail"), "--bucket"),
        (dict(org_id="o-abcd123456\n"), "--org-id"),
        (dict(org_id="o-ABCD123456"), "--org-id"),
        (dict(accounts=["١١١١٢٢٢٢٣٣٣٣"]), "--accounts"),  # Arabic-Indic digits match \d
        (dict(regions=["us-east-1','x"]), "--regions"),
        (dict(regions=["ü-east-1"]), "--regions"),
    ],
)
def test_the_ddl_refuses_what_would_change_its_location_or_names(changes, needle):
    with pytest.raises(UsageError, match=needle) as caught:
        create_table_sql(spec(**changes))
    assert "\n" not in str(caught.value)


def test_the_ddl_quotes_its_names_and_says_only_what_the_spec_says():
    chosen = spec(database="2024_trail", table="_events", prefix="logs/(eu)-1/")
    statements = [create_database_sql(chosen), create_table_sql(chosen), drop_table_sql(chosen)]
    for statement in statements:
        (tree,) = [t for t in sqlglot.parse(statement, read="athena") if t is not None]
        for table in tree.find_all(exp.Table):
            assert all(part.quoted for part in table.parts), statement
    created = sqlglot.parse_one(statements[1], read="athena")
    assert (created.this.this.db, created.this.this.name) == ("2024_trail", "_events")
    assert "`2024_trail`.`_events`" in statements[1] and "`2024_trail`" in statements[0]
    location = created.find(exp.LocationProperty)
    assert location is not None and location.this.name == "s3://org-trail/logs/(eu)-1/AWSLogs/o-abcd123456/"


def test_athena_ddl_refuses_a_quote_in_the_prefix_and_prints_nothing(capsys, fake_aws_env):
    code, out, err = trailcsi(
        capsys,
        "athena",
        "ddl",
        "--bucket",
        "org-trail",
        "--prefix",
        "logs' , 'projection.enabled'='false",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1",
        "--start-day",
        "2024/01/01",
    )
    refused(code, out, err, "--prefix", "letters, digits")


@pytest.mark.parametrize("day", ["2024W011", "20240101", "2024-01-01T00:00", "２０２４/01/01"])
def test_a_start_day_is_yyyy_mm_dd_only(capsys, fake_aws_env, day):
    code, out, err = trailcsi(
        capsys,
        "athena",
        "ddl",
        "--bucket",
        "org-trail",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1",
        "--start-day",
        day,
    )
    refused(code, out, err, "--start-day", "YYYY/MM/DD")


def test_discover_refuses_a_bad_bucket_name_before_any_call(capsys, fake_aws_env):
    code, out, err = trailcsi(capsys, "athena", "discover", "--bucket", "Not A Bucket")
    refused(code, out, err, "--bucket", "S3 bucket name")


def test_discover_skips_folders_that_are_not_names_it_can_use(fake_aws_env):
    """Folder names are the bucket's, not the user's: one with a quote or a line break is not a
    region, account or organization, and never reaches the DDL."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="odd-trail")
        for key in (
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/a.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1','x/2024/01/02/b.json.gz",
            "AWSLogs/111122223333/CloudTrail/eu-west-1\n/2024/01/02/c.json.gz",
            "AWSLogs/111122223333\n/CloudTrail/us-east-1/2024/01/02/d.json.gz",
            "AWSLogs/o-abcd123456\n/444455556666/CloudTrail/us-east-1/2024/01/02/e.json.gz",
        ):
            s3.put_object(Bucket="odd-trail", Key=key, Body=b"{}")
        layout = discover(s3, "odd-trail")
    assert (layout.org_id, layout.accounts, layout.regions) == (None, ["111122223333"], ["us-east-1"])


# -- athena setup without AWS ------------------------------------------------------------------

SETUP_FLAGS = [
    "athena",
    "setup",
    "--bucket",
    "trail-bucket",
    "--accounts",
    "111122223333",
    "--regions",
    "us-east-1",
    "--start-day",
    "2024/01/01",
]


def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_setup_without_credentials_is_one_line(capsys, monkeypatch, tmp_path, fake_aws_env):
    no_aws(monkeypatch, tmp_path)
    args = [*SETUP_FLAGS, "--aws-region", "us-east-1", "--config", str(tmp_path / "t.toml")]
    code, out, err = trailcsi(capsys, *args)
    refused(code, out, err, "no AWS credentials found")
    assert not (tmp_path / "t.toml").exists()


def test_setup_without_a_region_is_one_line(capsys, monkeypatch, tmp_path, fake_aws_env):
    no_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, out, err = trailcsi(capsys, *SETUP_FLAGS, "--config", str(tmp_path / "t.toml"))
    refused(code, out, err, "no AWS region set")


def test_setup_without_an_endpoint_is_one_line_exit_5(capsys, monkeypatch, tmp_path, fake_aws_env):
    """A closed local port stands in for an unreachable endpoint; nothing leaves the machine."""
    no_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    args = [*SETUP_FLAGS, "--aws-region", "us-east-1", "--config", str(tmp_path / "t.toml")]
    code, out, err = trailcsi(capsys, *args)
    assert code == 5 and out == "" and "Traceback" not in err, err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "cannot connect to Glue" in line and "check the network" in line


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--workgroup", "wg; DROP"), ("--output-location", "s3://results/x y/"), ("--aws-region", "x")],
)
def test_setup_refuses_hostile_settings_before_any_call(
    capsys, monkeypatch, tmp_path, fake_aws_env, flag, value
):
    no_aws(monkeypatch, tmp_path)
    args = [*SETUP_FLAGS, flag, value, "--config", str(tmp_path / "t.toml")]
    code, out, err = trailcsi(capsys, *args)
    refused(code, out, err, flag)


def test_a_written_config_reads_back_whatever_the_profile_name(tmp_path):
    """JSON's surrogate-pair escapes (for characters past U+FFFF) are not valid TOML."""
    settings = config.AthenaSettings(profile="équipe-🔍", region="eu-west-3")
    path = tmp_path / "trailcsi.toml"
    config.save(config.Config(settings), path)
    assert config.load(path).athena == settings


def test_a_config_path_that_cannot_be_read_is_one_line(capsys, tmp_path, fake_aws_env):
    folder = tmp_path / "trailcsi.toml"
    folder.mkdir()
    (folder / "x").write_text("")
    code, out, err = trailcsi(capsys, *SQL, "--config", str(folder))
    refused(code, out, err, str(folder))


def test_a_differing_catalog_location_is_reported_on_one_line():
    from toolkit.engines import provision

    want = provision.wanted_shape(spec())
    have = provision.TableShape(want.columns, want.partitions, "s3://org-trail/x\ny/", want.properties)
    (said,) = provision.differences(want, have)
    assert "\n" not in said and "'s3://org-trail/x\\ny/'" in said
