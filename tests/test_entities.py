"""Entity extraction: names vs staff names, references, dates, amounts, contacts, masking, offsets."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest

from pipeline.entities import analysis_with_entities, extract_entities, mask_contacts
from pipeline.reply import analysis_from_causes, format_date_es

TODAY = dt.date(2024, 5, 15)  # a Wednesday
CORPUS = Path(__file__).resolve().parents[1] / "data" / "complaints"


def spans_point_into(text: str, entities) -> None:
    groups = [entities.references, entities.dates, entities.amounts, entities.emails, entities.phones]
    for group in groups + [entities.staff_names]:
        for span in group:
            assert text[span.start : span.end] == span.text


# --- offsets into the original text ------------------------------------------------------------


def test_offsets_point_into_the_original_text_even_when_it_is_not_normalised():
    raw = "Me  llamo  I\u0301n\u0303igo Salaberria.\r\n  Mi pedido   PED-48213 llegó roto; pagué 1.250,50\u00a0€."
    entities = extract_entities(raw)
    assert entities.customer_name == "Íñigo Salaberria"
    assert unicodedata.is_normalized("NFC", entities.customer_name)
    spans_point_into(raw, entities)
    assert [r.text for r in entities.references] == ["PED-48213"]
    assert entities.amounts[0].text == "1.250,50\u00a0€"


# --- customer and staff names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hola, me llamo Ana Pérez Gómez y mi pedido no llega.", "Ana Pérez Gómez"),
        ("Buenas, soy Nuria. ¿Podéis mover mi cita?", "Nuria"),
        ("Mi nombre es Carlos de la Fuente y llevo una semana esperando.", "Carlos de la Fuente"),
        ("El pedido no llegó.\n\nAtentamente,\nMontserrat Vidal Puig", "Montserrat Vidal Puig"),
        ("El pedido no llegó. Saludos, Camila Rojas", "Camila Rojas"),
        ("Solicito que me informen. Atte. Rosa Huamán Quispe", "Rosa Huamán Quispe"),
        ("Quedo atenta, muchas gracias. Valentina Ruiz", "Valentina Ruiz"),
        ("Cliente: Juan Pérez\nMotivo: cobro doble", "Juan Pérez"),
        ("Les escribo por el cobro.\nUn saludo,\nGustavo Ferreyra\nContrato GE-2023-118734", "Gustavo Ferreyra"),
        ("Tres semanas sin frigorífico. — Rubén, Getafe", "Rubén"),
        ("Mi cuenta es la 5510-4478-21, a nombre de Héctor Ramírez.", "Héctor Ramírez"),
        ("Buenas, habla Jairo Benítez, es la cuarta vez que llamo.", "Jairo Benítez"),
        # Readers' letters to a newspaper: signed in capitals, with the town after a full stop or in brackets,
        # or introduced in the third person.
        ("Nadie contesta en la compañía desde hace tres meses.\n\nJOSÉ MARTÍNEZ LÓPEZ\nMadrid", "JOSÉ MARTÍNEZ LÓPEZ"),
        ("Nadie contesta en la compañía desde hace tres meses.\nJosé Martínez López. Valencia", "José Martínez López"),
        ("El banco cobra comisiones que no están en el contrato.\n— Pedro Sánchez Gil (Sevilla)", "Pedro Sánchez Gil"),
        ("Me cobran dos veces la cuota y no lo devuelven. Teresa Blanco (Granada)", "Teresa Blanco"),
        ("Carta de la lectora Rosa María Vidal: la aerolínea perdió mi maleta y nadie responde.", "Rosa María Vidal"),
    ],
)
def test_customer_name(text, name):
    entities = extract_entities(text)
    assert entities.customer_name == name


def test_a_shouted_complaint_is_not_a_signature():
    assert extract_entities("NO ME DEVUELVEN EL DINERO\nQUE VERGÜENZA").customer_name is None
    assert extract_entities("Llevo un mes sin luz.\nMadrid").customer_name is None


@pytest.mark.parametrize(
    ("text", "staff"),
    [
        ("El agente Jorge me colgó el teléfono.", "Jorge"),
        ("Me atendió Raúl y no me dio ninguna solución.", "Raúl"),
        ("La señorita Paola me dijo que me llamaría.", "Paola"),
        ("Me atendió un joven, Rodrigo, que me aseguró que lo traían.", "Rodrigo"),
        ("Agente: Buenas tardes, le habla Mauricio.\nCliente: Hola Mauricio, llamo por mi factura.", "Mauricio"),
        ("Gracias a la chica del chat de ayer, Milagros creo q se llamaba.", "Milagros"),
    ],
)
def test_staff_names_are_never_the_customer(text, staff):
    entities = extract_entities(text)
    assert staff in [s.text for s in entities.staff_names]
    assert entities.customer_name is None
    spans_point_into(text, entities)


def test_staff_name_and_customer_signature_in_one_message():
    text = "Me atendió Raúl y me prometió una llamada que nunca llegó.\nUn saludo,\nMarta López"
    entities = extract_entities(text)
    assert entities.customer_name == "Marta López"
    assert [s.text for s in entities.staff_names] == ["Raúl"]


def test_a_thank_you_to_staff_is_not_a_signature():
    entities = extract_entities("La cajera Karla me lo arregló en dos días.\nGracias, Karla")
    assert [s.text for s in entities.staff_names] == ["Karla"]
    assert entities.customer_name is None


@pytest.mark.parametrize(
    "text",
    [
        "Soy cliente desde 2010 y nunca me había pasado esto.",
        "Yo no soy Kevin, me mandaron el pedido de otra persona.",
        "Pésimo servicio, nadie contesta la línea.",
        "Frío y tarde. Como siempre.",
        "Rápidos, amables y baratos. Vuelvo seguro.",
        "¿La oficina abre los sábados?",
    ],
)
def test_no_name_where_there_is_none(text):
    assert extract_entities(text).customer_name is None


# --- references --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "kind"),
    [
        ("No me llega el PED-48213 desde hace días.", "PED-48213", "order"),
        ("Mi pedido #771203 sigue sin salir.", "771203", "order"),
        ("El pedido 4451982 llegó incompleto.", "4451982", "order"),
        ("Tengo abierto el ticket INC0091823 desde marzo.", "INC0091823", "ticket"),
        ("Me dieron el folio 2291-B.", "2291-B", "ticket"),
        ("Según el contrato 55-880213 no hay permanencia.", "55-880213", "contract"),
        ("La factura F2024/00871 está mal.", "F2024/00871", "invoice"),
        ("La guía 7788 1123 0044 no se mueve.", "7788 1123 0044", "tracking"),
        ("Mi localizador QXK7TZ no aparece.", "QXK7TZ", "reservation"),
        ("Código de reserva: MPL7XD.", "MPL7XD", "reservation"),
        ("La póliza 0098-4471-22 no cubre nada.", "0098-4471-22", "policy"),
        ("El expediente 2023/114 está parado.", "2023/114", "case"),
        ("Número de caso 00518812, por favor.", "00518812", "case"),
        ("El reclamo N° 7781204 no tiene respuesta.", "7781204", "case"),
        ("Hice la reparación (orden OR 2024-3381).", "OR 2024-3381", "order"),
        ("Mi cuenta es la 5510-4478-21.", "5510-4478-21", "account"),
    ],
)
def test_reference_formats(text, code, kind):
    references = extract_entities(text).references
    assert [(r.text, r.kind) for r in references] == [(code, kind)]
    assert text[references[0].start : references[0].end] == code


def test_several_references_and_lists():
    text = "Pedidos 55-901, 55-944 y 55-987; además la factura F-2024-0012."
    assert [r.text for r in extract_entities(text).references] == ["55-901", "55-944", "55-987", "F-2024-0012"]


@pytest.mark.parametrize(
    "text",
    [
        "El vuelo IL3942 salió con seis horas de retraso.",
        "Decía entrega en 48-72 horas y nada.",
        "Pagué 1.250 € por el pedido de 3 cosas.",
        "El pedido del 2024 nunca llegó.",
        "Me cobraron en la tarjeta terminada en 4418, cuenta terminación 7781.",
        "Usé el código VERANO50 y no se aplicó el descuento.",
        "Cliente: 12.345.678-9.",
        "Un golpe en la M-30 y la placa ABF-552.",
    ],
)
def test_no_false_references(text):
    assert extract_entities(text).references == []


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mention", "date"),
    [
        ("Lo pedí el 3 de marzo y sigo esperando.", "3 de marzo", dt.date(2024, 3, 3)),
        ("Lo pedí el 3 de marzo de 2023.", "3 de marzo de 2023", dt.date(2023, 3, 3)),
        ("La factura del 03/04/2024 está mal.", "03/04/2024", dt.date(2024, 4, 3)),
        ("El 14/04 me confirmaron la devolución.", "14/04", dt.date(2024, 4, 14)),
        ("Llamé ayer y nadie contestó.", "ayer", dt.date(2024, 5, 14)),
        ("El técnico no vino el lunes.", "el lunes", dt.date(2024, 5, 13)),
        ("Me dijeron que llega el próximo viernes.", "el próximo viernes", dt.date(2024, 5, 17)),
        ("Reclamé el día 8 y nada.", "el día 8", dt.date(2024, 5, 8)),
    ],
)
def test_dates_resolve_with_a_reference_date(text, mention, date):
    dates = extract_entities(text, reference_date=TODAY).dates
    assert [(d.text, d.date) for d in dates] == [(mention, date)]


def test_only_absolute_dates_resolve_without_a_reference_date():
    dates = extract_entities("El 03/04/2024 pagué y ayer volví a llamar, el lunes también.").dates
    assert [(d.text, d.date) for d in dates] == [
        ("03/04/2024", dt.date(2024, 4, 3)),
        ("ayer", None),
        ("el lunes", None),
    ]


def test_ratings_and_hours_are_not_dates():
    assert extract_entities("Le doy 5/5 y abren 24/7.", reference_date=TODAY).dates == []


def test_every_date_a_reply_writes_is_read_back():
    for month in range(1, 13):
        day = dt.date(2025, month, 28)
        written = format_date_es(day, today=TODAY)  # "martes 28 de enero de 2025"
        assert day in [d.date for d in extract_entities(f"Se lo enviamos el {written}.").dates], written


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mention", "value", "currency"),
    [
        ("Me cobraron 50 euros de más.", "50 euros", 50.0, "EUR"),
        ("Pagué 1.250,50 € por la nevera.", "1.250,50 €", 1250.5, "EUR"),
        ("Son $ 3,500 pesos de intereses.", "$ 3,500 pesos", 3500.0, None),
        ("Un cargo de 287 USD.", "287 USD", 287.0, "USD"),
        ("Facturaron 1,214.50 MXN.", "1,214.50 MXN", 1214.5, "MXN"),
        ("Me debitaron ARS 18.500.", "ARS 18.500", 18500.0, "ARS"),
        ("Devolución de $1.249.000 COP.", "$1.249.000 COP", 1249000.0, "COP"),
        ("Cobro doble ($54.990 CLP).", "$54.990 CLP", 54990.0, "CLP"),
        ("La devolución de S/ 489.60 no llega.", "S/ 489.60", 489.6, "PEN"),
        ("Me cobraron 25 dólares por el asiento.", "25 dólares", 25.0, "USD"),
        ("Eran 50 mil pesos.", "50 mil pesos", 50000.0, None),
    ],
)
def test_amounts(text, mention, value, currency):
    amounts = extract_entities(text).amounts
    assert [(a.text, a.value, a.currency) for a in amounts] == [(mention, value, currency)]


def test_numbers_without_currency_are_not_amounts():
    assert extract_entities("39,99 x2 y un descuento del 0,25 %").amounts == []


# --- contacts and masking ----------------------------------------------------------------------


def test_emails_and_phones():
    text = "Escríbanme a ana.perez@gmail.com o llamen al 600 123 456, o al +52 55 1234 5678. Tel: 91 123 45 67."
    entities = extract_entities(text)
    assert [e.text for e in entities.emails] == ["ana.perez@gmail.com"]
    assert [p.text for p in entities.phones] == ["600 123 456", "+52 55 1234 5678", "91 123 45 67"]
    spans_point_into(text, entities)


def test_references_and_amounts_are_not_phones():
    entities = extract_entities("Pedido 600123456 de $1.249.000 COP, RUT 12.345.678-9.")
    assert entities.phones == []
    assert [r.text for r in entities.references] == ["600123456"]


def test_mask_contacts_hides_emails_and_phones_but_keeps_references():
    text = "Mi correo es ana.perez@gmail.com y mi móvil 612 345 678; pedido 600123456."
    masked = mask_contacts(text)
    assert "ana.perez" not in masked and "612 345 678" not in masked
    assert "a***@gmail.com" in masked
    assert "*** *** *78" in masked
    assert "pedido 600123456" in masked
    assert mask_contacts("Sin datos de contacto.") == "Sin datos de contacto."


def test_analysis_with_entities_fills_a_model_analysis():
    analysis = analysis_from_causes(["delay"])
    text = "Mi pedido PED-48213 no llega.\nUn saludo,\nLucía Ferrer"
    filled = analysis_with_entities(analysis, text)
    assert filled.entities.customer_name == "Lucía Ferrer"
    assert [r.text for r in filled.entities.references] == ["PED-48213"]
    assert filled.cause_ids == ["delay"] and analysis.entities.customer_name is None


def test_empty_text_has_no_entities():
    assert extract_entities("   ").model_dump() == extract_entities("").model_dump()


# --- the corpus --------------------------------------------------------------------------------


def _corpus_sample(limit: int = 400) -> list[dict]:
    records = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records[:: max(1, len(records) // limit)]


@pytest.mark.skipif(not any(CORPUS.glob("*.jsonl")), reason="no corpus files yet")
def test_names_and_references_match_the_corpus_labels():
    def key(ref: str) -> str:
        return re.sub(r"[\s#]", "", ref).upper()

    counts = {"name": [0, 0, 0], "ref": [0, 0, 0]}  # true positives, predicted, gold
    for record in _corpus_sample():
        entities = extract_entities(record["text"])
        spans_point_into(record["text"], entities)
        gold, predicted = record["customer_name"], entities.customer_name
        counts["name"][0] += bool(gold and predicted == gold)
        counts["name"][1] += bool(predicted)
        counts["name"][2] += bool(gold)
        gold_refs = {key(r) for r in record["references"]}
        found = {key(r.text) for r in entities.references}
        counts["ref"][0] += len(gold_refs & found)
        counts["ref"][1] += len(found)
        counts["ref"][2] += len(gold_refs)
    for what, (tp, predicted, gold) in counts.items():
        assert tp / max(predicted, 1) >= 0.95, f"{what} precision {tp}/{predicted}"
        assert tp / max(gold, 1) >= 0.9, f"{what} recall {tp}/{gold}"
