"""The graded intensity: measured one way, chosen on dev, carried by the folder; older folders keep the polarity."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from sklearn.isotonic import IsotonicRegression
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.cli import app
from pipeline.data import label_arrays
from pipeline.intensity import (
    apply_mapping,
    choose_source,
    cross_fitted_mapping,
    fit_mapping,
    intensity_metrics,
    polarity,
)
from pipeline.model import QuejasModel
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import CONFIG_FILE, WEIGHTS_FILE, ModelFolder
from pipeline.tokenization import BatchTokenizer
from pipeline.train import intensity_loss

TEXTS = [
    "Llevo tres semanas esperando el pedido 4451982 y nadie me contesta el teléfono.",
    "Gracias a Paola por resolverlo tan rápido.",
    "me cobraron dos veces la cuota y si no me devuelven el dinero voy a la OCU y lo cuento en Twitter.",
]


# ------------------------------------------------------------------------------------------ measuring


def test_metrics_on_known_numbers():
    predicted = np.array([-0.95, -0.5, -0.3, 0.8, 0.0])
    gold = np.array([-0.8, -0.6, -0.4, 0.9, np.nan])  # the last row has no label and is left out
    negative = np.array([True, True, True, False, True])
    m = intensity_metrics(predicted, gold, negative)
    assert m["mae"] == pytest.approx((0.15 + 0.1 + 0.1 + 0.1) / 4)
    assert m["mae_negative"] == pytest.approx((0.15 + 0.1 + 0.1) / 3)
    assert m["spearman"] == pytest.approx(1.0) and m["spearman_negative"] == pytest.approx(1.0)
    assert m["negative_below_-0.9"] == pytest.approx(1 / 3)
    assert m["negative_labelled_below_-0.9"] == 0.0
    assert (m["n"], m["n_negative"]) == (4, 3)
    reversed_rank = intensity_metrics(-predicted, gold, negative)
    assert reversed_rank["spearman_negative"] == pytest.approx(-1.0)
    assert intensity_metrics(np.full(3, -0.5), gold[:3], negative[:3])["spearman"] is None  # constant: undefined


def test_polarity_is_p_positive_minus_p_negative_whatever_the_column_order():
    probs = np.array([[0.7, 0.2, 0.1], [0.05, 0.15, 0.8]])
    assert polarity(probs, ["negative", "neutral", "positive"]) == pytest.approx([-0.6, 0.75])
    assert polarity(probs, ["positive", "neutral", "negative"]) == pytest.approx([0.6, -0.75])


def test_mapping_breakpoints_predict_like_sklearn():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 300)
    y = np.clip(0.6 * x - 0.2 + rng.normal(0, 0.2, 300), -1, 1)
    mapping = fit_mapping(x, y)
    reference = IsotonicRegression(y_min=-1.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    probe = np.linspace(-1.5, 1.5, 101)
    np.testing.assert_allclose(apply_mapping(mapping, probe), reference.predict(probe), atol=1e-9)
    assert json.loads(json.dumps(mapping)) == mapping  # plain numbers: config.json holds it


def test_cross_fitting_never_scores_a_text_with_a_fit_that_saw_it():
    x = np.linspace(-1, 0, 50)
    y = x.copy()
    y[-1] = 1.0  # an outlier only its own fit could predict
    assert apply_mapping(fit_mapping(x, y), x)[-1] == pytest.approx(1.0)
    assert cross_fitted_mapping(x, y)[-1] < 0.1


def test_choice_weighs_rank_among_negatives_against_error():
    head = {"spearman_negative": 0.80, "mae": 0.12}
    mapping = {"spearman_negative": 0.60, "mae": 0.10}
    assert choose_source({"head": head, "mapping": mapping}) == "head"
    assert choose_source({"head": {"spearman_negative": 0.5, "mae": 0.3}, "mapping": mapping}) == "mapping"
    assert choose_source({"head": mapping, "mapping": dict(mapping)}) == "head"  # a tie keeps the head


# ------------------------------------------------------------------------------------------ training


def test_intensity_loss_skips_unlabelled_rows():
    predicted = torch.tensor([0.0, 0.5, -0.5], requires_grad=True)
    target = torch.tensor([float("nan"), 0.5, 0.0])
    assert intensity_loss(predicted, target).item() == pytest.approx(0.125)
    empty = intensity_loss(predicted, torch.full((3,), float("nan")))
    assert empty.item() == 0.0
    empty.backward()  # still part of the graph: a batch without labels trains the other heads
    assert predicted.grad is not None


def test_the_head_learns_the_labelled_score(tiny_base, tiny_dataset):
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    config = QuejasModelConfig(name="t", version="t", base_model=str(tiny_base), intensity_head=True, dropout=0.0)
    model = QuejasModel.from_base(str(tiny_base), config)
    batcher = BatchTokenizer(AutoTokenizer.from_pretrained(tiny_base), 32, 0.5, "")
    split = tiny_dataset["train"].select(range(32))
    batch = batcher(list(split["text"]))
    target = torch.from_numpy(label_arrays(split)["intensity"])

    def error() -> float:
        model.eval()
        with torch.no_grad():
            return intensity_loss(model(**batch)["intensity"], target).item()

    before = error()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(60):
        model.train()
        loss = intensity_loss(model(**batch)["intensity"], target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    after = error()
    assert after < 0.5 * before
    assert after < float(target.var())  # better than predicting the mean label for everyone


def test_training_chooses_the_intensity_on_dev_and_records_it(tiny_model):
    config = ModelFolder(tiny_model).read_config()
    assert config.intensity_head and config.score_kind == "intensity"
    block = json.loads((tiny_model / "metrics.json").read_text())["intensity"]
    assert config.intensity_source == block["source"]
    assert set(block["dev"]) == {"head", "mapping", "polarity", "scorer"}  # the scorer: test_intensity_scorer.py
    first = choose_source({name: block["dev"][name] for name in ("head", "mapping")})
    assert block["source"] == ("scorer" if block["scorer"]["kept"] else first)
    assert bool(config.intensity_mapping) == (block["source"] == "mapping")
    assert set(block["test"]) == {"head", "mapping", "polarity", "scorer", "model"}
    assert block["test"]["model"] == block["test"][block["source"]]
    for numbers in block["dev"].values():
        assert numbers["n"] == 80 and 0 <= numbers["mae"] <= 2
    history = json.loads((tiny_model / "metrics.json").read_text())["history"]
    assert all("dev_intensity_mae" in epoch for epoch in history)
    card = (tiny_model / "MODEL_CARD.md").read_text()
    assert "How upset" in card and "(chosen)" in card
    assert f"{block['dev']['head']['mae']:.3f}" in card and f"{block['test']['polarity']['mae']:.3f}" in card


# ------------------------------------------------------------------------------------------ folders


def _with_config(tiny_model, tmp_path, **changes):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    raw = json.loads((folder / CONFIG_FILE).read_text())
    raw.update(changes)
    (folder / CONFIG_FILE).write_text(json.dumps(raw))
    return folder


@pytest.mark.parametrize("source", ["head", "mapping"])
def test_the_score_is_the_source_the_folder_names(tiny_model, tmp_path, source):
    halve = {"x": [-1.0, 1.0], "y": [-0.5, 0.5]}
    folder = _with_config(tiny_model, tmp_path, intensity_source=source, intensity_mapping=halve)
    analyzer = Analyzer.load(folder, device="cpu")
    probs = analyzer.probabilities(TEXTS)
    expected = probs.intensity if source == "head" else polarity(probs.sentiment, analyzer.config.sentiments) / 2
    for row, analysis in enumerate(analyzer.analyze(TEXTS, entities=False)):
        assert analysis.sentiment.score_kind == "intensity"
        assert analysis.sentiment.score == pytest.approx(float(expected[row]), abs=1e-6)
        assert analysis.sentiment.label == analyzer.config.sentiments[int(np.argmax(probs.sentiment[row]))]


def old_folder(tiny_model, folder):
    """The tiny model as a folder written before the intensity: no head weights, no intensity fields."""
    shutil.copytree(tiny_model, folder)
    raw = json.loads((folder / CONFIG_FILE).read_text())
    for key in ("intensity_head", "intensity_source", "intensity_mapping"):
        raw.pop(key)
    (folder / CONFIG_FILE).write_text(json.dumps(raw))
    weights = load_file(str(folder / WEIGHTS_FILE))
    save_file({k: v for k, v in weights.items() if not k.startswith("intensity_head.")}, str(folder / WEIGHTS_FILE))
    return folder


def test_a_folder_from_before_the_intensity_loads_and_says_polarity(tiny_model, tmp_path):
    folder = old_folder(tiny_model, tmp_path / "old")

    for runtime in ("torch", "onnx"):
        analyzer = Analyzer.load(folder, device="cpu", runtime=runtime)
        assert analyzer.config.score_kind == "polarity"
        probs = analyzer.probabilities(TEXTS)
        assert probs.intensity is None and probs.sentiment_score is None
        for row, analysis in enumerate(analyzer.analyze(TEXTS, entities=False)):
            p = dict(zip(analyzer.config.sentiments, probs.sentiment[row]))
            assert analysis.sentiment.score_kind == "polarity"
            assert analysis.sentiment.score == pytest.approx(p["positive"] - p["negative"], abs=1e-6)


def test_eval_prints_the_intensity_beside_the_baseline(tiny_model, tiny_dataset, monkeypatch, tmp_path):
    from pipeline import data
    from pipeline.cli import render
    from pipeline.evaluate import model_metrics

    monkeypatch.setattr(data, "load_dataset_dict", lambda: tiny_dataset)
    monkeypatch.setattr(render.console, "width", 200)  # one table row per line
    output = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--model", str(tiny_model), "--device", "cpu", "-o", str(output)])
    assert result.exit_code == 0, result.output
    expected = json.loads(output.read_text())["model"]
    text = " ".join(result.output.split())
    for row in (
        "MAE, all texts",
        "rank correlation, all texts",
        "MAE, negatives",
        "rank correlation, negatives",
        "negatives scored below -0.9",
        "negatives labelled below -0.9",
    ):
        assert row in text, row
    assert "P(pos) - P(neg)" in text
    for key in ("mae", "mae_negative"):
        assert f"{expected['intensity'][key]:.3f}" in text
        assert f"{expected['intensity_baseline'][key]:.3f}" in text
    assert expected["intensity"]["source"] == ModelFolder(tiny_model).read_config().intensity_source
    assert set(expected["intensity_baseline"]) >= {"spearman_negative", "negative_below_-0.9"}
    # The same numbers as scoring the model directly: eval measures the folder, it does not copy metrics.json.
    direct = model_metrics(tiny_model, tiny_dataset, device="cpu", blend=True)["intensity"]
    assert expected["intensity"]["mae"] == pytest.approx(direct["mae"])


def test_an_old_folder_gets_the_mapping_from_the_intensity_command(tiny_model, tiny_dataset, monkeypatch, tmp_path):
    from pipeline import data

    folder = old_folder(tiny_model, tmp_path / "old")
    monkeypatch.setattr(data, "load_dataset_dict", lambda: tiny_dataset)
    result = CliRunner().invoke(app, ["intensity", "--model", str(folder), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    config = ModelFolder(folder).read_config()
    assert config.intensity_source == "mapping" and config.score_kind == "intensity"  # no head: the mapping
    expected = apply_mapping(
        config.intensity_mapping,
        polarity(Analyzer.load(folder, device="cpu").probabilities(TEXTS).sentiment, config.sentiments),
    )
    analyses = Analyzer.load(folder, device="cpu").analyze(TEXTS, entities=False)
    assert [a.sentiment.score_kind for a in analyses] == ["intensity"] * len(TEXTS)
    np.testing.assert_allclose([a.sentiment.score for a in analyses], expected, atol=1e-6)
    assert set(json.loads((folder / "metrics.json").read_text())["intensity"]["dev"]) == {"mapping", "polarity"}
