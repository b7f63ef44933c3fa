"""The customer's explicit requests: read from the message (pipeline/demands.py) and answered by the draft.

Complaints written for these tests, in Spain's and Latin America's forms; every draft must come out of the
review clean.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.demands import customer_demands, demands_placeholder
from pipeline.policy import PRESETS_DIR, load_policy
from pipeline.reply import analysis_from_causes, draft_reply
from pipeline.review import review_draft

TODAY = dt.date(2024, 3, 1)


def quotes(text: str) -> list[str]:
    return [d.quote for d in customer_demands(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Me llegó el PIN de otra persona. Pido que me manden la tarjeta urgente y que me confirmen que han "
            "anulado el PIN anterior que se perdió por ahí.",
            ["que me manden la tarjeta urgente", "que me confirmen que han anulado el PIN anterior"],
        ),
        (
            "Solicito la reexpedición gratuita del título, que tiene mal mi apellido.",
            ["la reexpedición gratuita del título"],
        ),
        ("Devuélvanme la comisión de apertura, nunca la autoricé.", ["devuélvanme la comisión de apertura"]),
        ("devuelvanme la comision de apertura porfa", ["devuelvanme la comision de apertura"]),
        (
            "Os pido que me cambiéis la talla del abrigo antes del viernes.",
            ["que me cambiéis la talla del abrigo antes del viernes"],
        ),
        ("Cambiadme el asiento 12 por uno de pasillo, por favor.", ["cambiadme el asiento 12 por uno de pasillo"]),
        (
            "Necesito cambiar la fecha de mi cita con la dermatóloga porque viajo.",
            ["cambiar la fecha de mi cita con la dermatóloga"],
        ),
        (
            "Les ruego que tramiten la baja del contrato 88-1200 con esta carta.",
            ["que tramiten la baja del contrato 88-1200 con esta carta"],
        ),
        (
            "Agradecería que me enviaran la factura a nombre de la empresa.",
            ["que me enviaran la factura a nombre de la empresa"],
        ),
        ("Por favor, reactiven mi línea hoy mismo, trabajo con ella.", ["reactiven mi línea hoy mismo"]),
    ],
)
def test_explicit_requests_are_quoted_in_the_customers_words(text, expected):
    assert quotes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Quiero saber cuándo llega mi pedido.",  # a question: pipeline/questions.py quotes it
        "¿Me pueden devolver el dinero?",
        "Quiero el reembolso, por favor.",  # nothing beyond its kind: the refund step answers it
        "Me gustaría que lo revisen.",
        "Pedimos un taxi que nunca llegó.",  # "pedimos" in the past tense
        "Quiero ir a la tienda pero no tengo tiempo.",
        "Pedí una tarjeta nueva el 3 de octubre y me dijeron que tardaba una semana.",
        "Cliente: llamo por el cargo\nAgente: Permítame, lo paso con facturación.",  # the agent's words
        "Pedimos que nos retiraran el plato y el camarero ni se disculpó.",  # what was asked then, as a story
        "Quiero dar mi opinión sobre este hotel: nos envían a otra habitación peor.",
    ],
)
def test_statements_questions_and_bare_kinds_are_not_requests(text):
    assert quotes(text) == []


def test_a_transcript_reads_the_customers_lines_only():
    text = "Cliente: quiero que me cambien el router por uno nuevo\nAgente: Permítame, lo paso con soporte."
    assert quotes(text) == ["que me cambien el router por uno nuevo"]


def test_at_most_two_requests_and_the_placeholder_quotes_each():
    text = (
        "Quiero que me den de baja hoy y que me reembolsen la cuota de marzo. Exijo también una disculpa por "
        "escrito del encargado."
    )
    demands = customer_demands(text)
    assert [d.quote for d in demands] == ["que me den de baja hoy", "que me reembolsen la cuota de marzo"]
    assert demands_placeholder(demands) == (
        "[ACCIÓN: confirme si atendemos «que me den de baja hoy» y «que me reembolsen la cuota de marzo», y cuándo]"
    )


def reply(text: str, causes: list[str], sector: str, channel: str = "email") -> str:
    analysis = analysis_from_causes(causes)
    policy = load_policy(PRESETS_DIR / f"{sector}.yaml").model_copy(update={"company": "Aurora"})
    draft = draft_reply(analysis, policy, channel=channel, today=TODAY, complaint_text=text)
    review = review_draft(draft.body, analysis=analysis, channel=draft.channel, sector=sector, complaint=text)
    assert review.findings == [], [f.message for f in review.findings]
    return draft.body


CARD = (
    "Pedí una tarjeta nueva hace un mes y el sobre del PIN que me llegó es de otra persona. Pido que me manden "
    "la tarjeta urgente y que me confirmen que han anulado el PIN anterior.\nMarta"
)


def test_a_request_replaces_the_generic_steps_it_makes_redundant():
    body = reply(CARD, ["delay", "order_error"], "banking")
    assert "«que me manden la tarjeta urgente» y «que me confirmen que han anulado el PIN anterior»" in body
    # the generic "where it stands" and "correct it" steps gave way to what the customer asked for
    assert "fecha firme" not in body and "corrijo" not in body
    # nothing promised: the agent confirms what is done, no outcome in the draft's own words
    assert "[ACCIÓN: confirme si atendemos" in body


def test_a_request_is_answered_beside_the_steps_it_does_not_replace():
    text = (
        "Desde hace tres meses nadie me contesta los correos y el gimnasio sigue sin aire acondicionado. Solicito "
        "que se tramite la baja del contrato 20-44871 con esta carta.\nCarlos"
    )
    body = reply(text, ["unanswered_contact", "product_defect"], "retail")
    assert "«que se tramite la baja del contrato 20-44871 con esta carta»" in body
    assert "le cambiamos el artículo" not in body  # a generic remedy made moot by the customer's own
    assert "contesto yo directamente" in body  # the contact failure is still answered


def test_a_refund_asked_for_is_answered_by_the_refund_step_not_quoted_again():
    text = "Cancelé la cita 48 horas antes y aun así me cobraron 50 € de penalización. Quiero el reembolso, por favor."
    body = reply(text, ["billing_error"], "clinics")
    assert "ACCIÓN" not in body and "devuelvo" in body


def test_a_chat_request_is_answered_in_the_chat_clause():
    text = "hola, por favor cambien el asiento 38 de mi mamá por uno adelante, va en silla de ruedas"
    body = reply(text, ["order_error"], "transport", channel="chat")
    assert "«cambien el asiento 38 de mi mamá por uno adelante»" in body
    assert body.count(".") <= 3


def test_public_answers_quote_no_request():
    text = "@AuroraBus devuélvanme el dinero del billete del sábado, el bus nunca salió"
    analysis = analysis_from_causes(["delay"])
    policy = load_policy(PRESETS_DIR / "transport.yaml")
    draft = draft_reply(analysis, policy, channel="public", today=TODAY, complaint_text=text)
    assert "ACCIÓN: confirme" not in draft.body


def test_conditions_the_customer_already_read_are_not_summarised_again():
    text = (
        "Leí el contrato y sí está, pero nadie me avisó al abrir la cuenta de que la tarjeta gratis dejaba de "
        "serlo.\nRosa"
    )
    body = reply(text, ["poor_explanation"], "banking")
    assert "resumen" not in body
    assert "«nadie me avisó al abrir la cuenta de que la tarjeta gratis dejaba de serlo»" in body


def test_an_event_that_is_over_gets_the_gesture_for_the_agent_not_a_correction():
    text = (
        "Reservamos ocho habitaciones para la boda de mi hijo. El día de la boda, tres invitados se encontraron "
        "con que sus habitaciones estaban a nombre de otras personas y esperaron una hora en recepción.\nLuisa"
    )
    body = reply(text, ["order_error"], "hotels")
    assert "corrijo" not in body
    assert "[ACCIÓN: el gesto que ofrecemos por lo ocurrido, si procede]" in body


def test_a_customer_who_already_bought_elsewhere_is_not_asked_for_the_order():
    text = (
        "Les escribí dos correos pidiendo precio de una batería y nadie contestó. Ya la conseguí en otro taller, "
        "así que no se molesten.\nIgnacio"
    )
    body = reply(text, ["unanswered_contact"], "car_repair")
    assert "orden de reparación" not in body and "matrícula" not in body
    assert "[ACCIÓN: el gesto que ofrecemos por lo ocurrido, si procede]" in body


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("Les escribí tres correos pidiendo que alguien me llame para la cotización y nada.\nPedro", "sus correos"),
        ("Dos horas en espera con la musiquita y nadie atiende.\nPedro", "sus llamadas"),
        ("Les mandé 4 whats desde el lunes y ni las palomitas azules.\nPedro", "sus mensajes"),
    ],
)
def test_an_unanswered_contact_is_named_as_the_customer_made_it(text, contact):
    body = reply(text, ["unanswered_contact"], "car_repair")
    assert f"la falta de respuesta a {contact}" in body


def test_a_charge_to_cancel_is_answered_by_the_charge_step():
    text = "Me cobraron 40 € de recargo por pagar un día tarde, y pagué a tiempo. Pido que se anulen los recargos."
    body = reply(text, ["billing_error"], "utilities")
    assert "ACCIÓN" not in body and "devuelvo 40 €" in body


def test_a_request_to_be_told_or_contacted_is_left_to_the_drafts_own_promise():
    for ask in ("que me digan qué pasa", "que me contacten", "que me den alguna respuesta", "que me informen"):
        text = f"Hice el pedido hace tres semanas y no llega. Exijo {ask}."
        assert customer_demands(text) == [], ask
    kept = customer_demands("Hace tres semanas que espero. Exijo que me digan qué pasa con la reparación.")
    assert [d.quote for d in kept] == ["que me digan qué pasa con la reparación"]
