"""How sure the model is of a cause set: the high / medium / low level helpdesk tools show beside a label.

A cause set is only as sure as its least sure decision: the cause whose probability sits closest to its
threshold, on either side. That distance, scaled to the room on that side of the threshold, is the set's
margin. The levels are cut on the dev split: "high" where cause sets with at least that margin were
exactly right (every cause and no other) 85% of the time, "low" where those below a margin were right at
most 35% of the time, so a level means the same thing for every model folder; the cut-offs are stored in
its config.json. On the 2026-12-07 model's dev split that put 35% of texts at high (sets right 85% of
the time), 14% at medium (52%) and 50% at low (35%).
"""

from __future__ import annotations

import numpy as np

from pipeline.schema import CauseConfidence

HIGH_EXACT = 0.85
LOW_EXACT = 0.35
# For folders trained before the cut-offs were tuned (measured on the 2026-12-05 model's dev split).
DEFAULT_CUTOFFS = {"high": 0.5, "medium": 0.2}
MIN_ROWS = 20
# The name an agent sees for each level (the triage page, GET /v1/labels).
LEVEL_NAMES: dict[CauseConfidence, str] = {"high": "Alta", "medium": "Media", "low": "Baja"}


def set_margins(probs: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Per row, the smallest scaled distance of any cause from its threshold (0 = on it, 1 = as far as can be)."""
    probs = np.atleast_2d(probs)
    above = (probs - cuts) / np.maximum(1.0 - cuts, 1e-6)
    below = (cuts - probs) / np.maximum(cuts, 1e-6)
    return np.clip(np.where(probs >= cuts, above, below), 0.0, 1.0).min(axis=1)


def confidence_level(margin: float, cutoffs: dict[str, float]) -> CauseConfidence:
    if margin >= cutoffs.get("high", DEFAULT_CUTOFFS["high"]):
        return "high"
    if margin >= cutoffs.get("medium", DEFAULT_CUTOFFS["medium"]):
        return "medium"
    return "low"


def _cut(margins: np.ndarray, exact: np.ndarray, share: float, from_top: bool) -> float:
    """A margin cut-off from dev cause sets, walking the margins from the top or from the bottom.

    From the top: the smallest margin above which sets are exactly right at least ``share`` of the time.
    From the bottom: the margin below which they are right at most ``share`` of the time, as large as can be.
    A cut at a margin takes every text with that margin, so only the last of a run of ties is a candidate.
    """
    order = np.argsort(-margins if from_top else margins, kind="stable")
    sorted_margins = margins[order]
    counted = np.arange(1, len(order) + 1)
    running = np.cumsum(exact[order]) / counted
    last_of_tie = np.append(sorted_margins[1:] != sorted_margins[:-1], True)
    meets = running >= share if from_top else running <= share
    ok = np.nonzero(meets & (counted >= MIN_ROWS) & last_of_tie)[0]
    if from_top:
        return float(sorted_margins[ok[-1]]) if len(ok) else 1.0
    if not len(ok):
        return 0.0
    above = sorted_margins[ok[-1] + 1 :]
    return float(above[0]) if len(above) else 1.0


def tune_cutoffs(probs: np.ndarray, gold: np.ndarray, cuts: np.ndarray) -> dict[str, float]:
    """Cut-offs for the levels from dev probabilities and gold multi-hot causes.

    ``high`` is the smallest margin above which cause sets were exactly right at least 85% of the time;
    ``medium`` the largest margin below which they were right at most 35% of the time (those are "low").
    """
    margins = set_margins(probs, cuts)
    exact = ((probs >= cuts) == (gold > 0.5)).all(axis=1).astype(np.float64)
    high = _cut(margins, exact, HIGH_EXACT, from_top=True)
    medium = min(_cut(margins, exact, LOW_EXACT, from_top=False), high)
    return {"high": high, "medium": medium}


def level_shares(probs: np.ndarray, gold: np.ndarray, cuts: np.ndarray, cutoffs: dict[str, float]) -> dict:
    """Share of texts at each level and how often their cause set was exactly right (for eval and the card)."""
    margins = set_margins(probs, cuts)
    exact = ((probs >= cuts) == (gold > 0.5)).all(axis=1)
    levels = np.array([confidence_level(m, cutoffs) for m in margins])
    out = {}
    for level in ("high", "medium", "low"):
        picked = levels == level
        out[level] = {
            "share": round(float(picked.mean()), 3) if len(levels) else 0.0,
            "exact_set_accuracy": round(float(exact[picked].mean()), 3) if picked.any() else None,
        }
    return out


def uncertainty(causes: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Per text, 1 minus its cause-set margin: 1 = a cause right on its threshold, 0 = every cause far from it.

    The column `quejas label` adds and the ranking `quejas sample` starts from: the rows most worth a
    person's label are those whose answer could flip with a small change in the model.
    """
    return 1.0 - set_margins(causes, cuts)
