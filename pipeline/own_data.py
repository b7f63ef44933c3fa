"""A company's own labelled complaints as training records: `quejas train --extra_data FILE...` and `--feedback`.

A company labels in a spreadsheet, not in the corpus's JSONL, and rarely labels everything the corpus
does. So a file (CSV, XLSX, JSONL or Parquet) needs only:

- a text column (``text``, ``texto``, ``mensaje``, ``message``, ``queja`` or ``complaint``), never blank;
- its causes: a ``causes`` column of cause ids separated by ``;`` (what `quejas label` writes; a list in
  JSONL), or one 0/1 column per cause id (``delay``, ``billing_error``, ...): the ids of the taxonomy being
  trained, the built-in one or a `--taxonomy` file. A blank ``causes`` cell, or
  every cause column 0, means the message has no cause (not a complaint), exactly as in the corpus.

and may add:

- ``sentiment`` (negative / neutral / positive) and ``sentiment_score`` (-1..1);
- risks as ``risk_churn`` / ``risk_legal`` / ``risk_public`` 0/1 columns (what `quejas label` writes, all
  three or none), a ``risks`` column of ``;``-separated risk ids, or a corpus-style ``risk`` mapping (JSONL);
- ``sector``.

A missing optional label is unknown, not "no": a row without a sentiment adds no sentiment loss, a row
without risks no risk loss, a row without a score no intensity loss (the masks of pipeline/train.py).
Such a row still teaches its causes. Everything is checked before training starts; every problem names
the file, the row and the bad value (an unknown cause id lists the valid ones), and nothing is skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import QuejasError
from pipeline.feedback.export import corpus_record
from pipeline.feedback.store import FeedbackStore, FeedbackStoreError
from pipeline.taxonomy import RISK_IDS, SENTIMENT_IDS, TAXONOMY, Taxonomy

TEXT_COLUMNS = ("text", "texto", "mensaje", "message", "queja", "complaint")
FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".parquet": "parquet"}
RISK_COLUMNS = {risk: f"risk_{risk}" for risk in RISK_IDS}
DEFAULT_SECTOR = "own"
FEEDBACK_SOURCE = "feedback"
MAX_REPORTED = 10
TRUE_VALUES = {"1", "true", "yes", "si", "sí", "x", "1.0"}
FALSE_VALUES = {"0", "false", "no", "0.0"}


class OwnDataError(QuejasError, ValueError):
    """An own-data file or the corrections store cannot become training records; the message lists why."""


@dataclass(frozen=True)
class OwnRecord:
    """One labelled message of the company. ``None`` marks a label the file does not give (unknown)."""

    id: str
    text: str
    causes: tuple[str, ...]
    sentiment: str | None
    sentiment_score: float | None
    risks: tuple[bool, ...] | None  # one flag per RISK_IDS
    sector: str
    source: str

    @property
    def complete(self) -> bool:
        """Every label the corpus has: such a record can join the splits the blend and baselines read."""
        return self.sentiment is not None and self.risks is not None


class RowProblem(ValueError):
    """One bad value in one row; collected per file so the user sees every problem at once."""


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _flag(value: Any, column: str) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    folded = str(value).strip().lower()
    if folded in TRUE_VALUES:
        return True
    if folded in FALSE_VALUES:
        return False
    raise RowProblem(f"{column}: {value!r} is not 0/1 (or true/false)")


def _ids(value: Any, column: str, valid: list[str]) -> tuple[str, ...]:
    """Ids from a ';'- or ','-separated cell (or a JSON list); unknown or repeated ids are problems."""
    if _blank(value):
        return ()
    if isinstance(value, str):
        items = [part.strip() for part in value.replace(",", ";").split(";")]
    elif isinstance(value, Iterable):
        items = [str(part).strip() for part in value]
    else:
        raise RowProblem(f"{column}: {value!r} is not a list of ids")
    items = [item for item in items if item]
    unknown = [item for item in items if item not in valid]
    if unknown:
        raise RowProblem(f"{column}: unknown id(s) {', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
    if len(set(items)) != len(items):
        raise RowProblem(f"{column}: an id is repeated in {value!r}")
    return tuple(items)


def _causes(row: Mapping[str, Any], columns: list[str], cause_ids: list[str]) -> tuple[str, ...]:
    if "causes" in columns:
        return _ids(row["causes"], "causes", cause_ids)
    return tuple(cause for cause in cause_ids if cause in columns and _flag(row[cause], cause))


def _sentiment(row: Mapping[str, Any]) -> tuple[str | None, float | None]:
    label = row.get("sentiment")
    sentiment = None if _blank(label) else str(label).strip()
    if sentiment is not None and sentiment not in SENTIMENT_IDS:
        raise RowProblem(f"sentiment: {label!r} is not one of {', '.join(SENTIMENT_IDS)}")
    raw = row.get("sentiment_score")
    if raw is None or _blank(raw):
        return sentiment, None
    try:
        score = float(raw)
    except (TypeError, ValueError):
        raise RowProblem(f"sentiment_score: {raw!r} is not a number") from None
    if not -1.0 <= score <= 1.0:
        raise RowProblem(f"sentiment_score: {raw!r} is outside -1..1")
    return sentiment, score


def _risks(row: Mapping[str, Any], columns: list[str]) -> tuple[bool, ...] | None:
    if "risk" in columns and not _blank(row["risk"]):
        given = row["risk"]
        if isinstance(given, str):
            try:
                given = json.loads(given)
            except json.JSONDecodeError:
                raise RowProblem(f'risk: {given!r} is not a mapping like {{"churn": false, ...}}') from None
        if not isinstance(given, Mapping) or set(given) != set(RISK_IDS):
            raise RowProblem(f"risk: {row['risk']!r} must map exactly {', '.join(RISK_IDS)} to true/false")
        flags = [_flag(given[r], f"risk.{r}") for r in RISK_IDS]
        return None if any(f is None for f in flags) else tuple(bool(f) for f in flags)
    if "risks" in columns:
        named = _ids(row["risks"], "risks", RISK_IDS)
        return tuple(risk in named for risk in RISK_IDS)
    if RISK_COLUMNS["churn"] in columns:
        flags = [_flag(row[RISK_COLUMNS[r]], RISK_COLUMNS[r]) for r in RISK_IDS]
        return None if any(f is None for f in flags) else tuple(bool(f) for f in flags)
    return None


def check_columns(columns: list[str], source: str, cause_ids: list[str] | None = None) -> str:
    """The text column's name; raises when the text or the causes (ids of the taxonomy trained) cannot be found."""
    cause_ids = TAXONOMY.cause_ids if cause_ids is None else cause_ids
    lowered = {c.lower(): c for c in columns}
    text = next((lowered[name] for name in TEXT_COLUMNS if name in lowered), None)
    if text is None:
        raise OwnDataError(
            f"{source}: no text column; name it one of {', '.join(TEXT_COLUMNS)} (found: {', '.join(columns)})"
        )
    if "causes" not in columns and not set(cause_ids) & set(columns):
        raise OwnDataError(
            f"{source}: no causes; add a `causes` column of ';'-separated cause ids or one 0/1 column per cause "
            f"id ({', '.join(cause_ids)})"
        )
    present = [c for c in RISK_COLUMNS.values() if c in columns]
    if present and len(present) != len(RISK_COLUMNS):
        missing = sorted(set(RISK_COLUMNS.values()) - set(present))
        raise OwnDataError(f"{source}: risk columns must come all together; missing {', '.join(missing)}")
    return text


def record_from_row(
    row: Mapping[str, Any],
    columns: list[str],
    text_column: str,
    record_id: str,
    source: str,
    taxonomy: Taxonomy = TAXONOMY,
) -> OwnRecord:
    """One row as an `OwnRecord`; raises `RowProblem` naming the column and value."""
    text = row[text_column]
    if _blank(text) or not isinstance(text, str):
        raise RowProblem(f"{text_column}: blank text" if _blank(text) else f"{text_column}: {text!r} is not text")
    sentiment, score = _sentiment(row)
    sector = row.get("sector")
    return OwnRecord(
        id=record_id,
        text=text.strip(),
        causes=_causes(row, columns, taxonomy.cause_ids),
        sentiment=sentiment,
        sentiment_score=score,
        risks=_risks(row, columns),
        sector=DEFAULT_SECTOR if _blank(sector) else str(sector),
        source=source,
    )


def records_from_rows(
    rows: list[dict[str, Any]],
    columns: list[str],
    source: str,
    prefix: str,
    where: Callable[[int], str],
    taxonomy: Taxonomy = TAXONOMY,
) -> list[OwnRecord]:
    """Every row checked against ``taxonomy``; all problems (the first ``MAX_REPORTED`` shown) raised together,
    nothing skipped."""
    text_column = check_columns(columns, source, taxonomy.cause_ids)
    records, problems = [], []
    for i, row in enumerate(rows):
        try:
            records.append(record_from_row(row, columns, text_column, f"{prefix}-{i + 1:05d}", source, taxonomy))
        except RowProblem as exc:
            problems.append(f"{source} {where(i)}: {exc}")
    if problems:
        shown = "\n  ".join(problems[:MAX_REPORTED])
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise OwnDataError(f"{len(problems)} bad row(s) in own data:\n  {shown}{more}")
    return records


def read_table(path: Path) -> pd.DataFrame:
    """The file as a data frame; a missing, unknown or unreadable file is an `OwnDataError` naming it."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OwnDataError(f"{path}: unknown format {path.suffix!r}; use {', '.join(FORMATS)}")
    if not path.is_file():
        raise OwnDataError(f"{path}: no such file")
    try:
        if fmt == "csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if fmt == "xlsx":
            return pd.read_excel(path, dtype=object)
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, dtype=False, encoding="utf-8")
        return pd.read_parquet(path)
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        raise OwnDataError(f"{path}: cannot be read as {fmt}: {exc}") from None


def _location(path: Path) -> Callable[[int], str]:
    """How a spreadsheet user finds row i: the line (header = line 1 in CSV/XLSX) or the Parquet row."""
    fmt = FORMATS[path.suffix.lower()]
    if fmt in ("csv", "xlsx"):
        return lambda i: f"{'line' if fmt == 'csv' else 'row'} {i + 2}"
    return lambda i: f"{'line' if fmt == 'jsonl' else 'row'} {i + 1}"


def read_own_file(path: Path, number: int = 1, taxonomy: Taxonomy = TAXONOMY) -> list[OwnRecord]:
    frame = read_table(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = pd.Index(columns)
    if frame.empty:
        raise OwnDataError(f"{path}: no rows")
    rows = [{str(k): v for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]
    return records_from_rows(rows, columns, path.name, f"own{number}", _location(path), taxonomy)


def feedback_url(url: str | None = None) -> str | None:
    """The store the service writes to: the given URL, else QUEJAS_FEEDBACK_URL, else the store's default."""
    return url or os.environ.get("QUEJAS_FEEDBACK_URL") or None


def feedback_records(url: str | None = None, taxonomy: Taxonomy = TAXONOMY) -> list[OwnRecord]:
    """Every stored correction, through the corpus-format conversion of `quejas feedback export`."""
    store = FeedbackStore(feedback_url(url))
    try:
        rows = [corpus_record(c, taxonomy) for c in store.corrections()]
    except FeedbackStoreError as exc:
        raise OwnDataError(f"cannot read the corrections store {store.where}: {exc}") from None
    finally:
        store.close()
    if not rows:
        raise OwnDataError(f"the corrections store {store.where} holds no corrections; drop --feedback or add some")
    columns = sorted({key for row in rows for key in row})
    where = lambda i: f"correction {rows[i]['id']}"  # noqa: E731
    return records_from_rows(rows, columns, FEEDBACK_SOURCE, "fbk", where, taxonomy)


def load_own_records(
    files: list[str] | None, feedback: bool = False, url: str | None = None, taxonomy: Taxonomy = TAXONOMY
) -> list[OwnRecord]:
    """Records of every --extra_data file, then of the store, labelled with ``taxonomy``'s causes (the one being
    trained); any problem stops here, before training."""
    records: list[OwnRecord] = []
    for number, name in enumerate(files or [], start=1):
        records += read_own_file(Path(name), number, taxonomy)
    if feedback:
        records += feedback_records(url, taxonomy)
    return records


def own_hash(records: list[OwnRecord]) -> str:
    """A content hash of the own records, stored in metrics.json beside the corpus hash."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(asdict(record), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:16]
