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
  JSON_EXTRACT_SCALAR(requestparameters, '$.userName') AS new_user,
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
    OR JSON_EXTRACT_SCALAR(requestparameters, '$.userName') = 'svc-backup'
  )
ORDER BY
  eventtime
