"""Streaming readers for `quejas label`: column names, row count and fixed-size chunks of any input format.

A file of a million rows never sits in memory whole: CSV, TSV and JSONL are read line by line, Parquet
by record batch and XLSX row by row (openpyxl read-only). CSV and XLSX go through the table core shared
with the page (`pipeline.batch.tables`). A row the reader cannot use whole (an unreadable JSON line, a
CSV row with more fields than the header) is kept, with its reason in the ``READ_ERROR`` column that
labelling turns into the row's ``error`` value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.batch.errors import BatchError
from pipeline.batch.formats import text_encoding
from pipeline.batch.tables import (
    SNIFF_CHARS,
    blank_tail,
    column_names,
    csv_records,
    first_sheet,
    guess_separator,
    table_records,
)

READ_ERROR = "__quejas_read_error__"  # reader-side error column; removed before output


@dataclass(frozen=True)
class InputInfo:
    columns: list[str]
    rows: int | None  # None when it cannot be known cheaply (only the progress bar's ETA needs it)


def scan_input(path: Path, fmt: str, encoding: str = "utf-8") -> InputInfo:
    """Column names and row count, read without keeping rows in memory."""
    if fmt in ("csv", "tsv"):
        columns = _csv_header(path, fmt, encoding)
        if not columns:
            return InputInfo([], 0)
        return InputInfo(columns, sum(1 for _ in _csv_rows(path, fmt, len(columns), encoding)))
    if fmt == "jsonl":
        keys: dict[str, None] = {}
        rows = 0
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                rows += 1
                item = parse_json_line(raw, encoding)
                if isinstance(item, dict):
                    keys.update(dict.fromkeys(item))
        return InputInfo(list(keys), rows)
    if fmt == "parquet":
        parquet = pq.ParquetFile(path)
        return InputInfo(list(parquet.schema_arrow.names), parquet.metadata.num_rows)
    if fmt == "xlsx":
        with first_sheet(path) as sheet:
            header = next(table_records(sheet.iter_rows(values_only=True)), None)
            estimate = sheet.max_row - 1 if sheet.max_row else None  # blank rows included: for the ETA only
            return InputInfo(
                _xlsx_header(header[1] if header else []), max(estimate, 0) if estimate is not None else None
            )
    raise BatchError(f"unknown input format {fmt!r}")


def _xlsx_header(header: list[Any]) -> list[str]:
    return column_names(header[: len(header) - blank_tail(header)])  # trailing empty cells are formatting


def parse_json_line(raw: bytes, encoding: str = "utf-8") -> Any:
    """The JSON value of one line, or None when it is not JSON (the row is then an ``invalid_json`` error)."""
    try:
        line = raw.decode(text_encoding(encoding))
    except UnicodeDecodeError:
        line = raw.decode(text_encoding(encoding), errors="replace")  # the text check reports it as undecodable
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def read_chunks(
    path: Path, fmt: str, columns: list[str], chunk_size: int, encoding: str = "utf-8"
) -> Iterator[pd.DataFrame]:
    """Frames of exactly ``chunk_size`` rows (the last may be shorter) with ``columns`` in order.

    Values are kept as read: CSV/TSV cells as strings (so "007" stays "007"), JSONL values as parsed,
    Parquet with its Arrow types, XLSX cells as openpyxl returns them. Each frame's index is the row
    number in the file, so chunk ``k`` covers rows ``k * chunk_size`` onwards.
    """
    if chunk_size < 1:
        raise BatchError("--chunk-size must be at least 1")
    frames: Iterable[pd.DataFrame]
    if fmt in ("csv", "tsv"):
        rows = _csv_rows(path, fmt, len(columns), encoding) if columns else iter(())
        frames = _rows_to_frames(rows, columns + [READ_ERROR], chunk_size)
    elif fmt == "jsonl":
        frames = _rows_to_frames(_jsonl_rows(path, columns, encoding), columns + [READ_ERROR], chunk_size)
    elif fmt == "parquet":
        frames = _parquet_frames(path, chunk_size)
    elif fmt == "xlsx":
        frames = _rows_to_frames(_xlsx_rows(path, len(columns)), columns, chunk_size)
    else:
        raise BatchError(f"unknown input format {fmt!r}")
    start = 0
    for frame in _rechunk(frames, chunk_size):
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        yield frame


def _csv_separator(path: Path, fmt: str, encoding: str) -> str:
    if fmt == "tsv":
        return "\t"
    with open(path, encoding=text_encoding(encoding), errors="replace", newline="") as fh:
        return guess_separator(fh.read(SNIFF_CHARS))


def _csv_header(path: Path, fmt: str, encoding: str) -> list[str]:
    separator = _csv_separator(path, fmt, encoding)
    with open(path, encoding=text_encoding(encoding), errors="replace", newline="") as fh:
        header = next(table_records(csv_records(fh, separator)), None)
    return column_names(header[1]) if header else []


def _csv_rows(path: Path, fmt: str, width: int, encoding: str) -> Iterator[list]:
    """Data rows as lists of ``width`` strings plus the reader's error (None, or ``malformed_row``).

    The header and blank records are skipped. A row with more fields than the header (an unquoted
    separator inside a text) keeps its first ``width`` fields and is marked ``malformed_row`` instead of
    stopping the whole run; a shorter row is padded with empty cells.
    """
    separator = _csv_separator(path, fmt, encoding)
    with open(path, encoding=text_encoding(encoding), errors="replace", newline="") as fh:
        records = table_records(csv_records(fh, separator))
        next(records, None)  # the header
        for _, row in records:
            if len(row) > width:
                yield row[:width] + ["malformed_row"]
            else:
                yield row + [""] * (width - len(row)) + [None]


def _jsonl_rows(path: Path, columns: list[str], encoding: str) -> Iterator[list]:
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            item = parse_json_line(raw, encoding)
            if isinstance(item, dict):
                yield [item.get(c) for c in columns] + [None]
            else:
                yield [None] * len(columns) + ["invalid_json"]


def _xlsx_rows(path: Path, width: int) -> Iterator[list]:
    """Data rows cut or padded to the header's width; blank spreadsheet rows are skipped, as blank CSV lines."""
    with first_sheet(path) as sheet:
        records = table_records(sheet.iter_rows(values_only=True))
        next(records, None)  # the header
        for _, row in records:
            yield row[:width] + [None] * (width - len(row))


def _parquet_frames(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=chunk_size):
        yield pa.Table.from_batches([batch]).to_pandas(types_mapper=pd.ArrowDtype)


def _rows_to_frames(rows: Iterable[list], columns: list[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    block: list[list] = []
    for row in rows:
        block.append(row)
        if len(block) == chunk_size:
            yield pd.DataFrame(block, columns=columns, dtype=object)
            block = []
    if block:
        yield pd.DataFrame(block, columns=columns, dtype=object)


def _rechunk(frames: Iterable[pd.DataFrame], size: int) -> Iterator[pd.DataFrame]:
    """Re-cut a stream of frames into frames of exactly ``size`` rows (Parquet batches stop at row groups)."""
    pending: list[pd.DataFrame] = []
    held = 0
    for frame in frames:
        while len(frame):
            take = frame.iloc[: size - held]
            frame = frame.iloc[len(take) :]
            pending.append(take)
            held += len(take)
            if held == size:
                yield pending[0] if len(pending) == 1 else pd.concat(pending, ignore_index=True)
                pending, held = [], 0
    if pending:
        yield pending[0] if len(pending) == 1 else pd.concat(pending, ignore_index=True)
