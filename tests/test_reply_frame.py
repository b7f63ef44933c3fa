"""The frame of a draft: who it speaks to (register), from where (country), what kind of message, how urgently.

Each test is one rule of the reply frame (docs/TAXONOMY.md, section 5), checked on complaints written
for these tests, through the public `draft_reply`, and each draft must come out of the review clean.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.policy import PRESETS_DIR, load_policy
from pipeline.reply import analysis_from_causes, draft_reply
from pipeline.review import review_draft
from pipeline.schema import Risk, RiskScores

TODAY = dt.date(2024, 3, 1)  # a Friday


def preset(sector: str):
    return load_policy(PRESETS_DIR / f"{sector}.yaml").model_copy(update={"company": "Aurora"})


def with_risks(analysis, **flags: bool):
    risk = Risk(
        churn=flags.get("churn", False),
        legal=flags.get("legal", False),
        public=flags.get("public", False),
        scores=RiskScores(**{k: float(flags.get(k, False)) for k in ("churn", "legal", "public")}),
    )
    return analysis.model_copy(update={"risk": risk})


def reply(text: str, causes: list[str], sector: str, channel: str = "email", sentiment: str | None = None, **risks):
    analysis = with_risks(analysis_from_causes(causes, sentiment=sentiment), **risks)
    result = draft_reply(analysis, preset(sector), channel=channel, today=TODAY, complaint_text=text)
    review = review_draft(result.body, analysis=analysis, channel=result.channel, sector=sector, complaint=text)
    assert review.findings == [], [f.message for f in review.findings]
    return result


# --- 1. register ---------------------------------------------------------------------------------

FORMAL_LETTER = (
    "Señores\nTransportes del Norte S.A.\n\nPor medio de la presente me dirijo a ustedes para dejar constancia de que "
    "el encargado de la terminal me trató de forma grosera delante de otros pasajeros cuando pedí el libro de "
    "quejas. Solicito una disculpa formal.\n\nAtentamente,\nRamiro Esteban Quiroga"
)


def test_a_formal_letter_gets_a_formal_salutation_and_an_informal_message_keeps_hola():
    formal = reply(FORMAL_LETTER, ["bad_attitude"], "transport")
    first_line = formal.body.splitlines()[0]
    assert first_line == "Estimado señor Quiroga:"
    assert "Atentamente," in formal.body and "Hola" not in formal.body
    informal = reply(
        "el chofer del bus me gritó por pagar con billete grande, qué mala onda\nRamiro", ["bad_attitude"], "transport"
    )
    assert informal.body.splitlines()[0] in ("Hola, Ramiro:", "Buenos días, Ramiro:")
    assert "Estimad" not in informal.body


@pytest.mark.parametrize(
    "text, salutation",
    [
        (
            "Señor Decano de la Facultad de Derecho\n\nEl certificado de notas llegó tres meses tarde y nadie "
            "contestó mis correos.\n\nIgnacia Robles Paz",
            "Estimada señora Robles:",
        ),
        (
            "Señores:\n\nEl gerente, el señor Díaz, me dijo que el cobro era un error. Sigue en mi tarjeta.\n\n"
            "Ana Lucía Paredes",
            "Estimada señora Paredes:",
        ),
        ("A quien corresponda:\n\nEl tren llegó dos horas tarde.\n\nRenzo Gallo", "Estimado señor Gallo:"),
    ],
)
def test_a_letter_to_a_title_is_formal_and_the_writers_gender_is_their_own(text, salutation):
    assert reply(text, ["delay"], "education").body.splitlines()[0] == salutation


def test_a_formal_letter_without_a_clear_gender_is_greeted_without_guessing_it():
    text = (
        "A quien corresponda:\n\nMe dirijo a ustedes porque el curso de inglés empezó tres semanas tarde.\n\n"
        "Atentamente,\nAlex Dorrego"
    )
    result = reply(text, ["delay"], "education")
    assert result.body.splitlines()[0] == "Buenos días, Alex Dorrego:"


# --- 2. country ----------------------------------------------------------------------------------

VE_LEGAL = (
    "Señores:\n\nMe dirijo a ustedes porque el taller de Maracaibo me cobró Bs. 4.500 por un repuesto que no "
    "estaba en el presupuesto. Si no me lo devuelven, formalizaré la denuncia ante la SUNDDE.\n\nAtentamente,\n"
    "Gustavo Rondón"
)


def test_the_complaint_route_follows_the_customers_country_never_spain_for_another_country():
    venezuela = reply(VE_LEGAL, ["billing_error"], "car_repair", legal=True)
    assert "SUNDDE" in venezuela.body
    assert "hoja de reclamaciones" not in venezuela.body and "matrícula" not in venezuela.body
    mexico = reply(
        "Me cobraron dos veces la comisión en la app y en la sucursal de Monterrey me dijeron que no pueden hacer "
        "nada. Voy a poner mi queja en la Condusef.\nJavier Treviño",
        ["billing_error"],
        "banking",
        legal=True,
    )
    assert "Condusef" in mexico.body and "Banco de España" not in mexico.body
    spain = reply(
        "Os he escrito tres veces por el cargo de 40 € y nadie contesta. Pediré la hoja de reclamaciones.\nMarta",
        ["billing_error"],
        "retail",
        legal=True,
    )
    assert "hoja de reclamaciones" in spain.body
    unknown = reply(
        "Me cobraron un cargo que no reconozco y nadie me explica nada. Voy a denunciarlos.\nPaula",
        ["billing_error"],
        "ecommerce",
        legal=True,
    )
    assert "que le corresponda" in unknown.body and "oficina de consumo" not in unknown.body


def test_a_spain_only_preset_word_follows_the_country():
    text = "Llevé la camioneta al taller en Bogotá hace dos semanas y todavía no me la entregan, parce.\nAndrés"
    result = reply(text, ["delay"], "car_repair")
    assert "placa" in result.body and "matrícula" not in result.body


# --- 3. questions --------------------------------------------------------------------------------

QUESTION = (
    "Buenas tardes. Mi hija es celíaca y viaja sola el mes que viene. ¿Puedo pedir un menú sin gluten para el "
    "vuelo? ¿Hasta cuántos días antes se puede pedir? Gracias."
)


def test_a_question_is_answered_now_through_a_placeholder_that_quotes_it():
    result = reply(QUESTION, [], "airlines", sentiment="neutral")
    assert (
        "[RESPUESTA: ¿puedo pedir un menú sin gluten para el vuelo? ¿hasta cuántos días antes se puede pedir?]"
        in result.body
    )
    assert "su hija es celíaca" in result.body  # the customer's situation, in the reply's person
    assert result.follow_up_date is None and "información completa" not in result.body
    chat = reply(QUESTION, [], "airlines", channel="chat", sentiment="neutral")
    assert "[RESPUESTA: ¿puedo pedir un menú sin gluten" in chat.body and len(chat.body.split()) < 40


def test_a_question_inside_a_complaint_gets_a_placeholder_unless_a_step_answers_it():
    text = "Me cobraron 30 € de más en la factura de enero. ¿Puedo pagar la factura en dos plazos mientras tanto?"
    result = reply(text, ["billing_error"], "telecom")
    assert "[RESPUESTA: ¿puedo pagar la factura en dos plazos mientras tanto?]" in result.body
    covered = reply("El pedido PED-1234 no llega. ¿Cuándo llega?", ["delay"], "ecommerce")
    assert "[RESPUESTA" not in covered.body  # the delay step already gives the date


# --- 4. urgency ----------------------------------------------------------------------------------

CABLE = (
    "Llamé a emergencias y me pasaron de un área a otra: hay un cable de luz caído en la acera frente a mi casa, "
    "echando chispas, y nadie viene.\nSergio Paredes"
)


def test_a_hazard_happening_now_gets_safety_advice_an_immediate_step_and_news_within_hours():
    result = reply(CABLE, ["transfer_runaround", "product_defect"], "utilities")
    body = result.body
    assert "no se acerque al cable" in body
    assert "Pido ahora" in body and "[ACCIÓN: confirme la hora de llegada" in body
    assert "dos horas" in body and result.follow_up_date == TODAY  # not a date days away
    assert "escribirnos" not in body  # the customer phoned
    chat = reply(CABLE, ["transfer_runaround", "product_defect"], "utilities", channel="chat")
    assert "no se acerque al cable" in chat.body and chat.follow_up_date == TODAY
    post = "@LuzAurora hay un cable de luz caído en la vereda echando chispas frente al colegio #peligro"
    public = reply(post, ["product_defect"], "utilities", channel="public", public=True)
    assert "no se acerque al cable" in public.body and "Pido ahora" in public.body and "dos horas" in public.body


def test_a_person_waiting_now_gets_an_immediate_step_not_a_date_next_week():
    text = "mi cita era a las 9 y ya son las 10 y cuarto, sigo en la sala de espera y nadie me dice nada"
    result = reply(text, ["delay"], "clinics", channel="chat")
    assert "ahora" in result.body and "[ACCIÓN:" in result.body
    assert result.follow_up_date == TODAY
    past = reply("El mes pasado esperé una hora en la consulta y nadie me avisó del retraso.", ["delay"], "clinics")
    assert past.follow_up_date != TODAY and "[ACCIÓN:" not in past.body


@pytest.mark.parametrize(
    ("text", "sector", "advice"),
    [
        ("La tostadora nueva echa chispas y sale humo del enchufe.", "appliances", "desconéctelo"),
        ("Hay una zanja abierta en mi calle y ayer se cayó un ciclista; nadie la tapa.", "public_services", "avise"),
        (
            "Estamos varados en la ruta con los chicos, son las 2 de la mañana y nadie atiende.",
            "insurance",
            "fuera de la calzada",
        ),
    ],
)
def test_a_sparking_appliance_an_open_hole_or_a_night_on_the_road_gets_advice_and_a_step_today(text, sector, advice):
    for channel in ("email", "chat"):
        result = reply(text, ["no_follow_up"], sector, channel=channel)
        assert advice in result.body and "[ACCIÓN: confirme" in result.body
        assert result.follow_up_date == TODAY


BLAMED = "Llevé la cafetera que dejó de calentar y el técnico me dijo que era mi culpa por usarla mal. Es nueva."


def test_staff_who_blamed_the_customer_get_a_plain_not_your_fault_not_a_vague_regret():
    email = reply(BLAMED, ["bad_attitude", "product_defect"], "appliances")
    assert "No fue culpa suya, y no debimos decírselo." in email.body
    chat = reply(BLAMED, ["bad_attitude"], "appliances", channel="chat")
    assert chat.body.startswith("Hola: no fue culpa suya")
    legal = reply(BLAMED + " Mi abogado ya prepara la demanda.", ["bad_attitude"], "appliances", legal=True)
    assert "culpa" not in legal.body  # a legal threat: nothing admitted
    calm = reply("El técnico fue muy seco al teléfono y no me explicó nada.", ["bad_attitude"], "appliances")
    assert "culpa" not in calm.body


# --- 5. review sites -----------------------------------------------------------------------------


def test_a_review_gets_the_companys_contact_not_a_private_message_and_a_post_keeps_it():
    review = reply(
        "★☆☆☆☆ La lavadora llegó con el tambor roto y el reclamo sigue 'en gestión' hace un mes.",
        ["product_defect", "no_follow_up"],
        "appliances",
        channel="public",
        public=True,
    )
    assert "mensaje privado" not in review.body
    assert "[CORREO:" in review.body and "[TELÉFONO:" in review.body
    post = reply(
        "@AuroraHogar la lavadora llegó con el tambor roto #nuncamas",
        ["product_defect"],
        "appliances",
        channel="public",
    )
    assert "mensaje privado" in post.body and "[CORREO:" not in post.body


def test_the_review_channel_gives_the_contact_without_any_cue_in_the_text():
    """A star rating left without stars in its text (the site shows them apart) is still a review."""
    text = "Fuimos a cenar el sábado, la comida llegó fría y el camarero ni se disculpó."
    result = reply(text, ["product_defect", "bad_attitude"], "hotels", channel="review", public=True)
    assert result.channel == "review"
    assert "[CORREO:" in result.body and "[TELÉFONO:" in result.body
    assert "mensaje privado" not in result.body and "por aquí" not in result.body
    post = reply(text, ["product_defect", "bad_attitude"], "hotels", channel="public", public=True)
    assert post.channel == "public" and "mensaje privado" in post.body


def test_a_public_answer_to_a_star_review_is_named_a_review():
    text = "★★☆☆☆ El técnico no vino el martes y nadie avisó."
    assert reply(text, ["broken_promise"], "telecom", channel="public", public=True).channel == "review"
    assert (
        reply(text, ["broken_promise"], "telecom", public=True).channel == "review"
    )  # an e-mail to a review, by default
    assert reply("@AuroraTel " + text, ["broken_promise"], "telecom", public=True).channel == "public"


def test_thanks_on_a_review_are_not_answered_here():
    text = "Cinco estrellas: el repartidor fue muy amable y llegó antes de tiempo."
    result = reply(text, [], "delivery_apps", channel="review", sentiment="positive")
    assert "por aquí" not in result.body and "[CORREO:" in result.body


@pytest.mark.parametrize(
    "source, channel",
    [
        ("review", "review"),
        ("Reseña", "review"),
        ("Google Play", "review"),
        ("app_store", "review"),
        ("TripAdvisor", "review"),
        ("social_post", "public"),
        ("Twitter", "public"),
        ("forum", "public"),
        ("chat", "chat"),
        ("WhatsApp", "chat"),
        ("letter", "email"),
        ("phone_transcript", "email"),
        (None, "email"),
    ],
)
def test_the_reply_channel_follows_where_the_message_came_from(source, channel):
    from pipeline.channels import reply_channel_for

    assert reply_channel_for(source) == channel


def test_the_review_flags_a_private_message_on_a_review():
    body = "Hola: siento lo ocurrido con el retraso. Escríbanos por mensaje privado y lo reviso hoy."
    kinds = [f.kind for f in review_draft(body, channel="review").findings]
    assert "private_message_on_review" in kinds
    assert "private_message_on_review" not in [f.kind for f in review_draft(body, channel="public").findings]


def test_a_review_reply_shows_the_companys_real_contact_unmasked():
    policy = preset("hotels").model_copy(update={"contact_email": "reservas@aurora.es", "contact_phone": "900 123 456"})
    analysis = with_risks(analysis_from_causes(["bad_attitude"]), public=True)
    text = "2 estrellas. La recepcionista nos habló fatal al llegar."
    result = draft_reply(analysis, policy, channel="public", today=TODAY, complaint_text=text)
    assert "reservas@aurora.es" in result.body and "900 123 456" in result.body


@pytest.mark.parametrize("sector", ["banking", "hotels", "utilities"])
def test_every_preset_has_a_contact_for_review_replies(sector):
    policy = preset(sector)
    assert policy.contact_email and policy.contact_phone
