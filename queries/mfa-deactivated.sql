/*
title = "MFA device deactivated or deleted"
kind = "detection"
severity = "medium"
tags = ["iam", "defense-evasion", "T1556.006"]
description = """
An MFA device removed from a user, or a virtual device deleted: the account is easier to take
over afterwards.
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
    coalesce(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.serialNumber')) AS device_or_user,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')
ORDER BY eventtime
