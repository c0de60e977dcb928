"""How many threads trailcsi's local work uses: `$TRAILCSI_THREADS`, else the machine's cores.

DuckDB's query threads, the whole-file checks beside a query, the cache build's conversions and
`verify`'s hashing each use this many. Set it lower to leave cores to other work (several
trailcsi processes side by side, a test suite's workers: a DuckDB of two threads on each of two
busy cores spends about a sixth more CPU for the same answer).
"""

from __future__ import annotations

import os

from toolkit.errors import UsageError

#: More than this is a typo, not a machine.
MOST = 1024


def threads_to_use() -> int:
    """`$TRAILCSI_THREADS` (1 to `MOST`), else the machine's cores; a bad value is refused."""
    given = os.environ.get("TRAILCSI_THREADS", "").strip()
    if not given:
        return os.cpu_count() or 1
    if not given.isascii() or not given.isdigit() or len(given) > 4 or not 1 <= int(given) <= MOST:
        raise UsageError(
            f"TRAILCSI_THREADS={given[:40]!r} is not a number of threads from 1 to {MOST}",
            hint="unset it to use every core, or give a whole number such as 2",
        )
    return int(given)
