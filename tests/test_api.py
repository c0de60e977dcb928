"""The public API, used as a notebook would use it: `import toolkit` and nothing else of the
package (the sample archive and its answer key come from the fixtures). Each answer is checked
against the sample's planted incidents, not against another path through the same code."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit

WINDOW = {"start": "2025-03-29T00:00Z", "end": "2025-03-29T12:00Z"}


@pytest.fixture(scope="module")
def trail(sample_root: Path):
    with toolkit.open_archive(sample_root) as opened:
        yield opened


def test_import_toolkit_is_cheap_and_the_api_loads_on_first_use():
    code = "import sys, toolkit; print('duckdb' in sys.modules, 'toolkit.api' in sys.modules)"
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert cold.stdout.split() == ["False", "False"]
    assert {"open_archive", "open_athena", "verify", "Rows", "Trail"} <= set(toolkit.__all__)
    assert callable(toolkit.open_archive) and toolkit.__version__
    with pytest.raises(AttributeError):
        _ = toolkit.no_such_name


def test_search_finds_the_brute_force_with_criteria_as_keywords(trail, answers):
    found = trail.search(
        **WINDOW,
        event_name="ConsoleLogin",
        source_ip=answers.brute_force_ip,
        errors_only=True,
        columns=["eventid", "eventtime", "sourceipaddress"],
    )
    assert found.columns == ["eventid", "eventtime", "sourceipaddress"]
    assert {r["eventid"] for r in found.records()} == set(answers.brute_force_failure_ids)
    times = found.to_dict()["eventtime"]
    assert times == sorted(times) and len(found) == len(times) == answers.brute_force_failures
    assert found.skipped == [] and found.files_read == found.files_selected > 0
    newest = trail.search(**WINDOW, event_name=["ConsoleLogin"], sort="eventtime:desc", limit=2)
    assert len(newest) == 2 and newest.rows[0] >= newest.rows[1]


def test_sql_run_event_and_sweep(trail, answers):
    counted = trail.sql(
        "SELECT sourceipaddress, count(*) AS n FROM trail WHERE eventname = 'ConsoleLogin' "
        "AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure' GROUP BY 1 ORDER BY 2 DESC",
        **WINDOW,
    )
    assert counted.rows[0] == (answers.brute_force_ip, answers.brute_force_failures)
    day = answers.rogue_user_time[:10]  # (over all time: the event below, and tests/test_cache.py)
    created = trail.run("user-created", {"user_name": answers.rogue_user}, start=day, end=f"{day}T23:59:59Z")
    assert [r["eventid"] for r in created.records()] == [answers.rogue_user_event_id]
    record = trail.event(answers.rogue_user_event_id, all_time=True)
    assert record is not None and record["requestParameters"]["userName"] == answers.rogue_user
    assert trail.event("00000000-0000-0000-0000-000000000000", **WINDOW) is None
    findings = trail.sweep(**WINDOW, min_severity="medium")
    assert findings and all(f.severity in ("critical", "high", "medium") for f in findings)
    brute = [f for f in findings if f.template == "console-login-failures"]
    assert brute and answers.brute_force_user in brute[0].record["principal"]
    assert trail.sweep(**WINDOW, min_severity="high") == []  # the window's findings are medium


def test_verify_checks_the_sample_digest_chains(sample_root: Path):
    from toolkit.sample import digests  # the sample's own keys (a real archive: CloudTrail's)

    # (the sample's digest chains start at 00:30 on 2025-03-29: files delivered before are
    # referenced by no digest, which verify reports, and the window starts after them)
    report = toolkit.verify(
        sample_root,
        start="2025-03-29T01:00Z",
        end="2025-03-29T06:00Z",
        public_keys=sample_root / digests.PUBLIC_KEYS,
        signatures=sample_root / digests.METADATA,
    )
    assert (
        report.ok() is True
        and report.passed()
        and report.problems() == []
        and report.as_dict()["totals"]["digests_valid"] > 0
    )
    assert report.chain_rows() and report.summary_lines()[-1].startswith("digests: ")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.search(since="7 weeks"), "not a duration"),
        (lambda t: t.search(usr="alice"), "unknown criterion 'usr' (did you mean 'user'?)"),
        (lambda t: t.search(columns=["eventnme"]), "did you mean 'eventname'"),
        (lambda t: t.sql("DROP TABLE trail"), "only SELECT or WITH"),
        (lambda t: t.run("no-such-template"), "no-such-template"),
        (lambda t: t.sweep(min_severity="urgent"), "is not a severity"),
        (lambda t: t.search(since=7), "since=7 is not a duration"),
        (lambda t: t.search(start=1722585600), "start=1722585600 is not a time"),
        (
            lambda t: t.run("user-created", user_name="mallory"),
            "'user_name' is a parameter of user-created, not a criterion (pass parameters in a dict",
        ),
    ],
)
def test_mistakes_are_trailcsi_errors_with_a_hint(trail, call, message):
    from toolkit.errors import TrailcsiError

    with pytest.raises(TrailcsiError) as raised:
        call(trail)
    assert message in f"{raised.value.message} ({raised.value.hint})"


def test_a_missing_archive_is_a_trailcsi_error(tmp_path: Path):
    from toolkit.errors import TrailcsiError

    with pytest.raises(TrailcsiError):
        toolkit.open_archive(tmp_path / "nowhere")


def test_build_cache_then_queries_read_the_cache(sample_root: Path, tmp_path: Path):
    import shutil

    # one day of the sample, copied: the shared sample's own cache is left alone
    for day in sample_root.glob("AWSLogs/**/CloudTrail/*/2025/03/29"):
        shutil.copytree(day, tmp_path / day.relative_to(sample_root))
    first = next(tmp_path.rglob("*.json.gz"))
    link = first.with_name(first.name.replace(".json.gz", "9.json.gz"))
    link.symlink_to(first)  # an entry passed over (not followed): said, as queries say it
    one_account = first.name.split("_")[0]
    some = toolkit.build_cache(tmp_path, start="2025-03-29", end="2025-03-29", account=one_account)
    assert 0 < some.report.days_built and some.report.events > 0
    assert [path for path, _why in some.passed_over] == [str(link)]
    assert any("symbolic link" in line for line in some.lines())
    built = toolkit.build_cache(tmp_path, start="2025-03-29", end="2025-03-29")
    assert built.report.days_built > 0 and built.report.events > 0 and built.report.skipped == []
    assert built.report.days_built + built.report.days_reused > some.report.days_built
    assert built.lines()[-1].startswith(f"{built.report.days_built:,} day folders converted")
    again = toolkit.build_cache(tmp_path, start="2025-03-29", end="2025-03-29")
    assert again.report.days_built == 0
    assert again.report.days_reused == built.report.days_built + built.report.days_reused
    answers = {}
    for cache in (True, False):
        with toolkit.open_archive(tmp_path, cache=cache) as trail:
            answers[cache] = trail.sql("SELECT count(*) FROM trail", start="2025-03-29", end="2025-03-29")
    days = built.report.days_built + built.report.days_reused
    assert f"{days} day folders read from the columnar cache" in answers[True].notes
    assert not any("read from the columnar cache" in note for note in answers[False].notes)
    assert answers[True].rows == answers[False].rows and answers[True].rows[0][0] > 0
    with pytest.raises(toolkit.errors.TrailcsiError, match="local archive"):
        toolkit.build_cache("s3://bucket/prefix", since="1d")


def test_windows_take_dates_datetimes_and_timedeltas(trail):
    from datetime import UTC, date, datetime, timedelta, timezone

    as_text = trail.sql("SELECT count(*) FROM trail", **WINDOW).rows
    naive = trail.sql(
        "SELECT count(*) FROM trail", start=datetime(2025, 3, 29), end=datetime(2025, 3, 29, 12)
    )
    aware = trail.sql(
        "SELECT count(*) FROM trail",
        start=datetime(2025, 3, 29, 1, tzinfo=timezone(timedelta(hours=1))),
        end=datetime(2025, 3, 29, 12, tzinfo=UTC),
    )
    assert naive.rows == aware.rows == as_text and as_text[0][0] > 0
    whole_day = trail.sql("SELECT count(*) FROM trail", start=date(2025, 3, 29), end=date(2025, 3, 29)).rows
    assert whole_day[0][0] > as_text[0][0]
    recent = trail.sql("SELECT count(*) FROM trail", since=timedelta(days=2)).rows
    assert recent == trail.sql("SELECT count(*) FROM trail", since="2d").rows


def test_ctrl_c_stops_a_script_that_catches_exception(sample_root: Path):
    # Interrupted is a TrailcsiError (an Exception): the API raises KeyboardInterrupt instead, so a
    # script's `except Exception` does not swallow Ctrl-C and carry on with its loop.
    script = f"""
import os, signal, sys, threading, time, toolkit
trail = toolkit.open_archive({str(sample_root)!r}, cache=False)
day = dict(start="2025-03-30", end="2025-03-30")
trail.sql("SELECT count(*) FROM trail", **day)  # (its files read and checked: the Ctrl-C lands in DuckDB)
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
for attempt in range(3):
    try:
        # (a join DuckDB cannot shortcut, of a day's events four times: it runs for minutes)
        trail.sql(
            "SELECT sum(hash(a.eventid || b.eventid || c.eventid || d.eventid)) AS h "
            "FROM trail a, trail b, trail c, trail d",
            **day,
        )
    except Exception as error:
        print("swallowed", type(error).__name__, flush=True)
print("finished", flush=True)
"""
    # (SIGINT's default disposition in the child, as at a terminal: a test run started in the
    # background of a script ignores SIGINT, and Python started so never raises KeyboardInterrupt)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert "swallowed" not in done.stdout and "finished" not in done.stdout
    assert "KeyboardInterrupt: interrupted; the query was stopped" in done.stderr


def test_the_api_is_among_the_packages_names():
    assert {"open_archive", "open_athena", "verify", "build_cache", "Rows", "Trail"} <= set(dir(toolkit))
