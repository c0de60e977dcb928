/*
title = "Many decrypted SSM parameters read by one principal"
kind = "detection"
severity = "medium"
tags = ["ssm", "credential-access", "T1552"]
description = """
GetParameter(s) and GetParametersByPath calls with decryption, by principals that asked for at
least min_requests different parameter sets in the window.
"""

[params.min_requests]
type = "int"
default = 5
description = "Distinct parameters (or sets of names) one principal must read to be flagged."
*/
WITH reads AS (
    SELECT *, coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS reader
    FROM trail
    WHERE eventsource = 'ssm.amazonaws.com'
        AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
        AND json_extract_scalar(requestparameters, '$.withDecryption') = 'true'
),
bulk AS (
    SELECT reader
    FROM reads
    GROUP BY reader
    HAVING count(DISTINCT coalesce(json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.path'), json_format(json_extract(requestparameters, '$.names')))) >= :min_requests
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
    requestparameters,
    eventid
FROM reads
WHERE reader IN (SELECT reader FROM bulk)
ORDER BY eventtime
