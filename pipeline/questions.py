"""The customer's own questions, quoted for the agent, and the situation they ask from.

Only the company knows the answer to "¿necesito certificado médico para la insulina?", and a draft
that promises the answer for next week reads as a holding e-mail. So the draft answers now through
a visible placeholder that quotes each question in the customer's words
(``[RESPUESTA: ¿...? ¿...?]``); the agent writes the answer in its place. Nothing is invented: the
draft never states an answer itself. Rhetorical questions ("¿es en serio?") are not questions to
answer and are left out.
"""

from __future__ import annotations

import re

from pipeline.entities.speakers import line_kind
from pipeline.folding import fold
from pipeline.offsets import fold_mapped
from pipeline.text import sentence_spans

MAX_QUESTIONS = 3
MAX_QUESTION_WORDS = 20

# Questions that ask nothing: indignation, a call into the void ("¿hay alguien ahí?"), disbelief ("¿es una
# broma?", "¿me están tomando el pelo?"), or the speaker's own exclamation. Checked after the greeting is
# cut, so "hola, ¿hay alguien?" is rhetoric while "hola, ¿a qué hora es el check-in?" is asked.
_RHETORICAL = re.compile(
    r"^(?:y\s+)?(?:(?:hay|habra|queda) (?:alguien|alguno|nadie)|alguien (?:me )?(?:lee|escucha|contesta|responde)|"
    r"(?:esto )?es (?:una )?(?:broma|chiste|joda|burla|cachondeo)|(?:es|esto es) (?:normal|serio|legal)|"
    r"(?:me|nos) (?:estan|estais|esta|andan|van a seguir) (?:tomando el pelo|vacilando|jodiendo|viendo la cara|"
    r"bromeando|cargando)|(?:me|nos) (?:toman|ven|creen|tienen) (?:el pelo|la cara|por|de)|"
    r"(?:que|en que) (?:pais|mundo) vivimos|que verguenza|"
    r"es en serio|en serio|neta|de verdad|como es posible|como puede ser|les parece|te parece|le parece|"
    r"os parece|que clase|que tipo de|hasta cuando|es normal|es logico|es justo|a quien|que les pasa|nadie|alguien|"
    r"me explico|entienden|se dan cuenta|para que|acaso|que mas|cuantas veces|es mucho pedir|"
    r"tan dificil|tanto cuesta|es broma|no les da verguenza|donde esta la|que hago|hola|aja|ok|si|no|otra vez|"
    r"cual respuesta|de que sirve|y ahora que|donde quedo|quien me devuelve|quien responde|que esperan|que se creen)\b"
)
# Inside a complaint most questions are indignation ("¿es un cuatro estrellas?"); one that asks for
# information asks how, when, where, whether it can or must, or for something to be done.
_SEEKS = re.compile(
    r"\b(?:puedo|puede|pueden|podria|podrian|se puede|hay|tengo que|tiene que|tienen que|debo|debe|deben|necesito|"
    r"necesita|es posible|cuando|como|donde|cuant\w*|cual(?:es)?|que (?:tengo|debo|hago|necesito|pasa con)|incluye|"
    r"que (?:hora|dia|horario|plazo)|"
    r"aceptan|se paga|hacen|ofrecen|existe|me (?:dicen|confirman|mandan|envian|devuelven|pueden))\b"
)
_ASKS = re.compile(
    r"\b(?:quiero|quisiera|queria|me gustaria|necesito|deseo) (?:saber|consultar|preguntar)(?: si)? "
    r"(?P<q>[^.!?;\n]{6,})"
)
# A greeting or a call for attention before the question ("hola, a qué hora es el check-in?", "che, saben
# algo?"): not part of what is asked, and "hola" alone reads as no question at all.
_OPENER = re.compile(
    r"^(?:(?:hola|holi|buenas(?: tardes| noches)?|buenos dias|buen dia|que tal|oye|oiga|oigan|che|mira|miren|"
    r"disculpe|disculpen|perdon|una consulta|una pregunta|consulta|pregunta)\b[\s,.:;!¡]*)+",
    re.IGNORECASE,
)
_SITUATION = re.compile(r"^(?:mi|mis) \w+(?: \w+)? (?:es|esta|tiene|viaja|viajara|va|ira|necesita|sufre|usa|toma)\b")
_FIRST_PERSON = re.compile(r"\b(?:yo|me|mi|mis|tengo|estoy|soy|voy|quiero|necesito|puedo)\b")


def _clean(question: str, strict: bool) -> str | None:
    question = re.sub(r"\s+", " ", question).strip(" ¿?¡!.,;:")
    folded = fold_mapped(question)
    opener = _OPENER.match(folded.text)
    if opener and opener.end() < len(folded.text):
        question = question[folded.original(opener.end(), opener.end())[0] :]
    question = re.sub(r"^(?:y|e|o|pero|entonces|bueno)\s+", "", question, flags=re.IGNORECASE)
    words = question.split()
    # A run-on sentence that ends in "?" is a story, not a question to quote.
    if not 3 <= len(words) <= MAX_QUESTION_WORDS or _RHETORICAL.match(fold(question)):
        return None
    if strict and not _SEEKS.search(fold(question)):
        return None
    return f"¿{question[:1].lower()}{question[1:]}?"


def customer_questions(text: str | None, strict: bool = False) -> list[str]:
    """The questions the customer asks, in their words and in order, at most ``MAX_QUESTIONS``.

    ``strict`` (inside a complaint) keeps only questions that ask for information or an action.
    """
    if not text:
        return []
    found: list[tuple[int, str]] = []
    for m in re.finditer(r"¿([^¿?]+)\?+", text):
        found.append((m.start(), m.group(1)))
    for start, end in sentence_spans(text):  # "¿" is often left out: "me dicen algo?"
        sentence = text[start:end]
        if sentence.rstrip().endswith("?") and "¿" not in sentence:
            found.append((start, sentence))
    folded = fold_mapped(text)
    for m in _ASKS.finditer(folded.text):
        start, end = folded.original(*m.span("q"))
        found.append((start, text[start:end]))
    out: list[str] = []
    for start, raw in sorted(found):
        if line_kind(text, start) == "staff":  # in a call transcript, the agent's questions are not the customer's
            continue
        question = _clean(raw, strict)
        if question and fold(question) not in {fold(q) for q in out}:
            out.append(question)
    return out[:MAX_QUESTIONS]


def situation(text: str | None, tone: str = "usted") -> str | None:
    """What the customer tells about someone of theirs before asking ("su hijo es diabético y viajará con insulina").

    Only a sentence about "mi/mis ..." in the third person, which reads right once "mi" becomes "su";
    anything in the first person would need rewriting and is left to the agent.
    """
    if not text:
        return None
    possessive = "tu" if tone == "tú" else "su"
    for start, end in sentence_spans(text):
        sentence = text[start:end].rstrip(" ¿¡").strip().rstrip(".")  # the splitter leaves "¿" on the sentence before
        if "?" in sentence:
            continue
        folded = fold(sentence)
        if not _SITUATION.match(folded) or len(sentence.split()) > 20:
            continue
        rest = folded.split(maxsplit=1)[1] if " " in folded else ""
        if _FIRST_PERSON.search(rest):
            continue
        first, remainder = sentence.split(maxsplit=1)
        return f"{possessive}{'s' if fold(first) == 'mis' else ''} {remainder}"
    return None


def questions_placeholder(questions: list[str]) -> str:
    """``[RESPUESTA: ¿...? ¿...?]``: the agent answers each quoted question in its place."""
    return f"[RESPUESTA: {' '.join(questions)}]" if questions else ""


__all__ = ["customer_questions", "questions_placeholder", "situation"]
