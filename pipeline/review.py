"""Check a reply draft against the seven steps for answering complaints and the plain-style rules.

`review_draft` is what an agent runs before sending (``quejas review``, ``POST /v1/review``): each
finding names the problem, where it is (character offsets into the draft; 0-0 for something that
is missing) and how to fix it. The same phrase lists guard ``pipeline/policy.yaml`` (the loader
rejects policy texts that would fail them) and every draft ``pipeline.reply`` writes must come out
of this review with no findings.

Beyond wording, the review checks what a draft claims against what is known (pipeline/checks.py):
past-tense actions nobody confirmed, words of another sector, a commitment said twice, a request
for something the complaint already gives, fault admitted under a legal threat, and length over
what the channel allows.
"""

from __future__ import annotations

import re

from pipeline import checks
from pipeline.cues import find_cues
from pipeline.folding import fold
from pipeline.schema import Analysis, Entities, Review, ReviewFinding
from pipeline.wording import phrase_findings

# Points taken from 100 per finding; absences weigh more than wording slips.
PENALTIES = {
    "no_apology": 15,
    "name_not_used": 10,
    "no_purpose": 10,
    "no_resolution": 20,
    "vague_promise": 10,
    "self_praise": 10,
    "archaic_formula": 5,
    "blames_customer": 20,
    "no_call_to_action": 10,
    "long_sentence": 5,
    "unconfirmed_action": 20,
    "other_sector": 15,
    "repeated_commitment": 10,
    "asks_known_info": 10,
    "fault_under_legal": 20,
    "too_long": 10,
    "private_message_on_review": 10,
}

# The name an agent sees for each kind of finding (the triage page, GET /v1/labels); one per kind in PENALTIES.
FINDING_NAMES = {
    "no_apology": "Sin disculpa",
    "name_not_used": "No usa el nombre",
    "no_purpose": "Sin propósito claro",
    "no_resolution": "Sin solución concreta",
    "vague_promise": "Promesa vaga",
    "self_praise": "Autoelogio",
    "archaic_formula": "Fórmula anticuada",
    "blames_customer": "Culpa al cliente",
    "no_call_to_action": "Sin siguiente paso",
    "long_sentence": "Frase demasiado larga",
    "unconfirmed_action": "Acción no confirmada",
    "other_sector": "Palabra de otro sector",
    "repeated_commitment": "Compromiso repetido",
    "asks_known_info": "Pide un dato ya dado",
    "fault_under_legal": "Admite culpa con riesgo legal",
    "too_long": "Demasiado largo",
    "private_message_on_review": "Mensaje privado en una reseña",
}


_APOLOGY = re.compile(
    r"\bqu[eé]\s+pena\b|\b(?:lo\s+)?sient[oe]\b|\bsentimos\b|\bdisculp\w*|\bperd[oó]n\w*|\blament(?:o|amos)\b|\bnos\s+equivocamos\b|"
    r"\b(?:tiene|tienes)\s+(?:toda\s+la\s+)?raz[oó]n\b|\berror\s+(?:fue\s+)?nuestro\b|\bme\s+equivoqu[eé]\b|"
    r"\bno\s+fue\s+culpa\s+(?:suya|tuya)\b",
    re.IGNORECASE,
)
_PURPOSE = re.compile(
    r"\b(?:le|te|les)\s+(?:escribo|escribimos|respondo|respondemos|contesto|contestamos)\s+(?:por|sobre|en\s+relaci|"
    r"respecto|a\s+(?:su|tu))\b|\b(?:siento|lamento|sentimos|lamentamos)\s+(?:mucho\s+)?(?:el|la|los|las|lo)\b|"
    r"\bentiendo\s+(?:su|tu)\s+malestar\s+por\b|"
    r"\b(?:su|tu)\s+(?:queja|reclamaci[oó]n|reclamo|mensaje|consulta|solicitud|comentario|rese[nñ]a|correo|"
    r"petici[oó]n|incidencia|pregunta)\b|"
    r"\b(?:disculp[ae]|perd[oó]n(?:e|a)?|qu[eé]\s+pena)\s+(?:\w+\s+){0,2}(?:el|la|los|las|lo|por|con|que)\b|"
    r"^\s*(?:hola,?\s+)?s[ií][,:]|"  # "Sí, la devolución ya salió": the answer to the customer's question
    r"\ben\s+relaci[oó]n\s+(?:con|a)\b|\brespecto\s+(?:a|de)\b|\bgracias\s+por\s+(?:escrib|cont|avis|su\b|tu\b)\w*",
    re.IGNORECASE,
)
_NOT_ACTION = (
    "lamentamos sentimos agradecemos comprendemos entendemos pedimos rogamos deseamos esperamos estamos somos "
    "quedamos tenemos podemos sabemos creemos queremos vemos informamos comunicamos indicamos recordamos "
    "notificamos confirmamos"
).split()
_RESOLUTION = re.compile(
    r"\b(?:hemos|he)\s+\w+(?:ado|ido|to|cho|sto|elto)\b|\b(?:vamos|voy)\s+a\s+\w+r\b|"
    r"\b\w+(?:aremos|eremos|iremos|aré|eré|iré)(?!\w)|"
    rf"\b(?:le|te|se\s+lo|se\s+la|lo|la|los|las|les)\s+(?!(?:{'|'.join(_NOT_ACTION)})\b)\w+(?:amos|emos|imos)\b|"
    r"\b(?:reembolsamos|devolvemos|enviamos|anulamos|recogemos|aplicamos|cambiamos|reponemos|llamamos|abonamos|"
    r"cancelamos|corregimos|cumplimos|reparamos|sustituimos|revisamos|tramitamos|gestionamos|asignamos|"
    r"resolvemos|escribimos|pasamos|contestamos|entregamos)\b|"
    r"\bsale\s+hoy\b|"
    r"\bya\s+(?:qued[oó]|est[aá]|fue)\s+\w+(?:ad|id)[oa]s?\b|\bme\s+encargo\b|\bme\s+quedo\s+con\b|\bllevo\s+yo\b|"
    r"\b(?:reviso|compruebo|corrijo|anulo|devuelvo|tramito|hablo|recupero|asigno|localizo|abro|pido|inicio|traslado|"
    r"env[ií]o|aplico|reenv[ií]o|rectifico|contesto|paso\s+(?:el|la|su|tu))\b|\b(?:le|te)\s+escribo\s+cada\b",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"\b(?:resp[oó]nd(?:a|e|an|ame|eme|anos|enos)|escr[ií]b(?:a|e|anos|enos|ame|eme)|ll[aá]m(?:enos|anos|eme|ame)|"
    r"ll[aá]me|conf[ií]rm(?:e|a|enos|anos|eme|ame)|env[ií](?:enos|anos|eme|ame)|env[ií]e|ind[ií]qu(?:e|enos|eme)|"
    r"ind[ií]c(?:anos|ame)|d[ií]ganos|dinos|d[ií]game|dime|cu[eé]nt(?:enos|anos|eme|ame)|cont[eé]st(?:e|enos|anos|"
    r"eme|ame)|pulse|pulsa|haga\s+clic|haz\s+clic|acceda|accede|rellene|rellena|adj[uú]nt(?:e|enos|anos))\b|"
    r"\b(?:puede|puedes|basta\s+con|solo\s+tiene\s+que|solo\s+tienes\s+que)\s+(?:responder|escribir|llamar|"
    r"contestar|enviar)|\b(?:puede|puedes|podr[aá])\s+(?:\w+\s+)?(?:registrar|presentar|hacerlo|acudir|solicitar|"
    r"reclamar|consultarlo|pedirlo)\b",
    re.IGNORECASE,
)


def first_name(customer_name: str | None) -> str | None:
    """The name a reply greets with: the first word, skipping abbreviations such as "Ma."."""
    if not customer_name:
        return None
    words = [w for w in customer_name.split() if w.strip(".")]
    for word in words:
        if word.endswith(".") or len(word) < 2 or not word.replace("-", "").isalpha():
            continue
        return word.capitalize() if word.isupper() else word
    return None


def _absent(kind: str, message: str, suggestion: str, start: int = 0, end: int = 0) -> ReviewFinding:
    return ReviewFinding(kind=kind, message=message, suggestion=suggestion, start=start, end=end)


def _legal_cue(complaint: str | None) -> bool:
    """Without an analysis, the guide's legal phrases (a lawyer, a complaint form...) tell a legal threat."""
    if not complaint:
        return False
    return any(cue.risk == "legal" for cue in find_cues(complaint))


def review_draft(
    draft_text: str,
    analysis: Analysis | None = None,
    customer_name: str | None = None,
    *,
    channel: str | None = None,
    sector: str | None = None,
    complaint: str | None = None,
    done_actions: list[str] | tuple[str, ...] = (),
    legal: bool | None = None,
) -> Review:
    """Findings for ``draft_text`` and a score from 0 to 100 (100: nothing to fix).

    With ``analysis`` of a non-complaint (thanks, a question), the apology and resolution checks are
    skipped; without an analysis the draft is taken to answer a complaint. The content checks use
    what is given: ``done_actions`` (what the agent confirmed as done; past tense for anything else is
    flagged), ``sector`` (words of other sectors), ``complaint`` (what it already gives; legal cue
    phrases when ``legal`` and ``analysis`` are not given), ``channel`` (guessed from line breaks).
    """
    text = draft_text or ""
    live_chat = channel == "chat"  # told, not guessed: only then may the customer answer right there
    channel = channel or checks.guess_channel(text)
    is_complaint = analysis.is_complaint if analysis is not None else True
    name = customer_name or (analysis.entities.customer_name if analysis is not None else None)
    findings = phrase_findings(text)

    if is_complaint and not _APOLOGY.search(text):
        findings.append(
            _absent(
                "no_apology",
                "No hay disculpa.",
                "Discúlpese de forma sencilla y concreta y, si el error es de la empresa, admítalo: "
                "«Tiene razón, nos equivocamos».",
            )
        )
    greeting_name = first_name(name)
    # A formal salutation names the surname ("Estimado señor Rondón:"): any word of the name counts.
    name_words = [w for w in (name or "").split() if len(w.strip(".")) > 2] or [greeting_name or ""]
    if greeting_name and not any(re.search(rf"\b{re.escape(fold(w))}\b", fold(text)) for w in name_words):
        first_line_end = text.find("\n") if "\n" in text else len(text)
        greeting = re.match(r"[^:,.;!?\n]{0,40}[:,]", text)
        if first_line_end > 60 and greeting:
            first_line_end = greeting.end() - 1  # a chat message is one line: point at its greeting
        findings.append(
            _absent(
                "name_not_used",
                f"No se usa el nombre del cliente ({greeting_name}).",
                f"Salude por su nombre: «Hola, {greeting_name}:».",
                0,
                first_line_end,
            )
        )
    if not _PURPOSE.search(text):
        findings.append(
            _absent(
                "no_purpose",
                "No dice a qué responde.",
                "Empiece diciendo el motivo: «Le escribo por su queja sobre el retraso del pedido PED-48213».",
            )
        )
    if is_complaint and not _RESOLUTION.search(text):
        findings.append(
            _absent(
                "no_resolution",
                "No hay solución ni siguiente paso.",
                "Diga qué ha hecho o hará la empresa para resolverlo («Hemos anulado el cargo duplicado»).",
            )
        )
    if not live_chat and not _CALL_TO_ACTION.search(text):
        findings.append(
            _absent(
                "no_call_to_action",
                "No dice al cliente qué puede hacer ahora.",
                "Cierre con una acción clara: «Responda a este correo con una foto del defecto».",
            )
        )
    findings += checks.unconfirmed_actions(text, done_actions)
    if sector:
        findings += checks.other_sector_words(text, sector, complaint)
    findings += checks.repeated_commitments(text)
    if complaint or analysis is not None:
        entities = analysis.entities if analysis is not None else Entities()
        if complaint and entities == Entities():
            from pipeline.entities import extract_entities

            entities = extract_entities(complaint)
        if name and not entities.customer_name:
            entities = entities.model_copy(update={"customer_name": name})
        findings += checks.asks_known(text, checks.known_info(entities, complaint), complaint)
    if legal is None:
        legal = analysis.risk.legal if analysis is not None else _legal_cue(complaint)
    if legal:
        findings += checks.fault_admissions(text)
    findings += checks.too_long(text, channel)
    if channel == "review":
        findings += checks.private_message_on_review(text)
    findings.sort(key=lambda f: (f.start, f.end, f.kind))
    score = max(0.0, 100.0 - sum(PENALTIES.get(f.kind, 5) for f in findings))
    return Review(score=score, findings=findings)
