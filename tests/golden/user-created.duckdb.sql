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
)
SELECT
  eventtime,
  CASE
    WHEN JSON_TYPE(requestparameters, '$.userName') IN ('OBJECT', 'ARRAY')
    THEN NULL
    WHEN JSON_TYPE(requestparameters, '$.userName') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
    THEN TRINO_JSON_SCALAR(
      requestparameters,
      requestparameters ->> '$.userName',
      JSON_TYPE(requestparameters, '$.userName')
    )
    ELSE requestparameters ->> '$.userName'
  END AS new_user,
  useridentity.arn AS creator,
  useridentity.type AS creator_type,
  sourceipaddress,
  useragent,
  errorcode,
  account,
  eventid
FROM trail
WHERE
  eventsource = 'iam.amazonaws.com'
  AND eventname = 'CreateUser'
  AND (
    'svc-backup' IS NULL
    OR CASE
      WHEN JSON_TYPE(requestparameters, '$.userName') IN ('OBJECT', 'ARRAY')
      THEN NULL
      WHEN JSON_TYPE(requestparameters, '$.userName') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
      THEN TRINO_JSON_SCALAR(
        requestparameters,
        requestparameters ->> '$.userName',
        JSON_TYPE(requestparameters, '$.userName')
      )
      ELSE requestparameters ->> '$.userName'
    END = 'svc-backup'
  )
ORDER BY
  eventtime
