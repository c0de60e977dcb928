"""The local IPADDRESS (toolkit/core/ipaddresses.py) through the local engine: results as Trino's text,
streamed or not, its two writers of that text agreeing, and what DuckDB cannot take refused in
one line. Trino's own answers are the cases of tests/trino_cases.py and tests/conformance/."""

from __future__ import annotations

import random

import duckdb
import pytest
from conformance import addresses
from conftest import lay_out

from toolkit.core import ipaddresses, window
from toolkit.core.query import TrailQuery, parse_select
from toolkit.core.transpile import to_duckdb
from toolkit.engines.local import LocalEngine, _translate
from toolkit.errors import UsageError

ALL = window.parse(all_time=True)

#: sourceIPAddress values and Trino's text of each as an IPADDRESS (tests/trino_cases.py).
SOURCES = {
    "198.51.100.7": "198.51.100.7",
    "::ffff:10.1.2.3": "10.1.2.3",
    "2001:0db8:0000:0000:0000:0000:0000:0001": "2001:db8::1",
    "2001:DB8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
    "ec2.amazonaws.com": None,
    "AWS Internal": None,
}


def _record(i: int, source: str) -> dict:
    return {
        "eventVersion": "1.10",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "eventTime": f"2024-05-01T10:00:{i:02d}Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": "us-east-1",
        "sourceIPAddress": source,
        "eventID": f"e{i}",
        "recipientAccountId": "111122223333",
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    records = [_record(i, source) for i, source in enumerate(SOURCES)]
    return lay_out(records, tmp_path_factory.mktemp("ipaddresses"), per_file=2)


@pytest.mark.parametrize("stream", [False, True], ids=["listed", "streamed"])
def test_local_engine_gives_addresses_as_trinos_text(archive, stream):
    engine = LocalEngine(archive, stream=stream)
    try:
        result = engine.run(
            TrailQuery.parse(
                "SELECT sourceipaddress, TRY_CAST(sourceipaddress AS IPADDRESS) AS ip, "
                "ARRAY[TRY_CAST(sourceipaddress AS IPADDRESS)] AS ips FROM trail ORDER BY eventtime",
                ALL,
            )
        )
        rows = list(result.rows)
    finally:
        engine.close()
    assert [(s, ip) for s, ip, _ in rows] == list(SOURCES.items())
    assert [ips for _, _, ips in rows] == [[text] for text in SOURCES.values()]


def test_cast_of_a_service_name_is_trinos_error_in_one_line(archive):
    engine = LocalEngine(archive)
    try:
        with pytest.raises(UsageError) as raised:
            engine.run(TrailQuery.parse("SELECT CAST(sourceipaddress AS IPADDRESS) FROM trail", ALL))
    finally:
        engine.close()
    assert raised.value.message in {
        f"Cannot cast value to IPADDRESS: {s}" for s in ("ec2.amazonaws.com", "AWS Internal")
    }


def _numbers() -> list[int]:
    """Addresses of every shape: IPv4-mapped, every run of zero groups, random."""
    rng = random.Random(3)
    found = [0, 1, 0xFFFF << 32, (0xFFFF << 32) + 0x0A010203, 2**128 - 1, 0xFFFE << 32, 0x01020304]
    for mask in range(256):
        found.append(sum((0 if mask >> i & 1 else rng.randrange(1, 0x10000)) << (16 * i) for i in range(8)))
    found += [rng.randrange(2**128) for _ in range(200)]
    return found


def test_results_and_cast_to_varchar_write_the_same_text(con):
    # Results are written in Python (ipaddresses.text), CAST(... AS VARCHAR) by a DuckDB macro.
    numbers = _numbers()
    written = con.execute(
        "SELECT trino_ipaddress_text({'trailcsi_ipaddress': CAST(n AS UHUGEINT)}) FROM unnest(?) AS t(n) ",
        [[str(n) for n in numbers]],
    ).fetchall()
    assert [w for (w,) in written] == [ipaddresses.text(n) for n in numbers]


def test_results_convert_nested_values(con):
    cursor = con.execute(
        "SELECT [{'trailcsi_ipaddress': CAST(1 AS UHUGEINT)}, NULL] AS a, "
        "{'x': {'trailcsi_ipaddress': CAST(281470681743360 + 16909060 AS UHUGEINT)}, 'y': 2} AS s, "
        "map([{'trailcsi_ipaddress': CAST(1 AS UHUGEINT)}], ['one']) AS m, "
        "map(['k'], [{'trailcsi_ipaddress': CAST(1 AS UHUGEINT)}]) AS v, 7 AS n"
    )
    rows = ipaddresses.convert_rows([d[1] for d in cursor.description], cursor.fetchall())
    assert rows == [(["::1", None], {"x": "1.2.3.4", "y": 2}, {"::1": "one"}, {"k": "::1"}, 7)]


def test_queries_without_an_ipaddress_are_rewritten_as_before():
    # No IPADDRESS in the query, no value can be one: nothing is guarded.
    sql = to_duckdb(
        parse_select(
            "SELECT eventname || 'x', CAST(eventtime AS VARCHAR), contains(ARRAY['a'], eventname), "
            "concat(eventname, 'y'), CAST(requestparameters AS JSON) FROM trail"
        )
    )
    assert "trino_" not in sql


def _run(con, sql: str) -> list[tuple]:
    try:
        return con.execute(to_duckdb(parse_select(sql))).fetchall()
    except duckdb.Error as error:
        raise _translate(error) from None


def test_what_duckdb_does_not_take_is_a_one_line_refusal(con):
    with pytest.raises(UsageError) as raised:
        _run(con, "SELECT CAST('1.2.3.4' AS IPADDRESS) + 1")
    assert "ipaddress" in raised.value.message and "STRUCT" not in str(raised.value)
    assert "\n" not in str(raised.value)


def _sql_reading(con, texts: list[str]) -> dict[str, tuple[int | None, str | None]]:
    rows = con.execute("SELECT s, trino_ip_read(s) FROM unnest(?) AS t(s)", [texts]).fetchall()
    return {s: (r["n"], r["refusal"] and r["refusal"].removeprefix("trailcsi: ")) for s, r in rows}


def test_the_python_and_sql_readings_of_an_address_agree(con):
    # A CIDR written in the SQL is read in Python when the query is rewritten, any other text by
    # the SQL macros: both must read alike (each is checked against Trino in tests/conformance/).
    texts = [
        *addresses.texts(),
        *addresses.texts(seed=11),
        "١.2.3.4",
        "::1%٣",
        "fe80::1%eth0",
        "ａ::1",
        "::1%%",
    ]
    sql = _sql_reading(con, texts)
    assert {t: ipaddresses.read(t) for t in texts} == sql
    assert sum(n is not None for n, _ in sql.values()) > 1000
    assert sum(r is not None for _, r in sql.values()) >= 5


def test_the_python_and_sql_readings_of_a_network_agree(con):
    readable = [t for t in addresses.texts() if ipaddresses.read(t)[0] is not None]
    cidrs = [
        *addresses.networks(readable),
        *addresses.EDGE_NETWORKS,
        "١٠.0.0.0/8",
        "10.0.0.0/٨",
        "fe80::%eth0/64",
    ]
    rows = con.execute("SELECT c, trino_ip_network(c) FROM unnest(?) AS t(c)", [cidrs]).fetchall()
    for cidr, w in rows:
        expected = (
            (w["network"], w["bits"])
            if w["error"] is None
            else (w["error"].removeprefix("trailcsi: "), w["refused"])
        )
        assert ipaddresses.network(cidr) == expected, cidr
