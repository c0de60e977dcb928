"""Text that is, or nearly is, an IP address: for comparing CAST(... AS IPADDRESS) and contains()
on Trino and on the local engine. Deterministic (seeded); ASCII only, and zone indexes of digits
only (what the local engine refuses, by design, is tested apart)."""

from __future__ import annotations

import random

_OCTETS = ["0", "1", "9", "10", "99", "100", "199", "200", "249", "250", "255"]
_BAD_OCTETS = ["256", "300", "01", "00", "010", "1000", "", "-1", "+1", " 1", "a", "0x1"]
_BAD_HEXTETS = ["00000", "g", "", "12345", "-1", "+1", " 1"]
_SHAPES = ["::ffff:", "::", "0:0:0:0:0:ffff:", "::fffe:", "64:ff9b::", "::ffff:0:"]
_OTHERS = [
    "ec2.amazonaws.com",
    "AWS Internal",
    "",
    " ",
    "localhost",
    "1.2.3.4 ",
    " ::1",
    "[::1]",
    "::1/128",
    "1.2.3.4/32",
    ":::",
    "1:::2",
    "<Attacker source IP>",
]


def texts(seed: int = 7, count: int = 2500) -> list[str]:
    """Dotted quads and IPv6 addresses, well and badly written, and CloudTrail's other values."""
    rng = random.Random(seed)

    def octet() -> str:
        if rng.random() < 0.75:
            return rng.choice([*_OCTETS, str(rng.randrange(256))])
        return rng.choice(_BAD_OCTETS)

    def quad() -> str:
        return ".".join(octet() for _ in range(rng.choice([4, 4, 4, 4, 3, 5])))

    def hextet() -> str:
        chance = rng.random()
        if chance < 0.3:
            return "0"
        if chance < 0.8:
            digits = format(rng.randrange(1 << (4 * rng.randint(1, 4))), "x")
            return digits.upper() if rng.random() < 0.3 else digits
        return rng.choice(["0000", "0001", "ffff", "FFFF", "fffe", *_BAD_HEXTETS])

    def ipv6() -> str:
        size = rng.randint(1, 9)
        groups = [hextet() for _ in range(size)]
        if rng.random() < 0.6:  # a `::` somewhere
            at = rng.randint(0, size)
            groups = groups[:at] + [""] + groups[at:]
            groups = ([""] if at == 0 else []) + groups + ([""] if at == size else [])
        written = ":".join(groups)
        if rng.random() < 0.25:
            written = written + ("" if written.endswith(":") else ":") + quad()
        if rng.random() < 0.1:
            written = rng.choice(_SHAPES) + quad()
        if rng.random() < 0.12:
            written += "%" + rng.choice(["", "0", "1", "12", "999999999"])
        return written

    found = set()
    for _ in range(count):
        chance = rng.random()
        text = quad() if chance < 0.35 else ipv6() if chance < 0.9 else rng.choice(_OTHERS)
        if rng.random() < 0.03:
            text = " " + text
        found.add(text)
    # every place and length of a run of zero groups, for Trino's text
    for mask in range(256):
        found.add(":".join("0" if mask >> i & 1 else format(i + 1, "x") for i in range(8)))
    return sorted(found)


def networks(addresses: list[str], seed: int = 5) -> list[str]:
    """CIDRs over these addresses (valid or not) for contains(): prefix lengths of every kind,
    networks written as IPv4, IPv6 and IPv4-mapped IPv6, with and without host bits."""
    import ipaddress

    rng = random.Random(seed)
    prefixes = [
        "0",
        "1",
        "7",
        "8",
        "9",
        "16",
        "24",
        "31",
        "32",
        "33",
        "64",
        "96",
        "100",
        "104",
        "120",
        "127",
        "128",
    ]
    found = set()
    for _ in range(400):
        base = rng.choice([*addresses, "10.0.0.0", "0.0.0.0", "::", "::ffff:10.0.0.0"])
        found.add(f"{base}/{rng.choice(prefixes)}")
    for _ in range(300):  # networks without host bits, so that most are valid
        address = rng.choice(addresses)
        try:
            network = ipaddress.ip_network(
                f"{address}/{rng.randint(0, 32 if ':' not in address else 128)}", False
            )
        except ValueError:
            continue
        found.add(f"{network.network_address}/{network.prefixlen}")
    return sorted(found)


#: CIDRs at the edges of what contains() reads: most an error (each checked with a query of its own).
EDGE_NETWORKS = [
    "10.0.0.0",
    "10.0.0.0/",
    "10.0.0.0/x",
    "10.0.0.0/8.0",
    "10.0.0.0/ 8",
    "10.0.0.0/8/8",
    "10.0.0.0/-1",
    "10.0.0.0/+",
    "10.0.0.0/2147483648",
    "10.0.0.0/33",
    "10.0.0.0/0",
    "10.1.0.0/8",
    "::/129",
    "::/-2147483648",
    "/8",
    "x/8",
    "x/y",
    " 10.0.0.0/8",
    "::1.2.3.4%1/8",
    "fe80::1%/64",
]
