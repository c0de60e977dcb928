r"""Log files already checked whole (`archive.inspect`), remembered across runs.

Checking a file whole means decompressing it, about as much work as a query's own reading; an
archive is questioned many times, its files never change. So each outcome is kept, per archive,
in `$XDG_CACHE_HOME/trailcsi/checked/`, under what identifies the file's content on disk: device,
inode, size, modification and change times (the change time cannot be set back by a user). A file
whose identity differs in any of these is checked again. Losing or damaging the ledger costs only
time: unreadable lines are ignored and the files they named are checked again.

A path and a problem are kept exactly as they are (a problem is said again in the words it was
said in the first time): a backslash, tab, line feed and carriage return are written as `\\`,
`\t`, `\n` and `\r`, and a path's bytes that are not UTF-8 as they are (surrogateescape). A
problem that is not UTF-8 text (a damaged line) is not used.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from toolkit import paths

#: Bumped when the check changes: outcomes recorded by another version are not used.
VERSION = "trailcsi-checked 3"

Identity = tuple[int, int, int, int, int]


def identity(path: str) -> Identity | None:
    """What identifies a file's content on disk, or None if it cannot be examined."""
    try:
        status = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


class Ledger:
    """The checked files of one archive: path -> (identity, problem or "" when good)."""

    def __init__(self, root: str | os.PathLike[str], base: Path | None = None) -> None:
        resolved = str(Path(root).expanduser().resolve())
        name = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]
        self.file = (base or paths.cache_dir() / "checked") / f"{name}.tsv"
        self._known: dict[str, tuple[Identity, str]] | None = None
        self._new: list[tuple[str, Identity, str]] = []
        self._stale = False  # the file holds another version's outcomes: replaced when saved

    def outcome(self, path: str, seen: Identity) -> str | None:
        """The recorded problem ("" when the file was good) if `path` was checked as it is now."""
        if self._known is None:
            self._known = self._load()
        known = self._known.get(path)
        if known is None or known[0] != seen:
            return None
        return known[1]

    def remember(self, path: str, seen: Identity, problem: str | None) -> None:
        text = problem or ""
        if self._known is None:
            self._known = self._load()
        self._known[path] = (seen, text)
        self._new.append((path, seen, text))

    def save(self) -> None:
        """Append the new outcomes; a ledger that cannot be written only costs time later."""
        if not self._new:
            return
        lines = "".join(
            f"{_escaped(path)}\t{' '.join(str(n) for n in seen)}\t{_escaped(problem)}\n"
            for path, seen, problem in self._new
        )
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fresh = self._stale or not self.file.exists()
            with open(self.file, "w" if fresh else "a", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write((VERSION + "\n" if fresh else "") + lines)
            self._stale = False
        except OSError:
            pass
        self._new = []

    def _load(self) -> dict[str, tuple[Identity, str]]:
        known: dict[str, tuple[Identity, str]] = {}
        try:
            with open(self.file, encoding="utf-8", errors="surrogateescape") as handle:
                if handle.readline().rstrip("\n") != VERSION:
                    self._stale = True  # (an empty file too: it is given its first line)
                    return known
                for line in handle:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) != 3:
                        continue
                    numbers = parts[1].split(" ")
                    if len(numbers) != 5 or not all(n.isascii() and n.isdigit() for n in numbers):
                        continue
                    problem = _unescaped(parts[2])
                    if not _is_text(problem):
                        continue
                    seen = tuple(int(n) for n in numbers)
                    known[_unescaped(parts[0])] = (seen, problem)  # type: ignore[assignment]
        except OSError:
            pass
        return known


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPE = re.compile(r"\\(.)", re.S)


def _escaped(text: str) -> str:
    """`text` as one field of a line (no tab or line break in it), to be read back by `_unescaped`."""
    return _SPECIAL.sub(lambda found: _ESCAPES[found.group()], text)


def _unescaped(field: str) -> str:
    if "\\" not in field:
        return field
    return _ESCAPE.sub(lambda found: _UNESCAPES.get(found.group(1), found.group()), field)


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
