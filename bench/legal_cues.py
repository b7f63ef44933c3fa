"""Legal-risk recall on messages unlike the corpus: the model alone, the guide's cue phrases, both.

`data/challenge/legal.jsonl` holds 200 short messages (100 legal threats in many phrasings and
varieties, 100 look-alikes: "soy abogada", "alta demanda", "consumo de datos", police reports,
customers who say they will *not* go to Profeco). It was written apart from the corpus and the cue
patterns, and nothing is tuned on it. The corpus splits are scored too, to show what the cues change
there.

    python bench/legal_cues.py --model models/latest
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.cues import cue_matrix  # noqa: E402
from pipeline.data import label_arrays, load_dataset_dict  # noqa: E402
from pipeline.taxonomy import RISK_IDS  # noqa: E402

CHALLENGE = REPO / "data" / "challenge" / "legal.jsonl"
LEGAL = RISK_IDS.index("legal")


def scores(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = int((predicted & gold).sum())
    precision = tp / max(1, int(predicted.sum()))
    recall = tp / max(1, int(gold.sum()))
    return recall, precision, 2 * precision * recall / max(1e-9, precision + recall)


def legal_flags(model: Analyzer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Model-alone flags and cue flags for ``texts``."""
    by_model = model.probabilities(texts).risk[:, LEGAL] >= model.risk_cut[LEGAL]
    by_cues = cue_matrix(texts, RISK_IDS)[:, LEGAL] > 0
    return by_model, by_cues


def main(model: Path = typer.Option(Path("models/latest"), help="Model folder.")) -> None:
    console = Console()
    analyzer = Analyzer.load(model, cues=False)
    rows = [json.loads(line) for line in CHALLENGE.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, gold = [r["text"] for r in rows], np.array([bool(r["legal"]) for r in rows])
    by_model, by_cues = legal_flags(analyzer, texts)
    title = f"Legal risk on {CHALLENGE.relative_to(REPO)} ({gold.sum()} threats, {(~gold).sum()} look-alikes)"
    table = Table(title=title)
    for column in ("", "recall", "precision", "F1"):
        table.add_column(column, justify="right" if column else "left")
    for name, flags in (("model", by_model), ("cues", by_cues), ("model + cues (shipped)", by_model | by_cues)):
        table.add_row(name, *(f"{v:.3f}" for v in scores(flags, gold)))
    console.print(table)

    dataset = load_dataset_dict()
    for split in ("dev", "test"):
        texts = list(dataset[split]["text"])
        split_gold = label_arrays(dataset[split])["risk"][:, LEGAL] > 0
        by_model, by_cues = legal_flags(analyzer, texts)
        changed = int((by_cues & ~by_model).sum())
        before, after = scores(by_model, split_gold)[2], scores(by_model | by_cues, split_gold)[2]
        console.print(f"{split}: legal F1 {before:.3f} model, {after:.3f} with cues ({changed} flags raised by cues)")


if __name__ == "__main__":
    typer.run(main)
