"""Choosing what to label: uncertainty from the threshold margin, and a pick that is uncertain and varied."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analyzer import Analyzer
from pipeline.confidence import set_margins, uncertainty
from pipeline.sampling import pick_for_labelling, sample_texts


def test_uncertainty_is_one_on_a_threshold_and_falls_with_distance():
    cuts = np.array([0.5, 0.3])
    probs = np.array(
        [
            [0.5, 0.0],  # the first cause sits on its threshold
            [0.7, 0.05],  # both decisions fairly clear
            [1.0, 0.0],  # as clear as can be
        ]
    )
    scores = uncertainty(probs, cuts)
    assert scores[0] == pytest.approx(1.0)
    assert scores[2] == pytest.approx(0.0)
    assert 0.0 < scores[1] < 1.0
    np.testing.assert_allclose(scores, 1.0 - set_margins(probs, cuts))


def clusters(rng: np.random.Generator, centres: int, per_centre: int, dim: int = 8) -> np.ndarray:
    centre_vectors = rng.normal(size=(centres, dim))
    points = np.repeat(centre_vectors, per_centre, axis=0) + 0.01 * rng.normal(size=(centres * per_centre, dim))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def test_pick_spreads_over_clusters_instead_of_near_duplicates():
    rng = np.random.default_rng(0)
    embeddings = clusters(rng, centres=3, per_centre=10)
    # The first cluster is the most uncertain: a pure uncertainty pick would take three of its near-copies.
    scores = np.concatenate([np.full(10, 0.95), np.full(10, 0.9), np.full(10, 0.85)]) + rng.uniform(0, 0.01, 30)
    picked = pick_for_labelling(scores, embeddings, n=3, pool_factor=10)
    assert picked[0] == int(np.argmax(scores))
    assert sorted(i // 10 for i in picked) == [0, 1, 2]
    assert len(set(picked.tolist())) == 3


def test_certain_rows_are_left_out_when_the_pool_is_large_enough():
    rng = np.random.default_rng(1)
    embeddings = clusters(rng, centres=20, per_centre=2)
    scores = np.where(np.arange(40) < 20, 0.9, 0.05)  # rows 20.. are certain, however different they are
    picked = pick_for_labelling(scores, embeddings, n=4, pool_factor=5)
    assert all(i < 20 for i in picked)


def test_without_embeddings_or_with_n_above_the_rows_the_most_uncertain_come_first():
    scores = np.array([0.1, 0.8, 0.5, 0.8])
    assert pick_for_labelling(scores, None, n=2).tolist() == [1, 3]
    assert pick_for_labelling(scores, np.eye(4), n=10).tolist() == [1, 3, 2, 0]
    with pytest.raises(ValueError):
        pick_for_labelling(scores, None, n=0)


def test_sample_texts_reads_the_model_once_and_picks_distinct_rows(tiny_model, corpus_records):
    texts = [r.text for r in corpus_records[:30]]
    analyzer = Analyzer.load(tiny_model, device="cpu")
    picked, scores = sample_texts(analyzer, texts, n=5)
    assert len(set(picked.tolist())) == 5 and len(scores) == 30
    probs = analyzer.probabilities(texts)
    np.testing.assert_allclose(scores, 1.0 - set_margins(probs.causes, analyzer.cause_cut), atol=1e-6)
    assert scores[picked[0]] == scores.max()


def test_quejas_sample_writes_the_picked_rows_ready_for_extra_data(tiny_model, corpus_records, tmp_path):
    """The sample keeps the picked rows' own columns, adds the labeller's columns, and reads back as own data."""
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.own_data import read_own_file
    from pipeline.spreadsheet_safety import escape_cell

    texts = [r.text for r in corpus_records[:12]]
    source = tmp_path / "quejas.csv"
    pd.DataFrame({"id_caso": range(12), "texto": texts[:11] + ["   "]}).to_csv(source, index=False)
    output = tmp_path / "muestra.csv"
    result = CliRunner().invoke(
        app, ["sample", str(source), "-n", "4", "-o", str(output), "--model", str(tiny_model), "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    picked = pd.read_csv(output, keep_default_na=False)
    assert len(picked) == 4 and picked["id_caso"].nunique() == 4
    assert 11 not in set(picked["id_caso"])  # the blank text is never offered for labelling
    analyzer = Analyzer.load(tiny_model, device="cpu")
    scores = uncertainty(analyzer.probabilities(texts[:11]).causes, analyzer.cause_cut)
    assert picked["id_caso"][0] == int(np.argmax(scores))  # the most uncertain row comes first
    for row in picked.itertuples():
        assert row.texto == escape_cell(texts[row.id_caso])  # CSV cells are escaped as `quejas label` escapes them
        expected = ";".join(analyzer.analyze_one(row.texto).cause_ids)
        assert row.causes == expected and row.sentiment == ""
    records = read_own_file(output)
    assert len(records) == 4


def test_quejas_sample_refuses_a_file_that_already_has_label_columns(tiny_model, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    source = tmp_path / "quejas.csv"
    pd.DataFrame({"texto": ["El pedido no llega y nadie contesta."], "causes": ["delay"]}).to_csv(source, index=False)
    result = CliRunner().invoke(app, ["sample", str(source), "-o", str(tmp_path / "m.csv"), "--model", str(tiny_model)])
    assert result.exit_code == 1 and "already has the column(s) causes" in result.output
