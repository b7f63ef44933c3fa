"""Agreement of the two blind labelling passes of the real set, per cause, and what the settled labels changed.

    python data/real/agreement.py                      # pass_a vs pass_b on the doubly labelled records
    python data/real/agreement.py --against final      # each pass against the settled labels

The real set's targets only mean something next to how often two careful readers agree on the same
texts. Pass B relabelled 450 records (all of test and 100 of dev) from the guide alone, without seeing
pass A. Scores use `quejas eval`'s metrics, pass B taken as the reference (F1 is symmetric).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from pipeline.data import cause_vector  # noqa: E402
from pipeline.metrics import evaluation_metrics  # noqa: E402
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS, SENTIMENT_IDS  # noqa: E402

LABELS = Path(__file__).resolve().parent / "labels"
console = Console()


def read_labels(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: row for row in rows}


def arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    return {
        "causes": np.array([cause_vector(r["causes"]) for r in rows]),
        "sentiment": np.array([SENTIMENT_IDS.index(r["sentiment"]) for r in rows]),
        "risk": np.array([[float(r["risk"][k]) for k in RISK_IDS] for r in rows]),
        "score": np.array([r["sentiment_score"] for r in rows]),
    }


def agreement(first: dict[str, dict], second: dict[str, dict]) -> dict:
    """`first` scored against `second` on the ids both label, plus how close their intensity scores are."""
    ids = sorted(set(first) & set(second))
    a, b = arrays([first[i] for i in ids]), arrays([second[i] for i in ids])
    metrics = evaluation_metrics(a["causes"], b["causes"], a["sentiment"], b["sentiment"], a["risk"], b["risk"])
    metrics["exact_cause_set"] = float((a["causes"] == b["causes"]).all(axis=1).mean())
    metrics["score_mae"] = float(np.abs(a["score"] - b["score"]).mean())
    metrics["score_spearman"] = float(spearmanr(a["score"], b["score"]).statistic)
    metrics["support"] = {
        c: [int(a["causes"][:, j].sum()), int(b["causes"][:, j].sum())] for j, c in enumerate(CAUSE_IDS)
    }
    return metrics


def main(
    against: str = typer.Option("pass_b", help="pass_b (the blind second pass) or final (the settled labels)."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the numbers as JSON."),
) -> None:
    pass_b = read_labels(LABELS / "pass_b.jsonl")
    # Only the doubly labelled records: elsewhere the final labels are pass A by construction.
    pass_a = {i: row for i, row in read_labels(LABELS / "pass_a.jsonl").items() if i in pass_b}
    reference = read_labels(LABELS / f"{against}.jsonl")
    results = {"pass_a": agreement(pass_a, reference)}
    if against == "final":
        results["pass_b"] = agreement(pass_b, reference)
    table = Table(title=f"Real set: agreement with {against} ({results['pass_a']['n_examples']} records)")
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    for key in ("cause_micro_f1", "cause_macro_f1", "exact_cause_set", "group_accuracy", "sentiment_macro_f1"):
        table.add_row(key, *(f"{r[key]:.3f}" for r in results.values()))
    table.add_row("sentiment score MAE", *(f"{r['score_mae']:.3f}" for r in results.values()))
    table.add_row("sentiment score Spearman", *(f"{r['score_spearman']:.3f}" for r in results.values()))
    for risk in RISK_IDS:
        table.add_row(f"  risk F1 {risk}", *(f"{r['per_risk_f1'][risk]:.3f}" for r in results.values()))
    for cause in CAUSE_IDS:
        support = results["pass_a"]["support"][cause]
        table.add_row(
            f"  F1 {cause} ({support[0]}/{support[1]})", *(f"{r['per_cause_f1'][cause]:.3f}" for r in results.values())
        )
    console.print(table)
    if output:
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
