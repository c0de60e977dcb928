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


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        # Trino 476's names for these (tests/conformance compares every answer's names with Trino's)
        (
            "SELECT eventname, count(*), CAST(1 AS varchar), useridentity.arn, 1 AS x, "
            "useridentity.sessioncontext.sessionissuer.username, resources[1], (eventname), lower(eventname) "
            "FROM trail GROUP BY 1, 4, 6, 7, 8, 9",
            ["eventname", "_col1", "_col2", "arn", "x", "username", "_col6", "eventname", "_col8"],
        ),
        ("SELECT count(*) FROM trail UNION ALL SELECT 5", ["_col0"]),
        (
            "WITH t AS (SELECT eventname FROM trail) SELECT upper(eventname), eventname FROM t",
            ["_col0", "eventname"],
        ),
    ],
)
def test_unnamed_columns_get_trinos_names_on_the_local_engine(sql, names, con_for_names):
    query = TrailQuery.parse(sql, ALL)
    assert con_for_names(query) == names


@pytest.fixture(scope="module")
def con_for_names(tmp_path_factory):
    """The column names the local engine gives a query over an archive of one event."""
    from conftest import lay_out

    from toolkit.engines.local import LocalEngine

    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-08-02T08:23:06Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "awsRegion": "us-east-1",
        "eventID": "0a0a0a0a-0000-0000-0000-000000000001",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
    }
    engine = LocalEngine(lay_out([record], tmp_path_factory.mktemp("names") / "archive"))
    yield lambda query: list(engine.run(query).columns)
    engine.close()


def test_a_text_parsed_again_gives_a_tree_of_its_own():
    # parse_select keeps the checked tree of a text it parsed before: each caller still gets its
    # own, which it may change (render binds parameters into it, bind adds `trail`'s scope)
    sql = "SELECT eventname FROM trail WHERE eventname = :name"
    first = parse_select(sql)
    first.find(sqlglot.exp.Placeholder).replace(sqlglot.exp.Literal.string("changed"))
    first.set("limit", sqlglot.exp.Limit(expression=sqlglot.exp.Literal.number(1)))
    again = parse_select(sql)
    assert again.find(sqlglot.exp.Placeholder) is not None and again.args.get("limit") is None
    assert again.sql() == sqlglot.parse_one(sql, read="athena").sql()
    # a refused text is refused every time, not remembered as anything else
    for _ in range(2):
        with pytest.raises(UsageError):
            parse_select("DROP TABLE trail")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT _trailcsi_anonymous_0 FROM (VALUES 1)",
        "SELECT eventname AS _trailcsi_anonymous_0 FROM trail",
        "SELECT _TRAILCSI_O FROM trail",
    ],
)
def test_the_local_engines_own_names_are_refused(sql):
    # the rewritten SQL names columns of its own `_trailcsi_...`: a query naming one read them
    # (`SELECT _trailcsi_anonymous_0 FROM (VALUES 1)` answered 1; Trino cannot resolve it)
    with pytest.raises(UsageError, match="_trailcsi_"):
        parse_select(sql)
