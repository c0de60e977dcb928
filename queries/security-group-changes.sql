/*
title = "Security group changes: rules opened, closed, groups made or deleted"
kind = "investigation"
tags = ["ec2", "network", "defense-evasion", "T1562.007"]
description = """
Every change to security groups in the window, oldest first: the group, the call (ingress or
egress rule authorized or revoked, group created, deleted or modified), who made it and from
where, with the request's rule details in requestparameters. Read it against the time an
application broke or a host was reached.
"""

[params.resource_id]
type = "string"
required = false
description = "Only changes naming this security group id (sg-...)."
*/
SELECT
    eventtime,
    eventname,
    coalesce(json_extract_scalar(requestparameters, '$.groupId'), json_extract_scalar(responseelements, '$.groupId')) AS group_id,
    useridentity.arn AS principal,
    sourceipaddress,
    requestparameters,
    errorcode,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN (
        'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',
        'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
        'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules',
        'UpdateSecurityGroupRuleDescriptionsIngress', 'UpdateSecurityGroupRuleDescriptionsEgress'
    )
    AND (
        :resource_id IS NULL
        OR strpos(requestparameters, concat('"', :resource_id, '"')) > 0
        OR strpos(responseelements, concat('"', :resource_id, '"')) > 0
    )
ORDER BY eventtime
