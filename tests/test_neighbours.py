"""The nearest-training-texts vote: its arithmetic, its tuning, and how a model folder carries it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import pipeline.onnx_runtime as onnx_runtime
from pipeline.analyzer import Analyzer
from pipeline.blend import NEIGHBOUR_GRID, fit_neighbours, tune_neighbour_share
from pipeline.data import label_arrays
from pipeline.inference import predict_probabilities
from pipeline.lexical import lexical_probabilities, mix
from pipeline.model_folder import CONFIG_FILE, NEIGHBOURS_FILE, ModelFolder
from pipeline.neighbours import NeighbourVote, mix_votes
from pipeline.taxonomy import CAUSE_IDS

TEXTS = ["me cobraron dos veces y nadie contesta", "el pedido llegó roto, quiero la devolución"]


def _unit(angles_deg):
    radians = np.radians(angles_deg)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1).astype(np.float32)


def test_vote_is_the_similarity_weighted_share_of_the_nearest_causes(tmp_path):
    causes = np.array([[1, 0], [1, 1], [0, 1], [0, 1]], dtype=np.float32)
    vote = NeighbourVote(_unit([0, 10, 90, 180]), causes, k=2, temperature=0.1)
    got = vote.cause_probabilities(_unit([2]))[0]
    sims = np.cos(np.radians([2, 8]))  # the two nearest: 0 and 10 degrees away by 2 and 8
    weights = np.exp(sims / 0.1) / np.exp(sims / 0.1).sum()
    np.testing.assert_allclose(got, weights @ causes[:2], rtol=1e-5)
    assert got[0] == pytest.approx(1.0) and 0.4 < got[1] < 0.5  # the closer neighbour weighs more
    assert NeighbourVote(_unit([0, 10, 90, 180]), causes, k=1).cause_probabilities(_unit([95]))[0].tolist() == [0, 1]
    vote.save(tmp_path)
    again = NeighbourVote.load(tmp_path, k=2, temperature=0.1)
    np.testing.assert_allclose(again.cause_probabilities(_unit([2])), vote.cause_probabilities(_unit([2])))
    with pytest.raises(FileNotFoundError, match=NEIGHBOURS_FILE):
        NeighbourVote.load(tmp_path / "elsewhere")
    np.testing.assert_allclose(mix_votes(np.zeros((1, 2)), np.ones((1, 2)), 0.3), [[0.3, 0.3]])


@pytest.mark.parametrize("kwargs", [{"k": 0}, {"temperature": 0.0}])
def test_bad_vote_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        NeighbourVote(_unit([0]), np.ones((1, 1)), **kwargs)
    with pytest.raises(ValueError, match="one cause row"):
        NeighbourVote(_unit([0, 1]), np.ones((1, 1)))


def test_share_follows_the_more_useful_vote():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, size=(150, len(CAUSE_IDS))).astype(float)
    noise = rng.random(gold.shape)
    assert tune_neighbour_share(noise, gold * 0.8 + 0.1, gold) == NEIGHBOUR_GRID.max()
    assert tune_neighbour_share(gold * 0.8 + 0.1, noise, gold) == 0.0


@pytest.fixture(scope="module")
def voting_model(tiny_model, tiny_dataset, tmp_path_factory):
    """The tiny model with a neighbour vote at a fixed share (the tiny model's own tuning may pick 0)."""
    folder = tmp_path_factory.mktemp("voting") / "model"
    shutil.copytree(tiny_model, folder)
    analyzer = Analyzer.load(folder, device="cpu", blend=False)
    train = tiny_dataset["train"]
    fit_neighbours(analyzer, list(train["text"]), label_arrays(train)["causes"]).save(folder)
    config = json.loads((folder / CONFIG_FILE).read_text())
    config["neighbour_share"] = 0.3
    (folder / CONFIG_FILE).write_text(json.dumps(config))
    return folder


def test_analyzer_mixes_the_vote_into_the_blended_causes(voting_model):
    voting = Analyzer.load(voting_model, device="cpu")
    alone = Analyzer.load(voting_model, device="cpu", blend=False)
    assert voting.neighbours is not None and alone.neighbours is None
    encoder = alone.probabilities(TEXTS)
    assert encoder.embeddings.shape == (2, voting.neighbours.embeddings.shape[1])
    np.testing.assert_allclose(np.linalg.norm(encoder.embeddings, axis=1), 1.0, rtol=1e-5)
    blended = mix(encoder, lexical_probabilities(voting.lexical, TEXTS), voting.config.blend_weights)
    expected = mix_votes(blended.causes, voting.neighbours.cause_probabilities(encoder.embeddings), 0.3)
    got = voting.probabilities(TEXTS)
    np.testing.assert_allclose(got.causes, expected, atol=1e-6)
    np.testing.assert_allclose(got.sentiment, blended.sentiment, atol=1e-6)
    assert not np.allclose(got.causes, blended.causes, atol=1e-4)


def test_vote_embeddings_come_from_the_head_tail_reading(voting_model):
    analyzer = Analyzer.load(voting_model, device="cpu", blend=False)
    long_text = " ".join(["El pedido llegó tarde y roto."] * 6 + ["Nadie contesta el teléfono."] * 6)
    with_windows = predict_probabilities(analyzer.model, analyzer.batcher, [long_text, TEXTS[0]])
    without = predict_probabilities(analyzer.model, analyzer.batcher, [long_text, TEXTS[0]], windows=False)
    np.testing.assert_allclose(with_windows.embeddings, without.embeddings, atol=1e-5)
    assert not np.allclose(with_windows.causes[0], without.causes[0], atol=1e-4)


def test_missing_store_is_an_error(voting_model, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(voting_model, copy)
    (copy / NEIGHBOURS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=NEIGHBOURS_FILE):
        Analyzer.load(copy)
    assert Analyzer.load(copy, blend=False).analyze(TEXTS)


def test_onnx_graph_without_the_embedding_output_is_exported_again(voting_model, tmp_path, monkeypatch):
    copy = tmp_path / "m"
    shutil.copytree(voting_model, copy)
    with monkeypatch.context() as patch:  # a graph as exported before the vote existed
        patch.setattr(onnx_runtime, "OUTPUTS", ("causes", "sentiment", "risk"))
        onnx_runtime.export_onnx(copy, int8=False)
    stale = onnx_runtime.OnnxModel(ModelFolder(copy).onnx_file(int8=False), Analyzer.load(copy).config)
    assert "embedding" not in stale.outputs
    voting = Analyzer.load(copy, device="cpu", runtime="onnx")
    assert "embedding" in voting.model.outputs
    exact = Analyzer.load(copy, device="cpu").probabilities(TEXTS)
    np.testing.assert_allclose(voting.probabilities(TEXTS).causes, exact.causes, atol=1e-4)
