/*
title = "S3 bucket made public"
kind = "detection"
severity = "high"
tags = ["s3", "exfiltration", "T1530"]
description = """
A bucket policy granting access to everyone, an ACL granting AllUsers or AuthenticatedUsers, or
a public access block removed or relaxed (bucket or account).

A policy grants everyone access when one of its statements has Effect Allow and Principal "*"
(or {"AWS": "*"}, alone or in a list) and no condition that holds it in. As in S3's own meaning of
public, a condition holds a statement in when it requires a fixed value of aws:PrincipalOrgID,
aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn,
aws:SourceOwner, aws:SourceOrgID, aws:SourceOrgPaths, aws:SourceVpc, aws:SourceVpce or
aws:SourceIp: under StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike or
IpAddress (or their ForAnyValue: form), with no value holding a wildcard (* or ?) and no address
range of /0. A negated operator (StringNotEquals, NotIpAddress...), an ...IfExists or
ForAllValues: operator (true when the key is absent), Null, or any other key does not hold a
statement in, so such statements are flagged. Deny statements grant nothing.
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
-- (the policy's text taken in a projection of its own: json_parse's rewrite for the local engine
-- names its operand several times, and DuckDB plans each: a column is planned at once)
FROM (SELECT *, json_extract_scalar(requestparameters, '$.bucketPolicy') AS policy_text FROM trail) AS calls
CROSS JOIN UNNEST(ARRAY[coalesce(TRY(json_parse(policy_text)), json_extract(requestparameters, '$.bucketPolicy'))]) AS parsed(policy)
WHERE ((eventsource = 's3.amazonaws.com' AND eventname IN ('PutBucketPolicy', 'PutBucketAcl', 'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock'))
    OR (eventsource = 's3-control.amazonaws.com' AND eventname IN ('DeletePublicAccessBlock', 'PutPublicAccessBlock')))
    AND (
        eventname IN ('DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock')
        OR (eventname IN ('PutPublicAccessBlock', 'PutBucketPublicAccessBlock') AND strpos(lower(coalesce(requestparameters, '')), 'false') > 0)
        OR (eventname = 'PutBucketAcl' AND regexp_like(coalesce(requestparameters, ''), 'acs.amazonaws.com/groups/global/(AllUsers|AuthenticatedUsers)'))
        OR (eventname = 'PutBucketPolicy' AND coalesce(any_match(
            coalesce(TRY_CAST(json_extract(policy, '$.Statement') AS array(json)), ARRAY[json_extract(policy, '$.Statement')]),
            s -> coalesce(
                json_extract_scalar(s, '$.Effect') = 'Allow'
                AND (
                    json_extract_scalar(s, '$.Principal') = '*'
                    OR json_extract_scalar(s, '$.Principal.AWS') = '*'
                    OR contains(TRY_CAST(json_extract(s, '$.Principal.AWS') AS array(varchar)), '*')
                )
                AND NOT regexp_like(
                    replace(replace(replace(lower(coalesce(json_format(json_extract(s, '$.Condition')), '')), ' ', ''), '"0.0.0.0/0"', '"*"'), '"::/0"', '"*"'),
                    '"(foranyvalue:)?(stringequals|stringequalsignorecase|stringlike|arnequals|arnlike|ipaddress)":\{[^{}]*"aws:(principalorgid|principalorgpaths|principalaccount|principalarn|sourceaccount|sourcearn|sourceowner|sourceorgid|sourceorgpaths|sourcevpc|sourcevpce|sourceip)":("[^"*?]+"|\[("[^"*?]+",)*"[^"*?]+"\])'
                ),
                false
            )
        ), false))
    )
ORDER BY eventtime
