/*
title = "Elastic IPs allocated, associated, disassociated and released"
kind = "investigation"
tags = ["ec2", "network", "T1578"]
description = """
The life of Elastic IP addresses in the window: who allocated an address, attached it to which
instance or interface, and let it go. An address allocated by an unusual principal, or attached
to an instance that never had one, can expose a host or give an intruder a stable egress IP.
"""
*/
SELECT
    eventtime,
    eventname,
    coalesce(
        json_extract_scalar(responseelements, '$.allocationId'),
        json_extract_scalar(requestparameters, '$.allocationId')
    ) AS allocation_id,
    coalesce(json_extract_scalar(responseelements, '$.publicIp'), json_extract_scalar(requestparameters, '$.publicIp')) AS public_ip,
    json_extract_scalar(requestparameters, '$.instanceId') AS instance_id,
    useridentity.arn AS principal,
    sourceipaddress,
    awsregion,
    errorcode,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('AllocateAddress', 'AssociateAddress', 'DisassociateAddress', 'ReleaseAddress')
ORDER BY eventtime
