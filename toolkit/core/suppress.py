"""Suppressions: findings known to be benign, which a sweep sets aside, counts and reports.

Entries come from a TOML file (`sweep --suppressions FILE`: `[[suppress]]` tables) and from
trailcsi.toml (`[[sweep.suppress]]`). An entry names what it matches (one or more of `template`,
`principal`, `event_name`, `source_ip`; a finding must match every one it names), says why
(`reason`) and may end (`expires`, a date: from the day after, it suppresses nothing and is
reported). Everything is checked when read: types, unknown keys, patterns that cannot match, and
a refused entry is named by its file and line. `apply` returns what each entry set aside: a
suppressed finding is counted, never dropped silently.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from toolkit.core.criteria import parse_network, unpadded
from toolkit.core.finding import Finding
from toolkit.core.schema import suggest
from toolkit.errors import UsageError, first_line

#: What an entry may match on, in the order they are shown.
MATCHERS = ("template", "principal", "event_name", "source_ip")
KEYS = (*MATCHERS, "reason", "expires")
#: How a finding that names several principals or addresses lists them (a burst's addresses).
LIST_SEPARATOR = ", "
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Suppression:
    """One entry: where it was written (`file:line`), why, and what it matches."""

    where: str
    reason: str
    template: str | None = None
    principal: str | None = None
    event_name: str | None = None
    source_ip: str | None = None
    expires: date | None = None
    network: Network | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """`template=x principal=y`: what the entry matches, as written."""
        return " ".join(
            f"{name}={getattr(self, name)}" for name in MATCHERS if getattr(self, name) is not None
        )

    def expired(self, today: date) -> bool:
        """An entry applies up to and including its `expires` day (UTC)."""
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding) -> bool:
        record = finding.record
        if self.template is not None and not _glob(self.template, finding.template):
            return False
        if self.event_name is not None and not _glob(self.event_name, record.get("eventname")):
            return False
        if self.principal is not None:
            principals = _listed(record.get("principal"))
            if not principals or not all(_principal_matches(self.principal, p) for p in principals):
                return False
        if self.network is not None:
            addresses = [_address(a) for a in _listed(record.get("sourceipaddress"))]
            if not addresses or not all(a is not None and a in self.network for a in addresses):
                return False
        return True


def _glob(pattern: str, value: object) -> bool:
    """Exact or glob (`*`, `?`, `[...]`), ignoring case (IAM names are unique regardless of case)."""
    return value is not None and fnmatchcase(str(value).lower(), pattern.lower())


def _listed(value: object) -> list[str]:
    if value is None or str(value).strip() == "":
        return []
    return [part.strip() for part in str(value).split(LIST_SEPARATOR) if part.strip()]


def _principal_matches(pattern: str, principal: str) -> bool:
    """Whether a suppression's `principal` pattern covers a finding's principal.

    Only what an account named is matched, never a name its caller chose: a session's name (chosen
    by whoever calls AssumeRole) or a federated user's (GetFederationToken's caller), as an intruder
    could name a session after a suppression. So for an IAM or STS principal:
    - a name (`ci-deploy`) matches an IAM user's or a role's name;
    - an ARN pattern matches a user's or a role's ARN, and a role's ARN
      (`arn:aws:iam::*:role/ci-deploy`) also matches that role's sessions;
    - a session's own ARN pattern matches a session only when it names the role without a wildcard
      (`arn:aws:sts::*:assumed-role/ci-deploy/terraform-*`); a federated user only by its exact ARN.
    A principal that is not an IAM or STS ARN (a service, a bare name) is matched whole."""
    arn = _ARN.fullmatch(principal)
    if arn is None:
        return _glob(pattern, principal)
    partition, service, account, kind, rest = arn.groups()
    names = rest.split("/")
    kind = kind.lower()
    if pattern.lower().startswith("arn:"):
        if kind in ("user", "role") and service.lower() == "iam":
            return _glob(pattern, principal)
        if kind == "assumed-role" and len(names) >= 2:  # a role's session
            role = f"arn:{partition}:iam::{account}:role/{names[0]}"
            if _glob(_without_path(pattern), role):
                return True
            session = _SESSION_PATTERN.fullmatch(pattern)
            if session is None or _WILDCARDS.search(session.group(1)):
                return False
            return _glob(pattern, principal)
        return pattern.lower() == principal.lower()  # a federated user: its exact ARN only
    if kind in ("user", "role"):
        return _glob(pattern, names[-1])  # (an IAM path goes before the name)
    if kind == "assumed-role":
        return _glob(pattern, names[0])  # the role, not the session
    return False


#: a session ARN pattern: arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION (ROLE captured)
_SESSION_PATTERN = re.compile(r"arn:[^:]*:sts::[^:]*:assumed-role/([^/]+)/.+", re.IGNORECASE)
_WILDCARDS = re.compile(r"[*?\[]")
#: The words of an ARN every principal's ARN has: they name nothing in particular.
_ARN_FRAME = frozenset({"arn", "aws", "aws-cn", "aws-us-gov", "iam", "sts", "user", "role", "assumed-role"})


#: arn:PARTITION:SERVICE::ACCOUNT:KIND/REST (IAM and STS principals)
_ARN = re.compile(r"arn:([^:]+):(iam|sts)::([^:]*):([a-z-]+)/(.+)", re.IGNORECASE)


def _without_path(pattern: str) -> str:
    """`arn:...:role/path/to/name` as `arn:...:role/name` (a session's ARN carries no path)."""
    head, _sep, rest = pattern.partition(":role/")
    return f"{head}:role/{rest.rsplit('/', 1)[-1]}" if _sep else pattern


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as CloudTrail (or an anonymizer, with zero-padded octets) writes it, else None
    (a service name such as `sqs.amazonaws.com`, `AWS Internal`)."""
    try:
        return ipaddress.ip_address(unpadded(text.strip()))
    except ValueError:
        return None


# --- reading ---------------------------------------------------------------------------------


def load_file(path: Path) -> list[Suppression]:
    """The `[[suppress]]` entries of a suppressions file; nothing else may be in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"suppressions file {path} does not exist", "fix --suppressions") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}", "fix --suppressions") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text", "a suppressions file is TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reason = first_line(str(error), type(error).__name__)
        raise UsageError(f"{path}: not valid TOML: {reason}", "fix the file") from None
    except RecursionError:  # arrays or tables nested past Python's stack
        raise UsageError(f"{path}: values nested too deep to read", "fix the file") from None
    unknown = sorted(set(data) - {"suppress"})
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s): {', '.join(unknown)}",
            "a suppressions file holds [[suppress]] tables only",
        )
    return parse(data.get("suppress", []), path, text, "suppress")


def parse(entries: object, path: Path, text: str, table: str) -> list[Suppression]:
    """Check and read the array of tables `table` (`suppress`, `sweep.suppress`) of the file `path`
    (`text` is its content, for the entries' line numbers)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"{path}: {table} must be an array of tables", f"write each entry as [[{table}]]")
    lines = _entry_lines(text, table, len(entries))
    return [_entry(entry, path, text, lines, index, table) for index, entry in enumerate(entries)]


def _entry_lines(text: str, table: str, count: int) -> list[int | None]:
    """The line of each entry's `[[table]]` header (1-based), when the file writes them so."""
    dotted = r"\s*\.\s*".join(re.escape(part) for part in table.split("."))
    header = re.compile(rf"^\s*\[\[\s*{dotted}\s*\]\]\s*(#.*)?$")
    found = [number for number, line in enumerate(text.splitlines(), start=1) if header.match(line)]
    return list(found) if len(found) == count else [None] * count


def _key_line(text: str, start: int | None, key: str) -> int | None:
    """The line of `key = ...` in the entry whose header is on line `start`."""
    if start is None:
        return None
    lines = text.splitlines()
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if re.match(r"^\s*\[", line):
            break
        if re.match(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=", line):
            return number
    return start


def _entry(
    entry: dict[str, Any], path: Path, text: str, lines: list[int | None], index: int, table: str
) -> Suppression:
    start = lines[index]
    label = f"[[{table}]] entry {index + 1}"

    def refuse(what: str, hint: str, key: str | None = None) -> UsageError:
        line = _key_line(text, start, key) if key else start
        place = f"{path}:{line}" if line is not None else str(path)
        return UsageError(f"{place}: {label}: {what}", hint)

    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        guess = suggest(unknown[0], list(KEYS))
        hint = f"did you mean {guess!r}?" if guess else f"known keys: {', '.join(KEYS)}"
        raise refuse(f"unknown key {unknown[0]!r}", hint, unknown[0])
    for key in (*MATCHERS, "reason"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise refuse(f"{key} must be a non-empty string, not {value!r}", f'write {key} = "..."', key)
        if isinstance(value, str) and not value.isprintable():
            raise refuse(f"{key} {value!r} holds a control character", "remove it", key)
        if key in _PROBES and isinstance(value, str) and _too_broad(key, value.strip()):
            raise refuse(
                f"{key} {value!r} matches anything", f"name what it matches, or leave {key} out", key
            )
    if not any(entry.get(key) is not None for key in MATCHERS):
        raise refuse(
            "matches nothing in particular: it would suppress every finding",
            f"give one or more of {', '.join(MATCHERS)}",
        )
    if entry.get("reason") is None:
        raise refuse("has no reason", 'say why these findings are benign: reason = "..."')
    network = None
    if entry.get("source_ip") is not None:
        network = _network(entry["source_ip"], lambda what, hint: refuse(what, hint, "source_ip"))
    expires = None
    if "expires" in entry:
        expires = _date(entry["expires"], lambda what, hint: refuse(what, hint, "expires"))
    return Suppression(
        where=f"{path}:{start}" if start is not None else f"{path} {label}",
        reason=entry["reason"].strip(),
        template=_text(entry.get("template")),
        principal=_text(entry.get("principal")),
        event_name=_text(entry.get("event_name")),
        source_ip=_text(entry.get("source_ip")),
        expires=expires,
        network=network,
    )


def _too_broad(key: str, pattern: str) -> bool:
    """A pattern with wildcards that names fewer than two letters or digits of its own (`??*`,
    `*/*`, `arn:*`, `*[!_]*`: an ARN's frame of partition, service and kind is not counted), or
    that matches every one of a set of varied values of its kind. A pattern without wildcards
    names one value, however short."""
    if not _WILDCARDS.search(pattern):
        return False
    own, negated = _outside_classes(pattern)
    if negated:  # `[!x]` matches every character but a few: as broad as `?`, and easier to miss
        return True
    words = [w for w in re.split(r"[^a-z0-9-]+", own.lower()) if w and w not in _ARN_FRAME]
    if sum(c.isalnum() for w in words for c in w) < 2:
        return True
    return all(_glob(pattern, p) for p in _PROBES[key])


def _outside_classes(pattern: str) -> tuple[str, bool]:
    """The pattern's literal characters (outside `*`, `?` and `[...]` classes, read as fnmatch
    reads them: a `]` first in a class, after an optional `!`, is a member; a `[` never closed is
    a literal), and whether it holds a negated class `[!...]`."""
    literal, negated, at = [], False, 0
    while at < len(pattern):
        char = pattern[at]
        at += 1
        if char in "*?":
            continue
        if char == "[":
            end = at
            if end < len(pattern) and pattern[end] == "!":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1
            while end < len(pattern) and pattern[end] != "]":
                end += 1
            if end < len(pattern):  # a class, closed at `end`
                negated = negated or pattern[at : at + 1] == "!"
                at = end + 1
                continue
        literal.append(char)
    return "".join(literal), negated


#: Values of each kind as different as real ones get: a pattern matching all of them (`*`, `?*`,
#: `*[!q]*`, `[a-z]*` for event names) would suppress every finding of its kind, and is refused.
_PROBES: dict[str, tuple[str, ...]] = {
    "template": ("iam-user-created", "console-login-failures", "root-activity", "s3-9"),
    "event_name": ("CreateUser", "ConsoleLogin", "GetObject", "AssumeRole", "PutBucketPolicy", "X"),
    "principal": (
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:sts::123456789012:assumed-role/ops/session-1",
        "arn:aws:iam::123456789012:root",
        "alice",
        "ci-deploy",
        "ec2.amazonaws.com",
        "AWS Internal",
        "9",
        "_",
    ),
}


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _network(value: str, refuse: Any) -> Network:
    network = parse_network(value, "source_ip", refuse)
    if network.prefixlen == 0:
        raise refuse(f"source_ip {value!r} matches every address", "name a narrower range")
    return network


def _date(value: object, refuse: Any) -> date:
    """A TOML date (`2025-12-31`) or the same as a string; not a time, not a date and time."""
    hint = "write expires = 2025-12-31, the last day the entry applies"
    if isinstance(value, datetime) or not isinstance(value, date | str):
        shown = value.isoformat() if isinstance(value, datetime) else repr(value)
        raise refuse(f"expires {shown} is not a date", hint)
    if isinstance(value, str):
        try:
            if not _DATE.fullmatch(value.strip()):
                raise ValueError(value)
            return date.fromisoformat(value.strip())
        except ValueError:
            raise refuse(f"expires {value!r} is not a date", hint) from None
    return value


def check_templates(suppressions: Iterable[Suppression], detections: Sequence[str]) -> None:
    """A `template` that names no detection is a mistake (a typo would suppress nothing)."""
    for entry in suppressions:
        if entry.template is None or any(_glob(entry.template, name) for name in detections):
            continue
        guess = suggest(entry.template, list(detections))
        hint = f"did you mean {guess!r}?" if guess else "see trailcsi queries list"
        raise UsageError(f"{entry.where}: template {entry.template!r} names no detection", hint)


# --- applying --------------------------------------------------------------------------------


@dataclass
class Triage:
    """A sweep's findings split: those shown, those an entry set aside (with the entry), and the
    entries that expired (which set nothing aside)."""

    kept: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    active: list[Suppression] = field(default_factory=list)
    expired: list[Suppression] = field(default_factory=list)

    def per_entry(self) -> list[tuple[Suppression, int]]:
        """Every active entry with the number of findings it set aside (0 included), in file order."""
        counts = Counter(id(entry) for _, entry in self.suppressed)
        return [(entry, counts[id(entry)]) for entry in self.active]

    def per_template(self) -> Counter[str]:
        return Counter(finding.template for finding, _ in self.suppressed)

    def report(self) -> list[str]:
        """Diagnostic lines: each expired entry, what each entry set aside, the entries that
        matched nothing (stale, or mistyped)."""
        lines = [
            f"warning: suppression {e.where} expired on {e.expires}, it suppresses nothing now "
            f"({e.describe()}: {e.reason}); renew or delete it"
            for e in self.expired
        ]
        counted = self.per_entry()
        lines += [
            f"suppressed {count:,} finding(s) by {entry.where} ({entry.describe()}): {entry.reason}"
            for entry, count in counted
            if count
        ]
        idle = [entry.where for entry, count in counted if not count]
        if idle:
            lines.append(f"{len(idle)} suppression(s) matched no finding: {', '.join(idle)}")
        return lines


def apply(findings: Iterable[Finding], suppressions: Sequence[Suppression], today: date) -> Triage:
    """Set aside each finding the first active entry matching it names; expired entries apply to
    nothing and are returned as such."""
    triage = Triage()
    for entry in suppressions:
        (triage.expired if entry.expired(today) else triage.active).append(entry)
    for finding in findings:
        claimed = next((e for e in triage.active if e.matches(finding)), None)
        if claimed is None:
            triage.kept.append(finding)
        else:
            triage.suppressed.append((finding, claimed))
    return triage
