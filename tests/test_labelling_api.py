"""`POST /v1/label-rows`: the result columns of `quejas label`, row by row, within the service's limits."""

from __future__ import annotations

import asyncio
import math
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from stalled_model import stalled_model, until_queued
from typer.testing import CliRunner

from pipeline.batch import added_columns
from pipeline.cli import app as cli
from pipeline.taxonomy import TAXONOMY
from serve.app import create_app
from serve.settings import Settings

TEXTS = [
    "El pedido PED-1 no llega; nadie contesta el teléfono.",
    "",
    "Me cobraron dos veces la factura F2024/00871 y pediré la hoja de reclamaciones.",
    "12345",
    "¡Gracias por la ayuda, Raúl!",
    "   ",
    '=HYPERLINK("http://x") el técnico no vino',
]
KEY = "k" * 24


def make_client(tiny_model, analyzer, **settings) -> TestClient:
    base = {"model_path": tiny_model, "device": "cpu", "max_text_chars": 200, "max_items": 16, "max_wait_ms": 5}
    return TestClient(create_app(Settings(**{**base, **settings}), analyzer=analyzer))


def ready(client: TestClient) -> TestClient:
    deadline = time.time() + 60
    while client.get("/health/ready").status_code != 200:
        assert time.time() < deadline, client.get("/health/ready").json()
        time.sleep(0.05)
    return client


@pytest.fixture(scope="module")
def client(tiny_model, analyzer):
    with make_client(tiny_model, analyzer) as c:
        yield ready(c)


def label(client, texts) -> tuple[list[str], list[dict]]:
    response = client.post("/v1/label-rows", json={"texts": texts})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["columns"], [dict(zip(body["columns"], row)) for row in body["rows"]]


def test_rows_have_the_label_command_columns_and_its_error_kinds(client):
    columns, rows = label(client, [*TEXTS, None, "queja " * 50])
    assert columns == added_columns() == client.get("/v1/labels").json()["labelled_columns"]
    errors = [row["error"] for row in rows]
    assert errors == [None, "empty", None, "not_text", None, "empty", None, "missing", "too_long"]
    for row in rows:
        if row["error"] is not None:
            assert all(row[c] is None for c in columns if c != "error")
            continue
        assert row["group"] in TAXONOMY.groups and row["sentiment"] in TAXONOMY.sentiments
        assert row["priority"] in {"P1", "P2", "P3", "P4"} and -1 <= row["sentiment_score"] <= 1
        assert all(isinstance(row[f"risk_{r}"], bool) for r in TAXONOMY.risk_ids)
        assert all(0 <= row[f"score_{c}"] <= 1 for c in TAXONOMY.cause_ids)
        assert set(filter(None, row["causes"].split(";"))) <= set(TAXONOMY.cause_ids)
    assert rows[2]["risk_legal"] is True  # "hoja de reclamaciones" is a legal cue phrase
    assert label(client, []) == (added_columns(), [])


def python_cell(value) -> str:
    """How Python's csv writer prints a value (what `quejas label` writes)."""
    return "" if value is None else str(value)


def test_values_are_those_quejas_label_writes_for_the_same_texts(client, tiny_model, tmp_path):
    source = tmp_path / "quejas.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "texto": TEXTS}).to_csv(source, index=False)
    output = tmp_path / "quejas.labeled.csv"
    result = CliRunner().invoke(
        cli,
        ["label", str(source), "-o", str(output), "--model", str(tiny_model), "--device", "cpu", "--max-chars", "200"],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert list(written.columns) == ["id", "texto", *added_columns()]
    _, rows = label(client, TEXTS)
    floats = {"sentiment_score", *(f"score_{c}" for c in TAXONOMY.cause_ids)}
    for row, (_, line) in zip(rows, written.iterrows()):
        for column in added_columns():
            if column in floats and row[column] is not None:
                assert math.isclose(float(line[column]), row[column], abs_tol=1e-5), column
            else:
                assert line[column] == python_cell(row[column]), column


def test_limits_and_keys(tiny_model, analyzer):
    with make_client(tiny_model, analyzer, api_keys=KEY, max_body_bytes=4096, max_items=8) as c:
        ready(c)
        assert c.post("/v1/label-rows", json={"texts": ["hola"]}).status_code == 401
        headers = {"X-API-Key": KEY}
        many = c.post("/v1/label-rows", json={"texts": ["El pedido no llega."] * 9}, headers=headers)
        assert many.status_code == 413 and many.json()["error"]["code"] == "too_many_items"
        big = c.post("/v1/label-rows", json={"texts": ["x" * 5000]}, headers=headers)
        assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
        unknown = c.post("/v1/label-rows", json={"texts": ["hola"], "extra": 1}, headers=headers)
        assert unknown.status_code == 422
        assert c.post("/v1/label-rows", json={"texts": ["hola"]}, headers=headers).status_code == 200


def test_not_ready_is_503(tiny_model, tmp_path):
    with make_client(tiny_model, None, model_path=tmp_path / "no-model", warmup=False) as c:
        response = c.post("/v1/label-rows", json={"texts": ["El pedido no llega."]})
        assert response.status_code == 503 and response.json()["error"]["code"] == "not_ready"


def test_a_full_queue_answers_503_with_retry_after_and_the_event_loop_stays_free(tiny_model, analyzer):
    """Texts waiting for the model (here in the micro-batcher) count against QUEJAS_MAX_QUEUE."""
    app = create_app(Settings(model_path=tiny_model, device="cpu", max_wait_ms=5, max_queue=2), analyzer=analyzer)

    async def scenario():
        async with stalled_model(app) as (state, c, gate):
            busy = asyncio.create_task(c.post("/v1/classify", json={"texts": ["El pedido no llega.", "Gracias"]}))
            await until_queued(state, 2)
            shed = await c.post("/v1/label-rows", json={"texts": ["El pedido no llega."]})
            gate.set()
            await busy
            labelling = asyncio.create_task(c.post("/v1/label-rows", json={"texts": TEXTS}))
            live = await c.get("/health/live")  # answered while the labelling works in a thread
            return shed, live, await labelling

    shed, live, labelled = asyncio.run(scenario())
    assert shed.status_code == 503 and shed.json()["error"]["code"] == "overloaded"
    assert int(shed.headers["retry-after"]) >= 1
    assert live.status_code == 200 and labelled.status_code == 200
