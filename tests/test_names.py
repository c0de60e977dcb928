"""Event sources and names from botocore's models: resolution, hints, the cache, the template audit,
and shell completion through typer's own machinery."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlglot import exp

from toolkit.core import names
from toolkit.core.names import NameIndex
from toolkit.templates.catalog import Catalog


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.load()


@pytest.mark.parametrize(
    "spelling", ["ec2", "EC2", "ec2.amazonaws.com", "Amazon EC2", "Amazon Elastic Compute Cloud"]
)
def test_source_spellings_resolve(index, spelling):
    assert index.resolve_source(spelling) == "ec2.amazonaws.com"


def test_unknown_names_get_a_did_you_mean(index):
    [warning] = index.check(["CreateUsr"], [])
    assert "not an event name of any known service" in warning and "did you mean CreateUser (iam" in warning
    assert index.check(["CreateUser"], []) == []


def test_curated_and_versioned_names_are_known(index):
    assert index.sources_of("ConsoleLogin") == ["signin.amazonaws.com"]
    assert "bedrock.amazonaws.com" in index.sources_of("InvokeModel")
    assert index.sources_of("UpdateFunctionCode20150331v2") == ["lambda.amazonaws.com"]
    assert index.check(["RotateKey"], ["kms.amazonaws.com"]) == []


def test_a_name_outside_the_chosen_source_is_flagged(index):
    [warning] = index.check(["RunInstances"], ["s3.amazonaws.com"])
    assert "recorded by ec2.amazonaws.com, not by s3.amazonaws.com" in warning


def test_search_and_read_write_marks(index):
    found = dict(index.search("address"))
    assert {"AllocateAddress", "AssociateAddress"} <= {
        e for s, e in index.search("address") if s == "ec2.amazonaws.com"
    }
    assert found
    events = index.sources["ec2.amazonaws.com"].events
    assert events["DescribeInstances"][0] is True and events["RunInstances"][0] is False
    assert events["AllocateAddress"][1].startswith("Allocates an Elastic IP address")


@pytest.fixture
def built(monkeypatch) -> list[str]:
    """The botocore versions NameIndex.build was called for (building a one-event index), none
    built by this process before."""
    versions: list[str] = []
    tiny = NameIndex({"x.amazonaws.com": names.Source("x.amazonaws.com", "X", ["x"], {"DoIt": (False, "d")})})

    def fake_build(cls):
        versions.append(cls.botocore_version())
        return tiny

    monkeypatch.setattr(NameIndex, "build", classmethod(fake_build))
    monkeypatch.setattr(names, "_BUILT", {})
    return versions


def test_the_cache_is_built_once_reused_and_rebuilt_for_another_botocore(tmp_path, monkeypatch, built):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    NameIndex.load()
    assert NameIndex.load().sources_of("DoIt") == ["x.amazonaws.com"]
    assert len(built) == 1 and NameIndex.cache_path().exists()
    monkeypatch.setattr(NameIndex, "botocore_version", staticmethod(lambda: "9.9.9"))
    NameIndex.load()
    assert built[-1] == "9.9.9" and len(built) == 2


def test_a_process_builds_the_index_once_whatever_cache_folder_it_is_given(tmp_path, monkeypatch, built):
    notes: list[str] = []
    for folder in ("first", "second"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / folder))
        assert NameIndex.load(on_build=lambda: notes.append("indexing")).sources_of("DoIt") == [
            "x.amazonaws.com"
        ]
        assert NameIndex.cache_path().exists()  # written to each folder, for the next process
    assert len(built) == 1 and notes == ["indexing"]


def _filtered_names(tree: exp.Expression, column: str) -> set[str]:
    values: set[str] = set()
    for node in tree.find_all(exp.EQ, exp.In):
        target = node.this
        if isinstance(target, exp.Column) and target.name == column:
            literals = node.expressions if isinstance(node, exp.In) else [node.expression]
            values |= {lit.this for lit in literals if isinstance(lit, exp.Literal) and lit.is_string}
    return values


def test_every_event_name_a_template_filters_on_is_known_for_its_source(index):
    from toolkit.core.query import parse_select

    problems = []
    for template in Catalog.load().select():
        tree = parse_select(template.sql)
        sources = sorted(_filtered_names(tree, "eventsource"))
        for name in sorted(_filtered_names(tree, "eventname")):
            known = index.sources_of(name)
            if not known or (sources and not set(known) & set(sources)):
                problems.append(f"{template.name}: {name} (sources {sources}, known in {known[:3]})")
    assert problems == []


def _complete(words: str) -> list[str]:
    env = dict(
        os.environ,
        _TRAILCSI_COMPLETE="complete_bash",
        COMP_WORDS=words,
        COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    )
    done = subprocess.run([sys.executable, "-m", "toolkit.cli"], env=env, capture_output=True, text=True)
    return done.stdout.split()


def test_shell_completion(index):
    assert "s3.amazonaws.com" in _complete("trailcsi search --event-source s3")
    narrowed = _complete("trailcsi search --event-source ec2 --event-name AllocateAdd")
    assert narrowed == ["AllocateAddress"]
    assert _complete("trailcsi run console-login") == ["console-login-failures", "console-login-without-mfa"]
    assert _complete("trailcsi run user-created --param us") == ["user_name="]


def test_shell_completion_of_template_names_formats_and_regions(index):
    assert _complete("trailcsi queries show console-login") == [
        "console-login-failures",
        "console-login-without-mfa",
    ]
    assert _complete("trailcsi search --format j") == ["json", "jsonl"]
    assert _complete("trailcsi names --format c") == ["csv"]
    assert _complete("trailcsi queries show user-created --dialect d") == ["duckdb"]
    regions = _complete("trailcsi search --region eu-west-")
    assert {"eu-west-1", "eu-west-2", "eu-west-3"} <= set(regions) and all(
        r.startswith("eu-west-") for r in regions
    )
    assert "us-gov-west-1" in _complete("trailcsi athena setup --aws-region us-gov")
    assert _complete("trailcsi sweep --min-severity h") == ["high"]
    assert {"Europe/Paris", "Europe/Prague"} <= set(_complete("trailcsi search --tz Europe/P"))
    assert _complete("trailcsi search --tz Europe/Par") == ["Europe/Paris"]


def test_names_command(index):
    run = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "names", "EC2", "--format", "json"],
        capture_output=True,
        text=True,
    )
    rows = json.loads(run.stdout)
    assert {"eventsource", "eventname", "access", "description"} <= set(rows[0])
    assert any(r["eventname"] == "AllocateAddress" and r["access"] == "write" for r in rows)
    # a description is its documentation's whole first sentence: CSV and JSON are not cut for the
    # screen (AssociateAddress's runs to 185 characters); a terminal table cuts long cells itself
    associate = next(r["description"] for r in rows if r["eventname"] == "AssociateAddress")
    assert associate.startswith("Associates an Elastic IP address") and associate.endswith(".")
    assert len(associate) > 120 and "…" not in associate
    unknown = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "names", "ec3"], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "did you mean" in unknown.stderr


def test_listing_counts_an_api_under_every_version_suffix(index):
    counts = {
        ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"): 3,
        ("lambda.amazonaws.com", "Invoke"): 2,
    }
    columns, rows = names.listing(index, "lambda", counts=counts, seen_only=True)
    assert columns[-1] == "events_in_archive"
    assert {(r[1], r[-1]) for r in rows} == {("UpdateFunctionCode", 3), ("Invoke", 2)}
    _columns, sources = names.listing(index, counts=counts, seen_only=True)
    assert [(r[0], r[-1]) for r in sources] == [("lambda.amazonaws.com", 5)]
    with pytest.raises(Exception, match="unknown service"):
        names.listing(index, "no-such-service-at-all")
