"""Training: the tiny model folder is complete, thresholds are tuned, batching covers every example."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.data import UNKNOWN_SENTIMENT
from pipeline.metrics import THRESHOLD_GRID, apply_thresholds, evaluation_metrics, tune_thresholds
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS
from pipeline.train import (
    build_optimizer,
    class_weights,
    continued_model,
    length_bucketed_batches,
    masked_risk_loss,
    masked_sentiment_loss,
    positive_weights,
    train,
)
from pipeline.training_args import TrainingConfig, TrainingConfigError


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


def test_unknown_sentiment_adds_no_loss_and_no_gradient():
    torch.manual_seed(0)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]))
    logits = torch.randn(4, 3, requires_grad=True)
    target = torch.tensor([0, UNKNOWN_SENTIMENT, 2, UNKNOWN_SENTIMENT])
    loss = masked_sentiment_loss(loss_fn, logits, target)
    assert torch.isclose(loss, loss_fn(logits[[0, 2]], target[[0, 2]]))
    loss.backward()
    assert logits.grad is not None
    assert (logits.grad[[1, 3]] == 0).all() and (logits.grad[[0, 2]] != 0).any()
    none_known = torch.randn(2, 3, requires_grad=True)
    empty = masked_sentiment_loss(loss_fn, none_known, torch.full((2,), UNKNOWN_SENTIMENT))
    empty.backward()
    assert empty.item() == 0.0 and none_known.grad is not None and (none_known.grad == 0).all()


def test_unknown_risks_add_no_loss_and_no_gradient():
    torch.manual_seed(0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 1.0, 3.0]))
    logits = torch.randn(3, 3, requires_grad=True)
    nan = float("nan")
    target = torch.tensor([[1.0, 0.0, 0.0], [nan, nan, nan], [0.0, 0.0, 1.0]])
    loss = masked_risk_loss(loss_fn, logits, target)
    assert torch.isfinite(loss) and torch.isclose(loss, loss_fn(logits[[0, 2]], target[[0, 2]]))
    loss.backward()
    assert logits.grad is not None and (logits.grad[1] == 0).all()
    none_known = torch.randn(2, 3, requires_grad=True)
    empty = masked_risk_loss(loss_fn, none_known, torch.full((2, 3), nan))
    empty.backward()
    assert empty.item() == 0.0 and none_known.grad is not None and (none_known.grad == 0).all()


def own_file(tmp_path, corpus_records, n: int = 40):
    """Corpus texts as a company's file: every third row without sentiment or risks (unknown)."""
    rows = []
    for i, record in enumerate(corpus_records[-n:]):
        known = i % 3 != 0
        rows.append(
            {
                "text": record.text,
                "causes": ";".join(record.causes),
                "sentiment": record.sentiment if known else "",
                "risk_churn": int(record.risk.churn) if known else "",
                "risk_legal": int(record.risk.legal) if known else "",
                "risk_public": int(record.risk.public) if known else "",
            }
        )
    path = tmp_path / "own.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_update_run_from_a_model_with_own_data(tmp_path, tiny_model, tiny_dataset, corpus_records):
    config = TrainingConfig(
        base_model="not-used-with-from",
        output_dir=str(tmp_path),
        version="update",
        max_length=64,
        epochs=1,
        max_steps=4,
        update_latest=False,
        run_baselines=False,
        lexical_blend=False,
        device="cpu",
        frozen_layers=1,
        from_model=str(tiny_model),
        extra_data=[str(own_file(tmp_path, corpus_records))],
    )
    result = train(config, tiny_dataset, corpus_hash="test")
    metrics = ModelFolder(result.folder).read_metrics()
    own = metrics["own_data"]
    assert own["records"] == 40 and own["split_seed"] == 13 and own["sources"] == ["own.csv"]
    own_train = own["split"]["train"] + own["split"]["train_partial"]
    assert metrics["train_examples"] == len(tiny_dataset["train"]) + own_train
    block = metrics["own_test"]["model"]
    assert block["n_examples"] == own["split"]["test"] > 0
    assert block["n_sentiment"] < block["n_examples"]  # unknown sentiments are not scored as a class
    card = (result.folder / "MODEL_CARD.md").read_text()
    assert "test results on your own records" in card and f"`{tiny_model}`" in card
    assert ModelFolder(result.folder).read_config().base_model == ModelFolder(tiny_model).read_config().base_model


def test_update_run_refuses_a_model_with_other_labels(tmp_path, tiny_model):
    copy = tmp_path / "other"
    shutil.copytree(tiny_model, copy)
    folder = ModelFolder(copy)
    stored = folder.read_config()
    folder.write_config(stored.model_copy(update={"causes": stored.causes[:-1]}))
    fresh = QuejasModelConfig(name="x", version="x", base_model="x")
    with pytest.raises(TrainingConfigError, match=f"causes: the folder has .*{CAUSE_IDS[0]}"):
        continued_model(str(copy), fresh)
