"""`/v1/config` and `/v1/parse-file`: what the triage page needs for its batch tab.

The page uploads a CSV or XLSX here and gets the rows back as a table plus the column that holds
the complaint. Parsing lives on the server because XLSX needs it and because one parser means CSV
quirks (separators, BOM, Windows and Asian encodings) are handled in one place: the table core and the
text-column detection are those of `quejas label` (`pipeline.batch.tables`, `pipeline.batch.columns`),
so a file reads the same on the page and on the command line. What the page adds is what an untrusted
upload held in memory needs: the encoding is guessed and the archive checked before it is expanded
(`serve.file_safety`), the reading stops at the row and cell limits, a row with more fields than the
header is refused (not labelled with a warning), and all of it runs off the event loop.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from pipeline.batch.columns import find_text_column
from pipeline.batch.errors import BatchError, CellTooLarge, EmptyTable, RowTooWide, TableError, TooManyRows
from pipeline.batch.tables import (
    Limits,
    blank_tail,
    cell_text,
    column_names,
    csv_records,
    first_sheet,
    guess_separator,
    table_records,
)
from serve.deps import StateDep
from serve.errors import ApiError
from serve.file_safety import check_xlsx_archive, decode_text

router = APIRouter(tags=["lote"])

EXCEL_CELL_CHARS = 32_767  # Excel's own limit; a longer cell was not written by a spreadsheet


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


def _api_error(exc: TableError) -> ApiError:
    """The page's Spanish message for a table the shared reader refused."""
    if isinstance(exc, TooManyRows):
        return ApiError(
            413,
            "too_many_rows",
            f"El archivo tiene más de {exc.limit} filas y el máximo es {exc.limit}. Divídalo en archivos más pequeños.",
        )
    if isinstance(exc, CellTooLarge):
        return ApiError(
            413,
            "cell_too_large",
            f"La celda de la fila {exc.row}, columna {exc.column} tiene {exc.chars} caracteres (máximo {exc.limit}).",
        )
    if isinstance(exc, RowTooWide):
        return ApiError(
            422,
            "bad_file",
            f"La fila {exc.row} del CSV tiene {exc.fields} campos y la cabecera "
            f"{exc.expected}. Si un texto contiene el separador «{exc.separator}», póngalo entre comillas "
            '("...").',
        )
    return ApiError(422, "empty_file", "El archivo está vacío.")  # EmptyTable


def _read_csv(data: bytes, limits: Limits) -> pd.DataFrame:
    text = decode_text(data)
    separator = guess_separator(text)
    try:
        records = table_records(csv_records(io.StringIO(text, newline=""), separator), limits)
        first = next(records, None)
        if first is None:
            raise EmptyTable()
        header = first[1]
        rows = []
        for number, cells in records:
            if len(cells) > len(header):
                raise RowTooWide(number, len(cells), len(header), separator)
            rows.append(cells + [""] * (len(header) - len(cells)))
    except csv.Error as exc:
        raise ApiError(422, "bad_file", f"No se pudo leer el CSV: {exc}.") from None
    return pd.DataFrame(rows, columns=column_names(header), dtype=str)


def _read_xlsx(data: bytes, limits: Limits) -> pd.DataFrame:
    """The first sheet, streamed row by row (openpyxl read-only) and stopped at the row limit."""
    check_xlsx_archive(data)
    try:
        with first_sheet(io.BytesIO(data)) as sheet:
            records = ([cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True))
            table = [cells for _, cells in table_records(records, limits)]
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken or damaged file
        raise ApiError(422, "bad_file", f"No se pudo leer el Excel: {type(exc).__name__}: {exc}") from None
    if not table:
        raise EmptyTable()
    # Cells past the header are data under a blank header cell: the columns are widened to keep them.
    width = max(len(r) - blank_tail(r) for r in table)
    header, *rows = [(r + [""] * width)[:width] for r in table]
    return pd.DataFrame(rows, columns=column_names(header), dtype=str)


def parse_upload(name: str, data: bytes, max_rows: int, max_cell_chars: int) -> ParsedFile:
    """Parse an uploaded file into the page's table; CPU-bound, so the route runs it in the thread pool."""
    lower = name.lower()
    limits = Limits(max_rows=max_rows, max_cell_chars=max_cell_chars)
    try:
        if lower.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
            frame = _read_xlsx(data, limits)
        elif lower.endswith((".csv", ".txt", ".tsv")) or not lower.rpartition(".")[1]:
            frame = _read_csv(data, limits)
        else:
            raise ApiError(415, "unsupported_file", "Formato no admitido: suba un archivo .csv o .xlsx.")
    except TableError as exc:
        raise _api_error(exc) from None
    if frame.columns.empty or frame.empty:
        raise ApiError(422, "empty_file", "El archivo no tiene filas de datos.")
    columns = [str(c) for c in frame.columns]
    try:
        text_column = find_text_column(columns, sample=frame)
    except BatchError:
        listed = ", ".join(f"«{c}»" for c in columns)
        raise ApiError(
            422,
            "no_text_column",
            f"No se encontró ninguna columna con texto (columnas: {listed}). Llame a la columna de las quejas "
            "«texto», «queja» o «comentario».",
        ) from None
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
