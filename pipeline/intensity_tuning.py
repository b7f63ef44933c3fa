"""Choosing a model folder's intensity at training time: the regression head or the isotonic mapping, and then
the scorer that orders complaints on top of the head.

The measures and the mapping itself are in pipeline/intensity.py, the scorer in pipeline/intensity_scorer.py
(the analyzer applies them at run time); this module runs the folder's model on dev, keeps the better
candidate and records the choice.
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
    FOLDS,
    IntensitySource,
    apply_mapping,
    choose_source,
    cross_fitted_mapping,
    fit_mapping,
    intensity_metrics,
    polarity,
)
from pipeline.intensity_scorer import (
    FEATURES,
    HEAD,
    IntensityScorer,
    feature_table,
    labelled_negative,
    lexical_estimate,
    linear_scores,
)
from pipeline.model_card import write_model_card
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import SENTIMENT_IDS
from pipeline.tone_ngrams import ToneNgrams

LEXICAL_ALPHA = 1.0  # the TF-IDF ridge's penalty: 0.3 to 1 measured alike on dev, 3 and above worse
SCORER_ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0)  # the linear stage's penalty, chosen on dev by cross-fitting


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


def _standardised_ridge(
    table: np.ndarray, target: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, scale, weights and intercept of a ridge regression on standardised columns."""
    from sklearn.linear_model import Ridge

    mean = table.mean(axis=0)
    scale = table.std(axis=0)
    scale[scale == 0] = 1.0
    ridge = Ridge(alpha=alpha).fit((table - mean) / scale, target)
    return mean, scale, ridge.coef_.astype(np.float64), float(ridge.intercept_)


def cross_fitted_scorer(
    table: np.ndarray, gold: np.ndarray, rows: np.ndarray, negative: np.ndarray, alpha: float, seed: int = 13
) -> np.ndarray:
    """Out-of-fold scores on dev: each fold scored by a linear stage fitted on the ``rows`` of the other folds."""
    from sklearn.model_selection import KFold

    out = table[:, HEAD].copy()
    folds = KFold(n_splits=min(FOLDS, int(rows.sum())), shuffle=True, random_state=seed)
    for fit_rows, score_rows in folds.split(table):
        fit_rows = fit_rows[rows[fit_rows]]
        fitted = _standardised_ridge(table[fit_rows], gold[fit_rows], alpha)
        out[score_rows] = linear_scores(table[score_rows], negative[score_rows], *fitted)
    return out


def scorer_applies(config: QuejasModelConfig) -> bool:
    """The scorer builds on the intensity head and reads the blend's TF-IDF features."""
    return config.intensity_head and bool(config.blend_weights)


def fit_scorer(folder: str | Path, dataset: DatasetDict, seed: int = 13, device: str = "auto") -> dict:
    """Fit the intensity scorer of a blended folder with the intensity head, keep it if it beats the head (or the
    mapping, when `fit_intensity` chose it) on dev, 5-fold cross-fitted, and record it in intensity.npz,
    config.json, metrics.json and the model card.

    Runs after `fit_intensity` (which chooses between head and mapping). Returns the updated ``intensity`` block.
    """
    from sklearn.linear_model import Ridge

    target = ModelFolder(folder)
    config = target.read_config()
    if not config.intensity_head:
        raise ConfigurationError(
            f"{target.path} has no intensity head, which the scorer builds on; `quejas intensity --no-scorer` "
            "gives it the isotonic mapping instead"
        )
    if not config.blend_weights:
        raise ConfigurationError(
            f"{target.path} has no TF-IDF model, whose features the scorer reads; add it with `quejas blend`"
        )
    train, dev, test = dataset["train"], dataset["dev"], dataset["test"]
    if len(dev) == 0 or len(train) == 0:
        raise ConfigurationError("fitting the intensity scorer needs a train and a dev split")
    analyzer = Analyzer.load(target.path, device=device)  # cues and blend on: the probabilities of run time
    assert analyzer.lexical is not None  # blend_weights checked above
    train_score, train_negative = _gold(train)
    labelled = ~np.isnan(train_score)
    train_texts = np.array(train["text"], dtype=object)
    lexical = Ridge(alpha=LEXICAL_ALPHA).fit(
        analyzer.lexical.features(list(train_texts[labelled])), train_score[labelled]
    )
    lexical_weights, lexical_intercept = lexical.coef_.astype(np.float32), float(lexical.intercept_)
    complaints = labelled & train_negative
    if complaints.sum() < FOLDS:
        raise ConfigurationError(f"fitting the intensity scorer needs at least {FOLDS} train texts labelled negative")
    ngrams = ToneNgrams.fit(list(train_texts[complaints]), train_score[complaints])

    def table_of(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        probs = analyzer.probabilities(texts)
        inputs = analyzer.scorer_inputs(texts, probs)
        estimate = lexical_estimate(lexical_weights, lexical_intercept, inputs.lexical_features)
        table = feature_table(inputs, texts, estimate, ngrams.estimate(texts))
        return table, labelled_negative(probs, config.sentiments)

    dev_table, dev_labelled = table_of(list(dev["text"]))
    dev_score, dev_negative = _gold(dev)
    rows = dev_negative & ~np.isnan(dev_score)
    if rows.sum() < FOLDS:
        raise ConfigurationError(f"fitting the intensity scorer needs at least {FOLDS} dev texts labelled negative")
    by_alpha = {
        alpha: intensity_metrics(
            cross_fitted_scorer(dev_table, dev_score, rows, dev_labelled, alpha, seed), dev_score, dev_negative
        )
        for alpha in SCORER_ALPHAS
    }
    alpha = choose_source({str(a): m for a, m in by_alpha.items()})  # the best penalty by the same measure
    block = target.read_metrics().get("intensity") or {}
    block.setdefault("dev", {})["head"] = intensity_metrics(dev_table[:, HEAD], dev_score, dev_negative)
    block["dev"]["scorer"] = by_alpha[float(alpha)]
    # What the scorer has to beat: the mapping when `fit_intensity` chose it, else the head.
    current: IntensitySource = (
        "mapping" if config.intensity_source == "mapping" and "mapping" in block["dev"] else "head"
    )
    kept = choose_source({current: block["dev"][current], "scorer": block["dev"]["scorer"]}) == "scorer"
    fitted = _standardised_ridge(dev_table[rows], dev_score[rows], float(alpha))
    scorer = IntensityScorer(lexical_weights, lexical_intercept, *fitted, ngrams=ngrams)
    block["scorer"] = {
        "kept": kept,
        "alpha": float(alpha),
        "against": current,
        "selection": "5-fold cross-fitted on dev; kept when it beats the score chosen before it by rank correlation "
        "among dev negatives minus dev MAE",
        "weights": dict(zip(FEATURES, (round(float(w), 4) for w in fitted[2]))),
    }
    target.save_intensity(scorer.to_arrays())  # kept or not, so its numbers can be checked against the file
    if kept:
        config.intensity_source, config.intensity_mapping = "scorer", {}
    elif config.intensity_source == "scorer":
        config.intensity_source = current
    block["source"] = config.intensity_source
    target.write_config(config)
    if len(test):
        test_table, test_labelled = table_of(list(test["text"]))
        test_score, test_negative = _gold(test)
        scores = scorer.score_table(test_table, test_labelled)
        block.setdefault("test", {})["head"] = intensity_metrics(test_table[:, HEAD], test_score, test_negative)
        block["test"]["scorer"] = intensity_metrics(scores, test_score, test_negative)
        block["test"]["model"] = block["test"][block["source"]]
    updates: dict[str, Any] = {"intensity": block}
    metrics = target.read_metrics()
    real = metrics.get("real_test", {}).get("model")
    if real and block["source"] in ("scorer", "head") and "real_test" in dataset and len(dataset["real_test"]):
        # The real-test report was measured with the score before this step: measure it again for the one kept.
        real_table, real_labelled = table_of(list(dataset["real_test"]["text"]))
        real_score, real_negative = _gold(dataset["real_test"])
        chosen = scorer.score_table(real_table, real_labelled) if kept else real_table[:, HEAD]
        real["intensity"] = {**intensity_metrics(chosen, real_score, real_negative), "source": block["source"]}
        updates["real_test"] = metrics["real_test"]
    metrics = target.update_metrics(updates)
    write_model_card(target.path, config, metrics)
    return block
