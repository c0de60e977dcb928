/*
title = "Managed policy rewritten"
kind = "detection"
severity = "medium"
tags = ["iam", "privilege-escalation", "T1098"]
description = """
A new default version of a customer managed policy, or a switch to another version: every user
and role with it gets the new rights at once.
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
    json_extract_scalar(requestparameters, '$.policyArn') AS policy_arn,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('CreatePolicyVersion', 'SetDefaultPolicyVersion')
    AND (eventname = 'SetDefaultPolicyVersion' OR json_extract_scalar(requestparameters, '$.setAsDefault') = 'true')
ORDER BY eventtime
