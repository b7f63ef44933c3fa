"""Reading a labelled file for the report: its columns through the batch schema, then chunks of only those.

A labelled file is read in chunks and only the columns the report uses, so files of millions of rows
fit in memory. Which columns hold results comes from `pipeline.batch.columns`, the one labelled-file
schema, so a file from `quejas label` or from the page's batch download reads the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.batch.columns import (
    CORE_RESULT_COLUMNS,
    find_column,
    find_text_column,
    fold_name,
    risk_column,
    score_columns,
)
from pipeline.batch.errors import BatchError
from pipeline.batch.formats import labelled_format, text_encoding
from pipeline.batch.labelset import labelset_file, read_labelset
from pipeline.batch.readers import parse_json_line
from pipeline.taxonomy import TAXONOMY, Taxonomy

DATE_COLUMN_CANDIDATES: tuple[str, ...] = (
    "fecha",
    "date",
    "created_at",
    "fecha_creacion",
    "fecha_alta",
    "fecha_queja",
    "fecha_reclamacion",
    "fecha_registro",
    "creado",
    "created",
    "timestamp",
    "datetime",
)
# Breakdown dimension (Spanish title) -> column names looked for, compared without case or accents.
BREAKDOWN_CANDIDATES: dict[str, tuple[str, ...]] = {
    "Canal": ("canal", "channel"),
    "Sector": ("sector", "industria", "industry"),
    "Producto": ("producto", "product", "servicio", "service"),
}
ENCODING = text_encoding("utf-8")  # a labelled CSV saved again by a spreadsheet may start with a BOM


def labelled_columns(path: Path) -> list[str]:
    """The column names of a labelled file, read without reading its rows."""
    fmt = labelled_format(path)
    if fmt == "csv":
        try:
            return list(pd.read_csv(path, nrows=0, encoding=ENCODING).columns)
        except pd.errors.EmptyDataError:
            return []
    if fmt == "jsonl":
        with open(path, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    item = parse_json_line(raw)
                    return list(item) if isinstance(item, dict) else []
        return []

    return list(pq.read_schema(path).names)


def iter_labelled(path: Path, columns: list[str], chunk_size: int = 50_000) -> Iterator[pd.DataFrame]:
    """Frames of ``columns`` only, ``chunk_size`` rows at a time."""
    fmt = labelled_format(path)
    if fmt == "csv":
        # The pandas C parser with usecols: a labelled CSV is well formed (it was written by a CSV writer),
        # so the row-by-row reader `quejas label` needs for hand-made input would only be slower here.
        with pd.read_csv(
            path, usecols=columns, dtype=str, keep_default_na=False, chunksize=chunk_size, encoding=ENCODING
        ) as reader:
            for frame in reader:
                yield frame[columns]
    elif fmt == "jsonl":
        block: list[list] = []
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                item = parse_json_line(raw)
                if not isinstance(item, dict):
                    raise BatchError(
                        f"{path.name} has a line that is not a JSON object; is it a file written by `quejas label`?"
                    )
                block.append([item.get(c) for c in columns])
                if len(block) == chunk_size:
                    yield pd.DataFrame(block, columns=columns, dtype=object)
                    block = []
        if block:
            yield pd.DataFrame(block, columns=columns, dtype=object)
    else:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size, columns=columns):
            yield pa.Table.from_batches([batch]).to_pandas()


def find_date_column(columns: list[str], requested: str | None = None) -> str | None:
    found = find_column(columns, DATE_COLUMN_CANDIDATES, requested, "date")
    if found is None:
        found = next((c for c in columns if fold_name(c).startswith("fecha")), None)
    return found


@dataclass
class ReportColumns:
    """Which columns of a labelled file the report reads, and what each one is."""

    text: str | None
    date: str | None
    breakdowns: dict[str, str] = field(default_factory=dict)  # Spanish title -> column
    risks: dict[str, str] = field(default_factory=dict)  # risk id -> column
    scores: dict[str, str] = field(default_factory=dict)  # cause id -> column
    has_priority: bool = False
    has_model_version: bool = False

    @property
    def wanted(self) -> list[str]:
        names = [*CORE_RESULT_COLUMNS, *self.risks.values(), *self.scores.values()]
        names += [c for c in (self.text, self.date) if c]
        names += ["model_version"] if self.has_model_version else []
        names += ["priority"] if self.has_priority else []
        names += list(self.breakdowns.values())
        return list(dict.fromkeys(names))


def report_columns(path: Path, text_column: str | None = None, date_column: str | None = None) -> ReportColumns:
    """The columns of ``path`` the report uses; a clear error when it is not a labelled file."""
    columns = labelled_columns(path)
    missing = [c for c in CORE_RESULT_COLUMNS if c not in columns]
    if missing:
        raise BatchError(
            f"{path.name} does not look like a file written by `quejas label` (no {', '.join(missing)} "
            "column); label it first: quejas label INPUT -o OUTPUT"
        )
    try:
        text: str | None = find_text_column([c for c in columns if c not in CORE_RESULT_COLUMNS], text_column)
    except BatchError:
        if text_column is not None:
            raise
        text = None  # no examples section content, the rest of the report still works
    date = find_date_column(columns, date_column)
    breakdowns = {}
    for title, candidates in BREAKDOWN_CANDIDATES.items():
        found = find_column(columns, candidates)
        if found is not None and found not in (text, date):
            breakdowns[title] = found
    return ReportColumns(
        text=text,
        date=date,
        breakdowns=breakdowns,
        risks={r: risk_column(r) for r in TAXONOMY.risk_ids if risk_column(r) in columns},
        scores=score_columns(columns),
        has_priority="priority" in columns,
        has_model_version="model_version" in columns,
    )


def _ids(causes: list[str]) -> str:
    return ", ".join(sorted(causes))


def report_taxonomy(path: Path, model: Taxonomy | None = None) -> Taxonomy:
    """The taxonomy that names the causes, groups and priority levels of ``path``.

    Without ``model`` (`quejas report` without --model) it is the one `quejas label` wrote beside the file,
    else the built-in one (files labelled with it, or before label sets were kept). With ``model`` (the
    taxonomy of --model) it is that one, so a model may rename causes or levels for a report, but only when
    it has the same causes as the file: the file's ``score_<id>`` columns (or, without them, its label set)
    say which causes labelled it, and a model with others would put the wrong names or groups on them.
    """
    path = Path(path)
    if not path.is_file():
        raise BatchError(f"labelled file {path} does not exist")
    stored = read_labelset(path)
    scored = list(score_columns(labelled_columns(path)))
    if stored is not None and scored and set(scored) != set(stored.cause_ids):
        raise BatchError(
            f"{labelset_file(path).name} names causes {_ids(stored.cause_ids)} but {path.name} has scores for "
            f"{_ids(scored)}: it belongs to another labelling run; delete it or label the file again"
        )
    if model is None:
        return stored or TAXONOMY
    labelled_with = scored or (stored.cause_ids if stored is not None else [])
    if labelled_with and set(labelled_with) != set(model.cause_ids):
        raise BatchError(
            f"{path.name} was labelled with causes {_ids(labelled_with)}, --model has {_ids(model.cause_ids)}; "
            "pass the model that labelled the file, or leave out --model to use the file's own labels"
        )
    return model
