"""The `trailcsi` process (`python -m toolkit` and the installed command): start-up, then the CLI.

Importing typer, pydantic, duckdb and sqlglot makes a few hundred thousand long-lived objects.
Python's cyclic garbage collector would walk them again and again while they are imported, and
once more at exit: about 0.1 s of a 0.4 s command (measured). So nothing is collected during
start-up, what start-up made is then frozen out of later collections (`cli.common.startup_done`,
which turns collection back on before a command runs), and again at exit.
"""

from __future__ import annotations

import gc
import os
import sys

#: The exit status of a command stopped by Ctrl-C (`errors.ExitCode.INTERRUPTED`).
INTERRUPTED = 130


def main() -> None:
    gc.disable()
    try:
        try:
            from toolkit.cli import main as run

            run()
        except KeyboardInterrupt:  # Ctrl-C while starting (before the CLI's own handler): one line
            sys.stderr.write("trailcsi: interrupted\n")
            _end_interrupted()
        except SystemExit as done:
            if done.code == INTERRUPTED:  # the CLI has said so and cleaned up
                _end_interrupted()
            raise
    finally:
        gc.freeze()


def _end_interrupted() -> None:
    """Exit 130 after a Ctrl-C, always.

    A KeyboardInterrupt raised while an extension evaluates Python code of its own (duckdb's
    import runs some through the C API) sets a flag with which the interpreter, once finalised,
    ends itself by SIGINT: exit -2 after our one line (4 runs in 120 on this machine). So the
    process ends here: streams flushed and `atexit` handlers run, then `os._exit`. Everything
    else a finished interpreter would do (wait for pool threads) is what Ctrl-C asks not to do.
    """
    import atexit

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said on it
            pass
    atexit._run_exitfuncs()
    os._exit(INTERRUPTED)


if __name__ == "__main__":
    main()
