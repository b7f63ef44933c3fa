"""From input rows to result rows: which texts go to the model, and the result columns of each row.

Rows whose text cannot be analysed (empty, missing, a number, too long, undecodable bytes, an unreadable
JSON line) get an ``error`` kind and empty result columns; they are counted in the summary instead of
stopping the run. The page's batch endpoint uses `text_problem` and `label_texts_safely` too, so a text
gets the same result columns whichever way it is labelled.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.batch.columns import added_columns, risk_column, score_column
from pipeline.batch.readers import READ_ERROR
from pipeline.confidence import uncertainty
from pipeline.taxonomy import TAXONOMY, Taxonomy
from pipeline.text_checks import has_letters

if TYPE_CHECKING:
    from pipeline.analyzer import Analyzer

_NA_TOKENS = {"nan", "null", "none", "n/a", "na", "#n/a", "<na>"}


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
    # Deferred: the entity extractors load spaCy (seconds), which the users of this package's schema
    # (`quejas report`, the page's upload route) do not need.
    from pipeline.entities import extract_entities

    probs = analyzer.probabilities(texts, batch_size)
    uncertain = uncertainty(probs.causes, analyzer.cause_cut)
    index = {cause: j for j, cause in enumerate(analyzer.config.causes)}
    records = []
    for i, text in enumerate(texts):
        analysis = analyzer.analysis_at(probs, i)
        analysis.entities = extract_entities(text)
        record: dict[str, Any] = {
            "causes": ";".join(analysis.cause_ids),
            "primary_cause": analysis.primary_cause or "",
            "group": analysis.group,
            "uncertainty": round(float(uncertain[i]), 4),
        }
        for cause in analyzer.taxonomy.cause_ids:
            j = index.get(cause)
            record[score_column(cause)] = float(probs.causes[i][j]) if j is not None else None
        record["sentiment"] = analysis.sentiment.label
        record["sentiment_score"] = analysis.sentiment.score
        for risk in analyzer.taxonomy.risk_ids:
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
                records.append(error_record("analysis_failed", analyzer.taxonomy))
                failures += 1
        if failures == len(texts):
            raise batch_error
        return records


def error_record(kind: str, taxonomy: Taxonomy = TAXONOMY) -> dict:
    """The result columns of a row that was not analysed: all empty but ``error``."""
    record: dict[str, Any] = dict.fromkeys(added_columns(taxonomy))
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
    read_errors = frame.pop(READ_ERROR).tolist() if READ_ERROR in frame.columns else [None] * len(frame)
    errors: list[str | None] = []
    texts: list[str] = []
    for value, read_error in zip(frame[text_column].tolist(), read_errors):
        problem = read_error or text_problem(value, max_chars)
        errors.append(problem)
        if problem is None:
            texts.append(value.decode("utf-8") if isinstance(value, bytes) else value)
    return Chunk(number, frame, errors, texts)


def result_frame(chunk: Chunk, records: list[dict], taxonomy: Taxonomy = TAXONOMY) -> pd.DataFrame:
    """The input rows of ``chunk`` followed by the result columns, error rows with empty results."""
    if len(records) != len(chunk.texts):
        raise RuntimeError(f"chunk {chunk.number}: {len(records)} results for {len(chunk.texts)} texts")
    results = iter(records)
    rows = [next(results) if error is None else error_record(error, taxonomy) for error in chunk.errors]
    added = pd.DataFrame(rows, columns=added_columns(taxonomy), index=chunk.frame.index, dtype=object)
    return pd.concat([chunk.frame, added], axis=1)


def chunk_stats(labelled: pd.DataFrame) -> dict:
    """The counts a run summary needs from one labelled chunk (also kept next to its part file)."""
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
        "priorities": {str(k): int(v) for k, v in labelled.loc[ok, "priority"].value_counts().items()},
    }
