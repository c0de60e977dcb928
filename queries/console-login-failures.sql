/*
title = "Failed console logins per source: is it a brute force?"
kind = "investigation"
tags = ["signin", "credential-access", "T1110"]
description = """
Failed ConsoleLogin events grouped by source IP and user agent, most failures first: how many,
first and last attempt, attempts per minute, which users were targeted, whether a login from the
same address succeeded afterwards (success_followed: the brute force worked), and whether the
address or the agent appears in the targeted users' successful logins before the first attempt
(known_ip, known_agent: false means a stranger). Widen the window (--since 90d) to see more of
the users' usual logins.
"""

[params.min_failures]
type = "int"
default = 5
description = "Only sources with at least this many failures."
*/
WITH logins AS (
    SELECT
        eventtime,
        sourceipaddress,
        useragent,
        useridentity.username AS user_name,
        json_extract_scalar(responseelements, '$.ConsoleLogin') AS outcome
    FROM trail
    WHERE eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'
),
failures AS (
    SELECT
        sourceipaddress,
        useragent,
        count(*) AS failures,
        min(eventtime) AS first_attempt,
        max(eventtime) AS last_attempt,
        array_join(array_sort(array_agg(DISTINCT user_name)), ', ') AS users_targeted
    FROM logins
    WHERE outcome = 'Failure'
    GROUP BY sourceipaddress, useragent
    HAVING count(*) >= :min_failures
),
targeted AS (
    SELECT DISTINCT sourceipaddress, useragent, user_name FROM logins WHERE outcome = 'Failure'
),
checks AS (
    SELECT
        f.sourceipaddress,
        f.useragent,
        count_if(s.sourceipaddress = f.sourceipaddress AND s.eventtime >= f.first_attempt) > 0 AS success_followed,
        count_if(s.sourceipaddress = f.sourceipaddress AND s.eventtime < f.first_attempt) > 0 AS known_ip,
        count_if(s.useragent = f.useragent AND s.eventtime < f.first_attempt) > 0 AS known_agent
    FROM failures AS f
    JOIN targeted AS t ON t.sourceipaddress = f.sourceipaddress AND t.useragent = f.useragent
    LEFT JOIN logins AS s ON s.outcome = 'Success' AND s.user_name = t.user_name
    GROUP BY f.sourceipaddress, f.useragent
)
SELECT
    f.sourceipaddress,
    f.useragent,
    f.failures,
    f.users_targeted,
    f.first_attempt,
    f.last_attempt,
    round(
        f.failures * 60.0 / greatest(
            date_diff('second', from_iso8601_timestamp(f.first_attempt), from_iso8601_timestamp(f.last_attempt)), 60
        ),
        2
    ) AS attempts_per_minute,
    c.success_followed,
    c.known_ip,
    c.known_agent
FROM failures AS f
JOIN checks AS c ON c.sourceipaddress = f.sourceipaddress AND c.useragent = f.useragent
ORDER BY f.failures DESC, f.sourceipaddress
