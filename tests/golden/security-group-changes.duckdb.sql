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
  eventname,
  COALESCE(
    CASE
      WHEN JSON_TYPE(requestparameters, '$.groupId') IN ('OBJECT', 'ARRAY')
      THEN NULL
      WHEN JSON_TYPE(requestparameters, '$.groupId') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
      THEN TRINO_JSON_SCALAR(
        requestparameters,
        requestparameters ->> '$.groupId',
        JSON_TYPE(requestparameters, '$.groupId')
      )
      ELSE requestparameters ->> '$.groupId'
    END,
    CASE
      WHEN JSON_TYPE(responseelements, '$.groupId') IN ('OBJECT', 'ARRAY')
      THEN NULL
      WHEN JSON_TYPE(responseelements, '$.groupId') IN ('DOUBLE', 'BIGINT', 'UBIGINT')
      THEN TRINO_JSON_SCALAR(
        responseelements,
        responseelements ->> '$.groupId',
        JSON_TYPE(responseelements, '$.groupId')
      )
      ELSE responseelements ->> '$.groupId'
    END
  ) AS group_id,
  useridentity.arn AS principal,
  sourceipaddress,
  requestparameters,
  errorcode,
  eventid
FROM trail
WHERE
  eventsource = 'ec2.amazonaws.com'
  AND eventname IN (
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'CreateSecurityGroup',
    'DeleteSecurityGroup',
    'ModifySecurityGroupRules',
    'UpdateSecurityGroupRuleDescriptionsIngress',
    'UpdateSecurityGroupRuleDescriptionsEgress'
  )
  AND (
    'sg-0a1b2c3d4e5f67890' IS NULL
    OR STRPOS(requestparameters, '"' || 'sg-0a1b2c3d4e5f67890' || '"') > 0
    OR STRPOS(responseelements, '"' || 'sg-0a1b2c3d4e5f67890' || '"') > 0
  )
ORDER BY
  eventtime
