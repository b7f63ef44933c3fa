"""Training: the tiny model folder is complete, thresholds are tuned, batching covers every example."""

from __future__ import annotations

import json
import random

import numpy as np
import torch

from pipeline.metrics import THRESHOLD_GRID, apply_thresholds, evaluation_metrics, tune_thresholds
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS
from pipeline.train import build_optimizer, class_weights, length_bucketed_batches, positive_weights
from pipeline.training_args import TrainingConfig


def test_model_folder_is_self_describing(tiny_model):
    config = ModelFolder(tiny_model).read_config()
    assert config.causes == CAUSE_IDS and config.risks == RISK_IDS
    assert set(config.cause_thresholds) == set(CAUSE_IDS)
    assert set(config.risk_thresholds) == set(RISK_IDS)
    assert all(0 < t < 1 for t in config.cause_thresholds.values())
    assert config.corpus_hash == "test" and config.long_text_strategy == "windows"
    for name in (
        "model.safetensors",
        "encoder/config.json",
        "tokenizer/tokenizer.json",
        "metrics.json",
        "MODEL_CARD.md",
    ):
        assert (tiny_model / name).exists(), name
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert set(metrics["test"]) >= {"cause_micro_f1", "cause_macro_f1", "group_accuracy", "sentiment_macro_f1"}
    card = (tiny_model / "MODEL_CARD.md").read_text()
    assert "cause macro-F1" in card and config.name in card
    latest = tiny_model.parent / "latest"
    assert latest.is_symlink() and latest.resolve() == tiny_model.resolve()


def test_thresholds_are_tuned_per_label():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, size=(200, 2))
    probs = np.where(gold == 1, 0.3, 0.1).astype(float)  # label 0: separable only below 0.3
    probs[:, 1] = np.where(gold[:, 1] == 1, 0.9, 0.6)  # label 1: separable above 0.6
    thresholds = tune_thresholds(probs, gold, ["a", "b"])
    assert 0.1 < thresholds["a"] <= 0.3
    assert 0.6 < thresholds["b"] <= 0.9
    assert (apply_thresholds(probs, thresholds, ["a", "b"]) == gold).all()
    assert thresholds["a"] in THRESHOLD_GRID


def test_label_without_positives_keeps_default():
    probs = np.full((10, 1), 0.9)
    assert tune_thresholds(probs, np.zeros((10, 1)), ["x"]) == {"x": 0.5}


def test_length_buckets_cover_every_example_once():
    lengths = [random.Random(1).randint(5, 200) for _ in range(103)]
    batches = length_bucketed_batches(lengths, 8, random.Random(0))
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(103))
    assert all(len(batch) <= 8 for batch in batches)


def test_imbalance_weights_favour_rare_labels():
    labels = np.array([[1, 0], [0, 0], [0, 0], [0, 1], [1, 0], [1, 0]], dtype=float)
    weights = positive_weights(labels)
    assert weights[1] > weights[0] > 0
    classes = class_weights(np.array([0, 0, 0, 0, 1, 2]), 3)
    assert classes[1] > classes[0] and torch.isclose(classes.mean(), torch.tensor(1.0))


def test_metrics_derive_group_accuracy_from_causes():
    n = len(CAUSE_IDS)
    gold = np.zeros((2, n))
    gold[0, CAUSE_IDS.index("delay")] = 1
    gold[1, CAUSE_IDS.index("bad_attitude")] = 1
    pred = gold.copy()
    pred[1, CAUSE_IDS.index("billing_error")] = 1  # emotional -> mixed: group wrong, one extra label
    risk = np.zeros((2, len(RISK_IDS)))
    metrics = evaluation_metrics(pred, gold, np.array([0, 0]), np.array([0, 0]), risk, risk)
    assert metrics["group_accuracy"] == 0.5
    assert metrics["cause_micro_f1"] == 0.8


def test_layer_wise_decay_slows_lower_layers_only(tiny_model):
    from pipeline.model import load_model

    model, _ = load_model(tiny_model)
    config = TrainingConfig(learning_rate=1e-4, head_learning_rate=1e-3, layer_lr_decay=0.5, max_steps=1)
    rate_of = {id(p): g["lr"] for g in build_optimizer(model, config).param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert rate_of[id(named["encoder.encoder.layer.1.output.dense.weight"])] == 1e-4  # the top of two layers
    assert rate_of[id(named["encoder.encoder.layer.0.output.dense.weight"])] == 0.5e-4
    assert rate_of[id(named["encoder.embeddings.position_embeddings.weight"])] == 0.25e-4
    assert rate_of[id(named["cause_head.weight"])] == 1e-3
    flat = TrainingConfig(learning_rate=1e-4, max_steps=1)
    assert {g["lr"] for g in build_optimizer(model, flat).param_groups} == {1e-4, flat.head_learning_rate}
