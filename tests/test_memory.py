"""Peak memory stays bounded: measured on a real process (the largest resident set of the
children this test waits for), with a wide margin; benchmarks/memory.py measures it on a large
archive next to DuckDB's own reader."""

from __future__ import annotations

#: The sweep held 4 GB on the sample before its pinned table stopped keeping insertion order.
LIMIT_MIB = 1024


def test_a_sweep_over_all_time_stays_well_under_a_gigabyte(sample_swept):
    # `trailcsi sweep --all-time` over the sample's log files, its own process measured by another
    # (conftest.measured); run once for the run: tests/test_sweep.py checks what it found
    assert sample_swept.code == 0 and "detections:" in sample_swept.err, sample_swept.err[-2000:]
    assert sample_swept.peak_mib < LIMIT_MIB, f"peak RSS {sample_swept.peak_mib:.0f} MiB"
