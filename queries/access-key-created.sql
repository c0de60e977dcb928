/*
title = "IAM access key created"
kind = "detection"
severity = "medium"
tags = ["iam", "persistence", "T1098.001"]
description = """
New long-term access keys. A key made for another user, or by an unusual principal, is a classic
backdoor.
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
    json_extract_scalar(requestparameters, '$.userName') AS for_user,
    json_extract_scalar(responseelements, '$.accessKey.accessKeyId') AS access_key_id,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('CreateAccessKey')
ORDER BY eventtime
