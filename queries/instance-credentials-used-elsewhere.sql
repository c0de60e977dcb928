/*
title = "Instance credentials used from an address that also acts as someone else"
kind = "detection"
severity = "high"
tags = ["ec2", "sts", "credential-access", "T1552.005"]
description = """
Calls by an EC2 instance profile session (role session named after the instance) from a source
IP that, in the same window, also made calls as another principal. Instance credentials belong
on their instance; seen next to a person's or another role's activity they were probably taken
from the metadata service. A call an AWS service made with the instance role (userIdentity
invokedBy set, or a service name such as ec2.amazonaws.com in sourceIPAddress instead of an
address) is the service at work, not the credentials in someone's hands, and is left out.
"""
*/
WITH instance_calls AS (
    SELECT *
    FROM trail
    WHERE useridentity.type = 'AssumedRole'
        AND regexp_like(useridentity.arn, '/i-[0-9a-zA-Z]{8,17}$')
        AND regexp_like(sourceipaddress, '^[0-9]{1,3}(\.[0-9]{1,3}){3}$|:')
        AND coalesce(useridentity.invokedby, '') = ''
),
shared_addresses AS (
    SELECT DISTINCT sourceipaddress
    FROM trail
    WHERE NOT (useridentity.type = 'AssumedRole' AND regexp_like(coalesce(useridentity.arn, ''), '/i-[0-9a-zA-Z]{8,17}$'))
        AND coalesce(useridentity.type, '') IN ('IAMUser', 'AssumedRole', 'Root', 'FederatedUser')
)
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
FROM instance_calls
WHERE sourceipaddress IN (SELECT sourceipaddress FROM shared_addresses)
ORDER BY eventtime
