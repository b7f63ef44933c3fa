"""Reply drafts: one letter (or chat message) for all the causes of a complaint, ready for an agent to edit.

`draft_reply` follows the seven steps of docs/TAXONOMY.md (section 5): greet by name, say what we
answer, apologise and admit our error, fix each cause (steps from ``pipeline/policy.yaml``), offer a
benefit, commit to a follow-up date counted in business days, and end with a clear call to action.
What to say comes from the policy and the analysis; how to say it comes from the Jinja templates in
``pipeline/templates``, which hold several phrasings per step. The phrasing is chosen from a hash of
the complaint, so the same complaint always gets the same draft and different complaints read
differently. Every draft is checked with `pipeline.review` before it is returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import holidays
import jinja2

from pipeline.actions import DONE_ACTION_IDS, REQUEST_PATTERNS, customer_requests, unknown_actions
from pipeline.cancelled import as_cancellation, cancellation_wording
from pipeline.channels import REPLY_CHANNELS, is_public
from pipeline.checks import asks_known, commitment_keys, fold, known_info
from pipeline.demands import Demand, customer_demands, demands_placeholder
from pipeline.entities import MONTH_NAMES, WEEKDAY_NAMES, analysis_with_entities, mask_contacts
from pipeline.entities.dates import upcoming_event
from pipeline.entities.speakers import SPEAKER_STAFF
from pipeline.errors import ConfigurationError
from pipeline.frame import (
    Urgency,
    angry,
    complaint_route,
    customer_blamed,
    customer_called,
    detect_country,
    formal_salutation,
    is_formal,
    localise,
    review_site,
    urgency,
)
from pipeline.offsets import fold_mapped
from pipeline.policy import Policy, contract_articles, fill, normalise_tone
from pipeline.questions import customer_questions, questions_placeholder, situation
from pipeline.review import first_name as greeting_name
from pipeline.review import review_draft
from pipeline.schema import (
    REPLY_STEPS,
    Analysis,
    CauseScore,
    Draft,
    Entities,
    ModelInfo,
    Reference,
    Risk,
    RiskScores,
    Sentiment,
)
from pipeline.taxonomy import TAXONOMY, Taxonomy
from pipeline.text import sentence_spans
from pipeline.wording import word_count

TEMPLATES_DIR = Path(__file__).with_name("templates")

# Word budgets for the parts that grow with the number of causes; the loop in draft_reply shrinks the
# draft further (fewer items, no remedy) until it fits the review's sentence and channel limits.
EMAIL_BUDGETS = {"issues": 22, "admitted": 24, "regrets": 14}
CHAT_BUDGETS = {"issues": 10, "actions": 18}
PUBLIC_BUDGETS = {"issues": 14}
CHANNELS = REPLY_CHANNELS


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def add_business_days(start: dt.date, days: int, country: str, subdivision: str | None = None) -> dt.date:
    """``start`` plus ``days`` business days: weekends and the country's public holidays do not count."""
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=range(start.year, start.year + 2))
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            left -= 1
    return day


def before_event(
    follow: dt.date, today: dt.date, complaint: str | None, country: str, subdivision: str | None
) -> dt.date:
    """The follow-up day, brought before an event the complaint is waiting for (a trip on Sunday, an exam tomorrow).

    News promised for the day after the bus leaves is no news: the follow-up moves to the last business
    day before the event, or today when none is left.
    """
    event = upcoming_event(complaint or "", today)
    if event is None or follow < event:
        return follow
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=range(today.year, today.year + 2))
    day = event - dt.timedelta(days=1)
    while day > today and (day.weekday() >= 5 or day in calendar):
        day -= dt.timedelta(days=1)
    return max(day, today)


# An event this many days away or fewer (a bus on Sunday, read on a Friday) is acted on today, within hours.
IMMINENT_DAYS = 3


def follow_up(
    days: int, today: dt.date, complaint: str | None, channel: str, policy: Policy
) -> tuple[dt.date, str | None]:
    """The follow-up day and how soon it is: "hours" (within hours, today), "today" (by today's closing), or None.

    A chat customer is not told to wait for news days away: the follow-up comes in the same chat today.
    An event the complaint is waiting for within ``IMMINENT_DAYS`` (the bus leaves on Sunday at 6:00)
    gets its answer within hours: a date, even tomorrow, may come after the trip. Otherwise ``days``
    business days, brought before any later event, said as "hoy" when that is today.
    """
    if channel == "chat":
        return today, "hours"
    event = upcoming_event(complaint or "", today)
    if event is not None and (event - today).days <= IMMINENT_DAYS:
        return today, "hours"
    follow = add_business_days(today, days, policy.country, policy.subdivision)
    follow = before_event(follow, today, complaint, policy.country, policy.subdivision)
    return follow, "today" if follow == today else None


def format_date_es(day: dt.date, today: dt.date | None = None) -> str:
    """ "jueves 14 de marzo" (with the year when it is not the current one)."""
    text = f"{WEEKDAY_NAMES[day.weekday()]} {day.day} de {MONTH_NAMES[day.month - 1]}"
    if today is None or day.year != today.year:
        text += f" de {day.year}"
    return text


# --------------------------------------------------------------------------------------------
# Spanish lists
# --------------------------------------------------------------------------------------------


def join_es(items: list[str]) -> str:
    """ "a, b y c"; "y" becomes "e" before an /i/ sound ("rápido e inútil")."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = items[-1]
    conjunction = "e" if re.match(r"(?i)h?i(?![aeiouáéó])", last) else "y"
    return f"{', '.join(items[:-1])} {conjunction} {last}"


def join_within(items: list[str], budget: int, rest: str | None = None) -> str:
    """Join as many items as fit in ``budget`` words (at least one); ``rest`` stands for the ones left out."""
    chosen: list[str] = []
    for item in items:
        if chosen and word_count(join_es(chosen + [item])) > budget:
            break
        chosen.append(item)
    if rest and len(chosen) < len(items):
        chosen.append(rest)
    return join_es(chosen)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --------------------------------------------------------------------------------------------
# Context handed to the templates
# --------------------------------------------------------------------------------------------


@dataclass
class ReplyContext:
    """Everything a template may print. ``pick`` and ``t`` are the only logic templates need."""

    seed: str
    tone: str
    channel: str
    name: str | None
    company: str
    agent_first: str
    signature: str
    ref_paren: str = ""
    issues: str = ""
    admitted: str = ""
    regrets: str = ""
    legal: bool = False
    route: str = ""
    steps: list[str] = field(default_factory=list)
    answer: str = ""
    chat_actions: str = ""
    remedy: str | None = None
    follow_date: str = ""
    follow_soon: str | None = None  # "hours" or "today": the follow-up is today, said without a date (follow_up)
    follow_time: str | None = None
    ask: str | None = None
    kind: str = "complaint"
    needs: str | None = None  # what a requested change needs before it can start ("la nueva dirección completa")
    live: bool = False  # a chat about something happening now: the follow-up is within the hour, in the chat
    salutation: str | None = None  # a formal letter's greeting ("Estimado señor Rondón:"); None: "Hola, X"
    called: bool = False  # the customer phoned: never "gracias por escribirnos"
    angry: bool = False  # the sentiment or the text shows anger: only then "entiendo su enfado"
    safety: str | None = None  # advice for a hazard happening now ("no se acerque al cable")
    urgent_step: str | None = None  # the step asked for now, with the agent's placeholder to confirm it
    answers: str = ""  # [RESPUESTA: ...] quoting the customer's questions for the agent to answer
    situation: str | None = None  # what the customer says about someone of theirs ("su hijo es diabético")
    contact: str | None = None  # under a review (no private message there): the policy's e-mail and phone
    blamed: bool = False  # our staff blamed the customer: the apology says it was not their fault

    def pick(self, step: str, options: int) -> int:
        digest = hashlib.sha256(f"{self.seed}|{step}".encode()).hexdigest()
        return int(digest[:12], 16) % options

    def t(self, usted: str, tu: str) -> str:
        return tu if self.tone == "tú" else usted

    @property
    def su(self) -> str:
        return self.t("su", "tu")

    @property
    def Su(self) -> str:  # noqa: N802 - mirrors the {Su} placeholder of the policy
        return self.t("Su", "Tu")

    @property
    def le(self) -> str:
        return self.t("le", "te")

    @property
    def Le(self) -> str:  # noqa: N802
        return self.t("Le", "Te")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _macros(name: str):
    return _environment().get_template(name).module


def _tidy(text: str) -> str:
    """One space between words, none before punctuation, no spaces at line ends."""
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:)])", r"\1", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\b(de|a) el\b", lambda m: "del" if m.group(1) == "de" else "al", text)  # "avisarnos de el retraso"
    return text.strip()


# --------------------------------------------------------------------------------------------
# Drafting
# --------------------------------------------------------------------------------------------


def _seed(analysis: Analysis, complaint_text: str | None) -> str:
    """Stable per complaint: its text when known, else what the analysis says about it."""
    if complaint_text:
        basis = complaint_text
    else:
        basis = json.dumps(
            {"causes": analysis.cause_ids, "entities": analysis.entities.model_dump(mode="json")}, sort_keys=True
        )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


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


def harm(complaint: str | None) -> set[str]:
    """The kinds of harm the complaint plainly states (money spent elsewhere, spoiled food, days without service...)."""
    folded = fold(complaint or "")
    return {kind for kind, pattern in _HARM_RES.items() if pattern.search(folded)}


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


def moment_passed(complaint: str | None) -> bool:
    """The event is over or the customer already went elsewhere: nothing left to correct, only to make good."""
    return bool(complaint and _OVER.search(fold(complaint)))


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


@dataclass(frozen=True)
class _Reading:
    """How the message asks to be answered (register, country, review site, urgency): it does not depend on how
    short the draft must be, so `draft_reply` reads it once instead of once per shortening."""

    formal: bool
    tone: str
    country: str | None
    policy: Policy  # the company's policy in the customer's country's words
    review_site: bool
    called: bool
    angry: bool
    urgency: Urgency | None


def _read(analysis: Analysis, policy: Policy, text: str, channel: str = "email") -> _Reading:
    formal = is_formal(text)
    tone = "usted" if formal else normalise_tone(policy.tone)  # a letter to a court is never answered with tú
    country = detect_country(text)
    on_review_site = channel == "review" or review_site(text)
    # A review is written after the fact, and a happy customer reports no emergency.
    recounted = analysis.sentiment.label == "positive" or on_review_site
    return _Reading(
        formal=formal,
        tone=tone,
        country=country,
        policy=localise(policy, country),
        review_site=on_review_site,
        called=customer_called(text),
        angry=angry(analysis.sentiment, text),
        urgency=None if recounted else urgency(text, tone),
    )


def _context(
    analysis: Analysis,
    reading: _Reading,
    channel: str,
    today: dt.date,
    complaint_text: str | None,
    done: list[str],
    level: int = 0,
) -> tuple[ReplyContext, dt.date]:
    """What the draft says. ``level`` > 0 asks for a shorter draft (fewer items, no remedy, no extra answer)."""
    budgets = dict(
        {"chat": CHAT_BUDGETS, "public": PUBLIC_BUDGETS, "review": PUBLIC_BUDGETS}.get(channel, EMAIL_BUDGETS)
    )
    for key in budgets:
        budgets[key] = max(1, budgets[key] - 4 * level)
    text = complaint_text or ""
    tone, country, policy = reading.tone, reading.country, reading.policy
    entities = analysis.entities
    amount = _amount(analysis, complaint_text)
    values = {
        "importe": amount or policy.refund_default,
        "percent": str(policy.discount_percent),
        "item": policy.item_for(complaint_text, tone),
    }

    def say(text: str, **override: str) -> str:
        return fill(text, tone, **{**values, **override})

    legal = analysis.risk.legal
    context = ReplyContext(
        seed=_seed(analysis, complaint_text),
        tone=tone,
        channel=channel,
        name=greeting_name(entities.customer_name),
        company=policy.company,
        agent_first=greeting_name(policy.agent) or policy.agent,
        signature=policy.signature.format(agent=policy.agent, company=policy.company).strip(),
        ref_paren=""
        if is_public(channel)
        else _reference_paren(entities.references, policy.reference_nouns, complaint_text),
        follow_time=policy.follow_up_time,
        legal=legal,
        route=complaint_route(policy, country, tone, text),
        salutation=formal_salutation(text, entities.customer_name) if reading.formal and channel == "email" else None,
        called=reading.called,
        angry=reading.angry,
    )
    if channel == "review":  # no private message on a review site: the company's own e-mail and phone
        context.contact = f"{policy.contact_email} o {context.t('llámenos', 'llámanos')} al {policy.contact_phone}"
    known = known_info(entities, complaint_text)
    folded = fold(complaint_text or "")
    context.live = channel == "chat" and live_chat(complaint_text)
    if not analysis.causes:
        context.kind = _message_kind(analysis, complaint_text)
        needs = data_needed(complaint_text) if context.kind == "request" else None
        context.needs = say(needs) if needs else None
        context.live = channel == "chat" and context.kind == "question"  # the customer waits for the answer
        questions = customer_questions(complaint_text) if context.kind == "question" else []
        if questions:  # answered now, through the agent: a standard question never waits for a later date
            context.answers = questions_placeholder(questions)
            context.situation = situation(complaint_text, tone) if channel == "email" else None
            return context, today
        if context.live:
            return context, today  # answered in the same chat, not on a later day
        follow, context.follow_soon = follow_up(
            policy.non_complaint.follow_up_days, today, complaint_text, channel, policy
        )
        context.follow_date = format_date_es(follow, today)
        return context, follow

    all_rules = [
        as_shown(
            as_cancellation(policy.rule_for(c.id, c.display).for_complaint(complaint_text or ""), c.id, complaint_text),
            complaint_text,
            legal,
        )
        for c in analysis.causes
    ]
    rules = all_rules[:2] if level >= 4 else all_rules
    context.blamed = (
        not legal and any(c.id in _BLAME_CAUSES for c in analysis.causes) and customer_blamed(complaint_text)
    )
    rest = "lo demás" if channel == "email" else None
    if channel != "email" and level >= 1:
        context.ref_paren = ""
    charged = None if amount else _charged(analysis, complaint_text)
    issues = [
        say(r.issue_fact)
        if r.issue_fact and amount
        # only a phrase naming the charge itself takes the charged sum ("el cargo de"), not "la diferencia de"
        else say(r.issue_fact, importe=charged)
        if r.issue_fact and charged and _CHARGE_FACT.match(r.issue_fact)
        else say(r.issue)
        for r in rules
    ]
    context.issues = join_within(issues, budgets["issues"], rest) if channel == "email" or level < 3 else ""
    if not legal and channel == "email":
        context.admitted = join_within([say(r.apology) for r in rules if r.admit_error], budgets["admitted"])
        if level < 3 and not context.admitted:  # one apology sentence: what we got wrong, else what went wrong
            context.regrets = join_within([say(r.apology) for r in rules if not r.admit_error], budgets["regrets"])
    elif not legal:
        context.admitted = "yes" if any(r.admit_error for r in rules) else ""
    requests = customer_requests(fold(customer_words(complaint_text or "")))
    demands, redundant = _open_demands(rules, customer_demands(customer_words(text)) if channel != "public" else [])
    placed: list[str] = []
    if demands:
        placed.append(f"Sobre lo que nos {context.t('pide', 'pides')}: {demands_placeholder(demands)}.")
        requests = [kind for kind in requests if not any(kind in d.kinds for d in demands)]
    over = channel != "public" and moment_passed(customer_words(text))
    if over:  # nothing left to correct: the gesture the company decides, instead of "corrijo la reserva"
        placed.append(say(GOODWILL_STEP))
        redundant = redundant | {i for i, rule in enumerate(rules) if _mends(rule)}
    plan = _plan(
        rules,
        policy,
        say,
        done,
        requests,
        legal,
        churn=analysis.risk.churn,
        amount=amount,
        complaint=complaint_text,
        placed=tuple(placed),
        redundant=redundant,
    )
    context.steps = plan.steps if level < 5 else plan.steps[:2]
    context.answer = plan.answer if level < 2 else ""
    context.remedy = plan.remedy if level < 1 and channel == "email" and not over else None
    if channel == "chat":
        actions: list[str] = []
        if demands:  # the customer's own requests, where the causes' generic clauses would be
            asked = context.t("pide", "pides")
            actions.append(f"{context.le} contesto a lo que nos {asked}: {demands_placeholder(demands)}")
        for index, rule in enumerate(rules):
            if index in redundant:
                continue
            clause = say(rule.chat)
            if context.live:  # the customer is waiting: what we start now, not later today
                clause = re.sub(r"^hoy\b|\bhoy\b", "ahora mismo", clause, count=1)
            if actions and word_count("; ".join(actions + [clause])) > budgets["actions"]:
                break
            if not commitment_keys(clause) & {k for a in actions for k in commitment_keys(a)}:
                actions.append(clause)
        context.chat_actions = "; ".join(actions)
        context.live = context.live or bool(re.search(r"\bahora\b", context.chat_actions))
    if not is_public(channel) and level < 3:
        # The customer's own questions that no step or answer already covers, for the agent to answer now.
        answered = {kind for rule in rules for kind in rule.covers}
        if plan.answer:
            answered |= {kind for kind in requests if kind in policy.answers}
        open_questions = [
            q for q in customer_questions(complaint_text, strict=True) if not set(customer_requests(fold(q))) & answered
        ]
        context.answers = questions_placeholder(open_questions)
    now = reading.urgency
    if now is not None:  # something happening right now: safety first, a step asked for now, news within hours
        context.safety = now.safety
        context.urgent_step = f"{_capitalise(now.act)}: [ACCIÓN: {now.confirm}]"
        context.remedy = None
        if channel == "chat":
            context.chat_actions = f"{now.act} [ACCIÓN: {now.confirm}]"
            context.live = True
    need_reference = any(r.needs_reference for r in rules) and not over  # no record left to look up
    if is_public(channel):  # a public answer asks for the reference only when the post is about the thing
        need_reference = need_reference and _mentions_item(policy, folded)
    context.ask = _ask(
        policy,
        rules if channel == "email" or (channel == "chat" and level < 1) else [],
        say,
        known,
        complaint_text,
        need_reference,
    )
    if channel != "email" and level >= 2:
        context.ask = None
    if context.live or now is not None:
        context.live = context.live or now is not None
        return context, today
    follow, context.follow_soon = follow_up(
        max(r.follow_up_days for r in all_rules), today, complaint_text, channel, policy
    )
    context.follow_date = format_date_es(follow, today)
    return context, follow


def _render(context: ReplyContext, channel: str) -> tuple[str, dict[str, str]]:
    complaint = context.kind == "complaint"
    if complaint:
        template = "public_steps.j2" if is_public(channel) else {"chat": "chat_steps.j2"}.get(channel, "email_steps.j2")
        macros = _macros(template)
        steps = [s for s in REPLY_STEPS if hasattr(macros, s)]
    else:
        macros = _macros("other_steps.j2")
        steps = ["greeting", "purpose", "resolution", "follow_up", "call_to_action"]
    parts = {step: _tidy(str(getattr(macros, step)(context))) for step in steps}
    if channel == "email":
        parts["closing"] = str(macros.closing(context)).strip()
    layout = _environment().get_template("email.j2" if channel == "email" else "chat.j2")
    body = layout.render(parts={**{s: "" for s in REPLY_STEPS}, **parts})
    if channel == "email":
        body = "\n".join(line.rstrip() for line in body.strip().splitlines())
        body = re.sub(r"\n{3,}", "\n\n", body)
    else:
        body = _tidy(body)
        # Each sentence starts with a capital letter (fragments are written in lower case).
        body = re.sub(r"([.!?] )(\w)", lambda m: m.group(1) + m.group(2).upper(), body)
    return body, parts


def _mask_customer_contacts(body: str, policy: Policy) -> str:
    """Mask contact details the draft quotes from the complaint, but not the company's own (``contact_*``)."""
    own = [c for c in (policy.contact_email, policy.contact_phone) if c and c in body]
    for n, value in enumerate(own):
        body = body.replace(value, f"\ue000{n}\ue001")
    body = mask_contacts(body)
    for n, value in enumerate(own):
        body = body.replace(f"\ue000{n}\ue001", value)
    return body


def _subject(
    context: ReplyContext, analysis: Analysis, policy: Policy, amount: str | None, complaint_text: str | None
) -> str:
    if context.kind != "complaint":
        topic = {"thanks": "mensaje", "question": "consulta", "request": "solicitud"}[context.kind]
        return f"{context.Su} {topic}{context.ref_paren}"
    causes = analysis.causes
    item = policy.item_for(complaint_text, context.tone)
    rule = as_cancellation(policy.rule_for(causes[0].id, causes[0].display), causes[0].id, complaint_text)
    text = rule.issue_fact if rule.issue_fact and amount else rule.issue
    issue = fill(text, context.tone, item=item, importe=amount or "", percent="")
    more = " y otros puntos" if len(causes) > 1 else ""
    return f"{context.Su} queja sobre {issue}{more}{context.ref_paren}"


def draft_reply(
    analysis: Analysis,
    policy: Policy,
    channel: str = "email",
    today: dt.date | None = None,
    complaint_text: str | None = None,
    done_actions: list[str] | tuple[str, ...] = (),
) -> Draft:
    """A reply draft for ``analysis`` following ``policy``; ``channel`` is "email", "chat", "public" or "review".

    ``done_actions`` are what the agent confirms as already done (pipeline.actions): only those are
    said in the past tense. An e-mail answering a public post (an @account, a review with stars) whose
    analysis flags public exposure becomes a short public answer that moves to a private channel; a
    public answer to a review (stars, "reseña", no @account) becomes a "review" answer, which gives the
    company's e-mail and phone instead, since a review site has no private messages.
    When ``complaint_text`` is given and the analysis carries no entities yet, they are extracted
    from the text, so the draft can greet by name, cite references and quote the amount.
    """
    if channel not in CHANNELS:
        raise ConfigurationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    unknown = unknown_actions(list(done_actions))
    if unknown:
        raise ConfigurationError(f"unknown done actions: {', '.join(unknown)}; known: {', '.join(DONE_ACTION_IDS)}")
    done = list(dict.fromkeys(done_actions))
    today = today or dt.date.today()
    if complaint_text and analysis.entities == Entities():
        analysis = analysis_with_entities(analysis, complaint_text, reference_date=today)
    if channel == "email" and analysis.risk.public and looks_public(complaint_text):
        channel = "public"
    if channel == "public" and review_site(complaint_text):
        channel = "review"  # stars or "reseña" and no @account: a review, with no private message to move to
    reading = _read(analysis, policy, complaint_text or "", channel)
    for level in range(7):
        context, follow = _context(analysis, reading, channel, today, complaint_text, done, level)
        body, parts = _render(context, channel)
        body = _mask_customer_contacts(body, policy)
        review = review_draft(body, analysis=analysis, channel=channel, done_actions=done, legal=analysis.risk.legal)
        if not any(f.kind in ("long_sentence", "too_long") for f in review.findings):
            break  # otherwise say less and try again
    subject = mask_contacts(_subject(context, analysis, policy, _amount(analysis, complaint_text), complaint_text))
    covered = [step for step in REPLY_STEPS if parts.get(step)]
    return Draft(
        subject=subject,
        body=body,
        channel=channel,  # type: ignore[arg-type]
        steps_covered=covered,  # type: ignore[arg-type]
        follow_up_date=follow if parts.get("follow_up") else None,
    )


def analysis_from_causes(
    cause_ids: list[str],
    entities: Entities | None = None,
    sentiment: str | None = None,
    taxonomy: Taxonomy = TAXONOMY,
) -> Analysis:
    """An `Analysis` built by hand (no model): for tests, the API when a client sends causes, and demos."""
    found = [taxonomy.cause(c) for c in cause_ids]
    causes = [CauseScore(id=c.id, group=c.group, display=c.display, score=1.0) for c in found]
    label = sentiment or ("negative" if causes else "neutral")
    score = {"negative": -0.7, "neutral": 0.0, "positive": 0.8}[label]
    return Analysis(
        causes=causes,
        group=taxonomy.group_of(cause_ids),
        sentiment=Sentiment.model_validate({"label": label, "score": score}),
        risk=Risk(churn=False, legal=False, public=False, scores=RiskScores(churn=0.0, legal=0.0, public=0.0)),
        entities=entities or Entities(),
        model=ModelInfo(name="manual", version="0"),
    )


def chat_sentences(body: str) -> int:
    """How many sentences a chat body has (the same splitter the review uses)."""
    return len(sentence_spans(body))


__all__ = [
    "IMMINENT_DAYS",
    "add_business_days",
    "analysis_from_causes",
    "analysis_with_entities",
    "chat_sentences",
    "draft_reply",
    "evidence_ask",
    "follow_up",
    "format_date_es",
    "join_es",
    "live_chat",
]
