"""The real set: texts joined with their labels, its own fixed splits, and the checks that keep it clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.corpus import read_real
from pipeline.data import load_dataset_dict, read_splits
from pipeline.validation import validate_real

LABELS = {
    "causes": ["delay"],
    "group": "operational",
    "sentiment": "negative",
    "sentiment_score": -0.5,
    "risk": {"churn": False, "legal": False, "public": True},
    "customer_name": None,
    "references": [],
    "sector": "restaurants",
}


def write_real(folder: Path, texts: dict[str, str], labelled: list[str]) -> Path:
    (folder / "raw").mkdir(parents=True)
    (folder / "labels").mkdir()
    with open(folder / "raw" / "src.jsonl", "w", encoding="utf-8") as fh:
        for record_id, text in texts.items():
            raw = {"id": record_id, "text": text, "source": "src", "genre": "review", "variety_hint": "es-ES"}
            fh.write(json.dumps(raw) + "\n")
    with open(folder / "labels" / "final.jsonl", "w", encoding="utf-8") as fh:
        for record_id in labelled:
            fh.write(json.dumps({"id": record_id, **LABELS}) + "\n")
    return folder


def test_records_join_text_and_labels(tmp_path):
    folder = write_real(tmp_path, {"src-00001": "Una hora esperando los platos, de verdad."}, ["src-00001"])
    records, problems = read_real(folder)
    assert problems == []
    assert records[0].text.startswith("Una hora") and records[0].channel == "review" and records[0].source == "src"


def test_a_label_without_text_and_a_text_without_label_are_reported(tmp_path):
    folder = write_real(tmp_path, {"src-00001": "Texto sin etiquetas aquí."}, ["src-00002"])
    _, problems = read_real(folder)
    messages = " ".join(p.message for p in problems)
    assert "src-00002" in messages and "src-00001" in messages


def test_validator_finds_unmasked_contacts_and_corpus_copies(tmp_path, corpus_records):
    copied = corpus_records[0].text
    folder = write_real(
        tmp_path,
        {
            "src-00001": "Escríbanme a ana.perez@example.com o al 612 345 678, llevo una hora esperando.",
            "src-00002": copied,
        },
        ["src-00001", "src-00002"],
    )
    records, problems = read_real(folder)
    rules = {(v.record_id, v.rule) for v in validate_real(records, problems, corpus_records).violations}
    assert ("src-00001", "contact") in rules
    assert ("src-00002", "corpus_overlap") in rules


@pytest.fixture(scope="module")
def real_dataset():
    dataset = load_dataset_dict()
    if "real_test" not in dataset:
        pytest.fail("data/real/labels/final.jsonl is missing: the real set is part of the repository")
    return dataset


def test_real_set_joins_train_and_dev_but_keeps_its_test_apart(real_dataset):
    splits = read_splits(paths.real_splits_path())
    assert len(splits["test"]) >= 300
    train_ids, dev_ids = set(real_dataset["train"]["id"]), set(real_dataset["dev"]["id"])
    assert set(splits["train"]) <= train_ids and set(splits["dev"]) <= dev_ids
    assert not set(splits["test"]) & (train_ids | dev_ids)
    assert set(real_dataset["real_test"]["id"]) == set(splits["test"])
    assert set(real_dataset["real_test"]["origin"]) == {"real"}
    assert "real" not in set(real_dataset["test"]["origin"])


def test_real_set_passes_its_validator(corpus_records):
    records, problems = read_real()
    report = validate_real(records, problems, corpus_records)
    assert report.violations == []
    assert len(records) >= 1500
