"""`/v1/config` and `/v1/parse-file`: what the triage page needs for its batch tab.

The page uploads a CSV or XLSX here and gets the rows back as a table plus the column that holds
the complaint. It then sends the texts to `/v1/classify` in small chunks (so it can show
progress and every chunk goes through the same micro-batcher as any other request) and builds
the labelled CSV in the browser. Parsing lives on the server because XLSX needs it and because
one parser means CSV quirks (separators, BOM, Windows and Asian encodings) are handled in one place.
Untrusted files are checked before they are expanded (`serve.file_safety`) and read row by row up to
the row limit, off the event loop.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from pipeline.folding import fold
from serve.deps import StateDep
from serve.errors import ApiError
from serve.file_safety import check_xlsx_archive, decode_text

router = APIRouter(tags=["lote"])

# Column names that hold the complaint, in order of preference (compared without case or accents).
TEXT_COLUMNS = ("texto", "queja", "comentario", "descripcion", "mensaje", "text")
EXCEL_CELL_CHARS = 32_767  # Excel's own limit; a longer cell was not written by a spreadsheet
SEPARATORS = (";", ",", "\t", "|")


class PageConfig(BaseModel):
    max_text_chars: int = Field(description="Longest complaint accepted, in characters.")
    max_items: int = Field(description="Most texts in one /v1/classify request.")
    max_upload_rows: int = Field(description="Most rows in one uploaded file.")
    api_key_required: bool = Field(description="Whether /v1 routes need the X-API-Key header.")


class ParsedFile(BaseModel):
    filename: str
    columns: list[str] = Field(description="Column names in file order.")
    text_column: str = Field(description="The column detected as the complaint text.")
    rows: list[list[str]] = Field(description="Every data row, one string per column (empty string when blank).")


@router.get("/config", response_model=PageConfig, summary="Límites que muestra la página de triaje")
async def config(state: StateDep) -> PageConfig:
    settings = state.settings
    return PageConfig(
        max_text_chars=settings.max_text_chars,
        max_items=settings.max_items,
        max_upload_rows=settings.max_upload_rows,
        api_key_required=bool(settings.api_keys),
    )


def _fold(name: str) -> str:
    return fold(name.strip())


def _cell(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time(0) else value.date().isoformat()
    return str(value)


def _letter_share(cell: str) -> float:
    visible = [ch for ch in cell if not ch.isspace()]
    return sum(ch.isalpha() for ch in visible) / len(visible) if visible else 0.0


def _text_score(values: pd.Series) -> float:
    """Mean length of the column's cells when most of them are mostly letters, else 0.

    Ids ("PED-48213", "A001"), amounts and dates are mostly digits and signs, so they score 0 and are
    never taken for the complaint; among the columns of words the longest wins (a complaint is longer
    than a channel name or a city).
    """
    cells = [_cell(v).strip() for v in values.tolist()]
    cells = [c for c in cells if c]
    if not cells:
        return 0.0
    wordy = sum(_letter_share(c) >= 0.5 for c in cells)
    return sum(len(c) for c in cells) / len(cells) if wordy >= len(cells) / 2 else 0.0


def detect_text_column(frame: pd.DataFrame) -> str:
    """The complaint column: a known name first, else the longest column made mostly of letters."""
    folded = {_fold(str(c)): str(c) for c in reversed(list(frame.columns))}
    for name in TEXT_COLUMNS:
        if name in folded:
            return folded[name]
    scores = {str(column): _text_score(frame[column]) for column in frame.columns}
    best = max(scores, key=scores.get) if scores else None
    if best is not None and scores[best] > 0:
        return best
    listed = ", ".join(f"«{c}»" for c in frame.columns)
    raise ApiError(
        422,
        "no_text_column",
        f"No se encontró ninguna columna con texto (columnas: {listed}). Llame a la columna de las quejas «texto», "
        "«queja» o «comentario».",
    )


def _too_many_rows(limit: int) -> ApiError:
    return ApiError(
        413, "too_many_rows", f"El archivo tiene más de {limit} filas y el máximo es {limit}. Divídalo en archivos más "
        "pequeños."
    )


def _check_cell(value: str, row: int, column: int, max_chars: int) -> None:
    if len(value) > max_chars:
        raise ApiError(
            413,
            "cell_too_large",
            f"La celda de la fila {row}, columna {column} tiene {len(value)} caracteres (máximo {max_chars}).",
        )


def _table(
    records: Iterable[list[str]], max_rows: int, max_cell_chars: int, too_wide: Callable[[int, int, int], None]
) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a stream of records; blank records skipped; stops at the first row too many."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    for number, cells in enumerate(records, start=1):
        if not any(c.strip() for c in cells):
            continue
        for column, value in enumerate(cells, start=1):
            _check_cell(value, number, column, max_cell_chars)
        if header is None:
            header = cells
            continue
        if len(cells) > len(header):
            too_wide(number, len(cells), len(header))
        if len(rows) == max_rows:
            raise _too_many_rows(max_rows)
        rows.append(cells)
    if header is None:
        raise ApiError(422, "empty_file", "El archivo está vacío.")
    return header, rows


def _read_csv(data: bytes, max_rows: int, max_cell_chars: int) -> pd.DataFrame:
    text = decode_text(data)
    separator = guess_separator(text)

    def too_wide(number: int, fields: int, expected: int) -> None:
        raise ApiError(
            422,
            "bad_file",
            f"La fila {number} del CSV tiene {fields} campos y la cabecera {expected}. Si un texto "
            f'contiene el separador «{separator}», póngalo entre comillas ("...").',
        )

    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        header, rows = _table(records, max_rows, max_cell_chars, too_wide)
    except csv.Error as exc:
        raise ApiError(422, "bad_file", f"No se pudo leer el CSV: {exc}.") from None
    rows = [row + [""] * (len(header) - len(row)) for row in rows]
    return pd.DataFrame(rows, columns=_unique(header), dtype=str)


def _unique(names: list[str]) -> list[str]:
    """Blank or repeated header names get a suffix, so every column can be addressed."""
    seen: dict[str, int] = {}
    out = []
    for position, name in enumerate(names, start=1):
        name = name.strip() or f"columna_{position}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def guess_separator(text: str) -> str:
    """The separator the header line uses most (a header rarely holds `;` or `,` inside a name); else sniff."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return ","


def _read_xlsx(data: bytes, max_rows: int, max_cell_chars: int) -> pd.DataFrame:
    """The first sheet, streamed row by row (openpyxl read-only) and stopped at the row limit."""
    from openpyxl import load_workbook

    check_xlsx_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken file
        raise ApiError(422, "bad_file", f"No se pudo leer el Excel: {type(exc).__name__}: {exc}") from None
    def wider(number: int, fields: int, expected: int) -> None:
        pass  # cells past the header are data under a blank header cell: the columns are widened below

    try:
        records = ([_cell(v) for v in values] for values in book.worksheets[0].iter_rows(values_only=True))
        header, rows = _table(records, max_rows, max_cell_chars, wider)
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails while streaming, not when opened
        raise ApiError(422, "bad_file", f"No se pudo leer el Excel: {type(exc).__name__}: {exc}") from None
    finally:
        book.close()
    width = max([len(r) - _blank_tail(r) for r in [header, *rows]])
    rows = [(r + [""] * width)[:width] for r in rows]
    return pd.DataFrame(rows, columns=_unique((header + [""] * width)[:width]), dtype=str)


def _blank_tail(cells: list[str]) -> int:
    """How many cells at the end of a row are blank (formatting, not columns)."""
    count = 0
    for cell in reversed(cells):
        if cell.strip():
            break
        count += 1
    return count


def parse_upload(name: str, data: bytes, max_rows: int, max_cell_chars: int) -> ParsedFile:
    """Parse an uploaded file into the page's table; CPU-bound, so the route runs it in the thread pool."""
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        frame = _read_xlsx(data, max_rows, max_cell_chars)
    elif lower.endswith((".csv", ".txt", ".tsv")) or not lower.rpartition(".")[1]:
        frame = _read_csv(data, max_rows, max_cell_chars)
    else:
        raise ApiError(415, "unsupported_file", "Formato no admitido: suba un archivo .csv o .xlsx.")
    if frame.columns.empty or frame.empty:
        raise ApiError(422, "empty_file", "El archivo no tiene filas de datos.")
    text_column = detect_text_column(frame)
    columns = [str(c) for c in frame.columns]
    rows = [list(row) for row in frame.itertuples(index=False, name=None)]
    return ParsedFile(filename=name, columns=columns, text_column=text_column, rows=rows)


@router.post(
    "/parse-file",
    response_model=ParsedFile,
    summary="Leer un CSV o XLSX de quejas para etiquetarlo desde la página",
    responses={413: {"description": "Demasiadas filas o archivo demasiado grande"}},
)
async def parse_file(
    state: StateDep, file: Annotated[UploadFile, File(description="CSV (`,` o `;`) o XLSX con una queja por fila.")]
) -> ParsedFile:
    name = file.filename or "archivo"
    data = await file.read()  # the request body limit (QUEJAS_MAX_BODY_BYTES) already bounds it
    if not data.strip():
        raise ApiError(422, "empty_file", "El archivo está vacío.")
    settings = state.settings
    max_cell_chars = max(EXCEL_CELL_CHARS, settings.max_text_chars)
    return await run_in_threadpool(parse_upload, name, data, settings.max_upload_rows, max_cell_chars)
