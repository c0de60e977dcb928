/*
title = "KMS key scheduled for deletion or disabled"
kind = "detection"
severity = "high"
tags = ["kms", "impact", "T1485"]
description = """
A customer managed key scheduled for deletion or disabled: whatever it encrypts becomes
unreadable when it goes.
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
    json_extract_scalar(requestparameters, '$.keyId') AS key_id,
    eventid
FROM trail
WHERE eventsource = 'kms.amazonaws.com'
    AND eventname IN ('ScheduleKeyDeletion', 'DisableKey')
ORDER BY eventtime
