"""Validate the quejas corpus and print its statistics.

    python data/validate.py                      # whole corpus: records, duplicates, quotas, splits; real set
    python data/validate.py --records-only F...  # some files: record rules and duplicates only

Exits 1 when any rule or quota is violated, so CI and the tests can rely on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Runnable as a plain script from a fresh checkout, before `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline import paths  # noqa: E402
from pipeline.corpus import read_corpus, read_real  # noqa: E402
from pipeline.data import check_splits  # noqa: E402
from pipeline.validation import Report, validate, validate_real  # noqa: E402

console = Console()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def print_report(report: Report, max_violations: int = 60) -> None:
    stats = report.stats
    table = Table(title="Corpus statistics", show_header=True)
    table.add_column("statistic")
    table.add_column("value", overflow="fold")
    for key, value in stats.items():
        if hasattr(value, "most_common"):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        table.add_row(key, _fmt(value))
    console.print(table)

    if report.quota_results:
        quotas = Table(title="Quotas", show_header=True)
        for column in ("quota", "measured", "required", "ok"):
            quotas.add_column(column)
        for name, measured, required, passed in report.quota_results:
            quotas.add_row(name, _fmt(measured), _fmt(required), "yes" if passed else "[red]NO[/red]")
        console.print(quotas)

    for a, b, score in report.near_duplicates[:20]:
        console.print(f"near-duplicate: {a} ~ {b} (Jaccard {score:.2f})")
    for violation in report.violations[:max_violations]:
        console.print(
            f"[red]{escape(violation.record_id)}[/red] {escape(f'[{violation.rule}]')} {escape(violation.message)}",
            highlight=False,
        )
    if len(report.violations) > max_violations:
        console.print(f"... and {len(report.violations) - max_violations} more violations")


def markdown_stats(report: Report) -> str:
    """The statistics as a Markdown table, for the dataset card."""
    lines = ["| statistic | value |", "|---|---|"]
    for key, value in report.stats.items():
        if hasattr(value, "most_common"):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
        lines.append(f"| {key} | {_fmt(value)} |")
    return "\n".join(lines)


def main(
    files: list[Path] = typer.Argument(None, help="JSONL files to check (default: every file in data/complaints)."),
    records_only: bool = typer.Option(
        False, "--records-only", help="Check record rules and duplicates only; skip corpus-wide quotas and splits."
    ),
    markdown: bool = typer.Option(False, "--markdown", help="Also print the statistics as a Markdown table."),
) -> None:
    """Validate corpus records, duplicates, diversity, balance quotas and the fixed splits."""
    missing = [str(f) for f in files or [] if not f.exists()]
    if missing:
        console.print(f"[red]no such file: {', '.join(missing)}[/red]")
        raise typer.Exit(2)
    records, problems = read_corpus(list(files) if files else None)
    report = validate(records, problems, quotas=not records_only)
    split_errors = [] if records_only else check_splits(records)
    print_report(report)
    if markdown:
        console.print(markdown_stats(report), soft_wrap=True, highlight=False, markup=False)
    for error in split_errors:
        console.print(f"[red]splits[/red] {error}")
    real_report, real_split_errors, real_count = Report(), [], 0
    if not files and not records_only:
        real_records, real_problems = read_real()
        real_count = len(real_records)
        if real_records or real_problems:
            real_report = validate_real(real_records, real_problems, records)
            real_split_errors = check_splits(real_records, paths.real_splits_path())
            for violation in real_report.violations[:60]:
                console.print(f"[red]real[/red] {violation.record_id}: {violation.rule}: {violation.message}")
            for error in real_split_errors:
                console.print(f"[red]real splits[/red] {error}")
    if report.ok and not split_errors and real_report.ok and not real_split_errors:
        real = f" and {real_count} real records" if real_count else ""
        console.print(f"[green]OK[/green]: {len(records)} corpus records{real} pass every check.")
        return
    count = len(report.violations) + len(split_errors) + sum(not ok for *_, ok in report.quota_results)
    count += len(real_report.violations) + len(real_split_errors)
    console.print(f"[red]FAILED[/red]: {count} problem(s).")
    raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
