"""What `quejas eval` scores: the model in each variant asked for, beside the baselines, on every test split.

This is evaluation, not command-line handling, and belongs with pipeline/evaluate.py; it is kept here
only until that module's restructuring settles where scoring of several variants lives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import DatasetDict

from pipeline.evaluate import baseline_metrics, model_metrics, test_splits
from pipeline.model_folder import ModelFolder

TEST_SPLIT_TITLES = {"test": "Corpus test split", "real_test": "Real test split (public reviews and posts)"}


def score_test_splits(
    model: Path, dataset: DatasetDict, device: str = "auto", quantize: bool = False, bf16: bool = False,
    onnx: bool = False,
) -> dict[str, dict[str, Any]]:
    """Results per test split: "model", "encoder only" for a blended folder, the optional variants, the baselines."""
    blended = bool(ModelFolder(model).read_config().blend_weights)
    by_split: dict[str, dict[str, Any]] = {}
    for split in test_splits(dataset):
        results = {"model": model_metrics(model, dataset, device=device, split=split)}
        if blended:
            results["encoder only"] = model_metrics(model, dataset, device=device, blend=False, split=split)
        if quantize:
            results["model int8"] = model_metrics(model, dataset, device="cpu", quantize=True, split=split)
        if bf16:
            results["model bf16"] = model_metrics(model, dataset, device=device, bf16=True, split=split)
        if onnx:
            results["onnx int8"] = model_metrics(
                model, dataset, device="cpu", quantize=True, runtime="onnx", split=split
            )
        results.update(baseline_metrics(dataset, split))
        by_split[split] = results
    return by_split
