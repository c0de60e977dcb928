"""The `trailcsi` process (`python -m toolkit` and the installed command): start-up, then the CLI.

Importing typer, pydantic, duckdb and sqlglot makes a few hundred thousand long-lived objects.
Python's cyclic garbage collector would walk them again and again while they are imported, and
once more at exit: about 0.1 s of a 0.4 s command (measured). So nothing is collected during
start-up, what start-up made is then frozen out of later collections (`cli_common.startup_done`,
which turns collection back on before a command runs), and again at exit.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    gc.disable()
    try:
        try:
            from toolkit.cli import main as run

            run()
        except KeyboardInterrupt:  # Ctrl-C while starting (before the CLI's own handler): one line
            sys.stderr.write("trailcsi: interrupted\n")
            raise SystemExit(130) from None
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
