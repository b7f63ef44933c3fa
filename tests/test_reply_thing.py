"""The draft names the thing as the customer does: a cancellation is not a delay, a fridge is not "su aparato"."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.cancelled import cancelled
from pipeline.policy import PRESETS_DIR, load_policy
from pipeline.reply import analysis_from_causes, draft_reply

TODAY = dt.date(2024, 3, 1)


def _draft(sector: str, causes: list[str], text: str, channel: str = "email") -> str:
    policy = load_policy(PRESETS_DIR / f"{sector}.yaml")
    draft = draft_reply(analysis_from_causes(causes), policy, channel=channel, today=TODAY, complaint_text=text)
    return draft.body


@pytest.mark.parametrize(
    ("sector", "text"),
    [
        (
            "airlines",
            "Nos cancelaron el vuelo Bogotá-Lima con un SMS a las 3 de la mañana y nadie nos dio alternativa.",
        ),
        ("clinics", "Me cancelaron la cita con el traumatólogo el mismo día, ya van dos veces."),
        ("ecommerce", "Mi pedido aparece como cancelado y nadie me explica por qué, lo pagué hace una semana."),
    ],
)
def test_a_delay_that_is_a_cancellation_is_called_a_cancellation(sector: str, text: str):
    for channel in ("email", "public"):
        body = _draft(sector, ["delay"], text, channel)
        assert "cancelación" in body, body
        assert "retraso" not in body, body


def test_a_customer_who_asks_to_cancel_is_still_writing_about_a_delay():
    assert not cancelled("El pedido no llega desde hace tres semanas; quiero la cancelación de mi pedido.")
    assert not cancelled("Si mañana no llega, cancelo el pedido.")
    assert not cancelled("El repartidor me dijo: si no llega en 20 minutos, yo mismo le cancelo y le devuelvo todo.")
    assert cancelled("Un cartel en la puerta decía que la salida de las 10 se cancela por falta de unidad.")
    assert cancelled("Me llegó un mail avisando que el servicio quedaba cancelado por razones operativas.")
    assert "retraso" in _draft("ecommerce", ["delay"], "El pedido lleva tres semanas de retraso y nadie contesta.")


@pytest.mark.parametrize(
    ("sector", "cause", "text", "thing", "generic"),
    [
        ("appliances", "product_defect", "La nevera nueva dejó de enfriar a los diez días.", "su nevera", "su aparato"),
        (
            "appliances",
            "product_defect",
            "Mi notebook se apaga sola desde que la trajeron.",
            "su notebook",
            "su aparato",
        ),
        ("telecom", "product_defect", "El router se reinicia cada hora y el wifi se cae.", "su router", "su línea"),
    ],
)
def test_the_customers_own_noun_replaces_the_sectors_generic_one(sector, cause, text, thing, generic):
    body = _draft(sector, [cause], text, "public")
    assert thing in body, body
    assert generic not in body, body


def test_without_a_named_thing_the_generic_noun_stays():
    body = _draft("appliances", ["product_defect"], "El técnico vino y lo dejó peor que antes.", "public")
    assert "su aparato" in body, body


def test_an_event_that_is_over_is_acknowledged_without_fatalism():
    over = "Escribí tres correos pidiendo el repuesto y nadie contestó. Ya lo conseguí en un almacén del centro."
    body = _draft("car_repair", ["unanswered_contact"], over)
    assert "Sé que ya no podemos cambiar lo ocurrido, pero" in body, body
    assert "no tiene arreglo" not in body
    ongoing = _draft(
        "car_repair", ["unanswered_contact"], "Escribí tres correos pidiendo el repuesto y nadie contestó."
    )
    assert "ya no podemos cambiar lo ocurrido" not in ongoing
