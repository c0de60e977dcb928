/*
title = "Logs or log configurations deleted"
kind = "detection"
severity = "medium"
tags = ["logs", "route53", "defense-evasion", "T1562.008"]
description = """
CloudWatch log groups or streams deleted, Route 53 Resolver query logging deleted or detached,
or an S3 bucket's access logging switched off.
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
    requestparameters,
    eventid
FROM trail
WHERE ((eventsource = 'logs.amazonaws.com' AND eventname IN ('DeleteLogGroup', 'DeleteLogStream', 'DeleteSubscriptionFilter'))
    OR (eventsource = 'route53resolver.amazonaws.com' AND eventname IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'))
    OR (eventsource = 's3.amazonaws.com' AND eventname IN ('PutBucketLogging')))
    AND (eventname <> 'PutBucketLogging' OR strpos(coalesce(requestparameters, ''), 'LoggingEnabled') = 0)
ORDER BY eventtime
