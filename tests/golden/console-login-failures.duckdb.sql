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
    eventtime,
    sourceipaddress,
    useragent,
    useridentity.username AS user_name,
    CASE
      WHEN JSON_TYPE(responseelements, '$.ConsoleLogin') IN ('OBJECT', 'ARRAY')
      THEN NULL
      ELSE responseelements ->> '$.ConsoleLogin'
    END AS outcome
  FROM trail
  WHERE
    eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'
), failures AS (
  SELECT
    sourceipaddress,
    useragent,
    COUNT(*) AS failures,
    MIN(eventtime) AS first_attempt,
    MAX(eventtime) AS last_attempt,
    ARRAY_TO_STRING(
      LIST_FILTER(
        LIST_SORT(ARRAY_AGG(DISTINCT user_name)),
        LAMBDA trailcsi_item : NOT trailcsi_item IS NULL
      ),
      ', '
    ) AS users_targeted
  FROM logins
  WHERE
    outcome = 'Failure'
  GROUP BY
    sourceipaddress,
    useragent
  HAVING
    COUNT(*) >= 5
), targeted AS (
  SELECT DISTINCT
    sourceipaddress,
    useragent,
    user_name
  FROM logins
  WHERE
    outcome = 'Failure'
), checks AS (
  SELECT
    f.sourceipaddress,
    f.useragent,
    COALESCE(
      COUNT_IF(s.sourceipaddress = f.sourceipaddress AND s.eventtime >= f.first_attempt),
      0
    ) > 0 AS success_followed,
    COALESCE(
      COUNT_IF(s.sourceipaddress = f.sourceipaddress AND s.eventtime < f.first_attempt),
      0
    ) > 0 AS known_ip,
    COALESCE(COUNT_IF(s.useragent = f.useragent AND s.eventtime < f.first_attempt), 0) > 0 AS known_agent
  FROM failures AS f
  JOIN targeted AS t
    ON t.sourceipaddress = f.sourceipaddress AND t.useragent = f.useragent
  LEFT JOIN logins AS s
    ON s.outcome = 'Success' AND s.user_name = t.user_name
  GROUP BY
    f.sourceipaddress,
    f.useragent
)
SELECT
  f.sourceipaddress,
  f.useragent,
  f.failures,
  f.users_targeted,
  f.first_attempt,
  f.last_attempt,
  CAST(ROUND(
    CAST(TRINO_DECIMAL_DIVIDE(
      CAST(f.failures * 60.0 AS DECIMAL(38, 1)),
      CAST(CASE
        WHEN DATE_SUB(
          'second',
          TRINO_FROM_ISO8601_TIMESTAMP(f.first_attempt),
          TRINO_FROM_ISO8601_TIMESTAMP(f.last_attempt)
        ) IS NULL
        OR 60 IS NULL
        THEN NULL
        ELSE GREATEST(
          DATE_SUB(
            'second',
            TRINO_FROM_ISO8601_TIMESTAMP(f.first_attempt),
            TRINO_FROM_ISO8601_TIMESTAMP(f.last_attempt)
          ),
          60
        )
      END AS DECIMAL(38, 0)),
      CAST(10 AS INT128),
      CAST(1 AS INT128),
      CAST(1 AS INT128),
      0.1
    ) AS DECIMAL(22, 1)),
    2
  ) AS DECIMAL(23, 1)) AS attempts_per_minute,
  c.success_followed,
  c.known_ip,
  c.known_agent
FROM failures AS f
JOIN checks AS c
  ON c.sourceipaddress = f.sourceipaddress AND c.useragent = f.useragent
ORDER BY
  f.failures DESC,
  f.sourceipaddress
