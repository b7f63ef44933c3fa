"""Date mentions and the Spanish month and weekday names (the one list of them; pipeline/reply writes dates with it).

Absolute dates ("3 de marzo de 2024", "03/03/2024", "2024-03-03") carry their own date; relative
and year-less ones ("ayer", "el lunes pasado", "el 3 de marzo", "el día 12") are resolved against a
reference date, usually the day the complaint arrived.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.folding import fold

MONTH_NAMES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
WEEKDAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
# Abbreviations and spellings customers also write for a month.
_MONTH_VARIANTS = {
    "ene": 1,
    "feb": 2,
    "mar": 3,
    "abr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "ago": 8,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "oct": 10,
    "nov": 11,
    "dic": 12,
}
# Month number by lower-case name or abbreviation; weekday number (Monday 0) by name, with or without accents.
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)} | _MONTH_VARIANTS
WEEKDAYS = {spelling: number for number, name in enumerate(WEEKDAY_NAMES) for spelling in (name, fold(name))}
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


def find_dates(text: str, reference: dt.date | None) -> list[tuple[int, int, dt.date | None]]:
    """Date mentions as (start, end, date); ``date`` is None when ``reference`` is needed and missing."""
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
        weekday = WEEKDAYS[fold(m["wd"])]
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


# An event the customer is waiting for, in the present or future tense ("el bus sale el domingo", "el vuelo
# es el viernes", "mañana tengo el examen"): a verb of the event in the same clause as the date. Read with
# accents, so "llegó" (past) is not "llego".
_EVENT_VERB = re.compile(
    r"\b(?:sale|salen|salgo|salimos|parte|parto|partimos|viajo|viaja|viajamos|vuela|vuelo|volamos|embarco|embarcamos|"
    r"es|son|tengo|tenemos|tiene|empieza|empiezan|comienza|comienzan|vence|vencen|llega|llego|llegamos|"
    r"me caso|nos casamos|se casa|voy|vamos|va a|van a|regreso|regresamos|vuelvo|volvemos|me operan|"
    r"saldrá|saldré|saldremos|viajaré|viajará|viajaremos|será|serán|tendré|tendrá|llegará|llegaré|empezará|"
    r"comenzará|iré|irá|iremos)\b"
)
# A clause about the past: a preterite ("llegó", "pedí", "llamaron"), an imperfect, "pasado", "ayer".
_PAST_MARK = re.compile(
    r"\b(?:pasad[oa]|fue|fueron|fui|fuimos|era|eran|estaba|ayer|anteayer|antier|hace \w+|"
    r"\w+(?:aron|ieron|aba|aban|ía|ían)|(?!qu[ée]\b)\w+[óé])\b"
)
_UPCOMING_WEEKDAY = re.compile(
    r"\b(?:el|este|esta|el próximo|el proximo)\s+(?P<wd>lunes|martes|miércoles|miercoles|jueves|viernes|sábado|"
    r"sabado|domingo)(?!\s+pasado)\b"
)
_UPCOMING_RELATIVE = re.compile(r"\b(?P<word>pasado mañana|mañana)\b(?!\s+(?:de|por)\s+la)")


_QUOTES = "'\"‘’“”«»"
_QUOTED = re.compile(rf"[{_QUOTES}][^{_QUOTES}\n]{{0,200}}[{_QUOTES}]")


def _next_to_event_verb(clause: str, start: int, end: int) -> bool:
    """The verb of the event right before the date ("sale el domingo", "es el 4") or right after ("mañana tengo")."""
    before = re.search(r"(\S+(?:\s+\S+){0,3})\s+$", clause[:start])
    after = re.match(r"\s+(\S+(?:\s+\S+)?)", clause[end:])
    return bool(before and _EVENT_VERB.search(before.group(1))) or bool(after and _EVENT_VERB.match(after.group(1)))


def upcoming_event(text: str, reference: dt.date) -> dt.date | None:
    """The first day after ``reference`` that the complaint gives to something still to come, else None.

    "Mi autobús sale el domingo" read on a Friday is this Sunday: a reply promising news on Tuesday
    would arrive after the trip. A day counts only next to a verb of the event in the present or future
    ("sale el domingo", "mañana tengo el examen"), in a clause with no mark of the past ("llegó el
    lunes") and outside quoted words (a promise reported: "me dijo 'mañana le llamo'").
    """
    found: list[dt.date] = []
    for clause in re.split(r"[.;,:!?¿¡()\n]+", _QUOTED.sub(" ", text.lower())):
        if _PAST_MARK.search(clause):
            continue
        days: list[tuple[int, int, dt.date]] = []
        for m in _UPCOMING_RELATIVE.finditer(clause):
            if not re.search(r"(?:por|de|la|esta|en la)\s+$", clause[: m.start()]):
                days.append(
                    (m.start(), m.end(), reference + dt.timedelta(days=2 if m["word"] == "pasado mañana" else 1))
                )
        for m in _UPCOMING_WEEKDAY.finditer(clause):
            ahead = (WEEKDAYS[m["wd"]] - reference.weekday()) % 7 or 7
            days.append((m.start(), m.end(), reference + dt.timedelta(days=ahead)))
        for start, end, date in find_dates(clause, reference):
            if date is not None and date > reference and not _UPCOMING_WEEKDAY.match(clause, start):
                days.append((start, end, date))
        found += [date for start, end, date in days if _next_to_event_verb(clause, start, end)]
    return min(found, default=None)
