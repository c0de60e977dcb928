"""Bundles: many small log files handed to DuckDB's JSON reader as one file.

DuckDB's reader pays a fixed cost per file for every column it builds: on CloudTrail archives,
mostly files of a few kilobytes, that outweighs reading the JSON itself (the sample's 8,490
files: 2.4 s of CPU for one column, 6.7 s for every column; the same JSON as eight files: 0.3 s).
A bundle is one gzip file that holds, for each of its log files, the JSON object
`{"f": <the log file's path>, "d": <the log file's JSON object>}` on a line of its own; the
log file's compressed data is copied as it is, between two small members of the bundle's own.

A log file goes into a bundle only when Python has decompressed it whole (one gzip member whose
CRC-32 and length check, nothing after it) and parsed its text, as UTF-8, as exactly one JSON
object. Its text can then neither close the wrapping object early nor add a member to it, so
DuckDB reads from the bundle what it reads from the file itself. Every other file (a larger
one, or any doubt) is read on its own, as is every file of a bundle DuckDB refuses, so that
DuckDB's error names the file.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from toolkit.sources import archive

#: The wrapping object's keys: the log file's path, and its JSON object.
FILE_KEY = "f"
LOG_KEY = "d"
#: Log files larger than this (uncompressed, as their gzip trailer says) are read on their own:
#: checking a file costs Python about 9 ns a byte (decompressing, then parsing), which passes what
#: reading it alone costs DuckDB (0.3 ms for one column, 0.8 ms for every column) at 30-90 kB.
MAX_FILE_BYTES = 32 << 10
#: A bundle holds about this much JSON at most; a smaller scope is cut into two bundles for each
#: of DuckDB's threads (which read different files side by side), each of MIN_BUNDLE_BYTES or more.
MAX_BUNDLE_BYTES = 16 << 20
MIN_BUNDLE_BYTES = 1 << 20
#: Fewer small files than this (in a scope, or left in a bundle) are read on their own.
MIN_FILES = 2


class Bundle(NamedTuple):
    path: str  # the bundle file
    members: tuple[str, ...]  # the log files it holds, in order
    largest: int  # the largest wrapping object, in bytes (DuckDB's reader buffer must hold it)


class _Seen(NamedTuple):
    """What tells a file's content changed (the change time too: no one can set it back)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


def _seen(path: str) -> _Seen | None:
    try:
        status = os.stat(path)  # (the file read, through a symbolic link)
    except OSError:
        return None
    return _Seen(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _stored_member(data: bytes) -> bytes:
    """`data` as one gzip member of stored (uncompressed) deflate blocks."""
    blocks = []
    for at in range(0, len(data), 0xFFFF):
        block = data[at : at + 0xFFFF]
        final = 1 if at + 0xFFFF >= len(data) else 0
        blocks.append(struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block)
    if not data:
        blocks.append(struct.pack("<BHH", 1, 0, 0xFFFF))
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"".join(blocks) + trailer


_CLOSE = _stored_member(b"}\n")


#: gzip header flags DuckDB's reader takes (FEXTRA, FNAME): a file with another (FTEXT, FHCRC,
#: FCOMMENT, reserved bits) goes into no bundle, whose own header would hide it from DuckDB (read
#: alone, DuckDB refuses FTEXT; FHCRC and FCOMMENT are read through a copy without them).
_READ_FLAGS = 0x04 | 0x08


def _deflate_start(data: bytes) -> int | None:
    """Where a gzip member's deflate data starts, after its header (None: not gzip, or a header
    DuckDB's reader would not take from the file itself)."""
    if len(data) < 18 or data[:3] != b"\x1f\x8b\x08":
        return None
    flags, at = data[3], 10
    if flags & ~_READ_FLAGS:
        return None
    if flags & 0x04:  # FEXTRA
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    if flags & 0x08:  # FNAME: zero-terminated
        end = data.find(b"\0", at)
        if end < 0:
            return None
        at = end + 1
    return at if at < len(data) else None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is no JSON")  # (Python's parser takes NaN and Infinity; JSON does not)


_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_BLANKS = " \t\r\n"  # JSON's blanks


def wrapped(path: str, data: bytes) -> bytes | None:
    """The log file's bytes as they go into a bundle (its object wrapped, as gzip members), or
    None when it must be read on its own: not exactly one gzip member holding one JSON object."""
    start = _deflate_start(data)
    if start is None:
        return None
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        text = decompressor.decompress(data[start:], MAX_FILE_BYTES + 1)
    except zlib.error:
        return None
    trailer = decompressor.unused_data
    if not decompressor.eof or decompressor.unconsumed_tail or len(trailer) != 8:
        return None  # larger than a bundle takes, truncated, or something after the member
    crc, size = struct.unpack("<II", trailer)
    if crc != zlib.crc32(text) or size != len(text) & 0xFFFFFFFF:
        return None
    try:
        decoded = text.decode("utf-8")
        blank = len(decoded) - len(decoded.lstrip(_BLANKS))
        document, end = _DECODER.raw_decode(decoded, blank)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or decoded[end:].strip(_BLANKS):
        return None
    try:
        named = json.dumps(path, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a name that is no text (undecodable bytes): DuckDB would name it otherwise
    opening = _stored_member(b'{"' + FILE_KEY.encode() + b'":' + named + b',"' + LOG_KEY.encode() + b'":')
    # the member's own data and trailer, under a header of the bundle's (no name, comment or CRC)
    return opening + b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + data[start:] + _CLOSE


class Bundler:
    """Makes bundles in `directory` and remembers them (and which files go into none) for as
    long as the files stay as they were."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._made: dict[tuple[str, ...], tuple[Bundle, tuple[_Seen | None, ...]]] = {}
        self._alone: dict[str, _Seen | None] = {}  # files read on their own, as they were seen
        self._count = 0

    def split(
        self,
        paths: Sequence[str],
        sizes: Mapping[str, int],
        threads: int = 1,
        tick: Callable[[], None] | None = None,
    ) -> tuple[list[str], list[Bundle]]:
        """The files to read on their own, and bundles holding the others (in their order);
        `tick` is called now and then while bundles are made (a progress display)."""
        # (a file named otherwise than .gz is read alone as plain JSON, whatever it holds)
        small = [
            p
            for p in paths
            if p.endswith(".gz") and 0 < sizes.get(p, 0) <= MAX_FILE_BYTES and not self._left_alone(p)
        ]
        if len(small) < MIN_FILES:
            return list(paths), []
        total = sum(sizes[p] for p in small)
        target = max(MIN_BUNDLE_BYTES, min(MAX_BUNDLE_BYTES, total // max(1, 2 * threads)))
        groups: list[list[str]] = [[]]
        held = 0
        for path in small:
            if groups[-1] and held + sizes[path] > target:
                groups.append([])
                held = 0
            groups[-1].append(path)
            held += sizes[path]
        bundles = []
        for group in groups:
            bundle = self._bundle(tuple(group))
            if bundle is not None:
                bundles.append(bundle)
            if tick is not None:
                tick()
        bundled = {m for b in bundles for m in b.members}
        return [p for p in paths if p not in bundled], bundles

    def leave_alone(self, bundle: Bundle) -> None:
        """Read the bundle's files on their own from now on (DuckDB refused the bundle)."""
        for path in bundle.members:
            self._alone[path] = _seen(path)
        self._made.pop(bundle.members, None)

    def _left_alone(self, path: str) -> bool:
        if path not in self._alone:
            return False
        if self._alone[path] == _seen(path):
            return True
        del self._alone[path]  # changed since: looked at again
        return False

    def _bundle(self, members: tuple[str, ...]) -> Bundle | None:
        made = self._made.get(members)
        if made is not None and made[1] == tuple(_seen(p) for p in members):
            return made[0]
        parts = []
        kept = []
        seen = []
        largest = 0
        for path in members:
            before = _seen(path)
            data = _read_regular(path, MAX_FILE_BYTES + (1 << 16))
            whole = before is not None and len(data) == before.size and before == _seen(path)
            part = wrapped(path, data) if whole else None
            if part is None:
                self._alone[path] = before
                continue
            parts.append(part)
            kept.append(path)
            seen.append(before)
            # (a character of the name is six in the JSON at most: \u001f)
            largest = max(largest, 6 * len(path.encode("utf-8", "surrogateescape")) + 16 + _size(data))
        if len(kept) < MIN_FILES:
            return None
        self._count += 1
        target = os.path.join(self.directory, f"bundle-{self._count}.json.gz")
        os.makedirs(self.directory, exist_ok=True)
        with open(target, "wb") as out:
            for part in parts:
                out.write(part)
        bundle = Bundle(target, tuple(kept), largest)
        self._made[bundle.members] = (bundle, tuple(seen))
        return bundle


def _read_regular(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of a regular file; nothing for anything else (a FIFO put in a log
    file's place cannot block: `archive.open_regular` opens without waiting)."""
    opened = archive.open_regular(path)
    if isinstance(opened, archive.Inspection):
        return b""
    with opened as handle:
        try:
            return handle.read(limit)
        except OSError:
            return b""


def _size(data: bytes) -> int:
    """A gzip member's uncompressed size, from its trailer."""
    return int.from_bytes(data[-4:], "little")
