"""Peak memory stays bounded: measured on a real process (the largest resident set of the
children this test waits for), with a wide margin; benchmarks/memory.py measures it on a large
archive next to DuckDB's own reader."""

from __future__ import annotations

import os
import subprocess
import sys

#: The sweep held 4 GB on the sample before its pinned table stopped keeping insertion order.
LIMIT_MIB = 1024


_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak(args: list[str], cache) -> tuple[int, float, str]:
    """(exit code, peak RSS in MiB, stderr) of `trailcsi args`, measured by a process of its own
    (so no other child of the test run counts)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "toolkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    code, kib = done.stdout.split()
    return int(code), int(kib) / 1024, done.stderr


def test_a_sweep_over_all_time_stays_well_under_a_gigabyte(sample_root, tmp_path):
    code, mib, err = peak(["sweep", "--source", str(sample_root), "--all-time", "--format", "csv"], tmp_path)
    assert code == 0 and "detections:" in err, err[-2000:]
    assert mib < LIMIT_MIB, f"peak RSS {mib:.0f} MiB"
