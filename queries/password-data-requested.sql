/*
title = "Windows administrator password data requested"
kind = "detection"
severity = "medium"
tags = ["ec2", "credential-access", "T1552"]
description = """
GetPasswordData returns an instance's encrypted Windows administrator password. Repeated or
denied calls across instances are a search for credentials.
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
    AND eventname IN ('GetPasswordData')
ORDER BY eventtime
