"""Result tables: the same numbers as a terminal table (`quejas eval`, `quejas train`) and as Markdown
(the model card, bench/README.md), so the two never disagree on rows, order or rounding.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table

from pipeline.taxonomy import CAUSE_IDS, RISK_IDS


def _cause_ids(results: dict[str, dict]) -> list[str]:
    """The causes the results were measured on (a model trained on its own taxonomy has its own)."""
    first = next(iter(results.values()), {})
    return list(first.get("per_cause_f1") or CAUSE_IDS)


def comparison_table(results: dict[str, dict], title: str = "Test split") -> Table:
    """Rows are metrics, columns are systems: the shape of the model card and of the issue report."""
    table = Table(title=title)
    table.add_column("metric")
    names = list(results)
    for name in names:
        table.add_column(name, justify="right")
    rows = [
        ("cause micro-F1", "cause_micro_f1"),
        ("cause macro-F1", "cause_macro_f1"),
        ("group accuracy", "group_accuracy"),
        ("sentiment macro-F1", "sentiment_macro_f1"),
        ("risk macro-F1", "risk_macro_f1"),
    ]
    for label, key in rows:
        table.add_row(label, *(f"{results[n][key]:.3f}" for n in names))
    for risk in RISK_IDS:
        table.add_row(f"  risk F1 {risk}", *(f"{results[n]['per_risk_f1'][risk]:.3f}" for n in names))
    for cause in _cause_ids(results):
        table.add_row(f"  F1 {cause}", *(f"{results[n]['per_cause_f1'][cause]:.3f}" for n in names))
    return table


INTENSITY_ROWS: tuple[tuple[str, str], ...] = (
    ("MAE, all texts", "mae"),
    ("rank correlation, all texts", "spearman"),
    ("MAE, negatives", "mae_negative"),
    ("rank correlation, negatives", "spearman_negative"),
    ("negatives scored below -0.9", "negative_below_-0.9"),
    ("negatives labelled below -0.9", "negative_labelled_below_-0.9"),
)


def intensity_columns(results: dict[str, dict]) -> dict[str, dict]:
    """Intensity numbers per system for the table: each model variant, then the P(pos) - P(neg) baseline."""
    columns = {}
    for name, result in results.items():
        found = result.get("intensity")
        if found:
            columns[f"{name} ({found.get('source', 'intensity')})"] = found
    baseline = next((r["intensity_baseline"] for r in results.values() if r.get("intensity_baseline")), None)
    if baseline:
        columns["P(pos) - P(neg)"] = baseline
    return columns


def _cell(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def intensity_table(columns: dict[str, dict], title: str = "How upset: score against the labels") -> Table:
    """MAE and Spearman rank correlation with the labelled score per system (see `intensity_columns`)."""
    table = Table(title=title)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for label, key in INTENSITY_ROWS:
        table.add_row(label, *(_cell(m.get(key)) for m in columns.values()))
    return table


def intensity_markdown(columns: dict[str, dict]) -> str:
    names = list(columns)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, key in INTENSITY_ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(columns[n].get(key)) for n in names) + " |")
    return "\n".join(lines)


def _per_label(block: str, label: str) -> Callable[[dict], float]:
    return lambda metrics: metrics[block][label]


def markdown_table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    keys: list[tuple[str, Callable[[dict], float]]] = [
        ("cause micro-F1", lambda m: m["cause_micro_f1"]),
        ("cause macro-F1", lambda m: m["cause_macro_f1"]),
        ("group accuracy", lambda m: m["group_accuracy"]),
        ("sentiment macro-F1", lambda m: m["sentiment_macro_f1"]),
        ("risk macro-F1", lambda m: m["risk_macro_f1"]),
    ]
    keys += [(f"risk F1 `{r}`", _per_label("per_risk_f1", r)) for r in RISK_IDS]
    keys += [(f"F1 `{c}`", _per_label("per_cause_f1", c)) for c in _cause_ids(results)]
    for label, get in keys:
        lines.append(f"| {label} | " + " | ".join(f"{get(results[n]):.3f}" for n in names) + " |")
    return "\n".join(lines)
