"""How the local engine reads CloudTrail's JSON into `trail`, as Trino's JSON reader (Athena's
table) reads it: keys match without regard to case, at the top of a record and in its nested
objects; a key given twice, in one case or two, refuses the file for the queries reading it; a
nested field of another JSON type than its column's, which fails a Trino query reading it, leaves
the file out of such queries, saying why (under --strict the query fails); a NULL item of an
array of rows is NULL. The raw read and the columnar cache read alike. (Trino's answers to the
same records: tests/conformance/test_conformance.py, on Panther's test events.)"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import build_cache, run_in_process

from toolkit.cache import columnar
from toolkit.core import schema, window
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import SourceError

ALL = window.parse(all_time=True)
BASE = '"eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com", "awsRegion": "us-east-1"'


def archive(root: Path, *files: list[str]) -> Path:
    """Log files of one day, each holding these records (JSON texts, keys as written)."""
    folder = root / "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01"
    folder.mkdir(parents=True, exist_ok=True)
    for at, records in enumerate(files):
        name = f"111122223333_CloudTrail_us-east-1_20240501T0000Z_{at:04d}.json.gz"
        (folder / name).write_bytes(gzip.compress(('{"Records": [' + ", ".join(records) + "]}").encode()))
    return root


def record(event_id: str, fields: str = "") -> str:
    return "{" + BASE + f', "eventID": "{event_id}"' + (", " + fields if fields else "") + "}"


def run(root: Path, sql: str, *, strict: bool = False, cache: columnar.ColumnarCache | None = None):
    engine = LocalEngine(root, strict=strict, cache=cache)
    try:
        return engine.run(TrailQuery.parse(sql, ALL))
    finally:
        engine.close()


LOWERCASE = (
    '{"eventtime": "2024-05-01T11:00:00Z", "EVENTSOURCE": "ec2.amazonaws.com", "awsregion": "us-east-1", '
    '"eventid": "lower", "eventName": "RunInstances", "useridentity": {"Type": "IAMUser", "username": '
    '"alice", "SessionContext": {"sessionissuer": {"userName": "role"}, "Attributes": {"mfaauthenticated": '
    '"true"}}}, "Resources": [{"arn": "arn:aws:ec2:::i-1", "AccountID": "111122223333", "TYPE": '
    '"AWS::EC2::Instance"}], "tlsdetails": {"TLSVersion": "TLSv1.3"}}'
)
PLAIN = record(
    "plain",
    '"eventName": "GetObject", "userIdentity": {"type": "IAMUser", "userName": "bob"}, '
    '"resources": [{"ARN": "arn:aws:s3:::b", "accountId": "111122223333", "type": "AWS::S3::Bucket"}, null]',
)
COLUMNS = (
    "SELECT eventid, eventtime, eventsource, eventname, useridentity.type, useridentity.username, "
    "useridentity.sessioncontext.sessionissuer.username, "
    "useridentity.sessioncontext.attributes.mfaauthenticated, resources, tlsdetails.tlsversion "
    "FROM trail ORDER BY eventid"
)
EXPECTED = [
    (
        "lower",
        "2024-05-01T11:00:00Z",
        "ec2.amazonaws.com",
        "RunInstances",
        "IAMUser",
        "alice",
        "role",
        "true",
        [{"arn": "arn:aws:ec2:::i-1", "accountid": "111122223333", "type": "AWS::EC2::Instance"}],
        "TLSv1.3",
    ),
    (
        "plain",
        "2024-05-01T10:00:00Z",
        "s3.amazonaws.com",
        "GetObject",
        "IAMUser",
        "bob",
        None,
        None,
        [{"arn": "arn:aws:s3:::b", "accountid": "111122223333", "type": "AWS::S3::Bucket"}, None],
        None,
    ),
]


def test_keys_in_another_case_are_read_at_every_level(tmp_path):
    root = archive(tmp_path, [PLAIN, LOWERCASE], [PLAIN.replace('"plain"', '"plain-2"')])
    result = run(root, COLUMNS)
    assert not result.report.skipped
    assert result.rows == [*EXPECTED, ("plain-2", *EXPECTED[1][1:])]
    # a query reading no nested column reads the keys without case too
    assert run(root, "SELECT eventname FROM trail WHERE eventid = 'lower'").rows == [("RunInstances",)]


def test_the_cache_reads_keys_in_another_case_as_the_raw_files_are_read(tmp_path):
    root = archive(tmp_path / "archive", [PLAIN, LOWERCASE])
    build_cache(root, tmp_path / "cache", ALL)
    cache = columnar.ColumnarCache(root, tmp_path / "cache")
    cached = run(root, COLUMNS, cache=cache)
    assert any("read from the columnar cache" in note for note in cached.report.notes)
    assert cached.rows == EXPECTED
    assert run(root, "SELECT * FROM trail ORDER BY eventid", cache=cache).rows == (
        run(root, "SELECT * FROM trail ORDER BY eventid").rows
    )


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ('"eventName": "A", "eventname": "B"', "eventname"),
        ('"userIdentity": {"userName": "a", "username": "b"}', "username"),
    ],
    ids=["top", "nested"],
)
def test_a_key_given_twice_in_two_cases_is_refused_by_the_queries_reading_it(tmp_path, fields, key):
    # Trino keeps the last; Athena's SerDe refuses the record; which one counts is ambiguous.
    root = archive(tmp_path, [record("twice", fields)])
    column = "eventname" if key == "eventname" else "useridentity.username"
    refused = run(root, f"SELECT {column} FROM trail")
    assert refused.rows == []
    [skipped] = refused.report.skipped
    assert f"holds the key '{key}' twice (keys match without regard to case" in skipped.reason
    assert run(root, "SELECT eventid FROM trail").rows == [("twice",)]


@pytest.mark.parametrize(
    ("fields", "column", "key"),
    [
        ('"eventName": "A", "eventName": "B"', "eventname", "eventName"),
        ('"userIdentity": {"type": "A", "type": "B"}', "useridentity.type", "type"),
        (
            '"userIdentity": {"type": "A", "sessionContext": {"sessionIssuer": {"type": "Role"}}, "type": "B"}',
            "useridentity.type",
            "type",
        ),
        (
            '"userIdentity": {"sessionContext": {"sessionIssuer": {"userName": "a", "userName": "b"}}}',
            "useridentity.sessioncontext.sessionissuer.username",
            "userName",
        ),
        (  # objects nested more than `_TWICE_DEPTH` deep between the two (a crafted file)
            '"userIdentity": {"type": "A", "sessionContext": {"webIdFederationData": {"attributes": '
            '{"a": {"b": {"c": {"d": {"e": 1}}}}}}}, "type": "B"}',
            "useridentity.type",
            "type",
        ),
        ('"resources": [{"ARN": "x"}, {"ARN": "y", "ARN": "z"}]', "resources", "ARN"),
        (
            '"tlsDetails": {"tlsVersion": "a", "clientProvidedHostHeader": "{\\"", "tlsVersion": "b"}',
            "tlsdetails",
            "tlsVersion",
        ),
    ],
    ids=["top", "nested", "nested-around-an-object", "deeper", "far-apart", "array-item", "around-a-brace"],
)
def test_a_key_given_twice_in_one_case_is_refused_by_the_queries_reading_it(tmp_path, fields, column, key):
    # Trino keeps the last value, DuckDB's cast the first; Athena's SerDe refuses duplicate keys:
    # a nested key given twice is refused as a top-level one is, for the queries reading it.
    root = archive(tmp_path, [record("twice", fields)], [PLAIN])
    refused = run(root, f"SELECT eventid, {column} FROM trail")
    assert [row[0] for row in refused.rows] == ["plain"]
    [skipped] = refused.report.skipped
    assert f"holds the key '{key}' twice" in skipped.reason
    assert sorted(run(root, "SELECT eventid FROM trail").rows) == [("plain",), ("twice",)]


def test_a_key_in_two_objects_is_not_given_twice(tmp_path):
    fields = (
        '"userIdentity": {"type": "AssumedRole", "arn": "a", "sessionContext": {"sessionIssuer": '
        '{"type": "Role", "arn": "b"}}}, "resources": [{"ARN": "x"}, {"ARN": "y"}]'
    )
    root = archive(tmp_path, [record("once", fields)])
    result = run(
        root, "SELECT useridentity.type, useridentity.sessioncontext.sessionissuer.arn, resources FROM trail"
    )
    assert result.rows[0][:2] == ("AssumedRole", "b")
    assert not result.report.skipped


@pytest.mark.parametrize(
    ("fields", "column", "said"),
    [
        ('"resources": ["a", "b"]', "resources", "record 2's resources[0] is a string, not an object"),
        ('"resources": {"ARN": "x"}', "resources", "record 2's resources is an object, not an array"),
        ('"userIdentity": "root"', "useridentity", "record 2's userIdentity is a string, not an object"),
        ('"userIdentity": ["a"]', "useridentity", "record 2's userIdentity is an array, not an object"),
        (
            '"userIdentity": {"type": "Root", "sessionContext": "x"}',
            "useridentity.type",
            "record 2's userIdentity.sessionContext is a string, not an object",
        ),
        ('"tlsDetails": 5', "tlsdetails", "record 2's tlsDetails is a number, not an object"),
    ],
    ids=["string-items", "object-for-array", "string-for-row", "array-for-row", "nested", "number"],
)
def test_a_nested_field_of_another_json_type_leaves_its_file_out_of_queries_reading_it(
    tmp_path, fields, column, said
):
    # Trino fails a query reading such a field (Primitive can not be coerced to a ROW), or reads
    # it otherwise than the local engine could (an array as a row by position, an object as an
    # array of one): the file is left out of such queries, said, and fatal under --strict.
    root = archive(tmp_path, [PLAIN, record("odd", fields)], [PLAIN.replace('"plain"', '"other"')])
    result = run(root, f"SELECT eventid, {column} FROM trail ORDER BY eventid")
    assert [row[0] for row in result.rows] == ["other"]
    [skipped] = result.report.skipped
    assert skipped.path.endswith("_0000.json.gz")
    assert skipped.reason.startswith("a record in it holds another JSON type than its column's: ")
    assert said in skipped.reason
    with pytest.raises(SourceError, match="another JSON type"):
        run(root, f"SELECT eventid, {column} FROM trail", strict=True)
    assert [r[0] for r in run(root, "SELECT eventid FROM trail ORDER BY 1").rows] == ["odd", "other", "plain"]


def test_values_of_other_json_types_that_athena_reads_are_read_as_athena_reads_them(tmp_path):
    fields = (
        '"eventName": {"a": 1}, "userIdentity": {"userName": {"a": [1]}, "accountId": 5}, '
        '"resources": [{"ARN": ["x"], "type": 1}], "tlsDetails": {}'
    )
    root = archive(tmp_path, [record("odd", fields)])
    result = run(
        root,
        "SELECT eventname, useridentity.username, useridentity.accountid, resources, tlsdetails FROM trail",
    )
    assert not result.report.skipped
    assert result.rows == [
        (
            '{"a":1}',
            '{"a":[1]}',
            "5",
            [{"arn": '["x"]', "accountid": None, "type": "1"}],
            {"tlsversion": None, "ciphersuite": None, "clientprovidedhostheader": None},
        )
    ]


@pytest.mark.parametrize("corpus", ["stratus", "aws-docs", "otrf", "sample"])
def test_real_cloudtrail_records_need_no_exact_reading(corpus_archives, sample_root, corpus):
    # The check that sends a file to the slower exact reader is false for the records AWS writes.
    # It is made on the nested columns only (`_fast_reading_differs`): they are all read.
    root = sample_root if corpus == "sample" else corpus_archives[corpus][0]
    nested = [c.name for c in schema.EVENT_COLUMNS if c.kind in ("struct", "array")]
    assert nested == ["useridentity", "resources", "addendum", "tlsdetails"]
    engine = LocalEngine(root)
    try:
        result = engine.run(TrailQuery.parse(f"SELECT {', '.join(nested)} FROM trail", ALL))
        assert result.rows and not result.report.skipped
        assert not engine._exact
    finally:
        engine.close()


def test_event_finds_a_record_whose_keys_are_in_another_case(tmp_path, capsys):
    root = archive(tmp_path, [PLAIN, LOWERCASE])
    code, out, _err = run_in_process(capsys, "event", "lower", "--source", str(root), "--all-time")
    assert code == 0 and '"eventName": "RunInstances"' in out
