"""Hostile input against the HTTP API: oversized bodies, lone surrogates, unbounded fields, random paths,
texts without letters, secrets in URLs, and more load than the model can serve."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from live_server import free_port
from stalled_model import stalled_model, until_queued

from serve.app import create_app
from serve.settings import Settings

COMPLAINT = "Soy Lucía Ferrer. El pedido PED-48213 no llega y nadie contesta el teléfono. Me doy de baja."
KEY = "k" * 24
JSON = {"content-type": "application/json"}


def settings(tiny_model, **extra) -> Settings:
    base = {"model_path": tiny_model, "device": "cpu", "max_text_chars": 2000, "max_items": 8, "max_wait_ms": 0}
    return Settings(**{**base, **extra})


def ready_client(app) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    deadline = time.time() + 60
    while client.get("/health/ready").status_code != 200:
        assert time.time() < deadline, client.get("/health/ready").text
        time.sleep(0.05)
    return client


@pytest.fixture(scope="module")
def client(tiny_model, analyzer):
    c = ready_client(create_app(settings(tiny_model, max_body_bytes=64 * 1024), analyzer=analyzer))
    yield c
    c.__exit__(None, None, None)


def code(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


# ------------------------------------------------------------------------------------------ body size


def test_a_big_body_is_refused_before_the_api_key_is_checked(tiny_model, analyzer):
    app = create_app(settings(tiny_model, max_body_bytes=4096, api_keys=KEY), analyzer=analyzer)
    c = ready_client(app)
    try:
        big = b'{"text": "' + b"a" * 10_000 + b'"}'
        response = c.post("/v1/classify", content=big, headers=JSON)
        assert response.status_code == 413 and code(response) == "body_too_large"

        def chunks():  # no Content-Length: the bytes themselves are counted
            yield b'{"text": "'
            for _ in range(10):
                yield b"a" * 1000
            yield b'"}'

        streamed = c.post("/v1/classify", content=chunks(), headers=JSON)
        assert "content-length" not in {k.lower() for k in streamed.request.headers}
        assert streamed.status_code == 413 and code(streamed) == "body_too_large"
        # Under the limit the key is checked as before.
        assert c.post("/v1/classify", json={"text": COMPLAINT}).status_code == 401
        assert c.post("/v1/classify", json={"text": COMPLAINT}, headers={"X-API-Key": KEY}).status_code == 200
    finally:
        c.__exit__(None, None, None)


# ------------------------------------------------------------------------------------------ metrics


def test_random_paths_do_not_grow_the_metrics(client):
    for i in range(30):
        client.post(f"/random/{i}/path", content=b"\xff\xfe\x00bad", headers=JSON)
        client.get(f"/otra/{i}")
    metrics = client.get("/metrics").text
    assert "/random/" not in metrics and "/otra/" not in metrics
    assert 'route="unmatched",status="400"' in metrics
    assert 'route="unmatched",status="404"' in metrics


# ------------------------------------------------------------------------------------------ lone surrogates


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/classify", '{"text": "hola \\ud800 que tal"}'),
        ("/v1/classify", '{"texts": ["bien", "\\udfff"]}'),
        ("/v1/analyze", '{"text": "El pedido no llega \\ud800"}'),
        ("/v1/reply", '{"text": "El pedido no llega \\ud800"}'),
        ("/v1/review", '{"draft": "Estimada \\ud800: lo sentimos."}'),
        ("/v1/review", '{"draft": "Lo sentimos.", "customer_name": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_is_a_clean_422(client, path, body):
    response = client.post(path, content=body.encode(), headers=JSON)
    assert response.status_code == 422 and code(response) == "invalid_unicode"
    # The connection still works for the next request.
    assert client.post("/v1/review", json={"draft": "Lamentamos el retraso, Lucía."}).status_code == 200


def test_a_lone_surrogate_in_a_field_name_or_a_given_analysis_is_a_clean_422(client):
    unknown = client.post("/v1/classify", content=b'{"text": "hola", "\\ud800": 1}', headers=JSON)
    assert unknown.status_code == 422
    analysis = client.post("/v1/classify", json={"text": COMPLAINT}).json()["results"][0]
    analysis["entities"]["customer_name"] = "\ud800"
    response = client.post("/v1/reply", content=_dumps({"text": COMPLAINT, "analysis": analysis}), headers=JSON)
    assert response.status_code == 422 and code(response) == "invalid_unicode"


def _dumps(value) -> bytes:
    import json

    return json.dumps(value).encode()  # ensure_ascii: the surrogate travels as \ud800


# ------------------------------------------------------------------------------------------ field limits


def test_every_string_field_has_a_limit(client):
    name = client.post("/v1/review", json={"draft": "Lamentamos el retraso.", "customer_name": "Lucía" * 1000})
    assert name.status_code == 422
    analysis = client.post("/v1/classify", json={"text": COMPLAINT}).json()["results"][0]
    analysis["entities"]["customer_name"] = "x" * 5000
    nested = client.post("/v1/reply", json={"text": COMPLAINT, "analysis": analysis})
    assert nested.status_code == 422


def test_analyze_with_a_given_analysis_still_checks_the_text(client):
    analysis = client.post("/v1/classify", json={"text": COMPLAINT}).json()["results"][0]
    empty = client.post("/v1/analyze", json={"text": "  ", "analysis": analysis})
    assert empty.status_code == 422 and code(empty) == "empty_text"
    long = client.post("/v1/analyze", json={"text": "x" * 2001, "analysis": analysis})
    assert long.status_code == 413 and code(long) == "text_too_long"
    assert client.post("/v1/analyze", json={"text": COMPLAINT, "analysis": analysis}).status_code == 200


@pytest.mark.parametrize("text", ["12345", "!!!???", "\u200b", "3,50 € - 12/05"])
@pytest.mark.parametrize("path", ["/v1/classify", "/v1/analyze", "/v1/reply"])
def test_text_without_letters_is_not_text(client, path, text):
    response = client.post(path, json={"text": text})
    assert response.status_code == 422 and code(response) == "not_text"
    assert response.json()["error"]["details"][0]["loc"] == ["body", "text"]


def test_a_batch_lists_every_item_without_letters(client):
    response = client.post("/v1/classify", json={"texts": [COMPLAINT, "12345", "Gracias", "\u200b"]})
    assert response.status_code == 422 and code(response) == "not_text"
    assert [d["loc"] for d in response.json()["error"]["details"]] == [["body", "texts", 1], ["body", "texts", 3]]


# ------------------------------------------------------------------------------------------ event loop


def test_review_does_not_block_the_event_loop(tiny_model, analyzer, monkeypatch):
    import pipeline.review

    real = pipeline.review.review_draft
    reviewing = threading.Event()

    def slow_review(*args, **kwargs):
        reviewing.set()
        time.sleep(0.8)  # a heavy draft
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.review, "review_draft", slow_review)
    app = create_app(settings(tiny_model), analyzer=analyzer)

    async def scenario():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                finished: dict[str, float] = {}
                started = time.perf_counter()

                async def timed(name, call):
                    response = await call
                    finished[name] = time.perf_counter() - started
                    return response

                review = asyncio.create_task(timed("review", c.post("/v1/review", json={"draft": "Lo sentimos."})))
                while not reviewing.is_set():  # on the event loop, this only runs again after the review
                    await asyncio.sleep(0.005)
                live = await timed("live", c.get("/health/live"))
                assert (await review).status_code == 200 and live.status_code == 200
                return finished

    finished = asyncio.run(scenario())
    assert finished["live"] < finished["review"]


# ------------------------------------------------------------------------------------------ load shedding


def test_a_full_queue_answers_503_with_retry_after_at_once(tiny_model, analyzer):
    app = create_app(settings(tiny_model, max_queue=2), analyzer=analyzer)

    async def scenario():
        async with stalled_model(app) as (state, c, gate):
            first = asyncio.create_task(c.post("/v1/classify", json={"texts": [COMPLAINT, "Gracias"]}))
            await until_queued(state, 2)
            metrics = (await c.get("/metrics")).text
            started = time.perf_counter()
            shed = await c.post("/v1/classify", json={"text": COMPLAINT})
            shed_seconds = time.perf_counter() - started
            review = await c.post("/v1/review", json={"draft": "Lo sentimos.", "complaint": COMPLAINT})
            gate.set()
            ok = await first
            after = await c.post("/v1/classify", json={"text": COMPLAINT})
            return shed, shed_seconds, review, ok, after, metrics

    shed, shed_seconds, review, ok, after, metrics = asyncio.run(scenario())
    assert shed.status_code == 503 and code(shed) == "overloaded"
    assert int(shed.headers["retry-after"]) >= 1
    assert shed_seconds < 1.0
    assert review.status_code == 503
    assert ok.status_code == 200 and after.status_code == 200
    assert "quejas_queue_depth 2.0" in metrics


def test_a_request_alone_is_admitted_whatever_its_size(tiny_model, analyzer):
    c = ready_client(create_app(settings(tiny_model, max_queue=1), analyzer=analyzer))
    try:
        assert c.post("/v1/classify", json={"texts": [COMPLAINT] * 5}).status_code == 200
    finally:
        c.__exit__(None, None, None)


# ------------------------------------------------------------------------------------------ secrets in logs


def test_no_secret_reaches_the_access_log(tiny_model, analyzer, caplog):
    app = create_app(settings(tiny_model, api_keys=KEY), analyzer=analyzer)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", access_log=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(caplog.handler)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline
            time.sleep(0.05)
        caplog.set_level(logging.INFO, logger="uvicorn.access")
        secret = "s3cr3t-" + "q" * 20
        assert httpx.get(f"{url}/v1/labels?api_key={secret}").status_code == 401
        assert httpx.get(f"{url}/v1/labels?lang=es&token={secret}&key={secret}").status_code == 401
        assert httpx.get(f"{url}/v1/labels?x={KEY}", headers={"X-API-Key": KEY}).status_code == 200
        deadline = time.time() + 5
        while len([r for r in caplog.records if r.name == "uvicorn.access"]) < 3 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        access.removeHandler(caplog.handler)
        server.should_exit = True
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/v1/labels" in line for line in lines), lines
    assert not any(secret in line or KEY in line for line in lines), lines
    assert any("api_key=[redacted]" in line for line in lines), lines
