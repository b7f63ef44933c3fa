"""How close must a correction be to count? The correction memory's similarity floor, chosen on dev.

`bench/adapt.py` showed the memory's floor of 0.9 is never reached by unseen-sector complaints and that
0.7 did better, but 0.7 was picked on the records it was scored on. Here the left-out sectors' records are
shuffled as in adapt.py (same seed: the first ``max(k)`` are the corrections pool) and the rest is halved:
the ``dev`` half chooses ``min_similarity`` and ``full_similarity``, the ``scored`` half only reports.

The choice: the grid point with the best unseen-dev cause micro-F1, averaged over the k given, among those
that do not lower cause micro-F1 on the corpus dev split (minus those sectors) by more than 1 point at the
largest k; a point within 0.002 of the best loses to a higher floor (a stricter memory). The chosen values
and the service's current ones are then reported on the scored half and on the corpus test split, where
one sector's corrections must not leak into other sectors' analyses. The model is read, never trained.
A paired bootstrap of the dev records says how often the chosen point beats the current one; the service's
default moves only where that is at least 90% and corpus dev does not drop by more than a point.

    python bench/memory_floor.py --base models/latest
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from adapt import SEED, unseen_pool, without_sectors  # noqa: E402

from pipeline import paths  # noqa: E402
from pipeline.analyzer import Analyzer  # noqa: E402
from pipeline.corpus import CorpusRecord, load_records  # noqa: E402
from pipeline.data import cause_vector, load_dataset_dict  # noqa: E402
from pipeline.feedback.memory import CorrectionMemory, model_key  # noqa: E402
from pipeline.feedback.models import Correction, PredictedCause, Prediction  # noqa: E402
from pipeline.feedback.store import FeedbackStore  # noqa: E402
from pipeline.inference import Probabilities  # noqa: E402

console = Console()
FLOORS = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
FULLS = [0.9, 0.95, 0.98]
CURRENT = (0.9, 0.98)
MAX_CORPUS_DROP = 0.01
TIE = 0.002


class Part:
    """Texts, gold multi-hot causes and the base model's probabilities (computed once)."""

    def __init__(self, analyzer: Analyzer, texts: list[str], gold: np.ndarray) -> None:
        self.gold = gold
        self.probs: Probabilities = analyzer.probabilities(texts)
        self.cuts = analyzer.cause_cut

    def predicted(self, memory: CorrectionMemory | None) -> np.ndarray:
        causes = self.probs.causes if memory is None else memory.adjust(self.probs.causes, self.probs.embeddings)
        return (causes >= self.cuts).astype(int)

    def micro(self, memory: CorrectionMemory | None) -> float:
        return micro_f1(self.gold, self.predicted(memory))


def micro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Cause micro-F1 (as adapt.cause_scores), in numpy so a bootstrap can call it thousands of times."""
    hits = float((gold * pred).sum())
    total = float(gold.sum() + pred.sum())
    return 2 * hits / total if total else 0.0


def paired_bootstrap(gold: np.ndarray, new: list[np.ndarray], old: list[np.ndarray], rounds: int = 2000) -> float:
    """Share of resamples of the records (with replacement) where ``new`` beats ``old`` on micro-F1, mean over k.

    The same resampled records score both, so the share says how often the gain survives another draw of dev.
    """
    rng = np.random.default_rng(SEED)
    wins = 0
    for _ in range(rounds):
        rows = rng.integers(0, len(gold), len(gold))
        gain = np.mean([micro_f1(gold[rows], n[rows]) - micro_f1(gold[rows], o[rows]) for n, o in zip(new, old)])
        wins += gain > 0
    return wins / rounds


def halves(rest: list[CorpusRecord]) -> tuple[list[CorpusRecord], list[CorpusRecord]]:
    """(dev, scored): the scored rest of adapt.py split in two by a second fixed shuffle."""
    shuffled = list(rest)
    random.Random(SEED + 1).shuffle(shuffled)
    middle = len(shuffled) // 2
    return shuffled[:middle], shuffled[middle:]


def stores(analyzer: Analyzer, pool: list[CorpusRecord], ks: list[int], work: Path) -> dict[int, FeedbackStore]:
    """One store per k with the first k corrections; the pool is embedded once and the vectors stored."""
    key = model_key(analyzer.config)
    vectors = analyzer.embeddings([r.text for r in pool])
    if vectors is None:
        raise typer.BadParameter("this model gives no embeddings, so it has no correction memory")
    out = {}
    for k in ks:
        store = FeedbackStore(f"sqlite:///{work / f'floor-k{k}.db'}", mask=False)
        for i, r in enumerate(pool[:k]):
            prediction = Prediction(model=analyzer.info, causes=[PredictedCause(id=c, score=1.0) for c in r.causes])
            stored = store.add(Correction(text=r.text, prediction=prediction, causes=r.causes, sentiment=r.sentiment))
            store.save_embeddings(key, {stored.id: vectors[i]})
        out[k] = store
    return out


def memory(analyzer: Analyzer, store: FeedbackStore, floor: float, full: float) -> CorrectionMemory:
    return CorrectionMemory(store, model_key(analyzer.config), analyzer.config.causes, analyzer.embeddings, floor, full)


def main(
    base: Path = typer.Option(None, help="Model folder (default: models/latest). Read only."),
    sectors: list[str] = typer.Option(["clinics", "education"], "--sectors", help="The company's sectors."),
    ks: list[int] = typer.Option([25, 50, 100, 200], "--k", help="Numbers of corrections given."),
    out: Path | None = typer.Option(None, help="Write every grid point's numbers here (JSON)."),
    points: list[str] = typer.Option(
        [], "--report", help="Another MIN,FULL point to report on the scored half and corpus test (e.g. 0.75,0.9)."
    ),
) -> None:
    """Choose min_similarity / full_similarity on unseen-sector dev records; report on the scored half."""
    base = base or paths.default_model_path()
    analyzer = Analyzer.load(base, device="cpu")
    records = load_records()
    pool, rest = unseen_pool(records, sectors, max(ks))
    dev, scored = halves(rest)
    corpus = without_sectors(load_dataset_dict(include_real=False), sectors)
    trained_on = set(json.loads(paths.splits_path().read_text(encoding="utf-8"))["train"])
    seen = {name: sum(r.id in trained_on for r in part) for name, part in (("dev", dev), ("scored", scored))}
    console.print(
        f"{base.resolve().name}: left out {sectors}; pool {len(pool)}, dev {len(dev)}, scored {len(scored)} "
        f"(in the corpus train split, seen by a model trained on every sector: dev {seen['dev']}, "
        f"scored {seen['scored']}); "
        f"corpus dev {len(corpus['dev'])}, corpus test {len(corpus['test'])}"
    )

    def part(rows: list[CorpusRecord]) -> Part:
        return Part(analyzer, [r.text for r in rows], np.array([cause_vector(r.causes) for r in rows]))

    unseen_dev, unseen_scored = part(dev), part(scored)
    corpus_dev = Part(analyzer, list(corpus["dev"]["text"]), np.array(corpus["dev"]["cause_labels"]))
    corpus_test = Part(analyzer, list(corpus["test"]["text"]), np.array(corpus["test"]["cause_labels"]))
    with tempfile.TemporaryDirectory(prefix="quejas-floor-") as tmp:
        by_k = stores(analyzer, pool, ks, Path(tmp))
        grid = [(f, g) for f in FLOORS for g in FULLS if g > f]
        if CURRENT not in grid:
            grid.append(CURRENT)
        results = []
        for floor, full in grid:
            dev_f1 = {k: unseen_dev.micro(memory(analyzer, by_k[k], floor, full)) for k in ks}
            corpus_dev_f1 = corpus_dev.micro(memory(analyzer, by_k[max(ks)], floor, full))
            results.append({"min": floor, "full": full, "dev": dev_f1, "corpus_dev": corpus_dev_f1})
        base_dev, base_corpus_dev = unseen_dev.micro(None), corpus_dev.micro(None)
        allowed = [r for r in results if r["corpus_dev"] >= base_corpus_dev - MAX_CORPUS_DROP]
        best = max(float(np.mean(list(r["dev"].values()))) for r in allowed)
        near = [r for r in allowed if float(np.mean(list(r["dev"].values()))) >= best - TIE]
        chosen = max(near, key=lambda r: (r["min"], r["full"]))
        print_grid(results, ks, base_dev, base_corpus_dev, chosen)
        share = paired_bootstrap(
            unseen_dev.gold,
            [unseen_dev.predicted(memory(analyzer, by_k[k], chosen["min"], chosen["full"])) for k in ks],
            [unseen_dev.predicted(memory(analyzer, by_k[k], *CURRENT)) for k in ks],
        )
        chosen["bootstrap_share"] = share
        if (chosen["min"], chosen["full"]) == CURRENT:
            console.print("dev keeps the current values")
        else:
            console.print(
                f"chosen min_similarity {chosen['min']:.2f}, full_similarity {chosen['full']:.2f}: beats the current "
                f"{CURRENT[0]:.2f} / {CURRENT[1]:.2f} on unseen-sector dev (mean over k) in {share:.0%} of 2,000 "
                "paired bootstrap resamples"
            )
        report = []
        extra = {(float(p.split(",")[0]), float(p.split(",")[1])) for p in points}
        for floor, full in sorted({(chosen["min"], chosen["full"]), CURRENT, *extra}):
            for k in ks:
                report.append(
                    {
                        "min": floor,
                        "full": full,
                        "k": k,
                        "scored": unseen_scored.micro(memory(analyzer, by_k[k], floor, full)),
                        "corpus_test": corpus_test.micro(memory(analyzer, by_k[k], floor, full)),
                    }
                )
        print_report(report, unseen_scored.micro(None), corpus_test.micro(None))
        for store in by_k.values():
            store.close()
    if out is not None:
        out.write_text(json.dumps({"grid": results, "chosen": chosen, "report": report}, indent=1), encoding="utf-8")


def print_grid(results: list[dict], ks: list[int], base_dev: float, base_corpus_dev: float, chosen: dict) -> None:
    table = Table(
        title=f"Dev: unseen-sector cause micro-F1 (no memory {base_dev:.3f}); corpus dev {base_corpus_dev:.3f}"
    )
    for column in ("min", "full", *(f"k={k}" for k in ks), "mean", "corpus dev @max k", ""):
        table.add_column(column, justify="right")
    for r in results:
        mark = "chosen" if r is chosen else ("current" if (r["min"], r["full"]) == CURRENT else "")
        table.add_row(
            f"{r['min']:.2f}",
            f"{r['full']:.2f}",
            *(f"{r['dev'][k]:.3f}" for k in ks),
            f"{np.mean(list(r['dev'].values())):.3f}",
            f"{r['corpus_dev']:.3f}",
            mark,
        )
    console.print(table)


def print_report(report: list[dict], base_scored: float, base_test: float) -> None:
    table = Table(title=f"Scored half and corpus test (no memory: {base_scored:.3f} / {base_test:.3f})")
    for column in ("min", "full", "k", "scored micro-F1", "Δ", "corpus test micro-F1", "Δ"):
        table.add_column(column, justify="right")
    for r in report:
        table.add_row(
            f"{r['min']:.2f}",
            f"{r['full']:.2f}",
            str(r["k"]),
            f"{r['scored']:.3f}",
            f"{r['scored'] - base_scored:+.3f}",
            f"{r['corpus_test']:.3f}",
            f"{r['corpus_test'] - base_test:+.3f}",
        )
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
