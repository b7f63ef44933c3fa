"""`quejas label --engine ray`: Ray Data actors running the same Analyzer give the local engine's output."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from pipeline.batch import parts_folder
from pipeline.cli import app

ray = pytest.importorskip("ray")
runner = CliRunner()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own deprecated settings
def test_ray_engine_gives_the_same_rows_as_the_local_engine(tiny_model, corpus_records, tmp_path):
    texts = [r.text for r in corpus_records[:57]]
    texts[7] = "   "  # a bad row: same error, same place
    frame = pd.DataFrame(
        {"id": [f"{i:03d}" for i in range(len(texts))], "comentario": texts, "canal": ["email"] * len(texts)}
    )
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    common = ["--model", str(tiny_model), "--device", "cpu", "--chunk-size", "10", "--no-progress"]

    # Each actor runs torch with one thread (one CPU each); a different thread count changes float sums in the
    # last bit, so the local reference uses one thread too and the two files can be compared byte for byte.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = runner.invoke(app, ["label", str(source), "-o", str(tmp_path / "local.jsonl"), *common])
    finally:
        torch.set_num_threads(threads)
    assert local.exit_code == 0, local.output
    # Two actors with one CPU each on a 2-CPU local instance; a window of 3 chunks makes two Ray Datasets.
    remote = runner.invoke(
        app,
        [
            "label",
            str(source),
            "-o",
            str(tmp_path / "ray.jsonl"),
            *common,
            "--engine",
            "ray",
            "--ray-num-cpus",
            "2",
            "--ray-actors",
            "2",
            "--ray-cpus-per-actor",
            "1",
            "--ray-window",
            "3",
        ],
    )
    assert remote.exit_code == 0, remote.output
    assert "ray" in remote.output
    assert not ray.is_initialized()  # the engine shuts down the instance it started

    local_rows = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text().splitlines()]
    ray_rows = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    assert [r["id"] for r in ray_rows] == frame["id"].tolist()
    assert ray_rows[7]["error"] == "empty" and ray_rows[7]["causes"] is None
    labels = ["causes", "primary_cause", "group", "sentiment", "risk_churn", "risk_legal", "risk_public", "entities"]
    assert [{k: r[k] for k in labels} for r in ray_rows] == [{k: r[k] for k in labels} for r in local_rows]
    for ray_row, local_row in zip(ray_rows, local_rows):
        assert ray_row["score_delay"] == pytest.approx(local_row["score_delay"], abs=1e-6)
    # Same chunks go through the same forward passes with the same thread count, so even the floats agree.
    assert ray_rows == local_rows
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert not parts_folder(tmp_path / "ray.jsonl").exists()
