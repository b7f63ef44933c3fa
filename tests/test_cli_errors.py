"""One handler for every command: a user's error is one red line and status 1, a bug keeps its traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.cli import app

runner = CliRunner()


def error_lines(result) -> list[str]:
    return result.stderr.strip().splitlines()


def test_an_unknown_model_folder_is_one_line_and_status_1(tmp_path):
    result = runner.invoke(app, ["analyze", "hola", "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no-model" in lines[0]
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_and_still_ends_with_the_line(tmp_path):
    result = runner.invoke(app, ["--debug", "analyze", "hola", "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Traceback (most recent call last)")
    assert "Analyzer.load" in result.stderr or "def load" in result.stderr or "analyzer.py" in result.stderr
    assert error_lines(result)[-1].startswith("error: ")


def test_a_bug_is_not_swallowed(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not the user's doing")

    monkeypatch.setattr(Analyzer, "load", broken)
    result = runner.invoke(app, ["analyze", "hola"])
    assert isinstance(result.exception, RuntimeError) and "a bug" in str(result.exception)
    assert "error:" not in result.output


def test_an_os_error_is_the_users_to_fix(tiny_model, tmp_path):
    folder = tmp_path / "notes[1]"  # a directory given as the input file; brackets are not rich markup
    folder.mkdir()
    args = ["analyze", "--input", str(folder), "--output", str(tmp_path / "o.jsonl"), "--model", str(tiny_model)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "notes[1]" in lines[0]


def test_a_message_over_several_lines_is_printed_as_one(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("extends: ecommerce\ntone: shouting\nsignature: 12\n", encoding="utf-8")
    result = runner.invoke(app, ["reply", "Mi pedido no llega", "--policy", str(policy)])
    assert result.exit_code == 1
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: ")


@pytest.mark.parametrize("args", [["--help"], ["analyze", "--help"]])
def test_help_mentions_debug_and_the_model_default(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert ("--debug" if args == ["--help"] else "models/latest") in result.output


def test_help_groups_the_commands_by_job():
    output = runner.invoke(app, ["--help"], terminal_width=100).output
    panels = ["Analyse and reply", "Model and data", "Files and reports", "Service"]
    assert all(panel in output for panel in panels)
    # Each command sits in its own job's box: "reply" after its title, "train" and "serve" after theirs.
    rows = {name: output.index(f"│ {name} ") for name in ["reply", "train", "report", "serve"]}
    at = {panel: output.index(panel) for panel in panels}
    assert at["Analyse and reply"] < rows["reply"] < at["Model and data"] < rows["train"] < at["Files and reports"]
    assert at["Files and reports"] < rows["report"] < at["Service"] < rows["serve"]
