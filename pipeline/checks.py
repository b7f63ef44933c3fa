"""What a draft claims, checked against what is known: the review's content rules.

The wording rules of `pipeline.review` look at phrases alone. These rules need context: which actions
the agent confirmed as done, the company's sector, the complaint the draft answers, whether the
customer threatened legal action, and the channel. Each returns findings with offsets into the draft.
Patterns read the folded draft (lower case, no accents; pipeline.offsets keeps the offsets exact).

`commitment_keys` is shared with pipeline.reply, which uses it to never write the same commitment
twice: the generator and the review agree on what "the same promise" means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from pipeline.actions import confirmed_participle
from pipeline.offsets import fold_mapped
from pipeline.schema import Entities, ReviewFinding
from pipeline.text import sentence_spans

# Length a reader accepts per channel: (max words, max sentences or None).
CHANNEL_LIMITS: dict[str, tuple[int, int | None]] = {"email": (170, None), "chat": (45, 2), "public": (60, 3)}


def _finding(kind: str, message: str, suggestion: str, start: int = 0, end: int = 0) -> ReviewFinding:
    return ReviewFinding(kind=kind, message=message, suggestion=suggestion, start=start, end=end)


def _word_count(text: str) -> int:
    return len(re.findall(r"[\w][\w.,/'-]*", text))


# --------------------------------------------------------------------------------------------
# Past-tense actions nobody confirmed
# --------------------------------------------------------------------------------------------

# Perfect tenses that report no action on the customer's case.
_NOT_ACTIONS = set(
    "recibido leido visto entendido comprendido sentido sido estado podido querido tenido intentado notado "
    "lamentado dicho escrito contestado respondido producido ocurrido tomado".split()
)
_ACTION_STEMS = (
    r"(?:anulad|cancelad|reembolsad|devuelt|enviad|corregid|aplicad|tramitad|restablecid|resuelt|solucionad|"
    r"reparad|abonad|programad|reservad|asignad|ordenad|sustituid|cambiad|retirad|regularizad|reactivad)\w*"
)
_PERFECT = re.compile(
    r"\b(?:ya\s+)?(?:(?:se|le|te|les|lo|la|los|las)\s+){0,2}(?P<aux>hemos|he)\s+(?P<p>\w+(?:ado|ido|to|cho|elto|ierto)s?)\b"
)
_IMPERSONAL = re.compile(rf"\b(?:ya\s+)?se\s+(?:le\s+|te\s+)?(?:ha|han)\s+(?P<p>{_ACTION_STEMS})\b")
_STATE = re.compile(rf"\bya\s+(?:esta|estan|quedo|quedaron|queda|quedan|fue|fueron)\s+(?P<p>{_ACTION_STEMS})\b")
_PRETERITE = re.compile(
    r"\bya\s+(?:(?:se|le|te|lo|la|los|las|les)\s+){0,2}(?P<v>(?:anul|cancel|reembols|envi|corregi|aplic|tramit|"
    r"restablec|resolvi|solucion|repar|abon|program|reserv|asign|devolvi|cambi|sustitu)\w*(?:amos|imos))\b"
)


def _participle_of_preterite(verb: str) -> str:
    """ "anulamos" -> "anulado", "devolvimos" -> "devuelto": the form the action catalogue matches."""
    if verb.startswith("devolv"):
        return "devuelto"
    if verb.startswith("resolv"):
        return "resuelto"
    return re.sub(r"amos$", "ado", re.sub(r"imos$", "ido", verb))


def unconfirmed_actions(text: str, done: Iterable[str] = ()) -> list[ReviewFinding]:
    """Sentences that say an action was already done ("Hemos anulado el cargo") when nobody confirmed it."""
    done = tuple(done)
    folded = fold_mapped(text)
    findings = []
    claims: list[tuple[int, int, str]] = []
    for m in _PERFECT.finditer(folded.text):
        if m.group("p") not in _NOT_ACTIONS:
            claims.append((m.start(), m.end(), m.group("p")))
    for pattern in (_IMPERSONAL, _STATE):
        claims += [(m.start(), m.end(), m.group("p")) for m in pattern.finditer(folded.text)]
    claims += [(m.start(), m.end(), _participle_of_preterite(m.group("v"))) for m in _PRETERITE.finditer(folded.text)]
    taken: list[tuple[int, int]] = []
    for start, end, participle in sorted(claims):
        if any(start < e and s < end for s, e in taken) or confirmed_participle(participle, done):
            continue
        taken.append((start, end))
        s, e = folded.original(start, end)
        findings.append(
            _finding(
                "unconfirmed_action",
                f"Da por hecha una acción que nadie ha confirmado («{text[s:e]}»).",
                "Si ya se hizo, márquelo como hecho; si no, escríbalo como compromiso: "
                "«Reviso el cargo y, si procede, lo anulo hoy».",
                s,
                e,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# Words of another sector
# --------------------------------------------------------------------------------------------

# Before a single word, these make it a verb or an idiom, not the sector's noun ("nos cuenta", "en curso").
_IDIOM_BEFORE = re.compile(r"(?:\b(?:nos|me|te|se|lo|le|en|que|hemos|he|ha|han)\s+)$")


def fold(text: str) -> str:
    """Lower case without accents: the text every pattern here reads."""
    return fold_mapped(text).text


@cache
def _sector_patterns() -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    from pipeline.policy import sector_vocabulary

    return {
        sector: tuple((word, re.compile(rf"\b{re.escape(fold(word))}(?:s|es)?\b")) for word in words)
        for sector, words in sector_vocabulary().items()
    }


def other_sector_words(text: str, sector: str, complaint: str | None = None) -> list[ReviewFinding]:
    """Words that belong to other sectors (a shipping refund for a bank customer, an order for a hotel guest).

    A word the customer used in the complaint is theirs and never flagged; nor is a word of the own sector.
    """
    patterns = _sector_patterns()
    if sector not in patterns:
        return []
    folded = fold_mapped(text)
    said = fold(complaint or "")
    own_spans = [m.span() for _, p in patterns[sector] for m in p.finditer(folded.text)]
    own_words = {w for w, _ in patterns[sector]}
    findings: list[ReviewFinding] = []
    taken: list[tuple[int, int]] = []
    for other, words in patterns.items():
        if other == sector:
            continue
        for word, pattern in words:
            if word in own_words or pattern.search(said):
                continue
            for m in pattern.finditer(folded.text):
                span = m.span()
                if any(span[0] < e and s < span[1] for s, e in own_spans + taken):
                    continue
                if " " not in word and _IDIOM_BEFORE.search(folded.text[max(0, span[0] - 6) : span[0]]):
                    continue
                s, e = folded.original(*span)
                before = text[:s].rstrip()
                if text[s].isupper() and before and before[-1] not in ".!?:¿¡\n":
                    continue  # a capital inside a sentence: a proper name ("Tienda Aurora"), not the noun
                taken.append(span)
                findings.append(
                    _finding(
                        "other_sector",
                        f"«{text[s:e]}» es de otro sector ({other}), no de {sector}.",
                        "Use las palabras del propio negocio (las del cliente o las del sector) o deje un "
                        "hueco «[ACCIÓN: ...]» para el agente.",
                        s,
                        e,
                    )
                )
    return findings


# --------------------------------------------------------------------------------------------
# The same commitment twice
# --------------------------------------------------------------------------------------------

COMMITMENT_KEYS: dict[str, re.Pattern[str]] = {
    key: re.compile(pattern)
    for key, pattern in {
        "personal": r"\b(?:me encargo|me quedo con|llevo yo|lo llevo yo|yo directamente|personalmente|yo me ocupo|"
        r"me ocupo yo|atendere yo|las atendere yo|yo mism[oa])\b",
        "callback": r"\b(?:le|te) (?:llamo|llamare|llamaremos|llamamos|llamara|llamaran)\b",
        "refund": r"\b(?:devuelvo|devolvemos|devolveremos|devolvere|reembolso|reembolsamos|reembolsaremos|abonamos|"
        r"abonaremos|reintegramos)\b|\b(?:inicio|tramito|tramitamos|tramitare) (?:la|el) (?:devolucion|reembolso)\b",
        "date": r"\b(?:le|te) (?:doy|dare|daremos|damos) (?:una )?fecha\b|\bfecha (?:firme|concreta)\b",
        "periodic": r"\bcada (?:dos|tres|cuatro|\d+) dias\b|\b(?:le|te) (?:mantengo|mantendre|mantendremos) informad",
        "confirm": r"\b(?:le|te) (?:confirmo|confirmare|confirmaremos|escribire|escribiremos)\b",
        "priority": r"\bprioridad\b|\bprioritari\w*",
        "technician": r"\b(?:envio|enviamos|enviaremos|asigno|mandamos) (?:un |el |al )?tecnico\b|\bvisita tecnica\b",
    }.items()
}


def commitment_keys(sentence: str) -> set[str]:
    """The kinds of promise a sentence makes ("personal", "callback", "refund", ...)."""
    folded = fold(sentence)
    return {key for key, pattern in COMMITMENT_KEYS.items() if pattern.search(folded)}


def _content_words(sentence: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(sentence)) if len(w) >= 4}


def repeated_commitments(text: str) -> list[ReviewFinding]:
    """A promise made in two sentences (the same kind, or nearly the same words)."""
    findings: list[ReviewFinding] = []
    seen: dict[str, int] = {}
    earlier: list[set[str]] = []
    for index, (start, end) in enumerate(sentence_spans(text)):
        sentence = text[start:end]
        repeated = sorted(k for k in commitment_keys(sentence) if k in seen)
        words = _content_words(sentence)
        near = len(words) >= 6 and any(len(words & w) / len(words | w) >= 0.6 for w in earlier)
        if repeated or near:
            what = ", ".join(repeated) if repeated else "casi las mismas palabras"
            findings.append(
                _finding(
                    "repeated_commitment",
                    f"Repite un compromiso ya hecho en el borrador ({what}).",
                    "Dígalo una sola vez, donde mejor encaje.",
                    start,
                    end,
                )
            )
        for key in commitment_keys(sentence):
            seen.setdefault(key, index)
        earlier.append(words)
    return findings


# --------------------------------------------------------------------------------------------
# Asking for what the complaint already gives
# --------------------------------------------------------------------------------------------

_ASK = re.compile(
    r"\b(?:ind[ií]qu\w*|ind[ií]ca(?:nos|me)?|env[ií](?:e|a)(?:nos|me)?|facil[ií]t\w*|necesit(?:o|amos|aria|ariamos)|"
    r"resp[oó]nd\w*|d[ií]g(?:a|anos|ame)|d[ií](?:nos|me)|confirm(?:e|a)(?:nos|me)?|p[aá]s(?:e|a)nos|"
    r"compart\w*nos|adjunt\w*|m[aá]nd(?:e|a)nos|escr[ií]b(?:a|e)nos|pod(?:r[ií]a|r[ií]as|ria)\s+(?:indicar|enviar|facilitar|"
    r"decir|confirmar|pasar)|puede\s+(?:indicar|enviar|facilitar|decir|confirmar|pasar)|hace\s+falta|nos\s+falta)\b"
)
KNOWN_INFO_PATTERNS = {
    "reference": r"\b(?:numero|n\.?o|codigo)\s+de\s+(?:la\s+|el\s+|su\s+|tu\s+)?"
    r"(?:pedido|reserva|poliza|siniestro|cuenta|"
    r"expediente|factura|contrato|cliente|orden|aviso|seguimiento|referencia|caso|solicitud|incidencia|registro|"
    r"matricula|serie|billete|localizador|linea|tarjeta|ticket|folio)\b|\blocalizador\b|\breferencia\b|\bcups\b|"
    r"\bticket\s+de\s+compra\b|\bultimos\s+digitos\b|\bnumero\s+de\s+poliza\b",
    "phone": r"\b(?:telefono|movil|numero\s+de\s+contacto|numero\s+de\s+(?:la\s+)?linea)\b",
    "address": r"\b(?:direccion(?!\s+de\s+correo)|domicilio)\b",
    "email": r"\b(?:correo\s+electronico|e-?mail|direccion\s+de\s+correo)\b",
    "name": r"\b(?:su|tu)\s+nombre(?:\s+completo)?\b|\bnombre\s+completo\b",
}
_ADDRESS = re.compile(
    r"\b(?:calle|c/|avda\.?|avenida|av\.|plaza|paseo|pasaje|camino|carrera|cra\.?|jr\.?|jir[oó]n|colonia|col\.|"
    r"urbanizaci[oó]n|urb\.)\s*\w+",
    re.IGNORECASE,
)
_INFO_NAMES = {
    "reference": "la referencia",
    "phone": "el teléfono",
    "address": "la dirección",
    "email": "el correo",
    "name": "el nombre",
}


def known_info(entities: Entities, complaint: str | None) -> set[str]:
    """What the complaint already gives: reference, phone, address, e-mail, name."""
    known = set()
    if entities.references:
        known.add("reference")
    if entities.phones:
        known.add("phone")
    if entities.emails:
        known.add("email")
    if entities.customer_name:
        known.add("name")
    if complaint and _ADDRESS.search(complaint):
        known.add("address")
    return known


def asks_known(text: str, known: set[str]) -> list[ReviewFinding]:
    """Requests for something the complaint already gave (the order number it quotes, its phone...)."""
    if not known:
        return []
    folded = fold_mapped(text)
    findings = []
    for start, end in sentence_spans(folded.text):
        sentence = folded.text[start:end]
        if not _ASK.search(sentence):
            continue
        for info in sorted(known):
            m = re.search(KNOWN_INFO_PATTERNS[info], sentence)
            if m:
                s, e = folded.original(start + m.start(), start + m.end())
                findings.append(
                    _finding(
                        "asks_known_info",
                        f"Pide {_INFO_NAMES[info]}, que el cliente ya dio en su mensaje («{text[s:e]}»).",
                        "Use el dato que ya dio en lugar de volver a pedirlo.",
                        s,
                        e,
                    )
                )
    return findings


# --------------------------------------------------------------------------------------------
# Fault admitted under a legal threat
# --------------------------------------------------------------------------------------------

_ADMISSION = re.compile(
    r"\b(?:tiene|tienes|tienen)\s+(?:toda\s+la\s+)?razon\b|\bnos\s+equivocamos\b|\bme\s+equivoque\b|"
    r"\b(?:el\s+)?error\s+(?:fue|es|ha\s+sido)\s+(?:nuestro|mio|de\s+la\s+empresa)\b|"
    r"\b(?:error|fallo|culpa)\s+(?:nuestr[oa]|mio|mia)\b|\bnuestr[oa]\s+(?:error|culpa|fallo|responsabilidad)\b|"
    r"\bpor\s+nuestra\s+culpa\b|\b(?:reconocemos|reconozco|admitimos|admito|asumimos|asumo)\b|"
    r"\bno\s+(?:debimos|debi|deberiamos\s+haber)\b|\b(?:teniamos|tendriamos|tenia|tendria|debiamos)\s+que\s+haber\b|"
    r"\bdebimos\s+haber\b|\bfallamos\b|\bhemos\s+fallado\b|\blo\s+hicimos\s+mal\b|"
    r"\b(?:es|fue)\s+responsabilidad\s+nuestra\b|\bla\s+responsabilidad\s+es\s+nuestra\b"
)


def fault_admissions(text: str) -> list[ReviewFinding]:
    """Admissions of fault ("Tiene razón, nos equivocamos"); conditional ones ("si el error fue nuestro") are not."""
    folded = fold_mapped(text)
    findings = []
    for m in _ADMISSION.finditer(folded.text):
        if re.search(r"\bsi\b", folded.text[max(0, m.start() - 8) : m.start()]):
            continue
        s, e = folded.original(*m.span())
        findings.append(
            _finding(
                "fault_under_legal",
                f"Admite la culpa con una amenaza legal de por medio («{text[s:e]}»).",
                "Con riesgo legal, sea cuidadoso y neutral: no admita culpa, diga qué revisa y nombre la vía de "
                "reclamación formal.",
                s,
                e,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# Length per channel
# --------------------------------------------------------------------------------------------


def guess_channel(text: str) -> str:
    """A letter has line breaks; a chat or public answer is one paragraph."""
    return "email" if "\n" in text.strip() else "chat"


def too_long(text: str, channel: str) -> list[ReviewFinding]:
    """Over the channel's length: e-mails over 170 words, chat over 2 sentences or 45 words, public over 3 or 60."""
    max_words, max_sentences = CHANNEL_LIMITS.get(channel, CHANNEL_LIMITS["email"])
    words = _word_count(text)
    sentences = len(sentence_spans(text))
    problems = []
    if words > max_words:
        problems.append(f"{words} palabras (máximo {max_words})")
    if max_sentences is not None and sentences > max_sentences:
        problems.append(f"{sentences} frases (máximo {max_sentences})")
    if not problems:
        return []
    return [
        _finding(
            "too_long",
            f"Demasiado largo para {channel}: {' y '.join(problems)}.",
            "Quite lo que no resuelve nada al cliente: una frase de solución por causa y un solo compromiso.",
            0,
            len(text),
        )
    ]
