"""Normalisation and the shared spaCy pipeline (sentences)."""

from __future__ import annotations

from pipeline.text import nlp, normalise, sentence_spans


def test_normalise_composes_and_tidies_whitespace():
    raw = "  Hola\u00a0\u00a0 mundo\r\n\r\n\r\n\tcafe\u0301  \u200b"
    assert normalise(raw) == "Hola mundo\n\ncafé"


def test_pipeline_is_built_once_and_splits_sentences():
    assert nlp() is nlp()
    text = "Hola, Sr. Pérez. Le escribo por su pedido.\nUn saludo"
    expected = ["Hola, Sr. Pérez.", "Le escribo por su pedido.", "Un saludo"]
    assert [text[s:e] for s, e in sentence_spans(text)] == expected
