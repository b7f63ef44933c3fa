"""The HTTP API with a tiny model: every endpoint, every bad input, API keys, batching equivalence."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from serve.app import create_app
from serve.settings import Settings

COMPLAINT = "Soy Lucía Ferrer. El pedido PED-48213 no llega y nadie contesta el teléfono. Me doy de baja."
KEY = "k" * 24


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if client.get("/health/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"service not ready: {client.get('/health/ready').json()}")


def make_client(tiny_model, analyzer=None, **settings) -> TestClient:
    base = {"model_path": tiny_model, "device": "cpu", "max_text_chars": 2000, "max_items": 8, "max_wait_ms": 5}
    return TestClient(create_app(Settings(**{**base, **settings}), analyzer=analyzer))


@pytest.fixture(scope="module")
def client(tiny_model):
    with make_client(tiny_model) as c:
        wait_ready(c)
        yield c


def error_code(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]["code"]


def test_health_and_metrics(client):
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").json()["status"] == "ready"
    client.post("/v1/classify", json={"text": COMPLAINT})
    metrics = client.get("/metrics").text
    for name in (
        "quejas_requests_total",
        "quejas_request_latency_seconds",
        "quejas_inference_batch_size",
        "quejas_queue_wait_seconds",
    ):
        assert name in metrics


def test_classify_one_and_many(client, analyzer):
    one = client.post("/v1/classify", json={"text": COMPLAINT})
    assert one.status_code == 200
    result = one.json()["results"][0]
    expected = analyzer.analyze([COMPLAINT])[0]
    assert [c["id"] for c in result["causes"]] == expected.cause_ids
    assert result["sentiment"]["label"] == expected.sentiment.label
    assert result["entities"]["customer_name"] == "Lucía Ferrer"
    many = client.post("/v1/classify", json={"texts": [COMPLAINT, "Gracias por todo"]})
    assert many.status_code == 200 and len(many.json()["results"]) == 2


def test_reply_analyze_review(client):
    reply = client.post("/v1/reply", json={"text": COMPLAINT, "channel": "chat"})
    assert reply.status_code == 200, reply.text
    draft = reply.json()["draft"]
    assert draft["channel"] == "chat" and draft["body"]
    analyzed = client.post("/v1/analyze", json={"text": COMPLAINT, "tone": "tú"})
    assert analyzed.status_code == 200, analyzed.text
    assert {"analysis", "draft"} <= set(analyzed.json())
    review = client.post(
        "/v1/review",
        json={"draft": "Por medio de la presente le digo que lo veremos lo antes posible.", "customer_name": "Lucía"},
    )
    assert review.status_code == 200
    kinds = {f["kind"] for f in review.json()["findings"]}
    assert {"archaic_formula", "vague_promise", "name_not_used"} <= kinds


def test_reply_with_given_analysis_skips_the_model(client):
    analysis = client.post("/v1/classify", json={"text": COMPLAINT}).json()["results"][0]
    reply = client.post("/v1/reply", json={"text": COMPLAINT, "analysis": analysis})
    assert reply.status_code == 200


def test_reply_sector_and_done_actions(client):
    """A given analysis fixes the causes, so the draft is checked against what the sector preset says."""
    from pipeline.policy import PRESETS_DIR, fill, load_policy
    from pipeline.reply import analysis_from_causes

    text = "Me han cobrado dos veces 95 € en la cuenta. Un saludo, Lucía Ferrer"
    analysis = analysis_from_causes(["billing_error"]).model_dump(mode="json")
    body = {"text": text, "analysis": analysis, "sector": "banking"}
    bank = client.post("/v1/reply", json=body)
    assert bank.status_code == 200, bank.text
    draft = bank.json()["draft"]["body"]
    banking = load_policy(PRESETS_DIR / "banking.yaml")
    assert fill(banking.causes["billing_error"].steps[0], "usted", importe="95 €", item="su cuenta") in draft
    assert "Hemos anulado" not in draft and "pedido" not in draft
    done = client.post("/v1/analyze", json={**body, "done_actions": ["charge_cancelled"]})
    assert done.status_code == 200 and "Hemos anulado ese cargo." in done.json()["draft"]["body"]
    public = client.post("/v1/reply", json={**body, "channel": "public"})
    assert public.json()["draft"]["channel"] == "public" and "mensaje privado" in public.json()["draft"]["body"]
    assert error_code(client.post("/v1/reply", json={**body, "sector": "bank"})) == "unknown_sector"
    assert error_code(client.post("/v1/reply", json={**body, "done_actions": ["refunded"]})) == "unknown_done_action"


def test_a_review_channel_gives_the_contact_on_reply_and_analyze(client):
    """A review site has no private message: /v1/reply and /v1/analyze answer with the company's e-mail and phone."""
    from pipeline.reply import analysis_from_causes

    text = "Pedí una lavadora y llegó con el tambor roto. No vuelvo a comprar aquí."
    analysis = analysis_from_causes(["product_defect"]).model_dump(mode="json")
    for route, body in (
        ("/v1/reply", {"text": text, "analysis": analysis, "channel": "review"}),
        ("/v1/analyze", {"text": text, "channel": "review"}),
    ):
        response = client.post(route, json=body)
        assert response.status_code == 200, response.text
        draft = response.json()["draft"]
        assert draft["channel"] == "review", route
        assert "[CORREO:" in draft["body"] and "mensaje privado" not in draft["body"], route
    assert client.post("/v1/reply", json={"text": text, "channel": "resena"}).status_code == 422


def test_policy_lists_sectors_and_done_actions_and_review_uses_them(client):
    policy = client.get("/v1/policy").json()
    assert policy["sector"] == "ecommerce" and "banking" in policy["sectors"] and len(policy["sectors"]) >= 15
    assert {"refund_issued", "charge_cancelled", "visit_booked"} <= {a["id"] for a in policy["done_actions"]}
    draft = (
        "Hola, Lucía:\n\nSiento el cargo. Hemos anulado el cargo y le enviamos el pedido.\n\nRespóndame a este correo."
    )
    review = client.post("/v1/review", json={"draft": draft, "sector": "banking", "customer_name": "Lucía"}).json()
    kinds = {f["kind"] for f in review["findings"]}
    assert {"unconfirmed_action", "other_sector"} <= kinds
    confirmed = client.post(
        "/v1/review", json={"draft": draft, "sector": "banking", "done_actions": ["charge_cancelled"]}
    ).json()
    assert "unconfirmed_action" not in {f["kind"] for f in confirmed["findings"]}


def test_labels_and_model(client, tiny_model):
    labels = client.get("/v1/labels").json()
    assert len(labels["causes"]) == 14 and {"operational", "emotional"} <= {c["group"] for c in labels["causes"]}
    model = client.get("/v1/model").json()
    assert model["name"].endswith("test") and set(model["thresholds"]) == {c["id"] for c in labels["causes"]}


@pytest.mark.parametrize(
    "kwargs, status, code",
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "invalid_json"),
        (
            {"content": b'{"text": "\xff\xfe caf\xe9"}', "headers": {"content-type": "application/json"}},
            400,
            "invalid_utf8",
        ),
        ({"json": {"text": 42}}, 422, "invalid_request"),
        ({"json": {"texts": "no es lista"}}, 422, "invalid_request"),
        ({"json": {"text": "   "}}, 422, "empty_text"),
        ({"json": {"texts": []}}, 422, "empty_text"),
        ({"json": {"text": "x" * 2001}}, 413, "text_too_long"),
        ({"json": {"texts": ["queja"] * 9}}, 413, "too_many_items"),
        ({"json": {"text": "hola", "urgente": True}}, 422, "unknown_field"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"text": "a", "texts": ["b"]}}, 422, "invalid_request"),
    ],
)
def test_bad_input_gets_a_clear_json_error(client, kwargs, status, code):
    response = client.post("/v1/classify", **kwargs)
    assert response.status_code == status, response.text
    assert error_code(response) == code


def test_bad_input_on_other_routes(client):
    assert client.post("/v1/reply", json={"text": "hola", "channel": "fax"}).status_code == 422
    assert error_code(client.post("/v1/review", json={"draft": "  "})) == "empty_text"
    assert client.post("/v1/review", json={"draft": "x" * 2001}).status_code == 413
    assert error_code(client.get("/v1/nada")) == "not_found"


def test_api_keys(tiny_model, analyzer):
    with make_client(tiny_model, analyzer, api_keys=f"{KEY},{'z' * 20}") as c:
        wait_ready(c)
        assert c.post("/v1/classify", json={"text": COMPLAINT}).status_code == 401
        assert (
            error_code(c.post("/v1/classify", json={"text": COMPLAINT}, headers={"X-API-Key": "wrong"}))
            == "unauthorized"
        )
        assert c.post("/v1/classify", json={"text": COMPLAINT}, headers={"X-API-Key": KEY}).status_code == 200
        assert c.get("/v1/labels", headers={"X-API-Key": "z" * 20}).status_code == 200
        assert c.get("/health/ready").status_code == 200  # health stays open for orchestrators


def test_short_api_keys_are_refused():
    with pytest.raises(ValueError, match="16 characters"):
        Settings(api_keys="short")


def test_not_ready_without_a_model(tmp_path):
    with make_client(tmp_path / "missing") as c:
        deadline = time.time() + 10
        while c.get("/health/ready").json()["error"]["code"] == "loading" and time.time() < deadline:
            time.sleep(0.05)
        ready = c.get("/health/ready")
        assert ready.status_code == 503 and error_code(ready) == "model_failed"
        response = c.post("/v1/classify", json={"text": COMPLAINT})
        assert response.status_code == 503 and error_code(response) == "not_ready"
        assert c.get("/health/live").status_code == 200


def test_concurrent_requests_equal_sequential_results(tiny_model, analyzer):
    texts = [f"{COMPLAINT} Pedido número {i}." if i % 3 else f"Gracias por la ayuda del día {i}" for i in range(50)]
    sequential = [analyzer.analyze([t])[0].model_dump() for t in texts]
    app = create_app(
        Settings(model_path=tiny_model, device="cpu", max_wait_ms=20, max_batch_size=16, max_queue=64),
        analyzer=analyzer,
    )

    async def scenario():
        async with app.router.lifespan_context(app):
            state = app.state.quejas
            while not state.ready:
                await asyncio.sleep(0.01)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                responses = await asyncio.gather(*(client.post("/v1/classify", json={"text": t}) for t in texts))
            return responses, state.metrics

    responses, metrics = asyncio.run(scenario())
    assert all(r.status_code == 200 for r in responses)
    concurrent = [r.json()["results"][0] for r in responses]
    for got, want in zip(concurrent, sequential):
        assert [c["id"] for c in got["causes"]] == [c["id"] for c in want["causes"]]
        assert got["sentiment"]["label"] == want["sentiment"]["label"]
        assert got["sentiment"]["score"] == pytest.approx(want["sentiment"]["score"], abs=1e-5)
        assert got["risk"]["scores"] == pytest.approx(want["risk"]["scores"], abs=1e-5)
    sizes = [s for s in metrics.registry.collect() if s.name == "quejas_inference_batch_size"][0]
    count = next(x.value for x in sizes.samples if x.name.endswith("_count"))
    assert count < 50  # requests were grouped into shared forward passes


def test_failure_in_one_request_does_not_fail_the_others(tiny_model, analyzer):
    app = create_app(Settings(model_path=tiny_model, device="cpu", max_wait_ms=50), analyzer=analyzer)
    poison = "texto que hace fallar la inferencia"

    async def scenario():
        async with app.router.lifespan_context(app):
            state = app.state.quejas
            while not state.ready:
                await asyncio.sleep(0.01)
            real = state.analyze

            def flaky(texts):
                if poison in texts:
                    raise RuntimeError("boom")
                return real(texts)

            state.batcher._infer = flaky
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await asyncio.gather(
                    *(client.post("/v1/classify", json={"text": t}) for t in [COMPLAINT, poison, "gracias"])
                )

    ok1, bad, ok2 = asyncio.run(scenario())
    assert ok1.status_code == 200 and ok2.status_code == 200
    assert bad.status_code == 500 and error_code(bad) == "inference_failed"


def test_openapi_has_spanish_examples(client):
    schema = client.get("/openapi.json").json()
    assert "/v1/classify" in schema["paths"]
    assert "Lucía" in json.dumps(schema, ensure_ascii=False)
