WITH trail AS (
  SELECT
    *
  FROM trail_source
  WHERE
    eventtime >= '2024-05-01T00:00:00Z'
    AND eventtime < '2024-05-02T00:00:00Z'
    AND (
      (
        LOWER(awsregion) = 'us-east-1'
      )
    )
), logins AS (
  SELECT
    *,
    JSON_EXTRACT_SCALAR(responseelements, '$.ConsoleLogin') AS outcome,
    useridentity.arn AS user_arn,
    COALESCE(useridentity.accountid, recipientaccountid, account) AS target_account,
    CASE
      WHEN useridentity.type = 'Root'
      THEN 'root'
      ELSE COALESCE(useridentity.username, useridentity.arn, useridentity.principalid)
    END AS target_user,
    CASE
      WHEN REGEXP_LIKE(
        eventtime,
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z?$'
      )
      THEN TO_UNIXTIME(FROM_ISO8601_TIMESTAMP(REPLACE(SUBSTR(eventtime, 1, 19), ' ', 'T') || 'Z'))
    END AS unix_time
  FROM trail
  WHERE
    eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'
), failures AS (
  SELECT
    *
  FROM logins
  WHERE
    NOT unix_time IS NULL
    AND NOT target_user IS NULL
    AND (
      outcome = 'Failure' OR (
        outcome IS NULL AND NOT errormessage IS NULL
      )
    )
), keyed AS (
  SELECT
    'user' AS grouped_by,
    target_account || ' ' || target_user AS burst_key,
    *
  FROM failures
  UNION ALL
  SELECT
    'source_ip' AS grouped_by,
    sourceipaddress AS burst_key,
    *
  FROM failures
  WHERE
    NOT sourceipaddress IS NULL
), ahead /* How many failures of the same key fall in the window that starts at each failure... */ AS (
  SELECT
    *,
    COUNT(*) OVER (
      PARTITION BY grouped_by, burst_key
      ORDER BY unix_time
      RANGE BETWEEN CURRENT ROW AND GREATEST(60, 0) * 60 FOLLOWING
    ) AS in_window
  FROM keyed
), marked /* ...a failure is in a burst when a window holding min_failures of them holds it too... */ AS (
  SELECT
    *,
    MAX(CASE WHEN in_window >= 10 THEN 1 ELSE 0 END) OVER (
      PARTITION BY grouped_by, burst_key
      ORDER BY unix_time
      RANGE BETWEEN GREATEST(60, 0) * 60 PRECEDING AND CURRENT ROW
    ) AS in_burst
  FROM ahead
), starts /* ...and a burst ends where the next failure of its key is more than a window away. */ AS (
  SELECT
    *,
    CASE
      WHEN LAG(unix_time) OVER (PARTITION BY grouped_by, burst_key ORDER BY unix_time) >= unix_time - GREATEST(60, 0) * 60
      THEN 0
      ELSE 1
    END AS starts_burst
  FROM marked
  WHERE
    in_burst = 1
), numbered AS (
  SELECT
    *,
    SUM(starts_burst) OVER (PARTITION BY grouped_by, burst_key ORDER BY unix_time) AS burst
  FROM starts
), burst_rows /* ...each failure of a burst, with when the burst began and its place in it. */ AS (
  SELECT
    *,
    MIN(unix_time) OVER (PARTITION BY grouped_by, burst_key, burst) AS first_at,
    ROW_NUMBER() OVER (PARTITION BY grouped_by, burst_key, burst ORDER BY unix_time, eventid) AS position
  FROM numbered
), bursts AS (
  SELECT
    grouped_by,
    burst_key,
    burst,
    COUNT(*) AS failures,
    MIN(unix_time) AS first_at,
    MAX(unix_time) AS last_at,
    MAX(eventtime) AS last_attempt,
    COUNT(DISTINCT target_account || ' ' || target_user) AS users,
    MAX(user_arn) AS user_arn,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT target_user)), ', ') AS users_targeted,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT sourceipaddress)), ', ') AS source_ips,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT useragent)), ', ') AS user_agents
  FROM burst_rows
  GROUP BY
    grouped_by,
    burst_key,
    burst
), members AS (
  SELECT DISTINCT
    grouped_by,
    burst_key,
    burst,
    first_at,
    target_account,
    target_user,
    sourceipaddress,
    useragent
  FROM burst_rows
), checks AS (
  SELECT
    m.grouped_by,
    m.burst_key,
    m.burst,
    MIN(
      CASE
        WHEN s.sourceipaddress = m.sourceipaddress AND s.unix_time >= m.first_at
        THEN s.eventtime
      END
    ) AS first_success,
    COUNT_IF(s.sourceipaddress = m.sourceipaddress AND s.unix_time < m.first_at) > 0 AS known_ip,
    COUNT_IF(s.useragent = m.useragent AND s.unix_time < m.first_at) > 0 AS known_agent,
    MAX(s.user_arn) AS success_arn
  FROM members AS m
  LEFT JOIN logins AS s
    ON s.outcome = 'Success'
    AND NOT s.unix_time IS NULL
    AND s.target_account = m.target_account
    AND s.target_user = m.target_user
  GROUP BY
    m.grouped_by,
    m.burst_key,
    m.burst
)
SELECT
  f.eventtime,
  f.eventname,
  CASE
    WHEN b.grouped_by = 'user'
    THEN COALESCE(b.user_arn, c.success_arn, f.target_user)
    ELSE b.users_targeted
  END AS principal,
  CASE WHEN b.grouped_by = 'user' THEN b.source_ips ELSE f.sourceipaddress END AS sourceipaddress,
  f.account,
  b.grouped_by,
  b.failures,
  b.last_attempt,
  ROUND(b.failures * 60.0 / GREATEST(b.last_at - b.first_at, 60.0), 2) AS attempts_per_minute,
  b.users_targeted,
  b.source_ips,
  b.user_agents,
  NOT c.first_success IS NULL AS success_followed,
  c.first_success,
  c.known_ip,
  c.known_agent,
  f.eventid
FROM bursts AS b
/* (a burst is named by its first failure: of simultaneous first failures, the lowest eventid) */
JOIN burst_rows AS f
  ON f.grouped_by = b.grouped_by
  AND f.burst_key = b.burst_key
  AND f.burst = b.burst
  AND f.position = 1
JOIN checks AS c
  ON c.grouped_by = b.grouped_by AND c.burst_key = b.burst_key AND c.burst = b.burst
WHERE
  b.grouped_by = 'user' OR b.users > 1
ORDER BY
  b.failures DESC,
  f.eventtime,
  b.grouped_by,
  b.burst_key
