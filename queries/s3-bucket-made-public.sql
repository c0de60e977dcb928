/*
title = "S3 bucket made public"
kind = "detection"
severity = "high"
tags = ["s3", "exfiltration", "T1530"]
description = """
A bucket policy granting access to everyone, an ACL granting AllUsers or AuthenticatedUsers, or
a public access block removed or relaxed (bucket or account).
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
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    eventid
FROM trail
WHERE ((eventsource = 's3.amazonaws.com' AND eventname IN ('PutBucketPolicy', 'PutBucketAcl', 'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock'))
    OR (eventsource = 's3-control.amazonaws.com' AND eventname IN ('DeletePublicAccessBlock', 'PutPublicAccessBlock')))
    AND (
        eventname IN ('DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock')
        OR (eventname IN ('PutPublicAccessBlock', 'PutBucketPublicAccessBlock') AND strpos(lower(coalesce(requestparameters, '')), 'false') > 0)
        OR (eventname = 'PutBucketAcl' AND regexp_like(coalesce(requestparameters, ''), 'acs.amazonaws.com/groups/global/(AllUsers|AuthenticatedUsers)'))
        OR (eventname = 'PutBucketPolicy' AND regexp_like(replace(coalesce(requestparameters, ''), ' ', ''), '"Principal":(\{"AWS":)?(\[)?"\*"'))
    )
ORDER BY eventtime
