/*
title = "Lambda code, layers or invoke permissions changed"
kind = "detection"
severity = "medium"
tags = ["lambda", "persistence", "T1546"]
description = """
A function's code or configuration (layers, environment) updated, a layer published or shared,
or a resource policy added: ways to plant code that runs with the function's role.
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
    json_extract_scalar(requestparameters, '$.functionName') AS function_name,
    eventid
FROM trail
WHERE eventsource = 'lambda.amazonaws.com'
    AND (
        eventname LIKE 'UpdateFunctionCode%'
        OR eventname LIKE 'UpdateFunctionConfiguration%'
        OR eventname LIKE 'AddPermission%'
        OR eventname LIKE 'AddLayerVersionPermission%'
        OR eventname LIKE 'PublishLayerVersion%'
    )
ORDER BY eventtime
