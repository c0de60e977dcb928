/*
title = "Console password created or changed for an IAM user"
kind = "detection"
severity = "medium"
tags = ["iam", "persistence", "privilege-escalation", "T1098"]
description = """
CreateLoginProfile gives a user console access; UpdateLoginProfile sets a new password. Done by
someone else than the user, it is a takeover.
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
    json_extract_scalar(requestparameters, '$.userName') AS for_user,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('CreateLoginProfile', 'UpdateLoginProfile')
ORDER BY eventtime
