"""Text normalisation, the spaCy Spanish pipeline and the entities a reply is personalised with.

Everything here runs without downloads: ``spacy.blank("es")`` gives the Spanish tokenizer, a
sentencizer splits sentences, a Matcher finds the phrases that introduce a name ("me llamo", "el
agente", "me atendió"...) and an EntityRuler tags e-mail addresses and URLs. References, dates,
amounts and phone numbers have regular shapes, so regular expressions find them.

The text is normalised (Unicode NFC, tidy whitespace) before matching, but every span reported
in :class:`~pipeline.schema.Entities` points into the ORIGINAL text: ``text[span.start:span.end]``
is always ``span.text``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache

import spacy
from spacy.lang.es.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher

from pipeline.offsets import MappedText, clusters
from pipeline.schema import Amount, Analysis, DateMention, Entities, Reference, Span

# --------------------------------------------------------------------------------------------
# Normalisation with an offset map back to the original text
# --------------------------------------------------------------------------------------------

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def _normalise_mapped(text: str) -> MappedText:
    """NFC, CRLF -> LF, odd spaces -> one space, no spaces around line breaks, at most one blank line."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(chars: str, start: int, end: int) -> None:
        for ch in chars:
            out.append(ch)
            starts.append(start)
            ends.append(end)

    for start, end in clusters(text):
        piece = unicodedata.normalize("NFC", text[start:end])
        if piece in _ZERO_WIDTH:
            continue
        if piece in ("\r\n", "\r") or piece == "\n" or piece in ("\u2028", "\u2029", "\x0b", "\x0c", "\x85"):
            if piece == "\r" and end < len(text) and text[end] == "\n":
                continue  # the "\n" of a CRLF pair is emitted on its own
            while out and out[-1] == " ":  # no trailing spaces before a line break
                out.pop(), starts.pop(), ends.pop()
            if len(out) >= 2 and out[-1] == "\n" and out[-2] == "\n":
                continue  # at most one blank line
            if not out:
                continue
            emit("\n", start, end)
        elif piece.isspace():
            if not out or out[-1] in (" ", "\n"):
                continue
            emit(" ", start, end)
        else:
            emit(piece, start, end)
    while out and out[-1] in (" ", "\n"):
        out.pop(), starts.pop(), ends.pop()
    return MappedText("".join(out), starts, ends)


def normalise(text: str) -> str:
    """Unicode NFC and tidy whitespace: single spaces, LF line breaks, at most one blank line, stripped."""
    return _normalise_mapped(text).text


# --------------------------------------------------------------------------------------------
# The spaCy pipeline
# --------------------------------------------------------------------------------------------

# Words that open a name the customer gives for themself.
_SELF_CUES = [
    ["me", "llamo"],
    ["hablo", "yo", ","],
    ["hablo", "yo"],
    ["mi", "nombre", "es"],
    ["mi", "nombre", ":"],
    ["nombre", ":"],
    ["nombre", "completo", ":"],
    ["titular", ":"],
    ["a", "nombre", "de"],
    ["soy"],
    ["habla"],
    ["le", "saluda"],
    ["firmado", ":"],
    ["fdo", "."],
    ["fdo.", ":"],
    ["lectora"],
    ["lector"],
]
# Staff roles: the name after them belongs to an employee, never to the customer.
_STAFF_ROLES = (
    "agente asesor asesora operador operadora ejecutivo ejecutiva representante técnico técnica vendedor "
    "vendedora empleado empleada dependiente dependienta supervisor supervisora encargado encargada gerente "
    "recepcionista enfermera enfermero doctor doctora dr dr. dra dra. ingeniero ingeniera instalador instaladora "
    "repartidor repartidora cajera cajero chica chico muchacha muchacho joven señorita señor señora sr sr. sra "
    "sra. srta srta. mr mr. mrs mrs. ms ms. miss don doña funcionaria funcionario auxiliar azafata compañero "
    "compañera licenciado licenciada "
    "químico química director directora mecánico operario transportista especialista consultor consultora "
    "secretaria secretario jefa jefe gestor gestora coordinador coordinadora tal"
).split()
_STAFF_VERBS = [
    ["me", "atendió"],
    ["me", "atendio"],
    ["nos", "atendió"],
    ["nos", "atendio"],
    ["me", "contestó"],
    ["me", "respondió"],
    ["hablé", "con"],
    ["hable", "con"],
    ["se", "llamaba"],
    ["se", "llama"],
    ["gracias", "a"],
    ["agradecerle", "a"],
    ["agradecer", "a"],
    ["le", "habla"],
]
# Fillers allowed between a staff cue and the name: "me atendió un joven, Rodrigo".
_FILLERS = set(
    ", un una el la tal joven chico chica muchacho muchacha señor señora señorita don doña sr. sra. srta. dr. dra. "
    "suyo suya agente asesor asesora que llamado llamada de nombre".split()
)
# Courtesy titles: in an agent's turn ("Asesor: Claro, doña Yolanda") they address the customer.
_HONORIFICS = set("don doña señor señora señorita sr sr. sra sra. srta srta. mr mr. mrs mrs. ms ms.".split())
_PARTICLES = {"de", "del", "la", "las", "los", "y", "da", "di", "van", "von", "e"}

# Capitalised words that are not names: greetings, closings, roles, days, months, discourse markers.
_NOT_NAMES = (set(STOP_WORDS) - {"segundo"}) | {
    w.lower()
    for w in (
        "hola buenas buenos buen día días tardes noches gracias muchas mil saludos saludo atentamente atte att "
        "cordialmente estimado estimada estimados estimadas señor señora señores señorita don doña sr sra srta dr "
        "dra cliente clienta agente operador operadora ejecutivo ejecutiva recepción paciente usuario usuaria "
        "titular nombre mire mira oiga oye perdón disculpe disculpa hi hello thanks thank you ok okay vale bueno "
        "pues bien sí no ya bah che uy ay neta parce causa güey wey po cachai lunes martes miércoles jueves viernes "
        "sábado pésimo pésima excelente genial gracias urgente asunto ref referencia pedido factura contrato "
        "ticket folio reserva localizador póliza expediente caso incidencia cuenta servicio atención premium "
        "oro vip gold plata cliente ingeniero ingeniera abogado abogada licenciado licenciada madrid lima bogotá "
        "méxico cdmx buenos aires barcelona quito caracas montevideo fin nada todo todos equipo "
        "feliz felices un una el la los las mi tu su agradecido agradecida atento atenta quedo espero "
        "reclamación reclamo queja solicitud consulta importante nota pd posdata ltda sa sac sl srl spa inc llc cía "
        "comercial servicios repuestos panadería ferretería distribuidora constructora grupo empresa tienda "
        "gerente juez perfecto comprendo entiendo lamento lamentablemente veo déjeme permítame dígame ajá ah mr mrs ms "
        "help please recomendado recomendada gracias mirá fijate escuchá disculpá perdoná"
    ).split()
}

_CLOSINGS = re.compile(
    r"^(?:(?:un|muchos|muchas)\s+)?(?:saludos?(?:\s+cordiales)?|cordial(?:es)?\s+saludos?|atentamente|atte\.?|att\.?|"
    r"cordialmente|(?:muchas\s+|mil\s+)?gracias(?:\s+de\s+antemano)?|thanks|thank\s+you|regards|"
    r"un\s+abrazo(?:\s+grande)?(?:\s+a\s+todos)?|abrazos|besos|bendiciones|slds\.?|quedo\s+atent[oa]|"
    r"quedo\s+a\s+la\s+espera|sin\s+más|se\s+despide|saluda\s+atentamente|sincerely|best|god\s+bless|"
    r"con\s+aprecio|con\s+cariño|reciban?\s+un\s+cordial\s+saludo|dios\s+les?\s+bendiga)(?!\w)[\s,.:;!-]*",
    re.IGNORECASE,
)
_SPEAKER_STAFF = re.compile(
    r"^\s*(?:agente|operador|operadora|ejecutivo|ejecutiva|asesor|asesora|recepción|recepcion|vendedor|vendedora|"
    r"supervisor|supervisora|cajero|cajera|recepcionista|log[ií]stica|postventa|facturaci[oó]n|equipajes|"
    r"representante|empleado|empleada|técnico|tecnico|secretaria|enfermera|call\s*center|soporte)(?:\s*\d+)?\s*:",
    re.IGNORECASE,
)
_SPEAKER_CUSTOMER = re.compile(r"^\s*(?:cliente|clienta|paciente|usuario|usuaria)(?:\s*\d+)?\s*:", re.IGNORECASE)


@cache
def nlp() -> Language:
    """The shared Spanish pipeline (blank tokenizer + sentencizer + EntityRuler); built once per process."""
    pipeline = spacy.blank("es")
    pipeline.add_pipe("sentencizer")
    ruler = pipeline.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "EMAIL", "pattern": [{"LIKE_EMAIL": True}]},
            {"label": "URL", "pattern": [{"LIKE_URL": True}]},
        ]
    )
    return pipeline


@cache
def _matchers() -> tuple[Matcher, Matcher]:
    vocab = nlp().vocab
    self_matcher = Matcher(vocab)
    self_matcher.add("SELF", [[{"LOWER": w} for w in cue] for cue in _SELF_CUES])
    staff_matcher = Matcher(vocab)
    staff_matcher.add("STAFF_ROLE", [[{"LOWER": role}] for role in _STAFF_ROLES])
    staff_matcher.add("STAFF_VERB", [[{"LOWER": w} for w in cue] for cue in _STAFF_VERBS])
    # "Milagros creo que se llamaba": the name comes before the cue; handled in _staff_names.
    return self_matcher, staff_matcher


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences as (start, end) offsets into ``text``; line breaks also end a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        chunk = line.group()
        if not chunk.strip():
            continue
        doc = nlp().make_doc(chunk)
        doc = nlp().get_pipe("sentencizer")(doc)
        for sent in doc.sents:
            start = line.start() + sent.start_char
            end = line.start() + sent.end_char
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append((start, end))
    return spans


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def _is_name_word(word: str) -> bool:
    if len(word) < 2 or not word[0].isupper():
        return False
    parts = re.split(r"[-']", word)
    if not all(p and p.isalpha() for p in parts):
        return False
    if not all(p[0].isupper() and (len(p) == 1 or p[1:].islower()) for p in parts if len(p) > 1):
        return False
    return word.lower() not in _NOT_NAMES


def _take_name(doc, i: int, *, max_tokens: int = 5) -> tuple[int, int] | None:
    """Longest run of name tokens starting at token i (particles allowed inside); token range or None."""
    if i >= len(doc) or not _is_name_word(doc[i].text):
        return None
    j = i + 1
    end = j
    count = 1
    while j < len(doc) and count < max_tokens:
        word = doc[j].text
        if doc[j - 1].whitespace_ == "" and doc[j - 1].i >= i:
            break  # "Ana," or glued punctuation ends the name
        if _is_name_word(word):
            j += 1
            end = j
            count += 1
            continue
        if word.lower() in _PARTICLES and word.islower():
            k = j
            while k < len(doc) and doc[k].text.lower() in _PARTICLES and doc[k].text.islower():
                k += 1
            if k < len(doc) and _is_name_word(doc[k].text) and k - j <= 2:
                j = k
                continue
        break
    return i, end


def _skip_fillers(doc, i: int, limit: int = 4) -> int:
    steps = 0
    while i < len(doc) and steps < limit and doc[i].lower_ in _FILLERS:
        i += 1
        steps += 1
    return i


def _line_kind(text: str, char: int) -> str:
    """'staff' / 'customer' / 'plain': who speaks on the line (transcripts: 'Agente:', 'Cliente:')."""
    line_start = text.rfind("\n", 0, char) + 1
    # Transcripts written on one line separate turns with " / ": look back to the turn start.
    slash = text.rfind(" / ", line_start, char)
    turn = text[(slash + 3 if slash != -1 else line_start) : char]
    if _SPEAKER_STAFF.match(turn):
        return "staff"
    if _SPEAKER_CUSTOMER.match(turn):
        return "customer"
    return "plain"


def _staff_names(doc, text: str) -> list[tuple[int, int]]:
    """Character spans (in the normalised text) of staff names."""
    _, staff_matcher = _matchers()
    spans: list[tuple[int, int]] = []
    for _, start, end in staff_matcher(doc):
        if doc[start].lower_ in _HONORIFICS and _line_kind(text, doc[start].idx) == "staff":
            continue  # "Asesor: Claro, doña Yolanda" addresses the customer
        got = _take_name(doc, _skip_fillers(doc, end))
        if got:
            spans.append((doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1])))
    # Anything a staff speaker says about a name in a transcript ("habla Julieta") and greetings a
    # customer addresses to the agent ("Hola Julieta") name staff.
    self_matcher, _ = _matchers()
    for _, start, end in self_matcher(doc):
        if _line_kind(text, doc[start].idx) == "staff":
            got = _take_name(doc, end)
            if got:
                spans.append((doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1])))
    for token in doc:
        if token.lower_ in ("hola", "gracias") and _line_kind(text, token.idx) == "customer":
            got = _take_name(doc, _skip_fillers(doc, token.i + 1, 1))
            if got:
                spans.append((doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1])))
    # "Milagros creo que se llamaba", "Sergio, de atención al cliente", "Irene, la chica del chat"
    for m in re.finditer(
        r"\b([A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)(?:,?\s+creo\s+(?:que|q)\s+se\s+llamaba"
        r"|,\s+(?:de\s+(?:atención|atencion|facturación|billing|caja|soporte|ventas|postventa|la\s+tienda|"
        r"recepción|admisión|posventa|cobranzas?)|del\s+(?:chat|call\s*center|mostrador|área)|"
        r"la\s+(?:chica|señorita|asesora|agente|cajera|auxiliar)|el\s+(?:chico|asesor|agente|técnico|cajero)))",
        text,
    ):
        if _is_name_word(m.group(1)):
            spans.append((m.start(1), m.end(1)))
    return sorted(set(spans))


def _name_from_span(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


_INITIAL = re.compile(r"^[A-ZÁÉÍÓÚÑ]\.$")
_NAME_ABBREVIATIONS = {"Ma.", "Mª", "Ma", "Fco.", "Fdo.", "Jr.", "Ma.ª"}


def _parse_name(segment: str, offset: int, *, whole_line: bool, alone: bool = True) -> tuple[int, int, bool] | None:
    """A name filling ``segment`` (after an optional closing and dash, before an optional ", Ciudad").

    Returns (start, end, had_closing) in the coordinates of the text ``segment`` came from. A one-word
    name needs support: a closing before it, a dash, or a line of its own in a message of several lines
    (``alone``).
    """
    lead = len(segment) - len(segment.lstrip(" \t—–-•*>"))
    segment, offset = segment[lead:], offset + lead
    dashed = lead > 0
    had_closing = False
    closing = _CLOSINGS.match(segment)
    if closing and closing.end() > 0:
        if not segment[closing.end() :].strip():
            return None
        segment, offset, had_closing = segment[closing.end() :], offset + closing.end(), True
    # Readers' letters: "Pedro Sánchez Gil (Sevilla)", "José Martínez López. Valencia"
    cut_suffix = False
    place = re.search(r"\s*\([^()\n]{1,40}\)\s*\.?\s*$", segment) or re.search(r"(?<=[^\s.]{3})\.\s+\S[^.]*$", segment)
    if place and place.start() > 0 and len(segment[place.start() :].split()) <= 4:
        segment, cut_suffix = segment[: place.start()], True
    # "— Rubén, Getafe", "Natalia Quintero, pedido 7719-CO", "Ernesto Villaseñor y Laura Díaz"
    for separator in (",", " y ", " - ", " – ", " — ", " / ", " | "):
        head, sep, tail = segment.partition(separator)
        if sep and head.strip() and len(tail.split()) <= 5:
            segment, cut_suffix = head, True
    segment = segment.rstrip()
    if segment.endswith((".", "!")) and not _INITIAL.match(segment.split()[-1] if segment.split() else ""):
        segment = segment.rstrip(".! ")
    words = segment.split()
    if not 1 <= len(words) <= 6 or words[0] in _PARTICLES:
        return None
    names = [w for w in words if w not in _PARTICLES]
    shouted = len(names) >= 2 and all(w.isupper() for w in names)  # "JOSÉ MARTÍNEZ LÓPEZ" under a letter
    for index, word in enumerate(names):
        if _is_name_word(word.title() if shouted else word):
            continue
        if index == 0 and word in _NAME_ABBREVIATIONS:
            continue
        if index == len(names) - 1 and index > 0 and _INITIAL.match(word):
            continue
        return None
    if len(names) == 1 and not (had_closing or dashed or (whole_line and alone and not cut_suffix)):
        return None
    return offset, offset + len(segment), had_closing


def _is_meta_line(line: str) -> bool:
    """Lines under a signature: ids, accounts, job titles, companies ("DNI 33.412.887", "Coordinadora")."""
    words = line.split()
    if not words or len(words) > 8 or line.rstrip().endswith("?"):
        return False
    return bool(re.search(r"\d|@", line)) or len(words) <= 4


def _signature_name(text: str, refs: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The name that signs the message: after a closing ('Un saludo,'), or alone on the last line(s)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    if not lines:
        return None
    tail = lines[-5:]
    # 1. The line right after a closing line: "Atentamente,\nAna Pérez\nDNI 123".
    for index in range(len(tail) - 2, -1, -1):
        closing_line = text[tail[index][0] : tail[index][1]].strip()
        if _CLOSINGS.fullmatch(closing_line + " "):
            start, end = tail[index + 1]
            got = _parse_name(text[start:end], start, whole_line=True)
            if got:
                return got[0], got[1]
            break
    # 2. Bottom-up over the last lines, skipping metadata lines under the name.
    multi_line = len(lines) >= 2
    for position in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
        start, end = lines[position]
        line = text[start:end]
        got = _parse_name(line, start, whole_line=True, alone=multi_line)
        if got:
            return got[0], got[1]
        # Last sentence of the line: "... muchas gracias. Valentina Ruiz", "... Atte. Rosa Huamán".
        cuts = [m.end() for m in re.finditer(r"(?<!\bMa)[.!?]+\s+|[¿¡]", line)]
        for cut in reversed(cuts[-2:]):
            got = _parse_name(line[cut:], start + cut, whole_line=False)
            if got and (got[2] or len(line[cut:].split()) >= 2 or line[cut:].lstrip()[:1] in "—–-"):
                return got[0], got[1]
        has_ref = any(start <= rs and re_ <= end for rs, re_ in refs)
        if not (has_ref or _is_meta_line(line)) or position == len(lines) - 3:
            break
    return None


def _customer_name(doc, text: str, staff: list[tuple[int, int]], refs: list[tuple[int, int]]) -> tuple[int, int] | None:
    staff_texts = {_name_from_span(text, s, e).lower() for s, e in staff}
    staff_first = {t.split()[0] for t in staff_texts}

    def acceptable(span: tuple[int, int]) -> bool:
        name = _name_from_span(text, *span).lower()
        if name in staff_texts:
            return False
        if len(name.split()) == 1 and name in staff_first:
            return False
        return not any(s < span[1] and span[0] < e for s, e in staff)

    self_matcher, _ = _matchers()
    for _, start, end in sorted(self_matcher(doc), key=lambda m: m[1]):
        cue = doc[start:end].text.lower()
        if _line_kind(text, doc[start].idx) == "staff":
            continue
        if cue == "habla" and start > 0 and doc[start - 1].lower_ in ("le", "te", "les"):
            continue
        if start > 0 and doc[start - 1].lower_ in ("no", "tampoco", "ni"):
            continue  # "yo no soy Kevin"
        got = _take_name(doc, end)
        if not got:
            continue
        span = (doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1]))
        one_word = got[1] - got[0] == 1
        if cue in ("soy", "habla") and one_word and got[1] < len(doc) and doc[got[1]].lower_ in ("de", "del"):
            continue  # "habla Movistar de ...", "soy Premium del ...": affiliations, not names
        if acceptable(span):
            return span
    # Form field "Cliente: Ana Pérez" (two words at least: transcripts start turns with "Cliente: Mire, ...").
    for m in re.finditer(r"(?im)^\s*(?:cliente|clienta|nombre del cliente|usuario)\s*:\s*", text):
        tokens = [t for t in doc if t.idx >= m.end()]
        if not tokens:
            continue
        got = _take_name(doc, tokens[0].i)
        if got and got[1] - got[0] >= 2:
            span = (doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1]))
            after = text[span[1] : span[1] + 2]
            if (not after or after[0] in "\n,.;") and acceptable(span):
                return span
    signature = _signature_name(text, refs)
    if signature and acceptable(signature):
        return signature
    return None


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

_REF_KEYWORDS: list[tuple[str, str]] = [
    (r"pedidos?|orden(?:es)?|order|compra|albar[aá]n|ot|work\s+order|repair\s+order", "order"),
    (
        r"tickets?|folios?|reportes?|avisos?|solicitud(?:es)?|radicado|pqrs?|cun|tr[aá]mite|rma|ingreso|requerimiento|"
        r"tal[oó]n|postulaci[oó]n|application(?:\s+number)?",
        "ticket",
    ),
    (
        r"casos?|case|expedientes?|exptes?\.?|exp\.|incidencias?|reclamos?|reclamaci[oó]n|quejas?|hoja|claim|denuncia|"
        r"oficio|rol|diligencia",
        "case",
    ),
    (
        r"facturas?|invoice|boletas?|recibos?|presupuesto|comprobante|justificante|statement|carta\s+de\s+pago|"
        r"nota\s+de\s+cr[eé]dito",
        "invoice",
    ),
    (
        r"contratos?|pr[eé]stamo|cr[eé]dito|hipoteca|alquiler|obligaci[oó]n|loan(?:\s+number)?|plazo\s+fijo|"
        r"rental\s+agreement",
        "contract",
    ),
    (
        r"cuentas?|socio|socia|cliente|account|acct\.?|member(?:\s+id)?|abonado|suministro|cups|nis|nic|esi|contador|"
        r"medidor|matr[ií]cula|"
        r"n[uú]mero\s+de\s+cliente|c[oó]digo\s+de\s+cliente",
        "account",
    ),
    (r"gu[ií]as?|seguimiento|tracking|rastreo|env[ií]o|remito|bulto", "tracking"),
    (
        r"localizador|reservas?|reservaci[oó]n|reservation|booking|confirmaci[oó]n|confirmation|pnr|billete|boleto|"
        r"tiquete|voucher|itinerary|turno",
        "reservation",
    ),
    (r"p[oó]lizas?|policy|siniestro", "policy"),
    (
        r"c[oó]digo|referencia|ref\.?|order\s+number|operaci[oó]n|autorizaci[oó]n|transacci[oó]n|nota|n[uú]mero|nro\.?|"
        r"cus|papeleta|partida|carta\s+documento|serial|gift\s+card|l[ií]nea\s+de\s+captura|comparendo|t[ií]tulo|"
        r"citation",
        "other",
    ),
]
_KEYWORD_RE = re.compile(
    r"(?<![\w@#])(?:" + "|".join(f"(?P<k{i}>{pattern})" for i, (pattern, _) in enumerate(_REF_KEYWORDS)) + r")(?!\w)",
    re.IGNORECASE,
)
# Words allowed between a keyword and its code: "número de caso N° 123", "la cuenta es la 55-1".
_CONNECTORS = {
    "n°",
    "nº",
    "no",
    "no.",
    "n.",
    "n.°",
    "n.º",
    "nro",
    "nro.",
    "núm",
    "núm.",
    "num",
    "num.",
    "número",
    "numero",
    "number",
    "es",
    "son",
    "era",
    "el",
    "la",
    "los",
    "las",
    "de",
    "del",
    "mi",
    "su",
    "tu",
    "nuestro",
    "con",
    "#",
}
_CODE_RE = re.compile(
    r"#?(?:(?P<prefix>[A-Z]{2,3}#?\s)(?=\d))?(?P<body>[A-Z0-9](?:[A-Z0-9_]|[-/.](?=[A-Z0-9]))*)"
    r"(?P<groups>(?:\s\d{3,}(?!\w|[.,]\d))*)"
)
_CODE_TAIL_RE = re.compile(r"(?:\s*,\s*|\s+[ye]\s+|\s*/\s*)")
_STANDALONE_RES = [
    re.compile(r"(?<![\w/-])#(?P<code>\d{4,})\b"),
    re.compile(r"(?<![\w/-])(?P<code>[A-Z]{1,5}\d{0,4}(?:-[A-Z0-9]+)+(?:/[A-Z0-9]+)?)(?![\w-])"),
    re.compile(r"(?<![\w/-])(?P<code>[A-Z]{1,5}\d{2,}/\d{2,})(?![\w/])"),
    re.compile(r"(?<![\w/-])(?P<code>[A-Z]{2,6}\d{5,})(?![\w-])"),
    re.compile(r"(?<![\w/-])(?P<code>\d{3,}-[A-Z]{1,3})(?![\w-])"),
    re.compile(r"(?<![\w/-])(?P<code>\d{2,}[-/][A-Z]{2,5}[-/]\d{2,})(?![\w-])"),
]
_PREFIX_KINDS = [
    (r"PED|PD|ORD|ORDER|OR|OT|US|CO|MX|PO", "order"),
    (r"INC|TK|TCK|TKT|TIC|SR|REQ|SOL|GAR|RMA", "ticket"),
    (r"F|FA|FAC|FV|FE|INV|B\d{3}", "invoice"),
    (r"CT|CON|CTR|CNT", "contract"),
    (r"EXP|RC|REC|CAS|CASO|CS|PQR", "case"),
    (r"POL|PZ", "policy"),
    (r"RES|BK|LOC", "reservation"),
    (r"GU|TRK|TRACK|ENV", "tracking"),
]
_UNIT_AFTER = re.compile(
    r"\s*(?:€|\$|%|euros?|pesos?|d[oó]lares|soles|usd|eur|mxn|ars|cop|clp|d[ií]as?|horas?|h\b|meses|mes\b|a[nñ]os|"
    r"minutos|min\b|semanas|gb|mb|megas?|kg|cm|mm|km|litros|pulgadas|unidades|cuotas|ml|mg|mil\b)",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"^\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?$|^\d{4}-\d{2}-\d{2}$")
_FLIGHT_BEFORE = re.compile(
    r"\b(?:vuelo|flight|asiento|seat|modelo|model|versi[oó]n|talla|error|art[ií]culo|sku|placa|patente|ruta|km|"
    r"terminaci[oó]n|terminad[ao]\s+en|ending(?:\s+in)?|d[ií]gitos|termina\s+en)\W*$",
    re.I,
)
_PROMO_BEFORE = re.compile(r"\b(?:cup[oó]n|promo\w*|descuento|coupon|promo\s+code)\W*(?:\w+\W+){0,2}$", re.I)
_PHONE_CONTEXT = re.compile(
    r"(?:\b(?:mi|al|su|tu|otro|nuevo|este|ese|del|un)\s+$)|(?:tel[eé]fono|celular|m[oó]vil|whats?app|contacto)", re.I
)


def _kind_of_keyword(match: re.Match) -> str:
    for i, (_, kind) in enumerate(_REF_KEYWORDS):
        if match.group(f"k{i}"):
            return kind
    return "other"


def _valid_code(code: str, kind: str, text: str, end: int, keyword: bool) -> bool:
    compact = re.sub(r"[\s#]", "", code)
    digits = sum(ch.isdigit() for ch in compact)
    letters = sum(ch.isalpha() for ch in compact)
    if len(compact) > 30:
        return False
    if "." in compact and not (keyword and (digits >= 7 or re.search(r"[-/]", compact))):
        return False  # "2.500" is an amount; "aviso 20.114.778" is a reference
    if _DATE_LIKE.match(compact) or _UNIT_AFTER.match(text[end : end + 12]):
        return False
    if re.fullmatch(r"\d{1,2}\.\d{3}\.\d{3}-[\dkK]", compact):
        return False  # a Chilean RUT is a personal id, not a reference
    if compact.lower() in MONTHS or compact.lower() in WEEKDAYS:
        return False
    if letters == 0:
        if digits < 4:
            return False
        if keyword and re.fullmatch(r"(?:19|20)\d{2}", compact):
            return False  # "el pedido del 2024" is a year
        return True
    if digits == 0:
        # Booking codes are all letters sometimes ("localizador QXKTZA"): upper case, 5-8 characters.
        return kind == "reservation" and compact.isupper() and 5 <= len(compact) <= 8
    if kind == "other" and re.fullmatch(r"[A-Z]{3,}\d{1,3}", compact):
        return False  # "código VERANO50" is a promotion code
    if keyword and kind == "reservation" and compact.isalnum():
        return compact.isupper() and 5 <= len(compact) <= 10
    if not keyword:
        return digits >= 4
    return digits >= 2 and (compact.isupper() or digits >= 4) and len(compact) >= 4


def _match_code(text: str, pos: int, kind: str) -> tuple[int, int] | None:
    """A valid code starting at ``pos`` (after optional '#'), as (start, end); tracking keeps spaced groups."""
    m = _CODE_RE.match(text, pos)
    if not m:
        return None
    start = m.start()
    if text[start] == "#":
        start += 1
    if m.group("prefix") and _KEYWORD_RE.fullmatch(m.group("prefix").strip(" #")):
        return None  # "NIC 7740012": the keyword is not part of the code; the scan moves past it
    end = m.end("body")
    groups = m.group("groups").split()
    if groups and (kind in ("tracking", "account") or len(groups) >= 2) and m.group("body").isdigit():
        end = m.end("groups")  # "guía 7788 1123 0044", "número de servicio 4410 2233 0198"
    if not _valid_code(text[start:end], kind, text, end, keyword=True):
        return None
    return start, end


def _keyword_references(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for m in _KEYWORD_RE.finditer(text):
        kind = _kind_of_keyword(m)
        word = m.group().lower()
        before = text[max(0, m.start() - 30) : m.start()]
        if _FLIGHT_BEFORE.search(before) or _PROMO_BEFORE.search(before):
            continue
        if (
            kind == "other"
            and word.startswith(("n", "c"))
            and (
                _PHONE_CONTEXT.search(before[-12:])
                or _PHONE_CONTEXT.match(text, m.end())
                or re.match(r"\s+de\s+(?:tel[eé]fono|celular|m[oó]vil|contacto|whats)", text[m.end() :], re.I)
            )
        ):
            continue  # "mi número es 600..." is a phone, not a reference
        if word in ("código", "codigo") and _PROMO_BEFORE.search(before + word):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if kind == "account" and word == "cliente" and _SPEAKER_CUSTOMER.match(text[line_start:]):
            continue  # "Cliente: 2231." is a speaker label in a transcript
        pos = m.end()
        generic = 0
        for _ in range(7):
            pos = re.compile(r"[\s(:,]*").match(text, pos).end()
            got = _match_code(text, pos, kind)
            if got and _FLIGHT_BEFORE.search(text[max(0, got[0] - 25) : got[0]]):
                break  # "cuenta terminación 7781" is a fragment of a card or account number
            if got:
                found.append((*got, kind))
                # "Pedidos 55-901, 55-944 y 55-987"
                tail = got[1]
                while True:
                    sep = _CODE_TAIL_RE.match(text, tail)
                    nxt = _match_code(text, sep.end(), kind) if sep else None
                    if not nxt:
                        break
                    found.append((*nxt, kind))
                    tail = nxt[1]
                break
            w = re.compile(r"[^\s(),:;]+").match(text, pos)
            if not w:
                break
            token = w.group().lower()
            inner = _KEYWORD_RE.fullmatch(token)
            if inner and _kind_of_keyword(inner) != "other":
                kind = _kind_of_keyword(inner)  # "código de reserva: X" is a reservation
            elif token in _CONNECTORS or inner:
                pass
            elif token.isalpha() and token.islower() and generic < 2:
                generic += 1  # "la orden de laboratorio 3318", "póliza colectiva 3301-77"
            else:
                break
            pos = w.end()
    return found


def _references(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []

    def overlaps(s: int, e: int) -> bool:
        return any(s < b and a < e for a, b, *_ in found) or any(s < b and a < e for a, b in taken)

    for s, e, kind in sorted(_keyword_references(text)):
        if not overlaps(s, e):
            found.append((s, e, kind))
    for pattern in _STANDALONE_RES:
        for m in pattern.finditer(text):
            s, e = m.start("code"), m.end("code")
            code = m.group("code")
            if overlaps(s, e) or _FLIGHT_BEFORE.search(text[max(0, s - 12) : s]):
                continue
            if _PROMO_BEFORE.search(text[max(0, s - 30) : s]):
                continue
            if not _valid_code(code, "other", text, e, keyword=False):
                continue
            kind = _nearest_kind(text, s) or _prefix_kind(code) or "other"
            found.append((s, e, kind))
    return sorted(found)


def _nearest_kind(text: str, position: int) -> str | None:
    window_start = max(0, position - 40)
    window = text[window_start:position]
    window = re.split(r"[.!?\n]", window)[-1]
    kinds = [(m.end(), _kind_of_keyword(m)) for m in _KEYWORD_RE.finditer(window)]
    kinds = [k for k in kinds if k[1] != "other"]
    return kinds[-1][1] if kinds else None


def _prefix_kind(code: str) -> str | None:
    prefix = re.match(r"[A-Z]+\d{0,3}", code)
    if not prefix:
        return None
    for pattern, kind in _PREFIX_KINDS:
        if re.fullmatch(pattern, re.match(r"[A-Z]+", code).group()) or re.fullmatch(pattern, prefix.group()):
            return kind
    return None


# --------------------------------------------------------------------------------------------
# E-mails, phones
# --------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<![.-])", re.UNICODE)
_PHONE_KEYWORD = re.compile(
    r"(?:tel[eé]fono|tel\.?|tlf\.?|tfno\.?|m[oó]vil|celular|cel\.?|whats?app|wsp|fijo|contacto|ll[aá]m(?:en|e|ame|"
    r"enme|eme|ar)\s+al|marc(?:ar|a|en|ue)\s+al|al\s+n[uú]mero|mi\s+n[uú]mero(?:\s+es)?|phone)\s*(?:es|:|al|el)?\s*",
    re.IGNORECASE,
)
_PHONE_BODY = r"\+?\(?\d[\d\s().-]{5,18}\d"
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}(?!\d)")
_PHONE_BARE = re.compile(
    r"(?<![\w.,/-])(?:\(\d{2,3}\)\s?\d{3,4}[\s.-]\d{4}|\d{3}[\s.-]\d{3}[\s.-]\d{3,4}|\d{3}[\s.-]\d{2}[\s.-]\d{2}"
    r"[\s.-]\d{2}|\d{2}[\s.-]\d{4}[\s.-]\d{4}|[6-9]\d{8})(?![\w,/-]|\.\d)"
)


def _phones(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < b and a < e for a, b in taken + found)

    for m in _PHONE_KEYWORD.finditer(text):
        body = re.match(_PHONE_BODY, text[m.end() :])
        if not body:
            continue
        s, e = m.end(), m.end() + body.end()
        digits = sum(ch.isdigit() for ch in body.group())
        if 7 <= digits <= 15 and free(s, e) and not _UNIT_AFTER.match(text[e : e + 8]):
            found.append((s, e))
    for pattern in (_PHONE_INTL, _PHONE_BARE):
        for m in pattern.finditer(text):
            s, e = m.span()
            digits = sum(ch.isdigit() for ch in m.group())
            if 8 <= digits <= 15 and free(s, e) and not _UNIT_AFTER.match(text[e : e + 8]):
                found.append((s, e))
    return sorted(found)


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------

_CURRENCY_WORDS: list[tuple[str, str | None]] = [
    (r"€|eur(?:os?)?\b|euros?", "EUR"),
    (r"us\$|usd|u\$s|d[oó]lares|dollars?|d[oó]lar", "USD"),
    (r"mxn|pesos\s+mexicanos", "MXN"),
    (r"ars|pesos\s+argentinos", "ARS"),
    (r"cop|pesos\s+colombianos", "COP"),
    (r"clp|pesos\s+chilenos", "CLP"),
    (r"uyu", "UYU"),
    (r"s/\.?|pen|soles?|nuevos\s+soles", "PEN"),
    (r"bs\.?(?:s|f)?|bol[ií]vares", "VES"),
    (r"gtq|quetzales?", "GTQ"),
    (r"dop", "DOP"),
    (r"pesos?|\$|mil\s+pesos", None),  # ambiguous between the peso countries and the dollar
]
_CUR = r"(?:us\$|u\$s|s/\.?|€|\$|eur|usd|mxn|ars|cop|clp|uyu|pen|gtq|dop|bs\.?s?)"
_CUR_WORD = (
    r"(?:euros?|d[oó]lares|dollars?|pesos(?:\s+(?:mexicanos|argentinos|colombianos|chilenos))?|soles|"
    r"nuevos\s+soles|bol[ií]vares|quetzales)"
)
_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<pre>{_CUR})\s?(?P<n1>{_NUMBER})(?:\s?(?P<mil1>mil|millones))?(?:\s?(?P<post1>{_CUR}(?![\w])|"
    rf"{_CUR_WORD}))?|(?P<n2>{_NUMBER})(?:\s?(?P<mil2>mil|millones))?\s?(?P<post2>{_CUR}(?![\w])|{_CUR_WORD}))"
    r"(?![\w])",
    re.IGNORECASE,
)


def _parse_number(raw: str) -> float | None:
    raw = raw.replace(" ", "")
    if "." in raw and "," in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif "," in raw or "." in raw:
        sep = "," if "," in raw else "."
        parts = raw.split(sep)
        if len(parts) > 2 or len(parts[-1]) == 3:
            raw = raw.replace(sep, "")
        else:
            raw = raw.replace(sep, ".")
    try:
        return float(raw)
    except ValueError:
        return None


def _currency(*markers: str | None) -> str | None:
    found: str | None = None
    for marker in markers:
        if not marker:
            continue
        for pattern, code in _CURRENCY_WORDS:
            if re.fullmatch(pattern, marker.strip(), re.IGNORECASE):
                if code is not None:
                    return code
                break
    return found


def _amounts(text: str) -> list[tuple[int, int, float | None, str | None]]:
    out = []
    for m in _AMOUNT_RE.finditer(text):
        number = m.group("n1") or m.group("n2")
        value = _parse_number(number)
        multiplier = (m.group("mil1") or m.group("mil2") or "").lower()
        if value is not None and multiplier:
            value *= 1_000 if multiplier == "mil" else 1_000_000
        currency = _currency(m.group("post1"), m.group("post2"), m.group("pre"))
        s, e = m.span()
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e, value, currency))
    return out


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

MONTHS = {
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "feb": 2,
    "marzo": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "may": 5,
    "junio": 6,
    "jun": 6,
    "julio": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "octubre": 10,
    "oct": 10,
    "noviembre": 11,
    "nov": 11,
    "diciembre": 12,
    "dic": 12,
}
WEEKDAYS = {
    "lunes": 0,
    "martes": 1,
    "miércoles": 2,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sábado": 5,
    "sabado": 5,
    "domingo": 6,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_TEXT_RE = re.compile(
    rf"\b(?P<day>[0-3]?\d)\s+de\s+(?P<month>{_MONTH_RE})\.?(?:\s+(?:de|del)\s+(?P<year>\d{{4}}))?\b",
    re.IGNORECASE,
)
_DATE_NUM_RE = re.compile(r"(?<![\w/.-])(?P<d>[0-3]?\d)[/.-](?P<m>[01]?\d)(?:[/.-](?P<y>\d{4}|\d{2}))?(?![\w/-]|\.\d)")
_DATE_ISO_RE = re.compile(r"(?<![\w/-])(?P<y>\d{4})-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\w/-])")
_RELATIVE_RE = re.compile(r"\b(?P<word>anteayer|antier|ayer|hoy|pasado\s+mañana|mañana)\b(?!\s+(?:de|por)\s+la)", re.I)
_WEEKDAY_RE = re.compile(
    r"\b(?:el|este|esta|el\s+pr[oó]ximo|el\s+pasado)\s+(?P<wd>lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|"
    r"domingo)(?P<after>\s+(?:pasado|que\s+viene|pr[oó]ximo))?\b",
    re.IGNORECASE,
)
_DAY_ONLY_RE = re.compile(r"\b(?:el\s+d[ií]a|d[ií]a)\s+(?P<day>[0-3]?\d)\b(?!\s+de\s)(?![/.:]\d)", re.IGNORECASE)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _yearless(month: int, day: int, reference: dt.date | None) -> dt.date | None:
    """A date without a year: the latest occurrence that is not more than 60 days after the reference."""
    if reference is None:
        return None
    for year in (reference.year + 1, reference.year, reference.year - 1):
        candidate = _safe_date(year, month, day)
        if candidate and candidate <= reference + dt.timedelta(days=60):
            return candidate
    return None


def _dates(text: str, reference: dt.date | None) -> list[tuple[int, int, dt.date | None]]:
    out: list[tuple[int, int, dt.date | None]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < b and a < e for a, b, _ in out)

    for m in _DATE_TEXT_RE.finditer(text):
        day, month = int(m.group("day")), MONTHS[m.group("month").lower()]
        year = m.group("year")
        date = _safe_date(int(year), month, day) if year else _yearless(month, day, reference)
        if 1 <= day <= 31:
            out.append((m.start(), m.end(), date))
    for m in _DATE_ISO_RE.finditer(text):
        if free(*m.span()):
            out.append((m.start(), m.end(), _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))))
    for m in _DATE_NUM_RE.finditer(text):
        if not free(*m.span()):
            continue
        day, month = int(m["d"]), int(m["m"])
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        if m["y"]:
            year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
            date = _safe_date(year, month, day)
        else:
            # "10-15" and "3.5" are ranges and numbers; "5/5" and "24/7" are ratings and opening hours.
            before = text[max(0, m.start() - 8) : m.start()].lower()
            two_digits = len(m["d"]) == 2 and len(m["m"]) == 2
            if "/" not in m.group() or not (two_digits or re.search(r"\b(?:el|del|día|dia)\s+$", before)):
                continue
            date = _yearless(month, day, reference)
        out.append((m.start(), m.end(), date))
    for m in _RELATIVE_RE.finditer(text):
        if not free(*m.span()):
            continue
        word = " ".join(m["word"].lower().split())
        before = text[max(0, m.start() - 10) : m.start()]
        if word == "mañana" and re.search(r"(?:por|de|la|esta|en\s+la)\s+$", before, re.I):
            continue  # "por la mañana" is a time of day
        delta = {"anteayer": -2, "antier": -2, "ayer": -1, "hoy": 0, "mañana": 1, "pasado mañana": 2}[word]
        out.append((m.start(), m.end(), reference + dt.timedelta(days=delta) if reference else None))
    for m in _WEEKDAY_RE.finditer(text):
        if not free(*m.span()):
            continue
        weekday = WEEKDAYS[m["wd"].lower().replace("é", "e").replace("á", "a")]
        lead = m.group().lower()
        future = "próximo" in lead or "proximo" in lead or (m["after"] and "pasado" not in m["after"].lower())
        date = None
        if reference is not None:
            if future:
                ahead = (weekday - reference.weekday()) % 7 or 7
                date = reference + dt.timedelta(days=ahead)
            else:
                back = (reference.weekday() - weekday) % 7 or 7
                date = reference - dt.timedelta(days=back)
        out.append((m.start(), m.end(), date))
    for m in _DAY_ONLY_RE.finditer(text):
        if not free(*m.span()):
            continue
        day = int(m["day"])
        if not 1 <= day <= 31:
            continue
        date = None
        if reference is not None:
            month, year = reference.month, reference.year
            for _ in range(3):
                candidate = _safe_date(year, month, day)
                if candidate and candidate <= reference:
                    date = candidate
                    break
                month, year = (month - 1, year) if month > 1 else (12, year - 1)
        out.append((m.start(), m.end(), date))
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def extract_entities(text: str, reference_date: dt.date | None = None) -> Entities:
    """Customer name, staff names, references, dates, amounts, e-mails and phones; offsets into ``text``.

    ``reference_date`` (usually the day the complaint arrived) resolves relative and year-less dates
    ("ayer", "el lunes", "el 3 de marzo"); without it only dates that carry a year get a ``date``.
    """
    if not text or not text.strip():
        return Entities()
    mapped = _normalise_mapped(text)
    norm = mapped.text
    doc = nlp()(norm)

    def span_of(start: int, end: int) -> tuple[int, int, str]:
        o_start, o_end = mapped.original(start, end)
        return o_start, o_end, text[o_start:o_end]

    emails = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "EMAIL"]
    emails += [m.span() for m in _EMAIL_RE.finditer(norm) if not any(a <= m.start() < b for a, b in emails)]
    urls = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "URL"]
    amounts = _amounts(norm)
    dates = _dates(norm, reference_date)
    amount_spans = [(s, e) for s, e, *_ in amounts]
    date_spans = [(s, e) for s, e, _ in dates]
    references = _references(norm, emails + urls + amount_spans)
    ref_spans = [(s, e) for s, e, _ in references]
    dates = [d for d in dates if not any(d[0] < e and s < d[1] for s, e in ref_spans + amount_spans)]
    date_spans = [(s, e) for s, e, _ in dates]
    phones = _phones(norm, emails + urls + ref_spans + amount_spans + date_spans)
    staff = _staff_names(doc, norm)
    customer = _customer_name(doc, norm, staff, ref_spans)

    def to_span(start: int, end: int) -> Span:
        s, e, t = span_of(start, end)
        return Span(text=t, start=s, end=e)

    entities = Entities(
        customer_name=" ".join(norm[customer[0] : customer[1]].split()) if customer else None,
        staff_names=[to_span(s, e) for s, e in staff],
        references=[],
        dates=[],
        amounts=[],
        emails=[to_span(s, e) for s, e in sorted(emails)],
        phones=[to_span(s, e) for s, e in phones],
    )
    seen: set[str] = set()
    for s, e, kind in references:
        o_s, o_e, t = span_of(s, e)
        key = re.sub(r"[\s#]", "", t).upper()
        if key in seen:
            continue
        seen.add(key)
        entities.references.append(Reference(text=t, start=o_s, end=o_e, kind=kind))
    for s, e, date in dates:
        o_s, o_e, t = span_of(s, e)
        entities.dates.append(DateMention(text=t, start=o_s, end=o_e, date=date))
    for s, e, value, currency in amounts:
        o_s, o_e, t = span_of(s, e)
        entities.amounts.append(Amount(text=t, start=o_s, end=o_e, value=value, currency=currency))
    return entities


def analysis_with_entities(analysis: Analysis, text: str, reference_date: dt.date | None = None) -> Analysis:
    """A copy of ``analysis`` whose ``entities`` come from ``text`` (the model itself predicts no entities)."""
    return analysis.model_copy(update={"entities": extract_entities(text, reference_date)})


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(value: str) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    keep = set(digits[-2:])
    return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(value))


def mask_contacts(text: str) -> str:
    """Hide e-mail addresses (``a***@dominio.com``) and phone numbers (all digits but the last two)."""
    if not text:
        return text
    entities = extract_entities(text)
    pieces = [(s.start, s.end, _mask_email(s.text)) for s in entities.emails]
    pieces += [(s.start, s.end, _mask_phone(s.text)) for s in entities.phones]
    for start, end, replacement in sorted(pieces, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
