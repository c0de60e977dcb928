/*
title = "Large S3 downloads per principal"
kind = "investigation"
tags = ["s3", "exfiltration", "T1530"]
description = """
S3 data events (GetObject) summed per principal and source address: bytes sent out (from
additionaleventdata.bytesTransferredOut), objects, buckets, first and last download, largest
first. Needs S3 data events on the trail. An unfamiliar principal or address near the top, or a
spike against its usual volume, is what exfiltration looks like.
"""

[params.min_bytes]
type = "int"
default = 104857600
description = "Only principals that downloaded at least this many bytes (default 100 MiB)."
*/
SELECT
    coalesce(useridentity.arn, useridentity.invokedby, useridentity.type) AS principal,
    sourceipaddress,
    sum(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS bigint)) AS bytes_out,
    count(*) AS objects,
    count(DISTINCT json_extract_scalar(requestparameters, '$.bucketName')) AS buckets,
    min(eventtime) AS first_download,
    max(eventtime) AS last_download
FROM trail
WHERE eventsource = 's3.amazonaws.com' AND eventname = 'GetObject' AND errorcode IS NULL
GROUP BY 1, 2
HAVING sum(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS bigint)) >= :min_bytes
ORDER BY bytes_out DESC
