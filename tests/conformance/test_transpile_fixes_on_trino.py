"""Each Athena→DuckDB fix's example (`toolkit.core.transpile.FIXES`) on a real Trino: Trino's
answer is the one the fix states, and the local engine gives it (or Trino's error)."""

from __future__ import annotations

import pytest

from toolkit.core import transpile
from toolkit.core.query import TrailQuery
from toolkit.core.window import parse

pytestmark = pytest.mark.conformance

FIXES = transpile.FIXES


@pytest.mark.parametrize("fix", FIXES, ids=[f.name for f in FIXES])
def test_trino_gives_the_fixs_answer_and_so_does_the_local_engine(engines, fix):
    if fix.error is not None:
        engines.same_error(fix.example, fix.error)
        return
    trino, local = engines.both(fix.example)
    assert local == trino
    stated = engines.local.run(TrailQuery.parse(fix.example, parse(all_time=True)))
    assert [tuple(row) for row in stated.rows] == [fix.answer]
