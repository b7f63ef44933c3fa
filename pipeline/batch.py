"""Label files of historical complaints: `quejas label INPUT -o OUTPUT`.

The input (CSV, TSV, JSONL, Parquet or XLSX) is read in chunks of ``chunk_size`` rows, so a file of a
million rows never sits in memory whole. Every finished chunk is written atomically as a part file in a
sidecar folder ``<output>.parts/`` next to a manifest (input path, size, mtime and the options that
change the result). A run that is interrupted (Ctrl-C, kill -9, a crash) is resumed by running the same
command again: chunks with a part file are skipped, the rest are labelled, then the parts are
concatenated into the output and the sidecar is removed. No row is lost or written twice: each part's
row count and SHA-256 are recorded before it is written and checked before it is trusted (a damaged
part is named and labelled again), and a lock next to the output stops a second run on the same output.

Each output row is the input row unchanged (same columns, same order, same values) plus the result
columns from `added_columns()`. Rows whose text cannot be analysed (empty, missing, a number, too long,
undecodable bytes, an unreadable JSON line) get an ``error`` kind and empty result columns; they are
counted in the summary instead of stopping the run; so is a CSV row with more fields than the header.
CSV output escapes cells a spreadsheet would run as formulas (`pipeline.spreadsheet_safety`).

Two engines produce the same rows: ``local`` runs the `Analyzer` in this process; ``ray`` runs the same
`Analyzer` inside Ray Data ``map_batches`` with an actor pool (one model load per actor), on a local Ray
instance or a cluster.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.folding import fold
from pipeline.spreadsheet_safety import escape_cell, escape_frame
from pipeline.taxonomy import TAXONOMY
from pipeline.text_checks import has_letters

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from pipeline.analyzer import Analyzer

# Column names looked for, in this order, when --text-column is not given (compared without case or accents).
TEXT_COLUMN_CANDIDATES: tuple[str, ...] = ("texto", "queja", "comentario", "descripcion", "mensaje", "text")

INPUT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
OUTPUT_FORMATS: dict[str, str] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}

# Why a row was not analysed; the value of the ``error`` column and the keys of the summary.
ERROR_KINDS: dict[str, str] = {
    "missing": "no value (empty cell, null, NaN)",
    "empty": "empty or only whitespace",
    "not_text": "not text (a number, a date, a list, or no letters at all)",
    "too_long": "longer than --max-chars",
    "undecodable": "bytes that are not valid in the input encoding",
    "invalid_json": "JSONL line that is not a JSON object",
    "malformed_row": "CSV row with more fields than the header (an unquoted separator?); first fields kept",
    "analysis_failed": "the model raised an error on this text",
}
_NA_TOKENS = {"nan", "null", "none", "n/a", "na", "#n/a", "<na>"}
_READ_ERROR = "__quejas_read_error__"  # reader-side error column; removed before output
log = logging.getLogger("quejas.batch")

PARTS_SUFFIX = ".parts"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 2  # 2: parts carry a checksum; CSV cells are escaped against formula injection


class BatchError(ValueError):
    """A problem the user can fix (unknown format, missing column, stale progress); the message says how."""


# --------------------------------------------------------------------------------------------------- columns


def score_column(cause_id: str) -> str:
    return f"score_{cause_id}"


def risk_column(risk_id: str) -> str:
    return f"risk_{risk_id}"


def added_columns() -> list[str]:
    """The result columns appended to every row, in output order; cause and risk ids come from the taxonomy."""
    return [
        "causes",
        "primary_cause",
        "group",
        *(score_column(c) for c in TAXONOMY.cause_ids),
        "sentiment",
        "sentiment_score",
        *(risk_column(r) for r in TAXONOMY.risk_ids),
        "priority",
        "entities",
        "model_version",
        "error",
    ]


def _added_arrow_schema():
    import pyarrow as pa

    types = {score_column(c): pa.float64() for c in TAXONOMY.cause_ids}
    types.update({risk_column(r): pa.bool_() for r in TAXONOMY.risk_ids})
    types["sentiment_score"] = pa.float64()
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in added_columns()])


def _fold(name: str) -> str:
    """Column names compare without case, accents or surrounding spaces: "Descripción " is "DESCRIPCION"."""
    return fold(str(name).strip())


def find_text_column(columns: list[str], requested: str | None = None) -> str:
    """The column holding the complaint text: ``requested`` (exact, then case-insensitive) or a common name."""
    if requested is not None:
        if requested in columns:
            return requested
        matches = [c for c in columns if _fold(c) == _fold(requested)]
        if len(matches) == 1:
            return matches[0]
        raise BatchError(f"no column {requested!r} in the input; its columns are: {_list(columns)}")
    folded = {}
    for column in columns:
        folded.setdefault(_fold(column), column)
    for candidate in TEXT_COLUMN_CANDIDATES:
        if candidate in folded:
            return folded[candidate]
    raise BatchError(
        f"could not find the text column (looked for {', '.join(TEXT_COLUMN_CANDIDATES)}); "
        f"the input has: {_list(columns)}; pass --text-column NAME"
    )


def _list(columns: list[str]) -> str:
    return ", ".join(repr(str(c)) for c in columns) if columns else "(no columns)"


# --------------------------------------------------------------------------------------------------- formats


def input_format(path: Path) -> str:
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchError(f"cannot read {path.name}: use one of {', '.join(sorted(INPUT_FORMATS))}")
    return fmt


def output_format(path: Path, override: str | None = None) -> str:
    if override is not None:
        fmt = override.lower().lstrip(".")
        if fmt not in set(OUTPUT_FORMATS.values()):
            raise BatchError(f"--format must be csv, jsonl or parquet, not {override!r}")
        return fmt
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchError(f"cannot tell the output format from {path.name!r}; end it in .csv, .jsonl or .parquet "
                         "or pass --format")
    return fmt


def _encoding(encoding: str) -> str:
    # utf-8-sig reads plain UTF-8 too and drops the BOM that Excel puts at the start of exported CSV files.
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


# --------------------------------------------------------------------------------------------------- readers


@dataclass(frozen=True)
class InputInfo:
    columns: list[str]
    rows: int | None  # None when it cannot be known cheaply (only the progress bar's ETA needs it)


def scan_input(path: Path, fmt: str, encoding: str = "utf-8") -> InputInfo:
    """Column names and row count, read without keeping rows in memory."""
    if fmt in ("csv", "tsv"):
        sep = "\t" if fmt == "tsv" else ","
        options = dict(sep=sep, dtype=str, keep_default_na=False, encoding=_encoding(encoding),
                       encoding_errors="replace")
        try:
            columns = list(pd.read_csv(path, nrows=0, **options).columns)
        except pd.errors.EmptyDataError:
            return InputInfo([], 0)
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
                item = _parse_json_line(raw, encoding)
                if isinstance(item, dict):
                    keys.update(dict.fromkeys(item))
        return InputInfo(list(keys), rows)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        return InputInfo(list(parquet.schema_arrow.names), parquet.metadata.num_rows)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            header = next(sheet.iter_rows(values_only=True, max_row=1), None)
            rows = sheet.max_row - 1 if sheet.max_row else None
            return InputInfo(_xlsx_header(header), max(rows, 0) if rows is not None else None)
        finally:
            book.close()
    raise BatchError(f"unknown input format {fmt!r}")


def _xlsx_header(header: tuple | None) -> list[str]:
    names: list[str] = []
    for i, value in enumerate(header or ()):
        name = str(value).strip() if value is not None else ""
        names.append(name or f"columna_{i + 1}")
    while names and names[-1].startswith("columna_") and header[len(names) - 1] is None:
        names.pop()  # trailing empty header cells are formatting, not columns
    return names


def _parse_json_line(raw: bytes, encoding: str) -> Any:
    try:
        line = raw.decode(_encoding(encoding))
    except UnicodeDecodeError:
        line = raw.decode(_encoding(encoding), errors="replace")  # the text check reports it as undecodable
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
    if fmt in ("csv", "tsv"):
        rows = _csv_rows(path, fmt, len(columns), encoding) if columns else iter(())
        frames = _rows_to_frames(rows, columns + [_READ_ERROR], chunk_size)
    elif fmt == "jsonl":
        frames = _rows_to_frames(_jsonl_rows(path, columns, encoding), columns + [_READ_ERROR], chunk_size)
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


def _csv_rows(path: Path, fmt: str, width: int, encoding: str) -> Iterator[list]:
    """Data rows as lists of ``width`` strings plus the reader's error (None, or ``malformed_row``).

    The header line and blank lines are skipped, as pandas does. A row with more fields than the header
    (an unquoted separator inside a text) keeps its first ``width`` fields and is marked
    ``malformed_row`` instead of stopping the whole run; a shorter row is padded with empty cells.
    """
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a long complaint is a row error, not a crash
    with open(path, encoding=_encoding(encoding), errors="replace", newline="") as fh:
        header_seen = False
        for row in csv.reader(fh, delimiter="\t" if fmt == "tsv" else ","):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if not header_seen:
                header_seen = True
            elif len(row) > width:
                yield row[:width] + ["malformed_row"]
            else:
                yield row + [""] * (width - len(row)) + [None]


def _jsonl_rows(path: Path, columns: list[str], encoding: str) -> Iterator[list]:
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            item = _parse_json_line(raw, encoding)
            if isinstance(item, dict):
                yield [item.get(c) for c in columns] + [None]
            else:
                yield [None] * len(columns) + ["invalid_json"]


def _xlsx_rows(path: Path, width: int) -> Iterator[list]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True, min_row=2)
        for row in rows:
            values = list(row[:width]) + [None] * (width - len(row))
            if all(v is None for v in row):
                continue  # a blank spreadsheet row is not a complaint (blank CSV lines are skipped too)
            yield values
    finally:
        book.close()


def _parquet_frames(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

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


# --------------------------------------------------------------------------------------------------- labelling


def text_problem(value: Any, max_chars: int) -> str | None:
    """The error kind for a value that cannot be analysed, or None when it is a text worth analysing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "missing"
    if isinstance(value, float) and math.isnan(value):
        return "missing"
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return "undecodable"
    if not isinstance(value, str):
        return "not_text"
    stripped = value.strip()
    if not stripped:
        return "empty"
    if "\ufffd" in value:
        return "undecodable"
    if stripped.casefold() in _NA_TOKENS:
        return "missing"
    if not has_letters(stripped):
        return "not_text"
    if len(value) > max_chars:
        return "too_long"
    return None


def label_texts(analyzer: Analyzer, texts: list[str], batch_size: int = 32) -> list[dict]:
    """Result columns (see `added_columns`) for valid texts, in order; one forward pass per batch.

    Uses the same steps as `Analyzer.analyze` (probabilities, thresholds, entities) but keeps the
    probability of every cause, not only the detected ones, for the ``score_<id>`` columns.
    """
    if not texts:
        return []
    from pipeline.entities import extract_entities

    probs = analyzer.probabilities(texts, batch_size)
    index = {cause: j for j, cause in enumerate(analyzer.config.causes)}
    records = []
    for i, text in enumerate(texts):
        analysis = analyzer.analysis_at(probs, i)
        analysis.entities = extract_entities(text)
        record = {
            "causes": ";".join(analysis.cause_ids),
            "primary_cause": analysis.primary_cause or "",
            "group": analysis.group,
        }
        for cause in TAXONOMY.cause_ids:
            j = index.get(cause)
            record[score_column(cause)] = float(probs.causes[i][j]) if j is not None else None
        record["sentiment"] = analysis.sentiment.label
        record["sentiment_score"] = analysis.sentiment.score
        for risk in TAXONOMY.risk_ids:
            record[risk_column(risk)] = bool(getattr(analysis.risk, risk))
        record["priority"] = analysis.priority
        record["entities"] = analysis.entities.model_dump_json()
        record["model_version"] = analysis.model.version
        record["error"] = None
        records.append(record)
    return records


def label_texts_safely(analyzer: Analyzer, texts: list[str], batch_size: int = 32) -> list[dict]:
    """`label_texts`, falling back to one text at a time so one failing text cannot stop the run.

    When every text of the chunk fails on its own too, the problem is not the data (a broken model, out of
    memory): the error is raised instead of writing a file of ``analysis_failed`` rows.
    """
    try:
        return label_texts(analyzer, texts, batch_size)
    except Exception as batch_error:
        records, failures = [], 0
        for text in texts:
            try:
                records.extend(label_texts(analyzer, [text], batch_size))
            except Exception:
                records.append(_error_record("analysis_failed"))
                failures += 1
        if failures == len(texts):
            raise batch_error
        return records


def _error_record(kind: str) -> dict:
    record = dict.fromkeys(added_columns())
    record["error"] = kind
    return record


@dataclass
class Chunk:
    """One chunk of input rows, its number in the file, and which rows go to the model."""

    number: int
    frame: pd.DataFrame
    errors: list[str | None]
    texts: list[str]  # the texts of rows without an error, in row order


def prepare_chunk(number: int, frame: pd.DataFrame, text_column: str, max_chars: int) -> Chunk:
    read_errors = frame.pop(_READ_ERROR).tolist() if _READ_ERROR in frame.columns else [None] * len(frame)
    errors: list[str | None] = []
    texts: list[str] = []
    for value, read_error in zip(frame[text_column].tolist(), read_errors):
        problem = read_error or text_problem(value, max_chars)
        errors.append(problem)
        if problem is None:
            texts.append(value.decode("utf-8") if isinstance(value, bytes) else value)
    return Chunk(number, frame, errors, texts)


def result_frame(chunk: Chunk, records: list[dict]) -> pd.DataFrame:
    """The input rows of ``chunk`` followed by the result columns, error rows with empty results."""
    if len(records) != len(chunk.texts):
        raise RuntimeError(f"chunk {chunk.number}: {len(records)} results for {len(chunk.texts)} texts")
    results = iter(records)
    rows = [next(results) if error is None else _error_record(error) for error in chunk.errors]
    added = pd.DataFrame(rows, columns=added_columns(), index=chunk.frame.index, dtype=object)
    return pd.concat([chunk.frame, added], axis=1)


def chunk_stats(labelled: pd.DataFrame) -> dict:
    errors = labelled["error"]
    ok = errors.isna()
    causes: Counter[str] = Counter()
    for value in labelled.loc[ok, "causes"]:
        if value:
            causes.update(value.split(";"))
    return {
        "rows": len(labelled),
        "labelled": int(ok.sum()),
        "errors": {str(k): int(v) for k, v in errors[~ok].value_counts().items()},
        "causes": dict(causes),
    }


# --------------------------------------------------------------------------------------------------- engines


class LocalEngine:
    """The Analyzer in this process, one chunk at a time."""

    name = "local"

    def __init__(self, analyzer: Analyzer, batch_size: int = 32):
        self.analyzer = analyzer
        self.batch_size = batch_size

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        for chunk in chunks:
            yield chunk, label_texts_safely(self.analyzer, chunk.texts, self.batch_size)

    def close(self) -> None:
        pass


class RayAnalyzerActor:
    """Ray Data actor: loads the Analyzer once, then labels the texts of whole chunks."""

    def __init__(self, model_path: str, device: str, batch_size: int, quantize: bool, threads: int, bf16: bool = False):
        import torch

        from pipeline.analyzer import Analyzer

        torch.set_num_threads(max(1, threads))
        self.analyzer = Analyzer.load(model_path, device=device, quantize=quantize, bf16=bf16)
        self.batch_size = batch_size

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        # One model call per chunk, as in the local engine, so batching (and hence every float) is the same.
        frames = []
        for number, group in batch.groupby("_chunk", sort=False):
            records = label_texts_safely(self.analyzer, group["_text"].tolist(), self.batch_size)
            out = pd.DataFrame(records, columns=added_columns())
            out.insert(0, "_chunk", number)
            out.insert(1, "_pos", group["_pos"].to_numpy())
            frames.append(out)
        return pd.concat(frames, ignore_index=True)


class RayEngine:
    """The same Analyzer inside Ray Data ``map_batches`` with an actor pool, a window of chunks at a time.

    The driver reads the file (bounded memory, same readers as the local engine) and sends only the texts
    of ``window`` chunks per Ray Dataset, one block per chunk; results come back and are joined to the
    input rows here, so output content and order are those of the local engine.
    """

    name = "ray"

    def __init__(
        self,
        model_path: Path,
        device: str = "cpu",
        batch_size: int = 32,
        quantize: bool = False,
        bf16: bool = False,
        address: str | None = None,
        num_cpus: int | None = None,
        actors: int | None = None,
        cpus_per_actor: float = 1,
        window: int | None = None,
    ):
        import ray

        self._started = False
        if not ray.is_initialized():
            init: dict[str, Any] = {
                "address": address,
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            if address is None and num_cpus is not None:
                init["num_cpus"] = num_cpus
            ray.init(**init)
            self._started = True
        cluster_cpus = ray.cluster_resources().get("CPU", 1)
        self.actors = actors or max(1, int(cluster_cpus // cpus_per_actor))
        self.cpus_per_actor = cpus_per_actor
        self.window = window or 4 * self.actors
        self.constructor = {
            "model_path": str(Path(model_path).resolve()),
            "device": device,
            "batch_size": batch_size,
            "quantize": quantize,
            "bf16": bf16,
            "threads": max(1, int(cpus_per_actor)),
        }

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        window: list[Chunk] = []
        for chunk in chunks:
            window.append(chunk)
            if len(window) >= self.window:
                yield from self._run_window(window)
                window = []
        if window:
            yield from self._run_window(window)

    def _run_window(self, window: list[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        import ray.data

        blocks = [
            pd.DataFrame({"_chunk": chunk.number, "_pos": np.arange(len(chunk.texts)), "_text": chunk.texts})
            for chunk in window
            if chunk.texts
        ]
        by_chunk: dict[int, list[dict]] = {}
        if blocks:
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True
            context.enable_progress_bars = False
            _quiet_ray_data_console()
            dataset = ray.data.from_pandas(blocks).map_batches(
                RayAnalyzerActor,
                batch_size=None,  # a whole block (one chunk) per call
                batch_format="pandas",
                compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(blocks))),
                num_cpus=self.cpus_per_actor,
                fn_constructor_kwargs=self.constructor,
            )
            results = dataset.to_pandas().sort_values(["_chunk", "_pos"], kind="stable")
            for number, group in results.groupby("_chunk", sort=False):
                records = group[added_columns()].astype(object).to_dict("records")
                by_chunk[int(number)] = [{k: _from_ray(v) for k, v in r.items()} for r in records]
        for chunk in window:
            yield chunk, by_chunk.get(chunk.number, [])

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()


def _quiet_ray_data_console() -> None:
    """Ray Data logs a few INFO lines per Dataset to the console; keep them in its log file only."""
    for handler in logging.getLogger("ray.data").handlers:
        if not isinstance(handler, logging.FileHandler) and "File" not in type(handler).__name__:
            handler.setLevel(logging.WARNING)


def _from_ray(value: Any) -> Any:
    """Arrow round trips turn None into NaN in float columns and numpy scalars into numpy types."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# --------------------------------------------------------------------------------------------------- parts


def parts_folder(output: Path) -> Path:
    return output.with_name(output.name + PARTS_SUFFIX)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    _fsync(tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class PartStore:
    """Finished chunks as part files in ``<output>.parts/`` plus a manifest that says what they belong to.

    Each part has an entry ``part-N.stats.json`` (its summary counts, row count and SHA-256), written before
    the part file appears. A resumed run checks every part against its entry before trusting it: a part
    that was truncated, overwritten or has an unreadable entry is reported by name and labelled again, so
    the joined output never misses or garbles a row.
    """

    def __init__(
        self, output: Path, manifest: dict, fmt: str, restart: bool = False, warn: Callable[[str], None] | None = None
    ):
        self.output = output
        self.folder = parts_folder(output)
        self.fmt = fmt
        self.manifest = manifest
        self.warn = warn or log.warning
        if restart and self.folder.exists():
            shutil.rmtree(self.folder)
        if self.folder.exists():
            self._check_manifest()
            for leftover in self.folder.glob("*.tmp"):
                leftover.unlink()  # a part that was being written when the run stopped
        else:
            self.folder.mkdir(parents=True)
            _atomic_write(self.folder / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2) + "\n"))

    def _check_manifest(self) -> None:
        path = self.folder / MANIFEST
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(previous, dict):
                raise ValueError("not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BatchError(f"the progress manifest {path} is missing or damaged ({type(exc).__name__}); pass "
                             "--restart to start over (or remove the folder)") from None
        if previous != self.manifest:
            changed = sorted(k for k in set(previous) | set(self.manifest) if previous.get(k) != self.manifest.get(k))
            raise BatchError(f"{self.folder} holds progress from a run with a different {', '.join(changed)}; "
                             "run the same command as before to resume, or pass --restart to start over")

    def _part(self, number: int) -> Path:
        return self.folder / f"part-{number:06d}.{self.fmt}"

    def _stats(self, number: int) -> Path:
        return self.folder / f"part-{number:06d}.stats.json"

    def done(self) -> set[int]:
        """Numbers of the chunks whose part file matches its entry; damaged parts are removed (and redone)."""
        done = set()
        for path in sorted(self.folder.glob(f"part-*.{self.fmt}")):
            try:
                number = int(path.name.split(".")[0].removeprefix("part-"))
            except ValueError:
                continue  # not a part of ours
            problem = self._verify(number)
            if problem is None:
                done.add(number)
                continue
            self.warn(f"{problem}; chunk {number} will be labelled again (pass --restart to redo every chunk)")
            path.unlink(missing_ok=True)
            self._stats(number).unlink(missing_ok=True)
        return done

    def _verify(self, number: int) -> str | None:
        """Why part ``number`` cannot be trusted, or None when its size, checksum and row count match its entry."""
        part, entry = self._part(number), self._stats(number)
        try:
            stats = json.loads(entry.read_text(encoding="utf-8"))
            expected = (int(stats["rows"]), str(stats["sha256"]), int(stats["bytes"]))
        except FileNotFoundError:
            return f"part {part} has no entry {entry.name}"
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            return f"the entry {entry} is damaged ({type(exc).__name__})"
        rows, digest, size = expected
        if part.stat().st_size != size or _sha256(part) != digest:
            return f"part {part} does not match its checksum (truncated or changed since it was written)"
        try:
            counted = _count_rows(part, self.fmt)
        except Exception as exc:  # noqa: BLE001 - any reader error means the part cannot be used
            return f"part {part} cannot be read ({type(exc).__name__})"
        if counted != rows:
            return f"part {part} holds {counted} rows, its entry says {rows}"
        return None

    def stats(self, number: int) -> dict:
        return json.loads(self._stats(number).read_text(encoding="utf-8"))

    def write(self, number: int, labelled: pd.DataFrame, stats: dict) -> None:
        # Entry first, data second: a part file that exists always has the entry that verifies it.
        part = self._part(number)
        tmp = part.with_name(part.name + ".tmp")
        _write_part(labelled, tmp, self.fmt)
        _fsync(tmp)
        entry = {**stats, "sha256": _sha256(tmp), "bytes": tmp.stat().st_size}
        _atomic_write(self._stats(number), lambda p: p.write_text(json.dumps(entry), encoding="utf-8"))
        os.replace(tmp, part)

    def finish(self, chunks: int, columns: list[str]) -> None:
        """Concatenate parts 0..chunks-1 into the output (atomically), then remove the sidecar folder."""
        missing = [n for n in range(chunks) if not self._part(n).exists()]
        if missing:
            raise RuntimeError(f"parts {missing[:5]} are missing in {self.folder}; run again to label them")
        parts = [self._part(n) for n in range(chunks)]
        _atomic_write(self.output, lambda p: _concatenate(parts, p, self.fmt, columns))
        shutil.rmtree(self.folder)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count_rows(path: Path, fmt: str) -> int:
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.reader(fh))
    if fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Held for a whole run on ``output``: a second `quejas label` on the same output stops with a clear message.

    The lock file sits next to the output (not in the parts folder, which --restart deletes) and is
    removed when the run leaves no progress behind.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(output.with_name(output.name + ".lock")), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BatchError(f"another `quejas label` is writing {output} (it holds {lock.lock_file}); wait for it to "
                         "finish or stop it, or write to another output") from None
    try:
        yield
    finally:
        lock.release()
        if not parts_folder(output).exists():
            Path(lock.lock_file).unlink(missing_ok=True)


def _write_part(labelled: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        # CRLF line ends (RFC 4180, what spreadsheets write): a cell holding a bare "\r" is then quoted, so no
        # spreadsheet can read it as a line break that starts a new row with a formula.
        escape_frame(labelled).to_csv(path, header=False, index=False, lineterminator="\r\n")
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            columns = list(labelled.columns)
            for row in labelled.itertuples(index=False, name=None):
                item = {c: _json_value(v) for c, v in zip(columns, row)}
                fh.write(json.dumps(item, ensure_ascii=False, default=_json_default) + "\n")
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(_to_arrow(labelled), path)
    else:
        raise BatchError(f"unknown output format {fmt!r}")


def _to_arrow(labelled: pd.DataFrame):
    import pyarrow as pa

    added = _added_arrow_schema()
    original = labelled.drop(columns=added.names)
    try:
        table = pa.Table.from_pandas(original, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BatchError(f"cannot write Parquet: a column mixes value types ({exc}); write .csv or .jsonl instead") \
            from None
    for target in added:
        values = [_json_value(v) for v in labelled[target.name].tolist()]
        table = table.append_column(target, pa.array(values, type=target.type))
    return table


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _concatenate(parts: list[Path], target: Path, fmt: str, columns: list[str]) -> None:
    if fmt in ("csv", "jsonl"):
        with open(target, "wb") as out:
            if fmt == "csv":
                header = pd.DataFrame(columns=[escape_cell(c) for c in columns])
                out.write(header.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, length=1 << 20)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not parts:
        original = pa.schema([pa.field(c, pa.string()) for c in columns if c not in set(added_columns())])
        schema = pa.unify_schemas([original, _added_arrow_schema()])
        pq.write_table(schema.empty_table(), target)
        return
    try:
        schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BatchError(f"cannot write Parquet: a column changes type between chunks ({exc}); write .csv or .jsonl "
                         "instead") from None
    schema = schema.remove_metadata()
    with pq.ParquetWriter(target, schema) as writer:
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches():
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))


# --------------------------------------------------------------------------------------------------- driver


@dataclass
class LabelOptions:
    """Options that decide what the output holds (recorded in the manifest) and how the run goes."""

    text_column: str | None = None
    output_format: str | None = None
    chunk_size: int = 1000
    max_chars: int = 5000
    encoding: str = "utf-8"
    restart: bool = False

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise BatchError("--chunk-size must be at least 1")
        if self.max_chars < 1:
            raise BatchError("--max-chars must be at least 1")


@dataclass
class LabelSummary:
    output: Path
    rows: int = 0
    labelled: int = 0
    errors: Counter = field(default_factory=Counter)
    causes: Counter = field(default_factory=Counter)
    resumed_rows: int = 0  # rows labelled by an earlier, interrupted run
    seconds: float = 0.0
    engine: str = "local"

    @property
    def rows_this_run(self) -> int:
        return self.rows - self.resumed_rows

    @property
    def rows_per_second(self) -> float:
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0

    def add(self, stats: dict) -> None:
        self.rows += stats["rows"]
        self.labelled += stats["labelled"]
        self.errors.update(stats["errors"])
        self.causes.update(stats["causes"])


def label_file(
    input_path: Path,
    output_path: Path,
    engine: LocalEngine | RayEngine,
    model_info: dict,
    options: LabelOptions | None = None,
    console: Console | None = None,
    progress: bool = True,
    after_chunk: Callable[[int], None] | None = None,
) -> LabelSummary:
    """Label ``input_path`` into ``output_path``, resuming earlier progress; returns the run summary.

    ``model_info`` (name, version, path) goes into the manifest so a resumed run cannot mix models.
    ``after_chunk(number)`` is called after each part file is written (progress hooks, tests).
    """
    options = options or LabelOptions()
    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise BatchError(f"input file {input_path} does not exist")
    if input_path.resolve() == output_path.resolve():
        raise BatchError("the output must be a different file from the input")
    fmt_in = input_format(input_path)
    fmt_out = output_format(output_path, options.output_format)
    info = scan_input(input_path, fmt_in, options.encoding)
    text_column = find_text_column(info.columns, options.text_column)
    clash = [c for c in added_columns() if c in info.columns]
    if clash:
        raise BatchError(f"the input already has result column(s) {_list(clash)} (is it a labelled file?); "
                         "rename them or label the original file")
    stat = input_path.stat()
    manifest = {
        "version": MANIFEST_VERSION,
        "input": str(input_path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "text_column": text_column,
        "chunk_size": options.chunk_size,
        "max_chars": options.max_chars,
        "encoding": options.encoding,
        "format": fmt_out,
        "model": model_info,
    }
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(output_path):
        store = PartStore(output_path, manifest, fmt_out, restart=options.restart, warn=_warner(console))
        done = store.done()
        summary = LabelSummary(output=output_path, engine=engine.name)
        for number in sorted(done):
            summary.add(store.stats(number))
        summary.resumed_rows = summary.rows
        chunk_count = 0

        def pending() -> Iterator[Chunk]:
            nonlocal chunk_count
            frames = read_chunks(input_path, fmt_in, info.columns, options.chunk_size, options.encoding)
            for number, frame in enumerate(frames):
                chunk_count = number + 1
                if number not in done:
                    yield prepare_chunk(number, frame, text_column, options.max_chars)

        bar = _progress_bar(console, info.rows, summary.rows, input_path.name) if progress else None
        try:
            for chunk, records in engine.run(pending()):
                labelled = result_frame(chunk, records)
                stats = chunk_stats(labelled)
                store.write(chunk.number, labelled, stats)
                summary.add(stats)
                if bar is not None:
                    bar.advance(len(labelled))
                if after_chunk is not None:
                    after_chunk(chunk.number)
        finally:
            if bar is not None:
                bar.stop()
        store.finish(chunk_count, info.columns + added_columns())
    summary.seconds = time.perf_counter() - started
    return summary


def _warner(console: Console | None) -> Callable[[str], None]:
    if console is None:
        return log.warning
    return lambda message: console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


class _Bar:
    def __init__(self, progress, task):
        self.progress, self.task = progress, task

    def advance(self, rows: int) -> None:
        self.progress.advance(self.task, rows)

    def stop(self) -> None:
        self.progress.stop()


def _progress_bar(console: Console | None, total: int | None, done: int, name: str) -> _Bar:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:,.1f} rows/s" if task.speed else "- rows/s", style="progress.data.speed")

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    progress.start()
    task = progress.add_task(name, total=total, completed=done)
    return _Bar(progress, task)


def summary_table(summary: LabelSummary) -> Table:
    from rich.table import Table

    table = Table(title=f"quejas label → {summary.output}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("rows", f"{summary.rows:,}")
    table.add_row("labelled", f"{summary.labelled:,}")
    if summary.resumed_rows:
        table.add_row("resumed from earlier run", f"{summary.resumed_rows:,}")
    error_total = sum(summary.errors.values())
    table.add_row("errors", f"{error_total:,}")
    for kind, count in summary.errors.most_common():
        table.add_row(f"  {kind}", f"{count:,}  [dim]{ERROR_KINDS.get(kind, '')}[/dim]")
    for cause_id, count in summary.causes.most_common(5):
        display = TAXONOMY.cause(cause_id).display if cause_id in TAXONOMY.cause_ids else cause_id
        table.add_row(f"cause: {display}", f"{count:,}")
    table.add_row("engine", summary.engine)
    table.add_row("seconds", f"{summary.seconds:,.1f}")
    table.add_row("rows/s (this run)", f"{summary.rows_per_second:,.1f}")
    return table


def model_manifest(model_path: Path) -> dict:
    """What identifies the model in the manifest: a resumed run must use the same one."""
    from pipeline.model_folder import ModelFolder

    config = ModelFolder(Path(model_path)).read_config()
    return {"name": config.name, "version": config.version, "path": str(Path(model_path).resolve())}


def make_engine(
    engine: str,
    model_path: Path,
    device: str = "auto",
    batch_size: int = 32,
    quantize: bool = False,
    bf16: bool = False,
    ray_address: str | None = None,
    ray_num_cpus: int | None = None,
    ray_actors: int | None = None,
    ray_cpus_per_actor: float = 1,
    ray_window: int | None = None,
) -> LocalEngine | RayEngine:
    """``local``: load the Analyzer here. ``ray``: start/connect Ray; each actor loads the Analyzer itself."""
    if batch_size < 1:
        raise BatchError("--batch-size must be at least 1")
    if engine == "local":
        from pipeline.analyzer import Analyzer

        return LocalEngine(Analyzer.load(model_path, device=device, quantize=quantize, bf16=bf16), batch_size)
    if engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise BatchError('the ray engine needs Ray Data: pip install "quejas[ray]"') from None
        return RayEngine(model_path, device=device, batch_size=batch_size, quantize=quantize, bf16=bf16,
                         address=ray_address,
                         num_cpus=ray_num_cpus, actors=ray_actors, cpus_per_actor=ray_cpus_per_actor,
                         window=ray_window)
    raise BatchError(f"--engine must be local or ray, not {engine!r}")
