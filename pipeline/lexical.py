"""The lexical half of a blended model at run time: TF-IDF probabilities and their mix with the encoder's.

The encoder reads meaning; the TF-IDF model is sharp on the exact cue words a short CPU training cannot
teach the encoder. A blended folder stores the lexical model and the encoder's share per task (tuned on
dev by pipeline/blend.py); this module is all the analyzer needs to apply them.
"""

from __future__ import annotations

import numpy as np

from pipeline.baselines import TfidfBaseline
from pipeline.inference import Probabilities
from pipeline.taxonomy import SENTIMENT_IDS


def lexical_probabilities(lexical: TfidfBaseline, texts: list[str]) -> Probabilities:
    features = lexical.features(texts)
    sentiment = np.zeros((len(texts), len(SENTIMENT_IDS)))
    sentiment[:, lexical.sentiment.classes_] = lexical.sentiment.predict_proba(features)
    return Probabilities(
        causes=lexical.label_probabilities("causes", features),
        sentiment=sentiment,
        risk=lexical.label_probabilities("risk", features),
    )


def mix(encoder: Probabilities, lexical: Probabilities, weights: dict[str, float]) -> Probabilities:
    """Weighted average per task; ``weights`` are the encoder's share."""

    def avg(task: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        w = weights.get(task, 1.0)
        return (w * a + (1.0 - w) * b).astype(np.float32)

    return Probabilities(
        causes=avg("causes", encoder.causes, lexical.causes),
        sentiment=avg("sentiment", encoder.sentiment, lexical.sentiment),
        risk=avg("risk", encoder.risk, lexical.risk),
        embeddings=encoder.embeddings,
        intensity=encoder.intensity,  # the lexical model has no intensity; the head's output passes through
    )
