"""trailcsi: investigate AWS CloudTrail trail archives with SQL on DuckDB or Athena.

The CLI (`toolkit.cli`) is a thin layer over this package; everything it does can be done from
a notebook: `archive.scan(...)`, `window.parse(...)`, `Criteria(...)`, `engines.local.LocalEngine`.
"""

__version__ = "0.1.0"
