/*
title = "CloudTrail stopped, deleted or its logging narrowed"
kind = "detection"
severity = "high"
tags = ["cloudtrail", "defense-evasion", "T1562.008"]
description = """
A trail stopped or deleted, its settings changed (UpdateTrail), its Insights selectors replaced,
a CloudTrail Lake event data store deleted or its ingestion stopped, or its event selectors
replaced by ones that no longer log every management event: an intruder blinding the record
you are reading.

PutEventSelectors replaces a trail's selectors, and the event holds only the new ones. It is
left out only when they plainly keep every management event: a basic selector with
IncludeManagementEvents true, ReadWriteType All and no ExcludeManagementEventSources (the API's
defaults when a field is absent), or an advanced selector whose only field selector is
eventCategory equals Management. Anything else is flagged: management events off, read-only or
write-only, sources excluded, advanced selectors narrowing by readOnly or eventSource, no
selectors, and shapes this reading does not know. What a change does to data events cannot be
told without the previous selectors, so data event selectors are not judged.
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
    AND (
        eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutInsightSelectors', 'DeleteEventDataStore', 'StopEventDataStoreIngestion')
        OR (eventname = 'PutEventSelectors' AND NOT (
            coalesce(any_match(
                TRY_CAST(json_extract(requestparameters, '$.eventSelectors') AS array(json)),
                s -> coalesce(
                    coalesce(json_extract_scalar(s, '$.includeManagementEvents'), 'true') = 'true'
                    AND coalesce(json_extract_scalar(s, '$.readWriteType'), 'All') = 'All'
                    AND coalesce(json_array_length(json_extract(s, '$.excludeManagementEventSources')), 0) = 0,
                    false
                )
            ), false)
            OR coalesce(any_match(
                TRY_CAST(json_extract(requestparameters, '$.advancedEventSelectors') AS array(json)),
                s -> coalesce(
                    json_array_length(json_extract(s, '$.fieldSelectors')) = 1
                    AND json_extract_scalar(s, '$.fieldSelectors[0].field') = 'eventCategory'
                    AND json_array_length(json_extract(s, '$.fieldSelectors[0].equals')) = 1
                    AND json_extract_scalar(s, '$.fieldSelectors[0].equals[0]') = 'Management',
                    false
                )
            ), false)
        ))
    )
ORDER BY eventtime
