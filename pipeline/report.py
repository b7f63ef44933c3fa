"""The analyst report: `quejas report LABELED -o informe.html` (or ``--format md|csv`` for a summary table).

Reads a file written by `quejas label` (CSV, JSONL or Parquet) in chunks and only the columns it needs,
so it works on files of millions of rows, and aggregates causes, groups, sentiment, risks, monthly trends
(when a date column exists), breakdowns by channel / sector / product (when such columns exist), the most
urgent complaints by triage priority (pipeline/priority.py) and the highest-scoring complaints per cause.
The HTML is one self-contained file: inline CSS and SVG charts drawn here, no scripts, fonts or stylesheets
from anywhere else, so it can be mailed or archived as is.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from pipeline.batch import BatchError, _fold, find_text_column, risk_column, score_column
from pipeline.priority import priority_display
from pipeline.spreadsheet_safety import escape_frame
from pipeline.taxonomy import TAXONOMY, PriorityLevel

# Stable ids of the HTML sections, in page order (tests and bookmarks rely on them).
SECTION_IDS: tuple[str, ...] = (
    "resumen",
    "causas",
    "grupos",
    "sentimiento",
    "riesgos",
    "urgentes",
    "tendencias",
    "desglose",
    "ejemplos",
)
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
REPORT_FORMATS: dict[str, str] = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv"}
MAX_BREAKDOWN_VALUES = 12
# 0.1-wide bins: a graded intensity spreads complaints from about -0.9 to -0.3, which 0.2-wide bins lumped together.
HISTOGRAM_BINS = 20
SPREAD_BINS = 200  # finer counts of negative scores, for their median and quartiles without keeping every score
URGENT_ROWS = 10
PRIORITY_LEVELS: tuple[str, ...] = get_args(PriorityLevel)
PRIORITY_COLOURS = {"P1": "#b42318", "P2": "#dc6803", "P3": "#2f6db5", "P4": "#9ca3af"}

# Spanish names of the `error` kinds written by `quejas label` (pipeline.batch.ERROR_KINDS).
ERROR_NAMES = {
    "missing": "Sin valor (celda vacía, nulo)",
    "empty": "Texto vacío o solo espacios",
    "not_text": "No es texto (número, fecha, sin letras)",
    "too_long": "Texto demasiado largo (--max-chars)",
    "undecodable": "Caracteres ilegibles (codificación)",
    "invalid_json": "Línea JSON ilegible",
    "analysis_failed": "Error del modelo",
}
GROUP_COLOURS = {"operational": "#2f6db5", "emotional": "#c2410c", "mixed": "#7e57c2", "none": "#9ca3af"}
SENTIMENT_COLOURS = {"negative": "#c0392b", "neutral": "#8e8e8e", "positive": "#2e8b57"}


# --------------------------------------------------------------------------------------------------- reading


def _labelled_format(path: Path) -> str:
    fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise BatchError(f"cannot read {path.name}: give the .csv, .jsonl or .parquet written by `quejas label`")
    return fmt


def labelled_columns(path: Path) -> list[str]:
    fmt = _labelled_format(path)
    if fmt == "csv":
        try:
            return list(pd.read_csv(path, nrows=0).columns)
        except pd.errors.EmptyDataError:
            return []
    if fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    item = json.loads(line)
                    return list(item) if isinstance(item, dict) else []
        return []
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def iter_labelled(path: Path, columns: list[str], chunk_size: int = 50_000) -> Iterator[pd.DataFrame]:
    """Frames of ``columns`` only, ``chunk_size`` rows at a time."""
    fmt = _labelled_format(path)
    if fmt == "csv":
        with pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False, chunksize=chunk_size) as reader:
            for frame in reader:
                yield frame[columns]
    elif fmt == "jsonl":
        block: list[list] = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                item = json.loads(line)
                block.append([item.get(c) for c in columns])
                if len(block) == chunk_size:
                    yield pd.DataFrame(block, columns=columns, dtype=object)
                    block = []
        if block:
            yield pd.DataFrame(block, columns=columns, dtype=object)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size, columns=columns):
            yield pa.Table.from_batches([batch]).to_pandas()


def _find_column(columns: list[str], candidates: tuple[str, ...], requested: str | None, what: str) -> str | None:
    if requested is not None:
        if requested in columns:
            return requested
        matches = [c for c in columns if _fold(c) == _fold(requested)]
        if len(matches) == 1:
            return matches[0]
        raise BatchError(f"no {what} column {requested!r} in the file; its columns are: "
                         f"{', '.join(repr(c) for c in columns)}")
    folded = {}
    for column in columns:
        folded.setdefault(_fold(column), column)
    for candidate in candidates:
        if candidate in folded:
            return folded[candidate]
    return None


def find_date_column(columns: list[str], requested: str | None = None) -> str | None:
    found = _find_column(columns, DATE_COLUMN_CANDIDATES, requested, "date")
    if found is None:
        found = next((c for c in columns if _fold(c).startswith("fecha")), None)
    return found


# --------------------------------------------------------------------------------------------------- aggregation


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _flag(series: pd.Series) -> np.ndarray:
    def one(value) -> bool:
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

    @property
    def labelled(self) -> int:
        return self.total.labelled


def collect(
    path: Path,
    text_column: str | None = None,
    date_column: str | None = None,
    examples: int = 3,
    chunk_size: int = 50_000,
) -> ReportData:
    """Aggregate a labelled file chunk by chunk; memory grows with the number of distinct months and values."""
    path = Path(path)
    if not path.is_file():
        raise BatchError(f"labelled file {path} does not exist")
    columns = labelled_columns(path)
    required = ["causes", "group", "sentiment", "sentiment_score", "error"]
    missing = [c for c in required if c not in columns]
    if missing:
        raise BatchError(f"{path.name} does not look like a file written by `quejas label` (no {', '.join(missing)} "
                         "column); label it first: quejas label INPUT -o OUTPUT")
    try:
        text = find_text_column([c for c in columns if c not in required], text_column)
    except BatchError:
        if text_column is not None:
            raise
        text = None  # no examples section content, the rest of the report still works
    date = find_date_column(columns, date_column)
    breakdowns = {}
    for title, candidates in BREAKDOWN_CANDIDATES.items():
        found = _find_column(columns, candidates, None, title)
        if found is not None and found not in (text, date):
            breakdowns[title] = found
    risk_columns = {r: risk_column(r) for r in TAXONOMY.risk_ids if risk_column(r) in columns}
    score_columns = {c: score_column(c) for c in TAXONOMY.cause_ids if score_column(c) in columns}
    wanted = required + list(risk_columns.values()) + list(score_columns.values())
    wanted += [c for c in [text, date, "model_version", "priority", *breakdowns.values()] if c and c in columns]
    wanted = list(dict.fromkeys(wanted))

    data = ReportData(source=path.name, text_column=text, date_column=date, has_priority="priority" in columns)
    data.breakdowns = {title: (column, defaultdict(Stats)) for title, column in breakdowns.items()}
    row_offset = 0
    for frame in iter_labelled(path, wanted, chunk_size):
        frame = frame.reset_index(drop=True)
        data.rows += len(frame)
        error_blank = _blank(frame["error"])
        data.errors.update(frame.loc[~error_blank, "error"].astype(str).tolist())
        ok = frame[error_blank.to_numpy()]
        if "model_version" in ok:
            data.model_versions.update(ok["model_version"].astype(str).tolist())
        _add_chunk(data, ok, risk_columns, score_columns, examples, row_offset)
        row_offset += len(frame)
    return data


def _add_chunk(data: ReportData, ok: pd.DataFrame, risk_columns: dict, score_columns: dict, examples: int,
               row_offset: int) -> None:
    if ok.empty:
        return
    cause_lists = [[c for c in str(v).split(";") if c] if isinstance(v, str) else [] for v in ok["causes"].tolist()]
    sentiment = ok["sentiment"].astype(str)
    negative = (sentiment == "negative").to_numpy()
    risks = {r: _flag(ok[column]) for r, column in risk_columns.items()}
    data.total.add(ok, cause_lists, negative, risks)
    data.sentiments.update(sentiment.tolist())
    all_scores = pd.to_numeric(ok["sentiment_score"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(all_scores)
    scores = np.clip(all_scores[known], -1, 1)
    data.histogram += np.histogram(scores, bins=HISTOGRAM_BINS, range=(-1, 1))[0]
    data.negative_spread += np.histogram(scores[negative[known]], bins=SPREAD_BINS, range=(-1, 1))[0]
    if data.has_priority:
        _add_priorities(data, ok, all_scores, cause_lists, risks, row_offset)
    cause_scores = {c: pd.to_numeric(ok[column], errors="coerce").to_numpy(dtype=float)
                    for c, column in score_columns.items()}
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
                    _keep_example(data.examples[cause], examples, cause_scores[cause][i], row_offset + int(ok.index[i]),
                                  ok[data.text_column].iloc[i])
    if data.date_column is not None:
        months = _months(ok[data.date_column])
        data.undated += int(months.isna().sum())
        _add_grouped(data.months, ok, months, cause_lists, negative, risks)
    for column, groups in data.breakdowns.values():
        values = ok[column].astype(object).where(~_blank(ok[column]), "(sin valor)").astype(str)
        _add_grouped(groups, ok, values, cause_lists, negative, risks)


def _add_grouped(target: dict, ok: pd.DataFrame, keys: pd.Series, cause_lists, negative, risks) -> None:
    positions = defaultdict(list)
    for i, key in enumerate(keys.tolist()):
        if key is not None:
            positions[key].append(i)
    for key, rows in positions.items():
        rows = np.asarray(rows)
        target[key].add(ok.iloc[rows], [cause_lists[i] for i in rows], negative[rows],
                        {r: flags[rows] for r, flags in risks.items()})


def _add_priorities(data: ReportData, ok: pd.DataFrame, scores: np.ndarray, cause_lists, risks: dict,
                    row_offset: int) -> None:
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
        text = "" if text is None else str(text)
        item = (urgency, -(row_offset + int(ok.index[i])), level, score, cause_lists[i], raised,
                text[:600] + ("…" if len(text) > 600 else ""))
        if len(data.urgent) < URGENT_ROWS:
            heapq.heappush(data.urgent, item)
        elif item[:2] > data.urgent[0][:2]:
            heapq.heapreplace(data.urgent, item)


def urgent_rows(data: ReportData) -> list[dict]:
    """The most urgent complaints, most urgent first (row numbers count from 1, as in a spreadsheet)."""
    return [
        {"fila": -row + 1, "prioridad": level, "nombre": priority_display(level), "puntuacion": score,
         "causas": ", ".join(_display_cause(c) for c in causes) or "–",
         "riesgos": ", ".join(r.display for r in TAXONOMY.risks if r.id in raised) or "–", "texto": text}
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
    return {"q1": quantile(0.25), "median": quantile(0.5), "q3": quantile(0.75), "below_0_9": below / total,
            "n": total}


def _keep_example(heap: list, size: int, score: float, row: int, text) -> None:
    text = "" if text is None else str(text)
    item = (float(score), -row, text[:600] + ("…" if len(text) > 600 else ""))
    if len(heap) < size:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


# --------------------------------------------------------------------------------------------------- charts


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def hbar_svg(items: list[tuple[str, float, str]], colour: str | list[str] = "#2f6db5", width: int = 720) -> str:
    """Horizontal bars: (label, value, text shown after the bar); one SVG string, no scripts."""
    if not items:
        return ""
    row, label_w, value_w = 26, 230, 110
    bar_w = width - label_w - value_w
    top = max(v for _, v, _ in items) or 1
    colours = colour if isinstance(colour, list) else [colour] * len(items)
    parts = [f'<svg role="img" class="chart" width="{width}" '
             f'height="{row * len(items) + 6}" viewBox="0 0 {width} {row * len(items) + 6}">']
    for i, ((label, value, note), fill) in enumerate(zip(items, colours)):
        y = i * row + 3
        length = max(1.0, bar_w * value / top) if value else 0
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="lbl">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" rx="3" '
                     f'fill="{fill}"><title>{escape(label)}: {escape(note)}</title></rect>')
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" class="val">{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vbar_svg(items: list[tuple[str, float, str]], colour: str | list[str] = "#2f6db5", height: int = 200) -> str:
    """Vertical bars (months, histogram bins) with the label under each bar."""
    if not items:
        return ""
    slot = max(28, min(60, 720 // len(items)))
    width, base, top_pad = slot * len(items) + 10, height - 40, 18
    top = max(v for _, v, _ in items) or 1
    colours = colour if isinstance(colour, list) else [colour] * len(items)
    parts = [f'<svg role="img" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" class="axis"/>']
    for i, ((label, value, note), fill) in enumerate(zip(items, colours)):
        x = 5 + i * slot
        h = (base - top_pad) * value / top
        parts.append(f'<rect x="{x + 4}" y="{base - h:.1f}" width="{slot - 8}" height="{h:.1f}" rx="2" '
                     f'fill="{fill}"><title>{escape(label)}: {escape(note)}</title></rect>')
        parts.append(f'<text x="{x + slot / 2}" y="{base - h - 4:.1f}" text-anchor="middle" class="val">'
                     f'{escape(note)}</text>')
        parts.append(f'<text x="{x + slot / 2}" y="{base + 14}" text-anchor="middle" class="lbl small" '
                     f'transform="rotate(30 {x + slot / 2} {base + 14})">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------------- tables


def _display_cause(cause_id: str) -> str:
    return TAXONOMY.cause(cause_id).display if cause_id in TAXONOMY.cause_ids else cause_id


def _display_group(group_id: str) -> str:
    return TAXONOMY.groups.get(group_id, group_id)


def cause_rows(data: ReportData) -> list[dict]:
    """One row per detected cause, most frequent first: the summary table of --format csv/md."""
    rows = []
    complaints = data.total.complaints
    for cause_id, count in data.total.causes.most_common():
        stats = data.cause_stats[cause_id]
        group = TAXONOMY.cause(cause_id).group if cause_id in TAXONOMY.cause_ids else ""
        row = {
            "id": cause_id,
            "causa": _display_cause(cause_id),
            "grupo": _display_group(group) if group else "",
            "quejas": count,
            "porcentaje_quejas": round(100 * count / complaints, 1) if complaints else 0.0,
            "negativas": stats["negative"],
        }
        for risk in TAXONOMY.risks:
            row[f"riesgo_{risk.id}"] = stats[risk.id]
        row["puntuacion_media"] = round(stats["score_sum"] / stats["n"], 3) if stats["n"] else None
        rows.append(row)
    return rows


def _headline(data: ReportData) -> list[tuple[str, str]]:
    total = data.total
    lines = [
        ("Filas en el archivo", f"{data.rows:,}"),
        ("Filas analizadas", f"{total.labelled:,}"),
        ("Filas con error (no analizadas)", f"{sum(data.errors.values()):,}"),
        ("Quejas (al menos una causa)", f"{total.complaints:,} ({_pct(total.complaints, total.labelled)})"),
        ("Sentimiento negativo", f"{total.negative:,} ({_pct(total.negative, total.labelled)})"),
    ]
    for risk in TAXONOMY.risks:
        lines.append((risk.display, f"{total.risks[risk.id]:,} ({_pct(total.risks[risk.id], total.labelled)})"))
    if data.model_versions:
        lines.append(("Versión del modelo", ", ".join(sorted(data.model_versions))))
    return lines


def render_markdown(data: ReportData) -> str:
    out = [f"# Informe de quejas: {data.source}", ""]
    out += ["| Indicador | Valor |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in _headline(data)]
    out += ["", "## Causas por frecuencia", ""]
    rows = cause_rows(data)
    if rows:
        risk_heads = [r.display for r in TAXONOMY.risks]
        out.append("| Causa | Grupo | Quejas | % de quejas | Negativas | " + " | ".join(risk_heads) + " |")
        out.append("|---|---|---:|---:|---:|" + "---:|" * len(risk_heads))
        for row in rows:
            risks = " | ".join(str(row[f"riesgo_{r.id}"]) for r in TAXONOMY.risks)
            out.append(f"| {row['causa']} | {row['grupo']} | {row['quejas']} | {row['porcentaje_quejas']:.1f} | "
                       f"{row['negativas']} | {risks} |")
    else:
        out.append("Ninguna fila analizada tiene causas de queja.")
    out += ["", "## Tipo de queja", "", "| Grupo | Filas | % |", "|---|---:|---:|"]
    for group, label in TAXONOMY.groups.items():
        out.append(f"| {label} | {data.total.groups[group]} | {_pct(data.total.groups[group], data.labelled)} |")
    out += ["", "## Sentimiento", "", "| Sentimiento | Filas | % |", "|---|---:|---:|"]
    for sentiment, label in TAXONOMY.sentiments.items():
        out.append(f"| {label} | {data.sentiments[sentiment]} | {_pct(data.sentiments[sentiment], data.labelled)} |")
    spread = negative_spread(data)
    if spread:
        out += ["", f"Negativas: mediana {spread['median']:+.2f}, mitad central entre {spread['q1']:+.2f} y "
                f"{spread['q3']:+.2f}, {100 * spread['below_0_9']:.0f} % por debajo de -0,9."]
    if data.has_priority:
        out += ["", "## Las más urgentes", "", "| Prioridad | Filas | % |", "|---|---:|---:|"]
        for level in PRIORITY_LEVELS:
            count = data.priorities[level]
            out.append(f"| {level} · {priority_display(level)} | {count} | {_pct(count, data.labelled)} |")
        rows = urgent_rows(data)
        if rows:
            out += ["", "| Fila | Prioridad | Puntuación | Causas | Riesgos |", "|---:|---|---:|---|---|"]
            out += [f"| {u['fila']} | {u['prioridad']} | {u['puntuacion']:+.2f} | {u['causas']} | {u['riesgos']} |"
                    for u in rows]
    if data.months:
        out += ["", f"## Evolución mensual ({data.date_column})", "", "| Mes | Filas | Quejas | Negativas |",
                "|---|---:|---:|---:|"]
        for month in sorted(data.months):
            stats = data.months[month]
            out.append(f"| {month} | {stats.labelled} | {stats.complaints} | {stats.negative} |")
    return "\n".join(out) + "\n"


def render_csv(data: ReportData) -> str:
    columns = ["id", "causa", "grupo", "quejas", "porcentaje_quejas", "negativas",
               *(f"riesgo_{r.id}" for r in TAXONOMY.risks), "puntuacion_media"]
    table = escape_frame(pd.DataFrame(cause_rows(data), columns=columns))  # cause ids come from the labelled file
    return table.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1f2933;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:20px 32px}header h1{margin:0 0 4px;font-size:1.5rem}
header p{margin:0;opacity:.85}main{max-width:1000px;margin:0 auto;padding:16px 24px 48px}
nav{margin:12px 0}nav a{margin-right:14px;color:#1f3a5f}
section{background:#fff;border-radius:8px;padding:16px 22px;margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:1.2rem;margin:0 0 10px;color:#1f3a5f}h3{font-size:1rem;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:8px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e4e7eb}td.n,th.n{text-align:right}
th{background:#f0f3f7}td:first-child{white-space:nowrap}.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.chart .lbl{font-size:12px;fill:#1f2933}.chart .val{font-size:11px;fill:#52606d}.chart .small{font-size:10px}
.chart .axis{stroke:#9aa5b1}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{flex:1 1 170px;background:#f0f3f7;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:1.3rem}.note{color:#52606d;font-size:.85rem}
blockquote{margin:8px 0;padding:8px 12px;border-left:4px solid #2f6db5;background:#f6f8fb;white-space:pre-wrap}
.score{font-size:.8rem;color:#52606d}.legend span{display:inline-block;margin-right:14px;font-size:.85rem}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Informe de quejas · {{ data.source }}</title>
<style>{{ css }}</style>
</head>
<body>
<header><h1>Informe de quejas</h1>
<p>Archivo: {{ data.source }} · generado el {{ today }}{% if versions %} · modelo {{ versions }}{% endif %}</p></header>
<main>
<nav>{% for id, title in nav %}<a href="#{{ id }}">{{ title }}</a>{% endfor %}</nav>

<section id="resumen"><h2>Resumen</h2>
<div class="cards">{% for label, value in headline %}<div class="card"><b>{{ value }}</b>{{ label }}</div>{% endfor %}
</div>
{% if errors %}<h3>Filas no analizadas</h3><table><tr><th>Motivo</th><th class="n">Filas</th></tr>
{% for kind, count in errors %}<tr><td>{{ error_names.get(kind, kind) }}</td><td class="n">{{ count }}</td></tr>
{% endfor %}</table>{% endif %}
</section>

<section id="causas"><h2>Causas por frecuencia</h2>
{% if causes %}<p class="note">Porcentaje sobre las {{ data.total.complaints }} quejas; una queja puede tener varias
causas, así que los porcentajes suman más de 100 %.</p>
{{ causes_chart }}
<div class="legend"><span><i style="background:{{ colours.operational }}"></i>Operativa</span>
<span><i style="background:{{ colours.emotional }}"></i>Emocional / trato humano</span></div>
<table><tr><th>Causa</th><th>Grupo</th><th class="n">Quejas</th><th class="n">% de quejas</th>
<th class="n">Negativas</th>{% for r in risks %}<th class="n">{{ r.display }}</th>{% endfor %}</tr>
{% for row in causes %}<tr><td>{{ row.causa }}</td><td>{{ row.grupo }}</td><td class="n">{{ row.quejas }}</td>
<td class="n">{{ "%.1f"|format(row.porcentaje_quejas) }} %</td><td class="n">{{ row.negativas }}</td>
{% for r in risks %}<td class="n">{{ row["riesgo_" ~ r.id] }}</td>{% endfor %}</tr>{% endfor %}</table>
{% else %}<p>Ninguna fila analizada tiene causas de queja.</p>{% endif %}
</section>

<section id="grupos"><h2>Operativas, emocionales, mixtas y sin queja</h2>
{{ groups_chart }}
<p class="note">Operativa: fallos del proceso o del producto. Emocional: el trato humano. Mixta: ambas.
Sin queja: el mensaje no contiene ninguna causa.</p>
</section>

<section id="sentimiento"><h2>Distribución del sentimiento</h2>
{{ sentiment_chart }}
<h3>Puntuación de sentimiento (de −1, muy negativo, a +1, muy positivo)</h3>
{{ histogram_chart }}
{% if spread %}<p class="note" id="dispersion">Entre los {{ spread.n }} mensajes negativos: mediana
{{ "%+.2f"|format(spread.median) }}, la mitad central entre {{ "%+.2f"|format(spread.q1) }} y
{{ "%+.2f"|format(spread.q3) }}; {{ "%.0f"|format(100 * spread.below_0_9) }} % por debajo de −0,9. Con un modelo que
gradúa la intensidad, una queja leve queda cerca de −0,4 y una muy enfadada cerca de −0,8; si casi todas caen en
−1, el modelo es anterior a la intensidad y la puntuación es P(positivo) − P(negativo).</p>{% endif %}
</section>

<section id="riesgos"><h2>Riesgos: baja, legal y exposición pública</h2>
{{ risks_chart }}
<table><tr><th>Riesgo</th><th class="n">Filas</th><th class="n">%</th><th>Qué significa</th></tr>
{% for r in risk_rows %}<tr><td>{{ r.display }}</td><td class="n">{{ r.count }}</td><td class="n">{{ r.pct }}</td>
<td>{{ r.description }}</td></tr>{% endfor %}</table>
</section>

<section id="urgentes"><h2>Las más urgentes</h2>
{% if data.has_priority %}<p class="note">Prioridad de triaje (P1, urgente, a P4) según la regla de
<code>pipeline/taxonomy.yaml</code>: suman la intensidad del enfado, los riesgos legal, público y de baja, y las
causas que indican una espera larga o una promesa incumplida.</p>
{{ priority_chart }}
{% if urgent %}<table><tr><th class="n">Fila</th><th>Prioridad</th><th class="n">Puntuación</th><th>Causas</th>
<th>Riesgos</th><th>Queja</th></tr>
{% for u in urgent %}<tr><td class="n">{{ u.fila }}</td><td>{{ u.prioridad }} · {{ u.nombre }}</td>
<td class="n">{{ "%+.2f"|format(u.puntuacion) }}</td><td>{{ u.causas }}</td><td>{{ u.riesgos }}</td>
<td>{{ u.texto }}</td></tr>{% endfor %}</table>
<p class="note">Las {{ urgent|length }} filas de mayor prioridad; a igual prioridad, primero la más negativa.</p>
{% endif %}
{% else %}<p>El archivo no tiene la columna <code>priority</code>: se etiquetó con una versión anterior de
<code>quejas label</code>. Vuelva a etiquetarlo para ver las quejas más urgentes.</p>{% endif %}
</section>

<section id="tendencias"><h2>Evolución mensual</h2>
{% if months %}<p class="note">Columna de fecha: <b>{{ data.date_column }}</b>.{% if data.undated %}
{{ data.undated }} filas sin fecha legible no se incluyen.{% endif %}</p>
{{ months_chart }}
<table><tr><th>Mes</th><th class="n">Filas</th><th class="n">Quejas</th><th class="n">Negativas</th>
{% for g in group_ids %}<th class="n">{{ group_names[g] }}</th>{% endfor %}{% for r in risks %}
<th class="n">{{ r.display }}</th>{% endfor %}<th>Causa principal</th></tr>
{% for m in months %}<tr><td>{{ m.month }}</td><td class="n">{{ m.stats.labelled }}</td>
<td class="n">{{ m.stats.complaints }}</td><td class="n">{{ m.stats.negative }}</td>
{% for g in group_ids %}<td class="n">{{ m.stats.groups[g] }}</td>{% endfor %}{% for r in risks %}
<td class="n">{{ m.stats.risks[r.id] }}</td>{% endfor %}<td>{{ m.top }}</td></tr>{% endfor %}</table>
{% elif data.date_column %}<p>La columna <b>{{ data.date_column }}</b> no contiene fechas legibles.</p>
{% else %}<p>El archivo no tiene columna de fecha (se buscan {{ date_candidates }}); indíquela con
<code>--date-column</code> para ver la evolución por meses.</p>{% endif %}
</section>

<section id="desglose"><h2>Desglose por canal, sector y producto</h2>
{% for b in breakdowns %}<h3>{{ b.title }} (columna {{ b.column }})</h3>
<table><tr><th>{{ b.title }}</th><th class="n">Filas</th><th class="n">Quejas</th><th class="n">% negativas</th>
{% for r in risks %}<th class="n">{{ r.display }}</th>{% endfor %}<th>Causa principal</th></tr>
{% for v in b["values"] %}<tr><td>{{ v.value }}</td><td class="n">{{ v.stats.labelled }}</td>
<td class="n">{{ v.stats.complaints }}</td><td class="n">{{ v.negative }}</td>
{% for r in risks %}<td class="n">{{ v.stats.risks[r.id] }}</td>{% endfor %}<td>{{ v.top }}</td></tr>{% endfor %}
</table>{% if b.hidden %}<p class="note">Y {{ b.hidden }} valores más con menos filas.</p>{% endif %}
{% else %}<p>El archivo no tiene columnas de canal, sector ni producto (se buscan {{ breakdown_candidates }}).</p>
{% endfor %}
</section>

<section id="ejemplos"><h2>Quejas representativas por causa</h2>
{% if examples %}<p class="note">Las {{ per_cause }} quejas con la puntuación más alta para cada causa.</p>
{% for e in examples %}<h3>{{ e.display }}</h3>
{% for score, text in e.quotes %}<blockquote>{{ text }}<br><span class="score">puntuación {{ "%.2f"|format(score) }}
</span></blockquote>{% endfor %}{% endfor %}
{% elif not data.text_column %}<p>No se encontró la columna de texto; indíquela con <code>--text-column</code>.</p>
{% else %}<p>No hay quejas con causas detectadas.</p>{% endif %}
</section>
</main>
</body>
</html>
"""


def _top_cause(stats: Stats) -> str:
    if not stats.causes:
        return "–"
    cause, count = stats.causes.most_common(1)[0]
    return f"{_display_cause(cause)} ({count})"


def render_html(data: ReportData, examples: int = 3) -> str:
    from jinja2 import Environment
    from markupsafe import Markup

    total = data.total
    causes = cause_rows(data)
    cause_group = {c.id: c.group for c in TAXONOMY.causes}
    causes_chart = hbar_svg(
        [(row["causa"], row["quejas"], f"{row['quejas']} · {row['porcentaje_quejas']:.1f} %") for row in causes],
        colour=[GROUP_COLOURS.get(cause_group.get(row["id"], ""), "#2f6db5") for row in causes],
    )
    group_items = [(label, total.groups[g], f"{total.groups[g]} · {_pct(total.groups[g], total.labelled)}")
                   for g, label in TAXONOMY.groups.items()]
    groups_chart = hbar_svg(group_items, colour=[GROUP_COLOURS.get(g, "#2f6db5") for g in TAXONOMY.groups])
    sentiment_chart = hbar_svg(
        [(label, data.sentiments[s], f"{data.sentiments[s]} · {_pct(data.sentiments[s], total.labelled)}")
         for s, label in TAXONOMY.sentiments.items()],
        colour=[SENTIMENT_COLOURS.get(s, "#2f6db5") for s in TAXONOMY.sentiments],
    )
    edges = np.linspace(-1, 1, HISTOGRAM_BINS + 1)
    histogram_chart = vbar_svg(
        [(f"{edges[i]:+.1f}", int(n), str(int(n))) for i, n in enumerate(data.histogram)],
        colour=["#c0392b" if edges[i + 1] <= -0.2 else "#2e8b57" if edges[i] >= 0.2 else "#8e8e8e"
                for i in range(HISTOGRAM_BINS)],
    )
    priority_chart = hbar_svg(
        [(f"{level} · {priority_display(level)}", data.priorities[level],
          f"{data.priorities[level]} · {_pct(data.priorities[level], total.labelled)}") for level in PRIORITY_LEVELS],
        colour=[PRIORITY_COLOURS[level] for level in PRIORITY_LEVELS],
    ) if data.has_priority else ""
    risk_rows = [{"display": r.display, "description": r.description, "count": total.risks[r.id],
                  "pct": _pct(total.risks[r.id], total.labelled)} for r in TAXONOMY.risks]
    risks_chart = hbar_svg([(r["display"], r["count"], f"{r['count']} · {r['pct']}") for r in risk_rows],
                           colour="#b7791f")
    months = [{"month": m, "stats": data.months[m], "top": _top_cause(data.months[m])} for m in sorted(data.months)]
    months_chart = vbar_svg([(m["month"], m["stats"].complaints, str(m["stats"].complaints)) for m in months[-36:]])
    breakdowns = []
    for title, (column, groups) in data.breakdowns.items():
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].labelled, kv[0]))
        values = [{"value": value, "stats": stats, "top": _top_cause(stats),
                   "negative": _pct(stats.negative, stats.labelled)} for value, stats in ordered[:MAX_BREAKDOWN_VALUES]]
        breakdowns.append({"title": title, "column": column, "values": values,
                           "hidden": max(0, len(ordered) - MAX_BREAKDOWN_VALUES)})
    example_blocks = [
        {"display": _display_cause(cause), "quotes": [(s, t) for s, _, t in sorted(data.examples[cause], reverse=True)]}
        for cause, _ in total.causes.most_common()
        if data.examples.get(cause)
    ]
    nav = [("resumen", "Resumen"), ("causas", "Causas"), ("grupos", "Tipo"), ("sentimiento", "Sentimiento"),
           ("riesgos", "Riesgos"), ("urgentes", "Urgentes"), ("tendencias", "Evolución"), ("desglose", "Desglose"),
           ("ejemplos", "Ejemplos")]
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_TEMPLATE).render(
        data=data,
        css=Markup(_CSS),
        today=dt.date.today().isoformat(),
        versions=", ".join(sorted(data.model_versions)),
        nav=nav,
        headline=_headline(data),
        errors=data.errors.most_common(),
        error_names=ERROR_NAMES,
        causes=causes,
        colours=GROUP_COLOURS,
        risks=TAXONOMY.risks,
        causes_chart=Markup(causes_chart),
        groups_chart=Markup(groups_chart),
        sentiment_chart=Markup(sentiment_chart),
        histogram_chart=Markup(histogram_chart),
        spread=negative_spread(data),
        priority_chart=Markup(priority_chart),
        urgent=urgent_rows(data),
        risks_chart=Markup(risks_chart),
        risk_rows=risk_rows,
        months=months,
        months_chart=Markup(months_chart),
        group_ids=list(TAXONOMY.groups),
        group_names=TAXONOMY.groups,
        date_candidates=", ".join(DATE_COLUMN_CANDIDATES[:4]) + "…",
        breakdowns=breakdowns,
        breakdown_candidates=", ".join(c for names in BREAKDOWN_CANDIDATES.values() for c in names),
        examples=example_blocks,
        per_cause=examples,
    )


def report_format(output: Path, override: str | None = None) -> str:
    if override is not None:
        fmt = override.lower().lstrip(".")
        if fmt not in ("html", "md", "csv"):
            raise BatchError(f"--format must be html, md or csv, not {override!r}")
        return fmt
    fmt = REPORT_FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise BatchError(f"cannot tell the report format from {output.name!r}; end it in .html, .md or .csv or pass "
                         "--format")
    return fmt


def write_report(
    labelled: Path,
    output: Path,
    fmt: str | None = None,
    text_column: str | None = None,
    date_column: str | None = None,
    examples: int = 3,
) -> ReportData:
    """Aggregate ``labelled`` and write the report to ``output`` (html, md or csv); returns the aggregates."""
    kind = report_format(Path(output), fmt)
    data = collect(Path(labelled), text_column=text_column, date_column=date_column, examples=examples)
    if kind == "html":
        content = render_html(data, examples=examples)
    elif kind == "md":
        content = render_markdown(data)
    else:
        content = render_csv(data)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(content, encoding="utf-8")
    return data
