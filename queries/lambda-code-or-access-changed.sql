/*
title = "Lambda code, layers or invoke permissions changed"
kind = "detection"
severity = "medium"
tags = ["lambda", "persistence", "T1546"]
description = """
A function's code or configuration (layers, environment) updated, a layer published or shared,
or a resource policy added: ways to plant code that runs with the function's role.

Routine deployments are left out: a change is routine when the same principal (for a role's
sessions, the role) made the same kind of change (code, configuration, permission, layer) to the
same function or layer, in the same account and region, from the same source address,
successfully, on more than routine_days days of the window. days_seen says on how many days it
did. A change from a new address, by another principal, or to another function is listed, and so
is every failed call. The baseline is the window: widen it (--since 90d) to learn more habits;
routine_days=0 lists every change.
"""

[params.routine_days]
type = "int"
default = 3
description = "Days on which the same change must recur in the window to be routine (0: list every change)."
*/
WITH changes AS (
    SELECT
        *,
        coalesce(
            useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.invokedby, useridentity.type
        ) AS actor,
        coalesce(
            json_extract_scalar(requestparameters, '$.functionName'),
            json_extract_scalar(requestparameters, '$.layerName')
        ) AS target,
        CASE
            WHEN eventname LIKE 'UpdateFunctionCode%' THEN 'code'
            WHEN eventname LIKE 'UpdateFunctionConfiguration%' THEN 'configuration'
            WHEN eventname LIKE 'AddPermission%' THEN 'permission'
            ELSE 'layer'
        END AS change
    FROM trail
    WHERE eventsource = 'lambda.amazonaws.com'
        AND (
            eventname LIKE 'UpdateFunctionCode%'
            OR eventname LIKE 'UpdateFunctionConfiguration%'
            OR eventname LIKE 'AddPermission%'
            OR eventname LIKE 'AddLayerVersionPermission%'
            OR eventname LIKE 'PublishLayerVersion%'
        )
),
habits AS (
    SELECT actor, account, awsregion, target, change, sourceipaddress, count(DISTINCT substr(eventtime, 1, 10)) AS days
    FROM changes
    WHERE errorcode IS NULL
    GROUP BY actor, account, awsregion, target, change, sourceipaddress
)
SELECT
    c.eventtime,
    c.eventname,
    coalesce(c.useridentity.arn, c.useridentity.invokedby, c.useridentity.type) AS principal,
    c.sourceipaddress,
    c.useragent,
    c.awsregion,
    c.account,
    c.errorcode,
    json_extract_scalar(c.requestparameters, '$.functionName') AS function_name,
    coalesce(h.days, 0) AS days_seen,
    c.eventid
FROM changes AS c
LEFT JOIN habits AS h
    ON h.actor = c.actor
    AND h.account = c.account
    AND h.awsregion = c.awsregion
    AND h.target = c.target
    AND h.change = c.change
    AND h.sourceipaddress = c.sourceipaddress
WHERE c.errorcode IS NOT NULL OR :routine_days <= 0 OR coalesce(h.days, 0) <= :routine_days
ORDER BY c.eventtime
