/*
title = "SSM command run or session opened on instances"
kind = "detection"
severity = "medium"
tags = ["ssm", "execution", "T1651"]
description = """
SendCommand and StartSession: remote execution on instances through Systems Manager. Expected
from automation; from a person or an odd address, it is hands on keyboard.
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
    json_extract_scalar(requestparameters, '$.documentName') AS document,
    coalesce(json_extract_scalar(requestparameters, '$.target'), json_format(json_extract(requestparameters, '$.instanceIds'))) AS targets,
    eventid
FROM trail
WHERE eventsource = 'ssm.amazonaws.com'
    AND eventname IN ('SendCommand', 'StartSession', 'ResumeSession')
ORDER BY eventtime
