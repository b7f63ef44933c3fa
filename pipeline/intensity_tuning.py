"""Choosing a model folder's intensity at training time: the regression head or the isotonic mapping.

The measures and the mapping itself are in pipeline/intensity.py (the analyzer applies them at run time);
this module runs the folder's model on dev, keeps the better candidate and records the choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict

from pipeline.analyzer import Analyzer
from pipeline.data import label_arrays
from pipeline.errors import ConfigurationError
from pipeline.inference import Probabilities
from pipeline.intensity import (
    apply_mapping,
    choose_source,
    cross_fitted_mapping,
    fit_mapping,
    intensity_metrics,
    polarity,
)
from pipeline.model_card import write_model_card
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import SENTIMENT_IDS


def candidate_scores(
    probs: Probabilities, sentiments: list[str], mapping: dict[str, list[float]] | None = None
) -> dict[str, np.ndarray]:
    """Scores of every way to an intensity: the baseline polarity, the head when the model has one and the
    mapping when one is given."""
    base = polarity(probs.sentiment, sentiments)
    scores = {"polarity": base}
    if probs.intensity is not None:
        scores["head"] = np.clip(probs.intensity.astype(np.float64), -1.0, 1.0)
    if mapping:
        scores["mapping"] = apply_mapping(mapping, base)
    return scores


def _gold(split: Dataset) -> tuple[np.ndarray, np.ndarray]:
    gold = label_arrays(split)
    return gold["intensity"].astype(np.float64), gold["sentiment"] == SENTIMENT_IDS.index("negative")


def fit_intensity(folder: str | Path, dataset: DatasetDict, seed: int = 13, device: str = "auto") -> dict:
    """Choose the folder's intensity on dev, score it on test, and record both in config.json, metrics.json and
    the model card. Training calls it last (after the blend, whose sentiment probabilities the mapping reads).

    Returns the ``intensity`` block written to metrics.json.
    """
    target = ModelFolder(folder)
    analyzer = Analyzer.load(target.path, device=device, cues=False)
    config = analyzer.config
    dev, test = dataset["dev"], dataset["test"]
    if len(dev) == 0:
        raise ConfigurationError("choosing the intensity needs a dev split")
    dev_score, dev_negative = _gold(dev)
    dev_probs = analyzer.probabilities(list(dev["text"]))
    dev_scores = candidate_scores(dev_probs, config.sentiments)
    dev_scores["mapping"] = cross_fitted_mapping(dev_scores["polarity"], dev_score, seed)
    dev_metrics = {name: intensity_metrics(s, dev_score, dev_negative) for name, s in dev_scores.items()}
    source = choose_source({name: dev_metrics[name] for name in ("head", "mapping") if name in dev_metrics})

    mapping = fit_mapping(dev_scores["polarity"], dev_score)
    config.intensity_source = source  # type: ignore[assignment]
    config.intensity_mapping = mapping if source == "mapping" else {}
    target.write_config(config)
    block: dict[str, Any] = {
        "source": source,
        "selection": "rank correlation among dev negatives minus dev MAE (pipeline/intensity.py); the mapping's "
        "dev numbers are 5-fold cross-fitted",
        "dev": dev_metrics,
    }
    if len(test):
        test_score, test_negative = _gold(test)
        test_probs = analyzer.probabilities(list(test["text"]))
        test_scores = candidate_scores(test_probs, config.sentiments, mapping)  # both, for the model card
        block["test"] = {name: intensity_metrics(s, test_score, test_negative) for name, s in test_scores.items()}
        block["test"]["model"] = block["test"][source]
    metrics = target.update_metrics({"intensity": block})
    write_model_card(target.path, config, metrics)
    return block
