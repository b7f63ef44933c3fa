"""Formula injection guard for CSV files that analysts open in a spreadsheet.

A complaint is text written by a stranger. Excel, LibreOffice and Google Sheets run a cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)`` leaks the sheet,
``=cmd|...`` runs programs), and a leading tab or carriage return hides such a prefix. Following the
OWASP "CSV Injection" advice, such a cell is written with a leading single quote, which the
spreadsheet shows as text and does not display. A plain number such as ``-12.5`` or ``+34`` cannot
run, so it is written as it is (sentiment scores stay numbers).

Only CSV output is escaped: JSONL and Parquet are data for programs, not spreadsheets, and keep
every value exactly as read.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name escaped (numbers and booleans untouched)."""
    escaped = frame.copy()
    for column in escaped.columns:
        if escaped[column].dtype == object or pd.api.types.is_string_dtype(escaped[column].dtype):
            escaped[column] = escaped[column].map(escape_cell).astype(object)
    escaped.columns = [escape_cell(str(c)) if isinstance(c, str) else c for c in escaped.columns]
    return escaped
