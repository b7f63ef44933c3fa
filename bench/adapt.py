"""A company whose sector the model never saw: how much do its first corrections help, and how fast?

One or two sectors of data/complaints are left out of training (from every split). Their records are
shuffled once (fixed seed): the first ``max(k)`` are the pool the company corrects, the rest are scored.
For each k (default 0, 25, 50, 100, 200) the first k of the pool are given as corrections and the rest of
those sectors is scored three ways:

- ``memory``: the correction memory of the service (pipeline/feedback/memory.py), no training;
- ``update``: `quejas train --from BASE --extra_data corrections.jsonl` for a short run (``--update-epochs``);
- ``retrain``: a full training from the base encoder with the corrections as extra data.

Each line prints cause micro/macro-F1 on the unseen sectors, cause micro-F1 on the corpus test split
(minus those sectors: the "no drop" check) and the wall-clock minutes the adaptation took, total and per
correction. The base model for ``memory`` and ``update`` is trained here once (or given with ``--base``).

    python bench/adapt.py --base-model /path/to/multilingual-e5-small --work /tmp/quejas-adapt \\
        --sectors clinics --sectors education --modes memory --modes update
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer
from datasets import DatasetDict
from rich.console import Console
from rich.table import Table
from sklearn.metrics import f1_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.corpus import CorpusRecord, load_records  # noqa: E402
from pipeline.data import cause_vector, load_dataset_dict  # noqa: E402
from pipeline.feedback.memory import CorrectionMemory, model_key  # noqa: E402
from pipeline.feedback.models import Correction, PredictedCause, Prediction  # noqa: E402
from pipeline.feedback.store import FeedbackStore  # noqa: E402
from pipeline.train import train  # noqa: E402
from pipeline.training_args import TrainingConfig  # noqa: E402

console = Console()
KS = [0, 25, 50, 100, 200]
MODES = ["memory", "update", "retrain"]
SEED = 13


def unseen_pool(records: list[CorpusRecord], sectors: list[str], pool_size: int) -> tuple[list, list]:
    """The left-out sectors' records, shuffled once: (corrections pool, scored rest)."""
    held = sorted((r for r in records if r.sector in sectors), key=lambda r: r.id)
    random.Random(SEED).shuffle(held)
    if len(held) <= pool_size:
        raise typer.BadParameter(f"sectors {sectors} have {len(held)} records; need more than k={pool_size}")
    return held[:pool_size], held[pool_size:]


def without_sectors(dataset: DatasetDict, sectors: list[str]) -> DatasetDict:
    kept = {name: split.filter(lambda row: row["sector"] not in sectors) for name, split in dataset.items()}
    return DatasetDict(kept)


def replayed(dataset: DatasetDict, rows: int | None) -> DatasetDict:
    """The dataset with a random ``rows`` of its train split: an update run rehearses part of the corpus only."""
    if rows is None or rows >= len(dataset["train"]):
        return dataset
    return DatasetDict({**dataset, "train": dataset["train"].shuffle(seed=SEED).select(range(rows))})


def cause_scores(probs: np.ndarray, cuts: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    pred = (probs >= cuts).astype(int)
    return {
        "micro": float(f1_score(gold, pred, average="micro", zero_division=0)),
        "macro": float(f1_score(gold, pred, average="macro", zero_division=0)),
    }


def correction_jsonl(records: list[CorpusRecord], path: Path) -> Path:
    """The corrections as an extra-data file (the corpus fields quejas train --extra_data reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            row = {
                "text": r.text,
                "causes": ";".join(r.causes),
                "sentiment": r.sentiment,
                "sentiment_score": r.sentiment_score,
                "risks": ";".join(k for k, v in r.risk.model_dump().items() if v),
                "sector": r.sector,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


class Scorer:
    """Scores model folders on the unseen rest and on the corpus test split (minus the left-out sectors)."""

    def __init__(self, rest: list[CorpusRecord], corpus_test) -> None:
        self.rest_texts = [r.text for r in rest]
        self.rest_gold = np.array([cause_vector(r.causes) for r in rest])
        self.test_texts = list(corpus_test["text"])
        self.test_gold = np.array(corpus_test["cause_labels"])

    def folder(self, folder: Path) -> dict:
        analyzer = Analyzer.load(folder, device="cpu")
        unseen = analyzer.probabilities(self.rest_texts).causes
        test = analyzer.probabilities(self.test_texts).causes
        return {
            **cause_scores(unseen, analyzer.cause_cut, self.rest_gold),
            "corpus_micro": cause_scores(test, analyzer.cause_cut, self.test_gold)["micro"],
        }


def memory_rows(
    base: Path, pool: list[CorpusRecord], scorer: Scorer, ks: list[int], work: Path, similarities: list[float]
):
    """The base model's probabilities once, then the memory's adjustment with the first k corrections."""
    analyzer = Analyzer.load(base, device="cpu")
    unseen = analyzer.probabilities(scorer.rest_texts)
    test = analyzer.probabilities(scorer.test_texts)
    for k, min_sim in ((k, m) for m in similarities for k in ks):
        started = time.perf_counter()
        db = work / f"memory-k{k}.db"
        db.unlink(missing_ok=True)
        store = FeedbackStore(f"sqlite:///{db}", mask=False)
        for r in pool[:k]:
            prediction = Prediction(model=analyzer.info, causes=[PredictedCause(id=c, score=1.0) for c in r.causes])
            store.add(Correction(text=r.text, prediction=prediction, causes=r.causes, sentiment=r.sentiment))
        memory = CorrectionMemory(
            store, model_key(analyzer.config), analyzer.config.causes, analyzer.embeddings, min_similarity=min_sim
        )
        unseen_causes = memory.adjust(unseen.causes, unseen.embeddings)
        test_causes = memory.adjust(test.causes, test.embeddings)
        minutes = (time.perf_counter() - started) / 60
        store.close()
        yield (
            k,
            {
                "min_similarity": min_sim,
                **cause_scores(unseen_causes, analyzer.cause_cut, scorer.rest_gold),
                "corpus_micro": cause_scores(test_causes, analyzer.cause_cut, scorer.test_gold)["micro"],
                "minutes": minutes,
            },
        )


def trained_row(config: TrainingConfig, dataset: DatasetDict, scorer: Scorer) -> dict:
    started = time.perf_counter()
    result = train(config, dataset)
    minutes = (time.perf_counter() - started) / 60
    return {**scorer.folder(result.folder), "minutes": minutes, "folder": str(result.folder)}


def main(
    base_model: str = typer.Option(
        "intfloat/multilingual-e5-small", help="Base encoder (folder or HF id) of the base model and retrains."
    ),
    work: Path = typer.Option(Path("/tmp/quejas-adapt"), help="Where model folders, stores and results go."),
    sectors: list[str] = typer.Option(["clinics", "education"], "--sectors", help="Sectors the base never sees."),
    ks: list[int] = typer.Option(KS, "--k", help="Numbers of corrections to give."),
    modes: list[str] = typer.Option(MODES, "--modes", help="memory, update and/or retrain."),
    base: Path | None = typer.Option(None, help="A base model folder trained without the sectors (else trained here)."),
    base_epochs: int = typer.Option(3, help="Epochs of the base model (and of each full retrain)."),
    update_epochs: int = typer.Option(1, help="Epochs of each --from update run."),
    replay: int | None = typer.Option(
        None, help="Corpus train rows an update run replays beside the corrections (default: all of them)."
    ),
    frozen_layers: int = typer.Option(9, help="Frozen lower encoder blocks for every training here."),
    blend: bool = typer.Option(False, help="Fit the TF-IDF blend after each training (slower)."),
    min_similarity: list[float] = typer.Option(
        [0.9], "--min-similarity", help="The memory's min_similarity, one run each (the service's default is 0.9)."
    ),
    threads: int | None = typer.Option(None, help="CPU threads for torch."),
) -> None:
    """Print, per mode and k, cause F1 on the unseen sectors and on the corpus test split, and minutes per row."""
    bad = sorted(set(modes) - set(MODES))
    if bad:
        raise typer.BadParameter(f"unknown mode(s) {bad}; use {', '.join(MODES)}")
    work.mkdir(parents=True, exist_ok=True)
    pool, rest = unseen_pool(load_records(), sectors, max(ks))
    corpus = without_sectors(load_dataset_dict(include_real=False), sectors)
    scorer = Scorer(rest, corpus["test"])
    console.print(f"left out {sectors}: pool {len(pool)}, scored {len(rest)}; corpus train {len(corpus['train'])}")
    config = TrainingConfig(
        base_model=base_model,
        output_dir=str(work / "models"),
        epochs=base_epochs,
        frozen_layers=frozen_layers,
        lexical_blend=blend,
        neighbour_vote=blend,
        run_baselines=False,
        real_data=False,
        update_latest=False,
        threads=threads,
    )
    results_file = work / "results.jsonl"
    rows: list[tuple[str, int, dict]] = []

    def record(mode: str, k: int, row: dict) -> None:
        rows.append((mode, k, row))
        with open(results_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"mode": mode, "k": k, "sectors": sectors, **row}) + "\n")
        console.print(f"{mode} k={k}: {row}")

    if base is None:
        base_row = trained_row(replace(config, name_prefix="adapt-base"), corpus, scorer)
        base = Path(base_row["folder"])
        record("base", 0, base_row)
    if "memory" in modes:
        for k, row in memory_rows(base, pool, scorer, ks, work, min_similarity):
            record(f"memory@{row['min_similarity']}", k, row)
    for mode in ("update", "retrain"):
        if mode not in modes:
            continue
        for k in ks:
            if k == 0:
                continue
            extra = correction_jsonl(pool[:k], work / f"corrections-k{k}.jsonl")
            run = replace(config, name_prefix=f"adapt-{mode}-k{k}", extra_data=[str(extra)])
            data = corpus
            if mode == "update":
                run = replace(run, from_model=str(base), epochs=update_epochs)
                data = replayed(corpus, replay)
            record(mode, k, trained_row(run, data, scorer))
    print_table(rows)


def print_table(rows: list[tuple[str, int, dict]]) -> None:
    table = Table(title="Unseen sectors: cause F1 after k corrections")
    for column in ("mode", "k", "unseen micro-F1", "unseen macro-F1", "corpus test micro-F1", "minutes", "min/row"):
        table.add_column(column, justify="right")
    for mode, k, row in rows:
        per_row = f"{row['minutes'] / k:.3f}" if k else "-"
        table.add_row(
            mode,
            str(k),
            f"{row['micro']:.3f}",
            f"{row['macro']:.3f}",
            f"{row['corpus_micro']:.3f}",
            f"{row['minutes']:.1f}",
            per_row,
        )
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
