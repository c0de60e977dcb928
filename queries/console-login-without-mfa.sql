/*
title = "Console login without MFA"
kind = "detection"
severity = "medium"
tags = ["signin", "initial-access", "T1078"]
description = """
Successful console logins of IAM users and root that did not use MFA. A password alone was
enough: if MFA is the rule here, the password may be stolen.
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
    useridentity.username AS user_name,
    eventid
FROM trail
WHERE eventsource = 'signin.amazonaws.com'
    AND eventname = 'ConsoleLogin'
    AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
    AND json_extract_scalar(additionaleventdata, '$.MFAUsed') = 'No'
    AND coalesce(useridentity.type, '') IN ('IAMUser', 'Root')
ORDER BY eventtime
