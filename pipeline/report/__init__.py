"""The analyst report: `quejas report LABELED -o informe.html` (or ``--format md|csv`` for a summary table).

Reads a file written by `quejas label` or downloaded from the page's batch tab (CSV, JSONL or Parquet,
one schema: `pipeline.batch.columns`) in chunks and only the columns it needs, so it works on files of
millions of rows, and aggregates causes, groups, sentiment, risks, monthly trends (when a date column
exists), breakdowns by channel / sector / product (when such columns exist), the most urgent complaints
by triage priority (pipeline/priority.py) and the highest-scoring complaints per cause. The HTML is one
self-contained file: inline CSS and SVG charts, no scripts, fonts or stylesheets from anywhere else, so
it can be mailed or archived as is.

``read`` reads the labelled file, ``stats`` aggregates it, ``charts`` lays out the bars and ``render``
fills the templates in ``pipeline/templates`` (report.html.j2, report_charts.html.j2, report.css,
report.md.j2).
"""

from pipeline.report.read import (
    BREAKDOWN_CANDIDATES,
    DATE_COLUMN_CANDIDATES,
    ReportColumns,
    find_date_column,
    iter_labelled,
    labelled_columns,
    report_columns,
    report_taxonomy,
)
from pipeline.report.render import (
    REPORT_FORMATS,
    SECTION_IDS,
    headline,
    render_csv,
    render_html,
    render_markdown,
    report_format,
    write_report,
)
from pipeline.report.stats import (
    HISTOGRAM_BINS,
    PRIORITY_LEVELS,
    SPREAD_BINS,
    URGENT_ROWS,
    ReportData,
    Stats,
    cause_rows,
    cause_table_columns,
    collect,
    negative_spread,
    summary_risk_column,
    urgent_rows,
)

__all__ = [
    "BREAKDOWN_CANDIDATES",
    "DATE_COLUMN_CANDIDATES",
    "HISTOGRAM_BINS",
    "PRIORITY_LEVELS",
    "REPORT_FORMATS",
    "SECTION_IDS",
    "SPREAD_BINS",
    "URGENT_ROWS",
    "ReportColumns",
    "ReportData",
    "Stats",
    "cause_rows",
    "cause_table_columns",
    "collect",
    "find_date_column",
    "headline",
    "iter_labelled",
    "labelled_columns",
    "negative_spread",
    "render_csv",
    "render_html",
    "render_markdown",
    "report_columns",
    "report_format",
    "report_taxonomy",
    "summary_risk_column",
    "urgent_rows",
    "write_report",
]
