"""ONNX Runtime path: the export computes what the PyTorch model computes, is built once, and serves."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.cli import app
from pipeline.inference import predict_probabilities
from pipeline.model_folder import ModelFolder
from pipeline.onnx_runtime import export_onnx
from serve.app import create_app
from serve.settings import Settings

TEXTS = [
    "Llevo tres semanas esperando el pedido 4451982 y nadie me contesta el teléfono.",
    "Gracias por resolverlo tan rápido.",
    "me cobraron dos veces la cuota del gimnasio y en recepción me dijeron que no pueden hacer nada, "
    "es política de la empresa. Si no me devuelven el dinero voy a la OCU y lo cuento en Twitter. " * 3,
]


@pytest.fixture(scope="module")
def model_copy(tiny_model, tmp_path_factory):
    """A private copy: exporting writes into the folder, and other tests share the original."""
    folder = tmp_path_factory.mktemp("onnx") / "model"
    shutil.copytree(tiny_model, folder)
    return folder


@pytest.fixture(scope="module")
def torch_analyzer(tiny_model):
    return Analyzer.load(tiny_model, device="cpu")


def test_float32_export_matches_pytorch(model_copy, torch_analyzer):
    export_onnx(model_copy, int8=False)
    onnx = Analyzer.load(model_copy, device="cpu", runtime="onnx")
    pairs = [
        (torch_analyzer.probabilities(TEXTS), onnx.probabilities(TEXTS)),  # with the lexical blend, one by one
        (  # the encoder alone, texts padded into one batch: the graph takes batches too
            predict_probabilities(torch_analyzer.model, torch_analyzer.batcher, TEXTS, batch_size=3),
            predict_probabilities(onnx.model, onnx.batcher, TEXTS, batch_size=3),
        ),
    ]
    for exact, exported in pairs:
        for name in ("causes", "sentiment", "risk", "embeddings", "intensity"):
            np.testing.assert_allclose(getattr(exported, name), getattr(exact, name), atol=1e-4)
    assert exact.intensity is not None  # the intensity head is carried by the graph, not dropped
    np.testing.assert_allclose(onnx.probabilities(TEXTS).sentiment_score, pairs[0][0].sentiment_score, atol=1e-4)


def test_int8_export_stays_close_and_gives_the_same_analysis_shape(model_copy, torch_analyzer):
    onnx = Analyzer.load(model_copy, device="cpu", runtime="onnx", quantize=True)  # exported on first load
    assert ModelFolder(model_copy).onnx_file(int8=True).exists()
    exact, approx = torch_analyzer.probabilities(TEXTS), onnx.probabilities(TEXTS)
    assert np.abs(exact.causes - approx.causes).max() < 0.05
    assert np.abs(exact.sentiment - approx.sentiment).max() < 0.05
    analysis = onnx.analyze(TEXTS[:1])[0]
    assert analysis.model == torch_analyzer.info
    assert analysis.entities.references  # entities come from the text pipeline whatever the runtime


def test_export_is_reused_unless_forced(model_copy):
    path = export_onnx(model_copy, int8=True)
    stamp = path.stat().st_mtime_ns
    assert export_onnx(model_copy, int8=True).stat().st_mtime_ns == stamp
    assert export_onnx(model_copy, int8=True, force=True).stat().st_mtime_ns != stamp


def test_unknown_runtime_is_refused(tiny_model):
    with pytest.raises(ValueError, match="unknown runtime 'tensorrt'"):
        Analyzer.load(tiny_model, runtime="tensorrt")


def test_export_cli_writes_the_graph_and_reports_bad_folders(model_copy, tmp_path):
    result = CliRunner().invoke(app, ["export-onnx", "--model", str(model_copy), "--float32"])
    assert result.exit_code == 0, result.output
    assert ModelFolder(model_copy).onnx_file(int8=False).exists()
    missing = CliRunner().invoke(app, ["export-onnx", "--model", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "no model at" in missing.output and "Traceback" not in missing.output


def test_service_on_onnx_runtime_answers_like_the_torch_one(model_copy, torch_analyzer):
    settings = Settings(model_path=model_copy, device="cpu", runtime="onnx", quantize=False, max_wait_ms=0)
    with TestClient(create_app(settings)) as client:
        deadline = time.time() + 60
        while client.get("/health/ready").status_code != 200 and time.time() < deadline:
            time.sleep(0.05)
        response = client.post("/v1/classify", json={"text": TEXTS[0]})
    assert response.status_code == 200, response.text
    expected = torch_analyzer.analyze(TEXTS[:1])[0]
    got = response.json()["results"][0]
    assert [c["id"] for c in got["causes"]] == expected.cause_ids
    assert got["sentiment"]["label"] == expected.sentiment.label
    assert got["sentiment"]["score_kind"] == "intensity"
    assert got["sentiment"]["score"] == pytest.approx(expected.sentiment.score, abs=1e-4)
    assert got["priority"] == expected.priority
