"""What training does to a saved model folder after the loop: each step reads the folder, tunes on dev,
scores test once, and records its result in config.json, metrics.json and the model card.

The order matters: the blend changes the probabilities the intensity mapping reads, and the confidence
cut-offs are measured on the finished (blended) model. Each step also runs on its own on any folder
(`quejas blend`, `quejas intensity`), which is why they load the folder rather than share the loop's model.
"""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset, DatasetDict

from pipeline.analyzer import Analyzer
from pipeline.blend import add_lexical_blend
from pipeline.confidence import tune_cutoffs
from pipeline.data import label_arrays
from pipeline.evaluate import baseline_metrics, model_metrics
from pipeline.intensity_tuning import fit_intensity
from pipeline.model_card import write_model_card
from pipeline.model_folder import ModelFolder
from pipeline.training_args import TrainingConfig


def finish_model_folder(folder: Path, dataset: DatasetDict, config: TrainingConfig, metrics: dict) -> dict:
    """Baselines, model card, blend, intensity, confidence cut-offs and the real-test report, in that order."""
    target = ModelFolder(folder)
    has_dev, has_test = len(dataset["dev"]) > 0, len(dataset["test"]) > 0
    if config.run_baselines and has_test:
        metrics["baselines"] = baseline_metrics(dataset)
    target.write_metrics(metrics)
    write_model_card(folder, target.read_config(), metrics)
    if config.lexical_blend and has_dev and has_test:
        metrics = add_lexical_blend(folder, dataset, config.seed, neighbours=config.neighbour_vote)
    if has_dev:
        # The mapping candidate reads the final (blended) sentiment probabilities.
        metrics["intensity"] = fit_intensity(folder, dataset, config.seed, device=config.device)
        tune_confidence(folder, dataset["dev"], config.device)
    if "real_test" in dataset and len(dataset["real_test"]):
        metrics = report_real_test(folder, dataset, config.device, baselines=config.run_baselines)
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
        results.update(baseline_metrics(dataset, "real_test"))
    metrics = target.update_metrics({"real_test": results})
    write_model_card(folder, config, metrics)
    return metrics
