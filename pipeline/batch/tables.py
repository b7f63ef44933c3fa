"""The table-parsing core shared by `quejas label` and the page's upload route.

Both read CSV and XLSX tables the same way: the same CSV dialect (separator guessed from the header line,
quoted fields, very long cells allowed), the first non-blank record as the header, blank records
skipped, the same names for blank or repeated header cells, and the same first-sheet XLSX reading. They
differ where their jobs do: `quejas label` streams a file from disk with no size limits and marks a bad
row instead of stopping; the page holds an untrusted upload in memory, so it passes `Limits` (rows, cell
size) and the reading stops at the first row over them.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from pipeline.batch.errors import CellTooLarge, TooManyRows

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

SEPARATORS: tuple[str, ...] = (";", ",", "\t", "|")
SNIFF_CHARS = 20_000


@dataclass(frozen=True)
class Limits:
    """Bounds on an untrusted table; None means unbounded (files the user labels from disk)."""

    max_rows: int | None = None  # data rows, header not counted
    max_cell_chars: int | None = None


def guess_separator(text: str) -> str:
    """The separator the header line uses most (a header rarely holds `;` or `,` inside a name); else sniff."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:SNIFF_CHARS], delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return ","


def csv_records(lines: Iterable[str], separator: str) -> Iterator[list[str]]:
    """Every record of a CSV text (open it with ``newline=""``), cells as strings."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a long complaint is a row error, not a crash
    return csv.reader(lines, delimiter=separator)


def is_blank(cells: Sequence[Any]) -> bool:
    """A record with no value in any cell: a blank line, ``;;;``, or an empty spreadsheet row."""
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def table_records(records: Iterable[Sequence[Any]], limits: Limits | None = None) -> Iterator[tuple[int, list[Any]]]:
    """The non-blank records (the header first) with their number in the file, counted from 1.

    With ``limits`` every text cell is checked (`CellTooLarge`) and the reading stops at the first data
    row over the row limit (`TooManyRows`), before the rest of the file is parsed.
    """
    limits = limits or Limits()
    data_rows = -1  # the first non-blank record is the header
    for number, cells in enumerate(records, start=1):
        if is_blank(cells):
            continue
        if limits.max_cell_chars is not None:
            for column, value in enumerate(cells, start=1):
                if isinstance(value, str) and len(value) > limits.max_cell_chars:
                    raise CellTooLarge(number, column, len(value), limits.max_cell_chars)
        data_rows += 1
        if limits.max_rows is not None and data_rows > limits.max_rows:
            raise TooManyRows(limits.max_rows)
        yield number, list(cells)


def column_names(header: Sequence[Any]) -> list[str]:
    """Header names stripped; a blank one becomes ``columna_N`` and a repeated one gets ``_2``, ``_3``...

    Every column can then be addressed by name (a text column, a --text-column option, a result column).
    """
    seen: dict[str, int] = {}
    names = []
    for position, value in enumerate(header, start=1):
        name = ("" if value is None else str(value)).strip() or f"columna_{position}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def blank_tail(cells: Sequence[Any]) -> int:
    """How many cells at the end of a row are blank (spreadsheet formatting, not columns)."""
    count = 0
    for cell in reversed(cells):
        if not is_blank([cell]):
            break
        count += 1
    return count


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees in it: 3.0 is "3", a midnight date has no time."""
    if value is None:
        return ""
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time(0) else value.date().isoformat()
    return str(value)


@contextmanager
def first_sheet(source: Path | IO[bytes]) -> Iterator[ReadOnlyWorksheet]:
    """The first worksheet, opened read-only so rows stream instead of loading the whole workbook."""
    from openpyxl import load_workbook  # heavy; only XLSX input needs it

    book = load_workbook(source, read_only=True, data_only=True)
    try:
        yield book.worksheets[0]
    finally:
        book.close()
