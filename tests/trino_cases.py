"""Athena SQL whose answer differs between Trino and a plain DuckDB, with Trino 476's answer.

Each case is one row of the README's "Athena/DuckDB differences" table (tests/test_trino_semantics.py
checks that the two agree). `rows` is Trino's answer as the local engine gives it (Decimal for
decimal(p, s)); `error` is text both Trino's error and the local engine's UsageError hold;
`refused` is the local engine's own refusal where it cannot give Trino's answer. The conformance
tests (tests/conformance/) run every case with `rows` or `error` on a real Trino server too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Case:
    what: str
    sql: str
    rows: list[tuple[Any, ...]] | None = None
    error: str | None = None
    refused: str | None = None
    #: How the local engine handles it (the README table's last column).
    local: str = "gives Trino's answer"


CASES = [
    Case(
        "substr at position 0, before the start, or for a length of 0 or less",
        "SELECT substr('abc', 0), substr('abc', 0, 2), substr('abc', -5), substr('abc', -5, 3), "
        "substr('abc', 2, -1), substr('abc', -2), substr('abc', 2, 5), substr(CAST(NULL AS varchar), 0), "
        "substr('abc', 0, CAST(NULL AS bigint))",
        rows=[("", "", "", "", "", "bc", "bc", None, None)],
    ),
    Case(
        "SELECT alias in HAVING",
        "SELECT x AS n, count(*) AS c FROM (VALUES 1, 2, 3) AS t(x) GROUP BY x HAVING n > 2",
        error="Column 'n' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "SELECT alias in WHERE",
        "SELECT x AS n FROM (VALUES 1, 2, 3) AS t(x) WHERE n > 2",
        error="Column 'n' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "SELECT alias in GROUP BY",
        "SELECT x + 1 AS n, count(*) AS c FROM (VALUES 1, 2, 3) AS t(x) GROUP BY n",
        error="Column 'n' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "SELECT alias in another select item",
        "SELECT x AS a, a + 1 AS b FROM (VALUES 1) AS t(x)",
        error="Column 'a' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "SELECT alias in ORDER BY (allowed)",
        "SELECT x + 1 AS n FROM (VALUES 2, 1) AS t(x) ORDER BY n",
        rows=[(2,), (3,)],
    ),
    Case(
        "a relation's name used as a column (VALUES)",
        "SELECT t FROM (VALUES 1) AS t(x)",
        error="Column 't' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "a relation's name used as a column (UNNEST)",
        "SELECT u FROM UNNEST(ARRAY[1]) AS u",
        error="Column 'u' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "`trail`'s name used as a column",
        "SELECT count(trail) FROM trail",
        error="Column 'trail' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "a subquery's name in a function",
        "SELECT to_json(t) FROM (SELECT 1 AS a) AS t",
        error="Column 't' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "a WITH query's name in WHERE",
        "WITH w AS (SELECT 1 AS a) SELECT a FROM w WHERE w IS NOT NULL",
        error="Column 'w' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "a relation's name in ORDER BY",
        "SELECT x FROM (VALUES 1) AS t(x) ORDER BY t",
        error="Column 't' cannot be resolved",
        local="refused with Trino's message",
    ),
    Case(
        "a name both a column and its relation's (the column)",
        "SELECT x FROM (VALUES 1) AS x(x)",
        rows=[(1,)],
    ),
    Case(
        "a relation's name in a subquery, a column of the enclosing query",
        "SELECT (SELECT t FROM (VALUES 2) AS t(y)) FROM (VALUES 1) AS s(t)",
        refused="names a relation here and a column of an enclosing query",
        local="refused (Trino: 1, the enclosing query's column)",
    ),
    Case(
        "a relation's name over columns the SQL does not tell",
        "SELECT u FROM (VALUES ARRAY[1]) AS t(a) CROSS JOIN UNNEST(a) AS u",
        refused="cannot tell from the SQL whether it is a column",
        local="refused (Trino: Column 'u' cannot be resolved)",
    ),
    Case(
        "integer division truncates toward zero",
        "SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3",
        rows=[(3, -3, 1, -1, 1)],
    ),
    Case(
        "count(*) divided by an integer",
        "SELECT count(*) / 4 AS quarter FROM (VALUES 1, 2, 3, 4, 5, 6) AS t(x)",
        rows=[(1,)],
    ),
    Case(
        "a UNION's column: its branches' common type",
        "SELECT x / 3 FROM (SELECT 1 AS x UNION ALL SELECT 2.5) ORDER BY 1",
        rows=[(Decimal("0.3"),), (Decimal("0.8"),)],
    ),
    Case("integer division by zero", "SELECT 1 / 0", error="Division by zero", local="the same error"),
    Case("integer modulo by zero", "SELECT 1 % 0", error="Division by zero", local="the same error"),
    Case("decimal division by zero", "SELECT 0.5 / 0", error="Division by zero", local="the same error"),
    Case(
        "double division by zero",
        "SELECT 1e0 / 0, -1e0 / 0, 0e0 / 0, 1e0 % 0",
        rows=[(float("inf"), float("-inf"), float("nan"), float("nan"))],
        local="Infinity / NaN; JSON output writes them as strings",
    ),
    Case(
        "a percentage is a decimal",
        "SELECT count(*) * 100.0 / 3 AS pct FROM (VALUES 1) AS t(x)",
        rows=[(Decimal("33.3"),)],
    ),
    Case(
        "decimal literals and arithmetic keep Trino's precision and scale",
        "SELECT 100.0, 1.5 * 2.25, 1.5 + 2.25, 10.0 / 3, 1 / 3.0, 10 / 3.0000",
        rows=[
            (
                Decimal("100.0"),
                Decimal("3.375"),
                Decimal("3.75"),
                Decimal("3.3"),
                Decimal("0.3"),
                Decimal("3.3333"),
            )
        ],
    ),
    Case(
        "decimal division rounds half away from zero",
        "SELECT 2.0 / 3, -2.0 / 3, 1.25 / 2, -1.25 / 2, 0.05 / 2",
        rows=[(Decimal("0.7"), Decimal("-0.7"), Decimal("0.63"), Decimal("-0.63"), Decimal("0.03"))],
    ),
    Case(
        "round of a decimal keeps its scale",
        "SELECT round(2.456, 2), round(2.45, 1), round(2.5), round(-2.5), round(7 / 3.0, 1)",
        rows=[(Decimal("2.460"), Decimal("2.50"), Decimal("3"), Decimal("-3"), Decimal("2.3"))],
    ),
    Case(
        "avg and sum of decimals are decimals",
        "SELECT avg(x), sum(x), sum(x) / count(*) FROM (VALUES 1.5, 2.25, 3.0) AS t(x)",
        rows=[(Decimal("2.25"), Decimal("6.75"), Decimal("2.25"))],
    ),
    Case(
        "decimal modulo",
        "SELECT 5.5 % 2, -5.5 % 2, 5 % 2.5",
        rows=[(Decimal("1.5"), Decimal("-1.5"), Decimal("0.0"))],
    ),
    Case(
        "JSON path with a quoted key",
        """SELECT json_extract_scalar('{"x-amz-copy-source": "a/b"}', '$["x-amz-copy-source"]')""",
        rows=[("a/b",)],
    ),
    Case(
        "JSON path with - in a dotted key",
        """SELECT json_extract_scalar('{"x-amz-copy-source": "a/b"}', '$.x-amz-copy-source')""",
        error="Invalid JSON path: '$.x-amz-copy-source'",
        local="refused with Trino's message",
    ),
    Case(
        "JSON path with a single-quoted key",
        """SELECT json_extract_scalar('{"a": "x"}', '$[''a'']')""",
        error="Invalid JSON path: '$['a']'",
        local="refused with Trino's message",
    ),
    Case(
        "JSON path wildcard",
        """SELECT json_extract('{"a": [1, 2]}', '$.a[*]')""",
        error="Invalid JSON path: '$.a[*]'",
        local="refused with Trino's message",
    ),
    Case(
        "JSON path keys: digits, unicode, colon; a number key reads an object member too",
        """SELECT json_extract_scalar('{"1c": "z"}', '$.1c'), json_extract_scalar('{"é": "x"}', '$.é'), """
        """json_extract_scalar('{"a:b": "x"}', '$.a:b'), json_extract_scalar('{"a": {"0": "x"}}', '$.a[0]')""",
        rows=[("z", "x", "x", "x")],
    ),
    Case(
        "json_extract_scalar of a number: its text as written",
        "SELECT json_extract_scalar(j, '$.n'), json_extract_scalar(j, '$.big'), json_extract_scalar(j, '$.id'), "
        "json_extract_scalar(j, '$.e[0]'), json_extract_scalar(j, '$.z'), json_extract_scalar(j, '$.t') "
        """FROM (VALUES '{"n": 1.50, "big": 12345678901234567890123, "id": 9007199254740993, "e": [1E+3], """
        """"z": -0, "t": 1.0e-7}') AS t(j)""",
        rows=[("1.50", "12345678901234567890123", "9007199254740993", "1E+3", "-0", "1.0e-7")],
    ),
    Case(
        "json_extract_scalar of a number written two ways in one text",
        """SELECT json_extract_scalar('{"a": 1.5, "b": 1.50}', '$.a')""",
        refused="written more than one way in this JSON text",
        local="refused (Trino: `1.5`)",
    ),
    Case(
        "json_parse sorts an object's keys, nested too; numbers as Java writes them",
        """SELECT json_format(json_parse('{"b": [3, 1, {"z": 1.50, "y": 1e3}], "a": {"d": -0, "c": 1.0e-7, """
        """"a b": 1E+20}, "B": 12345678901234567890123}')), json_parse('{"b": 1, "a": 2}'), """
        """TRY(json_parse('{"a": '))""",
        rows=[
            (
                '{"B":12345678901234567890123,"a":{"a b":1.0E20,"c":1.0E-7,"d":0},"b":[3,1,{"y":1000.0,"z":1.5}]}',
                '{"a":2,"b":1}',
                None,
            )
        ],
    ),
    Case(
        "json_parse of an object giving a key twice: the last value",
        """SELECT json_parse('{"a": 1, "b": 0, "a": {"x": 1, "x": [2, {"k": 1, "k": 3}]}}')""",
        rows=[('{"a":{"x":[2,{"k":3}]},"b":0}',)],
    ),
    Case(
        "CAST of text to JSON: a JSON string",
        """SELECT json_format(CAST('{"b": 1}' AS JSON)), CAST(x AS JSON), """
        """json_extract_scalar(CAST('{"a": 1}' AS JSON), '$.a') FROM (VALUES 'a"b') AS t(x)""",
        rows=[('"{\\"b\\": 1}"', '"a\\"b"', None)],
    ),
    Case(
        "json_extract and json_format: keys in order, numbers as Java writes them",
        """SELECT json_extract('{"b": {"y": 1.50, "x": 1e-7}, "a": 1}', '$.b'), """
        """json_format(json_extract('{"b": [1e22, 0.0001, -0, 100]}', '$.b'))""",
        rows=[('{"y":1.5,"x":1.0E-7}', "[1.0E22,1.0E-4,0,100]")],
    ),
    Case(
        "CAST of JSON to VARCHAR: a string unquoted, null as NULL",
        """SELECT CAST(json_extract('{"a": "x\\"y"}', '$.a') AS varchar), CAST(json_extract('{"a": null}', '$.a') """
        """AS varchar), CAST(json_extract('{"a": 12345678901234567890123}', '$.a') AS varchar), """
        "CAST(json_parse('true') AS varchar), TRY_CAST(json_parse('[1]') AS varchar)",
        rows=[('x"y', None, "12345678901234567890123", "true", None)],
    ),
    Case(
        "CAST of a JSON object to VARCHAR",
        """SELECT CAST(json_extract('{"a": {"b": 1}}', '$.a') AS varchar)""",
        error="""Cannot cast '{"b":1}' to varchar""",
        local="the same error",
    ),
    Case(
        "CAST of a JSON double to VARCHAR",
        """SELECT CAST(json_extract('{"a": 1.5}', '$.a') AS varchar)""",
        refused="CAST of the JSON number 1.5 to VARCHAR is not run locally",
        local="refused (Trino: `1.5E0`; json_extract_scalar gives `1.5`)",
    ),
    Case(
        "JSON text holding a character beyond U+FFFF",
        """SELECT json_format(json_parse('["\\ud83d\\ude00"]'))""",
        refused="characters beyond U+FFFF or DEL",
        local='refused (Trino escapes it: `["\\uD83D\\uDE00"]`)',
    ),
    Case(
        "json_size",
        """SELECT json_size('{"a": {"b": 1, "c": 2}}', '$.a'), json_size('{"a": [1, 2, 3]}', '$.a'), """
        """json_size('{"a": 1}', '$.a'), json_size('{"a": 1}', '$.z')""",
        rows=[(2, 3, 0, None)],
    ),
    Case(
        "json_size of text that is no JSON, where Trino's reader fails at once",
        "SELECT json_size('not json', '$'), json_size('', '$.a'), json_size('nullx', '$'), json_size(' NaN', '$')",
        rows=[(None, None, None, None)],
    ),
    Case(
        "json_size of text Trino reads up to an error after its answer",
        """SELECT json_size('{"a": [1, 2], "b": x}', '$.a')""",
        refused="json_size of text that is not JSON as Athena reads it is not run locally",
        local="refused (Trino: 2)",
    ),
    Case(
        "json_size of text DuckDB reads as JSON and Trino not (a trailing comma)",
        "SELECT json_size('[1, 2,]', '$')",
        refused="json_size of text that is not JSON as Athena reads it is not run locally",
        local="refused (Trino: NULL)",
    ),
    Case(
        "CAST of a map to JSON: its keys sorted, in nested maps and arrays too",
        "SELECT CAST(MAP(ARRAY['b', 'a'], ARRAY[1, 2]) AS JSON), CAST(MAP(ARRAY['b', 'a'], "
        "ARRAY[MAP(ARRAY['z', 'y'], ARRAY[1, 2]), MAP(ARRAY['d', 'c'], ARRAY[1, 2])]) AS JSON), "
        "CAST(ARRAY[MAP(ARRAY['b', 'a'], ARRAY[1, 2])] AS JSON), CAST(MAP(ARRAY[2, 10, 1], ARRAY[1e-7, 1.5e0, 2e0]) "
        "AS JSON), CAST(CAST(ROW(1, 'x') AS ROW(b integer, a varchar)) AS JSON), CAST(ARRAY[1e-7] AS JSON), "
        "CAST(1.50 AS JSON)",
        rows=[
            (
                '{"a":2,"b":1}',
                '{"a":{"c":2,"d":1},"b":{"y":2,"z":1}}',
                '[{"a":2,"b":1}]',
                '{"1":2.0,"10":1.5,"2":1.0E-7}',
                '{"b":1,"a":"x"}',
                "[1.0E-7]",
                "1.50",
            )
        ],
    ),
    Case(
        "CAST of a map of decimals to JSON",
        "SELECT CAST(MAP(ARRAY['b', 'a'], ARRAY[1.50, 2]) AS JSON)",
        refused="to JSON is not run locally",
        local='refused (Trino: `{"a":2.00,"b":1.50}`; DuckDB drops the trailing zeros)',
    ),
    Case(
        "a subscript of text",
        "SELECT 'abc'[1]",
        error="Cannot use integer for subscript of varchar(3)",
        local="refused with Trino's message",
    ),
    Case(
        "a subscript of a text column",
        "SELECT eventname[1] FROM trail",
        error="Cannot use integer for subscript of varchar",
        local="refused with Trino's message",
    ),
    Case(
        "json_format of a number",
        "SELECT json_format(1)",
        error="Unexpected parameters (integer) for function json_format. Expected: json_format(json)",
        local="refused with Trino's message",
    ),
    Case(
        "json_format of text",
        """SELECT json_format('{"a": 1}')""",
        error="Unexpected parameters (varchar(8)) for function json_format. Expected: json_format(json)",
        local="refused with Trino's message",
    ),
    Case(
        "json_extract_scalar of three arguments",
        """SELECT json_extract_scalar('{"a": 1}', '$.a', 1)""",
        error="Unexpected parameters (varchar(8), varchar(3), integer) for function json_extract_scalar. "
        "Expected: json_extract_scalar(json, jsonpath), json_extract_scalar(varchar(x), jsonpath)",
        local="refused with Trino's message",
    ),
    Case(
        "json_extract of three arguments",
        """SELECT json_extract('{"a": 1}', '$.a', 1)""",
        error="Unexpected parameters (varchar(8), varchar(3), integer) for function json_extract. "
        "Expected: json_extract(json, jsonpath), json_extract(varchar(x), jsonpath)",
        local="refused with Trino's message",
    ),
    Case(
        "json_array_contains: an integer's token for a bigint, a point or exponent for a double",
        """SELECT json_array_contains('[1.0, 2]', 1), json_array_contains('[1.0, 2]', 1.0), """
        """json_array_contains('[1.0, 2]', 2.0), json_array_contains('[1, 2]', 1e0), json_array_contains('[1e0]', 1e0), """
        """json_array_contains('["a", [1], {"b": true}]', 'a'), json_array_contains('[[1]]', 1), """
        """json_array_contains('[true]', true), json_array_contains('["1"]', 1), json_array_contains('[]', 1), """
        """json_array_contains('{"a": 1}', 1), json_array_contains('1 x', 1), json_array_contains('not json', 1), """
        """json_array_contains(json_parse('[1, 2]'), 2), json_array_contains('[1]', CAST(NULL AS bigint))""",
        rows=[
            (False, True, False, False, True, True, False, True, False, False, None, None, None, True, None)
        ],
    ),
    Case(
        "json_array_contains of text Trino reads up to an error after its answer",
        "SELECT json_array_contains('[1, x]', 1)",
        refused="json_array_contains of text that is not JSON as Athena reads it is not run locally",
        local="refused (Trino: true)",
    ),
    Case(
        "json_array_contains of a JSON value",
        "SELECT json_array_contains('[1]', json_parse('1'))",
        error="Unexpected parameters (varchar(3), json) for function json_array_contains",
        local="refused with Trino's message",
    ),
    Case(
        "json_array_get",
        """SELECT json_array_get('["a", [3, 9], "c"]', 0), json_array_get('["a", [3, 9], "c"]', -1), """
        """json_array_get('[1.50]', 0), json_array_get('["a"]', 1)""",
        refused="json_array_get is not run locally (Athena gives an item as JSON text written its own way",
        local="refused (Trino: `a`, `c`, `1.50`, NULL: a string item bare, JSON that is no JSON)",
    ),
    Case(
        "from_iso8601_timestamp without the T",
        "SELECT from_iso8601_timestamp('2022-11-23 21:06:46')",
        error='Invalid format: "2022-11-23 21:06:46"',
        local="refused with Trino's message",
    ),
    Case(
        "from_iso8601_timestamp: CloudTrail's forms, to the millisecond",
        "SELECT from_iso8601_timestamp('2022-11-23T21:06:46Z'), "
        "from_iso8601_timestamp('2022-11-23T21:06:46.123456Z'), "
        "from_iso8601_timestamp('2022-11-23T21:06:46+00:00'), from_iso8601_timestamp('2022-11-23')",
        rows=[
            (
                datetime(2022, 11, 23, 21, 6, 46, tzinfo=UTC),
                datetime(2022, 11, 23, 21, 6, 46, 123000, tzinfo=UTC),
                datetime(2022, 11, 23, 21, 6, 46, tzinfo=UTC),
                datetime(2022, 11, 23, tzinfo=UTC),
            )
        ],
    ),
    Case(
        "from_iso8601_timestamp with an offset other than UTC",
        "SELECT from_iso8601_timestamp('2022-11-23T21:06:46+02:00')",
        refused="read by Athena but not by the local engine",
        local="refused (Trino keeps the offset; the local engine keeps UTC)",
    ),
    Case(
        "to_iso8601",
        "SELECT to_iso8601(from_iso8601_timestamp('2024-08-02T08:23:06Z')), "
        "to_iso8601(from_iso8601_timestamp('2024-08-02T08:23:06.5Z')), to_iso8601(DATE '2024-08-02')",
        rows=[("2024-08-02T08:23:06.000Z", "2024-08-02T08:23:06.500Z", "2024-08-02")],
    ),
    Case(
        "to_iso8601 of a timestamp: its precision's digits, no zone",
        "SELECT to_iso8601(TIMESTAMP '2022-11-23 21:06:46'), to_iso8601(TIMESTAMP '2022-11-23 21:06:46.123456'), "
        "to_iso8601(CAST('2022-11-23 21:06:46' AS timestamp)), to_iso8601(date_parse('2022-11-23', '%Y-%m-%d'))",
        rows=[
            (
                "2022-11-23T21:06:46",
                "2022-11-23T21:06:46.123456",
                "2022-11-23T21:06:46.000",
                "2022-11-23T00:00:00.000",
            )
        ],
    ),
    Case(
        "CAST of a timestamp to VARCHAR: its precision's digits, UTC after a timestamp with time zone",
        "SELECT CAST(from_iso8601_timestamp('2022-11-23T21:06:46Z') AS varchar), "
        "CAST(date_parse('2022-11-23 21:06:46', '%Y-%m-%d %H:%i:%s') AS varchar), "
        "CAST(CAST('2022-11-23 21:06:46.1235' AS timestamp) AS varchar), "
        "CAST(TIMESTAMP '2022-11-23 21:06:46.12' AS varchar), CAST(TIMESTAMP '2022-11-23 21:06:46' AS varchar), "
        "CAST(from_unixtime(1669237606.5) AS varchar), CAST(DATE '2022-11-23' AS varchar)",
        rows=[
            (
                "2022-11-23 21:06:46.000 UTC",
                "2022-11-23 21:06:46.000",
                "2022-11-23 21:06:46.124",
                "2022-11-23 21:06:46.12",
                "2022-11-23 21:06:46",
                "2022-11-23 21:06:46.500 UTC",
                "2022-11-23",
            )
        ],
    ),
    Case(
        "CAST of text to a timestamp: a space before the time, UTC or no zone",
        "SELECT CAST(x AS varchar), CAST(CAST(x AS timestamp) AS varchar), CAST(CAST(x AS timestamp with time zone) "
        "AS varchar), TRY_CAST(replace(x, ' ', 'T') AS timestamp) "
        "FROM (VALUES '2022-1-2 1:2:3.1235 UTC', '2022-11-23 21:06:46Z', '2022-11-23 21:06') AS t(x)",
        rows=[
            ("2022-1-2 1:2:3.1235 UTC", "2022-01-02 01:02:03.124", "2022-01-02 01:02:03.124 UTC", None),
            ("2022-11-23 21:06:46Z", "2022-11-23 21:06:46.000", "2022-11-23 21:06:46.000 UTC", None),
            ("2022-11-23 21:06", "2022-11-23 21:06:00.000", "2022-11-23 21:06:00.000 UTC", None),
        ],
    ),
    Case(
        "CAST of CloudTrail's eventtime text to a timestamp",
        "SELECT CAST(x AS timestamp) FROM (VALUES '2022-11-23T21:06:46Z') AS t(x)",
        error="Value cannot be cast to timestamp: 2022-11-23T21:06:46Z",
        local="the same error (from_iso8601_timestamp reads it)",
    ),
    Case(
        "json_parse of JSON holding null",
        "SELECT json_format(json_parse('{\"a\":null,\"b\":[1,null]}')), json_parse('null') IS NULL, json_format(json_parse('null'))",
        rows=[('{"a":null,"b":[1,null]}', False, "null")],
    ),
    Case(
        "json_parse of text Jackson refuses and DuckDB reads (a trailing comma)",
        "SELECT json_parse('[1,]')",
        error="Cannot convert value to JSON: '[1,]'",
        local="Trino's error",
    ),
    Case(
        "TRY(json_parse) of text Jackson refuses and DuckDB reads",
        "SELECT TRY(json_parse('[1,]')) IS NULL, TRY(json_parse('{\"a\":NaN}')) IS NULL",
        rows=[(True, True)],
    ),
    Case(
        "json_extract of a value nesting deeper than 1000",
        "SELECT json_extract(lpad('', 1002, '[') || lpad('', 1002, ']'), '$[0]')",
        error="Document nesting depth (1001) exceeds the maximum allowed (1000, from "
        "`StreamWriteConstraints.getMaxNestingDepth()`)",
        local="the same error",
    ),
    Case(
        "json_parse of JSON nesting deeper than 1000",
        "SELECT json_parse(lpad('', 1001, '[') || lpad('', 1001, ']'))",
        refused="json_parse of JSON nesting deeper than 1000 levels is not run locally",
        local="refused (Trino answers some thousands deep, then fails on a stack overflow; "
        "the local walk's memory is square in the depth)",
    ),
    Case(
        "json_parse inside a lambda",
        "SELECT transform(ARRAY['{\"a\":1}'], x -> json_extract_scalar(json_parse(x), '$.a'))",
        refused="json_parse (or a CAST of a map to JSON) inside a lambda is not run locally",
        local="refused (Trino: `ARRAY['1']`; the local json_parse is a subquery, which DuckDB takes in no lambda)",
    ),
    Case(
        "a window's PARTITION BY of json_extract_scalar",
        "SELECT j, row_number() OVER (PARTITION BY json_extract_scalar(j, '$.a') ORDER BY j) "
        "FROM (VALUES '{\"a\":1}', '{\"a\":2}') AS t(j)",
        refused="a window's PARTITION BY or ORDER BY of a function the local engine rewrites with a check",
        local="refused (DuckDB takes no expression that may fail there: compute it in a subquery)",
    ),
    Case(
        "TRY of json_extract",
        "SELECT TRY(json_extract(x, '$[0]')) FROM (VALUES '[[1]]') AS t(x)",
        refused="TRY of a function the local engine rewrites with a check",
        local="refused (Trino: `[1]`; DuckDB's TRY takes no expression that may fail with an error of its own)",
    ),
    Case(
        "slice takes a length, from the end when negative",
        "SELECT slice(ARRAY[1,2,3,4], 2, 2), slice(ARRAY[1,2,3,4], -2, 2), slice(ARRAY[1,2,3,4], 5, 2), slice(ARRAY[1,2,3,4], 2, 0), slice(ARRAY[1,2,3,4], -5, 2), slice(ARRAY[1,2,3,4], 3, 10), slice(ARRAY[1,NULL,3], 1, 2)",
        rows=[([2, 3], [3, 4], [], [], [], [3, 4], [1, None])],
    ),
    Case(
        "slice from 0",
        "SELECT slice(ARRAY[1,2], 0, 1)",
        error="SQL array indices start at 1",
        local="Trino's error",
    ),
    Case(
        "slice of a negative length",
        "SELECT slice(ARRAY[1,2], 1, -1)",
        error="length must be greater than or equal to 0",
        local="Trino's error",
    ),
    Case(
        "array_distinct keeps the first-seen order and one NULL",
        "SELECT array_distinct(ARRAY[3,1,3,2]), array_distinct(ARRAY[NULL,2,NULL,1]), array_distinct(ARRAY['b','a','b'])",
        rows=[([3, 1, 2], [None, 2, 1], ["b", "a"])],
    ),
    Case(
        "format (Java's String.format)",
        "SELECT format('%s-%s', 'a', 'b')",
        refused="format() is not run locally",
        local="refused (Trino: `a-b`; DuckDB gave `%s-%s`)",
    ),
    Case(
        "strpos of an instance",
        "SELECT strpos('abcabc', 'c', 2)",
        refused="strpos with an instance",
        local="refused (Trino: 6; DuckDB gave 3, the first)",
    ),
    Case(
        "reduce with an output function",
        "SELECT reduce(ARRAY[1,2,3], 0, (s, x) -> s + x, s -> s * 10)",
        refused="reduce with an output function",
        local="refused (Trino: 60; DuckDB gave 6)",
    ),
    Case(
        "typeof",
        "SELECT typeof(1)",
        refused="typeof() is not run locally",
        local="refused (Trino: `integer`; DuckDB gave `INTEGER`)",
    ),
    Case(
        "a lazily quantified atom quantified again",
        "SELECT regexp_extract('aaa', 'a+?+'), regexp_extract('aaa', '(?:a+?)+')",
        refused="a quantifier of a lazily quantified atom",
        local="refused (Trino: `a`, `a`; RE2 matched `aaa`)",
    ),
    Case(
        "any_match, all_match, none_match of an empty array, and of a predicate answering NULL",
        "SELECT any_match(CAST(ARRAY[] AS array(integer)), x -> x > 0), all_match(CAST(ARRAY[] AS array(integer)), x -> x > 0), none_match(CAST(ARRAY[] AS array(integer)), x -> x > 0), any_match(ARRAY[1, NULL], x -> x > 1), any_match(ARRAY[3, NULL], x -> x > 1), all_match(ARRAY[3, NULL], x -> x > 1), all_match(ARRAY[0, NULL], x -> x > 1), none_match(ARRAY[0, NULL], x -> x > 1), none_match(ARRAY[3, NULL], x -> x > 1)",
        rows=[(False, True, True, None, True, None, False, None, False)],
    ),
    Case(
        "json_format of JSON numbers beyond a double's range, written with a capital E",
        "SELECT json_format(json_extract('[1E400, -1E400, 1E-400, 2.5E-10]', '$')), json_format(json_extract('{\"a\":1E400}', '$.a'))",
        rows=[('["Infinity","-Infinity",0.0,2.5E-10]', '"Infinity"')],
    ),
    Case(
        "any_match, all_match, none_match in HAVING",
        "SELECT k, count(*) FROM (VALUES (1, 1), (1, 3), (2, 0)) AS t(k, v) GROUP BY k HAVING any_match(array_agg(v), x -> x > 2) AND all_match(array_agg(v), x -> x > 0) AND NOT none_match(array_agg(v), x -> x = 3)",
        rows=[(1, 2)],
    ),
    Case(
        "CAST to varchar(n), and a timestamp's text, in HAVING",
        "SELECT k, CAST(max(s) AS varchar(3)) FROM (VALUES (1, 'abcd', TIMESTAMP '2024-01-02 03:04:05.123'), (2, 'xyz', TIMESTAMP '2024-01-02 03:04:05.000')) AS t(k, s, ts) GROUP BY k HAVING CAST(max(s) AS varchar(3)) = 'abc' AND CAST(max(ts) AS varchar) = '2024-01-02 03:04:05.123'",
        rows=[(1, "abc")],
    ),
    Case(
        "json_extract_scalar of json_parse: its numbers as Java writes them",
        'SELECT json_extract_scalar(json_parse(\'{"a":"x","n":1.50,"e":1e20}\'), \'$.a\'), json_extract_scalar(json_parse(\'{"a":"x","n":1.50,"e":1e20}\'), \'$.n\'), json_extract_scalar(json_parse(\'{"a":"x","n":1.50,"e":1e20}\'), \'$.e\')',
        rows=[("x", "1.5", "1.0E20")],
    ),
    Case(
        "json_extract_scalar of json_extract of json_parse",
        "SELECT json_extract_scalar(json_extract(json_parse('{\"a\":{\"n\":1.50,\"b\":[1]}}'), '$.a'), '$.n')",
        rows=[("1.5",)],
    ),
    Case(
        "regexp_extract of a negative group",
        "SELECT regexp_extract('abc', '(b)', -1)",
        error="Group cannot be negative",
        local="refused with Trino's message",
    ),
    Case(
        "a regular expression naming two groups alike",
        "SELECT regexp_like('a', '(?<a>x)(?<a>y)')",
        error="multiplex defined name <a>",
        local="refused with Trino's message",
    ),
    Case(
        "format_datetime of an empty pattern",
        "SELECT format_datetime(TIMESTAMP '2022-01-01 00:00:00', '')",
        error="Pattern is null or empty",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of text to a timestamp: hour 24",
        "SELECT CAST(x AS timestamp) FROM (VALUES '2022-01-01 24:00:00') AS t(x)",
        error="Value cannot be cast to timestamp: 2022-01-01 24:00:00",
        local="the same error (DuckDB reads the next day's midnight)",
    ),
    Case(
        "CAST of CloudTrail's eventtime text to a date",
        "SELECT CAST(x AS date) FROM (VALUES '2022-11-23T21:06:46Z') AS t(x)",
        error="Value cannot be cast to date: 2022-11-23T21:06:46Z",
        local="the same error (DuckDB reads the date and drops the time)",
    ),
    Case(
        "CAST of text to a date: spaces around, a one-digit month and day; a time after it",
        "SELECT CAST(x AS date), TRY_CAST(y AS date), CAST(CAST(x AS date) AS varchar) "
        "FROM (VALUES (' 2022-7-4 ', '2022-11-23 21:06:46')) AS t(x, y)",
        rows=[(date(2022, 7, 4), None, "2022-07-04")],
    ),
    Case(
        "from_unixtime with UTC as its zone, or offsets of 0",
        "SELECT CAST(from_unixtime(1669237606, 'UTC') AS varchar), CAST(from_unixtime(1669237606, 0, 0) AS "
        "varchar), hour(from_unixtime(1669237606, 'UTC'))",
        rows=[("2022-11-23 21:06:46.000 UTC", "2022-11-23 21:06:46.000 UTC", 21)],
    ),
    Case(
        "from_unixtime with another zone",
        "SELECT hour(from_unixtime(1669237606, 'America/New_York')), hour(from_unixtime(1669237606, -5, 0))",
        refused="from_unixtime with a time zone other than UTC is not run locally",
        local="refused (Trino keeps the zone: 16 and 16; the zone was dropped, giving 21)",
    ),
    Case(
        "CAST of text with another time zone to a timestamp",
        "SELECT CAST(x AS timestamp with time zone) FROM (VALUES '2022-11-23 21:06:46 +02:00') AS t(x)",
        refused="CAST of text with a time zone other than UTC to a timestamp is not run locally",
        local="refused (Trino keeps the zone: `2022-11-23 21:06:46.000 +02:00`)",
    ),
    Case(
        "CAST of a timestamp with time zone to VARCHAR: its precision's digits",
        "SELECT CAST(TIMESTAMP '2022-11-23 21:06:46 UTC' AS varchar), "
        "CAST(TIMESTAMP '2022-11-23 21:06:46.12 UTC' AS varchar), "
        "CAST(CAST('2022-11-23 21:06:46' AS timestamp(6) with time zone) AS varchar), "
        "CAST(CAST(TIMESTAMP '2022-11-23 21:06:46.1235' AS timestamp with time zone) AS varchar)",
        rows=[
            (
                "2022-11-23 21:06:46 UTC",
                "2022-11-23 21:06:46.12 UTC",
                "2022-11-23 21:06:46.000000 UTC",
                "2022-11-23 21:06:46.124 UTC",
            )
        ],
    ),
    Case(
        "a timestamp literal with another time zone",
        "SELECT CAST(TIMESTAMP '2022-11-23 21:06:46 Europe/Paris' AS varchar)",
        refused="CAST of text with a time zone other than UTC to a timestamp is not run locally",
        local="refused (Trino keeps the zone: `2022-11-23 21:06:46 Europe/Paris`)",
    ),
    Case(
        "AT TIME ZONE, at_timezone and with_timezone with UTC",
        "SELECT CAST(from_iso8601_timestamp('2022-11-23T21:06:46Z') AT TIME ZONE 'UTC' AS varchar), "
        "CAST(at_timezone(from_iso8601_timestamp('2022-11-23T21:06:46Z'), 'Etc/UTC') AS varchar), "
        "CAST(with_timezone(CAST('2022-11-23 21:06:46.5' AS timestamp), 'Z') AS varchar)",
        rows=[("2022-11-23 21:06:46.000 UTC", "2022-11-23 21:06:46.000 UTC", "2022-11-23 21:06:46.500 UTC")],
    ),
    Case(
        "AT TIME ZONE another zone",
        "SELECT CAST(from_iso8601_timestamp('2022-11-23T21:06:46Z') AT TIME ZONE 'Europe/Paris' AS varchar)",
        refused="AT TIME ZONE with a time zone other than UTC is not run locally",
        local="refused (Trino keeps the zone with the value: `2022-11-23 22:06:46.000 Europe/Paris`)",
    ),
    Case(
        "format_datetime: Joda's letters and quoted text, of the millisecond",
        "SELECT format_datetime(from_iso8601_timestamp('2022-01-02T21:06:46.123Z'), "
        "'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'' EEEE MMM d h a k w xxxx z ZZ'), "
        "format_datetime(TIMESTAMP '2021-12-31 23:59:59.9999', 'yy-M-d H:m:s.S D')",
        rows=[("2022-01-02T21:06:46.123Z Sunday Jan 2 9 PM 21 52 2021 UTC +00:00", "22-1-1 0:0:0.0 1")],
    ),
    Case(
        "format_datetime with a letter Joda does not have",
        "SELECT format_datetime(from_iso8601_timestamp('2022-01-02T21:06:46Z'), 'yyyy qq')",
        error="Illegal pattern component: qq",
        local="the same error",
    ),
    Case(
        "format_datetime with a zone letter, of a timestamp without a zone",
        "SELECT format_datetime(TIMESTAMP '2022-01-02 21:06:46', 'HH z')",
        error="cannot use 'Z' nor 'z' in format",
        local="the same error",
    ),
    Case(
        "date_format: MySQL's specifiers (%i minutes, %W weekday, %f of the millisecond)",
        "SELECT date_format(from_iso8601_timestamp('2022-01-02T21:06:46.123Z'), "
        "'%Y-%m-%d %H:%i:%s %W %b %e %l %p %x-%v %f %Q %%'), "
        "date_format(TIMESTAMP '2021-01-03 00:06:46.987654', '%T %r %j %f')",
        rows=[
            ("2022-01-02 21:06:46 Sunday Jan 2 9 PM 2021-52 123000 Q %", "00:06:46 12:06:46 AM 003 988000")
        ],
    ),
    Case(
        "date_format with a specifier Trino does not support",
        "SELECT date_format(from_iso8601_timestamp('2022-01-02T21:06:46Z'), '%D')",
        error="%D not supported in date format string",
        local="the same error",
    ),
    Case(
        "date_format of text",
        "SELECT date_format('2024-01-01 00:00:00', '%Y')",
        error="Unexpected parameters (varchar(19), varchar(2)) for function date_format",
        local="refused with Trino's message (DuckDB casts the text)",
    ),
    Case(
        "format_datetime of a text column",
        "SELECT format_datetime(x, 'yyyy') FROM (VALUES '2024-01-01') AS t(x)",
        error="for function format_datetime. Expected: format_datetime(timestamp(p) with time zone, varchar(x))",
        local="the same error (DuckDB casts the text)",
    ),
    Case(
        "format_datetime with more than 12 S",
        "SELECT format_datetime(TIMESTAMP '2024-01-01 00:00:00.123', 'SSSSSSSSSSSSSS'), "
        "format_datetime(TIMESTAMP '2024-01-01 00:00:00.123', 'SSSSSSSSSSSSSSSSSS s')",
        rows=[("12300000000000", "123000000000000 0")],
    ),
    Case(
        "format_datetime of a year before 1",
        "SELECT format_datetime(date_add('year', -2025, TIMESTAMP '2024-06-01 00:00:00'), 'yyyy')",
        refused="format_datetime of a year before 1 is not run locally",
        local="refused (Trino: `-0001`; year 0 is `0000 BC` with `G`)",
    ),
    Case(
        "a date or timestamp before year 1 as text",
        "SELECT CAST(TIMESTAMP '-0001-01-01 00:00:00' AS varchar), "
        "CAST(date_add('year', -2025, TIMESTAMP '2024-01-01 00:00:00.123') AS varchar), "
        "CAST(date_add('day', -1, DATE '0001-01-01') AS varchar), CAST(date_add('year', -12024, DATE '2024-03-01') AS varchar)",
        rows=[("-0001-01-01 00:00:00", "-0001-01-01 00:00:00.123", "0000-12-31", "-10000-03-01")],
    ),
    Case(
        "date_format of a pattern ending with a lone %",
        "SELECT date_format(TIMESTAMP '2024-01-01 10:00:00', 'a%'), date_format(TIMESTAMP '2024-01-01 10:00:00', '%Y%')",
        rows=[("a", "2024")],
    ),
    Case(
        "date_format of an empty pattern",
        "SELECT date_format(TIMESTAMP '2024-01-01 10:00:00', '')",
        error="Both printing and parsing not supported",
        local="the same error",
    ),
    Case(
        "date_parse: a timestamp(3); whitespace as written",
        "SELECT CAST(date_parse('2022-1-2 1:2:3', '%Y-%m-%d %H:%i:%s') AS varchar), "
        "date_parse('20221123', '%Y%m%d') = TIMESTAMP '2022-11-23 00:00:00'",
        rows=[("2022-01-02 01:02:03.000", True)],
    ),
    Case(
        "date_parse of text with a leading space",
        "SELECT date_parse(' 2022-11-23', '%Y-%m-%d')",
        error='Invalid format: " 2022-11-23"',
        local="the same error",
    ),
    Case(
        "a timestamp's text after date_add, date_trunc or + INTERVAL: Trino's precision",
        "SELECT CAST(date_add('day', 1, CAST('2024-01-01 00:00:00' AS timestamp)) AS varchar), "
        "CAST(date_add('day', 1, CAST('2024-01-01 00:00:00' AS timestamp(6))) AS varchar), "
        "CAST(CAST('2024-01-01 10:20:30' AS timestamp) + INTERVAL '1' HOUR AS varchar), "
        "CAST(TIMESTAMP '2024-01-01 10:20:30' + INTERVAL '1' HOUR AS varchar), "
        "CAST(TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '1' MONTH AS varchar), "
        "CAST(date_trunc('hour', CAST('2024-01-01 10:20:30' AS timestamp)) AS varchar), "
        "CAST(date_trunc('second', TIMESTAMP '2024-01-01 00:00:00.9') AS varchar), "
        "to_iso8601(date_add('day', 1, CAST('2024-01-01 00:00:00' AS timestamp)))",
        rows=[
            (
                "2024-01-02 00:00:00.000",
                "2024-01-02 00:00:00.000000",
                "2024-01-01 11:20:30.000",
                "2024-01-01 11:20:30.000",
                "2024-02-01 00:00:00",
                "2024-01-01 10:00:00.000",
                "2024-01-01 00:00:00.0",
                "2024-01-02T00:00:00.000",
            )
        ],
    ),
    Case(
        "a computed timestamp's text from an array or UNNEST: Trino's precision",
        "SELECT CAST(element_at(ARRAY[date_add('day', 1, CAST('2024-01-01' AS timestamp))], 1) AS varchar), "
        "CAST(t.x AS varchar) FROM UNNEST(ARRAY[date_trunc('second', TIMESTAMP '2024-01-01 00:00:00.123456789')]) AS t(x)",
        rows=[("2024-01-02 00:00:00.000", "2024-01-01 00:00:00.000000000")],
    ),
    Case(
        "CAST of a timestamp, or of an array holding timestamps, to JSON",
        "SELECT json_format(CAST(ARRAY[TIMESTAMP '2024-01-01 00:00:00.120'] AS JSON))",
        refused="TIMESTAMP_MS[] to JSON is not run locally",
        local='refused (Trino: `["2024-01-01 00:00:00.120"]`, DuckDB dropped the zero; with a time zone, an error)',
    ),
    Case(
        "a date or timestamp concatenated",
        "SELECT 'x' || CAST('2024-01-01' AS timestamp)",
        error="Unexpected parameters (varchar(1), timestamp(3)) for function concat",
        local="refused with Trino's message (DuckDB concatenated its text)",
    ),
    Case(
        "format() of a timestamp",
        "SELECT format('%s', date_add('day', 1, CAST('2024-01-01' AS timestamp)))",
        refused="format() is not run locally",
        local="refused (Trino writes Java's text: `2024-01-02T00:00`)",
    ),
    Case(
        "greatest, least, coalesce, CASE and UNION of timestamps of two precisions: the larger",
        "SELECT CAST(greatest(TIMESTAMP '2024-01-01 00:00:00.1', TIMESTAMP '2024-01-01 00:00:00.12345') AS varchar), "
        "CAST(least(TIMESTAMP '2024-01-01 00:00:00.1', TIMESTAMP '2024-01-01 00:00:00.12345') AS varchar), "
        "CAST(coalesce(TIMESTAMP '2024-01-01 00:00:00.1', TIMESTAMP '2024-01-01 00:00:00.12345') AS varchar), "
        "CAST(CASE WHEN x > 0 THEN TIMESTAMP '2024-01-01 00:00:00' ELSE TIMESTAMP '2024-01-01 00:00:00.12' END "
        "AS varchar), to_iso8601(greatest(TIMESTAMP '2024-01-01 00:00:00.1', TIMESTAMP '2024-01-01 00:00:00.12345')), "
        "(SELECT max(CAST(y AS varchar)) FROM (SELECT TIMESTAMP '2024-01-01 00:00:00' AS y "
        "UNION ALL SELECT TIMESTAMP '2023-01-01 00:00:00.123')) FROM (VALUES 1) AS t(x)",
        rows=[
            (
                "2024-01-01 00:00:00.12345",
                "2024-01-01 00:00:00.10000",
                "2024-01-01 00:00:00.10000",
                "2024-01-01 00:00:00.00",
                "2024-01-01T00:00:00.12345",
                "2024-01-01 00:00:00.000",
            )
        ],
    ),
    Case(
        "CAST to timestamp(p): rounded to p digits",
        "SELECT CAST(CAST('2024-01-01 00:00:00.1234567' AS timestamp(6)) AS varchar), "
        "CAST(CAST('2024-01-01 00:00:00.123456' AS timestamp(4)) AS varchar), "
        "CAST(CAST(TIMESTAMP '2024-01-01 00:00:00.16' AS timestamp(1)) AS varchar), "
        "CAST(CAST(CAST('2024-01-01 00:00:00.123' AS timestamp) AS timestamp(6)) AS varchar), "
        "CAST(CAST(x AS timestamp(0)) AS varchar), CAST(x AS timestamp(6)) = TIMESTAMP '2024-01-01 00:00:00.500000', "
        "CAST(CAST(TIMESTAMP '2024-01-01 00:00:00.1234567' AS timestamp(6) with time zone) AS varchar) "
        "FROM (VALUES '2024-01-01 00:00:00.5') AS t(x)",
        rows=[
            (
                "2024-01-01 00:00:00.123457",
                "2024-01-01 00:00:00.1235",
                "2024-01-01 00:00:00.2",
                "2024-01-01 00:00:00.123000",
                "2024-01-01 00:00:01",
                True,
                "2024-01-01 00:00:00.123457 UTC",
            )
        ],
    ),
    Case(
        "repeat of a negative count",
        "SELECT repeat('x', -1)",
        error="count argument of repeat function must be greater than or equal to 0",
        local="the same error (DuckDB repeats text: `''`)",
    ),
    Case(
        "from_unixtime: to the millisecond, a half rounded up",
        "SELECT CAST(from_unixtime(-0.8765) AS varchar), CAST(from_unixtime(0.0005) AS varchar), "
        "CAST(from_unixtime(-0.0005) AS varchar), CAST(from_unixtime(1.0015) AS varchar), "
        "CAST(from_unixtime(1700000000.123456, 'UTC') AS varchar)",
        rows=[
            (
                "1969-12-31 23:59:59.124 UTC",
                "1970-01-01 00:00:00.001 UTC",
                "1970-01-01 00:00:00.000 UTC",
                "1970-01-01 00:00:01.002 UTC",
                "2023-11-14 22:13:20.123 UTC",
            )
        ],
        local="gives Trino's answer (DuckDB's to_timestamp keeps microseconds)",
    ),
    Case(
        "window functions giving a row's value: its type (a timestamp's digits, integer division)",
        "SELECT CAST(lag(t) OVER (ORDER BY t) AS varchar), CAST(lead(t, 1) OVER (ORDER BY t) AS varchar), "
        "CAST(first_value(t) OVER (ORDER BY t) AS varchar), CAST(last_value(t) OVER (ORDER BY t) AS varchar), "
        "CAST(nth_value(t, 1) OVER (ORDER BY t) AS varchar), lag(x) OVER (ORDER BY t) / 2 "
        "FROM (VALUES (CAST('2024-01-01 00:00:00.5' AS timestamp(1)), 3), "
        "(CAST('2024-01-01 00:00:01' AS timestamp(1)), 5)) AS v(t, x) ORDER BY t",
        rows=[
            (
                None,
                "2024-01-01 00:00:01.0",
                "2024-01-01 00:00:00.5",
                "2024-01-01 00:00:00.5",
                "2024-01-01 00:00:00.5",
                None,
            ),
            (
                "2024-01-01 00:00:00.5",
                None,
                "2024-01-01 00:00:00.5",
                "2024-01-01 00:00:01.0",
                "2024-01-01 00:00:00.5",
                1,
            ),
        ],
        local="gives Trino's answer (the digits were DuckDB's type's: `.500`; the division was refused)",
    ),
    Case(
        "a timestamp rounded to fewer digits: a half before 1970",
        "SELECT CAST(CAST(TIMESTAMP '1969-12-31 23:59:59.1235' AS timestamp(3)) AS varchar), "
        "CAST(CAST('1969-12-31 23:59:59.1235' AS timestamp) AS varchar), "
        "CAST(CAST(TIMESTAMP '1969-12-31 23:59:59.123456500' AS timestamp(6)) AS varchar), "
        "CAST(CAST('1969-12-31 23:59:59.5' AS timestamp(0)) AS varchar), "
        "CAST(CAST('1969-12-31 23:59:59.1235 UTC' AS timestamp with time zone) AS varchar)",
        rows=[
            (
                "1969-12-31 23:59:59.124",
                "1969-12-31 23:59:59.124",
                "1969-12-31 23:59:59.123457",
                "1970-01-01 00:00:00",
                "1969-12-31 23:59:59.124 UTC",
            )
        ],
        local="gives Trino's answer (DuckDB rounds a half away from zero: `.123`)",
    ),
    Case(
        "timestamps of the years 1 to 999 and 9999 as text",
        "SELECT CAST(TIMESTAMP '9999-12-31 23:59:59.999' AS varchar), to_iso8601(TIMESTAMP '0999-12-31 23:59:59.999'), "
        "CAST(CAST('0001-01-01 00:00:00.1235' AS timestamp) AS varchar), "
        "CAST(TIMESTAMP '9999-12-31 23:59:59.999999' AS varchar), "
        "to_iso8601(from_iso8601_timestamp('0999-12-31T23:59:59.999Z'))",
        rows=[
            (
                "9999-12-31 23:59:59.999",
                "0999-12-31T23:59:59.999",
                "0001-01-01 00:00:00.124",
                "9999-12-31 23:59:59.999999",
                "0999-12-31T23:59:59.999Z",
            )
        ],
        local="gives Trino's answer (DuckDB's nanosecond timestamps end in 2262: an error)",
    ),
    Case(
        "a timestamp after the year 9999 as text: a plus sign",
        "SELECT CAST(TIMESTAMP '9999-12-31 23:59:59.999' + INTERVAL '1' SECOND AS varchar), "
        "CAST(CAST(TIMESTAMP '9999-12-31 23:59:59.9995' AS timestamp) AS varchar), "
        "to_iso8601(from_iso8601_timestamp('9999-12-31T23:59:59.999Z') + INTERVAL '1' SECOND), "
        "CAST(CAST('10000-01-01' AS date) AS varchar)",
        rows=[
            (
                "+10000-01-01 00:00:00.999",
                "+10000-01-01 00:00:00.000",
                "+10000-01-01T00:00:00.999Z",
                "10000-01-01",
            )
        ],
        local="gives Trino's answer (DuckDB writes no sign)",
    ),
    Case(
        "date_diff, date_add or date_trunc of microseconds",
        "SELECT date_diff('microsecond', TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:01')",
        error="'microsecond' is not a valid TIMESTAMP field",
        local="the same error (DuckDB counts them: 1000000)",
    ),
    Case(
        "date_diff of hours between dates",
        "SELECT date_diff('hour', DATE '2024-01-01', DATE '2024-01-02')",
        error="'hour' is not a valid DATE field",
        local="the same error (DuckDB counts them: 24)",
    ),
    Case(
        "date_diff of timestamps of more than 3 digits: floored to the millisecond first",
        "SELECT date_diff('millisecond', TIMESTAMP '2024-01-01 00:00:00.0004', TIMESTAMP '2024-01-01 00:00:00.0010'), "
        "date_diff('millisecond', TIMESTAMP '1969-12-31 23:59:59.9994', TIMESTAMP '1970-01-01 00:00:00.000'), "
        "date_diff('second', TIMESTAMP '2024-01-01 00:00:00.999999', TIMESTAMP '2024-01-01 00:00:01.999'), "
        "date_diff('millisecond', CAST('1969-12-31 23:59:59.9994444' AS timestamp(7)), "
        "TIMESTAMP '1970-01-01 00:00:00.000')",
        rows=[(1, 1, 1, 1)],
        local="gives Trino's answer (DuckDB counts whole units between the exact values: 0)",
    ),
    Case(
        "an interval as text, in the answer or CAST to varchar",
        "SELECT INTERVAL '1' DAY + INTERVAL '3' HOUR, INTERVAL '-14' MONTH, "
        "TIMESTAMP '2024-01-01 00:00:00' - TIMESTAMP '2024-01-02 00:00:00.1235', "
        "CAST(INTERVAL '25' HOUR AS varchar), CAST(INTERVAL '0' MONTH AS varchar), "
        "CAST(TIMESTAMP '2024-01-02 00:00:00.1234' - TIMESTAMP '2024-01-01 00:00:00' AS varchar), "
        "DATE '2024-01-03' - DATE '2024-01-01', INTERVAL '2' DAY * 3",
        rows=[
            (
                "1 03:00:00.000",
                "-1-2",
                "-1 00:00:00.123",
                "1 01:00:00.000",
                "0-0",
                "1 00:00:00.123",
                "2 00:00:00.000",
                "6 00:00:00.000",
            )
        ],
        local="gives Trino's answer (DuckDB: a duration, fourteen months as 420 days; date minus date a number)",
    ),
    Case(
        "CAST to timestamp(7) or timestamp(8)",
        "SELECT CAST(CAST('2024-01-01 00:00:00.12345678' AS timestamp(7)) AS varchar)",
        refused="CAST to timestamp(7) is not run locally",
        local="refused (Trino rounds: `2024-01-01 00:00:00.1234568`)",
    ),
    Case(
        "a timestamp of more than 9 fractional digits",
        "SELECT CAST(TIMESTAMP '2024-01-01 00:00:00.123456789123' AS varchar)",
        refused="timestamp(12) is not run locally",
        local="refused (Trino: `2024-01-01 00:00:00.123456789123`)",
    ),
    Case(
        "to_iso8601 of a timestamp with time zone: its precision's digits",
        "SELECT to_iso8601(TIMESTAMP '2024-01-01 00:00:00 UTC'), to_iso8601(TIMESTAMP '2024-01-01 00:00:00.123456 UTC'), "
        "CAST(at_timezone(TIMESTAMP '2024-01-01 00:00:00.123456 UTC', 'UTC') AS varchar)",
        rows=[("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123456Z", "2024-01-01 00:00:00.123456 UTC")],
    ),
    Case(
        "date_add, date_trunc and + INTERVAL of a date: a date",
        "SELECT date_add('month', 1, DATE '2024-01-31'), date_add('week', 1, DATE '2024-01-01'), "
        "date_trunc('month', DATE '2024-01-05'), DATE '2024-01-01' + INTERVAL '1' DAY, "
        "DATE '2024-01-01' + INTERVAL '24' HOUR, DATE '2024-03-31' - INTERVAL '1' MONTH",
        rows=[
            (
                date(2024, 2, 29),
                date(2024, 1, 8),
                date(2024, 1, 1),
                date(2024, 1, 2),
                date(2024, 1, 2),
                date(2024, 2, 29),
            )
        ],
    ),
    Case(
        "date_add of hours to a date",
        "SELECT date_add('hour', 1, DATE '2024-01-01')",
        error="'hour' is not a valid DATE field",
        local="the same error (DuckDB gives a timestamp)",
    ),
    Case(
        "a date plus an interval of hours",
        "SELECT DATE '2024-01-01' + INTERVAL '1' HOUR",
        error="Cannot add hour, minutes or seconds to a date",
        local="the same error (DuckDB gives a timestamp)",
    ),
    Case(
        "date_add of milliseconds to a timestamp(0): rounded to the second",
        "SELECT date_add('millisecond', 600, TIMESTAMP '2024-01-01 00:00:00') = TIMESTAMP '2024-01-01 00:00:01', "
        "CAST(date_add('millisecond', 400, TIMESTAMP '2024-01-01 00:00:00') AS varchar), "
        "CAST(TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '0.6' SECOND AS varchar)",
        rows=[(True, "2024-01-01 00:00:00", "2024-01-01 00:00:00.600")],
    ),
    Case(
        "date_parse of a pattern without a year: 2000 with a month or a day, else 1970",
        "SELECT date_parse('05-17', '%m-%d'), date_parse('02-29', '%m-%d'), date_parse('17 10', '%d %H'), "
        "date_parse('10:20', '%H:%i'), CAST(date_parse('05-17', '%m-%d') AS varchar)",
        rows=[
            (
                datetime(2000, 5, 17),
                datetime(2000, 2, 29),
                datetime(2000, 1, 17, 10),
                datetime(1970, 1, 1, 10, 20),
                "2000-05-17 00:00:00.000",
            )
        ],
    ),
    Case(
        "date_parse of a pattern ending with a space or a lone %",
        "SELECT date_parse('2022 ', '%Y '), date_parse('2022', '%Y%')",
        rows=[(datetime(2022, 1, 1), datetime(2022, 1, 1))],
    ),
    Case(
        "date_parse of text the pattern does not read",
        "SELECT date_parse('2022x', '%Y')",
        error='Invalid format: "2022x"',
        local="the same error",
    ),
    Case(
        "TRY of date_parse",
        "SELECT TRY(date_parse('2022x', '%Y')), TRY(date_parse(' 2022', '%Y')), TRY(date_parse('2022', '%Y'))",
        rows=[(None, None, datetime(2022, 1, 1))],
    ),
    Case(
        "parse_datetime",
        "SELECT parse_datetime('2022-11-23', 'yyyy-MM-dd')",
        refused="parse_datetime is not run locally",
        local="refused (use date_parse: `2022-11-23 00:00:00.000 UTC` on Trino)",
    ),
    Case(
        "regexp_extract without a match",
        "SELECT regexp_extract('abc123', '[0-9]+'), regexp_extract('abc', '[0-9]+'), "
        "regexp_extract('a1b2', '([a-z])([0-9])', 2)",
        rows=[("123", None, "1")],
    ),
    Case(
        "a regular expression's $ and \\Z: at the end or before a final newline",
        "SELECT regexp_like('a' || chr(10), '^a$'), regexp_like('a' || chr(10) || 'b', '^a$'), "
        "regexp_like('a' || chr(10), 'a\\Z'), regexp_like('a' || chr(10), 'a\\z'), "
        "regexp_like('a' || chr(13) || chr(10), 'a$'), regexp_like('a' || chr(10) || chr(10), 'a$'), "
        "regexp_extract('arn:aws:iam::1:user/x', '[^/]+$')",
        rows=[(True, False, True, False, False, False, "x")],
    ),
    Case(
        "a regular expression's $ in a value ending with a newline, other than regexp_like's",
        "SELECT regexp_extract('a' || chr(10), 'a$')",
        refused="Athena also matches before a final newline",
        local="refused (Athena's $ matches before the newline: the match's text cannot be told locally)",
    ),
    Case(
        "a regular expression's \\s, \\w and \\d",
        "SELECT regexp_like(chr(11), '\\s'), regexp_like(chr(11), '[\\s]'), regexp_like(chr(160), '\\s'), "
        "regexp_like('é', '\\w'), regexp_like('٣', '\\d'), regexp_like(chr(11), '\\S')",
        rows=[(True, True, False, False, False, False)],
    ),
    Case(
        "a regular expression's named groups, \\Q...\\E, \\uHHHH and literal {",
        "SELECT regexp_extract('ab', '(?<x>a)b', 1), regexp_like('a.b', '\\Qa.b\\E'), "
        "regexp_like('axb', '\\Qa.b\\E'), regexp_like('a', '\\u0061'), regexp_like('a{,2}', 'a{,2}')",
        rows=[("a", True, False, True, True)],
    ),
    Case(
        "a regular expression's lookahead",
        "SELECT regexp_like('ab', 'a(?=b)')",
        refused="uses a lookaround",
        local="refused (RE2 has no lookaround)",
    ),
    Case(
        "a regular expression computed when the query runs",
        "SELECT regexp_like('ab', x) FROM (VALUES 'a') AS t(x)",
        refused="a regular expression computed when the query runs is not run locally",
        local="refused (write the pattern as a literal)",
    ),
    Case(
        "regexp_replace's $1, ${name} and backslash",
        "SELECT regexp_replace('ab', '(a)', '[$1]'), regexp_replace('ab', '(a)|(b)', '[$2]'), "
        "regexp_replace('ab', '(?<x>a)', '[${x}]'), regexp_replace('ab', '(a)', '\\$\\1'), "
        "regexp_replace('ab', '(a)', '$11'), regexp_replace('ab', 'a')",
        rows=[("[a]b", "[][b]", "[a]b", "$1b", "a1b", "b")],
    ),
    Case(
        "regexp_replace with a $ that names no group",
        "SELECT regexp_replace('ab', 'a', 'x$')",
        error="Illegal replacement sequence: x$",
        local="refused with Trino's message",
    ),
    Case(
        "regexp_replace of a group past the last",
        "SELECT regexp_replace('ab', '(a)', '$2')",
        error="Illegal replacement sequence: unknown group 2",
        local="refused with Trino's message",
    ),
    Case(
        "regexp_extract of a group that took no part in the match",
        "SELECT regexp_extract('ab', 'a(x)?b', 1), regexp_extract('ab', '(a)|(b)', 2), "
        "regexp_extract('ab', 'a(x*)b', 1), regexp_extract_all('ab', '(a)|(b)', 2)",
        rows=[(None, None, "", [None, "b"])],
    ),
    Case(
        "regexp_count of an empty pattern",
        "SELECT regexp_count('abc', ''), regexp_count('a1b22', '[0-9]+')",
        rows=[(4, 2)],
    ),
    Case(
        "regexp_replace of a pattern that matches empty text right after a match",
        "SELECT regexp_replace('abc', 'b*', '-')",
        refused="which can match empty text right after a match",
        local="refused (Trino: `-a--c-`; RE2 skips the empty match after `b`: `-a-c-`)",
    ),
    Case(
        "regular expressions that match empty text: replaced by nothing or groups, extracted, counted",
        "SELECT regexp_replace('abc', 'b*', ''), regexp_replace('abc', '(b*)', '$1'), "
        "regexp_replace('abc', '^', '-'), regexp_extract_all('abc', 'b*'), regexp_count('abc', 'b*')",
        rows=[("ac", "abc", "-abc", ["", "b", "", ""], 4)],
    ),
    Case(
        "regexp_split of a pattern that can match empty text",
        "SELECT regexp_split('abc', 'b*')",
        refused="which can match empty text",
        local="refused (Trino: `['', 'a', '', 'c', '']`; DuckDB: `[a, '', c]`)",
    ),
    Case(
        "a regular expression's (?i) with a letter that folds to two (ß and ss)",
        "SELECT regexp_like('ss', '(?i)ß')",
        refused="uses (?i) with ß",
        local="refused (Trino: true; RE2 folds ß to ẞ only)",
    ),
    Case(
        "a regular expression's (?i) of letters a value holds as one (ss and ß)",
        "SELECT regexp_like('ß', '(?i)ss')",
        refused="holds (?i) and this value a letter",
        local="refused when the value holds such a letter (Trino: true)",
    ),
    Case(
        "a regular expression's (?i) of a case pair newer than joni's tables",
        "SELECT regexp_like('ᲀ', '(?i)в')",
        refused="holds (?i) and this value a letter",
        local="refused when the value holds such a letter (Trino: false; RE2: true)",
    ),
    Case(
        "a regular expression's (?i) and a property class",
        "SELECT regexp_like('a', '(?i)\\p{Lu}'), regexp_like('a', '(?i)\\P{Lu}'), regexp_like('ǅ', '(?i)\\p{Lu}'), "
        "regexp_like('A', '(?i)\\p{Ll}')",
        rows=[(False, True, False, False)],
    ),
    Case(
        "a regular expression's quantifier of a quantifier",
        "SELECT regexp_like('aaaaa', '^a{2}{3}$'), regexp_like('aaaaaa', '^a{2}{3}$'), regexp_like('aaa', '^a{2}*$'), "
        "regexp_extract('aaaaaaa', 'a{2}?{3}'), regexp_like('b', 'a**')",
        rows=[(False, True, False, "aaaaaa", True)],
    ),
    Case(
        "a regular expression's \\p{Lower}",
        "SELECT regexp_like('ª', '\\p{Lower}')",
        refused="the property class \\p{Lower}",
        local="refused (Trino: true, Unicode's Lowercase property, which RE2 does not know; write \\p{Ll})",
    ),
    Case(
        "a regular expression's \\S in a class, and \\x{h...h}",
        "SELECT regexp_like(' ', '[^\\S]'), regexp_like(chr(11), '[^\\S]'), regexp_like('x', '[^\\S]'), "
        "regexp_like(chr(11), '[\\S]'), regexp_like(' ', '[a\\S]'), regexp_like('x', '\\x{78}'), "
        "regexp_like('😀', '\\x{1F600}')",
        rows=[(True, True, False, False, False, True, True)],
    ),
    Case(
        "split by an empty delimiter",
        "SELECT split('abc', '')",
        error="The delimiter may not be the empty string",
        local="refused with Trino's message",
    ),
    Case(
        "split with a limit of 0",
        "SELECT split('a,b,c', ',', 0)",
        error="Limit must be positive",
        local="refused with Trino's message",
    ),
    Case(
        "split with a limit",
        "SELECT split('a,b,c', ',', 2)",
        refused="split with a limit is not run locally",
        local="refused (Trino: `[a, b,c]`; sqlglot dropped the limit: `[a, b, c]`)",
    ),
    Case(
        "array subscript past the end",
        "SELECT ARRAY[1, 2][5]",
        error="Array subscript must be less than or equal to array length: 5 > 2",
        local="the same error",
    ),
    Case(
        "array subscript 0",
        "SELECT ARRAY[1, 2][0]",
        error="SQL array indices start at 1",
        local="the same error",
    ),
    Case(
        "negative array subscript",
        "SELECT ARRAY[1, 2][-1]",
        error="Array subscript is negative: -1",
        local="the same error",
    ),
    Case(
        "element_at at 0",
        "SELECT element_at(ARRAY[1, 2], 0)",
        error="SQL array indices start at 1",
        local="the same error",
    ),
    Case(
        "map subscript of a missing key",
        "SELECT MAP(ARRAY['a'], ARRAY[1])['b']",
        error="Key not present in map: b",
        local="the same error",
    ),
    Case(
        "subscripts within range or of NULL, element_at past the end",
        "SELECT ARRAY[1, 2][2], CAST(NULL AS ARRAY(INTEGER))[5], CAST(NULL AS ARRAY(INTEGER))[0], "
        "element_at(ARRAY[1, 2], 5), element_at(ARRAY[1, 2], -1), element_at(ARRAY[1, 2], -3), "
        "MAP(ARRAY['a'], ARRAY[1])['a'], element_at(MAP(ARRAY['a'], ARRAY[1]), 'b')",
        rows=[(2, None, None, None, 2, None, 1, None)],
    ),
    Case(
        "split_part past the last field",
        "SELECT split_part('a,b,c', ',', 2), split_part('a,b', ',', 5), split_part('a,,b', ',', 2)",
        rows=[("b", None, "")],
    ),
    Case(
        "split_part at an index of 0",
        "SELECT split_part('a.b', '.', 0)",
        error="Index must be greater than zero",
        local="the same error (DuckDB: `''`)",
    ),
    Case(
        "split_part at a negative index",
        "SELECT split_part(x, '.', -1) FROM (VALUES 'a.b') AS t(x)",
        error="Index must be greater than zero",
        local="the same error (DuckDB counts from the end: `b`)",
    ),
    Case(
        "lpad or rpad to a negative length",
        "SELECT rpad('abc', -1, 'x')",
        error="Target length must be in the range [0..2147483647]",
        local="the same error (DuckDB: `''`)",
    ),
    Case(
        "lpad to a length past 2^31 - 1",
        "SELECT lpad('abc', 3000000000, 'x')",
        error="Target length must be in the range [0..2147483647]",
        local="the same error (DuckDB: a binder error of its own)",
    ),
    Case(
        "lpad or rpad with an empty padding",
        "SELECT lpad('abc', 2, ''), rpad(x, 5, '') FROM (VALUES 'abc') AS t(x)",
        error="Padding string must not be empty",
        local="the same error (DuckDB: `ab`, or an error of its own)",
    ),
    Case(
        "sequence without a step from a higher start: steps by -1",
        "SELECT sequence(5, 1), sequence(1, 5, 2), sequence(5, 1, -2), sequence(3, 3, -1), "
        "cardinality(sequence(1, 10000)), sequence(1, CAST(NULL AS bigint))",
        rows=[([5, 4, 3, 2, 1], [1, 3, 5], [5, 3, 1], [3], 10000, None)],
        local="gives Trino's answer (DuckDB: `[]` for the first)",
    ),
    Case(
        "sequence with a step of 0",
        "SELECT sequence(1, x, 0) FROM (VALUES 5) AS t(x)",
        error="step must not be zero",
        local="the same error (DuckDB: `[]`)",
    ),
    Case(
        "sequence stepping away from its stop",
        "SELECT sequence(5, 1, 1)",
        error="sequence stop value should be greater than or equal to start value if step is greater than "
        "zero otherwise stop should be less than or equal to start",
        local="the same error (DuckDB: `[]`)",
    ),
    Case(
        "sequence of more than 10000 entries",
        "SELECT cardinality(sequence(0, 10000))",
        error="result of sequence function must not have more than 10000 entries",
        local="the same error (DuckDB: 10001)",
    ),
    Case(
        "sequence of dates",
        "SELECT sequence(DATE '2024-01-03', DATE '2024-01-01'), "
        "sequence(DATE '2024-01-01', DATE '2024-01-05', INTERVAL '2' DAY)",
        rows=[
            (
                [date(2024, 1, 3), date(2024, 1, 2), date(2024, 1, 1)],
                [date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 5)],
            )
        ],
        local="gives Trino's answer (DuckDB: timestamps, and no sequence of dates without a step)",
    ),
    Case(
        "sequence of dates by hours",
        "SELECT sequence(DATE '2024-01-01', DATE '2024-01-03', INTERVAL '12' HOUR)",
        error="sequence step must be a day interval if start and end values are dates",
        local="the same error (DuckDB: a timestamp every 12 hours)",
    ),
    Case(
        "sequence of timestamps stepping away from its stop",
        "SELECT sequence(TIMESTAMP '2024-01-01 03:00:00', TIMESTAMP '2024-01-01 00:00:00', INTERVAL '1' HOUR)",
        error="sequence stop value should be greater than or equal to start value if step is greater than "
        "zero otherwise stop should be less than or equal to start",
        local="the same error (DuckDB: `[]`)",
    ),
    Case(
        "sequence of timestamp(0) by half a second",
        "SELECT sequence(x, TIMESTAMP '2024-01-01 00:00:02', INTERVAL '0.5' SECOND) "
        "FROM (VALUES TIMESTAMP '2024-01-01 00:00:00') AS t(x)",
        error="Expected 0s for digits beyond precision 0: epochMicros = 1704067200500000",
        local="refused with Trino's error, which Trino gives where an entry past the first is read (DuckDB: an entry every half second)",
    ),
    Case(
        "sequence of decimals",
        "SELECT sequence(x, 3) FROM (VALUES 1.5) AS t(x)",
        error="Unexpected parameters (decimal(2,1), integer) for function sequence. Expected: sequence(bigint, bigint)",
        local="refused with Trino's message (it named a third argument)",
    ),
    Case(
        "coalesce of text and a number",
        "SELECT coalesce(x, y) FROM (VALUES ('a', 1)) AS t(x, y)",
        error="All COALESCE operands must be the same type or coercible to a common type. Cannot find common type between varchar(1) and integer, all types (without duplicates): [varchar(1), integer]",
        local="refused with Trino's message (DuckDB: a binder error of its own, or a conversion error)",
    ),
    Case(
        "LIKE of a number",
        "SELECT y LIKE x FROM (VALUES ('a', 1)) AS t(x, y)",
        error="Left side of LIKE expression must evaluate to a varchar (actual: integer)",
        local="refused with Trino's message (DuckDB: a binder error of its own)",
    ),
    Case(
        "LIKE by a number",
        "SELECT x LIKE y FROM (VALUES ('a', 1)) AS t(x, y)",
        error="Pattern for LIKE expression must evaluate to a varchar (actual: integer)",
        local="refused with Trino's message (DuckDB: a binder error of its own)",
    ),
    Case(
        "text plus a number",
        "SELECT x + y FROM (VALUES ('a', 1)) AS t(x, y)",
        error="Cannot apply operator: varchar(1) + integer (cause: Unexpected parameters (varchar(1), integer) for function $operator$ADD. Expected: $operator$ADD(bigint, bigint), $operator$ADD(date, interval day to second)",
        local="refused with Trino's message (DuckDB: a binder error of its own)",
    ),
    Case(
        "a date plus a number",
        "SELECT DATE '2024-01-01' + x FROM (VALUES 1) AS t(x)",
        error="Cannot apply operator: date + integer (cause: Unexpected parameters (date, integer) for function $operator$ADD.",
        local="refused with Trino's message (DuckDB: 2024-01-02)",
    ),
    Case(
        "sequence of dates by months",
        "SELECT sequence(DATE '2024-01-31', DATE '2024-05-01', INTERVAL '1' MONTH)",
        refused="sequence with a step of months or years is not run locally",
        local="refused (Trino adds k months to the start: 2024-01-31, 2024-02-29, 2024-03-31, 2024-04-30; "
        "DuckDB a month to each entry: 2024-03-29)",
    ),
    Case(
        "from_iso8601_date of a date and time",
        "SELECT from_iso8601_date('2024-03-01T00:00:00Z')",
        error='Invalid format: "2024-03-01T00:00:00Z" is malformed at "T00:00:00Z"',
        local="the same error (DuckDB's cast: 2024-03-01)",
    ),
    Case(
        "from_iso8601_date of a year, a month, a date",
        "SELECT from_iso8601_date('2024-03-01'), from_iso8601_date('2024-03'), from_iso8601_date('2024'), "
        "from_iso8601_date(x) FROM (VALUES '2024-3-1') AS t(x)",
        rows=[(date(2024, 3, 1), date(2024, 3, 1), date(2024, 1, 1), date(2024, 3, 1))],
        local="gives Trino's answer (DuckDB's cast fails on `2024-03` and `2024`)",
    ),
    Case(
        "date arithmetic of from_iso8601_date: a date",
        "SELECT date_add('day', 1, from_iso8601_date('2024-03-01')), from_iso8601_date('2024-03-01') + "
        "INTERVAL '1' DAY, date_diff('day', from_iso8601_date('2024-03-01'), DATE '2024-03-05')",
        rows=[(date(2024, 3, 2), date(2024, 3, 2), 4)],
        local="gives Trino's answer (DuckDB: timestamps)",
    ),
    Case(
        "from_iso8601_date of text with a space",
        "SELECT from_iso8601_date(' 2024-03-01')",
        error='Invalid format: " 2024-03-01"',
        local="the same error (DuckDB's cast: 2024-03-01)",
    ),
    Case(
        "from_iso8601_date of a day past the month's end",
        "SELECT from_iso8601_date('2023-02-29')",
        error='Cannot parse "2023-02-29": Value 29 for dayOfMonth must be in the range [1,28]',
        local="the same error (DuckDB: an error of its own)",
    ),
    Case(
        "TRY of from_iso8601_date and json_array_length",
        "SELECT TRY(from_iso8601_date('2024-03-01T00:00:00Z')), TRY(from_iso8601_date('2023-02-29')), "
        "TRY(from_iso8601_date(x)), TRY(json_array_length('[1, 2]')) FROM (VALUES '2024-03') AS t(x)",
        rows=[(None, None, date(2024, 3, 1), 2)],
        local="gives Trino's answer (DuckDB: 2024-03-01, NULL, NULL, 2)",
    ),
    Case(
        "from_iso8601_date of a week date or a day of the year",
        "SELECT from_iso8601_date('2024-W09-5'), from_iso8601_date('2024-061')",
        refused="from_iso8601_date('2024-W09-5') is read by Athena but not by the local engine",
        local="refused (Trino: 2024-03-01, 2024-03-01)",
    ),
    Case(
        "url_decode of + and url_encode of a space, * and ~",
        "SELECT url_decode('a+b%20c'), url_decode('%C3%A9+%2B'), url_encode('a b*~é'), url_encode(x) "
        "FROM (VALUES '-._ +/') AS t(x)",
        rows=[("a b c", "é +", "a+b*%7E%C3%A9", "-._+%2B%2F")],
        local="gives Trino's answer (DuckDB: `a+b c`, `a%20b%2A~%C3%A9`)",
    ),
    Case(
        "url_decode of an escape that is no hex",
        "SELECT url_decode('%zz')",
        error='URLDecoder: Illegal hex characters in escape (%) pattern - not a hexadecimal digit: "z" = 122',
        local="the same error (DuckDB: `%zz`)",
    ),
    Case(
        "url_decode of an escape cut short",
        "SELECT url_decode(x) FROM (VALUES 'a%2') AS t(x)",
        error="URLDecoder: Incomplete trailing escape (%) pattern",
        local="the same error (DuckDB: `a%2`)",
    ),
    Case(
        "url_decode of escapes that are no UTF-8",
        "SELECT url_decode('%C3a%A9')",
        refused="url_decode of escapes that are not UTF-8 is not run locally",
        local="refused (Trino writes U+FFFD for each; DuckDB fails)",
    ),
    Case(
        "from_unixtime past Trino's range",
        "SELECT from_unixtime(4e12)",
        error="Millis overflow: 4000000000000000",
        local="the same error (DuckDB: the year 128724)",
    ),
    Case(
        "from_unixtime at the ends of Trino's range",
        "SELECT to_unixtime(from_unixtime(2251799813685.247)), to_unixtime(from_unixtime(-2251799813685.248))",
        rows=[(2251799813685.247, -2251799813685.248)],
    ),
    Case(
        "json_array_length of what is no array, or no JSON",
        """SELECT json_array_length('{"a": 1}'), json_array_length('[1,]'), json_array_length('[NaN]'), """
        """json_array_length('1'), json_array_length('not json'), json_array_length(''), """
        """json_array_length(' [1, [2, 3]] '), json_array_length(json_parse('{"a": [1]}')), """
        """json_array_length(json_extract('{"a": {"b": 1}}', '$.a')), """
        """json_array_length(json_extract('{"a": [1, 2, 3]}', '$.a'))""",
        rows=[(None, None, None, None, None, None, 2, None, None, 3)],
        local="gives Trino's answer (DuckDB: 0 for an object, 1 for `[1,]`, errors for the rest)",
    ),
    Case(
        "json_array_length of text Trino reads up to an error",
        "SELECT json_array_length('[1, 2] x'), json_array_length('[1, x]')",
        refused="json_array_length of text that is not JSON as Athena reads it is not run locally",
        local="refused (Trino: 2, NULL)",
    ),
    Case(
        "array_join of NULL items, or with a NULL separator",
        "SELECT array_join(ARRAY['a', NULL, 'b'], '-'), array_join(ARRAY[CAST(NULL AS varchar)], '-'), "
        "array_join(ARRAY['a'], CAST(NULL AS varchar))",
        rows=[("a-b", "", None)],
    ),
    Case(
        "IPADDRESS as text: IPv4-mapped IPv6 as IPv4, IPv6 compressed in lower case",
        "SELECT CAST(CAST('10.1.2.3' AS IPADDRESS) AS VARCHAR), CAST(CAST('::ffff:10.1.2.3' AS IPADDRESS) AS VARCHAR), "
        "CAST(CAST('2001:DB8:0:0:1:0:0:1' AS IPADDRESS) AS VARCHAR), CAST(CAST('::1.2.3.4' AS IPADDRESS) AS VARCHAR), "
        "CAST(CAST('0:0:0:0:0:0:0:0' AS IPADDRESS) AS VARCHAR), CAST(CAST('fe80::1%1' AS IPADDRESS) AS VARCHAR)",
        rows=[("10.1.2.3", "10.1.2.3", "2001:db8::1:0:0:1", "::102:304", "::", "fe80::1")],
    ),
    Case(
        "an IPADDRESS column is written as Trino writes it",
        "SELECT IPADDRESS '2001:0db8::0001', CAST('::ffff:1.2.3.4' AS IPADDRESS), CAST(NULL AS IPADDRESS)",
        rows=[("2001:db8::1", "1.2.3.4", None)],
    ),
    Case(
        "an IPADDRESS literal that is not an address, where no row reads it",
        "SELECT x FROM (VALUES 1) AS t(x) WHERE x = 2 AND IPADDRESS 'x' IS NULL",
        error="'x' is not a valid IPADDRESS literal",
        local="the same error",
    ),
    Case(
        "CAST to IPADDRESS of CloudTrail's service names",
        "SELECT CAST('ec2.amazonaws.com' AS IPADDRESS)",
        error="Cannot cast value to IPADDRESS: ec2.amazonaws.com",
        local="the same error",
    ),
    Case(
        "TRY_CAST to IPADDRESS of what is not an address",
        "SELECT TRY_CAST('ec2.amazonaws.com' AS IPADDRESS), TRY_CAST('AWS Internal' AS IPADDRESS), "
        "TRY_CAST('010.1.2.3' AS IPADDRESS), TRY_CAST('1.2.3.4 ' AS IPADDRESS), TRY_CAST('1::2::3' AS IPADDRESS)",
        rows=[(None, None, None, None, None)],
    ),
    Case(
        "CAST to IPADDRESS of a number",
        "SELECT CAST(1 AS IPADDRESS)",
        error="Cannot cast integer to ipaddress",
        local="the same error",
    ),
    Case(
        "an address with a zone index that is a name",
        "SELECT CAST('fe80::1%eth0' AS IPADDRESS)",
        refused="as a network interface of its server",
        local="refused (Trino reads the name as one of its server's network interfaces)",
    ),
    Case(
        "an address written with digits other than ASCII",
        "SELECT TRY_CAST('١٠.1.2.3' AS IPADDRESS)",
        refused="Athena may read as digits",
        local="refused (Trino reads any Unicode digit as a digit)",
    ),
    Case(
        "contains(CIDR, IPADDRESS)",
        "SELECT contains('10.0.0.0/8', CAST('10.255.0.1' AS IPADDRESS)), "
        "contains('10.0.0.0/8', CAST('11.0.0.1' AS IPADDRESS)), contains('2001:db8::/32', CAST('2001:db8:1::1' AS IPADDRESS)), "
        "contains('0.0.0.0/0', CAST('2001:db8::1' AS IPADDRESS)), contains('::/0', CAST('10.1.2.3' AS IPADDRESS))",
        rows=[(True, False, True, False, True)],
    ),
    Case(
        "contains with a network written as IPv6: its prefix counts from the first bit",
        "SELECT contains('::ffff:10.0.0.0/8', CAST('10.1.2.3' AS IPADDRESS)), "
        "contains('::ffff:10.0.0.0/104', CAST('10.1.2.3' AS IPADDRESS)), "
        "contains('::ffff:10.0.0.0/120', CAST('10.1.2.3' AS IPADDRESS)), "
        "contains('2001:db8::1/32', CAST('2001:db8::2' AS IPADDRESS))",
        rows=[(True, True, False, True)],
    ),
    Case(
        "contains with an IPv4 CIDR whose host bits are set",
        "SELECT contains('10.1.2.3/8', CAST('10.1.2.3' AS IPADDRESS))",
        error="Invalid CIDR",
        local="the same error",
    ),
    Case(
        "contains with a prefix length that is not a number",
        "SELECT contains('10.0.0.0/x', CAST('10.1.2.3' AS IPADDRESS))",
        error='For input string: "x"',
        local="the same error",
    ),
    Case(
        "contains with a network that is not an address",
        "SELECT contains('ec2.amazonaws.com/8', CAST('10.1.2.3' AS IPADDRESS))",
        error="Invalid network IP address",
        local="the same error",
    ),
    Case(
        "contains with a negative prefix length",
        "SELECT contains('10.0.0.0/-8', CAST('10.1.2.3' AS IPADDRESS))",
        error="Invalid prefix length",
        local="the same error",
    ),
    Case(
        "contains of a NULL address or CIDR (the CIDR is not read)",
        "SELECT contains('bogus', CAST(NULL AS IPADDRESS)), contains(CAST(NULL AS VARCHAR), CAST('1.2.3.4' AS IPADDRESS))",
        rows=[(None, None)],
    ),
    Case(
        "contains of an array of CIDRs is array contains",
        "SELECT contains(ARRAY['10.0.0.0/8', '192.168.0.0/16'], '10.1.2.3'), "
        "contains(ARRAY['10.0.0.0/8', '192.168.0.0/16'], '10.0.0.0/8')",
        rows=[(False, True)],
    ),
    Case(
        "contains of an array of CIDRs and an IPADDRESS",
        "SELECT contains(ARRAY['10.0.0.0/8', '192.168.0.0/16'], CAST('10.1.2.3' AS IPADDRESS))",
        error="Unexpected parameters (array(varchar(14)), ipaddress) for function contains",
        local="refused with Trino's message",
    ),
    Case(
        "contains of a CIDR and an address not cast to IPADDRESS",
        "SELECT contains('10.0.0.0/8', '10.1.2.3')",
        error="Unexpected parameters (varchar(10), varchar(8)) for function contains",
        local="refused with Trino's message",
    ),
    Case(
        "ORDER BY an IPADDRESS: its 16 bytes, unsigned (IPv4 among IPv6)",
        "SELECT x FROM (VALUES IPADDRESS '10.0.0.2', IPADDRESS '9.0.0.0', IPADDRESS '::1', IPADDRESS 'ffff::', "
        "IPADDRESS '8000::', IPADDRESS '7fff::', IPADDRESS '::fffe:ffff:ffff', IPADDRESS '255.255.255.255', "
        "IPADDRESS '::1:0:0:0', CAST(NULL AS IPADDRESS)) AS t(x) ORDER BY x",
        rows=[
            ("::1",),
            ("::fffe:ffff:ffff",),
            ("9.0.0.0",),
            ("10.0.0.2",),
            ("255.255.255.255",),
            ("::1:0:0:0",),
            ("7fff::",),
            ("8000::",),
            ("ffff::",),
            (None,),
        ],
    ),
    Case(
        "GROUP BY an IPADDRESS: an IPv4 address and its IPv4-mapped form are one",
        "SELECT x, count(*) AS n FROM (VALUES IPADDRESS '1.2.3.4', IPADDRESS '::ffff:1.2.3.4', IPADDRESS '::1.2.3.4') "
        "AS t(x) GROUP BY x ORDER BY x",
        rows=[("::102:304", 1), ("1.2.3.4", 2)],
    ),
    Case(
        "min, max, DISTINCT and comparisons of IPADDRESS",
        "SELECT min(x), max(x), count(DISTINCT x), IPADDRESS '1.2.3.4' = IPADDRESS '::ffff:1.2.3.4', "
        "IPADDRESS '1.2.3.4' < IPADDRESS '::1:0:0:0' FROM (VALUES IPADDRESS '10.0.0.2', IPADDRESS '9.0.0.0', "
        "IPADDRESS '::ffff:9.0.0.0', IPADDRESS 'ffff::') AS t(x)",
        rows=[("9.0.0.0", "ffff::", 3, True, True)],
    ),
    Case(
        "an IPADDRESS whose type the SQL does not tell (an array's item)",
        "SELECT contains('10.0.0.0/8', element_at(a, 1)), CAST(element_at(a, 1) AS VARCHAR), element_at(a, 1) "
        "FROM (SELECT ARRAY[CAST('10.1.2.3' AS IPADDRESS)] AS a)",
        rows=[(True, "10.1.2.3", "10.1.2.3")],
    ),
    Case(
        "arrays and maps of IPADDRESS in results",
        "SELECT ARRAY[IPADDRESS '1.2.3.4', IPADDRESS '::1'], map(ARRAY[IPADDRESS '1.2.3.4'], ARRAY[1]), "
        "transform(ARRAY[IPADDRESS '1.2.3.4', IPADDRESS '::ffff:102:304'], a -> CAST(a AS VARCHAR))",
        rows=[(["1.2.3.4", "::1"], {"1.2.3.4": 1}, ["1.2.3.4", "1.2.3.4"])],
    ),
    Case(
        "an IPADDRESS the SQL does not tell, concatenated",
        "SELECT element_at(a, 1) || 'x' FROM (SELECT ARRAY[CAST('10.1.2.3' AS IPADDRESS)] AS a)",
        error="Unexpected parameters (ipaddress, varchar(1)) for function concat",
        local="the same error",
    ),
    Case(
        "an IPADDRESS the SQL does not tell, CAST to JSON",
        "SELECT CAST(element_at(a, 1) AS JSON) FROM (SELECT ARRAY[CAST('10.1.2.3' AS IPADDRESS)] AS a)",
        error="Cannot cast ipaddress to json",
        local="the same error",
    ),
    Case(
        "TRY around a CAST to IPADDRESS or contains",
        "SELECT TRY(CAST('ec2.amazonaws.com' AS IPADDRESS)), TRY(CAST('10.1.2.3' AS IPADDRESS)), "
        "TRY(contains('10.1.2.3/8', CAST('10.1.2.3' AS IPADDRESS))), TRY(contains('10.0.0.0/8', CAST('10.1.2.3' AS IPADDRESS)))",
        rows=[(None, "10.1.2.3", None, True)],
    ),
    Case(
        "an IPADDRESS compared with text",
        "SELECT CAST('10.0.0.1' AS IPADDRESS) = '10.0.0.1'",
        error="Cannot apply operator: ipaddress = varchar(8)",
        local="refused with Trino's message",
    ),
    Case(
        "an IPADDRESS IN a list of text",
        "SELECT CAST('10.0.0.1' AS IPADDRESS) IN ('10.0.0.1', '10.0.0.2')",
        error="Cannot find common type between ipaddress and varchar(8)",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of an IPADDRESS to VARCHAR(n)",
        "SELECT CAST(CAST('10.1.2.3' AS IPADDRESS) AS VARCHAR(20))",
        error="Cannot cast ipaddress to varchar(20)",
        local="refused with Trino's message",
    ),
    Case(
        "an IPADDRESS concatenated",
        "SELECT CAST('10.1.2.3' AS IPADDRESS) || 'x'",
        error="Unexpected parameters (ipaddress, varchar(1)) for function concat",
        local="refused with Trino's message",
    ),
    Case(
        "array_join of IPADDRESS",
        "SELECT array_join(ARRAY[CAST('1.2.3.4' AS IPADDRESS), CAST('::1' AS IPADDRESS)], ',')",
        refused="array_join of IP addresses is not run locally",
        local="refused (transform the addresses with CAST(a AS VARCHAR) first)",
    ),
    Case(
        "Presto's IPPREFIX type",
        "SELECT CAST('10.0.0.0/8' AS IPPREFIX)",
        error="Unknown type: IPPREFIX",
        local="refused with Trino's message",
    ),
    *(
        Case(
            f"Presto's {name}",
            f"SELECT {name}({arguments})",
            error=f"Function '{name}' not registered",
            local="refused with Trino's message",
        )
        for name, arguments in (
            ("ip_prefix", "CAST('10.1.2.3' AS IPADDRESS), 24"),
            ("ip_subnet_min", "'10.0.0.0/8'"),
            ("ip_subnet_max", "'10.0.0.0/8'"),
            ("ip_subnet_range", "'10.0.0.0/8'"),
            ("is_subnet_of", "'10.0.0.0/8', CAST('10.1.2.3' AS IPADDRESS)"),
        )
    ),
    Case(
        "UNNEST of an array of rows: a column per field, the aliases in order",
        "SELECT a, b, n FROM UNNEST(ARRAY[ROW(1, 'x'), NULL, ROW(2, 'y')]) WITH ORDINALITY AS t(a, b, n) ORDER BY n",
        rows=[(1, "x", 1), (None, None, 2), (2, "y", 3)],
    ),
    Case(
        "UNNEST of two arrays: side by side, the shorter padded with NULLs",
        "SELECT * FROM UNNEST(ARRAY[1, 2, 3], ARRAY['a']) AS t(x, y) ORDER BY x",
        rows=[(1, "a"), (2, None), (3, None)],
    ),
    Case(
        "LEFT JOIN UNNEST of an empty or NULL array of rows",
        "SELECT x, a, b FROM (VALUES 1, 2, 3) AS v(x) LEFT JOIN UNNEST(CASE WHEN x = 1 THEN ARRAY[ROW(1, 'y')] WHEN x = 2 THEN ARRAY[] END) AS t(a, b) ON true ORDER BY x",
        rows=[(1, 1, "y"), (2, None, None), (3, None, None)],
    ),
    Case(
        "UNNEST whose alias list does not name every field",
        "SELECT * FROM UNNEST(ARRAY[ROW(1, 'x')]) AS t(a)",
        error="Column alias list has 1 entries but 't' has 2 columns available",
        local="refused with Trino's message",
    ),
    Case(
        "UNNEST of rows whose fields the SQL does not tell",
        "SELECT * FROM UNNEST((SELECT array_agg(ROW(x, 'k')) FROM (VALUES 1) AS v(x))) AS t(a, b)",
        refused="UNNEST of an array of rows whose fields the local engine cannot tell",
        local="refused (CAST the array AS ARRAY(ROW(...)))",
    ),
    Case(
        "a string column compared with a boolean (CloudTrail's columns are text)",
        "SELECT count(*) FROM trail WHERE readonly = false",
        error="Cannot apply operator: varchar = boolean",
        local="refused with Trino's message",
    ),
    Case(
        "a string column compared with a number",
        "SELECT count(*) FROM trail WHERE errorcode = 1",
        error="Cannot apply operator: varchar = integer",
        local="refused with Trino's message",
    ),
    Case(
        "a string column ordered against a decimal (>= is written <=)",
        "SELECT count(*) FROM trail WHERE errorcode >= 1.5",
        error="Cannot apply operator: varchar <= decimal(2,1)",
        local="refused with Trino's message",
    ),
    Case(
        "a string column IN a list holding a boolean",
        "SELECT count(*) FROM trail WHERE readonly IN ('true', true)",
        error="IN value and list items must be the same type or coercible to a common type. Cannot find "
        "common type between varchar and boolean, all types (without duplicates): [varchar, varchar(4), boolean]",
        local="refused with Trino's message",
    ),
    Case(
        "a string column BETWEEN numbers",
        "SELECT count(*) FROM trail WHERE readonly BETWEEN 1 AND 2",
        error="Cannot check if varchar is BETWEEN integer and integer",
        local="refused with Trino's message",
    ),
    Case(
        "CASE of a string column WHEN a boolean",
        "SELECT CASE readonly WHEN true THEN 1 END FROM trail",
        error="CASE operand type does not match WHEN clause operand type: varchar vs boolean",
        local="refused with Trino's message",
    ),
    Case(
        "JSON compared with text",
        "SELECT count(*) FROM trail WHERE json_extract(requestparameters, '$.bucketName') = 'x'",
        error="Cannot apply operator: json = varchar(1)",
        local="refused with Trino's message",
    ),
    Case(
        "a string literal compared with a number",
        "SELECT 'a' = 1",
        error="Cannot apply operator: varchar(1) = integer",
        local="refused with Trino's message",
    ),
    Case(
        "a CAST to varchar compared with a number",
        "SELECT CAST(1 AS varchar) < 2",
        error="Cannot apply operator: varchar < integer",
        local="refused with Trino's message",
    ),
    Case(
        "text IS DISTINCT FROM a number",
        "SELECT 'a' IS DISTINCT FROM 1",
        error="Cannot check if varchar(1) is identical to integer",
        local="refused with Trino's message",
    ),
    Case(
        "a timestamp compared with text (not read as a timestamp)",
        "SELECT from_iso8601_timestamp('2024-01-01T00:00:00Z') > '2024-01-01'",
        error="Cannot apply operator: timestamp(3) with time zone < varchar(10)",
        local="refused with Trino's message",
    ),
    Case(
        "a date IN a list: a timestamp and text",
        "SELECT DATE '2024-01-01' IN (TIMESTAMP '2024-01-01 00:00:00', 'a')",
        error="IN value and list items must be the same type or coercible to a common type. Cannot find "
        "common type between timestamp(0) and varchar(1), all types (without duplicates): [date, timestamp(0), varchar(1)]",
        local="refused with Trino's message",
    ),
    Case(
        "an ARRAY of text and a number",
        "SELECT ARRAY[eventname, 1] FROM trail",
        error="All ARRAY elements must be the same type or coercible to a common type. Cannot find common "
        "type between varchar and integer, all types (without duplicates): [varchar, integer]",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of an array to varchar",
        "SELECT CAST(ARRAY[1, 2] AS varchar)",
        error="Cannot cast array(integer) to varchar",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of a map to varchar",
        "SELECT CAST(MAP(ARRAY['a'], ARRAY[1.5]) AS varchar)",
        error="Cannot cast map(varchar(1), decimal(2,1)) to varchar",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of a row to varchar",
        "SELECT CAST(ROW(1, 'a', NULL) AS varchar)",
        error="Cannot cast row(integer, varchar(1), unknown) to varchar",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of a struct column to varchar",
        "SELECT CAST(useridentity.sessioncontext.attributes AS varchar) FROM trail",
        error="Cannot cast row(mfaauthenticated varchar, creationdate varchar) to varchar",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of resources to varchar",
        "SELECT CAST(resources AS varchar) FROM trail",
        error="Cannot cast array(row(arn varchar, accountid varchar, type varchar)) to varchar",
        local="refused with Trino's message",
    ),
    Case(
        "CAST of a string column to an array (JSON text is read by json_parse)",
        "SELECT CAST(additionaleventdata AS ARRAY(varchar)) FROM trail",
        error="Cannot cast varchar to array(varchar)",
        local="refused with Trino's message",
    ),
    Case(
        "a field of resources[1] compared with a number",
        "SELECT count(*) FROM trail WHERE resources[1].accountid = 1",
        error="Cannot apply operator: varchar = integer",
        local="refused with Trino's message",
    ),
    Case(
        "a column of UNNEST(resources) compared with a number",
        "SELECT count(*) FROM trail t CROSS JOIN UNNEST(t.resources) AS r(arn, accountid, type) WHERE r.accountid = 1",
        error="Cannot apply operator: varchar = integer",
        local="refused with Trino's message",
    ),
    Case(
        "CAST to varchar of an array the SQL does not tell",
        "SELECT CAST(array_agg(x) AS varchar) FROM (VALUES 1) AS t(x)",
        error="Cannot cast array(integer) to varchar",
        local="the same error when the query runs (DuckDB wrote `[1]`)",
    ),
    Case(
        "CAST of a VALUES column of text to an array",
        "SELECT CAST(x AS array(integer)) FROM (VALUES '[1, 2]', '[3]') AS t(x)",
        error="Cannot cast varchar(6) to array(integer)",
        local="refused with Trino's message (DuckDB read the text as a list)",
    ),
    Case(
        "VALUES without an alias list: columns without a name",
        "SELECT * FROM (VALUES (1, 'a')) CROSS JOIN (SELECT 2, 3 AS b)",
        rows=[(1, "a", 2, 3)],
        local="gives Trino's answer and names (`_col0`, `_col1`, `_col2`, `b`; DuckDB: `col0`, `col1`, `2`)",
    ),
    Case(
        "a name VALUES does not give its column",
        "SELECT col0 FROM (VALUES 1)",
        error="'col0'",
        local="an error (DuckDB answered)",
    ),
    Case(
        "an alias list naming fewer columns than VALUES has",
        "SELECT * FROM (VALUES (1, 2)) AS t(a)",
        error="Column alias list has 1 entries but 't' has 2 columns available",
        local="refused with Trino's message",
    ),
    Case(
        "array_join of timestamps or doubles",
        "SELECT array_join(ARRAY[from_iso8601_timestamp('2024-01-01T00:00:00Z')], ',')",
        refused="array_join of an array holding timestamps or doubles is not run locally",
        local="refused (Trino: `2024-01-01 00:00:00.000 UTC`, `1.5E0`; DuckDB: `2024-01-01 00:00:00+00`, `1.5`)",
    ),
    Case(
        "CAST of an array of timestamps to ARRAY(varchar)",
        "SELECT CAST(ARRAY[CAST('2024-01-01 00:00:00' AS timestamp)] AS array(varchar))",
        refused="CAST to array(varchar) of an array holding timestamps or doubles is not run locally",
        local="refused (Trino: `2024-01-01 00:00:00.000`, DuckDB: `2024-01-01 00:00:00`)",
    ),
    Case(
        "a date or timestamp before year 1 as a value",
        "SELECT DATE '0000-01-01', date_add('year', -2025, DATE '2024-01-01'), ARRAY[DATE '-0001-01-01'], "
        "TIMESTAMP '0000-01-01 00:00:00.5', date_add('year', -2025, from_iso8601_timestamp('2024-01-01T00:00:00.5Z'))",
        rows=[
            (
                "0000-01-01",
                "-0001-01-01",
                ["-0001-01-01"],
                "0000-01-01 00:00:00.500",
                "-0001-01-01 00:00:00.500 UTC",
            )
        ],
        local="gives Trino's text (DuckDB: `0001-01-01 (BC)`)",
    ),
    Case(
        "a timestamp after 2262 as text",
        "SELECT CAST(from_unixtime(1e10) AS varchar), format_datetime(from_unixtime(1e10), 'yyyy-MM-dd HH:mm:ss.SSS'), "
        "to_iso8601(CAST(from_unixtime(1e10) AS timestamp(0)))",
        rows=[("2286-11-20 17:46:40.000 UTC", "2286-11-20 17:46:40.000", "2286-11-20T17:46:40")],
        local="gives Trino's answer (DuckDB's strftime of milliseconds fails past 2262)",
    ),
    Case(
        "chr of a bigint column",
        "SELECT chr(x) FROM (VALUES CAST(65 AS bigint)) AS t(x)",
        rows=[("A",)],
        local="gives Trino's answer (DuckDB's chr takes no bigint)",
    ),
    Case(
        "chr of text",
        "SELECT chr('65')",
        error="for function chr. Expected: chr(bigint)",
        local="the same error (DuckDB cast the text: `A`)",
    ),
    Case(
        "chr of a code point outside Unicode",
        "SELECT chr(x) FROM (VALUES CAST(-1 AS bigint)) AS t(x)",
        error="Not a valid Unicode code point: -1",
        local="the same error",
    ),
    Case(
        "lpad to a length of billions",
        "SELECT lpad('x', 2000000000, 'x')",
        refused="lpad or rpad to a length past 16,777,216 characters is not run locally",
        local="refused (DuckDB built a 2 GB string; Athena runs out of memory)",
    ),
    Case(
        "a map keyed by dates (histogram of days)",
        "SELECT histogram(d) FROM (VALUES DATE '2024-03-01', DATE '2024-03-01', DATE '2024-03-02') AS t(d)",
        rows=[({date(2024, 3, 1): 2, date(2024, 3, 2): 1},)],
        local="gives Trino's answer (a traceback before: a map keyed by dates was read as keyed by rows)",
    ),
    Case(
        "sequence from a date to a timestamp",
        "SELECT sequence(DATE '2024-01-01', TIMESTAMP '2024-01-02 00:00:00', INTERVAL '12' HOUR)",
        rows=[([datetime(2024, 1, 1, 0), datetime(2024, 1, 1, 12), datetime(2024, 1, 2, 0)],)],
        local="gives Trino's answer (the date read as a timestamp; it was refused as a sequence of dates)",
    ),
    Case(
        "an alias list naming fewer columns than a WITH query has",
        "WITH c(a) AS (SELECT 1, 2) SELECT * FROM c",
        error="Column alias list has 1 entries but relation has 2 columns",
        local="the same error (DuckDB named the first columns and kept the others' names)",
    ),
    Case(
        "an alias list naming more columns than trail has",
        "SELECT count(*) FROM trail AS t(a)",
        error="Column alias list has 1 entries but 't' has 32 columns available",
        local="the same error (DuckDB named the first columns and kept the others' names)",
    ),
    Case(
        "an alias list naming more columns than a UNION has",
        "SELECT * FROM (SELECT 1 UNION ALL SELECT 2) AS t(a, b)",
        error="Column alias list has 2 entries but 't' has 1 columns available",
        local="the same error (DuckDB named the first columns and kept the others' names)",
    ),
    Case(
        "a date or timestamp after year 9999 as a value",
        "SELECT from_unixtime(1e12), CAST(from_unixtime(1e12) AS timestamp), CAST(CAST(from_unixtime(1e12) AS timestamp) AS date)",
        rows=[("+33658-09-27 01:46:40.000 UTC", "+33658-09-27 01:46:40.000", "+33658-09-27")],
        local="gives Trino's text (DuckDB: `33658-09-27 01:46:40+00`)",
    ),
    Case(
        "an interval's seconds past the millisecond",
        "SELECT CAST(TIMESTAMP '2024-01-01 00:00:00.000000' + INTERVAL '1.9999' SECOND AS varchar), "
        "INTERVAL '0.0004' SECOND = INTERVAL '0' SECOND",
        rows=[("2024-01-01 00:00:01.999000", True)],
        local="gives Trino's answer (DuckDB kept the microseconds: `00:00:01.999900`, false)",
    ),
    Case(
        "UNNEST without an alias list: columns without a name",
        "SELECT * FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY",
        rows=[(1, 1), (2, 2)],
        local="gives Trino's answer and names (`_col0`, `_col1`; DuckDB: `unnest`, `ordinality`)",
    ),
    Case(
        "the concatenation operator on text and a number",
        "SELECT x || y FROM (VALUES ('a', 1)) AS t(x, y)",
        error="Unexpected parameters (varchar(1), integer) for function concat. Expected: concat(E, array(E)) E",
        local="the same error (DuckDB: `a1`)",
    ),
    Case(
        "concat of text and a boolean",
        "SELECT concat(x, y) FROM (VALUES ('a', true)) AS t(x, y)",
        error="Unexpected parameters (varchar(1), boolean) for function concat. Expected: concat(E, array(E)) E",
        local="the same error (DuckDB: `atrue`)",
    ),
    Case(
        "a WITH query reads the WITH queries written before it only",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM (WITH b AS (SELECT * FROM a), a AS (SELECT 1 AS x, 2 AS y) "
        "SELECT * FROM b) AS s(p)",
        rows=[(1,)],
        local="gives Trino's answer (the alias list was checked against the later `a`)",
    ),
    Case(
        "t.* beside JOIN ... USING",
        "SELECT t.*, u.* FROM (VALUES (1, 2)) AS t(a, b) JOIN (VALUES (1, 3)) AS u(a, c) USING (a)",
        refused="`t.*` beside a JOIN ... USING is not run locally",
        local="refused (Trino leaves the USING columns out of `t.*`: b, c; DuckDB: a, b, a, c)",
    ),
    Case(
        "UNNEST of a map built in the SQL: its entries",
        "SELECT k, v FROM UNNEST(map_concat(MAP(ARRAY[2], ARRAY['b']), map_from_entries(ARRAY[ROW(1, 'a')]))) "
        "AS t(k, v) ORDER BY k",
        rows=[(1, "a"), (2, "b")],
        local="gives Trino's answer (DuckDB's binder: UNNEST requires a list; the local engine refused)",
    ),
    Case(
        "a name DuckDB gives UNNEST's column",
        'SELECT "unnest" FROM UNNEST(ARRAY[1])',
        error="'unnest'",
        local="an error (DuckDB answered)",
    ),
    Case(
        "two UNNESTs of rows without an alias",
        "SELECT * FROM UNNEST(ARRAY[ROW(1, 'a')]) CROSS JOIN UNNEST(ARRAY[ROW(2, 'b')])",
        rows=[(1, "a", 2, "b")],
        local="gives Trino's answer (a DuckDB error before: both relations had the same name)",
    ),
    Case(
        "an alias list naming more columns than an UNNEST of values has",
        "SELECT * FROM UNNEST(ARRAY[1]) AS u(a, b)",
        error="Column alias list has 2 entries but 'u' has 1 columns available",
        local="refused with Trino's message (DuckDB named the one column)",
    ),
    Case(
        "an alias list naming fewer columns than a subquery's `*` gives",
        "SELECT * FROM (SELECT * FROM (VALUES (1, 2)) AS v(x, y)) AS t(a)",
        error="Column alias list has 1 entries but 't' has 2 columns available",
        local="the same error (DuckDB named the first columns and kept the others' names)",
    ),
    Case(
        "an alias list naming more columns than a `*` over JOIN USING gives",
        "SELECT * FROM (SELECT * FROM (VALUES (1, 2)) AS a(k, x) JOIN (VALUES (1, 3)) AS b(k, y) USING (k)) AS t(p, q, r, s)",
        error="Column alias list has 4 entries but 't' has 3 columns available",
        local="Trino's error (DuckDB failed with its own message)",
    ),
    Case(
        "an alias list over a `*` whose columns the SQL does not tell",
        "SELECT * FROM (SELECT * FROM UNNEST(element_at(MAP(ARRAY['a'], ARRAY[ARRAY[1]]), 'a'))) AS t(a)",
        refused="over a `*` is not run locally",
        local="refused (Trino: 1; the `*`'s columns depend on the array's items, which the SQL does not tell)",
    ),
    Case(
        "CAST of text to varchar(n): its first n characters",
        "SELECT CAST('abcd' AS varchar(2)), CAST(x AS varchar(6)), CAST(NULL AS varchar(2)) FROM (VALUES 'héllo😀x') AS t(x)",
        rows=[("ab", "héllo😀", None)],
        local="gives Trino's answer (DuckDB: the whole text)",
    ),
    Case(
        "CAST of an integer too long for varchar(n)",
        "SELECT CAST(12345 AS varchar(3))",
        error="Value 12345 cannot be represented as varchar(3)",
        local="the same error (DuckDB: `12345`)",
    ),
    Case(
        "TRY_CAST of an integer to varchar(n)",
        "SELECT TRY_CAST(12345 AS varchar(3)), CAST(CAST(-5 AS tinyint) AS varchar(2)), CAST(true AS varchar(4))",
        rows=[(None, "-5", "true")],
        local="gives Trino's answer (DuckDB: `12345`)",
    ),
    Case(
        "CAST of a boolean too long for varchar(n), TRY_CAST too",
        "SELECT TRY_CAST(true AS varchar(3))",
        error="Character count exceeds length limit 3: base64:dHJ1ZQ==",
        local="the same error (DuckDB: `true`)",
    ),
    Case(
        "CAST to varchar(n) of an integer the SQL does not tell",
        "SELECT CAST(element_at(array_agg(x), 1) AS varchar(2)) FROM (VALUES 123) AS t(x)",
        error="Value 123 cannot be represented as varchar(2)",
        local="the same error, when the query runs (DuckDB: `123`)",
    ),
    Case(
        "CAST of a decimal, a double, a timestamp or JSON to varchar(n)",
        "SELECT CAST(1.5 AS varchar(2))",
        refused="is not run locally: Athena writes its text as its own",
        local="refused (Trino: Value 1.5 cannot be represented as varchar(2); where the text fits, Trino's own text of the value)",
    ),
    Case(
        "CAST of a sum or a date to varchar(n)",
        "SELECT CAST(sum(y) AS varchar(5)), CAST(DATE '2024-01-01' AS varchar(20)), "
        "TRY_CAST(DATE '2024-01-01' AS varchar(5)) FROM (VALUES 1000) AS t(y)",
        rows=[("1000", "2024-01-01", None)],
        local="gives Trino's answer (DuckDB: the whole text)",
    ),
    Case(
        "CAST to an array, a map or a row of varchar(n)",
        "SELECT CAST(ARRAY['abcd', 'ef'] AS ARRAY(varchar(2)))",
        refused="a CAST to an array, a map or a row of varchar(n) is not run locally",
        local="refused (Trino: [ab, ef]; DuckDB ignored n)",
    ),
    Case(
        "varchar(n) of a length Trino has no type for",
        "SELECT CAST('abc' AS varchar(2147483648))",
        error="Unknown type: varchar(2147483648)",
        local="the same error (DuckDB: abc)",
    ),
    Case(
        "VALUES ROW(...): its fields are the row's columns",
        "SELECT x, y FROM (VALUES ROW('ab', 1), ROW('c', 2)) AS t(x, y) ORDER BY x",
        rows=[("ab", 1), ("c", 2)],
        local="gives Trino's answer (DuckDB: one column holding a struct; an alias list of two refused)",
    ),
    Case(
        "VALUES of one ROW(...) of one field",
        "SELECT * FROM (VALUES ROW('ab'))",
        rows=[("ab",)],
        local="gives Trino's answer (DuckDB: {'_0': 'ab'})",
    ),
    Case(
        "a VALUES row of one value CAST to a row type",
        "SELECT x FROM (VALUES CAST(ROW(1) AS ROW(a integer))) AS t(x)",
        refused="a VALUES row of one value CAST to a row type is not run locally",
        local="refused (Trino: 1, the row's field)",
    ),
    Case(
        "char(n)",
        "SELECT CAST('b' AS char(3)), CAST('b' AS char(3)) = 'b'",
        refused="char(n) is not run locally",
        local="refused (Trino: `b  `, padded with spaces, and true: compared without them)",
    ),
    Case(
        "arithmetic of the two kinds of interval",
        "SELECT TIMESTAMP '2024-01-02 00:00:00' > TIMESTAMP '2024-01-01 00:00:00' + (INTERVAL '1' YEAR + INTERVAL '1' DAY)",
        error="Cannot apply operator: interval year to month + interval day to second",
        local="the same error (DuckDB: false)",
    ),
    Case(
        "two dates added, or a number minus an interval",
        "SELECT DATE '2024-01-02' + DATE '2024-01-01'",
        error="Cannot apply operator: date + date (cause: Unexpected parameters (date, date) for function $operator$ADD",
        local="the same error (DuckDB's binder error of its own before)",
    ),
    Case(
        "a date minus a date, an interval times a number",
        "SELECT CAST(DATE '2024-01-03' - DATE '2024-01-01' AS varchar), CAST(INTERVAL '1' DAY * 2 AS varchar), "
        "DATE '2024-01-01' + INTERVAL '1' DAY = DATE '2024-01-02'",
        rows=[("2 00:00:00.000", "2 00:00:00.000", True)],
    ),
]


#: UNNESTs without an alias list, and the names Trino 476 gives their columns (checked locally by
#: tests/test_trino_semantics.py, on Trino by tests/conformance/test_conformance.py).
UNNAMED_UNNESTS = [
    ("SELECT * FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY", ["_col0", "_col1"]),
    ("SELECT * FROM UNNEST(ARRAY[1]) AS u", ["_col0"]),
    ("SELECT * FROM (VALUES 1) AS t(x) CROSS JOIN UNNEST(ARRAY[5])", ["x", "_col1"]),
    ("SELECT * FROM UNNEST(ARRAY[1, 2], ARRAY['a'])", ["_col0", "_col1"]),
    ("SELECT * FROM UNNEST(ARRAY[ROW(1, 'a')]) WITH ORDINALITY", ["_col0", "_col1", "_col2"]),
    ("SELECT * FROM (SELECT * FROM UNNEST(ARRAY[1]))", ["_col0"]),
    ("SELECT * FROM UNNEST(MAP(ARRAY[1], ARRAY['a']))", ["_col0", "_col1"]),
    ("SELECT * FROM UNNEST(MAP(ARRAY[1], ARRAY['a'])) WITH ORDINALITY", ["_col0", "_col1", "_col2"]),
    ("SELECT * FROM (SELECT * FROM UNNEST(ARRAY[1]) CROSS JOIN UNNEST(ARRAY[2]))", ["_col0", "_col1"]),
    (
        "SELECT * FROM UNNEST(ARRAY[ROW(1, 'a')]) CROSS JOIN UNNEST(ARRAY[ROW(2, 'b')])",
        ["_col0", "_col1", "_col2", "_col3"],
    ),
]
