/*
title = "Lambda code, layers or invoke permissions changed"
kind = "detection"
severity = "medium"
tags = ["lambda", "persistence", "T1546"]
description = """
A function's code or configuration (layers, environment) updated, a layer published or shared,
or a resource policy added: ways to plant code that runs with the function's role.

Routine deployments are left out, judged by what came before each change: a change is routine
when the same principal (for a role's sessions, the role) had made the same kind of change (code,
configuration, permission, layer) to the same function or layer, in the same account and region,
from the same source address, successfully, on more than routine_days earlier days of the window.
days_before says on how many. The first changes of a pattern are therefore always listed (with
routine_days=3, those of its first four days), however often it recurs later: a first-ever
deployment of a function, or an intruder's first changes, are never hidden by what follows them.
A change from a new address, by another principal, or to another function is listed, and so is
every failed call (failed calls make no habit). A short window holds little history: widen it
(--since 90d) to learn more habits; routine_days=0 lists every change.
"""

[params.routine_days]
type = "int"
default = 3
description = "Earlier days of the window on which the same change must have been made for it to be routine (0: list every change)."
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
-- One row per pattern and day: whether a change of that pattern succeeded on that day...
days AS (
    SELECT
        actor,
        account,
        awsregion,
        target,
        change,
        sourceipaddress,
        substr(eventtime, 1, 10) AS day,
        max(CASE WHEN errorcode IS NULL THEN 1 ELSE 0 END) AS succeeded
    FROM changes
    GROUP BY actor, account, awsregion, target, change, sourceipaddress, substr(eventtime, 1, 10)
),
-- ...and on how many earlier days one did: the baseline is the past, never the days after.
habits AS (
    SELECT
        *,
        coalesce(
            sum(succeeded) OVER (
                PARTITION BY actor, account, awsregion, target, change, sourceipaddress
                ORDER BY day
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            0
        ) AS days_before
    FROM days
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
    coalesce(h.days_before, 0) AS days_before,
    c.eventid
FROM changes AS c
LEFT JOIN habits AS h
    ON h.actor = c.actor
    AND h.account = c.account
    AND h.awsregion = c.awsregion
    AND h.target = c.target
    AND h.change = c.change
    AND h.sourceipaddress = c.sourceipaddress
    AND h.day = substr(c.eventtime, 1, 10)
WHERE c.errorcode IS NOT NULL OR :routine_days <= 0 OR coalesce(h.days_before, 0) <= :routine_days
ORDER BY c.eventtime
