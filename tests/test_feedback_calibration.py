"""The correction memory learns what a company's corrections teach in general, not only near-identical texts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_feedback_api import classify, correction_for, make_client
from test_serve import wait_ready

from pipeline.errors import ConfigurationError
from pipeline.feedback.calibration import CompanyCalibration, margins
from pipeline.feedback.memory import CorrectionMemory, model_key
from pipeline.feedback.models import Correction, PredictedCause, Prediction
from pipeline.feedback.store import FeedbackStore

DISHES = ["la paella", "el arroz negro", "el pescado frito", "la carne", "las croquetas", "el gazpacho"]
FAULTS = ["llegó fría", "estaba quemado", "sabía rancio", "vino crudo"]
PLACES = ["en la terraza", "el sábado por la noche"]
NEW_KIND = [f"Cenamos {p} y {d} {f}; no volveremos." for d, f, p in itertools.product(DISHES, FAULTS, PLACES)]
RELATED = "Fuimos a comer con la familia y el cordero estaba seco y la ensalada pasada, una pena de restaurante."


def store_corrections(store: FeedbackStore, analyzer, texts: list[str], causes: list[str]) -> None:
    for text in texts:
        prediction = Prediction(model=analyzer.info, causes=[PredictedCause(id=causes[0], score=0.1)])
        store.add(Correction(text=text, prediction=prediction, causes=causes, sentiment="negative"))


def memory_for(store: FeedbackStore, analyzer, **options) -> CorrectionMemory:
    return CorrectionMemory(
        store,
        model_key(analyzer.config),
        analyzer.config.causes,
        analyzer.embeddings,
        model_causes=lambda texts: analyzer.probabilities(texts, memory=False).causes,
        cause_cut=analyzer.cause_cut,
        **options,
    )


@pytest.fixture(scope="module")
def new_cause(analyzer) -> str:
    """The cause the tiny model is least inclined to give these complaints: what the company says they are."""
    probs = analyzer.probabilities(NEW_KIND + [RELATED], memory=False).causes
    return analyzer.config.causes[int(np.argmin(margins(probs, analyzer.cause_cut).mean(axis=0)))]


def floors(analyzer) -> dict[str, float]:
    """A calibration floor under the related text's likeness to the corrections, and an override floor above
    its closest one: the tiny model puts all texts close together, so the floors are set from its cosines."""
    vectors = analyzer.embeddings(NEW_KIND + [RELATED])
    similarity = np.sort(vectors[:-1] @ vectors[-1])[::-1]
    assert similarity[0] < 0.9999, "the tiny model cannot tell the related complaint from the corrections"
    return {
        "calibration_floor": float(similarity[:5].mean()) - 0.25,
        "min_similarity": (float(similarity[0]) + 1.0) / 2,
        "full_similarity": 1.0,
    }


def test_corrections_of_a_new_kind_move_an_unseen_related_complaint(analyzer, new_cause, tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}", mask=False)
    store_corrections(store, analyzer, NEW_KIND, [new_cause])
    memory = memory_for(store, analyzer, **floors(analyzer))
    j = analyzer.config.causes.index(new_cause)
    before = analyzer.probabilities([RELATED], memory=False)
    after = memory.adjust(before.causes, before.embeddings)
    assert memory.calibration is not None and memory.calibration.moves
    assert before.causes[0, j] < analyzer.cause_cut[j] <= after[0, j]  # now predicted, with no near-identical text
    store.close()


def test_few_corrections_leave_the_model_alone(analyzer, new_cause, tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}", mask=False)
    store_corrections(store, analyzer, NEW_KIND[:5], [new_cause])
    memory = memory_for(store, analyzer, **floors(analyzer))
    before = analyzer.probabilities([RELATED], memory=False)
    after = memory.adjust(before.causes, before.embeddings)
    assert len(memory) == 5 and memory.calibration is None
    np.testing.assert_array_equal(after, before.causes)
    store.close()


def test_a_restart_refits_from_the_store_without_the_model(analyzer, new_cause, tmp_path):
    """The model's probabilities for each correction are kept beside its vector: a second worker reads them."""
    url = f"sqlite:///{tmp_path / 'f.db'}"
    store = FeedbackStore(url, mask=False)
    store_corrections(store, analyzer, NEW_KIND, [new_cause])
    memory_for(store, analyzer).sync()

    def no_model(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"{len(texts)} corrections read by the model again")

    second = CorrectionMemory(
        FeedbackStore(url, mask=False),
        model_key(analyzer.config),
        analyzer.config.causes,
        no_model,
        model_causes=no_model,
        cause_cut=analyzer.cause_cut,
    )
    second.sync()
    assert second.calibration is not None and len(second) == len(NEW_KIND)
    store.close()


def test_calibration_is_gated_by_likeness_and_stays_put_when_the_model_agrees():
    rng = np.random.default_rng(0)
    cut = np.array([0.5, 0.5])
    vectors = rng.normal(size=(60, 8)) + np.eye(8)[0] * 6
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = np.stack([np.ones(60), rng.random(60) < 0.5], axis=1).astype(float)
    under = np.stack([np.full(60, 0.3), np.where(labels[:, 1] > 0, 0.8, 0.2)], axis=1)  # cause 0 always missed
    calibration = CompanyCalibration.fit(vectors, under, labels, cut, gate_floor=0.5)
    like, unlike = vectors[:1], np.eye(8)[1:2]
    assert calibration.adjust(np.array([[0.3, 0.2]]), like, cut)[0, 0] > 0.5
    np.testing.assert_array_equal(calibration.adjust(np.array([[0.3, 0.2]]), unlike, cut), [[0.3, 0.2]])
    agreeing = np.where(labels > 0, 0.9, 0.1)
    assert not CompanyCalibration.fit(vectors, agreeing, labels, cut, gate_floor=0.5).moves


def test_calibration_needs_both_probabilities_and_thresholds(analyzer, tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}", mask=False)
    with pytest.raises(ConfigurationError):
        CorrectionMemory(
            store, "k", analyzer.config.causes, analyzer.embeddings, model_causes=lambda t: np.zeros((len(t), 1))
        )
    store.close()


@pytest.mark.parametrize("calibrate", [True, False])
def test_the_service_fits_the_calibration_from_posted_corrections_unless_told_not_to(
    tiny_model, analyzer, new_cause, tmp_path, calibrate
):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    with make_client(
        tiny_model, analyzer, url, feedback_memory_min_corrections=3, feedback_memory_calibrate=calibrate
    ) as client:
        wait_ready(client)
        for text in NEW_KIND[:4]:
            analysis = classify(client, text)
            assert client.post("/v1/feedback", json=correction_for(analysis, text, [new_cause])).status_code == 201
        classify(client, RELATED)  # the memory takes the corrections in before this analysis
        memory = analyzer.memory
        assert memory is not None and len(memory) == 4
        assert (memory.calibration is not None) is calibrate
