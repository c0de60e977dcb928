"""Athena's IPADDRESS on a real Trino and on the local engine: generated text read as addresses,
CIDRs of every shape, and the investigator's queries on CloudTrail rows (conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import corpus_path, lay_out, read_jsonl

from conformance.addresses import EDGE_NETWORKS, networks, texts
from conformance.conftest import Dataset, Engines, Oracle
from toolkit.core.query import TrailQuery
from toolkit.core.window import parse
from toolkit.errors import UsageError

pytestmark = pytest.mark.conformance

ALL_TIME = parse(all_time=True)

#: sourceIPAddress values CloudTrail writes (addresses, service names, `AWS Internal`), and
#: addresses written in the other ways Trino reads (or refuses), set on real events in turn.
SOURCES = [
    "198.51.100.7",
    "10.1.2.3",
    "10.255.255.255",
    "11.0.0.1",
    "192.168.0.10",
    "2600:1f18:4a3:6f02:9d2c:cf4f:5e8:7f2a",
    "2600:1F18:04A3:6F02:9D2C:CF4F:05E8:7F2A",
    "2001:db8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "::ffff:10.1.2.3",
    "::ffff:a01:203",
    "::1",
    "fe80::1%1",
    "ec2.amazonaws.com",
    "AWS Internal",
    "010.1.2.3",
    "10.1.2.3 ",
    "",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rows(*columns: list[str]) -> str:
    """The texts as rows of a table: UNNEST of array literals (Trino plans a VALUES of two
    thousand rows in seconds, an array of as many in milliseconds)."""
    return "UNNEST(" + ", ".join("ARRAY[" + ", ".join(_literal(i) for i in c) + "]" for c in columns) + ")"


def test_generated_text_cast_to_ipaddress(engines):
    # TRY_CAST's address (written as Trino writes it) or NULL, for text that is or nearly is one.
    generated = texts()
    trino, local = engines.both(
        "SELECT s, TRY_CAST(s AS IPADDRESS) AS ip, CAST(TRY_CAST(s AS IPADDRESS) AS VARCHAR) AS text "
        f"FROM {_rows(generated)} AS t(s) ORDER BY s"
    )
    assert len(trino) == len(generated)
    assert sum(row[1] is not None for row in trino) > 500
    assert sum(row[1] is None for row in trino) > 500
    assert local == trino


def test_generated_networks_contain_generated_addresses(engines):
    # Every CIDR here is one contains() reads (an IPv4 network without host bits set, an IPv6 one
    # with or without): which of them do the addresses fall in?
    found = engines.trino(
        f"SELECT s FROM {_rows(texts())} AS t(s) WHERE TRY_CAST(s AS IPADDRESS) IS NOT NULL"
    )
    addresses = [row[0] for row in found[1]]
    # those Trino reads: TRY gives NULL for an error only (the address is not NULL)
    readable = [
        row[0]
        for row in engines.trino(
            f"SELECT c FROM {_rows(networks(addresses))} AS t(c) "
            "WHERE TRY(contains(c, IPADDRESS '10.1.2.3')) IS NOT NULL"
        )[1]
    ]
    assert len(readable) > 300
    pairs = [
        (cidr, addresses[(i * 7919 + j) % len(addresses)])
        for i, cidr in enumerate(readable)
        for j in range(8)
    ]
    cidrs, hosts = [c for c, _ in pairs], [a for _, a in pairs]
    trino, local = engines.both(
        f"SELECT c, a, contains(c, CAST(a AS IPADDRESS)) AS inside FROM {_rows(cidrs, hosts)} AS t(c, a) "
        "ORDER BY c, a"
    )
    assert any(row[2] for row in trino) and not all(row[2] for row in trino)
    assert local == trino


@pytest.mark.parametrize("cidr", EDGE_NETWORKS)
def test_networks_at_the_edges(engines, cidr):
    sql = f"SELECT contains({_literal(cidr)}, IPADDRESS '10.1.2.3')"
    try:
        expected = engines.trino(sql)[1]
    except engines.script.TrinoError as error:
        with pytest.raises(UsageError) as locally:
            engines.local.run(TrailQuery.parse(sql, ALL_TIME))
        assert locally.value.message in str(error)
        return
    assert engines.local.run(TrailQuery.parse(sql, ALL_TIME)).rows == [tuple(r) for r in expected]


# -- on CloudTrail rows ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ip_engines(oracle: Oracle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    """Real events (Stratus Red Team's) whose sourceIPAddress is each of SOURCES in turn."""
    records = read_jsonl(corpus_path("stratus-red-team-detonations", "events.jsonl"))
    for i, record in enumerate(records):
        record["sourceIPAddress"] = SOURCES[i % len(SOURCES)]
    root: Path = lay_out(records, tmp_path_factory.mktemp("ip"))
    made = Engines(oracle, Dataset.of(oracle.script, root, "trailcsi_conformance_ip"))
    yield made
    made.local.close()


def test_source_addresses_read_grouped_and_ordered(ip_engines):
    # TRY_CAST reads each way of writing an address, NULL for service names; GROUP BY the address
    # puts its spellings together; ORDER BY it is Trino's order; its text is Trino's.
    trino, local = ip_engines.both(
        "SELECT TRY_CAST(sourceipaddress AS IPADDRESS) AS ip, "
        "CAST(TRY_CAST(sourceipaddress AS IPADDRESS) AS VARCHAR) AS text, count(*) AS events, "
        "count(DISTINCT sourceipaddress) AS spellings, min(eventtime) AS first, "
        "contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS)) AS private "
        "FROM trail GROUP BY 1 ORDER BY 1"
    )
    assert {"::1", "10.1.2.3", "2001:db8::1", "fe80::1", None} <= {row[0] for row in trino}
    assert any(row[3] == 2 for row in trino)  # two spellings of one address
    assert local == trino


def test_playbook_events_from_private_ranges(ip_engines):
    # A network playbook: events from the private ranges, IPv4 or IPv6 documentation range.
    trino, local = ip_engines.both(
        "SELECT eventid, eventname, sourceipaddress FROM trail "
        "WHERE contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS)) "
        "OR contains('192.168.0.0/16', TRY_CAST(sourceipaddress AS IPADDRESS)) "
        "OR contains('2001:db8::/32', TRY_CAST(sourceipaddress AS IPADDRESS)) "
        "ORDER BY eventid, eventname, sourceipaddress"
    )
    assert {row[2] for row in trino} >= {"10.1.2.3", "192.168.0.10", "2001:db8::1", "::ffff:10.1.2.3"}
    assert local == trino


def test_addresses_between_and_compared(ip_engines):
    trino, local = ip_engines.both(
        "WITH a AS (SELECT DISTINCT TRY_CAST(sourceipaddress AS IPADDRESS) AS ip FROM trail) "
        "SELECT ip, ip BETWEEN IPADDRESS '10.0.0.0' AND IPADDRESS '10.255.255.255' AS ten, "
        "ip > IPADDRESS '::ffff:0:0' AS above, ip = IPADDRESS '2001:db8::1' AS doc FROM a ORDER BY ip"
    )
    assert local == trino


def test_cast_of_a_service_name_fails_on_both(ip_engines):
    ip_engines.same_error(
        "SELECT eventid, CAST(sourceipaddress AS IPADDRESS) FROM trail", "Cannot cast value to IPADDRESS: "
    )


def test_real_addresses_of_the_corpora(engines):
    # The corpora's own addresses (some written with leading zeros, which Trino does not read).
    trino, local = engines.both(
        "SELECT sourceipaddress, TRY_CAST(sourceipaddress AS IPADDRESS) AS ip, count(*) AS n FROM trail "
        "GROUP BY 1, 2 ORDER BY 2, 1"
    )
    assert any(row[1] is None for row in trino) and any(row[1] is not None for row in trino)
    assert local == trino


def test_service_names_of_panthers_events(panther_engines):
    trino, local = panther_engines.both(
        "SELECT sourceipaddress, TRY_CAST(sourceipaddress AS IPADDRESS) AS ip FROM trail "
        "GROUP BY 1, 2 ORDER BY 1"
    )
    assert any(row[0] == "AWS Internal" and row[1] is None for row in trino)
    assert local == trino
    assert json.dumps(local)  # addresses are text, as Trino gives them
