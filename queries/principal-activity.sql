/*
title = "Everything one principal did, in time order"
kind = "investigation"
tags = ["triage", "all-services", "T1078"]
description = """
All events of one user, role session, role, principal ID or access key in the window, oldest
first: what was called, where from, with which agent, and whether it failed (`outcome`: the
error code and the start of its message, or `Failure: <message>` for a failed sign-in, which has
no error code). The principal matches as --user does (user name, session name, role name,
principal ID, ARN), plus an access key ID.
"""

[params.principal]
type = "string"
description = "User name, role session or role name, principal ID, ARN or access key ID."
*/
SELECT
    eventtime,
    eventsource,
    eventname,
    awsregion,
    sourceipaddress,
    useragent,
    errorcode,
    CASE
        WHEN errorcode IS NOT NULL AND errorcode <> '' THEN errorcode || coalesce(': ' ||
            CASE WHEN length(errormessage) > 60 THEN substr(errormessage, 1, 59) || '…' ELSE errormessage END, '')
        WHEN eventsource = 'signin.amazonaws.com' AND (
            json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure'
            OR json_extract_scalar(responseelements, '$.CheckMfa') = 'Failure'
            OR json_extract_scalar(responseelements, '$.SwitchRole') = 'Failure'
            OR json_extract_scalar(responseelements, '$.ExternalIdPDirectoryLogin') = 'Failure'
            OR json_extract_scalar(responseelements, '$.UserAuthentication') = 'Failure'
        ) THEN 'Failure' || coalesce(': ' || errormessage, '')
    END AS outcome,
    readonly,
    useridentity.arn AS principal,
    useridentity.accesskeyid AS access_key,
    eventid
FROM trail
WHERE lower(:principal) IN (
    lower(useridentity.username),
    lower(useridentity.arn),
    lower(regexp_extract(useridentity.arn, '[^/]+$')),
    lower(useridentity.sessioncontext.sessionissuer.username),
    lower(useridentity.principalid),
    lower(useridentity.accesskeyid)
)
ORDER BY eventtime
