/*
title = "EC2 instance changes: lifecycle, attributes, user data, profile, volumes, addresses"
kind = "investigation"
tags = ["ec2", "execution", "persistence", "T1578"]
description = """
Changes to EC2 instances in the window, oldest first: launches and terminations, starts and
stops, attribute changes (instance type, user data, metadata options), instance profile
associations, volumes attached or detached and addresses associated. The request names the
instance; requestparameters has the details.
"""

[params.resource_id]
type = "string"
required = false
description = "Only changes naming this instance id (i-...)."
*/
SELECT
    eventtime,
    eventname,
    coalesce(
        json_extract_scalar(requestparameters, '$.instanceId'),
        json_extract_scalar(requestparameters, '$.instancesSet.items[0].instanceId'),
        json_extract_scalar(responseelements, '$.instancesSet.items[0].instanceId')
    ) AS instance_id,
    useridentity.arn AS principal,
    sourceipaddress,
    requestparameters,
    errorcode,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN (
        'RunInstances', 'StartInstances', 'StopInstances', 'RebootInstances', 'TerminateInstances',
        'ModifyInstanceAttribute', 'ModifyInstanceMetadataOptions', 'ModifyInstancePlacement',
        'AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation', 'DisassociateIamInstanceProfile',
        'AttachVolume', 'DetachVolume', 'AssociateAddress', 'DisassociateAddress',
        'AttachNetworkInterface', 'DetachNetworkInterface', 'ModifyNetworkInterfaceAttribute'
    )
    AND (
        :resource_id IS NULL
        OR strpos(requestparameters, concat('"', :resource_id, '"')) > 0
        OR strpos(responseelements, concat('"', :resource_id, '"')) > 0
    )
ORDER BY eventtime
