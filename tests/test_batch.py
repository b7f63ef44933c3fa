"""`quejas label`: formats round-trip, results match the Analyzer, resume after interruption, bad rows, memory."""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import subprocess
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_runs import REPO, interrupted, label, label_args, label_command
from openpyxl import Workbook
from typer.testing import CliRunner

from pipeline.batch import (
    BatchError,
    LocalEngine,
    added_columns,
    find_text_column,
    parts_folder,
    read_chunks,
    risk_column,
    scan_input,
    score_column,
)
from pipeline.cli import app
from pipeline.spreadsheet_safety import escape_cell
from pipeline.taxonomy import TAXONOMY

runner = CliRunner()


@pytest.fixture(scope="module")
def engine(analyzer) -> LocalEngine:
    return LocalEngine(analyzer, batch_size=16)


@pytest.fixture(scope="module")
def texts(corpus_records) -> list[str]:
    return [r.text for r in corpus_records[:40]]


def source_frame(texts: list[str]) -> pd.DataFrame:
    """String-valued columns around the text column, including values a careless reader would change."""
    n = len(texts)
    return pd.DataFrame(
        {
            "id": [f"{i:04d}" for i in range(n)],  # leading zeros must survive
            "Texto": texts,
            "canal": ["email" if i % 3 else "chat" for i in range(n)],
            "importe": [f"{i * 1.5:.2f}" for i in range(n)],
            "nota": ["" if i % 4 == 0 else f"nota {i}" for i in range(n)],  # empty cells stay empty
        }
    )


def write_input(frame: pd.DataFrame, path: Path) -> Path:
    fmt = path.suffix
    if fmt == ".csv":
        frame.to_csv(path, index=False)
    elif fmt == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == ".jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for row in frame.to_dict("records"):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == ".parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=7)
    elif fmt == ".xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        book.save(path)
    return path


def read_output(path: Path) -> pd.DataFrame:
    """The output as strings/objects exactly as stored (no type guessing)."""
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else None, dtype=object)
    table = pq.read_table(path)
    return pd.DataFrame(table.to_pylist(), columns=table.schema.names, dtype=object)


# ------------------------------------------------------------------------------------------ formats


@pytest.mark.parametrize("out_ext", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("in_ext", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_every_format_keeps_original_columns_and_adds_results(engine, tiny_model, texts, tmp_path, in_ext, out_ext):
    frame = source_frame(texts[:23])
    frame.loc[5, "nota"] = ""  # also an empty cell next to a labelled text
    source = write_input(frame, tmp_path / f"in{in_ext}")
    output = tmp_path / f"out{out_ext}"
    summary = label(engine, tiny_model, source, output, chunk_size=10)

    result = read_output(output)
    assert list(result.columns) == list(frame.columns) + added_columns()
    assert len(result) == len(frame) == summary.rows
    for column in frame.columns:
        got = ["" if v is None else v for v in result[column].tolist()]
        expected = frame[column].tolist()
        if out_ext == ".csv":
            expected = [escape_cell(v) for v in expected]  # "@cuenta ..." opens as text in a spreadsheet
        if in_ext == ".xlsx":
            expected = [None if v == "" else v for v in expected]  # Excel has no empty strings, only empty cells
            got = [None if v == "" else v for v in got]
        assert got == expected, column
    assert all(v in ("", None) for v in result["error"])
    assert all(result["model_version"] == "test")
    assert not parts_folder(output).exists()


def test_jsonl_values_keep_their_json_types(engine, tiny_model, texts, tmp_path):
    rows = [
        {"id": i, "mensaje": text, "importe": i * 0.5, "vip": i % 2 == 0, "tags": ["a", str(i)], "extra": None}
        for i, text in enumerate(texts[:12])
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    label(engine, tiny_model, source, output, chunk_size=5)
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [{k: line[k] for k in rows[0]} for line in lines] == rows
    assert [list(line) for line in lines] == [list(rows[0]) + added_columns()] * len(rows)


def test_parquet_keeps_arrow_types(engine, tiny_model, texts, tmp_path):
    n = 15
    table = pa.table(
        {
            "n": pa.array(range(n), type=pa.int32()),
            "queja": texts[:n],
            "fecha": pa.array(pd.date_range("2024-01-01", periods=n, freq="D")),
            "importe": pa.array([None if i == 3 else i * 2.5 for i in range(n)], type=pa.float64()),
            "ok": pa.array([i % 2 == 0 for i in range(n)]),
        }
    )
    source = tmp_path / "in.parquet"
    pq.write_table(table, source, row_group_size=4)
    output = tmp_path / "out.parquet"
    label(engine, tiny_model, source, output, chunk_size=6)
    result = pq.read_table(output)
    assert result.schema.names == table.schema.names + added_columns()
    assert result.select(table.schema.names).equals(table)
    assert result.schema.field(score_column(TAXONOMY.cause_ids[0])).type == pa.float64()
    assert result.schema.field(risk_column("churn")).type == pa.bool_()


def test_format_option_overrides_the_extension(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts[:5]), tmp_path / "in.csv")
    output = tmp_path / "resultado.txt"
    label(engine, tiny_model, source, output, output_format="jsonl")
    assert len([json.loads(line) for line in output.read_text().splitlines()]) == 5
    with pytest.raises(BatchError, match="cannot tell the output format"):
        label(engine, tiny_model, source, tmp_path / "resultado.txt")


# ------------------------------------------------------------------------------------------ results


def test_results_equal_analyzer_analyze(engine, analyzer, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts), tmp_path / "in.csv")
    output = tmp_path / "out.parquet"
    label(engine, tiny_model, source, output, chunk_size=16)
    result = read_output(output)
    expected = analyzer.analyze(texts)
    for row, analysis in zip(result.to_dict("records"), expected):
        assert row["causes"] == ";".join(analysis.cause_ids)
        assert row["primary_cause"] == (analysis.primary_cause or "")
        assert row["group"] == analysis.group
        assert row["sentiment"] == analysis.sentiment.label
        assert row["sentiment_score"] == pytest.approx(analysis.sentiment.score, abs=1e-6)
        for risk in TAXONOMY.risk_ids:
            assert row[risk_column(risk)] == getattr(analysis.risk, risk)
        assert row["priority"] == analysis.priority
        for cause in analysis.causes:
            assert row[score_column(cause.id)] == pytest.approx(cause.score, abs=1e-6)
        assert json.loads(row["entities"]) == json.loads(analysis.entities.model_dump_json())
        assert row["model_version"] == analysis.model.version
        assert row["error"] is None
    # Every cause has a probability; exactly the ones over their threshold are in `causes`.
    cut = dict(zip(analyzer.config.causes, analyzer.cause_cut))
    for row in result.to_dict("records"):
        over = {c for c in TAXONOMY.cause_ids if row[score_column(c)] >= cut[c]}
        assert over == set(filter(None, row["causes"].split(";")))


# ------------------------------------------------------------------------------------------ resume


def test_interrupt_then_resume_equals_an_uninterrupted_run(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts), tmp_path / "in.csv")
    reference = tmp_path / "reference.csv"
    label(engine, tiny_model, source, reference, chunk_size=7)

    output = tmp_path / "out.csv"

    interrupted(engine, tiny_model, source, output, after=2, chunk_size=7)
    parts = parts_folder(output)
    assert not output.exists()
    assert sorted(p.name for p in parts.glob("part-*.csv")) == [f"part-{n:06d}.csv" for n in range(3)]

    labelled_again: list[int] = []
    summary = label(engine, tiny_model, source, output, after_chunk=labelled_again.append, chunk_size=7)
    assert labelled_again == [3, 4, 5]  # done chunks are skipped, not recomputed
    assert summary.resumed_rows == 21 and summary.rows == len(texts)
    assert output.read_bytes() == reference.read_bytes()
    assert not parts.exists()


def test_kill_9_then_resume_loses_and_duplicates_nothing(engine, tiny_model, corpus_records, tmp_path):
    texts = [r.text for r in corpus_records[:400]]
    source = write_input(source_frame(texts), tmp_path / "in.csv")
    reference = tmp_path / "reference.jsonl"
    label(engine, tiny_model, source, reference, chunk_size=10)

    output = tmp_path / "out.jsonl"
    parts = parts_folder(output)
    command = label_command(source, output, tiny_model, "--chunk-size", "10")
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.jsonl"))) < 3:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no part files appeared"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not output.exists()
    done_before = len(list(parts.glob("part-*.jsonl")))
    assert 3 <= done_before < 40

    labelled_again: list[int] = []
    summary = label(engine, tiny_model, source, output, after_chunk=labelled_again.append, chunk_size=10)
    assert labelled_again == list(range(done_before, 40))  # finished chunks are not labelled twice
    assert summary.resumed_rows == 10 * done_before and summary.rows == len(texts)
    assert output.read_bytes() == reference.read_bytes()
    ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert ids == [f"{i:04d}" for i in range(len(texts))]


def test_resume_with_other_options_is_refused_unless_restart(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts[:20]), tmp_path / "in.csv")
    output = tmp_path / "out.csv"

    interrupted(engine, tiny_model, source, output, after=0, chunk_size=5)
    with pytest.raises(BatchError, match=r"chunk_size.*--restart"):
        label(engine, tiny_model, source, output, chunk_size=8)
    summary = label(engine, tiny_model, source, output, chunk_size=8, restart=True)
    assert summary.resumed_rows == 0 and summary.rows == 20
    assert len(read_output(output)) == 20


def test_a_changed_input_file_is_not_resumed(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts[:10]), tmp_path / "in.csv")
    output = tmp_path / "out.csv"

    interrupted(engine, tiny_model, source, output, after=0, chunk_size=5)
    write_input(source_frame(texts[:12]), source)
    with pytest.raises(BatchError, match="input_size"):
        label(engine, tiny_model, source, output, chunk_size=5)


# ------------------------------------------------------------------------------------------ bad rows


def test_bad_rows_get_an_error_and_the_run_goes_on_csv(engine, tiny_model, texts, tmp_path):
    good = "El paquete llegó roto y nadie contesta al teléfono."
    cells = [good, "", "   \t ", "NaN", "12345", "x" * 300 + " larga", good]
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(cells)), "texto": cells}).to_csv(source, index=False)
    with open(source, "ab") as fh:
        fh.write(b'7,"caf\xe9 con leche fr\xeda y nadie contesta"\n')  # latin-1 bytes in a UTF-8 file
    output = tmp_path / "out.csv"
    summary = label(engine, tiny_model, source, output, max_chars=200)
    result = read_output(output)
    assert result["error"].tolist() == ["", "empty", "empty", "missing", "not_text", "too_long", "", "undecodable"]
    assert result["id"].tolist() == [str(i) for i in range(8)]
    bad = result[result["error"] != ""]
    assert (bad[["causes", "group", "sentiment", score_column("delay"), risk_column("legal")]] == "").all().all()
    assert (result.loc[result["error"] == "", "sentiment"] != "").all()
    assert summary.labelled == 2 and summary.rows == 8
    assert dict(summary.errors) == {"empty": 2, "missing": 1, "not_text": 1, "too_long": 1, "undecodable": 1}


def test_bad_rows_jsonl(engine, tiny_model, texts, tmp_path):
    lines = [
        json.dumps({"id": 0, "text": texts[1]}),
        json.dumps({"id": 1, "text": None}),
        json.dumps({"id": 2, "text": 42}),
        json.dumps({"id": 3}),
        "{esto no es json",
        json.dumps(["no", "es", "un", "objeto"]),
        json.dumps({"id": 6, "text": ["una", "lista"]}),
        json.dumps({"id": 7, "text": texts[2]}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    output = tmp_path / "out.jsonl"
    summary = label(engine, tiny_model, source, output)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["error"] for r in rows] == [
        None,
        "missing",
        "not_text",
        "missing",
        "invalid_json",
        "invalid_json",
        "not_text",
        None,
    ]
    assert [r["id"] for r in rows] == [0, 1, 2, 3, None, None, 6, 7]  # no row lost, order kept
    assert rows[2]["text"] == 42 and rows[6]["text"] == ["una", "lista"]
    assert all(r["causes"] is None and r["sentiment"] is None for r in rows if r["error"])
    assert summary.errors == {"missing": 2, "not_text": 2, "invalid_json": 2}


def test_bad_rows_parquet_and_xlsx(engine, tiny_model, texts, tmp_path):
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"texto": [texts[0], None, "  ", texts[3]]}), source)
    summary = label(engine, tiny_model, source, tmp_path / "out.csv")
    assert summary.errors == {"missing": 1, "empty": 1} and summary.labelled == 2

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "comentario"])
    for row in ([1, texts[0]], [2, None], [3, 3.14], [4, texts[1]]):
        sheet.append(row)
    book.save(tmp_path / "in.xlsx")
    summary = label(engine, tiny_model, tmp_path / "in.xlsx", tmp_path / "out2.csv")
    assert summary.errors == {"missing": 1, "not_text": 1} and summary.labelled == 2
    assert read_output(tmp_path / "out2.csv")["error"].tolist() == ["", "missing", "not_text", ""]


def test_a_text_the_model_fails_on_is_an_error_row_but_a_broken_model_stops_the_run(analyzer, tiny_model, tmp_path):
    fragile = copy.copy(analyzer)

    def probabilities(texts, batch_size=32):
        if any("💥" in t for t in texts):
            raise RuntimeError("the model cannot read this")
        return analyzer.probabilities(texts, batch_size)

    fragile.probabilities = probabilities
    texts = ["El técnico no vino.", "💥 texto que rompe el modelo", "Me cobraron dos veces."]
    source = write_input(pd.DataFrame({"texto": texts}), tmp_path / "in.csv")
    summary = label(LocalEngine(fragile), tiny_model, source, tmp_path / "out.csv")
    assert read_output(tmp_path / "out.csv")["error"].tolist() == ["", "analysis_failed", ""]
    assert summary.errors == {"analysis_failed": 1} and summary.labelled == 2

    only_failures = write_input(pd.DataFrame({"texto": ["💥 uno", "💥 dos"]}), tmp_path / "bad.csv")
    with pytest.raises(RuntimeError, match="cannot read"):
        label(LocalEngine(fragile), tiny_model, only_failures, tmp_path / "bad.labeled.csv")


# ------------------------------------------------------------------------------------------ text column


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["id", "Descripción", "canal"], "Descripción"),
        (["ID", "QUEJA"], "QUEJA"),
        (["mensaje", "texto"], "texto"),  # candidates are tried in order of preference
        (["Comentario ", "x"], "Comentario "),
        (["id", "Text"], "Text"),
    ],
)
def test_text_column_is_detected(columns, expected):
    assert find_text_column(columns) == expected


def test_text_column_option_is_case_insensitive_and_errors_list_the_columns():
    assert find_text_column(["id", "Cuerpo"], "cuerpo") == "Cuerpo"
    with pytest.raises(BatchError, match=r"'id', 'cuerpo'.*--text-column"):
        find_text_column(["id", "cuerpo"])
    with pytest.raises(BatchError, match="no column 'body'"):
        find_text_column(["id", "cuerpo"], "body")


def test_cli_reports_a_missing_text_column_in_one_line(tiny_model, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,cuerpo\n1,hola\n")
    result = runner.invoke(app, label_args(source, tmp_path / "o.csv", tiny_model))
    assert result.exit_code == 1
    assert "could not find the text column" in result.output and "'cuerpo'" in result.output
    assert "Traceback" not in result.output


def test_cli_labels_a_file_and_prints_the_summary(tiny_model, texts, tmp_path):
    frame = source_frame(texts[:9])
    frame.loc[4, "Texto"] = ""
    source = write_input(frame, tmp_path / "in.xlsx")
    output = tmp_path / "out.csv"
    result = runner.invoke(app, label_args(source, output, tiny_model, "--chunk-size", "4", "--text-column", "texto"))
    assert result.exit_code == 0, result.output
    assert "labelled" in result.output and "empty" in result.output and "rows/s" in result.output
    assert len(read_output(output)) == 9


def test_cli_help_explains_every_option():
    result = runner.invoke(app, ["label", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in (
        "--output",
        "--format",
        "--text-column",
        "--model",
        "--chunk-size",
        "--max-chars",
        "--restart",
        "--engine",
        "--ray-address",
        "--encoding",
    ):
        assert option in result.output
    assert "resumable" in result.output.lower()


def test_input_that_is_already_labelled_is_refused(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts[:3]), tmp_path / "in.csv")
    label(engine, tiny_model, source, tmp_path / "once.csv")
    with pytest.raises(BatchError, match="already has result column"):
        label(engine, tiny_model, tmp_path / "once.csv", tmp_path / "twice.csv")


# ------------------------------------------------------------------------------------------ bounded memory


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_readers_yield_chunks_of_the_requested_size(tmp_path, ext):
    frame = pd.DataFrame({"id": [str(i) for i in range(2500)], "texto": [f"queja número {i}" for i in range(2500)]})
    source = write_input(frame, tmp_path / f"in{ext}")
    fmt = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet", ".xlsx": "xlsx"}[ext]
    info = scan_input(source, fmt)
    assert info.columns == ["id", "texto"] and info.rows == 2500
    chunks = list(read_chunks(source, fmt, info.columns, 1000))
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    assert [c.index[0] for c in chunks] == [0, 1000, 2000]
    assert pd.concat(chunks)["texto"].tolist() == frame["texto"].tolist()


def _peak_bytes_while_reading(source: Path, fmt: str, chunk_size: int) -> tuple[int, int]:
    columns = scan_input(source, fmt).columns
    tracemalloc.start()
    try:
        seen = 0
        for chunk in read_chunks(source, fmt, columns, chunk_size):
            assert len(chunk) <= chunk_size
            seen += len(chunk)
        return tracemalloc.get_traced_memory()[1], seen
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".parquet"])
def test_readers_never_hold_the_whole_file(tmp_path, ext):
    peaks = {}
    for rows in (10_000, 40_000):
        frame = pd.DataFrame(
            {
                "id": [str(i) for i in range(rows)],
                "texto": [f"queja {i}: " + "el pedido llegó tarde y nadie contesta " * 5 for i in range(rows)],
            }
        )
        source = tmp_path / f"in{rows}{ext}"
        if ext == ".parquet":
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), source, row_group_size=1000)
        else:
            write_input(frame, source)
        peaks[rows], seen = _peak_bytes_while_reading(source, ext.lstrip("."), 200)
        assert seen == rows
    text_bytes = int(frame["texto"].str.len().sum())
    # Holding the file would cost more than its text (8 MB); chunked reading stays flat as the file grows 4x.
    assert peaks[40_000] < text_bytes / 3, peaks
    assert peaks[40_000] < 1.5 * peaks[10_000] + 256_000, peaks


def test_empty_input_gives_an_empty_output_with_all_columns(engine, tiny_model, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,texto\n")
    output = tmp_path / "out.csv"
    summary = label(engine, tiny_model, source, output)
    assert summary.rows == 0
    assert output.read_text().strip().split(",") == ["id", "texto"] + added_columns()


def test_summary_rates_are_finite(engine, tiny_model, texts, tmp_path):
    source = write_input(source_frame(texts[:4]), tmp_path / "in.csv")
    summary = label(engine, tiny_model, source, tmp_path / "out.csv")
    assert summary.seconds > 0 and math.isfinite(summary.rows_per_second) and summary.rows_per_second > 0


def test_engines_load_the_precision_asked_for(tiny_model):
    import torch

    from pipeline.batch import make_engine
    from pipeline.model import BFloat16Model, bf16_available

    if bf16_available(torch.device("cpu")):
        assert isinstance(make_engine("local", tiny_model, device="cpu", bf16=True).analyzer.model, BFloat16Model)
    assert not isinstance(make_engine("local", tiny_model, device="cpu").analyzer.model, BFloat16Model)
    with pytest.raises(BatchError, match="--batch-size"):
        make_engine("local", tiny_model, batch_size=0, bf16=True)
