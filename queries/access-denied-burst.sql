/*
title = "Burst of access-denied errors from one principal"
kind = "detection"
severity = "low"
tags = ["discovery", "T1580"]
description = """
Every denied call of principals that were denied at least min_errors times in the window:
probing with stolen credentials shows as a burst of AccessDenied and UnauthorizedOperation.

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
description = "Denied calls one principal must make to be flagged."
*/
WITH denied AS (
    SELECT *, coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS caller
    FROM trail
    WHERE errorcode IS NOT NULL
        AND (lower(errorcode) LIKE '%accessdenied%' OR lower(errorcode) LIKE '%unauthorized%')
        AND NOT lower(coalesce(sourceipaddress, '')) LIKE '%.amazonaws.com'
        AND lower(coalesce(sourceipaddress, '')) <> 'aws internal'
        AND NOT lower(coalesce(useragent, '')) LIKE 'aws-internal/%'
),
noisy AS (
    SELECT caller FROM denied GROUP BY caller HAVING count(*) >= :min_errors
)
SELECT
    eventtime,
    eventname,
    coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS principal,
    sourceipaddress,
    useragent,
    awsregion,
    account,
    errorcode,
    errormessage,
    eventid
FROM denied
WHERE caller IN (SELECT caller FROM noisy)
ORDER BY eventtime
