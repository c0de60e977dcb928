"""The Athena engine offline: pyathena's real code paths against moto plus the DuckDB double
(tests/athena_double.py). What this cannot prove: that Athena itself accepts each statement
(every statement is parsed with sqlglot's athena dialect instead), Athena's scan sizes and timing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlglot
from athena_double import AthenaDouble
from conftest import END_DAY, RECENT, recent_query
from moto import mock_aws
from sqlglot import exp

from toolkit.config import AthenaSettings
from toolkit.core import export, window
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery
from toolkit.engines.athena import AthenaEngine, cost_usd
from toolkit.engines.local import LocalEngine
from toolkit.errors import EngineError, Interrupted, UsageError
from toolkit.templates.catalog import Catalog

LAST_DAY = datetime(END_DAY.year, END_DAY.month, END_DAY.day, tzinfo=UTC)


@pytest.fixture
def double(sample_root, monkeypatch, fake_aws_env):
    with mock_aws():
        fake = AthenaDouble(sample_root, monkeypatch)
        yield fake
        fake.close()


@pytest.fixture(scope="module")
def local(sample_root):
    engine = LocalEngine(sample_root)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def athena(double, **options) -> AthenaEngine:
    settings = AthenaSettings(
        output_location=f"s3://{double.results_bucket}/queries/",
        region="us-east-1",
        max_scan=options.pop("max_scan", None),
    )
    options.setdefault("poll_interval", 0.001)
    options.setdefault("retry_backoff", 0.001)
    return AthenaEngine(settings, **options)


def as_text(columns, rows) -> list[dict]:
    """Rows as CSV export writes them: the form both engines must share."""
    import csv
    import io

    stream = io.StringIO()
    export.write(columns, rows, "csv", stream)
    return list(csv.DictReader(io.StringIO(stream.getvalue())))


def day_bounds(sql: str) -> tuple[str, str]:
    """The literal `day` range in the SQL sent (parsed with the athena dialect)."""
    tree = sqlglot.parse_one(sql, read="athena")
    low = [c.expression.name for c in tree.find_all(exp.GTE) if c.this.name == "day"]
    high = [c.expression.name for c in tree.find_all(exp.LTE) if c.this.name == "day"]
    assert len(low) == len(high) == 1, sql
    return low[0], high[0]


def test_the_sql_sent_prunes_on_day_widened_by_a_day(double):
    engine = athena(double)
    scope = window.parse(start="2025-03-10", end="2025-03-12")
    criteria = Criteria(account=["111111111111"], region=["EU-West-1"])
    engine.run(TrailQuery.parse("SELECT count(*) AS n FROM trail", scope, criteria))
    (sent,) = double.sent
    assert day_bounds(sent) == ("2025/03/09", "2025/03/13")
    tree = sqlglot.parse_one(sent, read="athena")
    ins = {i.this.name: sorted(v.name for v in i.expressions) for i in tree.find_all(exp.In)}
    assert ins == {"account": ["111111111111"], "region": ["eu-west-1"]}
    assert "eventtime >= '2025-03-10T00:00:00Z'" in sent and "eventtime < '2025-03-13T00:00:00Z'" in sent
    engine.close()


def test_every_template_prunes_on_day_and_returns_the_local_engines_rows(
    double, catalog, every_template_on_the_files
):
    engine = athena(double)
    for template in catalog.select():
        query = recent_query(template)  # over RECENT
        remote = engine.run(query)
        low, high = day_bounds(double.sent[-1])
        assert (low, high) == ("2025/03/20", "2025/04/01"), template.name
        # the local engine's run of the same query
        here = every_template_on_the_files[template.name].ran(query.ast.sql())
        assert remote.columns == here.columns, template.name
        assert as_text(remote.columns, remote.rows) == as_text(here.columns, here.rows), template.name
    engine.close()


def test_results_page_through_get_query_results(double, local):
    engine = athena(double)
    month = window.Window(LAST_DAY - timedelta(days=30), LAST_DAY)
    query = TrailQuery.parse("SELECT eventid, eventtime, eventname FROM trail ORDER BY eventid", month)
    remote = engine.run(query)
    assert len(remote.rows) > 2500  # more than two pages of 1,000
    assert double.get_results_calls >= 3
    assert as_text(remote.columns, remote.rows) == as_text(*_cols_rows(local.run(query)))
    assert remote.report.scanned_bytes == double.scanned_bytes
    assert remote.report.cost_usd == pytest.approx(cost_usd(double.scanned_bytes, 5.0))
    engine.close()


def _cols_rows(result):
    return result.columns, result.rows


def test_s3_fetch_streams_the_result_file_with_the_same_rows(double, local):
    query = TrailQuery.parse(
        "SELECT eventid, eventname, errorcode, useridentity.arn AS arn FROM trail ORDER BY eventid", RECENT
    )
    streamed = athena(double, fetch="s3").run(query)
    double.get_results_calls = 0
    rows = list(streamed.rows)
    assert double.get_results_calls <= 1  # metadata only: the rows came from the CSV file in S3
    assert as_text(streamed.columns, rows) == as_text(*_cols_rows(local.run(query)))
    assert any(r[2] is None for r in rows) and all(r[0] for r in rows)  # NULL stays NULL


def test_progress_reports_state_elapsed_and_scanned(double):
    double.slow(2)
    seen: list[tuple[str, float, int]] = []
    engine = athena(double, progress=lambda state, elapsed, scanned: seen.append((state, elapsed, scanned)))
    engine.run(TrailQuery.parse("SELECT count(*) FROM trail", RECENT))
    states = [s for s, _e, _b in seen]
    assert states[0] == "QUEUED" and "RUNNING" in states and states[-1] == "SUCCEEDED"
    assert [e for _s, e, _b in seen] == sorted(e for _s, e, _b in seen)


def test_a_failed_query_says_athenas_reason_and_the_query_id(double):
    double.fail_next = "HIVE_BAD_DATA: Error parsing field value for field 3"
    notes: list[str] = []
    engine = athena(double, notify=notes.append)
    with pytest.raises(EngineError) as failure:
        engine.run(TrailQuery.parse("SELECT count(*) FROM trail", RECENT))
    query_id = notes[0].split()[2]
    assert f"Athena query {query_id} failed: HIVE_BAD_DATA" in failure.value.message
    assert "\n" not in str(failure.value)


def test_a_query_athena_rejects_is_the_users_error(double):
    double.fail_next = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"
    with pytest.raises(UsageError, match="COLUMN_NOT_FOUND"):
        athena(double).run(TrailQuery.parse("SELECT eventid FROM trail", RECENT))


def test_throttling_is_retried_with_backoff(double):
    double.throttle("StartQueryExecution", 2)
    double.throttle("GetQueryExecution", 3)
    double.throttle("GetQueryResults", 2)
    result = athena(double).run(TrailQuery.parse("SELECT count(*) AS n FROM trail", RECENT))
    assert result.rows[0][0] > 0
    assert double._throttles == {"StartQueryExecution": 0, "GetQueryExecution": 0, "GetQueryResults": 0}


def test_ctrl_c_stops_the_query_in_athena(double):
    double.slow(50)
    notes: list[str] = []

    def interrupt(state, elapsed, scanned):
        if state == "RUNNING":
            raise KeyboardInterrupt

    engine = athena(double, progress=interrupt, notify=notes.append)
    with pytest.raises(Interrupted, match="was stopped"):
        engine.run(TrailQuery.parse("SELECT count(*) FROM trail", RECENT))
    query_id = notes[0].split()[2]
    assert double.status(query_id) == "CANCELLED"


def test_max_scan_refuses_to_fetch_results_past_the_budget(double):
    double.scanned_bytes = 12 * 10**9
    engine = athena(double, max_scan="10GB")
    with pytest.raises(
        EngineError, match=r"scanned 12.00 GB, past --max-scan 10GB; its results are not fetched"
    ):
        engine.run(TrailQuery.parse("SELECT eventid FROM trail", RECENT))


def test_max_scan_stops_a_running_query_once_past_the_budget(double):
    double.scanned_bytes = 12 * 10**9
    double.slow(3)
    notes: list[str] = []
    engine = athena(double, max_scan="10GB", notify=notes.append)
    with pytest.raises(EngineError, match=r"stopped: it had scanned 12.00 GB, past --max-scan 10GB"):
        engine.run(TrailQuery.parse("SELECT eventid FROM trail", RECENT))
    assert double.status(notes[0].split()[2]) == "CANCELLED"


def test_result_reuse_is_asked_for_and_reported(double):
    notes: list[str] = []
    engine = athena(double, reuse_minutes=60, notify=notes.append)
    query = TrailQuery.parse("SELECT count(*) AS n FROM trail", RECENT)
    first, second = engine.run(query), engine.run(query)
    assert first.rows == second.rows
    assert second.report.scanned_bytes == 0 and "reused a previous result" in notes[-1]


def test_find_event_reads_the_original_record_from_s3(double, local):
    double.upload(days=("2025/03/30", "2025/03/31"))
    scope = window.parse(start="2025-03-30", end="2025-03-31")
    some = local.run(TrailQuery.parse("SELECT eventid FROM trail ORDER BY eventid LIMIT 1", scope)).rows[0][0]
    records, report = athena(double).find_event(TrailQuery.parse("SELECT * FROM trail", scope), some)
    expected, _ = local.find_event(TrailQuery.parse("SELECT * FROM trail", scope), some)
    assert records == expected and len(records) == 1
    assert '"$path"' in double.sent[-1]
    assert day_bounds(double.sent[-1]) == ("2025/03/29", "2025/04/01")


def test_sql_reaches_athena_unformatted(double):
    """pyathena's client-side `%` formatting must not touch the rendered SQL (LIKE '%...%')."""
    engine = athena(double)
    sql = "SELECT count(*) AS n FROM trail WHERE useragent LIKE '%aws-cli%' AND eventname <> '100%'"
    result = engine.run(TrailQuery.parse(sql, RECENT))
    assert "LIKE '%aws-cli%'" in double.sent[-1] and "'100%'" in double.sent[-1]
    assert result.rows[0][0] >= 0
