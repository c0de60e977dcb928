/*
title = "Burst of access-denied errors from one principal"
kind = "detection"
severity = "low"
tags = ["discovery", "T1580"]
description = """
Every denied call of a burst: at least min_errors AccessDenied or UnauthorizedOperation errors of
one principal inside a sliding window_minutes. Probing with stolen credentials shows as a burst of
denials; a principal denied now and then (a job without one permission, a person trying a call
they lack) does not, however many of those the sweep's window holds. Every denied call of such a
window belongs to the burst. Times are read to the second, as UTC (CloudTrail's
2024-05-01T12:00:00Z, or the same with a space for the T); a call whose eventTime is not such a
time cannot be placed in a window and is not counted.

Two kinds of denial are not the principal's own attempt and are not counted (nor listed): calls
an AWS service made for the principal (sourceIPAddress a service name such as
sqs.amazonaws.com, or "AWS Internal"), and the console's own calls (userAgent aws-internal/...),
which a console page makes for whatever it shows, so that a person with narrow rights browsing
is denied many of them without asking for anything. A person probing through the console is
still seen by what they do on purpose, and by console-login detections; probing with stolen keys
comes from an SDK or the CLI and is counted.
"""

[params.min_errors]
type = "int"
default = 10
description = "Denied calls one principal must make within window_minutes to be flagged."

[params.window_minutes]
type = "int"
default = 60
description = "The sliding window, in minutes, in which min_errors must fall."
*/
WITH denied AS (
    SELECT
        *,
        coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS caller,
        CASE
            WHEN regexp_like(eventtime, '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z?$')
                THEN to_unixtime(from_iso8601_timestamp(replace(substr(eventtime, 1, 19), ' ', 'T') || 'Z'))
        END AS unix_time
    FROM trail
    WHERE errorcode IS NOT NULL
        AND (lower(errorcode) LIKE '%accessdenied%' OR lower(errorcode) LIKE '%unauthorized%')
        AND NOT lower(coalesce(sourceipaddress, '')) LIKE '%.amazonaws.com'
        AND lower(coalesce(sourceipaddress, '')) <> 'aws internal'
        AND NOT lower(coalesce(useragent, '')) LIKE 'aws-internal/%'
),
-- How many of the principal's denials fall in the window that starts at each of them...
ahead AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN CURRENT ROW AND greatest(:window_minutes, 0) * 60 FOLLOWING
        ) AS in_window
    FROM denied
    WHERE caller IS NOT NULL AND unix_time IS NOT NULL
),
-- ...and a denial is in a burst when a window holding min_errors of them holds it too.
marked AS (
    SELECT
        *,
        max(CASE WHEN in_window >= :min_errors THEN 1 ELSE 0 END) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN greatest(:window_minutes, 0) * 60 PRECEDING AND CURRENT ROW
        ) AS in_burst
    FROM ahead
)
SELECT
    eventtime,
    eventname,
    caller AS principal,
    sourceipaddress,
    useragent,
    awsregion,
    account,
    errorcode,
    errormessage,
    eventid
FROM marked
WHERE in_burst = 1
ORDER BY eventtime
