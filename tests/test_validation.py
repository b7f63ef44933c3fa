"""The corpus validator must reject each kind of bad record, and the real corpus must pass it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.corpus import CorpusRecord, read_corpus
from pipeline.validation import check_record, distinct_trigram_ratio, find_near_duplicates, validate

REPO = Path(__file__).resolve().parents[1]

GOOD = {
    "id": "tst-0001",
    "text": "Hola, soy Marta Gómez. El pedido PED-4821 tenía que llegar el lunes y seguimos sin noticias; "
    "me prometieron una llamada y nada. Si no llega esta semana, cancelo la suscripción.",
    "causes": ["delay", "broken_promise"],
    "group": "mixed",
    "sentiment": "negative",
    "sentiment_score": -0.7,
    "risk": {"churn": True, "legal": False, "public": False},
    "customer_name": "Marta Gómez",
    "references": ["PED-4821"],
    "sector": "ecommerce",
    "variety": "es-ES",
    "channel": "email",
    "contrast": "promise_vs_delay:broken_promise",
}


def record(**changes) -> CorpusRecord:
    return CorpusRecord.model_validate({**GOOD, **changes})


def rules(rec: CorpusRecord) -> set[str]:
    return {v.rule for v in check_record(rec)}


def test_good_record_passes():
    assert check_record(record()) == []


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"causes": ["delay", "rudeness"]}, "cause_id"),
        ({"causes": ["delay", "delay"], "group": "operational"}, "cause_id"),
        (
            {"causes": ["delay", "billing_error", "order_error", "product_defect"], "group": "operational"},
            "cause_count",
        ),
        ({"group": "operational"}, "group"),
        ({"causes": [], "group": "mixed", "contrast": None}, "group"),
        ({"sentiment_score": 0.5}, "sentiment_score"),
        ({"sentiment": "positive", "sentiment_score": -0.5}, "sentiment_score"),
        ({"sentiment": "neutral", "sentiment_score": -0.9}, "sentiment_score"),
        ({"text": "malo"}, "length"),
        ({"text": "muy " * 260}, "length"),
        ({"customer_name": "Marta García"}, "customer_name"),
        ({"customer_name": " "}, "customer_name"),
        ({"references": ["PED-9999"]}, "references"),
        ({"sector": "space_travel"}, "sector"),
        ({"contrast": "promise_vs_delay:delay"}, "contrast"),
        ({"contrast": "made_up_rule:x"}, "contrast"),
    ],
)
def test_each_kind_of_bad_record_is_rejected(changes, rule):
    assert rule in rules(record(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"sentiment": "angry"},
        {"variety": "es-XX"},
        {"channel": "fax"},
        {"risk": {"churn": True}},
        {"sentiment_score": 1.5},
        {"id": "bad id"},
        {"unexpected": 1},
        {"causes": "delay"},
    ],
)
def test_schema_violations_are_reported_not_raised(tmp_path, changes):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**GOOD, **changes}) + "\n" + "{not json\n", encoding="utf-8")
    records, problems = read_corpus([path])
    assert records == []
    assert [p.line for p in problems] == [1, 2]
    assert "schema" in problems[0].message and "invalid JSON" in problems[1].message


def test_duplicates_and_near_duplicates_are_found():
    a = record()
    b = record(id="tst-0002")
    c = record(id="tst-0003", text=GOOD["text"].replace("lunes", "martes"))
    d = record(
        id="tst-0004",
        text="Otra cosa completamente distinta: la lavadora hace un ruido horrible desde ayer, Marta Gómez, PED-4821",
        contrast=None,
        causes=["product_defect"],
        group="operational",
    )
    pairs = {(x, y) for x, y, _ in find_near_duplicates([a, b, c, d])}
    assert {("tst-0001", "tst-0002"), ("tst-0001", "tst-0003"), ("tst-0002", "tst-0003")} <= pairs
    assert not any("tst-0004" in pair for pair in pairs)
    report = validate([a, b, d], [], quotas=False)
    found = {v.rule for v in report.violations}
    assert {"exact_duplicate", "near_duplicates"} <= found
    report = validate(
        [a, record(id="tst-0001", text="Un texto distinto para el mismo id, con varias palabras.", contrast=None)],
        [],
        quotas=False,
    )
    assert "duplicate_id" in {v.rule for v in report.violations}


def test_repetitive_corpus_fails_diversity():
    same = [record(id=f"tst-{i:04d}", text="el pedido no llega y nadie contesta nunca " * 3) for i in range(5)]
    assert distinct_trigram_ratio(same) < 0.3


def test_quotas_fail_on_a_small_corpus():
    report = validate([record()], [], quotas=True)
    assert not report.ok
    failing = {name for name, _, _, ok in report.quota_results if not ok}
    assert {"records", "non_complaints", "cause no_solution", "contrast churn:no_churn"} <= failing


def test_real_corpus_passes_validation_script():
    result = subprocess.run([sys.executable, str(REPO / "data" / "validate.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "OK" in result.stdout


def test_validation_script_exits_non_zero_on_bad_file(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**GOOD, "group": "emotional"}) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(REPO / "data" / "validate.py"), "--records-only", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "group" in result.stdout
