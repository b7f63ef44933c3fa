"""Risk signals on messages unlike the corpus: the model alone, the guide's cue phrases, both.

`data/challenge/<risk>.jsonl` holds 200 short messages per risk signal: 100 that carry it, phrased in
as many ways as the writer could, and 100 look-alikes ("soy abogada", "consumo de datos", "vi la oferta
en Instagram", a happy five-star review). They were written apart from the corpus and the cue
patterns, and nothing is tuned on them. The corpus dev and test splits are scored too, to show what
the cues change there.

    python bench/risk_cues.py --model models/latest
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from sklearn.metrics import precision_recall_fscore_support

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.cues import cue_matrix  # noqa: E402
from pipeline.data import label_arrays, load_dataset_dict  # noqa: E402
from pipeline.taxonomy import RISK_IDS  # noqa: E402

CHALLENGES = REPO / "data" / "challenge"


def scores(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Recall, precision and F1 of the flag (the order of the printed columns)."""
    precision, recall, f1, _ = precision_recall_fscore_support(gold, predicted, average="binary", zero_division=0)
    return float(recall), float(precision), float(f1)


def flags(model: Analyzer, texts: list[str], risk: str) -> tuple[np.ndarray, np.ndarray]:
    """Model-alone flags and cue flags of one risk signal for ``texts``."""
    j = RISK_IDS.index(risk)
    by_model = model.probabilities(texts).risk[:, j] >= model.risk_cut[j]
    by_cues = cue_matrix(texts, RISK_IDS)[:, j] > 0
    return by_model, by_cues


def main(model: Path = typer.Option(Path("models/latest"), help="Model folder.")) -> None:
    console = Console()
    analyzer = Analyzer.load(model, cues=False)
    dataset = load_dataset_dict()
    for path in sorted(CHALLENGES.glob("*.jsonl")):
        risk = path.stem
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts, gold = [r["text"] for r in rows], np.array([bool(r[risk]) for r in rows])
        by_model, by_cues = flags(analyzer, texts, risk)
        table = Table(title=f"{risk} on {path.relative_to(REPO)} ({gold.sum()} with it, {(~gold).sum()} look-alikes)")
        for column in ("", "recall", "precision", "F1"):
            table.add_column(column, justify="right" if column else "left")
        for name, predicted in (("model", by_model), ("cues", by_cues), ("model + cues (shipped)", by_model | by_cues)):
            table.add_row(name, *(f"{v:.3f}" for v in scores(predicted, gold)))
        console.print(table)
        for split in ("dev", "test"):
            split_texts = list(dataset[split]["text"])
            split_gold = label_arrays(dataset[split])["risk"][:, RISK_IDS.index(risk)] > 0
            by_model, by_cues = flags(analyzer, split_texts, risk)
            before, after = scores(by_model, split_gold)[2], scores(by_model | by_cues, split_gold)[2]
            raised = int((by_cues & ~by_model).sum())
            console.print(f"  {split}: {risk} F1 {before:.3f} model, {after:.3f} with cues ({raised} raised by cues)")


if __name__ == "__main__":
    typer.run(main)
