/*
title = "Administrator rights granted to a user, role or group"
kind = "detection"
severity = "high"
tags = ["iam", "privilege-escalation", "persistence", "T1098"]
description = """
AdministratorAccess (or any policy named like it) attached, or an inline policy allowing every
action on every resource put, on a user, role or group.
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
    coalesce(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.roleName'), json_extract_scalar(requestparameters, '$.groupName')) AS granted_to,
    json_extract_scalar(requestparameters, '$.policyArn') AS policy_arn,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy')
    AND (
        lower(json_extract_scalar(requestparameters, '$.policyArn')) LIKE '%administratoraccess%'
        OR regexp_like(replace(json_extract_scalar(requestparameters, '$.policyDocument'), ' ', ''), '"Action":(\[)?"\*"')
    )
ORDER BY eventtime
