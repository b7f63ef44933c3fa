"""`quejas eval`: the model beside the baselines on the test split (tables in pipeline/results.py).

Baselines are fitted on train and their thresholds tuned on dev, exactly as the model's, so the
comparison measures the model and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import DatasetDict

from pipeline.analyzer import Analyzer, Runtime
from pipeline.baselines import KeywordBaseline, Predictions, TfidfBaseline
from pipeline.data import label_arrays
from pipeline.intensity import intensity_metrics, polarity
from pipeline.metrics import evaluation_metrics
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import CAUSE_IDS, SENTIMENT_IDS, TAXONOMY, Taxonomy


def split_metrics(pred: Predictions, split, taxonomy: Taxonomy = TAXONOMY) -> dict:
    """The metrics of `quejas eval` for predictions on one split of the dataset."""
    gold = label_arrays(split)
    return evaluation_metrics(
        pred.causes, gold["causes"], pred.sentiment, gold["sentiment"], pred.risk, gold["risk"], taxonomy
    )


def test_splits(dataset: DatasetDict) -> list[str]:
    """The splits results are reported on: the corpus test split, and the real set's test part when present."""
    return [name for name in ("test", "real_test") if name in dataset and len(dataset[name])]


def baseline_metrics(dataset: DatasetDict, split: str = "test", taxonomy: Taxonomy = TAXONOMY) -> dict[str, dict]:
    """TF-IDF on any taxonomy; the keyword rules only on the built-in causes, the only ones they have words for."""
    train, dev, test = dataset["train"], dataset["dev"], dataset[split]
    gold_train, gold_dev = label_arrays(train), label_arrays(dev)
    tfidf = TfidfBaseline().fit(list(train["text"]), gold_train["causes"], gold_train["sentiment"], gold_train["risk"])
    tfidf.tune(list(dev["text"]), gold_dev["causes"], gold_dev["risk"], taxonomy.cause_ids)
    results = {"tfidf_logreg": split_metrics(tfidf.predict(list(test["text"])), test, taxonomy)}
    if taxonomy.cause_ids == CAUSE_IDS:
        results["keywords"] = split_metrics(KeywordBaseline().predict(list(test["text"])), test, taxonomy)
    return results


def model_metrics(
    model_path: Path,
    dataset: DatasetDict,
    device: str = "auto",
    blend: bool = True,
    quantize: bool = False,
    runtime: Runtime = "torch",
    bf16: bool = False,
    split: str = "test",
) -> dict:
    """Score a saved model on a test split with the thresholds stored in it (tuned on dev at training time).

    ``intensity`` measures `sentiment.score` against the labelled sentiment_score and ``intensity_baseline``
    the same for P(positive) - P(negative) of the same probabilities (what older folders return).
    """
    analyzer = Analyzer.load(model_path, device=device, blend=blend, quantize=quantize, runtime=runtime, bf16=bf16)
    test = dataset[split]
    probs = analyzer.probabilities(list(test["text"]))
    pred = Predictions(
        causes=(probs.causes >= analyzer.cause_cut).astype(int),
        sentiment=probs.sentiment.argmax(axis=1),
        risk=(probs.risk >= analyzer.risk_cut).astype(int),
    )
    metrics = split_metrics(pred, test, analyzer.taxonomy)
    gold = label_arrays(test)
    negative = gold["sentiment"] == SENTIMENT_IDS.index("negative")
    baseline = polarity(probs.sentiment, analyzer.config.sentiments)
    score = baseline if probs.sentiment_score is None else probs.sentiment_score
    metrics["intensity"] = {
        **intensity_metrics(score, gold["intensity"], negative),
        "source": analyzer.intensity_kind,
    }
    metrics["intensity_baseline"] = intensity_metrics(baseline, gold["intensity"], negative)
    return metrics


TEST_SPLIT_TITLES = {"test": "Corpus test split", "real_test": "Real test split (public reviews and posts)"}


def score_test_splits(
    model: Path,
    dataset: DatasetDict,
    device: str = "auto",
    quantize: bool = False,
    bf16: bool = False,
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
        results.update(baseline_metrics(dataset, split, ModelFolder(model).read_taxonomy()))
        by_split[split] = results
    return by_split
