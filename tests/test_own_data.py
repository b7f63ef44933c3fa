"""Own data for `quejas train --extra_data` / `--feedback`: every format, every rule, and the own split."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pipeline.data import UNKNOWN_SENTIMENT, add_own_records, label_arrays
from pipeline.feedback.models import Correction, PredictedCause, Prediction
from pipeline.feedback.store import FeedbackStore
from pipeline.own_data import OwnDataError, feedback_records, load_own_records, read_own_file
from pipeline.schema import ModelInfo
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS

ROWS = [
    {
        "texto": "Llevo tres semanas esperando el reembolso",
        "causes": "delay;billing_error",
        "sentiment": "negative",
        "sentiment_score": "-0.6",
        "risk_churn": "1",
        "risk_legal": "0",
        "risk_public": "0",
    },
    {
        "texto": "El técnico fue muy amable y lo arregló",
        "causes": "",
        "sentiment": "positive",
        "sentiment_score": "",
        "risk_churn": "0",
        "risk_legal": "0",
        "risk_public": "0",
    },
    {
        "texto": "Nadie contesta al teléfono en todo el día",
        "causes": "unanswered_contact",
        "sentiment": "",
        "sentiment_score": "",
        "risk_churn": "",
        "risk_legal": "",
        "risk_public": "",
    },
]


def write(frame: pd.DataFrame, path):
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl", ".parquet"])
def test_every_format_reads_the_same_records(tmp_path, suffix):
    records = read_own_file(write(pd.DataFrame(ROWS), tmp_path / f"mine{suffix}"))
    assert [r.causes for r in records] == [("delay", "billing_error"), (), ("unanswered_contact",)]
    first, second, third = records
    assert first.sentiment == "negative" and first.sentiment_score == -0.6 and first.risks == (True, False, False)
    assert second.sentiment_score is None and second.complete
    # Blank sentiment and risks are unknown, not "neutral" / "no risk".
    assert third.sentiment is None and third.risks is None and not third.complete
    assert {r.source for r in records} == {f"mine{suffix}"}


def test_one_column_per_cause_and_a_risks_column(tmp_path):
    frame = pd.DataFrame(
        [
            {
                "text": "Me cobraron dos veces y nadie responde",
                "billing_error": 1,
                "unanswered_contact": "1",
                "delay": 0,
                "risks": "legal",
            }
        ]
    )
    (record,) = read_own_file(write(frame, tmp_path / "cols.csv"))
    assert set(record.causes) == {"billing_error", "unanswered_contact"}
    assert record.risks == tuple(r == "legal" for r in RISK_IDS)


def test_unknown_cause_names_file_line_value_and_the_valid_ids(tmp_path):
    rows = [dict(ROWS[0]), dict(ROWS[1], causes="retraso;delay")]
    with pytest.raises(OwnDataError) as caught:
        read_own_file(write(pd.DataFrame(rows), tmp_path / "bad.csv"))
    message = str(caught.value)
    assert "bad.csv line 3" in message and "'retraso'" in message
    assert all(cause in message for cause in CAUSE_IDS)


def test_every_bad_row_is_reported_at_once(tmp_path):
    rows = [
        dict(ROWS[0], sentiment="enfadado"),
        dict(ROWS[1], sentiment_score="1.5"),
        dict(ROWS[2], texto="  "),
        dict(ROWS[0], risk_churn="quizá"),
    ]
    with pytest.raises(OwnDataError) as caught:
        read_own_file(write(pd.DataFrame(rows), tmp_path / "bad.jsonl"))
    message = str(caught.value)
    assert "4 bad row(s)" in message
    for expected in (
        "line 1: sentiment: 'enfadado'",
        "line 2: sentiment_score: '1.5'",
        "line 3: texto: blank",
        "line 4: risk_churn: 'quizá'",
    ):
        assert expected in message


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"comentario": ["hola"], "causes": ["delay"]}, "no text column"),
        ({"text": ["hola"], "sentiment": ["negative"]}, "no causes"),
        ({"text": ["hola"], "causes": ["delay"], "risk_churn": [1]}, "missing risk_legal, risk_public"),
    ],
)
def test_missing_columns_say_what_is_needed(tmp_path, columns, expected):
    with pytest.raises(OwnDataError, match=expected):
        read_own_file(write(pd.DataFrame(columns), tmp_path / "cols.csv"))


def test_unreadable_and_unknown_files_are_errors_not_tracebacks(tmp_path):
    with pytest.raises(OwnDataError, match="unknown format"):
        read_own_file(tmp_path / "mine.txt")
    with pytest.raises(OwnDataError, match="no such file"):
        read_own_file(tmp_path / "missing.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(OwnDataError, match="broken.parquet: cannot be read"):
        read_own_file(broken)


def test_feedback_corrections_become_complete_records(tmp_path):
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    store = FeedbackStore(url)
    prediction = Prediction(
        model=ModelInfo(name="m", version="1"),
        causes=[PredictedCause(id="delay", score=0.8)],
        sentiment="negative",
        sentiment_score=-0.7,
    )
    store.add(
        Correction(
            text="El pedido no llega y nadie me dice nada",
            prediction=prediction,
            causes=["delay", "no_follow_up"],
            sentiment="negative",
            risks=["churn"],
        )
    )
    store.close()
    (record,) = feedback_records(url)
    assert record.causes == ("delay", "no_follow_up") and record.complete
    assert record.risks == tuple(r == "churn" for r in RISK_IDS) and record.sentiment_score == -0.7
    with pytest.raises(OwnDataError, match="holds no corrections"):
        feedback_records(f"sqlite:///{tmp_path / 'empty.db'}")


def own_rows(n: int) -> list[dict]:
    causes = CAUSE_IDS[:5]
    return [
        {
            "text": f"Queja número {i} sobre {causes[i % 5]} y más cosas",
            "causes": causes[i % 5],
            "sentiment": "negative" if i % 4 else "",
            "risks": "" if i % 4 else None,
        }
        for i in range(n)
    ]


def test_own_records_get_their_own_split(tmp_path, tiny_dataset):
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in own_rows(60)), encoding="utf-8")
    records = load_own_records([str(path)])
    joined, info = add_own_records(tiny_dataset, records, seed=13)
    again, _ = add_own_records(tiny_dataset, records, seed=13)
    assert list(again["own_test"]["id"]) == list(joined["own_test"]["id"])  # fixed seed, same split
    split = info["split"]
    assert info["split_seed"] == 13 and info["records"] == 60 and info["complete"] == 45
    assert split["train"] + split["train_partial"] + split["dev"] + split["test"] == 60
    assert len(joined["train"]) == len(tiny_dataset["train"]) + split["train"]
    assert len(joined["dev"]) == len(tiny_dataset["dev"]) + split["dev"]
    assert len(joined["own_dev"]) == split["dev"]
    assert len(joined["test"]) == len(tiny_dataset["test"])  # the corpus test split is untouched
    # Only complete records reach the splits the blend, the baselines and dev choices read.
    for name in ("train", "dev"):
        gold = label_arrays(joined[name])
        assert (gold["sentiment"] != UNKNOWN_SENTIMENT).all() and not np.isnan(gold["risk"]).any()
    partial = label_arrays(joined["own_train_partial"])
    assert len(partial["sentiment"]) == split["train_partial"] > 0
    assert (partial["sentiment"] == UNKNOWN_SENTIMENT).all()
    assert not np.isnan(partial["risk"]).any()  # a blank `risks` cell means no risk, as a blank `causes` no cause
    assert math.isnan(label_arrays(joined["own_test"])["intensity"][0])


def test_too_few_own_records_all_train(tmp_path, tiny_dataset):
    records = read_own_file(write(pd.DataFrame(ROWS), tmp_path / "three.csv"))
    joined, info = add_own_records(tiny_dataset, records)
    assert info["split"] == {"train": 2, "train_partial": 1, "dev": 0, "test": 0}
    assert len(joined["own_test"]) == 0
