"""Files and folders a process that is ended at once (Ctrl-C's watchdog) must not leave behind.

Whatever writes a partial file or a scratch folder names it here while it exists, and removes it
itself in the normal course (`finally`, `close`). `remove_all` is for the moment when `finally`
will not run: the watchdog's `os._exit`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

_LIVE: set[Path] = set()


def add(path: str | Path) -> None:
    _LIVE.add(Path(path))


def discard(path: str | Path) -> None:
    _LIVE.discard(Path(path))


def remove_all() -> None:
    """Remove every path still named (a file or a folder and what it holds); errors are ignored:
    this runs as the process ends, with nobody left to tell."""
    for path in list(_LIVE):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        _LIVE.discard(path)
