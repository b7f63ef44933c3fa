"""Requests that arrive before start-up has loaded the model get a 503 that says so, also under `python -O`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient

from pipeline.analyzer import Analyzer
from serve.app import create_app
from serve.batching import MicroBatcher
from serve.deps import loaded_analyzer, loaded_batcher, run_model
from serve.errors import ApiError
from serve.settings import Settings
from serve.state import ServiceState

COMPLAINT = "El pedido no llega y nadie contesta el teléfono."
DRAFT = "Estimada Lucía: sentimos el retraso. Hemos revisado su pedido y llegará el lunes. Un saludo."


def unloaded_state(tmp_path, load_error: str | None = None) -> ServiceState:
    state = ServiceState(settings=Settings(model_path=tmp_path / "none", device="cpu"))
    state.load_error = load_error
    return state


def test_model_calls_before_loading_are_503_not_ready(tmp_path):
    state = unloaded_state(tmp_path)
    with pytest.raises(ApiError) as raised:
        asyncio.run(run_model(state, [COMPLAINT]))
    assert (raised.value.status, raised.value.code) == (503, "not_ready")
    for accessor in (loaded_analyzer, loaded_batcher):
        with pytest.raises(ApiError) as raised:
            accessor(state)
        assert raised.value.status == 503 and "vuelva a intentarlo" in raised.value.message


def test_not_ready_after_a_failed_load_gives_the_reason(tmp_path):
    with pytest.raises(ApiError) as raised:
        loaded_analyzer(unloaded_state(tmp_path, load_error="FileNotFoundError: no model"))
    assert raised.value.code == "not_ready" and "FileNotFoundError: no model" in raised.value.message


def test_programming_errors_are_runtime_errors_not_asserts(tmp_path):
    with pytest.raises(RuntimeError, match="before the model was loaded"):
        unloaded_state(tmp_path).analyze([COMPLAINT])
    with pytest.raises(RuntimeError, match=r"start\(\) was not called"):
        asyncio.run(MicroBatcher(lambda texts: []).submit([COMPLAINT]))


def test_the_checks_survive_python_O(tmp_path):
    """Asserts vanish under -O; a missing check would surface as an AttributeError on None (a 500)."""
    script = (
        "import asyncio\n"
        "from pathlib import Path\n"
        "from serve.deps import run_model\n"
        "from serve.errors import ApiError\n"
        "from serve.settings import Settings\n"
        "from serve.state import ServiceState\n"
        f"state = ServiceState(settings=Settings(model_path=Path({str(tmp_path)!r}), device='cpu'))\n"
        "try:\n"
        "    asyncio.run(run_model(state, ['hola']))\n"
        "except ApiError as exc:\n"
        "    print(exc.status, exc.code)\n"
    )
    result = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=600)
    assert result.stdout.split() == ["503", "not_ready"], result.stderr[-2000:]


def test_requests_while_the_model_loads(tiny_model, monkeypatch):
    """/v1/model and /v1/classify wait for the model (503); /v1/review answers without it; then all answer."""
    release = threading.Event()
    real_load = Analyzer.load

    def slow_load(*args, **kwargs):
        release.wait(timeout=120)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(Analyzer, "load", slow_load)
    app = create_app(Settings(model_path=tiny_model, device="cpu", max_wait_ms=0, warmup=False))
    try:
        with TestClient(app) as client:
            assert client.get("/health/ready").json()["error"]["code"] == "loading"
            for response in (client.get("/v1/model"), client.post("/v1/classify", json={"text": COMPLAINT})):
                assert response.status_code == 503 and response.json()["error"]["code"] == "not_ready"
            review = client.post("/v1/review", json={"draft": DRAFT, "complaint": COMPLAINT})
            assert review.status_code == 200 and 0 <= review.json()["score"] <= 100
            release.set()
            deadline = time.time() + 120
            while client.get("/health/ready").status_code != 200 and time.time() < deadline:
                time.sleep(0.05)
            assert client.get("/v1/model").status_code == 200
            assert client.post("/v1/classify", json={"text": COMPLAINT}).status_code == 200
    finally:
        release.set()
