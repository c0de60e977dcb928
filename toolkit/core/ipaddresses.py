"""Trino's IPADDRESS on DuckDB: its local representation, the macros that read, compare and write
it as Trino does, and the rewrite of the Athena SQL that uses it.

An IPADDRESS is held as `STRUCT(trailcsi_ipaddress UHUGEINT)`: the address's 16 bytes (an IPv4
address as IPv4-mapped IPv6, `::ffff:a.b.c.d`, as Trino stores it) as one unsigned 128-bit number.
DuckDB then compares, orders, groups and deduplicates it as Trino does (the 16 bytes, unsigned),
refuses arithmetic and string functions on it as Trino does, and `converter` tells it apart in a
result to write Trino's text (`text`). Athena's Trino has no IPPREFIX type and none of Presto's
`ip_prefix`, `ip_subnet_min`, `ip_subnet_max`, `ip_subnet_range`, `is_subnet_of`: they get
Trino's error, as on Athena.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from toolkit.core.semantics import IPADDRESS, TYPED_LITERAL, UNKNOWN, Numeric
from toolkit.errors import UsageError

FIELD = "trailcsi_ipaddress"
#: DuckDB's name for the local IPADDRESS type (`typeof`, a result's column type).
DUCKDB_TYPE = f"STRUCT({FIELD} UHUGEINT)"

_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
#: A dotted quad as Trino reads it: four decimal octets, no leading zero, nothing around.
IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_HEXTET = "[0-9A-Fa-f]{1,4}"
_HEXTETS = rf"{_HEXTET}(:{_HEXTET})*"
#: An IPv6 address as Trino reads it (without its zone index): eight groups, or fewer around one
#: `::` (which stands for one group at least: counted apart), the last two maybe a dotted quad.
#: IPV6_HEX: the same without a dotted quad.
IPV6_HEX = rf"{_HEXTET}(:{_HEXTET}){{7}}|({_HEXTETS})?::({_HEXTETS})?"
IPV6 = rf"{IPV6_HEX}|{_HEXTET}(:{_HEXTET}){{5}}:{IPV4}|({_HEXTETS})?::({_HEXTETS}:)?{IPV4}"


#: The local engine's refusals (and Trino's error for a prefix length that is not a number), with
#: {text} and {zone} to fill: in SQL by `_sql_message`, in Python by str.format.
UNICODE_REFUSAL = (
    "'{text}' holds characters other than ASCII that Athena may read as digits "
    "(the local engine reads ASCII digits only): run it on Athena"
)
ZONE_REFUSAL = (
    "'{text}': Athena reads the zone index %{zone} as a network interface of its server, "
    "the local engine only reads %digits: run it on Athena"
)
PREFIX_REFUSAL = (
    "the prefix length '{text}' is read by Athena (its digits need not be ASCII) but not by the "
    "local engine: run it on Athena"
)
NOT_A_NUMBER = 'For input string: "{text}"'


def _sql_message(refusal: str, template: str, **values: str) -> str:
    """SQL for `refusal` followed by `template`, its {names} the SQL expressions in `values`."""
    pieces = re.split(r"\{(\w+)\}", refusal + template)
    sql = [
        values[piece] if odd else "'" + piece.replace("'", "''") + "'"
        for odd, piece in ((i % 2 == 1, p) for i, p in enumerate(pieces))
    ]
    return "(" + " || ".join(sql) + ")"


#: SQL: `s` (ASCII, no zone index) holds a character no address has (a service name, `AWS Internal`).
_NOT_AN_ADDRESS = "strlen(s) = length(s) AND strpos(s, '%') = 0 AND regexp_matches(s, '[^0-9A-Fa-f:.]')"


def macros(refusal: str) -> dict[str, str]:
    """The DuckDB macros, by name (each body after the name), in the order they are created.
    `refusal` starts every error message the engine reports as the user's error.

    What they cost, measured on DuckDB 2.0 (its JSON reader gives a batch of rows a log file, so
    batches are small): DuckDB expands a macro's argument wherever the macro names its parameter
    and binds every copy (a query's planning time grows with them); it prepares a lambda's body
    again for every batch, at a cost in proportion to the body's size, and runs a lambda within
    a lambda row by row; a CASE branch that no row of a batch takes costs nothing. So the common
    forms (a dotted quad, a service name, hex groups) are read without a lambda; the rarer ones in
    stages, each a lambda with a small body over the last stage's struct; a costly value named
    more than once is bound by a lambda with a small body. Reading text is pure (`trino_ip_read`
    gives the number or why it is refused), so that DuckDB can fold it; the callers raise errors.
    """
    quote = f"'{refusal}"
    return {
        # -- text -> the address as an unsigned 128-bit number ----------------------------------
        # `trino_ip_read(s)` gives `n`, the number (NULL: not an address Trino reads), and
        # `refusal`, why the local engine does not read `s` as Trino would, if so. The rarer forms
        # (`trino_ip_slow`: a zone index, a dotted quad in IPv6, characters other than ASCII) are
        # read in stages, each a lambda over the last stage's struct:
        # 1. Trino reads any Unicode digit as a digit and full-width letters as hex digits: text
        #    with characters other than ASCII is read with those as '1', and refused if it reads.
        "trino_ip_read1": "(s) AS list_transform([s], lambda ip_v: {'s': ip_v, 't': CASE WHEN strlen(ip_v) = length(ip_v) "
        r"THEN ip_v ELSE regexp_replace(ip_v, '[^\x00-\x7F]', '1', 'g') END})[1]",
        # 2. a zone index (`fe80::1%eth0`) Trino drops if it is digits, and reads a name as a network
        #    interface of its server: a name is read as no index, and refused if it reads.
        "trino_ip_read2": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, 't': CASE WHEN strpos(ip_v.t, '%') > 0 "
        "AND NOT regexp_full_match(substr(ip_v.t, strpos(ip_v.t, '%') + 1), '[0-9]{0,9}') "
        "THEN split_part(ip_v.t, '%', 1) || '%' ELSE ip_v.t END})[1]",
        # 3. the forms Trino reads: a dotted quad; an IPv6 address (a zone index only without a
        #    dotted quad)
        "trino_ip_read3": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, 'same': ip_v.t = ip_v.s, "
        f"'v4': regexp_full_match(ip_v.t, '{IPV4}'), 'v6': strpos(ip_v.t, ':') > 0 "
        f"AND regexp_full_match(split_part(ip_v.t, '%', 1), '{IPV6}') AND (strpos(ip_v.t, '%') = 0 "
        "OR strpos(ip_v.t, '.') = 0), 'zoned': strpos(ip_v.t, '%') > 0, 'a': split_part(ip_v.t, '%', 1)})[1]",
        # 4. an IPv4 address's number (IPv4-mapped); an IPv6 address's groups, a dotted quad at
        #    the end as two groups
        "trino_ip_read4": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, 'same': ip_v.same, "
        "'zoned': ip_v.zoned, 'n4': CASE WHEN ip_v.v4 THEN CAST(281470681743360 "
        "+ CAST(split_part(ip_v.a, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(ip_v.a, '.', 2) AS BIGINT) * 65536 "
        "+ CAST(split_part(ip_v.a, '.', 3) AS BIGINT) * 256 + CAST(split_part(ip_v.a, '.', 4) AS BIGINT) AS UHUGEINT) END, "
        "'g': CASE WHEN NOT ip_v.v6 THEN NULL WHEN strpos(ip_v.a, '.') = 0 THEN ip_v.a "
        "ELSE regexp_extract(ip_v.a, '^(.*:)[^:]*$', 1) || printf('%x:%x', "
        "CAST(split_part(regexp_extract(ip_v.a, '[^:]*$'), '.', 1) AS INTEGER) * 256 "
        "+ CAST(split_part(regexp_extract(ip_v.a, '[^:]*$'), '.', 2) AS INTEGER), "
        "CAST(split_part(regexp_extract(ip_v.a, '[^:]*$'), '.', 3) AS INTEGER) * 256 "
        "+ CAST(split_part(regexp_extract(ip_v.a, '[^:]*$'), '.', 4) AS INTEGER)) END})[1]",
        # 5. the IPv6 groups: all of them (p), or those left (l) and right (r) of `::`
        "trino_ip_read5": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, 'same': ip_v.same, "
        "'zoned': ip_v.zoned, 'n4': ip_v.n4, 'g6': ip_v.g IS NOT NULL, 'elided': strpos(ip_v.g, '::') > 0, "
        "'p': string_split(ip_v.g, ':'), 'l': string_split(split_part(ip_v.g, '::', 1), ':'), "
        "'r': string_split(split_part(ip_v.g, '::', 2), ':'), "
        f"'nl': {_count('split_part(ip_v.g, ' + chr(39) + '::' + chr(39) + ', 1)')}, "
        f"'nr': {_count('split_part(ip_v.g, ' + chr(39) + '::' + chr(39) + ', 2)')}}})[1]",
        # 6. the number: the IPv6 groups each in 4 hex digits, `::` as the zero groups it stands
        #    for (one at least)
        "trino_ip_read6": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, 'same': ip_v.same, "
        "'zoned': ip_v.zoned, 'n': CASE WHEN ip_v.n4 IS NOT NULL THEN ip_v.n4 WHEN NOT ip_v.g6 THEN NULL "
        "WHEN NOT ip_v.elided THEN CAST('0x' || " + _hextets("ip_v.p", "8") + " AS UHUGEINT) "
        "WHEN ip_v.nl + ip_v.nr <= 7 THEN CAST('0x' || " + _hextets("ip_v.l", "ip_v.nl") + " || "
        "repeat('0000', 8 - ip_v.nl - ip_v.nr) || "
        + _hextets("ip_v.r", "ip_v.nr")
        + " AS UHUGEINT) END})[1]",
        # 7. no zone index after an IPv4-mapped address; what was read with a character changed
        #    (stage 1 or 2) is refused if it reads
        "trino_ip_read7": "(x) AS list_transform([x], lambda ip_v: {'s': ip_v.s, "
        "'n': CASE WHEN ip_v.same AND NOT (ip_v.zoned AND ip_v.n >> 32 = 65535) THEN ip_v.n END, "
        "'refusal': CASE WHEN NOT ip_v.same AND ip_v.n IS NOT NULL AND NOT (ip_v.zoned AND ip_v.n >> 32 = 65535) "
        "THEN CASE WHEN strlen(ip_v.s) <> length(ip_v.s) THEN "
        + _sql_message(refusal, UNICODE_REFUSAL, text="ip_v.s")
        + " ELSE "
        + _sql_message(refusal, ZONE_REFUSAL, text="ip_v.s", zone="substr(ip_v.s, strpos(ip_v.s, '%') + 1)")
        + " END END})[1]",
        # An IPv6 address written with hex groups only (IPV6_HEX): its number, without a lambda
        # (this is the common IPv6 form; the slow path reads the others).
        "trino_hextets": "(g) AS CASE WHEN g = '' THEN 0 ELSE length(g) - length(replace(g, ':', '')) + 1 END",
        "trino_hextets_hex": "(g, n) AS "
        + " || ".join(
            f"lpad(split_part(g, ':', {i}), CASE WHEN n >= {i} THEN 4 ELSE 0 END, '0')" for i in range(1, 8)
        ),
        "trino_ipv6_simple": "(s) AS CASE WHEN strpos(s, '::') = 0 THEN CAST('0x' || "
        + " || ".join(f"lpad(split_part(s, ':', {i}), 4, '0')" for i in range(1, 9))
        + " AS UHUGEINT) WHEN trino_hextets(split_part(s, '::', 1)) + trino_hextets(split_part(s, '::', 2)) <= 7 "
        "THEN CAST('0x' || trino_hextets_hex(split_part(s, '::', 1), trino_hextets(split_part(s, '::', 1))) "
        "|| repeat('0000', 8 - trino_hextets(split_part(s, '::', 1)) - trino_hextets(split_part(s, '::', 2))) "
        "|| trino_hextets_hex(split_part(s, '::', 2), trino_hextets(split_part(s, '::', 2))) AS UHUGEINT) END",
        "trino_ip_slow": "(s) AS trino_ip_read7(trino_ip_read6(trino_ip_read5(trino_ip_read4(trino_ip_read3("
        "trino_ip_read2(trino_ip_read1(s)))))))",
        "trino_ipv4_number": "(s) AS CAST(281470681743360 + list_dot_product(CAST(string_split(s, '.') AS DOUBLE[]), "
        "[16777216.0, 65536.0, 256.0, 1.0]) AS UHUGEINT)",
        # (first, the common cases, without a lambda: NULL; a dotted quad; text with a character
        # no address has; an IPv6 address of hex groups)
        "trino_ip_read": "(s) AS CASE WHEN s IS NULL "
        "THEN {'s': s, 'n': CAST(NULL AS UHUGEINT), 'refusal': CAST(NULL AS VARCHAR)} "
        f"WHEN regexp_full_match(s, '{IPV4}') THEN {{'s': s, 'n': trino_ipv4_number(s), "
        "'refusal': CAST(NULL AS VARCHAR)} "
        f"WHEN {_NOT_AN_ADDRESS} THEN {{'s': s, 'n': CAST(NULL AS UHUGEINT), 'refusal': CAST(NULL AS VARCHAR)}} "
        f"WHEN regexp_full_match(s, '{IPV6_HEX}') "
        "THEN {'s': s, 'n': trino_ipv6_simple(s), 'refusal': CAST(NULL AS VARCHAR)} ELSE trino_ip_slow(s) END",
        # -- the local IPADDRESS ---------------------------------------------------------------
        # CAST(varchar AS IPADDRESS) and TRY_CAST: the common cases as in trino_ip_read, so that
        # each part is written once (DuckDB binds and runs every copy)
        "trino_ipaddress_of": "(v) AS CASE WHEN v.refusal IS NOT NULL THEN error(v.refusal) "
        f"WHEN v.n IS NOT NULL THEN {{'{FIELD}': v.n}} "
        f"WHEN NOT v.try THEN error({quote}Cannot cast value to IPADDRESS: ' || v.s) END",
        **{
            name: f"(s) AS CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '{IPV4}') "
            f"THEN {{'{FIELD}': trino_ipv4_number(s)}} WHEN {_NOT_AN_ADDRESS} THEN {invalid} "
            f"WHEN regexp_full_match(s, '{IPV6_HEX}') THEN list_transform([{{'s': s, 'n': trino_ipv6_simple(s), "
            f"'refusal': CAST(NULL AS VARCHAR), 'try': {try_}}}], lambda ip_v: trino_ipaddress_of(ip_v))[1] "
            f"ELSE list_transform([struct_insert(trino_ip_slow(s), try := {try_})], "
            "lambda ip_v: trino_ipaddress_of(ip_v))[1] END"
            for name, try_, invalid in (
                ("trino_ipaddress", "false", f"error({quote}Cannot cast value to IPADDRESS: ' || s)"),
                ("trino_try_ipaddress", "true", "NULL"),
            )
        },
        # an IPADDRESS from its DuckDB text, "{'trailcsi_ipaddress': 42}"
        "trino_ipaddress_of_duckdb_text": f"(t) AS list_transform([t], lambda ip_t: CASE WHEN ip_t IS NOT NULL "
        f"THEN {{'{FIELD}': CAST(rtrim(split_part(ip_t, ': ', 2), '}}') AS UHUGEINT)}} END)[1]",
        # CAST(x AS IPADDRESS), TRY_CAST, for a value whose type the SQL does not tell (DuckDB
        # knows it when it binds the macro: it keeps the one branch of that type)
        **{
            name: "(x) AS CASE typeof(x) "
            f"WHEN '{DUCKDB_TYPE}' THEN trino_ipaddress_of_duckdb_text(CAST(x AS VARCHAR)) "
            f"WHEN 'VARCHAR' THEN {reader}(CAST(x AS VARCHAR)) "
            """WHEN '"NULL"' THEN NULL """
            f"WHEN 'BLOB' THEN error({quote}CAST(varbinary AS IPADDRESS) is not run locally: run it on Athena') "
            f"ELSE error({quote}Cannot cast ' || lower(typeof(x)) || ' to ipaddress') END"
            for name, reader in (
                ("trino_cast_ipaddress", "trino_ipaddress"),
                ("trino_try_cast_ipaddress", "trino_try_ipaddress"),
            )
        },
        # -- IPADDRESS -> text ---------------------------------------------------------------
        # Trino's text of an IPv6 address: its groups without leading zeros, the first longest run
        # of two zero groups or more written `::` (from the groups between colons, ':a:0:0:b:')
        "trino_ipv6_compress": "(g) AS CASE" + _compress("g") + " ELSE substr(g, 2, length(g) - 2) END",
        "trino_ipv6_text": "(n) AS list_transform([list_transform([n], lambda ip_n: ':' || printf("
        "'%x:%x:%x:%x:%x:%x:%x:%x', "
        + ", ".join(f"CAST((ip_n >> {112 - 16 * i}) & 65535 AS INTEGER)" for i in range(8))
        + ") || ':')[1]], lambda ip_g: trino_ipv6_compress(ip_g))[1]",
        # Trino's text: an IPv4-mapped address's dotted quad, without a lambda (most addresses are
        # IPv4: DuckDB runs the IPv6 branch, and its lambdas, only for a batch that holds one)
        "trino_ipaddress_text": f"(ip) AS CASE WHEN ip.{FIELD} IS NULL THEN NULL WHEN ip.{FIELD} >> 32 = 65535 "
        "THEN printf('%d.%d.%d.%d', "
        + ", ".join(f"CAST((ip.{FIELD} >> {shift}) & 255 AS INTEGER)" for shift in (24, 16, 8, 0))
        + f") ELSE trino_ipv6_text(ip.{FIELD}) END",
        # CAST(CAST(s AS IPADDRESS) AS VARCHAR): a dotted quad Trino reads is its own text; a
        # service name is not an address
        **{
            f"{name}_text": f"(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '{IPV4}') THEN CAST(s AS VARCHAR) "
            f"WHEN typeof(s) = 'VARCHAR' AND {_NOT_AN_ADDRESS.replace('(s)', '(CAST(s AS VARCHAR))')} THEN {invalid} "
            f"ELSE list_transform([{name}(s)], lambda ip_a: trino_ipaddress_text(ip_a))[1] END"
            for name, invalid in (
                (
                    "trino_cast_ipaddress",
                    f"error({quote}Cannot cast value to IPADDRESS: ' || CAST(s AS VARCHAR))",
                ),
                ("trino_try_cast_ipaddress", "NULL"),
            )
        },
        # CAST(x AS VARCHAR) for a value whose type the SQL does not tell
        "trino_varchar": f"(x) AS CASE WHEN typeof(x) = '{DUCKDB_TYPE}' "
        "THEN trino_ipaddress_text(trino_ipaddress_of_duckdb_text(CAST(x AS VARCHAR))) ELSE CAST(x AS VARCHAR) END",
        # x itself, unless it is or holds an IPADDRESS: then Trino's error `message`
        "trino_not_ipaddress": f"(x, message) AS CASE WHEN strpos(typeof(x), '{DUCKDB_TYPE}') > 0 "
        f"THEN error({quote}' || message) ELSE x END",
        # the IPADDRESS x, or Trino's error for contains(varchar, <not an ipaddress>)
        "trino_ipaddress_argument": f"(x) AS CASE typeof(x) WHEN '{DUCKDB_TYPE}' "
        """THEN trino_ipaddress_of_duckdb_text(CAST(x AS VARCHAR)) WHEN '"NULL"' THEN NULL """
        f"ELSE error({quote}Unexpected parameters (varchar, ' || lower(typeof(x)) || ') for function contains. "
        "Expected: contains(array(t), t), contains(varchar, ipaddress)') END",
        # -- contains(cidr, address) ---------------------------------------------------------------
        # Java's Integer.parseInt, as Trino reads a CIDR's prefix length: the number, or why not
        "trino_java_int": "(t) AS CASE WHEN regexp_full_match(t, '[+-]?[0-9]{1,40}') "
        "AND TRY_CAST(t AS HUGEINT) BETWEEN -2147483648 AND 2147483647 "
        "THEN {'n': CAST(t AS BIGINT), 'error': NULL, 'refused': false} "
        f"WHEN strlen(t) <> length(t) THEN {{'n': NULL, 'error': {_sql_message(refusal, PREFIX_REFUSAL, text='t')}, "
        f"'refused': true}} ELSE {{'n': NULL, 'error': {_sql_message(refusal, NOT_A_NUMBER, text='t')}, "
        "'refused': false} END",
        # the network of a CIDR as Trino's contains reads it: its address, how many of its leading
        # bits an address shares to be in it, or the error (in Trino's order of checks). An IPv4
        # network is written without a colon: its prefix length counts from bit 96, and its
        # address has no bit set past it; an IPv6 network's may have.
        "trino_ip_network_of": "(w) AS CASE "
        "WHEN w.refusal IS NOT NULL THEN {'network': NULL, 'bits': NULL, 'error': w.refusal, 'refused': true} "
        f"WHEN w.n IS NULL THEN {{'network': NULL, 'bits': NULL, 'error': {quote}Invalid network IP address', 'refused': false}} "
        "WHEN w.length.error IS NOT NULL THEN {'network': NULL, 'bits': NULL, 'error': w.length.error, 'refused': w.length.refused} "
        f"WHEN w.length.n < 0 THEN {{'network': NULL, 'bits': NULL, 'error': {quote}Invalid prefix length', 'refused': false}} "
        "WHEN w.length.n > CASE WHEN w.v4 THEN 32 ELSE 128 END "
        f"THEN {{'network': NULL, 'bits': NULL, 'error': {quote}Invalid CIDR', 'refused': false}} "
        "WHEN w.v4 AND w.n & ((CAST(1 AS UHUGEINT) << CAST(32 - w.length.n AS UHUGEINT)) - CAST(1 AS UHUGEINT)) <> 0 "
        f"THEN {{'network': NULL, 'bits': NULL, 'error': {quote}Invalid CIDR', 'refused': false}} "
        "ELSE {'network': w.n, 'bits': CASE WHEN w.v4 THEN 96 + w.length.n ELSE w.length.n END, 'error': NULL, 'refused': false} END",
        "trino_ip_network": "(cidr) AS CASE WHEN cidr IS NULL THEN NULL WHEN strpos(cidr, '/') = 0 "
        f"THEN {{'network': NULL, 'bits': NULL, 'error': {quote}Invalid CIDR', 'refused': false}} "
        "ELSE list_transform([struct_insert(trino_ip_read(split_part(cidr, '/', 1)), "
        "length := trino_java_int(substr(cidr, strpos(cidr, '/') + 1)), v4 := strpos(split_part(cidr, '/', 1), ':') = 0)], "
        "lambda ip_w: trino_ip_network_of(ip_w))[1] END",
        # Trino's contains(varchar, ipaddress): the CIDR is read whenever the address is not NULL
        # (the address is named twice, not bound by a lambda: DuckDB runs a lambda's body slowly
        # on the small batches of rows its JSON reader gives)
        "trino_ip_in": "(w, n, try) AS CASE WHEN n IS NULL OR w IS NULL THEN NULL "
        "WHEN w.error IS NOT NULL AND try AND NOT w.refused THEN NULL "
        "WHEN w.error IS NOT NULL THEN error(w.error) "
        "ELSE w.network >> CAST(128 - w.bits AS UHUGEINT) = n >> CAST(128 - w.bits AS UHUGEINT) END",
        # contains() of a CIDR the SQL computes (one written in the SQL is read in Python: `contains`)
        **{
            name: f"(cidr, ip) AS list_transform([{{'w': trino_ip_network(cidr), 'n': ip.{FIELD}}}], "
            f"lambda ip_v: trino_ip_in(ip_v.w, ip_v.n, {try_}))[1]"
            # TRY(contains(...)): NULL for Trino's errors, not for the local engine's refusals
            for name, try_ in (("trino_ip_contains", "false"), ("trino_try_ip_contains", "true"))
        },
    }


def _hextets(groups: str, count: str) -> str:
    """SQL joining the first `count` (up to 8) hex groups of the list `groups`, each in 4 digits."""
    return " || ".join(
        f"lpad(coalesce({groups}[{i}], ''), CASE WHEN {count} >= {i} THEN 4 ELSE 0 END, '0')"
        for i in range(1, 9)
    )


def _count(groups: str) -> str:
    """SQL counting the hex groups between single colons of `groups` (0 for '')."""
    return (
        f"CASE WHEN {groups} = '' THEN 0 ELSE length({groups}) - length(replace({groups}, ':', '')) + 1 END"
    )


def _compress(groups: str) -> str:
    """SQL (WHEN clauses) writing the first longest run (8 down to 2) of zero groups in `groups`
    (':a:0:0:b:') as '::', without the colons added around the groups."""
    cases = []
    for run in range(8, 1, -1):
        zeros = ":0" * run + ":"
        at = f"strpos({groups}, '{zeros}')"
        before = f"CASE WHEN {at} = 1 THEN '' ELSE substr({groups}, 2, {at} - 2) END"
        after = f"substr({groups}, {at} + {len(zeros)}, greatest(length({groups}) - {at} - {len(zeros)}, 0))"
        cases.append(f" WHEN {at} > 0 THEN {before} || '::' || {after}")
    return "".join(cases)


# -- a CIDR written in the SQL, read when the query is rewritten --------------------------------
# (DuckDB would bind the SQL reading once for every time `trino_ip_in` names the network, and
# fold each copy apart: a constant CIDR is read here, as `trino_ip_read` and `trino_ip_network`
# read it; tests/test_ipaddresses.py holds the two readings together.)


def _ipv6_number(address: str) -> int | None:
    if not re.fullmatch(IPV6, address):
        return None
    if "." in address:  # a dotted quad at the end: two groups
        head, quad = address.rsplit(":", 1)
        octets = [int(o) for o in quad.split(".")]
        address = f"{head}:{octets[0] * 256 + octets[1]:x}:{octets[2] * 256 + octets[3]:x}"
    if "::" not in address:
        return int("".join(g.rjust(4, "0") for g in address.split(":")), 16)
    left, right = ([g for g in side.split(":") if g] for side in address.split("::"))
    if len(left) + len(right) > 7:
        return None
    groups = [*left, *["0"] * (8 - len(left) - len(right)), *right]
    return int("".join(g.rjust(4, "0") for g in groups), 16)


def _read_ascii(text: str) -> int | None:
    if re.fullmatch(IPV4, text):
        a, b, c, d = (int(o) for o in text.split("."))
        return 0xFFFF << 32 | a << 24 | b << 16 | c << 8 | d
    address, zoned, zone = text.partition("%")
    if zoned and ("." in address or not re.fullmatch("[0-9]{0,9}", zone)):
        return None
    number = _ipv6_number(address) if ":" in address else None
    if zoned and number is not None and number >> 32 == 0xFFFF:
        return None
    return number


def read(text: str) -> tuple[int | None, str | None]:
    """The number of the address Trino reads in `text` (None: it reads none), and the local
    engine's refusal (without the engine's prefix) where it cannot tell what Trino reads."""
    changed = text if text.isascii() else re.sub(r"[^\x00-\x7F]", "1", text)
    address, zoned, zone = changed.partition("%")
    if zoned and not re.fullmatch("[0-9]{0,9}", zone):
        changed = address + "%"
    number = _read_ascii(changed)
    if changed == text or number is None:
        return (number if changed == text else None), None
    if not text.isascii():
        return None, UNICODE_REFUSAL.format(text=text)
    return None, ZONE_REFUSAL.format(text=text, zone=text.partition("%")[2])


def network(cidr: str) -> tuple[int, int] | tuple[str, bool]:
    """A CIDR as Trino's contains() reads it: (its number, how many leading bits an address
    shares with it to be in it), or (the error, whether it is the local engine's refusal)."""
    if "/" not in cidr:
        return "Invalid CIDR", False
    written, _, length = cidr.partition("/")
    number, refusal = read(written)
    if refusal is not None:
        return refusal, True
    if number is None:
        return "Invalid network IP address", False
    if not (re.fullmatch("[+-]?[0-9]{1,40}", length) and -(2**31) <= int(length) < 2**31):
        if not length.isascii():
            return PREFIX_REFUSAL.format(text=length), True
        return NOT_A_NUMBER.format(text=length), False
    bits, v4 = int(length), ":" not in written
    if bits < 0:
        return "Invalid prefix length", False
    if bits > (32 if v4 else 128) or (v4 and number & ((1 << (32 - bits)) - 1)):
        return "Invalid CIDR", False
    return number, bits + 96 if v4 else bits


# -- Trino's text, for results ------------------------------------------------------------------


def text(value: int) -> str:
    """Trino's text of the address whose 16 bytes are `value`: dotted for IPv4-mapped, otherwise
    the IPv6 groups without leading zeros, the first longest run of two zero groups or more as `::`."""
    if value >> 32 == 0xFFFF:
        return ".".join(str(value >> shift & 0xFF) for shift in (24, 16, 8, 0))
    groups = [value >> (112 - 16 * i) & 0xFFFF for i in range(8)]
    start, length = -1, 1
    at = 0
    while at < 8:
        if groups[at] == 0:
            end = at
            while end < 8 and groups[end] == 0:
                end += 1
            if end - at > length:
                start, length = at, end - at
            at = end
        else:
            at += 1
    written = [f"{g:x}" for g in groups]
    if start < 0:
        return ":".join(written)
    return ":".join(written[:start]) + "::" + ":".join(written[start + length :])


Convert = Callable[[Any], Any]


#: DuckDB's text of a date or timestamp before the year 1, which its Python client gives for want
#: of a Python date: `0001-01-01 (BC)`, `0002-06-01 (BC) 23:59:59.5+00`.
_BEFORE_YEAR_ONE = re.compile(r"([0-9]+)(-[0-9]{2}-[0-9]{2}) \(BC\)(?: ([0-9:]+)(?:\.([0-9]+))?(\+00)?)?")
#: ... and one after the year 9999 (which Python's datetime cannot hold either).
_AFTER_YEAR_9999 = re.compile(r"([0-9]{5,})(-[0-9]{2}-[0-9]{2})(?: ([0-9:]+)(?:\.([0-9]+))?(\+00)?)?")
#: DuckDB's date and timestamp types (their `id`).
_TIMES = frozenset(
    {"date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns", "timestamp with time zone"}
)


def outside_years_1_to_9999(value: Any) -> Any:
    """A date or timestamp before the year 1 or after 9999 (DuckDB's text of it) as Trino's protocol
    writes it: the year counted from 0 (`0000` is 1 BC, `-0001` 2 BC), a year of five digits after
    a `+`, a timestamp to the millisecond, with ` UTC` after one with a time zone; any other value
    as it is."""
    if not isinstance(value, str):
        return value
    found = _BEFORE_YEAR_ONE.fullmatch(value)
    if found is not None:
        bc, rest, clock, fraction, zoned = found.groups()
        year = 1 - int(bc)
        written = f"{'-' if year < 0 else ''}{abs(year):04d}{rest}"
    elif (found := _AFTER_YEAR_9999.fullmatch(value)) is not None:
        year_text, rest, clock, fraction, zoned = found.groups()
        written = f"+{year_text}{rest}"  # (Trino's sign before a year of five digits and more)
    else:
        return value
    if clock is None:
        return written
    written += f" {clock}.{(fraction or '')[:3]:0<3}"
    return written + (" UTC" if zoned else "")


def converter(duckdb_type: Any) -> Convert | None:
    """How to turn a result value of this DuckDB type into Trino's (its IP addresses as text, a date
    or timestamp before the year 1 as Trino writes it), or None when the type holds neither."""
    if str(duckdb_type) == DUCKDB_TYPE:
        return lambda value: None if value is None else text(value[FIELD])
    kind = getattr(duckdb_type, "id", "")
    if kind in _TIMES:
        return outside_years_1_to_9999
    if kind not in ("struct", "list", "array", "map"):
        return None
    children = [(name, converter(child)) for name, child in duckdb_type.children if name != "size"]
    if all(convert is None for _, convert in children):
        return None
    if kind == "struct":
        return _struct(children)
    if kind == "map":
        key_kind = getattr(duckdb_type.children[0][1], "id", "")
        return _map(children[0][1], children[1][1], key_kind in ("struct", "list", "array", "map"))
    return _items(children[0][1], tuple if kind == "array" else list)


def _same(value: Any) -> Any:
    return value


def _struct(fields: list[tuple[str, Convert | None]]) -> Convert:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        return {name: (f or _same)(value[name]) for name, f in fields}

    return convert


def _items(item: Convert | None, made: Callable[[Any], Any]) -> Convert:
    each = item or _same
    return lambda value: None if value is None else made(each(v) for v in value)


def _map(key: Convert | None, item: Convert | None, listed: bool) -> Convert:
    """A map's conversion; `listed`: its keys are structs, lists or maps (no Python dict key), which
    DuckDB gives as {'key': [...], 'value': [...]} (other keys, a date's, as a dict of its pairs)."""
    keys, items = key or _same, item or _same

    def convert(value: Any) -> Any:
        if value is None:
            return None
        pairs = zip(value["key"], value["value"], strict=True) if listed else value.items()
        return {keys(k): items(v) for k, v in pairs}

    return convert


def convert_rows(types: list[Any], rows: Any) -> Any:
    """`rows` (a list, or an iterator) with their IP addresses as Trino writes them; `rows` itself
    when no column holds one."""
    converters = [converter(t) for t in types]
    if all(c is None for c in converters):
        return rows
    pairs = list(enumerate(converters))

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(value if c is None else c(value) for (_, c), value in zip(pairs, row, strict=True))

    return [convert(r) for r in rows] if isinstance(rows, list) else (convert(r) for r in rows)


# -- the rewrite of Athena SQL -------------------------------------------------------------------

#: Presto's IP prefix functions: Athena's Trino has none of them.
PRESTO_FUNCTIONS = frozenset(
    {"ip_prefix", "ip_subnet_min", "ip_subnet_max", "ip_subnet_range", "is_subnet_of"}
)
_HINT = (
    "Athena's Trino has IPADDRESS and contains('10.0.0.0/8', CAST(ip AS IPADDRESS)), not Presto's IPPREFIX"
)


def check(node: exp.Expr) -> None:
    """Trino's error for what Athena's Trino does not have: IPPREFIX and Presto's IP functions;
    and for an IPADDRESS literal that is not an address, which Trino refuses when it analyses the
    query, whether or not a row reads it (a CAST of the same text fails only on a row that does)."""
    if isinstance(node, exp.Cast) and node.meta.get(TYPED_LITERAL) and is_ipaddress_type(node.to):
        literal = node.this
        if isinstance(literal, exp.Literal) and literal.is_string and read(literal.name) == (None, None):
            raise UsageError(
                f"'{literal.name}' is not a valid IPADDRESS literal", "write an IPv4 or IPv6 address"
            )
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.IPPREFIX:
        raise UsageError("Unknown type: IPPREFIX", _HINT)
    if isinstance(node, exp.Anonymous) and node.name.lower() in PRESTO_FUNCTIONS:
        raise UsageError(f"Function '{node.name.lower()}' not registered", _HINT)


def is_ipaddress_type(to: exp.DataType) -> bool:
    return bool(to.this == exp.DataType.Type.IPADDRESS)


def _unbounded_varchar(to: exp.DataType) -> bool | None:
    """True for VARCHAR, False for VARCHAR(n) or CHAR(n), None for any other type."""
    if to.this == exp.DataType.Type.CHAR:
        return False
    if to.this not in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
        return None
    return not to.expressions


_NESTED = (exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT)


#: Trino's errors (or the local engine's refusals) where an IPADDRESS is not taken.
CONCAT = "Unexpected parameters (ipaddress) for function concat: CAST the address AS VARCHAR"
FORMAT = "format() of an ipaddress is not run locally: CAST the address AS VARCHAR"
ARRAY_JOIN = "array_join of IP addresses is not run locally: transform(addresses, a -> CAST(a AS VARCHAR))"
JSON = "Cannot cast ipaddress to json"
NESTED = (
    "a CAST of IP addresses inside an array, map or row is not run locally: "
    "CAST each address (transform(addresses, a -> CAST(a AS VARCHAR)))"
)


_READS = ("trino_cast_ipaddress", "trino_try_cast_ipaddress")


def texts_to_fuse(tree: exp.Expr) -> set[int]:
    """The CAST(CAST(x AS IPADDRESS) AS VARCHAR) of the tree (by id) whose inner CAST is written
    nowhere else: their text can be read from x at once (a GROUP BY of the inner CAST needs it
    kept as it is, for DuckDB to see the text is of the group's key)."""
    written: dict[str, int] = {}
    for node in tree.walk():
        if isinstance(node, exp.Cast) and is_ipaddress_type(node.to):
            key = node.sql(dialect="athena")
            written[key] = written.get(key, 0) + 1
    return {
        id(node)
        for node in tree.walk()
        if isinstance(node, exp.Cast)
        and isinstance(node.this, exp.Cast)
        and is_ipaddress_type(node.this.to)
        and written[node.this.sql(dialect="athena")] == 1
    }


def cast(node: exp.Cast, operand: Numeric, fuse: bool = False) -> exp.Expr:
    """CAST / TRY_CAST to or from IPADDRESS (`operand`: the Trino type of what is cast; `fuse`:
    a CAST to VARCHAR of a CAST to IPADDRESS may be read at once, `texts_to_fuse`)."""
    try_cast = isinstance(node, exp.TryCast)
    if node.to.this == exp.DataType.Type.JSON:
        node.set("this", not_ipaddress(node.this, operand, JSON))
        return node
    if node.to.this in _NESTED:
        if any(isinstance(d, exp.DataType) and is_ipaddress_type(d) for d in node.to.walk()):
            raise UsageError(
                f"CAST(... AS {node.to.sql(dialect='athena')}) is not run locally",
                "CAST each value: transform(values, v -> CAST(v AS IPADDRESS))",
            )
        node.set("this", not_ipaddress(node.this, operand, NESTED))
        return node
    if is_ipaddress_type(node.to):
        if operand == IPADDRESS:
            kept: exp.Expr = node.this
            return kept
        name = "trino_try_cast_ipaddress" if try_cast else "trino_cast_ipaddress"
        return exp.Anonymous(this=name, expressions=[node.this])
    unbounded = _unbounded_varchar(node.to)
    if unbounded is None or operand not in (IPADDRESS, UNKNOWN):
        return node
    if not unbounded:
        if operand == IPADDRESS:
            raise UsageError(f"Cannot cast ipaddress to {node.to.sql(dialect='athena').lower()}")
        return node
    inner = node.this
    if fuse and isinstance(inner, exp.Anonymous) and inner.name in _READS:
        return exp.Anonymous(this=f"{inner.name}_text", expressions=inner.expressions)
    if operand == IPADDRESS:
        return exp.Anonymous(this="trino_ipaddress_text", expressions=[node.this])
    return exp.Anonymous(this="trino_varchar", expressions=[node.this])


def contains(node: exp.ArrayContains, value: Numeric, refusal: str) -> exp.Expr:
    """Trino's contains(varchar, ipaddress) where the SQL tells it from contains(array, value): the
    value is an IPADDRESS, or the first argument a string. Otherwise array contains. A CIDR
    written in the SQL is read here (`refusal` starts the engine's own error messages)."""
    first, second = node.this, node.expression
    text_first = isinstance(first, exp.Literal) and first.is_string
    if value == IPADDRESS and isinstance(first, exp.Array):
        items = [_literal_type(i) for i in first.expressions]
        texts = [int(t[8:-1]) for t in items if t is not None and t.startswith("varchar(")]
        array = f"array(varchar({max(texts)}))" if texts and len(texts) == len(items) else "array"
        raise UsageError(
            f"Unexpected parameters ({array}, ipaddress) for function contains",
            "contains(ARRAY[...], x) compares whole values: for CIDR ranges, OR contains('10.0.0.0/8', ip) ...",
        )
    if value != IPADDRESS and not text_first:
        return node
    if text_first and _literal_type(second) is not None:  # contains('10.0.0.0/8', '10.1.2.3')
        raise UsageError(
            f"Unexpected parameters ({_literal_type(first)}, {_literal_type(second)}) for function contains",
            "the address needs CAST(... AS IPADDRESS)",
        )
    address = (
        second if value == IPADDRESS else exp.Anonymous(this="trino_ipaddress_argument", expressions=[second])
    )
    if not text_first:
        return exp.Anonymous(this="trino_ip_contains", expressions=[first, address])
    number = exp.Anonymous(this="struct_extract", expressions=[address, exp.Literal.string(FIELD)])
    return exp.Anonymous(
        this="trino_ip_in", expressions=[_network_struct(first.name, refusal), number, exp.false()]
    )


def _network_struct(cidr: str, refusal: str) -> exp.Expr:
    """The struct `trino_ip_network` gives for this CIDR, as a constant."""
    read_as = network(cidr)
    number: exp.Expr = exp.null()
    bits: exp.Expr = exp.null()
    error: exp.Expr = exp.null()
    refused = False
    if isinstance(read_as[0], int):
        number, bits = exp.Literal.string(str(read_as[0])), exp.Literal.number(read_as[1])
    else:
        error, refused = exp.Literal.string(refusal + str(read_as[0])), bool(read_as[1])
    fields = {
        "network": exp.cast(number, exp.DataType.build("UHUGEINT", dialect="duckdb")),
        "bits": exp.cast(bits, exp.DataType.build("INTEGER")),
        "error": exp.cast(error, exp.DataType.build("VARCHAR")),
        "refused": exp.true() if refused else exp.false(),
    }
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in fields.items()]
    )


def not_ipaddress(operand: exp.Expr, kind: Numeric, message: str) -> exp.Expr:
    """`operand` where Trino refuses an IPADDRESS (with `message`): refused now if the SQL tells it
    is one, when DuckDB binds it if the SQL does not tell."""
    if kind == IPADDRESS:
        raise UsageError(message)
    if kind != UNKNOWN:
        return operand
    return exp.Anonymous(this="trino_not_ipaddress", expressions=[operand, exp.Literal.string(message)])


#: Comparisons: how Trino names the operator in its error.
_OPERATORS = {exp.EQ: "=", exp.NEQ: "=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
COMPARED = (*_OPERATORS, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Between, exp.In)


def concat_error(operands: list[exp.Expr], kinds: list[Numeric]) -> str:
    """Trino's error for a concatenation of an IPADDRESS (its operands' types where the SQL tells them)."""
    # (an operand whose type the SQL does not tell is refused when DuckDB finds it an IPADDRESS)
    told = [IPADDRESS if k == UNKNOWN else k for k in kinds]
    types = ["ipaddress" if k == IPADDRESS else _literal_type(o) for o, k in zip(operands, told, strict=True)]
    if None in types or kinds.count(UNKNOWN) + kinds.count(IPADDRESS) > 1:
        return CONCAT
    return f"Unexpected parameters ({', '.join(t for t in types if t)}) for function concat"


def _literal_type(node: exp.Expr) -> str | None:
    """Trino's type of a string or integer literal (None for anything else)."""
    if isinstance(node, exp.Literal) and node.is_string:
        return f"varchar({len(node.name)})"
    if isinstance(node, exp.Literal) and node.is_int:
        return "integer" if abs(int(node.name)) <= 2**31 - 1 else "bigint"
    return None


def compare(node: exp.Expr, operands: list[exp.Expr], kinds: list[Numeric]) -> None:
    """Trino's error for an IPADDRESS compared with a string or a number literal (DuckDB would
    read the string as its own struct type and fail with its own message)."""
    if IPADDRESS not in kinds:
        return
    types = [
        "ipaddress" if k == IPADDRESS else _literal_type(o) for o, k in zip(operands, kinds, strict=True)
    ]
    if None in types or types == ["ipaddress"] * len(types):
        return
    if isinstance(node, exp.Between):
        raise UsageError(f"Cannot check if {types[0]} is BETWEEN {types[1]} and {types[2]}")
    if isinstance(node, exp.In):
        other = next(t for t in types if t != "ipaddress")
        raise UsageError(
            "IN value and list items must be the same type or coercible to a common type. Cannot find "
            f"common type between ipaddress and {other}"
        )
    if isinstance(node, exp.NullSafeEQ | exp.NullSafeNEQ):
        raise UsageError(f"Cannot check if {types[0]} is identical to {types[1]}")
    operator = next(o for kind, o in _OPERATORS.items() if isinstance(node, kind))
    raise UsageError(f"Cannot apply operator: {types[0]} {operator} {types[1]}")


#: The macros of what Trino's TRY makes NULL on a failure, and their TRY forms.
_TRIED = {
    "trino_cast_ipaddress": "trino_try_cast_ipaddress",
    "trino_cast_ipaddress_text": "trino_try_cast_ipaddress_text",
    "trino_ip_contains": "trino_try_ip_contains",
}


def tried(node: exp.Try) -> exp.Expr:
    """TRY(...) around a CAST to IPADDRESS or contains(): their TRY forms, without DuckDB's TRY
    (which takes no macro that may fail); a TRY around anything else as it is."""
    calls = [n for n in node.this.walk() if isinstance(n, exp.Anonymous) and n.name in _TRIED]
    if not calls and not any(
        isinstance(n, exp.Anonymous) and n.name == "trino_ip_in" for n in node.this.walk()
    ):
        return node
    for call in calls:
        call.set("this", _TRIED[call.name])
    for call in node.this.walk():  # contains() of a CIDR written in the SQL
        if isinstance(call, exp.Anonymous) and call.name == "trino_ip_in":
            call.set("expressions", [*call.expressions[:2], exp.true()])
    inner: exp.Expr = node.this
    return inner
