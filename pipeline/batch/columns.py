"""The labelled-file schema: which column holds the complaint, and the result columns added after it.

`quejas label` writes these columns, the page's batch download writes the same ones, and `quejas report`
reads them back through this module, so a file labelled anywhere can be reported. Cause and risk ids
come from the taxonomy of the model that labels (its folder's taxonomy.yaml, else pipeline/taxonomy.yaml);
a new cause or risk adds its ``score_<id>`` / ``risk_<id>`` column here without any other change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.batch.errors import BatchError
from pipeline.folding import fold
from pipeline.taxonomy import TAXONOMY, Taxonomy

# Column names looked for, in this order, when --text-column is not given (compared without case or accents).
TEXT_COLUMN_CANDIDATES: tuple[str, ...] = ("texto", "queja", "comentario", "descripcion", "mensaje", "text")

# The result columns every labelled file has held since the first version: enough to count causes,
# groups, sentiment and errors. Newer columns (priority, score_<id>, risk_<id>) are optional to a reader,
# so files labelled by an older version can still be reported.
CORE_RESULT_COLUMNS: tuple[str, ...] = ("causes", "group", "sentiment", "sentiment_score", "error")

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


def score_column(cause_id: str) -> str:
    """The column with the model's probability for one cause, whether or not it was detected."""
    return f"score_{cause_id}"


def score_columns(columns: Sequence[str]) -> dict[str, str]:
    """Cause id -> ``score_<id>`` column of a labelled file: the causes of the model that labelled it, whichever
    taxonomy that was."""
    return {c.removeprefix("score_"): c for c in columns if c.startswith("score_") and len(c) > len("score_")}


def risk_column(risk_id: str) -> str:
    """The column with one risk flag (true/false)."""
    return f"risk_{risk_id}"


def added_columns(taxonomy: Taxonomy = TAXONOMY) -> list[str]:
    """The result columns appended to every row, in output order; cause and risk ids come from the taxonomy of
    the model that labels."""
    return [
        "causes",
        "primary_cause",
        "group",
        "uncertainty",
        *(score_column(c) for c in taxonomy.cause_ids),
        "sentiment",
        "sentiment_score",
        *(risk_column(r) for r in taxonomy.risk_ids),
        "priority",
        "entities",
        "model_version",
        "error",
    ]


def added_arrow_schema(taxonomy: Taxonomy = TAXONOMY) -> pa.Schema:
    """Arrow types of the result columns, so Parquet output has numbers and booleans, not strings."""

    types = {score_column(c): pa.float64() for c in taxonomy.cause_ids}
    types.update({risk_column(r): pa.bool_() for r in taxonomy.risk_ids})
    types["sentiment_score"] = pa.float64()
    types["uncertainty"] = pa.float64()
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in added_columns(taxonomy)])


def fold_name(name: object) -> str:
    """Column names compare without case, accents or surrounding spaces: "Descripción " is "DESCRIPCION"."""
    return fold(str(name).strip())


def list_columns(columns: Sequence[object]) -> str:
    return ", ".join(repr(str(c)) for c in columns) if columns else "(no columns)"


def find_column(
    columns: Sequence[str], candidates: Sequence[str], requested: str | None = None, what: str = ""
) -> str | None:
    """``requested`` (exact, then without case or accents), else the first column named like a candidate.

    Candidates are tried in their order of preference; None when no column is named like any of them.
    """
    if requested is not None:
        if requested in columns:
            return requested
        matches = [c for c in columns if fold_name(c) == fold_name(requested)]
        if len(matches) == 1:
            return matches[0]
        kind = f"{what} column" if what else "column"
        raise BatchError(f"no {kind} {requested!r} in the input; its columns are: {list_columns(columns)}")
    folded: dict[str, str] = {}
    for column in columns:
        folded.setdefault(fold_name(column), column)
    return next((folded[c] for c in candidates if c in folded), None)


def find_text_column(columns: list[str], requested: str | None = None, sample: pd.DataFrame | None = None) -> str:
    """The column holding the complaint text: ``requested``, else a common name, else (given rows) by content.

    `quejas label` passes no ``sample``: a run over a million rows should not start on a guessed column,
    so without a known name it stops and asks for --text-column. The page passes the uploaded rows and
    shows the guess, which the user can change before labelling.
    """
    found = find_column(columns, TEXT_COLUMN_CANDIDATES, requested)
    if found is None and sample is not None:
        found = _wordiest_column(sample)
    if found is None:
        raise BatchError(
            f"could not find the text column (looked for {', '.join(TEXT_COLUMN_CANDIDATES)}); "
            f"the input has: {list_columns(columns)}; pass --text-column NAME"
        )
    return found


def _letter_share(cell: str) -> float:
    visible = [ch for ch in cell if not ch.isspace()]
    return sum(ch.isalpha() for ch in visible) / len(visible) if visible else 0.0


def _text_score(values: list[Any]) -> float:
    """Mean length of the column's cells when most of them are mostly letters, else 0.

    Ids ("PED-48213", "A001"), amounts and dates are mostly digits and signs, so they score 0 and are
    never taken for the complaint; among the columns of words the longest wins (a complaint is longer
    than a channel name or a city).
    """
    cells = [c for c in ("" if v is None else str(v).strip() for v in values) if c]
    if not cells:
        return 0.0
    wordy = sum(_letter_share(c) >= 0.5 for c in cells)
    return sum(len(c) for c in cells) / len(cells) if wordy >= len(cells) / 2 else 0.0


def _wordiest_column(sample: pd.DataFrame) -> str | None:
    scores = {str(column): _text_score(sample[column].tolist()) for column in sample.columns}
    best = max(scores, key=lambda column: scores[column]) if scores else None
    return best if best is not None and scores[best] > 0 else None
