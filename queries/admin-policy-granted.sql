/*
title = "Administrator rights granted to a user, role or group"
kind = "detection"
severity = "high"
tags = ["iam", "privilege-escalation", "persistence", "T1098"]
description = """
AdministratorAccess (or any policy named like it) attached, or an inline policy put on a user,
role or group with a statement that allows every action ("Action": "*"). Only Allow statements
grant: a policy that denies every action (a quarantine) is not flagged, nor is a policy document
that does not parse (IAM refuses it).
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
-- (the document's text taken in a projection of its own: json_parse's rewrite for the local engine
-- names its operand several times, and DuckDB plans each: a column is planned at once)
FROM (SELECT *, json_extract_scalar(requestparameters, '$.policyDocument') AS document FROM trail) AS calls
CROSS JOIN UNNEST(ARRAY[TRY(json_parse(document))]) AS parsed(policy)
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy')
    AND (
        lower(json_extract_scalar(requestparameters, '$.policyArn')) LIKE '%administratoraccess%'
        OR coalesce(any_match(
            coalesce(TRY_CAST(json_extract(policy, '$.Statement') AS array(json)), ARRAY[json_extract(policy, '$.Statement')]),
            s -> coalesce(
                json_extract_scalar(s, '$.Effect') = 'Allow'
                AND (json_extract_scalar(s, '$.Action') = '*' OR contains(TRY_CAST(json_extract(s, '$.Action') AS array(varchar)), '*')),
                false
            )
        ), false)
    )
ORDER BY eventtime
