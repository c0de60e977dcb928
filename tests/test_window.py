from datetime import UTC, date, datetime

import pytest

from toolkit.core import window
from toolkit.errors import UsageError

NOW = datetime(2025, 3, 31, 12, 0, 0, tzinfo=UTC)


def test_default_is_last_seven_days_and_says_so():
    w = window.parse(now=NOW)
    assert w.start == datetime(2025, 3, 24, 12, tzinfo=UTC) and w.end is None
    assert "default" in w.description and "7 days" in w.description


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("7d", datetime(2025, 3, 24, 12, tzinfo=UTC)),
        ("36h", datetime(2025, 3, 30, 0, tzinfo=UTC)),
        ("90m", datetime(2025, 3, 31, 10, 30, tzinfo=UTC)),
    ],
)
def test_since(text, start):
    assert window.parse(since=text, now=NOW).start == start


def test_date_only_end_includes_that_whole_day():
    w = window.parse(start="2024-01-01", end="2024-01-31")
    assert w.eventtime_bounds() == ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")


def test_offsets_are_converted_to_utc():
    w = window.parse(start="2024-01-01T10:00:00+02:00", end="2024-01-01T12:00:00Z")
    assert w.eventtime_bounds() == ("2024-01-01T08:00:00Z", "2024-01-01T12:00:00Z")


def test_days_are_widened_by_one_for_files_near_midnight():
    w = window.parse(start="2024-01-10", end="2024-01-12")
    assert w.days() == (date(2024, 1, 9), date(2024, 1, 13))
    assert window.parse(all_time=True).days() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "7 weeks"}, "is not a duration"),
        ({"since": "0d"}, "is not a duration"),
        ({"start": "2024-13-01"}, "is not a date or time"),
        ({"start": "yesterday"}, "is not a date or time"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, "is not before"),
        ({"since": "7d", "start": "2024-01-01"}, "cannot be combined"),
        ({"all_time": True, "since": "7d"}, "cannot be combined"),
    ],
)
def test_malformed_windows_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        window.parse(**kwargs, now=NOW)


def test_delivery_span_reaches_late_delivery_past_the_end():
    w = window.parse(start="2024-01-10", end="2024-01-11")
    assert w.delivery_span() == (datetime(2024, 1, 10, tzinfo=UTC), datetime(2024, 1, 12, 6, tzinfo=UTC))
    w = window.parse(start="2024-01-10", end="2024-01-11", late_delivery="1d")
    assert w.delivery_span()[1] == datetime(2024, 1, 13, tzinfo=UTC)
    assert window.parse(since="7d", now=NOW).delivery_span() == (datetime(2025, 3, 24, 12, tzinfo=UTC), None)
    assert window.parse(all_time=True).delivery_span() == (None, None)
    with pytest.raises(UsageError, match="--late-delivery"):
        window.parse(late_delivery="soon")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"since": "1000000d"}, "reaches back before the year 1"),
        ({"since": "99999999999999999999d"}, "longer than any calendar holds"),
        ({"end": "9999-12-31"}, "past the last day a calendar holds"),
        ({"start": "2030-01-01"}, "is in the future"),
        ({"end": "9999-12-31T23:59-01:00"}, "past the last day a calendar holds"),
        ({"end": "9999-12-30", "late_delivery": "2d"}, "reaches past the last day"),
        ({"since": "1d", "late_delivery": "999999999d"}, "longer than any calendar holds|reaches past"),
    ],
)
def test_windows_no_calendar_or_trail_can_hold_are_one_line_errors(flags, message):
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(UsageError, match=message):
        window.parse(**flags, now=now)


def test_times_before_the_year_1000_are_written_with_four_digits():
    assert window.stamp(datetime(110, 5, 20, tzinfo=UTC)) == "0110-05-20T00:00:00Z"  # sorts before 2024
