"""`quejas report`: the analyst report of a labelled file."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app
from pipeline.cli.render import console


@app.command("report", rich_help_panel="Files and reports")
def report_command(
    labelled: Path = typer.Argument(..., help="File written by `quejas label` (.csv, .jsonl or .parquet)."),
    output: Path = typer.Option(Path("informe.html"), "--output", "-o", help="Report file: .html, .md or .csv."),
    report_format: str = typer.Option(
        None, "--format", help="html (full report), md or csv (summary table per cause); overrides the extension."
    ),
    text_column: str = typer.Option(None, "--text-column", "-t", help="Column with the complaint text (auto)."),
    date_column: str = typer.Option(
        None, "--date-column", help="Column with the date for monthly trends (auto: fecha, date, created_at...)."
    ),
    examples: int = typer.Option(3, help="Representative complaints shown per cause (highest score first)."),
    model: Path = typer.Option(
        None,
        "--model",
        "-m",
        help="Model folder that labelled the file: its taxonomy names the causes and priority levels (default: "
        "the label set `quejas label` wrote beside the file, else the built-in names). Refused when its causes "
        "are not the file's.",
    ),
) -> None:
    """Analyst report of a labelled file: causes, groups, sentiment, risks, monthly trends, breakdowns, examples."""
    from pipeline.model_folder import ModelFolder
    from pipeline.report import report_taxonomy, write_report

    chosen = None
    if model is not None:
        folder = ModelFolder(model)
        folder.read_config()  # a clear error when it is not a model folder
        chosen = folder.read_taxonomy()
    taxonomy = report_taxonomy(labelled, chosen)
    data = write_report(
        labelled,
        output,
        fmt=report_format,
        text_column=text_column,
        date_column=date_column,
        examples=examples,
        taxonomy=taxonomy,
    )
    console.print(f"report written to {output} ({data.rows:,} rows, {data.total.complaints:,} complaints)")
