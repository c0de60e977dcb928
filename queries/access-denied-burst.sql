/*
title = "Burst of access-denied errors from one principal"
kind = "detection"
severity = "low"
tags = ["discovery", "T1580"]
description = """
Every denied call (AccessDenied or UnauthorizedOperation) of a principal that was denied many
times in a short while, by either of two rules; flagged_by says which ("burst", "sustained" or
both):

- burst: at least min_errors denials inside a sliding window_minutes, as probing with stolen
  credentials makes;
- sustained: at least min_errors_per_day denials inside a sliding 24 hours, as probing paced to
  stay under the burst makes (one denial every seven minutes is nine an hour, but 205 a day).

A principal denied now and then (a job without one permission, a person trying a call they lack)
is neither, however many of those the sweep's window holds. Every denied call of such a window
belongs to it. Times are read to the second, as UTC (CloudTrail's 2024-05-01T12:00:00Z, or the
same with a space for the T); a call whose eventTime is not such a time cannot be placed in a
window and is not counted.

Denials of calls AWS made are not the principal's attempt and are not counted (nor listed), by
what CloudTrail records and a caller cannot set: calls an AWS service made for the principal
(sourceIPAddress a service name such as sqs.amazonaws.com, or AWS Internal; or an identity of type
AWSService), and a console page's own calls (sessionCredentialFromConsole true, made with a console
session's credentials, with the console's agent aws-internal/... or AWS Internal), which a page
makes for whatever it shows, so that a person with narrow rights browsing is denied many of them
without asking for anything. The user agent alone excludes nothing: the caller writes it, and
"aws-internal/3" from an SDK is counted. Probing through a console session is seen by what the
person does on purpose, and by the console-login detections.
"""

[params.min_errors]
type = "int"
default = 10
description = "Denied calls one principal must make within window_minutes to be flagged (a burst)."

[params.window_minutes]
type = "int"
default = 60
description = "The sliding window, in minutes, in which min_errors must fall."

[params.min_errors_per_day]
type = "int"
default = 50
description = "Denied calls one principal must make within a sliding 24 hours to be flagged (sustained)."
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
        -- An AWS service's call: CloudTrail names the service (or AWS Internal) as the source.
        AND NOT lower(coalesce(sourceipaddress, '')) LIKE '%.amazonaws.com'
        AND NOT lower(coalesce(sourceipaddress, '')) LIKE 'aws internal%'
        AND coalesce(useridentity.type, '') <> 'AWSService'
        -- A console page's own call: console credentials (which CloudTrail marks) and the console's agent.
        AND NOT (
            lower(coalesce(sessioncredentialfromconsole, '')) = 'true'
            AND (
                lower(coalesce(useragent, '')) LIKE '%aws-internal/%'
                OR lower(coalesce(useragent, '')) LIKE 'aws internal%'
            )
        )
),
-- How many of the principal's denials fall in each window that starts at each of them...
ahead AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN CURRENT ROW AND greatest(:window_minutes, 0) * 60 FOLLOWING
        ) AS in_window,
        count(*) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN CURRENT ROW AND 86400 FOLLOWING
        ) AS in_day
    FROM denied
    WHERE caller IS NOT NULL AND unix_time IS NOT NULL
),
-- ...and a denial is flagged when a window holding enough of them holds it too.
marked AS (
    SELECT
        *,
        max(CASE WHEN in_window >= :min_errors THEN 1 ELSE 0 END) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN greatest(:window_minutes, 0) * 60 PRECEDING AND CURRENT ROW
        ) AS in_burst,
        max(CASE WHEN in_day >= :min_errors_per_day THEN 1 ELSE 0 END) OVER (
            PARTITION BY caller ORDER BY unix_time
            RANGE BETWEEN 86400 PRECEDING AND CURRENT ROW
        ) AS in_sustained
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
    CASE
        WHEN in_burst = 1 AND in_sustained = 1 THEN 'burst, sustained'
        WHEN in_burst = 1 THEN 'burst'
        ELSE 'sustained'
    END AS flagged_by,
    eventid
FROM marked
WHERE in_burst = 1 OR in_sustained = 1
ORDER BY eventtime
