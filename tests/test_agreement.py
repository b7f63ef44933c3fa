"""data/agreement.py: the second labelling pass is checked, aligned by id and scored like a model."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "data" / "agreement.py"


@pytest.fixture(scope="module")
def agreement_module():
    spec = importlib.util.spec_from_file_location("agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["agreement"] = module  # pydantic resolves the script's annotations through it
    spec.loader.exec_module(module)
    return module


def _rows(records):
    return [
        {"id": r.id, "causes": list(r.causes), "sentiment": r.sentiment, "risk": r.risk.model_dump()} for r in records
    ]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_identical_labels_agree_fully_and_one_change_shows(agreement_module, corpus_records, tmp_path):
    complaints = [r for r in corpus_records if r.causes][:40]
    rows = _rows(complaints)
    same = agreement_module.agreement(agreement_module.read_second_pass(_write(tmp_path / "a.jsonl", rows)))
    assert same["cause_micro_f1"] == 1.0 and same["group_accuracy"] == 1.0 and same["n_examples"] == 40
    rows[0]["causes"] = [c for c in ("delay", "bad_attitude") if c not in rows[0]["causes"]][:1]
    changed = agreement_module.agreement(agreement_module.read_second_pass(_write(tmp_path / "b.jsonl", rows)))
    assert changed["cause_micro_f1"] < 1.0


def test_bad_lines_are_reported_with_their_number(agreement_module, corpus_records, tmp_path):
    rows = _rows(corpus_records[:3])
    rows[1]["causes"] = ["late_delivery"]
    with pytest.raises(ValueError, match=r"(?s)b\.jsonl:2: .*unknown cause ids \['late_delivery'\]"):
        agreement_module.read_second_pass(_write(tmp_path / "b.jsonl", rows))
    unknown = _rows(corpus_records[:1])
    unknown[0]["id"] = "zzz-9999"
    with pytest.raises(ValueError, match="not in the corpus"):
        agreement_module.agreement(agreement_module.read_second_pass(_write(tmp_path / "c.jsonl", unknown)))


def test_shipped_second_pass_covers_dev_and_the_script_runs():
    dev = json.loads((REPO / "data" / "splits.json").read_text())["dev"]
    shipped = [json.loads(line)["id"] for line in (REPO / "data" / "second_pass" / "dev.jsonl").open()]
    assert shipped == dev
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "second annotator" in result.stdout and "cause micro-F1" in result.stdout
    command = [sys.executable, str(SCRIPT), "--second-pass", "nope.jsonl"]
    missing = subprocess.run(command, capture_output=True, text=True)
    assert missing.returncode == 1 and "no file" in missing.stdout and "Traceback" not in missing.stderr
