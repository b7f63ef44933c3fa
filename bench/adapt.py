"""A company whose sector the model never saw: how much do its first corrections help, and how fast?

Two kinds of company (``--company``):

- ``sectors`` (the default): one or two sectors of data/complaints are left out of training (from every
  split). Their records are shuffled once (fixed seed): the first ``max(k)`` are the pool the company
  corrects, the rest are scored. The corpus is written by the project, so a left-out sector still shares
  the others' wording.
- ``real:<source>`` (e.g. ``real:coar``, restaurant reviews; ``real:decide_madrid``, a city council's
  portal): one source of the labelled real set (data/real), real text the corpus-only base never saw.
  The pool is that source's records of the real **train** split (shuffled once, fixed seed); rows are
  scored on its records of the real **dev** split (where choices are made) and reported on its records
  of the real **test** split (never used to choose anything). Records without a cause (praise, neutral
  posts) are scored as in `quejas eval`: a cause predicted for them is a false positive.

For each k (default 0, 25, 50, 100, 200; real sources up to the size of their pool) the first k of the pool
are given as corrections and the scored records are scored three ways:

- ``memory``: the correction memory of the service (pipeline/feedback/memory.py), no training: the
  near-identical override alone (``--calibration-floor off``) and with the company calibration
  (pipeline/feedback/calibration.py) at each floor given (the service's default is 0.6);
- ``update``: `quejas train --from BASE --extra_data corrections.jsonl` for a short run (``--update-epochs``);
- ``retrain``: a full training from the base encoder with the corrections as extra data.

Each line prints cause micro/macro-F1 on the scored records (and on the reported ones), cause micro-F1 on
the corpus test split (minus any left-out sectors: the "no drop" check) and the wall-clock minutes the
adaptation took, total and per correction. The base model for ``memory`` and ``update`` is trained here
once (or given with ``--base``).

    python bench/adapt.py --base-model /path/to/multilingual-e5-small --work /tmp/quejas-adapt \\
        --sectors clinics --sectors education --modes memory --modes update
    python bench/adapt.py --base-model /path/to/multilingual-e5-small --work /tmp/quejas-adapt-coar \\
        --company real:coar --modes memory --modes update --modes retrain
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
from sklearn.metrics import accuracy_score, f1_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline import paths  # noqa: E402
from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.corpus import CorpusRecord, RealRecord, load_real_records, load_records  # noqa: E402
from pipeline.data import cause_vector, load_dataset_dict, read_splits  # noqa: E402
from pipeline.feedback.memory import CorrectionMemory, model_key  # noqa: E402
from pipeline.feedback.models import Correction, PredictedCause, Prediction  # noqa: E402
from pipeline.feedback.store import FeedbackStore  # noqa: E402
from pipeline.metrics import groups_from_multi_hot  # noqa: E402
from pipeline.train import train  # noqa: E402
from pipeline.training_args import TrainingConfig  # noqa: E402

console = Console()
KS = [0, 25, 50, 100, 200]
MODES = ["memory", "update", "retrain"]
SEED = 13
REAL_PREFIX = "real:"


def shuffled(records: list) -> list:
    """The records in id order shuffled with the fixed seed: the same order whatever order they came in."""
    ordered = sorted(records, key=lambda r: r.id)
    random.Random(SEED).shuffle(ordered)
    return ordered


def unseen_pool(records: list[CorpusRecord], sectors: list[str], pool_size: int) -> tuple[list, list]:
    """The left-out sectors' records, shuffled once: (corrections pool, scored rest)."""
    held = shuffled([r for r in records if r.sector in sectors])
    if len(held) <= pool_size:
        raise typer.BadParameter(f"sectors {sectors} have {len(held)} records; need more than k={pool_size}")
    return held[:pool_size], held[pool_size:]


def real_company(
    records: list[RealRecord], splits: dict[str, list[str]], source: str
) -> tuple[list[RealRecord], list[RealRecord], list[RealRecord]]:
    """One real-set source as a company: (corrections pool, scored, reported).

    The pool is the source's train-split records, shuffled once; scored and reported are its dev and test
    records in split order. Taking them from the stored splits keeps every record the company corrects out
    of what is scored, and the test records out of every choice.
    """
    of_source = {r.id: r for r in records if r.source == source}
    if not of_source:
        known = ", ".join(sorted({r.source for r in records})) or "none (data/real/labels/final.jsonl missing?)"
        raise typer.BadParameter(f"no real-set source {source!r}; sources: {known}")
    train, dev, test = ([of_source[i] for i in splits[name] if i in of_source] for name in ("train", "dev", "test"))
    return shuffled(train), dev, test


def without_sectors(dataset: DatasetDict, sectors: list[str]) -> DatasetDict:
    kept = {name: split.filter(lambda row: row["sector"] not in sectors) for name, split in dataset.items()}
    return DatasetDict(kept)


def replayed(dataset: DatasetDict, rows: int | None) -> DatasetDict:
    """The dataset with a random ``rows`` of its train split: an update run rehearses part of the corpus only."""
    if rows is None or rows >= len(dataset["train"]):
        return dataset
    return DatasetDict({**dataset, "train": dataset["train"].shuffle(seed=SEED).select(range(rows))})


def cause_scores(probs: np.ndarray, cuts: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Cause micro/macro-F1 and group accuracy as `quejas eval` computes them: a record without a cause takes
    part (a cause predicted for it is a false positive; group ``none`` is right only if none is predicted)."""
    pred = (probs >= cuts).astype(int)
    return {
        "micro": float(f1_score(gold, pred, average="micro", zero_division=0)),
        "macro": float(f1_score(gold, pred, average="macro", zero_division=0)),
        "group": float(accuracy_score(groups_from_multi_hot(gold), groups_from_multi_hot(pred))),
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
    """Scores on the company's scored records, its reported ones (if any) and the corpus test split.

    Row keys: ``micro`` / ``macro`` / ``group`` on the scored records, ``test_micro`` / ``test_macro`` /
    ``test_group`` on the reported ones, ``corpus_micro`` on the corpus test split (minus any left-out sectors).
    """

    def __init__(self, scored: list[CorpusRecord], corpus_test, reported: list[CorpusRecord] | None = None) -> None:
        self.sets = {"scored": self._texts_gold(scored)}
        if reported is not None:
            self.sets["reported"] = self._texts_gold(reported)
        self.sets["corpus"] = (list(corpus_test["text"]), np.array(corpus_test["cause_labels"]))

    @staticmethod
    def _texts_gold(records: list[CorpusRecord]) -> tuple[list[str], np.ndarray]:
        return [r.text for r in records], np.array([cause_vector(r.causes) for r in records])

    def probabilities(self, analyzer: Analyzer) -> dict:
        """The analyzer's probabilities on every set, once."""
        return {name: analyzer.probabilities(texts) for name, (texts, _) in self.sets.items()}

    def row(self, causes: dict[str, np.ndarray], cuts: np.ndarray) -> dict:
        """Cause F1 of every set's cause probabilities cut at the model's thresholds."""
        row = cause_scores(causes["scored"], cuts, self.sets["scored"][1])
        if "reported" in self.sets:
            reported = cause_scores(causes["reported"], cuts, self.sets["reported"][1])
            row.update(test_micro=reported["micro"], test_macro=reported["macro"], test_group=reported["group"])
        row["corpus_micro"] = cause_scores(causes["corpus"], cuts, self.sets["corpus"][1])["micro"]
        return row

    def folder(self, folder: Path) -> dict:
        analyzer = Analyzer.load(folder, device="cpu")
        return self.row({name: p.causes for name, p in self.probabilities(analyzer).items()}, analyzer.cause_cut)


def memory_rows(
    base: Path,
    pool: list[CorpusRecord],
    scorer: Scorer,
    ks: list[int],
    work: Path,
    similarities: list[float],
    calibration_floors: list[float | None],
):
    """The base model's probabilities once, then the memory's adjustment with the first k corrections.

    ``calibration_floors``: None is the near-identical memory alone; a number also fits the company
    calibration (pipeline/feedback/calibration.py) with that floor, as the service does by default.
    """
    analyzer = Analyzer.load(base, device="cpu")
    probs = scorer.probabilities(analyzer)
    scores: dict[str, np.ndarray] = {}  # the model's probabilities per correction text: computed once for every k

    def model_causes(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in scores]
        if missing:
            scores.update(zip(missing, analyzer.probabilities(missing, memory=False).causes))
        return np.stack([scores[t] for t in texts])

    runs = ((k, m, f) for m in similarities for f in calibration_floors for k in ks)
    for k, min_sim, floor in runs:
        started = time.perf_counter()
        db = work / f"memory-k{k}.db"
        db.unlink(missing_ok=True)
        store = FeedbackStore(f"sqlite:///{db}", mask=False)
        for r in pool[:k]:
            prediction = Prediction(model=analyzer.info, causes=[PredictedCause(id=c, score=1.0) for c in r.causes])
            store.add(Correction(text=r.text, prediction=prediction, causes=r.causes, sentiment=r.sentiment))
        calibration = (
            {}
            if floor is None
            else {
                "model_causes": model_causes,
                "cause_cut": analyzer.cause_cut,
                "calibration_floor": floor,
            }
        )
        memory = CorrectionMemory(
            store,
            model_key(analyzer.config),
            analyzer.config.causes,
            analyzer.embeddings,
            min_similarity=min_sim,
            **calibration,
        )
        adjusted = {name: memory.adjust(p.causes, p.embeddings) for name, p in probs.items()}
        minutes = (time.perf_counter() - started) / 60
        store.close()
        yield (
            k,
            {
                "min_similarity": min_sim,
                "calibration_floor": floor,
                **scorer.row(adjusted, analyzer.cause_cut),
                "minutes": minutes,
            },
        )


def company_data(company: str, sectors: list[str], ks: list[int]) -> tuple[list, Scorer, DatasetDict, list[int], dict]:
    """(corrections pool, scorer, corpus to train on, the ks the pool can give, what results.jsonl names)."""
    if company == "sectors":
        pool, rest = unseen_pool(load_records(), sectors, max(ks))
        corpus = without_sectors(load_dataset_dict(include_real=False), sectors)
        console.print(f"left out {sectors}: pool {len(pool)}, scored {len(rest)}; corpus train {len(corpus['train'])}")
        return pool, Scorer(rest, corpus["test"]), corpus, ks, {"sectors": sectors}
    if not company.startswith(REAL_PREFIX):
        raise typer.BadParameter(f"--company {company!r}: use `sectors` or `real:<source>` (e.g. real:coar)")
    source = company.removeprefix(REAL_PREFIX)
    pool, dev, test = real_company(load_real_records(), read_splits(paths.real_splits_path()), source)
    corpus = load_dataset_dict(include_real=False)
    usable = [k for k in ks if k <= len(pool)]
    if usable != ks:
        console.print(f"{source}: the train pool holds {len(pool)} records; k > {len(pool)} left out")
    console.print(
        f"company {company}: pool {len(pool)} (real train), scored {len(dev)} (real dev), reported {len(test)} "
        f"(real test); without a cause: {', '.join(str(sum(not r.causes for r in x)) for x in (pool, dev, test))}; "
        f"corpus train {len(corpus['train'])}, no real records"
    )
    return pool, Scorer(dev, corpus["test"], reported=test), corpus, usable, {"company": company}


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
    company: str = typer.Option(
        "sectors",
        help="`sectors`: leave --sectors out of the corpus; `real:<source>` (coar, coah, decide_madrid, "
        "sfu_reviewsp): one source of the real set, its train records as corrections, scored on its dev records "
        "and reported on its test records; the base never sees a real record.",
    ),
    sectors: list[str] = typer.Option(
        ["clinics", "education"], "--sectors", help="Sectors the base never sees (--company sectors)."
    ),
    ks: list[int] = typer.Option(KS, "--k", help="Numbers of corrections to give."),
    modes: list[str] = typer.Option(MODES, "--modes", help="memory, update and/or retrain."),
    base: Path | None = typer.Option(
        None, help="A base model folder trained without the sectors / the real set (else trained here)."
    ),
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
    calibration_floor: list[str] = typer.Option(
        ["off", "0.6"],
        "--calibration-floor",
        help="The memory's company calibration: `off`, or the floor of likeness to the corrections from which "
        "it applies (the service's default is 0.6); one run each.",
    ),
    threads: int | None = typer.Option(None, help="CPU threads for torch."),
) -> None:
    """Print, per mode and k, cause F1 on the company's records and on the corpus test split, and minutes per row."""
    bad = sorted(set(modes) - set(MODES))
    if bad:
        raise typer.BadParameter(f"unknown mode(s) {bad}; use {', '.join(MODES)}")
    work.mkdir(parents=True, exist_ok=True)
    if threads:
        import torch

        torch.set_num_threads(threads)  # the memory runs score here, outside any training
    pool, scorer, corpus, ks, names = company_data(company, sectors, ks)
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
            fh.write(json.dumps({"mode": mode, "k": k, **names, **row}) + "\n")
        console.print(f"{mode} k={k}: {row}")

    if base is None:
        base_row = trained_row(replace(config, name_prefix="adapt-base"), corpus, scorer)
        base = Path(base_row["folder"])
        record("base", 0, base_row)
    if "memory" in modes:
        floors = [calibration_floor_value(f) for f in calibration_floor]
        for k, row in memory_rows(base, pool, scorer, ks, work, min_similarity, floors):
            calibrated = "" if row["calibration_floor"] is None else f"+cal@{row['calibration_floor']}"
            record(f"memory@{row['min_similarity']}{calibrated}", k, row)
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


def calibration_floor_value(text: str) -> float | None:
    if text == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"--calibration-floor {text!r}: use `off` or a cosine such as 0.6") from None


def print_table(rows: list[tuple[str, int, dict]]) -> None:
    reported = any("test_micro" in row for _, _, row in rows)
    if reported:
        table = Table(title="Real-text company: cause F1 after k corrections")
        scores = ["dev micro-F1", "dev macro-F1", "dev group acc", "test micro-F1", "test macro-F1", "test group acc"]
    else:
        table = Table(title="Unseen sectors: cause F1 after k corrections")
        scores = ["unseen micro-F1", "unseen macro-F1"]
    for column in ("mode", "k", *scores, "corpus test micro-F1", "minutes", "min/row"):
        table.add_column(column, justify="right")
    keys = ("micro", "macro", "group", "test_micro", "test_macro", "test_group") if reported else ("micro", "macro")
    for mode, k, row in rows:
        per_row = f"{row['minutes'] / k:.3f}" if k else "-"
        table.add_row(
            mode,
            str(k),
            *(f"{row[key]:.3f}" for key in keys),
            f"{row['corpus_micro']:.3f}",
            f"{row['minutes']:.1f}",
            per_row,
        )
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
