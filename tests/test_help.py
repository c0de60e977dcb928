"""Every command's help, found by walking the typer app (no list kept here): real metavars, no
Python type placeholders, only the options the command accepts, and examples that run as printed."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import run_in_process as trailcsi
from typer.testing import CliRunner

from toolkit import cli

#: How typer shows a parameter that has no metavar: its Python type in angle brackets.
PLACEHOLDER = re.compile(r"<(?:bool|int|float|str|path|text|file|datetime|list|tuple|uuid)\b[^>]*>", re.I)


def commands(command=None, path=()) -> dict[tuple[str, ...], object]:
    """Every command and group of the app, by the words that name it after `trailcsi`."""
    command = command or typer.main.get_command(cli.app)
    found = {path: command}
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            found |= commands(sub, (*path, name))
    return found


COMMANDS = commands()
PATHS = list(COMMANDS)


def examples(text: str) -> list[str]:
    """The command lines of a help's "Examples:" section, a line ending in `\\` joined to the next."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    commands: list[str] = []
    going_on = False
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        if going_on:
            commands[-1] = commands[-1][:-1] + line.strip()
        else:
            commands.append(line.strip())
        going_on = commands[-1].endswith("\\")
    return commands


def plain_helps() -> dict[tuple[str, ...], tuple[int, str]]:
    """Each command's help as click prints it without rich (TYPER_USE_RICH=0), from one process."""
    script = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from toolkit import cli\n"
        "out = {}\n"
        "for path in json.loads(sys.argv[1]):\n"
        "    done = CliRunner().invoke(cli.app, [*path, '--help'], prog_name='trailcsi')\n"
        "    out[' '.join(path)] = [done.exit_code, done.output]\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "TYPER_USE_RICH": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(PATHS)], capture_output=True, text=True, env=env, check=True
    )
    return {tuple(k.split()): (code, out) for k, (code, out) in json.loads(done.stdout).items()}


def test_the_walk_finds_commands_groups_and_sub_commands():
    assert {(), ("search",), ("sql",), ("queries",), ("queries", "show"), ("athena", "setup")} <= set(PATHS)
    assert ("cache", "build") in PATHS and len(PATHS) > 20


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "trailcsi")
def test_help_shows_metavars_and_examples(path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    done = CliRunner().invoke(cli.app, [*path, "--help"], prog_name="trailcsi")
    assert done.exit_code == 0, done.output
    check_help(path, done.output)


def test_plain_help_too():
    helps = plain_helps()
    assert set(helps) == set(PATHS)
    for path, (code, text) in helps.items():
        assert code == 0, text
        check_help(path, text)
    search = helps[("search",)][1]
    assert "--region REGION " in search and "  --read-only  " in search and "  --help  " in search


def check_help(path: tuple[str, ...], text: str) -> None:
    assert not PLACEHOLDER.findall(text), PLACEHOLDER.findall(text)
    shown = examples(text)
    assert len(shown) >= 2 and any(line.startswith("trailcsi ") for line in shown), text
    # each line of the examples as written, whole on one line (an 80-column terminal): copied as is
    written = COMMANDS[path].epilog.split("Examples:\n", 1)[1].splitlines()
    lines = [line.strip() for line in text.splitlines()]
    for line in written:
        assert line.strip() in lines, line


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["sweep"], ["--columns eventid", "--dry-run", "--all-files", "--sort eventtime"]),
        (["sql", "SELECT 1 AS x FROM trail"], ["--columns x"]),
        (["run", "user-created"], ["--columns eventid"]),
    ],
)
def test_help_lists_only_the_options_a_command_accepts(path, refused, capsys, tmp_path):
    done = CliRunner().invoke(cli.app, [path[0], "--help"], prog_name="trailcsi")
    for option in refused:
        assert option.split()[0] not in done.output
        code, out, err = trailcsi(capsys, *path, *option.split(), "--source", str(tmp_path), "--since", "1d")
        errors = [line for line in err.splitlines() if "error:" in line]
        assert code == 2 and len(errors) == 1 and "does not apply to" in errors[0], err


def bash_calling_back(capsys, script: str, cwd: Path) -> tuple[int, str]:
    """Run `script` in bash, where `trailcsi` is a shell function that hands the words bash gave it
    to this process, which runs the CLI on them in-process (`run_in_process`: no interpreter start
    and imports per call) and hands back its stdout, its stderr and its exit status. Quoting,
    `$(...)`, pipes and `set -euo pipefail` are bash's own, as when the line is pasted in a shell.
    Returns bash's exit status and its stderr."""
    calls = cwd / ".trailcsi-calls"
    calls.mkdir(exist_ok=True)
    request, status = calls / "request", calls / "status"
    for fifo in (request, status):
        if not fifo.exists():
            os.mkfifo(fifo)
    function = (
        "trailcsi() {\n"
        '  printf "%s\\0" "$#" "$@" > "$TRAILCSI_CALLS/request"\n'
        '  local code; read -r code < "$TRAILCSI_CALLS/status"\n'
        '  cat "$TRAILCSI_CALLS/out"; cat "$TRAILCSI_CALLS/err" >&2\n'
        '  return "$code"\n'
        "}\n"
    )
    # Held open for reading and writing here, neither end's open ever waits for the other.
    incoming = os.open(request, os.O_RDWR)
    outgoing = os.open(status, os.O_RDWR)
    with open(calls / "bash.out", "wb") as out, open(calls / "bash.err", "w+b") as err:
        bash = subprocess.Popen(
            ["bash", "-c", "set -euo pipefail\n" + function + script],
            cwd=cwd,
            env={**os.environ, "TRAILCSI_CALLS": str(calls)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        try:
            pending = b""
            while bash.poll() is None:
                if not select.select([incoming], [], [], 0.1)[0]:
                    continue
                pending += os.read(incoming, 1 << 16)
                fields = pending.split(b"\0")
                if len(fields) < 2 or len(fields) - 1 < 1 + int(fields[0]):
                    continue  # the rest of the words is on its way
                count = int(fields[0])
                words = [w.decode() for w in fields[1 : 1 + count]]
                pending = b"\0".join(fields[1 + count :])
                code, stdout, stderr = trailcsi(capsys, *words)
                (calls / "out").write_text(stdout, encoding="utf-8")
                (calls / "err").write_text(stderr, encoding="utf-8")
                os.write(outgoing, f"{code}\n".encode())
        finally:
            if bash.poll() is None:
                bash.kill()
            bash.wait()
            os.close(incoming)
            os.close(outgoing)
        err.seek(0)
        return bash.returncode, err.read().decode(errors="replace")


def test_the_examples_run_as_printed(tmp_path, monkeypatch, capsys):
    """Every example reading `./sample` runs, as printed, against a sample written by the `sample`
    command's own first example (a sample ending yesterday, as the examples' windows expect).
    Each line is bash's to read (`bash_calling_back`); the commands run in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def shown(path: tuple[str, ...]) -> list[str]:
        return examples(runner.invoke(cli.app, [*path, "--help"], prog_name="trailcsi").output)

    def run(commands: list[str]) -> None:
        code, err = bash_calling_back(capsys, "\n".join(commands) + "\n", tmp_path)
        assert code == 0, f"{commands}: {err[-2000:]}"

    assert shown(("sample",))[0] == "trailcsi sample ./sample"
    run(["trailcsi sample ./sample"])
    done: set[str] = set()
    for path in PATHS:
        # in order: a line may use what the one before it found (`ID=$(...)`); once each (a line
        # that sets a variable runs again with the lines of its help that may use it)
        reading = [line for line in shown(path) if "--source ./sample" in line]
        if reading and not set(reading) <= done:
            run([line for line in reading if line not in done or re.match(r"\w+=", line)])
            done.update(reading)
    assert len(done) >= 15
    assert Path(tmp_path / "sample").is_dir()


def test_no_help_text_holds_brackets_rich_would_read_as_markup():
    """`[[suppress]]` in an option's help vanished from the rich help (read as a markup tag)."""
    tag = re.compile(r"(?<!\\)\[[a-zA-Z/#@][^\]]*\]")
    found = [
        (" ".join(path), getattr(param, "name", ""), text)
        for path, command in COMMANDS.items()
        for param in command.params
        for text in [getattr(param, "help", None) or ""]
        if tag.search(text)
    ]
    assert found == []


def test_case_build_help_gives_its_exit_status(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    done = CliRunner().invoke(cli.app, ["case", "build", "--help"], prog_name="trailcsi")
    text = " ".join(done.output.split())
    assert "exit 0 when all is valid, 1 when the evidence failed the check" in text
    assert "the case is still written" in text


def test_the_app_builds_its_click_command_once_and_again_when_a_command_is_added():
    from toolkit.cli.help import App

    app = App(pretty_exceptions_enable=False)
    said: list[str] = []

    @app.command()
    def first() -> None:
        said.append("first")

    @app.command()
    def second() -> None:
        said.append("second")

    app(["first"], standalone_mode=False)
    built = app._built
    app(["second"], standalone_mode=False)
    assert app._built is built  # (typer itself builds it at every call)

    @app.command()
    def third() -> None:
        said.append("third")

    app(["third"], standalone_mode=False)
    assert said == ["first", "second", "third"]
