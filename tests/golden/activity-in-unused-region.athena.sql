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
), account_days AS (
  SELECT
    account,
    COUNT(DISTINCT SUBSTR(eventtime, 1, 10)) AS days
  FROM trail
  GROUP BY
    account
), region_days AS (
  SELECT
    account,
    awsregion,
    COUNT(DISTINCT SUBSTR(eventtime, 1, 10)) AS days
  FROM trail
  GROUP BY
    account,
    awsregion
), rare AS (
  SELECT
    r.account,
    r.awsregion
  FROM region_days AS r
  JOIN account_days AS a
    ON a.account = r.account
  WHERE
    r.days <= 1 AND a.days >= 7
)
SELECT
  eventtime,
  eventname,
  COALESCE(useridentity.arn, useridentity.invokedby, useridentity.type) AS principal,
  sourceipaddress,
  useragent,
  awsregion,
  account,
  errorcode,
  eventid
FROM trail
WHERE
  (account, awsregion) IN (
    SELECT
      account,
      awsregion
    FROM rare
  )
  AND COALESCE(useridentity.type, '') <> 'AWSService'
ORDER BY
  eventtime
