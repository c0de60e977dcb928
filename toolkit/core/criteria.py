"""Multi-criteria event filters (the console's lookup attributes and more) as sqlglot expressions.

Values of one criterion are ORed, different criteria are ANDed, and every text comparison is
case-insensitive. Each value becomes a string or number literal inside a parsed predicate, so no
value can change a query's structure. The predicates use only functions that Athena (Trino) and
DuckDB (after `toolkit.core.transpile`) both have: no IP-address functions, no DuckDB-only syntax.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from toolkit.errors import UsageError

if TYPE_CHECKING:  # sqlglot is imported where it is used: `import toolkit.core.criteria` stays cheap
    from sqlglot import exp

# Predicates in Athena SQL; `__v__` stands for one value and becomes a literal.
_PREDICATES: dict[str, str] = {
    "event_name": "lower(eventname) = __v__",
    "event_source": "lower(eventsource) = __v__",
    "user": (
        "lower(useridentity.username) = __v__"
        " OR lower(useridentity.arn) = __v__"
        " OR lower(regexp_extract(useridentity.arn, '[^/]+$')) = __v__"
        " OR lower(useridentity.sessioncontext.sessionissuer.username) = __v__"
        " OR lower(useridentity.principalid) = __v__"
    ),
    "resource_name": (
        "any_match(resources, r -> lower(r.arn) = __v__ OR lower(regexp_extract(r.arn, '[^/:]+$')) = __v__)"
        " OR strpos(lower(requestparameters), __quoted__) > 0"
        " OR strpos(lower(responseelements), __quoted__) > 0"
    ),
    "resource_type": "any_match(resources, r -> lower(r.type) = __v__)",
    "access_key_id": "lower(useridentity.accesskeyid) = __v__",
    "event_id": "lower(eventid) = __v__",
    "user_agent": "strpos(lower(useragent), __v__) > 0",
    "error_code": "lower(errorcode) = __v__",
    "region": "lower(awsregion) = __v__",
    "account": "account = __v__",
    "identity_type": "lower(useridentity.type) = __v__",
    # (a zone index, `%eth0`, is dropped: Trino reads it as its own server's interface)
    "ipv6": (
        "strpos(sourceipaddress, ':') > 0"
        " AND TRY_CAST(split_part(sourceipaddress, '%', 1) AS IPADDRESS) = CAST(__v__ AS IPADDRESS)"
    ),
    # a dotted quad whose octets are 0-255, zero-padded or not (anonymizers pad: 203.000.113.010)
    "ipv4": (
        # (\A and \z: Trino's $ also matches before a final newline, RE2's does not)
        "regexp_like(sourceipaddress, '\\A(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])"
        "(\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])){3}\\z')"
        " AND TRY_CAST(split_part(sourceipaddress, '.', 1) AS BIGINT) * 16777216"
        " + TRY_CAST(split_part(sourceipaddress, '.', 2) AS BIGINT) * 65536"
        " + TRY_CAST(split_part(sourceipaddress, '.', 3) AS BIGINT) * 256"
        " + TRY_CAST(split_part(sourceipaddress, '.', 4) AS BIGINT) BETWEEN __lo__ AND __hi__"
    ),
}

_LABELS = {
    "event_name": "--event-name",
    "event_source": "--event-source",
    "user": "--user",
    "resource_name": "--resource-name",
    "resource_type": "--resource-type",
    "access_key_id": "--access-key-id",
    "event_id": "--event-id",
    "source_ip": "--source-ip",
    "user_agent": "--user-agent",
    "error_code": "--error-code",
    "region": "--region",
    "account": "--account",
    "identity_type": "--identity-type",
}


@cache
def _template(sql: str) -> exp.Expr:
    import sqlglot

    return sqlglot.parse_one(sql, read="athena")


def _bind(sql: str, **values: exp.Expr) -> exp.Expr:
    """The predicate `sql` with each `__name__` placeholder column replaced by a literal."""
    from sqlglot import exp

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__"):
            return values[node.name.strip("_")].copy()
        return node

    return exp.paren(_template(sql).copy().transform(substitute), copy=False)


def event_source(value: str) -> str:
    """`s3` or `S3` → `s3.amazonaws.com`; a full event source is kept (lowercased)."""
    value = value.strip().lower()
    return value if "." in value else f"{value}.amazonaws.com"


@dataclass
class Criteria:
    """What to match; every list is ORed within, the lists and flags are ANDed together."""

    event_name: list[str] = field(default_factory=list)
    event_source: list[str] = field(default_factory=list)
    user: list[str] = field(default_factory=list)
    resource_name: list[str] = field(default_factory=list)
    resource_type: list[str] = field(default_factory=list)
    access_key_id: list[str] = field(default_factory=list)
    event_id: list[str] = field(default_factory=list)
    source_ip: list[str] = field(default_factory=list)
    user_agent: list[str] = field(default_factory=list)
    error_code: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    account: list[str] = field(default_factory=list)
    identity_type: list[str] = field(default_factory=list)
    read_only: bool = False
    write_only: bool = False
    errors_only: bool = False

    def __post_init__(self) -> None:
        if self.read_only and self.write_only:
            raise UsageError("--read-only and --write-only exclude each other", "give one of them")
        for name in _LABELS:
            values = [v.strip() for v in getattr(self, name) or [] if v is not None]
            if any(not v for v in values):
                raise UsageError(f"{_LABELS[name]} was given an empty value")
            setattr(self, name, values)
        self.event_source = [event_source(v) for v in self.event_source]
        for value in self.source_ip:
            _ip_predicate(value)  # validates early: a bad address is a usage error

    def is_empty(self) -> bool:
        return not self.condition()

    def condition(self) -> exp.Expr | None:
        """The whole filter as one predicate over `trail`'s columns, or None when nothing is set."""
        import sqlglot
        from sqlglot import exp

        parts: list[exp.Expr] = []
        for name in _LABELS:
            values = getattr(self, name)
            if not values:
                continue
            if name == "source_ip":
                options = [_ip_predicate(v) for v in values]
            else:
                options = [self._value_predicate(name, v) for v in values]
            parts.append(exp.paren(exp.or_(*options, copy=False), copy=False))
        if self.read_only:
            parts.append(sqlglot.parse_one("lower(readonly) = 'true'", read="athena"))
        if self.write_only:
            parts.append(sqlglot.parse_one("lower(readonly) = 'false'", read="athena"))
        if self.errors_only:
            # CloudTrail gives a failed console login no errorCode: its outcome is in responseElements
            parts.append(
                sqlglot.parse_one(
                    "((errorcode IS NOT NULL AND errorcode <> '') OR (eventname = 'ConsoleLogin'"
                    " AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure'))",
                    read="athena",
                )
            )
        return exp.and_(*parts, copy=False) if parts else None

    @staticmethod
    def _value_predicate(name: str, value: str) -> exp.Expr:
        from sqlglot import exp

        text = value if name == "account" else value.lower()
        return _bind(
            _PREDICATES[name],
            v=exp.Literal.string(text),
            quoted=exp.Literal.string(f'"{text}"'),
        )

    def partitions(self) -> tuple[list[str], list[str]]:
        """Accounts and regions named by the criteria: only their log files need reading."""
        return list(self.account), [r.lower() for r in self.region]

    def describe(self) -> str:
        said = []
        for name, label in _LABELS.items():
            values = getattr(self, name)
            if values:
                said.append(f"{label} {' | '.join(values)}")
        for flag in ("read_only", "write_only", "errors_only"):
            if getattr(self, flag):
                said.append("--" + flag.replace("_", "-"))
        return " AND ".join(said) if said else "no criteria"


def _ip_predicate(value: str) -> exp.Expr:
    from sqlglot import exp

    network = parse_network(value)
    if network.version == 6:
        if network.prefixlen != 128:
            raise UsageError(
                f"--source-ip {value!r}: IPv6 ranges are not supported",
                "give IPv6 addresses one by one",
            )
        address = network.network_address
        assert isinstance(address, ipaddress.IPv6Address)
        if address.ipv4_mapped is None:
            # compared as addresses, not text: 2001:DB8:0:0::1 is 2001:db8::1 (and the engine's
            # IPADDRESS reads ::ffff:a.b.c.d as a.b.c.d, as Trino's does)
            return _bind(_PREDICATES["ipv6"], v=exp.Literal.string(address.compressed))
        network = ipaddress.ip_network(address.ipv4_mapped)  # ::ffff:203.0.113.5 is 203.0.113.5
    low = int(network.network_address)
    high = int(network.broadcast_address)
    if low == high:
        one = ipaddress.IPv4Address(low)
        return exp.paren(
            exp.In(
                this=exp.column("sourceipaddress"),
                expressions=[exp.Literal.string(t) for t in _writings(one)],
            ),
            copy=False,
        )
    return _bind(_PREDICATES["ipv4"], lo=exp.Literal.number(low), hi=exp.Literal.number(high))


def parse_network(
    value: str, label: str = "--source-ip", refuse: Callable[[str, str], Exception] = UsageError
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An address or range as typed (`--source-ip`, a suppression's `source_ip`): a dotted quad
    may be zero-padded (as anonymized logs write it); anything else, or a range with bits set past
    its prefix, is refused with `refuse(what, hint)` naming it by `label`."""
    text = unpadded(value.strip())
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise refuse(
                f"{label} {value!r} is not an IP address or CIDR range",
                "use 203.0.113.7, 203.0.113.0/24 or 2001:db8::1",
            ) from None
        raise refuse(
            f"{label} {value!r} has bits set past its prefix", f"did you mean {loose.with_prefixlen}?"
        ) from None


def unpadded(text: str) -> str:
    """A dotted quad written with zero-padded octets (`203.000.113.010`, as anonymizers write it;
    a `/prefix` after it kept) as Python reads addresses (`203.0.113.10`); any other text as is
    (an octet past 255 included: no address)."""
    padded = _PADDED.fullmatch(text)
    if padded is None or any(int(o) > 255 for o in padded.group(1).split(".")):
        return text
    return ".".join(str(int(o)) for o in padded.group(1).split(".")) + (padded.group(2) or "")


_PADDED = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3})(/[0-9]{1,2})?")


def _writings(address: ipaddress.IPv4Address) -> list[str]:
    """Every text the range predicate reads as `address`: each octet as written or zero-padded to
    three digits (10.0.1.25, 010.0.1.25, ..., 010.000.001.025), so one address is an IN list the
    engine compares as is (and pushes down to the cache's Parquet) instead of arithmetic per row."""
    forms = [[str(o).zfill(width) for width in range(len(str(o)), 4)] for o in address.packed]
    return [".".join(parts) for parts in itertools.product(*forms)]
