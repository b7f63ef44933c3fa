"""Rendering the aggregates: the HTML report and the Markdown summary from Jinja templates, the CSV table.

The markup and styles live in ``pipeline/templates`` (``report.html.j2``, ``report_charts.html.j2``,
``report.css``, ``report.md.j2``) beside the reply templates; this module only prepares what they print.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from pipeline.batch.formats import format_from
from pipeline.priority import priority_display
from pipeline.report.charts import hbar, vbar
from pipeline.report.read import BREAKDOWN_CANDIDATES, DATE_COLUMN_CANDIDATES
from pipeline.report.stats import (
    HISTOGRAM_BINS,
    PRIORITY_LEVELS,
    ReportData,
    Stats,
    cause_rows,
    cause_table_columns,
    collect,
    display_cause,
    negative_spread,
    summary_risk_column,
    top_cause,
    urgent_rows,
)
from pipeline.spreadsheet_safety import escape_frame
from pipeline.taxonomy import Taxonomy

# Stable ids of the HTML sections with their menu titles, in page order (tests and bookmarks rely on the ids).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("resumen", "Resumen"),
    ("causas", "Causas"),
    ("grupos", "Tipo"),
    ("sentimiento", "Sentimiento"),
    ("riesgos", "Riesgos"),
    ("urgentes", "Urgentes"),
    ("tendencias", "Evolución"),
    ("desglose", "Desglose"),
    ("ejemplos", "Ejemplos"),
)
SECTION_IDS: tuple[str, ...] = tuple(section for section, _ in SECTIONS)
REPORT_FORMATS: dict[str, str] = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv"}
MAX_BREAKDOWN_VALUES = 12
PRIORITY_COLOURS = {"P1": "#b42318", "P2": "#dc6803", "P3": "#2f6db5", "P4": "#9ca3af"}
GROUP_COLOURS = {"operational": "#2f6db5", "emotional": "#c2410c", "mixed": "#7e57c2", "none": "#9ca3af"}
SENTIMENT_COLOURS = {"negative": "#c0392b", "neutral": "#8e8e8e", "positive": "#2e8b57"}
# Spanish names of the `error` kinds written by `quejas label` (pipeline.batch.columns.ERROR_KINDS).
ERROR_NAMES = {
    "missing": "Sin valor (celda vacía, nulo)",
    "empty": "Texto vacío o solo espacios",
    "not_text": "No es texto (número, fecha, sin letras)",
    "too_long": "Texto demasiado largo (--max-chars)",
    "undecodable": "Caracteres ilegibles (codificación)",
    "invalid_json": "Línea JSON ilegible",
    "malformed_row": "Fila con más campos que la cabecera",
    "analysis_failed": "Error del modelo",
}

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("pipeline", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def headline(data: ReportData) -> list[tuple[str, str]]:
    """The summary cards of the HTML report and the first table of the Markdown one."""
    total = data.total
    lines = [
        ("Filas en el archivo", f"{data.rows:,}"),
        ("Filas analizadas", f"{total.labelled:,}"),
        ("Filas con error (no analizadas)", f"{sum(data.errors.values()):,}"),
        ("Quejas (al menos una causa)", f"{total.complaints:,} ({pct(total.complaints, total.labelled)})"),
        ("Sentimiento negativo", f"{total.negative:,} ({pct(total.negative, total.labelled)})"),
    ]
    for risk in data.taxonomy.risks:
        lines.append((risk.display, f"{total.risks[risk.id]:,} ({pct(total.risks[risk.id], total.labelled)})"))
    if data.model_versions:
        lines.append(("Versión del modelo", ", ".join(sorted(data.model_versions))))
    return lines


@dataclass(frozen=True)
class MonthRow:
    month: str
    stats: Stats
    top: str


@dataclass(frozen=True)
class RiskRow:
    display: str
    description: str
    count: int
    pct: str


def _months(data: ReportData) -> list[MonthRow]:
    return [MonthRow(m, data.months[m], top_cause(data.months[m], data.taxonomy)) for m in sorted(data.months)]


def _common(data: ReportData) -> dict:
    """What both templates print."""
    return {
        "data": data,
        "headline": headline(data),
        "causes": cause_rows(data),
        "risks": data.taxonomy.risks,
        "risk_key": summary_risk_column,
        "spread": negative_spread(data),
        "urgent": urgent_rows(data),
        "months": _months(data),
        "pct": pct,
        "priority_display": partial(priority_display, rule=data.taxonomy.priority),
        "priority_levels": PRIORITY_LEVELS,
    }


def render_markdown(data: ReportData) -> str:
    return _ENVIRONMENT.get_template("report.md.j2").render(
        groups=data.taxonomy.groups, sentiments=data.taxonomy.sentiments, **_common(data)
    )


def render_csv(data: ReportData) -> str:
    table = escape_frame(pd.DataFrame(cause_rows(data), columns=cause_table_columns()))  # ids come from the file
    return table.to_csv(index=False, lineterminator="\n")


def render_html(data: ReportData, examples: int = 3) -> str:
    common = _common(data)
    total = data.total
    causes = common["causes"]
    taxonomy = data.taxonomy
    cause_group = {c.id: c.group for c in taxonomy.causes}
    risk_rows = [
        RiskRow(r.display, r.description, total.risks[r.id], pct(total.risks[r.id], total.labelled))
        for r in taxonomy.risks
    ]
    edges = np.linspace(-1, 1, HISTOGRAM_BINS + 1)
    charts = {
        "causes_chart": hbar(
            [(row["causa"], row["quejas"], f"{row['quejas']} · {row['porcentaje_quejas']:.1f} %") for row in causes],
            colour=[GROUP_COLOURS.get(cause_group.get(row["id"], ""), "#2f6db5") for row in causes],
        ),
        "groups_chart": hbar(
            [
                (label, total.groups[g], f"{total.groups[g]} · {pct(total.groups[g], total.labelled)}")
                for g, label in taxonomy.groups.items()
            ],
            colour=[GROUP_COLOURS.get(g, "#2f6db5") for g in taxonomy.groups],
        ),
        "sentiment_chart": hbar(
            [
                (label, data.sentiments[s], f"{data.sentiments[s]} · {pct(data.sentiments[s], total.labelled)}")
                for s, label in taxonomy.sentiments.items()
            ],
            colour=[SENTIMENT_COLOURS.get(s, "#2f6db5") for s in taxonomy.sentiments],
        ),
        "histogram_chart": vbar(
            [(f"{edges[i]:+.1f}", int(n), str(int(n))) for i, n in enumerate(data.histogram)],
            colour=[
                "#c0392b" if edges[i + 1] <= -0.2 else "#2e8b57" if edges[i] >= 0.2 else "#8e8e8e"
                for i in range(HISTOGRAM_BINS)
            ],
        ),
        "priority_chart": hbar(
            [
                (
                    f"{level} · {priority_display(level, taxonomy.priority)}",
                    data.priorities[level],
                    f"{data.priorities[level]} · {pct(data.priorities[level], total.labelled)}",
                )
                for level in PRIORITY_LEVELS
            ],
            colour=[PRIORITY_COLOURS[level] for level in PRIORITY_LEVELS],
        )
        if data.has_priority
        else None,
        "risks_chart": hbar([(r.display, r.count, f"{r.count} · {r.pct}") for r in risk_rows], colour="#b7791f"),
        "months_chart": vbar([(m.month, m.stats.complaints, str(m.stats.complaints)) for m in common["months"][-36:]]),
    }
    breakdowns = []
    for title, (column, groups) in data.breakdowns.items():
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].labelled, kv[0]))
        values = [
            {
                "value": value,
                "stats": stats,
                "top": top_cause(stats, taxonomy),
                "negative": pct(stats.negative, stats.labelled),
            }
            for value, stats in ordered[:MAX_BREAKDOWN_VALUES]
        ]
        breakdowns.append(
            {"title": title, "column": column, "values": values, "hidden": max(0, len(ordered) - MAX_BREAKDOWN_VALUES)}
        )
    example_blocks = [
        {
            "display": display_cause(cause, taxonomy),
            "quotes": [(s, t) for s, _, t in sorted(data.examples[cause], reverse=True)],
        }
        for cause, _ in total.causes.most_common()
        if data.examples.get(cause)
    ]
    return _ENVIRONMENT.get_template("report.html.j2").render(
        **common,
        **charts,
        today=dt.date.today().isoformat(),
        versions=", ".join(sorted(data.model_versions)),
        nav=SECTIONS,
        errors=data.errors.most_common(),
        error_names=ERROR_NAMES,
        colours=GROUP_COLOURS,
        risk_rows=risk_rows,
        group_ids=list(taxonomy.groups),
        group_names=taxonomy.groups,
        date_candidates=", ".join(DATE_COLUMN_CANDIDATES[:4]) + "…",
        breakdowns=breakdowns,
        breakdown_candidates=", ".join(c for names in BREAKDOWN_CANDIDATES.values() for c in names),
        examples=example_blocks,
        per_cause=examples,
    )


def report_format(output: Path, override: str | None = None) -> str:
    return format_from(output, REPORT_FORMATS, override, what="report")


def write_report(
    labelled: Path,
    output: Path,
    fmt: str | None = None,
    text_column: str | None = None,
    date_column: str | None = None,
    examples: int = 3,
    taxonomy: Taxonomy | None = None,
) -> ReportData:
    """Aggregate ``labelled`` and write the report to ``output`` (html, md or csv); returns the aggregates.

    ``taxonomy`` names the causes and priority levels (`report_taxonomy`: --model's, else the label set
    written beside the file, else the built-in one); the causes are the file's.
    """
    kind = report_format(Path(output), fmt)
    data = collect(
        Path(labelled), text_column=text_column, date_column=date_column, examples=examples, taxonomy=taxonomy
    )
    if kind == "html":
        content = render_html(data, examples=examples)
    elif kind == "md":
        content = render_markdown(data)
    else:
        content = render_csv(data)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(content, encoding="utf-8")
    return data
