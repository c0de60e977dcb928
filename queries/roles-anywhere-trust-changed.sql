/*
title = "IAM Roles Anywhere trust anchor or profile created or changed"
kind = "detection"
severity = "high"
tags = ["rolesanywhere", "persistence", "T1098"]
description = """
A new or changed trust anchor lets holders of certificates from an outside CA assume roles: a
durable way in.
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
    eventid
FROM trail
WHERE eventsource = 'rolesanywhere.amazonaws.com'
    AND eventname IN ('CreateTrustAnchor', 'UpdateTrustAnchor', 'CreateProfile', 'UpdateProfile', 'EnableTrustAnchor')
ORDER BY eventtime
