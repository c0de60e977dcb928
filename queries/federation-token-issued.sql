/*
title = "Federation token issued"
kind = "detection"
severity = "medium"
tags = ["sts", "persistence", "defense-evasion", "T1550.001"]
description = """
GetFederationToken makes credentials that outlive a deleted access key and do not show as the
user; rarely needed by people.
"""
*/
SELECT
    eventtime,
    eventname,
    coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS principal,
    sourceipaddress,
    useragent,
    awsregion,
    account,
    errorcode,
    json_extract_scalar(requestparameters, '$.name') AS federated_name,
    eventid
FROM trail
WHERE eventsource = 'sts.amazonaws.com'
    AND eventname IN ('GetFederationToken')
ORDER BY eventtime
