"""What training does to a saved model folder after the loop: each step reads the folder, tunes on dev,
scores test once, and records its result in config.json, metrics.json and the model card.

The order matters: the blend changes the probabilities the intensity mapping reads, and the confidence
cut-offs are measured on the finished (blended) model. Each step also runs on its own on any folder
(`quejas blend`, `quejas intensity`), which is why they load the folder rather than share the loop's model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datasets import Dataset, DatasetDict

from pipeline.analyzer import Analyzer
from pipeline.blend import add_lexical_blend
from pipeline.confidence import tune_cutoffs
from pipeline.data import UNKNOWN_SENTIMENT, label_arrays
from pipeline.evaluate import baseline_metrics, model_metrics
from pipeline.inference import Probabilities
from pipeline.intensity_tuning import fit_intensity, fit_scorer, scorer_applies
from pipeline.metrics import evaluation_metrics
from pipeline.model_card import write_model_card
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import TAXONOMY, Taxonomy
from pipeline.training_args import TrainingConfig


def finish_model_folder(folder: Path, dataset: DatasetDict, config: TrainingConfig, metrics: dict) -> dict:
    """Baselines, model card, blend, intensity (and its scorer), confidence cut-offs and the real-test report, in
    that order."""
    target = ModelFolder(folder)
    has_dev, has_test = len(dataset["dev"]) > 0, len(dataset["test"]) > 0
    if config.run_baselines and has_test:
        metrics["baselines"] = baseline_metrics(dataset, taxonomy=target.read_taxonomy())
    target.write_metrics(metrics)
    write_model_card(folder, target.read_config(), metrics)
    if config.lexical_blend and has_dev and has_test:
        metrics = add_lexical_blend(folder, dataset, config.seed, neighbours=config.neighbour_vote)
    if has_dev and np.isnan(label_arrays(dataset["dev"])["intensity"]).all():
        # Own records without a sentiment_score (a taxonomy trained on them alone): nothing to choose the
        # intensity on, and the head learnt none, so the score is P(positive) - P(negative), said as such.
        stored = target.read_config()
        stored.intensity_source, stored.intensity_mapping = "polarity", {}
        target.write_config(stored)
    elif has_dev:
        # The mapping candidate reads the final (blended) sentiment probabilities.
        metrics["intensity"] = fit_intensity(folder, dataset, config.seed, device=config.device)
        if scorer_applies(target.read_config()):
            metrics["intensity"] = fit_scorer(folder, dataset, config.seed, device=config.device)
    if has_dev:
        tune_confidence(folder, dataset["dev"], config.device)
    if "real_test" in dataset and len(dataset["real_test"]):
        metrics = report_real_test(folder, dataset, config.device, baselines=config.run_baselines)
    if "own_test" in dataset and len(dataset["own_test"]):
        metrics = report_own_test(folder, dataset["own_test"], config.device)
    return metrics


def tune_confidence(folder: Path, dev: Dataset, device: str = "auto") -> dict[str, float]:
    """Cut the high / medium / low confidence levels on dev with the finished model (blend included)."""
    analyzer = Analyzer.load(folder, device=device)
    probs = analyzer.probabilities(list(dev["text"]))
    cutoffs = tune_cutoffs(probs.causes, label_arrays(dev)["causes"], analyzer.cause_cut)
    target = ModelFolder(folder)
    config = target.read_config()
    config.confidence_cutoffs = cutoffs
    target.write_config(config)
    return cutoffs


def report_real_test(folder: Path, dataset: DatasetDict, device: str = "auto", baselines: bool = True) -> dict:
    """Score the finished model on the real test split, beside the encoder alone and the baselines.

    Real public reviews and posts read differently from the written corpus (long stories, implied
    causes), so their numbers are kept apart from the corpus test split rather than averaged into it.
    """
    target = ModelFolder(folder)
    config = target.read_config()
    results = {"model": model_metrics(folder, dataset, device=device, split="real_test")}
    if config.blend_weights:
        results["encoder only"] = model_metrics(folder, dataset, device=device, blend=False, split="real_test")
    if baselines:
        results.update(baseline_metrics(dataset, "real_test", target.read_taxonomy()))
    metrics = target.update_metrics({"real_test": results})
    write_model_card(folder, config, metrics)
    return metrics


def masked_metrics(
    probs: Probabilities,
    gold: dict[str, np.ndarray],
    cause_cut: np.ndarray,
    risk_cut: np.ndarray,
    taxonomy: Taxonomy = TAXONOMY,
) -> dict:
    """The metrics of `evaluation_metrics`, sentiment and risk only over the rows that have those labels.

    Own records may lack a sentiment or risks; counting an unknown label as any class would misstate the
    model, so those scores are over the labelled rows (``n_sentiment``, ``n_risk``) and None without any.
    """
    sentiment_known = gold["sentiment"] != UNKNOWN_SENTIMENT
    risk_known = ~np.isnan(gold["risk"]).any(axis=1)
    cause_pred = (probs.causes >= cause_cut).astype(int)
    risk_pred = (probs.risk >= risk_cut).astype(int)
    sentiment_pred = probs.sentiment.argmax(axis=1)
    sentiment_gold = np.where(sentiment_known, gold["sentiment"], 0)
    risk_gold = np.nan_to_num(gold["risk"])

    def over(rows: np.ndarray) -> dict:
        return evaluation_metrics(
            cause_pred[rows],
            gold["causes"][rows],
            sentiment_pred[rows],
            sentiment_gold[rows],
            risk_pred[rows],
            risk_gold[rows],
            taxonomy,
        )

    metrics = over(np.ones(len(cause_pred), dtype=bool))
    by_sentiment = over(sentiment_known) if sentiment_known.any() else None
    by_risk = over(risk_known) if risk_known.any() else None
    metrics["sentiment_macro_f1"] = by_sentiment["sentiment_macro_f1"] if by_sentiment else None
    metrics["risk_macro_f1"] = by_risk["risk_macro_f1"] if by_risk else None
    metrics["per_risk_f1"] = by_risk["per_risk_f1"] if by_risk else None
    metrics["n_sentiment"], metrics["n_risk"] = int(sentiment_known.sum()), int(risk_known.sum())
    return metrics


def report_own_test(folder: Path, own_test: Dataset, device: str = "auto") -> dict:
    """Score the finished model (and the encoder alone, when blended) on the company's own test records.

    Kept apart from the corpus and real test splits, like the real set: it answers how good the model is
    on this company's messages, which a corpus number cannot.
    """
    target = ModelFolder(folder)
    config = target.read_config()
    texts, gold = list(own_test["text"]), label_arrays(own_test)
    results = {}
    for name, blend in (("model", True), ("encoder only", False)):
        if blend or config.blend_weights:
            analyzer = Analyzer.load(folder, device=device, blend=blend)
            probs = analyzer.probabilities(texts)
            results[name] = masked_metrics(probs, gold, analyzer.cause_cut, analyzer.risk_cut, analyzer.taxonomy)
    metrics = target.update_metrics({"own_test": results})
    write_model_card(folder, config, metrics)
    return metrics
