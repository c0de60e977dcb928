"""`--tz ZONE`: instants shown in the zone with its offset; everything else, and the default
(UTC) output, as recorded; the window is not affected."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import run_in_process as trailcsi

from toolkit.core import export, timezone
from toolkit.errors import UsageError

PARIS = ZoneInfo("Europe/Paris")
WINDOW = ["--start", "2025-03-29T22:00:00Z", "--end", "2025-03-30T02:00:00Z"]  # across Paris's DST change


def test_zone_names():
    assert (
        timezone.parse(None) is None and timezone.parse("UTC") is None and timezone.parse("etc/utc") is None
    )
    assert timezone.parse("Europe/Paris") == PARIS
    assert timezone.parse("europe/paris") == PARIS  # the IANA name, in any case
    with pytest.raises(UsageError) as raised:
        timezone.parse("Europe/Pariss")
    assert str(raised.value) == (
        "--tz 'Europe/Pariss' is not a time zone (did you mean Europe/Paris? "
        "use an IANA name such as Europe/Paris, America/New_York or UTC)"
    )
    for name in ("Europe", "../../etc/passwd", "/etc/localtime", "+02:00", "", "x" * 300, "zone1970.tab"):
        with pytest.raises(UsageError, match="is not a time zone"):
            timezone.parse(name)


def test_instants_are_shown_with_the_zones_offset():
    assert timezone.localize("2025-03-30T00:59:59Z", PARIS) == "2025-03-30T01:59:59+01:00"
    assert timezone.localize("2025-03-30T01:00:00Z", PARIS) == "2025-03-30T03:00:00+02:00"  # summer time
    assert timezone.localize("2025-03-30T01:00:00.250Z", PARIS) == "2025-03-30T03:00:00.250+02:00"
    naive = datetime(2025, 3, 30, 1, 0)  # a TIMESTAMP without a zone: UTC, as the sessions are
    assert timezone.localize(naive, PARIS).isoformat() == "2025-03-30T03:00:00+02:00"
    aware = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert timezone.localize(aware, ZoneInfo("America/New_York")).isoformat() == "2025-03-29T21:00:00-04:00"
    for kept in (
        "2025-03-30",
        "2025-03-30T01:00:00",  # no zone said: not ours to guess
        "2025-03-30T01:00:00+00:00",
        "2025-02-30T01:00:00Z",  # no such day
        "at 2025-03-30T01:00:00Z",
        '{"creationDate": "2025-03-30T01:00:00Z"}',
        date(2025, 3, 30),
        42,
        None,
    ):
        assert timezone.localize(kept, PARIS) == kept


def test_export_converts_top_level_instants_only():
    row = ("2025-03-30T01:00:00Z", {"creationdate": "2025-03-30T01:00:00Z"}, datetime(2025, 3, 30, 1, 0))
    columns = ["eventtime", "useridentity", "ts"]
    stream = io.StringIO()
    export.write(columns, [row], "jsonl", stream, zone=PARIS)
    assert json.loads(stream.getvalue()) == {
        "eventtime": "2025-03-30T03:00:00+02:00",
        "useridentity": {"creationdate": "2025-03-30T01:00:00Z"},  # inside a struct: as recorded
        "ts": "2025-03-30T03:00:00+02:00",
    }
    plain = io.StringIO()
    export.write(columns, [row], "csv", plain)
    assert plain.getvalue().splitlines()[1].startswith("2025-03-30T01:00:00Z,")


def _rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_tz_on_the_command_line(sample_root, capsys):
    base = ["search", "--source", str(sample_root), *WINDOW, "-f", "csv"]
    code, utc, err = trailcsi(capsys, *base)
    assert code == 0, err
    assert trailcsi(capsys, *base, "--tz", "UTC")[1] == utc  # UTC: as recorded, byte for byte
    code, paris, err = trailcsi(capsys, *base, "--tz", "Europe/Paris")
    assert code == 0, err
    recorded, shown = _rows(utc), _rows(paris)
    assert len(recorded) == len(shown) > 10  # the window is the same: UTC unless an offset is given
    offsets = set()
    for before, after in zip(recorded, shown, strict=True):
        assert before["eventtime"].endswith("Z")
        moment = datetime.fromisoformat(after["eventtime"])
        assert moment == datetime.fromisoformat(before["eventtime"]) and moment.utcoffset() is not None
        offsets.add(after["eventtime"][-6:])
        assert {k: v for k, v in after.items() if k != "eventtime"} == {
            k: v for k, v in before.items() if k != "eventtime"
        }
    assert offsets == {"+01:00", "+02:00"}

    statement = (
        "SELECT eventname, min(eventtime) AS first, from_iso8601_timestamp(min(eventtime)) AS at "
        "FROM trail GROUP BY 1 ORDER BY 1"
    )
    code, out, err = trailcsi(
        capsys, "sql", statement, "--source", str(sample_root), *WINDOW, "--tz", "Asia/Tokyo", "-f", "json"
    )
    assert code == 0, err
    for row in json.loads(out):
        assert row["first"].endswith("+09:00") and row["at"] == row["first"]

    code, out, err = trailcsi(capsys, *base, "--tz", "Mars/Olympus")
    errors = [line for line in err.splitlines() if "error:" in line]
    assert (
        code == 2 and out == "" and len(errors) == 1 and "--tz 'Mars/Olympus' is not a time zone" in errors[0]
    )


def test_tz_reaches_the_times_inside_a_sweeps_details(sample_root, capsys):
    """CSV showed the row's eventtime in the zone and its details' times (last_attempt) in UTC."""
    base = [
        "sweep",
        "--source",
        str(sample_root),
        "--start",
        "2025-03-28",
        "--end",
        "2025-03-31",
        "-f",
        "csv",
    ]
    code, out, err = trailcsi(capsys, *base, "--tz", "Asia/Tokyo")
    assert code == 0, err
    rows = _rows(out)
    burst = [r for r in rows if r["template"] == "console-login-failures"]
    assert burst and all(r["eventtime"].endswith("+09:00") for r in rows)
    assert "+09:00" in burst[0]["details"] and not re.search(r"\dZ\b", burst[0]["details"]), burst[0][
        "details"
    ]
