"""Time windows: `--since 7d|36h|90m`, `--start/--end` (date or ISO-8601, UTC unless an offset is
given), or all time. A window yields exact `eventtime` bounds (start inclusive, end exclusive)
and the days of log files it needs, widened by one day each side for files written near midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from toolkit.errors import UsageError

DEFAULT_SINCE = "7d"
_RELATIVE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end); `None` on both sides means all time."""

    start: datetime | None
    end: datetime | None
    description: str = ""

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    def days(self, widen: int = 1) -> tuple[date, date] | None:
        """First and last day (inclusive) of log-file folders to read, or None for every day."""
        if self.is_all_time:
            return None
        first = (self.start.date() if self.start else date(2013, 1, 1)) - timedelta(days=widen)
        last_instant = (self.end or datetime.now(UTC)) - timedelta(microseconds=1)
        return first, last_instant.date() + timedelta(days=widen)

    def eventtime_bounds(self) -> tuple[str | None, str | None]:
        """The bounds as CloudTrail writes `eventTime` (`2024-01-31T23:59:59Z`), for string compares."""
        return _stamp(self.start), _stamp(self.end)


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def parse_instant(text: str, *, flag: str, end_of_day: bool = False) -> datetime:
    """A date (`2024-01-31`) or ISO datetime (`2024-01-31T10:00`, `...Z`, `...+02:00`) in UTC.

    A date alone means the start of that day; with `end_of_day` the start of the next day, so
    that `--end 2024-01-31` includes all of the 31st.
    """
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            if end_of_day:
                day += timedelta(days=1)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(
            f"{flag} {text!r} is not a date or time",
            "use 2024-01-31, 2024-01-31T10:00:00Z or 2024-01-31T10:00+02:00",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_since(text: str, *, now: datetime | None = None) -> Window:
    match = _RELATIVE.match(text)
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"--since {text!r} is not a duration",
            "use a number and d, h or m: 7d, 36h, 90m",
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    end = now or datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(**{_UNITS[unit]: amount})
    return Window(start, None, f"the last {amount}{unit} (since {_stamp(start)})")


def parse(
    since: str | None = None,
    start: str | None = None,
    end: str | None = None,
    all_time: bool = False,
    *,
    now: datetime | None = None,
) -> Window:
    """Build the window from the CLI's flags; no flag at all means the last 7 days."""
    if all_time and (since or start or end):
        raise UsageError("--all-time cannot be combined with --since, --start or --end")
    if since and (start or end):
        raise UsageError("--since cannot be combined with --start or --end", "use one or the other")
    if all_time:
        return Window(None, None, "all time")
    if since:
        return parse_since(since, now=now)
    if start or end:
        lo = parse_instant(start, flag="--start") if start else None
        hi = parse_instant(end, flag="--end", end_of_day=True) if end else None
        if lo and hi and lo >= hi:
            raise UsageError(
                f"--start {start} is not before --end {end}",
                "swap them or widen the window",
            )
        return Window(lo, hi, f"from {_stamp(lo) or 'the beginning'} to {_stamp(hi) or 'now'}")
    window = parse_since(DEFAULT_SINCE, now=now)
    return Window(window.start, None, f"the last 7 days (default; since {_stamp(window.start)})")
