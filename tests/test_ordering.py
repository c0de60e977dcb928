"""`--sort COLUMN[:asc|desc]`: keys parsed, checked against the result's columns, and applied in
the SQL each engine runs (so a streamed export is sorted by the engine, not held in memory)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import run_in_process as trailcsi

from toolkit.core import ordering, search, window
from toolkit.core.criteria import Criteria
from toolkit.core.ordering import SortKey
from toolkit.core.query import TrailQuery, parse_select
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError

WINDOW = ["--start", "2025-03-29", "--end", "2025-03-31"]


def test_keys_repeat_or_are_separated_by_commas():
    assert ordering.parse(["eventname:DESC, eventtime", "n:asc"]) == [
        SortKey("eventname", True),
        SortKey("eventtime", False),
        SortKey("n", False),
    ]
    assert ordering.parse(None) == []


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["eventtime:down"], "the direction is asc or desc"),
        ([" , "], "--sort is empty"),
        ([":desc"], "names no column"),
        (["eventtime", "EventTime:desc"], "names 'EventTime' twice"),
    ],
)
def test_malformed_keys_are_usage_errors(specs, message):
    with pytest.raises(UsageError, match=message):
        ordering.parse(specs)


def test_the_query_is_wrapped_its_with_clause_kept_outermost():
    query = parse_select(
        "WITH a AS (SELECT eventname, count(*) AS n FROM trail GROUP BY 1) "
        "SELECT eventname, n FROM a ORDER BY n DESC LIMIT 3"
    )
    sorted_ = ordering.sort(query, ordering.parse(["N:desc,eventname"]))
    assert sorted_.sql("athena") == (
        "WITH a AS (SELECT eventname, COUNT(*) AS n FROM trail GROUP BY 1) "
        "SELECT * FROM (SELECT eventname, n FROM a ORDER BY n DESC LIMIT 3) AS sorted_result "
        "ORDER BY 2 DESC, 1"
    )
    assert ordering.sort(query, []) is query  # no keys: the query as it was


def test_a_star_is_expanded_over_trails_columns():
    names = ordering.result_columns(parse_select("SELECT *, 1 AS one FROM trail"))
    assert names[:3] == ["eventversion", "useridentity", "eventtime"] and names[-1] == "one"
    # an unnamed column has Trino's name (`_col<position>`), on both engines: sortable by it
    assert ordering.result_columns(parse_select("SELECT eventname, count(*) FROM trail GROUP BY 1")) == [
        "eventname",
        "_col1",
    ]


def test_an_unknown_column_names_the_columns_of_the_result():
    query = parse_select("SELECT eventname, count(*) AS n, count(*) FROM trail GROUP BY 1")
    with pytest.raises(UsageError) as raised:
        ordering.sort(query, ordering.parse(["eventnme"]))
    assert str(raised.value) == (
        "--sort 'eventnme': the result has no such column (did you mean 'eventname'? "
        "sort by one of: eventname, n, _col2)"
    )
    twice = parse_select("SELECT eventname AS e, eventsource AS E FROM trail")
    with pytest.raises(UsageError, match="more than one column named 'e'"):
        ordering.sort(twice, ordering.parse(["e"]))


def test_search_sorts_by_any_column_of_trail_ties_oldest_first():
    query = search.build(
        Criteria(), window.parse(since="1d"), ["eventtime"], sort=ordering.parse(["principal:desc"])
    )
    assert query.ast.sql("athena").endswith(
        "ORDER BY COALESCE(useridentity.arn, useridentity.invokedby, useridentity.username, "
        "useridentity.type) DESC, eventtime, eventid"
    )
    with pytest.raises(UsageError, match="trail has no such column .*sort by one of: eventversion"):
        search.build(Criteria(), window.parse(since="1d"), sort=ordering.parse(["evnettime"]))


def test_a_streamed_result_comes_sorted_from_the_engine(sample_root, monkeypatch):
    from toolkit.engines import local

    monkeypatch.setattr(local, "STREAM_BATCH", 50)  # several batches
    scope = window.parse(start="2025-03-29", end="2025-03-31")
    query = TrailQuery.parse("SELECT eventname, eventid FROM trail ORDER BY eventid", scope)
    query.ast = ordering.sort(query.ast, ordering.parse(["eventname:desc", "eventid"]))
    engine = LocalEngine(sample_root, stream=True)
    try:
        result = engine.run(query)
        assert not isinstance(result.rows, list)  # an iterator, read in batches
        rows = list(result.rows)
    finally:
        engine.close()
    assert len(rows) > 300 and len({r[0] for r in rows}) > 10
    assert rows == sorted(sorted(rows, key=lambda r: r[1]), key=lambda r: r[0], reverse=True)


def _csv(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_search_run_and_sql_sort_on_the_command_line(sample_root, capsys, tmp_path):
    source = ["--source", str(sample_root), *WINDOW]
    code, out, err = trailcsi(
        capsys,
        "search",
        *source,
        "--columns",
        "eventtime,eventname,eventid",
        "--sort",
        "eventname:desc",
        "-f",
        "csv",
    )
    assert code == 0, err
    rows = _csv(out)
    assert [r["eventname"] for r in rows] == sorted((r["eventname"] for r in rows), reverse=True)
    for name in {r["eventname"] for r in rows}:  # ties: oldest first
        times = [r["eventtime"] for r in rows if r["eventname"] == name]
        assert times == sorted(times)
    newest = trailcsi(
        capsys,
        "search",
        *source,
        "--columns",
        "eventtime",
        "--sort",
        "eventtime:desc",
        "--limit",
        "3",
        "-f",
        "csv",
    )
    assert [r["eventtime"] for r in _csv(newest[1])] == sorted((r["eventtime"] for r in rows), reverse=True)[
        :3
    ]

    target = tmp_path / "sorted.csv"  # an export streams, sorted by the engine
    code, out, err = trailcsi(
        capsys,
        "run",
        "principal-activity",
        "--param",
        "principal=alice",
        *source,
        "--sort",
        "eventname,eventtime:desc",
        "-o",
        str(target),
    )
    assert code == 0, err
    rows = _csv(target.read_text())
    assert len(rows) > 1
    assert rows == sorted(
        sorted(rows, key=lambda r: r["eventtime"], reverse=True), key=lambda r: r["eventname"]
    )

    statement = "SELECT eventname, count(*) AS n FROM trail GROUP BY 1 ORDER BY 1"
    code, out, err = trailcsi(
        capsys, "sql", statement, *source, "--sort", "n:desc,eventname", "--limit", "5", "-f", "json"
    )
    assert code == 0, err
    counts = [(r["eventname"], r["n"]) for r in json.loads(out)]
    every = _csv(trailcsi(capsys, "sql", statement, *source, "-f", "csv")[1])
    expected = sorted(((r["eventname"], int(r["n"])) for r in every), key=lambda r: (-r[1], r[0]))[:5]
    assert counts == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sql", "SELECT eventname, count(*) AS n FROM trail GROUP BY 1", "--sort", "count"],
            "sort by one of: eventname, n",
        ),
        (["run", "user-created", "--sort", "creator:up"], "the direction is asc or desc"),
        (["run", "user-created", "--sort", "time"], "sort by one of: eventtime, "),
        (["search", "--sort", "nope"], "trail has no such column"),
        (["sweep", "--sort", "eventtime"], "--sort does not apply to sweep"),
    ],
)
def test_sort_mistakes_are_one_line_usage_errors(sample_root, capsys, args, message):
    code, out, err = trailcsi(capsys, *args, "--source", str(sample_root), *WINDOW)
    errors = [line for line in err.splitlines() if "error:" in line]
    assert code == 2 and len(errors) == 1 and message in errors[0], err
    assert out == "" and "Traceback" not in err
