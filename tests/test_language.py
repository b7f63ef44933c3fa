"""Language detection: Spanish in every style the corpus has stays Spanish; other languages are flagged."""

from __future__ import annotations

import pytest

from pipeline.language import detect_language

FOREIGN = [
    ("The parcel never arrived and nobody answers the phone, this is the worst service ever.", "en"),
    ("I was charged twice for the same order and I want my money back now.", "en"),
    ("A encomenda nunca chegou e ninguém atende o telefone, estou muito chateado.", "pt"),
    ("Fui cobrado duas vezes na fatura deste mês e ninguém me explica porquê.", "pt"),
    ("La comanda no ha arribat i ningú respon al telèfon, estic molt enfadat amb vosaltres.", "ca"),
    ("Le colis n'est jamais arrivé et personne ne répond au téléphone depuis une semaine.", "fr"),
    ("Il pacco non è mai arrivato e nessuno risponde al telefono da una settimana.", "it"),
    ("Das Paket ist nie angekommen und niemand geht ans Telefon, eine Frechheit.", "de"),
]


@pytest.mark.parametrize(("text", "code"), FOREIGN)
def test_other_languages_are_flagged(text, code):
    guess = detect_language(text)
    assert guess.code == code
    assert not guess.spanish
    assert guess.confidence >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "pedí la hamburguesa SIN cebolla, lo puse en las notas, soy alérgica. vino con cebolla",
        "el tecnico no vino!!! y nadie me llama",
        "Pésimo servicio.",
        "llevo 3 dias sin internet y nadie me dice nada, q onda con ustedes",
        "El tecnico no vino",
    ],
)
def test_informal_spanish_is_spanish(text):
    guess = detect_language(text)
    assert guess.spanish and guess.code == "es"


@pytest.mark.parametrize("text", ["12345", "!!!???", "\u200b", "📦📦📦"])
def test_text_without_letters_has_no_language(text):
    guess = detect_language(text)
    assert guess.code is None and not guess.spanish


def test_keyboard_noise_is_not_spanish():
    guess = detect_language("asdkj qwe zzxv plkj")
    assert not guess.spanish


def test_corpus_is_read_as_spanish(corpus_records):
    """The corpus is all Spanish (some es-US messages mix in English); at most 1% may be flagged."""
    flagged = [r.id for r in corpus_records if not detect_language(r.text).spanish]
    assert len(flagged) <= 0.01 * len(corpus_records), flagged[:10]
