"""A "delay" that is really a cancellation: the draft names what the customer lived through.

The taxonomy files a cancelled flight, trip, order or appointment under ``delay`` (the customer did not
get it when promised), but "el retraso de su vuelo" to someone whose flight was cancelled reads as if
nobody read the message. When the complaint says the company cancelled the thing, the cause's texts
say "la cancelación" instead; a customer who asks to cancel ("quiero la cancelación del pedido") is
still writing about a delay.
"""

from __future__ import annotations

import re

from pipeline.offsets import fold_mapped
from pipeline.policy import CausePolicy

# The things a company cancels, folded, and how the draft writes them.
_THINGS = {
    "vuelo": "vuelo", "viaje": "viaje", "pedido": "pedido", "cita": "cita", "reserva": "reserva", "tren": "tren",
    "bus": "bus", "clase": "clase", "turno": "turno", "consulta": "consulta", "evento": "evento", "orden": "orden",
    "compra": "compra", "envio": "envío", "excursion": "excursión", "tour": "tour", "funcion": "función",
    "concierto": "concierto", "cirugia": "cirugía", "operacion": "operación", "vacunacion": "vacunación",
}  # fmt: skip
_THING = rf"(?P<thing>{'|'.join(_THINGS)})(?:e?s)?"
_CANCELLED = re.compile(
    r"\b(?:cancelaron|(?:me|nos|le|les|lo|la|los|las) (?:han |habian |ha )?cancel(?:aron|ado|ada|ados|adas)\b|"
    r"se (?:han |habia |ha )?cancel\w*|"
    r"cancelo (?:el|la|los|las|mi|mis|nuestro|nuestra|su|sus)\b|"
    r"(?:fue|fueron|ha sido|han sido|esta|estaba|estan|quedo|quedaba|quedaron|salio|aparece|aparecia|figura) "
    r"cancelad\w*|"
    rf"{_THING} (?:\w+ ){{0,3}}cancelad\w*|cancelad\w* (?:\w+ ){{0,2}}{_THING.replace('thing', 'thing2')}|"
    r"cancelacion (?:de |del )(?:(?:mi|mis|nuestro|nuestra|su|sus|el|la|los|las) )?"
    rf"{_THING.replace('thing', 'thing3')})\b"
)
_NEAR_THING = re.compile(rf"\b{_THING}\b")
# The customer asks for the cancellation: their words are a request, not what happened.
_ASKED = re.compile(
    r"\b(?:quiero|quisiera|queria|solicito|solicite|pido|pedi|exijo|necesito|tramitar|tramite|hacer|para|voy a|"
    r"prefiero|me gustaria|puedo|pueden|podrian|si)\b[^.!?\n]{0,25}$"
)
_DELAY_WORDS = (
    (r"\bun retraso\b", "una cancelación"),
    (r"\bdel retraso\b", "de la cancelación"),
    (r"\bal retraso\b", "a la cancelación"),
    (r"\bel retraso\b", "la cancelación"),
    (r"\bretraso\b", "cancelación"),
    (r"\buna espera así\b", "una cancelación así"),
)


def cancelled_thing(complaint: str | None) -> str | None:
    """What the company cancelled, as the draft writes it ("vuelo"); "" when cancelled but unnamed; None if not."""
    folded = fold_mapped(complaint or "").text
    for m in _CANCELLED.finditer(folded):
        if _ASKED.search(folded[: m.start()]):
            continue
        named = next((g for g in (m.group("thing"), m.group("thing2"), m.group("thing3")) if g), None)
        if not named:  # "nos cancelaron el vuelo": the thing follows, or precedes, in the same sentence
            start = max(folded.rfind(".", 0, m.start()), 0)
            end = folded.find(".", m.end())
            near = _NEAR_THING.search(folded, m.end(), end if end >= 0 else len(folded))
            near = near or _NEAR_THING.search(folded, start, m.start())
            named = near.group("thing") if near else None
        return _THINGS[named] if named else ""
    return None


def cancelled(complaint: str | None) -> bool:
    """The complaint says the company cancelled the thing (not that the customer wants to cancel it)."""
    return cancelled_thing(complaint) is not None


def _reword(text: str | None) -> str | None:
    if text is None or re.search(r"\bretraso en\b", text):  # "el retraso en la reparación": another case
        return text
    for pattern, replacement in _DELAY_WORDS:
        text = re.sub(pattern, replacement, text)
    return text


def cancellation_wording(text: str, complaint: str | None) -> str:
    """A text about the delay (a remedy: "si el retraso da derecho a compensación") as the cancellation it was."""
    return (_reword(text) or text) if cancelled(complaint) else text


def as_cancellation(rule: CausePolicy, cause_id: str, complaint: str | None) -> CausePolicy:
    """The delay cause as the cancellation the complaint tells of: "la cancelación de {su} vuelo", not "el retraso".

    The issue names the cancelled thing in the customer's word ("cita", "pedido"), else the sector's thing.
    """
    thing = cancelled_thing(complaint) if cause_id == "delay" else None
    if thing is None:
        return rule
    issue = f"la cancelación de {{su}} {thing}" if thing else "la cancelación de {item}"
    return rule.model_copy(
        update={
            "issue": issue,
            "issue_fact": None,
            "apology": _reword(rule.apology),
            "steps": [_reword(step) or step for step in rule.steps],
            "chat": _reword(rule.chat),
        }
    )


__all__ = ["as_cancellation", "cancellation_wording", "cancelled", "cancelled_thing"]
