"""What the real set changes: models and TF-IDF with and without it, on real dev, real test and corpus test.

A model trained on the written corpus alone found under a third of the causes people mark in real public
complaints. This prints, for each model folder given and for TF-IDF fitted on the corpus alone and on
corpus + real train, the cause and group scores on the real dev split (where choices are made), the real
test split and the corpus test split (reported only), plus the confidence levels on real test.

    python bench/real_set.py --model models/latest --model models/quejas-es-corpus-only-f9
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.baselines import TfidfBaseline  # noqa: E402
from pipeline.confidence import level_shares  # noqa: E402
from pipeline.data import label_arrays, load_dataset_dict  # noqa: E402
from pipeline.evaluate import model_metrics, split_metrics  # noqa: E402

SPLITS = ("real_dev", "real_test", "test")
console = Console()


def tfidf_rows(dataset, corpus_only) -> dict[str, dict]:
    """TF-IDF + LR fitted on corpus train (tuned on corpus dev) and on corpus + real train (tuned on both devs)."""
    rows = {}
    for name, train, dev in (
        ("TF-IDF, corpus only", corpus_only["train"], corpus_only["dev"]),
        ("TF-IDF, corpus + real", dataset["train"], dataset["dev"]),
    ):
        gold_train, gold_dev = label_arrays(train), label_arrays(dev)
        tfidf = TfidfBaseline().fit(
            list(train["text"]), gold_train["causes"], gold_train["sentiment"], gold_train["risk"]
        )
        tfidf.tune(list(dev["text"]), gold_dev["causes"], gold_dev["risk"])
        rows[name] = {
            split: split_metrics(tfidf.predict(list(dataset[split]["text"])), dataset[split]) for split in SPLITS
        }
    return rows


def main(model: list[Path] = typer.Option([], "--model", "-m", help="Model folders to compare (repeatable).")) -> None:
    dataset = load_dataset_dict()
    corpus_only = load_dataset_dict(include_real=False)
    if "real_test" not in dataset:
        raise typer.BadParameter("the real set (data/real/labels/final.jsonl) is missing")
    rows = tfidf_rows(dataset, corpus_only)
    confidence = {}
    for folder in model:
        rows[folder.name] = {split: model_metrics(folder, dataset, split=split) for split in SPLITS}
        analyzer = Analyzer.load(folder)
        probs = analyzer.probabilities(list(dataset["real_test"]["text"]))
        gold = label_arrays(dataset["real_test"])["causes"]
        confidence[folder.name] = level_shares(
            probs.causes, gold, analyzer.cause_cut, analyzer.config.confidence_cutoffs
        )
    table = Table(title="Cause micro-F1 / macro-F1 / group accuracy")
    table.add_column("system")
    for split in SPLITS:
        table.add_column(split, justify="right")
    for name, by_split in rows.items():
        cells = [
            f"{m['cause_micro_f1']:.3f} / {m['cause_macro_f1']:.3f} / {m['group_accuracy']:.3f}"
            for m in (by_split[s] for s in SPLITS)
        ]
        table.add_row(name, *cells)
    console.print(table)
    for name, levels in confidence.items():
        parts = ", ".join(
            f"{level} {v['share']:.0%} of texts (exact cause set {v['exact_set_accuracy'] or 0:.0%})"
            for level, v in levels.items()
        )
        console.print(f"{name}, confidence on real test: {parts}")


if __name__ == "__main__":
    typer.run(main)
