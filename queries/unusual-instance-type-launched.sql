/*
title = "GPU, very large or bare-metal instances launched"
kind = "detection"
severity = "medium"
tags = ["ec2", "impact", "T1496"]
description = """
RunInstances for accelerated (p, g, inf, trn, dl), memory-heavy (x, u-) or bare-metal types, or
16xlarge and bigger, attempted or done: the shape of crypto-mining. The instance type is read
in both shapes CloudTrail logs it: a string, or {"value": "..."} (seen in EC2 Fleet launches).
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
    coalesce(json_extract_scalar(requestparameters, '$.instanceType'), json_extract_scalar(requestparameters, '$.instanceType.value')) AS instance_type,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('RunInstances')
    AND regexp_like(lower(coalesce(json_extract_scalar(requestparameters, '$.instanceType'), json_extract_scalar(requestparameters, '$.instanceType.value'), '')), '^(p[0-9]|g[0-9]|inf[0-9]|trn[0-9]|dl[0-9]|x[0-9]|u-)|\.metal|\.(1[6-9]|[2-9][0-9]|[0-9]{3})xlarge')
ORDER BY eventtime
