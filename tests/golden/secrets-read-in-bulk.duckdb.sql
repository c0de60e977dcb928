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
), reads AS (
  SELECT
    *,
    COALESCE(useridentity.arn, useridentity.invokedby, useridentity.type) AS reader
  FROM trail
  WHERE
    eventsource = 'secretsmanager.amazonaws.com'
    AND eventname IN ('GetSecretValue', 'BatchGetSecretValue')
), bulk AS (
  SELECT
    reader
  FROM reads
  WHERE
    eventname = 'GetSecretValue'
  GROUP BY
    reader
  HAVING
    COUNT(
      DISTINCT CASE
        WHEN JSON_TYPE(requestparameters, '$.secretId') IN ('OBJECT', 'ARRAY')
        THEN NULL
        WHEN JSON_TYPE(requestparameters, '$.secretId') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
        THEN TRINO_JSON_SCALAR(
          requestparameters,
          requestparameters ->> '$.secretId',
          JSON_TYPE(requestparameters, '$.secretId')
        )
        ELSE requestparameters ->> '$.secretId'
      END
    ) >= 3
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
  CASE
    WHEN JSON_TYPE(requestparameters, '$.secretId') IN ('OBJECT', 'ARRAY')
    THEN NULL
    WHEN JSON_TYPE(requestparameters, '$.secretId') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
    THEN TRINO_JSON_SCALAR(
      requestparameters,
      requestparameters ->> '$.secretId',
      JSON_TYPE(requestparameters, '$.secretId')
    )
    ELSE requestparameters ->> '$.secretId'
  END AS secret_id,
  eventid
FROM reads
WHERE
  eventname = 'BatchGetSecretValue'
  OR reader IN (
    SELECT
      reader
    FROM bulk
  )
ORDER BY
  eventtime
