"""Cue phrases of the labeling guide: what they match, where, and that they keep to the corpus labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.analyzer import Analyzer
from pipeline.cues import cue_matrix, find_cues, fold, raise_cued_risks
from pipeline.data import read_splits
from pipeline.taxonomy import RISK_IDS, TAXONOMY, _parse

LEGAL = RISK_IDS.index("legal")


def test_fold_keeps_one_character_for_one():
    text = "PEDIRÉ la Hoja de Reclamaciones, señor Íñigo"
    assert len(fold(text)) == len(text)
    assert fold(text) == "pedire la hoja de reclamaciones, senor inigo"


def test_decomposed_accents_match_and_the_span_keeps_them():
    text = "Ire\u0301 por la vi\u0301a judicial si no me devuelven el dinero."
    legal = find_cues(text)[0]
    assert legal.text == "vi\u0301a judicial" == text[legal.start : legal.end]
    assert fold(text).startswith("ire por la via judicial")


@pytest.mark.parametrize(
    ("text", "risk", "phrase"),
    [
        ("Pediré la Hoja de Reclamaciones.", "legal", "Hoja de Reclamaciones"),
        ("Si no me lo arreglan, os denuncio en Consumo.", "legal", "os denuncio"),
        ("Lo próximo es mi abogado.", "legal", "mi abogado"),
        ("ya puse la queja en PROFECO", "legal", "PROFECO"),
        ("Voy a demandarlos por daños.", "legal", "demandarlos"),
        ("Iniciaré acciones legales.", "legal", "acciones legales"),
        ("Esto lo publico en Facebook con fotos.", "public", "publico en Facebook"),
        ("Si no me contestan lo subo a TikTok.", "public", "subo a TikTok"),
        ("Mañana voy a llamar a la tele.", "public", "voy a llamar a la tele"),
        ("Les pondré una reseña pésima.", "public", "reseña pésima"),
    ],
)
def test_guide_phrases_raise_their_signal_with_their_position(text, risk, phrase):
    matches = find_cues(text)
    assert matches and {m.risk for m in matches} == {risk}
    first = matches[0]
    assert first.text == phrase
    assert text[first.start : first.end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "Soy abogado y trabajo desde casa, necesito internet estable.",
        "Por la alta demanda, su pedido saldrá la semana que viene.",
        "El consumo de datos de este mes no puede ser real.",
        "A mi juicio, el servicio empeoró mucho.",
        "Hice la denuncia policial del robo y necesito un chip nuevo.",
        "Abrí una reclamación en la web, número 4452, y nadie contesta.",
        "Me cobraron dos veces; si no me devuelven el dinero me doy de baja.",
        "Les escribí por Instagram y nadie contesta.",
        "Vi la oferta en Facebook y al pagar era otro precio.",
        "Tengo un cuadro viral y no puedo ir a recoger el paquete.",
    ],
)
def test_lookalikes_raise_nothing(text):
    assert find_cues(text) == []


def test_cues_only_raise_their_own_column():
    texts = ["nada que ver", "lo llevo a la OMIC", "mi abogado ya lo sabe"]
    risk = np.full((3, len(RISK_IDS)), 0.2, dtype=np.float32)
    raised = raise_cued_risks(risk, texts, RISK_IDS)
    assert raised[:, LEGAL].tolist() == [pytest.approx(0.2), 1.0, 1.0]
    others = [j for j in range(len(RISK_IDS)) if j != LEGAL]
    assert np.array_equal(raised[:, others], risk[:, others])
    assert cue_matrix(texts, ["public", "legal"])[:, 1].tolist() == [0.0, 1.0, 1.0]


def test_a_broken_cue_is_refused_when_the_taxonomy_loads():
    raw = {
        "causes": [],
        "risks": [{"id": "legal", "display": "L", "description": "d", "cues": ["(abogado"]}],
        "groups": {},
        "sentiments": {},
    }
    with pytest.raises(ValueError, match="not a valid regular expression"):
        _parse(raw)


def test_every_cue_agrees_with_the_training_labels(corpus_records):
    """A cue overrides the model, so each one must be the label nearly every time it occurs in training data."""
    train = set(read_splits()["train"])
    records = [r for r in corpus_records if r.id in train]
    for risk in TAXONOMY.risks:
        for cue in risk.cues:
            pattern = re.compile(cue)
            hits = [r for r in records if pattern.search(fold(r.text))]
            agreeing = sum(bool(getattr(r.risk, risk.id)) for r in hits)
            assert agreeing >= 0.95 * len(hits), f"{cue!r}: {agreeing} of {len(hits)} training matches are {risk.id}"


def test_analysis_shows_the_cue_and_raises_the_flag(tiny_model):
    text = "Me cobraron dos veces la cuota. Pediré la hoja de reclamaciones."
    with_cues = Analyzer.load(tiny_model, device="cpu").analyze([text], entities=False)[0]
    assert with_cues.risk.legal and with_cues.risk.scores.legal == 1.0
    assert [(c.risk, c.text, text[c.start : c.end]) for c in with_cues.risk.cues] == [
        ("legal", "hoja de reclamaciones", "hoja de reclamaciones")
    ]
    model_only = Analyzer.load(tiny_model, device="cpu", cues=False)
    alone = model_only.analyze([text], entities=False)[0]
    assert alone.risk.cues == []
    assert alone.risk.scores.legal == pytest.approx(float(model_only.probabilities([text]).risk[0, LEGAL]))


CHALLENGES = sorted((Path(__file__).resolve().parents[1] / "data" / "challenge").glob("*.jsonl"))
# Cue precision and recall on each challenge set, as measured when the cues were written, less a margin:
# a looser or broken cue shows up here before it reaches users.
CUE_FLOORS = {"legal": (0.85, 0.70), "public": (0.80, 0.28)}


def load_challenge(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_signal_with_cues_has_a_challenge_set():
    assert {p.stem for p in CHALLENGES} == {r.id for r in TAXONOMY.risks if r.cues} == set(CUE_FLOORS)


@pytest.mark.parametrize("path", CHALLENGES, ids=lambda p: p.stem)
def test_challenge_set_is_well_formed_and_apart_from_the_corpus(path, corpus_records):
    risk, rows = path.stem, load_challenge(path)
    assert all(set(r) == {"id", "text", risk, "variety", "kind"} and isinstance(r[risk], bool) for r in rows)
    assert len({r["id"] for r in rows}) == len(rows) == len({r["text"] for r in rows})
    assert sum(r[risk] for r in rows) == len(rows) // 2
    corpus_texts = {fold(r.text).strip() for r in corpus_records}
    assert not [r["id"] for r in rows if fold(r["text"]).strip() in corpus_texts]


@pytest.mark.parametrize("path", CHALLENGES, ids=lambda p: p.stem)
def test_cues_on_the_challenge_sets_stay_precise(path):
    risk, rows = path.stem, load_challenge(path)
    flagged = cue_matrix([r["text"] for r in rows], RISK_IDS)[:, RISK_IDS.index(risk)] > 0
    gold = np.array([r[risk] for r in rows])
    true_positives = int((flagged & gold).sum())
    min_precision, min_recall = CUE_FLOORS[risk]
    assert true_positives / flagged.sum() >= min_precision
    assert true_positives / gold.sum() >= min_recall
