"""Time windows: `--since 7d|36h|90m`, `--start/--end` (date or ISO-8601, UTC unless an offset is
given), or all time. A window yields exact `eventtime` bounds (start inclusive, end exclusive),
the span in which log files holding its events can have been delivered (from its start until
`late` after its end), and the day partitions an engine without file names must read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from toolkit.errors import UsageError

DEFAULT_SINCE = "7d"
#: How long after an event its log file may still be delivered. CloudTrail delivers within about
#: five minutes on average, without a guarantee; `--late-delivery 1d` reads the whole next day.
DEFAULT_LATE_DELIVERY = timedelta(hours=6)
_RELATIVE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end); `None` on both sides means all time."""

    start: datetime | None
    end: datetime | None
    description: str = ""
    late: timedelta = DEFAULT_LATE_DELIVERY

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    def days(self, widen: int = 1) -> tuple[date, date] | None:
        """First and last day partitions (inclusive) to read, or None for every day.

        For engines that can prune only by day (Athena's partitions); the local engine prunes
        files by their delivery time instead (`delivery_span`).
        """
        if self.is_all_time:
            return None
        first = (self.start.date() if self.start else date(2013, 1, 1)) - timedelta(days=widen)
        last_instant = (self.end or datetime.now(UTC)) - timedelta(microseconds=1)
        return first, last_instant.date() + timedelta(days=widen)

    def delivery_span(self) -> tuple[datetime | None, datetime | None]:
        """When files holding the window's events can have been delivered (None: unbounded).

        A file holds only events older than its delivery, so none delivered before the start
        matters; after the end, files are read for `late` more.
        """
        return self.start, (self.end + self.late) if self.end else None

    def eventtime_bounds(self) -> tuple[str | None, str | None]:
        """The bounds as CloudTrail writes `eventTime` (`2024-01-31T23:59:59Z`), for string compares."""
        return stamp(self.start), stamp(self.end)


def stamp(moment: datetime | None) -> str | None:
    """A moment as CloudTrail writes times (`2024-01-31T23:59:59Z`); None stays None."""
    # (the year zero-padded: strftime's %Y writes year 110 as "110", which sorts after "2024")
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z" if moment else None


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
    except OverflowError:
        raise UsageError(
            f"{flag} {text!r} is past the last day a calendar holds", "give an earlier date"
        ) from None
    except ValueError:
        raise UsageError(
            f"{flag} {text!r} is not a date or time",
            "use 2024-01-31, 2024-01-31T10:00:00Z or 2024-01-31T10:00+02:00",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise UsageError(
            f"{flag} {text!r} is past the last day a calendar holds", "give an earlier date"
        ) from None


def parse_duration(text: str, *, flag: str, allow_zero: bool = False) -> timedelta:
    """`7d`, `36h`, `90m` → a timedelta."""
    match = _RELATIVE.match(text)
    if not match or (int(match.group(1)) == 0 and not allow_zero):
        raise UsageError(f"{flag} {text!r} is not a duration", "use a number and d, h or m: 7d, 36h, 90m")
    try:
        return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    except OverflowError:
        raise UsageError(f"{flag} {text!r} is longer than any calendar holds", "use --all-time") from None


def parse_since(text: str, *, now: datetime | None = None) -> Window:
    end = now or datetime.now(UTC).replace(microsecond=0)
    try:
        start = end - parse_duration(text, flag="--since")
    except OverflowError:
        raise UsageError(f"--since {text!r} reaches back before the year 1", "use --all-time") from None
    amount = text.strip().lower().replace(" ", "")
    return Window(start, None, f"the last {amount} (since {stamp(start)})")


def parse(
    since: str | None = None,
    start: str | None = None,
    end: str | None = None,
    all_time: bool = False,
    *,
    late_delivery: str | None = None,
    now: datetime | None = None,
) -> Window:
    """Build the window from the CLI's flags; no flag at all means the last 7 days."""
    window = _parse(since, start, end, all_time, now)
    if late_delivery is not None:
        late = parse_duration(late_delivery, flag="--late-delivery", allow_zero=True)
        try:
            (window.end or datetime.now(UTC)) + late
        except OverflowError:
            raise UsageError(
                f"--late-delivery {late_delivery!r} reaches past the last day a calendar holds",
                "give a shorter delay, or an earlier --end",
            ) from None
        window = Window(window.start, window.end, window.description, late)
    return window


def _parse(
    since: str | None, start: str | None, end: str | None, all_time: bool, now: datetime | None
) -> Window:
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
        current = now or datetime.now(UTC)
        if lo and lo > current:  # no trail holds events from the future: a mistyped year
            raise UsageError(
                f"--start {start} is in the future (now: {stamp(current)})", "check the date's year"
            )
        if lo and hi and lo >= hi:
            raise UsageError(
                f"--start {start} is not before --end {end}",
                "swap them or widen the window",
            )
        return Window(lo, hi, f"from {stamp(lo) or 'the beginning'} to {stamp(hi) or 'now'}")
    window = parse_since(DEFAULT_SINCE, now=now)
    return Window(window.start, None, f"the last 7 days (default; since {stamp(window.start)})")
