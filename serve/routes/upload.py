"""`/v1/config` and `/v1/parse-file`: what the triage page needs for its batch tab.

The page uploads a CSV or XLSX here and gets the rows back as a table plus the column that holds
the complaint. It then sends the texts to `/v1/classify` in small chunks (so it can show
progress and every chunk goes through the same micro-batcher as any other request) and builds
the labelled CSV in the browser. Parsing lives on the server because XLSX needs it and because
one parser means CSV quirks (separators, BOM, Windows encodings) are handled in one place.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from serve.deps import StateDep
from serve.errors import ApiError

router = APIRouter(tags=["lote"])

# Column names that hold the complaint, in order of preference (compared without case or accents).
TEXT_COLUMNS = ("texto", "queja", "comentario", "descripcion", "mensaje", "text")
MAX_FILE_BYTES = 20 * 1024 * 1024
CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
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
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ") if value.time().isoformat() != "00:00:00" else value.date().isoformat()
    return str(value)


def _looks_like_text(values: pd.Series) -> bool:
    """True when most non-empty cells are strings that are not numbers."""
    cells = [v for v in values.tolist() if isinstance(v, str) and v.strip()]
    if not cells:
        return False
    numeric = pd.to_numeric(pd.Series(cells).str.replace(",", ".", regex=False), errors="coerce").notna().sum()
    return numeric < len(cells) / 2


def detect_text_column(frame: pd.DataFrame) -> str:
    """The complaint column: a known name first, else the first column that holds text."""
    folded = {_fold(str(c)): str(c) for c in reversed(list(frame.columns))}
    for name in TEXT_COLUMNS:
        if name in folded:
            return folded[name]
    for column in frame.columns:
        if _looks_like_text(frame[column]):
            return str(column)
    raise ApiError(
        422,
        "no_text_column",
        "No se encontró ninguna columna con texto. Llame a la columna de las quejas «texto», «queja» o «comentario».",
    )


def _read_csv(data: bytes) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - latin-1 decodes any byte string
        raise ApiError(422, "bad_file", "No se pudo leer el CSV: guárdelo con codificación UTF-8.")
    separator = guess_separator(text)
    try:
        records = [
            row for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise ApiError(422, "bad_file", f"No se pudo leer el CSV: {exc}.") from None
    if not records:
        raise ApiError(422, "empty_file", "El archivo está vacío.")
    header, rows = records[0], records[1:]
    for number, row in enumerate(rows, start=2):
        if len(row) > len(header):
            raise ApiError(
                422,
                "bad_file",
                f"La fila {number} del CSV tiene {len(row)} campos y la cabecera {len(header)}. Si un texto contiene "
                f'el separador «{separator}», póngalo entre comillas ("...").',
            )
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


def _read_xlsx(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_excel(io.BytesIO(data), engine="openpyxl", sheet_name=0)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken file
        raise ApiError(422, "bad_file", f"No se pudo leer el Excel: {type(exc).__name__}: {exc}") from None


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
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ApiError(413, "file_too_large", f"El archivo pesa más de {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if not data.strip():
        raise ApiError(422, "empty_file", "El archivo está vacío.")
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        frame = _read_xlsx(data)
    elif lower.endswith((".csv", ".txt", ".tsv")) or not lower.rpartition(".")[1]:
        frame = _read_csv(data)
    else:
        raise ApiError(415, "unsupported_file", "Formato no admitido: suba un archivo .csv o .xlsx.")
    frame = frame.dropna(how="all")
    if frame.columns.empty or frame.empty:
        raise ApiError(422, "empty_file", "El archivo no tiene filas de datos.")
    limit = state.settings.max_upload_rows
    if len(frame) > limit:
        raise ApiError(
            413,
            "too_many_rows",
            f"El archivo tiene {len(frame)} filas y el máximo es {limit}. Divídalo en archivos más pequeños.",
        )
    text_column = detect_text_column(frame)
    columns = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return ParsedFile(filename=name, columns=columns, text_column=text_column, rows=rows)
