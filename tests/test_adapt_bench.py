"""bench/adapt.py's real-text company: which records are corrections, which are scored, and how."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import typer

from pipeline.corpus import RealRecord
from pipeline.data import cause_vector
from pipeline.metrics import evaluation_metrics
from pipeline.taxonomy import CAUSE_IDS

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def adapt():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("adapt", BENCH / "adapt.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def real(record_id: str, causes: list[str]) -> RealRecord:
    return RealRecord.model_validate(
        {
            "id": record_id,
            "text": f"Texto de la reseña {record_id}.",
            "causes": causes,
            "group": "operational" if causes else "none",
            "sentiment": "negative" if causes else "positive",
            "sentiment_score": -0.5 if causes else 0.5,
            "risk": {"churn": False, "legal": False, "public": True},
            "customer_name": None,
            "references": [],
            "sector": "restaurants",
            "variety": "es-ES",
            "channel": "review",
            "source": record_id.rsplit("-", 1)[0],
            "genre": "review",
        }
    )


def ids(records) -> list[str]:
    return [r.id for r in records]


# Two sources, each with records in all three splits; the company is `caf`.
CAF = [f"caf-{i:05d}" for i in range(1, 21)]
OTR = [f"otr-{i:05d}" for i in range(1, 9)]
SPLITS = {
    "train": CAF[:12] + OTR[:4],
    "dev": [CAF[14], OTR[4], CAF[12], CAF[13], OTR[5]],
    "test": CAF[15:] + OTR[6:],
}
RECORDS = [real(i, ["delay"] if n % 3 else []) for n, i in enumerate(CAF + OTR)]


def test_pool_comes_from_train_and_scores_from_dev_and_test_of_that_source_only(adapt):
    pool, dev, test = adapt.real_company(RECORDS, SPLITS, "caf")
    assert sorted(ids(pool)) == CAF[:12]
    assert ids(dev) == [CAF[14], CAF[12], CAF[13]]  # the dev split's order, the other source left out
    assert ids(test) == CAF[15:]
    assert not (set(ids(pool)) & set(ids(dev)) or set(ids(pool)) & set(ids(test)) or set(ids(dev)) & set(ids(test)))
    assert {r.source for r in pool + dev + test} == {"caf"}


def test_pool_is_shuffled_the_same_way_whatever_order_the_records_come_in(adapt):
    pool, _, _ = adapt.real_company(RECORDS, SPLITS, "caf")
    reordered = {**SPLITS, "train": SPLITS["train"][::-1]}
    again, _, _ = adapt.real_company(RECORDS[::-1], reordered, "caf")
    assert ids(again) == ids(pool)
    assert ids(pool) != CAF[:12]  # shuffled, so the first k are not just the lowest ids


def test_an_unknown_source_or_company_names_the_valid_ones(adapt):
    with pytest.raises(typer.BadParameter, match="caf, otr"):
        adapt.real_company(RECORDS, SPLITS, "nope")
    with pytest.raises(typer.BadParameter, match="real:<source>"):
        adapt.company_data("coar", ["clinics"], [0, 25])


def test_non_complaints_count_as_quejas_eval_counts_them(adapt):
    """A cause predicted for a praise review is a false positive, exactly as in the real-set evaluation."""
    _, dev, test = adapt.real_company(RECORDS, SPLITS, "caf")
    corpus_test = {"text": ["x"], "cause_labels": [cause_vector(["delay"])]}
    scorer = adapt.Scorer(dev, corpus_test, reported=test)
    delay = CAUSE_IDS.index("delay")

    def everything_delay(records) -> np.ndarray:
        probs = np.zeros((len(records), len(CAUSE_IDS)))
        probs[:, delay] = 0.9
        return probs

    cuts = np.full(len(CAUSE_IDS), 0.5)
    row = scorer.row(
        {"scored": everything_delay(dev), "reported": everything_delay(test), "corpus": np.zeros((1, len(CAUSE_IDS)))},
        cuts,
    )
    for records, prefix in ((dev, ""), (test, "test_")):
        assert any(not r.causes for r in records) and any(r.causes for r in records)
        gold = np.array([cause_vector(r.causes) for r in records])
        pred = (everything_delay(records) >= cuts).astype(int)
        zeros = np.zeros(len(records), dtype=int)
        expected = evaluation_metrics(
            pred, gold, zeros, zeros, np.zeros((len(records), 3)), np.zeros((len(records), 3))
        )
        assert row[f"{prefix}micro"] == pytest.approx(expected["cause_micro_f1"]) and row[f"{prefix}micro"] < 1.0
        assert row[f"{prefix}macro"] == pytest.approx(expected["cause_macro_f1"])
        assert row[f"{prefix}group"] == pytest.approx(expected["group_accuracy"]) and row[f"{prefix}group"] < 1.0
    assert row["corpus_micro"] == 0.0
