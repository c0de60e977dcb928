"""The columnar cache: one Parquet file per month of a local archive, built incrementally, with
Parquet footers spliced rather than rewritten."""
