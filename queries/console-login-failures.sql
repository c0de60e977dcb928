/*
title = "Console brute force: bursts of failed console logins against a user or from an address"
kind = "detection"
severity = "medium"
tags = ["signin", "credential-access", "T1110"]
description = """
Bursts of failed console logins. A burst is at least min_failures failed ConsoleLogin events
(responseElements ConsoleLogin = Failure, or no outcome but an errorMessage) inside some
window_minutes, against one user (user name in one account: a brute force, from one address or
many), or from one address against several users (grouped_by = source_ip: password spraying; an
address that tries one user only is already that user's burst). Every failure of such a window
belongs to the burst, and bursts at most window_minutes apart are one.

One row per burst, named by its first failure (eventid, eventtime; of simultaneous first
failures, the lowest eventid): how many failures, the last attempt, attempts per minute, the
users targeted, the source addresses and user agents; whether a targeted user then logged in
successfully from one of those addresses (success_followed, first_success: the brute force
worked); whether a targeted user had logged in successfully from one of those addresses, or with
one of those agents, before the first failure (known_ip, known_agent: false means a stranger;
widen the window, --since 90d, to see more of the users' usual logins). Times are read to the
second, as UTC (CloudTrail's 2024-05-01T12:00:00Z, or the same with a space for the T); a login
whose eventTime is not such a time cannot be placed in a window and is not counted.
"""

[params.min_failures]
type = "int"
default = 10
description = "Failed logins within window_minutes that make a burst."

[params.window_minutes]
type = "int"
default = 60
description = "The sliding window, in minutes, in which min_failures must fall."
*/
WITH logins AS (
    SELECT
        *,
        json_extract_scalar(responseelements, '$.ConsoleLogin') AS outcome,
        useridentity.arn AS user_arn,
        coalesce(useridentity.accountid, recipientaccountid, account) AS target_account,
        CASE
            WHEN useridentity.type = 'Root' THEN 'root'
            ELSE coalesce(useridentity.username, useridentity.arn, useridentity.principalid)
        END AS target_user,
        CASE
            WHEN regexp_like(eventtime, '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z?$')
                THEN to_unixtime(from_iso8601_timestamp(replace(substr(eventtime, 1, 19), ' ', 'T') || 'Z'))
        END AS unix_time
    FROM trail
    WHERE eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'
),
failures AS (
    SELECT *
    FROM logins
    WHERE unix_time IS NOT NULL
        AND target_user IS NOT NULL
        AND (outcome = 'Failure' OR (outcome IS NULL AND errormessage IS NOT NULL))
),
keyed AS (
    SELECT 'user' AS grouped_by, target_account || ' ' || target_user AS burst_key, * FROM failures
    UNION ALL
    SELECT 'source_ip' AS grouped_by, sourceipaddress AS burst_key, * FROM failures WHERE sourceipaddress IS NOT NULL
),
-- How many failures of the same key fall in the window that starts at each failure...
ahead AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY grouped_by, burst_key ORDER BY unix_time
            RANGE BETWEEN CURRENT ROW AND greatest(:window_minutes, 0) * 60 FOLLOWING
        ) AS in_window
    FROM keyed
),
-- ...a failure is in a burst when a window holding min_failures of them holds it too...
marked AS (
    SELECT
        *,
        max(CASE WHEN in_window >= :min_failures THEN 1 ELSE 0 END) OVER (
            PARTITION BY grouped_by, burst_key ORDER BY unix_time
            RANGE BETWEEN greatest(:window_minutes, 0) * 60 PRECEDING AND CURRENT ROW
        ) AS in_burst
    FROM ahead
),
-- ...and a burst ends where the next failure of its key is more than a window away.
starts AS (
    SELECT
        *,
        CASE
            WHEN lag(unix_time) OVER (PARTITION BY grouped_by, burst_key ORDER BY unix_time) >= unix_time - greatest(:window_minutes, 0) * 60
                THEN 0
            ELSE 1
        END AS starts_burst
    FROM marked
    WHERE in_burst = 1
),
numbered AS (
    SELECT *, sum(starts_burst) OVER (PARTITION BY grouped_by, burst_key ORDER BY unix_time) AS burst
    FROM starts
),
-- ...each failure of a burst, with when the burst began and its place in it.
burst_rows AS (
    SELECT
        *,
        min(unix_time) OVER (PARTITION BY grouped_by, burst_key, burst) AS first_at,
        row_number() OVER (PARTITION BY grouped_by, burst_key, burst ORDER BY unix_time, eventid) AS position
    FROM numbered
),
bursts AS (
    SELECT
        grouped_by,
        burst_key,
        burst,
        count(*) AS failures,
        min(unix_time) AS first_at,
        max(unix_time) AS last_at,
        max(eventtime) AS last_attempt,
        count(DISTINCT target_account || ' ' || target_user) AS users,
        max(user_arn) AS user_arn,
        array_join(array_sort(array_agg(DISTINCT target_user)), ', ') AS users_targeted,
        array_join(array_sort(array_agg(DISTINCT sourceipaddress)), ', ') AS source_ips,
        array_join(array_sort(array_agg(DISTINCT useragent)), ', ') AS user_agents
    FROM burst_rows
    GROUP BY grouped_by, burst_key, burst
),
members AS (
    SELECT DISTINCT grouped_by, burst_key, burst, first_at, target_account, target_user, sourceipaddress, useragent
    FROM burst_rows
),
checks AS (
    SELECT
        m.grouped_by,
        m.burst_key,
        m.burst,
        min(CASE WHEN s.sourceipaddress = m.sourceipaddress AND s.unix_time >= m.first_at THEN s.eventtime END)
            AS first_success,
        count_if(s.sourceipaddress = m.sourceipaddress AND s.unix_time < m.first_at) > 0 AS known_ip,
        count_if(s.useragent = m.useragent AND s.unix_time < m.first_at) > 0 AS known_agent,
        max(s.user_arn) AS success_arn
    FROM members AS m
    LEFT JOIN logins AS s
        ON s.outcome = 'Success'
        AND s.unix_time IS NOT NULL
        AND s.target_account = m.target_account
        AND s.target_user = m.target_user
    GROUP BY m.grouped_by, m.burst_key, m.burst
)
SELECT
    f.eventtime,
    f.eventname,
    CASE WHEN b.grouped_by = 'user' THEN coalesce(b.user_arn, c.success_arn, f.target_user) ELSE b.users_targeted END AS principal,
    CASE WHEN b.grouped_by = 'user' THEN b.source_ips ELSE f.sourceipaddress END AS sourceipaddress,
    f.account,
    b.grouped_by,
    b.failures,
    b.last_attempt,
    round(b.failures * 60.0 / greatest(b.last_at - b.first_at, 60.0), 2) AS attempts_per_minute,
    b.users_targeted,
    b.source_ips,
    b.user_agents,
    c.first_success IS NOT NULL AS success_followed,
    c.first_success,
    c.known_ip,
    c.known_agent,
    f.eventid
FROM bursts AS b
-- (a burst is named by its first failure: of simultaneous first failures, the lowest eventid)
JOIN burst_rows AS f
    ON f.grouped_by = b.grouped_by AND f.burst_key = b.burst_key AND f.burst = b.burst AND f.position = 1
JOIN checks AS c ON c.grouped_by = b.grouped_by AND c.burst_key = b.burst_key AND c.burst = b.burst
WHERE b.grouped_by = 'user' OR b.users > 1
ORDER BY b.failures DESC, f.eventtime, b.grouped_by, b.burst_key
