"""The Analyzer: loads once, batches by length without changing results, refuses empty text."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analyzer import Analyzer
from pipeline.inference import EmptyTextError
from pipeline.taxonomy import TAXONOMY

TEXTS = [
    "Llevo tres semanas esperando el pedido 4451982 y nadie me contesta el teléfono.",
    "Gracias a Paola por resolverlo tan rápido.",
    "me cobraron dos veces la cuota del gimnasio y en recepción me dijeron que no pueden hacer nada, "
    "es política de la empresa. Si no me devuelven el dinero voy a la OCU y lo cuento en Twitter.",
    "¿A qué hora abren el sábado?",
]


def test_batched_results_equal_one_by_one(analyzer):
    together = analyzer.analyze(TEXTS, batch_size=2)
    for text, batched in zip(TEXTS, together):
        alone = analyzer.analyze([text])[0]
        assert [c.id for c in alone.causes] == [c.id for c in batched.causes]
        assert np.allclose([c.score for c in alone.causes], [c.score for c in batched.causes], atol=1e-5)
        assert alone.sentiment.label == batched.sentiment.label
        assert abs(alone.sentiment.score - batched.sentiment.score) < 1e-5


def test_analysis_is_consistent_with_thresholds(analyzer):
    probs = analyzer.probabilities(TEXTS)
    config = analyzer.config
    for row, analysis in enumerate(analyzer.analyze(TEXTS)):
        expected = {c for j, c in enumerate(config.causes) if probs.causes[row, j] >= config.cause_thresholds[c]}
        assert set(analysis.cause_ids) == expected
        scores = [c.score for c in analysis.causes]
        assert scores == sorted(scores, reverse=True)
        assert analysis.group == TAXONOMY.group_of(analysis.cause_ids)
        assert analysis.sentiment.score_kind == "intensity"
        assert analysis.sentiment.score == pytest.approx(probs.sentiment_score[row], abs=1e-6)
        assert analysis.risk.churn == (probs.risk[row, 0] >= config.risk_thresholds["churn"])
        assert analysis.model.name == config.name


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_text_is_refused(analyzer, bad):
    with pytest.raises(EmptyTextError, match="position 1"):
        analyzer.analyze(["hola, tengo un problema", bad])


def test_no_texts_gives_no_analyses(analyzer):
    assert analyzer.analyze([]) == []


def test_missing_model_folder_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train"):
        Analyzer.load(tmp_path / "nope")


def test_int8_model_stays_close_to_float32(tiny_model, analyzer):
    quantized = Analyzer.load(tiny_model, device="cpu", quantize=True)
    exact, approx = analyzer.probabilities(TEXTS), quantized.probabilities(TEXTS)
    assert np.abs(exact.causes - approx.causes).max() < 0.05
    assert np.abs(exact.sentiment - approx.sentiment).max() < 0.05
    assert quantized.analyze(TEXTS)[0].model.name == analyzer.info.name


@pytest.mark.parametrize("options", [{"quantize": True}, {"quantize": True, "runtime": "onnx"}], ids=["torch", "onnx"])
def test_int8_results_do_not_depend_on_batch_mates(tiny_model, tmp_path, options):
    # Dynamic int8 scales activations per tensor: a padded batch would give each text its neighbours' scale.
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)  # the ONNX export is written into the folder
    quantized = Analyzer.load(folder, device="cpu", **options)
    together = quantized.probabilities(TEXTS, batch_size=4)
    alone = np.vstack([quantized.probabilities([t]).causes for t in TEXTS])
    np.testing.assert_allclose(together.causes, alone, atol=1e-6)


def test_bf16_stays_close_to_float32_or_is_refused_clearly(tiny_model, analyzer):
    import torch

    from pipeline.model import bf16_available

    if not bf16_available(torch.device("cpu")):
        with pytest.raises(ValueError, match="no bfloat16 kernels"):
            Analyzer.load(tiny_model, device="cpu", bf16=True)
        return
    fast = Analyzer.load(tiny_model, device="cpu", bf16=True)
    exact, approx = analyzer.probabilities(TEXTS), fast.probabilities(TEXTS)
    assert np.abs(exact.causes - approx.causes).max() < 0.05
    assert approx.causes.dtype == np.float32


def test_bf16_is_not_combined_with_int8_or_onnx(tiny_model):
    for options in ({"quantize": True}, {"runtime": "onnx"}):
        with pytest.raises(ValueError, match="bf16 applies to the PyTorch float32 model"):
            Analyzer.load(tiny_model, device="cpu", bf16=True, **options)
