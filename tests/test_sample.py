"""The planted incidents are found by `search` on the sample archive, and the sample is deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import END_DAY, SEED

from toolkit.core import search, window
from toolkit.core.criteria import Criteria
from toolkit.core.query import TrailQuery
from toolkit.engines.local import LocalEngine
from toolkit.errors import UsageError
from toolkit.sample import generator

ALL = window.parse(all_time=True)
LAST_WEEK = window.parse(
    since="7d", now=datetime(END_DAY.year, END_DAY.month, END_DAY.day, 23, 59, tzinfo=UTC)
)


@pytest.fixture(scope="module")
def engine(sample_root):
    local = LocalEngine(sample_root)
    yield local
    local.close()


@pytest.fixture(scope="module")
def cached(sample_root, sample_cache):
    """The local engine on the sample, reading its columnar cache: for the tests of what the sample
    holds and what search finds in it over all time, where the log files take seconds a query
    (tests/test_cache.py checks the cache gives the files' rows)."""
    local = LocalEngine(sample_root, cache=sample_cache)
    yield local
    local.close()


def rows(engine, criteria, window_, columns):
    return engine.run(search.build(criteria, window_, columns)).rows


def test_sample_spans_more_than_ninety_days_in_several_accounts_and_regions(cached):
    result = cached.run(
        TrailQuery.parse(
            "SELECT count(DISTINCT account), count(DISTINCT region), min(day), max(day), count(*) FROM trail",
            ALL,
        )
    )
    accounts, regions, first, last, events = result.rows[0]
    assert accounts == 3 and regions == 3
    first_day = datetime.strptime(first, "%Y/%m/%d").date()
    last_day = datetime.strptime(last, "%Y/%m/%d").date()
    assert (last_day - first_day).days >= 120
    assert events > 10_000


def test_background_has_the_variety_a_real_trail_has(cached):
    result = cached.run(
        TrailQuery.parse(
            "SELECT count(DISTINCT eventsource), count(DISTINCT useridentity.type), "
            "count_if(eventcategory = 'Data'), count_if(eventtype = 'AwsServiceEvent'), count_if(errorcode IS NOT NULL), "
            "count_if(eventname = 'ConsoleLogin') FROM trail",
            ALL,
        )
    )
    sources, identity_types, data, service_events, errors, logins = result.rows[0]
    assert sources >= 10 and identity_types == 3
    assert min(data, service_events, errors, logins) > 0


def test_brute_force_found_by_search(engine, answers):
    found = rows(
        engine,
        Criteria(event_name=["ConsoleLogin"], source_ip=[answers.brute_force_ip], errors_only=False),
        LAST_WEEK,
        ["eventid", "errormessage", "useridentity.username"],
    )
    failures = [r for r in found if r[1] == "Failed authentication"]
    assert sorted(r[0] for r in failures) == sorted(answers.brute_force_failure_ids)
    assert {r[2] for r in failures} == {answers.brute_force_user}
    successes = [r[0] for r in found if r[1] is None]
    assert successes == [answers.brute_force_success_id]
    # The /24 also holds the second address's three failures against another user.
    wider = rows(
        engine, Criteria(event_name=["ConsoleLogin"], source_ip=["203.0.113.0/24"]), LAST_WEEK, ["eventid"]
    )
    assert len(wider) == answers.brute_force_failures + 1 + answers.second_ip_failures


def test_rogue_user_creation_found_beyond_ninety_days(cached, answers):
    found = rows(
        cached, Criteria(event_name=["CreateUser"]), ALL, ["eventid", "useridentity.arn", "sourceipaddress"]
    )
    assert len(found) == 1 + len(answers.expected_user_creations)
    rogue = [r for r in found if r[0] == answers.rogue_user_event_id]
    assert rogue == [
        (answers.rogue_user_event_id, answers.rogue_user_creator_arn, answers.rogue_user_creator_ip)
    ]
    by_name = rows(cached, Criteria(resource_name=[answers.rogue_user]), ALL, ["eventname"])
    assert {r[0] for r in by_name} == {"CreateUser", "CreateAccessKey", "AttachUserPolicy"}


def test_elastic_ip_found(cached, answers):
    found = rows(cached, Criteria(event_name=["AllocateAddress", "AssociateAddress"]), LAST_WEEK, ["eventid"])
    assert sorted(r[0] for r in found) == sorted(
        [answers.eip_allocate_event_id, answers.eip_associate_event_id]
    )
    by_allocation = rows(cached, Criteria(resource_name=[answers.eip_allocation_id]), ALL, ["eventid"])
    assert len(by_allocation) == 2


def test_changes_before_the_outage_found_in_order(engine, answers):
    outage = datetime.strptime(answers.outage_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    before = window.Window(outage - timedelta(hours=1), outage)
    found = rows(
        engine,
        Criteria(resource_name=[answers.security_group_id, answers.role_name], write_only=True),
        before,
        ["eventid", "eventname"],
    )
    planted = [r[0] for r in found]  # oldest first
    expected = [
        i
        for i, n in zip(answers.change_event_ids, answers.change_event_names, strict=True)
        if n != "ModifyInstanceAttribute"
    ]
    assert planted == expected
    instance = rows(
        engine, Criteria(resource_name=[answers.instance_id], write_only=True), before, ["eventname"]
    )
    assert "ModifyInstanceAttribute" in {r[0] for r in instance}


def test_window_reads_only_the_files_of_its_days(engine):
    result = engine.run(
        search.build(Criteria(), window.parse(start="2025-03-10", end="2025-03-12"), ["eventtime"])
    )
    report = result.report
    assert 0 < report.files_selected < report.files_total / 20
    stamps = sorted(r[0] for r in result.rows)
    assert stamps[0].startswith("2025-03-10T00:") and stamps[-1].startswith("2025-03-12T23:")


def test_same_seed_same_bytes(tmp_path, sample_root, monkeypatch):
    from toolkit.integrity import rsa
    from toolkit.sample import digests

    def files(root, pattern="*.json.gz"):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob(pattern) if p.is_file()}

    # the session's sample is one writing (days=130); a second writing is the same, every byte of
    # every file. The session's digests were signed by the `cryptography` package (the test extra
    # installs it), these by trailcsi's Python: the 432 signatures agree (each is in the next
    # digest, or in digest-metadata.json for a chain's newest)
    assert rsa._signed_by_cryptography(digests.sample_key(SEED), b"x") is not None
    monkeypatch.setattr(rsa, "USE_CRYPTOGRAPHY", False)
    generator.write_archive(tmp_path / "again", days=130, seed=SEED, end_day=END_DAY)
    everything = files(sample_root, "*")
    assert files(tmp_path / "again", "*") == everything
    sample = {path: data for path, data in everything.items() if path.endswith(".json.gz")}
    assert len(sample) > 8000
    # another seed, another archive: its first day (no incident planted yet) written alone, beside
    # the same day written alone with the sample's seed, which is the sample's day
    first = END_DAY - timedelta(days=129)
    for seed in (SEED, SEED + 1):
        generator.write_archive(
            tmp_path / str(seed), days=1, seed=seed, end_day=first, plant_incidents=False, digests=False
        )
    alone = files(tmp_path / str(SEED))  # (the day's last minutes are delivered the next day)
    assert {path: sample.get(path) for path in alone} == alone and len(alone) > 30
    other = files(tmp_path / str(SEED + 1))
    assert other and set(other).isdisjoint(sample)


def test_too_few_days_for_the_incidents_is_refused(tmp_path):
    with pytest.raises(UsageError):
        generator.write_archive(tmp_path, days=30)


def test_pruned_reading_loses_no_event_of_the_window(engine, sample_root):
    import gzip
    import json

    start, end = "2025-03-10T12:00:00Z", "2025-03-12T00:00:00Z"
    expected = 0
    for path in sample_root.rglob("CloudTrail/*/*/*/*/*.json.gz"):  # log files, not digests
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            expected += start <= record["eventTime"] < end
    result = engine.run(TrailQuery.parse("SELECT count(*) FROM trail", window.parse(start=start, end=end)))
    assert result.rows[0][0] == expected > 0
    # Day folders 03/10..03/12 hold the window; files delivered before its start are not opened.
    assert result.report.files_selected < len(
        list(sample_root.rglob("CloudTrail/*/2025/03/1[012]/*.json.gz"))
    )


def test_the_sample_command_refuses_a_folder_that_is_not_empty(capsys, tmp_path):
    from conftest import run_in_process

    (tmp_path / "notes.txt").write_text("mine")
    code, out, err = run_in_process(capsys, "sample", str(tmp_path), "--end", "2025-03-31")
    assert code == 2 and out == "" and "is not empty (1 entries)" in err and "--force" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # nothing written


def test_the_default_seeds_key_is_the_one_generated_from_the_seed():
    """The default seed's key is kept as its primes (the pure-Python search took a second of every
    `sample`): they are the ones `rsa.generate` finds from the seed (another seed's key is
    generated)."""
    from toolkit.integrity import rsa
    from toolkit.sample import digests

    assert digests.sample_key(SEED) == digests.generated_key(SEED)
    assert digests.sample_key(SEED) == rsa.from_primes(digests.sample_key(SEED).p, digests.sample_key(SEED).q)
    assert list(digests._DEFAULT_SEED_PRIMES) == [SEED]
