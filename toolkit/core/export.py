"""Write query results as a terminal table, CSV, JSON (an array) or JSONL (one object a line).

CSV and JSON are loss-free: in CSV nested values (structs, arrays) are compact JSON text; in JSON
they keep their structure, and the JSON-text columns of `trail` (`requestparameters`, ...) are
emitted as the JSON they contain. Empty values are an empty CSV cell and `null` in JSON. Times are
as recorded (UTC) unless a zone is given (`toolkit.core.timezone`).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import math
import os
import re
import sys
import unicodedata
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any

from toolkit.core import timezone
from toolkit.core.schema import JSON_TEXT_COLUMNS
from toolkit.errors import UsageError

FORMATS = ("table", "csv", "json", "jsonl")
_BY_SUFFIX = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "table"}
#: Suffixes of data formats trailcsi does not write: CSV under such a name would be mislabelled.
_OTHER_FORMATS = frozenset(
    {".parquet", ".pq", ".avro", ".orc", ".xlsx", ".xls", ".ods", ".tsv", ".xml", ".yaml", ".yml"}
    | {".gz", ".zip", ".bz2", ".xz", ".zst", ".feather", ".arrow", ".db", ".sqlite", ".duckdb"}
)


def choose_format(requested: str | None, output: str | None, stream: IO[str] | None = None) -> str:
    """The explicit format, else the output file's suffix, else a table on a terminal and CSV elsewhere."""
    if requested:
        if requested not in FORMATS:
            raise UsageError(f"--format {requested!r} is not known", f"use one of {', '.join(FORMATS)}")
        return requested
    if output:
        suffix = Path(output).suffix.lower()
        if suffix in _BY_SUFFIX:
            return _BY_SUFFIX[suffix]
        if suffix in _OTHER_FORMATS:  # a name promising a format trailcsi does not write
            raise UsageError(
                f"--output {output!r}: trailcsi does not write {suffix[1:]} files",
                f"name it .csv, .json or .jsonl, or pass --format ({', '.join(FORMATS)})",
            )
        return "csv"
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "csv"


def check_target(output: str, requested: str | None) -> None:
    """Refuse, before any work, an `--output` that cannot be what was meant or cannot be written:
    a bare format name (`--output json`, the aws-cli habit, would be a CSV file named `json`), a
    name promising a format trailcsi does not write, a folder that does not exist or is not
    writable, a folder given as the file."""
    if not requested and output.lower() in (*FORMATS, "ndjson"):
        raise UsageError(
            f"--output {output!r} names a file, not a format",
            f"for the format use --format {output.lower()}; for a file of that name, write ./{output}",
        )
    choose_format(requested, output)  # (a name promising another format: refused here)
    if output.endswith(("/", os.sep)):
        raise UsageError(
            f"--output {output!r} names a folder, not a file", "name the file, e.g. DIR/result.csv"
        )
    target = Path(output)
    if target.is_dir():
        raise UsageError(f"--output {output!r} is a folder", "name a file in it")
    if target.exists():
        writable = os.access(target, os.W_OK)
    else:
        folder = target.parent
        if not folder.is_dir():
            raise UsageError(
                f"cannot write {output}: the folder {str(folder)!r} does not exist", "create it first"
            )
        writable = os.access(folder, os.W_OK)
    if not writable:
        raise UsageError(f"cannot write {output}: permission denied", "choose a writable place")


def _plain(value: Any) -> Any:
    """A value JSON can hold: NaN and the infinities, which JSON has no words for, become the
    strings "NaN", "Infinity" and "-Infinity" (as Trino writes them in JSON); UUIDs their text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return _plain(float(value))
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (dt.timedelta, uuid.UUID)):
        return str(value)
    return value


def json_value(column: str, value: Any) -> Any:
    """A value as it appears in JSON output: structure kept, JSON-text columns parsed."""
    if column in JSON_TEXT_COLUMNS and isinstance(value, str):
        try:
            return _plain(json.loads(value))
        except (ValueError, RecursionError):
            return value
    return _plain(value)


def _dumps(record: dict[str, Any], terminal: bool = False) -> str:
    """Strict JSON (no NaN or Infinity tokens); a value nested too deeply for Python is a UsageError.
    For a terminal, the characters it would act on are written as JSON escapes (`json_visible`)."""
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise UsageError("a value is nested too deeply to write as JSON", "use --format csv") from None
    return json_visible(text) if terminal else text


def json_visible(text: str) -> str:
    """JSON text (as `json.dumps` writes it, C0 controls escaped already) with every other
    character a terminal would act on or hide (DEL, C1 controls such as the one-byte CSI, bidi and
    zero-width characters, lone surrogates) written as its `\\uXXXX` escape: the same JSON value,
    safe to show on a terminal. Such characters occur only inside strings, where the escape means
    the character."""
    if _PLAIN.fullmatch(text):
        return text
    out = []
    for char in text:
        if char not in "\t\n" and unicodedata.category(char) in _HIDDEN:
            code = ord(char)
            if code > 0xFFFF:  # as a surrogate pair, as JSON spells characters beyond the BMP
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def text_value(value: Any) -> str:
    """A value as one CSV cell or table cell."""
    if value is None:
        return ""
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return str(value)  # as Athena writes a decimal: its scale's digits, e.g. 2.460
    value = _plain(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    stream: IO[str],
    *,
    title: str | None = None,
    zone: tzinfo | None = None,
    whole: Collection[str] = (),
    terminal: bool | None = None,
) -> int:
    """Write rows in `fmt` to `stream`; returns the number of rows written.

    `terminal` says whether the rows end up on a terminal, where `stream` is a step on the way
    (a spool file copied to the terminal when complete); by default, whether `stream` is one.

    With a `zone`, instants (`eventtime`, timestamps) are shown in it, with its offset; rows are
    still read one at a time. A table shows the `whole` columns uncut and unfolded, or turns to
    records on a terminal where they do not fit.

    What goes to a terminal cannot drive it: a table shows every control, bidi and zero-width
    character of a value as its escape (`visible`); CSV on a terminal does the same, and JSON on a
    terminal writes them as JSON escapes (`\\u009b`, the same data). Written to a file or a pipe,
    CSV and JSON are the data byte for byte."""
    if terminal is None:
        terminal = hasattr(stream, "isatty") and stream.isatty()
    if zone is not None:
        rows = (tuple(timezone.localize(value, zone) for value in row) for row in rows)
    count = 0
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        shown = visible if terminal else str
        writer.writerow([shown(c) for c in columns])
        for row in rows:
            writer.writerow([shown(text_value(v)) for v in row])
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            record = {c: json_value(c, v) for c, v in zip(columns, row, strict=True)}
            stream.write(_dumps(record, terminal) + "\n")
            count += 1
    elif fmt == "json":
        stream.write("[")
        for row in rows:
            record = {c: json_value(c, v) for c, v in zip(columns, row, strict=True)}
            stream.write(("\n  " if count == 0 else ",\n  ") + _dumps(record, terminal))
            count += 1
        stream.write("\n]\n" if count else "]\n")
    elif fmt == "table":
        count = _table(columns, rows, stream, title, whole)
    else:
        raise UsageError(f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    return count


def _table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    stream: IO[str],
    title: str | None,
    whole: Collection[str] = (),
) -> int:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    values = [[text_value(v) for v in row] for row in rows]
    terminal = hasattr(stream, "isatty") and stream.isatty()
    names = [visible(c) for c in columns]
    # Piped or redirected: one row a line, however wide (grep finds what it looks for);
    # on a terminal, the terminal's width.
    width = None
    if not terminal:
        widest = _widest(columns, values, whole)
        width = sum(max(w, cell_len(c)) + 3 for c, w in zip(names, widest, strict=True)) + 4
    console = Console(file=stream, soft_wrap=False, highlight=False, width=width)
    widths = None
    if terminal and values:
        widths = _terminal_widths(columns, values, console.width, whole)
        if widths is None:
            _records(names, values, console, title)  # psql's expanded display: a row is a block
            return len(values)
    table = Table(title=Text(visible(title)) if title else None, show_lines=False, header_style="bold")
    for at, name in enumerate(names):
        table.add_column(
            Text(name),
            overflow="fold",
            no_wrap=not terminal,
            width=widths[at] if widths else None,
        )
    for row in values:
        table.add_row(
            *(_text(_cell(value, column, whole)) for column, value in zip(columns, row, strict=True))
        )
    console.print(table)
    return len(values)


#: A folded column is still read at this width; below it a terminal table turns to records.
_FOLDED_MIN = 10
#: Values up to this many cells are never folded: a short value is read at a glance, and a column
#: of them gives up little room.
_SHORT = 24
#: A header is folded down to this width before the table turns to records.
_HEADER_MIN = 5
#: A column kept whole is folded only beyond this width.
_WHOLE_MAX = 40


def _terminal_widths(
    columns: Sequence[str], values: Sequence[Sequence[str]], terminal: int, whole: Collection[str] = ()
) -> list[int] | None:
    """Each column's width in a terminal `terminal` cells wide, or None when the columns cannot
    fit (the rows are then shown as records).

    Identifiers and times (`_kept_whole`, or a column of times) and columns of short values (up
    to `_SHORT` cells) are never folded: they are copied, searched, compared. The other columns
    fold, none below `_FOLDED_MIN`; the room left goes to them so that the narrower ones are
    shown whole before the widest is folded further (max-min fair), never a cell taken off each.
    A header folds only when its column could not fit otherwise. The `whole` columns are
    neither cut nor folded."""
    from rich.cells import cell_len

    widest = _widest(columns, values, whole)
    headers = [cell_len(visible(c)) for c in columns]
    natural = [max(w, h, 1) for w, h in zip(widest, headers, strict=True)]
    room = terminal - 3 * len(columns) - 1  # a border and two spaces of padding a column
    if sum(natural) <= room:
        return natural
    rigid = [
        column in whole or _kept_whole(column) or w <= _SHORT or _all_times(column_values)
        for column, w, column_values in zip(columns, widest, zip(*values, strict=True), strict=True)
    ]
    # the headers whole if that fits, else folded (`findings` over two lines beside its counts)
    for header_room in (max(headers), _FOLDED_MIN, _HEADER_MIN):
        floor = [
            max(w if w <= _SHORT or column in whole else min(w, _WHOLE_MAX), min(h, header_room), 1)
            if fixed
            else min(n, _FOLDED_MIN)
            for column, w, h, n, fixed in zip(columns, widest, headers, natural, rigid, strict=True)
        ]
        left = room - sum(floor)
        if left >= 0:
            break
    else:
        return None
    widths = list(floor)
    wanting = sorted((n - f, at) for at, (n, f) in enumerate(zip(natural, floor, strict=True)) if n > f)
    for rank, (want, at) in enumerate(wanting):
        share = left // (len(wanting) - rank)
        given = min(want, share)
        widths[at] += given
        left -= given
    return widths


def _widest(
    columns: Sequence[str], values: Sequence[Sequence[str]], whole: Collection[str] = ()
) -> list[int]:
    """Each column's widest cell as shown (cut, escaped), in terminal cells: a CJK character or an
    emoji takes two."""
    from rich.cells import cell_len

    widest = [0] * len(columns)
    for row in values:
        for at, (column, value) in enumerate(zip(columns, row, strict=True)):
            widest[at] = max(widest[at], cell_len(visible(_cell(value, column, whole))))
    return widest


def _kept_whole(column: str) -> bool:
    """An identifier or a time: never folded in a terminal table (unless longer than `_WHOLE_MAX`)."""
    name = column.lower()
    return name in _KEPT_WHOLE or name.endswith(("id", "time", "_at"))


_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def _all_times(values: Iterable[str]) -> bool:
    """Whether a column holds instants only (`min(eventtime) AS first`): kept whole as times are."""
    shown = [v for v in values if v]
    return bool(shown) and all(_TIME.fullmatch(v) for v in shown)


def _identifier(column: str) -> bool:
    """A column of identifiers (ARNs, principals, ids, times, addresses, accounts): its cells are
    never cut, however long (two ARNs may differ only at their end); they fold."""
    name = column.lower()
    return (
        _kept_whole(name)
        or name.endswith("ids")
        or any(part in name for part in ("arn", "principal", "address", "account", "template"))
    )


def _records(names: Sequence[str], values: Sequence[Sequence[str]], console: Any, title: str | None) -> None:
    """Each row as a block of `column  value` lines (values fold at the terminal's edge, never
    cut): what a table too wide for the terminal shows instead of cropped or shredded columns."""
    from rich.cells import cell_len
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(visible(title), style="italic"))
    name_width = max(cell_len(c) for c in names)
    for number, row in enumerate(values, 1):
        console.print(Rule(Text(f"row {number}"), align="left", style="dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True, min_width=name_width)
        grid.add_column(overflow="fold")
        for name, value in zip(names, row, strict=True):
            grid.add_row(Text(name), _text(value))
        console.print(grid)


#: Columns a terminal table never folds (besides names ending in id or time): identifiers, times,
#: event and template names.
_KEPT_WHOLE = frozenset(
    {
        "eventid",
        "eventtime",
        "eventname",
        "eventsource",
        "sourceipaddress",
        "accesskeyid",
        "account",
        "recipientaccountid",
        "template",
    }
)

#: The longest a cell of a terminal table is; identifiers (`_identifier`) are never cut.
CELL_LIMIT = 120


def _cell(text: str, column: str, whole: Collection[str] = ()) -> str:
    """A value's text as a table shows it: cut at `CELL_LIMIT` characters with an ellipsis, unless
    its column holds identifiers or is to be shown `whole`."""
    if len(text) <= CELL_LIMIT or column in whole or _identifier(column):
        return text
    # (cut between characters, never inside the escape of one)
    return text[: CELL_LIMIT - 1] + "…"


#: Unicode categories a terminal acts on or hides rather than shows: controls (C0, DEL, C1),
#: format characters (bidi overrides and isolates, zero-width characters), line and paragraph
#: separators, and lone surrogates (which no encoding writes).
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
#: Text holding none of these characters is shown as it is (the quick path).
_PLAIN = re.compile(r"[\t\x20-\x7e]*")


def visible(text: str, keep: str = "\t") -> str:
    """`text` with every character a terminal would act on or hide (ESC and the other C0 and C1
    controls, DEL, bidi controls such as U+202E, zero-width characters) written as its escape
    (`\\x1b`, `\\u202e`), except those in `keep`: what a terminal shows of a value is then what
    the value holds, and no value can move the cursor, erase lines or reorder what is shown."""
    return "".join(piece for piece, _ in _pieces(text, keep))


def _pieces(text: str, keep: str = "\t") -> Iterator[tuple[str, bool]]:
    """`text` as runs of plain text (False) and escapes of hidden characters (True)."""
    if _PLAIN.fullmatch(text):
        yield text, False
        return
    run: list[str] = []
    for char in text:
        if char not in keep and unicodedata.category(char) in _HIDDEN:
            if run:
                yield "".join(run), False
                run = []
            yield _escape(char), True
        else:
            run.append(char)
    if run:
        yield "".join(run), False


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _text(value: str) -> Any:
    """A table cell: the value's text, hidden characters escaped and the escapes set apart by their
    style (on a terminal), so that an escape is not taken for the same characters in the data."""
    from rich.text import Text

    text = Text()
    for piece, escaped in _pieces(value):
        text.append(piece, style=_ESCAPE_STYLE if escaped else None)
    return text


_ESCAPE_STYLE = "reverse"
