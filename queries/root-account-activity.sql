/*
title = "The root user was used"
kind = "detection"
severity = "high"
tags = ["iam", "privilege-escalation", "T1078.004"]
description = """
Calls made with the account's root user (console or access keys), AWS's own service events
aside. Root should be locked away: every row needs an owner and a reason.
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
WHERE useridentity.type = 'Root'
    AND useridentity.invokedby IS NULL
    AND coalesce(eventtype, '') <> 'AwsServiceEvent'
ORDER BY eventtime
