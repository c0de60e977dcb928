"""A template with the name of another (a built-in, or one in an earlier user directory) replaces it:
the command says on stderr which file won and which was shadowed, `queries list` shows where each
template comes from, and `sweep` runs and counts exactly the templates that won."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_in_process

from toolkit.templates.catalog import builtin_dir, parse_template

INVESTIGATION = (
    '/*\ntitle = "My own view of {name}"\nkind = "investigation"\n'
    'tags = ["cloudtrail", "defense-evasion"]\ndescription = "d"\n*/\n'
    "SELECT eventid, eventname FROM trail WHERE eventname = 'StopLogging'"
)


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.sql"
    path.write_text(text.replace("{name}", name), encoding="utf-8")
    return path


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "trailcsi" / "queries"


def shadow_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "shadow" in line]


def test_a_user_template_shadowing_a_built_in_is_named_once_and_listed_with_its_origin(
    capsys, user_dir, monkeypatch
):
    mine = write(user_dir, "cloudtrail-tampering", INVESTIGATION)
    built_in = builtin_dir() / "cloudtrail-tampering.sql"
    code, out, err = run_in_process(capsys, "queries", "list", "--format", "json")
    assert code == 0, err
    [line] = shadow_lines(err)
    assert line.startswith("trailcsi: warning: ") and "\n" not in line
    assert line.index(str(mine)) < line.index(str(built_in))  # the winner first, then the shadowed file
    listed = {t["name"]: t for t in json.loads(out)}
    entry = listed["cloudtrail-tampering"]
    assert entry["origin"] == "user" and entry["path"] == str(mine) and entry["kind"] == "investigation"
    assert entry["shadows"] == [str(built_in)]
    assert listed["user-created"]["origin"] == "built-in" and listed["user-created"]["shadows"] == []

    monkeypatch.setenv("COLUMNS", "400")  # a table row on one line
    code, out, err = run_in_process(capsys, "queries", "list")
    assert code == 0 and len(shadow_lines(err)) == 1
    assert any("origin" in line for line in out.splitlines()[:3])
    row = next(line for line in out.splitlines() if "cloudtrail-tampering" in line)
    assert "user, shadows built-in" in row


def test_no_warning_without_shadowing(capsys, user_dir):
    write(user_dir, "my-own-check", INVESTIGATION)
    code, out, err = run_in_process(capsys, "queries", "list", "--format", "json")
    assert code == 0 and shadow_lines(err) == []
    assert {t["name"]: t["origin"] for t in json.loads(out)}["my-own-check"] == "user"


def test_two_user_directories_with_the_same_name(capsys, user_dir, tmp_path):
    first = write(user_dir, "my-check", INVESTIGATION)
    second = write(tmp_path / "team", "my-check", INVESTIGATION.replace("My own", "The team's"))
    code, out, err = run_in_process(
        capsys, "queries", "list", "--format", "json", "--queries-dir", str(tmp_path / "team")
    )
    assert code == 0, err
    [line] = shadow_lines(err)
    assert line.index(str(second)) < line.index(str(first))
    entry = {t["name"]: t for t in json.loads(out)}["my-check"]
    assert entry["origin"] == "--queries-dir" and entry["title"].startswith("The team's")
    assert entry["shadows"] == [str(first)]
    # The same directory given twice shadows nothing.
    code, _out, err = run_in_process(
        capsys, "queries", "list", "--queries-dir", str(user_dir), "--queries-dir", str(user_dir)
    )
    assert code == 0 and shadow_lines(err) == []


def test_shown_template_says_where_it_comes_from(capsys, user_dir):
    mine = write(user_dir, "user-created", INVESTIGATION)
    code, out, err = run_in_process(capsys, "queries", "show", "user-created", "--format", "json")
    assert code == 0 and len(shadow_lines(err)) == 1
    shown = json.loads(out)
    assert shown["origin"] == "user" and shown["path"] == str(mine)


def _built_in_detections(tag: str) -> list[str]:
    chosen = []
    for path in sorted(builtin_dir().glob("*.sql")):
        template = parse_template(path)
        if template.kind == "detection" and tag in template.tags:
            chosen.append(template.name)
    return chosen


def test_sweep_runs_and_counts_the_templates_that_won(capsys, user_dir, corpus_archives):
    root, _ = corpus_archives["stratus"]
    tag = "defense-evasion"
    built_in = _built_in_detections(tag)
    assert "cloudtrail-tampering" in built_in and len(built_in) > 2
    args = ("sweep", "--source", str(root), "--all-time", "--tag", tag, "--format", "json")

    code, out, err = run_in_process(capsys, *args)
    assert code == 0, err
    assert f"trailcsi: {len(built_in)} detections:" in err
    assert "cloudtrail-tampering" in {f["template"] for f in json.loads(out)}

    # The user's file of the same name is an investigation: not a detection any more.
    write(user_dir, "cloudtrail-tampering", INVESTIGATION)
    code, out, err = run_in_process(capsys, *args)
    assert code == 0, err
    assert len(shadow_lines(err)) == 1
    assert f"trailcsi: {len(built_in) - 1} detections:" in err
    assert "cloudtrail-tampering" not in {f["template"] for f in json.loads(out)}

    # A user's detection of the same name runs instead of the built-in, counted once.
    detection = (
        '/*\ntitle = "Trail stopped (mine)"\nkind = "detection"\nseverity = "low"\n'
        f'tags = ["{tag}"]\ndescription = "d"\n*/\n'
        "SELECT eventid, eventtime, useridentity.arn AS principal, sourceipaddress, eventname"
        " FROM trail WHERE eventname = 'StopLogging'"
    )
    write(user_dir, "cloudtrail-tampering", detection)
    code, out, err = run_in_process(capsys, *args)
    assert code == 0, err
    assert f"trailcsi: {len(built_in)} detections:" in err
    mine = [f for f in json.loads(out) if f["template"] == "cloudtrail-tampering"]
    assert mine and {f["eventname"] for f in mine} == {"StopLogging"}
    assert {f["severity"] for f in mine} == {"low"}
