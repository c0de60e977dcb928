/*
title = "GuardDuty disabled, detached or silenced"
kind = "detection"
severity = "high"
tags = ["guardduty", "defense-evasion", "T1562.001"]
description = """
A GuardDuty detector deleted or disabled, an account detached from its administrator, members
removed, or findings auto-archived by a new filter.
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
WHERE eventsource = 'guardduty.amazonaws.com'
    AND eventname IN ('DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DeleteMembers', 'StopMonitoringMembers', 'CreateFilter', 'DeletePublishingDestination')
    AND (eventname <> 'UpdateDetector' OR json_extract_scalar(requestparameters, '$.enable') = 'false')
    AND (eventname <> 'CreateFilter' OR json_extract_scalar(requestparameters, '$.action') = 'ARCHIVE')
ORDER BY eventtime
