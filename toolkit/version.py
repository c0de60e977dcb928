"""trailcsi's version (one place: the package, the CLI and case manifests say it)."""

__version__ = "0.1.0"
