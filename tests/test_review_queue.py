"""The review queue: analysed complaints kept (masked, bounded), the least sure listed until corrected.

Store-level tests run on SQLite and a real PostgreSQL server, migration 0001 -> 0002 included; the API and
CLI tests go through the tiny model and the service's background recorder.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text
from test_feedback_api import make_client
from test_feedback_store import PRIVATE, SECRETS, correction
from test_serve import wait_ready
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.feedback.models import PredictedCause, SeenComplaint
from pipeline.feedback.seen import SeenRecorder
from pipeline.feedback.store import MIGRATIONS_DIR, FeedbackStore, make_engine
from pipeline.schema import ModelInfo

MODEL = ModelInfo(name="quejas-es-0.1.0", version="0.1.0")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def seen(text_: str, uncertainty: float, minutes: int = 0, causes=("delay",)) -> SeenComplaint:
    return SeenComplaint(
        text=text_,
        model=MODEL,
        causes=[PredictedCause(id=c, score=0.6) for c in causes],
        uncertainty=uncertainty,
        seen_at=T0 + dt.timedelta(minutes=minutes),
    )


def texts(items) -> list[str]:
    return [item.text for item in items]


def test_least_sure_first_masked_and_one_row_per_text(feedback_url):
    store = FeedbackStore(feedback_url)
    store.record_seen([seen("Nadie contesta al teléfono.", 0.3), seen("El pedido llegó roto.", 0.8)], keep=100)
    store.record_seen([seen(PRIVATE, 0.5, minutes=1), seen("Nadie  contesta al teléfono.\n", 0.9, minutes=2)], keep=100)
    queue = store.review_queue(10)
    # Seen again (whitespace aside): refreshed in place, not listed twice.
    assert store.seen_count() == 3
    assert [round(item.uncertainty, 2) for item in queue] == [0.9, 0.8, 0.5]
    assert queue[0].seen_at == T0 + dt.timedelta(minutes=2) and queue[0].model == MODEL
    private = queue[2]
    assert private.masked and "PED-48213" in private.text
    assert not any(secret in private.text for secret in SECRETS)
    assert texts(store.review_queue(1)) == [queue[0].text]


def test_a_correction_of_the_same_text_takes_it_off_the_list(feedback_url):
    store = FeedbackStore(feedback_url)
    store.record_seen([seen(PRIVATE, 0.9), seen("El pedido llegó roto.", 0.4)], keep=100)
    # The agent's correction carries the original text, contact data and all: masked alike, it matches.
    store.add(correction(["billing_error"], ["delay"], text_=PRIVATE))
    assert texts(store.review_queue(10)) == ["El pedido llegó roto."]
    store.add(correction(["product_defect"], ["delay"], text_="El pedido llegó roto."))
    assert store.review_queue(10) == []


def test_the_store_keeps_at_most_n_dropping_the_oldest_seen(feedback_url):
    store = FeedbackStore(feedback_url)
    for minute in range(5):
        store.record_seen([seen(f"Queja número {minute}: el pedido no llega.", 0.1 * minute, minute)], keep=3)
    store.record_seen([seen("Queja número 0: el pedido no llega.", 0.05, minutes=9)], keep=3)  # seen again: newest
    assert store.seen_count() == 3
    assert sorted(texts(store.review_queue(10))) == [f"Queja número {m}: el pedido no llega." for m in (0, 3, 4)]


def test_upgrade_from_revision_0001_keeps_corrections_and_matches_them(feedback_url):
    """A store created before the queue existed: migrated on open, its corrections hashed like new ones."""
    engine = make_engine(feedback_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO corrections (created_at, updated_at, text, masked, model_name, model_version, "
                "predicted_causes, causes, sentiment, risks) VALUES (:now, :now, :text, :masked, 'm', '0.1.0', "
                "'[]', '[\"delay\"]', 'negative', '[]')"
            ),
            {"now": T0, "text": "Corregida antes de la versión 0002.", "masked": True},
        )
    engine.dispose()
    store = FeedbackStore(feedback_url)
    store.record_seen([seen("Corregida antes de la versión 0002.", 0.9), seen("Sin corregir.", 0.2)], keep=10)
    assert texts(store.review_queue(10)) == ["Sin corregir."]
    assert store.count() == 1 and store.corrections()[0].causes == ["delay"]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"


class SlowStore:
    """Stands in for a store that is far slower than the traffic: each write waits until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.written: list[str] = []

    def record_seen(self, items, keep: int) -> None:
        self.release.wait(10)
        self.written += [item.text for item in items]


def analysis(uncertainty: float | None):
    from pipeline.schema import Analysis, Risk, RiskScores, Sentiment

    return Analysis(
        causes=[],
        group="none",
        sentiment=Sentiment(label="negative", score=-0.5),
        risk=Risk(churn=False, legal=False, public=False, scores=RiskScores(churn=0, legal=0, public=0)),
        uncertainty=uncertainty,
        model=MODEL,
    )


def test_recording_never_waits_for_the_store_and_drops_what_does_not_fit():
    store = SlowStore()
    recorder = SeenRecorder(store, keep=10, max_pending=2)  # type: ignore[arg-type]
    recorder.submit(["primera"], [analysis(0.5)])
    # The writer holds "primera" while the store is slow; two more fit in the queue, the rest is dropped.
    deadline = time.monotonic() + 5
    while recorder._queue.qsize() and time.monotonic() < deadline:
        time.sleep(0.01)
    recorder.submit(["a", "b", "c", "d"], [analysis(0.5)] * 4)
    assert recorder.dropped == 2
    recorder.submit(["sin incertidumbre"], [analysis(None)])  # not the model's own analysis: not recorded
    store.release.set()
    recorder.flush()
    assert store.written == ["primera", "a", "b"]
    recorder.close()


def test_a_store_failure_is_logged_not_raised(tmp_path, caplog):
    broken = FeedbackStore(f"postgresql://quejas:secreto@/x?host={tmp_path}&port=1")
    recorder = SeenRecorder(broken, keep=10)
    with caplog.at_level(logging.WARNING, logger="quejas.feedback"):
        recorder.submit(["El pedido no llega."], [analysis(0.5)])
        recorder.flush()
    assert "not recorded" in caplog.text and "secreto" not in caplog.text
    recorder.close()


# --- the service ---------------------------------------------------------------------------------------

COMPLAINTS = [
    "El pedido PED-48213 tenía que llegar el lunes y sigue sin aparecer; nadie contesta al teléfono.",
    "Me cobraron dos veces la misma factura y en la tienda me trataron con muy malos modos.",
    "Muchas gracias por la atención tan amable de ayer, todo perfecto.",
]


def test_an_analysis_carries_the_uncertainty_quejas_label_reports(analyzer):
    from pipeline.batch.labelling import label_texts
    from pipeline.confidence import uncertainty

    analyses = analyzer.analyze(COMPLAINTS, entities=False)
    expected = uncertainty(analyzer.probabilities(COMPLAINTS).causes, analyzer.cause_cut)
    assert [a.uncertainty for a in analyses] == pytest.approx(expected.tolist(), abs=1e-4)
    assert [a.uncertainty for a in analyses] == [r["uncertainty"] for r in label_texts(analyzer, COMPLAINTS)]


def queue_of(client: TestClient, limit: int = 20) -> list[dict]:
    client.app.state.feedback.recorder.flush()  # type: ignore[attr-defined]
    response = client.get("/v1/feedback/review-queue", params={"limit": limit})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_served_analyses_are_listed_least_sure_first_until_corrected(tiny_model, analyzer, feedback_url):
    with make_client(tiny_model, analyzer, feedback_url) as client:
        wait_ready(client)
        results = client.post("/v1/classify", json={"texts": COMPLAINTS}).json()["results"]
        drafted = client.post("/v1/analyze", json={"text": PRIVATE}).json()["analysis"]
        items = queue_of(client)
        uncertainty = {t: r["uncertainty"] for t, r in zip(COMPLAINTS, results)}
        assert len(items) == 4 and set(COMPLAINTS) < {i["text"] for i in items}
        assert [i["uncertainty"] for i in items] == sorted(
            [*uncertainty.values(), drafted["uncertainty"]], reverse=True
        )
        first = next(i for i in items if i["text"] == COMPLAINTS[0])
        assert first["causes"] == [{"id": c["id"], "score": c["score"]} for c in results[0]["causes"]]
        assert first["model"]["version"] == results[0]["model"]["version"]
        assert not any(secret in i["text"] for i in items for secret in SECRETS)
        assert len(queue_of(client, limit=2)) == 2

        body = {
            "text": COMPLAINTS[0],
            "prediction": {"model": results[0]["model"], "causes": first["causes"]},
            "causes": ["delay"],
            "sentiment": "negative",
        }
        assert client.post("/v1/feedback", json=body).status_code == 201
        assert COMPLAINTS[0] not in {i["text"] for i in queue_of(client)}
        # An analysis the client sends back is not the model's: /v1/analyze does not record it.
        client.post("/v1/analyze", json={"text": "Otra queja más sobre el envío.", "analysis": drafted})
        assert "Otra queja más sobre el envío." not in {i["text"] for i in queue_of(client)}
        # A draft the model analysed for is queued like a classification; one from a sent analysis is not.
        client.post("/v1/reply", json={"text": "Nadie me contesta al teléfono desde el lunes."})
        client.post("/v1/reply", json={"text": "Sigo sin la factura corregida.", "analysis": drafted})
        queued = {i["text"] for i in queue_of(client)}
        assert "Nadie me contesta al teléfono desde el lunes." in queued
        assert "Sigo sin la factura corregida." not in queued


def test_rows_labelled_on_the_page_are_listed_too(tiny_model, analyzer, tmp_path):
    with make_client(tiny_model, analyzer, f"sqlite:///{tmp_path / 'feedback.db'}") as client:
        wait_ready(client)
        response = client.post("/v1/label-rows", json={"texts": [COMPLAINTS[1], "12345", None]})
        assert response.status_code == 200, response.text
        columns, (row, *_) = response.json()["columns"], response.json()["rows"]
        (item,) = queue_of(client)  # the rows that could not be analysed are not kept
        assert item["text"] == COMPLAINTS[1] and item["uncertainty"] == row[columns.index("uncertainty")]
        assert [c["id"] for c in item["causes"]] == [c for c in row[columns.index("causes")].split(";") if c]


def test_recording_can_be_turned_off(tiny_model, analyzer, tmp_path):
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    with make_client(tiny_model, analyzer, url, feedback_review_queue=False) as client:
        wait_ready(client)
        assert client.post("/v1/classify", json={"texts": COMPLAINTS}).status_code == 200
        assert client.app.state.feedback.recorder is None  # type: ignore[attr-defined]
        response = client.get("/v1/feedback/review-queue")
        assert response.status_code == 200 and response.json()["items"] == []


def test_a_store_that_is_down_does_not_fail_analyses(tiny_model, analyzer, tmp_path):
    url = f"postgresql://quejas:secreto@/x?host={tmp_path}&port=1"
    with make_client(tiny_model, analyzer, url, feedback_memory=False) as client:
        wait_ready(client)
        assert client.post("/v1/classify", json={"texts": COMPLAINTS}).status_code == 200
        client.app.state.feedback.recorder.flush()  # type: ignore[attr-defined]
        response = client.get("/v1/feedback/review-queue")
        assert response.status_code == 503 and response.json()["error"]["code"] == "feedback_unavailable"


def test_review_queue_limit_is_checked(tiny_model, analyzer, tmp_path):
    with make_client(tiny_model, analyzer, f"sqlite:///{tmp_path / 'f.db'}") as client:
        assert client.get("/v1/feedback/review-queue", params={"limit": 0}).status_code == 422
        assert client.get("/v1/feedback/review-queue", params={"limit": 501}).status_code == 422


def test_cli_lists_the_queue(tmp_path):
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    runner = CliRunner()
    missing = runner.invoke(cli, ["feedback", "queue", "--url", url])
    assert missing.exit_code == 1 and "no corrections store" in missing.output
    store = FeedbackStore(url)
    store.record_seen([seen("Nadie contesta al teléfono.", 0.3), seen("El pedido llegó roto.", 0.8)], keep=10)
    result = runner.invoke(cli, ["feedback", "queue", "--url", url, "-n", "1"])
    assert result.exit_code == 0, result.output
    assert "El pedido llegó roto." in result.output and "0.80" in result.output
    assert "Nadie contesta" not in result.output
    as_json = runner.invoke(cli, ["feedback", "queue", "--url", url, "--json"])
    assert as_json.exit_code == 0 and as_json.output.index("El pedido llegó roto") < as_json.output.index("Nadie")
    store.add(correction(["delay"], ["delay"], text_="El pedido llegó roto."))
    store.add(correction(["unanswered_contact"], ["delay"], text_="Nadie contesta al teléfono."))
    empty = runner.invoke(cli, ["feedback", "queue", "--url", url])
    assert empty.exit_code == 0 and "Nothing to review" in empty.output
