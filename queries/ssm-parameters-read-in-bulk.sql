/*
title = "Many decrypted SSM parameters read by one principal"
kind = "detection"
severity = "medium"
tags = ["ssm", "credential-access", "T1552"]
description = """
GetParameter(s) and GetParametersByPath calls with decryption, by principals that read at least
min_parameters different parameter names in the window, however few the calls: GetParameter's
name, each of GetParameters' names, and for GetParametersByPath the names in its response when
CloudTrail logs them, otherwise its path (counted as one: the parameters under it are not in
the event).
"""

[params.min_parameters]
type = "int"
default = 5
description = "Distinct parameter names one principal must read to be flagged."
*/
WITH reads AS (
    SELECT *, coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS reader
    FROM trail
    WHERE eventsource = 'ssm.amazonaws.com'
        AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
        AND json_extract_scalar(requestparameters, '$.withDecryption') = 'true'
),
names AS (
    SELECT reader, parameter
    FROM reads
    CROSS JOIN UNNEST(coalesce(
        TRY_CAST(json_extract(requestparameters, '$.names') AS array(varchar)),
        transform(TRY_CAST(json_extract(responseelements, '$.parameters') AS array(json)), p -> json_extract_scalar(p, '$.name')),
        ARRAY[coalesce(json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.path'))]
    )) AS read_names(parameter)
),
bulk AS (
    SELECT reader
    FROM names
    GROUP BY reader
    HAVING count(DISTINCT parameter) >= :min_parameters
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
