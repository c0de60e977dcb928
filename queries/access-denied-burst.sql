/*
title = "Burst of access-denied errors from one principal"
kind = "detection"
severity = "low"
tags = ["discovery", "T1580"]
description = """
Every denied call of principals that were denied at least min_errors times in the window:
probing with stolen credentials shows as a burst of AccessDenied and UnauthorizedOperation.
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
