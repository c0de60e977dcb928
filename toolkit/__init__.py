"""trailcsi: investigate AWS CloudTrail trail archives with SQL on DuckDB or Athena.

The public API (`toolkit.api`, loaded on first use so that `import toolkit` stays cheap):

    trail = toolkit.open_archive("./sample")      # or "s3://bucket/prefix"; toolkit.open_athena()
    trail.search(since="7d", user="alice")         # Rows: .columns, .rows, .records(), .to_dict()
    trail.sql("SELECT ... FROM trail ..."), trail.run("iam-user-created"), trail.sweep()
    trail.event(event_id), toolkit.verify("./sample", public_keys="keys.json")
    toolkit.build_cache("./sample", since="30d")    # the columnar cache later reads use

The command line (`toolkit.cli`) is a thin layer over the same library.
"""

from typing import Any

from toolkit.version import __version__

_API = ("Rows", "Trail", "build_cache", "open_archive", "open_athena", "verify")
__all__ = [*_API, "__version__"]


def __dir__() -> list[str]:
    """The public API among the module's names (tab completion in a notebook)."""
    return sorted({*globals(), *_API})


def __getattr__(name: str) -> Any:
    if name in _API:
        from toolkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
