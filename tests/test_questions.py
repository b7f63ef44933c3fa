"""The customer's questions as the draft quotes them (pipeline/questions.py): every one, whole, in their words."""

from __future__ import annotations

import datetime as dt

from pipeline.policy import PRESETS_DIR, load_policy
from pipeline.questions import customer_questions
from pipeline.reply import analysis_from_causes, draft_reply


def test_a_greeting_before_the_first_question_does_not_drop_it():
    text = "hola, a qué hora abre la piscina? vamos a llegar a las 8 con los niños, nos pueden guardar la sillita?"
    assert customer_questions(text) == [
        "¿a qué hora abre la piscina?",
        "¿vamos a llegar a las 8 con los niños, nos pueden guardar la sillita?",
    ]
    assert customer_questions("Buenas tardes, ¿hasta qué hora atienden el sábado?", strict=True) == [
        "¿hasta qué hora atienden el sábado?"
    ]
    assert customer_questions("oye, ya volvió la luz en Palermo, saben algo?") == [
        "¿ya volvió la luz en Palermo, saben algo?"
    ]
    assert customer_questions("Hola?") == []


def test_the_chat_placeholder_quotes_both_questions_of_a_greeting_message():
    text = "hola, a qué hora es la entrada? llegamos como a las 10, nos pueden guardar el equipaje?"
    policy = load_policy(PRESETS_DIR / "hotels.yaml")
    draft = draft_reply(
        analysis_from_causes([]), policy, channel="chat", today=dt.date(2024, 3, 1), complaint_text=text
    )
    assert "¿a qué hora es la entrada?" in draft.body
    assert "¿llegamos como a las 10, nos pueden guardar el equipaje?" in draft.body


def test_rhetorical_questions_after_a_greeting_or_a_story_are_not_quoted():
    for text in (
        "mandé dos correos y nada. hola?? hay alguien ahí??",
        "Hola, ¿hay alguien al otro lado?",
        "Tres semanas esperando el reembolso, ¿es una broma?",
        "buenas, me están tomando el pelo? llevo un mes igual",
        "¿Esto es normal? Me cobraron dos veces",
        "Oigan, ¿para qué publican un teléfono si nadie lo coge?",
        "¿Cómo es posible que nadie conteste?",
        "y encima me cortan la luz, ¿es en serio?",
    ):
        assert customer_questions(text) == [], text
    assert customer_questions("hola, hay wifi en las habitaciones?") == ["¿hay wifi en las habitaciones?"]
    assert customer_questions("hola, a qué hora es el check-in?") == ["¿a qué hora es el check-in?"]
