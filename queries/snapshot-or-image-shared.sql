/*
title = "Snapshot or machine image shared with another account or the public"
kind = "detection"
severity = "high"
tags = ["ec2", "rds", "exfiltration", "T1537"]
description = """
EBS snapshots, AMIs or RDS snapshots given a new account or 'all' in their permissions: a copy
of the data can leave the organization. A share is a non-empty list of additions: the items of
createVolumePermission.add or launchPermission.add (EC2), or valuesToAdd (RDS); an EC2 call
naming operationType add is taken as one too. A call that only removes, or adds an empty list,
shares nothing.
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
        json_array_length(json_extract(requestparameters, '$.createVolumePermission.add.items')) > 0
        OR json_array_length(json_extract(requestparameters, '$.launchPermission.add.items')) > 0
        OR json_array_length(json_extract(requestparameters, '$.valuesToAdd')) > 0
        OR lower(json_extract_scalar(requestparameters, '$.operationType')) = 'add'
    )
ORDER BY eventtime
