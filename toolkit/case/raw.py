"""The original text of CloudTrail records, byte for byte as a log file holds them.

A log file is `{"Records":[...]}` (in any key order, with any spacing, possibly several JSON
documents). Each record's text is cut out of the decompressed file where the JSON decoder found
it: never re-serialised, so key order, spacing, escapes and number spellings stay as written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from toolkit.errors import SourceError, first_line

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


@dataclass(frozen=True)
class RawRecord:
    """One record: its original bytes (UTF-8, as in the file) and its parsed value."""

    text: bytes
    value: dict[str, Any]


def read_text(path: str) -> str:
    """The decompressed text of a log file (gzip by its name, else plain)."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
        return data.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot be read again: {first_line(str(error))}") from None


def records(path: str) -> list[RawRecord]:
    """Every record of the log file at `path`, with its original text."""
    text = read_text(path)
    try:
        return [
            RawRecord(text[start:end].encode("utf-8"), value)
            for start, end, value in spans(text)
            if isinstance(value, dict)
        ]
    except RecursionError:
        raise SourceError(f"{path}: nested too deeply to cite its records") from None
    except ValueError as error:
        raise SourceError(f"{path}: not CloudTrail JSON: {first_line(str(error))}") from None


def spans(text: str) -> Iterator[tuple[int, int, Any]]:
    """(start, end, value) of each item of each document's `Records` array, in file order."""
    at = _skip(text, 0)
    while at < len(text):
        if text[at] != "{":  # a document that is not an object holds no records: skip it
            _value, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            continue
        at = _skip(text, at + 1)
        if text.startswith("}", at):
            at = _skip(text, at + 1)
            continue
        while True:
            key, at = _DECODER.raw_decode(text, at)
            if not isinstance(key, str):
                raise ValueError(f"an object key at character {at} is not a string")
            at = _expect(text, _skip(text, at), ":")
            at = _skip(text, at)
            if key == "Records" and text.startswith("[", at):
                at = yield from _items(text, at)
            else:
                _value, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
                continue
            at = _skip(text, _expect(text, at, "}"))
            break


def _items(text: str, at: int) -> Generator[tuple[int, int, Any], None, int]:
    """The items of the array starting at `at`; returns the position after it."""
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return at + 1
    while True:
        value, end = _DECODER.raw_decode(text, at)
        yield at, end, value
        at = _skip(text, end)
        if text.startswith(",", at):
            at = _skip(text, at + 1)
            continue
        return _expect(text, at, "]")


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _expect(text: str, at: int, char: str) -> int:
    if not text.startswith(char, at):
        raise ValueError(f"expected {char!r} at character {at}")
    return at + 1
