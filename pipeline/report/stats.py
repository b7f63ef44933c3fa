"""Aggregating a labelled file: causes, groups, sentiment, risks, priorities, months, breakdowns, examples.

The file is read chunk by chunk and only counts are kept (plus a few bounded heaps of example rows), so
memory grows with the number of distinct months and breakdown values, not with the file.
"""

from __future__ import annotations

import heapq
import math
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd

from pipeline.batch.errors import BatchError
from pipeline.priority import priority_display
from pipeline.report.read import ReportColumns, iter_labelled, report_columns, report_taxonomy
from pipeline.taxonomy import TAXONOMY, PriorityLevel, Taxonomy

# 0.1-wide bins: a graded intensity spreads complaints from about -0.9 to -0.3, which 0.2-wide bins lumped together.
HISTOGRAM_BINS = 20
SPREAD_BINS = 200  # finer counts of negative scores, for their median and quartiles without keeping every score
URGENT_ROWS = 10
QUOTE_CHARS = 600
PRIORITY_LEVELS: tuple[str, ...] = get_args(PriorityLevel)


def summary_risk_column(risk_id: str) -> str:
    """The column of the per-cause summary table (``--format csv``) counting one risk: ``riesgo_<id>``.

    This table is not a labelled file (one row per cause, Spanish headers for the analyst), so its names
    differ from the labelled file's ``risk_<id>`` flags on purpose; this is the one place that maps them.
    """
    return f"riesgo_{risk_id}"


@dataclass
class Stats:
    """Counts for a slice of labelled rows (all rows, a month, a channel...)."""

    labelled: int = 0
    complaints: int = 0
    negative: int = 0
    risks: Counter = field(default_factory=Counter)
    groups: Counter = field(default_factory=Counter)
    causes: Counter = field(default_factory=Counter)

    def add(self, frame: pd.DataFrame, cause_lists: list[list[str]], negative: np.ndarray, risks: dict) -> None:
        self.labelled += len(frame)
        self.complaints += sum(1 for causes in cause_lists if causes)
        self.negative += int(negative.sum())
        for risk, flags in risks.items():
            self.risks[risk] += int(flags.sum())
        self.groups.update(frame["group"].astype(str).tolist())
        for causes in cause_lists:
            self.causes.update(causes)


@dataclass
class ReportData:
    source: str
    rows: int = 0
    errors: Counter = field(default_factory=Counter)
    total: Stats = field(default_factory=Stats)
    sentiments: Counter = field(default_factory=Counter)
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(HISTOGRAM_BINS, dtype=int))
    negative_spread: np.ndarray = field(default_factory=lambda: np.zeros(SPREAD_BINS, dtype=int))
    priorities: Counter = field(default_factory=Counter)
    has_priority: bool = False
    urgent: list = field(default_factory=list)  # heap of (urgency, -row, priority, score, causes, risks, text)
    cause_stats: dict = field(default_factory=lambda: defaultdict(Counter))  # cause -> negative/risk/score sums
    months: dict = field(default_factory=lambda: defaultdict(Stats))
    undated: int = 0
    breakdowns: dict = field(default_factory=dict)  # title -> (column, {value: Stats})
    examples: dict = field(default_factory=lambda: defaultdict(list))  # cause -> heap of (score, -row, text)
    text_column: str | None = None
    date_column: str | None = None
    model_versions: Counter = field(default_factory=Counter)
    taxonomy: Taxonomy = TAXONOMY  # names causes and levels: the labelling model's when known, else the built-in one

    @property
    def labelled(self) -> int:
        return self.total.labelled


def collect(
    path: Path,
    text_column: str | None = None,
    date_column: str | None = None,
    examples: int = 3,
    chunk_size: int = 50_000,
    taxonomy: Taxonomy | None = None,
) -> ReportData:
    """Aggregate a labelled file chunk by chunk; memory grows with the number of distinct months and values.

    Causes are whatever ids the file holds; ``taxonomy`` only names them (an id it lacks is shown as is).
    None: the label set `quejas label` wrote beside the file, else the built-in taxonomy (`report_taxonomy`).
    """
    path = Path(path)
    if taxonomy is None:
        taxonomy = report_taxonomy(path)
    if not path.is_file():
        raise BatchError(f"labelled file {path} does not exist")
    columns = report_columns(path, text_column, date_column)
    data = ReportData(
        source=path.name,
        text_column=columns.text,
        date_column=columns.date,
        has_priority=columns.has_priority,
        taxonomy=taxonomy,
    )
    data.breakdowns = {title: (column, defaultdict(Stats)) for title, column in columns.breakdowns.items()}
    row_offset = 0
    for frame in iter_labelled(path, columns.wanted, chunk_size):
        frame = frame.reset_index(drop=True)
        data.rows += len(frame)
        error_blank = _blank(frame["error"])
        data.errors.update(frame.loc[~error_blank, "error"].astype(str).tolist())
        ok = frame[error_blank.to_numpy()]
        if columns.has_model_version:
            data.model_versions.update(ok["model_version"].astype(str).tolist())
        _add_chunk(data, ok, columns, examples, row_offset)
        row_offset += len(frame)
    return data


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _flag(series: pd.Series) -> np.ndarray:
    def one(value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "sí", "si", "yes")
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return False
        return bool(value)

    return np.array([one(v) for v in series.tolist()], dtype=bool)


def _months(series: pd.Series) -> pd.Series:
    """'YYYY-MM' per row (None when the date cannot be read); ISO first, then day-first formats."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pd.api.types.is_datetime64_any_dtype(series):
            dates = series
        else:
            text = series.astype(object).where(~_blank(series), None)
            dates = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
            retry = dates.isna() & text.notna()
            if retry.any():
                dates[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", dayfirst=True, utc=True)
    months = dates.dt.strftime("%Y-%m")
    return months.where(dates.notna(), None)


def _add_chunk(data: ReportData, ok: pd.DataFrame, columns: ReportColumns, examples: int, row_offset: int) -> None:
    if ok.empty:
        return
    cause_lists = [[c for c in str(v).split(";") if c] if isinstance(v, str) else [] for v in ok["causes"].tolist()]
    sentiment = ok["sentiment"].astype(str)
    negative = (sentiment == "negative").to_numpy()
    risks = {r: _flag(ok[column]) for r, column in columns.risks.items()}
    data.total.add(ok, cause_lists, negative, risks)
    data.sentiments.update(sentiment.tolist())
    all_scores = pd.to_numeric(ok["sentiment_score"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(all_scores)
    scores = np.clip(all_scores[known], -1, 1)
    data.histogram += np.histogram(scores, bins=HISTOGRAM_BINS, range=(-1, 1))[0]
    data.negative_spread += np.histogram(scores[negative[known]], bins=SPREAD_BINS, range=(-1, 1))[0]
    if data.has_priority:
        _add_priorities(data, ok, all_scores, cause_lists, risks, row_offset)
    cause_scores = {
        c: pd.to_numeric(ok[column], errors="coerce").to_numpy(dtype=float) for c, column in columns.scores.items()
    }
    for i, causes in enumerate(cause_lists):
        for cause in causes:
            stats = data.cause_stats[cause]
            stats["n"] += 1
            stats["negative"] += int(negative[i])
            for r, flags in risks.items():
                stats[r] += int(flags[i])
            if cause in cause_scores and not math.isnan(cause_scores[cause][i]):
                stats["score_sum"] += cause_scores[cause][i]
                if data.text_column is not None and examples > 0:
                    _keep_example(
                        data.examples[cause],
                        examples,
                        cause_scores[cause][i],
                        row_offset + int(ok.index[i]),
                        ok[data.text_column].iloc[i],
                    )
    if data.date_column is not None:
        months = _months(ok[data.date_column])
        data.undated += int(months.isna().sum())
        _add_grouped(data.months, ok, months, cause_lists, negative, risks)
    for column, groups in data.breakdowns.values():
        values = ok[column].astype(object).where(~_blank(ok[column]), "(sin valor)").astype(str)
        _add_grouped(groups, ok, values, cause_lists, negative, risks)


def _add_grouped(
    target: dict, ok: pd.DataFrame, keys: pd.Series, cause_lists: list[list[str]], negative: np.ndarray, risks: dict
) -> None:
    positions = defaultdict(list)
    for i, key in enumerate(keys.tolist()):
        if key is not None:
            positions[key].append(i)
    for key, rows in positions.items():
        at = np.asarray(rows)
        target[key].add(
            ok.iloc[at], [cause_lists[i] for i in at], negative[at], {r: flags[at] for r, flags in risks.items()}
        )


def _quote(text: Any) -> str:
    text = "" if text is None else str(text)
    return text[:QUOTE_CHARS] + ("…" if len(text) > QUOTE_CHARS else "")


def _add_priorities(
    data: ReportData, ok: pd.DataFrame, scores: np.ndarray, cause_lists: list[list[str]], risks: dict, row_offset: int
) -> None:
    """Count the levels and keep the URGENT_ROWS most urgent rows: highest level, then most upset, then first."""
    levels = ok["priority"].astype(str).tolist()
    data.priorities.update(levels)
    for i, level in enumerate(levels):
        if level not in PRIORITY_LEVELS:
            continue
        score = 0.0 if math.isnan(scores[i]) else float(scores[i])
        urgency = (-PRIORITY_LEVELS.index(level), -score)
        raised = [r for r, flags in risks.items() if flags[i]]
        text = ok[data.text_column].iloc[i] if data.text_column is not None else None
        item = (urgency, -(row_offset + int(ok.index[i])), level, score, cause_lists[i], raised, _quote(text))
        if len(data.urgent) < URGENT_ROWS:
            heapq.heappush(data.urgent, item)
        elif item[:2] > data.urgent[0][:2]:
            heapq.heapreplace(data.urgent, item)


def _keep_example(heap: list, size: int, score: float, row: int, text: Any) -> None:
    item = (float(score), -row, _quote(text))
    if len(heap) < size:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


# --------------------------------------------------------------------------------------------------- tables


def display_cause(cause_id: str, taxonomy: Taxonomy = TAXONOMY) -> str:
    return taxonomy.cause_display(cause_id)


def top_cause(stats: Stats, taxonomy: Taxonomy = TAXONOMY) -> str:
    if not stats.causes:
        return "–"
    cause, count = stats.causes.most_common(1)[0]
    return f"{display_cause(cause, taxonomy)} ({count})"


def urgent_rows(data: ReportData) -> list[dict]:
    """The most urgent complaints, most urgent first (row numbers count from 1, as in a spreadsheet)."""
    return [
        {
            "fila": -row + 1,
            "prioridad": level,
            "nombre": priority_display(level, data.taxonomy.priority),
            "puntuacion": score,
            "causas": ", ".join(display_cause(c, data.taxonomy) for c in causes) or "–",
            "riesgos": ", ".join(r.display for r in data.taxonomy.risks if r.id in raised) or "–",
            "texto": text,
        }
        for _, row, level, score, causes, raised, text in sorted(data.urgent, key=lambda item: item[:2], reverse=True)
    ]


def negative_spread(data: ReportData) -> dict[str, float] | None:
    """Median and quartiles of the negative rows' scores (to the 0.01 of SPREAD_BINS), and the share below -0.9."""
    total = int(data.negative_spread.sum())
    if not total:
        return None
    edges = np.linspace(-1, 1, SPREAD_BINS + 1)
    cumulative = np.cumsum(data.negative_spread)

    def quantile(q: float) -> float:
        return float(edges[int(np.searchsorted(cumulative, q * total)) + 1])

    below = int(data.negative_spread[: int(round(SPREAD_BINS * 0.05))].sum())  # bins under -0.9
    return {"q1": quantile(0.25), "median": quantile(0.5), "q3": quantile(0.75), "below_0_9": below / total, "n": total}


def cause_rows(data: ReportData) -> list[dict]:
    """One row per detected cause, most frequent first: the summary table of --format csv/md."""
    rows = []
    complaints = data.total.complaints
    for cause_id, count in data.total.causes.most_common():
        stats = data.cause_stats[cause_id]
        taxonomy = data.taxonomy
        group = taxonomy.cause(cause_id).group if cause_id in taxonomy.cause_ids else ""
        row = {
            "id": cause_id,
            "causa": display_cause(cause_id, taxonomy),
            "grupo": taxonomy.groups.get(group, group) if group else "",
            "quejas": count,
            "porcentaje_quejas": round(100 * count / complaints, 1) if complaints else 0.0,
            "negativas": stats["negative"],
        }
        for risk in taxonomy.risks:
            row[summary_risk_column(risk.id)] = stats[risk.id]
        row["puntuacion_media"] = round(stats["score_sum"] / stats["n"], 3) if stats["n"] else None
        rows.append(row)
    return rows


def cause_table_columns() -> list[str]:
    """The columns of the per-cause summary table, in order."""
    return [
        "id",
        "causa",
        "grupo",
        "quejas",
        "porcentaje_quejas",
        "negativas",
        *(summary_risk_column(r.id) for r in TAXONOMY.risks),
        "puntuacion_media",
    ]
