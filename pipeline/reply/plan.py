"""What a complaint reply commits to, cause by cause, before any phrasing: the steps (or the customer's own
requests in their place), one extra answer, one remedy fitting the harm said, and what to ask for.

Kept apart from the templates because no promise may be made twice (``commitment_keys``) and a
compensation is offered only where a harm is stated: rules about content, not about wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.cancelled import cancellation_wording
from pipeline.checks import asks_known, commitment_keys, fold
from pipeline.demands import Demand
from pipeline.offsets import fold_mapped
from pipeline.policy import Policy, contract_articles
from pipeline.reply.reading import evidence_ask, harm
from pipeline.reply.spanish import _capitalise, join_es

# The customer shows the error (a receipt, the bank's word, a stamped copy, the difference in plain
# sight): the draft admits it instead of "si no corresponde" (only without a legal threat).
_SHOWN = re.compile(
    r"\b(?:tengo|tiene|tenemos|guardo|conservo|adjunto|les? (?:mando|envio|adjunto))\s+(?:\w+\s+){0,2}"
    r"(?:hoja original|recibos?|comprobantes?|tickets?|capturas?|pantallazos?|fotos?|extractos?|"
    r"cargo de presentacion|grabacion)\b|"
    r"\bse ve (?:la diferencia|clar\w*|perfectamente)|\bcon (?:el )?sello\b|"
    r"\bel banco (?:me )?(?:informa|confirma|confirmo|dice|dijo|me dijo) que\b|"
    r"\b(?:aparece|aparecen|figura|figuran|sale|salen) (?:\w+ ){0,3}(?:dos veces|duplicad\w*)|"
    r"\bdos (?:debitos|cargos|cobros)\b"
)
# What a step says when it waits for the review to find our error; gone where the customer shows it.
_HEDGE = re.compile(
    r",? si (?:no corresponde(?: a la poliza)?|algo no corresponde|se hizo mal|se emitio mal|no se cumplio|"
    r"no se respeto(?: lo reservado)?|no coincide|no se registro bien|hay trabajo no autorizado|"
    r"la revision confirma el error|el error fue nuestro|procede),"
)


def _shown(complaint: str | None) -> bool:
    return bool(complaint and _SHOWN.search(fold(complaint)))


def _unhedge(sentence: str) -> str:
    """ "Reviso hoy el cargo y, si no corresponde, lo anulo" -> "Reviso hoy el cargo, lo anulo"."""
    folded = fold_mapped(sentence)
    m = _HEDGE.search(folded.text)
    if not m:
        return sentence
    start, end = folded.original(*m.span())
    out = sentence[:start] + " " + sentence[end:].lstrip()
    out = re.sub(
        r" y +(l[oae]s?|me|le|te) (\w+) y ", r", \1 \2 y ", out, count=1
    )  # "X y lo anulo y" -> "X, lo anulo y"
    return re.sub(r"\s+", " ", out).replace(": ", ": ", 1)


def as_shown(rule, complaint: str | None, legal: bool):
    """The cause as the draft reads it where the customer shows our error: admitted plainly, no hedge.

    With a legal threat nothing changes: a careful, neutral draft admits nothing (issue #16, point 3).
    """
    if legal or not _shown(complaint):
        return rule
    update: dict = {"steps": [_unhedge(s) for s in rule.steps], "chat": _unhedge(rule.chat)}
    if rule.shown_apology:
        update.update(admit_error=True, apology=rule.shown_apology)
    return rule.model_copy(update=update)


# The remedy text that answers each kind of harm; costs out of pocket have none (money back is the agent's call).
_HARM_REMEDY = {
    "no_service": r"\bdias sin\b",
    "no_vehicle": r"\bvehiculo de sustitucion\b",
    "night": r"\bnoche\b",
    "spoiled": r"\bno llego bien\b",
}
# A compensation (a discount, a credit, priority...) as opposed to an offer to call or a right stated as a condition.
_COMPENSATION = re.compile(
    r"\b(?:descuento|descont\w*|abon\w*|devolv\w*|vale|cupon|garantia|preferente|prioridad|sin comision|sustitucion|"
    r"compensacion|reembols\w*)\b"
)
COMPENSATION_PLACEHOLDER = "[COMPENSACIÓN: si procede, indique cuál]"


def _remedy_for(candidates: list[str], harmed: set[str]) -> str | None:
    """One remedy chosen for the case: the one answering the harm said, else the agent's placeholder.

    A compensation nobody asked for (a discount on a complaint with no harm stated) is left out; an
    offer to call or a right stated as a condition ("si el retraso da derecho...") is not compensation.
    """
    plain = [text for text in candidates if not _COMPENSATION.search(fold(text)) or fold(text).startswith("si ")]
    if not harmed:
        return plain[0] if plain else None
    for kind in harmed:
        fitting = _HARM_REMEDY.get(kind)
        for text in candidates:
            if fitting and re.search(fitting, fold(text)):
                return text
    if "costs" not in harmed:
        others = [
            t for t in candidates if t not in plain and not any(re.search(p, fold(t)) for p in _HARM_REMEDY.values())
        ]
        if others:
            return others[0]
    return COMPENSATION_PLACEHOLDER


# The causes whose step corrects or chases the thing itself (a booking, an order, a date): they cover a fix
# or the status, or a done action on the thing resolves them (pipeline/actions.py).
_MENDING = frozenset({"fix", "status"})
_MENDED_BY = frozenset({"replacement_sent", "visit_booked", "service_restored", "booking_changed"})


def _mends(rule) -> bool:
    return bool(set(rule.covers) & _MENDING or set(rule.resolved_by) & _MENDED_BY)


# Said as an agent would: what is over is acknowledged, and the sentence moves on to what we can still do.
GOODWILL_STEP = (
    "Sé que ya no podemos cambiar lo ocurrido, pero hoy hablo con mi responsable de lo que podemos ofrecer{le}: "
    "[ACCIÓN: el gesto que ofrecemos por lo ocurrido, si procede]."
)


# A refund already asked for and waiting ("llamé por lo del reembolso"): its status is the answer, not a new review.
_PENDING_REFUND = re.compile(
    r"\bpor (?:lo|el tema) del? (?:reembolso|devolucion|reintegro)\b|"
    r"\b(?:reembolso|devolucion|reintegro) (?:pendiente|que (?:no (?:llega|ha llegado|me ha llegado)|"
    r"(?:me|nos) (?:prometieron|aprobaron|confirmaron|dijeron)))|"
    r"\b(?:solicite|pedi|tramite|me aprobaron|me confirmaron) (?:el|la|un|una) (?:reembolso|devolucion|reintegro)\b"
)
_CHECK_START = re.compile(r"^(?:hoy )?(?:reviso|compruebo)(?: hoy)?\b")


def _one_check(steps: list[str]) -> list[str]:
    """No two "reviso ..." sentences: a later generic one ("reviso su caso") goes, a concrete one says "también"."""
    out: list[str] = []
    checks = 0
    for step in steps:
        folded = fold(step)
        m = _CHECK_START.match(folded)
        if m and checks:
            if re.search(r"\b(?:su|tu) caso desde el principio\b", folded):
                continue
            step = "Compruebo también" + step[m.end() :]
        checks += bool(m)
        out.append(step)
    return out


# Requests a cause's step already answers as asked: the money back ("le devuelvo 95 €"), where the thing
# stands, a call. Any other request is the customer's own remedy (a specific fix, a cancellation, an
# explanation, "que me confirmen que han anulado el PIN"), and the generic steps give way to it.
_ANSWERED_BY_STEP = frozenset({"refund", "status", "callback"})
# Steps that propose a generic remedy (fix it, say where it stands, explain): a request makes them redundant.
_GENERIC_COVERS = frozenset({"fix", "status", "explanation"})


# Causes where staff blaming the customer is the wrong done: the apology then says it was not their fault.
_BLAME_CAUSES = frozenset({"bad_attitude", "no_admission"})


def _open_demands(rules: list, demands: list[Demand]) -> tuple[list[Demand], frozenset[int]]:
    """The requests the draft quotes for the agent, and the causes (indexes) whose step they replace.

    A request of a kind a cause's step already answers (a refund, where the thing stands) is answered
    there. Any other request replaces the step of the cause that covers its kind and the generic remedy
    steps ("corrijo lo que no coincida", "le doy una fecha firme"): the customer has said what they want.
    """
    quoted: list[Demand] = []
    redundant: set[int] = set()
    for demand in demands:
        covering = {i for i, rule in enumerate(rules) if set(rule.covers) & demand.kinds}
        if demand.kinds and demand.kinds <= _ANSWERED_BY_STEP and covering:
            continue
        quoted.append(demand)
        redundant |= covering
        redundant |= {i for i, rule in enumerate(rules) if rule.covers and set(rule.covers) <= _GENERIC_COVERS}
    return quoted, frozenset(redundant)


@dataclass
class _Plan:
    """What a complaint reply says, before any phrasing; shrunk step by step when a draft is too long."""

    steps: list[str]
    answer: str
    remedy: str | None
    keys: set[str]


# A remedy for the next purchase, stay or order ("en su próxima compra"): nothing to a customer who says they leave.
_FUTURE_REMEDY = re.compile(r"\bpr[oó]xim[oa]s?\b")


def _plan(
    rules: list,
    policy: Policy,
    say,
    done: list[str],
    requests: list[str],
    legal: bool,
    churn: bool = False,
    amount: str | None = None,
    complaint: str | None = None,
    placed: tuple[str, ...] = (),
    redundant: frozenset[int] = frozenset(),
) -> _Plan:
    """One sentence per cause (a confirmed action replaces the cause's step), no promise made twice.

    ``complaint`` (the text) chooses the remedy: one only where it states a harm (`harm`).
    ``placed`` (the customer's requests quoted for the agent, the gesture for an event that is over) take
    the place of the steps of the causes in ``redundant`` (indexes into ``rules``), else they come first.
    """
    steps: list[str] = []
    keys: set[str] = set()
    used_done: set[str] = set()

    def add(sentence: str) -> bool:
        sentence_keys = commitment_keys(sentence)
        if sentence in steps or sentence_keys & keys:
            return False
        steps.append(sentence)
        keys.update(sentence_keys)
        return True

    if len(redundant) == len(rules):
        # nothing else answers the complaint: a verb says the company answers the requests (the review asks for one)
        placed = tuple(p.replace("Sobre lo que", f"{say('{Le}')} contesto a lo que", 1) for p in placed)
    if not redundant:
        for sentence in placed:
            add(sentence)
    for index, rule in enumerate(rules):
        confirmed = [a for a in rule.resolved_by if a in done and a in policy.done and a not in used_done]
        if confirmed:
            used_done.add(confirmed[0])
            add(_capitalise(say(policy.done[confirmed[0]])))
        elif index in redundant:
            for sentence in placed:
                add(sentence)  # the first time only: add() takes no sentence twice
        else:
            add(_capitalise(say(rule.steps[0])))
    for action in done:  # confirmed actions no cause asked for are still news to the customer
        if action in policy.done and action not in used_done:
            used_done.add(action)
            add(_capitalise(say(policy.done[action])))
    steps[:] = _one_check(steps)
    covered = {kind for rule in rules for kind in rule.covers}
    answer = ""
    for kind in requests:
        if kind in covered or kind not in policy.answers:
            continue
        if kind == "refund" and "status" in policy.answers and _PENDING_REFUND.search(fold(complaint or "")):
            # the refund was asked for already: where it stands, not a new "si la revisión confirma el error"
            text = _capitalise(contract_articles(say(policy.answers["status"], item="el reembolso pendiente")))
        else:
            # "le devuelvo la prima cobrada de más" would guess what the customer claims: without their
            # amount the answer says "lo que corresponda".
            text = _capitalise(say(policy.answers[kind], importe=amount or "lo que corresponda"))
        if any(_CHECK_START.match(fold(s)) for s in steps):
            text = _one_check([steps[0], text])[-1] if _CHECK_START.match(fold(text)) else text
        if not commitment_keys(text) & keys:
            answer = text
            keys |= commitment_keys(text)
        break
    remedy = None
    if not legal:
        candidates = []
        for rid in [r for rule in rules for r in rule.remedies]:
            text = cancellation_wording(say(policy.remedies[rid]), complaint)
            if churn and _FUTURE_REMEDY.search(text):
                continue
            if not commitment_keys(text) & keys:
                candidates.append(text)
        remedy = _remedy_for(list(dict.fromkeys(candidates)), harm(complaint))
        if remedy:
            keys |= commitment_keys(remedy)
    return _Plan(steps=steps, answer=answer, remedy=remedy, keys=keys)


def _ask(
    policy: Policy, rules: list, say, known: set[str], complaint: str | None, need_reference: bool = True
) -> str | None:
    """What the draft needs from the customer, never what is known.

    The sector's reference only when a step has a record to look up (``need_reference``); then the
    evidence the customer says they have, else one cause detail.
    """

    def given(text: str) -> bool:  # the review's own test, so the draft never asks what it would flag
        return bool(asks_known(f"¿Nos indica {text}?", known, complaint))

    asks = []
    if need_reference and "reference" not in known and not given(say(policy.ask_reference)):
        asks.append(say(policy.ask_reference))
    evidence = evidence_ask(complaint) if rules else None
    if evidence:
        asks.append(evidence)
    else:
        for rule in rules:
            if rule.ask and not given(say(rule.ask)):
                asks.append(say(rule.ask))
                break
    return join_es(asks[:2]) or None
