"""What a company's corrections teach in general: where the model's cause thresholds are wrong for it.

The near-identical override (memory.py) only helps a complaint seen before. A company's own text (its
products, its customers' way of writing) also moves the model's scores as a whole: on restaurant reviews
the corpus-only model predicts about as many causes as there are, but not the right ones (on 97 of them it
gave `no_solution` 22 times for 3 true ones, and `product_defect` 35 times for 52).
So each cause gets a small logistic head on the model's own margin, ``logit(p) - logit(cut)``: a scale
and a shift, fitted on the corrections in tens of milliseconds, pulled toward "leave the model alone" (scale 1,
shift 0) by a penalty whose strength is chosen by cross-validation on the corrections themselves. With
few corrections, or corrections that agree with the model, the held-out folds pick the strongest
penalty and nothing moves; no dev set of the company is needed.

A company's calibration must not touch complaints unlike its corrections (applied to every text, 100
restaurant corrections cost the corpus dev split 10 points of cause micro-F1), so its share ramps from 0 to 1
with the mean cosine of a text's nearest corrections (``gate_floor`` to ``gate_floor + GATE_WIDTH``).
Measured in bench/README.md ("The correction memory learns a company").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PENALTIES = (1e6, 100.0, 30.0, 10.0, 3.0, 1.0)  # strongest first: a tie keeps the model as it is
FOLDS = 5
NEWTON_STEPS = 8
GATE_NEIGHBOURS = 5
GATE_WIDTH = 0.2
SEED = 13


def margins(causes: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """How far each probability is above its cause's threshold, in log-odds (0 = on the threshold)."""
    return _logit(causes) - _logit(cut)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1.0 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


def _fit(margin: np.ndarray, labels: np.ndarray, penalty: float) -> np.ndarray:
    """Per cause (scale, shift) of a logistic fit of the labels on the margin, pulled toward (1, 0).

    All causes at once: a batch of 2x2 Newton steps, so choosing the penalty and fitting on 200 corrections
    takes about 50 ms on a loaded 2-core machine (refitted only when the corrections change).
    """
    prior = np.array([1.0, 0.0])
    theta = np.tile(prior, (margin.shape[1], 1))
    squared = margin * margin
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(margin * theta[:, 0] + theta[:, 1])
        residual, weight = p - labels, p * (1.0 - p)
        gradient = np.stack([(residual * margin).sum(0), residual.sum(0)], axis=-1) + 2.0 * penalty * (theta - prior)
        h_mm, h_mb, h_bb = (weight * squared).sum(0), (weight * margin).sum(0), weight.sum(0)
        h_mm, h_bb = h_mm + 2.0 * penalty, h_bb + 2.0 * penalty
        determinant = h_mm * h_bb - h_mb * h_mb  # 2x2 inverse by hand: positive, the penalty keeps it so
        theta = (
            theta
            - np.stack(
                [(h_bb * gradient[:, 0] - h_mb * gradient[:, 1]), (h_mm * gradient[:, 1] - h_mb * gradient[:, 0])],
                axis=-1,
            )
            / determinant[:, None]
        )
    return theta


def _micro_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    tp = float((predicted & (labels > 0)).sum())
    wrong = float((predicted != (labels > 0)).sum())
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def choose_penalty(margin: np.ndarray, labels: np.ndarray, folds: int = FOLDS) -> float:
    """The penalty whose fits best predict held-out corrections (cause micro-F1); ties go to the stronger."""
    n = len(margin)
    order = np.random.default_rng(SEED).permutation(n)
    parts = [part for part in np.array_split(order, min(folds, n)) if len(part)]
    best, best_score = PENALTIES[0], -1.0
    for penalty in PENALTIES:
        predicted = np.zeros(labels.shape, dtype=bool)
        for held in parts:
            kept = np.setdiff1d(order, held)
            theta = _fit(margin[kept], labels[kept], penalty)
            predicted[held] = np.einsum("ncf,cf->nc", _with_bias(margin[held]), theta) >= 0
        score = _micro_f1(labels, predicted)
        if score > best_score + 1e-9:
            best, best_score = penalty, score
    return best


def _with_bias(margin: np.ndarray) -> np.ndarray:
    return np.stack([margin, np.ones_like(margin)], axis=-1)


@dataclass
class CompanyCalibration:
    """Per-cause (scale, shift) of the model's margins, and the corrections' vectors that gate it."""

    theta: np.ndarray  # (causes, 2)
    vectors: np.ndarray  # (n corrections, dim), unit length
    penalty: float
    gate_floor: float

    @classmethod
    def fit(
        cls, vectors: np.ndarray, causes: np.ndarray, labels: np.ndarray, cut: np.ndarray, gate_floor: float
    ) -> CompanyCalibration:
        """Fit on the corrections: their vectors, the model's probabilities for them and the agreed causes."""
        margin = margins(causes, cut)
        labels = np.asarray(labels, dtype=np.float64)
        penalty = choose_penalty(margin, labels)
        return cls(_fit(margin, labels, penalty), np.asarray(vectors, dtype=np.float32), penalty, gate_floor)

    @property
    def moves(self) -> bool:
        return self.penalty < PENALTIES[0]

    def share(self, queries: np.ndarray) -> np.ndarray:
        """0 for a text unlike the corrections, 1 for one among them: mean cosine of its nearest few."""
        similarity = np.einsum("qd,nd->qn", np.asarray(queries, dtype=np.float32), self.vectors)
        m = min(GATE_NEIGHBOURS, similarity.shape[1])
        nearest = -np.partition(-similarity, m - 1, axis=1)[:, :m]
        return np.clip((nearest.mean(axis=1) - self.gate_floor) / GATE_WIDTH, 0.0, 1.0)

    def adjust(self, causes: np.ndarray, queries: np.ndarray, cut: np.ndarray) -> np.ndarray:
        """Probabilities whose margins follow the company's fit, as far as each text is like its corrections."""
        if not self.moves:
            return causes
        share = self.share(queries)
        if not share.any():
            return causes
        rows = share > 0
        margin = margins(causes[rows], cut)
        fitted = np.einsum("ncf,cf->nc", _with_bias(margin), self.theta)
        moved = margin + share[rows, None] * (fitted - margin)
        adjusted = np.array(causes, dtype=np.float32, copy=True)
        adjusted[rows] = np.clip(_sigmoid(moved + _logit(cut)), 0.0, 1.0)
        return adjusted
