"""Actions an agent can confirm as already done, and what the customer asked for.

A draft may only say in the past tense what someone actually did. The caller of `draft_reply`
(``--done`` on the CLI, ``done_actions`` in the API, checkboxes on the page) names the actions that
were done; everything else is written as a commitment. The review uses the same catalogue to tell a
confirmed past-tense sentence from an invented one: each action lists the participles that report
it ("anulado", "reembolsado"...), so "Hemos anulado el cargo" passes only with ``charge_cancelled``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DoneAction:
    id: str
    label: str  # Spanish, for the page's checkboxes and the CLI's help
    participles: str  # regex over folded (lower case, no accents) participles that report this action


DONE_ACTIONS: dict[str, DoneAction] = {
    a.id: a
    for a in (
        DoneAction(
            "refund_issued",
            "Reembolso tramitado",
            r"(?:reembols|devuel|abonad|reintegrad|tramitad|emitid|salid|reversad)\w*",
        ),
        DoneAction("charge_cancelled", "Cargo anulado", r"(?:anulad|cancelad|retirad|suprimid|eliminad)\w*"),
        DoneAction(
            "visit_booked",
            "Visita o cita reservada",
            r"(?:reservad|(?:re)?programad|(?:re)?agendad|citad|asignad|fijad)\w*",
        ),
        DoneAction("replacement_sent", "Sustitución enviada", r"(?:enviad|mandad|despachad|salido)\w*"),
        DoneAction("conditions_applied", "Condiciones corregidas", r"(?:aplicad|corregid|regularizad|ajustad)\w*"),
        DoneAction("case_escalated", "Caso pasado al responsable", r"(?:pasad|trasladad|escalad|derivad)\w*"),
        DoneAction("staff_spoken_to", "Hablado con el empleado", r"(?:hablad)\w*"),
        DoneAction("service_restored", "Servicio restablecido", r"(?:restablecid|reactivad|reparad|resuelt)\w*"),
        DoneAction("booking_changed", "Reserva cambiada", r"(?:cambiad|modificad|movid)\w*"),
        DoneAction("claim_reopened", "Reclamación reabierta", r"(?:reabiert|reactivad)\w*"),
    )
}
DONE_ACTION_IDS: tuple[str, ...] = tuple(DONE_ACTIONS)


def unknown_actions(ids: list[str] | tuple[str, ...]) -> list[str]:
    """The ids that are not in the catalogue (for a clear error at the CLI and the API)."""
    return [i for i in ids if i not in DONE_ACTIONS]


def confirmed_participle(participle: str, done: list[str] | tuple[str, ...]) -> bool:
    """True when ``participle`` (folded) reports one of the ``done`` actions."""
    return any(re.fullmatch(DONE_ACTIONS[i].participles, participle) for i in done if i in DONE_ACTIONS)


# What the customer explicitly asks for. A draft answers the first one it finds (or says the step that
# already answers it); patterns read the folded text of the complaint.
REQUEST_PATTERNS: dict[str, str] = {
    # "no me devuelve las llamadas" is a call back, not money back.
    "refund": r"\b(?:(?:devuelv|devolver)\w*(?!\s+(?:\w+\s+)?llamad)|devolucion|reembols\w*|reintegr\w*|abonen|"
    r"mi dinero|el dinero)\b",
    # "Quiero darme de baja", "cancelen el contrato"; not "me cancelaron el vuelo" nor "solicité la baja" (done).
    "cancel": r"\b(?:dar(?:me|nos)? de baja|"
    r"(?:quiero|quisiera|deseo|solicito|pido|exijo|tramiten|denme)\s+(?:\w+\s+){0,2}la baja|cancelen|"
    r"(?:quiero|quisiera|deseo|voy a|solicito|pido|necesito) (?:que )?(?:me )?cancel\w*|"
    r"cancelar (?:el|la|mi|mis) (?:contrato|servicio|suscripcion|cuenta|linea|poliza|plan|membresia|tarjeta)|"
    r"rescindir)\b",
    "status": r"(?:¿\s*|\bpara\s+)cuando\b|\bcuando\s+(?:llega\w*|me\s+\w+|van|piensan|vienen|viene|estara\w*)\b|"
    r"\b(?:que dia|en que punto|donde esta|fecha (?:real|concreta|firme)|"
    r"saber (?:algo|que pasa|donde|cuando|en que))\b",
    "fix": r"\b(?:arreglen\w*|reparen\w*|cambien\w*|sustituyan|repongan|uno nuevo|una nueva|que lo arreglen)\b",
    "explanation": r"\b(?:por que|expliquen\w*|explicacion|motivo)\b",
    "callback": r"\b(?:llamenme|que me llamen|me llamen|contacten conmigo|que alguien me llame)\b",
}


def customer_requests(folded_text: str) -> list[str]:
    """Request kinds in the order they appear in the complaint (folded text)."""
    found: list[tuple[int, str]] = []
    for kind, pattern in REQUEST_PATTERNS.items():
        m = re.search(pattern, folded_text)
        if m:
            found.append((m.start(), kind))
    return [kind for _, kind in sorted(found)]
