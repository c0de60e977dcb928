"""`--event-source` resolves to the names CloudTrail writes (`ecr.amazonaws.com`, not botocore's endpoint
`api.ecr.amazonaws.com`): every event source in every corpus is known, its short form resolves back
to it, and a short name that is unknown or means more than one source gets a "did you mean"."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPORA, read_jsonl, run_in_process

from toolkit.core import names
from toolkit.core.names import NameIndex


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.load()


def corpus_files() -> list[Path]:
    """Every file of events in tests/data/corpora: JSON Lines, and CloudTrail's own {"Records": [...]}."""
    files = sorted(CORPORA.glob("*/*.jsonl")) + sorted(CORPORA.glob("*/scenarios/*.jsonl"))
    files = [f for f in files if f.name not in ("labels.jsonl", "provenance.jsonl", "digest-files.jsonl")]
    return files + sorted(CORPORA.glob("*/*.json.gz"))


def records(path: Path) -> list[dict]:
    if path.suffix == ".gz":
        return json.loads(gzip.decompress(path.read_bytes()))["Records"]
    return read_jsonl(path)


def event_source(record: dict) -> str | None:
    # Some corpora carry Athena's lowercase keys instead of CloudTrail's camelCase ones.
    value = record.get("eventSource", record.get("eventsource"))
    return value if isinstance(value, str) else None


def corpus_event_sources() -> Counter[str]:
    found: Counter[str] = Counter()
    for path in corpus_files():
        found.update(s for s in map(event_source, records(path)) if s)
    return found


def test_the_corpora_are_all_read():
    read = {path.relative_to(CORPORA).parts[0] for path in corpus_files()}
    assert read == {path.name for path in CORPORA.iterdir() if path.is_dir()}
    assert len(corpus_event_sources()) > 30


def test_every_corpus_event_source_is_known_and_its_short_form_resolves_back(index):
    problems = []
    for source in sorted(corpus_event_sources()):
        short = source.removesuffix(".amazonaws.com")
        if source not in index.sources:
            problems.append(f"{source}: not a known event source")
        for spelling in (source, short, short.upper()):
            resolved, warnings = index.resolve_sources([spelling])
            if resolved != [source] or warnings:
                problems.append(f"{spelling} -> {resolved} {warnings}")
    assert problems == []


@pytest.mark.parametrize(
    ("spelling", "source"),
    [
        ("ecr", "ecr.amazonaws.com"),  # endpoint api.ecr
        ("api.ecr.amazonaws.com", "ecr.amazonaws.com"),  # botocore's host name
        ("ses", "ses.amazonaws.com"),  # endpoint email
        ("sesv2", "ses.amazonaws.com"),
        ("email", "ses.amazonaws.com"),
        ("monitoring", "monitoring.amazonaws.com"),
        ("Amazon CloudWatch", "monitoring.amazonaws.com"),
        ("sso", "sso.amazonaws.com"),
        ("sso-admin", "sso.amazonaws.com"),
        ("s3control", "s3.amazonaws.com"),
        ("bedrock-runtime", "bedrock.amazonaws.com"),
        ("efs", "elasticfilesystem.amazonaws.com"),
        ("stepfunctions", "states.amazonaws.com"),
        ("signin", "signin.amazonaws.com"),
        ("ssmmessages", "ssmmessages.amazonaws.com"),
    ],
)
def test_services_resolve_to_the_name_cloudtrail_writes(index, spelling, source):
    assert index.resolve_source(spelling) == source
    resolved, _warnings = index.resolve_sources([spelling])
    assert resolved == [source]


def test_no_event_source_is_an_endpoint_host(index):
    assert "api.ecr.amazonaws.com" not in index.sources
    assert "email.amazonaws.com" not in index.sources
    assert "portal.sso.amazonaws.com" not in index.sources


def tiny_index() -> NameIndex:
    def source(name: str, title: str, aliases: list[str]) -> names.Source:
        return names.Source(name, title, aliases, {"DoIt": (False, "d")})

    return NameIndex(
        {
            "monitoring.amazonaws.com": source(
                "monitoring.amazonaws.com", "Amazon CloudWatch", ["cloudwatch"]
            ),
            "cloudwatch.amazonaws.com": source(
                "cloudwatch.amazonaws.com", "CloudWatch Omni", ["cloudwatchomni"]
            ),
            "ecr.amazonaws.com": source("ecr.amazonaws.com", "Amazon ECR", ["ecr", "api.ecr"]),
        }
    )


def test_an_ambiguous_short_name_gets_a_did_you_mean():
    resolved, [warning] = tiny_index().resolve_sources(["cloudwatch"])
    assert resolved == ["cloudwatch.amazonaws.com"]
    assert "\n" not in warning
    assert "--event-source cloudwatch" in warning and "did you mean monitoring.amazonaws.com" in warning


def test_an_unknown_short_name_gets_a_did_you_mean_and_is_searched_anyway():
    resolved, [warning] = tiny_index().resolve_sources(["ecrr"])
    assert resolved == ["ecrr.amazonaws.com"]
    assert "--event-source ecrr" in warning and "did you mean ecr.amazonaws.com" in warning
    resolved, [warning] = tiny_index().resolve_sources(["nothing-like-it.amazonaws.com"])
    assert resolved == ["nothing-like-it.amazonaws.com"] and "not a known event source" in warning
    assert tiny_index().resolve_sources(["ecr", "api.ecr"]) == (
        ["ecr.amazonaws.com", "ecr.amazonaws.com"],
        [],
    )


def _search(capsys, root: Path, *flags: str) -> tuple[int, list[dict], str]:
    code, out, err = run_in_process(
        capsys, "search", "--source", str(root), "--all-time", "--format", "json", *flags
    )
    return code, (json.loads(out) if out.strip() else []), err


def test_event_source_ecr_finds_the_ecr_events_of_the_panther_corpus(capsys, corpus_archives):
    root, _ = corpus_archives["panther"]
    panther = [CORPORA / "panther-rule-tests" / "events.jsonl"]
    panther += sorted((CORPORA / "panther-rule-tests" / "scenarios").glob("*.jsonl"))
    expected = sorted(
        str(r.get("eventID"))
        for path in panther
        for r in records(path)
        if r.get("eventSource") == "ecr.amazonaws.com"  # the engine reads CloudTrail's camelCase keys
    )
    assert expected  # the corpus holds ECR events
    for spelling in ("ecr", "ECR", "ecr.amazonaws.com"):
        code, rows, err = _search(capsys, root, "--event-source", spelling)
        assert code == 0, err
        assert "warning" not in err
        assert sorted(str(r["eventid"]) for r in rows) == expected
        assert {r["eventsource"] for r in rows} == {"ecr.amazonaws.com"}


def test_an_unknown_event_source_is_warned_about_on_one_line(capsys, corpus_archives):
    root, _ = corpus_archives["panther"]
    code, rows, err = _search(capsys, root, "--event-source", "ecrr")
    assert code == 0 and rows == []
    [line] = [line for line in err.splitlines() if "warning" in line]
    assert line.startswith("trailcsi: warning: ") and "did you mean ecr.amazonaws.com" in line
