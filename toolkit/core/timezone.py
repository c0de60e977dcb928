"""Event times shown in a time zone (`--tz Europe/Paris`): ISO 8601 with the zone's offset, so no
reader takes them for UTC.

A result value is converted when it is an instant: a TIMESTAMP (one without a zone is UTC, as both
engines' sessions are), or text in CloudTrail's own UTC form, `2025-03-31T12:34:56Z` (`eventtime`,
`min(eventtime)`, a `creationdate` selected as a column). Dates, other text, and values inside
structs and JSON text stay as recorded. Without a zone, or with UTC, nothing changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from difflib import get_close_matches
from typing import Any

from toolkit.errors import UsageError

#: CloudTrail's time stamps: UTC, to the second, sometimes with a fraction.
_UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,6}))?Z")
#: Names of UTC itself: times are shown as recorded.
_UTC_NAMES = frozenset(
    {"utc", "etc/utc", "z", "zulu", "etc/zulu", "universal", "etc/universal", "uct", "etc/uct"}
)


def parse(name: str | None) -> tzinfo | None:
    """The zone `--tz` names (an IANA name, in any case); None for UTC, the default."""
    if name is None or name.strip().lower() in _UTC_NAMES:
        return None
    from zoneinfo import ZoneInfo, available_timezones

    key = name.strip()
    zones = available_timezones()
    by_lower = {zone.lower(): zone for zone in zones}
    canonical = key if key in zones else by_lower.get(key.lower())
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ValueError, OSError):  # the zone's data cannot be read: not the name's fault
            raise UsageError(f"--tz {name!r}: the time zone data cannot be read", "use UTC") from None
    guess = get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f"did you mean {by_lower[guess[0]]}? " if guess else ""
    raise UsageError(
        f"--tz {name!r} is not a time zone",
        f"{hint}use an IANA name such as Europe/Paris, America/New_York or UTC",
    )


def localize(value: Any, zone: tzinfo) -> Any:
    """`value` as shown in `zone` when it is an instant (see the module's docstring), else as is."""
    try:
        if isinstance(value, datetime):
            return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(zone)
        if isinstance(value, str) and (match := _UTC_TEXT.fullmatch(value)):
            digits = match.group(1)
            spec = "seconds" if not digits else "milliseconds" if len(digits) <= 3 else "microseconds"
            return datetime.fromisoformat(value).astimezone(zone).isoformat(timespec=spec)
    except (ValueError, OverflowError):  # not a real time (February 30th), or past year 9999 there
        return value
    return value
