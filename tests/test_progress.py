"""The stderr progress displays accept what the library reports and clean up after themselves."""

from __future__ import annotations

from toolkit.cli.progress import AthenaQueryProgress, CacheProgress, DownloadProgress, QueryProgress


def test_each_display_draws_updates_and_stops(capsys):
    query = QueryProgress()
    query(10, 0.1)  # under half a second: nothing is drawn yet
    assert query._progress is None
    query(10, 0.6)
    query(12, 0.8)
    assert query._progress is not None
    athena = AthenaQueryProgress()
    athena("RUNNING", 1.0, 12_345)
    athena("SUCCEEDED", 2.0, 99_999)
    download = DownloadProgress("fetching s3://bucket/[prefix]")
    download(1, 10, 1_000)
    download(10, 10, 10**6)
    cache = CacheProgress()
    cache(1, 5, 10, 100)
    cache(5, 5, 50, 500)
    for display in (query, athena, download, cache):
        display.stop()
        display.stop()  # stopping twice is harmless
        assert display._progress is None
    assert capsys.readouterr().out == ""  # progress never touches stdout


def test_in_a_terminal_the_spinner_is_gone_before_the_table_is_drawn(sample_root, tmp_path):
    """stderr and stdout on one terminal (a pseudo-terminal here): the table's first line is not
    glued onto the spinner's ("⠏ reading 8,447 log files 0:00:08  ┏━━━…")."""
    import os
    import pty
    import select
    import subprocess
    import sys

    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "sql", "SELECT eventname, count(*) AS n FROM trail GROUP BY 1"]
        + ["--source", str(sample_root), "--all-time"],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "200", "XDG_CACHE_HOME": str(tmp_path)},  # (a first read: slow)
    )
    os.close(terminal)
    seen = b""
    while True:
        if select.select([main], [], [], 0.5)[0]:
            try:
                data = os.read(main, 65536)
            except OSError:
                break
            if not data:
                break
            seen += data
        elif process.poll() is not None:
            break
    process.wait()
    os.close(main)
    text = seen.decode(errors="replace")
    assert "reading 8," in text  # the spinner was shown
    [top] = [line for line in text.replace("\r\n", "\n").split("\n") if "┏" in line]
    assert top.split("\r")[-1].lstrip("\x1b[2K").startswith("┏"), repr(top[-200:])
