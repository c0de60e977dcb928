import re

from toolkit import demo
from toolkit.integrity import publickeys


def test_demo_finds_every_planted_incident_and_reuses_its_archive(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    said: list[str] = []
    assert demo.run(tmp_path / "sample", say=said.append)
    out = capsys.readouterr().out
    assert out.count("planted incident found") == 4 and "NOT the planted answer" not in out
    assert any("writing the sample archive" in line for line in said)
    assert "the case holds the planted incident" in out
    # each step's command is runnable as printed: no placeholder to fill in (`--start <outage-2h>`)
    commands = [line.strip() for line in out.splitlines() if line.strip().startswith("trailcsi ")]
    assert len(commands) >= 5 and not [c for c in commands if re.search(r"<[\w-]+>", c)]
    report = tmp_path / "sample-case" / "report.html"
    assert f"open {report}" in out and report.is_file()
    said.clear()
    assert demo.run(tmp_path / "sample", say=said.append)
    assert any("using the sample archive" in line for line in said)
    # the sample's signing key is public (derived from the seed): it is trusted for the demo's
    # verify only, never kept in the cache where a later verify would trust it
    assert not publickeys.cache_path().exists()
