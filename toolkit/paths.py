"""Where trailcsi keeps its files: the XDG base directories (`$XDG_CACHE_HOME`, `$XDG_CONFIG_HOME`,
else `~/.cache` and `~/.config`), each with a `trailcsi` folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/trailcsi`: the S3 copies, the columnar cache, the sample, public keys."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trailcsi"


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/trailcsi`: `trailcsi.toml` and the user's templates."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "trailcsi"
