"""References a complaint cites: order, ticket, case, invoice, contract, account, tracking, booking, policy numbers.

A code counts after a keyword that says what it is ("pedido 55-901", "localizador QXKTZA",
"expediente n.º 2024/118"); without one, only shapes that mix letters and digits ("PED-5590",
"INC0012345") or start with "#" ("#88123") count, and their kind comes from a keyword shortly
before or from the code's prefix. Amounts, dates, phones, flight numbers and promotion codes are
not references. The kinds are the ones pipeline/policies/_common.yaml names.
"""

from __future__ import annotations

import re

from pipeline.entities.amounts import UNIT_AFTER
from pipeline.entities.dates import MONTHS, WEEKDAYS
from pipeline.entities.speakers import SPEAKER_CUSTOMER

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
_GAP_RE = re.compile(r"[\s(:,]*")  # between a keyword, its connectors and the code
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
    if _DATE_LIKE.match(compact) or UNIT_AFTER.match(text[end : end + 12]):
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
        if kind == "account" and word == "cliente" and SPEAKER_CUSTOMER.match(text[line_start:]):
            continue  # "Cliente: 2231." is a speaker label in a transcript
        pos = m.end()
        generic = 0
        for _ in range(7):
            gap = _GAP_RE.match(text, pos)  # always matches (possibly empty)
            pos = gap.end() if gap else pos
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


def find_references(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """References as (start, end, kind), outside the ``taken`` spans (e-mails, URLs, amounts)."""
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
    prefix = re.match(r"([A-Z]+)\d{0,3}", code)
    if not prefix:
        return None
    for pattern, kind in _PREFIX_KINDS:
        if re.fullmatch(pattern, prefix.group(1)) or re.fullmatch(pattern, prefix.group()):
            return kind
    return None
