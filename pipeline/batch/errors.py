"""The errors of reading, labelling and writing files, each one a problem the user can fix."""

from __future__ import annotations

from pipeline.errors import QuejasError


class BatchError(QuejasError, ValueError):
    """A problem the user can fix (unknown format, missing column, stale progress); the message says how."""


class TableError(BatchError):
    """A table (CSV or spreadsheet) that cannot be read within the limits the caller set."""


class TooManyRows(TableError):
    def __init__(self, limit: int):
        super().__init__(f"the file has more than {limit} data rows (the limit is {limit})")
        self.limit = limit


class CellTooLarge(TableError):
    def __init__(self, row: int, column: int, chars: int, limit: int):
        super().__init__(f"the cell in row {row}, column {column} holds {chars} characters (the limit is {limit})")
        self.row, self.column, self.chars, self.limit = row, column, chars, limit


class RowTooWide(TableError):
    def __init__(self, row: int, fields: int, expected: int, separator: str):
        super().__init__(
            f"row {row} has {fields} fields and the header {expected}; quote a text that holds "
            f"the separator {separator!r}"
        )
        self.row, self.fields, self.expected, self.separator = row, fields, expected, separator


class EmptyTable(TableError):
    def __init__(self) -> None:
        super().__init__("the file is empty")
