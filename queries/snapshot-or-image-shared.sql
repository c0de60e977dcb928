/*
title = "Snapshot or machine image shared with another account or the public"
kind = "detection"
severity = "high"
tags = ["ec2", "rds", "exfiltration", "T1537"]
description = """
EBS snapshots, AMIs or RDS snapshots given a new account or 'all' in their permissions: a copy
of the data can leave the organization.
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
    coalesce(json_extract_scalar(requestparameters, '$.snapshotId'), json_extract_scalar(requestparameters, '$.imageId'), json_extract_scalar(requestparameters, '$.dBSnapshotIdentifier'), json_extract_scalar(requestparameters, '$.dBClusterSnapshotIdentifier')) AS shared_resource,
    requestparameters,
    eventid
FROM trail
WHERE ((eventsource = 'ec2.amazonaws.com' AND eventname IN ('ModifySnapshotAttribute', 'ModifyImageAttribute'))
    OR (eventsource = 'rds.amazonaws.com' AND eventname IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')))
    AND (
        strpos(coalesce(requestparameters, ''), '"add"') > 0
        OR strpos(coalesce(requestparameters, ''), 'valuesToAdd') > 0
    )
ORDER BY eventtime
