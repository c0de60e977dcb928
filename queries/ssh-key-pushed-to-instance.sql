/*
title = "SSH key pushed through EC2 Instance Connect or the serial console"
kind = "detection"
severity = "medium"
tags = ["ec2", "lateral-movement", "T1021.004"]
description = """
SendSSHPublicKey, SendSerialConsoleSSHPublicKey and EnableSerialConsoleAccess: a temporary key
lets whoever holds it log in to the instance.
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
    json_extract_scalar(requestparameters, '$.instanceId') AS instance_id,
    json_extract_scalar(requestparameters, '$.instanceOSUser') AS os_user,
    eventid
FROM trail
WHERE ((eventsource = 'ec2-instance-connect.amazonaws.com' AND eventname IN ('SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey'))
    OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('EnableSerialConsoleAccess')))
ORDER BY eventtime
