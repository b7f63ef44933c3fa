"""The review challenge set stays valid, and its validator still catches the mislabels it exists for."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
SET_DIR = DATA / "review_challenge"


def load_stats():
    spec = importlib.util.spec_from_file_location("review_challenge_stats", SET_DIR / "stats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stats = load_stats()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    lines = (SET_DIR / "bad_drafts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_set_passes_its_validator(records):
    seen: set[str] = set()
    errors = [e for r in records for e in stats.check(r, seen)] + stats.quota_errors(records)
    assert errors == []
    assert stats.main([str(SET_DIR / "bad_drafts.jsonl")]) == 0


def test_no_complaint_is_a_corpus_or_risk_challenge_text(records):
    texts = {
        json.loads(line)["text"].strip().lower()
        for path in [*DATA.glob("complaints/*.jsonl"), *DATA.glob("challenge/*.jsonl")]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert not [r["id"] for r in records if r["complaint"].strip().lower() in texts]


def first(records, predicate) -> dict:
    return copy.deepcopy(next(r for r in records if predicate(r)))


def kinds(record) -> set[str]:
    return {p["kind"] for p in record["problems"]}


def test_validator_rejects_evidence_that_is_not_in_the_draft(records):
    record = first(records, lambda r: r["problems"])
    record["problems"][0]["evidence"] += " (texto que no está)"
    assert any("evidence not in draft" in e for e in stats.check(record, set()))


def test_validator_rejects_a_fault_label_without_a_legal_threat(records):
    record = first(records, lambda r: "fault_under_legal" in kinds(r))
    record["risk"]["legal"] = False
    assert any("without a legal threat" in e for e in stats.check(record, set()))


def test_validator_rejects_length_labels_that_disagree_with_the_length(records):
    short = first(records, lambda r: r["channel"] == "chat" and not r["problems"])
    short["problems"] = [{"kind": "too_long", "evidence": short["draft"][:20]}]
    assert any("labelled too_long" in e for e in stats.check(short, set()))
    long = first(records, lambda r: r["channel"] == "email" and kinds(r) == {"too_long"})
    long["problems"] = []
    assert any("not labelled too_long" in e for e in stats.check(long, set()))


def test_validator_rejects_duplicate_ids_and_unknown_kinds(records):
    seen: set[str] = set()
    assert stats.check(copy.deepcopy(records[0]), seen) == []
    assert any("duplicate id" in e for e in stats.check(copy.deepcopy(records[0]), seen))
    record = first(records, lambda r: r["problems"])
    record["problems"][0]["kind"] = "rude_tone"
    assert any("unknown kind" in e for e in stats.check(record, set()))
