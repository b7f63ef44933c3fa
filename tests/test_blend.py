"""The encoder + TF-IDF blend: weights tuned on dev, stored in the folder, applied by the Analyzer."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pipeline.analyzer import Analyzer
from pipeline.blend import add_lexical_blend, tune_weights
from pipeline.inference import Probabilities
from pipeline.lexical import lexical_probabilities, mix
from pipeline.model_folder import LEXICAL_FILE, ModelFolder
from pipeline.neighbours import mix_votes
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS

TEXTS = ["me cobraron dos veces y nadie contesta", "gracias por todo, Raúl fue muy amable"]


def test_tiny_model_is_blended(tiny_model):
    config = ModelFolder(tiny_model).read_config()
    assert set(config.blend_weights) == {"causes", "sentiment", "risk"}
    assert all(0.0 <= w <= 1.0 for w in config.blend_weights.values())
    assert (tiny_model / LEXICAL_FILE).exists()
    assert set(config.encoder_thresholds) == {"causes", "risk"}
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert {"test", "test_encoder_only", "blend_weights"} <= set(metrics)


def test_analyzer_applies_the_stored_blend(tiny_model):
    blended = Analyzer.load(tiny_model, device="cpu")
    alone = Analyzer.load(tiny_model, device="cpu", blend=False)
    assert blended.lexical is not None and alone.lexical is None
    encoder = alone.probabilities(TEXTS)
    expected = mix(encoder, lexical_probabilities(blended.lexical, TEXTS), blended.config.blend_weights)
    if blended.neighbours is not None:  # the tuned vote, when dev kept it (tests/test_neighbours.py)
        votes = blended.neighbours.cause_probabilities(encoder.embeddings)
        expected.causes = mix_votes(expected.causes, votes, blended.config.neighbour_share)
    got = blended.probabilities(TEXTS)
    for task in ("causes", "sentiment", "risk"):
        assert np.allclose(getattr(got, task), getattr(expected, task), atol=1e-6)
    config = alone.config
    assert list(alone.cause_cut) == [config.encoder_thresholds["causes"][c] for c in CAUSE_IDS]
    assert list(blended.cause_cut) == [config.cause_thresholds[c] for c in CAUSE_IDS]


def test_weights_follow_the_better_model():
    rng = np.random.default_rng(0)
    gold_causes = rng.integers(0, 2, size=(120, len(CAUSE_IDS))).astype(float)
    gold_risk = rng.integers(0, 2, size=(120, len(RISK_IDS))).astype(float)
    gold_sentiment = rng.integers(0, 3, size=120)
    perfect = Probabilities(
        causes=gold_causes * 0.8 + 0.1, sentiment=np.eye(3)[gold_sentiment], risk=gold_risk * 0.8 + 0.1
    )
    noise = Probabilities(
        causes=rng.random(gold_causes.shape), sentiment=rng.random((120, 3)), risk=rng.random(gold_risk.shape)
    )
    gold = {"causes": gold_causes, "sentiment": gold_sentiment, "risk": gold_risk}
    assert tune_weights(perfect, noise, gold) == {"causes": 1.0, "risk": 1.0, "sentiment": 1.0}
    # Ties keep as much encoder as still scores perfectly, so the share drops below one half, not to zero.
    flipped = tune_weights(noise, perfect, gold)
    assert all(weight <= 0.5 for weight in flipped.values())
    assert (mix(noise, perfect, flipped).sentiment.argmax(axis=1) == gold_sentiment).all()


def test_blending_twice_is_refused(tiny_model, tmp_path, tiny_dataset):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    with pytest.raises(ValueError, match="already blended"):
        add_lexical_blend(copy, tiny_dataset)


def test_missing_lexical_file_is_an_error(tiny_model, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    (copy / LEXICAL_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="lexical.joblib"):
        Analyzer.load(copy)
    assert Analyzer.load(copy, blend=False).analyze(TEXTS)
