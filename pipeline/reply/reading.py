"""What the complaint text says that a reply depends on: the amount charged, the customer's word for a
reference, a chat waiting for an answer now, evidence they hold, data a change needs, harm suffered,
a moment that has passed.

These are read from the words alone, before any step is planned or phrased, so each can be tested on
a sentence and reused by the plan and the context.
"""

from __future__ import annotations

import re

from pipeline.actions import REQUEST_PATTERNS
from pipeline.checks import fold
from pipeline.entities.speakers import SPEAKER_STAFF
from pipeline.offsets import fold_mapped
from pipeline.policy import Policy, fill
from pipeline.reply.spanish import join_es
from pipeline.schema import (
    Analysis,
    Reference,
)
from pipeline.text import sentence_spans

# What the customer calls a reference, as the draft names it: the word before the code in the complaint
# ("ticket 0045-...", "reporte 2024-TF-...", "wire reference FW-..."). A kind guessed from a code's
# shape ("F..." read as an invoice) named a wire transfer a "factura"; the customer's own word cannot.
_REFERENCE_WORDS: list[tuple[str, str]] = [
    (r"tickets?|tiquets?", "ticket"),
    (r"folios?", "folio"),
    (r"reportes?", "reporte"),
    (r"avisos?", "aviso"),
    (r"radicados?", "radicado"),
    (r"solicitud(?:es)?", "solicitud"),
    (r"tramites?", "trámite"),
    (r"reclamos?", "reclamo"),
    (r"reclamacion(?:es)?", "reclamación"),
    (r"quejas?", "queja"),
    (r"casos?|case", "caso"),
    (r"expedientes?|exptes?|exp", "expediente"),
    (r"incidencias?", "incidencia"),
    (r"denuncias?", "denuncia"),
    (r"atestados?", "atestado"),
    (r"partes?", "parte"),
    (r"actas?", "acta"),
    (r"siniestros?|claim", "siniestro"),
    (r"polizas?|policy", "póliza"),
    (r"pedidos?", "pedido"),
    (r"ordenes|orden|order|ot", "orden"),
    (r"compras?", "compra"),
    (r"albaran(?:es)?", "albarán"),
    (r"facturas?|invoice", "factura"),
    (r"boletas?", "boleta"),
    (r"recibos?|receipt", "recibo"),
    (r"presupuestos?|cotizacion", "presupuesto"),
    (r"comprobantes?|justificante", "comprobante"),
    (r"contratos?", "contrato"),
    (r"prestamos?|loan", "préstamo"),
    (r"creditos?", "crédito"),
    (r"cuentas?|account", "cuenta"),
    (r"clientes?|abonado", "cliente"),
    (r"socios?|socias?", "socio"),
    (r"suministro|cups|nis|nic", "suministro"),
    (r"matricula", "matrícula"),
    (r"guias?|tracking|rastreo|seguimiento", "seguimiento"),
    (r"envios?", "envío"),
    (r"localizador|pnr", "localizador"),
    (r"reservas?|reservacion|booking|reservation", "reserva"),
    (r"billetes?", "billete"),
    (r"boletos?", "boleto"),
    (r"vouchers?", "voucher"),
    (r"eventos?", "evento"),
    (r"transferencias?|wire|giro", "transferencia"),
    (r"operacion(?:es)?", "operación"),
    (r"transaccion(?:es)?", "transacción"),
    (r"autorizacion", "autorización"),
]
_REFERENCE_WORD_RES = [(re.compile(rf"(?:{pattern})"), noun) for pattern, noun in _REFERENCE_WORDS]
# Words that say "this is a code" without saying of what: skipped on the way to a noun, else "referencia".
_NEUTRAL_REFERENCE_WORD = re.compile(
    r"referencias?|reference|ref|codigo|code|numero|number|nro|num|no|n|#|de|del|la|el|es|mi|su|con|nuestro"
)


def _reference_word(complaint: str, start: int) -> str:
    """The customer's word for the code at ``start``: the nearest noun before it in the same clause."""
    before = fold(complaint[max(0, start - 60) : start])
    before = re.sub(r"\b(exptes?|exp|nro|num|no|n|ref)\.", r"\1", before)  # "Expte. N° 34.512": not a clause end
    before = re.split(r"[.,;)\n\[\]¿?!¡]", before)[-1]
    for token in reversed(re.findall(r"[\w#]+", before)[-6:]):
        for pattern, noun in _REFERENCE_WORD_RES:
            if pattern.fullmatch(token):
                return noun
        if not _NEUTRAL_REFERENCE_WORD.fullmatch(token) and not token.isdigit():
            continue  # "póliza todo riesgo 7712-...": a few words may sit between the noun and the code
    return "referencia"


def _reference_paren(references: list[Reference], nouns: dict[str, str], complaint: str | None = None) -> str:
    """ "(ticket 0045-00221187)": each cited code named by the customer's word for it, else "referencia".

    Without the complaint (an analysis sent on its own) the sector's noun for the reference's kind.
    """
    cited: list[str] = []
    seen: set[str] = set()
    for ref in references:
        key = re.sub(r"[\s#]", "", ref.text).upper()
        if key in seen or not ref.text.strip():
            continue
        seen.add(key)
        if complaint and complaint[ref.start : ref.end] == ref.text:
            noun = _reference_word(complaint, ref.start)
        else:
            noun = nouns.get(ref.kind, "referencia")
        cited.append(f"{noun} {ref.text.strip()}")
        if len(cited) == 2:
            break
    return f" ({join_es(cited)})" if cited else ""


_QUESTION = re.compile(
    r"\b(?:quiero|quisiera|queria|me gustaria|necesito) saber\b|"
    r"^\s*(?:hola\W+)?(?:como|cuanto|cuando|donde|puedo|se puede)\b"
)


def _message_kind(analysis: Analysis, complaint_text: str | None) -> str:
    if complaint_text and ("?" in complaint_text or _QUESTION.search(fold(complaint_text))):
        return "question"
    if analysis.sentiment.label == "positive":
        return "thanks"
    return "request"


_CHARGED = re.compile(
    r"\b(?:cobr|carg|debit|factur|descont|abon|deposit|anticipo|pag(?:ue|ar|o\b|ado|amos|aron)|duplicad|dos veces|"
    r"doble|de mas|recibo)"
)

# A charge verb just before an amount: the sum the customer was charged, among others they quote.
_CHARGED_BEFORE = re.compile(r"\b(?:me |nos |le |les )?(?:cobr|carg|debit|factur)\w*\s+(?:\w+\s+){0,2}$")
_CHARGE_FACT = re.compile(r"(?:el|la) (?:cargo|cobro|recibo|factura) de \{importe\}")
_TWICE = re.compile(r"\b(?:dos veces|duplicad\w*|doble (?:cargo|cobro|debito)|(?:dos|2) (?:cargos|cobros|debitos))\b")


def _amount(analysis: Analysis, complaint_text: str | None) -> str | None:
    """The amount the draft may quote: the one in the refund request, else the only one, if said as charged.

    With several amounts and no way to tell which one is claimed, none: a wrong figure is worse than
    a generic phrase. A lone amount that the complaint gives as a price or a quota ("96.000 ARS cada
    una") is not the sum to refund either, so it is quoted only where the complaint says it was charged.
    """
    amounts = [a for a in analysis.entities.amounts if a.text.strip()]
    distinct = list(dict.fromkeys(a.text.strip() for a in amounts))
    if len(distinct) == 1 and not complaint_text:
        return distinct[0]
    if complaint_text and amounts:
        for start, end in sentence_spans(complaint_text):
            sentence = fold(complaint_text[start:end])
            inside = [a for a in amounts if start <= a.start < end]
            if len(inside) == 1 and re.search(REQUEST_PATTERNS["refund"], sentence):
                return inside[0].text.strip()
            # The one amount, when its sentence says it was charged: a price or a fee is not what is claimed.
            if len(distinct) == 1 and inside and (_CHARGED.search(sentence) or _TWICE.search(fold(complaint_text))):
                return inside[0].text.strip()
    return None


def _charged(analysis: Analysis, complaint_text: str | None) -> str | None:
    """Among several amounts, the one said as charged ("me cobró $95.000 a ojo, cuando son unos $40.000").

    It names the charge in the issue ("el cargo de $95.000"), never the sum to give back: what was
    charged is not what was overcharged.
    """
    if not complaint_text:
        return None
    charged = {
        a.text.strip()
        for a in analysis.entities.amounts
        if a.text.strip() and _CHARGED_BEFORE.search(fold(complaint_text[max(0, a.start - 40) : a.start]))
    }
    return charged.pop() if len(charged) == 1 else None


def customer_words(text: str) -> str:
    """What the customer said: in a transcript, the lines of staff ("Ejecutiva: lo devuelvo a emergencias") go."""
    lines = text.splitlines()
    if not any(SPEAKER_STAFF.match(line) for line in lines):
        return text
    return "\n".join(line for line in lines if not SPEAKER_STAFF.match(line))


def looks_public(text: str | None) -> bool:
    """A post on a network or a review site: addressed to an @account, a hashtag, or a star rating."""
    if not text:
        return False
    return bool(re.search(r"(?:^|\s)@\w{2,}|(?:^|\s)#\w{2,}|[★⭐]|\b[1-5]\s*/\s*5\b|\b[1-5] estrellas?\b", text))


# A chat about something happening now (a question, "no carga", "el parcial cierra a las 11", "hace 2
# horas"): the customer is waiting at the screen, so the answer is a step taken now, not a date next week.
_LIVE = re.compile(
    r"\?|\b(?:ahora mismo|ahorita|ya mismo|en este momento|esta noche|esta tarde|sigo esperando|sigue sin|estoy en|"
    r"no (?:me )?(?:carga|cargan|funciona|funcionan|abre|deja|va|anda|entra|llega)|"
    r"se (?:cierra|cuelga|cae|hunde|apaga)|"
    r"dejo de funcionar|imposible|cierra a las|hace \d+\s*(?:min\w*|h\w*)|today|right now)\b"
)
# What the customer says they hold ("tengo la foto con la hora", "tengo el mail de aprobación"): the
# evidence worth asking for, in their words, instead of a generic "una foto" or a reference.
_EVIDENCE = re.compile(
    r"\btengo\s+(?P<det>el|la|los|las|un|una|unos|unas)\s+(?P<what>(?:fotos?|capturas?|pantallazos?|correos?|"
    r"mails?|e-?mails?|mensajes?|tickets?|facturas?|recibos?|comprobantes?|videos?|grabacion|audios?|folleto)(?:\s+de\s+(?:(?:la|el|los|las|mi|su)\s+)?\w{3,}(?:\s+(?!con\b|que\b|para\b|por\b)\w{4,})?)?)"
)
_DEFINITE = {"un": "el", "una": "la", "unos": "los", "unas": "las"}


# A request to change the customer's data needs the new data and who asks: until they arrive, nothing is
# "ya en marcha". Each entry: what is changed (folded), and what the draft asks for.
_CHANGE = r"\b(?:cambiar|cambio|cambien|actualizar|actualicen|actualizacion|modificar|modifiquen|corregir|corrijan)\b"
_NEEDS: list[tuple[re.Pattern[str], str, re.Pattern[str] | None]] = [
    (
        re.compile(
            rf"{_CHANGE}[^.?!]{{0,40}}\b(?:direccion|domicilio|dir\.)|\b(?:me mude|me cambie de casa|me pase a vivir)\b"
        ),
        "la nueva dirección completa",
        re.compile(r"\b(?:calle|carrera|cra|avenida|av|cl|pasaje|jr|jiron)\.?\s+[\w .]+\d"),
    ),
    (re.compile(rf"{_CHANGE}[^.?!]{{0,40}}\b(?:titular|titularidad)\b"), "los datos del nuevo titular", None),
    (
        re.compile(rf"{_CHANGE}[^.?!]{{0,40}}\b(?:cuenta bancaria|domiciliacion|cuenta de cobro|cbu|clabe|iban)\b"),
        "el nuevo número de cuenta",
        re.compile(r"\b(?:es\d{2}|\d{18,22})\b"),
    ),
    (
        re.compile(rf"{_CHANGE}[^.?!]{{0,40}}\b(?:telefono|celular|movil|correo|email|e-mail|mail)\b"),
        "el nuevo dato de contacto",
        re.compile(r"@|\b\d{9,}\b"),
    ),
]


def data_needed(complaint_text: str | None) -> str | None:
    """What a change the customer asks for needs and the message does not give, with their ID to confirm it's them.

    "necesito cambiar la dirección, me pasé a vivir a Chía" gives a town, not the address: the draft asks
    for it and says what happens once it arrives, instead of "ya la estoy tramitando".
    """
    if not complaint_text:
        return None
    folded = fold(complaint_text)
    for pattern, need, given in _NEEDS:
        if pattern.search(folded) and not (given and given.search(folded)):
            return join_es([need, "{su} número de documento"])
    return None


def live_chat(complaint_text: str | None) -> bool:
    """A chat message about something happening now or asking something: answered now, not on a later date."""
    return bool(complaint_text and _LIVE.search(fold(complaint_text)))


def evidence_ask(complaint_text: str | None) -> str | None:
    """The evidence the customer says they have, as a noun phrase in their own words ("la foto de las máquinas")."""
    if not complaint_text:
        return None
    folded = fold_mapped(complaint_text)
    m = _EVIDENCE.search(folded.text)
    if not m:
        return None
    start, end = folded.original(*m.span("what"))
    what = re.sub(r"\s+(?:y|con|que|en|a)$", "", complaint_text[start:end].strip())
    return f"{_DEFINITE.get(m.group('det'), m.group('det'))} {what}"


def _mentions_item(policy: Policy, folded_complaint: str) -> bool:
    """The complaint talks about the sector's thing (pedido, reserva, póliza...), so its reference helps."""
    noun = fold(fill(policy.item, "usted")).split()[-1]
    return bool(re.search(rf"\b{re.escape(noun[:5])}", folded_complaint))


# Harm the customer plainly suffered, by kind: a compensation only where one of these is said.
_HARM = {
    # a night or a trip paid elsewhere, money out of pocket, something lost because of us
    "costs": r"\b(?:dormi\w*|alojar\w*|nos alojamos|pasa\w* la noche|irnos|buscar)\s+(?:en|a)\s+(?:un|una|otro|otra)\s+"
    r"(?:hostal|hostel|hotel|pension|alojamiento)\b|"
    r"\b(?:buscar|pagar|pagamos|pague|reservar)\s+(?:otro|otra)\s+(?:hotel|hostal|alojamiento|vuelo|billete|pasaje)\b|"
    r"\bde (?:mi|nuestro) (?:propio )?bolsillo\b|"
    r"\btuv(?:e|imos) que (?:pagar|comprar|alquilar|tomar|coger) (?:un |una |otro |otra )?"
    r"(?:taxi|uber|remis|hotel|hostal|vuelo|billete|pasaje|alojamiento|grua)\b|"
    r"\bperd(?:i|imos) (?:el|la|un|una|mi|nuestro|nuestra) (?:vuelo|conexion|dia de trabajo|jornada|examen|"
    r"entrevista|evento|cita)\b",
    "spoiled": r"\bse (?:\w+ )?(?:echaron|echo) a perder|\bse (?:pudrio|pudrieron|descongel\w*)|"
    r"\bcomida (?:podrida|en mal estado)|"
    r"\btirar (?:la|toda la) comida",
    "no_service": r"\b(?:\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|quince|varios|muchos) "
    r"(?:dias|semanas) sin "
    r"(?:luz|agua|gas|internet|linea|servicio|suministro|senal|telefono|tono|conexion|calefaccion)\b|"
    r"\b(?:sin|no tiene|no hay) (?:luz|agua|gas|internet|linea|servicio|suministro|senal|tono|conexion)\b"
    r"[\s\S]{0,200}\b(?:van|llevo|llevamos|hace) "
    r"(?:\d+|dos|tres|cuatro|cinco|seis|siete|diez|quince) (?:dias|semanas)\b",
    "no_vehicle": r"\b(?:llevo|llevamos|estoy|estamos|me quede|nos quedamos|dias|semanas|meses) sin "
    r"(?:coche|carro|auto|vehiculo|camioneta|moto)\b",
    "night": r"\b(?:sin dormir|no (?:pudimos|pude) dormir|imposible dormir|noche en vela)\b",
}
_HARM_RES = {kind: re.compile(pattern) for kind, pattern in _HARM.items()}


def harm(complaint: str | None) -> set[str]:
    """The kinds of harm the complaint plainly states (money spent elsewhere, spoiled food, days without service...)."""
    folded = fold(complaint or "")
    return {kind for kind, pattern in _HARM_RES.items() if pattern.search(folded)}


# The moment has passed: the event happened ("el día del matrimonio, cinco invitados se encontraron..."), or
# the customer already solved it elsewhere ("ya lo conseguí en un almacén", "ya porté mi número"). A step
# that corrects the booking or checks the order fixes nothing then; what is left is an apology and the
# gesture the company decides, left to the agent.
_OVER = re.compile(
    r"\bya (?:lo |la |los |las |me |nos )?(?:consegui|conseguimos|compre|compramos|encontre|encontramos|porte|portamos|"
    r"contrate|contratamos|alquile|reserve|reservamos|cambie de|me cambie|me pase|nos pasamos|me fui|nos fuimos|"
    r"lo (?:arregle|resolvi|solucione))\b[^.]{0,60}\b(?:en|con|a|por) (?:otr[oa]s?|un|una|mi cuenta|nuestra cuenta)\b|"
    r"\bya (?:porte|he portado|me cambie de (?:compania|operador\w*|banco|aseguradora))\b|"
    r"\b(?:el dia|la noche|la manana|la tarde) (?:del|de la|de mi|de nuestra|de nuestro) "
    r"(?:boda|matrimonio|evento|fiesta|graduacion|ceremonia|celebracion|cumpleanos|bautizo|comunion)\b"
    r"[^.]{0,120}\b\w+(?:aron|ieron|imos|amos)\b|"
    r"\b(?:la boda|el matrimonio|el evento|la fiesta|el viaje|la ceremonia|la celebracion) (?:ya )?"
    r"(?:paso|fue|termino|se hizo)\b"
)


def moment_passed(complaint: str | None) -> bool:
    """The event is over or the customer already went elsewhere: nothing left to correct, only to make good."""
    return bool(complaint and _OVER.search(fold(complaint)))
