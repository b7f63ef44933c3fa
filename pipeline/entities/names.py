"""The customer's name and the staff names a complaint mentions.

A Matcher finds the phrases that introduce a name ("me llamo", "el agente", "me atendió"...); the
signature under a letter is read line by line. Staff names are found first, because a name an agent
is given ("me atendió Rodrigo") must never become the customer's name in the reply's greeting.
All positions are character offsets into the normalised text (pipeline.text.normalise_mapped).
"""

from __future__ import annotations

import re
from functools import cache

from spacy.lang.es.stop_words import STOP_WORDS
from spacy.matcher import Matcher
from spacy.tokens import Doc

from pipeline.entities.speakers import line_kind
from pipeline.text import nlp

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


@cache
def _matchers() -> tuple[Matcher, Matcher]:
    vocab = nlp().vocab
    self_matcher = Matcher(vocab)
    self_matcher.add("SELF", [[{"LOWER": w} for w in cue] for cue in _SELF_CUES])
    staff_matcher = Matcher(vocab)
    staff_matcher.add("STAFF_ROLE", [[{"LOWER": role}] for role in _STAFF_ROLES])
    staff_matcher.add("STAFF_VERB", [[{"LOWER": w} for w in cue] for cue in _STAFF_VERBS])
    # "Milagros creo que se llamaba": the name comes before the cue; handled in staff_names.
    return self_matcher, staff_matcher


def _is_name_word(word: str) -> bool:
    if len(word) < 2 or not word[0].isupper():
        return False
    parts = re.split(r"[-']", word)
    if not all(p and p.isalpha() for p in parts):
        return False
    if not all(p[0].isupper() and (len(p) == 1 or p[1:].islower()) for p in parts if len(p) > 1):
        return False
    return word.lower() not in _NOT_NAMES


def _take_name(doc: Doc, i: int, *, max_tokens: int = 5) -> tuple[int, int] | None:
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


def _skip_fillers(doc: Doc, i: int, limit: int = 4) -> int:
    steps = 0
    while i < len(doc) and steps < limit and doc[i].lower_ in _FILLERS:
        i += 1
        steps += 1
    return i


def staff_names(doc: Doc, text: str) -> list[tuple[int, int]]:
    """Character spans (in the normalised text) of staff names."""
    _, staff_matcher = _matchers()
    spans: list[tuple[int, int]] = []
    for _, start, end in staff_matcher(doc):
        if doc[start].lower_ in _HONORIFICS and line_kind(text, doc[start].idx) == "staff":
            continue  # "Asesor: Claro, doña Yolanda" addresses the customer
        got = _take_name(doc, _skip_fillers(doc, end))
        if got:
            spans.append((doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1])))
    # Anything a staff speaker says about a name in a transcript ("habla Julieta") and greetings a
    # customer addresses to the agent ("Hola Julieta") name staff.
    self_matcher, _ = _matchers()
    for _, start, end in self_matcher(doc):
        if line_kind(text, doc[start].idx) == "staff":
            got = _take_name(doc, end)
            if got:
                spans.append((doc[got[0]].idx, doc[got[1] - 1].idx + len(doc[got[1] - 1])))
    for token in doc:
        if token.lower_ in ("hola", "gracias") and line_kind(text, token.idx) == "customer":
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


def customer_name(
    doc: Doc, text: str, staff: list[tuple[int, int]], refs: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The span of the name the customer gives (a cue, a form field, then the signature), never a staff name.

    ``refs`` are the references found in the text: a reference line under a signature ("Pedido 7719")
    does not stop the search for the name above it.
    """
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
        if line_kind(text, doc[start].idx) == "staff":
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
