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

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from toolkit.errors import UsageError
from toolkit.semantics import IPADDRESS, UNKNOWN, Numeric

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
IPV6 = (
    rf"{_HEXTET}(:{_HEXTET}){{7}}|{_HEXTET}(:{_HEXTET}){{5}}:{IPV4}"
    rf"|({_HEXTETS})?::({_HEXTETS})?|({_HEXTETS})?::({_HEXTETS}:)?{IPV4}"
)


def macros(refusal: str) -> dict[str, str]:
    """The DuckDB macros, by name (each body after the name), in the order they are created.
    `refusal` starts every error message the engine reports as the user's error.

    DuckDB expands a macro's argument wherever the macro names its parameter, and pays for every
    node of an expression on every batch of rows, even in a CASE branch no row takes: a macro
    naming a costly parameter more than once binds its value first (`list_transform([value],
    lambda v: ...)[1]`), and a lambda's body holds no lambda (DuckDB would run it row by row).
    Reading text is pure (`trino_ip_read` gives the number or why it is refused), so that DuckDB
    folds the reading of a constant (a CIDR); the callers raise the errors.
    """
    quote = f"'{refusal}"
    return {
        # -- text -> the address as an unsigned 128-bit number ----------------------------------
        # `trino_ip_read(s)` reads text in stages, each a lambda over the last stage's struct, so
        # that no value is written twice (a lambda's body holds no lambda: DuckDB would run it row
        # by row). Its result: `n`, the number (NULL: not an address Trino reads), and `refusal`,
        # why the local engine does not read it as Trino would, if so.
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
        f"THEN CASE WHEN strlen(ip_v.s) <> length(ip_v.s) THEN {quote}''' || ip_v.s || ''' holds characters other "
        "than ASCII that Athena may read as digits (the local engine reads ASCII digits only): run it on Athena' "
        f"ELSE {quote}''' || ip_v.s || ''': Athena reads the zone index %' || substr(ip_v.s, strpos(ip_v.s, '%') + 1) "
        "|| ' as a network interface of its server, the local engine only reads %digits: run it on Athena' END END})[1]",
        # (first, the common cases: NULL; a dotted quad; text with a character no address has)
        "trino_ip_read": "(s) AS CASE WHEN s IS NULL "
        "THEN {'s': s, 'n': CAST(NULL AS UHUGEINT), 'refusal': CAST(NULL AS VARCHAR)} "
        f"WHEN regexp_full_match(s, '{IPV4}') THEN {{'s': s, 'n': "
        "list_transform([string_split(s, '.')], lambda ip_o: CAST(281470681743360 + CAST(ip_o[1] AS BIGINT) * 16777216 "
        "+ CAST(ip_o[2] AS BIGINT) * 65536 + CAST(ip_o[3] AS BIGINT) * 256 + CAST(ip_o[4] AS BIGINT) AS UHUGEINT))[1], "
        "'refusal': CAST(NULL AS VARCHAR)} "
        "WHEN strlen(s) = length(s) AND strpos(s, '%') = 0 AND regexp_matches(s, '[^0-9A-Fa-f:.]') "
        "THEN {'s': s, 'n': CAST(NULL AS UHUGEINT), 'refusal': CAST(NULL AS VARCHAR)} "
        "ELSE trino_ip_read7(trino_ip_read6(trino_ip_read5(trino_ip_read4(trino_ip_read3("
        "trino_ip_read2(trino_ip_read1(s))))))) END",
        # -- the local IPADDRESS ---------------------------------------------------------------
        # CAST(varchar AS IPADDRESS) and TRY_CAST
        "trino_ipaddress_of": f"(v) AS CASE WHEN v.refusal IS NOT NULL THEN error(v.refusal) "
        f"WHEN v.n IS NOT NULL THEN {{'{FIELD}': v.n}} "
        f"WHEN v.s IS NOT NULL AND NOT v.try THEN error({quote}Cannot cast value to IPADDRESS: ' || v.s) END",
        **{
            name: f"(s) AS list_transform([struct_insert(trino_ip_read(s), try := {try_})], "
            "lambda ip_v: trino_ipaddress_of(ip_v))[1]"
            for name, try_ in (("trino_ipaddress", "false"), ("trino_try_ipaddress", "true"))
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
        # an address's dotted quad if it is IPv4-mapped, else its groups without leading zeros
        # between colons (':a:0:0:b:')
        "trino_ip_parts": "(n) AS CASE WHEN n >> 32 = 65535 THEN {'v4': CAST((n >> 24) & 255 AS VARCHAR) || '.' || "
        "CAST((n >> 16) & 255 AS VARCHAR) || '.' || CAST((n >> 8) & 255 AS VARCHAR) || '.' || CAST(n & 255 AS VARCHAR), "
        "'groups': NULL} ELSE {'v4': NULL, 'groups': ':' || "
        + " || ':' || ".join(f"lower(to_hex((n >> {112 - 16 * i}) & 65535))" for i in range(8))
        + " || ':'} END",
        # Trino's text: the dotted quad, or the groups with their first longest run of two zero
        # groups or more written `::`
        "trino_ip_text_of": "(p) AS CASE WHEN p.v4 IS NOT NULL THEN p.v4 "
        + _compress("p.groups")
        + " ELSE substr(p.groups, 2, length(p.groups) - 2) END",
        "trino_ipaddress_text": f"(ip) AS list_transform([list_transform([ip.{FIELD}], lambda ip_n: trino_ip_parts(ip_n))[1]], "
        "lambda ip_p: trino_ip_text_of(ip_p))[1]",
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
        f"WHEN strlen(t) <> length(t) THEN {{'n': NULL, 'error': {quote}the prefix length ''' || t || ''' is read "
        "by Athena (its digits need not be ASCII) but not by the local engine: run it on Athena', 'refused': true} "
        f"ELSE {{'n': NULL, 'error': {quote}For input string: \"' || t || '\"', 'refused': false}} END",
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
        "trino_ip_in": "(v) AS CASE WHEN v.n IS NULL OR v.w IS NULL THEN NULL "
        "WHEN v.w.error IS NOT NULL AND v.try AND NOT v.w.refused THEN NULL "
        "WHEN v.w.error IS NOT NULL THEN error(v.w.error) "
        "ELSE v.w.network >> CAST(128 - v.w.bits AS UHUGEINT) = v.n >> CAST(128 - v.w.bits AS UHUGEINT) END",
        **{
            name: f"(cidr, ip) AS list_transform([{{'n': ip.{FIELD}, 'w': trino_ip_network(cidr), 'try': {try_}}}], "
            "lambda ip_v: trino_ip_in(ip_v))[1]"
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


def converter(duckdb_type: Any) -> Convert | None:
    """How to turn a result value of this DuckDB type into Trino's (its IP addresses as text), or
    None when the type holds no IPADDRESS."""
    if str(duckdb_type) == DUCKDB_TYPE:
        return lambda value: None if value is None else text(value[FIELD])
    kind = getattr(duckdb_type, "id", "")
    if kind not in ("struct", "list", "array", "map"):
        return None
    children = [(name, converter(child)) for name, child in duckdb_type.children if name != "size"]
    if all(convert is None for _, convert in children):
        return None
    if kind == "struct":
        return _struct(children)
    if kind == "map":
        return _map(children[0][1], children[1][1])
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


def _map(key: Convert | None, item: Convert | None) -> Convert:
    keys, items = key or _same, item or _same

    def convert(value: Any) -> Any:
        if value is None:
            return None
        # DuckDB gives a map whose keys are structs as {'key': [...], 'value': [...]}
        pairs = zip(value["key"], value["value"], strict=True) if key is not None else value.items()
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
    """Trino's error for what Athena's Trino does not have: IPPREFIX and Presto's IP functions."""
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.IPPREFIX:
        raise UsageError("Unknown type: IPPREFIX", _HINT)
    if isinstance(node, exp.Anonymous) and node.name.lower() in PRESTO_FUNCTIONS:
        raise UsageError(f"Function '{node.name.lower()}' not registered", _HINT)


def is_ipaddress_type(to: exp.DataType) -> bool:
    return to.this == exp.DataType.Type.IPADDRESS


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


def cast(node: exp.Cast, operand: Numeric) -> exp.Expr:
    """CAST / TRY_CAST to or from IPADDRESS (`operand`: the Trino type of what is cast)."""
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
            return node.this
        name = "trino_try_cast_ipaddress" if try_cast else "trino_cast_ipaddress"
        return exp.Anonymous(this=name, expressions=[node.this])
    unbounded = _unbounded_varchar(node.to)
    if unbounded is None or operand not in (IPADDRESS, UNKNOWN):
        return node
    if not unbounded:
        if operand == IPADDRESS:
            raise UsageError(f"Cannot cast ipaddress to {node.to.sql(dialect='athena').lower()}")
        return node
    if operand == IPADDRESS:
        return exp.Anonymous(this="trino_ipaddress_text", expressions=[node.this])
    return exp.Anonymous(this="trino_varchar", expressions=[node.this])


def contains(node: exp.ArrayContains, value: Numeric) -> exp.Expr:
    """Trino's contains(varchar, ipaddress) where the SQL tells it from contains(array, value): the
    value is an IPADDRESS, or the first argument a string. Otherwise array contains."""
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
    return exp.Anonymous(this="trino_ip_contains", expressions=[first, address])


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
_TRIED = {"trino_cast_ipaddress": "trino_try_cast_ipaddress", "trino_ip_contains": "trino_try_ip_contains"}


def tried(node: exp.Try) -> exp.Expr:
    """TRY(...) around a CAST to IPADDRESS or contains(): their TRY forms, without DuckDB's TRY
    (which takes no macro that may fail); a TRY around anything else as it is."""
    calls = [n for n in node.this.walk() if isinstance(n, exp.Anonymous) and n.name in _TRIED]
    if not calls:
        return node
    for call in calls:
        call.set("this", _TRIED[call.name])
    return node.this
