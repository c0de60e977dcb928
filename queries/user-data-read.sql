/*
title = "Instance user data read"
kind = "detection"
severity = "medium"
tags = ["ec2", "discovery", "credential-access", "T1552.005"]
description = """
DescribeInstanceAttribute asking for userData: startup scripts often carry secrets. Many
instances in a row, or denied attempts, mean someone is looking.
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
    json_extract_scalar(requestparameters, '$.instanceId') AS instance_id,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('DescribeInstanceAttribute')
    AND json_extract_scalar(requestparameters, '$.attribute') = 'userData'
ORDER BY eventtime
