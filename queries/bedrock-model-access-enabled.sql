/*
title = "Bedrock model access enabled or models invoked"
kind = "detection"
severity = "medium"
tags = ["bedrock", "impact", "T1496"]
description = """
Model access agreements and entitlements created, and model invocations: stolen credentials are
used to run expensive models (LLMjacking).
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
    json_extract_scalar(requestparameters, '$.modelId') AS model_id,
    eventid
FROM trail
WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('PutFoundationModelEntitlement', 'CreateFoundationModelAgreement', 'PutUseCaseForModelAccess', 'InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
ORDER BY eventtime
