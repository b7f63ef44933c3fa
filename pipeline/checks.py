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
from pipeline.policy import sector_vocabulary
from pipeline.schema import Entities, ReviewFinding
from pipeline.text import sentence_spans
from pipeline.wording import AGENT_PLACEHOLDER, word_count

# Length a reader accepts per channel: (max words, max sentences or None).
CHANNEL_LIMITS: dict[str, tuple[int, int | None]] = {
    "email": (150, None),
    "chat": (45, 2),
    "public": (60, 3),
    "review": (60, 3),
}


def _finding(kind: str, message: str, suggestion: str, start: int = 0, end: int = 0) -> ReviewFinding:
    return ReviewFinding(kind=kind, message=message, suggestion=suggestion, start=start, end=end)


def fold(text: str) -> str:
    """Lower case without accents: the text every pattern here reads."""
    return fold_mapped(text).text


# --------------------------------------------------------------------------------------------
# Past-tense actions nobody confirmed
# --------------------------------------------------------------------------------------------

# Verbs that report no action on the customer's case ("hemos recibido su mensaje", "ya sabemos").
_NOT_ACTIONS = set(
    "recibido leido visto entendido comprendido sentido sido estado podido querido tenido intentado notado "
    "lamentado dicho escrito contestado respondido producido ocurrido tomado hecho "
    "sabemos estamos somos tenemos podemos queremos vemos entendemos lamentamos sentimos creemos pedimos "
    "escribimos respondemos contestamos recibimos damos decimos comprendemos agradecemos indicamos dijimos "
    "explicamos informamos comentamos advertimos comunicamos avisamos contamos mencionamos preguntamos".split()
)
_ACTION_STEMS = (
    r"(?:anulad|cancelad|reembolsad|devuelt|enviad|corregid|aplicad|tramitad|restablecid|resuelt|solucionad|"
    r"reparad|abonad|programad|reprogramad|reagendad|reservad|asignad|ordenad|sustituid|cambiad|retirad|"
    r"regularizad|reactivad|instalad|conciliad|descontad|reversad|reintegrad|localizad|autorizad|aprobad|"
    r"confirmad|emitid|despachad|reconectad|rectificad|repuest|dad[oa]s?\s+de\s+baja)\w*"
)
_PARTICIPLE = r"\w+(?:ad|id)[oa]s?|\w*(?:puest|vuelt|biert|ech|ect|scrit)[oa]s?"
_CLITICS = r"(?:(?:se|le|te|les|lo|la|los|las|nos)\s+){0,2}"
_CLAIMS = (
    # "Hemos anulado", "ya le he enviado": a perfect tense in the first person.
    re.compile(rf"\b(?:ya\s+)?{_CLITICS}(?:hemos|he)\s+(?P<p>{_PARTICIPLE})\b"),
    # "ya se ha resuelto", "la pieza ya ha llegado": a third-person perfect, only with "ya" or an action.
    re.compile(rf"\bya\s+{_CLITICS}(?:ha|han)\s+(?P<p>{_PARTICIPLE})\b"),
    re.compile(rf"\bse\s+(?:le\s+|te\s+|les\s+)?(?:ha|han)\s+(?P<p>{_ACTION_STEMS})\b"),
    # "ya está instalado", "quedó cancelado", "fue anulado", "está dado de baja": a finished state.
    re.compile(rf"\bya\s+(?:esta|estan|fue|fueron|queda|quedan)\s+(?P<p>{_PARTICIPLE})\b"),
    re.compile(rf"\b(?:esta|estan|fue|fueron|ha\s+sido|han\s+sido)\s+(?P<p>{_ACTION_STEMS})\b"),
    re.compile(rf"\b(?:{_CLITICS})?(?:quedo|quedaron)\s+(?P<p>{_PARTICIPLE})\b"),
    # "Te acabo de reembolsar": the action has just been done.
    re.compile(rf"\b(?:acabo|acabamos)\s+de\s+{_CLITICS}(?P<inf>\w+(?:ar|er|ir))\b"),
    # "ya localizamos", "ya le mandamos": "ya" and a first-person plural preterite.
    re.compile(rf"\bya\s+{_CLITICS}(?P<v>\w+(?:amos|imos))\b"),
    # "Te devolvimos", "resolvimos": preterites that cannot be read as a present.
    re.compile(rf"\b{_CLITICS}(?P<v>(?:devolv|resolv|hic|pus|repus|traj)imos)\b"),
    # "el técnico está subiendo", "va de camino": someone said to be on the way.
    re.compile(r"\b(?P<p>(?:esta|estan|va|van)\s+(?:subiendo|llegando|en\s+camino|de\s+camino|para\s+alla))\b"),
)
# Third-person preterites ("El almacén confirmó el cambio"); the accent tells them from "confirmo".
_PRETERITE_3 = re.compile(
    r"\b(?:confirm|autoriz|aprob|valid|repar|envi|anul|cancel|abon|reembols|instal|cambi|localiz|tramit|"
    r"despach|reprogram|reagend|emiti|gestion)ó\b|\b(?:devolvi|resolvi|sali)ó\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:no|nunca|nadie|todavia\s+no|aun\s+no|si|cuando|hasta\s+que)\s+(?:\w+\s+){0,1}$")
# A preterite after "que" retells what happened ("el estado en que le devolvimos su auto", "qué se despachó").
_RETOLD = re.compile(r"\bque\s+(?:\w+\s+){0,1}$")


def _participle(verb: str) -> str:
    """ "anulamos"/"anular"/"anuló" -> "anulado", "devolvimos" -> "devuelto": the form the catalogue matches."""
    verb = fold(verb)
    for irregular, participle in (("devolv", "devuelto"), ("resolv", "resuelto"), ("hic", "hecho"), ("pus", "puesto")):
        if verb.startswith(irregular):
            return participle
    return re.sub(r"(?:amos|ar|o)$", "ado", re.sub(r"(?:imos|er|ir|io)$", "ido", verb))


def _action_claims(text: str) -> list[tuple[int, int, str]]:
    """(start, end, participle) of every clause that reports an action as done, not negated or conditional."""
    folded = fold_mapped(text)
    claims: list[tuple[int, int, str]] = []
    for pattern in _CLAIMS:
        for m in pattern.finditer(folded.text):
            word = m.groupdict().get("p") or m.groupdict().get("inf") or m.groupdict().get("v") or ""
            participle = word if m.groupdict().get("p") else _participle(word)
            if participle.split()[0] in _NOT_ACTIONS or word in _NOT_ACTIONS:
                continue
            before = folded.text[max(0, m.start() - 20) : m.start()]
            if _NEGATED.search(before) or (m.groupdict().get("v") and _RETOLD.search(before)):
                continue
            s, e = folded.original(m.start(), m.end())
            claims.append((s, e, participle))
    for m in _PRETERITE_3.finditer(text):
        before = fold(text[max(0, m.start() - 20) : m.start()])
        if _NEGATED.search(before) or _RETOLD.search(before) or re.search(r"\b(?:usted|ud|nos|me|tu|vos)\s+$", before):
            continue  # "usted nos envió": the customer's own action
        claims.append((m.start(), m.end(), _participle(m.group())))
    return sorted(claims)


def unconfirmed_actions(text: str, done: Iterable[str] = ()) -> list[ReviewFinding]:
    """Clauses that say an action was already done ("Hemos anulado el cargo") when nobody confirmed it."""
    done = tuple(done)
    findings = []
    taken: list[tuple[int, int]] = []
    for start, end, participle in _action_claims(text):
        if any(start < e and s < end for s, e in taken) or confirmed_participle(participle, done):
            continue
        taken.append((start, end))
        findings.append(
            _finding(
                "unconfirmed_action",
                f"Da por hecha una acción que nadie ha confirmado («{text[start:end]}»).",
                "Si ya se hizo, márquelo como hecho; si no, escríbalo como compromiso: "
                "«Reviso el cargo y, si procede, lo anulo hoy».",
                start,
                end,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# Words of another sector
# --------------------------------------------------------------------------------------------

# Before a single word, these make it a verb or an idiom, not the sector's noun ("nos cuenta", "en curso").
_IDIOM_BEFORE = re.compile(r"(?:\b(?:nos|me|te|se|lo|le|en|que|hemos|he|ha|han)\s+)$")
# A lone noun follows a determiner or a preposition; without one the word is a participle or a verb
# ("su certificado pedido el día 2"), not the sector's noun.
_NOUN_BEFORE = re.compile(
    r"\b(?:el|la|los|las|un|una|unos|unas|su|sus|tu|tus|mi|mis|del|al|de|este|esta|estos|estas|ese|esa|nuestr[oa]s?|"
    r"cada|otr[oa]s?|proxim[oa]s?|nuev[oa]s?|con|en|por|sin|para|y|o)\s+$"
)


# Words every kind of business uses for paying, people and appointments: a card payment, money back
# into an account, a technician, an appointment, a record. A sector's vocabulary keeps them (its own
# presets use them), but in another sector's draft they say nothing about the wrong business.
EVERYDAY_WORDS = frozenset(
    "tarjeta cuenta abono tienda técnico cita curso registro caja pieza línea médico viajero vehículo "
    "garantía presupuesto tarifa instalación expediente".split()
)


@cache
def _sector_patterns() -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    return {
        sector: tuple(
            (word, re.compile(rf"\b{re.escape(fold(word))}(?:s|es)?\b"))
            for word in words
            if word.split()[-1] not in EVERYDAY_WORDS
        )
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
                before = folded.text[max(0, span[0] - 14) : span[0]]
                if " " not in word and (_IDIOM_BEFORE.search(before[-7:]) or not _NOUN_BEFORE.search(before)):
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
        r"me ocupo|atendere yo|las atendere yo|yo mism[oa]|en persona|me hago cargo|(?:la|lo|las|los) sigo yo|"
        r"(?:le|te) doy seguimiento|seguimiento personal|estar pendiente)\b",
        "callback": r"\b(?:le|te|les) (?:llamo|llamare|llamaremos|llamamos|llamara|llamaran|vamos a llamar)\b",
        "refund": r"\b(?:devolvemos|devolveremos|devolvere|reembolsamos|reembolsaremos|abonamos|abonaremos|"
        r"reintegramos)\b|\b(?:le|te|se lo|se la|lo|la) (?:devuelvo|reembolso|regreso)\b|"
        r"\b(?:inicio|tramito|tramitamos|tramitare) (?:la|el) (?:devolucion|reembolso)\b",
        "date": r"\b(?:le|te) (?:doy|dare|daremos|damos) (?:una )?fecha\b|\bfecha (?:firme|concreta)\b",
        "periodic": r"\bcada (?:dos|tres|cuatro|\d+) dias\b|\b(?:le|te) (?:mantengo|mantendre|mantendremos) informad",
        "confirm": r"\b(?:le|te) (?:confirmo|confirmare|confirmaremos|escribire|escribiremos)\b",
        "priority": r"\bprioridad\b|\bprioritari\w*",
        "technician": r"\b(?:envio|enviamos|enviaremos|asigno|mandamos) (?:un |el |al )?tecnico\b|\bvisita tecnica\b",
    }.items()
}
# Promises the generator never makes twice anyway but a person writing by hand does: the review
# counts them as the same commitment only when the two clauses also name the same time.
_TIMED_KEYS = {
    "write": re.compile(
        r"\b(?:le|te|les) (?:escribo|escribimos|vamos a escribir|envio un mensaje|enviamos un mensaje)\b|"
        r"\bescribir(?:le|te)\b|\bmensaje privado\b"
    ),
    "reschedule": re.compile(r"\b(?:reagend|reprogram)\w*"),
}
# "Le doy mi palabra", "me comprometo": a promise about a promise, never needed twice.
_VOW = re.compile(
    r"\b(?:(?:le|te) (?:doy|damos) mi palabra|tiene mi palabra|tienes mi palabra|(?:le|te) prometo|tiene mi promesa|"
    r"me comprometo|nos comprometemos|es un compromiso|mi compromiso)\b"
)
# "Le repito", "como le digo": the writer says a promise again and knows it.
_AGAIN = re.compile(
    r"\b(?:(?:le|te) (?:repito|reitero)|insisto|como (?:le|te|les) (?:digo|decimos|dije|dijimos)|ya (?:le|te) digo|"
    r"como nos comprometimos|como me comprometi|como (?:le|te) prometi)\b"
)
_WHEN = re.compile(
    r"\b(?:hoy|manana|esta (?:tarde|manana|noche|semana)|lunes|martes|miercoles|jueves|viernes|sabado|domingo|"
    r"\d{1,2}(?::\d{2}| de la (?:manana|tarde)))\b"
)
_CLAUSE_END = re.compile(
    r"[;?]|:(?=\s)|,\s+(?=(?:y|que|como)\b)|\s+y\s+(?=(?:\w+\s+){0,2}(?:le|te|me|yo|hoy|manana)\b)"
)


def _keys(folded: str) -> set[str]:
    return {key for key, pattern in COMMITMENT_KEYS.items() if pattern.search(folded)}


def commitment_keys(sentence: str) -> set[str]:
    """The kinds of promise a sentence makes ("personal", "callback", "refund", ...)."""
    return _keys(fold(sentence))


def _clause_keys(clause: str) -> set[str]:
    """What a folded clause promises: the shared keys, timed ones with their time, and vows."""
    if "?" in clause or "¿" in clause:
        return set()  # a question asks, it does not promise
    keys = _keys(clause)
    when = {m.group().replace("esta ", "") for m in _WHEN.finditer(clause)}
    keys |= {f"{key}@{w}" for key, pattern in _TIMED_KEYS.items() if pattern.search(clause) for w in when}
    if _VOW.search(clause):
        keys.add("vow")
    return keys


def _clauses(folded: str) -> list[tuple[int, int]]:
    """Clause spans: sentences cut at ";", ":" and before a coordinated promise ("... y mañana le llamo")."""
    spans = []
    for start, end in sentence_spans(folded):
        cut = start
        for m in _CLAUSE_END.finditer(folded[start:end]):
            spans.append((cut, start + m.start()))
            cut = start + m.end()
        spans.append((cut, end))
    return [(s, e) for s, e in spans if folded[s:e].strip()]


def _content_words(folded: str) -> set[str]:
    return {w for w in re.findall(r"\w+", folded) if len(w) >= 4}


def repeated_commitments(text: str) -> list[ReviewFinding]:
    """A promise made twice: the same kind in two clauses, a promise flagged as said again, or the same words."""
    folded = fold_mapped(text)
    findings: list[ReviewFinding] = []
    seen: set[str] = set()
    earlier: list[set[str]] = []
    for start, end in _clauses(folded.text):
        clause = folded.text[start:end]
        keys = _clause_keys(clause)
        words = _content_words(clause)
        repeated = sorted(k.split("@")[0] for k in keys & seen)
        again = bool(earlier and _AGAIN.search(clause) and (keys or words & set().union(*earlier)))
        near = len(words) >= 6 and any(len(words & w) / len(words | w) >= 0.6 for w in earlier)
        if repeated or again or near:
            what = ", ".join(dict.fromkeys(repeated)) if repeated else "casi las mismas palabras"
            s, e = folded.original(start, end)
            findings.append(
                _finding(
                    "repeated_commitment",
                    f"Repite un compromiso ya hecho en el borrador ({what}).",
                    "Dígalo una sola vez, donde mejor encaje.",
                    s,
                    e,
                )
            )
        seen |= keys
        earlier.append(words)
    return findings


# --------------------------------------------------------------------------------------------
# Asking for what the complaint already gives
# --------------------------------------------------------------------------------------------

_ASK = re.compile(
    r"\b(?:indiqu\w*|indica(?:nos|me)?|envi(?:e|a)(?:nos|me)?|facilit\w*|necesit(?:o|amos|aria|ariamos)|"
    r"respond\w*|dig(?:a|anos|ame)|di(?:nos|me)|dice|decis|dices|confirm(?:e|a)(?:nos|me)?|pas(?:e|a)(?:nos|me)?|"
    r"compart\w*|adjunt\w*|mand(?:e|a)(?:nos|me)?|escrib(?:a|e)nos|dej(?:e|a)(?:nos|me)?|"
    r"pod(?:ria|rias)\s+(?:indicar|enviar|facilitar|decir|confirmar|pasar|dar)|"
    r"puede\s+(?:indicar|enviar|facilitar|decir|confirmar|pasar|dar)|hace\s+falta|nos\s+falta)\b"
)
_PHONE_WORDS = r"telefono|movil|celular|contacto|linea|whatsapp"
KNOWN_INFO_PATTERNS = {
    "reference": r"\b(?:numero|n\.?o|nro|codigo|folio)\s+de\s+(?:la\s+|el\s+|su\s+|tu\s+)?"
    rf"(?!(?:{_PHONE_WORDS})\b)\w+|\b(?:localizador|referencia|cups|placa|patente|matricula|boleta)\b|"
    r"\bticket\s+de\s+compra\b|\bultimos\s+digitos\b",
    "phone": rf"\b(?:{_PHONE_WORDS.replace('|contacto', '').replace('|linea', '')})\b|"
    r"\bnumero\s+(?:de\s+contacto|de\s+(?:la\s+)?linea|donde|para\s+llamar)",
    "address": r"\b(?:direccion(?!\s+de\s+correo)|domicilio)\b",
    "email": r"\b(?:correo\s+electronico|e-?mail|direccion\s+de\s+correo|correo\s+con\s+(?:el|que))\b",
    "name": r"\b(?:su|tu)\s+nombre(?:\s+completo)?\b|\bnombre\s+completo\b",
    "amount": r"\bcuanto\s+(?:pago|pagaste|le\s+cobr\w+|te\s+cobr\w+|fue|costo|era)\b|\b(?:el\s+)?(?:importe|monto)\s+"
    r"(?:exacto|pagado|cobrado|del?)\b",
    "date": r"\bdesde\s+cuando\b|\bque\s+(?:dia|fecha)\b|\bcuando\s+(?:fue|ocurrio|paso|empezo|compro|hizo)\b|"
    r"\bla\s+fecha\s+(?:de|del|en)\b",
}
_ADDRESS = re.compile(
    r"\b(?:calle|c/|avda\.?|avenida|av\.|plaza|paseo|pasaje|camino|carrera|cra\.?|jr\.?|jir[oó]n|colonia|col\.|"
    r"urbanizaci[oó]n|urb\.)\s*\w+|\bmi\s+(?:direcci[oó]n|domicilio)\s+es\b",
    re.IGNORECASE,
)
_PHONE_SAID = re.compile(r"\b(?:telefono|movil|celular|whatsapp|mi\s+numero\s+es)\D{0,12}\d[\d\s-]{6,}")
_DATE_SAID = re.compile(
    r"\b(?:desde|el|del|en)\s+(?:el\s+)?(?:\d{1,2}\s+de\s+)?(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|setiembre|octubre|noviembre|diciembre)\b|\bel\s+(?:dia\s+)?\d{1,2}\b"
)
# A code the customer quotes: three digits or more, letters and dashes allowed ("RF-2219-88413", "HTR-482").
_CODE = re.compile(r"\b[a-z]{0,5}[-\s]?\d[\d-]{2,}[a-z]{0,3}\b|\b[a-z]{2,5}-\d{2,}\b")
_INFO_NAMES = {
    "reference": "la referencia",
    "phone": "el teléfono",
    "address": "la dirección",
    "email": "el correo",
    "name": "el nombre",
    "amount": "el importe",
    "date": "la fecha",
}


def known_info(entities: Entities, complaint: str | None) -> set[str]:
    """What the complaint already gives: reference, phone, address, e-mail, name, amount, date."""
    said = fold(complaint or "")
    known = {
        info
        for info, present in {
            "reference": bool(entities.references),
            "phone": bool(entities.phones) or bool(_PHONE_SAID.search(said)),
            "email": bool(entities.emails),
            "name": bool(entities.customer_name),
            "amount": bool(entities.amounts),
            "date": bool(entities.dates) or bool(_DATE_SAID.search(said)),
            "address": bool(complaint and _ADDRESS.search(complaint)),
        }.items()
        if present
    }
    return known


def _quoted_code(noun: str, said: str) -> bool:
    """True when the complaint names ``noun`` (by its first letters) with a code just after it."""
    stem = re.escape(noun[:5])
    return any(_CODE.search(said[m.end() : m.end() + 40]) for m in re.finditer(rf"\b{stem}\w*", said))


def asks_known(text: str, known: set[str], complaint: str | None = None) -> list[ReviewFinding]:
    """Requests for something the complaint already gave (the order number it quotes, its phone, the amount...).

    A reference counts as given when the complaint carries one, or quotes a code right after the noun the
    draft asks for ("placa HTR-482", "número de serie RF-2219").
    """
    said = fold(complaint or "")
    folded = fold_mapped(text)
    # What the agent writes in a placeholder is not a request of the draft: "[CORREO: dirección de atención]".
    unmasked = AGENT_PLACEHOLDER.sub(lambda m: " " * len(m.group()), folded.text)
    findings = []
    for start, end in sentence_spans(folded.text):
        sentence = unmasked[start:end]
        if not (_ASK.search(sentence) or "?" in sentence):
            continue
        for info in sorted(KNOWN_INFO_PATTERNS):
            for m in re.finditer(KNOWN_INFO_PATTERNS[info], sentence):
                noun = m.group().split()[-1]
                given = info in known or (info == "reference" and bool(said) and _quoted_code(noun, said))
                if not given:
                    continue
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
                break
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
    r"\b(?:es|fue)\s+responsabilidad\s+nuestra\b|\bla\s+responsabilidad\s+es\s+nuestra\b|"
    # "fue un descuido grave de nuestro laboratorio", "fue falla de nuestros técnicos", "error de la empresa"
    r"\b(?:error|fallo|falla|descuido|negligencia|culpa)\s+(?:grave\s+)?(?:de|del)\s+(?:nuestr[oa]s?|la\s+empresa)\b|"
    r"\bdebemos\s+(?:reconocer|admitir|asumir)\b|\b(?:el|la|los|las|nuestr[oa]s?)\s+(?:\w+\s+){1,2}se\s+equivoc(?:o|aron)\b"
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
    """Over the channel's length: e-mails over 150 words, chat over 2 sentences or 45 words, public over 3 or 60."""
    max_words, max_sentences = CHANNEL_LIMITS.get(channel, CHANNEL_LIMITS["email"])
    words = word_count(text)
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


# A review site (Google, TripAdvisor, an app store) has no private messages and no thread to answer in.
_PRIVATE_MESSAGE = re.compile(
    r"\b(?:(?:por|un|al|en|su) )?(?:mensaje (?:privado|directo)|privado|dm|md|inbox)\b|"
    r"\b(?:respond\w*|responda\w*) por aqui\b"
)


def private_message_on_review(text: str) -> list[ReviewFinding]:
    """A reply to a review that sends the customer to a private message: there is none on a review site."""
    folded = fold_mapped(text)
    m = _PRIVATE_MESSAGE.search(folded.text)
    if not m:
        return []
    start, end = folded.original(*m.span())
    return [
        _finding(
            "private_message_on_review",
            "En una reseña no hay mensajes privados ni conversación en la que responder.",
            "Dé el correo y el teléfono de atención: «Escríbanos a [CORREO: ...] o llámenos al [TELÉFONO: ...]».",
            start,
            end,
        )
    ]
