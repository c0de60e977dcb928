/*
title = "Instance user data modified"
kind = "detection"
severity = "high"
tags = ["ec2", "execution", "persistence", "T1059"]
description = """
ModifyInstanceAttribute changing userData: the new script runs as root at the instance's next
start.
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
    AND eventname IN ('ModifyInstanceAttribute')
    AND strpos(coalesce(requestparameters, ''), 'userData') > 0
ORDER BY eventtime
