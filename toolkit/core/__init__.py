"""The trail and the questions asked of it: the table's columns (`schema`), time windows, criteria,
queries and their Athena-to-DuckDB translation with Trino's semantics, ordering, time zones,
suppressions of known-benign findings, CloudTrail's event names, and result export."""
