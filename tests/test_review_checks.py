"""The content rules of the review (pipeline/checks.py), one case per rule, each with a look-alike that must pass.

The sentences here are written for these tests; none is taken from data/review_challenge, which measures
the rules and must not become their fixture.
"""

from __future__ import annotations

import pytest

from pipeline import checks
from pipeline.review import review_draft
from pipeline.schema import Amount, Entities, Reference
from pipeline.wording import word_count


def kinds(findings) -> list[str]:
    return [f.kind for f in findings]


# --- past tense nobody confirmed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "claim"),
    [
        ("Sentimos el retraso. El recambio ya ha llegado al almacén.", "ya ha llegado"),
        ("Disculpe. El lavavajillas nuevo ya está instalado en su cocina.", "ya está instalado"),
        ("Perdone las molestias: la cuota repetida quedó cancelada ayer.", "quedó cancelada"),
        ("Lo sentimos. La penalización fue retirada de su factura.", "fue retirada"),
        ("Qué mal, perdón. Te acabo de devolver el importe del menú.", "acabo de devolver"),
        ("Lo siento; ya le mandamos otra batidora por mensajería.", "ya le mandamos"),
        ("Disculpe. Le devolvimos la fianza el lunes.", "Le devolvimos"),
        ("Perdón por la espera: la mecánica está llegando a su domicilio.", "está llegando"),
        ("Lamentamos el error. Contabilidad autorizó el abono de la diferencia.", "autorizó"),
        ("Lamentamos el corte. El pack extra está dado de baja desde hoy.", "está dado de baja"),
    ],
)
def test_past_tense_claims_beyond_hemos_are_found(draft, claim):
    findings = checks.unconfirmed_actions(draft)
    assert kinds(findings) == ["unconfirmed_action"]
    assert draft[findings[0].start : findings[0].end] == claim


@pytest.mark.parametrize(
    "draft",
    [
        "Como ya le indicamos, reviso hoy el recibo y le escribo el jueves.",  # a reminder, not an action
        "Siento el estado en que le devolvimos el coche; hoy lo reviso con el taller.",  # retells the complaint
        "Gracias por las fotos que usted nos envió; hoy reviso el pedido.",  # the customer's own action
        "Aún no se ha resuelto: reviso hoy el caso y le llamo mañana.",  # negated
        "Si el técnico no ha llegado a las 12:00, le llamo yo.",  # conditional
        "Hoy reviso el cargo y, si no corresponde, lo anulo.",  # a commitment
    ],
)
def test_reminders_retellings_negations_and_commitments_are_not_claims(draft):
    assert checks.unconfirmed_actions(draft) == []


@pytest.mark.parametrize(
    ("draft", "done"),
    [
        ("La devolución ya está emitida y la verá en tres días.", "refund_issued"),
        ("Su reclamación ya está reabierta y el perito la tiene asignada.", "claim_reopened"),
        ("La reserva ya está cambiada al día 17.", "booking_changed"),
        ("La visita ya está reprogramada para el jueves.", "visit_booked"),
    ],
)
def test_a_confirmed_action_may_be_said_in_the_past(draft, done):
    assert kinds(checks.unconfirmed_actions(draft)) == ["unconfirmed_action"]
    assert checks.unconfirmed_actions(draft, [done]) == []


def test_a_confirmed_action_does_not_cover_another_one():
    draft = "La devolución ya está emitida, y ya le mandamos la talla M."
    assert kinds(checks.unconfirmed_actions(draft, ["refund_issued"])) == ["unconfirmed_action"]
    assert len(checks.unconfirmed_actions(draft)) == 2


# --- words of another sector ---------------------------------------------------------------------


def test_everyday_payment_words_are_not_another_sector():
    draft = "Le devuelvo el importe a la tarjeta con la que pagó y lo verá en su cuenta."
    assert checks.other_sector_words(draft, "hotels") == []
    assert kinds(checks.other_sector_words("Le mandamos su pedido hoy.", "hotels")) == ["other_sector"]


def test_a_participle_spelled_like_a_noun_is_not_the_noun():
    assert checks.other_sector_words("Le escribo por el certificado pedido el día 2.", "public_services") == []
    assert kinds(checks.other_sector_words("Le escribo por su pedido del día 2.", "public_services")) == [
        "other_sector"
    ]


# --- the same commitment twice -------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "Siento el retraso; le llamo mañana con la fecha y mañana le llamamos sin falta.",
        "Perdone. Le escribo el jueves con la respuesta. El jueves le escribo sin falta.",
        "Le doy mi palabra de que hoy lo reviso. Tiene mi palabra: hoy queda visto.",
        "Siento lo ocurrido. Reviso hoy el cobro. Le reitero que reviso hoy el cobro sin falta.",
        "Yo le doy seguimiento a su caso. Quédese tranquila, que la devolución la sigo yo.",
    ],
)
def test_a_promise_repeated_in_other_words_or_in_one_sentence_is_found(draft):
    assert "repeated_commitment" in kinds(checks.repeated_commitments(draft))


@pytest.mark.parametrize(
    "draft",
    [
        # Two different steps on the same day are two commitments, not one said twice.
        "Hoy reviso lo anunciado y aplico esas condiciones. Reviso hoy el cargo y, si no corresponde, lo anulo.",
        # A question that mentions a call promises nothing.
        "¿Nos deja un teléfono donde podamos llamarle? El lunes le llamo para fijar el día.",
        # "9:00" is a time, not a place to cut the sentence.
        "Le escribo mañana a las 9:00 con la hora de entrega.",
    ],
)
def test_different_steps_and_questions_are_not_repeats(draft):
    assert checks.repeated_commitments(draft) == []


# --- asking for what the complaint already gives -------------------------------------------------


@pytest.mark.parametrize(
    ("complaint", "entities", "draft"),
    [
        ("Dejé la furgoneta, matrícula 4821-KLM, y salió rayada.", Entities(), "¿Nos indica la matrícula?"),
        ("Mi caldera con número de serie CX-5512-001 no calienta.", Entities(), "¿Me pasa el número de serie?"),
        (
            "Pagué 45 € por el menú y llegó frío.",
            Entities(amounts=[Amount(text="45 €", start=6, end=10)]),
            "¿Me dice cuánto pagó por el menú?",
        ),
        ("Desde febrero me cobran la tarifa de empresa.", Entities(), "¿Desde cuándo le cobran esa tarifa?"),
        ("No me llaman. Mi número es 612 44 55 66.", Entities(), "¿Nos deja un número donde llamarle?"),
        (
            "El pedido 88120-B no llegó.",
            Entities(references=[Reference(text="88120-B", start=10, end=17, kind="order")]),
            "Indíquenos por privado su número de pedido.",
        ),
    ],
)
def test_asking_again_for_what_the_complaint_gives_is_found(complaint, entities, draft):
    known = checks.known_info(entities, complaint)
    assert kinds(checks.asks_known(draft, known, complaint)) == ["asks_known_info"]


def test_asking_for_what_the_complaint_does_not_give_is_fine():
    complaint = "La nevera que compré hace un mes hace un ruido enorme."
    for draft in ("¿Me pasa el número de serie?", "¿Me dice cuánto pagó?", "¿Desde cuándo hace el ruido?"):
        assert checks.asks_known(draft, checks.known_info(Entities(), complaint), complaint) == []


# --- fault admitted under a legal threat ---------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "admission"),
    [
        ("Perder su análisis fue un descuido grave de nuestro laboratorio.", "descuido grave de nuestro"),
        ("Debemos reconocer que la lectura se tomó mal.", "Debemos reconocer"),
        ("El técnico se equivocó al diagnosticar la avería.", "El técnico se equivocó"),
    ],
)
def test_fault_admissions_in_other_words_are_found(draft, admission):
    findings = checks.fault_admissions(draft)
    assert kinds(findings) == ["fault_under_legal"]
    assert draft[findings[0].start : findings[0].end] == admission


def test_a_customer_who_was_wrong_is_not_an_admission():
    assert checks.fault_admissions("Si usted se equivocó de talla, la cambiamos sin coste.") == []


# --- length and the seven steps per channel ------------------------------------------------------


def test_an_email_over_150_words_is_too_long():
    body = "Hola, Ana: siento el retraso. " + "Reviso hoy el pedido y le escribo el jueves. " * 17
    assert 150 < word_count(body) <= 170
    assert kinds(checks.too_long(body, "email")) == ["too_long"]


def test_a_chat_answer_needs_no_call_to_action_and_says_what_it_answers_with_its_apology():
    chat = "Disculpe la confusión con el cargo del minibar; reviso hoy su factura y a las 18:00 le confirmo por aquí."
    assert kinds(review_draft(chat, channel="chat").findings) == []
    assert "no_call_to_action" in kinds(review_draft(chat, channel="email").findings)


def test_que_pena_is_an_apology_and_puede_presentar_a_call_to_action():
    draft = (
        "Hola:\n\nQué pena lo del wifi de su estancia. Reviso hoy la red de su planta.\n\n"
        "El viernes le escribo con lo encontrado. Si lo desea, puede presentar una reclamación en recepción."
    )
    assert kinds(review_draft(draft, channel="email").findings) == []


# --- what the customer asks for ------------------------------------------------------------------


def test_returning_calls_is_not_a_refund_request():
    from pipeline.actions import customer_requests

    assert customer_requests(checks.fold("El funcionario no me devuelve las llamadas.")) == []
    assert customer_requests(checks.fold("Quiero que me devuelvan los 40 €.")) == ["refund"]
