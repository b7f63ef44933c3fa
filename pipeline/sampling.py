"""Choosing what to label next: texts the model is unsure of, spread over the kinds of message a company gets.

Labelling time is what a company has least of. The rows the model is already sure of teach it little; the
rows it is unsure of teach most, but taken alone they bunch up (fifty copies of the same unclear
template). So the pick is uncertainty sampling narrowed by diversity, the usual active-learning recipe
(e.g. Sener & Savarese's core-set, Zhdanov's diverse mini-batches): keep the most uncertain
``pool_factor * n`` rows, then choose among them greedily the row farthest (cosine, in the model's pooled
embedding space) from every row already chosen, starting from the most uncertain one.

Uncertainty is the complement of the confidence margin (pipeline/confidence.py): 1 when some cause's
probability sits on its threshold (the decision could go either way), 0 when every cause is as far from
its threshold as it can be. It is the same number the high / medium / low levels are cut from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analyzer import Analyzer
from pipeline.batch import risk_column, text_problem
from pipeline.confidence import uncertainty
from pipeline.errors import QuejasError
from pipeline.inference import Probabilities
from pipeline.taxonomy import RISK_IDS

POOL_FACTOR = 5
# The columns a sample adds for the labeller, in the names `--extra_data` reads.
SAMPLE_COLUMNS = ("uncertainty", "causes", "sentiment", *(f"risk_{risk}" for risk in RISK_IDS))


def pick_for_labelling(
    uncertainties: np.ndarray, embeddings: np.ndarray | None, n: int, pool_factor: int = POOL_FACTOR
) -> np.ndarray:
    """Indices of the ``n`` rows most worth labelling, in the order chosen (most uncertain first).

    Without embeddings (a model that gives none) the ``n`` most uncertain rows. Ties in uncertainty go to
    the earlier row, so the same input always gives the same sample.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    scores = np.asarray(uncertainties, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    if embeddings is None or n >= len(scores):
        return order[:n]
    pool = order[: max(n, n * pool_factor)]
    vectors = np.asarray(embeddings, dtype=np.float64)[pool]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    chosen = [0]
    # Distance of every pool row to its nearest chosen row; a chosen row is at 0 and never picked again.
    nearest = 1.0 - vectors @ vectors[0]
    nearest[0] = -1.0
    while len(chosen) < n:
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, 1.0 - vectors @ vectors[nxt])
        nearest[chosen] = -1.0
    return pool[chosen]


def sample_texts(analyzer: Analyzer, texts: list[str], n: int, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """One pass of the model over ``texts``: (indices of the ``n`` to label, in order; every text's uncertainty).

    The probabilities are the served ones (blend, neighbour vote and correction memory included), so the
    uncertainty is that of the answer an agent would see.
    """
    probs, scores = _scored(analyzer, texts, batch_size)
    return pick_for_labelling(scores, probs.embeddings, n), scores


def _scored(analyzer: Analyzer, texts: list[str], batch_size: int) -> tuple[Probabilities, np.ndarray]:
    probs = analyzer.probabilities(texts, batch_size)
    return probs, uncertainty(probs.causes, analyzer.cause_cut)


def sample_rows(
    analyzer: Analyzer, frame: pd.DataFrame, text_column: str, n: int, max_chars: int = 5000, batch_size: int = 32
) -> pd.DataFrame:
    """The ``n`` rows of ``frame`` most worth labelling, in the order chosen, ready to fill in for `--extra_data`.

    Each picked row keeps its columns and gains ``uncertainty``, ``causes`` prefilled with the model's answer
    (a row left as it is says the labeller agrees; a blank cell would say "no cause"), and empty ``sentiment``
    and ``risk_<id>`` columns: left empty they are unknown and add no loss. Rows without a text worth analysing
    (empty, too long, not text) are never picked.
    """
    taken = [column for column in SAMPLE_COLUMNS if column in frame.columns]
    if taken:
        raise QuejasError(f"the file already has the column(s) {', '.join(taken)}; rename them or drop them first")
    usable = [i for i, value in enumerate(frame[text_column].tolist()) if text_problem(value, max_chars) is None]
    if not usable:
        raise QuejasError(f"no row of column {text_column!r} holds a text worth analysing")
    texts = [str(frame[text_column].iloc[i]) for i in usable]
    # One pass of the model: the prefilled causes come from the same probabilities the pick was made on.
    probs, scores = _scored(analyzer, texts, batch_size)
    picked = pick_for_labelling(scores, probs.embeddings, min(n, len(texts)))
    chosen = frame.iloc[[usable[int(k)] for k in picked]].copy()
    chosen["uncertainty"] = [round(float(scores[int(k)]), 3) for k in picked]
    chosen["causes"] = [";".join(analyzer.analysis_at(probs, int(k)).cause_ids) for k in picked]
    chosen["sentiment"] = ""
    for risk in RISK_IDS:
        chosen[risk_column(risk)] = ""
    return chosen.reset_index(drop=True)
