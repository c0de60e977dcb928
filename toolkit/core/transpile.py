"""Athena (Trino) SQL → DuckDB SQL with sqlglot, plus the fixes CloudTrail queries need.

sqlglot's own translation gives different answers on DuckDB for a few functions and types: each
fix in `FIXES` rewrites the tree so that DuckDB computes what Athena would. A fix is one function
(its docstring says what differs) registered with `@fix` with an example of Athena SQL, the
DuckDB SQL it becomes and Trino's answer to it (tests/test_transpile_fixes.py checks each, and
that DuckDB gives another answer without the fix; the conformance tests ask a real Trino).
sqlglot's DuckDB dialect is not subclassed: the fixes need the whole tree's Trino types
(`semantics.Types`) before any node is rewritten, which a generator's per-node transforms lack.

IPADDRESS (`CAST(x AS IPADDRESS)`, `contains('10.0.0.0/8', address)`, comparisons, its text):
DuckDB has no such type; `toolkit.core.ipaddresses` gives it one, and Trino's errors for Presto's
IPPREFIX and its functions, which Athena's Trino does not have. Regular expressions: Trino's
(joni) patterns are read into RE2's syntax by `toolkit.core.regex`, or refused.

Not fixed, so templates keep off them: `parse_datetime` and time zones other than UTC (refused),
`url_extract_host`, `map_agg`. Dates and times as text: `toolkit.core.datetimes`; JSON text as
Trino writes it: `toolkit.core.jsontext`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from toolkit.core import datetimes, ipaddresses, jsontext, regex, schema, semantics, trino_types
from toolkit.core.semantics import Numeric
from toolkit.errors import UsageError

DIALECT = "duckdb"
#: Errors the rewritten SQL raises itself (DuckDB's `error()`) start so; the engine reports the
#: rest of the message as the user's error.
REFUSAL = "trailcsi: "

#: The milliseconds since 1970 Trino packs with a time zone (DateTimeEncoding): 2^51 - 1, -2^51.
MOST_MILLIS = 2251799813685247
LEAST_MILLIS = -2251799813685248
#: The most entries Trino's sequence gives.
MOST_ENTRIES = 10000
#: DuckDB's integer types (typeof), which Trino's bigint arguments take.
_INTEGER_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', '\"NULL\"')"
_SEQUENCE_SIGN = (
    "sequence stop value should be greater than or equal to start value if step is greater than zero "
    "otherwise stop should be less than or equal to start"
)
_SEQUENCE_LENGTH = f"result of sequence function must not have more than {MOST_ENTRIES} entries"
_SEQUENCES = (
    "sequence(bigint, bigint), sequence(bigint, bigint, bigint), sequence(date, date), sequence(date, date, "
    "interval day to second), sequence(date, date, interval year to month), sequence(timestamp(p), "
    "timestamp(p), interval day to second), sequence(timestamp(p), timestamp(p), interval year to month)"
)

#: The longest text lpad and rpad give locally: past it, refused (DuckDB builds the string in
#: memory, 2 GB for lpad(x, 2000000000, 'x'); Athena runs out of memory or answers, unknown here).
MOST_PADDED = 1 << 24
_PADDED_TOO_LONG = (
    f"lpad or rpad to a length past {MOST_PADDED:,} characters is not run locally (the local engine "
    "would build the whole string in memory): pad less, or run the query on Athena"
)
#: DuckDB's types (typeof) of an array, a map or a row, as a regular expression.
_STRUCTURED_TYPES = r"^(?:(?:STRUCT|MAP|UNION)\(.*|.*\[[0-9]*\])$"

#: from_iso8601_date's text the local engine reads (Joda reads more: `_ISO8601_DATE_TRINO`).
_ISO8601_DATE = "[0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?"
#: ... what Joda's ISO date parser reads, roughly: a signed year of any width, a month and day,
#: a week (`2024-W09-5`) or a day of the year (`2024-061`).
_ISO8601_DATE_TRINO = "[+-]?[0-9]+(?:-(?:W[0-9]+(?:-[0-9]+)?|[0-9]+(?:-[0-9]+)?))?"
#: ... a date Joda reads (`_ISO8601_DATE`'s longest) followed by what it stops at.
_ISO8601_DATE_THEN = "(?s)[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}.+|(?:-[0-9]{1,2})?(?:[^0-9-].*|-))"
#: UTF-8's byte sequences written as %XX escapes (one character each).
_UTF8_ESCAPED = (
    "(?:"
    + "|".join(
        [
            "%[0-7][0-9A-Fa-f]",
            "%[Cc][2-9A-Fa-f]%[89ABab][0-9A-Fa-f]",
            "%[Dd][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]",
            "%[Ee]0%[ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]",
            "%[Ee][1-9A-Ca-c](?:%[89ABab][0-9A-Fa-f]){2}",
            "%[Ee][Dd]%[89][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]",
            "%[Ee][EFef](?:%[89ABab][0-9A-Fa-f]){2}",
            "%[Ff]0%[9ABab][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}",
            "%[Ff][1-3](?:%[89ABab][0-9A-Fa-f]){3}",
            "%[Ff]4%8[0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}",
        ]
    )
    + ")"
)

#: The refusal of an UNNEST of rows whose fields the SQL does not tell.
UNNEST_OF_UNTOLD_ROWS = (
    "UNNEST of an array of rows whose fields the local engine cannot tell from the SQL (Athena gives "
    "one column per field): CAST the array AS ARRAY(ROW(...)), or run the query on Athena"
)

#: Macros the rewritten SQL calls: run on a DuckDB connection before its first query (`setup`).
MACROS = {
    # Trino's name of a DuckDB type (typeof), as its messages write it, for the types an array, a
    # map or a row the SQL does not tell may hold; another type's name is DuckDB's, in lower case.
    "trino_scalar_type_name": "(k) AS CASE k WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp(3) with time zone' "
    "WHEN 'TIMESTAMP_MS' THEN 'timestamp(3)' WHEN 'TIMESTAMP_S' THEN 'timestamp(0)' "
    "WHEN 'TIMESTAMP' THEN 'timestamp(6)' WHEN 'TIMESTAMP_NS' THEN 'timestamp(9)' WHEN 'FLOAT' THEN 'real' "
    "WHEN '\"NULL\"' THEN 'unknown' ELSE lower(regexp_replace(regexp_replace(k, '^STRUCT', 'ROW'), '\"', '', 'g')) "
    "END",
    "trino_type_name": "(k) AS CASE WHEN regexp_full_match(k, '.*\\[[0-9]*\\]') "
    "THEN 'array(' || trino_scalar_type_name(regexp_extract(k, '^(.*)\\[[0-9]*\\]$', 1)) || ')' "
    "ELSE trino_scalar_type_name(k) END",
    # The unscaled value of a decimal of scale log10(f), as a HUGEINT (exact up to 38 digits).
    "trino_unscaled": "(x, f) AS CAST(trunc(x) AS HUGEINT) * f + CAST((x - trunc(x)) * f AS HUGEINT)",
    # n / d rounded half away from zero, as Trino rounds a decimal quotient (an error for d = 0).
    "trino_round_divide": "(n, d) AS CAST(sign(n) * sign(d) * (abs(n) // abs(d) + "
    "CASE WHEN abs(n) % abs(d) * 2 >= abs(d) THEN 1 ELSE 0 END) AS DECIMAL(38, 0))",
    # a / b for decimals: the quotient's unscaled value, times `unit` (10^-scale).
    "trino_decimal_divide": "(a, b, fa, fb, fs, unit) AS "
    "trino_round_divide(trino_unscaled(a, fa) * fs, trino_unscaled(b, fb)) * unit",
    # a / b where the SQL does not tell the operands' types: DuckDB's answer only for doubles.
    "trino_divide": "(a, b) AS CASE WHEN typeof(a) IN ('DOUBLE', 'FLOAT') OR typeof(b) IN ('DOUBLE', 'FLOAT') "
    f"THEN a / b ELSE error('{REFUSAL}cannot tell whether this division is of integers, decimals or "
    "doubles in Athena (' || typeof(a) || ' / ' || typeof(b) || ' here): CAST an operand') END",
    # Trino's from_iso8601_timestamp: what it refuses is refused (a space for the T, ...), what the
    # local engine cannot give as Trino does (another UTC offset, a week date) too; milliseconds.
    "trino_from_iso8601_timestamp": "(x) AS CASE "
    f"WHEN regexp_full_match(x, '{semantics.ISO8601_UTC}') "
    "THEN date_trunc('millisecond', CAST(upper(x) AS TIMESTAMPTZ)) "
    f"WHEN regexp_full_match(x, '{semantics.ISO8601_TRINO}') "
    f"THEN error('{REFUSAL}from_iso8601_timestamp(''' || x || ''') is read by Athena but not by the local "
    "engine (it reads YYYY-MM-DD and YYYY-MM-DDThh:mm:ss[.fff] in UTC): run it on Athena') "
    f"WHEN x IS NOT NULL THEN error('{REFUSAL}Invalid format: \"' || x || '\" (from_iso8601_timestamp "
    "needs ISO 8601, e.g. 2024-08-02T08:23:06Z)') END",
    # Trino's to_iso8601: a date as YYYY-MM-DD, a UTC timestamp with time zone to the millisecond
    # with Z, a timestamp to its precision (p where the SQL tells it, else DuckDB's TIMESTAMP_S,
    # _MS, TIMESTAMP and _NS).
    "trino_to_iso8601": "(x, p) AS CASE WHEN p IS NOT NULL AND typeof(x) <> 'DATE' THEN "
    "replace(trino_timestamp_text(CASE WHEN typeof(x) = 'TIMESTAMP_NS' THEN CAST(CAST(x AS TIMESTAMP_NS) AS VARCHAR) "
    "ELSE CAST(CAST(x AS TIMESTAMP) AS VARCHAR) END, p), ' ', 'T') "
    "|| CASE typeof(x) WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'Z' ELSE '' END ELSE CASE typeof(x) "
    "WHEN 'DATE' THEN strftime(x, '%Y-%m-%d') "
    "WHEN 'TIMESTAMP WITH TIME ZONE' THEN trino_year_plus(strftime(x, '%Y-%m-%dT%H:%M:%S.%g')) || 'Z' "
    "WHEN 'TIMESTAMP_S' THEN trino_year_plus(strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S')) "
    "WHEN 'TIMESTAMP_MS' THEN trino_year_plus(strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g')) "
    "WHEN 'TIMESTAMP' THEN trino_year_plus(strftime(x, '%Y-%m-%dT%H:%M:%S.%f')) "
    "WHEN 'TIMESTAMP_NS' THEN trino_year_plus(strftime(x, '%Y-%m-%dT%H:%M:%S.%n')) "
    f"ELSE error('{REFUSAL}to_iso8601 of a ' || typeof(x) || ' is not run locally (its text depends on "
    "its precision in Athena): give it a date or a timestamp') END END",
    # a timestamp rounded (half up) to p fractional digits, p from 0 to 5, from its microseconds or
    # nanoseconds (Trino rounds where DuckDB's casts and arithmetic keep the digits or truncate)
    "trino_floor_multiple": "(a, u) AS a - ((a % u) + u) % u",
    # A timestamp floored to the millisecond, as Trino's date_diff reads it (a date: its midnight).
    "trino_millisecond_floor": "(x) AS make_timestamp(CASE WHEN typeof(x) = 'TIMESTAMP_NS' "
    "THEN trino_floor_multiple(epoch_ns(x), 1000000) // 1000 ELSE trino_floor_multiple(epoch_us(x), 1000) END)",
    "trino_round_timestamp": "(x, p) AS CASE WHEN typeof(x) = 'TIMESTAMP_NS' THEN "
    "make_timestamp(CAST(trino_floor_multiple(epoch_ns(x) + 5 * CAST(pow(10, 8 - p) AS BIGINT), "
    "CAST(pow(10, 9 - p) AS BIGINT)) // 1000 AS BIGINT)) ELSE make_timestamp(trino_floor_multiple("
    "epoch_us(x) + 5 * CAST(pow(10, 5 - p) AS BIGINT), CAST(pow(10, 6 - p) AS BIGINT))) END",
    # date_parse's text: DuckDB's strptime skips whitespace Trino reads as written (a space of the
    # pattern is one space; the local engine's patterns have single spaces only).
    # (`spaced`: the pattern ends with a space, which reads the text's last one)
    "trino_date_parse_text": "(x, spaced) AS CASE WHEN regexp_matches(x, '^\\s|\\s\\s|[\\t\\n\\r\\f\\v]') "
    "OR (NOT spaced AND regexp_matches(x, '\\s$')) "
    f"THEN error('{REFUSAL}Invalid format: \"' || x || '\"') ELSE x END",
    "trino_try_date_parse_text": "(x, spaced) AS CASE WHEN NOT (regexp_matches(x, '^\\s|\\s\\s|[\\t\\n\\r\\f\\v]') "
    "OR (NOT spaced AND regexp_matches(x, '\\s$'))) THEN x END",
    # CAST(text AS timestamp [with time zone]): what Trino reads (a space before the time, not a
    # T; no zone or UTC), else Trino's error (NULL when `tried`: TRY_CAST); another zone refused.
    "trino_timestamp_text_in": "(x, tried) AS CASE "
    f"WHEN regexp_full_match(x, '{datetimes.TIMESTAMP_TEXT}') "
    f"THEN trim(regexp_replace(x, '{datetimes.UTC_SUFFIX}', '')) "
    f"WHEN regexp_full_match(x, '{datetimes.ZONED_TIMESTAMP_TEXT}') "
    f"THEN error('{REFUSAL}{datetimes.ZONED_TEXT_REFUSAL}') "
    f"WHEN tried THEN NULL ELSE error('{REFUSAL}Value cannot be cast to timestamp: ' || x) END",
    # CAST(text AS date): what Trino reads (a date alone), else Trino's error (NULL when `tried`).
    "trino_date": "(x, tried) AS CASE WHEN typeof(x) <> 'VARCHAR' THEN CAST(x AS DATE) "
    f"WHEN regexp_full_match(CAST(x AS VARCHAR), '{datetimes.DATE_TEXT}') THEN CAST(trim(CAST(x AS VARCHAR)) AS DATE) "
    f"WHEN tried THEN NULL ELSE error('{REFUSAL}Value cannot be cast to date: ' || CAST(x AS VARCHAR)) END",
    # CAST(x AS timestamp): rounded half up to the millisecond (DuckDB's cast rounds a half away
    # from zero, before 1970 otherwise than Trino); text's digits past the microsecond, which
    # DuckDB's cast drops, cannot change that rounding.
    "trino_timestamp": "(x, tried) AS CASE "
    "WHEN typeof(x) = 'TIMESTAMP_NS' THEN CAST(trino_round_timestamp(CAST(x AS TIMESTAMP_NS), 3) AS TIMESTAMP(3)) "
    "WHEN typeof(x) <> 'VARCHAR' THEN CAST(trino_round_timestamp(CAST(x AS TIMESTAMP), 3) AS TIMESTAMP(3)) "
    "ELSE CAST(trino_round_timestamp(CAST(trino_timestamp_text_in(CAST(x AS VARCHAR), tried) AS TIMESTAMP), 3) "
    "AS TIMESTAMP(3)) END",
    # CAST(x AS timestamp(p)), p other than 3: its nanoseconds (rounded to p after), text read as
    # Trino reads it
    "trino_timestamp_ns": "(x, tried) AS CASE WHEN typeof(x) <> 'VARCHAR' THEN CAST(x AS TIMESTAMP_NS) "
    "ELSE CAST(trino_timestamp_text_in(CAST(x AS VARCHAR), tried) AS TIMESTAMP_NS) END",
    "trino_timestamptz": "(x, tried) AS CAST(trino_timestamp(x, tried) AS TIMESTAMPTZ)",
    # An interval as Trino writes it: `Y-M` (ym), else `D HH:MM:SS.mmm` (to the millisecond, a half
    # rounded up), a sign before either (DuckDB keeps months, days and microseconds apart).
    "trino_months_text": "(m) AS CASE WHEN m < 0 THEN '-' ELSE '' END || abs(m) // 12 || '-' || abs(m) % 12",
    "trino_millis_text": "(ms) AS printf('%s%d %02d:%02d:%02d.%03d', CASE WHEN ms < 0 THEN '-' ELSE '' END, "
    "abs(ms) // 86400000, abs(ms) // 3600000 % 24, abs(ms) // 60000 % 60, abs(ms) // 1000 % 60, abs(ms) % 1000)",
    "trino_interval_text": "(x, ym) AS CASE WHEN ym THEN trino_months_text(datepart('year', x) * 12 "
    "+ datepart('month', x)) ELSE trino_millis_text(trino_floor_multiple(datepart('day', x) * 86400000000 "
    "+ datepart('hour', x) * 3600000000 + datepart('minute', x) * 60000000 + datepart('microseconds', x) "
    "+ 500, 1000) // 1000) END",
    # Text without its last n characters (a timestamp's fractional digits past its precision).
    "trino_digits_dropped": "(s, n) AS s[:length(s) - n]",
    # A date's or timestamp's text `s` (strftime's) with a year before 1 as Trino writes it: its
    # sign and four digits (`-0001`; strftime writes `-1`).
    "trino_year_signed": "(s) AS CASE WHEN starts_with(s, '-') "
    "THEN '-' || printf('%04d', CAST(regexp_extract(s, '^-([0-9]+)', 1) AS BIGINT)) || regexp_replace(s, '^-[0-9]+', '') "
    "ELSE s END",
    # A timestamp's text `s` (strftime's) with a year after 9999 as Trino writes it: `+10000`
    # (a date's is written without the sign).
    "trino_year_plus": "(s) AS CASE WHEN regexp_matches(s, '^[0-9]{5}') THEN '+' || s ELSE s END",
    # A timestamp's text `t` (DuckDB's) as Trino writes a timestamp(p): p fractional digits.
    "trino_timestamp_text": "(t, p) AS trino_year_plus(trino_year_signed(CASE WHEN p = 0 "
    "THEN strftime(CAST(t AS TIMESTAMP), '%Y-%m-%d %H:%M:%S') "
    "WHEN p <= 6 THEN trino_digits_dropped(strftime(CAST(t AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f'), 6 - p) "
    "ELSE trino_digits_dropped(strftime(CAST(t AS TIMESTAMP_NS), '%Y-%m-%d %H:%M:%S.%n'), 9 - p) END))",
    # CAST(v AS VARCHAR) as Trino writes v, from DuckDB's text `t` of it and its DuckDB type `k`
    # (p: the timestamp's precision where the SQL tells it; tried: TRY_CAST): a timestamp with time
    # zone (UTC, to the millisecond) with ` UTC`, a timestamp with its precision's digits, JSON as
    # Trino casts it.
    # Trino's JSON text (toolkit/core/jsontext.py)
    **jsontext.bound_once(jsontext.macros(REFUSAL)),
    **jsontext.bound_once(
        {
            "trino_text_of": "(t, k, p, tried) AS CASE "
            f"WHEN regexp_full_match(k, '{_STRUCTURED_TYPES}') THEN error('{REFUSAL}Cannot cast ' || "
            "trino_type_name(k) || ' to varchar') "
            "WHEN k = 'TIMESTAMP WITH TIME ZONE' THEN CASE WHEN coalesce(p, 3) = 3 "
            "THEN trino_year_plus(strftime(CAST(CAST(CAST(t AS TIMESTAMPTZ) AS TIMESTAMP(3)) AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')) "
            "ELSE trino_timestamp_text(CAST(CAST(CAST(t AS TIMESTAMPTZ) AS TIMESTAMP) AS VARCHAR), p) END || ' UTC' "
            "WHEN k IN ('TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMP_NS') THEN trino_timestamp_text(t, "
            "coalesce(p, CASE k WHEN 'TIMESTAMP_S' THEN 0 WHEN 'TIMESTAMP_MS' THEN 3 WHEN 'TIMESTAMP' THEN 6 ELSE 9 END)) "
            "WHEN k = 'JSON' THEN trino_json_varchar(t, tried) "
            "WHEN k = 'DATE' THEN trino_year_signed(strftime(CAST(t AS DATE), '%Y-%m-%d')) ELSE t END",
            # (the value `v` read once: its text and its type)
            "trino_text": "(v, p, tried) AS trino_text_of(CAST(v AS TEXT), typeof(v), p, tried)",
        },
        passed=("k", "p", "tried"),
    ),
    # Trino's substr: position 0, or before the start, and a length of 0 or less give '' (DuckDB
    # reads 0 as 1, counts a negative length backwards and clamps a position before the start).
    # Trino's slice(a, start, length): a negative start counts from the end, 0 and a negative
    # length are errors (DuckDB's array_slice reads the third argument as the last position).
    # Trino's from_unixtime(x): Math.round(x * 1000) milliseconds (NaN: 0), with time zone (UTC);
    # past what Trino packs with a zone (2^51 - 1 ms, -2^51 ms) its error, the milliseconds as Java's
    # Math.round gives them (saturated to a long).
    "trino_from_millis": f"(ms) AS CASE WHEN ms > {MOST_MILLIS} OR ms < {LEAST_MILLIS} "
    f"THEN error('{REFUSAL}Millis overflow: ' || CASE WHEN ms >= 9.223372036854775807e18 THEN '9223372036854775807' "
    "WHEN ms <= -9.223372036854775808e18 THEN '-9223372036854775808' ELSE CAST(CAST(ms AS BIGINT) AS VARCHAR) END) "
    "ELSE CAST(make_timestamp(CAST(ms AS BIGINT) * 1000) AS TIMESTAMPTZ) END",
    "trino_from_unixtime": "(x) AS trino_from_millis(CASE WHEN isnan(CAST(x AS DOUBLE)) THEN 0 "
    "ELSE floor(CAST(x AS DOUBLE) * 1000 + 0.5) END)",
    # Trino's from_iso8601_date (Joda's ISO date parser): YYYY, YYYY-MM and YYYY-MM-DD read, a month
    # or day out of its range Joda's error; week and ordinal dates, signed years and years of other
    # widths refused (read by Trino, not by the local engine); anything else Trino's error, with
    # where Joda stops reading where it follows a date (DuckDB's cast reads a time after the date).
    # `tried` (the argument of TRY): NULL for Trino's errors (the refusal stays).
    "trino_iso8601_date_of": "(x, y, m, d, tried) AS CASE "
    "WHEN (m < 1 OR m > 12 OR d < 1 OR d > day(last_day(make_date(y, least(greatest(m, 1), 12), 1)))) AND tried "
    "THEN NULL "
    f"WHEN m < 1 OR m > 12 THEN error('{REFUSAL}Cannot parse \"' || x || '\": Value ' || m || ' for monthOfYear "
    "must be in the range [1,12]') "
    "WHEN d < 1 OR d > day(last_day(make_date(y, m, 1))) "
    f"THEN error('{REFUSAL}Cannot parse \"' || x || '\": Value ' || d || ' for dayOfMonth must be in the range "
    "[1,' || day(last_day(make_date(y, m, 1))) || ']') ELSE make_date(y, m, d) END",
    "trino_from_iso8601_date": "(x, tried) AS CASE WHEN x IS NULL THEN NULL "
    f"WHEN regexp_full_match(x, '{_ISO8601_DATE}') AND NOT starts_with(x, '0000') THEN trino_iso8601_date_of(x, "
    "CAST(x[1:4] AS INTEGER), coalesce(TRY_CAST(split_part(x, '-', 2) AS INTEGER), 1), "
    "coalesce(TRY_CAST(split_part(x, '-', 3) AS INTEGER), 1), tried) "
    f"WHEN regexp_full_match(x, '{_ISO8601_DATE_TRINO}') THEN error('{REFUSAL}from_iso8601_date(''' || x || ''') "
    "is read by Athena but not by the local engine (it reads YYYY, YYYY-MM and YYYY-MM-DD, years 1 to 9999): "
    "run it on Athena') WHEN tried THEN NULL "
    f"WHEN regexp_full_match(x, '{_ISO8601_DATE_THEN}') THEN error('{REFUSAL}Invalid format: \"' || x || "
    f"'\" is malformed at \"' || x[length(regexp_extract(x, '^{_ISO8601_DATE}')) + 1:] || '\"') "
    f"ELSE error('{REFUSAL}Invalid format: \"' || x || '\"') END",
    # Trino's url_decode (Java's URLDecoder): `+` is a space (DuckDB keeps it), an escape that is
    # not % and two hex digits is its error (DuckDB keeps it as written), bytes that are no UTF-8
    # refused (Java writes U+FFFD for them, DuckDB fails). The error names the first character of
    # the escape that is no hex digit (`t`: what follows the %), in UTF-16: refused beyond U+FFFF.
    "trino_url_escape_error": "(t) AS CASE "
    f"WHEN regexp_matches(t, '[\\x{{10000}}-\\x{{10FFFF}}]') THEN error('{REFUSAL}url_decode of an escape (%) "
    "followed by a character beyond U+FFFF is not run locally (Athena''s error names half of it): run the "
    "query on Athena') "
    f"WHEN length(t) < 2 THEN error('{REFUSAL}URLDecoder: Incomplete trailing escape (%) pattern') "
    f"ELSE error('{REFUSAL}URLDecoder: Illegal hex characters in escape (%) pattern - not a hexadecimal digit: "
    "\"' || CASE WHEN regexp_matches(t[1], '[0-9A-Fa-f]') THEN t[2] ELSE t[1] END || '\" = ' "
    "|| unicode(CASE WHEN regexp_matches(t[1], '[0-9A-Fa-f]') THEN t[2] ELSE t[1] END)) END",
    "trino_url_decode": "(x) AS CASE WHEN x IS NULL THEN NULL WHEN NOT contains(x, '%') THEN replace(x, '+', ' ') "
    "WHEN NOT regexp_full_match(x, '(?s)(?:[^%]|%[0-9A-Fa-f]{2})*') THEN trino_url_escape_error("
    "regexp_extract(x, '(?s)^(?:[^%]|%[0-9A-Fa-f]{2})*%(.{0,2})', 1)) "
    f"WHEN contains(regexp_replace(x, '{_UTF8_ESCAPED}', '', 'g'), '%') THEN error('{REFUSAL}url_decode of "
    "escapes that are not UTF-8 is not run locally (Athena writes U+FFFD for them): run the query on Athena') "
    "ELSE url_decode(replace(x, '+', '%20')) END",
    # Trino's url_encode (Java's URLEncoder): a space is `+`, `*` kept and `~` escaped (DuckDB: `%20`,
    # `%2A`, `~`).
    "trino_url_encode": "(x) AS replace(replace(replace(url_encode(x), '%20', '+'), '~', '%7E'), '%2A', '*')",
    # Trino's split_part: an index of 0 or less is its error (DuckDB reads 0 as '' and counts a
    # negative index from the end), past the last field NULL (DuckDB: '').
    "trino_split_part": "(s, d, i) AS CASE WHEN s IS NULL OR d IS NULL OR i IS NULL THEN NULL "
    f"WHEN i <= 0 THEN error('{REFUSAL}Index must be greater than zero') "
    "WHEN len(string_split(s, d)) >= i THEN split_part(s, d, i) END",
    # Trino's lpad and rpad: a length below 0 or past 2^31 - 1, and an empty padding, are its errors
    # (DuckDB gives '' for the one, fails with its own message on the other or pads to nothing);
    # a length that is no integer is Trino's error too (DuckDB's cast would round it).
    "trino_pad": "(s, n, p, is_lpad) AS CASE "
    f"WHEN typeof(n) NOT IN {_INTEGER_TYPES} THEN error('{REFUSAL}Unexpected parameters (varchar, ' || "
    "lower(typeof(n)) || ', varchar) for function ' || CASE WHEN is_lpad THEN 'lpad' ELSE 'rpad' END || "
    "'. Expected: ' || CASE WHEN is_lpad THEN 'lpad(char(x), bigint, varchar(y)), lpad(varbinary, bigint, varbinary), "
    "lpad(varchar(x), bigint, varchar(y))' ELSE 'rpad(char(x), bigint, varchar(y)), rpad(varbinary, bigint, "
    "varbinary), rpad(varchar(x), bigint, varchar(y))' END) "
    "WHEN s IS NULL OR n IS NULL OR p IS NULL THEN NULL "
    f"WHEN n < 0 OR n > 2147483647 THEN error('{REFUSAL}Target length must be in the range [0..2147483647]') "
    f"WHEN p = '' THEN error('{REFUSAL}Padding string must not be empty') "
    f"WHEN n > {MOST_PADDED} THEN error('{REFUSAL}{_PADDED_TOO_LONG}') "
    "WHEN is_lpad THEN lpad(s, CAST(n AS INTEGER), p) ELSE rpad(s, CAST(n AS INTEGER), p) END",
    # Trino's chr(n): a bigint (DuckDB's takes an INTEGER only, and casts text), a code point outside
    # Unicode's or a surrogate its error.
    "trino_chr": f"(n) AS CASE WHEN typeof(n) NOT IN {_INTEGER_TYPES} THEN error('{REFUSAL}Unexpected "
    "parameters (' || lower(typeof(n)) || ') for function chr. Expected: chr(bigint)') "
    "WHEN n IS NULL THEN NULL WHEN n < 0 OR n > 1114111 OR n BETWEEN 55296 AND 57343 "
    f"THEN error('{REFUSAL}Not a valid Unicode code point: ' || n) ELSE chr(CAST(n AS INTEGER)) END",
    # An array (or map, or row) whose items become text (array_join, a CAST to ARRAY(VARCHAR)):
    # timestamps and doubles refused (Trino writes each as CAST(x AS varchar) does, DuckDB its own).
    "trino_items_as_text": "(a, fn) AS CASE WHEN regexp_matches(typeof(a), '\\b(?:TIMESTAMP|DOUBLE|FLOAT)') "
    f"THEN error('{REFUSAL}' || fn || ' of an array holding timestamps or doubles is not run locally (Athena "
    "writes each item as CAST(x AS varchar) does: 2024-01-01 00:00:00.000 UTC, 1.5E0): CAST timestamps to "
    "varchar first (transform(a, x -> CAST(x AS varchar))); a double''s text differs locally however it is "
    "written: run the query on Athena') ELSE a END",
    # CAST(x AS varchar(n)), where DuckDB ignores n: Trino cuts text to n characters, and fails
    # for an integer or a date (TRY_CAST: NULL) or a boolean (an internal error, TRY_CAST too) whose
    # text is longer (an integer summed is DuckDB's HUGEINT, Trino's bigint; a date of years 1 to
    # 9999 is written alike); refused for another type (`text_of_a_declared_length`).
    "trino_varchar_of_length": "(x, n, tried) AS CASE WHEN x IS NULL THEN NULL "
    "WHEN typeof(x) = 'VARCHAR' THEN substring(CAST(x AS VARCHAR), 1, n) "
    "WHEN typeof(x) NOT IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'BOOLEAN', 'DATE') "
    "OR (typeof(x) = 'DATE' AND NOT regexp_full_match(CAST(x AS VARCHAR), '[0-9]{4}-[0-9]{2}-[0-9]{2}')) "
    f"THEN error('{REFUSAL}CAST of a ' || "
    "trino_type_name(typeof(x)) || ' to varchar(' || n || ') is not run locally (Athena writes its text "
    "as its own, and fails where it is longer than ' || n || ' characters): CAST to varchar, or run the "
    "query on Athena') "
    "WHEN length(CAST(x AS VARCHAR)) <= n THEN CAST(x AS VARCHAR) "
    f"WHEN typeof(x) = 'BOOLEAN' THEN error('{REFUSAL}Character count exceeds length limit ' || n || "
    "': base64:' || CASE WHEN CAST(x AS VARCHAR) = 'true' THEN 'dHJ1ZQ==' ELSE 'ZmFsc2U=' END) "
    "WHEN tried THEN NULL "
    f"ELSE error('{REFUSAL}Value ' || CAST(x AS VARCHAR) || ' cannot be represented as varchar(' || n || ')') END",
    # A value CAST to text or another scalar (`to`: Trino's name of it) whose type the SQL does not
    # tell: an array, a map or a row is Trino's error (DuckDB writes its own text of it).
    "trino_scalar_operand": "(x, target) AS CASE "
    f"WHEN regexp_full_match(typeof(x), '{_STRUCTURED_TYPES}') THEN error('{REFUSAL}Cannot cast ' || "
    "trino_type_name(typeof(x)) || ' to ' || target) ELSE x END",
    # A value CAST to an array, a map or a row whose type the SQL does not tell: text, a number, a
    # boolean or a time is Trino's error (DuckDB reads text as a list, map or struct).
    "trino_structured_operand": "(x, target) AS CASE "
    "WHEN typeof(x) IN ('JSON', '\"NULL\"') OR regexp_full_match(typeof(x), "
    f"'{_STRUCTURED_TYPES}') THEN x ELSE error('{REFUSAL}Cannot cast ' || trino_type_name(typeof(x)) || "
    "' to ' || target) END",
    # Trino's sequence(start, stop, step) of integers: a step of 0, or of the sign that leads away
    # from stop, and more than 10000 entries are its errors (DuckDB gives [] for the first two and
    # every entry); without a step, -1 when stop is before start (DuckDB steps by 1: []).
    "trino_sequence": "(a, b, s) AS CASE "
    f"WHEN typeof(a) NOT IN {_INTEGER_TYPES} OR typeof(b) NOT IN {_INTEGER_TYPES} "
    f"OR typeof(s) NOT IN {_INTEGER_TYPES} THEN error('{REFUSAL}Unexpected parameters (' || lower(typeof(a)) || ', ' "
    f"|| lower(typeof(b)) || ', ' || lower(typeof(s)) || ') for function sequence. Expected: {_SEQUENCES}') "
    "WHEN a IS NULL OR b IS NULL OR s IS NULL THEN NULL "
    f"WHEN s = 0 THEN error('{REFUSAL}step must not be zero') "
    f"WHEN s > 0 AND b < a OR s < 0 AND b > a THEN error('{REFUSAL}{_SEQUENCE_SIGN}') "
    f"WHEN (CAST(b AS HUGEINT) - a) // s + 1 > {MOST_ENTRIES} THEN error('{REFUSAL}{_SEQUENCE_LENGTH}') "
    "ELSE generate_series(CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(s AS BIGINT)) END",
    "trino_sequence_by_one": "(a, b) AS CASE "
    f"WHEN typeof(a) NOT IN {_INTEGER_TYPES} OR typeof(b) NOT IN {_INTEGER_TYPES} THEN error('{REFUSAL}"
    f"Unexpected parameters (' || lower(typeof(a)) || ', ' || lower(typeof(b)) || ') for function sequence. "
    f"Expected: {_SEQUENCES}') ELSE trino_sequence(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END) END",
    # ... of timestamps (or of dates: `dated`, whose step must be whole days) by an interval of days
    # to seconds, the same errors (DuckDB gives [] or every entry); a step of months or years is
    # refused (Trino adds k months to the start, DuckDB adds a month to each entry in turn). Of
    # timestamps of `digits` below the millisecond's 3, a second entry with a fraction beyond them is
    # Trino's error (DuckDB gives it: timestamp(0) by half a second).
    "trino_sequence_of_times": "(a, b, s, dated, digits) AS CASE "
    "WHEN a IS NULL OR b IS NULL OR s IS NULL THEN NULL "
    f"WHEN dated AND epoch(s) % 86400 <> 0 THEN error('{REFUSAL}sequence step must be a day interval if start "
    "and end values are dates') "
    f"WHEN epoch(s) = 0 AND datepart('month', s) = 0 AND datepart('year', s) = 0 THEN error('{REFUSAL}step must "
    "not be zero') "
    f"WHEN datepart('month', s) <> 0 OR datepart('year', s) <> 0 THEN error('{REFUSAL}sequence with a step of "
    "months or years is not run locally (Athena adds k steps to the start, DuckDB adds one to each entry in "
    "turn: 2024-01-31 by a month gives 2024-03-31 on Athena, 2024-03-29 locally): run the query on Athena') "
    f"WHEN epoch(s) > 0 AND b < a OR epoch(s) < 0 AND b > a THEN error('{REFUSAL}{_SEQUENCE_SIGN}') "
    f"WHEN (CAST(epoch_us(CAST(b AS TIMESTAMP)) AS HUGEINT) - epoch_us(CAST(a AS TIMESTAMP))) "
    f"// CAST(round(epoch(s) * 1000000) AS BIGINT) + 1 > {MOST_ENTRIES} "
    f"THEN error('{REFUSAL}{_SEQUENCE_LENGTH}') "
    "WHEN digits < 3 AND abs(epoch_us(CAST(b AS TIMESTAMP)) - epoch_us(CAST(a AS TIMESTAMP))) "
    ">= abs(CAST(round(epoch(s) * 1000000) AS BIGINT)) "
    "AND epoch_us(CAST(a AS TIMESTAMP) + s) % CAST(10 ** (6 - digits) AS BIGINT) <> 0 "
    f"THEN error('{REFUSAL}Expected 0s for digits beyond precision ' || digits || ': epochMicros = ' "
    "|| epoch_us(CAST(a AS TIMESTAMP) + s) || ' (Athena''s error where the query reads such an entry: "
    "its array''s length and the entries before answer; not run locally)') ELSE generate_series(a, b, s) END",
    "trino_sequence_of_dates": "(a, b, s) AS list_transform(trino_sequence_of_times(a, b, s, true, 3), "
    "lambda trino_d: CAST(trino_d AS DATE))",
    "trino_sequence_of_days": "(a, b) AS trino_sequence_of_dates(a, b, "
    "CASE WHEN a <= b THEN INTERVAL 1 DAY ELSE INTERVAL (-1) DAY END)",
    # Trino's repeat(x, n): an array of n copies of x (DuckDB's repeat repeats text).
    "trino_repeat": "(x, n) AS CASE WHEN n IS NULL THEN NULL "
    f"WHEN n < 0 THEN error('{REFUSAL}count argument of repeat function must be greater than or equal to 0') "
    f"WHEN n > 10000 THEN error('{REFUSAL}count argument of repeat function must be less than or equal to 10000') "
    "ELSE list_transform(range(n), lambda trino_i: x) END",
    "trino_slice": "(a, s, n) AS CASE WHEN a IS NULL OR s IS NULL OR n IS NULL THEN NULL "
    f"WHEN s = 0 THEN error('{REFUSAL}SQL array indices start at 1') "
    f"WHEN n < 0 THEN error('{REFUSAL}length must be greater than or equal to 0') "
    "WHEN s > 0 THEN list_slice(a, s, s + n - 1) WHEN len(a) + s < 0 THEN list_slice(a, 1, 0) "
    "ELSE list_slice(a, len(a) + s + 1, len(a) + s + n) END",
    # Trino's array_distinct: the items in the order first seen (DuckDB's list_distinct in none,
    # and without NULL); the array read once (a lambda takes no subquery).
    "trino_array_distinct": "(a) AS list_transform([a], lambda arr: list_filter(arr, "
    "lambda x, i: list_position(arr, x) = i))[1]",
    # any_match of the predicate's answers `t`: true if one is, else NULL if one is NULL, else false
    # (an empty array too); DuckDB's list_bool_or skips NULL answers and is NULL for an empty
    # array. all_match and none_match are written with it (`_match`).
    "trino_any_match": "(t) AS CASE WHEN t IS NULL THEN NULL WHEN list_contains(t, true) THEN true "
    "WHEN list_count(t) < len(t) THEN NULL ELSE false END",
    "trino_substr": "(s, p) AS CASE WHEN s IS NULL OR p IS NULL THEN NULL "
    "WHEN p = 0 OR -p > length(s) THEN '' ELSE substr(s, p) END",
    "trino_substr_for": "(s, p, n) AS CASE WHEN s IS NULL OR p IS NULL OR n IS NULL THEN NULL "
    "WHEN p = 0 OR -p > length(s) OR n <= 0 THEN '' ELSE substr(s, p, n) END",
    # UNNEST of an array whose items the SQL does not tell: rows are refused (Trino gives their
    # fields as columns, DuckDB one struct column).
    "trino_unnest_values": "(x) AS CASE WHEN regexp_full_match(typeof(x), '(STRUCT|TUPLE)\\(.*\\)\\[\\]') "
    f"THEN error('{REFUSAL}{UNNEST_OF_UNTOLD_ROWS}') ELSE x END",
    # Trino's subscripts: an array's outside its items, and a map's missing key, are errors (DuckDB:
    # NULL, and a negative subscript counts from the end); element_at's 0 too (its others: NULL).
    "trino_array_subscript": "(a, i) AS CASE WHEN a IS NULL OR i IS NULL THEN NULL "
    f"WHEN i > len(a) THEN error('{REFUSAL}Array subscript must be less than or equal to array length: ' "
    "|| i || ' > ' || len(a)) "
    f"WHEN i = 0 THEN error('{REFUSAL}SQL array indices start at 1') "
    f"WHEN i < 0 THEN error('{REFUSAL}Array subscript is negative: ' || i) ELSE a[i] END",
    "trino_element_at": "(a, i) AS CASE WHEN a IS NOT NULL AND i = 0 "
    f"THEN error('{REFUSAL}SQL array indices start at 1') ELSE a[i] END",
    "trino_map_subscript": "(m, k) AS CASE WHEN m IS NULL OR k IS NULL THEN NULL WHEN NOT map_contains(m, k) "
    f"THEN error('{REFUSAL}Key not present in map: ' || CAST(k AS VARCHAR)) ELSE m[k] END",
    # A subject a pattern's `$` may match before the final newline of (Trino's `$` does, RE2's not).
    "trino_regex_subject": "(s, pattern) AS CASE WHEN suffix(s, chr(10)) "
    f"THEN error('{REFUSAL}the regular expression ' || pattern || ' holds $ or \\Z, which Athena also "
    "matches before a final newline, and this value ends with one: the local engine does not match it "
    "alike (write \\z for the very end), or run the query on Athena') ELSE s END",
    # A subject holding a character joni's (?i) folds otherwise than RE2's (`ß` to `ss`; `ᲀ` to `в`
    # in RE2 only): `refused`, an RE2 class of them (`regex.Pattern.subject_refused`).
    "trino_regex_folds": "(s, pattern, refused) AS CASE WHEN regexp_matches(s, refused) "
    f"THEN error('{REFUSAL}the regular expression ' || pattern || ' holds (?i) and this value a letter "
    "Athena''s (?i) matches otherwise (ß and ss; case pairs newer than Athena''s): write the letters "
    "without (?i), as [Ss], or run the query on Athena') ELSE s END",
    # date_format's or format_datetime's text `t` of `v`: Trino's error for a value that is no date
    # or timestamp (unless `timed`: the SQL tells it is one), a year before 1 refused
    "trino_formatted": "(v, t, fn, n, timed) AS CASE WHEN NOT timed AND typeof(v) NOT IN ('DATE', "
    "'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE', '\"NULL\"') "
    f"THEN error('{REFUSAL}Unexpected parameters (' || lower(typeof(v)) || ', varchar(' || n || ')) for "
    "function ' || fn || '. Expected: ' || fn || '(timestamp(p) with time zone, varchar(x)), ' || fn || "
    "'(timestamp(p), varchar(x))') "
    f"WHEN year(CAST(v AS TIMESTAMP(3))) < 1 THEN error('{REFUSAL}' || fn || ' of a year before 1 is not run "
    "locally (Athena writes them otherwise: 0000 BC, -0001): run the query on Athena') ELSE t END",
    # Trino's IPADDRESS (toolkit/core/ipaddresses.py)
    **ipaddresses.macros(REFUSAL),
}
# The timestamp macros, which the rewrites nest (text of a rounding of a CAST of text), and the
# CAST to varchar(n)'s read each argument once (`jsontext.bound_once`): expanded, `CAST(CAST(x AS
# timestamp(6)) AS varchar)` put x's text check in nine times over, and took DuckDB about 0.6 s to
# plan; CASTs to varchar(n) nested in one another multiplied the work eightfold a level.
_READ_ONCE = {
    "trino_round_timestamp": ("p",),
    "trino_timestamp_ns": ("tried",),
    "trino_timestamp": ("tried",),
    "trino_timestamp_text": ("p",),
    "trino_timestamp_text_in": ("tried",),
    "trino_date": ("tried",),
    "trino_millisecond_floor": (),
    "trino_varchar_of_length": ("n", "tried"),
    "trino_any_match": (),
}
MACROS = {  # (bound_once gives each body before the macro calling it, which DuckDB needs: it binds a
    # lambda's body when the macro is created)
    named: body
    for name, macro in MACROS.items()
    for named, body in (
        jsontext.bound_once({name: macro}, passed=_READ_ONCE[name]) if name in _READ_ONCE else {name: macro}
    ).items()
}


def setup(connection: object) -> None:
    """Create the macros the rewritten SQL calls on a DuckDB connection, in Athena's session time
    zone (UTC: timestamps with time zone are read and written in it)."""
    connection.execute("SET TimeZone = 'UTC'")  # type: ignore[attr-defined]
    create_macros(connection, list(MACROS))


#: A macro's name where SQL (or a macro's body) calls it.
_MACRO_CALL = re.compile(r"\b(trino_[a-z0-9_]+)\s*\(", re.IGNORECASE)


def _called(sql: str) -> set[str]:
    return {name.lower() for name in _MACRO_CALL.findall(sql)} & MACROS.keys()


def _closure() -> dict[str, list[str]]:
    """Each macro with every macro it needs, itself included, in the order they are created."""
    order = list(MACROS)
    needs = {name: _called(body) - {name} for name, body in MACROS.items()}
    closed: dict[str, list[str]] = {}
    for name in order:
        seen, pending = {name}, [name]
        while pending:
            for other in needs[pending.pop()]:
                if other not in seen:
                    seen.add(other)
                    pending.append(other)
        closed[name] = [n for n in order if n in seen]
    return closed


_NEEDED = _closure()


def macros_needed(sql: str) -> list[str]:
    """The macros a statement calls, and those they call, in `MACROS`'s order (the order `setup`
    creates them in, which DuckDB takes)."""
    wanted = {n for name in _called(sql) for n in _NEEDED[name]}
    return [name for name in MACROS if name in wanted]


def create_macros(connection: object, names: list[str]) -> None:
    """Create these macros (names of `MACROS`, in its order) on a DuckDB connection. Creating all
    of them costs about a tenth of a second of CPU, most statements call none: the local engine
    creates those each statement needs, before it runs (`macros_needed`)."""
    for name in names:
        connection.execute(f"CREATE OR REPLACE TEMP MACRO {name}{MACROS[name]}")  # type: ignore[attr-defined]


def to_duckdb(tree: exp.Expr) -> str:
    """The DuckDB SQL for an Athena-dialect tree (the tree is not modified)."""
    return duckdb_tree(tree).sql(dialect=DIALECT, copy=False)  # (duckdb_tree's is a copy of its own)


def duckdb_tree(tree: exp.Expr, fixes: Sequence[Fix] | None = None) -> exp.Expr:
    """The Athena-dialect tree rewritten by `fixes` (every one of `FIXES` unless told): a copy."""
    from sqlglot.errors import OptimizeError

    try:
        return _duckdb_tree(tree, fixes)
    except OptimizeError:  # sqlglot's scopes: two relations of one name in a FROM
        raise UsageError(
            "the local engine cannot tell two relations of one name apart (two UNNESTs without an alias "
            "have none): not run locally",
            "give each relation its own alias (CROSS JOIN UNNEST(resources) AS r1(arn, accountid, type))",
        ) from None


def _duckdb_tree(tree: exp.Expr, fixes: Sequence[Fix] | None) -> exp.Expr:
    copied = tree.copy()
    _refuse_forms_written_otherwise(copied)
    _rows_of_values_as_columns(copied)
    typing = semantics.Items(copied)
    _check_alias_lists(copied, typing)
    # IP addresses come from CAST(... AS IPADDRESS) only: without one, none is to be looked for.
    addresses = any(isinstance(n, exp.DataType) and ipaddresses.is_ipaddress_type(n) for n in copied.walk())
    trinos = trino_types.TrinoTypes(copied, typing)  # (Trino's types, where the SQL tells them)
    context = Context(
        types=_numeric_types(copied, typing),
        kinds=_operand_kinds(copied, typing) if addresses else None,
        texts=ipaddresses.texts_to_fuse(copied) if addresses else set(),
        unnests={id(n): [typing.unnested(e) for e in n.expressions] for n in copied.find_all(exp.Unnest)},
        subscripted={id(n): _subscripted(n, typing) for n in copied.find_all(exp.Bracket)},
        times=_temporal_types(copied, typing),
        errors=_type_errors(copied, typing, trinos),
        maps={
            id(n)
            for n in copied.find_all(exp.Cast)
            if n.to.this == exp.DataType.Type.JSON and typing.may_be_a_map(n.this)
        },
        untold=_untold_casts(copied, typing, trinos),
        lengths=_casts_to_a_length(copied, typing, trinos),
        as_text=set() if addresses else _casts_to_text_items(copied, trinos),
    )
    applied = FIXES if fixes is None else fixes
    # Children before parents, so a rewritten node's operands are rewritten too.
    root = copied
    for node in reversed(list(copied.walk())):
        parent, key, index = node.parent, node.arg_key, node.index
        ipaddresses.check(node)  # Presto's IPPREFIX and IP functions: Trino's errors
        new = _first_fix(node, context, applied)
        if new is node:
            continue
        if id(node) in context.times:  # the rewritten node has the Trino type of the node it replaces
            context.times[id(new)] = (new, context.times[id(node)][1])
        if _larger_than(new, MAX_REWRITTEN_NODES):
            raise _nested_too_deeply()
        if parent is None or key is None:
            root = new
        else:
            parent.set(key, new, index)
    _refuse_what_duckdb_binds_nowhere(root)
    _name_anonymous_columns(root)
    return root


#: The start of the names the rewritten SQL gives the columns Trino leaves without one (of VALUES
#: without an alias list, a subquery's expressions without an alias): never a name Trino resolves.
ANONYMOUS = "_trailcsi_anonymous_"


def _name_anonymous_columns(tree: exp.Expr) -> None:
    """Name the columns Trino leaves anonymous `ANONYMOUS<n>` (in place): DuckDB names them
    itself (`col0` for VALUES', the expression's text for a subquery's), and answers a query
    naming them that Trino refuses (`SELECT col0 FROM (VALUES 1)`); `SELECT *` over them gives
    `_col<position>` on Trino (`trino_column_names`)."""
    for values in list(tree.find_all(exp.Values)):
        alias = values.args.get("alias")
        if (isinstance(alias, exp.TableAlias) and alias.columns) or not values.expressions:
            continue
        first = values.expressions[0]
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        named = alias.name if isinstance(alias, exp.TableAlias) and alias.name else "_trailcsi_values"
        values.set(
            "alias",
            exp.TableAlias(
                this=exp.to_identifier(named),
                columns=[exp.to_identifier(f"{ANONYMOUS}{at}") for at in range(width)],
            ),
        )
    for select in list(tree.find_all(exp.Select)):
        result = select is tree or (isinstance(tree, exp.SetOperation) and select.parent is tree)
        if result and not any(
            isinstance(p, exp.Star) or isinstance(p.unnest(), exp.Star) for p in select.expressions
        ):
            continue  # the result's names: `query._name_columns_as_trino` gave them (bar a `*`)
        select.set(
            "expressions",
            [
                p if _names_itself(p) else exp.alias_(p, f"{ANONYMOUS}{at}", quoted=False)
                for at, p in enumerate(select.expressions)
            ],
        )


def _names_itself(projection: exp.Expr) -> bool:
    """Whether Trino names a select item: an alias, a column, a field of a column, a `*`."""
    if projection.alias:
        return True
    while isinstance(projection, exp.Dot):
        projection = projection.this
    return isinstance(projection, exp.Alias | exp.Column | exp.Star)


def trino_column_names(names: Sequence[str]) -> list[str]:
    """The result's column names as Trino gives them: `_col<position>` for a column Trino leaves
    anonymous (`ANONYMOUS`, surfaced by `SELECT *`)."""
    return [f"_col{at}" if name.startswith(ANONYMOUS) else name for at, name in enumerate(names)]


#: The most parts (sqlglot nodes) one rewritten expression may have. A rewrite repeats its operand
#: (json_extract_scalar's several times), so nesting grows the SQL geometrically: seven nested
#: json_extract_scalar took gigabytes. The catalog's largest template has under a thousand.
MAX_REWRITTEN_NODES = 100_000


def _nested_too_deeply() -> UsageError:
    return UsageError(
        "the query nests functions the local engine rewrites (json_extract_scalar, "
        f"format_datetime, ...) too deeply: its DuckDB SQL would pass {MAX_REWRITTEN_NODES:,} parts",
        "nest them less deeply, or run the query on Athena",
    )


def _larger_than(tree: exp.Expr, most: int) -> bool:
    for count, _ in enumerate(tree.walk(), start=1):
        if count > most:
            return True
    return False


#: The Trino types an operation's rewrite needs: its operands' and its own.
Typed = tuple[Numeric, Numeric, Numeric]


@dataclass(frozen=True)
class Context:
    """What the fixes know of the whole tree, computed before any of it is rewritten."""

    #: The Trino types of `/`, `%`, round, ceil, floor, avg and their operands, by the node's id.
    types: dict[int, Typed]
    #: The Trino types of the operands of the nodes of `_IP_OPERANDS`, by the node's id; None
    #: where the SQL casts nothing to IPADDRESS (no IP address can be).
    kinds: dict[int, list[Numeric]] | None
    #: CAST(CAST(x AS IPADDRESS) AS VARCHAR) that may be read from x in one (ipaddresses).
    texts: set[int]
    #: What each UNNEST's arrays hold (rows and their fields, other values, or not told), by its id.
    unnests: dict[int, list[semantics.Element]]
    #: What each subscript (`a[i]`, element_at) reads ("array", "map" or "other") and what to add
    #: to sqlglot's index to count from 1, by its id.
    subscripted: dict[int, tuple[str, int]]
    #: The Trino types of the dates, timestamps (their precision) and intervals, by the node's id
    #: (with the node, kept alive so that its id is not reused); a node's rewrite inherits its type.
    times: dict[int, tuple[exp.Expr, Numeric]]

    def time(self, node: exp.Expr) -> Numeric:
        """The Trino type of a date, timestamp or interval node (UNKNOWN if not one, or not told)."""
        found = self.times.get(id(node))
        return found[1] if found is not None and found[0] is node else semantics.UNKNOWN

    #: Trino's error for a node whose operands' types the SQL tells Trino refuses (a subscript of
    #: text, json_format of text, ...), by its id.
    errors: dict[int, tuple[str, str]]
    #: The CASTs to JSON whose operand may be (or hold) a map, by their id.
    maps: set[int]
    #: The CASTs to an array, a map or a row, or to varchar(n) or char(n), whose operand's type the
    #: SQL does not tell, by their id: with Trino's name of the type they CAST to.
    untold: dict[int, str] = dataclasses.field(default_factory=dict)
    #: The CASTs to an array, a map or a row holding varchar, of a value that is no JSON (its items
    #: become text, `trino_items_as_text`), by their id; none where an IP address may be.
    as_text: set[int] = dataclasses.field(default_factory=set)
    #: The CASTs to varchar(n), by their id: n, and None where `trino_varchar_of_length` gives
    #: Trino's answer, else the name of the operand's type, whose text the local engine does not cut.
    lengths: dict[int, tuple[int, str | None]] = dataclasses.field(default_factory=dict)


#: A fix: the node rewritten (or changed in place and returned), or None where it does not apply.
Rewrite = Callable[[exp.Expr, Context], exp.Expr | None]


@dataclass(frozen=True)
class Fix:
    """One Athena→DuckDB fix: a rewrite, and an example of Athena SQL whose answer it changes.

    `rewritten` is the DuckDB SQL the example becomes with every fix; `answer` is the example's row
    on Trino 476 (or `error`, Trino's error), which DuckDB gives only with this fix
    (tests/test_transpile_fixes.py; the conformance tests run the example on a real Trino too).
    An `error` with a `rewritten` SQL is raised when that SQL runs (Trino's error is one of data)."""

    rewrite: Rewrite
    example: str
    #: None where the fix refuses the example with Trino's error (`error`) before it runs.
    rewritten: str | None
    #: Trino's one row for the example, or the text of Trino's error for it (one of the two).
    answer: tuple[object, ...] | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return self.rewrite.__name__

    @property
    def doc(self) -> str:
        return (self.rewrite.__doc__ or "").strip()


#: Every fix, in the order they are tried on a node (the first that applies rewrites it).
FIXES: list[Fix] = []


def fix(
    example: str, rewritten: str | None, answer: tuple[object, ...] | None = None, error: str | None = None
) -> Callable[[Rewrite], Rewrite]:
    """Registers a rewrite in `FIXES` with its example."""

    def register(rewrite: Rewrite) -> Rewrite:
        FIXES.append(Fix(rewrite, example, rewritten, answer, error))
        return rewrite

    return register


def _first_fix(node: exp.Expr, context: Context, fixes: Sequence[Fix]) -> exp.Expr:
    for each in fixes:
        new = each.rewrite(node, context)
        if new is not None:
            return new
    return node


def _numeric_types(tree: exp.Expr, types: semantics.Types) -> dict[int, Typed]:
    """The Trino types of `/` and `%` and their operands, and of what rounds or averages a
    decimal, by the node's id: computed on the whole tree before any of it is rewritten."""
    found: dict[int, Typed] = {}
    for node in tree.walk():
        if isinstance(node, exp.Div | exp.Mod):
            found[id(node)] = (types.of(node.left), types.of(node.right), types.of(node))
        elif isinstance(node, exp.Round | exp.Ceil | exp.Floor | exp.Avg):
            # a window's aggregate is cast as the whole window: CAST(avg(x) OVER ...)
            owner = node.parent if isinstance(node.parent, exp.Window) else node
            own = types.of(node)
            found[id(owner)] = (own, own, own)
    return found


_TEMPORAL_KINDS = frozenset(
    {semantics.TIMESTAMP, semantics.TIMESTAMP_TZ, "date", "interval year to month", "interval day to second"}
)


def _temporal_types(tree: exp.Expr, types: semantics.Types) -> dict[int, tuple[exp.Expr, Numeric]]:
    """The Trino types of the tree's dates, timestamps and intervals, by the node's id."""
    found: dict[int, tuple[exp.Expr, Numeric]] = {}
    for node in tree.walk():
        if isinstance(node, exp.DataType | exp.Identifier | exp.Var | exp.Literal):
            continue
        told = types.of(node)
        if told.kind in _TEMPORAL_KINDS:
            found[id(node)] = (node, told)
    return found


#: Where an IPADDRESS operand is rewritten (CAST, contains) or refused (concatenation, format,
#: array_join): the node's operands, in order.
_IP_OPERANDS: dict[type[exp.Expr], Callable[[Any], list[exp.Expr]]] = {
    exp.Cast: lambda n: [n.this],
    exp.ArrayContains: lambda n: [n.this, n.expression],
    exp.DPipe: lambda n: [n.this, n.expression],
    exp.Concat: lambda n: list(n.expressions),
    exp.Format: lambda n: list(n.expressions),
    exp.ArrayToString: lambda n: [n.this],
    exp.Between: lambda n: [n.this, n.args["low"], n.args["high"]],
    exp.In: lambda n: [n.this, *n.expressions],
    **{
        kind: lambda n: [n.left, n.right]
        for kind in ipaddresses.COMPARED
        if kind not in (exp.Between, exp.In)
    },
}


def _operands(node: exp.Expr) -> list[exp.Expr] | None:
    """The operands of a node of `_IP_OPERANDS` (None for another node)."""
    for kind, operands in _IP_OPERANDS.items():
        if isinstance(node, kind):
            return operands(node)
    return None


def _operand_kinds(tree: exp.Expr, types: semantics.Types) -> dict[int, list[Numeric]]:
    """The Trino types of the operands of the nodes of `_IP_OPERANDS`, by the node's id."""
    found: dict[int, list[Numeric]] = {}
    for node in tree.walk():
        operands = _operands(node)
        if operands is not None:
            found[id(node)] = [types.of(o) for o in operands]
    return found


def _ip_operands(node: exp.Expr, kinds: dict[int, list[Numeric]] | None, fuse: bool = False) -> exp.Expr:
    """A CAST, contains, `||`, concat or format with Trino's semantics for IPADDRESS operands.
    `kinds`: the Trino types of the operands of such nodes; None where no IP address can be.
    `fuse`: a CAST(CAST(x AS IPADDRESS) AS VARCHAR) may be read from x in one (ipaddresses)."""
    operands = kinds.get(id(node)) if kinds is not None else None
    if isinstance(node, exp.Cast):  # and TRY_CAST
        if operands is None:
            return node if kinds is None else ipaddresses.cast(node, semantics.UNKNOWN, fuse)
        return ipaddresses.cast(node, operands[0], fuse)
    if isinstance(node, exp.ArrayContains):
        return ipaddresses.contains(node, operands[1] if operands else semantics.OTHER, REFUSAL)
    if kinds is None:
        return node
    if isinstance(node, exp.DPipe):
        left, right = operands or [semantics.UNKNOWN, semantics.UNKNOWN]
        message = ipaddresses.concat_error([node.this, node.expression], [left, right])
        node.set("this", ipaddresses.not_ipaddress(node.this, left, message))
        node.set("expression", ipaddresses.not_ipaddress(node.expression, right, message))
        return node
    message = ipaddresses.CONCAT if isinstance(node, exp.Concat) else ipaddresses.FORMAT
    items = node.expressions
    told = operands or [semantics.UNKNOWN] * len(items)
    node.set(
        "expressions", [ipaddresses.not_ipaddress(i, k, message) for i, k in zip(items, told, strict=True)]
    )
    return node


def _subscripted(node: exp.Bracket, typing: semantics.Items) -> tuple[str, int]:
    """What a subscript reads in Trino: "map" (a map, or a key written as a string), "array" (an
    array, or an integer where the SQL does not tell), or "other" (a row's field, JSON); and what
    to add to the index sqlglot keeps to count from 1 (it keeps a known array's integer subscript
    counted from 0, element_at's from 1), told before the array's own subscripts are rewritten."""
    if len(node.expressions) != 1 or node.args.get("json_access"):
        return "other", 0
    offset = 1 - (node.args.get("offset") or 0)
    index = node.expressions[0]
    shift = (
        offset if exp.apply_index_offset(node.this, [index], offset, dialect=DIALECT)[0] is not index else 0
    )
    told = node.this.type.this if node.this.type is not None else exp.DataType.Type.UNKNOWN
    if told == exp.DataType.Type.STRUCT:
        return "other", 0
    if told == exp.DataType.Type.MAP or isinstance(node.this, exp.Map | exp.VarMap | exp.MapFromEntries):
        return "map", 0
    items = typing.items(node.this)
    if items.map:
        return "map", 0
    if told == exp.DataType.Type.ARRAY or items.kind != "unknown":
        return "array", shift
    if typing.value(node.this).kind == "row":
        return "other", 0
    return ("map", 0) if isinstance(index, exp.Literal) and index.is_string else ("array", shift)


def _type_errors(
    tree: exp.Expr, typing: semantics.Items, types: trino_types.TrinoTypes
) -> dict[int, tuple[str, str]]:
    """Trino's error for each node Trino refuses for its operands' types, where the SQL tells
    them (read before any rewrite), by the node's id: a subscript of text (DuckDB reads a
    character), json_format of a value that is no JSON, JSON functions given more or fewer
    arguments (sqlglot drops json_extract_scalar's third); comparisons and CASTs of types Trino
    does not coerce (text and a number, an array to text: toolkit.core.trino_types)."""
    found: dict[int, tuple[str, str]] = {}
    for node in tree.walk():
        refused = _refused_for_types(node, types)
        if refused is not None:
            found[id(node)] = refused
            continue
        if isinstance(node, exp.Bracket):
            if len(node.expressions) != 1 or node.args.get("json_access") or node.args.get("safe"):
                continue
            text = typing.varchar(node.this)
            if text is not None:
                index = _trino_type(node.expressions[0], typing)
                found[id(node)] = (
                    f"Cannot use {index or 'this value'} for subscript of {text}",
                    "substr(text, position, 1) reads one character of text",
                )
        elif isinstance(node, exp.GenerateSeries):
            unexpected = _sequence_of_numbers_error(node, types)
            if unexpected is not None:
                found[id(node)] = (unexpected, "sequence steps through bigints, dates or timestamps")
        elif isinstance(node, exp.JSONFormat) and not node.args.get("options"):
            told = _trino_type(node.this, typing)
            if told is not None and told != "json":
                found[id(node)] = (
                    _unexpected("json_format", [told]),
                    "json_format formats JSON: json_parse(text) reads text as JSON",
                )
        elif isinstance(node, exp.JSONArrayContains):
            json, value = _trino_type(node.this, typing), _trino_type(node.expression, typing)
            if (json is not None and json != "json" and not json.startswith("varchar")) or (
                value is not None and value in ("json",)
            ):
                found[id(node)] = (
                    _unexpected("json_array_contains", [json, value]),
                    "json_array_contains reads JSON (or text) and a bigint, double, varchar or boolean",
                )
        elif isinstance(node, exp.Anonymous) and node.name.lower() in dict(semantics.FIXED_ARITY):
            name = node.name.lower()
            found[id(node)] = (
                _unexpected(name, [_trino_type(a, typing) for a in node.expressions]),
                f"{name} takes {_ARGUMENTS[dict(semantics.FIXED_ARITY)[name]]}",
            )
    return found


def _sequence_of_numbers_error(node: exp.GenerateSeries, types: trino_types.TrinoTypes) -> str | None:
    """Trino's error for a sequence of numbers of which one is no integer (text, a decimal, a
    double), where the SQL tells each operand's type and none is a date, a timestamp or an interval
    (those `sequence_as_trino_steps` reads)."""
    operands = [node.args["start"], node.args["end"]] + ([node.args["step"]] if node.args.get("step") else [])
    told = [types.of(o) for o in operands]
    if any(t is None for t in told):
        return None
    known = [t for t in told if t is not None]
    if any(t.family in trino_types.TEMPORAL for t in known):
        return None
    if all(
        t.family is None or (t.family == trino_types.NUMBER and t.numeric.kind == "integer") for t in known
    ):
        return None
    return f"Unexpected parameters ({', '.join(t.name for t in known)}) for function sequence. Expected: {_SEQUENCES}"


def _casts_to_text_items(tree: exp.Expr, types: trino_types.TrinoTypes) -> set[int]:
    """The CASTs to an array, a map or a row holding varchar, of a value the SQL does not tell is
    JSON (whose text Trino reads), by their id."""
    found: set[int] = set()
    for node in tree.find_all(exp.Cast):
        if node.to.this not in (exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT):
            continue
        if not any(
            isinstance(t, exp.DataType) and t.this == exp.DataType.Type.VARCHAR for t in node.to.walk()
        ):
            continue
        told = types.of(node.this)
        if told is None or told.family != trino_types.JSON:
            found.add(id(node))
    return found


def _untold_casts(tree: exp.Expr, typing: semantics.Items, types: trino_types.TrinoTypes) -> dict[int, str]:
    """The CASTs to an array, a map or a row, or to varchar(n) or char(n), whose operand's Trino
    type the SQL does not tell (checked when the query runs), by their id: the type's name."""
    found: dict[int, str] = {}
    for node in tree.find_all(exp.Cast):
        if node.meta.get(semantics.TYPED_LITERAL) or isinstance(node.this, exp.Literal | exp.Null):
            continue
        target = trino_types.cast_target(node.to)
        if target is None or target.family not in (trino_types.STRUCTURED, trino_types.TEXT, "char"):
            continue
        if target.family == trino_types.TEXT and target.length is None:
            continue  # (plain varchar: `trino_text` checks it)
        if types.of(node.this) is None and typing.of(node.this).kind in ("unknown", "other"):
            found[id(node)] = target.name
    return found


def _casts_to_a_length(
    tree: exp.Expr, typing: semantics.Items, types: trino_types.TrinoTypes
) -> dict[int, tuple[int, str | None]]:
    """The CASTs to varchar(n), by their id: n, and None where `trino_varchar_of_length` gives
    Trino's answer (text, an integer, a boolean, a date, NULL, or an operand whose type the SQL does
    not tell, told when the query runs), else the operand's type (a decimal, a double, a timestamp,
    JSON), whose text is refused (Athena writes its own, and fails where it is longer than n). An
    array, a map, a row or an IP address is Trino's error, given by other checks."""
    found: dict[int, tuple[int, str | None]] = {}
    for node in tree.find_all(exp.Cast):
        target = trino_types.cast_target(node.to)
        if target is None or target.family != trino_types.TEXT or target.length is None:
            continue
        if target.length > 2**63 - 1:  # (Trino's words; DuckDB took any length)
            raise UsageError(f"Invalid type parameter: {target.length}")
        if target.length > 2**31 - 1:
            raise UsageError(f"Unknown type: varchar({target.length})")
        told = types.of(node.this)
        if told is None:
            kind = typing.of(node.this).kind
            refused = None if kind in ("unknown", "other", "null", "integer", "date") else kind
        elif told.family in (trino_types.STRUCTURED, trino_types.IPADDRESS):
            continue  # (Trino's error, given by other checks)
        elif (
            told.family in (None, trino_types.TEXT, trino_types.BOOLEAN, "char")
            or told.name == "date"
            or (told.family == trino_types.NUMBER and told.numeric.kind == "integer")
        ):
            refused = None
        else:
            refused = told.name
        found[id(node)] = (target.length, refused)
    return found


def _refused_for_types(node: exp.Expr, types: trino_types.TrinoTypes) -> tuple[str, str] | None:
    """Trino's error and a hint for a comparison or a CAST Trino refuses for its operands' types."""
    compared = trino_types.comparison_error(node, types)
    if compared is not None:
        if isinstance(node, exp.Coalesce):
            return compared, "coalesce's operands are of one type: CAST one to the other's type"
        return compared, _COMPARED_HINT
    for error_of, hint in (
        (trino_types.cast_error, _CAST_HINT),
        (trino_types.like_error, "LIKE matches text: CAST(x AS varchar) LIKE '1%' matches a number's text"),
        (trino_types.arithmetic_error, _ARITHMETIC_HINT),
        (trino_types.concat_error, "|| joins text: CAST the number or boolean to varchar first"),
    ):
        error = error_of(node, types)
        if error is not None:
            return error, hint
    return None


#: What to write instead of a comparison of types Trino does not coerce.
_COMPARED_HINT = (
    "Athena compares values of one type: write the value as the column's (CloudTrail's columns are "
    "text: readonly = 'false'), or CAST one side to the other's type"
)
#: What to write instead of arithmetic on text (CloudTrail's columns are text) or a date and a number.
_ARITHMETIC_HINT = (
    "CAST text to a number first (CAST(x AS bigint) + 1); add an interval to a date or timestamp "
    "(date_add('day', 1, d), d + INTERVAL '1' DAY)"
)
#: What to write instead of a CAST of an array, a map or a row to text (or of text to one).
_CAST_HINT = (
    "CAST(x AS JSON) writes an array, a map or a row as JSON (json_format(...) as text), "
    "array_join(a, ',') joins an array's items; json_parse and CAST(... AS ARRAY(...)) read JSON text"
)
_ARGUMENTS = {1: "one argument", 2: "two arguments"}
#: What Trino's messages list as a function's signatures.
_SIGNATURES = {
    "json_format": "json_format(json)",
    "json_extract": "json_extract(json, jsonpath), json_extract(varchar(x), jsonpath)",
    "json_extract_scalar": "json_extract_scalar(json, jsonpath), json_extract_scalar(varchar(x), jsonpath)",
    "json_array_contains": ", ".join(
        f"json_array_contains({json}, {value})"
        for json in ("json", "varchar(x)")
        for value in ("bigint", "boolean", "double", "varchar(x)" if json == "json" else "varchar(y)")
    ),
}


def _unexpected(name: str, types: list[str | None]) -> str:
    """Trino's error for a function called with arguments of these types (None: not told)."""
    if any(t is None for t in types):
        return f"Unexpected parameters ({len(types)} arguments) for function {name}. Expected: {_SIGNATURES[name]}"
    return f"Unexpected parameters ({', '.join(t for t in types if t)}) for function {name}. Expected: {_SIGNATURES[name]}"


def _trino_type(node: exp.Expr, typing: semantics.Items) -> str | None:
    """The name of a value's Trino type as Trino's messages write it, where the SQL tells it."""
    text = typing.varchar(node)
    if text is not None:
        return text
    if isinstance(node, exp.ParseJSON | exp.JSONExtract) or (
        isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.JSON
    ):
        return "json"
    numeric = typing.of(node)
    if numeric.kind == "integer":
        return {3: "tinyint", 5: "smallint", 10: "integer"}.get(numeric.precision, "bigint")
    if numeric.kind == "decimal":
        return f"decimal({numeric.precision},{numeric.scale})"
    if numeric.kind == "double":
        return "double"
    if isinstance(node, exp.Boolean):
        return "boolean"
    return None


def _subscript(node: exp.Bracket, read: tuple[str, int]) -> exp.Expr | None:
    """`a[i]`, `m[k]` and element_at as Trino reads them (`trino_array_subscript`, ...)."""
    kind, shift = read
    if kind == "other" or (kind == "map" and node.args.get("safe")):
        return None
    if kind == "map":
        return exp.Anonymous(this="trino_map_subscript", expressions=[node.this, *node.expressions])
    index = node.expressions[0]
    if shift:
        index = exp.Add(this=index, expression=exp.Literal.number(shift))
        if isinstance(node.expressions[0], exp.Literal):
            index = exp.Literal.number(int(node.expressions[0].to_py()) + shift)
    name = "trino_element_at" if node.args.get("safe") else "trino_array_subscript"
    return exp.Anonymous(this=name, expressions=[node.this, index])


#: Trino's names of UTC as AT TIME ZONE, at_timezone and with_timezone read them (each written UTC).
_UTC_NAMES = frozenset({"UTC", "Z", "GMT", "Etc/UTC", "UCT", "Zulu", "+00:00", "Etc/GMT", "Universal"})
#: Trino's error for a zone letter in format_datetime of a timestamp without one.
_ZONE_OF_A_TIMESTAMP = (
    "format_datetime for TIMESTAMP type, cannot use 'Z' nor 'z' in format, as this type does not "
    "contain TZ information"
)


def hint_for(refusal: str) -> str | None:
    """What to write instead, for an error the rewritten SQL raised when it ran (`REFUSAL`)."""
    if refusal.startswith(("Value cannot be cast to date: ", "Value cannot be cast to timestamp: ")):
        return ISO8601_HINT
    if refusal.startswith("Cannot cast value to IPADDRESS: "):
        return (
            "sourceipaddress also holds service names such as ec2.amazonaws.com: wrap the CAST in try(), "
            "or search with --source-ip"
        )
    if refusal.startswith("Character count exceeds length limit "):  # (Trino's own words)
        return (
            "a boolean's text (true, false) is longer than the varchar(n) it is CAST to: CAST it to varchar"
        )
    if " cannot be represented as varchar(" in refusal:
        return "its text is longer than the varchar(n) it is CAST to: CAST it to varchar"
    return None


#: What to write for CloudTrail's times (`eventtime`: `2022-11-23T21:06:46Z`), which a CAST refuses.
ISO8601_HINT = "read ISO 8601 text such as eventtime with from_iso8601_timestamp(eventtime)"


def _timestamp_text_in(text: str, tried: bool) -> str | None:
    """A text literal CAST to a timestamp, as DuckDB's cast reads what Trino reads (None for
    TRY_CAST of what Trino refuses); else Trino's error, or the local engine's refusal."""
    if re.fullmatch(datetimes.TIMESTAMP_TEXT, text):
        return re.sub(datetimes.UTC_SUFFIX, "", text).strip()
    if re.fullmatch(datetimes.ZONED_TIMESTAMP_TEXT, text):
        raise UsageError(datetimes.ZONED_TEXT_REFUSAL)
    if tried:
        return None
    raise UsageError(
        f"Value cannot be cast to timestamp: {text}",
        f"write YYYY-MM-DD hh:mm:ss (a space, no T), or {ISO8601_HINT}",
    )


def _to_plain_varchar(to: exp.DataType) -> bool:
    return to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT) and not to.expressions


def _timestamp_precision(node: exp.Expr) -> int | None:
    """The precision of a timestamp the SQL states (a CAST, a literal), None where it does not."""
    if isinstance(node, exp.Cast) and node.to.this in (
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.TIMESTAMPTZ,
    ):
        if not node.to.expressions:
            return 3
        value = node.to.expressions[0]
        inner = value.this if isinstance(value, exp.DataTypeParam) else value
        if isinstance(inner, exp.Literal) and inner.is_int:
            return int(inner.this)
    return None


def _precision(node: exp.Expr, context: Context) -> int | None:
    """The precision of a timestamp in Trino where the SQL tells it (None where it does not)."""
    told = context.time(node)
    return told.precision if semantics.is_timestamp(told) else _timestamp_precision(node)


def _divide(node: exp.Div, typed: Typed | None) -> exp.Expr:
    """`a / b` as Trino computes it: integers truncate toward zero (an error for zero), decimals
    give a decimal of Trino's precision and scale rounded half up, doubles give doubles (zero
    gives Infinity or NaN). Where the types cannot be told, doubles only (others: an error)."""
    left, right = node.left, node.right
    a, b, result = typed if typed else (None, None, None)
    kinds = {_number_kind(a), _number_kind(b)}
    if "double" in kinds or "other" in kinds:
        return node
    if kinds == {"integer"}:
        return exp.IntDiv(this=left, expression=right)
    if "unknown" in kinds or a is None or b is None or result is None or result.kind != "decimal":
        return exp.Anonymous(this="trino_divide", expressions=[left, right])
    da, db = a.as_decimal(), b.as_decimal()
    shift = result.scale + db.scale - da.scale
    quotient = exp.Anonymous(
        this="trino_decimal_divide",
        expressions=[
            exp.cast(left, _decimal(semantics.MAX_PRECISION, da.scale)),
            exp.cast(right, _decimal(semantics.MAX_PRECISION, db.scale)),
            _hugeint(10**da.scale),
            _hugeint(10**db.scale),
            _hugeint(10**shift),
            exp.Literal.number(f"{10**-result.scale:.{result.scale}f}" if result.scale else "1"),
        ],
    )
    return exp.cast(quotient, _decimal(result.precision, result.scale))


def _number_kind(numeric: Numeric | None) -> str:
    """The kind of a number ("integer", "decimal", "double"), "unknown", or "other" (a timestamp...)."""
    if numeric is None:
        return "unknown"
    return numeric.kind if numeric.kind in ("integer", "decimal", "double", "unknown") else "other"


def _as_decimal(node: exp.Expr, numeric: Numeric | None) -> exp.Expr:
    """A decimal `%`, round, ceil, floor or avg cast to Trino's type (DuckDB's precision and scale
    differ: `round(2.456, 2)` is 2.460 in Trino, a decimal average is a double in DuckDB)."""
    if numeric is None or numeric.kind != "decimal":
        return node
    return exp.Cast(this=node, to=_decimal(numeric.precision, numeric.scale))


def _decimal(precision: int, scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


def _hugeint(value: int) -> exp.Expr:
    return exp.cast(exp.Literal.number(value), exp.DataType.build("HUGEINT", dialect="duckdb"))


def _duckdb_paths(path: exp.Expr) -> list[exp.Expr] | None:
    """The DuckDB paths for a Trino path literal (None for a path computed at run time)."""
    if isinstance(path, exp.JSONPath):  # parsed by a dialect that reads paths: back to its text
        path = exp.Literal.string(path.sql(dialect="athena").strip("'"))
    if not isinstance(path, exp.Literal) or not path.is_string:
        return None
    tokens = semantics.json_path_tokens(path.name)
    return [exp.Literal.string(p) for p in semantics.duckdb_json_paths(tokens)]


def _json_extract(node: exp.JSONExtract | exp.JSONExtractScalar) -> exp.Expr:
    """json_extract / json_extract_scalar with Trino's path syntax; json_extract_scalar gives NULL
    for an object or array (DuckDB's `->>` gives its JSON text)."""
    paths = _duckdb_paths(node.expression)
    if paths is None:
        return node
    scalar = isinstance(node, exp.JSONExtractScalar)
    parsed = isinstance(node.this, exp.Anonymous) and node.this.name == "trino_json_parse"
    # The operand is written once a path for json_extract, six times for json_extract_scalar (five
    # of json_parse): refused before it is copied (seven nested took 4 s to copy, then were refused).
    copies = len(paths) * ((5 if parsed else 6) if scalar else 1)
    if _larger_than(node.this, MAX_REWRITTEN_NODES // copies):
        raise _nested_too_deeply()
    readings: list[exp.Expr] = []
    for path in paths:
        kind = exp.JSONExtractScalar if scalar else exp.JSONExtract
        reading: exp.Expr = kind(this=node.this.copy(), expression=path)
        if scalar:
            json_type = exp.Anonymous(this="json_type", expressions=[node.this.copy(), path.copy()])
            is_container = exp.In(
                this=json_type,
                expressions=[exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")],
            )
            # a number as written (json_extract_scalar gives its token)
            is_number = exp.In(
                this=json_type.copy(),
                expressions=[exp.Literal.string(k) for k in ("DOUBLE", "BIGINT", "UBIGINT")],
            )
            number = (  # json_parse's numbers are Java's already: no token as written to find
                exp.Anonymous(this="trino_json_atom", expressions=[json_type.copy(), reading.copy()])
                if parsed
                else exp.Anonymous(
                    this="trino_json_scalar", expressions=[node.this.copy(), reading.copy(), json_type.copy()]
                )
            )
            reading = exp.Case(
                ifs=[exp.If(this=is_container, true=exp.null()), exp.If(this=is_number, true=number)],
                default=reading,
            )
        readings.append(reading)
    read = readings[0] if len(readings) == 1 else exp.Coalesce(this=readings[0], expressions=readings[1:])
    if not scalar:  # Trino's JSON writer fails on a value nesting deeper than it writes
        read = exp.Anonymous(this="trino_json_written", expressions=[read])
    shown = node.parent if isinstance(node.parent, exp.Alias) else node
    if not scalar and isinstance(shown.parent, exp.Select) and shown.arg_key == "expressions":
        # a result's JSON text: its numbers as Trino writes them
        return exp.Anonymous(this="trino_json_numbers", expressions=[read])
    return read


def _json_size(node: exp.Anonymous) -> exp.Expr:
    """Trino's json_size: members of an object, items of an array, 0 for a scalar, NULL if absent."""
    json, path = node.expressions
    paths = _duckdb_paths(path)
    if paths is None:
        return node
    # text that is no JSON: NULL where Trino's reader fails at once, else refused
    json = exp.Anonymous(this="trino_json_read", expressions=[json, exp.Literal.string("json_size")])
    sizes: list[exp.Expr] = []
    for duck in paths:
        value = exp.Anonymous(this="json_extract", expressions=[json.copy(), duck])
        kind = exp.Anonymous(this="json_type", expressions=[value.copy()])
        keys = exp.Anonymous(this="json_keys", expressions=[value.copy()])
        sizes.append(
            exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("OBJECT")),
                        true=exp.Anonymous(this="len", expressions=[keys]),
                    ),
                    exp.If(
                        this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("ARRAY")),
                        true=exp.Anonymous(this="json_array_length", expressions=[value.copy()]),
                    ),
                    exp.If(this=exp.Is(this=value.copy(), expression=exp.null()), true=exp.null()),
                ],
                default=exp.Literal.number(0),
            )
        )
    return sizes[0] if len(sizes) == 1 else exp.Coalesce(this=sizes[0], expressions=sizes[1:])


#: The regular expression functions whose pattern (`expression`) is Trino's.
_REGEX_FUNCTIONS = (
    exp.RegexpLike,
    exp.RegexpExtract,
    exp.RegexpExtractAll,
    exp.RegexpReplace,
    exp.RegexpSplit,
)


def _read_as_trino(node: exp.Expr) -> None:
    """The pattern (and replacement) of a regular expression function in RE2's syntax, read as
    Trino reads them, and its subject refused where `$` would match otherwise (in place)."""
    written = node.expression
    if not (isinstance(written, exp.Literal) and written.is_string):
        raise UsageError(
            "a regular expression computed when the query runs is not run locally (Athena's joni and "
            "the local engine's RE2 read some patterns differently)",
            "write the pattern as a string literal, or run the query on Athena",
        )
    pattern = regex.translate(written.name)
    if isinstance(node, exp.RegexpSplit) and pattern.empty:
        raise UsageError(
            f"regexp_split of the regular expression '{written.name}', which can match empty text: Athena "
            "splits at each empty match too (an empty first and last item), the local engine otherwise",
            "write a pattern that matches at least one character (b+ for b*), or run the query on Athena",
        )
    exact_at_tail = isinstance(node, exp.RegexpLike) and pattern.ends_at_tail
    node.set("expression", exp.Literal.string(pattern.tail if exact_at_tail else pattern.at_end))
    quoted = exp.Literal.string(f"'{written.name}'")
    if pattern.ends and not exact_at_tail:
        node.set("this", exp.Anonymous(this="trino_regex_subject", expressions=[node.this, quoted]))
    if pattern.subject_refused:
        refused = exp.Literal.string(pattern.subject_refused)
        node.set(
            "this", exp.Anonymous(this="trino_regex_folds", expressions=[node.this, quoted.copy(), refused])
        )
    if not isinstance(node, exp.RegexpReplace) or node.args.get("replacement") is None:
        return
    given = node.args["replacement"]
    if not (isinstance(given, exp.Literal) and given.is_string):
        raise UsageError(
            "a regexp_replace replacement computed when the query runs is not run locally (Athena "
            "reads $1 in it, the local engine \\1)",
            "write the replacement as a string literal, or run the query on Athena",
        )
    rewritten = regex.replacement(given.name, pattern)
    if pattern.empty_after_match and not re.fullmatch(r"(?:\\[0-9])*", rewritten):
        raise UsageError(
            f"regexp_replace with the regular expression '{written.name}', which can match empty text "
            "right after a match: Athena replaces that empty match too (regexp_replace('abc', 'b*', '-') "
            "is -a--c-), the local engine not",
            "write a pattern that matches at least one character (b+ for b*), or run the query on Athena",
        )
    node.set("replacement", exp.Literal.string(rewritten))


def _date_diff(node: exp.DateDiff) -> exp.Expr:
    unit = node.args.get("unit")
    unit_text = unit.name.lower() if unit is not None else "day"
    # Athena's date_diff(unit, a, b) parses as DateDiff(this=b, expression=a).
    return exp.Anonymous(
        this="date_sub",
        expressions=[
            exp.Literal.string(unit_text),
            node.expression.copy(),
            node.this.copy(),
        ],
    )


_MATCHES = ("any_match", "all_match", "none_match")


def _match(node: exp.Anonymous) -> exp.Expr:
    """any_match as Trino decides it (`trino_any_match`); none_match is its negation, all_match the
    negation of any_match of the negated answers."""
    array, predicate = node.expressions
    name = node.name.lower()
    if name == "all_match":
        predicate = exp.Lambda(
            this=exp.Not(this=exp.paren(predicate.this)), expressions=predicate.expressions
        )
    transformed = exp.Anonymous(this="list_transform", expressions=[array, predicate])
    any_match = exp.Anonymous(this="trino_any_match", expressions=[transformed])
    return any_match if name == "any_match" else exp.Not(this=any_match)


def _plain_substr(node: exp.Substring) -> bool:
    """A position and length written as positive numbers (`substr(eventtime, 1, 10)`): DuckDB's
    answer is Trino's, with no CASE around it."""
    return all(
        isinstance(value, exp.Literal) and value.is_int and int(value.this) > 0
        for value in (node.args["start"], node.args.get("length") or exp.Literal.number(1))
    )


def _array_join(node: exp.ArrayToString) -> exp.Expr:
    """Trino's `array_join(array, separator)`: the NULL items are left out before DuckDB joins
    (so that an array of NULLs only joins to ''), and a NULL separator gives NULL."""
    item = "trailcsi_item"
    present = exp.Not(this=exp.Is(this=exp.column(item), expression=exp.null()))
    array = exp.Anonymous(
        this="trino_items_as_text", expressions=[node.this, exp.Literal.string("array_join")]
    )
    kept = exp.Anonymous(
        this="list_filter",
        expressions=[array, exp.Lambda(this=present, expressions=[exp.to_identifier(item)])],
    )
    separator = node.expression
    joined = exp.ArrayToString(this=kept, expression=separator)
    if isinstance(separator, exp.Literal) and separator.is_string:
        return joined
    has_separator = exp.Not(this=exp.Is(this=separator.copy(), expression=exp.null()))
    return exp.Case(ifs=[exp.If(this=has_separator, true=joined)])


def _unnest(node: exp.Unnest, items: list[semantics.Element], number: int = 0) -> exp.Expr | None:
    """UNNEST in FROM or a JOIN as Trino reads it: the fields of rows as columns, several arrays
    side by side (the shorter padded with NULLs), WITH ORDINALITY counting from 1, and the alias
    list naming every column (and naming exactly as many as there are), the columns Trino leaves
    without a name `ANONYMOUS<n>`; an UNNEST without a name is `_trailcsi_unnest<number>` (`number` tells
    the query's UNNESTs apart). None where DuckDB's UNNEST already reads it so."""
    arrays = list(node.expressions)
    alias = node.args.get("alias")
    names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    offset = node.args.get("offset")
    ordinality = offset is not None and offset is not False
    if ordinality and isinstance(offset, exp.Identifier):
        names.append(offset.name)
    rows = [e.kind == "row" for e in items]
    for at, element in enumerate(items):
        if element.kind == "unknown":  # rows, if they are, are refused when the query runs
            arrays[at] = exp.Anonymous(this="trino_unnest_values", expressions=[arrays[at]])
    widths = [len(e.fields) if row else 1 for e, row in zip(items, rows, strict=True)]
    available = sum(widths) + (1 if ordinality else 0)
    if names and len(names) != available:
        if any(e.kind == "unknown" for e in items):
            raise UsageError(UNNEST_OF_UNTOLD_ROWS)
        named = alias.name if isinstance(alias, exp.TableAlias) else ""
        raise UsageError(
            f"Column alias list has {len(names)} entries but '{named}' has {available} columns available",
            "name each field of the array's rows (and the ordinality), in order",
        )
    if not any(rows) and len(arrays) == 1:
        if not names:  # Trino leaves the column (and the ordinality) without a name: `_col<n>`
            named = (
                alias.name
                if isinstance(alias, exp.TableAlias) and alias.name
                else f"_trailcsi_unnest{number}"
            )
            node.set(
                "alias",
                exp.TableAlias(this=exp.to_identifier(named), columns=[exp.to_identifier(f"{ANONYMOUS}0")]),
            )
            if ordinality:
                node.set("offset", exp.to_identifier(f"{ANONYMOUS}1"))
        elif arrays[0] is node.expressions[0]:
            return None
        node.set("expressions", arrays)
        return node
    # SELECT unnest(a1) AS _1, unnest(a2) AS _2, [unnest(range(1, longest + 1)) AS _o]: DuckDB pads
    # the shorter lists with NULLs; a map unnests as its entries (rows of key and value).
    lists = [
        exp.Anonymous(this="map_entries", expressions=[a]) if e.map else a
        for a, e in zip(arrays, items, strict=True)
    ]
    own = [f"_trailcsi_{at}" for at in range(len(lists))]
    unnested: list[exp.Expr] = [
        exp.alias_(exp.Unnest(expressions=[a.copy()]), name) for a, name in zip(lists, own, strict=True)
    ]
    if ordinality:
        lengths = [
            exp.Coalesce(
                this=exp.Anonymous(this="len", expressions=[a.copy()]), expressions=[exp.Literal.number(0)]
            )
            for a in lists
        ]
        longest = lengths[0] if len(lengths) == 1 else exp.Greatest(this=lengths[0], expressions=lengths[1:])
        count = exp.Anonymous(
            this="range",
            expressions=[exp.Literal.number(1), exp.Add(this=longest, expression=exp.Literal.number(1))],
        )
        unnested.append(exp.alias_(exp.Unnest(expressions=[count]), "_trailcsi_o"))
    columns: list[exp.Expr] = []
    for name, row, width in zip(own, rows, widths, strict=True):
        if row:
            columns += [
                exp.Anonymous(this="struct_extract_at", expressions=[exp.column(name), exp.Literal.number(i)])
                for i in range(1, width + 1)
            ]
        else:
            columns.append(exp.column(name))
    if ordinality:
        columns.append(exp.column("_trailcsi_o"))
    if not names:  # Trino's names: the rows' fields, none where it has none (`_col<n>` for a `*`)
        fields = [  # (a map's entries have no names either)
            f
            for e, row in zip(items, rows, strict=True)
            for f in ((("",) * len(e.fields) if e.map else e.fields) if row else ("",))
        ]
        names = [f or f"{ANONYMOUS}{at}" for at, f in enumerate([*fields, *([""] if ordinality else [])])]
    select = exp.select(*(exp.alias_(c, n) for c, n in zip(columns, names, strict=True))).from_(
        exp.select(*unnested).subquery()
    )
    relation = exp.TableAlias(
        this=exp.to_identifier(
            alias.name if isinstance(alias, exp.TableAlias) and alias.name else f"_trailcsi_unnest{number}"
        ),
        columns=[exp.to_identifier(n) for n in names],
    )
    if isinstance(node.parent, exp.From):
        return exp.Subquery(this=select, alias=relation)
    return exp.Lateral(this=select.subquery(), alias=relation)


# -- The fixes, in the order they are tried on a node ---------------------------------------------
# Each example's `rewritten` and `answer` are checked by tests/test_transpile_fixes.py, and its
# answer on a real Trino by tests/conformance/test_transpile_fixes_on_trino.py.


def _trinos_error(node: exp.Expr, context: Context, kinds: Any) -> exp.Expr | None:
    """Raise Trino's error for a node of these kinds whose operands' types Trino refuses (found
    before the rewrites, `_type_errors`); None otherwise (nothing to rewrite)."""
    if isinstance(node, kinds) and id(node) in context.errors:
        raise UsageError(*context.errors[id(node)])
    return None


@fix(example="SELECT 'abc'[1]", rewritten=None, error="Cannot use integer for subscript of varchar(3)")
def subscripts_of_text(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A subscript of text (a string literal, a CAST to varchar, a string column of `trail`):
    Trino's error (DuckDB reads the character at that position)."""
    return _trinos_error(node, context, exp.Bracket)


@fix(
    example="SELECT json_format('{\"a\": 1}')",
    rewritten=None,
    error="Unexpected parameters (varchar(8)) for function json_format. Expected: json_format(json)",
)
def json_functions_of_their_types(node: exp.Expr, context: Context) -> exp.Expr | None:
    """json_format of a value the SQL tells is no JSON (text, a number), and json_extract,
    json_extract_scalar or json_format given more or fewer arguments: Trino's error (DuckDB
    formats the value; sqlglot drops json_extract_scalar's third argument)."""
    return _trinos_error(node, context, exp.JSONFormat | exp.Anonymous)


@fix(example="SELECT 'false' = false", rewritten=None, error="Cannot apply operator: varchar(5) = boolean")
def comparisons_of_types_trino_refuses(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A comparison (=, <, IN, BETWEEN, IS DISTINCT FROM, CASE x WHEN) of text with a number, a
    boolean, a date or JSON (or of other types Trino does not coerce to a common one), or an
    ARRAY[...] or a coalesce of them, LIKE of or by a value that is no text, arithmetic of text, a
    boolean or a date and a number, where the SQL tells the types: Trino's error (DuckDB casts one
    side to the other's type and answers, or fails with its binder's message)."""
    return _trinos_error(
        node,
        context,
        exp.Predicate
        | exp.Case
        | exp.Array
        | exp.Coalesce
        | exp.Add
        | exp.Sub
        | exp.Mul
        | exp.Div
        | exp.Mod
        | exp.DPipe
        | exp.Concat,
    )


@fix(
    example="SELECT CAST(ARRAY[1, 2] AS varchar(10))",
    rewritten=None,
    error="Cannot cast array(integer) to varchar(10)",
)
def casts_of_arrays_maps_and_rows_to_text(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A CAST of an array, a map or a row to text (or another scalar but JSON), or of text, a
    number, a boolean or a time to one, where the SQL tells the types: Trino's error (DuckDB writes
    `[1, 2]`, or reads text as a list). Where the SQL does not tell the operand's type (an
    array_agg, a column of VALUES), the same error when the query runs (the operand is checked in
    place, and the CAST left to the fixes after this one)."""
    _trinos_error(node, context, exp.Cast)
    if isinstance(node, exp.Cast) and id(node) in context.untold:
        structured = trino_types.cast_target(node.to)
        name = "trino_scalar_operand"
        if structured is not None and structured.family == trino_types.STRUCTURED:
            name = "trino_structured_operand"
        target = exp.Literal.string(context.untold[id(node)])
        node.set("this", exp.Anonymous(this=name, expressions=[node.this, target]))
    if isinstance(node, exp.Cast) and id(node) in context.as_text:
        written = exp.Literal.string(f"CAST to {node.to.sql(dialect='athena').lower()}")
        node.set("this", exp.Anonymous(this="trino_items_as_text", expressions=[node.this, written]))
    return None


@fix(
    example="SELECT CAST('abcd' AS varchar(2)), TRY_CAST(12345 AS varchar(3)), CAST(true AS varchar(4))",
    rewritten="SELECT TRINO_VARCHAR_OF_LENGTH('abcd', 2, FALSE), TRINO_VARCHAR_OF_LENGTH(12345, 3, TRUE), "
    "TRINO_VARCHAR_OF_LENGTH(TRUE, 4, FALSE)",
    answer=("ab", None, "true"),
)
def text_of_a_declared_length(node: exp.Expr, context: Context) -> exp.Expr | None:
    """CAST(x AS varchar(n)): Trino cuts text to its first n characters, and fails for an integer or
    a date (TRY_CAST: NULL) or a boolean (TRY_CAST too) whose text is longer; DuckDB ignores n.
    Refused for a decimal, a double, a timestamp or JSON, whose text Athena writes as its own."""
    if not isinstance(node, exp.Cast) or id(node) not in context.lengths:
        return None
    length, refused = context.lengths[id(node)]
    if refused is not None:
        raise UsageError(
            f"CAST of a {refused} to varchar({length}) is not run locally: Athena writes its text "
            f"as its own, and fails where that is longer than {length} characters",
            "CAST to varchar, and cut it with substr; or run the query on Athena",
        )
    return exp.Anonymous(
        this="trino_varchar_of_length",
        expressions=[
            node.this,
            exp.Literal.number(length),
            exp.Boolean(this=isinstance(node, exp.TryCast)),
        ],
    )


@fix(
    example="SELECT 7 / 2, -7 / 2, 1.0 / 3, 2.5 / 0.4",
    rewritten=(
        "SELECT 7 // 2, -7 // 2, CAST(TRINO_DECIMAL_DIVIDE(CAST(1.0 AS DECIMAL(38, 1)), CAST(3 AS"
        " DECIMAL(38, 0)), CAST(10 AS INT128), CAST(1 AS INT128), CAST(1 AS INT128), 0.1) AS "
        "DECIMAL(2, 1)), CAST(TRINO_DECIMAL_DIVIDE(CAST(2.5 AS DECIMAL(38, 1)), CAST(0.4 AS "
        "DECIMAL(38, 1)), CAST(10 AS INT128), CAST(10 AS INT128), CAST(10 AS INT128), 0.1) AS "
        "DECIMAL(3, 1))"
    ),
    answer=(3, -3, Decimal("0.3"), Decimal("6.3")),
)
def integer_and_decimal_division(node: exp.Expr, context: Context) -> exp.Expr | None:
    """`a / b` as Trino computes it: integers truncate toward zero (an error for zero), decimals
    give a decimal of Trino's precision and scale rounded half up, doubles give doubles. DuckDB's
    `/` gives a double for integers and decimals."""
    if not isinstance(node, exp.Div):
        return None
    return _divide(node, context.types.get(id(node)))


@fix(
    example="SELECT CAST('10.0.0.1' AS IPADDRESS) = '10.0.0.1'",
    rewritten=None,
    error="Cannot apply operator: ipaddress = varchar(8)",
)
def ipaddress_compared_with_a_literal(node: exp.Expr, context: Context) -> exp.Expr | None:
    """An IPADDRESS compared with a string or number literal: Trino's error (DuckDB would read the
    string as its own struct type and fail with its own message)."""
    if context.kinds is None or not isinstance(node, ipaddresses.COMPARED) or id(node) not in context.kinds:
        return None
    ipaddresses.compare(node, _operands(node) or [], context.kinds[id(node)])
    return node


@fix(
    example="SELECT CAST(from_iso8601_timestamp('2022-11-23T21:06:46Z') AS varchar), "
    "CAST(CAST('2022-11-23 21:06:46.5' AS timestamp) AS varchar)",
    rewritten="SELECT TRINO_TEXT(TRINO_FROM_ISO8601_TIMESTAMP('2022-11-23T21:06:46Z'), 3, FALSE), "
    "TRINO_TEXT(CAST('2022-11-23 21:06:46.5' AS TIMESTAMP(3)), 3, FALSE)",
    answer=("2022-11-23 21:06:46.000 UTC", "2022-11-23 21:06:46.500"),
)
def timestamps_as_text(node: exp.Expr, context: Context) -> exp.Expr | None:
    """CAST(x AS VARCHAR) of a timestamp: Trino writes its precision's digits (`.000` for a
    timestamp(3)) and ` UTC` after a timestamp with time zone; DuckDB writes `+00` and drops
    trailing zeros. The value's DuckDB type tells which, when the query runs."""
    if not isinstance(node, exp.Cast) or not _to_plain_varchar(node.to):
        return None
    operand = node.this
    if isinstance(operand, exp.Literal | exp.Null):
        return None
    if context.kinds is not None:  # an IP address's text is ipaddresses' (or one the SQL does not tell)
        told = context.kinds.get(id(node), [semantics.UNKNOWN])[0]
        if told in (semantics.IPADDRESS, semantics.UNKNOWN):
            return None
    interval = _interval_text(operand, context)
    if interval is not None:
        return interval
    precision = _precision(operand, context)
    return exp.Anonymous(
        this="trino_text",
        expressions=[
            operand,
            exp.null() if precision is None else exp.Literal.number(precision),
            exp.Boolean(this=isinstance(node, exp.TryCast)),
        ],
    )


def _interval_text(node: exp.Expr, context: Context) -> exp.Expr | None:
    """An interval's text as Trino writes it (None where the node is no interval the SQL tells)."""
    told = context.time(node)
    if told not in (semantics.YEAR_TO_MONTH, semantics.DAY_TO_SECOND):
        return None
    ym = exp.Boolean(this=told == semantics.YEAR_TO_MONTH)
    return exp.Anonymous(this="trino_interval_text", expressions=[node.copy(), ym])


#: Digits of a second past the millisecond, in an interval literal's text.
_PAST_THE_MILLISECOND = re.compile(r"(\.[0-9]{3})[0-9]+")


@fix(
    example="SELECT INTERVAL '0.0004' SECOND = INTERVAL '0' SECOND, INTERVAL '-1.9999' SECOND = INTERVAL '-1.999' SECOND",
    rewritten="SELECT INTERVAL '0.000' SECOND = INTERVAL '0' SECOND, INTERVAL '-1.999' SECOND = INTERVAL '-1.999' SECOND",
    answer=(True, True),
)
def interval_seconds_to_the_millisecond(node: exp.Expr, context: Context) -> exp.Expr | None:
    """An interval literal's seconds to the millisecond, the digits past it dropped (toward zero),
    as Trino reads it: its day-to-second intervals hold milliseconds (`INTERVAL '1.9999' SECOND` is
    1.999 s, `INTERVAL '0.0004' SECOND` is 0); DuckDB keeps microseconds."""
    if (
        not isinstance(node, exp.Interval)
        or not isinstance(node.this, exp.Literal)
        or not node.this.is_string
    ):
        return None
    unit = node.args.get("unit")
    if unit is None or "SECOND" not in unit.sql().upper():
        return None
    cut = _PAST_THE_MILLISECOND.sub(r"\1", node.this.name)
    if cut == node.this.name:
        return None
    return exp.Interval(this=exp.Literal.string(cut), unit=unit.copy())


@fix(
    example="SELECT INTERVAL '1' DAY + INTERVAL '3' HOUR, INTERVAL '-14' MONTH, "
    "TIMESTAMP '2024-01-01 00:00:00' - TIMESTAMP '2024-01-02 00:00:00.1235'",
    rewritten="SELECT TRINO_INTERVAL_TEXT(INTERVAL '1' DAY + INTERVAL '3' HOUR, FALSE) AS _col0, "
    "TRINO_INTERVAL_TEXT(INTERVAL '-14' MONTH, TRUE) AS _col1, TRINO_INTERVAL_TEXT("
    "CAST('2024-01-01 00:00:00' AS TIMESTAMP(0)) - CAST('2024-01-02 00:00:00.1235' AS TIMESTAMP(4)), FALSE) AS _col2",
    answer=("1 03:00:00.000", "-1-2", "-1 00:00:00.123"),
)
def intervals_answered_as_text(node: exp.Expr, context: Context) -> exp.Expr | None:
    """An interval in the query's answer is Trino's text (`1 03:00:00.000`, `-1-2` for fourteen
    months back); DuckDB answers a duration, and months as thirty days each."""
    if not isinstance(node, exp.Select) or node.parent is not None:
        return None
    for at, projection in enumerate(node.expressions):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        text = _interval_text(inner, context)
        if text is None:
            continue
        if isinstance(projection, exp.Alias):
            projection.set("this", text)
        else:
            named = projection.name if isinstance(projection, exp.Column) else f"_col{at}"
            node.expressions[at] = exp.alias_(text, named)
    return None


@fix(
    example="""SELECT json_format(CAST('{"b": 1}' AS JSON)), CAST(MAP(ARRAY['b', 'a'], ARRAY[1, 2]) AS JSON)""",
    rewritten="""SELECT CAST(TRINO_JSON_NUMBERS(TRINO_TO_JSON_UNSORTED('{"b": 1}')) AS TEXT), """
    """TRINO_TO_JSON(MAP(['b', 'a'], [1, 2]))""",
    answer=('"{\\"b\\": 1}"', '{"a":2,"b":1}'),
)
def text_cast_to_json(node: exp.Expr, context: Context) -> exp.Expr | None:
    """CAST(text AS JSON) is a JSON string holding the text in Trino (json_parse reads text as
    JSON); DuckDB's cast parses it. A map's keys are sorted (nested maps' too; DuckDB keeps them
    in order), doubles written as Java does (`1.0E-7`); values DuckDB writes otherwise (reals,
    times, decimals within an array) are refused when the query runs."""
    if not isinstance(node, exp.Cast) or node.to.this != exp.DataType.Type.JSON:
        return None
    if context.kinds is not None:  # an IP address's cast is ipaddresses' (Trino's error)
        told = context.kinds.get(id(node), [semantics.UNKNOWN])[0]
        if told in (semantics.IPADDRESS, semantics.UNKNOWN):
            return None
    if id(node) not in context.maps:  # no map in it: nothing to sort
        return exp.Anonymous(this="trino_to_json_unsorted", expressions=[node.this])
    queried = any(
        isinstance(n, exp.Subquery | exp.ParseJSON | exp.Query)
        or (isinstance(n, exp.Anonymous) and n.name.lower() == "trino_json_parse")
        for n in node.this.walk()
    )
    return exp.Anonymous(
        this="trino_to_json_unsorted" if queried else "trino_to_json", expressions=[node.this]
    )


@fix(
    example="SELECT TRY_CAST('2022-11-23T21:06:46Z' AS date), CAST(' 2022-7-4 ' AS date)",
    rewritten="SELECT CAST(NULL AS DATE), CAST('2022-7-4' AS DATE)",
    answer=(None, date(2022, 7, 4)),
)
def text_cast_to_a_date(node: exp.Expr, context: Context) -> exp.Expr | None:
    """Text CAST to a date: Trino reads a date alone (spaces around), and fails on a time after
    it (`CAST(eventtime AS date)`: CloudTrail's `2022-11-23T21:06:46Z`), which DuckDB reads."""
    if not isinstance(node, exp.Cast) or node.to.this != exp.DataType.Type.DATE:
        return None
    tried = isinstance(node, exp.TryCast)
    if isinstance(node.this, exp.Literal) and node.this.is_string:  # read here, before the query
        if re.fullmatch(datetimes.DATE_TEXT, node.this.name):
            return exp.cast(exp.Literal.string(node.this.name.strip()), exp.DataType.build("DATE"))
        if tried:
            return exp.cast(exp.null(), exp.DataType.build("DATE"))
        raise UsageError(f"Value cannot be cast to date: {node.this.name}", ISO8601_HINT)
    return exp.Anonymous(this="trino_date", expressions=[node.this, exp.Boolean(this=tried)])


@fix(
    example="SELECT CAST('2022-11-23 21:06:46.1235' AS timestamp) = TIMESTAMP '2022-11-23 21:06:46.124'",
    rewritten="SELECT TRINO_TIMESTAMP('2022-11-23 21:06:46.1235', FALSE) = "
    "CAST('2022-11-23 21:06:46.124' AS TIMESTAMP(3))",
    answer=(True,),
)
def timestamps_of_milliseconds(node: exp.Expr, context: Context) -> exp.Expr | None:
    """CAST(x AS timestamp), date_parse and localtimestamp give a timestamp(3) in Trino (a cast
    rounds to the millisecond); DuckDB's TIMESTAMP keeps microseconds. Text CAST to a timestamp
    (with time zone too) needs a space before the time: CloudTrail's `2022-11-23T21:06:46Z` is
    Trino's error, which DuckDB reads; a zone other than UTC is refused. date_parse's pattern is
    read as Trino reads it (`%i` is minutes)."""
    kind = node.to.this if isinstance(node, exp.Cast) else None
    if isinstance(node, exp.Cast) and kind in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ):
        if node.to.expressions and _timestamp_precision(node) != 3:
            return _timestamp_of_precision(node, _timestamp_precision(node), context)
        tried = isinstance(node, exp.TryCast)
        if (  # read here, before the query (past the millisecond: rounded by `trino_timestamp`)
            isinstance(node.this, exp.Literal)
            and node.this.is_string
            and not re.search(r"[.,]\d{4}", node.this.name)
        ):
            text = _timestamp_text_in(node.this.name, tried)
            if text is None:
                return exp.cast(exp.null(), exp.DataType.build("TIMESTAMP(3)"))
            node.set("this", exp.Literal.string(text))
            node.set("to", exp.DataType.build("TIMESTAMP(3)"))
            return (
                node
                if kind == exp.DataType.Type.TIMESTAMP
                else exp.cast(node, exp.DataType.build("TIMESTAMPTZ"))
            )
        name = "trino_timestamp" if kind == exp.DataType.Type.TIMESTAMP else "trino_timestamptz"
        return exp.Anonymous(this=name, expressions=[node.this, exp.Boolean(this=tried)])
    if isinstance(node, exp.Localtimestamp):
        return exp.cast(node, exp.DataType.build("TIMESTAMP(3)"))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "date_parse" and len(node.expressions) == 2:
        text, pattern = node.expressions
        return _date_parse(text, pattern, isinstance(node.parent, exp.Try))
    return None


def _date_parse(text: exp.Expr, pattern: exp.Expr, tried: bool) -> exp.Expr:
    """date_parse as Trino reads it: the pattern's specifiers (`%i` minutes), whitespace as written,
    Joda's year where the pattern has none (2000 or 1970, DuckDB's strptime gives 1900), and
    Trino's error for text that does not match (NULL when `tried`: the argument of TRY)."""
    written = datetimes.pattern_text("date_parse", pattern)
    fmt = datetimes.mysql_parse_format(written)
    trailing = exp.Boolean(this=fmt.endswith(" "))
    checked: exp.Expr = exp.Anonymous(this="trino_date_parse_text", expressions=[text, trailing])
    if tried:  # TRY: no error() in it (DuckDB's TRY refuses one), NULL for what Trino refuses
        checked = exp.Anonymous(this="trino_try_date_parse_text", expressions=[text, trailing])
    year = datetimes.parse_default_year(written)
    if year is not None:  # the year read first, from text put before the value's
        checked = exp.DPipe(this=exp.Literal.string(f"{year}|"), expression=checked)
        fmt = f"%Y|{fmt}"
    parsed = exp.Anonymous(this="try_strptime", expressions=[checked, exp.Literal.string(fmt)])
    failed = exp.Anonymous(
        this="error",
        expressions=[
            exp.DPipe(
                this=exp.DPipe(
                    this=exp.Literal.string(f'{REFUSAL}Invalid format: "'),
                    expression=exp.cast(text.copy(), exp.DataType.build("TEXT")),
                ),
                expression=exp.Literal.string('"'),
            )
        ],
    )
    fails = exp.and_(
        exp.Is(this=parsed.copy(), expression=exp.null()),
        exp.Not(this=exp.Is(this=text.copy(), expression=exp.null())),
    )
    value = parsed if tried else exp.Case(ifs=[exp.If(this=fails, true=failed)], default=parsed)
    return exp.cast(value, exp.DataType.build("TIMESTAMP(3)"))


def _timestamp_of_precision(node: exp.Cast, precision: int | None, context: Context) -> exp.Expr | None:
    """CAST(x AS timestamp(p) [with time zone]), p other than 3: rounded to p digits as Trino rounds
    (DuckDB truncates text's digits, and keeps microseconds for p of 1, 2, 4 and 5); None where
    DuckDB's cast gives Trino's value (a literal of p digits, a value of p digits or fewer)."""
    zoned = node.to.this == exp.DataType.Type.TIMESTAMPTZ
    tried = isinstance(node, exp.TryCast)
    literal = node.this if isinstance(node.this, exp.Literal) and node.this.is_string else None
    if literal is not None and zoned:  # TIMESTAMP '... zone'
        _timestamp_text_in(literal.name, tried=False)  # another zone: refused
    if precision is None:
        return None
    if precision > 9:
        raise UsageError(
            f"timestamp({precision}) is not run locally (the local engine's timestamps have 9 digits at most)",
            "CAST to timestamp(9) at most, or run the query on Athena",
        )
    if literal is not None:
        fraction = re.search(r"[0-9]:[0-9]+[.]([0-9]+)", literal.name)
        digits = len(fraction.group(1)) if fraction else 0
        if digits > 9:
            raise UsageError(
                f"a timestamp of {digits} fractional digits is not run locally (its timestamps have 9 at most)",
                "write 9 digits at most, or run the query on Athena",
            )
        if digits <= precision:
            return None  # DuckDB's cast is exact
    else:
        operand = context.time(node.this)
        if operand == semantics.DATE or (semantics.is_timestamp(operand) and operand.precision <= precision):
            return None  # no digits to round
    if precision in (7, 8):
        raise UsageError(
            f"CAST to timestamp({precision}) is not run locally (Athena rounds to {precision} digits, the "
            "local engine's timestamps have 0, 3, 6 or 9)",
            "CAST to timestamp(6) or timestamp(9), or run the query on Athena",
        )
    told = context.time(node.this)
    value = (
        node.this
        if semantics.is_timestamp(told)
        else exp.Anonymous(this="trino_timestamp_ns", expressions=[node.this, exp.Boolean(this=tried)])
    )
    if precision == 9:
        rounded: exp.Expr = exp.cast(value, exp.DataType.build("TIMESTAMP_NS", dialect=DIALECT))
    else:  # (DuckDB's cast to TIMESTAMP rounds a half away from zero: before 1970, down)
        rounded = exp.Anonymous(
            this="trino_round_timestamp", expressions=[value, exp.Literal.number(precision)]
        )
        if precision == 0:
            rounded = exp.cast(rounded, exp.DataType.build("TIMESTAMP_S", dialect=DIALECT))
    return exp.cast(rounded, exp.DataType.build("TIMESTAMPTZ", dialect=DIALECT)) if zoned else rounded


#: date_add's and date_trunc's units of a date (others are Trino's error).
_DATE_UNITS = frozenset({"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"})
#: date_add's, date_diff's and date_trunc's units of a timestamp (others are Trino's error).
_TIMESTAMP_UNITS = _DATE_UNITS | {"HOUR", "MINUTE", "SECOND", "MILLISECOND"}


def _check_unit(name: str, of_dates: bool) -> None:
    """Trino's error for a unit it has no field for (`microsecond`; `hour` of dates), which
    DuckDB counts."""
    if of_dates and name not in _DATE_UNITS:
        raise UsageError(f"'{name.lower()}' is not a valid DATE field")
    if name not in _TIMESTAMP_UNITS:
        raise UsageError(f"'{name.lower()}' is not a valid TIMESTAMP field")


_SECONDS = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}


def _date_arithmetic(node: exp.Expr, context: Context) -> exp.Expr | None:
    """date_add, date_trunc and `+ INTERVAL` of a date, as Trino's date (DuckDB's is a timestamp);
    of a timestamp of fewer than 3 digits, date_add of milliseconds rounded to them."""
    told = context.time(node)
    if isinstance(node, exp.DateAdd | exp.TimestampTrunc | exp.DateTrunc):
        unit = node.args.get("unit")
        name = unit.name.upper() if isinstance(unit, exp.Var | exp.Literal) else ""
        _check_unit(name, told == semantics.DATE)
        if told == semantics.DATE:
            return exp.cast(node, exp.DataType.build("DATE"))
        if (
            isinstance(node, exp.DateAdd)
            and semantics.is_timestamp(told)
            and told.precision < 3
            and name not in _SECONDS
            and name not in _DATE_UNITS
        ):  # milliseconds added to a timestamp of fewer digits: Trino rounds to them
            rounded: exp.Expr = exp.Anonymous(
                this="trino_round_timestamp", expressions=[node, exp.Literal.number(told.precision)]
            )
            if told.kind == semantics.TIMESTAMP_TZ:
                rounded = exp.cast(rounded, exp.DataType.build("TIMESTAMPTZ", dialect=DIALECT))
            return rounded
        return None
    if isinstance(node, exp.Add | exp.Sub) and told == semantics.DATE:
        interval = next((o for o in (node.left, node.right) if isinstance(o, exp.Interval)), None)
        if interval is None:
            return None
        unit = interval.args.get("unit")
        name = unit.name.upper() if isinstance(unit, exp.Var) else ""
        if name in _SECONDS and name != "DAY":
            value = interval.this
            amount = value.name if isinstance(value, exp.Literal) else ""
            if not re.fullmatch(r"-?[0-9]+", amount) or int(amount) * _SECONDS[name] % 86400:
                raise UsageError("Cannot add hour, minutes or seconds to a date")
        return exp.cast(node, exp.DataType.build("DATE"))
    if (
        isinstance(node, exp.Sub)
        and told == semantics.DAY_TO_SECOND
        and context.time(node.left) == context.time(node.right) == semantics.DATE
    ):  # a date minus a date: Trino's interval of days (DuckDB's is a number of days)
        return exp.Anonymous(this="to_days", expressions=[exp.cast(node, exp.DataType.build("INT"))])
    return None


#: The end of Trino's error for date_format or format_datetime of another type than a timestamp.
_EXPECTED = {
    name: f"for function {name}. Expected: {name}(timestamp(p) with time zone, varchar(x)), "
    f"{name}(timestamp(p), varchar(x))"
    for name in ("date_format", "format_datetime")
}


def _formatted(value: exp.Expr, written: exp.Expr, name: str, pattern: str, context: Context) -> exp.Expr:
    """date_format's or format_datetime's text, checked when the query runs: of a value that is no
    date or timestamp (text: DuckDB casts it), Trino's error; of a year before 1 (Trino writes
    `0000 BC`, `-0001`), refused."""
    told = context.time(value)
    checked = told == semantics.DATE or semantics.is_timestamp(told)
    return exp.Anonymous(
        this="trino_formatted",
        expressions=[
            value.copy(),
            written,
            exp.Literal.string(name),
            exp.Literal.number(len(pattern)),
            exp.Boolean(this=checked),
        ],
    )


def _names_utc(zone: exp.Expr | None) -> bool:
    """Whether a zone is written as UTC, by one of Trino's names of it."""
    return isinstance(zone, exp.Literal) and zone.is_string and zone.name in _UTC_NAMES


def _other_zone(name: str) -> UsageError:
    return UsageError(
        f"{name} with a time zone other than UTC is not run locally: Athena keeps the zone with the "
        "value, the local engine's timestamps are UTC",
        "keep the times in UTC, or run the query on Athena; a fixed offset without daylight saving "
        "is `ts - INTERVAL '5' HOUR`",
    )


def _from_unixtime_in_utc(node: exp.UnixToTime) -> exp.Expr:
    """from_unixtime(x) to the millisecond, a half rounded up as Java's Math.round (DuckDB's
    to_timestamp keeps microseconds); from_unixtime(x, zone) and from_unixtime(x, hours, minutes)
    with UTC (a name of it, or 0 and 0) likewise; another zone refused (sqlglot's DuckDB SQL
    dropped it: an hour of UTC for New York's)."""
    zone, hours, minutes = (node.args.get(k) for k in ("zone", "hours", "minutes"))
    rounded = exp.Anonymous(this="trino_from_unixtime", expressions=[node.this])
    if zone is None and hours is None and minutes is None:
        return rounded

    def zero(value: exp.Expr | None) -> bool:
        inner = value.this if isinstance(value, exp.Neg) else value
        return value is None or (isinstance(inner, exp.Literal) and inner.is_int and int(inner.this) == 0)

    if not (_names_utc(zone) if zone is not None else zero(hours) and zero(minutes)):
        raise _other_zone("from_unixtime")
    return rounded


@fix(
    example="SELECT date_add('month', 1, DATE '2024-01-31'), DATE '2024-01-01' + INTERVAL '1' DAY, "
    "date_add('millisecond', 600, TIMESTAMP '2024-01-01 00:00:00')",
    rewritten="SELECT CAST(CAST('2024-01-31' AS DATE) + INTERVAL '1' MONTH AS DATE), "
    "CAST(CAST('2024-01-01' AS DATE) + INTERVAL '1' DAY AS DATE), "
    "CAST(TRINO_ROUND_TIMESTAMP(CAST('2024-01-01 00:00:00' AS TIMESTAMP(0)) + INTERVAL '600' MILLISECOND, 0) "
    "AS TIMESTAMP(0))",
    answer=(date(2024, 2, 29), date(2024, 1, 2), datetime(2024, 1, 1, 0, 0, 1)),
)
def dates_and_seconds_of_arithmetic(node: exp.Expr, context: Context) -> exp.Expr | None:
    """date_add, date_trunc and `+ INTERVAL` of a date give a date in Trino (a timestamp in DuckDB;
    a unit or an interval of hours, minutes or seconds is Trino's error); date_add of milliseconds
    to a timestamp of fewer than 3 fractional digits rounds to them in Trino (DuckDB keeps them).
    A timestamp these (or greatest, least, coalesce, CASE) compute has DuckDB's type of its Trino
    precision where DuckDB has one (TIMESTAMP_S, _MS, _NS: DuckDB's arithmetic gives microseconds),
    so that its text has Trino's digits wherever it goes (an array, UNNEST)."""
    if not isinstance(node, _TIMESTAMP_OPERATIONS) or isinstance(node.parent, exp.Case):  # (a WHEN)
        return None
    new = _date_arithmetic(node, context) if isinstance(node, _DATE_ARITHMETIC) else None
    told = context.time(node)
    if told.kind == semantics.TIMESTAMP and told.precision in _DUCKDB_PRECISIONS:
        return exp.cast(new or node, exp.DataType.build(f"TIMESTAMP({told.precision})", dialect=DIALECT))
    return new


_DATE_ARITHMETIC = (exp.DateAdd, exp.TimestampTrunc, exp.DateTrunc, exp.Add, exp.Sub)
_TIMESTAMP_OPERATIONS = (
    *_DATE_ARITHMETIC,
    exp.Greatest,
    exp.Least,
    exp.Coalesce,
    exp.Case,
    exp.If,
    exp.Nullif,
)
#: The precisions DuckDB has a timestamp type of, but not the one its arithmetic gives (6).
_DUCKDB_PRECISIONS = (0, 3, 9)


def _macros_reaching(holds: Callable[[str], object]) -> set[str]:
    """The macros whose body, or the body of a macro they call (directly or through another),
    `holds` is true of (the call graph of `_NEEDED`)."""
    direct = {name for name, body in MACROS.items() if holds(body)}
    return {name for name in MACROS if direct.intersection(_NEEDED[name])}


#: Macros that may fail with an error of their own (Trino's, or a refusal): DuckDB holds them
#: volatile, and takes none in TRY or in a window's PARTITION BY or ORDER BY.
FAILING_MACROS = _macros_reaching(lambda body: re.search(r"\berror\(", body, re.I)) | {"error"}
#: Macros holding a subquery (json_parse's walk of the JSON): DuckDB takes none in a lambda.
QUERYING_MACROS = _macros_reaching(lambda body: re.search(r"\bSELECT\b", body, re.I))


def _calls(tree: exp.Expr | None, names: set[str]) -> bool:
    """Whether the rewritten tree calls one of the macros `names`."""
    return tree is not None and any(
        isinstance(n, exp.Anonymous) and n.name.lower() in names for n in tree.walk()
    )


def _refuse_what_duckdb_binds_nowhere(tree: exp.Expr) -> None:
    """Refused, where the query has no Trino error: char(n) (Trino pads its values with spaces,
    DuckDB has no such type), and an array, a map or a row of varchar(n) (DuckDB ignores n). And
    where DuckDB's binder would fail with its own text: a rewrite holding a subquery (json_parse)
    inside a lambda; one that may fail (json_extract_scalar's number, a CAST's check) in TRY or in
    a window's PARTITION BY or ORDER BY, which DuckDB takes only if it can never fail (a volatile
    function)."""
    for node in tree.walk():
        if isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
            raise UsageError(
                "char(n) is not run locally: Athena pads a char(n) value with spaces to n characters "
                "(and compares it without them), DuckDB has no such type",
                "CAST to varchar instead, or run the query on Athena",
            )
        if _holds_varchar_of_a_length(node):
            raise UsageError(
                "a CAST to an array, a map or a row of varchar(n) is not run locally: Athena cuts each "
                "text to n characters (or fails), DuckDB ignores n",
                "CAST to varchar without a length (ARRAY(varchar)), or run the query on Athena",
            )
        if isinstance(node, exp.Lambda) and _calls(node.this, QUERYING_MACROS):
            raise UsageError(
                "json_parse (or a CAST of a map to JSON) inside a lambda is not run locally: the local "
                "engine writes it as a subquery, which DuckDB takes in no lambda",
                "json_extract_scalar and json_extract read text: give them x rather than json_parse(x); "
                "or UNNEST the array and json_parse its items; or run the query on Athena",
            )
        if isinstance(node, exp.Window) and any(
            _calls(part, FAILING_MACROS)
            for part in [*(node.args.get("partition_by") or []), node.args.get("order")]
        ):
            raise UsageError(
                "a window's PARTITION BY or ORDER BY of a function the local engine rewrites with a check "
                "(json_extract_scalar, json_extract, a CAST, ...) is not run locally: DuckDB takes no "
                "expression there that may fail",
                "compute it in a subquery (SELECT ..., json_extract_scalar(j, '$.a') AS k FROM ...) and "
                "PARTITION BY k; or run the query on Athena",
            )
        if isinstance(node, exp.Try) and _calls(node.this, FAILING_MACROS):
            raise UsageError(
                "TRY of a function the local engine rewrites with a check (json_extract_scalar, "
                "json_extract, a CAST, ...) is not run locally: DuckDB's TRY takes no expression that "
                "may fail with an error of its own",
                "write it without TRY where the function cannot fail (json_extract and "
                "json_extract_scalar give NULL for text that is no JSON); or run the query on Athena",
            )


def _holds_varchar_of_a_length(node: exp.Expr) -> bool:
    """Whether a type is an array, a map or a row holding varchar(n) (at any depth)."""
    structured = (exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT)
    if not isinstance(node, exp.DataType) or node.this not in structured:
        return False
    return any(
        isinstance(inner, exp.DataType)
        and inner.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)
        and bool(inner.expressions)
        for inner in node.walk()
        if inner is not node
    )


def _check_alias_lists(tree: exp.Expr, typing: semantics.Items) -> None:
    """Trino's error for an alias list naming more or fewer columns than VALUES, a subquery, a WITH
    query or `trail` has (DuckDB names the first ones, and keeps the others' names); a refusal
    where a `*` leaves the count to what the local engine cannot tell."""
    widths: dict[tuple[int, frozenset[int]], int | None] = {}  # (each query counted once: linear)
    for node in tree.walk():
        _check_alias_list(node, typing, widths)


def _check_alias_list(
    node: exp.Expr, typing: semantics.Items, widths: dict[tuple[int, frozenset[int]], int | None]
) -> None:
    named = "relation has {n} columns"
    alias = node.args.get("alias")
    if not isinstance(alias, exp.TableAlias) or not alias.columns:
        return  # (no list to check: nothing counted)
    if isinstance(node, exp.Values):
        available: int | None = _values_width(node)
    elif isinstance(node, exp.Subquery | exp.CTE):
        available = _width(node.this, typing, widths)
    elif isinstance(node, exp.Table) and node.name.lower() == "trail" and not node.args.get("db"):
        available = len(schema.COLUMN_NAMES)
    else:
        return
    if not isinstance(node, exp.CTE):
        named = f"'{alias.name}' has {{n}} columns available"
    if available is None:
        raise UsageError(
            f"the alias list of {alias.name!r} over a `*` is not run locally: the local engine cannot "
            "tell from the SQL how many columns the `*` gives (Athena fails where the list names more "
            "or fewer)",
            "list the columns instead of `*`, or run the query on Athena",
        )
    if len(alias.columns) != available:
        raise UsageError(
            f"Column alias list has {len(alias.columns)} entries but {named.format(n=available)}",
            "name each column once, in order",
        )


def _values_width(values: exp.Values) -> int:
    first = values.expressions[0] if values.expressions else None
    return len(first.expressions) if isinstance(first, exp.Tuple) else 1


def _width(
    query: exp.Expr,
    typing: semantics.Items,
    widths: dict[tuple[int, frozenset[int]], int | None],
    seen: frozenset[int] = frozenset(),
) -> int | None:
    key = (id(query), seen)
    if key not in widths:
        widths[key] = _count_width(query, typing, widths, seen)
    return widths[key]


def _count_width(
    query: exp.Expr,
    typing: semantics.Items,
    widths: dict[tuple[int, frozenset[int]], int | None],
    seen: frozenset[int],
) -> int | None:
    """How many columns a query gives (its first SELECT's, for a UNION): a `*` gives those of what
    it reads, where the SQL tells how many (`_relation_width`); None where it does not."""
    while isinstance(query, exp.SetOperation | exp.Subquery):
        query = query.this
    if isinstance(query, exp.Values):
        return _values_width(query)
    if not isinstance(query, exp.Select):
        return None
    start = query.args.get("from_")
    joins = query.args.get("joins") or []
    relations = ([start.this] if isinstance(start, exp.From) else []) + [j.this for j in joins]
    total = 0
    for item in query.expressions:
        if isinstance(item, exp.Star):  # all columns, a JOIN's USING columns once
            if item.args.get("except") or item.args.get("replace") or not relations:
                return None
            if any(j.args.get("method") for j in joins):
                return None  # a NATURAL JOIN: not counted
            counted = [_relation_width(r, typing, widths, seen) for r in relations]
            if any(w is None for w in counted):
                return None
            total += sum(w for w in counted if w is not None)
            total -= sum(len(j.args.get("using") or []) for j in joins)
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):  # `t.*`
            matching = [r for r in relations if r.alias_or_name.lower() == item.table.lower()]
            width = _relation_width(matching[0], typing, widths, seen) if len(matching) == 1 else None
            if width is None:
                return None
            total += width
        else:
            total += 1
    return total


def _relation_width(
    relation: exp.Expr,
    typing: semantics.Items,
    widths: dict[tuple[int, frozenset[int]], int | None],
    seen: frozenset[int],
) -> int | None:
    """How many columns a relation in FROM or a JOIN has: its alias list's (checked against it
    first), VALUES', a subquery's, a WITH query's, `trail`'s, an UNNEST's whose arrays the SQL
    tells; None otherwise."""
    alias = relation.args.get("alias")
    if isinstance(relation, exp.Unnest):
        ordinality = relation.args.get("offset") not in (None, False)
        if isinstance(alias, exp.TableAlias) and alias.columns:
            return len(alias.columns) + (1 if ordinality else 0)
        items = [typing.unnested(e) for e in relation.expressions]
        if any(e.kind == "unknown" for e in items):
            return None
        return sum(len(e.fields) if e.kind == "row" else 1 for e in items) + (1 if ordinality else 0)
    if isinstance(alias, exp.TableAlias) and alias.columns:
        _check_alias_list(relation, typing, widths)  # Trino reports the inner relation's list first
        return len(alias.columns)
    if isinstance(relation, exp.Values):
        return _values_width(relation)
    if isinstance(relation, exp.Subquery):
        return _width(relation.this, typing, widths, seen)
    if isinstance(relation, exp.Table) and not relation.args.get("db"):
        if relation.name.lower() == "trail":
            return len(schema.COLUMN_NAMES)
        cte = _visible_cte(relation, seen)
        if cte is None:
            return None
        cte_alias = cte.args.get("alias")
        if isinstance(cte_alias, exp.TableAlias) and cte_alias.columns:
            return len(cte_alias.columns)
        return _width(cte.this, typing, widths, seen | {id(cte)})
    return None


def _visible_cte(table: exp.Table, seen: frozenset[int]) -> exp.CTE | None:
    """The WITH query a table name reads: the nearest enclosing WITH's of that name (not one whose
    width is being counted, so that a recursive WITH query is not followed forever)."""
    name = table.name.lower()
    node: exp.Expr | None = table
    inside: exp.Expr | None = None  # the WITH query the table is read in, if any (walking up)
    while node is not None:
        if isinstance(node, exp.CTE):
            inside = node
        with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
        if isinstance(with_, exp.With):
            ctes = list(with_.expressions)
            at = next((i for i, cte in enumerate(ctes) if cte is inside), None)
            if at is not None and not with_.args.get("recursive"):
                ctes = ctes[:at]  # a WITH query sees those written before it only
            for cte in ctes:
                if isinstance(cte, exp.CTE) and cte.alias_or_name.lower() == name and id(cte) not in seen:
                    return cte
        node = node.parent
    return None


def _rows_of_values_as_columns(tree: exp.Expr) -> None:
    """A VALUES row of one value of a row type is a row of its fields in Trino: `VALUES ROW('a', 1)`
    has two columns, as `VALUES ('a', 1)` has; sqlglot reads one column holding a struct (DuckDB
    answered `{'_0': 'a', '_1': 1}`). A ROW(...) there becomes its fields (in place); a value CAST
    to a row type there is refused."""
    for values in tree.find_all(exp.Values):
        for row in values.expressions:
            only = row.expressions[0] if isinstance(row, exp.Tuple) and len(row.expressions) == 1 else row
            if isinstance(only, exp.Struct) and not any(
                isinstance(f, exp.PropertyEQ | exp.Alias | exp.Slice) for f in only.expressions
            ):
                if isinstance(row, exp.Tuple):
                    row.set("expressions", list(only.expressions))
                else:
                    row.replace(exp.Tuple(expressions=list(only.expressions)))
            elif isinstance(only, exp.Cast) and only.to.this == exp.DataType.Type.STRUCT:
                raise UsageError(
                    "a VALUES row of one value CAST to a row type is not run locally: Athena makes its "
                    "fields the row's columns, DuckDB one column",
                    "write the fields as the row's values: VALUES (1, 'a')",
                )


def _refuse_forms_written_otherwise(tree: exp.Expr) -> None:
    """Refused (tests/trino_cases.py): format() (Java's String.format in Trino, DuckDB's fmt `{}`:
    `%s` came back as written), typeof() (DuckDB's type names), strpos's third argument and reduce's fourth (sqlglot
    drops them for DuckDB: the first occurrence, no output function)."""
    for node in tree.walk():
        if (
            isinstance(node, exp.Select)
            and any(j.args.get("using") for j in node.args.get("joins") or [])
            and any(isinstance(i, exp.Column) and isinstance(i.this, exp.Star) for i in node.expressions)
        ):
            raise UsageError(
                "`t.*` beside a JOIN ... USING is not run locally: Athena leaves the USING columns out "
                "of it, DuckDB does not",
                "name the columns, or write `*` (the USING columns once)",
            )
        if isinstance(node, exp.Format):
            raise UsageError(
                "format() is not run locally: Athena formats as Java's String.format, DuckDB otherwise",
                "write it with || and CAST (or format_datetime for times), or run the query on Athena",
            )
        if isinstance(node, exp.Typeof):
            raise UsageError(
                "typeof() is not run locally: Athena names Trino's types (varchar, timestamp(3)), DuckDB its own",
                "run the query on Athena",
            )
        if isinstance(node, exp.StrPosition) and node.args.get("occurrence") is not None:
            raise UsageError(
                "strpos with an instance (its third argument) is not run locally: DuckDB finds the first",
                "find the first and take substr after it, or run the query on Athena",
            )
        if isinstance(node, exp.Reduce) and node.args.get("finish") is not None:
            raise UsageError(
                "reduce with an output function (its fourth argument) is not run locally: DuckDB has none",
                "apply the function to reduce's result instead, or run the query on Athena",
            )


@fix(
    example="SELECT 'x' || CAST('2024-01-01' AS timestamp)",
    rewritten=None,
    error="Unexpected parameters (varchar(1), timestamp(3)) for function concat",
)
def timestamps_concatenated_or_formatted(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A date or timestamp concatenated (`||`, concat) is Trino's error (DuckDB writes its own
    text). (format() is refused whatever it formats: `forms_sqlglot_writes_otherwise`.)"""
    if isinstance(node, exp.DPipe):
        operands = [node.this, node.expression]
    elif isinstance(node, exp.Concat):
        operands = list(node.expressions)
    else:
        return None
    told = [context.time(o) for o in operands]
    if not any(t == semantics.DATE or semantics.is_timestamp(t) for t in told):
        return None
    names = [_trino_type_name(o, t) for o, t in zip(operands, told, strict=True)]
    if None in names:
        raise UsageError(
            "Unexpected parameters for function concat: Athena does not concatenate a date or timestamp",
            "CAST it to varchar first",
        )
    raise UsageError(f"Unexpected parameters ({', '.join(n for n in names if n)}) for function concat")


def _trino_type_name(node: exp.Expr, told: Numeric) -> str | None:
    """Trino's name of a date's, a timestamp's or a literal's type (None for another)."""
    if told == semantics.DATE:
        return "date"
    if semantics.is_timestamp(told):
        zone = " with time zone" if told.kind == semantics.TIMESTAMP_TZ else ""
        return f"timestamp({told.precision}){zone}"
    if isinstance(node, exp.Literal) and node.is_string:
        return f"varchar({len(node.name)})"
    return None


@fix(
    example="SELECT CAST(at_timezone(from_iso8601_timestamp('2022-11-23T21:06:46Z'), 'UTC') AS varchar)",
    rewritten="SELECT TRINO_TEXT(CAST(TRINO_FROM_ISO8601_TIMESTAMP('2022-11-23T21:06:46Z') AS TIMESTAMPTZ), 3, FALSE)",
    answer=("2022-11-23 21:06:46.000 UTC",),
)
def time_zones_of_utc(node: exp.Expr, context: Context) -> exp.Expr | None:
    """at_timezone, with_timezone and AT TIME ZONE with UTC (by any of its names): a timestamp
    with time zone in Trino (DuckDB's AT TIME ZONE gives one without, and it has no at_timezone
    or with_timezone). Another zone is refused: Trino keeps it with the value (its text, hour()),
    which the local engine's UTC timestamps cannot."""
    if isinstance(node, exp.UnixToTime):
        return _from_unixtime_in_utc(node)
    if isinstance(node, exp.AtTimeZone):
        value, zone, name = node.this, node.args.get("zone"), "AT TIME ZONE"
    elif isinstance(node, exp.Anonymous) and node.name.lower() in ("at_timezone", "with_timezone"):
        if len(node.expressions) != 2:
            return None
        (value, zone), name = node.expressions, node.name.lower()
    else:
        return None
    if not _names_utc(zone):
        raise _other_zone(name)
    precision = _precision(value, context)
    if precision is not None and precision > 6:
        raise UsageError(
            f"{name} of a timestamp({precision}) is not run locally (the local engine's timestamps with "
            "time zone are of precision 6 at most)",
            "CAST the value AS timestamp first",
        )
    return exp.cast(value, exp.DataType.build("TIMESTAMPTZ", dialect="duckdb"))


@fix(
    example="SELECT format_datetime(TIMESTAMP '2022-01-02 21:06:46.987', 'h a EEE'), "
    "date_format(TIMESTAMP '2022-01-02 21:06:46.987', '%i %W')",
    rewritten="SELECT TRINO_FORMATTED(CAST('2022-01-02 21:06:46.987' AS TIMESTAMP(3)), "
    "PRINTF('%01d', (HOUR(CAST(CAST('2022-01-02 21:06:46.987' AS TIMESTAMP(3)) AS TIMESTAMP)) + 11) % 12 + 1) "
    "|| ' ' || STRFTIME(CAST(CAST('2022-01-02 21:06:46.987' AS TIMESTAMP(3)) AS TIMESTAMP), '%p %a'), "
    "'format_datetime', 7, TRUE), TRINO_FORMATTED(CAST('2022-01-02 21:06:46.987' AS TIMESTAMP(3)), "
    "STRFTIME(CAST(CAST('2022-01-02 21:06:46.987' AS TIMESTAMP(3)) AS TIMESTAMP), '%M %A'), 'date_format', 5, TRUE)",
    answer=("9 PM Sun", "06 Sunday"),
)
def format_datetime_and_date_format(node: exp.Expr, context: Context) -> exp.Expr | None:
    """format_datetime (Joda's pattern letters, quoted text) and date_format (MySQL's `%i` minutes,
    `%s` seconds, `%W` weekday...) as Trino writes them, of the value rounded to the millisecond:
    DuckDB has no format_datetime, and its strftime reads `%i`, `%W` and `%B` otherwise. A pattern
    that is not a literal is refused; text (which DuckDB casts) is Trino's error, a year before 1
    refused when the query runs."""
    if isinstance(node, exp.ParseDatetime):
        raise UsageError(
            "parse_datetime is not run locally (Joda's parsing is not DuckDB's strptime)",
            "use date_parse with a MySQL-style pattern, or from_iso8601_timestamp",
        )
    if not isinstance(node, exp.Anonymous) or len(node.expressions) != 2:
        return None
    name = node.name.lower()
    value, pattern = node.expressions
    if name not in ("date_format", "format_datetime"):
        return None
    text = datetimes.pattern_text(name, pattern)
    if isinstance(value, exp.Literal) and value.is_string:  # Trino's error (DuckDB casts the text)
        raise UsageError(
            f"Unexpected parameters (varchar({len(value.name)}), varchar({len(text)})) {_EXPECTED[name]}"
        )
    if name == "date_format":
        return _formatted(
            value, datetimes.formatted(value, datetimes.mysql_pieces(text)), name, text, context
        )
    pieces, zoned = datetimes.joda_pieces(text)
    written = _formatted(value, datetimes.formatted(value, pieces), name, text, context)
    if not zoned:
        return written
    has_zone = exp.EQ(
        this=exp.Anonymous(this="typeof", expressions=[value.copy()]),
        expression=exp.Literal.string("TIMESTAMP WITH TIME ZONE"),
    )
    refused = exp.Anonymous(this="error", expressions=[exp.Literal.string(REFUSAL + _ZONE_OF_A_TIMESTAMP)])
    return exp.Case(ifs=[exp.If(this=has_zone, true=written)], default=refused)


@fix(
    example="SELECT CAST(CAST('::ffff:10.0.0.1' AS IPADDRESS) AS VARCHAR)",
    rewritten="SELECT TRINO_CAST_IPADDRESS_TEXT('::ffff:10.0.0.1')",
    answer=("10.0.0.1",),
)
def ipaddress_operands(node: exp.Expr, context: Context) -> exp.Expr | None:
    """CAST to and from IPADDRESS, `contains(cidr, address)`, and IPADDRESS operands of `||`,
    concat and format: Trino's type (DuckDB has none), read and written as Trino does."""
    if not isinstance(node, exp.Cast | exp.ArrayContains | exp.DPipe | exp.Concat | exp.Format):
        return None
    return _ip_operands(node, context.kinds, id(node) in context.texts)


@fix(
    example="""SELECT json_format(json_parse('{"b": 1, "a": {"d": [2, 1], "c": 1e-7}}')), """
    """TRY(json_parse('{"a": '))""",
    rewritten="""SELECT CAST(TRINO_JSON_PARSE('{"b": 1, "a": {"d": [2, 1], "c": 1e-7}}', FALSE) AS TEXT), """
    """TRINO_JSON_PARSE('{"a": ', TRUE)""",
    answer=('{"a":{"c":1.0E-7,"d":[2,1]},"b":1}', None),
)
def json_parse_sorts_keys(node: exp.Expr, context: Context) -> exp.Expr | None:
    """json_parse sorts an object's keys (nested ones too; arrays keep their order) and writes
    numbers as Java does (`1.0E-7`, `1.5` for `1.50`); json_format writes them so too. DuckDB keeps
    the keys in order and writes numbers its own way (`1e-7`). TRY(json_parse(x)) is NULL for text
    that is no JSON."""
    if isinstance(node, exp.ParseJSON):
        return exp.Anonymous(this="trino_json_parse", expressions=[node.this, exp.false()])
    if isinstance(node, exp.JSONFormat):
        if isinstance(node.this, exp.Anonymous) and node.this.name == "trino_json_parse":
            return exp.cast(node.this, exp.DataType.build("TEXT", dialect="duckdb"))  # Trino's text already
        numbers = exp.Anonymous(this="trino_json_numbers", expressions=[node.this])
        return exp.cast(numbers, exp.DataType.build("TEXT", dialect="duckdb"))
    if (
        isinstance(node, exp.Try)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name == "trino_json_parse"
    ):
        return exp.Anonymous(this="trino_json_parse", expressions=[node.this.expressions[0], exp.true()])
    return None


@fix(
    example="SELECT TRY(from_iso8601_date('2024-03-01T00:00:00Z')), TRY(json_array_length('[1]'))",
    rewritten="SELECT TRINO_FROM_ISO8601_DATE('2024-03-01T00:00:00Z', TRUE), TRINO_JSON_ARRAY_LENGTH('[1]')",
    answer=(None, 1),
)
def try_of_from_iso8601_date_or_json_array_length(node: exp.Expr, context: Context) -> exp.Expr | None:
    """TRY(from_iso8601_date(x)) is NULL for text Trino refuses: its macro's TRY form (DuckDB's TRY
    takes no macro that may fail); TRY(json_array_length(x)) is json_array_length(x), which never
    fails on Trino (the local engine's refusal of text it cannot read as Trino does stays)."""
    if not isinstance(node, exp.Try) or not isinstance(node.this, exp.Anonymous):
        return None
    if node.this.name == "trino_from_iso8601_date":
        return exp.Anonymous(
            this="trino_from_iso8601_date", expressions=[node.this.expressions[0], exp.true()]
        )
    if node.this.name == "trino_json_array_length":
        return node.this
    return None


@fix(
    example="SELECT TRY(CAST('10.0.0.300' AS IPADDRESS)) IS NULL",
    rewritten="SELECT TRINO_TRY_CAST_IPADDRESS('10.0.0.300') IS NULL",
    answer=(True,),
)
def try_of_an_ipaddress(node: exp.Expr, context: Context) -> exp.Expr | None:
    """TRY around a CAST to IPADDRESS or contains(): their TRY forms (DuckDB's TRY takes no macro
    that may fail)."""
    return ipaddresses.tried(node) if isinstance(node, exp.Try) else None


@fix(
    example="SELECT round(2.456, 2), 7.5 % 2, avg(x) FROM (VALUES 1.5, 2.0) AS t(x)",
    rewritten=(
        "SELECT CAST(ROUND(2.456, 2) AS DECIMAL(5, 3)), CAST(7.5 % 2 AS DECIMAL(2, 1)), "
        "CAST(AVG(x) AS DECIMAL(2, 1)) FROM (VALUES (1.5), (2.0)) AS t(x)"
    ),
    answer=(Decimal("2.460"), Decimal("1.5"), Decimal("1.8")),
)
def decimal_precision_and_scale(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A decimal `%`, round, ceil, floor or avg (a window's too) cast to Trino's type: DuckDB's
    precision and scale differ (`round(2.456, 2)` is 2.460 in Trino), and a decimal average is a
    double in DuckDB."""
    if not isinstance(node, exp.Mod | exp.Round | exp.Ceil | exp.Floor | exp.Avg | exp.Window):
        return None
    if isinstance(node.parent, exp.Window):
        return None
    typed = context.types.get(id(node))
    return _as_decimal(node, typed[2] if typed else None)


@fix(
    example="""SELECT json_extract_scalar('{"a": {}, "c": 2.50}', '$.a'), """
    """json_extract_scalar('{"a": {}, "c": 2.50}', '$["c"]')""",
    rewritten=(
        "SELECT CASE WHEN JSON_TYPE('{\"a\": {}, \"c\": 2.50}', '$.a') IN ('OBJECT', 'ARRAY') THEN NULL WHEN"
        " JSON_TYPE('{\"a\": {}, \"c\": 2.50}', '$.a') IN ('DOUBLE', 'BIGINT', 'UBIGINT') THEN TRINO_JSON_SC"
        'ALAR(\'{"a": {}, "c": 2.50}\', \'{"a": {}, "c": 2.50}\' ->> \'$.a\', JSON_TYPE(\'{"a": {}, "c": 2.50}\''
        ", '$.a')) ELSE '{\"a\": {}, \"c\": 2.50}' ->> '$.a' END, CASE WHEN JSON_TYPE('{\"a\": {}, \"c\": 2.50}'"
        ", '$.c') IN ('OBJECT', 'ARRAY') THEN NULL WHEN JSON_TYPE('{\"a\": {}, \"c\": 2.50}', '$.c') IN ('DO"
        "UBLE', 'BIGINT', 'UBIGINT') THEN TRINO_JSON_SCALAR('{\"a\": {}, \"c\": 2.50}', '{\"a\": {}, \"c\": 2.50"
        "}' ->> '$.c', JSON_TYPE('{\"a\": {}, \"c\": 2.50}', '$.c')) ELSE '{\"a\": {}, \"c\": 2.50}' ->> '$.c' E"
        "ND"
    ),
    answer=(None, "2.50"),
)
def json_paths_and_scalars(node: exp.Expr, context: Context) -> exp.Expr | None:
    """json_extract / json_extract_scalar with Trino's path syntax (`$["key"]`, `$.a[0]`);
    json_extract_scalar of an object or array is NULL (DuckDB's `->>` gives its JSON text), of a
    number its text as written (`2.50`: DuckDB gives the double's, `2.5`); json_extract's result
    has Trino's numbers (`1.0E-7`: DuckDB writes `1e-7`)."""
    if not isinstance(node, exp.JSONExtract | exp.JSONExtractScalar):
        return None
    return _json_extract(node)


@fix(
    example="""SELECT json_size('{"a": {"b": 1, "c": 2}}', '$.a')""",
    rewritten="""SELECT CASE WHEN JSON_TYPE(JSON_EXTRACT(TRINO_JSON_READ('{"a": {"b": 1, "c": 2}}', 'json_size'), """
    """'$.a')) = 'OBJECT' THEN LEN(JSON_KEYS(JSON_EXTRACT(TRINO_JSON_READ('{"a": {"b": 1, "c": 2}}', 'json_size'), """
    """'$.a'))) WHEN JSON_TYPE(JSON_EXTRACT(TRINO_JSON_READ('{"a": {"b": 1, "c": 2}}', 'json_size'), '$.a')) = """
    """'ARRAY' THEN JSON_ARRAY_LENGTH(JSON_EXTRACT(TRINO_JSON_READ('{"a": {"b": 1, "c": 2}}', 'json_size'), """
    """'$.a')) WHEN JSON_EXTRACT(TRINO_JSON_READ('{"a": {"b": 1, "c": 2}}', 'json_size'), '$.a') IS NULL """
    """THEN NULL ELSE 0 END""",
    answer=(2,),
)
def json_size_of_objects_and_scalars(node: exp.Expr, context: Context) -> exp.Expr | None:
    """Trino's json_size: the members of an object, the items of an array, 0 for a scalar, NULL if
    absent (DuckDB has no two-argument json_size); NULL for text Trino's reader fails on at once
    (`not json`), other text that is no JSON as Trino reads it refused (DuckDB's reader also takes
    `[1,]` and NaN)."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_size" and len(node.expressions) == 2:
        return _json_size(node)
    return None


@fix(
    example="""SELECT json_array_length('{"a": 1}'), json_array_length('[1,]'), json_array_length('[1, [2, 3]]')""",
    rewritten="""SELECT TRINO_JSON_ARRAY_LENGTH('{"a": 1}'), TRINO_JSON_ARRAY_LENGTH('[1,]'), """
    """TRINO_JSON_ARRAY_LENGTH('[1, [2, 3]]')""",
    answer=(None, None, 2),
)
def json_array_length_of_arrays_only(node: exp.Expr, context: Context) -> exp.Expr | None:
    """json_array_length of JSON that is no array (an object, a scalar) is NULL on Trino (DuckDB
    counts 0 for an object), as is text Jackson fails on (`not json`, and `[1,]` or NaN, which
    DuckDB's reader takes and counts); other text that is no JSON is refused when the query runs
    (Trino reads it up to the error, and may count an array followed by anything)."""
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "json_array_length"
        and len(node.expressions) == 1
    ):
        return exp.Anonymous(this="trino_json_array_length", expressions=node.expressions)
    return None


@fix(
    example="SELECT json_array_contains('[1.0, 2]', 1), json_array_contains('[1.0, 2]', 1.0), "
    "json_array_contains('{\"a\": 1}', 1)",
    rewritten=(
        "SELECT TRINO_JSON_ARRAY_CONTAINS('[1.0, 2]', 1), TRINO_JSON_ARRAY_CONTAINS('[1.0, 2]', 1.0), "
        "TRINO_JSON_ARRAY_CONTAINS('{\"a\": 1}', 1)"
    ),
    answer=(False, True, None),
)
def json_array_contains_as_trino_reads_it(node: exp.Expr, context: Context) -> exp.Expr | None:
    """json_array_contains: an item is the value's token (an integer's for a bigint, a number's
    with a point or exponent for a double), a JSON value that is no array gives NULL, as does text
    Trino's reader fails on at once (DuckDB has no such function; its list_contains would read
    `[1.0]` for 1). Arguments of types Trino does not take: its error. json_array_get is refused:
    Trino gives a string item as its bare text (`a` for `["a"]`), JSON that is no JSON."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_array_get":
        raise UsageError(
            "json_array_get is not run locally (Athena gives an item as JSON text written its own way: "
            'a string item bare, `a` for ["a"], a number as written)',
            "json_extract(json, '$[0]') reads the first item as JSON, json_extract_scalar(json, '$[0]') as "
            "text; count from the end with cardinality(CAST(json AS ARRAY(JSON)))",
        )
    if not isinstance(node, exp.JSONArrayContains):
        return None
    if id(node) in context.errors:
        raise UsageError(*context.errors[id(node)])
    return exp.Anonymous(this="trino_json_array_contains", expressions=[node.this, node.expression])


@fix(
    example="SELECT regexp_like('a' || chr(10), '^a$'), regexp_like(chr(11), '\\s'), "
    "regexp_replace('ab', '(a)|(b)', '[$2]'), regexp_count('abc', '')",
    rewritten=(
        "SELECT REGEXP_MATCHES('a' || CHR(10), '^a(?:\\n?\\z)'), REGEXP_MATCHES(CHR(11), "
        "'[\\t\\n\\x0B\\f\\r ]'), REGEXP_REPLACE('ab', '(a)|(b)', '[\\2]', 'g'), "
        "LENGTH(REGEXP_EXTRACT_ALL('abc', ''))"
    ),
    answer=(True, True, "[][b]", 4),
)
def regular_expressions_as_trino_reads_them(node: exp.Expr, context: Context) -> exp.Expr | None:
    """A pattern literal read as Trino's joni reads it, in RE2's syntax (`toolkit.core.regex`):
    `$` and `\\Z` match before a final newline too (exactly for regexp_like where nothing follows
    them; elsewhere a value ending with a newline is refused when the query runs), `\\s` matches
    the vertical tab; regexp_replace's `$1` and `${name}` are RE2's `\\1` (DuckDB read `$1` as
    text); regexp_count counts empty matches (sqlglot's rewrite gave 0 for an empty pattern). What
    RE2 cannot match alike is refused, as is a pattern computed when the query runs. The node is
    changed in place and left to the fixes after this one (regexp_extract's)."""
    if isinstance(node, exp.RegexpCount):
        counted = exp.RegexpExtractAll(this=node.this, expression=node.expression)
        _read_as_trino(counted)
        return exp.Length(this=counted)
    if isinstance(node, _REGEX_FUNCTIONS):
        _read_as_trino(node)
    return None


@fix(
    example="SELECT regexp_extract('abc', '[0-9]+'), regexp_extract('ab', 'a(x)?b', 1)",
    rewritten=(
        "SELECT CASE WHEN REGEXP_MATCHES('abc', '[0-9]+') THEN REGEXP_EXTRACT('abc', '[0-9]+') END, "
        "LIST_EXTRACT(REGEXP_EXTRACT_ALL('ab', 'a(x)?b', 1), 1)"
    ),
    answer=(None, None),
)
def regexp_extract_without_a_match(node: exp.Expr, context: Context) -> exp.Expr | None:
    """regexp_extract where the pattern does not match, or of a group that took no part in the
    match (`a(x)?b` of `ab`): NULL on Trino, '' on DuckDB. A group's is the first match's item of
    regexp_extract_all, which DuckDB gives as NULL there (and Trino's error past the last group)."""
    if not isinstance(node, exp.RegexpExtract) or isinstance(node.parent, exp.If):
        return None
    group = node.args.get("group")
    written = group.this if isinstance(group, exp.Neg) else None
    if isinstance(written, exp.Literal) and written.is_int and int(written.this) > 0:
        raise UsageError("Group cannot be negative")  # (Trino's error; DuckDB's reads it otherwise)
    if group is not None and not (isinstance(group, exp.Literal) and group.to_py() == 0):
        every = exp.RegexpExtractAll(this=node.this, expression=node.expression, group=group)
        return exp.Anonymous(this="list_extract", expressions=[every, exp.Literal.number(1)])
    matches = exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy())
    return exp.Case(ifs=[exp.If(this=matches, true=node)])


@fix(
    example="SELECT ARRAY[1, 2][3]",
    rewritten="SELECT TRINO_ARRAY_SUBSCRIPT([1, 2], 3)",
    error="Array subscript must be less than or equal to array length: 3 > 2",
)
def subscripts_outside_the_array(node: exp.Expr, context: Context) -> exp.Expr | None:
    """`a[i]` past the end, at 0 or negative, and a map's `m[k]` of a missing key: Trino's errors
    (DuckDB gives NULL, and counts a negative subscript from the end); element_at(a, 0) too
    (element_at past the end or of a missing key is NULL on both). Where the SQL does not tell an
    array from a map, a string key reads a map and an integer an array."""
    if not isinstance(node, exp.Bracket):
        return None
    return _subscript(node, context.subscripted.get(id(node), ("other", 0)))


@fix(
    example="SELECT split_part('a.b', '.', 0)",
    rewritten="SELECT TRINO_SPLIT_PART('a.b', '.', 0)",
    error="Index must be greater than zero",
)
def split_part_of_an_index_below_one(node: exp.Expr, context: Context) -> exp.Expr | None:
    """split_part at an index of 0 or less: Trino's error when the query runs (DuckDB gives '' for
    0 and counts a negative index from the end), and NULL past the last field. An index written as
    a positive number is left to `split_part_past_the_last_field` (no macro)."""
    if not isinstance(node, exp.SplitPart) or isinstance(node.parent, exp.If):
        return None
    index = node.args["part_index"]
    if isinstance(index, exp.Literal) and index.is_int and int(index.this) > 0:
        return None
    return exp.Anonymous(this="trino_split_part", expressions=[node.this, node.args["delimiter"], index])


@fix(
    example="SELECT split_part('a/b', '/', 3)",
    rewritten=("SELECT CASE WHEN LEN(STRING_SPLIT('a/b', '/')) >= 3 THEN SPLIT_PART('a/b', '/', 3) END"),
    answer=(None,),
)
def split_part_past_the_last_field(node: exp.Expr, context: Context) -> exp.Expr | None:
    """split_part past the last field: NULL on Trino, '' on DuckDB."""
    if not isinstance(node, exp.SplitPart) or isinstance(node.parent, exp.If):
        return None
    fields = exp.Anonymous(
        this="len",
        expressions=[
            exp.Anonymous(this="string_split", expressions=[node.this.copy(), node.args["delimiter"].copy()])
        ],
    )
    within = exp.GTE(this=fields, expression=node.args["part_index"].copy())
    return exp.Case(ifs=[exp.If(this=within, true=node)])


@fix(example="SELECT split('abc', '')", rewritten=None, error="The delimiter may not be the empty string")
def split_as_trino_reads_it(node: exp.Expr, context: Context) -> exp.Expr | None:
    """split by an empty delimiter, or of a limit of 0 or less: Trino's errors (DuckDB splits into
    characters, and sqlglot drops the limit); split with a limit is refused (DuckDB's string_split
    has none: its items past the limit would be split too)."""
    if not isinstance(node, exp.Split):
        return None
    delimiter, limit = node.expression, node.args.get("limit")
    if isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.name == "":
        raise UsageError("The delimiter may not be the empty string")
    if limit is None:
        return None
    if isinstance(limit, exp.Literal) and limit.is_int and int(limit.this) <= 0:
        raise UsageError("Limit must be positive")
    if isinstance(limit, exp.Neg):
        raise UsageError("Limit must be positive")
    raise UsageError(
        "split with a limit is not run locally (DuckDB's string_split has no limit)",
        "split without the limit and take the items wanted, or run the query on Athena",
    )


@fix(
    example="SELECT slice(ARRAY[1, 2, 3, 4], 2, 2), slice(ARRAY[1, 2, 3, 4], -2, 2)",
    rewritten="SELECT TRINO_SLICE([1, 2, 3, 4], 2, 2), TRINO_SLICE([1, 2, 3, 4], -2, 2)",
    answer=([2, 3], [3, 4]),
)
def slice_as_trino_counts(node: exp.Expr, context: Context) -> exp.Expr | None:
    """slice(a, start, length) takes `length` items from `start` (from the end when negative);
    DuckDB's array_slice reads the third argument as the last position ([2] for [2, 3])."""
    if not isinstance(node, exp.ArraySlice) or node.args.get("step") is not None:
        return None
    start, length = node.args.get("start"), node.args.get("end")
    if start is None or length is None:
        return None
    return exp.Anonymous(this="trino_slice", expressions=[node.this, start, length])


@fix(
    example="SELECT repeat('ab', 3), repeat(1, 2), repeat('x', 0)",
    rewritten="SELECT TRINO_REPEAT('ab', 3), TRINO_REPEAT(1, 2), TRINO_REPEAT('x', 0)",
    answer=(["ab", "ab", "ab"], [1, 1], []),
)
def repeat_gives_an_array(node: exp.Expr, context: Context) -> exp.Expr | None:
    """repeat(x, n) is an array of n copies of x in Trino (n from 0 to 10000, else its error);
    DuckDB's repeat repeats text (`ababab`) and takes no number."""
    if not isinstance(node, exp.Repeat):
        return None
    return exp.Anonymous(this="trino_repeat", expressions=[node.this, node.args["times"]])


@fix(
    example="SELECT lpad('abc', -1, 'x')",
    rewritten="SELECT TRINO_PAD('abc', -1, 'x', TRUE)",
    error="Target length must be in the range [0..2147483647]",
)
def pad_lengths_and_paddings_trino_refuses(node: exp.Expr, context: Context) -> exp.Expr | None:
    """lpad and rpad to a length below 0 or past 2^31 - 1, or with an empty padding: Trino's
    errors when the query runs (DuckDB gives '' for a negative length, fails with its own message
    or pads nothing for an empty padding). A length written as a number in range and a padding
    written as a non-empty string are left to DuckDB's lpad and rpad."""
    if not isinstance(node, exp.Pad) or node.args.get("fill_pattern") is None:
        return None
    length, padding = node.expression, node.args["fill_pattern"]
    if isinstance(length, exp.Literal) and length.is_int and MOST_PADDED < int(length.this) <= 2147483647:
        raise UsageError(_PADDED_TOO_LONG)
    if (
        isinstance(length, exp.Literal)
        and length.is_int
        and int(length.this) <= 2147483647
        and isinstance(padding, exp.Literal)
        and padding.is_string
        and padding.name != ""
    ):
        return None
    left = exp.Boolean(this=bool(node.args.get("is_left")))
    return exp.Anonymous(this="trino_pad", expressions=[node.this, length, padding, left])


@fix(
    example="SELECT chr(x) FROM (VALUES CAST(65 AS bigint)) AS t(x)",
    rewritten="SELECT TRINO_CHR(x) FROM (VALUES (CAST(65 AS BIGINT))) AS t(x)",
    answer=("A",),
)
def chr_of_a_bigint(node: exp.Expr, context: Context) -> exp.Expr | None:
    """chr(n) takes a bigint in Trino (DuckDB's chr an INTEGER only: its binder fails on a bigint
    column, and it casts text, `chr('65')`, which Trino refuses); a code point outside Unicode's, or
    a surrogate, is Trino's error when the query runs. A number written in range is left to DuckDB."""
    if not isinstance(node, exp.Chr) or len(node.expressions) != 1 or node.args.get("charset"):
        return None
    code = node.expressions[0]
    if isinstance(code, exp.Literal) and code.is_int and 0 <= int(code.this) <= 55295:
        return None
    return exp.Anonymous(this="trino_chr", expressions=[code])


@fix(
    example="SELECT sequence(5, 1), sequence(1, 5, 2)",
    rewritten="SELECT TRINO_SEQUENCE_BY_ONE(5, 1), TRINO_SEQUENCE(1, 5, 2)",
    answer=([5, 4, 3, 2, 1], [1, 3, 5]),
)
def sequence_as_trino_steps(node: exp.Expr, context: Context) -> exp.Expr | None:
    """sequence(start, stop) steps by -1 when stop is before start in Trino (DuckDB's
    generate_series by 1: []); a step of 0 or away from stop, and more than 10000 entries, are
    Trino's errors when the query runs (DuckDB: [], or every entry). Of dates (the SQL tells them):
    dates, by whole days (DuckDB gives timestamps, takes hours); of timestamps, an interval step.
    A step of months is refused when the query runs (Trino adds k months to the start, DuckDB one
    month to each entry in turn); timestamps with time zone, or without a step, Trino's error; a
    step with digits beyond the timestamps' precision (timestamp(0) by 0.5 seconds), Trino's error
    where a second entry is due."""
    if not isinstance(node, exp.GenerateSeries):
        return None
    if id(node) in context.errors:  # numbers of which one is no integer: Trino's error
        raise UsageError(*context.errors[id(node)])
    start, stop, step = node.args["start"], node.args["end"], node.args.get("step")
    told = [context.time(start), context.time(stop)]
    if all(t == semantics.DATE for t in told):  # (a date beside a timestamp: Trino's coercion to one)
        if step is None:
            return exp.Anonymous(this="trino_sequence_of_days", expressions=[start, stop])
        return exp.Anonymous(this="trino_sequence_of_dates", expressions=[start, stop, step])
    if any(semantics.is_timestamp(t) for t in told):
        if step is None or any(t.kind == semantics.TIMESTAMP_TZ for t in told):
            operands = [start, stop] + ([step] if step is not None else [])
            names = [_trino_type_name(o, context.time(o)) or context.time(o).kind for o in operands]
            raise UsageError(
                f"Unexpected parameters ({', '.join(names)}) for function sequence. Expected: {_SEQUENCES}"
            )
        # (Trino's common type of the two: the larger precision, a date's 0)
        digits = max(t.precision for t in told if semantics.is_timestamp(t) or t == semantics.DATE)
        return exp.Anonymous(
            this="trino_sequence_of_times",
            expressions=[start, stop, step, exp.false(), exp.Literal.number(digits)],
        )
    if step is None:
        return exp.Anonymous(this="trino_sequence_by_one", expressions=[start, stop])
    return exp.Anonymous(this="trino_sequence", expressions=[start, stop, step])


@fix(
    example="SELECT url_decode('a+b%20c'), url_encode('a b*~')",
    rewritten="SELECT TRINO_URL_DECODE('a+b%20c'), TRINO_URL_ENCODE('a b*~')",
    answer=("a b c", "a+b*%7E"),
)
def url_decode_and_url_encode_as_java_does(node: exp.Expr, context: Context) -> exp.Expr | None:
    """url_decode and url_encode as Java's URLDecoder and URLEncoder (Trino's): `+` decodes to a
    space and a space encodes to `+`, `*` is kept and `~` escaped (DuckDB keeps `+`, writes `%20`,
    escapes `*`, keeps `~`); an escape that is not % and two hex digits is Trino's error when the
    query runs (DuckDB keeps it as written); escapes of bytes that are no UTF-8 refused."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in ("url_decode", "url_encode"):
        if len(node.expressions) == 1:
            return exp.Anonymous(this=f"trino_{node.name.lower()}", expressions=node.expressions)
    return None


@fix(
    example="SELECT from_iso8601_date('2024-03-01T00:00:00Z')",
    rewritten="SELECT TRINO_FROM_ISO8601_DATE('2024-03-01T00:00:00Z', FALSE)",
    error='Invalid format: "2024-03-01T00:00:00Z" is malformed at "T00:00:00Z"',
)
def from_iso8601_date_as_trino_reads_it(node: exp.Expr, context: Context) -> exp.Expr | None:
    """from_iso8601_date reads a date alone in Trino: a time after it (CloudTrail's eventtime) is
    its error when the query runs, which DuckDB's cast reads; `2024-03` and `2024` are read (DuckDB
    fails); a month or day out of range is Joda's error; week and ordinal dates (`2024-W09-5`,
    `2024-061`) and signed years are refused. (TRY: `try_of_from_iso8601_date_or_json_array_length`.)"""
    if not isinstance(node, exp.FromISO8601Date):
        return None
    return exp.Anonymous(this="trino_from_iso8601_date", expressions=[node.this, exp.false()])


@fix(
    example="SELECT array_distinct(ARRAY[3, 1, 3, 2])",
    rewritten="SELECT TRINO_ARRAY_DISTINCT([3, 1, 3, 2])",
    answer=([3, 1, 2],),
)
def array_distinct_in_first_seen_order(node: exp.Expr, context: Context) -> exp.Expr | None:
    """array_distinct keeps each item's first place, and one NULL (DuckDB's list_distinct keeps no
    order, and drops NULL)."""
    if not isinstance(node, exp.ArrayDistinct):
        return None
    return exp.Anonymous(this="trino_array_distinct", expressions=[node.this])


@fix(
    example="SELECT substr('abc', 0), substr('abc', -5, 3), substr('abc', 2, -1)",
    rewritten=(
        "SELECT TRINO_SUBSTR('abc', 0), TRINO_SUBSTR_FOR('abc', -5, 3), TRINO_SUBSTR_FOR('abc', 2, -1)"
    ),
    answer=("", "", ""),
)
def substr_outside_the_string(node: exp.Expr, context: Context) -> exp.Expr | None:
    """substr at position 0, before the start, or for a length of 0 or less: '' on Trino (DuckDB
    reads 0 as 1, clamps a position before the start and counts a negative length backwards).
    A position and length written as positive numbers are left to DuckDB's substring."""
    if not isinstance(node, exp.Substring) or node.args.get("start") is None or _plain_substr(node):
        return None
    length = node.args.get("length")
    if length is None:
        return exp.Anonymous(this="trino_substr", expressions=[node.this, node.args["start"]])
    return exp.Anonymous(this="trino_substr_for", expressions=[node.this, node.args["start"], length])


@fix(
    example="SELECT to_unixtime(from_iso8601_timestamp('2024-08-02T08:23:06.123456Z'))",
    rewritten="SELECT EPOCH(TRINO_FROM_ISO8601_TIMESTAMP('2024-08-02T08:23:06.123456Z'))",
    answer=(1722586986.123,),
)
def from_iso8601_timestamp_as_trino_reads_it(node: exp.Expr, context: Context) -> exp.Expr | None:
    """Trino's from_iso8601_timestamp: milliseconds, and what Trino refuses is refused (DuckDB's
    cast keeps microseconds and reads a space for the T)."""
    if not isinstance(node, exp.FromISO8601Timestamp):
        return None
    return exp.Anonymous(this="trino_from_iso8601_timestamp", expressions=[node.this])


@fix(
    example="SELECT to_iso8601(from_iso8601_timestamp('2024-08-02T08:23:06Z'))",
    rewritten="SELECT TRINO_TO_ISO8601(TRINO_FROM_ISO8601_TIMESTAMP('2024-08-02T08:23:06Z'), 3)",
    answer=("2024-08-02T08:23:06.000Z",),
)
def to_iso8601_as_trino_writes_it(node: exp.Expr, context: Context) -> exp.Expr | None:
    """Trino's to_iso8601: a date as YYYY-MM-DD, a UTC timestamp to the millisecond with `Z`
    (DuckDB has no to_iso8601)."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_iso8601" and len(node.expressions) == 1:
        precision = _precision(node.expressions[0], context)
        told = exp.null() if precision is None else exp.Literal.number(precision)
        return exp.Anonymous(this="trino_to_iso8601", expressions=[*node.expressions, told])
    return None


@fix(
    example="SELECT date_diff('minute', from_iso8601_timestamp('2024-01-01T10:00:59Z'), "
    "from_iso8601_timestamp('2024-01-01T10:01:01Z'))",
    rewritten=(
        "SELECT DATE_SUB('minute', TRINO_FROM_ISO8601_TIMESTAMP('2024-01-01T10:00:59Z'), "
        "TRINO_FROM_ISO8601_TIMESTAMP('2024-01-01T10:01:01Z'))"
    ),
    answer=(0,),
)
def date_diff_in_whole_units(node: exp.Expr, context: Context) -> exp.Expr | None:
    """`date_diff(unit, a, b)`: Trino counts whole elapsed units, DuckDB's date_diff counts unit
    boundaries crossed (its date_sub counts whole units). Trino counts them between the two
    timestamps floored to the millisecond: a timestamp whose precision may be finer is floored
    (`trino_millisecond_floor`)."""
    if not isinstance(node, exp.DateDiff):
        return None
    unit = node.args.get("unit")
    dates = context.time(node.this) == context.time(node.expression) == semantics.DATE
    _check_unit(unit.name.upper() if isinstance(unit, exp.Var | exp.Literal) else "DAY", dates)
    for key in ("this", "expression"):
        operand = node.args[key]
        precision = _precision(operand, context)
        if context.time(operand) != semantics.DATE and (precision is None or precision > 3):
            node.set(key, exp.Anonymous(this="trino_millisecond_floor", expressions=[operand.copy()]))
    return _date_diff(node)


@fix(
    example="SELECT count_if(x > 5) FROM (VALUES 1, 2) AS t(x) WHERE x > 9",
    rewritten="SELECT COALESCE(COUNT_IF(x > 5), 0) FROM (VALUES (1), (2)) AS t(x) WHERE x > 9",
    answer=(0,),
)
def count_if_of_nothing(node: exp.Expr, context: Context) -> exp.Expr | None:
    """count_if over no true-or-false values (an empty group, all NULL): 0 on Trino, NULL on DuckDB."""
    if not isinstance(node, exp.CountIf) or isinstance(node.parent, exp.Coalesce):
        return None
    return exp.Coalesce(this=node, expressions=[exp.Literal.number(0)])


@fix(
    example="SELECT any_match(ARRAY[1, 2, 3], x -> x > 2), all_match(ARRAY[1, 2], x -> x > 1), "
    "none_match(ARRAY[1, 2], x -> x > 5)",
    rewritten=(
        "SELECT TRINO_ANY_MATCH(LIST_TRANSFORM([1, 2, 3], LAMBDA x : x > 2)), "
        "NOT TRINO_ANY_MATCH(LIST_TRANSFORM([1, 2], LAMBDA x : NOT (x > 1))), "
        "NOT TRINO_ANY_MATCH(LIST_TRANSFORM([1, 2], LAMBDA x : x > 5))"
    ),
    answer=(True, False, True),
)
def any_all_none_match(node: exp.Expr, context: Context) -> exp.Expr | None:
    """any_match / all_match / none_match: DuckDB has no such functions. Of the transformed list,
    as Trino decides: an empty array is false for any_match (true for the others), and a NULL
    answer makes the result NULL unless another answer decides it (list_bool_or skips it)."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in _MATCHES:
        return _match(node)
    return None


@fix(
    example="SELECT array_join(ARRAY[CAST(NULL AS varchar)], ','), array_join(ARRAY['a', NULL, 'b'], '-')",
    rewritten=(
        "SELECT ARRAY_TO_STRING(LIST_FILTER(TRINO_ITEMS_AS_TEXT([CAST(NULL AS TEXT)], 'array_join'), LAMBDA "
        "trailcsi_item : NOT trailcsi_item IS NULL), ','), ARRAY_TO_STRING(LIST_FILTER(TRINO_ITEMS_AS_TEXT(['a', "
        "NULL, 'b'], 'array_join'), LAMBDA trailcsi_item : NOT trailcsi_item IS NULL), '-')"
    ),
    answer=("", "a-b"),
)
def array_join_of_nulls(node: exp.Expr, context: Context) -> exp.Expr | None:
    """array_join(array, separator) leaves NULL items out on both engines, but joins an array of
    NULLs only to '' on Trino (NULL on DuckDB), and a NULL separator gives NULL on Trino (DuckDB
    joins without one). An array of IP addresses is refused (its text is Trino's), and one of
    timestamps or doubles when the query runs (Trino writes each item as CAST to varchar does:
    `2024-01-01 00:00:00.000 UTC`, `1.5E0`; DuckDB its own text)."""
    if not isinstance(node, exp.ArrayToString) or node.args.get("null") is not None:
        return None
    if context.kinds is not None:
        kind = context.kinds.get(id(node), [semantics.UNKNOWN])[0]
        node.set("this", ipaddresses.not_ipaddress(node.this, kind, ipaddresses.ARRAY_JOIN))
    return _array_join(node)


@fix(
    example="SELECT t.b, t.n FROM UNNEST(ARRAY[ROW(1, 'x'), ROW(2, 'y')]) WITH ORDINALITY AS t(a, b, n) "
    "WHERE t.a = 2",
    rewritten=(
        "SELECT t.b, t.n FROM (SELECT STRUCT_EXTRACT_AT(_trailcsi_0, 1) AS a, STRUCT_EXTRACT_AT(_trailcsi_0, "
        "2) AS b, _trailcsi_o AS n FROM (SELECT UNNEST([{'_0': 1, '_1': 'x'}, {'_0': 2, '_1': 'y'}]) AS "
        "_trailcsi_0, UNNEST(RANGE(1, COALESCE(LEN([{'_0': 1, '_1': 'x'}, {'_0': 2, '_1': 'y'}]), 0) + 1)) "
        "AS _trailcsi_o)) AS t(a, b, n) WHERE t.a = 2"
    ),
    answer=("y", 2),
)
def unnest_rows_into_their_fields(node: exp.Expr, context: Context) -> exp.Expr | None:
    """UNNEST of an array of rows (`resources`) gives one column per field, named in order by the
    alias list, which must name them all (DuckDB gives one struct column); of several arrays,
    their items side by side, the shorter padded with NULLs (DuckDB takes one array). Where the
    SQL does not tell whether the items are rows, rows are refused when the query runs."""
    if not isinstance(node, exp.Unnest) or not isinstance(node.parent, exp.From | exp.Join):
        return None
    items = context.unnests.get(id(node))
    return None if items is None else _unnest(node, items, list(context.unnests).index(id(node)))
