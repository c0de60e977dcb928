/*
title = "CloudTrail stopped, deleted or its logging narrowed"
kind = "detection"
severity = "high"
tags = ["cloudtrail", "defense-evasion", "T1562.008"]
description = """
A trail stopped or deleted, its settings changed, or its event or Insights selectors replaced:
an intruder blinding the record you are reading.
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
    coalesce(json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.trailName')) AS trail,
    eventid
FROM trail
WHERE eventsource = 'cloudtrail.amazonaws.com'
    AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors', 'DeleteEventDataStore', 'StopEventDataStoreIngestion')
ORDER BY eventtime
