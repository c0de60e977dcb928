/*
title = "Activity in a region the account barely uses"
kind = "detection"
severity = "low"
tags = ["discovery", "defense-evasion", "T1535"]
description = """
Events in a region where the account was active on at most max_days days of the window while the
account itself was active on at least min_account_days days: resources started where nobody
looks.
"""

[params.max_days]
type = "int"
default = 1
description = "A region active on this many days or fewer counts as unused."

[params.min_account_days]
type = "int"
default = 7
description = "Only accounts active on at least this many days (so there is a usual to compare with)."
*/
WITH account_days AS (
    SELECT account, count(DISTINCT substr(eventtime, 1, 10)) AS days FROM trail GROUP BY account
),
region_days AS (
    SELECT account, awsregion, count(DISTINCT substr(eventtime, 1, 10)) AS days FROM trail GROUP BY account, awsregion
),
rare AS (
    SELECT r.account, r.awsregion
    FROM region_days AS r
    JOIN account_days AS a ON a.account = r.account
    WHERE r.days <= :max_days AND a.days >= :min_account_days
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
FROM trail
WHERE (account, awsregion) IN (SELECT account, awsregion FROM rare)
    AND coalesce(useridentity.type, '') <> 'AWSService'
ORDER BY eventtime
