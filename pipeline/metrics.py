"""Metrics shared by training, evaluation and the baselines, so every number is computed one way.

Cause names and groups are the ``taxonomy`` the model was trained on (the built-in one unless given).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from pipeline.taxonomy import RISK_IDS, SENTIMENT_IDS, TAXONOMY, Taxonomy

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def tune_thresholds(probs: np.ndarray, gold: np.ndarray, labels: list[str], default: float = 0.5) -> dict[str, float]:
    """Per-label threshold maximising F1 on the given (dev) split.

    Rare labels are poorly calibrated after class-weighted training, so one global 0.5 cut would
    under- or over-predict them; ties go to the threshold closest to 0.5 for stability. A label with no
    positive example keeps the default.
    """
    thresholds: dict[str, float] = {}
    for j, label in enumerate(labels):
        if gold[:, j].sum() == 0:
            thresholds[label] = default
            continue
        scores = [f1_score(gold[:, j], probs[:, j] >= t, zero_division=0) for t in THRESHOLD_GRID]
        best = max(scores)
        candidates = [t for t, s in zip(THRESHOLD_GRID, scores) if s >= best - 1e-9]
        thresholds[label] = float(min(candidates, key=lambda t: abs(t - 0.5)))
    return thresholds


def apply_thresholds(probs: np.ndarray, thresholds: dict[str, float], labels: list[str]) -> np.ndarray:
    cut = np.array([thresholds.get(label, 0.5) for label in labels])
    return (probs >= cut).astype(int)


def tune_all_thresholds(
    probs, gold: dict[str, np.ndarray], taxonomy: Taxonomy = TAXONOMY
) -> tuple[dict[str, float], dict[str, float]]:
    """Cause and risk thresholds for probabilities ``probs`` (anything with .causes/.risk) against ``gold``."""
    return (
        tune_thresholds(probs.causes, gold["causes"], taxonomy.cause_ids),
        tune_thresholds(probs.risk, gold["risk"], RISK_IDS),
    )


def metrics_at(
    probs,
    gold: dict[str, np.ndarray],
    thresholds: tuple[dict[str, float], dict[str, float]],
    taxonomy: Taxonomy = TAXONOMY,
) -> dict:
    """`evaluation_metrics` for probabilities cut at the given (cause, risk) thresholds."""
    return evaluation_metrics(
        apply_thresholds(probs.causes, thresholds[0], taxonomy.cause_ids),
        gold["causes"],
        probs.sentiment.argmax(axis=1),
        gold["sentiment"],
        apply_thresholds(probs.risk, thresholds[1], RISK_IDS),
        gold["risk"],
        taxonomy,
    )


def groups_from_multi_hot(matrix: np.ndarray, taxonomy: Taxonomy = TAXONOMY) -> list[str]:
    ids = taxonomy.cause_ids
    return [taxonomy.group_of([ids[j] for j in np.flatnonzero(row)]) for row in matrix]


def evaluation_metrics(
    cause_pred: np.ndarray,
    cause_gold: np.ndarray,
    sentiment_pred: np.ndarray,
    sentiment_gold: np.ndarray,
    risk_pred: np.ndarray,
    risk_gold: np.ndarray,
    taxonomy: Taxonomy = TAXONOMY,
) -> dict:
    """The metrics of the model card and `quejas eval`: the same keys for the model and every baseline."""
    cause_ids = taxonomy.cause_ids
    per_cause = f1_score(cause_gold, cause_pred, average=None, labels=range(len(cause_ids)), zero_division=0)
    per_risk = f1_score(risk_gold, risk_pred, average=None, labels=range(len(RISK_IDS)), zero_division=0)
    return {
        "cause_micro_f1": float(f1_score(cause_gold, cause_pred, average="micro", zero_division=0)),
        "cause_macro_f1": float(f1_score(cause_gold, cause_pred, average="macro", zero_division=0)),
        "per_cause_f1": {c: float(v) for c, v in zip(cause_ids, per_cause)},
        "group_accuracy": float(
            accuracy_score(groups_from_multi_hot(cause_gold, taxonomy), groups_from_multi_hot(cause_pred, taxonomy))
        ),
        "sentiment_macro_f1": float(
            f1_score(sentiment_gold, sentiment_pred, average="macro", labels=range(len(SENTIMENT_IDS)), zero_division=0)
        ),
        "risk_macro_f1": float(np.mean(per_risk)),
        "per_risk_f1": {r: float(v) for r, v in zip(RISK_IDS, per_risk)},
        "n_examples": int(len(cause_gold)),
    }
