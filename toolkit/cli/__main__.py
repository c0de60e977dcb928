"""`python -m toolkit.cli`: the command line, as `trailcsi` (shell completion is driven this way)."""

from toolkit.cli import main

main()
