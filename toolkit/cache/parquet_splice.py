"""Row-group splicing: a Parquet file made of row groups taken whole from other Parquet files.

The column chunks (pages, compressed as they are) and their bloom filters are copied byte for
byte; only the footer is rewritten, with each offset moved to where its bytes now lie. No page is
decoded or recompressed, so packing day files into one file per month costs a file copy. The
inputs must share one schema (the columnar cache writes them all with the same statement).

The footer is Thrift's compact protocol; this module decodes it into a generic tree of
`(field id, type, value)` fields and encodes it back unchanged except for the offsets. Fields of
row groups, column chunks and their metadata it does not know (one could hold an offset it would
not move) are refused; the schema, statistics and file-level fields are carried as they are. Page indexes (column and offset indexes), which hold absolute
page offsets inside their own bytes, are dropped: readers then simply do without them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from toolkit.errors import SourceError

MAGIC = b"PAR1"
COPY_CHUNK = 8 << 20

# Thrift compact protocol types
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)

# Field ids (parquet.thrift)
_FILE_NUM_ROWS, _FILE_ROW_GROUPS = 3, 4
_RG_COLUMNS, _RG_NUM_ROWS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 3, 5, 7
_CC_FILE_OFFSET, _CC_META = 2, 3
_CC_PAGE_INDEX = (4, 5, 6, 7)  # offset index offset/length, column index offset/length
_CM_TOTAL_COMPRESSED, _CM_DATA_PAGE, _CM_INDEX_PAGE, _CM_DICTIONARY_PAGE = 7, 9, 10, 11
_CM_BLOOM_OFFSET, _CM_BLOOM_LENGTH = 14, 15

Field = list[Any]  # [field id, type, value]


class Raw(bytes):
    """A value kept as its encoded bytes: decoded only as far as the splice needs."""


#: What `read_footer` decodes: FileMetaData's row groups, their column chunks, and each chunk's
#: metadata; everything else (schema, statistics, encodings) stays `Raw`.
FOOTER_SPEC: dict[int, Any] = {_FILE_ROW_GROUPS: {_RG_COLUMNS: {_CC_META: {}}}}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            value = self.data[self.pos]
            self.pos += 1
            result |= (value & 0x7F) << shift
            if not value & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ValueError("footer ends inside a value")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value

    def value(self, kind: int, spec: dict[int, Any] | None) -> Any:
        """The next value; `spec` (for structs, or lists of them) names the fields to decode,
        None decodes everything."""
        if kind in (_TRUE, _FALSE):  # inside a list: one byte
            return self.byte() == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            return self.take(8)
        if kind == _BINARY:
            return self.take(self.varint())
        if kind in (_LIST, _SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            return (element, [self.value(element, spec) for _ in range(size)])
        if kind == _MAP:
            size = self.varint()
            if size == 0:
                return (0, 0, [])
            types = self.byte()
            key, item = types >> 4, types & 0x0F
            return (key, item, [(self.value(key, spec), self.value(item, spec)) for _ in range(size)])
        if kind == _STRUCT:
            return self.struct(spec)
        raise ValueError(f"unknown Thrift type {kind}")

    def struct(self, spec: dict[int, Any] | None = None) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            kind, delta = header & 0x0F, header >> 4
            last = last + delta if delta else self.zigzag()
            if kind in (_TRUE, _FALSE):
                fields.append([last, kind, kind == _TRUE])
            elif spec is None or last in spec or kind in (_BYTE, _I16, _I32, _I64):
                fields.append([last, kind, self.value(kind, None if spec is None else spec.get(last))])
            else:
                began = self.pos
                self.skip(kind)
                fields.append([last, kind, Raw(self.data[began : self.pos])])

    def skip(self, kind: int) -> None:
        """Walk past a value without building it."""
        if kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _BINARY:
            size = self.varint()  # (not `pos += varint()`: that adds to pos as it was before)
            self.pos += size
        elif kind == _STRUCT:
            while True:
                header = self.byte()
                if header == 0:
                    break
                if not header >> 4:
                    self.varint()
                if header & 0x0F not in (_TRUE, _FALSE):
                    self.skip(header & 0x0F)
        elif kind in (_LIST, _SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            for _ in range(self.varint() if size == 15 else size):
                self.skip(element)
        elif kind in (_TRUE, _FALSE, _BYTE):
            self.pos += 1
        elif kind == _DOUBLE:
            self.pos += 8
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4)
                    self.skip(types & 0x0F)
        else:
            raise ValueError(f"unknown Thrift type {kind}")
        if self.pos > len(self.data):
            raise ValueError("footer ends inside a value")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        if value < 0x80:
            out.append(value)
            return bytes(out)
        out.append((value & 0x7F) | 0x80)
        value >>= 7


def _zigzag(value: int) -> bytes:
    return _varint((value << 1) ^ (value >> 63))


def _encode_value(kind: int, value: Any, out: bytearray) -> None:
    if isinstance(value, Raw):
        out += value
    elif kind in (_TRUE, _FALSE):
        out.append(_TRUE if value else _FALSE)
    elif kind == _BYTE:
        out.append(value)
    elif kind in (_I16, _I32, _I64):
        out += _zigzag(value)
    elif kind == _DOUBLE:
        out += value
    elif kind == _BINARY:
        out += _varint(len(value)) + value
    elif kind in (_LIST, _SET):
        element, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | element)
        else:
            out.append(0xF0 | element)
            out += _varint(len(items))
        for item in items:
            _encode_value(element, item, out)
    elif kind == _MAP:
        key, item, entries = value
        out += _varint(len(entries))
        if entries:
            out.append(key << 4 | item)
            for k, v in entries:
                _encode_value(key, k, out)
                _encode_value(item, v, out)
    elif kind == _STRUCT:
        _encode_struct(value, out)
    else:
        raise ValueError(f"unknown Thrift type {kind}")


def _encode_struct(fields: list[Field], out: bytearray) -> None:
    last = 0
    for field_id, kind, value in fields:
        if kind in (_TRUE, _FALSE):
            kind = _TRUE if value else _FALSE
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | kind)
        else:
            out.append(kind)
            out += _zigzag(field_id)
        last = field_id
        if kind not in (_TRUE, _FALSE):
            _encode_value(kind, value, out)
    out.append(0)


def decode(data: bytes, spec: dict[int, Any] | None = None) -> list[Field]:
    """A Thrift compact struct (a Parquet footer) as a tree of [field id, type, value]; with a
    `spec`, only the fields it names (recursively) are decoded, the others kept `Raw`."""
    return _Reader(data).struct(spec)


def encode(fields: list[Field]) -> bytes:
    out = bytearray()
    _encode_struct(fields, out)
    return bytes(out)


def _get(fields: list[Field], field_id: int) -> Any:
    for found, _kind, value in fields:
        if found == field_id:
            return value
    return None


def _set(fields: list[Field], field_id: int, kind: int, value: Any) -> None:
    for field in fields:
        if field[0] == field_id:
            field[2] = value
            return
    fields.append([field_id, kind, value])
    fields.sort(key=lambda f: f[0])


def _drop(fields: list[Field], field_ids: Iterable[int]) -> None:
    dropped = set(field_ids)
    fields[:] = [f for f in fields if f[0] not in dropped]


@dataclass
class Footer:
    path: str
    fields: list[Field]  # FileMetaData

    @property
    def row_groups(self) -> list[list[Field]]:
        groups = _get(self.fields, _FILE_ROW_GROUPS)
        return groups[1] if groups else []

    def common(self) -> bytes:
        """Everything but the row-group fields: what files spliced together must share."""
        return encode([f for f in self.fields if f[0] not in (_FILE_NUM_ROWS, _FILE_ROW_GROUPS)])


def footer_bytes(path: str | os.PathLike[str]) -> bytes:
    """A Parquet file's footer with its length and closing magic, read from the end of the file
    (never the whole file); ValueError or OSError if it is not a Parquet file."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size < 12:
            raise ValueError("too short to be Parquet")
        handle.seek(0)
        head = handle.read(4)
        handle.seek(size - 8)
        tail = handle.read(8)
        length = struct.unpack("<I", tail[:4])[0]
        if head != MAGIC or tail[4:] != MAGIC:
            raise ValueError("not a Parquet file (or an encrypted one)")
        if length > size - 12:
            raise ValueError("footer length runs past the start of the file")
        handle.seek(size - 8 - length)
        return handle.read(length + 8)


def read_footer(path: str | os.PathLike[str]) -> Footer:
    """The decoded footer of a Parquet file; SourceError if it is not a readable Parquet file."""
    name = os.fspath(path)
    try:
        fields = decode(footer_bytes(name)[:-8], FOOTER_SPEC)
    except (OSError, ValueError, IndexError) as error:
        raise SourceError(
            f"{name}: unreadable Parquet footer ({error})",
            "clear the cache (trailcsi cache clear) and build it again",
        ) from None
    return Footer(name, fields)


def _copy(source: BinaryIO, start: int, length: int, target: BinaryIO) -> None:
    source.seek(start)
    while length > 0:
        piece = source.read(min(COPY_CHUNK, length))
        if not piece:
            raise SourceError(
                f"{source.name}: ends inside a column chunk", "clear the cache and build it again"
            )
        target.write(piece)
        length -= len(piece)


#: The fields of a row group, a column chunk and its metadata that a splice may carry (parquet.thrift):
#: every other field could hold an offset the splice does not move (or data kept in another file,
#: or encrypted metadata), so a footer with one is refused rather than copied with a wrong offset.
_KNOWN_ROW_GROUP = frozenset(range(1, 8))  # columns, sizes, rows, sorting, file offset, ordinal
_KNOWN_COLUMN_CHUNK = frozenset({2, 3, *_CC_PAGE_INDEX})  # not 1 (file_path), 8-9 (encryption)
_KNOWN_COLUMN_META = frozenset(range(1, 18))  # type ... bloom filter, size and geo statistics


def _check_known(footer: Footer, group: list[Field]) -> None:
    def refuse(where: str, field_id: int) -> SourceError:
        return SourceError(
            f"{footer.path}: its Parquet footer has a {where} field (id {field_id}) the splice does not know",
            "the writer is newer than trailcsi's splice: clear the cache (trailcsi cache clear) and"
            " report the DuckDB version",
        )

    for field_id, _kind, _value in group:
        if field_id not in _KNOWN_ROW_GROUP:
            raise refuse("row group", field_id)
    for column in _get(group, _RG_COLUMNS)[1]:
        for field_id, _kind, _value in column:
            if field_id not in _KNOWN_COLUMN_CHUNK:
                raise refuse("column chunk", field_id)
        for field_id, _kind, _value in _get(column, _CC_META):
            if field_id not in _KNOWN_COLUMN_META:
                raise refuse("column metadata", field_id)


def _copy_column_chunk(column: list[Field], source: BinaryIO, out: BinaryIO) -> bytes | None:
    """Copy a column chunk's pages to the end of `out` and move its offsets with them; returns
    its bloom filter's bytes (to be written after the data), None if it has none."""
    meta = _get(column, _CC_META)
    pages = [_get(meta, o) for o in (_CM_DICTIONARY_PAGE, _CM_INDEX_PAGE, _CM_DATA_PAGE)]
    start = min(offset for offset in pages if offset)
    delta = out.tell() - start
    _copy(source, start, int(_get(meta, _CM_TOTAL_COMPRESSED)), out)  # every page, headers included
    for field_id in (_CM_DATA_PAGE, _CM_INDEX_PAGE, _CM_DICTIONARY_PAGE):
        offset = _get(meta, field_id)
        if offset:
            _set(meta, field_id, _I64, offset + delta)
    file_offset = _get(column, _CC_FILE_OFFSET)
    if file_offset:
        _set(column, _CC_FILE_OFFSET, _I64, file_offset + delta)
    _drop(column, _CC_PAGE_INDEX)
    bloom, length = _get(meta, _CM_BLOOM_OFFSET), _get(meta, _CM_BLOOM_LENGTH)
    if bloom and length:
        source.seek(bloom)
        return source.read(length)
    _drop(meta, (_CM_BLOOM_OFFSET, _CM_BLOOM_LENGTH))  # without its length a filter cannot be moved
    return None


def splice(parts: Sequence[tuple[Footer, Sequence[int]]], target: str | os.PathLike[str]) -> int:
    """Write `target` from the given row groups of each footer's file, in that order; returns rows.

    Every part must share the first one's schema and file metadata. The footers are consumed
    (their row groups are rewritten in place). The target is written in place: write to a
    scratch name and rename it if readers may look.
    """
    if not parts:
        raise ValueError("nothing to splice")
    common = parts[0][0].common()
    for footer, _groups in parts[1:]:
        if footer.common() != common:
            raise SourceError(
                f"{footer.path}: a different schema from {parts[0][0].path}; cannot splice them",
                "clear the cache (trailcsi cache clear) and build it again",
            )
    for footer, groups in parts:
        for index in groups:
            _check_known(footer, footer.row_groups[index])
    row_groups: list[Any] = []
    blooms: list[tuple[bytes, list[Field]]] = []  # bloom filter bytes, their column's metadata
    total_rows = 0
    with open(target, "wb") as out:
        out.write(MAGIC)
        for footer, groups in parts:
            with open(footer.path, "rb") as source:
                for index in groups:
                    group = footer.row_groups[index]
                    first = None
                    for column in _get(group, _RG_COLUMNS)[1]:
                        first = out.tell() if first is None else first
                        bloom = _copy_column_chunk(column, source, out)
                        if bloom is not None:
                            blooms.append((bloom, _get(column, _CC_META)))
                    _set(group, _RG_FILE_OFFSET, _I64, first or out.tell())
                    _set(group, _RG_ORDINAL, _I16, len(row_groups))
                    row_groups.append(group)
                    total_rows += int(_get(group, _RG_NUM_ROWS))
        for bloom_bytes, meta in blooms:  # bloom filters after the data, as writers put them
            _set(meta, _CM_BLOOM_OFFSET, _I64, out.tell())
            out.write(bloom_bytes)
        fields = [list(f) for f in parts[0][0].fields]
        _set(fields, _FILE_NUM_ROWS, _I64, total_rows)
        _set(fields, _FILE_ROW_GROUPS, _LIST, (_STRUCT, row_groups))
        footer_bytes = encode(fields)
        out.write(footer_bytes)
        out.write(struct.pack("<I", len(footer_bytes)))
        out.write(MAGIC)
    return total_rows
