/*
title = "IAM user created"
kind = "detection"
severity = "low"
tags = ["iam", "persistence", "T1136.003"]
description = """
New IAM users. Few accounts create users by hand any more: check who did it and why (see user-
created).
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
    json_extract_scalar(requestparameters, '$.userName') AS new_user,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('CreateUser')
ORDER BY eventtime
