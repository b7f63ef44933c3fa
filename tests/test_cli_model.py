"""`quejas analyze`, `train --help` and `eval` from the command line, errors as one readable line."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_analyze_one_text_prints_a_table(tiny_model):
    result = run("analyze", "El técnico no vino y nadie me llama", "--model", str(tiny_model), "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "sentimiento" in result.output and "riesgo" in result.output
    assert "intensidad" in result.output and re.search(r"prioridad\W+P[1-4] · ", result.output)


def test_analyze_file_writes_one_analysis_per_line_in_order(tiny_model, tmp_path):
    texts = ["me cobraron de más", "gracias por la ayuda", "el paquete llegó roto y nadie contesta"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"mensaje": t, "otro": i}) for i, t in enumerate(texts)) + "\n")
    out = tmp_path / "out.jsonl"
    result = run(
        "analyze", "--input", str(source), "--output", str(out), "--text-field", "mensaje", "--model", str(tiny_model)
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    expected = Analyzer.load(tiny_model).analyze(texts)
    assert [line["sentiment"]["label"] for line in lines] == [a.sentiment.label for a in expected]
    assert [[c["id"] for c in line["causes"]] for line in lines] == [a.cause_ids for a in expected]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"text": "hola"}\n{oops\n', "2: invalid JSON"),
        ('{"texto": "hola"}\n', "no 'text' field"),
        ('{"text": "  "}\n', "non-empty string"),
    ],
)
def test_analyze_file_errors_name_the_line(tiny_model, tmp_path, content, message):
    source = tmp_path / "in.jsonl"
    source.write_text(content)
    result = run("analyze", "--input", str(source), "--output", str(tmp_path / "o.jsonl"), "--model", str(tiny_model))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["analyze", "   "], "empty"),
        (["analyze", "hola", "--model", "/nonexistent/model"], "make train"),
        (["analyze"], "either a text"),
        (["analyze", "--input", "/nonexistent.jsonl", "--output", "x"], "does not exist"),
    ],
)
def test_analyze_errors_are_one_line(args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_train_help_lists_every_field_with_help():
    result = run("train", "--help")
    assert result.exit_code == 0
    for flag in ("--base_model", "--max_length", "--epochs", "--learning_rate", "--freeze_word_embeddings", "--config"):
        assert flag in result.output


def test_train_rejects_unknown_config_keys(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("epochs: 2\nlearning_rat: 0.1\n")
    result = run("train", "--config", str(config))
    assert result.exit_code == 1
    assert "learning_rat" in result.output
