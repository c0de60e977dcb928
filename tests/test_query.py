import pytest
import sqlglot

from toolkit.core import schema, window
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery, parse_select
from toolkit.errors import UsageError

ALL = window.parse(all_time=True)


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE trail",
        "DELETE FROM trail",
        "INSERT INTO trail SELECT * FROM trail",
        "CREATE TABLE x AS SELECT * FROM trail",
        "SELECT 1 FROM trail; DROP TABLE trail",
        "SELECT * FROM trail; SELECT 1",
        "SELECT * FROM other_table",
        "SELECT * FROM db.trail",
        "SELECT * FROM read_csv('/etc/passwd')",
        "WITH trail AS (SELECT 1) SELECT * FROM trail",
        "SELEC * FROM trail",
    ],
)
def test_only_one_read_only_query_over_trail_is_accepted(sql):
    with pytest.raises(UsageError):
        parse_select(sql)


def test_ctes_unnest_and_subqueries_are_fine():
    parse_select(
        "WITH failed AS (SELECT * FROM trail WHERE errorcode IS NOT NULL) "
        "SELECT r.arn FROM failed CROSS JOIN UNNEST(resources) AS t(r)"
    )


def test_bind_puts_trail_first_with_scope():
    query = TrailQuery.parse(
        "WITH x AS (SELECT eventname FROM trail) SELECT * FROM x",
        window.parse(start="2024-01-01", end="2024-01-02"),
        Criteria(event_name=["CreateUser"]),
    )
    tree = query.bind(sqlglot.exp.to_table("src"))
    ctes = [cte.alias for cte in tree.args["with_"].expressions]
    assert ctes == ["trail", "x"]
    trail_sql = tree.args["with_"].expressions[0].this.sql("athena")
    assert "eventtime >= '2024-01-01T00:00:00Z'" in trail_sql
    assert "eventtime < '2024-01-03T00:00:00Z'" in trail_sql
    assert "'createuser'" in trail_sql


def test_columns_needed_are_those_referenced():
    query = TrailQuery.parse("SELECT eventname, count(*) FROM trail GROUP BY 1", ALL)
    assert query.columns_needed() == ["eventname"]
    query = TrailQuery.parse("SELECT useridentity.arn FROM trail", window.parse(since="1d"))
    assert set(query.columns_needed()) == {"useridentity", "eventtime"}
    assert TrailQuery.parse("SELECT * FROM trail", ALL).columns_needed() == list(schema.COLUMN_NAMES)


def test_hostile_criteria_values_stay_literals():
    hostile = "x') OR 1=1; DROP TABLE trail; --"
    condition = Criteria(user=[hostile], user_agent=["*/ /*"]).condition()
    literals = {lit.this for lit in condition.find_all(sqlglot.exp.Literal) if lit.is_string}
    assert hostile.lower() in literals
    assert not list(condition.find_all(sqlglot.exp.Drop))
    reparsed = sqlglot.parse_one(condition.sql("athena"), read="athena")
    assert reparsed == condition
