"""What pipeline/frame.py and pipeline/questions.py read from a message, on messages written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from pipeline.frame import (
    customer_blamed,
    customer_called,
    detect_country,
    formal_salutation,
    frame_data,
    is_formal,
    review_site,
    urgency,
)
from pipeline.questions import customer_questions, situation


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Me cobraron dos veces en el OXXO de Monterrey, voy a ir a la Profeco", "MX"),
        ("che, me debitaron ARS 5.000 de más y nadie responde", "AR"),
        ("Os escribo porque me habéis cobrado 30 € de más", "ES"),
        ("Si no me devuelven el dinero iré al SERNAC", "CL"),
        ("Presentaré la queja en el Libro de Reclamaciones, me cobraron S/ 40", "PE"),
        ("Me cobraron Bs. 300 de más en la sucursal de Caracas", "VE"),
        ("Me cobraron de más y nadie me responde", None),
    ],
)
def test_the_country_is_read_from_authorities_currencies_and_words(text, country):
    assert detect_country(text) == country


def test_a_trip_to_another_country_does_not_outweigh_the_customers_own_words():
    text = "Vuelo Bogotá-Madrid: perdieron mi maleta y la SIC ya tiene mi queja, parce"
    assert detect_country(text) == "CO"


def test_formal_register_and_salutation():
    assert is_formal("Muy señores míos:\n\nLes escribo por ...")
    assert is_formal("Sr. Juez a cargo del Juzgado N° 4\n\nMe dirijo a usted ...")
    assert not is_formal("hola, me llegó roto el pedido")
    letter = "Estimados señores:\nEstoy harta de esperar.\nAtentamente,\nM. Robles Díaz"
    assert formal_salutation(letter, "Marisa Robles Díaz") == "Estimada señora Robles:"
    assert formal_salutation("Señores:\n...", None) == "Buenos días:"


def test_urgency_needs_something_happening_now():
    assert urgency("Hay un cable de luz tirado en la calle echando chispas").id == "live_cable"
    assert urgency("Huele a gas en toda la escalera").safety.startswith("Por su seguridad")
    assert urgency("Huele a gas en toda la escalera", tone="tú").safety.startswith("Por tu seguridad")
    assert urgency("El cable del router quedó colgando por la fachada") is None  # no hazard
    assert urgency("El mes pasado estuve tres horas esperando al técnico") is None


def test_calls_reviews_and_posts():
    assert customer_called("He llamado cinco veces y nadie contesta")
    assert customer_called("Cliente: hola\nAgente: buenas")
    assert not customer_called("Os escribo por tercera vez")
    assert review_site("★★☆☆☆ La habitación estaba sucia")
    assert not review_site("@HotelAurora ★ la habitación estaba sucia")
    assert not review_site("La habitación estaba sucia")


def test_questions_are_quoted_in_the_customers_words_without_rhetoric_or_the_agents_lines():
    text = "¿Es en serio? Mi padre usa silla de ruedas. ¿Hay asistencia en el aeropuerto de llegada? Gracias."
    assert customer_questions(text) == ["¿hay asistencia en el aeropuerto de llegada?"]
    assert situation(text) == "su padre usa silla de ruedas"
    transcript = "Cliente: me llegó otro color.\nAgente: ¿Es por garantía?\nCliente: ¿Me lo cambian sin coste?"
    assert customer_questions(transcript) == ["¿me lo cambian sin coste?"]
    assert customer_questions("quisiera saber si puedo cambiar la fecha del vuelo") == [
        "¿puedo cambiar la fecha del vuelo?"
    ]


def test_a_broken_frame_file_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "_frame.yaml"
    broken.write_text("formal: ['(']\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="_frame.yaml"):
        frame_data(broken)


@pytest.mark.parametrize(
    ("text", "cue", "advice"),
    [
        ("El microondas hace chispas por dentro y me da miedo usarlo", "sparks", "desconéctelo"),
        ("Desde ayer sale humo del enchufe de la cocina", "sparks", "desconéctelo"),
        ("La secadora nueva huele a quemado cada vez que la pongo", "sparks", "desconéctelo"),
        ("La plancha echa humo apenas la enchufo", "sparks", "desconéctelo"),
        ("Hay un socavón en la avenida desde hace una semana y anoche se cayó un motociclista", "road_hole", "avise"),
        ("Dejaron la zanja abierta frente a la escuela, sin señalizar", "road_hole", "avise"),
        ("Mi vecina se cayó en un pozo que dejó la cuadrilla en la vereda", "road_hole", "avise"),
        ("Hay un cable del teléfono colgando en la calle y una señora se tropezó", "road_hole", "avise"),
        ("Estamos varados en la carretera, son las 2 de la mañana y nadie contesta", "stranded", "fuera de la calzada"),
        ("Llevamos dos horas varados con los niños en el auto", "stranded", "fuera de la calzada"),
    ],
)
def test_hazards_of_every_kind_get_the_advice_that_fits_them(text: str, cue: str, advice: str):
    found = urgency(text)
    assert found is not None and found.id == cue
    assert found.safety is not None and advice in found.safety


@pytest.mark.parametrize(
    "text",
    [
        "Mi hermana tiene mucha chispa, pero el dependiente le contestó fatal",
        "Me caí de la silla de risa cuando vi la factura",
        "El jefe de tienda echaba chispas y nos gritó a todos",
        "El mes pasado el registro seguía abierto y nadie me dio el certificado",
        "Ya reparamos el bache de la entrada del garaje, pero me cobraron el doble",
        "Estamos parados esperando que nos devuelvan el dinero",
        "Nos quedamos sin conexión el fin de semana y la factura llegó igual",
    ],
)
def test_words_that_only_look_like_a_hazard_get_no_urgency(text: str):
    assert urgency(text) is None


@pytest.mark.parametrize(
    ("text", "blamed"),
    [
        ("En la sucursal me dijeron que la culpa era mía por no leer el contrato", True),
        ("La cajera me acusó de haber cambiado la etiqueta", True),
        ("Según ellos yo lo rompí al abrir la caja", True),
        ("Me contestó que seguramente usted dio mal el número de cuenta", True),
        ("Agente: si no sabe usar la app, no es problema nuestro", True),
        ("Reconozco que fue mi culpa olvidar la fecha, pero el recargo es excesivo", False),
        ("Me dijeron que la culpa era del transportista", False),
        ("No sé usar bien la app, ¿me pueden ayudar?", False),
    ],
)
def test_staff_blaming_the_customer_is_told_from_the_customer_owning_up(text: str, blamed: bool):
    assert customer_blamed(text) is blamed
