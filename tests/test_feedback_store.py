"""The corrections store on SQLite and on a real PostgreSQL server: writes, masking, migrations, stats, export."""

from __future__ import annotations

import json
import multiprocessing
import re
import sqlite3

import pytest
from sqlalchemy import inspect, text

from pipeline.corpus import CorpusRecord
from pipeline.feedback.export import corpus_record, write_jsonl
from pipeline.feedback.models import Correction, PredictedCause, Prediction, label_problems
from pipeline.feedback.privacy import mask_private
from pipeline.feedback.stats import feedback_stats
from pipeline.feedback.store import FeedbackStore, FeedbackStoreError
from pipeline.schema import ModelInfo
from pipeline.taxonomy import TAXONOMY

PRIVATE = (
    "Soy Ana, escribidme a ana.lopez@gmail.com o al 612 345 678. Me cobraron dos veces en la tarjeta "
    "4111 1111 1111 1111 y el reembolso debe ir al IBAN ES91 2100 0418 4502 0005 1332. Pedido PED-48213."
)
SECRETS = ["ana.lopez@gmail.com", "612 345 678", "4111 1111 1111 1111", "ES91 2100 0418 4502 0005 1332"]


def correction(causes, predicted, version="0.1.0", text_="El pedido llegó tarde y nadie contesta.", **extra):
    prediction = Prediction(
        model=ModelInfo(name=f"quejas-es-{version}", version=version),
        causes=[PredictedCause(id=c, score=0.8) for c in predicted],
        sentiment="negative",
        sentiment_score=-0.6,
        risks=[],
    )
    return Correction(text=text_, prediction=prediction, causes=causes, sentiment="negative", **extra)


def test_round_trip_and_masking(feedback_url):
    store = FeedbackStore(feedback_url)
    stored = store.add(correction(["billing_error"], ["delay"], text_=PRIVATE, final_reply=PRIVATE, agent_id="m.g"))
    (read,) = store.corrections()
    assert read.id == stored.id and read.masked
    assert read.causes == ["billing_error"] and read.prediction.causes[0].id == "delay"
    assert read.agent_id == "m.g" and read.created_at.tzinfo is not None
    for secret in SECRETS:
        assert secret not in read.text and secret not in read.final_reply
    assert "PED-48213" in read.text and "1332" in read.text  # references and the last four digits stay
    store.close()


def test_masking_can_be_turned_off(feedback_url):
    store = FeedbackStore(feedback_url, mask=False)
    store.add(correction([], [], text_=PRIVATE))
    assert store.corrections()[0].text == PRIVATE


def test_only_valid_payment_numbers_are_masked():
    # A 16-digit order number fails the Luhn check and an IBAN with a wrong check digit is no IBAN.
    assert "1234 5678 9012 3456" in mask_private("Pedido 1234 5678 9012 3456 sin entregar")
    assert "ES00 2100 0418 4502 0005 1332" in mask_private("Cuenta ES00 2100 0418 4502 0005 1332")
    assert "5500-0000-0000-0004" not in mask_private("Tarjeta 5500-0000-0000-0004 bloqueada")


def test_schema_is_migrated_once_and_reopening_is_harmless(feedback_url):
    FeedbackStore(feedback_url).add(correction(["delay"], ["delay"]))
    again = FeedbackStore(feedback_url)
    assert again.count() == 1
    with again.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
        tables = set(inspect(conn).get_table_names())
    assert {"corrections", "correction_embeddings", "alembic_version"} <= tables


def _write_many(url: str, n: int) -> None:
    store = FeedbackStore(url, mask=False)
    for _ in range(n):
        store.add(correction(["delay"], ["delay"]))


def test_several_processes_write_at_once(feedback_url):
    """Workers of one service open (and migrate) the same store together and all their writes land."""
    context = multiprocessing.get_context("fork")  # the children touch only the database
    workers = [context.Process(target=_write_many, args=(feedback_url, 15)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert FeedbackStore(feedback_url).count() == 60


def test_sqlite_store_runs_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "feedback.db"
    FeedbackStore(f"sqlite:///{path}").add(correction(["delay"], ["delay"]))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unreachable_or_bad_store_is_a_clear_error(tmp_path):
    with pytest.raises(FeedbackStoreError, match="not a database URL"):
        FeedbackStore("no es una url").count()
    with pytest.raises(FeedbackStoreError, match="cannot be opened") as info:
        FeedbackStore(f"postgresql://quejas:secreto@/x?host={tmp_path}&port=1").count()
    assert "secreto" not in str(info.value)


def test_unknown_labels_are_listed_with_the_valid_ones():
    problems = label_problems(correction(["delay", "late_pizza"], ["made_up"], risks=["churn", "fire"]))
    locs = [p["loc"] for p in problems]
    assert ["body", "causes", 1] in locs and ["body", "prediction", "causes", 0] in locs
    assert ["body", "risks", 1] in locs
    assert all(TAXONOMY.cause_ids[0] in p["msg"] for p in problems if p["type"] == "unknown_cause")
    assert not label_problems(correction(["delay"], ["delay"], risks=["churn"]))


def test_stats_per_cause_and_per_model_version(feedback_url):
    store = FeedbackStore(feedback_url)
    store.add(correction(["delay", "bad_attitude"], ["delay"], version="0.1.0"))  # bad_attitude added
    store.add(correction(["delay"], ["delay", "billing_error"], version="0.1.0"))  # billing_error removed
    store.add(correction(["billing_error"], ["billing_error"], version="0.2.0"))
    stats = feedback_stats(store.corrections())
    assert stats.n_corrections == 3
    assert stats.per_cause["bad_attitude"].added == 1 and stats.per_cause["bad_attitude"].corrected == 1
    assert stats.per_cause["billing_error"].removed == 1 and stats.per_cause["billing_error"].corrected == 1
    assert stats.per_cause["delay"].corrected == 2 and stats.per_cause["delay"].added == 0
    overall = stats.overall
    # billing_error: predicted twice, right once (precision 1/2), agreed once and found (recall 1).
    assert overall.per_cause["billing_error"].precision == pytest.approx(0.5)
    assert overall.per_cause["billing_error"].recall == pytest.approx(1.0)
    assert overall.per_cause["bad_attitude"].recall == 0.0
    # 4 predicted, 4 agreed, 3 in both: micro precision = recall = F1 = 3/4.
    assert overall.cause_micro_f1 == pytest.approx(0.75)
    assert overall.exact_match == pytest.approx(1 / 3)
    assert set(stats.by_model_version) == {"0.1.0", "0.2.0"}
    assert stats.by_model_version["0.2.0"].cause_micro_f1 == 1.0
    assert stats.by_model_version["0.1.0"].n_corrections == 2


def test_export_writes_corpus_records(feedback_url, tmp_path):
    store = FeedbackStore(feedback_url)
    store.add(correction(["delay", "bad_attitude"], ["delay"], risks=["churn"]))
    out = tmp_path / "corrections.jsonl"
    assert write_jsonl(store.corrections(), out) == 1
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert record["group"] == "mixed" and record["risk"] == {"churn": True, "legal": False, "public": False}
    assert record["sentiment_score"] == -0.6  # the agent kept the model's sentiment label
    fields = set(CorpusRecord.model_fields)
    assert set(record) <= fields
    assert re.fullmatch(r"[a-z]{3}-\d{4}", record["id"])  # the corpus id pattern
    assert corpus_record(store.corrections()[0]) == record
