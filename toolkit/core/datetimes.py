"""Trino's date and time text on DuckDB: `format_datetime` (Joda patterns), `date_format` and
`date_parse` (MySQL specifiers), for patterns written as literals.

A pattern is read here as Trino reads it and becomes DuckDB expressions over the value rounded to
the millisecond (Trino formats milliseconds: `.987654` is `.988`). What Trino refuses is refused
with Trino's message; what the local engine cannot write as Trino does is refused saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from toolkit.errors import UsageError

#: Trino's text for a time zone of UTC, by the count of the Joda letter (`z`, `Z`).
_ZONE_NAMES = {"z": ("UTC", "UTC", "UTC", "Coordinated Universal Time"), "Z": ("+0000", "+00:00", "UTC")}
#: Joda's letters and the DuckDB field each numbers (`y` is the year, `k` the hour from 1 to 24...).
_JODA_NUMBERS = {
    "y": "year({v})",
    "Y": "year({v})",
    "x": "isoyear({v})",
    "C": "year({v}) // 100",
    "w": "week({v})",
    "e": "isodow({v})",
    "D": "dayofyear({v})",
    "M": "month({v})",
    "d": "day({v})",
    "H": "hour({v})",
    "k": "CASE hour({v}) WHEN 0 THEN 24 ELSE hour({v}) END",
    "K": "hour({v}) % 12",
    "h": "(hour({v}) + 11) % 12 + 1",
    "m": "minute({v})",
    "s": "second({v})",
}
#: Trino's date_format specifiers that DuckDB's strftime writes alike (`%i` is minutes, `%s`
#: seconds, `%v` and `%x` the ISO week and its year, `%f` microseconds of a millisecond value).
_MYSQL = {
    "a": "%a",
    "b": "%b",
    "c": "%-m",
    "d": "%d",
    "e": "%-d",
    "f": "%f",
    "H": "%H",
    "h": "%I",
    "I": "%I",
    "i": "%M",
    "j": "%j",
    "k": "%-H",
    "l": "%-I",
    "M": "%B",
    "m": "%m",
    "p": "%p",
    "r": "%I:%M:%S %p",
    "S": "%S",
    "s": "%S",
    "T": "%H:%M:%S",
    "v": "%V",
    "W": "%A",
    "x": "%G",
    "Y": "%Y",
    "y": "%y",
}
#: What Trino's date_format and date_parse refuse ("%D not supported in date format string").
_MYSQL_UNSUPPORTED = frozenset("DUuVwX")
#: date_parse: the specifiers DuckDB's strptime reads as Trino does (numbers of one or two digits).
_MYSQL_PARSE = {
    "Y": "%Y",
    "m": "%m",
    "c": "%m",
    "d": "%d",
    "e": "%d",
    "H": "%H",
    "k": "%H",
    "i": "%M",
    "S": "%S",
    "s": "%S",
    "T": "%H:%M:%S",
}


#: Text Trino casts to a timestamp, as the local engine reads it: a date, then one space and a
#: time (seconds and a fraction optional; hour 24, minute or second 60 are Trino's error), then
#: UTC by one of its names or no zone.
TIMESTAMP_TEXT = (
    r"\s*[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}( (?:[01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9](\.[0-9]+)?)?)?"
    r"\s*(UTC|Z|GMT|\+00:00)?\s*"
)
#: The same with another zone, which Trino reads (and keeps, with a time zone): refused locally.
ZONED_TIMESTAMP_TEXT = (
    r"\s*[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}( (?:[01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9](\.[0-9]+)?)?)?"
    r"\s*([A-Za-z][A-Za-z0-9_/+-]*|[+-][0-9]{1,2}(:?[0-9]{2})?)\s*"
)
#: Text Trino casts to a date: a year of any digits (a sign allowed), a month and a day, spaces
#: around (`2022-11-23`, ` 2022-7-4 `); a time after it is Trino's error, which DuckDB reads.
DATE_TEXT = r"\s*[+-]?[0-9]+-[0-9]{1,2}-[0-9]{1,2}\s*"
#: A zone of UTC at the end of a timestamp's text (DuckDB's cast reads the text without it).
UTC_SUFFIX = r"\s*(UTC|Z|GMT|\+00:00)?\s*$"
#: The local engine's refusal of a timestamp's text with a zone other than UTC.
ZONED_TEXT_REFUSAL = (
    "CAST of text with a time zone other than UTC to a timestamp is not run locally (Athena reads the "
    "zone): write the time in UTC, or run the query on Athena"
)


@dataclass(frozen=True)
class Piece:
    """Part of a pattern: literal text, a strftime format, or a DuckDB expression over `{v}`."""

    text: str = ""
    strftime: str = ""
    sql: str = ""


def _not_literal(function: str) -> UsageError:
    return UsageError(
        f"{function} with a pattern that is not a literal is not run locally",
        "write the pattern as a string literal, or run the query on Athena",
    )


def pattern_text(function: str, pattern: exp.Expr) -> str:
    """The text of a pattern literal (else refused: the local engine reads patterns before the query)."""
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise _not_literal(function)
    if function == "format_datetime" and not pattern.name:  # (Trino's error; locally '')
        raise UsageError("Invalid pattern specification: Pattern is null or empty")
    return pattern.name


def joda_pieces(pattern: str) -> tuple[list[Piece], bool]:
    """The pieces of a Joda pattern as Trino's format_datetime writes them, and whether it names a
    time zone (`z`, `Z`: an error for a timestamp without one)."""
    pieces: list[Piece] = []
    zoned = False
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char.isascii() and char.isalpha():
            end = at
            while end < len(pattern) and pattern[end] == char:
                end += 1
            count = end - at
            at = end
            if char in ("z", "Z"):
                zoned = True
                names = _ZONE_NAMES[char]
                pieces.append(Piece(text=names[min(count, len(names)) - 1]))
            else:
                pieces.append(_joda_field(char, count))
            continue
        # Joda's literal text: anything not a letter, and letters within quotes ('' is a quote).
        literal: list[str] = []
        quoted = False
        while at < len(pattern):
            char = pattern[at]
            if char == "'":
                if at + 1 < len(pattern) and pattern[at + 1] == "'":
                    literal.append("'")
                    at += 2
                    continue
                quoted = not quoted
            elif not quoted and char.isascii() and char.isalpha():
                break
            else:
                literal.append(char)
            at += 1
        pieces.append(Piece(text="".join(literal)))
    return pieces, zoned


def _joda_field(letter: str, count: int) -> Piece:
    if letter == "G":
        return Piece(text="AD")  # years before 1 are not CloudTrail's
    if letter == "a":
        return Piece(strftime="%p")
    if letter == "E":
        return Piece(strftime="%A" if count >= 4 else "%a")
    if letter == "M" and count >= 3:
        return Piece(strftime="%B" if count >= 4 else "%b")
    if letter == "S":  # the first `count` digits of the millisecond, zeros after the third, 15 at most
        return Piece(sql=f"left(strftime({{v}}, '%g') || '000000000000', {min(count, 15)})")
    if letter not in _JODA_NUMBERS:
        raise UsageError(
            f"Illegal pattern component: {letter * count}", "see Joda-Time's DateTimeFormat letters"
        )
    number = _JODA_NUMBERS[letter]
    if count == 2 and letter in ("y", "Y", "x"):  # a two-digit year
        return Piece(sql=f"printf('%02d', ({number}) % 100)")
    return Piece(sql=f"printf('%0{count}d', {number})")


def mysql_pieces(pattern: str) -> list[Piece]:
    """The pieces of a MySQL-style pattern as Trino's date_format writes them."""
    pieces: list[Piece] = []
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char != "%":
            pieces.append(Piece(text=char))
            at += 1
            continue
        if at + 1 >= len(pattern):  # a lone % at the end: Trino writes nothing for it
            break
        spec = pattern[at + 1]
        at += 2
        if spec in _MYSQL_UNSUPPORTED:
            raise UsageError(f"%{spec} not supported in date format string", "Athena refuses it too")
        if spec in _MYSQL:
            pieces.append(Piece(strftime=_MYSQL[spec]))
        else:  # Trino writes an unknown specifier's letter (`%Q` is Q, `%%` is %)
            pieces.append(Piece(text=spec))
    if not pieces:  # (Joda's error for a pattern of nothing: '' or '%')
        raise UsageError(
            "Both printing and parsing not supported",
            "the pattern writes nothing (Athena refuses it): write text or specifiers such as %Y",
        )
    return pieces


def mysql_parse_format(pattern: str) -> str:
    """DuckDB's strptime format for a date_parse pattern, or refused where they read otherwise."""
    parts: list[str] = []
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char != "%":
            if char.isspace() and (char != " " or pattern[at + 1 : at + 2].isspace()):
                raise UsageError(
                    "date_parse with a pattern holding whitespace other than single spaces is not run locally",
                    "write single spaces, or run the query on Athena",
                )
            parts.append(char)
            at += 1
            continue
        spec = pattern[at + 1] if at + 1 < len(pattern) else ""
        at += 2
        if not spec:  # a lone % at the end: Trino reads nothing for it
            break
        if spec in _MYSQL_UNSUPPORTED:
            raise UsageError(f"%{spec} not supported in date format string", "Athena refuses it too")
        if spec == "%":
            parts.append("%%")
        elif spec in _MYSQL_PARSE:
            parts.append(_MYSQL_PARSE[spec])
        else:
            raise UsageError(
                f"date_parse with %{spec} is not run locally (it reads %Y %m %c %d %e %H %k %i %S %s %T)",
                "parse the text with other functions (from_iso8601_timestamp, substr), or run it on Athena",
            )
    return "".join(parts)


def _specifiers(pattern: str) -> set[str]:
    found: set[str] = set()
    at = 0
    while at < len(pattern):
        if pattern[at] == "%":
            found.add(pattern[at + 1 : at + 2])
            at += 2
        else:
            at += 1
    return found


def parse_default_year(pattern: str) -> int | None:
    """The year date_parse gives a text whose pattern has none (Joda's: 2000 where the pattern
    has a month or a day, else 1970; DuckDB's strptime gives 1900), None where it has one."""
    specifiers = _specifiers(pattern)
    if "Y" in specifiers:
        return None
    return 2000 if specifiers & set("mcde") else 1970


def formatted(value: exp.Expr, pieces: list[Piece]) -> exp.Expr:
    """`value` (a date or timestamp) written as `pieces`, after rounding it to the millisecond."""
    milliseconds = exp.DataType.build("TIMESTAMP(3)")
    already = isinstance(value, exp.Cast) and value.to.sql() == milliseconds.sql()
    rounded: exp.Expr = value if already else exp.Cast(this=value, to=milliseconds)
    # written from a microsecond timestamp: DuckDB's strftime of a TIMESTAMP_MS (or _S) goes through
    # nanoseconds, and fails after 2262
    rounded = exp.Cast(this=rounded, to=exp.DataType.build("TIMESTAMP"))
    rounded_sql = rounded.sql(dialect="duckdb")
    parts: list[exp.Expr] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            parts.append(
                exp.Anonymous(
                    this="strftime", expressions=[rounded.copy(), exp.Literal.string("".join(pending))]
                )
            )
            pending.clear()

    for piece in pieces:
        if piece.strftime:
            pending.append(piece.strftime)
        elif piece.sql:
            flush()
            parts.append(exp.maybe_parse(piece.sql.replace("{v}", rounded_sql), dialect="duckdb"))
        elif piece.text:
            if pending:
                pending.append(piece.text.replace("%", "%%"))
            else:
                parts.append(exp.Literal.string(piece.text))
    flush()
    if not parts:
        return exp.Literal.string("")
    # literal text alone still gives NULL for a NULL value
    if all(isinstance(p, exp.Literal) for p in parts):  # '' or NULL, as the value is
        empty = exp.Anonymous(
            this="left",
            expressions=[exp.cast(rounded.copy(), exp.DataType.build("TEXT")), exp.Literal.number(0)],
        )
        parts.insert(0, empty)
    joined = parts[0]
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=part)
    return joined
