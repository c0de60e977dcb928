/*
title = "Account tried to leave the organization"
kind = "detection"
severity = "high"
tags = ["organizations", "defense-evasion", "T1562"]
description = """
LeaveOrganization or RemoveAccountFromOrganization, allowed or denied: outside the organization,
its SCPs and organization trail no longer apply.
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
WHERE eventsource = 'organizations.amazonaws.com'
    AND eventname IN ('LeaveOrganization', 'RemoveAccountFromOrganization')
ORDER BY eventtime
