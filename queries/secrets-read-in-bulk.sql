/*
title = "Many secrets read by one principal"
kind = "detection"
severity = "medium"
tags = ["secretsmanager", "credential-access", "T1555.006"]
description = """
Every BatchGetSecretValue, and GetSecretValue calls of principals that read at least min_secrets
different secrets in the window: an intruder collecting credentials reads many, an application
reads its few.
"""

[params.min_secrets]
type = "int"
default = 5
description = "Distinct secrets one principal must read to be flagged."
*/
WITH reads AS (
    SELECT *, coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS reader
    FROM trail
    WHERE eventsource = 'secretsmanager.amazonaws.com' AND eventname IN ('GetSecretValue', 'BatchGetSecretValue')
),
bulk AS (
    SELECT reader
    FROM reads
    WHERE eventname = 'GetSecretValue'
    GROUP BY reader
    HAVING count(DISTINCT json_extract_scalar(requestparameters, '$.secretId')) >= :min_secrets
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
    json_extract_scalar(requestparameters, '$.secretId') AS secret_id,
    eventid
FROM reads
WHERE eventname = 'BatchGetSecretValue' OR reader IN (SELECT reader FROM bulk)
ORDER BY eventtime
