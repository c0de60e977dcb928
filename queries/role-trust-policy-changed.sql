/*
title = "IAM role trust policy changed"
kind = "detection"
severity = "high"
tags = ["iam", "persistence", "T1098"]
description = """
UpdateAssumeRolePolicy: who may assume the role changed. A new outside account or a wildcard
principal is a backdoor.
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
    json_extract_scalar(requestparameters, '$.roleName') AS role_name,
    json_extract_scalar(requestparameters, '$.policyDocument') AS trust_policy,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('UpdateAssumeRolePolicy')
ORDER BY eventtime
