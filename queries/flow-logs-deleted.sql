/*
title = "VPC flow logs deleted"
kind = "detection"
severity = "high"
tags = ["ec2", "vpc", "defense-evasion", "T1562.008"]
description = """
Flow logs deleted: network traffic stops being recorded for those VPCs, subnets or interfaces.
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
    requestparameters,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('DeleteFlowLogs')
ORDER BY eventtime
