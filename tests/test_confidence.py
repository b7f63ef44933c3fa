"""Cause-set confidence: margins from the thresholds, levels cut where dev cause sets were exactly right."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.confidence import confidence_level, level_shares, set_margins, tune_cutoffs


def test_margin_is_the_least_sure_decision():
    cuts = np.array([0.5, 0.2])
    probs = np.array([[0.95, 0.0], [0.55, 0.0], [0.95, 0.19]])
    margins = set_margins(probs, cuts)
    assert margins[0] == pytest.approx(0.9)  # (0.95-0.5)/0.5 vs 0.2/0.2 -> 0.9
    assert margins[1] == pytest.approx(0.1)  # just over its threshold
    assert margins[2] == pytest.approx(0.05)  # just under the other threshold


def test_levels_follow_the_cutoffs():
    cutoffs = {"high": 0.5, "medium": 0.2}
    assert [confidence_level(m, cutoffs) for m in (0.9, 0.5, 0.3, 0.1)] == ["high", "high", "medium", "low"]


def test_tuned_levels_are_right_as_often_as_they_promise():
    rng = np.random.default_rng(0)
    gold = (rng.random((600, 4)) < 0.3).astype(float)
    noise = rng.normal(0, 0.25, gold.shape)
    probs = np.clip(gold * 0.7 + 0.15 + noise, 0, 1)
    cuts = np.full(4, 0.5)
    cutoffs = tune_cutoffs(probs, gold, cuts)
    assert 0 <= cutoffs["medium"] <= cutoffs["high"] <= 1
    shares = level_shares(probs, gold, cuts, cutoffs)
    assert shares["high"]["exact_set_accuracy"] >= 0.85
    assert shares["medium"]["exact_set_accuracy"] < shares["high"]["exact_set_accuracy"]
    below_medium = set_margins(probs, cuts) < cutoffs["medium"]
    exact = ((probs >= cuts) == (gold > 0.5)).all(axis=1)
    assert below_medium.sum() >= 20 and exact[below_medium].mean() <= 0.35
    assert shares["low"]["exact_set_accuracy"] <= 0.35
    assert sum(level["share"] for level in shares.values()) == pytest.approx(1.0)


def test_analysis_carries_language_and_confidence(tiny_model):
    from pipeline.analyzer import Analyzer

    analyzer = Analyzer.load(tiny_model, device="cpu")
    spanish, english = analyzer.analyze(
        ["El pedido no llega y nadie contesta el teléfono.", "The parcel never arrived and nobody answers the phone."]
    )
    assert spanish.language.code == "es" and spanish.language.spanish
    assert english.language.code == "en" and not english.language.spanish
    assert english.confidence == "low"


def test_trained_folder_stores_tuned_cutoffs(tiny_model):
    from pipeline.model_folder import ModelFolder

    cutoffs = ModelFolder(tiny_model).read_config().confidence_cutoffs
    assert set(cutoffs) == {"high", "medium"} and cutoffs["medium"] <= cutoffs["high"]
