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
import sys
import uuid
from collections.abc import Iterable, Sequence
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


def _dumps(record: dict[str, Any]) -> str:
    """Strict JSON (no NaN or Infinity tokens); a value nested too deeply for Python is a UsageError."""
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise UsageError("a value is nested too deeply to write as JSON", "use --format csv") from None


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
) -> int:
    """Write rows in `fmt` to `stream`; returns the number of rows written.

    With a `zone`, instants (`eventtime`, timestamps) are shown in it, with its offset; rows are
    still read one at a time."""
    if zone is not None:
        rows = (tuple(timezone.localize(value, zone) for value in row) for row in rows)
    count = 0
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([text_value(v) for v in row])
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            record = {c: json_value(c, v) for c, v in zip(columns, row, strict=True)}
            stream.write(_dumps(record) + "\n")
            count += 1
    elif fmt == "json":
        stream.write("[")
        for row in rows:
            record = {c: json_value(c, v) for c, v in zip(columns, row, strict=True)}
            stream.write(("\n  " if count == 0 else ",\n  ") + _dumps(record))
            count += 1
        stream.write("\n]\n" if count else "]\n")
    elif fmt == "table":
        count = _table(columns, rows, stream, title)
    else:
        raise UsageError(f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    return count


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]], stream: IO[str], title: str | None) -> int:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [[_cell(v) for v in row] for row in rows]
    terminal = hasattr(stream, "isatty") and stream.isatty()
    table = Table(title=title, show_lines=False, header_style="bold")
    # widths in terminal cells: a CJK character or an emoji takes two
    widest = [max((cell_len(row[at]) for row in cells), default=0) for at in range(len(columns))]
    # Piped or redirected: one row a line, however wide (grep finds what it looks for);
    # on a terminal, the terminal's width.
    width = (
        None if terminal else sum(max(cell_len(c), w) + 3 for c, w in zip(columns, widest, strict=True)) + 4
    )
    console = Console(file=stream, soft_wrap=False, highlight=False, width=width)
    widths = _terminal_widths(columns, widest, console.width) if terminal and cells else None
    if terminal and cells and widths is None:
        _records(columns, cells, console, title)  # psql's expanded display: a row is a block
        return len(cells)
    for at, column in enumerate(columns):
        table.add_column(
            Text(column),
            overflow="fold",
            no_wrap=not terminal,
            width=widths[at] if widths else None,
        )
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))  # Text: values are never markup
    console.print(table)
    return len(cells)


#: A folded column is still read at this width; below it a terminal table turns to records.
_FOLDED_MIN = 10


def _terminal_widths(columns: Sequence[str], widest: Sequence[int], terminal: int) -> list[int] | None:
    """Each column's width in a terminal `terminal` cells wide: identifiers and times whole (they
    are copied, searched, compared; never cut in two), the other columns folded, none below
    `_FOLDED_MIN` (or its widest value), the room left shared in proportion to what each needs.
    None when even that does not fit: the rows are then shown as records."""
    from rich.cells import cell_len

    natural = [max(w, cell_len(c), 1) for c, w in zip(columns, widest, strict=True)]
    room = terminal - 3 * len(columns) - 1  # a border and two spaces of padding a column
    if sum(natural) <= room:
        return natural
    kept = [_kept_whole(c) for c in columns]
    widths = [
        min(n, 40) if whole else min(n, _FOLDED_MIN)
        for w, n, whole in zip(widest, natural, kept, strict=True)
    ]
    left = room - sum(widths)
    if left < 0:
        return None
    wants = [0 if whole else n - w for n, w, whole in zip(natural, widths, kept, strict=True)]
    total = sum(wants)
    for at, want in enumerate(wants):
        if want:
            widths[at] += left * want // total
    return widths


def _kept_whole(column: str) -> bool:
    name = column.lower()
    return name in _KEPT_WHOLE or name.endswith(("id", "time", "_at"))


def _records(columns: Sequence[str], cells: Sequence[Sequence[str]], console: Any, title: str | None) -> None:
    """Each row as a block of `column  value` lines (values fold at the terminal's edge, never
    cut): what a table too wide for the terminal shows instead of cropped or shredded columns."""
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(title, style="italic"))
    name_width = max(len(c) for c in columns)
    for number, row in enumerate(cells, 1):
        console.print(Rule(Text(f"row {number}"), align="left", style="dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True, min_width=name_width)
        grid.add_column(overflow="fold")
        for column, cell in zip(columns, row, strict=True):
            grid.add_row(Text(column), Text(cell))
        console.print(grid)


#: Columns a terminal table never folds (besides names ending in id or time).
_KEPT_WHOLE = frozenset({"eventid", "eventtime", "sourceipaddress", "accesskeyid", "account"})


def _cell(value: Any, limit: int = 120) -> str:
    text = text_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
