"""The local engine's rows are Trino's rows, exactly, on real CloudTrail events (see conftest.py)."""

from __future__ import annotations

import json
import math

import pytest
from trino_cases import CASES, UNNAMED_UNNESTS

from toolkit.core.query import TrailQuery
from toolkit.core.window import parse
from toolkit.engines.local import LocalEngine
from toolkit.errors import SourceError

ALL_TIME = parse(all_time=True)

pytestmark = pytest.mark.conformance


def _sorted(rows: list[list[object]]) -> list[list[object]]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


def test_every_column_of_every_event(engines):
    # Trino reads the camelCase keys into the lowercase columns and struct members (OpenX JSON is
    # case-insensitive), an object in a STRING column as its compact JSON text, and the partition
    # columns from the folders. The fixture repeats some event ids, so the rows are compared as a
    # multiset.
    trino, local = engines.both("SELECT * FROM trail")
    assert len(trino) == 346
    assert _sorted(local) == _sorted(trino)


def test_events_per_source(engines):
    trino, local = engines.both(
        "SELECT eventsource, count(*) AS n, count_if(errorcode IS NOT NULL) AS errors, "
        "count(DISTINCT day) AS days FROM trail GROUP BY eventsource ORDER BY n DESC, eventsource"
    )
    assert len(trino) > 5
    assert local == trino


def test_json_extract_scalar_on_request_parameters(engines):
    # '$.instancesSet' is an object: NULL on Trino (not its JSON text, as DuckDB's ->> would give).
    trino, local = engines.both(
        "SELECT eventname, json_extract_scalar(requestparameters, '$.userName') AS user_name, "
        "json_extract_scalar(requestparameters, '$.instancesSet') AS an_object, "
        "json_format(json_extract(requestparameters, '$.instancesSet.items[0]')) AS first_item, count(*) AS n "
        "FROM trail WHERE requestparameters IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )
    assert any(row[1] is not None for row in trino) and all(row[2] is None for row in trino)
    assert any(row[3] is not None for row in trino)
    assert local == trino


def test_filter_on_nested_identity_fields(engines):
    trino, local = engines.both(
        "SELECT eventtime, eventid, eventname, useridentity.arn, "
        "useridentity.sessioncontext.sessionissuer.username, useridentity.sessioncontext.attributes "
        "FROM trail WHERE useridentity.arn LIKE 'arn:aws:sts::%:assumed-role/%' "
        "AND useridentity.sessioncontext.sessionissuer.type = 'Role' ORDER BY 1, 2, 3, 4, 5"
    )
    assert len(trino) > 10
    assert local == trino


def test_timestamps_from_eventtime(engines):
    # timestamp(3) with time zone: Trino writes '2024-08-02 08:23:06.000 UTC' (see conftest.wire).
    trino, local = engines.both(
        "SELECT eventid, from_iso8601_timestamp(eventtime) AS ts, "
        "date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour, "
        "date(from_iso8601_timestamp(eventtime)) AS d, to_unixtime(from_iso8601_timestamp(eventtime)) AS u, "
        "date_diff('minute', from_iso8601_timestamp(eventtime), from_iso8601_timestamp('2025-01-01T00:00:00Z')) "
        "AS minutes FROM trail ORDER BY 1, 2"
    )
    assert trino[0][1].endswith(" UTC")
    assert local == trino


def test_unnest_resources_into_their_fields(engines):
    # An array of rows unnests into one column per field, named in order by the aliases (or by
    # the fields without them); WITH ORDINALITY counts from 1; LEFT JOIN ... ON true keeps the
    # events without resources; an alias list that does not name every field is Trino's error.
    trino, local = engines.both(
        "SELECT r.type, count(*) AS n FROM trail CROSS JOIN UNNEST(resources) AS r(arn, accountid, type) "
        "GROUP BY 1 ORDER BY 1"
    )
    assert len(trino) > 3
    assert local == trino
    trino, local = engines.both(
        "SELECT eventid, a, k, n FROM trail LEFT JOIN UNNEST(resources) WITH ORDINALITY AS r(a, k, t, n) "
        "ON true WHERE eventsource IN ('ssm.amazonaws.com', 'ec2.amazonaws.com') ORDER BY 1, 4"
    )
    assert any(row[3] is None for row in trino) and any(row[3] == 2 for row in trino)
    assert _sorted(local) == _sorted(trino)
    trino, local = engines.both(
        "SELECT eventid, arn, type FROM trail CROSS JOIN UNNEST(resources) ORDER BY 1, 2, 3"
    )
    assert _sorted(local) == _sorted(trino)
    engines.same_error(
        "SELECT a FROM trail CROSS JOIN UNNEST(resources) AS r(a)",
        "Column alias list has 1 entries but 'r' has 3",
    )


def test_subscripts_of_resources(engines):
    # resources[1] of a NULL array is NULL; past the end of an event's resources, Trino's error.
    trino, local = engines.both(
        "SELECT eventid, resources[1].arn, element_at(resources, 2).arn, resources[cardinality(resources)].type "
        "FROM trail ORDER BY 1"
    )
    assert any(row[1] is not None for row in trino) and any(row[1] is None for row in trino)
    assert _sorted(local) == _sorted(trino)
    engines.same_error(
        "SELECT eventid, resources[2].arn FROM trail WHERE cardinality(resources) = 1",
        "Array subscript must be less than or equal to array length: 2 > 1",
    )


#: Panther's test events whose keys are not written as CloudTrail writes them (`eventtime`, ...).
LOWERCASE_KEYS = (
    "panther-030",
    "panther-031",
    "panther-032",
    "panther-117",
    "panther-119",
    "panther-192",
    "panther-193",
)


def test_keys_in_another_case_than_cloudtrails(panther_engines):
    # Trino's JSON reader matches keys without case: `eventtime` fills eventtime as `eventTime`
    # does, at the top of a record and in its nested objects; so does the local engine.
    listed = ", ".join(f"'{event_id}'" for event_id in LOWERCASE_KEYS)
    trino, local = panther_engines.both(
        f"SELECT eventid, eventtime, eventname, eventsource, awsregion, useridentity FROM trail "
        f"WHERE eventid IN ({listed}) ORDER BY eventid"
    )
    assert len(trino) == len(LOWERCASE_KEYS) and all(row[2] for row in trino)
    assert local == trino


def test_a_nested_field_of_another_json_type(panther_engines):
    # panther-101's `resources` holds strings where its rows are due: Trino fails a query reading
    # that column. The local engine leaves the record's file out of such a query, saying why
    # (under --strict the query fails), and reads it for queries that do not read the column, as
    # Trino does.
    sql = "SELECT eventid, resources FROM trail WHERE eventid = 'panther-101'"
    with pytest.raises(panther_engines.script.TrinoError, match="Primitive can not be coerced to a ROW"):
        panther_engines.trino(sql)
    result = panther_engines.local.run(TrailQuery.parse(sql, ALL_TIME))
    assert result.rows == []
    [skipped] = result.report.skipped
    assert (
        "another JSON type than its column's" in skipped.reason
        and "resources[0] is a string" in skipped.reason
    )
    strict = LocalEngine(panther_engines.local.archive.root, strict=True)
    try:
        with pytest.raises(SourceError, match="resources.0. is a string, not an object"):
            strict.run(TrailQuery.parse(sql, ALL_TIME))
    finally:
        strict.close()
    trino, local = panther_engines.both("SELECT eventid, eventname FROM trail WHERE eventid = 'panther-101'")
    assert trino and local == trino


# -- where DuckDB and Trino differ (tests/trino_cases.py, the README's differences table) ----------


def _comparable(value: object) -> object:
    """Trino's protocol writes a double's NaN and infinities as text; the local engine's floats too."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.refused is None], ids=[c.what for c in CASES if c.refused is None]
)
def test_trinos_answer_or_error_on_both_engines(engines, case):
    if case.error is not None:
        engines.same_error(case.sql, case.error)
        return
    trino, local = engines.both(case.sql)
    assert _comparable(local) == _comparable(trino)


@pytest.mark.parametrize(("sql", "names"), UNNAMED_UNNESTS)
def test_unnest_columns_without_a_name_on_both_engines(engines, sql, names):
    # `both` compares the column names too: `_col<position>` on both
    trino, local = engines.both(sql)
    assert _comparable(local) == _comparable(trino)
    assert [c["name"] for c in engines.trino_once(sql)[0]] == names


def test_percentages_and_integer_division_on_events(engines):
    # count(*) * 100.0 / total is decimal(23, 1) on Trino ('33.3'); count(*) / 7 is a bigint.
    trino, local = engines.both(
        "WITH counts AS (SELECT eventsource, count(*) AS n FROM trail GROUP BY 1), "
        "total AS (SELECT sum(n) AS t FROM counts) "
        "SELECT eventsource, n, n * 100.0 / t AS pct, round(n * 100.0 / t, 2) AS rounded, n / 7 AS weeks, "
        "n % 7 AS rest FROM counts CROSS JOIN total ORDER BY n DESC, eventsource"
    )
    assert any("." in row[2] for row in trino)
    assert local == trino


def test_json_paths_and_iso8601_on_events(engines):
    trino, local = engines.both(
        "SELECT eventid, json_extract_scalar(requestparameters, '$[\"bucketName\"]') AS bucket, "
        "json_extract_scalar(requestparameters, '$.instancesSet.items[0].instanceId') AS instance, "
        "json_size(requestparameters, '$') AS members, "
        "to_iso8601(from_iso8601_timestamp(eventtime)) AS iso FROM trail ORDER BY 1, 5"
    )
    assert any(row[1] for row in trino) and any(row[4] and row[4].endswith(".000Z") for row in trino)
    assert local == trino


def test_alias_in_having_is_refused_on_both_engines(engines):
    engines.same_error(
        "SELECT eventname AS name, count(*) AS n FROM trail GROUP BY eventname HAVING n > 2",
        "Column 'n' cannot be resolved",
    )
