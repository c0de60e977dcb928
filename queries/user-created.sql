/*
title = "IAM users created: by whom, when, from where"
kind = "investigation"
tags = ["iam", "persistence", "T1136.003"]
description = """
Every CreateUser call in the window, oldest first: who made it (principal and identity type),
from which address and user agent, the new user's name, and whether it failed. An unexpected
creator, address or hour is the lead; follow it with principal-activity on the creator.
"""

[params.user_name]
type = "string"
required = false
description = "Only the creation of this IAM user name."
*/
SELECT
    eventtime,
    json_extract_scalar(requestparameters, '$.userName') AS new_user,
    useridentity.arn AS creator,
    useridentity.type AS creator_type,
    sourceipaddress,
    useragent,
    errorcode,
    account,
    eventid
FROM trail
WHERE eventsource = 'iam.amazonaws.com'
    AND eventname = 'CreateUser'
    AND (:user_name IS NULL OR json_extract_scalar(requestparameters, '$.userName') = :user_name)
ORDER BY eventtime
