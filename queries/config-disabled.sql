/*
title = "AWS Config recording stopped or deleted"
kind = "detection"
severity = "high"
tags = ["config", "defense-evasion", "T1562.001"]
description = """
The configuration recorder stopped or deleted, or its delivery channel removed: resource changes
stop being recorded.
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
    eventid
FROM trail
WHERE eventsource = 'config.amazonaws.com'
    AND eventname IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel')
ORDER BY eventtime
