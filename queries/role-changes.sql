/*
title = "IAM role changes: policies, trust, instance profiles and their instances"
kind = "investigation"
tags = ["iam", "ec2", "privilege-escalation", "persistence", "T1098"]
description = """
Changes to IAM roles in the window, oldest first: roles created or deleted, managed policies
attached or detached, inline policies put or deleted, trust policies and permission boundaries
updated, roles added to or removed from instance profiles, and instance profiles associated with
instances. A detached policy explains an application's sudden AccessDenied; a changed trust
policy can let an outsider in.
"""

[params.resource_id]
type = "string"
required = false
description = "Only changes naming this role name, instance profile name or instance id."
*/
SELECT
    eventtime,
    eventname,
    coalesce(
        json_extract_scalar(requestparameters, '$.roleName'),
        json_extract_scalar(requestparameters, '$.instanceProfileName'),
        json_extract_scalar(requestparameters, '$.instanceId')
    ) AS resource,
    json_extract_scalar(requestparameters, '$.policyArn') AS policy_arn,
    useridentity.arn AS principal,
    sourceipaddress,
    requestparameters,
    errorcode,
    eventid
FROM trail
WHERE (
    (
        eventsource = 'iam.amazonaws.com'
        AND eventname IN (
            'CreateRole', 'DeleteRole', 'UpdateRole', 'UpdateAssumeRolePolicy',
            'AttachRolePolicy', 'DetachRolePolicy', 'PutRolePolicy', 'DeleteRolePolicy',
            'PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary',
            'CreateInstanceProfile', 'DeleteInstanceProfile',
            'AddRoleToInstanceProfile', 'RemoveRoleFromInstanceProfile'
        )
    )
    OR (
        eventsource = 'ec2.amazonaws.com'
        AND eventname IN (
            'AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation', 'DisassociateIamInstanceProfile'
        )
    )
)
    AND (
        :resource_id IS NULL
        OR strpos(requestparameters, concat('"', :resource_id, '"')) > 0
        OR strpos(responseelements, concat('"', :resource_id, '"')) > 0
    )
ORDER BY eventtime
