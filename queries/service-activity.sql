/*
title = "Activity on one service, by API call, reads and writes apart"
kind = "investigation"
tags = ["triage", "all-services", "T1526"]
description = """
For one event source (s3, iam, ec2, ... or a full name such as s3.amazonaws.com): each API call
with its count, how many were reads and writes, how many failed, how many principals made it,
and when it was first and last seen in the window. Rare writes near the top of an incident are
where to look.
"""

[params.service]
type = "string"
description = "Event source: short (s3) or full (s3.amazonaws.com)."
*/
SELECT
    eventname,
    count(*) AS events,
    count_if(lower(readonly) = 'true') AS reads,
    count_if(lower(readonly) = 'false') AS writes,
    count_if(errorcode IS NOT NULL) AS errors,
    count(DISTINCT useridentity.arn) AS principals,
    min(eventtime) AS first_seen,
    max(eventtime) AS last_seen
FROM trail
WHERE eventsource = (
    CASE WHEN strpos(:service, '.') > 0 THEN lower(:service) ELSE concat(lower(:service), '.amazonaws.com') END
)
GROUP BY eventname
ORDER BY events DESC, eventname
