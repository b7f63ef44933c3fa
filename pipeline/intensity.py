"""How upset: the graded intensity returned as `sentiment.score`, how it is measured and how it is chosen.

P(positive) - P(negative) saturates: a classifier trained to be sure puts nearly every complaint at
-1, so it cannot tell a mild grumble from a furious customer. Two ways to a graded score are built at
training time and the one that measures better on dev is kept (``intensity_source`` in config.json):

- ``head``: a regression head beside the sentiment classifier, trained on the labelled sentiment_score;
- ``mapping``: isotonic regression from P(positive) - P(negative) onto sentiment_score, fitted on dev.

Old model folders have neither and keep ``polarity``. Dev numbers of the mapping come from 5-fold
cross-fitting, so a mapping is never scored on the texts it was fitted to.

- ``scorer``: a later step on a folder with the head (pipeline/intensity_scorer.py) orders the complaints
  better by stacking a TF-IDF regression, the risk heads and cues of anger on the head's output; the texts
  it does not score, and the folder read without its blend, keep the head.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

IntensitySource = Literal["polarity", "head", "mapping", "scorer"]
INTENSITY_SOURCES: tuple[str, ...] = get_args(IntensitySource)
FURIOUS = -0.9  # "below -0.9": the share the issue behind this module found saturated (83 % of negatives)
FOLDS = 5


def polarity(sentiment: np.ndarray, labels: list[str]) -> np.ndarray:
    """P(positive) - P(negative) per row: the score of model folders trained before the intensity."""
    index = {label: j for j, label in enumerate(labels)}
    positive = sentiment[:, index["positive"]] if "positive" in index else 0.0
    negative = sentiment[:, index["negative"]] if "negative" in index else 0.0
    return np.clip(positive - negative, -1.0, 1.0).astype(np.float64)


def fit_mapping(feature: np.ndarray, target: np.ndarray) -> dict[str, list[float]]:
    """Isotonic fit stored as its breakpoints, so config.json holds it as plain numbers (no pickle)."""
    from sklearn.isotonic import IsotonicRegression

    keep = ~np.isnan(target)
    iso = IsotonicRegression(y_min=-1.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(feature[keep], target[keep])
    return {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}


def apply_mapping(mapping: dict[str, list[float]], feature: np.ndarray) -> np.ndarray:
    """The same values as sklearn's `IsotonicRegression.predict` (linear between breakpoints, clipped)."""
    return np.interp(feature, mapping["x"], mapping["y"]).astype(np.float64)


def cross_fitted_mapping(feature: np.ndarray, target: np.ndarray, seed: int = 13) -> np.ndarray:
    """Out-of-fold predictions of the mapping on the split it is fitted on: an honest dev score."""
    from sklearn.model_selection import KFold

    out = np.zeros(len(feature), dtype=np.float64)
    folds = KFold(n_splits=min(FOLDS, len(feature)), shuffle=True, random_state=seed)
    for fit_rows, score_rows in folds.split(feature):
        out[score_rows] = apply_mapping(fit_mapping(feature[fit_rows], target[fit_rows]), feature[score_rows])
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None  # undefined for constant input; say so rather than print nan
    return float(spearmanr(a, b).statistic)


def intensity_metrics(predicted: np.ndarray, gold_score: np.ndarray, gold_negative: np.ndarray) -> dict:
    """MAE and Spearman rank correlation with the labelled sentiment_score, on all texts and on negatives.

    ``gold_negative`` marks the texts labelled negative; among them, the share the score puts below -0.9
    is reported beside the share whose labels are there (the saturation the intensity is meant to end).
    """
    keep = ~np.isnan(gold_score)
    predicted, gold_score, gold_negative = predicted[keep], gold_score[keep], gold_negative[keep].astype(bool)
    neg_pred, neg_gold = predicted[gold_negative], gold_score[gold_negative]
    n_neg = int(gold_negative.sum())
    return {
        "mae": float(np.mean(np.abs(predicted - gold_score))) if len(predicted) else None,
        "spearman": _spearman(predicted, gold_score),
        "mae_negative": float(np.mean(np.abs(neg_pred - neg_gold))) if n_neg else None,
        "spearman_negative": _spearman(neg_pred, neg_gold),
        "negative_below_-0.9": float(np.mean(neg_pred < FURIOUS)) if n_neg else None,
        "negative_labelled_below_-0.9": float(np.mean(neg_gold < FURIOUS)) if n_neg else None,
        "n": int(len(predicted)),
        "n_negative": n_neg,
    }


def selection_score(metrics: dict) -> float:
    """Rank correlation among negatives minus MAE over all texts: both in score units, higher is better.

    The rank is what sorts a queue of complaints; the error is what places them in the priority bands.
    """
    rank = metrics.get("spearman_negative")
    mae = metrics.get("mae")
    return (rank if rank is not None else 0.0) - (mae if mae is not None else 1.0)


def choose_source(candidates: dict[str, dict]) -> str:
    """The candidate with the best `selection_score` on dev; a tie keeps the first (the head is listed first)."""
    return max(candidates, key=lambda name: (selection_score(candidates[name]), -list(candidates).index(name)))
