/*
title = "Security group opened to the whole internet"
kind = "detection"
severity = "high"
tags = ["ec2", "network", "defense-evasion", "T1562.007"]
description = """
Ingress rules allowing any address (a /0 range, IPv4 or IPv6) added to a security group. Which
port matters: 22, 3389 and databases are the urgent ones.
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
    json_extract_scalar(requestparameters, '$.groupId') AS group_id,
    requestparameters,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules')
    AND regexp_like(coalesce(requestparameters, ''), '"cidrIp(v6)?":\s*"[^"]*/0"')
ORDER BY eventtime
