"""Find CloudTrail log files on disk in CloudTrail's own layout and pick the ones a query needs.

Layout, under any prefix: `AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz`.
Digest (`CloudTrail-Digest/`), Insight (`CloudTrail-Insight/`) and any other file are never
read as events; they are counted as ignored. Reading is by path only: which files a query opens
is decided by their account, region and day folders.
"""

from __future__ import annotations

import filecmp
import os
import re
import stat
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, NamedTuple

from toolkit.core import schema
from toolkit.errors import SourceError, UsageError
from toolkit.sources import layout


@dataclass(frozen=True)
class LogFile:
    path: str
    account: str
    region: str
    day: date
    org_id: str | None = None
    delivered: datetime | None = None  # from the file name; every event in the file is older


@dataclass
class Archive:
    """Every log file found under `root`, and how many other files were passed over."""

    root: Path
    files: list[LogFile]
    ignored: int = 0
    org_ids: set[str] = field(default_factory=set)
    #: Entries that could hold events but were not read, with why: symbolic links, non-regular
    #: files, unreadable folders, log-named files outside the day folders of CloudTrail's layout.
    passed_over: list[tuple[str, str]] = field(default_factory=list)
    #: Log files found twice by name with different bytes (path, the other's path): both are read.
    versions: list[tuple[str, str]] = field(default_factory=list)

    def days(self) -> str:
        """Its first and last day folders: "2024-11-22 to 2025-04-01" (files are sorted by day)."""
        return f"{self.files[0].day} to {self.files[-1].day}"

    def select(
        self,
        delivered: tuple[datetime | None, datetime | None] = (None, None),
        accounts: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> list[LogFile]:
        """The files of these accounts and regions (empty = all) delivered within `delivered`.

        Delivery is read from the file name, or else bounded by the day folder (the UTC day of
        delivery). A file holds only events that happened before its delivery.
        """
        wanted = _Scope(delivered, accounts, regions)
        return [log for log in self.files if wanted(log.account, log.region, log.day, log.delivered)]

    def passed_over_in(
        self,
        delivered: tuple[datetime | None, datetime | None] = (None, None),
        accounts: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> list[tuple[str, str]]:
        """The passed-over entries a query over this scope could have needed: those whose place
        (day folder, or CloudTrail file name) falls in it, and every one whose place is unknown."""
        wanted = _Scope(delivered, accounts, regions)
        chosen = []
        for path, reason in self.passed_over:
            # A folder may hold anything, a whole layout of other days included (the folders
            # above AWSLogs/ may be named anything): it concerns every query.
            folder = reason.startswith("folder cannot be listed") or os.path.isdir(path)
            place = None if folder else _place(path)
            if place is None or wanted(*place):
                chosen.append((path, reason))
        return chosen


class _Scope:
    """Whether a log file's account, region, day folder and delivery time are in a query's scope."""

    def __init__(
        self,
        delivered: tuple[datetime | None, datetime | None],
        accounts: Iterable[str],
        regions: Iterable[str],
    ) -> None:
        self.earliest, self.latest = delivered
        self.first_day = self.earliest.date() if self.earliest else None
        self.last_day = self.latest.date() if self.latest else None
        self.accounts, self.regions = set(accounts), {r.lower() for r in regions}

    def __call__(self, account: str, region: str, day: date, delivered: datetime | None) -> bool:
        if (self.first_day and day < self.first_day) or (self.last_day and day > self.last_day):
            return False
        if (self.accounts and account not in self.accounts) or (self.regions and region not in self.regions):
            return False
        if delivered and self.earliest and delivered + timedelta(minutes=1) <= self.earliest:
            return False  # delivered (to the minute) before the window began
        return not (delivered and self.latest and delivered > self.latest)


#: What a log file's name may not hold: a control character (DEL too) or a backslash.
_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x1f\x7f\\]")

#: A log file's name as CloudTrail writes it: account, region and delivery time.
_LOG_NAME = re.compile(
    rf"(?P<account>{layout.ACCOUNT})_CloudTrail_(?P<region>[a-z0-9-]+)_[0-9]{{8}}T[0-9]{{4}}Z_", re.ASCII
)


def _place(path: str) -> tuple[str, str, date, datetime | None] | None:
    """Account, region, day and delivery time of a passed-over file, as far as its path tells:
    its day folder, else its CloudTrail file name."""
    where = layout.locate(path)
    if where is not None and where.kind == layout.LOGS:
        return where.account, where.region, where.day, layout.delivered_at(where.name)
    name = os.path.basename(path)
    named, delivered = _LOG_NAME.match(name), layout.delivered_at(name)
    if named is None or delivered is None:
        return None
    return named["account"], named["region"], delivered.date(), delivered


def parse_log_path(path: str) -> LogFile | None:
    """The partition values of a log file's path, or None when it is not a log file's path."""
    where = layout.locate(path)
    if where is None or where.kind != layout.LOGS or not layout.is_log_name(where.name):
        return None
    return LogFile(
        path, where.account, where.region, where.day, where.org_id, layout.delivered_at(where.name)
    )


def scan(root: str | os.PathLike[str], *, strict: bool = False) -> Archive:
    """Walk `root` and classify every entry; raises SourceError if it holds no CloudTrail logs.

    Log files are read from the day folders of CloudTrail's layout only. Symbolic links are not
    followed; they, non-regular files, folders that cannot be listed and log-named files outside
    the layout are passed over and listed in `Archive.passed_over` (fatal when `strict`).
    """
    base = Path(root).expanduser()
    if not base.exists():
        raise SourceError(
            f"source {str(base)!r} does not exist",
            "give the directory holding AWSLogs/",
        )
    if not base.is_dir():
        raise SourceError(
            f"source {str(base)!r} is not a directory",
            "give the directory holding AWSLogs/",
        )
    resolved = str(base.resolve())
    if not is_utf8(resolved):
        raise SourceError(
            f"source '{shown_path(resolved)}': its path is not UTF-8 text (DuckDB opens files by UTF-8 "
            "paths only)",
            "rename the folder whose name is not UTF-8 (convmv converts such names), or copy the "
            "archive to a folder whose path is UTF-8",
        )
    files: list[LogFile] = []
    passed: list[tuple[str, str]] = []
    ignored = 0
    pending = [resolved]
    while pending:
        directory = pending.pop()
        utf8_folder = is_utf8(directory)
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as error:
            passed.append((directory, f"folder cannot be listed: {error.strerror or error}"))
            continue
        # The folder says account, region and day: parsed once per folder, not once per file.
        where = layout.locate(os.path.join(directory, "_"))
        in_day_folder = where is not None and where.kind == layout.LOGS
        for entry in entries:
            try:
                if entry.is_symlink():
                    passed.append((entry.path, "symbolic link, not followed"))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                regular = entry.is_file(follow_symlinks=False)
            except OSError as error:
                passed.append((entry.path, f"cannot be examined: {error.strerror or error}"))
                continue
            looks_like_log = layout.is_log_name(entry.name) and (
                in_day_folder or entry.name.endswith(".json.gz") or "_CloudTrail_" in entry.name
            )
            if where is not None and where.kind != layout.LOGS:
                ignored += 1  # digests and Insights events have folders of their own
            elif not looks_like_log:
                ignored += 1
            elif not regular:
                passed.append((entry.path, "not a regular file"))
            elif _CONTROL_OR_BACKSLASH.search(entry.name):
                passed.append((entry.path, "a control character or backslash in its name"))
            elif not in_day_folder:  # (renamed or not, it would not be read: said first)
                passed.append((entry.path, OUTSIDE_LAYOUT))
            elif not (utf8_folder and is_utf8(entry.name)):
                passed.append((entry.path, NOT_UTF8))
            else:
                assert where is not None
                delivered = layout.delivered_at(entry.name)
                files.append(
                    LogFile(entry.path, where.account, where.region, where.day, where.org_id, delivered)
                )
    files.sort(key=lambda f: (f.day, f.account, f.region, f.path))
    versions: list[tuple[str, str]] = []
    files = _first_copies(files, passed, versions)
    passed.sort()
    if strict and passed:
        raise refusal(passed)
    if not files:
        outside = [path for path, reason in passed if reason == OUTSIDE_LAYOUT]
        if outside:
            raise SourceError(
                f"no CloudTrail log files in the day folders under {str(base)!r}: {len(outside):,} log "
                f"file(s) lie outside them (e.g. {outside[0]})",
                "lay them out as AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ (the account, region"
                " and day are in each file's name): trailcsi reads only that layout",
            )
        raise SourceError(
            f"no CloudTrail log files under {str(base)!r} ({ignored} other files)",
            "expected AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz",
        )
    return Archive(base, files, ignored, {f.org_id for f in files if f.org_id}, passed, versions)


OUTSIDE_LAYOUT = "outside the day folders of CloudTrail's layout"
SECOND_COPY = "a second copy of a log file read elsewhere under the source (same name, same bytes)"
NOT_UTF8 = "a name in its path is not UTF-8 text, which DuckDB cannot open: rename it to read the file"


def is_utf8(path: str) -> bool:
    """Whether a path (as Python gives it: bytes that are not UTF-8 as lone surrogates) is UTF-8
    text, which DuckDB takes; a path that is not cannot even be handed to it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_utf8(folder: str | os.PathLike[str], what: str, hint: str) -> None:
    """A UsageError if a folder trailcsi has DuckDB read or write in is not UTF-8 text."""
    text = str(folder)
    if not is_utf8(text):
        raise UsageError(f"{what} '{shown_path(text)}' is not UTF-8 text, which DuckDB cannot open", hint)


#: What to do when the folder of trailcsi's own files is not UTF-8 text.
SET_CACHE_HOME = "set XDG_CACHE_HOME to a folder whose path is UTF-8"


def shown_path(path: str) -> str:
    """A path as text for a message: each byte that is not UTF-8 written `\\xNN` (the path itself,
    as Python holds it, cannot be written as UTF-8)."""
    return path if is_utf8(path) else os.fsencode(path).decode("utf-8", "backslashreplace")


def _first_copies(
    files: list[LogFile], passed: list[tuple[str, str]], versions: list[tuple[str, str]]
) -> list[LogFile]:
    """The files, each CloudTrail log file once. CloudTrail names every file it delivers uniquely
    (account, region, time, a random part): a name found twice with the same bytes is a copy (two
    syncs of one bucket side by side), which would count each of its events twice. The copy
    nearest the source's root is read (as a digest names its files: beside it, under the same
    prefix; a copy dropped into a folder that sorts first does not displace it), the others passed
    over and said. Two files of one name whose bytes differ are both read (neither is hidden: one
    is not what CloudTrail delivered) and listed in `versions`."""
    by_name: dict[str, list[LogFile]] = {}
    for log in files:
        by_name.setdefault(os.path.basename(log.path), []).append(log)
    if len(by_name) == len(files):
        return files  # every name once (as CloudTrail delivers them)
    kept = []
    for log in files:
        group = by_name[os.path.basename(log.path)]
        first = min(group, key=lambda f: (len(Path(f.path).parts), f.path)) if len(group) > 1 else log
        if log is first:
            kept.append(log)
        elif _same_bytes(first.path, log.path):
            passed.append((log.path, SECOND_COPY))
        else:
            versions.append((log.path, first.path))
            kept.append(log)
    return kept


def _same_bytes(one: str, other: str) -> bool:
    try:
        return os.stat(one).st_size == os.stat(other).st_size and filecmp.cmp(one, other, shallow=False)
    except OSError:
        return False


def versions_note(versions: list[tuple[str, str]]) -> str:
    """One line for log files found in two versions (same name, different bytes)."""
    path, other = versions[0]
    return (
        f"{len(versions):,} log file(s) exist in two versions under the source, same CloudTrail name"
        f" but different bytes (e.g. {path} and {other}): both are read, so their events may be"
        " counted twice and one version is not what CloudTrail delivered (trailcsi verify tells which"
        " a digest vouches for)"
    )


def refusal(passed: list[tuple[str, str]]) -> SourceError:
    """The error `--strict` gives for entries that were passed over (the first, and a count)."""
    path, reason = passed[0]
    more = f" (and {len(passed) - 1} more)" if len(passed) > 1 else ""
    return SourceError(
        f"{shown_path(path)}: {reason}{more}", "fix or remove it, or drop --strict to pass over it"
    )


def passed_over_note(passed: list[tuple[str, str]]) -> str:
    """One line for entries of the archive that were not read, by reason, with an example."""
    reasons: dict[str, list[str]] = {}
    for path, reason in passed:
        reasons.setdefault(reason, []).append(path)
    parts = [
        f"{len(paths):,} {reason} (e.g. {shown_path(paths[0])})" for reason, paths in sorted(reasons.items())
    ]
    entries = "entry of the archive was" if len(passed) == 1 else "entries of the archive were"
    return f"{len(passed):,} {entries} not read: " + "; ".join(parts)


#: Bytes read, and at most decompressed, at a time while a file is checked.
CHUNK = 1 << 20
_RECORDS_KEY = b'"Records"'
#: The Kelvin sign, as UTF-8 or a JSON escape: the one character Trino's JSON reader, which
#: matches keys in Java's lower case, reads as an ASCII letter (`access\u212aeyId` fills
#: `accessKeyId`); DuckDB's reader, folding ASCII only, does not. (The long s, the dotless i and
#: the capital I with a dot stay themselves in Java's lower case: checked on Trino 476.)
_KELVIN_SIGN = "\u212a"
_KELVIN = re.compile(rb"\xe2\x84\xaa|\\u212[aA]")
#: Bytes one of which each of its spellings holds (found fast; the pattern then looks).
_KELVIN_LEADS = (b"\xe2\x84\xaa", b"\\u")
_AFTER_KEY = 256
_NOT_AN_OBJECT = 'not a CloudTrail log file (expected a JSON object {"Records": [...]})'


class Inspection(NamedTuple):
    problem: str | None  # why the file must not be read, or None
    size: int  # uncompressed bytes
    #: The gzip header has a comment or a header CRC (valid gzip, which DuckDB's reader refuses):
    #: read it through `plain_header_copy` (said by `quick_look`).
    needs_plain_header: bool = False


#: gzip header flags DuckDB's reader does not accept: FHCRC and FCOMMENT.
_UNREAD_FLAGS = 0x02 | 0x10


def inspect(path: str) -> Inspection:
    """Check a log file whole, and tell its uncompressed size.

    The whole file is
    decompressed, so gzip's CRC-32 and length checks hold for every member (a corrupt byte is
    never read as data); any gzip header (FEXTRA, FNAME, FCOMMENT, FHCRC) is accepted. The JSON
    must be an object with a `Records` key, anywhere among its keys. Files that could hold more
    than that one key or document (the key twice, several gzip members) are parsed exactly.
    """
    opened = open_regular(path)
    if isinstance(opened, Inspection):
        return opened
    try:
        with opened as handle:
            head = handle.read(CHUNK)
            scan = _TextScan()
            if head[:2] == b"\x1f\x8b":
                problem, members = _check_gzip(handle, head, scan)
            elif path.endswith(".gz"):
                return Inspection(
                    "empty" if not head else "not gzip-compressed although named .gz", len(head)
                )
            else:
                problem, members = None, 1
                chunk = head
                while chunk:
                    scan.feed(chunk)
                    chunk = handle.read(CHUNK)
    except OSError as error:
        return Inspection(f"cannot be read: {error.strerror}", 0)
    if not problem:
        if scan.first is None:
            problem = "empty"
        elif scan.first != b"{":
            problem = _NOT_AN_OBJECT
        elif not scan.records:
            problem = 'not a CloudTrail log file (its JSON object has no "Records" key)'
        elif scan.records > 1 or members > 1 or not scan.records_start_an_array_of_objects() or scan.kelvin:
            problem = exact_shape(path)
    return Inspection(problem, scan.size)


def open_regular(path: str) -> BinaryIO | Inspection:
    """The file opened for reading, or why not: it cannot be opened or is not a regular file.
    O_NONBLOCK: a FIFO put in a log file's place cannot block the open."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        return Inspection(f"cannot be opened: {error.strerror}", 0)
    handle = os.fdopen(descriptor, "rb")
    try:
        regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError as error:
        handle.close()
        return Inspection(f"cannot be examined: {error.strerror}", 0)
    if not regular:
        handle.close()
        return Inspection("not a regular file", 0)
    return handle


def quick_look(path: str) -> Inspection:
    """What a log file's first bytes and gzip trailer say (about 20 µs a file): a regular file,
    gzip (or plain JSON) holding a JSON object, its uncompressed size from the trailer. The whole
    file is checked by `inspect`, which queries run side by side with this cheap look."""
    opened = open_regular(path)
    if isinstance(opened, Inspection):
        return opened
    try:
        with opened as handle:
            head = handle.read(4096)
            size = handle.seek(0, os.SEEK_END)
            if head[:2] == b"\x1f\x8b" and size >= 18:
                handle.seek(-4, os.SEEK_END)
                size = int.from_bytes(handle.read(4), "little")
    except OSError as error:
        return Inspection(f"cannot be read: {error.strerror}", 0)
    if head[:2] == b"\x1f\x8b":
        try:
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 256)
        except zlib.error:
            return Inspection("corrupt gzip data", size)
    elif path.endswith(".gz"):
        return Inspection("empty" if not head else "not gzip-compressed although named .gz", size)
    else:
        text = head[:256]
    stripped = text.lstrip()
    if not stripped and len(head) < 32:
        return Inspection("empty", size)
    if stripped and not stripped.startswith(b"{"):
        return Inspection(_NOT_AN_OBJECT, size)
    return Inspection(None, size, head[:2] == b"\x1f\x8b" and len(head) > 3 and bool(head[3] & _UNREAD_FLAGS))


class _TextScan:
    """What the decompressed text says so far: its size, first non-blank byte, `"Records"` count."""

    def __init__(self) -> None:
        self.size = 0
        self.first: bytes | None = None
        self.records = 0
        self.after_key = b""  # what follows the first `"Records"`: `: [` and the first item
        self.kelvin = False  # holds the Kelvin sign (Java's lower case reads it as k)
        self._carry = b""

    def feed(self, text: bytes) -> None:
        self.size += len(text)
        if self.first is None:
            stripped = text.lstrip()
            if stripped:
                self.first = stripped[:1]
        # Counted without joining the chunks (a copy of each would hold the GIL): the key found
        # whole in this chunk, plus once where it straddles the previous chunk's end.
        edge = self._carry + text[: len(_RECORDS_KEY) - 1]
        found = edge.count(_RECORDS_KEY) + text.count(_RECORDS_KEY)
        if self.records and len(self.after_key) < _AFTER_KEY:
            self.after_key += text[: _AFTER_KEY - len(self.after_key)]
        elif found and not self.records:
            joined = edge if _RECORDS_KEY in edge else text
            at = joined.index(_RECORDS_KEY) + len(_RECORDS_KEY)
            self.after_key = joined[at : at + _AFTER_KEY]
            if joined is edge:
                self.after_key += text[len(edge) - len(self._carry) :][: _AFTER_KEY - len(self.after_key)]
        self.records += found
        if not self.kelvin and any(lead in edge or lead in text for lead in _KELVIN_LEADS):
            self.kelvin = bool(_KELVIN.search(edge) or _KELVIN.search(text))
        self._carry = (self._carry + text)[-(len(_RECORDS_KEY) - 1) :] if len(text) < 8 else text[-8:]

    def records_start_an_array_of_objects(self) -> bool:
        """Whether `"Records"` is followed by `: [` and an object or the array's end (or only
        blanks as far as was looked)."""
        return re.match(rb"\s*(?::\s*(?:\[\s*(?:[{\]].*)?)?)?$", self.after_key, re.S) is not None


def _check_gzip(handle: object, data: bytes, scan: _TextScan) -> tuple[str | None, int]:
    """Decompress every member, bounded in memory; returns (problem or None, members)."""
    read = handle.read  # type: ignore[attr-defined]
    members = 0
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        if not data:
            data = read(CHUNK)
            if not data:
                return "truncated: the gzip data ends before its trailer", members
        try:
            scan.feed(decompressor.decompress(data, CHUNK))
        except zlib.error as error:
            text = str(error)
            if "incorrect data check" in text or "incorrect length check" in text:
                return "corrupt: the gzip CRC-32 or length check fails", members
            return f"corrupt gzip data ({text.split(': ', 1)[-1]})", members
        if not decompressor.eof:
            data = decompressor.unconsumed_tail
            continue
        members += 1
        rest = decompressor.unused_data + read()
        if not rest.strip(b"\0"):
            return None, members  # the end, or zero padding after it (gzip accepts both)
        if rest[:2] != b"\x1f\x8b":
            return "corrupt: data follows the gzip stream", members
        decompressor, data = zlib.decompressobj(16 + zlib.MAX_WBITS), rest


def _read_as_kelvin(value: object, fields: tuple[schema.Field, ...]) -> str | None:
    """The first key of this object, or of the objects nested in it that Athena reads as structs
    (not the JSON text of `requestParameters` and its kind, not a map's keys), holding the Kelvin
    sign and read by Trino as one of the keys of `fields` (in Java's lower case)."""
    if not isinstance(value, dict):
        return None
    by_key = {f.key.lower(): f for f in fields}
    for key, member in value.items():
        if _KELVIN_SIGN in str(key) and str(key).replace(_KELVIN_SIGN, "k").lower() in by_key:
            return str(key)
        field = by_key.get(key.lower())
        if field is None or field.kind not in ("struct", "array"):
            continue
        items = member if field.kind == "array" and isinstance(member, list) else [member]
        for item in items:
            found = _read_as_kelvin(item, field.fields)
            if found is not None:
                return found
    return None


def exact_shape(path: str) -> str | None:
    """Parse the whole file: one JSON object, `Records` once in it, an array of objects, and no
    key that Trino's reader would match to one of CloudTrail's keys but DuckDB's would not."""
    import gzip
    import json

    counts: list[int] = []  # per object, in the order objects end: the outermost one is last

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        counts.append(sum(1 for key, _value in items if key == "Records"))
        return dict(items)

    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                text = handle.read().lstrip()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().lstrip()
        document, end = json.JSONDecoder(object_pairs_hook=pairs).raw_decode(text)
    except RecursionError:
        return None  # nested deeper than Python parses: DuckDB's reader, which does, decides
    except (OSError, ValueError, EOFError) as error:
        return f"not valid JSON ({str(error).splitlines()[0]})"
    if text[end:].strip():
        return "holds more than one JSON document (a log file holds one)"
    if not isinstance(document, dict):
        return _NOT_AN_OBJECT
    if counts[-1] > 1:
        return 'the "Records" key appears twice in its JSON object (which one counts is ambiguous)'
    records = document.get("Records")
    if not isinstance(records, list):
        return 'not a CloudTrail log file ("Records" is not an array)'
    others = [at for at, record in enumerate(records, 1) if not isinstance(record, dict)]
    if others:
        value = records[others[0] - 1]
        kind = _JSON_KINDS.get(type(value), "a value")
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in json.dumps(value)[:60])
        more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
        return f'item {others[0]} of "Records" is {kind} ({shown}), not a JSON object{more}'
    for record in records:
        kelvin = _read_as_kelvin(record, schema.EVENT_COLUMNS)
        if kelvin is not None:
            return (
                f"the key {json.dumps(kelvin)} (a Kelvin sign for its k) is CloudTrail's key "
                f"{kelvin.replace(_KELVIN_SIGN, 'k')!r} when read as Trino reads keys (in Java's lower "
                "case), and no key to DuckDB's reader: which field Athena fills is ambiguous"
            )
    return None


_JSON_KINDS = {int: "a number", float: "a number", str: "a string", list: "an array", bool: "a boolean"}
_JSON_KINDS[type(None)] = "null"


def plain_header_copy(path: str, target: str) -> None:
    """Copy a gzip file to `target` with its header's comment and header CRC left out; the
    compressed data and the trailer (CRC-32, length) are copied byte for byte."""
    with open(path, "rb") as handle:
        data = handle.read()
    flags, at = data[3], 10
    if flags & 0x04:  # FEXTRA: two length bytes, then the field
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    if flags & 0x08:  # FNAME: zero-terminated
        at = data.index(b"\0", at) + 1
    kept_end = at
    if flags & 0x10:  # FCOMMENT: zero-terminated
        at = data.index(b"\0", at) + 1
    if flags & 0x02:  # FHCRC: two bytes
        at += 2
    header = data[:3] + bytes([flags & ~_UNREAD_FLAGS & 0xFF]) + data[4:kept_end]
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(header + data[at:])
