"""Where trail files come from: CloudTrail's S3 key layout (`layout`, the one place it is written),
a local archive, an `s3://` prefix, a trail bucket's accounts, regions and first day, and file
checks."""
