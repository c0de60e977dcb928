"""Shared fixtures: the sample archive, and every corpus in tests/data/corpora laid out as an archive."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from toolkit.core.window import Window
from toolkit.sample import generator, incidents

#: The user's XDG_CACHE_HOME before `pytest_configure` replaces it: the conformance tests look for a
#: fetched Trino server there (see tests/conformance). Kept in the environment for pytest-xdist's
#: workers, which start with the replaced value.
if "TRAILCSI_TESTS_USER_XDG_CACHE_HOME" not in os.environ:
    os.environ["TRAILCSI_TESTS_USER_XDG_CACHE_HOME"] = os.environ.get("XDG_CACHE_HOME", "")
USER_XDG_CACHE_HOME = os.environ["TRAILCSI_TESTS_USER_XDG_CACHE_HOME"] or None


#: The run's scratch directory (its cache and config), removed when the run ends.
_SCRATCH = pytest.StashKey[Path]()


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(_SCRATCH, None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    """Tests (and the CLI processes they start) use their own cache and config directories: nothing
    is written to the user's home, and the user's own templates cannot change the results."""
    scratch = Path(tempfile.mkdtemp(prefix="trailcsi-tests-"))
    config.stash[_SCRATCH] = scratch
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(scratch / "config")
    if getattr(config.option, "numprocesses", None) and "TRAILCSI_THREADS" not in os.environ:
        # pytest-xdist runs more workers than cores: one thread each does the same work with less
        # CPU (DuckDB's threads contend for the cores the other workers use). The interrupt tests and
        # the measured processes (peak RSS) run with the default, every core.
        os.environ["TRAILCSI_THREADS"] = "1"


@pytest.hookimpl(trylast=True, specname="pytest_configure")  # (after pytest's: its temporary paths)
def pytest_configure_makes_first(config: pytest.Config) -> None:
    """Under pytest-xdist, in a run of the whole suite, the controlling process makes what most
    workers need (the event-name index, the sample, every template's rows on it, its columnar
    cache) on a thread of its own while the workers start and collect. At the start of a run one
    worker made each while the others waited for it, a core idle; now a worker finds it made, or
    waits for the thread. Each is made once either way (the lock and mark of `once_per_run`:
    whoever takes the lock first makes it). Another thread removes the earlier runs' temporary
    directories meanwhile (`_remove_old_runs`; in a whole run only: a short one could end before
    it, leaving a directory half removed)."""
    if not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        return
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if not whole or config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False):
        return  # (a run of some tests: they may need none of it)
    shared = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # the workers' `shared_dir`

    def make() -> None:
        try:
            from toolkit.core import names

            names_index(shared, names.NameIndex.build.__func__)  # type: ignore[attr-defined]
            sample_root_in(shared)
            every_template_on_the_files_in(shared)
            sample_cache_in(shared)
        except Exception:  # noqa: S110  (a worker makes it then, and its tests fail with the error)
            pass

    threading.Thread(target=make, name="made-first", daemon=True).start()
    kept = int(config.getini("tmp_path_retention_count"))
    if config.option.basetemp is None and config.getini("tmp_path_retention_policy") != "none" and kept > 0:
        # (with none kept, pytest locks no directory, this run's own among them: it removes them at
        # the end only)
        threading.Thread(target=_remove_old_runs, args=(shared, kept), name="old-runs", daemon=True).start()


def _remove_old_runs(basetemp: Path, keep: int) -> None:
    """The earlier runs' temporary directories pytest no longer keeps (tmp_path_retention_count),
    removed while this run's tests run. pytest removes them when the run ends, the controlling
    process busy meanwhile: a run's directory holds some 100,000 files (the tests write whole
    archives), and removing one took 20 to 30 s at the end of every run on this project's 2-core
    machine. The same removal as pytest's (its lock taken, then renamed away): pytest finds it
    done, or does what is left."""
    from _pytest.pathlib import LOCK_TIMEOUT, cleanup_numbered_dir

    try:
        cleanup_numbered_dir(basetemp.parent, "pytest-", keep, basetemp.stat().st_mtime - LOCK_TIMEOUT)
    except OSError:  # (pytest tries again when the run ends)
        pass


#: Of the conformance tests' questions to Trino: how many the server answered, how many were
#: answered from its earlier answers (tests/conformance/conftest.py's Oracle; summed over workers).
_TRINO_ANSWERS: dict[str, int] = defaultdict(int)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        for name, counts in report.user_properties:
            if name == "trino answers":
                for kind, count in counts.items():
                    _TRINO_ANSWERS[kind] += count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Why tests were skipped, a line a reason with how many, whatever `-q` or `-rs` says (under
    pytest-xdist the reports reach this process; the reasons say what to install or fetch); and
    how Trino answered the conformance tests."""
    if _TRINO_ANSWERS:
        terminalreporter.write_line(
            f"Trino's answers: {_TRINO_ANSWERS['asked']:,} asked of the server, "
            f"{_TRINO_ANSWERS['recalled']:,} it gave before (TRAILCSI_TRINO_FRESH=1 asks every one)"
        )
    reasons: dict[str, int] = defaultdict(int)
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reasons[str(reason).removeprefix("Skipped: ")] += 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count:,} skipped: {reason}", yellow=True)


#: The longest tests (10 to 30 s each on 2 cores), run first: pytest-xdist hands out the tests in
#: their order, and one of these among the last kept a worker busy alone for 20 s at the end of a
#: run, the others done.
RUN_FIRST = (
    "tests/test_help.py::test_the_examples_run_as_printed",
    "tests/test_demo.py::test_demo_finds_every_planted_incident_and_reuses_its_archive",
    "tests/test_cache.py::test_the_cache_gives_the_raw_results_on_every_corpus",
    "tests/test_sample.py::test_same_seed_same_bytes",
    "tests/test_case_athena.py::test_an_athena_case_cites_what_a_local_case_cites",
    "tests/test_sweep.py::test_sweep_summary_and_min_severity",
    "tests/test_suppress.py::test_sweep_reports_suppressions_and_lists_them_on_request",
    "tests/test_verify.py::test_from_s3_the_newest_digests_are_authenticated_by_their_metadata",
)


@pytest.hookimpl(trylast=True)  # (after pytest's own ordering, by fixture)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "failedfirst", False) or getattr(config.option, "newfirst", False):
        return  # (the order asked for: --ff, --nf)
    first = sorted(
        (item for item in items if item.nodeid in RUN_FIRST), key=lambda i: RUN_FIRST.index(i.nodeid)
    )
    if first:
        rest = [item for item in items if item.nodeid not in RUN_FIRST]
        items[:] = first + rest


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): more workers than cores, cores // 2 more (one at least,
    four at most: three on two cores). About a sixth of the suite's time is tests waiting, not computing
    (processes they start, signals, timeouts, files another worker is writing): a worker more than
    the cores computes meanwhile (on 2 cores: 4.8 minutes, against 5.3 with a worker a core).
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, is pytest-xdist's to honour."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + max(1, min(4, cores // 2))


END_DAY = date(2025, 3, 31)
SEED = 7
#: Real CloudTrail data nobody on this project wrote, copied into the repository with each
#: corpus's SOURCE.md (where it comes from, its license): a plain clone needs nothing beside it.
CORPORA = Path(__file__).resolve().parent / "data" / "corpora"


def corpus_path(*parts: str) -> Path:
    path = CORPORA.joinpath(*parts)
    assert path.exists(), f"corpus file {path} is missing from the repository"
    return path


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary directory that every pytest-xdist worker sees (its own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def once_per_run(shared: Path, name: str) -> Iterator[bool]:
    """Held by one worker at a time; yields whether `name` is still to be made (then marked made
    when the block ends without an error)."""
    import fcntl

    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = shared / f"{name}.complete"
        yield not complete.exists()
        complete.touch()


@pytest.fixture(scope="session", autouse=True)
def _event_names_indexed_once_a_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The event-name index is built from botocore's models (about 5 CPU-seconds) once for the
    run, not once a pytest-xdist worker: the first worker builds it into the run's shared temporary
    directory, the others read it. Tests of the building replace `build` again."""
    from toolkit.core import names

    shared = shared_dir(tmp_path_factory)
    build = names.NameIndex.build.__func__  # type: ignore[attr-defined]

    def built_once(cls: type[names.NameIndex]) -> names.NameIndex:
        return names_index(shared, build)

    patch = pytest.MonkeyPatch()
    patch.setattr(names.NameIndex, "build", classmethod(built_once))
    # and in the worker's cache folder (XDG_CACHE_HOME, `pytest_configure`), where the CLI processes
    # tests start look for it: else the first of them builds it again, a worker
    names.NameIndex.load()
    yield
    patch.undo()


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive, written once for the run: under pytest-xdist the first worker writes it
    in the run's shared temporary directory and the others wait for it (tests never change it)."""
    return sample_root_in(shared_dir(tmp_path_factory))


def names_index(shared: Path, build: Any) -> Any:
    """The event-name index, built by `build` once for the run into `shared`."""
    from toolkit.core import names

    path = shared / f"names-botocore-{names.NameIndex.botocore_version()}.json"
    with once_per_run(shared, path.stem) as to_make:
        if to_make:
            index = build(names.NameIndex)
            path.write_text(json.dumps(index.to_json()), encoding="utf-8")
            return index
    return names.NameIndex.from_json(json.loads(path.read_text(encoding="utf-8")))


def sample_root_in(shared: Path) -> Path:
    """The sample, written once for the run into `shared`."""
    root = shared / f"sample-{SEED}-{END_DAY}"
    with once_per_run(shared, "sample") as to_make:
        if to_make:
            shutil.rmtree(root, ignore_errors=True)  # (a writer that died half-way)
            generator.write_archive(root, days=130, seed=SEED, end_day=END_DAY)
    return root


def sample_cache_in(shared: Path) -> Any:
    """The sample's columnar cache of every day, built once for the run into `shared`."""
    from toolkit.cache import columnar
    from toolkit.core import window

    root = sample_root_in(shared)
    base = shared / "sample-columnar"
    with once_per_run(shared, "sample-columnar") as to_make:
        if to_make:
            shutil.rmtree(base, ignore_errors=True)
            report = build_cache(root, base, window.parse(all_time=True))
            assert report.days_built == report.days_total > 130 * 5
    return columnar.ColumnarCache(root, base)


@pytest.fixture(scope="session")
def sample_cache(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The columnar cache of every day of the sample, built once for the run in the run's shared
    temporary directory (never under XDG_CACHE_HOME, where the CLI looks for a cache: a test reads
    it only through an engine it is given to). For tests of what a query over all time answers,
    not of how log files are read: tests/test_cache.py shows the cache gives the files' rows."""
    return sample_cache_in(shared_dir(tmp_path_factory))


#: The sample's last eleven days (its last day's late events are in the next day's folders): they
#: hold its recent incidents, so that most templates return rows.
RECENT = Window(datetime(2025, 3, 21, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
#: A value for each parameter a template requires.
REQUIRED_EXAMPLES = {"principal": "alice", "service": "s3"}


@dataclass(frozen=True)
class TemplateRun:
    sql: str  # the query's tree as SQL text: what the rows answer
    columns: list[str]
    rows: list[tuple[Any, ...]]
    error: str | None = None  # what the run raised, if it did

    def ran(self, sql: str) -> TemplateRun:
        """Itself, once shown to be the answer to `sql` (a query's tree as SQL text) and to have
        run without an error: else the test fails here, with the error."""
        assert self.error is None, self.error
        assert self.sql == sql, "not the same query"
        return self


def recent_query(template: Any) -> Any:
    """The template rendered over RECENT, its required parameters given REQUIRED_EXAMPLES."""
    from toolkit.templates.render import render

    values = {p.name: REQUIRED_EXAMPLES[p.name] for p in template.params if p.required}
    return render(template, values, RECENT)


@pytest.fixture(scope="session")
def every_template_on_the_files(
    sample_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, TemplateRun]:
    """Every template of the catalog run over RECENT by the local engine on the sample's log files
    (no columnar cache), by name. Run once for the whole run (kept in the run's shared temporary
    directory, as `sample_root` is): the test that every template runs, and the tests that compare
    another reading (the columnar cache, the Athena double) with the files', share it."""
    return every_template_on_the_files_in(shared_dir(tmp_path_factory))


def every_template_on_the_files_in(shared: Path) -> dict[str, TemplateRun]:
    """`every_template_on_the_files`, run once for the run into `shared`."""
    import pickle

    from toolkit.engines.local import LocalEngine
    from toolkit.templates.catalog import Catalog

    sample_root = sample_root_in(shared)
    kept = shared / "every-template-on-the-files.pickle"
    with once_per_run(shared, "every-template-on-the-files") as to_make:
        if to_make:
            runs: dict[str, TemplateRun] = {}
            engine = LocalEngine(sample_root)
            try:
                for template in Catalog.load().select():
                    try:
                        query = recent_query(template)
                        result = engine.run(query)
                        runs[template.name] = TemplateRun(query.ast.sql(), result.columns, list(result.rows))
                    except Exception as error:  # the test of this template fails with it
                        runs[template.name] = TemplateRun("", [], [], f"{type(error).__name__}: {error}")
            finally:
                engine.close()
            kept.write_bytes(pickle.dumps(runs))
    return pickle.loads(kept.read_bytes())


#: Runs a command as its child, then prints its exit status and the child's peak resident set (KiB).
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
sys.stdout.write(f"{done.returncode} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.stdout.write(done.stdout)
"""


@dataclass(frozen=True)
class Measured:
    code: int
    peak_mib: float
    out: str
    err: str


def measured(args: list[str], cache: Path) -> Measured:
    """`trailcsi args` run as a process of its own, with its exit status, stdout, stderr and peak
    RSS, measured by a process of its own between it and the caller (so no other child of the
    test run counts), with `cache` as its XDG_CACHE_HOME."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "toolkit", *args],
        capture_output=True,
        text=True,
        # none of the caller's trailcsi settings (TRAILCSI_CONFIG: suppressions)
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TRAILCSI_")},
            "XDG_CACHE_HOME": str(cache),
        },
    )
    status, out = done.stdout.split("\n", 1)
    code, kib = status.split()
    return Measured(int(code), int(kib) / 1024, out, done.stderr)


@pytest.fixture(scope="session")
def sample_swept(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """`trailcsi sweep --all-time -f json` over the sample's log files (a cache of its own, empty),
    run once for the whole run as a measured process (`measured`): tests/test_memory.py checks its
    peak RSS, tests/test_sweep.py its findings."""
    import pickle

    shared = shared_dir(tmp_path_factory)
    kept = shared / "sample-swept.pickle"
    with once_per_run(shared, "sample-swept") as to_make:
        if to_make:
            cache = shared / "sample-swept-cache"
            shutil.rmtree(cache, ignore_errors=True)
            swept = measured(["sweep", "--source", str(sample_root), "--all-time", "--format", "json"], cache)
            kept.write_bytes(pickle.dumps(swept))
    return pickle.loads(kept.read_bytes())


@pytest.fixture(scope="session")
def answers() -> incidents.AnswerKey:
    return incidents.answer_key(END_DAY, SEED)


#: The days of the sample whose log files have signed digests (its last 72 hours and the next).
DIGEST_DAYS = ("2025/03/29", "2025/03/30", "2025/03/31", "2025/04/01")


@functools.cache
def files_of_days(sample_root: Path, days: tuple[str, ...]) -> tuple[str, ...]:
    """The sample's log and digest files of these days, by name (the sample is written once a run)."""
    return tuple(
        sorted(
            key
            for path in sample_root.rglob("*.json.gz")
            for key in [path.relative_to(sample_root).as_posix()]
            if any(f"/{day}/" in key for day in days)
        )
    )


def sample_copy(sample_root: Path, root: Path, days: tuple[str, ...] = DIGEST_DAYS) -> Path:
    """The sample's log files and digests of these days, with its public keys and digest
    signatures, copied to `root` as a local copy of the bucket."""
    from toolkit.sample import digests

    folders: set[Path] = set()
    for key in files_of_days(sample_root, days):
        target = root / key
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        shutil.copyfile(sample_root / key, target)
    for name in (digests.PUBLIC_KEYS, digests.METADATA):
        shutil.copyfile(sample_root / name, root / name)
    return root


@pytest.fixture
def copy(sample_root: Path, tmp_path: Path) -> Path:
    """A local copy of the sample's signed days (see `sample_copy`)."""
    return sample_copy(sample_root, tmp_path / "archive")


def keys(root: Path) -> Any:
    """The public keys a sample copy carries (trusted for the caller's run only)."""
    from toolkit.integrity.publickeys import PublicKeys
    from toolkit.sample import digests

    return PublicKeys.load(root / digests.PUBLIC_KEYS)


def build_cache(root: Path, base: Path, scope: Any) -> Any:
    """Build the columnar cache (under `base`) of the day folders a window's queries read."""
    from toolkit.cache import columnar
    from toolkit.engines.local import LocalEngine

    engine = LocalEngine(root)
    try:
        days = columnar.group(engine.archive.select(scope.delivery_span()))
        everything = columnar.group(engine.archive.files)
        return columnar.ColumnarCache(root, base).build({k: everything[k] for k in days}, [engine])
    finally:
        engine.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _partition(record: dict[str, Any]) -> tuple[str, str, str]:
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    account = str(record.get("recipientAccountId") or identity.get("accountId") or "")
    if not re.fullmatch(r"\d{12}", account):
        account = "000000000000"
    region = str(record.get("awsRegion") or "us-east-1").lower()
    if not re.fullmatch(r"[a-z0-9-]+", region):
        region = "us-east-1"
    stamp = str(record.get("eventTime") or record.get("@timestamp") or "")
    day = stamp[:10] if re.match(r"\d{4}-\d{2}-\d{2}", stamp) else "2020-01-01"
    return account, region, day


def with_event_id(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The event with this id, under its own key for it (`eventid` in some of Panther's events):
    readers match keys without case, so a second key `eventID` would give it twice."""
    key = next((k for k in event if k.lower() == "eventid"), "eventID")
    return {**event, key: event_id}


def lay_out(records: list[dict[str, Any]], root: Path, per_file: int = 50) -> Path:
    """Write records as CloudTrail would: grouped by account/region/day, `per_file` a file."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[_partition(record)].append(record)
    for (account, region, day), group in sorted(groups.items()):
        folder = f"AWSLogs/{account}/CloudTrail/{region}/{day.replace('-', '/')}"
        for index in range(0, len(group), per_file):
            name = f"{account}_CloudTrail_{region}_{day.replace('-', '')}T0000Z_{index:06d}.json.gz"
            generator.write_log_file(root, f"{folder}/{name}", group[index : index + per_file])
    return root


@pytest.fixture(scope="session")
def corpus_archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """Each corpus as an archive, with the number of events it holds."""
    made: dict[str, tuple[Path, int]] = {}
    for name, file in (
        ("stratus", "stratus-red-team-detonations/events.jsonl"),
        ("panther", "panther-rule-tests/events.jsonl"),
        ("aws-docs", "aws-docs-examples/events.jsonl"),
        ("otrf", "otrf-cloud-breach-s3/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"),
    ):
        path = CORPORA / file
        records = read_jsonl(path)
        if name == "panther":
            for scenario in sorted((CORPORA / "panther-rule-tests" / "scenarios").glob("*.jsonl")):
                records += read_jsonl(scenario)
        made[name] = (lay_out(records, tmp_path_factory.mktemp(name)), len(records))
    opensearch = CORPORA / "opensearch-catalog-real-sample" / "raw-large-samples.json.gz"
    root = tmp_path_factory.mktemp("opensearch")
    folder = root / "AWSLogs/347283850106/CloudTrail/eu-west-1/2021/12/02"
    folder.mkdir(parents=True)
    shutil.copy(opensearch, folder / "347283850106_CloudTrail_eu-west-1_20211202T2215Z_real.json.gz")
    made["opensearch"] = (root, 840)
    return made


def run_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (moto lives in this process); returns exit code, stdout, stderr."""
    from toolkit import cli

    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["trailcsi", *args]
    try:
        cli.main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err


def finished_in_process(capsys, *args: str) -> Any:
    """`run_in_process` as a finished process (`subprocess.CompletedProcess`: returncode, stdout,
    stderr), for tests written against one."""
    import subprocess

    code, out, err = run_in_process(capsys, *args)
    return subprocess.CompletedProcess(["trailcsi", *args], code, out, err)


def put_in_moto(bucket: str, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
    """Put an object straight into moto's S3 (inside `mock_aws()`, the bucket made), with its user
    metadata (`x-amz-meta-*`): a PutObject request costs tens of CPU-milliseconds of botocore and
    moto, a sample's day hundreds of them, and what tests check is how objects are read."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    stored = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].put_object(bucket, key, body)
    if metadata:
        stored.set_metadata({f"x-amz-meta-{name}": value for name, value in metadata.items()})


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region for moto, and none of the user's AWS or trailcsi settings."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "TRAILCSI_SOURCE", "TRAILCSI_ENGINE", "TRAILCSI_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def con() -> Any:
    """DuckDB with the macros transpiled SQL calls (`toolkit.core.transpile.setup`), in UTC."""
    import duckdb

    from toolkit.core.transpile import setup

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    setup(connection)
    yield connection
    connection.close()


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A gzip stream's id leaves out the time gzip writes into its header, so that pytest-xdist's
    workers, collecting at different seconds, collect the same tests."""
    if isinstance(val, bytes) and val[:2] == b"\x1f\x8b" and len(val) >= 10:
        import hashlib

        return f"gzip-{len(val)}-{hashlib.sha256(val[:4] + val[8:]).hexdigest()[:10]}"
    return None
