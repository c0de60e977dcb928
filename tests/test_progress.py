"""The stderr progress displays accept what the library reports and clean up after themselves."""

from __future__ import annotations

from toolkit.progress import AthenaQueryProgress, CacheProgress, DownloadProgress, QueryProgress


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
